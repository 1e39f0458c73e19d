// Possible duplicates (customers/490-possible-duplicates.sql): the warning while a customer is
// being created (likely_duplicates), the Possible duplicates page (possible_duplicate_pairs) and
// its "Not a duplicate" (dismiss_possible_duplicate). Each reason of the rule is found, unrelated
// customers are not, common names are not evidence, another business's customers never appear,
// dismissed and merged pairs leave the list, and each needs its permission.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sqlState, type Member, type TestDatabase } from "../../helpers/db.ts";
import { createCustomer, mergeCustomers, openShop, type Shop } from "./helpers.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

interface Match {
  customer_id: string;
  display_name: string;
  status: string;
  score: number;
  reasons: string[];
}
interface Pair {
  customer_id: string;
  other_customer_id: string;
  display_name: string;
  other_display_name: string;
  score: number;
  reasons: string[];
}

const likely = async (actor: Member, v: { first?: string; last?: string; email?: string; phone?: string }) =>
  (
    await actor.query<Match>("select * from app_public.likely_duplicates($1, $2, $3, $4)", [
      v.first ?? null,
      v.last ?? null,
      v.email ?? null,
      v.phone ?? null,
    ])
  ).rows;

const pairs = async (actor: Member, max = 100, skip = 0) =>
  (await actor.query<Pair>("select * from app_public.possible_duplicate_pairs($1, $2)", [max, skip])).rows;

/** The pairs as "name A / name B: reasons", whichever order the pair is stored in. */
const described = (rows: Pair[]) =>
  rows.map((p) => `${[p.display_name, p.other_display_name].sort().join(" / ")}: ${p.reasons.join(", ")}`);

const dismiss = async (actor: Member, a: string, b: string) =>
  (await actor.query("select app_public.dismiss_possible_duplicate($1, $2) as done", [a, b])).rows[0].done as boolean;

describe("the rule (app_hidden.customer_duplicate_score)", () => {
  it("scores each reason, in words, and nothing for unrelated customers", async () => {
    // (Exact scores; the API rounds them to 2 decimals, as here.)
    const score = async (a: (string | null)[], b: (string | null)[]) =>
      (
        await db.owner.query(
          "select round(score::numeric, 2)::float8 as score, reasons from app_hidden.customer_duplicate_score($1, $2, $3, $4, $5, $6, $7, $8)",
          [...a, ...b],
        )
      ).rows[0];
    expect(await score(["Zelda", "Quimby", "zq@one.example", null], ["Zelda", "Quimby", "zelda@two.example", null])).toEqual({
      score: 0.6,
      reasons: ["Same name"],
    });
    expect(await score(["Zelda", "Quimby", null, null], ["Zelda", "Quimbey", null, null])).toEqual({
      score: 0.41,
      reasons: ["Similar name (0.69)"],
    });
    // The same mobile: typed nationally in a US shop (+1 0…) and with its French country code.
    expect(await score(["Ann", null, null, "+10612345678"], ["Bea", null, null, "+33612345678"])).toEqual({
      score: 0.6,
      reasons: ["Same phone digits"],
    });
    expect(await score([null, null, "zelda.q@gmail.com", null], [null, null, "zelda.q+shop@work.example", null])).toEqual({
      score: 0.5,
      reasons: ["Same email name at another domain"],
    });
    expect(await score([null, null, "zelda.q@gmail.com", null], [null, null, "zelda.q@gmail.com", null])).toEqual({
      score: 0.7,
      reasons: ["Same email"],
    });
    // Reasons add up: 1 - (1 - 0.6) × (1 - 0.6).
    expect(await score(["Zelda", "Quimby", null, "+33612345678"], ["Zelda", "Quimby", null, "+10612345678"])).toEqual({
      score: 0.84,
      reasons: ["Same phone digits", "Same name"],
    });
    // Close names of different people, a shared mailbox's name, short email names: nothing.
    for (const [a, b] of [
      [["John", "Smith", null, null], ["Joan", "Smith", null, null]],
      [["Michael", "Brown", null, null], ["Michelle", "Brown", null, null]],
      [[null, null, "info@a.example", null], [null, null, "info@b.example", null]],
      [[null, null, "jo@a.example", null], [null, null, "jo@b.example", null]],
      [["Ann", "Lee", "ann@a.example", "+33612345678"], ["Bob", "Annan", "bob@a.example", "+33698765432"]],
    ]) {
      expect(await score(a, b)).toEqual({ score: 0, reasons: [] });
    }
  });
});

describe("likely_duplicates: the warning while a customer is created", () => {
  let shop: Shop;
  let other: Shop;
  let zelda: string;
  let mobile: string;
  let mail: string;
  beforeAll(async () => {
    shop = await openShop(db, { country: "US" });
    other = await openShop(db, { country: "US" });
    zelda = (await createCustomer(shop.manager, { first_name: "Zelda", last_name: "Quimby", email: "zelda@quimby.example" })).id;
    mobile = (await createCustomer(shop.manager, { first_name: "Marcel", last_name: "Proust", phone: "+33 6 12 34 56 78" })).id;
    mail = (await createCustomer(shop.manager, { first_name: "Ada", email: "ada.lovelace@gmail.com" })).id;
    await createCustomer(shop.manager, { first_name: "Bob", last_name: "Annan", email: "bob@annan.example", phone: "+1 212 555 0100" });
    // Another business's customers match every value below.
    for (const c of [
      { first_name: "Zelda", last_name: "Quimby", email: "zelda@other.example" },
      { first_name: "Marcel", phone: "+33 6 12 34 56 78" },
      { first_name: "Ada", email: "ada.lovelace@yahoo.example" },
    ]) {
      await createCustomer(other.owner, c);
    }
  });

  it("a second Zelda Quimby with another email: the first one, same name", async () => {
    const found = await likely(shop.cashier, { first: "Zelda", last: "Quimby", email: "zq@another.example" });
    expect(found.map((m) => [m.customer_id, m.display_name, m.score, m.reasons])).toEqual([[zelda, "Zelda Quimby", 0.6, ["Same name"]]]);
  });

  it("a slip in the name", async () => {
    const found = await likely(shop.cashier, { first: "Zelda", last: "Quimbey" });
    expect(found.map((m) => [m.customer_id, m.reasons])).toEqual([[zelda, ["Similar name (0.69)"]]]);
  });

  it("the same mobile typed as a national number of the shop's country", async () => {
    // In a US shop, "06 12 34 56 78" is read as +1 0612345678: the French mobile's digits.
    const found = await likely(shop.cashier, { first: "M.", phone: "06 12 34 56 78" });
    expect(found.map((m) => [m.customer_id, m.reasons])).toEqual([[mobile, ["Same phone digits"]]]);
  });

  it("the same email name at another domain, and the same email itself", async () => {
    expect((await likely(shop.cashier, { email: " Ada.Lovelace@Work.example " })).map((m) => [m.customer_id, m.reasons])).toEqual([
      [mail, ["Same email name at another domain"]],
    ]);
    expect((await likely(shop.cashier, { email: "ada.lovelace@gmail.com" })).map((m) => [m.customer_id, m.reasons])).toEqual([
      [mail, ["Same email"]],
    ]);
    // Before its @, what is typed is not yet an email name.
    expect(await likely(shop.cashier, { email: "ada.lovelace" })).toEqual([]);
  });

  it("nothing for an unrelated customer, and no error for values still being typed", async () => {
    expect(await likely(shop.cashier, { first: "Quentin", last: "Blake", email: "quentin@blake.example", phone: "+44 20 7946 0958" })).toEqual([]);
    expect(await likely(shop.cashier, { first: "Zel", phone: "06 1" })).toEqual([]);
    expect(await likely(shop.cashier, { phone: "06 12 abc" })).toEqual([]);
    expect(await likely(shop.cashier, {})).toEqual([]);
  });

  it("archived customers are offered, merged ones are not", async () => {
    const archived = (await createCustomer(shop.manager, { first_name: "Olive", last_name: "Oyl" })).id;
    await shop.owner.query("select app_public.archive_customer($1)", [archived]);
    expect((await likely(shop.cashier, { first: "Olive", last: "Oyl" })).map((m) => [m.customer_id, m.status])).toEqual([[archived, "archived"]]);

    const kept = (await createCustomer(shop.manager, { first_name: "Popeye", email: "popeye@sea.example" })).id;
    const merged = (await createCustomer(shop.manager, { first_name: "Popeye", last_name: "Sailor" })).id;
    await mergeCustomers(shop.manager, kept, merged);
    // The merge gave the kept one the last name; the merged record is not offered.
    expect((await likely(shop.cashier, { first: "Popeye", last: "Sailor" })).map((m) => m.customer_id)).toEqual([kept]);
  });

  it("a name shared by more than 10 customers is not evidence by itself", async () => {
    const shared = await openShop(db);
    for (let i = 0; i < 10; i++) await createCustomer(shared.manager, { first_name: "James", last_name: "Smith", email: `james${i}@smith.example` });
    // 10 already: an 11th would make the key common, so no warning for the name…
    expect(await likely(shared.cashier, { first: "James", last: "Smith" })).toEqual([]);
    // …but the email name still finds one, and then the rule weighs everything, the name too.
    expect((await likely(shared.cashier, { first: "James", last: "Smith", email: "james3@other.example" })).map((m) => m.reasons)).toEqual([
      ["Same email name at another domain", "Same name"],
    ]);
  });

  it("at most 5, best first", async () => {
    const many = await openShop(db);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await createCustomer(many.manager, { first_name: "Nora", last_name: "Batty", email: `nora${i}@batty.example` })).id);
    const found = await likely(many.cashier, { first: "Nora", last: "Batty", email: "nora6@elsewhere.example" });
    expect(found).toHaveLength(5);
    expect(found[0]).toMatchObject({ customer_id: ids[6], reasons: ["Same email name at another domain", "Same name"], score: 0.8 });
    expect(found.slice(1).every((m) => m.score === 0.6)).toBe(true);
  });

  it("never another business's customers", async () => {
    const found = [
      ...(await likely(shop.owner, { first: "Zelda", last: "Quimby", email: "zelda@other.example" })),
      ...(await likely(shop.owner, { first: "Marcel", phone: "+33 6 12 34 56 78" })),
      ...(await likely(shop.owner, { email: "ada.lovelace@yahoo.example" })),
    ];
    const tenants = await db.owner.query("select distinct tenant_id from app_public.customers where id = any($1)", [found.map((m) => m.customer_id)]);
    expect(tenants.rows).toEqual([{ tenant_id: shop.tenantId }]);
    // The other business sees its own.
    expect((await likely(other.owner, { first: "Zelda", last: "Quimby" })).map((m) => m.display_name)).toEqual(["Zelda Quimby"]);
  });

  it("needs customers.view", async () => {
    await db.owner.query("insert into app_public.roles (tenant_id, key, name, permissions) values ($1, 'clerk', 'Clerk', '{sales.sell}')", [
      shop.tenantId,
    ]);
    const clerk = await db.asUser(shop.tenantId, "clerk");
    expect(await sqlState(() => likely(clerk, { first: "Zelda", last: "Quimby" }))).toBe("DNIED");
    expect(await sqlState(() => likely(db.asAnonymous() as Member, { first: "Zelda", last: "Quimby" }))).toBe("LOGIN");
  });
});

describe("possible_duplicate_pairs and dismiss_possible_duplicate: the Possible duplicates page", () => {
  let shop: Shop;
  let other: Shop;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    shop = await openShop(db, { country: "US" });
    other = await openShop(db, { country: "US" });
    const add = async (key: string, fields: Parameters<typeof createCustomer>[1], actor = shop.manager) =>
      (ids[key] = (await createCustomer(actor, fields)).id);
    await add("zelda1", { first_name: "Zelda", last_name: "Quimby", email: "zelda@quimby.example" });
    await add("zelda2", { first_name: "Zelda", last_name: "Quimby", email: "zq@another.example" });
    await add("marcel1", { first_name: "Marcel", last_name: "Proust", phone: "+33 6 12 34 56 78" });
    await add("marcel2", { first_name: "Marcel", last_name: "Proust", phone: "06 12 34 56 78" });
    await add("ada1", { first_name: "Ada", email: "ada.lovelace@gmail.com" });
    await add("ada2", { first_name: "Augusta", email: "ada.lovelace@work.example" });
    await add("steven", { first_name: "Steven", last_name: "Walker" });
    await add("stephen", { first_name: "Stephen", last_name: "Walker" });
    await add("john", { first_name: "John", last_name: "Smith", email: "john@smith.example" });
    await add("joan", { first_name: "Joan", last_name: "Smith", email: "joan@smith.example" });
    await add("bob", { first_name: "Bob", last_name: "Annan", phone: "+1 212 555 0100" });
    // The other business has a Zelda Quimby too, and one who shares ours' email name.
    await add("otherZelda", { first_name: "Zelda", last_name: "Quimby" }, other.owner);
    await add("otherAda", { first_name: "Ada", email: "ada.lovelace@yahoo.example" }, other.owner);
  });

  it("lists each kind of likely pair, best first, and nothing unrelated", async () => {
    expect(described(await pairs(shop.manager))).toEqual([
      "Marcel Proust / Marcel Proust: Same phone digits, Same name",
      "Zelda Quimby / Zelda Quimby: Same name",
      "Ada / Augusta: Same email name at another domain",
      "Stephen Walker / Steven Walker: Similar name (0.61)",
    ]);
    const first = (await pairs(shop.manager))[0]!;
    expect(first.score).toBe(0.84);
    // Stored with the smaller id first.
    expect(first.customer_id < first.other_customer_id).toBe(true);
  });

  it("pages", async () => {
    const all = await pairs(shop.manager);
    expect(await pairs(shop.manager, 2, 0)).toEqual(all.slice(0, 2));
    expect(await pairs(shop.manager, 2, 2)).toEqual(all.slice(2, 4));
    expect(await pairs(shop.manager, 2, 4)).toEqual([]);
    expect(await sqlState(() => pairs(shop.manager, 0))).toBe("BADIN");
    expect(await sqlState(() => pairs(shop.manager, 101))).toBe("BADIN");
    expect(await sqlState(() => pairs(shop.manager, 10, -1))).toBe("BADIN");
  });

  it("never lists or dismisses another business's customers", async () => {
    const listed = (await pairs(shop.owner)).flatMap((p) => [p.customer_id, p.other_customer_id]);
    expect(listed).not.toContain(ids.otherZelda);
    expect(listed).not.toContain(ids.otherAda);
    expect(described(await pairs(other.owner))).toEqual([]);
    expect(await sqlState(() => dismiss(shop.owner, ids.zelda1!, ids.otherZelda!))).toBe("NOTFD");
    expect(await sqlState(() => dismiss(other.owner, ids.zelda1!, ids.zelda2!))).toBe("NOTFD");
    const rows = await db.owner.query("select count(*)::int as n from app_private.customer_duplicate_dismissals");
    expect(rows.rows[0].n).toBe(0);
  });

  it("a dismissed pair is gone for good, whichever order it was given in; audited", async () => {
    const ada = (await pairs(shop.manager)).find((p) => p.reasons.includes("Same email name at another domain"))!;
    // Given the other way round from how the list stores it.
    expect(await dismiss(shop.manager, ada.other_customer_id, ada.customer_id)).toBe(true);
    expect(await dismiss(shop.manager, ada.customer_id, ada.other_customer_id)).toBe(false);
    expect(described(await pairs(shop.manager))).toEqual([
      "Marcel Proust / Marcel Proust: Same phone digits, Same name",
      "Zelda Quimby / Zelda Quimby: Same name",
      "Stephen Walker / Steven Walker: Similar name (0.61)",
    ]);
    const stored = await db.owner.query("select id, customer_id, other_customer_id, dismissed_by from app_private.customer_duplicate_dismissals");
    expect(stored.rows).toEqual([
      { id: expect.any(String), customer_id: ada.customer_id, other_customer_id: ada.other_customer_id, dismissed_by: shop.manager.userId },
    ]);
    const audit = await db.owner.query(
      "select action, actor_user_id, command from app_public.audit_entries where entity = 'customer_duplicate_dismissals' and entity_id = $1",
      [stored.rows[0].id],
    );
    expect(audit.rows).toEqual([{ action: "insert", actor_user_id: shop.manager.userId, command: "dismiss_possible_duplicate" }]);
    // The warning still says it (it is about a customer not yet created).
    expect((await likely(shop.cashier, { email: "ada.lovelace@elsewhere.example" })).length).toBe(2);
  });

  it("a merged pair leaves the list", async () => {
    await mergeCustomers(shop.manager, ids.zelda1!, ids.zelda2!);
    expect(described(await pairs(shop.manager))).toEqual([
      "Marcel Proust / Marcel Proust: Same phone digits, Same name",
      "Stephen Walker / Steven Walker: Similar name (0.61)",
    ]);
    expect(await sqlState(() => dismiss(shop.manager, ids.zelda1!, ids.zelda2!))).toBe("CMRGD");
    expect(await sqlState(() => dismiss(shop.manager, ids.zelda1!, ids.zelda1!))).toBe("BADIN");
    expect(await sqlState(() => dismiss(shop.manager, ids.zelda1!, null as unknown as string))).toBe("BADIN");
  });

  it("needs customers.merge to see the pairs or dismiss one", async () => {
    expect(await sqlState(() => pairs(shop.cashier))).toBe("DNIED");
    expect(await sqlState(() => dismiss(shop.cashier, ids.marcel1!, ids.marcel2!))).toBe("DNIED");
    expect(described(await pairs(shop.owner))).toHaveLength(2);
  });
});
