// Notes and addresses of a customer: written through the generated CRUD under policies and
// validation triggers, with at most one default address per customer enforced by the database.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sqlState, type TestDatabase } from "../../helpers/db.ts";
import { auditOf, createCustomer, mergeCustomers, openShop, outcome, terminal, written, type Shop } from "./helpers.ts";

let db: TestDatabase;
let shop: Shop;
let customerId: string;
beforeAll(async () => {
  db = await createTestDatabase();
  shop = await openShop(db, { country: "FR" });
  customerId = (await createCustomer(shop.manager, { first_name: "Nora" })).id;
});
afterAll(() => db?.drop());

const addNote = (actor: Shop["manager"], customer: string, body: string | null, category?: string | null) =>
  actor.query(
    "insert into app_public.customer_notes (customer_id, body, category) values ($1, $2, coalesce($3, 'general')) returning *",
    [customer, body, category ?? null],
  );

const addAddress = (actor: Shop["manager"], customer: string, fields: Record<string, unknown> = {}) => {
  const values = { line1: "1 rue de la Paix", city: "Paris", is_default: false, ...fields };
  const cols = Object.keys(values);
  return actor.query(
    `insert into app_public.customer_addresses (customer_id, ${cols.join(", ")})
     values ($1, ${cols.map((_, i) => `$${i + 2}`).join(", ")}) returning *`,
    [customer, ...Object.values(values)],
  );
};

describe("notes", () => {
  it("a manager adds a categorised note; the author is set by the database and the change audited", async () => {
    const { rows } = await addNote(shop.manager, customerId, "  Prefers oat milk.\nNo sugar. ", "preference");
    expect(rows[0]).toMatchObject({
      customer_id: customerId,
      category: "preference",
      body: "Prefers oat milk.\nNo sugar.",
      author_user_id: shop.manager.userId,
    });
    const audit = await auditOf(db, "customer_notes", rows[0].id);
    expect(audit[0]).toMatchObject({ action: "insert", actor_user_id: shop.manager.userId });
    // Editing keeps the author; deleting is allowed with customers.update.
    const edited = await shop.owner.query("update app_public.customer_notes set body = 'Oat milk' where id = $1 returning *", [rows[0].id]);
    expect(edited.rows[0]).toMatchObject({ body: "Oat milk", author_user_id: shop.manager.userId });
    expect((await auditOf(db, "customer_notes", rows[0].id)).at(-1).changes).toEqual({ body: { old: "Prefers oat milk.\nNo sugar.", new: "Oat milk" } });
    const gone = await shop.manager.query("delete from app_public.customer_notes where id = $1", [rows[0].id]);
    expect(gone.rowCount).toBe(1);
  });

  it.each([
    ["an empty note", "   ", "general", "BADIN"],
    ["a missing note", null, "general", "BADIN"],
    ["an over-long note", "n".repeat(2001), "general", "BADIN"],
    ["a control character", "bell\u0007", "general", "BADIN"],
    ["an unknown category", "Hello", "gossip", "BADIN"],
    ["a null byte", "nul\u0000", "general", "22021"],
  ])("refuses %s with a coded error and writes nothing", async (_label, body, category, code) => {
    const before = await written(db, shop.tenantId);
    expect(await sqlState(() => addNote(shop.manager, customerId, body, category))).toBe(code);
    expect(await written(db, shop.tenantId)).toEqual(before);
  });

  it("a cashier (no customers.update) cannot write notes; an unknown customer is NOTFD", async () => {
    expect(await sqlState(() => addNote(shop.cashier, customerId, "Hi"))).toBe("42501");
    expect(await sqlState(() => addNote(shop.manager, "01NOSUCHCUSTOMER", "Hi"))).toBe("NOTFD");
  });

  it("the customer of a note cannot be changed by the API role", async () => {
    const other = await createCustomer(shop.manager, { first_name: "Other" });
    const { rows } = await addNote(shop.manager, customerId, "Stays put");
    expect(await sqlState(() => shop.owner.query("update app_public.customer_notes set customer_id = $1 where id = $2", [other.id, rows[0].id]))).toBe("42501");
  });
});

describe("addresses", () => {
  it("validates and normalises: country from the business, postal code upper-cased, coordinates in pairs", async () => {
    const { rows } = await addAddress(shop.manager, customerId, {
      type: "Work",
      line1: " 10 Downing Street ",
      postal_code: "sw1a 2aa",
      country: null,
      latitude: 51.5034,
      longitude: -0.1276,
    });
    expect(rows[0]).toMatchObject({
      type: "work",
      line1: "10 Downing Street",
      postal_code: "SW1A 2AA",
      country: "FR",
      latitude: "51.503400",
      longitude: "-0.127600",
      is_default: false,
    });
  });

  it.each([
    ["a missing first line", { line1: " " }, "BADIN"],
    ["a missing city", { city: null }, "BADIN"],
    ["an over-long line", { line2: "x".repeat(201) }, "BADIN"],
    ["a country name", { country: "France" }, "BADIN"],
    ["a latitude without longitude", { latitude: 10 }, "BADIN"],
    ["an impossible latitude", { latitude: 91, longitude: 0 }, "BADIN"],
    ["an unknown type", { type: "castle" }, "BADIN"],
    ["an over-long postal code", { postal_code: "1".repeat(21) }, "BADIN"],
  ])("refuses %s with a coded error and writes nothing", async (_label, fields, code) => {
    const before = await written(db, shop.tenantId);
    expect(await sqlState(() => addAddress(shop.manager, customerId, fields))).toBe(code);
    expect(await written(db, shop.tenantId)).toEqual(before);
  });

  it("making an address the default unsets the previous default", async () => {
    const c = await createCustomer(shop.manager, { first_name: "Dee" });
    const a = (await addAddress(shop.manager, c.id, { line1: "A", is_default: true })).rows[0];
    const b = (await addAddress(shop.manager, c.id, { line1: "B", is_default: true })).rows[0];
    const defaults = async () =>
      (await shop.manager.query("select line1 from app_public.customer_addresses where customer_id = $1 and is_default", [c.id])).rows;
    expect(await defaults()).toEqual([{ line1: "B" }]);
    await shop.manager.query("update app_public.customer_addresses set is_default = true where id = $1", [a.id]);
    expect(await defaults()).toEqual([{ line1: "A" }]);
    expect(b.id).toBeTruthy();
  });

  it("the database itself allows one default per customer: two concurrent defaults cannot both commit", async () => {
    const c = await createCustomer(shop.manager, { first_name: "Race" });
    const x = (await addAddress(shop.manager, c.id, { line1: "X" })).rows[0];
    const y = (await addAddress(shop.manager, c.id, { line1: "Y" })).rows[0];
    const [t1, t2] = [await terminal(db, shop.manager), await terminal(db, shop.owner)];
    try {
      await t1.query("begin");
      await t1.query("update app_public.customer_addresses set is_default = true where id = $1", [x.id]);
      const second = outcome(t2.query("update app_public.customer_addresses set is_default = true where id = $1", [y.id]));
      await new Promise((r) => setTimeout(r, 200));
      await t1.query("commit");
      expect(await second).toBe("23505");
    } finally {
      await t1.end();
      await t2.end();
    }
    const { rows } = await db.owner.query(
      "select count(*)::int as n from app_public.customer_addresses where customer_id = $1 and is_default",
      [c.id],
    );
    expect(rows[0].n).toBe(1);
  });

  it("at most 20 addresses per customer", async () => {
    const c = await createCustomer(shop.manager, { first_name: "Many" });
    for (let i = 0; i < 20; i++) await addAddress(shop.manager, c.id, { line1: `${i} Main St` });
    expect(await sqlState(() => addAddress(shop.manager, c.id, { line1: "One more" }))).toBe("BADIN");
  });

  it("a merged customer takes no new notes or addresses (CMRGD)", async () => {
    const keep = await createCustomer(shop.manager, { first_name: "Keep" });
    const dup = await createCustomer(shop.manager, { first_name: "Dup" });
    await mergeCustomers(shop.manager, keep.id, dup.id);
    expect(await sqlState(() => addNote(shop.manager, dup.id, "Late note"))).toBe("CMRGD");
    expect(await sqlState(() => addAddress(shop.manager, dup.id))).toBe("CMRGD");
  });
});
