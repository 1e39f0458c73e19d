// Square's sales definitions (db/REPORTING.md, "Sales definitions"), one day of a shop that a
// person could reconcile by hand: two sales, a split-paid sale voided with its cash and card handed
// back, a sale of two coffees by card with one coffee refunded to the card, a charge abandoned after part of it was paid (cancelled: its cash handed back) and one
// left open. Every reader — the admin's daily sales, the folded read model,
// the dashboard, the CSV export and the analysts' view — gives the same figures, and they equal
// what the sales tables say (orders, tenders, refund tenders); the day's cash is what the cash
// drawer gained.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.ts";
import { testRootUrl } from "../../helpers/env.ts";
import { fold, groundTruth, line, openReportingShop, placeOrder, tender, voidOrder, type ReportingShop } from "./helpers.ts";

let db: TestDatabase;
let shop: ReportingShop;
let today: string;
let analystRole: string | undefined;

// The day, in cents: what each definition must come to.
const expected = {
  order_count: 4, // every sale made today, the voided one included (its refund is counted apart); open and cancelled orders are no sale
  gross_sales: 2400, // 600 + 450 + 750 + 600
  discount_total: 50,
  refund_count: 2, // the void and the refund of one coffee
  refund_total: 1050, // 750 + 300: after discounts, before tax
  net_sales: 1300, // 2400 − 50 − 1050
  tax_total: 130, // 60 + 40 + 75 − 75 + 60 − 30
  total_collected: 1430, // net sales + tax
  tender_cash: 660, // 660 taken (1000 handed over, 340 change) + 525 − 525 handed back + 200 − 200 handed back
  tender_card: 770, // 440 + 300 − 300 refunded to the card + 660 − 330 refunded to the card
  avg_order_value: 325, // 1300 / 4
};
let ann: string;
let drawerId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  shop = await openReportingShop(db, {
    taxRateBps: 1000,
    timezone: "Europe/Paris",
    items: [
      { sku: "COFFEE", name: "Coffee", price: 300 },
      { sku: "CAKE", name: "Cake", price: 450, stock: 10 },
    ],
  });
  const { cashier, manager, locationId: here, item } = shop;
  ann = (await cashier.query("select id from app_public.create_customer(first_name => 'Ann')")).rows[0].id;
  // The drawer is opened with 50.00 before the first sale.
  drawerId = (await cashier.query("select id from app_public.open_cash_drawer($1, 5000)", [here])).rows[0].id;
  const open = { open: true }; // payments taken here, as the till takes them
  const a = await placeOrder(cashier, here, [line(item.COFFEE, 2)], { ...open, customerId: ann }); // 600 + 60 tax = 660
  await tender(cashier, a.id, "cash", 1000); // 340 change
  const b = await placeOrder(cashier, here, [line(item.CAKE, 1, 50)], open); // 400 + 40 = 440
  await tender(cashier, b.id, "card", 440);
  const c = await placeOrder(cashier, here, [line(item.COFFEE), line(item.CAKE)], open); // 750 + 75 = 825
  await tender(cashier, c.id, "card", 300);
  await tender(cashier, c.id, "cash", 525);
  await voidOrder(manager, c.id, "Rung up twice");
  // Two coffees for Ann by card; one comes back: 300 + 30 tax refunded to the card.
  const e = await placeOrder(cashier, here, [line(item.COFFEE, 2)], { ...open, customerId: ann }); // 660
  await tender(cashier, e.id, "card", 660);
  const coffees = (await manager.query("select id from app_public.order_lines where order_id = $1", [e.id])).rows[0].id;
  await manager.query("select app_public.refund_order_lines($1, $2::jsonb, 'Too much coffee')", [
    e.id, JSON.stringify([{ order_line_id: coffees, quantity: 1 }])]);
  // Abandoned charges: one part-paid then cancelled, one left open; both for Ann, whose only visit is the first sale.
  const d = await placeOrder(cashier, here, [line(item.COFFEE)], { ...open, customerId: ann }); // 330
  await tender(cashier, d.id, "cash", 200);
  await cashier.query("select app_public.cancel_order($1, 'Customer left')", [d.id]);
  await placeOrder(cashier, here, [line(item.CAKE, 2)], { ...open, customerId: ann });
  today = (await db.owner.query("select app_hidden.business_date(now(), 'Europe/Paris')::text as d")).rows[0].d;
});

afterAll(async () => {
  if (analystRole) {
    const root = new pg.Client(testRootUrl);
    await root.connect();
    await root.query(`drop role if exists "${analystRole.replace(/"/g, '""')}"`).finally(() => root.end());
  }
  await db?.drop();
});

const cents = (row: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, Number(row[k])]));
const FIGURES = Object.keys(expected);

describe("sales definitions", () => {
  it("the day's cash is what the drawer gained: closed with float + cash, it balances", async () => {
    const closed = (await shop.cashier.query("select * from app_public.close_cash_drawer($1, $2)", [drawerId, 5000 + expected.tender_cash])).rows[0];
    expect(closed).toMatchObject({ expected: 5000 + expected.tender_cash, counted: 5660, difference: 0 });
  });

  it("the sales tables give the day's figures; cash and card add up to the total collected", async () => {
    const truth = (await groundTruth(db, shop.tenantId)).daily.find((r) => r.business_date === today)!;
    expect(cents(truth, FIGURES)).toEqual(expected);
    expect(expected.tender_cash + expected.tender_card).toBe(expected.total_collected);
    // The money handed back is recorded per tender type, with the void's reason.
    const { rows } = await shop.owner.query("select type, amount, reason from app_public.refund_tenders order by type, amount");
    expect(rows).toEqual([
      { type: "card", amount: 300, reason: "Rung up twice" },
      { type: "card", amount: 330, reason: "Too much coffee" },
      { type: "cash", amount: 200, reason: "Customer left" },
      { type: "cash", amount: 525, reason: "Rung up twice" },
    ]);
  });

  it("the customer's visits count only the completed sales, not the abandoned charges; a refund lowers the spend, not the visits", async () => {
    const { rows } = await db.owner.query("select visits, spend::int from app_public.customer_stats where customer_id = $1", [ann]);
    expect(rows).toEqual([{ visits: 2, spend: 660 + 660 - 330 }]);
    const { rows: activity } = await db.owner.query(
      "select total_visits, total_spend::int from reporting.rm_customer_activity where customer_id = $1", [ann]);
    expect(activity).toEqual([{ total_visits: 2, total_spend: 990 }]);
  });

  it("the admin's daily sales and the folded read model say the same", async () => {
    const [admin] = (await shop.manager.query("select * from reporting.daily_sales($1, $1)", [today])).rows;
    expect(cents(admin, FIGURES)).toEqual(expected);
    await fold(db, shop.tenantId);
    const { rows } = await db.owner.query(
      "select * from reporting.rm_daily_sales where tenant_id = $1 and business_date = $2", [shop.tenantId, today]);
    expect(cents(rows[0], FIGURES)).toEqual(expected);
  });

  it("the dashboard shows today's net sales and sales", async () => {
    const { rows } = await shop.manager.query("select * from reporting.dashboard_metrics()");
    expect([Number(rows[0].sales_today), Number(rows[0].orders_today)]).toEqual([expected.net_sales, expected.order_count]);
  });

  it("items add up to the same net sales: units and net revenue net of refunds, gross with the sales", async () => {
    const { rows } = await shop.manager.query("select * from reporting.item_sales($1, $1)", [today]);
    expect(rows.map((r) => [r.catalog_item_name, Number(r.quantity_sold), Number(r.gross_revenue), Number(r.net_revenue)])).toEqual([
      ["Coffee", 3, 1500, 900], // 5 sold, 1 voided, 1 refunded
      ["Cake", 1, 900, 400], // 2 sold (one with 50 off), 1 refunded
    ]);
    expect(rows.reduce((s, r) => s + Number(r.net_revenue), 0)).toBe(expected.net_sales);
    expect(rows.reduce((s, r) => s + Number(r.gross_revenue), 0)).toBe(expected.gross_sales);
  });

  it("the CSV export writes the same figures in dollars", async () => {
    const params = { from: today, to: today, location_id: shop.locationId };
    const { rows: q } = await db.owner.query("select app_private.export_query($1, 'daily_sales', $2::jsonb) as sql", [
      shop.tenantId, JSON.stringify(params)]);
    const [row] = (await db.owner.query(q[0].sql)).rows;
    expect({
      orders: Number(row.orders), gross: row.gross_sales, discounts: row.discounts, refunds: Number(row.refunds), refunded: row.refunded,
      net: row.net_sales, tax: row.tax, collected: row.total_collected, cash: row.cash, card: row.card, average: row.avg_order_value,
    }).toEqual({
      orders: 4, gross: "24.00", discounts: "0.50", refunds: 2, refunded: "10.50", net: "13.00", tax: "1.30", collected: "14.30",
      cash: "6.60", card: "7.70", average: "3.25",
    });
  });

  it("the analysts' view says the same", async () => {
    const { rows: login } = await shop.owner.query("select * from reporting.create_analyst_login('definitions')");
    analystRole = login[0].username;
    const url = new URL(testRootUrl);
    const analyst = new pg.Client({
      host: url.hostname, port: Number(url.port || 5432), user: login[0].username, password: login[0].password, database: login[0].database_name,
    });
    await analyst.connect();
    try {
      const { rows } = await analyst.query("select * from reporting.sales_by_day where business_date = $1", [today]);
      expect(rows).toHaveLength(1);
      const r = rows[0];
      expect({
        orders: Number(r.orders), gross: r.gross_sales, discounts: r.discounts, refunds: Number(r.refunds), refunded: r.refunded,
        net: r.net_sales, tax: r.tax, collected: r.total_collected, cash: r.cash, card: r.card, average: r.avg_order_value, currency: r.currency,
      }).toEqual({
        orders: 4, gross: "24.00", discounts: "0.50", refunds: 2, refunded: "10.50", net: "13.00", tax: "1.30", collected: "14.30",
        cash: "6.60", card: "7.70", average: "3.25", currency: "USD",
      });
    } finally {
      await analyst.end();
    }
  });
});
