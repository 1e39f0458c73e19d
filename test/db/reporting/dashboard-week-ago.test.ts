// The dashboard's today against the same weekday a week ago, computed in SQL
// (reporting.dashboard_metrics): net sales, sales and average sale of each location's today and
// of its today − 7, both on the location's own clock, the change in percent (null when a week
// ago had nothing), exact while the sales events are still queued and after the fold.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.ts";
import { fold, holdFoldLock, line, openReportingShop, placeOrder, queued, voidOrder, type ReportingShop } from "./helpers.ts";

const LA = "America/Los_Angeles";
const TOKYO = "Asia/Tokyo";

let db: TestDatabase;
let shop: ReportingShop;
beforeAll(async () => {
  db = await createTestDatabase();
  // UTC−8/−7 and UTC+9: 16 or 17 hours apart, so a UTC day is two different local days somewhere.
  shop = await openReportingShop(db, {
    timezone: LA,
    extraTimezones: [TOKYO],
    items: [{ sku: "A", price: 1000 }, { sku: "B", price: 300 }],
  });
  // Amounts in euro cents: the currency is the business's, chosen before its first sale.
  await db.owner.query("update app_public.tenants set currency = 'EUR' where id = $1", [shop.tenantId]);
});
afterAll(() => db?.drop());

/** The instant of midnight at the start of the location's today − `days`, on its clock. */
async function midnight(tz: string, days: number): Promise<Date> {
  const { rows } = await db.owner.query(
    "select ((date_trunc('day', now() at time zone $1) - make_interval(days => $2)) at time zone $1) as t",
    [tz, days],
  );
  return rows[0].t;
}
const plus = (d: Date, minutes: number) => new Date(d.getTime() + minutes * 60_000).toISOString();

const metrics = async (s: ReportingShop = shop) => {
  const { rows } = await s.manager.query(
    `select sales_today, orders_today, average_today, sales_week_ago, orders_week_ago, average_week_ago,
            sales_change_percent, orders_change_percent, average_change_percent, currency
     from reporting.dashboard_metrics()`,
  );
  const r = rows[0];
  const num = (v: string | null) => (v === null ? null : Number(v));
  return {
    today: [num(r.sales_today), num(r.orders_today), num(r.average_today)],
    weekAgo: [num(r.sales_week_ago), num(r.orders_week_ago), num(r.average_week_ago)],
    change: [num(r.sales_change_percent), num(r.orders_change_percent), num(r.average_change_percent)],
    currency: r.currency,
  };
};

describe("dashboard_metrics: today against the same weekday a week ago", () => {
  it("reads each location's today and its today − 7 on its own clock, with the percent changes", async () => {
    const [la, tokyo] = shop.locations;
    let voidLater = "";
    for (const [loc, tz] of [[la, LA], [tokyo, TOKYO]] as const) {
      const weekAgo = await midnight(tz, 7);
      const sixDaysAgo = await midnight(tz, 6);
      const today = await midnight(tz, 0);
      // The same weekday a week ago, from its first minute to its last: 1000 + 300 in 2 sales.
      await placeOrder(shop.owner, loc, [line(shop.item.A)], { placedAt: plus(weekAgo, 1) });
      const last = await placeOrder(shop.owner, loc, [line(shop.item.B)], { placedAt: plus(sixDaysAgo, -1) });
      if (loc === la) voidLater = last.id;
      // The days around it, and yesterday's last minute: none of them counts.
      await placeOrder(shop.owner, loc, [line(shop.item.A, 5)], { placedAt: plus(weekAgo, -1) });
      await placeOrder(shop.owner, loc, [line(shop.item.A, 5)], { placedAt: plus(sixDaysAgo, 1) });
      await placeOrder(shop.owner, loc, [line(shop.item.A, 5)], { placedAt: plus(today, -1) });
    }
    // Today: 1000 + 300 + 300 in Los Angeles, 1000 in Tokyo.
    await placeOrder(shop.cashier, la, [line(shop.item.A)]);
    await placeOrder(shop.cashier, la, [line(shop.item.B)]);
    await placeOrder(shop.cashier, la, [line(shop.item.B)]);
    await placeOrder(shop.cashier, tokyo, [line(shop.item.A)]);
    // A void today of a sale of a week ago takes its 300 out of today; that day keeps its sale.
    await voidOrder(shop.manager, voidLater);
    expect(await queued(db, shop.tenantId)).toBe(0);

    // Today 2300 in 4 sales (575 on average), a week ago 2600 in 4 (650): −11.5%, 0%, −11.5%.
    expect(await metrics()).toEqual({
      today: [2300, 4, 575],
      weekAgo: [2600, 4, 650],
      change: [-11.5, 0, -11.5],
      currency: "EUR",
    });
  });

  it("is exact while the sales events are still queued, and the same after the fold", async () => {
    const [, tokyo] = shop.locations;
    const lock = await holdFoldLock(db, shop.tenantId);
    try {
      // Today one more A in Tokyo; a week ago one more B there (an import of that day).
      await placeOrder(shop.cashier, tokyo, [line(shop.item.A)]);
      await placeOrder(shop.owner, tokyo, [line(shop.item.B)], { placedAt: plus(await midnight(TOKYO, 7), 2) });
      expect(await queued(db, shop.tenantId)).toBeGreaterThan(0);
      // Today 3300 in 5 (660), a week ago 2900 in 5 (580): +13.8%, 0%, +13.8%.
      expect(await metrics()).toEqual({
        today: [3300, 5, 660],
        weekAgo: [2900, 5, 580],
        change: [13.8, 0, 13.8],
        currency: "EUR",
      });
    } finally {
      await lock.release();
    }
    await fold(db, shop.tenantId);
    expect(await queued(db, shop.tenantId)).toBe(0);
    expect(await metrics()).toEqual({
      today: [3300, 5, 660],
      weekAgo: [2900, 5, 580],
      change: [13.8, 0, 13.8],
      currency: "EUR",
    });
  });

  it("has no change when a week ago had nothing (null, even against nothing today)", async () => {
    const fresh = await openReportingShop(db, { timezone: TOKYO, items: [{ sku: "A", price: 1000 }, { sku: "WATER", price: 0 }] });
    expect(await metrics(fresh)).toEqual({ today: [0, 0, 0], weekAgo: [0, 0, 0], change: [null, null, null], currency: "USD" });
    await placeOrder(fresh.cashier, fresh.locationId, [line(fresh.item.A, 2)]);
    expect(await metrics(fresh)).toEqual({ today: [2000, 1, 2000], weekAgo: [0, 0, 0], change: [null, null, null], currency: "USD" });
    // A week ago one sale of nothing to pay: the sales compare (1 against 1), net sales and the
    // average sale do not (no percent of 0).
    await placeOrder(fresh.owner, fresh.locationId, [line(fresh.item.WATER)], { placedAt: plus(await midnight(TOKYO, 7), 60) });
    expect(await metrics(fresh)).toEqual({ today: [2000, 1, 2000], weekAgo: [0, 1, 0], change: [null, 0, null], currency: "USD" });
  });
});
