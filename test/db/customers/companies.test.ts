// Company accounts and their contacts (issue 16): the company fields through create_customer and
// update_customer with coded errors, the display name, the account status, the search by name,
// tax ID and contact, and exactly one primary contact per company — also under concurrency.
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sqlState, type Actor, type TestDatabase } from "../../helpers/db.ts";
import { auditOf, createCustomer, openShop, updateCustomer, type Shop } from "./helpers.ts";

let db: TestDatabase;
let shop: Shop;
beforeAll(async () => {
  db = await createTestDatabase();
  shop = await openShop(db, { country: "FR" });
});
afterAll(() => db?.drop());

async function createCompany(actor: Actor, fields: Record<string, unknown>) {
  const names = Object.keys(fields);
  const { rows } = await actor.query(
    `select * from app_public.create_customer(${names.map((n, i) => `${n} => $${i + 1}`).join(", ")})`,
    Object.values(fields),
  );
  return rows[0];
}

async function addContact(actor: Actor, customerId: string, fields: Record<string, unknown>) {
  const names = Object.keys(fields);
  const { rows } = await actor.query(
    `select * from app_public.add_customer_contact($1${names.map((n, i) => `, ${n} => $${i + 2}`).join("")})`,
    [customerId, ...Object.values(fields)],
  );
  return rows[0];
}

const contactsOf = async (customerId: string) =>
  (await db.owner.query("select id, display_name, role from app_public.customer_contacts where customer_id = $1 order by created_at, id", [customerId])).rows;

/** The error a call fails with: its SQLSTATE and message. */
async function failure(fn: () => Promise<unknown>) {
  try {
    await fn();
  } catch (e) {
    const err = e as { code?: string; message?: string };
    return { code: err.code, message: err.message };
  }
  throw new Error("expected the call to fail");
}

describe("company accounts", () => {
  it("a company is shown by its name, with its fields cleaned and the business's currency", async () => {
    const c = await createCompany(shop.manager, {
      kind: "company", company_name: " Acme Trading ", first_name: "Ann", tax_id: "fr 12 345 678 901",
      website: "acme.example.com", credit_limit: 500000, payment_terms_days: 30, internal_notes: "Pays late in August",
    });
    expect(c).toMatchObject({
      kind: "company", company_name: "Acme Trading", display_name: "Acme Trading", tax_id: "FR12345678901",
      website: "https://acme.example.com", credit_limit: "500000", payment_terms_days: 30, currency: "USD",
      internal_notes: "Pays late in August", account_status: "active", suspended_reason: null,
    });
    // A person keeps the old rule.
    expect((await createCustomer(shop.manager, { first_name: "Zoe", last_name: "Kim" })).display_name).toBe("Zoe Kim");
  });

  it("bad input gets a coded error naming the field, and nothing is written", async () => {
    const before = (await db.owner.query("select count(*)::int as n from app_public.customers")).rows[0].n;
    expect(await failure(() => createCompany(shop.manager, { kind: "company", company_name: "X", tax_id: "DE12" })))
      .toMatchObject({ code: "BADTX", message: expect.stringContaining("DE123456789") });
    expect((await failure(() => createCompany(shop.manager, { kind: "company", company_name: "X", tax_id: "A$B" }))).code).toBe("BADTX");
    expect((await failure(() => createCompany(shop.manager, { first_name: "Pat", tax_id: "DE123456789" }))).code).toBe("NOTCO");
    expect((await failure(() => createCompany(shop.manager, { kind: "company", first_name: "Pat" }))).message).toContain("Company name is required");
    expect((await failure(() => createCompany(shop.manager, { kind: "company", company_name: "X", credit_limit: -1 }))).message).toContain("Credit limit");
    expect((await failure(() => createCompany(shop.manager, { kind: "company", company_name: "X", payment_terms_days: 400 }))).message).toContain("Payment terms");
    expect((await failure(() => createCompany(shop.manager, { kind: "company", company_name: "X", currency: "XXQ" }))).message).toContain("Currency");
    expect((await failure(() => createCompany(shop.manager, { kind: "company", company_name: "X", website: "not a site" }))).message).toContain("Website");
    expect((await failure(() => createCompany(shop.manager, { kind: "robot", company_name: "X" }))).message).toContain("Kind");
    expect((await db.owner.query("select count(*)::int as n from app_public.customers")).rows[0].n).toBe(before);
  });

  it("update switches kind, suspends with a reason, picks default addresses among the customer's own", async () => {
    const p = await createCustomer(shop.manager, { first_name: "Lea", email: "lea@shop.fr" });
    const co = await updateCustomer(shop.manager, p.id, { kind: "company", company_name: "Lea SARL", currency: "eur" } as never);
    expect(co).toMatchObject({ kind: "company", display_name: "Lea SARL", currency: "EUR" });
    // The list's view and the search see the new name.
    expect((await shop.manager.query("select display_name, kind, company_name from app_public.customer_rows where id = $1", [p.id])).rows[0])
      .toEqual({ display_name: "Lea SARL", kind: "company", company_name: "Lea SARL" });

    expect((await failure(() => updateCustomer(shop.manager, p.id, { account_status: "suspended" } as never))).code).toBe("SUSRN");
    const suspended = await updateCustomer(shop.manager, p.id, { account_status: "suspended", suspended_reason: "Unpaid invoices" } as never);
    expect(suspended).toMatchObject({ account_status: "suspended", suspended_reason: "Unpaid invoices", status: "active" });
    const active = await updateCustomer(shop.manager, p.id, { account_status: "active" } as never);
    expect(active).toMatchObject({ account_status: "active", suspended_reason: null });

    const addr = (await shop.manager.query(
      "insert into app_public.customer_addresses (customer_id, type, line1, city) values ($1, 'billing', '1 rue A', 'Paris') returning id", [p.id])).rows[0].id;
    const other = await createCustomer(shop.manager, { first_name: "Other" });
    const foreign = (await shop.manager.query(
      "insert into app_public.customer_addresses (customer_id, line1, city) values ($1, '2 rue B', 'Lyon') returning id", [other.id])).rows[0].id;
    expect(await failure(() => updateCustomer(shop.manager, p.id, { billing_address_id: foreign } as never)))
      .toMatchObject({ code: "NOTFD", message: expect.stringContaining("Billing address") });
    expect(await updateCustomer(shop.manager, p.id, { billing_address_id: addr, shipping_address_id: addr } as never))
      .toMatchObject({ billing_address_id: addr, shipping_address_id: addr });
    // Deleting the address clears the default.
    await shop.manager.query("delete from app_public.customer_addresses where id = $1", [addr]);
    expect((await db.owner.query("select billing_address_id, shipping_address_id from app_public.customers where id = $1", [p.id])).rows[0])
      .toEqual({ billing_address_id: null, shipping_address_id: null });

    // Back to a person: the company fields go, the name follows; the audit lists the change.
    const person = await updateCustomer(shop.manager, p.id, { kind: "person" } as never);
    expect(person).toMatchObject({ kind: "person", company_name: null, currency: null, display_name: "Lea" });
    const audit = await auditOf(db, "customers", p.id);
    expect(audit.at(-1).changes).toMatchObject({ kind: { old: "company", new: "person" } });
  });

  it("the type-ahead finds a company by name, by tax ID and by a contact, naming the contact", async () => {
    const co = await createCompany(shop.manager, { kind: "company", company_name: "Zylophone Works", tax_id: "DE 987654321" });
    await addContact(shop.manager, co.id, { first_name: "Quentin", last_name: "Marlowe", email: "q.marlowe@zylo.de" });
    const search = async (q: string) =>
      (await shop.cashier.query(
        "select c.display_name, (app_public.customers_matched_contact(c, $1)).display_name as contact from app_public.search_customers($1) c", [q])).rows;
    expect(await search("zylo")).toContainEqual({ display_name: "Zylophone Works", contact: null });
    expect(await search("de9876")).toEqual([{ display_name: "Zylophone Works", contact: null }]);
    expect(await search("quent")).toEqual([{ display_name: "Zylophone Works", contact: "Quentin Marlowe" }]);
    expect(await search("marlo")).toEqual([{ display_name: "Zylophone Works", contact: "Quentin Marlowe" }]);
    expect(await search("q.marlowe@")).toEqual([{ display_name: "Zylophone Works", contact: "Quentin Marlowe" }]);
    // Another business finds nothing.
    const other = await openShop(db);
    expect((await other.manager.query("select * from app_public.search_customers('quent')")).rows).toEqual([]);
  });
});

describe("contacts", () => {
  it("only companies have contacts; the first is primary; emails are unique per company; changes are audited", async () => {
    const person = await createCustomer(shop.manager, { first_name: "Solo" });
    expect((await failure(() => addContact(shop.manager, person.id, { first_name: "X" }))).code).toBe("NOTCO");

    const co = await createCompany(shop.manager, { kind: "company", company_name: "Beta GmbH" });
    const a = await addContact(shop.manager, co.id, { first_name: "Ada", email: " Ada@Beta.de ", phone: "01 23 45 67 89" });
    expect(a).toMatchObject({ role: "primary", email: "ada@beta.de", phone: "+33123456789", display_name: "Ada" });
    const b = await addContact(shop.manager, co.id, { first_name: "Ben", role: "billing" });
    expect(b.role).toBe("billing");
    expect((await failure(() => addContact(shop.manager, co.id, { first_name: "Ada2", email: "ADA@beta.de" }))).code).toBe("DUPCE");
    expect((await failure(() => addContact(shop.manager, co.id, { notes: "nobody" }))).message).toContain("name or an email");
    expect((await failure(() => addContact(shop.cashier, co.id, { first_name: "Cashier's" }))).code).toBe("DNIED");

    // The primary cannot step down by itself; making another primary moves the flag.
    expect((await failure(() => shop.manager.query("select app_public.update_customer_contact($1, role => 'contact')", [a.id]))).code).toBe("PRIMR");
    await shop.manager.query("select app_public.set_primary_customer_contact($1)", [b.id]);
    expect(await contactsOf(co.id)).toEqual([
      { id: a.id, display_name: "Ada", role: "contact" },
      { id: b.id, display_name: "Ben", role: "primary" },
    ]);
    // Removing the primary hands the flag to the oldest remaining contact.
    await shop.manager.query("select app_public.remove_customer_contact($1)", [b.id]);
    expect(await contactsOf(co.id)).toEqual([{ id: a.id, display_name: "Ada", role: "primary" }]);
    const audit = await auditOf(db, "customer_contacts", b.id);
    expect(audit.map((e: { action: string }) => e.action)).toEqual(["insert", "update", "delete"]);

    // Another business cannot see or touch them.
    const other = await openShop(db);
    expect((await other.manager.query("select * from app_public.customer_contacts")).rows).toEqual([]);
    expect((await failure(() => other.manager.query("select app_public.set_primary_customer_contact($1)", [a.id]))).code).toBe("NOTFD");
    expect(await sqlState(() => other.manager.query("select app_public.add_customer_contact($1, first_name => 'X')", [co.id]))).toBe("NOTFD");
  });

  it("erasing a company's customer removes its contacts", async () => {
    const co = await createCompany(shop.owner, { kind: "company", company_name: "Gamma Ltd", internal_notes: "VIP" });
    await addContact(shop.owner, co.id, { first_name: "Gus", email: "gus@gamma.test" });
    await shop.owner.query("select app_public.erase_customer($1, 'Asked by email')", [co.id]);
    expect(await contactsOf(co.id)).toEqual([]);
    expect((await db.owner.query("select internal_notes from app_public.customers where id = $1", [co.id])).rows[0].internal_notes).toBeNull();
  });

  async function race(first: (c: pg.PoolClient) => Promise<unknown>, second: (c: pg.PoolClient) => Promise<unknown>) {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let firstDone!: () => void;
    const firstWrote = new Promise<void>((r) => (firstDone = r));
    const t1 = shop.manager.transaction(async (c) => {
      await first(c);
      firstDone();
      await held;
    });
    await firstWrote;
    const t2 = shop.owner.transaction(async (c) => second(c));
    // The second waits for the first's lock on the company before it is let go.
    for (let i = 0; i < 100; i++) {
      const { rows } = await db.owner.query(
        "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'");
      if (rows[0].n > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    release();
    await Promise.all([t1, t2]);
  }

  it("two concurrent 'set primary' calls leave exactly one primary: the later one", async () => {
    const co = await createCompany(shop.manager, { kind: "company", company_name: "Delta SA" });
    const x = await addContact(shop.manager, co.id, { first_name: "Xena" });
    const y = await addContact(shop.manager, co.id, { first_name: "Yuri" });
    const z = await addContact(shop.manager, co.id, { first_name: "Zack" });
    await race(
      (c) => c.query("select app_public.set_primary_customer_contact($1)", [y.id]),
      (c) => c.query("select app_public.set_primary_customer_contact($1)", [z.id]),
    );
    expect(await contactsOf(co.id)).toEqual([
      { id: x.id, display_name: "Xena", role: "contact" },
      { id: y.id, display_name: "Yuri", role: "contact" },
      { id: z.id, display_name: "Zack", role: "primary" },
    ]);
  });

  it("two concurrent first contacts: one becomes primary, the other a plain contact", async () => {
    const co = await createCompany(shop.manager, { kind: "company", company_name: "Epsilon BV" });
    await race(
      (c) => c.query("select app_public.add_customer_contact($1, first_name => 'First')", [co.id]),
      (c) => c.query("select app_public.add_customer_contact($1, first_name => 'Second')", [co.id]),
    );
    expect(await contactsOf(co.id)).toEqual([
      { id: expect.any(String), display_name: "First", role: "primary" },
      { id: expect.any(String), display_name: "Second", role: "contact" },
    ]);
  });
});
