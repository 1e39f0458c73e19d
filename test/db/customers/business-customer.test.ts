// Issue 16's "done when", end to end in SQL: a company with three contacts (one primary) and a
// "Gold 10%" tier buys at the till — the quote and the sale carry the tier's discount line, the
// order (what the receipt prints) and the daily sales (the admin's and the folded read model) carry
// it in discount_total, the company's timeline shows each sale at the time it was placed, and a
// data request for it carries its contacts and tier.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.ts";
import { line, openShop, placeOrder, type Shop } from "../sales/shop.ts";

let db: TestDatabase;
let shop: Shop;
beforeAll(async () => {
  db = await createTestDatabase();
  shop = await openShop(db, { taxRateBps: 1000, timezone: "UTC", items: [{ sku: "TRAY", name: "Pastry tray", price: 4500 }] });
});
afterAll(() => db?.drop());

describe("a business customer at the till", () => {
  it("a company with three contacts and a Gold 10% tier: the sale takes the tier's line, the day's sales carry it, the timeline tells it when it happened", async () => {
    const acme = (
      await shop.manager.query(
        "select * from app_public.create_customer(kind => 'company', company_name => 'Acme Offices', credit_limit => 50000, payment_terms_days => 30)",
      )
    ).rows[0];
    expect(acme).toMatchObject({ kind: "company", display_name: "Acme Offices" });

    // Three contacts; the primary moves to the third, and exactly one is primary.
    const contact = async (first: string, email: string) =>
      (await shop.manager.query("select * from app_public.add_customer_contact($1, first_name => $2, email => $3)", [acme.id, first, email])).rows[0];
    await contact("Ada", "ada@acme.test");
    await contact("Ben", "ben@acme.test");
    const cleo = await contact("Cleo", "cleo@acme.test");
    await shop.manager.query("select app_public.set_primary_customer_contact($1)", [cleo.id]);
    const { rows: contacts } = await shop.manager.query(
      "select first_name, role from app_public.customer_contacts where customer_id = $1 order by first_name", [acme.id]);
    expect(contacts.filter((c) => c.role === "primary").map((c) => c.first_name)).toEqual(["Cleo"]);
    expect(contacts).toHaveLength(3);

    const gold = (await shop.owner.query("select * from app_public.create_customer_tier('Gold', 1, 1000)")).rows[0];
    await shop.manager.query("select app_public.set_customer_tier($1, $2)", [acme.id, gold.id]);

    // The till's quote shows the tier's line: 2 trays 90.00, Gold 10 % = 9.00, tax 10 % on 81.00.
    const lines = [line(shop.item.TRAY, 2)];
    const quote = (await shop.cashier.query("select * from app_public.quote_order($1::jsonb, 0, customer_id => $2)", [JSON.stringify(lines), acme.id])).rows[0];
    expect(quote).toMatchObject({ subtotal: 9000, tier_name: "Gold", tier_discount_bps: 1000, tier_discount: 900, discount_total: 900, tax_total: 810, total: 8910 });

    // The sale charges it; a sale placed two days ago (an imported one) too, at its own time.
    const sale = await placeOrder(shop.cashier, shop.locationId, lines, { customerId: acme.id });
    expect(sale).toMatchObject({ status: "placed", tier_name: "Gold", tier_discount: 900, discount_total: 900, total: 8910, paid_total: 8910 });
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    twoDaysAgo.setUTCHours(12, 0, 0, 0);
    const earlier = await placeOrder(shop.owner, shop.locationId, [line(shop.item.TRAY, 1)], { customerId: acme.id, placedAt: twoDaysAgo.toISOString() });
    expect(earlier).toMatchObject({ tier_name: "Gold", tier_discount: 450, total: 4455 });

    // What the receipt prints: the order's discount is the tier's, named with it.
    const { rows: receipt } = await shop.cashier.query(
      "select subtotal, tier_name, tier_discount, discount_total, tax_total, total from app_public.orders where id = $1", [sale.id]);
    expect(receipt).toEqual([{ subtotal: 9000, tier_name: "Gold", tier_discount: 900, discount_total: 900, tax_total: 810, total: 8910 }]);

    // Today's sales, as the admin reads them and as the folded read model keeps them.
    const today = new Date().toISOString().slice(0, 10);
    const [admin] = (await shop.manager.query("select * from reporting.daily_sales($1, $1)", [today])).rows;
    expect([Number(admin.gross_sales), Number(admin.discount_total), Number(admin.net_sales)]).toEqual([9000, 900, 8100]);
    await db.owner.query("select app_private.reporting_fold($1)", [shop.tenantId]);
    const { rows: folded } = await db.owner.query(
      "select business_date::text as day, discount_total::int as discount from reporting.rm_daily_sales where tenant_id = $1 order by business_date", [shop.tenantId]);
    expect(folded).toEqual([
      { day: twoDaysAgo.toISOString().slice(0, 10), discount: 450 },
      { day: today, discount: 900 },
    ]);

    // A data request for the company carries its contacts and its tier.
    const doc = (await db.owner.query("select app_private.customer_data_document($1, $2) as d", [shop.tenantId, acme.id])).rows[0].d;
    expect(doc.customer).toMatchObject({ company_name: "Acme Offices", tier: "Gold" });
    expect(doc.contacts.map((k: { first_name: string; role: string }) => [k.first_name, k.role]).sort()).toEqual([
      ["Ada", "contact"], ["Ben", "contact"], ["Cleo", "primary"],
    ]);

    // The timeline: each sale at the time it was placed, newest first — not when it was recorded.
    const { rows: timeline } = await shop.manager.query(
      "select t.kind, t.occurred_at, t.subject_id from app_public.customers c, app_public.customers_timeline(c, kinds => '{order_placed}') t where c.id = $1",
      [acme.id],
    );
    expect(timeline.map((t) => [t.subject_id, t.occurred_at.toISOString()])).toEqual([
      [sale.id, new Date(sale.placed_at).toISOString()],
      [earlier.id, twoDaysAgo.toISOString()],
    ]);
  });
});
