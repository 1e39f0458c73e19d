// search_customers: the type-ahead. Partial and case-insensitive over display name, last name,
// email and phone (however the phone is typed), prefix matches first, at most 10 rows, merged
// customers left out, and never another business's customers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.ts";
import { createCustomer, mergeCustomers, openShop, type Shop } from "./helpers.ts";

let db: TestDatabase;
let shop: Shop;
let other: Shop;

beforeAll(async () => {
  db = await createTestDatabase();
  shop = await openShop(db, { country: "FR" });
  other = await openShop(db, { country: "FR" });
  const mine = [
    { first_name: "Ann", last_name: "Lee", email: "ann.lee@example.com", phone: "06 12 34 56 78" },
    { first_name: "Joanna", last_name: "Smith", email: "jo@smith.example" },
    { first_name: "Bob", last_name: "Annan", phone: "+44 20 7946 0958" },
    { email: "zed_100%@example.org" },
    { first_name: "Émile", last_name: "Zola", email: "emile@example.fr" },
  ];
  for (const c of mine) await createCustomer(shop.manager, c);
  for (let i = 0; i < 25; i++) await createCustomer(shop.manager, { first_name: `Annie${String(i).padStart(2, "0")}` });
  // The other business has customers that match every query below.
  for (const c of [
    { first_name: "Ann", last_name: "Other", email: "ann.other@example.com", phone: "06 12 34 56 79" },
    { first_name: "Annabel", email: "jo@smith.example" },
    { first_name: "Zed", email: "zed_100%@example.org" },
  ]) {
    await createCustomer(other.owner, c);
  }
});
afterAll(() => db?.drop());

const search = async (q: string | null, actor = shop.cashier) =>
  (await actor.query("select display_name, email, phone, tenant_id from app_public.search_customers($1)", [q])).rows;
const names = async (q: string | null, actor = shop.cashier) => (await search(q, actor)).map((r) => r.display_name);

describe("search_customers", () => {
  it("finds by the start of the name, case-insensitively, prefix matches first, at most 10", async () => {
    const found = await names("aN");
    expect(found).toHaveLength(10);
    expect(found[0]).toBe("Ann Lee");
    expect(found.slice(1)).toEqual(["Annie00", "Annie01", "Annie02", "Annie03", "Annie04", "Annie05", "Annie06", "Annie07", "Annie08"]);
  });

  it("finds by one letter", async () => {
    expect(await names("j")).toEqual(["Joanna Smith"]);
    expect(await names("É")).toEqual(["Émile Zola"]);
  });

  it("finds by the start of the last name", async () => {
    expect(await names("smi")).toEqual(["Joanna Smith"]);
    expect(await names("zo")).toEqual(["Émile Zola"]);
  });

  it("finds by part of the name from three characters", async () => {
    expect(await names("oann")).toEqual(["Joanna Smith"]);
    expect(await names("NAN")).toEqual(["Bob Annan"]);
  });

  it("a substring match comes after the prefix matches, and only when they leave room", async () => {
    // "nni": no prefix matches, so "Annie.." (containing it) fill the list.
    expect(await names("nni")).toEqual(["Annie00", "Annie01", "Annie02", "Annie03", "Annie04", "Annie05", "Annie06", "Annie07", "Annie08", "Annie09"]);
    // "ann": "Ann Lee" and 24+ "Annie.." start with it, so "Bob Annan" and "Joanna Smith" (which only
    // contain it) cannot be among the 10.
    const prefixed = await names("ann");
    expect(prefixed).toHaveLength(10);
    expect(prefixed).not.toContain("Bob Annan");
    expect(prefixed).not.toContain("Joanna Smith");
    // "jo": one prefix match; from three characters "oan" finds Joanna by substring.
    expect(await names("joa")).toEqual(["Joanna Smith"]);
  });

  it("finds by part of the email", async () => {
    expect(await names("lee@exa")).toEqual(["Ann Lee"]);
    expect(await names("SMITH.EXAMPLE")).toEqual(["Joanna Smith"]);
  });

  it("finds by phone however it is typed", async () => {
    // (A manager: members who see phones in full, customers.view_contact, find by any part of one.)
    for (const q of ["06 12 34", "0612", "+33 6 12 34 56 78", "0033612", "12 34 56", "3456"]) {
      expect([q, await names(q, shop.manager)]).toEqual([q, ["Ann Lee"]]);
    }
    expect(await names("7946 0958", shop.manager)).toEqual(["Bob Annan"]);
    expect(await names("+4420", shop.manager)).toEqual(["Bob Annan"]);
  });

  it("finds a cashier (phones masked) a customer by the whole number only", async () => {
    for (const q of ["06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678"]) {
      expect([q, await names(q)]).toEqual([q, ["Ann Lee"]]);
    }
    for (const q of ["06 12 34", "0612", "3456", "+4420"]) {
      expect([q, await names(q)]).toEqual([q, []]);
    }
  });

  it("treats % and _ as plain characters", async () => {
    expect(await search("zed_100%")).toMatchObject([{ email: "zed_100%@example.org" }]);
    expect(await names("%")).toEqual([]);
    expect(await names("_")).toEqual([]);
    expect(await names("100%@")).toEqual(["zed_100%@example.org"]);
  });

  it("never returns another business's customers", async () => {
    for (const q of ["a", "an", "ann", "ann.other", "jo@smith", "zed", "06 12 34 56 79", "0612", "other"]) {
      const rows = await search(q);
      expect(rows.every((r) => r.tenant_id === shop.tenantId)).toBe(true);
      expect(rows.map((r) => r.display_name)).not.toContain("Ann Other");
      expect(rows.map((r) => r.display_name)).not.toContain("Annabel");
    }
    const theirs = await names("ann", other.owner);
    expect(theirs.sort()).toEqual(["Ann Other", "Annabel"]);
  });

  it("leaves merged customers out, and returns nothing for blank input or without customers.view", async () => {
    const keep = await createCustomer(shop.manager, { first_name: "Quentin" });
    const dup = await createCustomer(shop.manager, { first_name: "Quentina", email: "qq@example.com" });
    await mergeCustomers(shop.manager, keep.id, dup.id);
    expect(await names("quent")).toEqual(["Quentin"]);
    expect(await names("qq@")).toEqual(["Quentin"]); // the email moved to the primary
    expect(await names("   ")).toEqual([]);
    expect(await names(null)).toEqual([]);
    expect(await names("ann", db.asAnonymous() as Shop["cashier"])).toEqual([]);
    await db.owner.query(
      "insert into app_public.roles (tenant_id, key, name, permissions) values ($1, 'clerk', 'Clerk', '{sales.sell}')",
      [shop.tenantId],
    );
    const clerk = await db.asUser(shop.tenantId, "clerk");
    expect(await names("ann", clerk)).toEqual([]);
  });

  it("accepts any text without error", async () => {
    for (const q of ["'; drop table x; --", "\\", "a".repeat(500), "(((", "+", "  +  ", "🙂"]) {
      await expect(search(q)).resolves.toBeInstanceOf(Array);
    }
  });
});
