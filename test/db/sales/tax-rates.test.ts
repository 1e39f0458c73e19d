// Tax rates per location (sales/305-tax-rates.sql): a location charges its own rate or the
// business's default; a rate included in prices is the part of the shelf amount that is tax, and
// the line is kept without it (sales/320-orders.sql); refunds of such a line add up to it; a sale
// keeps the rate it was priced with when the rate changes or goes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sqlState, type TestDatabase } from "../../helpers/db.ts";
import { line, openShop, orderLines, placeOrder, type Shop } from "./shop.ts";

let db: TestDatabase;
let shop: Shop;
let market: string;
beforeAll(async () => {
  db = await createTestDatabase();
  shop = await openShop(db, { taxRateBps: 825, items: [{ sku: "LATTE", price: 475 }, { sku: "MUFFIN", price: 325 }] });
  market = (await shop.owner.query("insert into app_public.locations (name, timezone) values ('Market', 'Europe/Paris') returning id")).rows[0].id;
});
afterAll(() => db?.drop());

const createRate = (name: string, rateBps: number, inclusive = false) =>
  shop.owner.query("select * from app_public.create_tax_rate($1, $2, $3)", [name, rateBps, inclusive]).then((r) => r.rows[0]);
const setRate = (locationId: string, rateId: string | null) =>
  shop.owner.query("select * from app_public.set_location_tax_rate($1, $2)", [locationId, rateId]).then((r) => r.rows[0]);
const quote = (lines: unknown, discount = 0, locationId: string | null = null) =>
  shop.cashier.query("select * from app_public.quote_order($1::jsonb, $2, $3)", [JSON.stringify(lines), discount, locationId]).then((r) => r.rows[0]);

describe("managing rates", () => {
  it("only settings.update changes rates; names are unique ignoring case; the rate is 0–100%", async () => {
    for (const member of [shop.cashier, shop.manager]) {
      expect(await sqlState(() => member.query("select app_public.create_tax_rate('City tax', 450)"))).toBe("DNIED");
    }
    const city = await createRate("  City tax ", 450);
    expect(city).toMatchObject({ name: "City tax", rate_bps: 450, inclusive: false });
    expect(await sqlState(() => createRate("city TAX", 500))).toBe("DUPLI");
    expect(await sqlState(() => createRate("Too much", 10001))).toBe("BADIN");
    expect(await sqlState(() => createRate(" ", 100))).toBe("BADIN");
    expect(await sqlState(() => shop.cashier.query("select app_public.set_location_tax_rate($1, $2)", [market, city.id]))).toBe("DNIED");
    await shop.owner.query("select app_public.delete_tax_rate($1)", [city.id]);
  });

  it("a change that leaves out whether prices include the rate keeps what it was", async () => {
    const vat = await createRate("Kept VAT", 2000, true);
    const changed = (await shop.owner.query("select * from app_public.update_tax_rate($1, 'Kept VAT', 2100, null)", [vat.id])).rows[0];
    expect(changed).toMatchObject({ rate_bps: 2100, inclusive: true });
    await shop.owner.query("select app_public.delete_tax_rate($1)", [vat.id]);
  });

  it("a location names only a rate of its own business", async () => {
    const other = await db.onboard();
    const theirs = (await other.query("select * from app_public.create_tax_rate('Theirs', 1000)")).rows[0];
    expect(await sqlState(() => setRate(market, theirs.id))).toBe("NOTFD");
  });
});

describe("pricing with the location's rate", () => {
  it("a location with no rate charges the business's default, added to prices", async () => {
    const q = await quote([line(shop.item.LATTE, 2)], 0, shop.locationId);
    expect(q).toMatchObject({ subtotal: 950, tax_rate_bps: 825, tax_name: "Tax", tax_inclusive: false, tax_total: 78, total: 1028 });
  });

  it("a location's own rate prices its orders; the other location keeps the default", async () => {
    const rate = await createRate("Market tax", 1000);
    await setRate(market, rate.id);
    const q = await quote([line(shop.item.LATTE, 2)], 0, market);
    expect(q).toMatchObject({ subtotal: 950, tax_rate_bps: 1000, tax_name: "Market tax", tax_total: 95, total: 1045 });
    const sold = await placeOrder(shop.cashier, market, [line(shop.item.LATTE, 2)]);
    expect(sold).toMatchObject({ tax_rate_bps: 1000, tax_name: "Market tax", tax_inclusive: false, tax_total: 95, total: 1045, status: "placed" });
    const home = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.LATTE, 2)]);
    expect(home).toMatchObject({ tax_rate_bps: 825, tax_name: "Tax", total: 1028 });

    // Changing the rate prices new orders only; deleting it gives the location the default again.
    await shop.owner.query("select app_public.update_tax_rate($1, 'Market tax', 500, false)", [rate.id]);
    expect((await quote([line(shop.item.LATTE, 2)], 0, market)).total).toBe(998);
    await shop.owner.query("select app_public.delete_tax_rate($1)", [rate.id]);
    const loc = (await shop.owner.query("select tax_rate_id from app_public.locations where id = $1", [market])).rows[0];
    expect(loc.tax_rate_id).toBeNull();
    expect((await quote([line(shop.item.LATTE, 2)], 0, market)).total).toBe(1028);
    const kept = (await shop.owner.query("select tax_rate_bps, tax_name, total from app_public.orders where id = $1", [sold.id])).rows[0];
    expect(kept).toEqual({ tax_rate_bps: 1000, tax_name: "Market tax", total: 1045 });
  });
});

describe("a rate included in prices (VAT 20%)", () => {
  let vat: { id: string };
  beforeAll(async () => {
    vat = await createRate("VAT", 2000, true);
    await setRate(market, vat.id);
  });
  afterAll(() => setRate(market, null));

  it("the customer pays the shelf price; the tax is the part of it; the line is kept without tax", async () => {
    // 3.25 with 20% in it: tax = 325 × 2000 / 12000 = 54.17 → 54; net 271.
    const order = await placeOrder(shop.cashier, market, [line(shop.item.MUFFIN, 1)]);
    expect(order).toMatchObject({ tax_inclusive: true, tax_name: "VAT", subtotal: 271, discount_total: 0, tax_total: 54, total: 325 });
  });

  it("discounts come off the shelf amounts; every line still adds up without tax", async () => {
    // Latte 2 × 4.75 = 9.50 − 0.50 = 9.00; muffin 3.25; the order's 1.00 spread 900:325 → 0.73
    // and 0.27. The customer pays 8.27 + 2.98 = 11.25 = 12.75 − 0.50 − 1.00.
    // Tax in 8.27: 137.8 → 1.38, net 6.89; in 2.98: 49.7 → 0.50, net 2.48.
    // Subtotals without tax: 950 − 158 = 792 and 325 − 54 = 271; discounts what is left:
    // 792 − 689 = 103 (own 103 × 50/123 = 41, order's 62) and 271 − 248 = 23 (the order's).
    const lines = [line(shop.item.LATTE, 2, 50), line(shop.item.MUFFIN, 1)];
    const q = await quote(lines, 100, market);
    const order = await placeOrder(shop.cashier, market, lines, { discount: 100 });
    expect(order).toMatchObject({ subtotal: 1063, order_discount: 85, discount_total: 126, tax_total: 188, total: 1125 });
    expect(q).toMatchObject({ subtotal: 1063, discount_total: 126, tax_total: 188, total: 1125, tax_inclusive: true });
    expect(await orderLines(shop.cashier, order.id)).toEqual([
      { line_no: 1, sku: "LATTE", unit_price: 475, quantity: 2, subtotal: 792, line_discount: 41, order_discount_share: 62, net_total: 689, tax: 138, total: 827 },
      { line_no: 2, sku: "MUFFIN", unit_price: 325, quantity: 1, subtotal: 271, line_discount: 0, order_discount_share: 23, net_total: 248, tax: 50, total: 298 },
    ]);

    // The lines say their prices held the tax; those of an order with tax added keep the exact check.
    const flags = await shop.owner.query("select distinct tax_inclusive from app_public.order_lines where order_id = $1", [order.id]);
    expect(flags.rows).toEqual([{ tax_inclusive: true }]);

    // Refunding the two lattes one at a time takes back exactly the line: 414 + 413 = 827 (each
    // step: its share of the net, 345 then 344, and of the discount, 52 then 51; tax 69 each).
    const latte = (await shop.cashier.query("select id from app_public.order_lines where order_id = $1 and line_no = 1", [order.id])).rows[0].id;
    const refund = (why: string) => shop.manager.query("select * from app_public.refund_order_lines($1, $2::jsonb, $3)",
      [order.id, JSON.stringify([{ order_line_id: latte, quantity: 1 }]), why]).then((r) => r.rows[0]);
    const first = await refund("Spilt");
    const second = await refund("Cold");
    expect([first, second].map((r) => [r.subtotal, r.discount_total, r.tax_total, r.total])).toEqual([[397, 52, 69, 414], [395, 51, 69, 413]]);
  });

  it("the order event says the prices included the tax", async () => {
    const { rows } = await db.owner.query(
      "select payload from app_private.events where tenant_id = $1 and type = 'order.placed.v1' order by seq desc limit 1", [shop.tenantId]);
    expect(rows[0].payload).toMatchObject({ tax_rate_bps: 2000, tax_inclusive: true, subtotal: 1063, tax_total: 188, total: 1125 });
  });

  it("a line refunded unit by unit never takes back less than nothing, and adds up to what was paid", async () => {
    // 3 × 4.75 with 14.24 off: the customer pays 0.01, with no tax in it. Kept without tax: a
    // subtotal of 14.25 − 2.38 = 11.87 and a discount of 11.86, both no multiple of 3 units.
    // Shared separately, step 2's subtotal (395) fell a cent under its discount (396): −0.01.
    const order = await placeOrder(shop.cashier, market, [line(shop.item.LATTE, 3, 1424)]);
    expect(order).toMatchObject({ subtotal: 1187, discount_total: 1186, tax_total: 0, total: 1, paid_total: 1 });
    const latte = (await shop.cashier.query("select id from app_public.order_lines where order_id = $1", [order.id])).rows[0].id;
    const steps = [];
    for (let i = 0; i < 3; i++) {
      steps.push((await shop.manager.query("select * from app_public.refund_order_lines($1, $2::jsonb, 'One back')",
        [order.id, JSON.stringify([{ order_line_id: latte, quantity: 1 }])])).rows[0]);
    }
    expect(steps.map((r) => [r.subtotal, r.discount_total, r.total])).toEqual([[395, 395, 0], [397, 396, 1], [395, 395, 0]]);
    const after = (await shop.owner.query("select refunded_total from app_public.orders where id = $1", [order.id])).rows[0];
    expect(after.refunded_total).toBe(1);
  });
});
