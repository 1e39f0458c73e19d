// The reporting consumers (reporting_sales, reporting_customers): each event type moves its read model by exactly what it should (tests
// 1–4 of the issue), on the business date of the location and, for voids, of the day of the refund;
// the same event applied twice counts once (test 5); customer activity follows renames and merges.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.ts";
import { customersWithStats } from "../customers/helpers.ts";
import {
  createCustomer, fold, groundTruth, holdFoldLock, line, mergeCustomers, openReportingShop, placeOrder, queued, readModels,
  readModelsAsTruth, recordMovement, renameCustomer, tender, voidOrder, type ReportingShop,
} from "./helpers.ts";

let db: TestDatabase;
let shop: ReportingShop;
beforeAll(async () => {
  db = await createTestDatabase();
  // 10% tax; the main shop in Paris, a second one in Los Angeles.
  shop = await openReportingShop(db, {
    taxRateBps: 1000,
    timezone: "Europe/Paris",
    extraTimezones: ["America/Los_Angeles"],
    items: [
      { sku: "BAGEL", name: "Bagel", price: 250, stock: 20 },
      { sku: "COFFEE", name: "Coffee", price: 300 },
    ],
  });
});
afterAll(() => db?.drop());

const daily = async (locationId: string, date: string) =>
  (await readModels(db, shop.tenantId)).daily.find((r) => r.location_id === locationId && r.business_date === date);
const items = async (locationId: string, date: string) =>
  (await readModels(db, shop.tenantId)).items.filter((r) => r.location_id === locationId && r.business_date === date);

describe("order.placed.v1", () => {
  it("adds the order to the daily sales and items of the location's business date (not the UTC date)", async () => {
    // 2025-03-10 06:30 UTC is still 2025-03-09 in Los Angeles and already the 10th in Paris.
    const la = shop.locations[1];
    await placeOrder(shop.owner, la, [line(shop.item.BAGEL, 2, 50), line(shop.item.COFFEE)], { placedAt: "2025-03-10T06:30:00Z", discount: 100 });
    expect(await queued(db, shop.tenantId)).toBe(0); // folded at commit
    // subtotal 800; discounts 50 on the bagels + 100 on the order (60 + 40) = 150; tax per line 39 + 26 = 65.
    expect(await daily(la, "2025-03-09")).toEqual({
      location_id: la, business_date: "2025-03-09", order_count: 1, gross_sales: 800, discount_total: 150, tax_total: 65,
      net_sales: 650, tender_cash: 0, tender_card: 0, refund_count: 0, refund_total: 0, total_collected: 715, avg_order_value: 650,
    });
    expect(await daily(la, "2025-03-10")).toBeUndefined();
    const rows = await items(la, "2025-03-09");
    expect(rows.map((r) => [r.catalog_item_name, r.quantity_sold, r.gross_revenue, r.net_revenue]).sort()).toEqual([
      ["Bagel", 2, 500, 390], // 500 − 50 line discount − 60 share of the order discount
      ["Coffee", 1, 300, 260], // 300 − 40 share
    ]);
    expect(rows.reduce((s, r) => s + r.net_revenue, 0)).toBe(650);

    const paris = shop.locations[0];
    await placeOrder(shop.owner, paris, [line(shop.item.COFFEE, 3)], { placedAt: "2025-03-10T06:30:00Z" });
    expect(await daily(paris, "2025-03-10")).toMatchObject({ order_count: 1, gross_sales: 900, tax_total: 90, net_sales: 900, total_collected: 990, avg_order_value: 900 });
  });

  it("average order value is net sales (tax excluded) over the day's sales, rounded half up to the cent", async () => {
    const la = shop.locations[1];
    // A second order that day: 1 coffee, 300 + 30 tax. (650 + 300) / 2 = 475; one more of 275: (950 + 275) / 3 = 408.33 → 408.
    await placeOrder(shop.owner, la, [line(shop.item.COFFEE)], { placedAt: "2025-03-10T05:00:00Z" });
    expect(await daily(la, "2025-03-09")).toMatchObject({ order_count: 2, net_sales: 950, total_collected: 1045, avg_order_value: 475 });
    await placeOrder(shop.owner, la, [line(shop.item.COFFEE, 1, 25)], { placedAt: "2025-03-10T05:10:00Z" }); // 275 + 28 tax
    expect(await daily(la, "2025-03-09")).toMatchObject({ order_count: 3, net_sales: 1225, avg_order_value: 408 });
  });
});

describe("order.voided.v1", () => {
  it("is a refund on the day of the void: net sales, tax and the card total go down that day, the sale's day keeps its sale", async () => {
    const paris = shop.locations[0];
    const order = await placeOrder(shop.owner, paris, [line(shop.item.BAGEL, 3)], { placedAt: "2025-03-01T12:00:00Z" });
    await tender(shop.cashier, order.id, "card", 825);
    const before = await daily(paris, "2025-03-01");
    expect(before).toMatchObject({ order_count: 1, gross_sales: 750, tax_total: 75, net_sales: 750, total_collected: 825, tender_card: 825 });

    await voidOrder(shop.manager, order.id, "Customer changed their mind");
    expect(await daily(paris, "2025-03-01")).toEqual(before);
    const today = (await shop.owner.query("select app_hidden.business_date(now(), 'Europe/Paris')::text as d")).rows[0].d;
    expect(await daily(paris, today)).toMatchObject({
      order_count: 0, gross_sales: 0, discount_total: 0, refund_count: 1, refund_total: 750, tax_total: -75, net_sales: -750,
      total_collected: -825, tender_card: -825, tender_cash: 0, avg_order_value: 0,
    });
    // The card payment went back to the card, recorded with the reason of the void.
    const { rows: back } = await shop.owner.query(
      "select type, amount, reason, business_date::text from app_public.refund_tenders where order_id = $1", [order.id]);
    expect(back).toEqual([{ type: "card", amount: 825, reason: "Customer changed their mind", business_date: today }]);
    expect((await items(paris, "2025-03-01"))[0]).toMatchObject({ catalog_item_name: "Bagel", quantity_sold: 3, gross_revenue: 750, net_revenue: 750 });
    expect((await items(paris, today))[0]).toMatchObject({ catalog_item_name: "Bagel", quantity_sold: -3, gross_revenue: 0, net_revenue: -750 });
  });

  it("hands back cash and card the way they were paid, change excluded", async () => {
    const paris = shop.locations[0];
    const today = (await shop.owner.query("select app_hidden.business_date(now(), 'Europe/Paris')::text as d")).rows[0].d;
    const start = (await daily(paris, today))!;
    const split = await placeOrder(shop.cashier, paris, [line(shop.item.COFFEE, 2)], { open: true }); // 660
    await tender(shop.cashier, split.id, "card", 200);
    await tender(shop.cashier, split.id, "cash", 500); // 460 due: 40 change; paid in full, a sale
    await voidOrder(shop.manager, split.id);
    const { rows: back } = await shop.owner.query(
      "select type, amount from app_public.refund_tenders where order_id = $1 order by type", [split.id]);
    expect(back).toEqual([{ type: "card", amount: 200 }, { type: "cash", amount: 460 }]);
    // Sold and refunded the same day: the sale stays in gross, the refund takes it out of net; the till nets to zero.
    expect(await daily(paris, today)).toMatchObject({
      order_count: start.order_count + 1, gross_sales: start.gross_sales + 600, refund_count: start.refund_count + 1,
      refund_total: start.refund_total + 600, net_sales: start.net_sales, tax_total: start.tax_total,
      tender_cash: start.tender_cash, tender_card: start.tender_card,
    });
  });
});

describe("item names", () => {
  it("a day with only refunds of an item sold under two names has the same name whether folded one by one or rebuilt", async () => {
    const la = shop.locations[1];
    const before = await placeOrder(shop.owner, la, [line(shop.item.BAGEL)], { placedAt: "2025-01-15T20:00:00Z" });
    await shop.owner.query("update app_public.catalog_items set name = 'Bagel*' where id = $1", [shop.item.BAGEL]);
    const after = await placeOrder(shop.owner, la, [line(shop.item.BAGEL)], { placedAt: "2025-01-15T21:00:00Z" });
    await shop.owner.query("update app_public.catalog_items set name = 'Bagel' where id = $1", [shop.item.BAGEL]);
    // Voided today in this order, each folded at its commit: the later name reaches the refund day first.
    await voidOrder(shop.manager, after.id);
    await voidOrder(shop.manager, before.id);
    const today = (await shop.owner.query("select app_hidden.business_date(now(), 'America/Los_Angeles')::text as d")).rows[0].d;
    const folded = await items(la, today);
    expect(folded.find((r) => r.catalog_item_id === shop.item.BAGEL)).toMatchObject({ catalog_item_name: "Bagel", quantity_sold: -2 });
    await db.owner.query("select reporting.rebuild($1)", [shop.tenantId]);
    expect(await items(la, today)).toEqual(folded);
  });
});

describe("order.cancelled.v1", () => {
  it("an open order is no sale; cancelled, it hands back what was paid on it and leaves the sales as they were", async () => {
    const paris = shop.locations[0];
    const today = (await shop.owner.query("select app_hidden.business_date(now(), 'Europe/Paris')::text as d")).rows[0].d;
    const start = (await daily(paris, today))!;
    const abandoned = await placeOrder(shop.cashier, paris, [line(shop.item.BAGEL, 2)], { open: true }); // 550
    await tender(shop.cashier, abandoned.id, "cash", 200); // part paid, then the customer walks away
    // The cash is in the drawer; nothing is sold yet.
    expect(await daily(paris, today)).toMatchObject({
      order_count: start.order_count, gross_sales: start.gross_sales, net_sales: start.net_sales, tender_cash: start.tender_cash + 200,
    });
    const cancelled = (await shop.cashier.query("select * from app_public.cancel_order($1, 'Customer left')", [abandoned.id])).rows[0];
    expect(cancelled).toMatchObject({ status: "cancelled", cancel_reason: "Customer left", placed_at: null, business_date: null });
    const { rows: back } = await shop.owner.query("select type, amount, reason from app_public.refund_tenders where order_id = $1", [abandoned.id]);
    expect(back).toEqual([{ type: "cash", amount: 200, reason: "Customer left" }]);
    expect(await daily(paris, today)).toMatchObject({
      order_count: start.order_count, gross_sales: start.gross_sales, refund_count: start.refund_count, net_sales: start.net_sales,
      tax_total: start.tax_total, tender_cash: start.tender_cash, tender_card: start.tender_card,
    });
    // It took no stock and sold no item.
    const { rows: moved } = await shop.owner.query("select count(*)::int as n from app_public.inventory_movements where order_id = $1", [abandoned.id]);
    expect(moved[0].n).toBe(0);
    const { rows: sold } = await db.owner.query(
      "select count(*)::int as n from app_private.events where aggregate_id = $1 and type = 'order.placed.v1'", [abandoned.id]);
    expect(sold[0].n).toBe(0);
  });
});

describe("tender.recorded.v1", () => {
  it("adds what went towards the order (cash minus change) to the order's business date, by type", async () => {
    const la = shop.locations[1];
    const order = await placeOrder(shop.owner, la, [line(shop.item.COFFEE, 2)], { placedAt: "2025-02-01T20:00:00Z" }); // 660
    await tender(shop.cashier, order.id, "card", 160);
    await tender(shop.cashier, order.id, "cash", 1000); // 500 due: 500 change
    expect(await daily(la, "2025-02-01")).toMatchObject({ tender_card: 160, tender_cash: 500, net_sales: 600, total_collected: 660 });
  });
});

describe("inventory.movement.created.v1", () => {
  it("keeps on-hand per location and item, sales and their voids included, with the below-threshold flag", async () => {
    const paris = shop.locations[0];
    const la = shop.locations[1];
    const stockOf = async (loc: string) =>
      (await readModels(db, shop.tenantId)).stock.find((r) => r.location_id === loc && r.inventory_item_id === shop.stock.BAGEL);
    const start = (await stockOf(paris))!.on_hand;
    await recordMovement(shop.manager, paris, shop.stock.BAGEL, 5, "receive");
    expect(await stockOf(paris)).toMatchObject({ item_name: "BAGEL stock", on_hand: start + 5, low_stock_threshold: 2, is_below_threshold: false });
    // Los Angeles sold 2 bagels in the first test: on hand −2 (sales may go below zero).
    expect(await stockOf(la)).toMatchObject({ on_hand: -2, is_below_threshold: true });
    await recordMovement(shop.manager, la, shop.stock.BAGEL, 7, "receive");
    expect(await stockOf(la)).toMatchObject({ on_hand: 5, is_below_threshold: false });
    const order = await placeOrder(shop.cashier, la, [line(shop.item.BAGEL, 3)]);
    expect(await stockOf(la)).toMatchObject({ on_hand: 2, is_below_threshold: true }); // at the threshold is low
    await voidOrder(shop.manager, order.id);
    expect(await stockOf(la)).toMatchObject({ on_hand: 5, is_below_threshold: false });
    await recordMovement(shop.manager, la, shop.stock.BAGEL, -3, "waste");
    expect(await stockOf(la)).toMatchObject({ on_hand: 2, is_below_threshold: true });
  });

  it("follows the inventory item's name and threshold when they change", async () => {
    await shop.manager.query("update app_public.inventory_items set name = 'Bagels (plain)', low_stock_threshold = 1 where id = $1", [shop.stock.BAGEL]);
    const rows = (await readModels(db, shop.tenantId)).stock.filter((r) => r.inventory_item_id === shop.stock.BAGEL);
    expect(rows.length).toBe(2);
    for (const r of rows) expect(r).toMatchObject({ item_name: "Bagels (plain)", low_stock_threshold: 1 });
    expect(rows.find((r) => r.location_id === shop.locations[1])).toMatchObject({ on_hand: 2, is_below_threshold: false });
  });
});

describe("customer events", () => {
  it("customer activity counts visits and spend, follows renames, and a void of the latest visit falls back to the one before", async () => {
    const ann = await createCustomer(shop.cashier, "Ann", "Lee");
    const activity = async (id: string) => (await readModels(db, shop.tenantId)).customers.find((c) => c.customer_id === id);
    expect(await activity(ann.id)).toMatchObject({ customer_name: "Ann Lee", total_visits: 0, total_spend: 0, last_visit_at: null });

    const first = await placeOrder(shop.owner, shop.locationId, [line(shop.item.COFFEE)], { customerId: ann.id, placedAt: "2025-01-05T10:00:00Z" });
    const second = await placeOrder(shop.owner, shop.locationId, [line(shop.item.BAGEL)], { customerId: ann.id, placedAt: "2025-01-07T10:00:00Z" });
    expect(await activity(ann.id)).toMatchObject({ total_visits: 2, total_spend: 330 + 275, last_visit_at: new Date("2025-01-07T10:00:00Z") });

    await renameCustomer(shop.manager, ann.id, "Annie");
    expect(await activity(ann.id)).toMatchObject({ customer_name: "Annie Lee" });

    await voidOrder(shop.manager, second.id);
    expect(await activity(ann.id)).toMatchObject({ total_visits: 1, total_spend: 330, last_visit_at: new Date("2025-01-05T10:00:00Z") });
    await voidOrder(shop.manager, first.id);
    expect(await activity(ann.id)).toMatchObject({ total_visits: 0, total_spend: 0, last_visit_at: null });
  });

  it("a merge moves the duplicate's activity to the primary, and later orders or voids of the duplicate count there", async () => {
    const primary = await createCustomer(shop.cashier, "Bob", "Stone");
    const duplicate = await createCustomer(shop.cashier, "Bobby");
    const earlier = await createCustomer(shop.cashier, "Robert");
    await placeOrder(shop.owner, shop.locationId, [line(shop.item.COFFEE)], { customerId: primary.id, placedAt: "2025-01-02T10:00:00Z" });
    const dupOrder = await placeOrder(shop.owner, shop.locationId, [line(shop.item.COFFEE, 2)], { customerId: duplicate.id, placedAt: "2025-01-09T10:00:00Z" });
    await placeOrder(shop.owner, shop.locationId, [line(shop.item.BAGEL)], { customerId: earlier.id, placedAt: "2025-01-03T10:00:00Z" });
    await mergeCustomers(shop.manager, duplicate.id, earlier.id); // Robert → Bobby
    await mergeCustomers(shop.manager, primary.id, duplicate.id); // Bobby (with Robert) → Bob

    const rows = (await readModels(db, shop.tenantId)).customers;
    const find = (id: string) => rows.find((c) => c.customer_id === id)!;
    expect(find(primary.id)).toMatchObject({ total_visits: 3, total_spend: 330 + 660 + 275, last_visit_at: new Date("2025-01-09T10:00:00Z"), merged_into_id: null });
    expect(find(duplicate.id)).toMatchObject({ total_visits: 0, total_spend: 0, merged_into_id: primary.id });
    expect(find(earlier.id)).toMatchObject({ total_visits: 0, merged_into_id: primary.id });

    // An order naming the merged customer counts for the primary; voiding the moved order too.
    await placeOrder(shop.owner, shop.locationId, [line(shop.item.COFFEE)], { customerId: earlier.id, placedAt: "2025-01-04T10:00:00Z" });
    await voidOrder(shop.manager, dupOrder.id);
    const after = (await readModels(db, shop.tenantId)).customers.find((c) => c.customer_id === primary.id);
    expect(after).toMatchObject({ total_visits: 3, total_spend: 330 + 275 + 330, last_visit_at: new Date("2025-01-04T10:00:00Z") });
    // The read model agrees with the customer counters of the customers module.
    const counters = (await db.owner.query(`select total_visits, total_spend::int, last_visit_at from ${customersWithStats} x where id = $1`, [primary.id])).rows[0];
    expect(counters).toEqual({ total_visits: after!.total_visits, total_spend: after!.total_spend, last_visit_at: after!.last_visit_at });
  });
});

describe("at most once", () => {
  it("the same event dispatched or replayed again changes nothing (processed_events)", async () => {
    const order = await placeOrder(shop.owner, shop.locationId, [line(shop.item.COFFEE)], { placedAt: "2025-04-01T10:00:00Z" });
    const before = await readModels(db, shop.tenantId);
    const { rows } = await db.owner.query(
      "select app_private.dispatch(e) as n from app_private.events e where e.tenant_id = $1 and e.aggregate_id = $2 and e.type = 'order.placed.v1'",
      [shop.tenantId, order.id],
    );
    expect(rows).toEqual([{ n: 0 }]);
    const replayed = await db.owner.query(
      "select app_private.replay('reporting_sales', $1) as sales, app_private.replay('reporting_customers', $1) as customers",
      [shop.tenantId],
    );
    expect(replayed.rows[0]).toEqual({ sales: 0, customers: 0 });
    await fold(db, shop.tenantId);
    expect(await readModels(db, shop.tenantId)).toEqual(before);
    const processed = await db.owner.query(
      `select consumer, count(*)::int as n from app_private.processed_events p join app_private.events e on e.tenant_id = p.tenant_id and e.id = p.event_id
       where e.aggregate_id = $1 and consumer like 'reporting%' group by consumer order by consumer`,
      [order.id],
    );
    expect(processed.rows).toEqual([{ consumer: "reporting_customers", n: 1 }, { consumer: "reporting_sales", n: 1 }]);
  });

  it("two folds racing over the same queue apply each queued event once", async () => {
    const lock = await holdFoldLock(db, shop.tenantId);
    try {
      for (let i = 0; i < 3; i++) {
        await placeOrder(shop.cashier, shop.locationId, [line(shop.item.COFFEE, i + 1)]);
      }
    } finally {
      await lock.release();
    }
    // Each sale queues its card tender and the order (no stocked item).
    expect(await queued(db, shop.tenantId)).toBe(6);
    const folds = await Promise.all([0, 1].map(async () => {
      const c = new pg.Client(db.ownerUrl);
      await c.connect();
      try {
        return (await c.query("select app_private.reporting_fold($1) as n", [shop.tenantId])).rows[0].n as number;
      } finally {
        await c.end();
      }
    }));
    expect(folds.reduce((a, b) => a + b, 0)).toBe(6);
    expect(await queued(db, shop.tenantId)).toBe(0);
    expect(await readModelsAsTruth(db, shop.tenantId)).toEqual(await groundTruth(db, shop.tenantId));
  });
});
