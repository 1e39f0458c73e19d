// Customer tiers (customers/475-tiers.sql) and the discount they take off a sale
// (sales/320-orders.sql): managing tiers as settings, giving one to a customer with its impact
// previewed, the audit and timeline entry, the price at the till with the one rounding rule, orders
// that keep their price when the tier changes later, and a tier change racing sales.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sqlState, type TestDatabase } from "../../helpers/db.ts";
import { eventsOf, line, openShop, orderLines, placeOrder, type Shop } from "../sales/shop.ts";

let db: TestDatabase;
let shop: Shop;
beforeAll(async () => {
  db = await createTestDatabase();
  shop = await openShop(db, { taxRateBps: 825, items: [{ sku: "LATTE", price: 475 }, { sku: "MUFFIN", price: 325 }] });
});
afterAll(() => db?.drop());

const tier = async (name: string, level: number, bps: number, extra: { minVisits?: number; minSpend?: number } = {}) =>
  (
    await shop.owner.query(
      "select * from app_public.create_customer_tier(name => $1, level => $2, discount_bps => $3, colour => '#C9A227', benefits => ' Free coffee ', min_visits => $4, min_annual_spend => $5)",
      [name, level, bps, extra.minVisits ?? null, extra.minSpend ?? null],
    )
  ).rows[0];
const customer = async (first: string) =>
  (await shop.manager.query("select * from app_public.create_customer(first_name => $1)", [first])).rows[0];
const setTier = (customerId: string, tierId: string | null) =>
  shop.manager.query("select * from app_public.set_customer_tier($1, $2)", [customerId, tierId]).then((r) => r.rows[0]);

describe("managing tiers", () => {
  it("creates a tier as stored (trimmed, colour lower case), refuses a name or level taken, values out of range and staff without settings.update", async () => {
    const gold = await tier("Platinum", 1, 1500);
    expect(gold).toMatchObject({ name: "Platinum", level: 1, discount_bps: 1500, colour: "#c9a227", benefits: "Free coffee" });
    expect(await sqlState(() => tier("platinum", 2, 100))).toBe("DUPLI");
    expect(await sqlState(() => tier("Other", 1, 100))).toBe("DUPLI");
    expect(await sqlState(() => tier("Too much", 3, 10001))).toBe("BADIN");
    expect(await sqlState(() => tier("Negative", 3, -1))).toBe("BADIN");
    expect(await sqlState(() => shop.owner.query("select app_public.create_customer_tier('Bad colour', 3, 100, colour => 'gold')"))).toBe("BADIN");
    expect(await sqlState(() => shop.cashier.query("select app_public.create_customer_tier('Cashier''s', 3, 100)"))).toBe("DNIED");
    expect(await sqlState(() => shop.manager.query("select app_public.create_customer_tier('Manager''s', 3, 100)"))).toBe("DNIED");
    // Nobody writes the table directly.
    expect(await sqlState(() => shop.owner.query("insert into app_public.customer_tiers (name, level) values ('Direct', 9)"))).toBe("42501");
    const renamed = (await shop.owner.query("select * from app_public.update_customer_tier($1, 'Diamond', 1, 1550)", [gold.id])).rows[0];
    expect(renamed).toMatchObject({ name: "Diamond", discount_bps: 1550, colour: "#9e9e9e", benefits: null });
    // The cashier sees tiers (the till shows them); deleting an unused one works.
    expect((await shop.cashier.query("select name from app_public.customer_tiers where id = $1", [gold.id])).rows).toEqual([{ name: "Diamond" }]);
    await shop.owner.query("select app_public.delete_customer_tier($1)", [gold.id]);
    expect((await shop.owner.query("select count(*)::int as n from app_public.customer_tiers where id = $1", [gold.id])).rows[0].n).toBe(0);
  });

  it("a tier customers have cannot be deleted (TIRIU, naming how many)", async () => {
    const t = await tier("In use", 7, 100);
    const c = await customer("Holder");
    await setTier(c.id, t.id);
    await expect(shop.owner.query("select app_public.delete_customer_tier($1)", [t.id])).rejects.toMatchObject({
      code: "TIRIU",
      message: expect.stringContaining("1 customer"),
    });
    await setTier(c.id, null);
    await shop.owner.query("select app_public.delete_customer_tier($1)", [t.id]);
  });
});

describe("a tier at the till", () => {
  let gold: { id: string };
  let silver: { id: string };
  let ann: { id: string };
  beforeAll(async () => {
    gold = await tier("Gold", 2, 1250);
    silver = await tier("Silver", 3, 500);
    ann = await customer("Ann");
  });

  it("previews the impact before it is given: an example basket and the customer's last 30 days", async () => {
    const bob = await customer("Bob");
    await placeOrder(shop.cashier, shop.locationId, [line(shop.item.LATTE, 2)], { customerId: bob.id }); // 9.50 + tax
    const impact = (await shop.manager.query("select * from app_public.customer_tier_impact($1, $2)", [bob.id, gold.id])).rows[0];
    // 12.5 % of 100.00 = 12.50; of 9.50 = 1.1875 → 1.19 (half up).
    expect(impact).toMatchObject({ example_amount: 10000, example_discount: 1250, current_example_discount: 0, recent_orders: 1,
      recent_amount: "1028", recent_discount: "119", current_recent_discount: "0" });
    expect(await sqlState(() => shop.cashier.query("select * from app_public.customer_tier_impact($1, $2)", [bob.id, gold.id]))).toBe("DNIED");
  });

  it("giving a tier is audited and in the timeline; a cashier cannot give one", async () => {
    expect(await sqlState(() => shop.cashier.query("select app_public.set_customer_tier($1, $2)", [ann.id, gold.id]))).toBe("DNIED");
    expect(await sqlState(() => setTier(ann.id, "01NOTATIER000000000000000"))).toBe("NOTFD");
    await shop.manager.query("select app_public.set_customer_tier($1, $2, 'Big spender')", [ann.id, silver.id]);
    await setTier(ann.id, gold.id);
    const { rows: audit } = await shop.owner.query(
      "select changes, command, reason from app_public.audit_entries where entity = 'customers' and entity_id = $1 and action = 'update' and changes ? 'tier_id' order by created_at",
      [ann.id],
    );
    expect(audit).toEqual([
      { changes: { tier_id: { old: null, new: silver.id } }, command: "set_customer_tier", reason: "Big spender" },
      { changes: { tier_id: { old: silver.id, new: gold.id } }, command: "set_customer_tier", reason: null },
    ]);
    const { rows: timeline } = await shop.manager.query(
      "select t.kind, t.summary from app_public.customers c, app_public.customers_timeline(c) t where c.id = $1 and t.kind = 'tier_changed' order by t.occurred_at",
      [ann.id],
    );
    expect(timeline).toEqual([
      { kind: "tier_changed", summary: "Tier none → Silver" },
      { kind: "tier_changed", summary: "Tier Silver → Gold" },
    ]);
  });

  it("takes the tier's percent of the amount after the other discounts, rounded half up once, spread with the order discount before tax", async () => {
    // Lines 9.50 and 3.25 − 0.25; order discount 1.00 → 11.50 left; Gold 12.5 % = 1.4375 → 1.44.
    // The 2.44 order-level discount is spread 950:300 → 185.44 / 58.56: 185 and 59 (largest
    // remainder). Nets 7.65 and 2.41; tax at 8.25 % 0.63 and 0.20. Total 12.75 − 2.69 + 0.83.
    const lines = [line(shop.item.LATTE, 2), line(shop.item.MUFFIN, 1, 25)];
    const quote = (await shop.cashier.query("select * from app_public.quote_order($1::jsonb, 100, customer_id => $2)", [JSON.stringify(lines), ann.id])).rows[0];
    expect(quote).toMatchObject({ subtotal: 1275, discount_total: 269, tax_total: 83, total: 1089, tier_name: "Gold", tier_discount_bps: 1250, tier_discount: 144 });
    const order = await placeOrder(shop.cashier, shop.locationId, lines, { customerId: ann.id, discount: 100 });
    expect(order).toMatchObject({
      status: "placed", subtotal: 1275, order_discount: 244, discount_total: 269, tax_total: 83, total: 1089,
      tier_name: "Gold", tier_discount_bps: 1250, tier_discount: 144,
    });
    expect((await orderLines(shop.cashier, order.id)).map((l) => [l.order_discount_share, l.net_total, l.tax, l.total])).toEqual([
      [185, 765, 63, 828],
      [59, 241, 20, 261],
    ]);
    const placed = (await eventsOf(db, shop.tenantId, "order.placed.v1")).find((e) => e.aggregate_id === order.id);
    expect(placed?.payload).toMatchObject({ tier_name: "Gold", tier_discount_bps: 1250, tier_discount: 144, discount_total: 269, total: 1089 });
    // Without a customer, or a customer without a tier: no tier discount.
    const plain = (await shop.cashier.query("select * from app_public.quote_order($1::jsonb, 100)", [JSON.stringify(lines)])).rows[0];
    expect(plain).toMatchObject({ discount_total: 125, tier_name: null, tier_discount: 0 });
  });

  it("with VAT in the prices the tier's percent comes off the shelf amount, and the tax is the part of what is paid", async () => {
    const market = (await shop.owner.query("insert into app_public.locations (name, timezone) values ('VAT market', 'Europe/Paris') returning id")).rows[0].id;
    const vat = (await shop.owner.query("select * from app_public.create_tax_rate('VAT tier', 2000, true)")).rows[0];
    await shop.owner.query("select app_public.set_location_tax_rate($1, $2)", [market, vat.id]);
    const flo = await customer("Flo");
    const tenPercent = await tier("Ten VAT", 40, 1000);
    await setTier(flo.id, tenPercent.id);
    // Shelf 3.25, 10 % = 32.5 → 33 (half up): she pays 2.92, of which VAT 292 × 2000 / 12000 = 48.7 → 49.
    // Without tax: subtotal 325 − 54 = 271, net 292 − 49 = 243, so the discounts are 28.
    const order = await placeOrder(shop.cashier, market, [line(shop.item.MUFFIN, 1)], { customerId: flo.id });
    expect(order).toMatchObject({ tax_inclusive: true, tier_name: "Ten VAT", tier_discount: 33, subtotal: 271, discount_total: 28, tax_total: 49, total: 292 });
    expect(order.total).toBe(order.subtotal - order.discount_total + order.tax_total);
  });

  it("an order keeps its price when the customer's tier, or the tier's percent, changes later (open or sold)", async () => {
    const sold = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.LATTE, 2)], { customerId: ann.id });
    const open = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.LATTE, 2)], { customerId: ann.id, open: true });
    expect([sold.tier_discount, open.tier_discount, open.total]).toEqual([119, 119, 900]);
    await shop.owner.query("select app_public.update_customer_tier($1, 'Gold', 2, 2000)", [gold.id]);
    await setTier(ann.id, silver.id);
    const { rows } = await shop.cashier.query(
      "select id, tier_name, tier_discount_bps, tier_discount, discount_total, total from app_public.orders where id = any($1) order by id",
      [[sold.id, open.id]],
    );
    for (const o of rows) expect(o).toMatchObject({ tier_name: "Gold", tier_discount_bps: 1250, tier_discount: 119, discount_total: 119, total: 900 });
    // Paying the open order later charges the price it was opened with.
    const paid = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.LATTE, 2)], { customerId: ann.id });
    expect(paid).toMatchObject({ tier_name: "Silver", tier_discount: 48 });
    await shop.cashier.query("select app_public.record_tender($1, 'cash', 1000)", [open.id]);
    expect((await shop.cashier.query("select status, total, paid_total from app_public.orders where id = $1", [open.id])).rows[0]).toEqual({
      status: "placed", total: 900, paid_total: 900,
    });
  });

  it("suggests the highest tier whose requirement the last 12 months meet, never a tier without requirements", async () => {
    const cy = await customer("Cy");
    const suggested = async () =>
      (await shop.manager.query("select (app_public.customers_suggested_tier(c)).name from app_public.customers c where id = $1", [cy.id])).rows[0].name;
    expect(await suggested()).toBeNull();
    await tier("Regulars", 10, 200, { minVisits: 2 });
    await tier("Big basket", 9, 300, { minSpend: 5000 });
    await placeOrder(shop.cashier, shop.locationId, [line(shop.item.LATTE, 1)], { customerId: cy.id });
    expect(await suggested()).toBeNull();
    await placeOrder(shop.cashier, shop.locationId, [line(shop.item.LATTE, 1)], { customerId: cy.id });
    expect(await suggested()).toBe("Regulars");
    await placeOrder(shop.cashier, shop.locationId, [line(shop.item.LATTE, 10)], { customerId: cy.id });
    expect(await suggested()).toBe("Big basket");
  });
});

describe("a tier change racing sales", () => {
  it("a sale open in one connection while another changes the tier keeps the tier it read, and the next sale gets the new one", async () => {
    const gold = await tier("Race gold", 20, 1000);
    const silver = await tier("Race silver", 21, 500);
    const dee = await customer("Dee");
    await setTier(dee.id, gold.id);
    const lines = JSON.stringify([line(shop.item.LATTE, 2)]);
    const order = await shop.cashier.transaction(async (till) => {
      const placed = (await till.query("select * from app_public.place_order($1, $2::jsonb, $3)", [shop.locationId, lines, dee.id])).rows[0];
      // The back office changes the tier and its percent while the sale is not committed: neither waits for the other.
      await shop.manager.query("select app_public.set_customer_tier($1, $2)", [dee.id, silver.id]);
      await shop.owner.query("select app_public.update_customer_tier($1, 'Race gold', 20, 3000)", [gold.id]);
      await till.query("select app_public.record_tender($1, 'card', $2)", [placed.id, placed.total]);
      return (await till.query("select * from app_public.orders where id = $1", [placed.id])).rows[0];
    });
    expect(order).toMatchObject({ status: "placed", tier_name: "Race gold", tier_discount_bps: 1000, tier_discount: 95, total: 926 });
    const next = await placeOrder(shop.cashier, shop.locationId, JSON.parse(lines), { customerId: dee.id });
    expect(next).toMatchObject({ tier_name: "Race silver", tier_discount_bps: 500, tier_discount: 48 });
  });

  it("many sales while the tier flips back and forth: each order's tier name, percent and discount belong together", { timeout: 60_000 }, async () => {
    const a = await tier("Flip A", 30, 1000);
    const b = await tier("Flip B", 31, 2500);
    const eve = await customer("Eve");
    await setTier(eve.id, a.id);
    const lines = [line(shop.item.LATTE, 3), line(shop.item.MUFFIN, 1)]; // 17.50
    let flipping = true;
    const flipper = (async () => {
      for (let i = 0; flipping && i < 200; i++) await setTier(eve.id, i % 2 ? a.id : b.id);
    })();
    const sales = await Promise.all(
      Array.from({ length: 3 }, async () => {
        const out = [];
        for (let i = 0; i < 8; i++) out.push(await placeOrder(shop.cashier, shop.locationId, lines, { customerId: eve.id }));
        return out;
      }),
    );
    flipping = false;
    await flipper;
    const expected: Record<string, [number, number]> = { "Flip A": [1000, 175], "Flip B": [2500, 438] };
    for (const o of sales.flat()) {
      expect(o.tier_name in expected).toBe(true);
      expect([o.tier_discount_bps, o.tier_discount]).toEqual(expected[o.tier_name]);
      expect(o.discount_total).toBe(o.tier_discount);
      expect(o.total).toBe(o.subtotal - o.discount_total + o.tax_total);
    }
  });
});
