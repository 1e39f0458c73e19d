// Totals, discounts and tax computed by place_order (and quote_order) against hand-computed
// cases, and every refused input: a coded error and nothing written.
//
// The rules (app_private.price_lines, db/EVENTS.md): prices are tax-exclusive cents; line subtotal =
// unit price × quantity; a line discount is cents off that line; the order discount is spread
// over the lines in proportion to their amounts after line discounts (rounded down, leftover
// cents to the largest remainders, ties to the earlier line); tax is per line on the net amount,
// rounded half up; the order's tax is the sum of the line taxes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sqlState, type TestDatabase } from "../../helpers/db.ts";
import { counts, line, openShop, orderLines, placeOrder, type Shop } from "./shop.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

describe("totals", () => {
  let shop: Shop;
  beforeAll(async () => {
    shop = await openShop(db, {
      taxRateBps: 825,
      items: [
        { sku: "LATTE", price: 475 },
        { sku: "MUFFIN", price: 325, stock: 10 },
        { sku: "DRIP", price: 1099 },
      ],
    });
  });

  it("line discount, order discount spread by amount, 8.25% tax per line rounded half up", async () => {
    // Latte 2 × 4.75 = 9.50; muffin 3.25 − 0.25 = 3.00; order discount 1.00 spread 950:300 →
    // 0.76 and 0.24. Nets 8.74 and 2.76; tax 8.74 × 8.25% = 0.72105 → 0.72, 2.76 × 8.25% =
    // 0.2277 → 0.23. Total 12.75 − 1.25 + 0.95 = 12.45.
    const order = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.LATTE, 2), line(shop.item.MUFFIN, 1, 25)], { discount: 100, open: true });
    expect(order).toMatchObject({
      status: "open", subtotal: 1275, order_discount: 100, discount_total: 125, tax_rate_bps: 825,
      tax_total: 95, total: 1245, paid_total: 0, amount_due: 1245,
    });
    expect(await orderLines(shop.cashier, order.id)).toEqual([
      { line_no: 1, sku: "LATTE", unit_price: 475, quantity: 2, subtotal: 950, line_discount: 0, order_discount_share: 76, net_total: 874, tax: 72, total: 946 },
      { line_no: 2, sku: "MUFFIN", unit_price: 325, quantity: 1, subtotal: 325, line_discount: 25, order_discount_share: 24, net_total: 276, tax: 23, total: 299 },
    ]);
  });

  it("quote_order gives exactly what place_order then records", async () => {
    const lines = [line(shop.item.LATTE, 2), line(shop.item.MUFFIN, 1, 25)];
    const quote = (await shop.cashier.query("select * from app_public.quote_order($1::jsonb, 100)", [JSON.stringify(lines)])).rows[0];
    expect(quote).toMatchObject({ subtotal: 1275, discount_total: 125, tax_rate_bps: 825, tax_total: 95, total: 1245 });
    expect(quote.lines.map((l: any) => [l.order_discount_share, l.tax, l.total])).toEqual([[76, 72, 946], [24, 23, 299]]);
    const before = await counts(db, shop.tenantId);
    await shop.cashier.query("select * from app_public.quote_order($1::jsonb, 100)", [JSON.stringify(lines)]);
    expect(await counts(db, shop.tenantId)).toEqual(before);
  });

  it("quantities multiply before tax: 3 × 10.99 at 8.25% = 32.97 + 2.72 (2.720025 rounds down)", async () => {
    const order = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.DRIP, 3)]);
    expect(order).toMatchObject({ subtotal: 3297, discount_total: 0, tax_total: 272, total: 3569 });
  });

  it("an order discount of the whole amount makes a zero total with zero tax", async () => {
    const order = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.LATTE, 1), line(shop.item.MUFFIN, 1)], { discount: 800 });
    expect(order).toMatchObject({ subtotal: 800, discount_total: 800, tax_total: 0, total: 0 });
  });
});

describe("rounding", () => {
  let shop: Shop;
  beforeAll(async () => {
    shop = await openShop(db, {
      taxRateBps: 1000,
      items: [
        { sku: "C5", price: 5 }, { sku: "C24", price: 24 }, { sku: "C25", price: 25 }, { sku: "C26", price: 26 },
        { sku: "C100", price: 100 }, { sku: "C200", price: 200 }, { sku: "C0", price: 0 },
      ],
    });
  });

  it("tax is rounded per line: three 5-cent lines at 10% pay 3 cents, not the 2 of rounding 1.5 once", async () => {
    const order = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.C5), line(shop.item.C5), line(shop.item.C5)]);
    expect(order).toMatchObject({ subtotal: 15, tax_total: 3, total: 18 });
    expect((await orderLines(shop.cashier, order.id)).map((l) => l.tax)).toEqual([1, 1, 1]);
  });

  it("half rounds up, not to even: 2.4 → 2, 2.5 → 3, 2.6 → 3", async () => {
    const order = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.C24), line(shop.item.C25), line(shop.item.C26)]);
    expect((await orderLines(shop.cashier, order.id)).map((l) => l.tax)).toEqual([2, 3, 3]);
    expect(order).toMatchObject({ subtotal: 75, tax_total: 8, total: 83 });
  });

  it("the order discount's leftover cent goes to the earlier of equal lines: 1.00 over three 1.00 lines = 34 + 33 + 33", async () => {
    const order = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.C100), line(shop.item.C100), line(shop.item.C100)], { discount: 100 });
    const lines = await orderLines(shop.cashier, order.id);
    expect(lines.map((l) => l.order_discount_share)).toEqual([34, 33, 33]);
    // Nets 66, 67, 67 → tax 6.6 → 7, 6.7 → 7, 6.7 → 7.
    expect(lines.map((l) => l.tax)).toEqual([7, 7, 7]);
    expect(order).toMatchObject({ subtotal: 300, discount_total: 100, tax_total: 21, total: 221 });
  });

  it("the leftover cent goes to the largest remainder: 1.00 over 1.00 and 2.00 = 33 + 67", async () => {
    // 100 × 100 / 300 = 33.33 (remainder 1/3); 100 × 200 / 300 = 66.67 (remainder 2/3) gets the cent.
    const order = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.C100), line(shop.item.C200)], { discount: 100 });
    expect((await orderLines(shop.cashier, order.id)).map((l) => l.order_discount_share)).toEqual([33, 67]);
    expect(order).toMatchObject({ subtotal: 300, discount_total: 100, tax_total: 20, total: 220 });
  });

  it("the order discount is spread after line discounts, and a fully discounted line takes none of it", async () => {
    // Lines: 2.00 − 2.00 = 0 and 1.00; the 0.50 order discount all lands on the second line.
    const order = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.C200, 1, 200), line(shop.item.C100)], { discount: 50 });
    expect((await orderLines(shop.cashier, order.id)).map((l) => [l.order_discount_share, l.net_total, l.tax])).toEqual([[0, 0, 0], [50, 50, 5]]);
    expect(order).toMatchObject({ subtotal: 300, discount_total: 250, tax_total: 5, total: 55 });
  });

  it("free items are allowed", async () => {
    const order = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.C0, 2)]);
    expect(order).toMatchObject({ subtotal: 0, tax_total: 0, total: 0 });
  });

  it("the tax rate in force is captured on the order; later changes do not touch it", async () => {
    const order = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.C100)]);
    await shop.owner.query("update app_public.tenants set tax_rate_bps = 2000");
    const after = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.C100)]);
    await shop.owner.query("update app_public.tenants set tax_rate_bps = 1000");
    const again = (await shop.cashier.query("select tax_rate_bps, tax_total from app_public.orders where id = $1", [order.id])).rows[0];
    expect(again).toEqual({ tax_rate_bps: 1000, tax_total: 10 });
    expect(after).toMatchObject({ tax_rate_bps: 2000, tax_total: 20 });
  });
});

describe("refused orders", () => {
  let shop: Shop;
  let other: Shop;
  beforeAll(async () => {
    shop = await openShop(db, {
      taxRateBps: 500,
      items: [{ sku: "TEA", price: 300, stock: 5 }, { sku: "OLD", price: 300, active: false }, { sku: "GOLD", price: 10_000_000 }],
    });
    other = await openShop(db, { items: [{ sku: "THEIRS", price: 100, stock: 5 }] });
  });

  const cases: [string, () => [unknown, { discount?: number; location?: string }], string][] = [
    ["no lines", () => [[], {}], "EMPTY"],
    ["lines that are not a list", () => [{ catalog_item_id: shop.item.TEA, quantity: 1 }, {}], "BADIN"],
    ["lines that are JSON null", () => [null, {}], "BADIN"],
    ["a line that is not an object", () => [["TEA"], {}], "BADIN"],
    ["a line with an unknown field", () => [[{ catalog_item_id: shop.item.TEA, qty: 1 }], {}], "BADIN"],
    ["a line without an item", () => [[{ quantity: 1 }], {}], "BADIN"],
    ["a zero quantity", () => [[line(shop.item.TEA, 0)], {}], "BADQT"],
    ["a negative quantity", () => [[line(shop.item.TEA, -1)], {}], "BADQT"],
    ["a fractional quantity", () => [[line(shop.item.TEA, 1.5)], {}], "BADQT"],
    ["a quantity given as text", () => [[{ catalog_item_id: shop.item.TEA, quantity: "2" }], {}], "BADQT"],
    ["a missing quantity", () => [[{ catalog_item_id: shop.item.TEA }], {}], "BADQT"],
    ["a quantity over 10000", () => [[line(shop.item.TEA, 10_001)], {}], "BADQT"],
    ["an unknown item", () => [[line("01HZZZZZZZZZZZZZZZZZZZZZZZ")], {}], "NOTFD"],
    ["another tenant's item", () => [[line(other.item.THEIRS)], {}], "NOTFD"],
    ["an inactive item", () => [[line(shop.item.OLD)], {}], "INACT"],
    ["a negative line discount", () => [[line(shop.item.TEA, 1, -1)], {}], "BADDS"],
    ["a fractional line discount", () => [[line(shop.item.TEA, 1, 1.5)], {}], "BADDS"],
    ["a line discount given as text", () => [[{ catalog_item_id: shop.item.TEA, quantity: 1, discount: "5" }], {}], "BADDS"],
    ["a line discount above the line", () => [[line(shop.item.TEA, 2, 601)], {}], "BADDS"],
    ["a negative order discount", () => [[line(shop.item.TEA)], { discount: -1 }], "BADDS"],
    ["an order discount above the lines after their discounts", () => [[line(shop.item.TEA, 1, 100)], { discount: 201 }], "BADDS"],
    ["an order too large for its totals", () => [[line(shop.item.GOLD, 101)], {}], "BADAM"],
    ["a good line followed by a bad one", () => [[line(shop.item.TEA), line(shop.item.TEA, 0)], {}], "BADQT"],
    ["an unknown location", () => [[line(shop.item.TEA)], { location: "01HZZZZZZZZZZZZZZZZZZZZZZZ" }], "NOTFD"],
    ["another tenant's location", () => [[line(shop.item.TEA)], { location: other.locationId }], "NOTFD"],
  ];

  it.each(cases)("refuses %s with a coded error and writes nothing", async (_label, make, code) => {
    const [lines, opts] = make();
    const before = [await counts(db, shop.tenantId), await counts(db, other.tenantId)];
    expect(await sqlState(() => placeOrder(shop.cashier, opts.location ?? shop.locationId, lines, { discount: opts.discount }))).toBe(code);
    expect([await counts(db, shop.tenantId), await counts(db, other.tenantId)]).toEqual(before);
  });

  it("quote_order refuses the same inputs with the same codes", async () => {
    expect(await sqlState(() => shop.cashier.query("select app_public.quote_order('[]'::jsonb)"))).toBe("EMPTY");
    expect(await sqlState(() => shop.cashier.query("select app_public.quote_order($1::jsonb)", [JSON.stringify([line(other.item.THEIRS)])]))).toBe("NOTFD");
    expect(await sqlState(() => shop.cashier.query("select app_public.quote_order($1::jsonb, 1000)", [JSON.stringify([line(shop.item.TEA)])]))).toBe("BADDS");
  });

  it("an unknown id and another tenant's id get the same answer", async () => {
    const message = async (id: string) => {
      try {
        await placeOrder(shop.cashier, shop.locationId, [line(id)]);
      } catch (e) {
        return `${(e as any).code}: ${(e as Error).message.replace(id, "<id>")}`;
      }
    };
    expect(await message(other.item.THEIRS)).toBe(await message("01HZZZZZZZZZZZZZZZZZZZZZZZ"));
  });

  it("needs a signed-in member with sales.sell", async () => {
    const before = await counts(db, shop.tenantId);
    expect(await sqlState(() => db.asAnonymous().query("select app_public.place_order($1, $2::jsonb)", [shop.locationId, JSON.stringify([line(shop.item.TEA)])]))).toBe("LOGIN");
    expect(await counts(db, shop.tenantId)).toEqual(before);
  });

  it("a past placed_at (imports) is for owners only, never in the future, never before 2000", async () => {
    const before = await counts(db, shop.tenantId);
    const lines = [line(shop.item.TEA)];
    expect(await sqlState(() => placeOrder(shop.cashier, shop.locationId, lines, { placedAt: "2024-01-01T10:00:00Z" }))).toBe("DNIED");
    expect(await sqlState(() => placeOrder(shop.manager, shop.locationId, lines, { placedAt: "2024-01-01T10:00:00Z" }))).toBe("DNIED");
    expect(await sqlState(() => placeOrder(shop.owner, shop.locationId, lines, { placedAt: new Date(Date.now() + 3_600_000).toISOString() }))).toBe("BADIN");
    // A year 1 date landed in events and read models as AD 0001-12-31 (its BC lost on the way): refused.
    for (const placedAt of ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z BC", "1999-12-31T23:59:59Z"]) {
      const err = await placeOrder(shop.owner, shop.locationId, lines, { placedAt }).then(() => null, (e) => e);
      expect([placedAt, err?.code, err?.message, err?.column]).toEqual([placedAt, "BADIN", "The time of an order cannot be before 2000-01-01; check the year.", "placed_at"]);
    }
    expect(await counts(db, shop.tenantId)).toEqual(before);
    const imported = await placeOrder(shop.owner, shop.locationId, lines, { placedAt: "2024-01-01T23:30:00Z" });
    const row = await shop.owner.query("select business_date::text as d from app_public.orders where id = $1", [imported.id]);
    expect(row.rows[0].d).toBe("2024-01-02"); // 00:30 in Paris
  });
});

describe("tax rate", () => {
  it("owners set it; it is validated; managers and cashiers cannot change it", async () => {
    const shop = await openShop(db);
    await shop.owner.query("update app_public.tenants set tax_rate_bps = 825");
    expect(await sqlState(() => shop.owner.query("update app_public.tenants set tax_rate_bps = 10001"))).toBe("BADIN");
    expect(await sqlState(() => shop.owner.query("update app_public.tenants set tax_rate_bps = -1"))).toBe("BADIN");
    expect((await shop.manager.query("update app_public.tenants set tax_rate_bps = 0")).rowCount).toBe(0);
    expect((await shop.cashier.query("update app_public.tenants set tax_rate_bps = 0")).rowCount).toBe(0);
    expect((await shop.cashier.query("select tax_rate_bps from app_public.tenants")).rows).toEqual([{ tax_rate_bps: 825 }]);
    const audit = await shop.owner.query("select changes from app_public.audit_entries where entity = 'tenants' and action = 'update'");
    expect(audit.rows.at(-1)?.changes).toEqual({ tax_rate_bps: { old: 0, new: 825 } });
  });
});
