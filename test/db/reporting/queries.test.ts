// The admin's reporting queries: daily_sales over a range with and without a location (test 6),
// item_sales in both orders (test 7), dashboard_metrics with "today" in each location's time
// zone (test 8), inventory_summary, and who may call them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sqlState, type TestDatabase } from "../../helpers/db.ts";
import {
  createCustomer, holdFoldLock, line, openReportingShop, placeOrder, queued, recordMovement, tender, voidOrder,
  type ReportingShop,
} from "./helpers.ts";

let db: TestDatabase;
let shop: ReportingShop;
let other: ReportingShop;
beforeAll(async () => {
  db = await createTestDatabase();
  shop = await openReportingShop(db, {
    timezone: "Europe/Paris",
    extraTimezones: ["America/New_York"],
    items: [
      { sku: "TEA", name: "Tea", price: 200 },
      { sku: "CAKE", name: "Cake", price: 500, stock: 10 },
      { sku: "MUG", name: "Mug", price: 1200, stock: 1 },
    ],
  });
  other = await openReportingShop(db, { items: [{ sku: "TEA", price: 999 }] });
  const [paris, ny] = shop.locations;
  const at = (iso: string) => ({ placedAt: iso });
  // 2025-05-01 (Paris): 2 orders; 2025-05-02: 1 order + 1 voided; New York 2025-05-01 and 05-03.
  await placeOrder(shop.owner, paris, [line(shop.item.TEA, 3)], at("2025-05-01T08:00:00Z")); // 600
  await placeOrder(shop.owner, paris, [line(shop.item.CAKE, 1)], at("2025-05-01T21:30:00Z")); // 500 (23:30 Paris)
  await placeOrder(shop.owner, paris, [line(shop.item.MUG, 1)], at("2025-05-02T09:00:00Z")); // 1200
  const voided = await placeOrder(shop.owner, paris, [line(shop.item.TEA, 10)], at("2025-05-02T10:00:00Z")); // 2000
  await voidOrder(shop.manager, voided.id);
  await placeOrder(shop.owner, ny, [line(shop.item.TEA, 1), line(shop.item.CAKE, 2)], at("2025-05-02T02:00:00Z")); // 1200, NY 05-01 22:00
  await placeOrder(shop.owner, ny, [line(shop.item.CAKE, 1)], { ...at("2025-05-03T15:00:00Z"), discount: 50 }); // 450
  await placeOrder(other.owner, other.locationId, [line(other.item.TEA, 1)], at("2025-05-01T10:00:00Z"));
});
afterAll(() => db?.drop());

describe("daily_sales", () => {
  const daily = (from: string, to: string, location: string | null = null) =>
    shop.manager.query("select * from reporting.daily_sales($1, $2, $3)", [from, to, location]).then((r) => r.rows);

  it("one row per date of the range, summed over all locations on each location's own dates", async () => {
    const rows = await daily("2025-04-30", "2025-05-03");
    const brief = rows.map((r) => ({
      date: fmt(r.business_date), orders: Number(r.order_count), net: Number(r.net_sales), refunds: Number(r.refund_count),
      refunded: Number(r.refund_total), aov: Number(r.avg_order_value), location: r.location_id,
    }));
    // The order voided today is a sale of 2025-05-02 and a refund of today (outside this range).
    expect(brief).toEqual([
      { date: "2025-04-30", orders: 0, net: 0, refunds: 0, refunded: 0, aov: 0, location: null },
      { date: "2025-05-01", orders: 3, net: 2300, refunds: 0, refunded: 0, aov: 767, location: null }, // (600 + 500 + 1200) / 3 = 766.67
      { date: "2025-05-02", orders: 2, net: 3200, refunds: 0, refunded: 0, aov: 1600, location: null },
      { date: "2025-05-03", orders: 1, net: 450, refunds: 0, refunded: 0, aov: 450, location: null },
    ]);
    const today = (await db.owner.query("select app_hidden.business_date(now(), 'Europe/Paris')::text as d")).rows[0].d;
    const [refundDay] = await daily(today, today, shop.locations[0]);
    expect([Number(refundDay.order_count), Number(refundDay.refund_count), Number(refundDay.refund_total), Number(refundDay.net_sales)])
      .toEqual([0, 1, 2000, -2000]);
  });

  it("at one location, and only its figures", async () => {
    const [paris, ny] = shop.locations;
    const p = await daily("2025-05-01", "2025-05-02", paris);
    expect(p.map((r) => [fmt(r.business_date), r.location_id, Number(r.order_count), Number(r.gross_sales), Number(r.net_sales)])).toEqual([
      ["2025-05-01", paris, 2, 1100, 1100],
      ["2025-05-02", paris, 2, 3200, 3200],
    ]);
    const n = await daily("2025-05-03", "2025-05-03", ny);
    expect(n.map((r) => [Number(r.gross_sales), Number(r.discount_total), Number(r.net_sales)])).toEqual([[500, 50, 450]]);
  });

  it("includes sales still queued for folding (exact the moment the order commits)", async () => {
    const lock = await holdFoldLock(db, shop.tenantId);
    try {
      await placeOrder(shop.owner, shop.locationId, [line(shop.item.TEA)], { placedAt: "2025-05-03T12:00:00Z" });
      expect(await queued(db, shop.tenantId)).toBeGreaterThan(0);
      const rows = await daily("2025-05-03", "2025-05-03", shop.locationId);
      expect(Number(rows[0].order_count)).toBe(1);
      expect(Number(rows[0].net_sales)).toBe(200);
    } finally {
      await lock.release();
    }
  });

  it("refuses bad ranges, other businesses' locations and callers without reports.view", async () => {
    expect(await sqlState(() => daily("2025-05-03", "2025-05-01"))).toBe("BADIN");
    expect(await sqlState(() => daily("2020-01-01", "2025-01-01"))).toBe("BADIN");
    expect(await sqlState(() => shop.manager.query("select * from reporting.daily_sales(null, '2025-01-01')"))).toBe("BADIN");
    expect(await sqlState(() => daily("2025-05-01", "2025-05-02", other.locationId))).toBe("NOTFD");
    expect(await sqlState(() => shop.cashier.query("select * from reporting.daily_sales('2025-05-01', '2025-05-02')"))).toBe("DNIED");
    expect(await sqlState(() => db.asAnonymous().query("select * from reporting.daily_sales('2025-05-01', '2025-05-02')"))).toBe("LOGIN");
  });
});

describe("item_sales", () => {
  const items = (orderBy: string, location: string | null = null) =>
    shop.manager
      .query("select * from reporting.item_sales('2025-05-01', '2025-05-03', $1, $2)", [location, orderBy])
      .then((r) => r.rows.map((x) => [x.catalog_item_name, Number(x.quantity_sold), Number(x.net_revenue), Number(x.avg_unit_price)]));

  it("ranks by revenue and by quantity (the two orders differ); a refund takes its units out on the day it was made", async () => {
    // Tea: 3 + 1 (+ the queued one of 05-03 above) + the 10 voided today = 15 sold for 3000 up to 05-03; Cake: 1 + 2 + 1 = 4
    // for 1950; Mug: 1 for 1200.
    expect(await items("revenue")).toEqual([["Tea", 15, 3000, 200], ["Cake", 4, 1950, 488], ["Mug", 1, 1200, 1200]]);
    expect(await items("quantity")).toEqual([["Tea", 15, 3000, 200], ["Cake", 4, 1950, 488], ["Mug", 1, 1200, 1200]]);
    // Up to today, the refund of the 10 teas is in: 5 teas for 1000.
    const today = (await db.owner.query("select app_hidden.business_date(now(), 'Europe/Paris')::text as d")).rows[0].d;
    const upToToday = await shop.manager.query("select * from reporting.item_sales('2025-05-01', $1)", [today]);
    expect(upToToday.rows.map((x) => [x.catalog_item_name, Number(x.quantity_sold), Number(x.net_revenue)]))
      .toEqual([["Cake", 4, 1950], ["Mug", 1, 1200], ["Tea", 5, 1000]]);
  });

  it("at one location; ties on the first figure go to the other", async () => {
    expect(await items("quantity", shop.locations[1])).toEqual([["Cake", 3, 1450, 483], ["Tea", 1, 200, 200]]);
    expect(await items("revenue", shop.locations[0])).toEqual([["Tea", 14, 2800, 200], ["Mug", 1, 1200, 1200], ["Cake", 1, 500, 500]]);
    expect(await sqlState(() => items("popularity"))).toBe("22P02");
  });
});

describe("inventory_summary", () => {
  it("lists stock per location and item, low-only on request", async () => {
    await recordMovement(shop.manager, shop.locations[1], shop.stock.MUG, 4, "receive");
    const all = await shop.manager.query("select * from reporting.inventory_summary()").then((r) => r.rows);
    expect(all.map((r) => [r.location_name, r.item_name, r.on_hand, r.is_below_threshold])).toEqual([
      ["Main store", "CAKE stock", 9, false],
      ["Main store", "MUG stock", 0, true],
      ["Shop 2 (America/New_York)", "CAKE stock", -3, true],
      ["Shop 2 (America/New_York)", "MUG stock", 4, false],
    ]);
    const low = await shop.manager.query("select * from reporting.inventory_summary($1, true)", [shop.locations[0]]).then((r) => r.rows);
    expect(low.map((r) => r.item_name)).toEqual(["MUG stock"]);
  });

  it("is the inventory module's: on a plan without it, NOMOD, no stock export, and the dashboard counts no low stock", async () => {
    const starter = await openReportingShop(db, { items: [{ sku: "CUP", price: 100 }] });
    await db.owner.query("update app_public.billing_subscriptions set plan_key = 'starter' where tenant_id = $1", [starter.tenantId]);
    expect(await sqlState(() => starter.manager.query("select * from reporting.inventory_summary()"))).toBe("NOMOD");
    expect(await sqlState(() => starter.manager.query("select * from reporting.request_export('inventory', '{}')"))).toBe("NOMOD");
    expect((await starter.manager.query("select low_stock_count from reporting.dashboard_metrics()")).rows).toEqual([{ low_stock_count: 0 }]);
    expect((await starter.manager.query("select app_public.current_plan_modules() as m")).rows[0].m).not.toContain("inventory");
    expect((await shop.cashier.query("select app_public.current_plan_modules() as m")).rows[0].m).toContain("inventory");
  });
});

describe("dashboard_metrics", () => {
  it("today's sales and orders in each location's own time zone, low stock, and customers active in 30 days", async () => {
    // Two shops a day apart at any instant: UTC+14 and UTC−11.
    const s = await openReportingShop(db, {
      timezone: "Pacific/Kiritimati",
      extraTimezones: ["Pacific/Pago_Pago"],
      items: [{ sku: "A", price: 1000, stock: 1 }, { sku: "B", price: 100, stock: 50 }],
    });
    const [east, west] = s.locations;
    const midnight = async (tz: string) =>
      (await db.owner.query("select (date_trunc('day', now() at time zone $1) at time zone $1) as t", [tz])).rows[0].t as Date;
    const minutes = (d: Date, m: number) => new Date(d.getTime() + m * 60_000).toISOString();
    const ann = await createCustomer(s.cashier, "Ann");
    const bob = await createCustomer(s.cashier, "Bob");
    const cid = await createCustomer(s.cashier, "Cid");
    const dee = await createCustomer(s.cashier, "Dee");
    for (const [loc, tz] of [[east, "Pacific/Kiritimati"], [west, "Pacific/Pago_Pago"]] as const) {
      const m = await midnight(tz);
      // Just after the location's midnight: today. Just before: yesterday.
      const o = await placeOrder(s.owner, loc, [line(s.item.A)], { placedAt: minutes(m, 1), customerId: ann.id });
      await tender(s.cashier, o.id, "card", 1000);
      await placeOrder(s.owner, loc, [line(s.item.B)], { placedAt: minutes(m, -1) });
    }
    // Sold today, then voided today: a sale and a refund, which take each other out of net sales.
    const v = await placeOrder(s.cashier, east, [line(s.item.B, 5)], { customerId: cid.id });
    await voidOrder(s.manager, v.id);
    await placeOrder(s.owner, west, [line(s.item.B)], { placedAt: new Date(Date.now() - 10 * 86400_000).toISOString(), customerId: bob.id });
    await placeOrder(s.owner, west, [line(s.item.B)], { placedAt: new Date(Date.now() - 40 * 86400_000).toISOString(), customerId: dee.id });

    const { rows } = await s.manager.query("select * from reporting.dashboard_metrics()");
    // Sales today: one A at each shop, and the voided one (net 0). Low stock (at or below 2): A at both shops (0 and −1) and B at the second
    // (−3: its stock was received at the first); B at the first has 49. Active: Ann and Bob (Cid's order was voided,
    // Dee's is 40 days old). Nothing was sold on the same weekday a week ago: no change in percent
    // (test/db/reporting/dashboard-week-ago.test.ts compares the two days).
    expect(rows[0]).toEqual({
      sales_today: "2000", orders_today: "3", low_stock_count: 3, active_customers_30d: 2,
      average_today: "667", sales_week_ago: "0", orders_week_ago: "0", average_week_ago: "0",
      sales_change_percent: null, orders_change_percent: null, average_change_percent: null, currency: "USD",
    });
    expect(await sqlState(() => s.cashier.query("select * from reporting.dashboard_metrics()"))).toBe("DNIED");
  });
});

function fmt(d: Date | string): string {
  if (typeof d === "string") return d;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
