// business_date is the date on the shop's clock: right across local midnight and across DST
// changes, far from UTC (Pacific/Auckland, UTC+12/+13) and behind it (America/Los_Angeles,
// UTC−8/−7). Checked on the helper itself and on orders imported with an explicit placed_at.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.ts";
import { eventsOf, line, openShop, placeOrder, type Shop } from "./shop.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

// [instant (UTC), time zone, business date, why]
const CASES: [string, string, string, string][] = [
  // Auckland, NZST (+12) before DST starts on Sunday 2024-09-29 at 02:00 local.
  ["2024-09-28T11:59:59Z", "Pacific/Auckland", "2024-09-28", "23:59:59 NZST, last second of the day"],
  ["2024-09-28T12:00:00Z", "Pacific/Auckland", "2024-09-29", "00:00 NZST, midnight"],
  ["2024-09-28T13:59:59Z", "Pacific/Auckland", "2024-09-29", "01:59:59 NZST, just before the clocks go forward"],
  ["2024-09-28T14:00:00Z", "Pacific/Auckland", "2024-09-29", "03:00 NZDT, just after"],
  // After the change local midnight is at 11:00 UTC, not 12:00.
  ["2024-09-29T10:59:59Z", "Pacific/Auckland", "2024-09-29", "23:59:59 NZDT"],
  ["2024-09-29T11:30:00Z", "Pacific/Auckland", "2024-09-30", "00:30 NZDT (a fixed +12 would say 23:30 on the 29th)"],
  // DST ends Sunday 2025-04-06 at 03:00 NZDT → 02:00 NZST (14:00 UTC on the 5th).
  ["2025-04-05T10:59:59Z", "Pacific/Auckland", "2025-04-05", "23:59:59 NZDT"],
  ["2025-04-05T11:00:00Z", "Pacific/Auckland", "2025-04-06", "00:00 NZDT"],
  ["2025-04-05T13:30:00Z", "Pacific/Auckland", "2025-04-06", "02:30 NZDT, first pass of the repeated hour"],
  ["2025-04-05T14:30:00Z", "Pacific/Auckland", "2025-04-06", "02:30 NZST, second pass"],
  ["2025-04-06T11:30:00Z", "Pacific/Auckland", "2025-04-06", "23:30 NZST (a fixed +13 would say 00:30 on the 7th)"],
  ["2025-04-06T12:00:00Z", "Pacific/Auckland", "2025-04-07", "00:00 NZST"],
  // Los Angeles: DST starts Sunday 2025-03-09 at 02:00 PST → 03:00 PDT (10:00 UTC).
  ["2025-03-08T07:30:00Z", "America/Los_Angeles", "2025-03-07", "23:30 PST, a UTC date ahead of the shop"],
  ["2025-03-08T08:00:00Z", "America/Los_Angeles", "2025-03-08", "00:00 PST"],
  ["2025-03-10T06:30:00Z", "America/Los_Angeles", "2025-03-09", "23:30 PDT"],
  ["2025-03-10T07:30:00Z", "America/Los_Angeles", "2025-03-10", "00:30 PDT (a fixed −8 would say 23:30 on the 9th)"],
  // DST ends Sunday 2025-11-02 at 02:00 PDT → 01:00 PST (09:00 UTC).
  ["2025-11-02T08:30:00Z", "America/Los_Angeles", "2025-11-02", "01:30 PDT"],
  ["2025-11-02T09:30:00Z", "America/Los_Angeles", "2025-11-02", "01:30 PST, the repeated hour"],
  ["2025-11-03T07:30:00Z", "America/Los_Angeles", "2025-11-02", "23:30 PST (a fixed −7 would say 00:30 on the 3rd)"],
  ["2025-11-03T08:00:00Z", "America/Los_Angeles", "2025-11-03", "00:00 PST"],
];

describe("app_hidden.business_date", () => {
  it.each(CASES)("%s in %s is %s (%s)", async (instant, tz, expected) => {
    const { rows } = await db.owner.query("select app_hidden.business_date($1::timestamptz, $2)::text as d", [instant, tz]);
    expect(rows[0].d).toBe(expected);
  });

  it("does not depend on the session's time zone", async () => {
    const client = await db.owner.connect();
    try {
      await client.query("set timezone to 'Asia/Kolkata'");
      const { rows } = await client.query("select app_hidden.business_date('2024-09-29T11:30:00Z', 'Pacific/Auckland')::text as d");
      expect(rows[0].d).toBe("2024-09-30");
    } finally {
      await client.query("reset timezone");
      client.release();
    }
  });
});

describe("orders", () => {
  const shops: Record<string, Shop> = {};
  beforeAll(async () => {
    for (const tz of ["Pacific/Auckland", "America/Los_Angeles"]) {
      shops[tz] = await openShop(db, { timezone: tz, items: [{ sku: "FLAT", price: 450 }] });
    }
  });

  it.each(CASES)("an order placed at %s in %s has business date %s (%s)", async (instant, tz, expected) => {
    const shop = shops[tz];
    const order = await placeOrder(shop.owner, shop.locationId, [line(shop.item.FLAT)], { placedAt: instant });
    const row = await shop.owner.query("select business_date::text as d, placed_at from app_public.orders where id = $1", [order.id]);
    expect(row.rows[0].d).toBe(expected);
    expect(row.rows[0].placed_at.toISOString()).toBe(new Date(instant).toISOString());
    const placed = (await eventsOf(db, shop.tenantId, "order.placed.v1")).find((e) => e.aggregate_id === order.id);
    expect(placed?.payload).toMatchObject({ business_date: expected, placed_at: new Date(instant).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z") });
  });

  it("a tender on an order carries the order's business date, not the day it was paid", async () => {
    const shop = shops["Pacific/Auckland"];
    const order = await placeOrder(shop.owner, shop.locationId, [line(shop.item.FLAT)], { placedAt: "2024-09-29T11:30:00Z" });
    await shop.cashier.query("select app_public.record_tender($1, 'card', $2)", [order.id, order.total]);
    const tendered = (await eventsOf(db, shop.tenantId, "tender.recorded.v1")).find((e) => e.payload.order_id === order.id);
    expect(tendered?.payload).toMatchObject({ business_date: "2024-09-30", location_id: shop.locationId });
  });
});
