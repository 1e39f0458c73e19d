// Sensitive actions carry a reason into the audit log: archive, restore, merge, void and plan
// change write audit entries that name the command and the reason given, and nothing else in
// the same transaction is mistaken for them. Owners (settings.view) read the trail.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sqlState, type TestDatabase } from "../../helpers/db.ts";
import { createCustomer, openShop, placeOrder, type Shop } from "../customers/helpers.ts";

let db: TestDatabase;
let shop: Shop;
beforeAll(async () => {
  db = await createTestDatabase();
  shop = await openShop(db);
});
afterAll(() => db?.drop());

const trail = async (entity: string, entityId: string) =>
  (
    await shop.owner.query(
      "select action, command, reason, actor_user_id from app_public.audit_entries where entity = $1 and entity_id = $2 order by created_at, id",
      [entity, entityId],
    )
  ).rows;

describe("reasons in the audit log", () => {
  it("archive and restore keep the reason given, and the command that made the change", async () => {
    const c = await createCustomer(shop.cashier, { first_name: "Ada" });
    await shop.manager.query("select app_public.archive_customer($1, $2)", [c.id, "  Moved abroad  "]);
    await shop.manager.query("select app_public.restore_customer($1)", [c.id]);
    expect((await trail("customers", c.id)).map((r) => [r.action, r.command, r.reason, r.actor_user_id])).toEqual([
      ["insert", null, null, shop.cashier.userId],
      ["update", "archive_customer", "Moved abroad", shop.manager.userId],
      ["update", "restore_customer", null, shop.manager.userId],
    ]);
  });

  it("a merge's every change (the customers, the moved notes) carries the merge and its reason", async () => {
    const p = await createCustomer(shop.cashier, { first_name: "Ben" });
    const d = await createCustomer(shop.cashier, { first_name: "Benjamin" });
    await shop.manager.query("insert into app_public.customer_notes (customer_id, body) values ($1, 'Likes oat milk')", [d.id]);
    await shop.owner.query("select app_public.merge_customers($1, $2, $3)", [p.id, d.id, "Same person, two cards"]);
    const merged = await shop.owner.query(
      "select entity, command, reason from app_public.audit_entries where command is not null and entity in ('customers', 'customer_notes', 'customer_merges') order by entity",
    );
    const mine = merged.rows.filter((r) => r.reason === "Same person, two cards");
    expect(new Set(mine.map((r) => r.entity))).toEqual(new Set(["customers", "customer_notes", "customer_merges"]));
    expect(mine.every((r) => r.command === "merge_customers")).toBe(true);
  });

  it("a void is audited with its reason; the next change of the same transaction is not taken for it", async () => {
    const o = await placeOrder(shop.owner, shop, null);
    const c = await createCustomer(shop.cashier, { first_name: "Cy" });
    await shop.manager.transaction(async (client) => {
      await client.query("select app_public.void_order($1, 'Wrong item rung up')", [o.id]);
      await client.query("select app_public.update_customer($1, jsonb_populate_record(null::app_public.customer_changes, $2::jsonb))", [c.id, JSON.stringify({ last_name: "Later" })]);
    });
    // The payment that made it a sale changed the order too (no command, no reason); the void names both.
    expect((await trail("orders", o.id)).filter((r) => r.command !== null).map((r) => [r.command, r.reason])).toEqual([["void_order", "Wrong item rung up"]]);
    expect((await trail("orders", o.id)).at(-1)).toMatchObject({ command: "void_order", reason: "Wrong item rung up" });
    expect((await trail("customers", c.id)).map((r) => [r.action, r.command])).toEqual([["insert", null], ["update", null]]);
  });

  it("a plan change request is audited with its reason", async () => {
    const { rows } = await shop.owner.query("select id from app_public.change_plan('growth', 'We open a second shop')");
    expect((await trail("billing_requests", rows[0].id)).map((r) => [r.action, r.command, r.reason])).toEqual([["insert", "change_plan", "We open a second shop"]]);
  });

  it("a reason is at most 500 characters of text (BADIN naming it), and only owners and managers read the trail", async () => {
    const c = await createCustomer(shop.cashier, { first_name: "Dee" });
    const err = await shop.manager.query("select app_public.archive_customer($1, $2)", [c.id, "x".repeat(501)]).then(() => null, (e) => e);
    expect([err?.code, err?.column]).toEqual(["BADIN", "reason"]);
    expect((await shop.cashier.query("select count(*)::int as n from app_public.audit_entries")).rows[0].n).toBe(0);
    expect(await sqlState(() => shop.cashier.query("select app_public.archive_customer($1, 'no')", [c.id]))).toBe("DNIED");
  });
});
