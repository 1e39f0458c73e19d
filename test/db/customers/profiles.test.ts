// Customer profiles through the SQL commands, as the API role: creation with the computed
// display name and number, normalisation, uniqueness, the identifier rule, updates with their
// audit rows and events, archiving, permissions, bad input, and concurrency.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sqlState, type TestDatabase } from "../../helpers/db.ts";
import {
  auditOf,
  createCustomer,
  customerRow,
  eventsOf,
  openShop,
  outcome,
  terminal,
  updateCustomer,
  written,
  type CustomerFields,
  type Shop,
} from "./helpers.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

describe("create_customer", () => {
  let shop: Shop;
  beforeAll(async () => {
    shop = await openShop(db);
  });

  it("creates a customer from an email alone: display name is the email, number CUST-00001, event and audit", async () => {
    const c = await createCustomer(shop.cashier, { email: "  Ada.Lovelace@Example.COM " });
    expect(c).toMatchObject({
      customer_number: "CUST-00001",
      email: "ada.lovelace@example.com",
      display_name: "ada.lovelace@example.com",
      status: "active",
      tags: [],
      metadata: {},
      created_by: shop.cashier.userId,
      tenant_id: shop.tenantId,
    });
    // Its purchase history starts empty (customer_stats, made with the customer).
    expect(await customerRow(db, c.id)).toMatchObject({ total_visits: 0, total_spend: "0", last_visit_at: null, first_visit_at: null });
    const [event] = await eventsOf(db, shop.tenantId, "customer.created.v1");
    expect(event.aggregate_id).toBe(c.id);
    expect(event.actor_user_id).toBe(shop.cashier.userId);
    expect(event.payload).toMatchObject({
      customer_id: c.id,
      customer_number: "CUST-00001",
      display_name: "ada.lovelace@example.com",
      email: "ada.lovelace@example.com",
      status: "active",
    });
    const audit = await auditOf(db, "customers", c.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: "insert", actor_user_id: shop.cashier.userId });
    expect(audit[0].changes.email).toEqual({ old: null, new: "ada.lovelace@example.com" });
  });

  it("computes the display name: first and last name, else email, else the phone's last four digits", async () => {
    const named = await createCustomer(shop.manager, { first_name: "  Grace ", last_name: "Hopper ", email: "grace@example.com" });
    expect(named.display_name).toBe("Grace Hopper");
    const first = await createCustomer(shop.manager, { first_name: "Linus", phone: "+1 415 555 0199" });
    expect(first.display_name).toBe("Linus");
    const phoneOnly = await createCustomer(shop.manager, { phone: "+44 20 7946 0958" });
    expect(phoneOnly.display_name).toBe("Phone •••• 0958"); // shown to everyone: the number itself needs customers.view_contact
  });

  it("stores tags trimmed and without duplicates, and the consent with its time and source", async () => {
    const c = await createCustomer(shop.manager, {
      first_name: "Tag",
      tags: ["VIP", " vip ", "Wholesale  buyer", "Regular"],
      marketing_consent: true,
      marketing_consent_source: "POS",
      metadata: { loyalty: "gold" },
    });
    expect(c.tags).toEqual(["VIP", "Wholesale buyer", "Regular"]);
    expect(c.marketing_consent).toBe(true);
    expect(c.marketing_consent_source).toBe("pos");
    expect(c.marketing_consent_updated_at).toBeInstanceOf(Date);
    expect(c.metadata).toEqual({ loyalty: "gold" });
  });

  it("refuses a duplicate email (any case) with DUPEM naming the field and the customer, writing nothing", async () => {
    const first = await createCustomer(shop.manager, { email: "dup@example.com", first_name: "Dee" });
    const before = await written(db, shop.tenantId);
    const err = await shop.manager.query("select app_public.create_customer(email => ' DUP@example.com ')").catch((e) => e);
    expect(err.code).toBe("DUPEM");
    expect(err.message).toMatch(/^Email: dup@example.com is already the email of customer CUST-\d{5} \(Dee\)\.$/);
    expect(err.detail).toBe(first.id);
    expect(await written(db, shop.tenantId)).toEqual(before);
  });

  it("refuses a duplicate phone however it is written with DUPPH, writing nothing", async () => {
    await createCustomer(shop.manager, { phone: "(212) 555-0100", first_name: "Phil" });
    const before = await written(db, shop.tenantId);
    const err = await shop.manager.query("select app_public.create_customer(phone => '+1 212.555.0100')").catch((e) => e);
    expect(err.code).toBe("DUPPH");
    expect(err.message).toMatch(/^Phone: \+12125550100 is already the phone number of customer CUST-\d{5} \(Phil\)\.$/);
    expect(await written(db, shop.tenantId)).toEqual(before);
  });

  it("the same email or phone is fine in another business", async () => {
    const other = await openShop(db);
    const c = await createCustomer(other.owner, { email: "dup@example.com", phone: "(212) 555-0100" });
    expect(c.customer_number).toBe("CUST-00001");
  });

  it.each([
    ["nothing at all", {}],
    ["only a last name", { last_name: "Nobody" }],
    ["blank values", { email: "  ", phone: " ", first_name: "   " }],
    ["notes and tags but no identifier", { notes: "Met at the fair", tags: ["fair"] }],
  ] as [string, CustomerFields][])("requires an email, a phone or a first name (%s): NOIDN", async (_label, fields) => {
    const before = await written(db, shop.tenantId);
    expect(await sqlState(() => createCustomer(shop.manager, fields))).toBe("NOIDN");
    expect(await written(db, shop.tenantId)).toEqual(before);
  });

  it("numbers are consecutive and never reused after a refused create", async () => {
    const fresh = await openShop(db);
    await createCustomer(fresh.owner, { first_name: "One" });
    await sqlState(() => createCustomer(fresh.owner, { email: "bad email" }));
    await sqlState(() => createCustomer(fresh.owner, {}));
    const second = await createCustomer(fresh.owner, { first_name: "Two" });
    expect(second.customer_number).toBe("CUST-00002");
  });
});

describe("phone numbers", () => {
  it.each([
    ["(212) 555-0100", "US", "+12125550100"],
    ["1-212-555-0100", "US", "+12125550100"],
    ["212.555.0100", "CA", "+12125550100"],
    ["+44 20 7946 0958", "US", "+442079460958"],
    ["0044 20 7946 0958", "US", "+442079460958"],
    ["020 7946 0958", "GB", "+442079460958"],
    ["06 12 34 56 78", "FR", "+33612345678"],
    ["06 1234 5678", "IT", "+390612345678"],
    ["  +33 (0)6-12-34-56-78 ", "US", "+33612345678"],
    ["030 1234567", "DE", "+49301234567"],
    ["+1 212 555 0100", "AQ", "+12125550100"],
  ])("%s in %s is %s", async (input, country, expected) => {
    const { rows } = await db.asAnonymous().query("select app_hidden.normalize_phone($1, $2) as p", [input, country]);
    expect(rows[0].p).toBe(expected);
  });

  it.each([
    ["letters", "555-CALL-NOW", "US"],
    ["too short", "555 01", "US"],
    ["too long", "+1 234 567 890 123 456", "US"],
    ["a plus in the middle", "212+5550100", "US"],
    ["country code 0", "+0 123 456 789", "US"],
    ["national number in an unknown country", "020 7946 0958", "AQ"],
    ["an extension", "212 555 0100 x12", "US"],
  ])("refuses %s with BADPH", async (_label, input, country) => {
    expect(await sqlState(() => db.asAnonymous().query("select app_hidden.normalize_phone($1, $2)", [input, country]))).toBe("BADPH");
  });

  it("reads national numbers with the business's default country", async () => {
    const shop = await openShop(db, { country: "FR" });
    const c = await createCustomer(shop.owner, { phone: "06 12 34 56 78" });
    expect(c.phone).toBe("+33612345678");
  });
});

describe("update_customer", () => {
  let shop: Shop;
  beforeAll(async () => {
    shop = await openShop(db);
  });

  it("changes the given fields, recomputes the display name, and audits exactly the changes", async () => {
    const c = await createCustomer(shop.manager, { first_name: "Ann", email: "ann@example.com", tags: ["new"] });
    const updated = await updateCustomer(shop.manager, c.id, { last_name: " Lee ", phone: "212 555 0142" });
    expect(updated).toMatchObject({
      first_name: "Ann",
      last_name: "Lee",
      display_name: "Ann Lee",
      phone: "+12125550142",
      email: "ann@example.com",
      tags: ["new"],
    });
    const audit = await auditOf(db, "customers", c.id);
    expect(audit.map((a) => a.action)).toEqual(["insert", "update"]);
    expect(audit[1]).toEqual({
      action: "update",
      actor_user_id: shop.manager.userId,
      changes: {
        last_name: { old: null, new: "Lee" },
        phone: { old: null, new: "+12125550142" },
        display_name: { old: "Ann", new: "Ann Lee" },
        stage: { old: "guest", new: "stub" }, // a name and a phone now
      },
    });
    const events = await eventsOf(db, shop.tenantId, "customer.updated.v1");
    expect(events.at(-1)).toMatchObject({
      aggregate_id: c.id,
      actor_user_id: shop.manager.userId,
      payload: { customer_id: c.id, display_name: "Ann Lee", changes: audit[1].changes },
    });
  });

  it("an email change of a named customer audits the email only; tags, consent and metadata are replaced", async () => {
    const c = await createCustomer(shop.manager, { first_name: "Bo", email: "bo@example.com", tags: ["a", "b"] });
    await updateCustomer(shop.manager, c.id, { email: "BO@NEW.example.com" });
    let audit = await auditOf(db, "customers", c.id);
    expect(audit.at(-1).changes).toEqual({ email: { old: "bo@example.com", new: "bo@new.example.com" } });

    const after = await updateCustomer(shop.manager, c.id, {
      tags: ["b", "c"],
      marketing_consent: false,
      marketing_consent_source: "online",
      metadata: { x: 1 },
    });
    expect(after).toMatchObject({ tags: ["b", "c"], marketing_consent: false, marketing_consent_source: "online", metadata: { x: 1 } });
    audit = await auditOf(db, "customers", c.id);
    expect(Object.keys(audit.at(-1).changes).sort()).toEqual([
      "marketing_consent",
      "marketing_consent_source",
      "marketing_consent_updated_at",
      "metadata",
      "tags",
    ]);
  });

  it("an empty string clears a field; a change that changes nothing writes nothing", async () => {
    const c = await createCustomer(shop.manager, { first_name: "Cy", email: "cy@example.com", notes: "Likes tea" });
    const cleared = await updateCustomer(shop.manager, c.id, { email: "", notes: "" });
    expect(cleared).toMatchObject({ email: null, notes: null, display_name: "Cy" });
    const before = await written(db, shop.tenantId);
    const same = await updateCustomer(shop.manager, c.id, { first_name: "Cy", email: "", tags: [] });
    expect(same.updated_at).toEqual(cleared.updated_at);
    expect(await written(db, shop.tenantId)).toEqual(before);
  });

  it("rechecks uniqueness (DUPEM, DUPPH) and keeps an identifier (NOIDN), writing nothing", async () => {
    await createCustomer(shop.manager, { email: "taken@example.com", phone: "+1 646 555 0101" });
    const c = await createCustomer(shop.manager, { email: "free@example.com" });
    const before = await written(db, shop.tenantId);
    expect(await sqlState(() => updateCustomer(shop.manager, c.id, { email: "Taken@Example.com" }))).toBe("DUPEM");
    expect(await sqlState(() => updateCustomer(shop.manager, c.id, { phone: "646-555-0101" }))).toBe("DUPPH");
    expect(await sqlState(() => updateCustomer(shop.manager, c.id, { email: "" }))).toBe("NOIDN");
    expect(await written(db, shop.tenantId)).toEqual(before);
    expect((await customerRow(db, c.id)).email).toBe("free@example.com");
  });

  it("the display name cannot be written by anyone", async () => {
    const c = await createCustomer(shop.manager, { first_name: "Di" });
    expect(await sqlState(() => shop.owner.query("update app_public.customers set display_name = 'x' where id = $1", [c.id]))).toBe("428C9");
    expect(await sqlState(() => db.owner.query("update app_public.customers set display_name = 'x' where id = $1", [c.id]))).toBe("428C9");
  });

  it("an unknown customer is NOTFD", async () => {
    expect(await sqlState(() => updateCustomer(shop.manager, "01NOPE", { first_name: "X" }))).toBe("NOTFD");
    expect(await sqlState(() => updateCustomer(shop.manager, null as unknown as string, { first_name: "X" }))).toBe("NOTFD");
  });
});

describe("archive and restore", () => {
  it("archives instead of deleting, keeps the email taken, and restores; events and audit follow", async () => {
    const shop = await openShop(db);
    const c = await createCustomer(shop.manager, { email: "arch@example.com" });
    const archived = (await shop.manager.query("select * from app_public.archive_customer($1)", [c.id])).rows[0];
    expect(archived.status).toBe("archived");
    expect(await sqlState(() => createCustomer(shop.manager, { email: "arch@example.com" }))).toBe("DUPEM");
    const again = (await shop.manager.query("select * from app_public.archive_customer($1)", [c.id])).rows[0];
    expect(again.updated_at).toEqual(archived.updated_at);
    const restored = (await shop.manager.query("select * from app_public.restore_customer($1)", [c.id])).rows[0];
    expect(restored.status).toBe("active");
    const audit = await auditOf(db, "customers", c.id);
    expect(audit.slice(1).map((a) => a.changes)).toEqual([
      { status: { old: "active", new: "archived" } },
      { status: { old: "archived", new: "active" } },
    ]);
    const events = await eventsOf(db, shop.tenantId, "customer.updated.v1");
    expect(events.map((e) => e.payload.changes.status.new)).toEqual(["archived", "active"]);
    expect(await sqlState(() => shop.owner.query("delete from app_public.customers where id = $1", [c.id]))).toBe("42501");
  });
});

describe("permissions", () => {
  it("anonymous callers get LOGIN; a cashier may create but not update, archive or merge (DNIED)", async () => {
    const shop = await openShop(db);
    const c = await createCustomer(shop.cashier, { first_name: "Walk-in" });
    expect(await sqlState(() => createCustomer(db.asAnonymous(), { first_name: "X" }))).toBe("LOGIN");
    const before = await written(db, shop.tenantId);
    expect(await sqlState(() => updateCustomer(shop.cashier, c.id, { first_name: "Y" }))).toBe("DNIED");
    expect(await sqlState(() => shop.cashier.query("select app_public.archive_customer($1)", [c.id]))).toBe("DNIED");
    expect(await sqlState(() => shop.cashier.query("select app_public.restore_customer($1)", [c.id]))).toBe("DNIED");
    expect(await sqlState(() => shop.cashier.query("select app_public.merge_customers($1, $1)", [c.id]))).toBe("DNIED");
    expect(await written(db, shop.tenantId)).toEqual(before);
  });

  it("the API role cannot write the customers table directly", async () => {
    const shop = await openShop(db);
    expect(
      await sqlState(() => shop.owner.query("insert into app_public.customers (customer_number, first_name) values ('CUST-99999', 'X')")),
    ).toBe("42501");
    expect(await sqlState(() => shop.owner.query("update app_public.customers set first_name = 'X'"))).toBe("42501");
  });
});

describe("bad input is refused with a coded error and writes nothing", () => {
  let shop: Shop;
  let existing: { id: string };
  beforeAll(async () => {
    shop = await openShop(db);
    existing = await createCustomer(shop.manager, { first_name: "Existing", email: "existing@example.com" });
  });

  const cases: [string, CustomerFields, string][] = [
    ["an invalid email", { email: "not-an-email" }, "BADEM"],
    ["an email without a domain dot", { email: "a@localhost" }, "BADEM"],
    ["an over-long email", { email: `${"a".repeat(250)}@example.com` }, "BADEM"],
    ["a phone with letters", { phone: "call me" }, "BADPH"],
    ["a too short phone", { phone: "12345" }, "BADPH"],
    ["an over-long first name", { first_name: "x".repeat(101) }, "BADIN"],
    ["an over-long last name", { first_name: "A", last_name: "y".repeat(101) }, "BADIN"],
    ["a control character in a name", { first_name: "Bad\u0007Name" }, "BADIN"],
    ["a line break in a name", { first_name: "Two\nLines" }, "BADIN"],
    ["over-long notes", { first_name: "A", notes: "n".repeat(2001) }, "BADIN"],
    ["control characters in notes", { first_name: "A", notes: "bell\u0007" }, "BADIN"],
    ["too many tags", { first_name: "A", tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, "BADTG"],
    ["far too many tags", { first_name: "A", tags: Array.from({ length: 5000 }, () => "t") }, "BADTG"],
    ["an over-long tag", { first_name: "A", tags: ["t".repeat(41)] }, "BADTG"],
    ["an empty tag", { first_name: "A", tags: ["ok", "  "] }, "BADTG"],
    ["a null tag", { first_name: "A", tags: [null as unknown as string] }, "BADTG"],
    ["a tag with a line break", { first_name: "A", tags: ["a\nb"] }, "BADTG"],
    ["metadata that is not an object", { first_name: "A", metadata: [1, 2] }, "BADIN"],
    ["over-large metadata", { first_name: "A", metadata: { blob: "x".repeat(9000) } }, "BADIN"],
    ["an unknown consent source", { first_name: "A", marketing_consent: true, marketing_consent_source: "carrier pigeon" }, "BADIN"],
    ["a null byte in a name", { first_name: "nul\u0000byte" }, "22021"],
    ["a null byte in a tag", { first_name: "A", tags: ["nul\u0000"] }, "22021"],
    ["a null byte in metadata", { first_name: "A", metadata: { k: "nul\u0000" } }, "22P05"],
  ];

  it.each(cases)("create with %s", async (_label, fields, code) => {
    const before = await written(db, shop.tenantId);
    expect(await sqlState(() => createCustomer(shop.manager, fields))).toBe(code);
    expect(await written(db, shop.tenantId)).toEqual(before);
  });

  it.each(cases)("update with %s", async (_label, fields, code) => {
    const before = await written(db, shop.tenantId);
    // The test passes the patch as JSON, where PostgreSQL reports a null byte as 22P05.
    expect(await sqlState(() => updateCustomer(shop.manager, existing.id, fields))).toBe(code === "22021" ? "22P05" : code);
    expect(await written(db, shop.tenantId)).toEqual(before);
  });
});

describe("concurrency", () => {
  it("parallel creates get distinct, consecutive numbers", async () => {
    const shop = await openShop(db);
    const clients = await Promise.all(Array.from({ length: 6 }, () => terminal(db, shop.manager)));
    try {
      const made = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          clients[i % clients.length]
            .query("select customer_number from app_public.create_customer(first_name => $1)", [`Guest ${i}`])
            .then((r) => r.rows[0].customer_number as string),
        ),
      );
      expect(new Set(made).size).toBe(30);
      expect([...made].sort()).toEqual(Array.from({ length: 30 }, (_, i) => `CUST-${String(i + 1).padStart(5, "0")}`));
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  it("two concurrent creates with the same email: one succeeds, the other gets DUPEM", async () => {
    const shop = await openShop(db);
    const [a, b] = [await terminal(db, shop.manager), await terminal(db, shop.cashier)];
    try {
      await a.query("begin");
      await a.query("select app_public.create_customer(email => 'race@example.com')");
      const second = outcome(b.query("select app_public.create_customer(email => 'RACE@example.com', first_name => 'Late')"));
      await new Promise((r) => setTimeout(r, 200)); // b is now waiting on a
      await a.query("commit");
      expect(await second).toBe("DUPEM");
      // And with no explicit ordering: many at once, exactly one wins.
      const results = await Promise.all(
        [a, b, a, b].map((c, i) => outcome(c.query("select app_public.create_customer(phone => $1)", [i % 2 ? "+1 917 555 0123" : "917-555-0123"]))),
      );
      expect(results.filter((r) => r === "ok")).toHaveLength(1);
      expect(results.filter((r) => r === "DUPPH")).toHaveLength(3);
      const { rows } = await db.owner.query("select count(*)::int as n from app_public.customers where tenant_id = $1", [shop.tenantId]);
      expect(rows[0].n).toBe(2);
    } finally {
      await a.end();
      await b.end();
    }
  });
});
