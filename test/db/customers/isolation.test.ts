// Row-level security and tenant isolation for every customer table and function: a member of
// business A never reads, changes or refers to business B's customers, notes, addresses or
// merges, whatever ids they send; and a role without customers.view sees nothing at all.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sqlState, type Member, type TestDatabase } from "../../helpers/db.ts";
import { createCustomer, mergeCustomers, openShop, placeOrder, updateCustomer, written, type Shop } from "./helpers.ts";

let db: TestDatabase;
let a: Shop;
let b: Shop;
let bIds: { customer: string; duplicate: string; note: string; address: string; merge: string; order: string };

beforeAll(async () => {
  db = await createTestDatabase();
  a = await openShop(db, { company: "Alpha" });
  b = await openShop(db, { company: "Bravo" });
  await createCustomer(a.manager, { first_name: "Alice", email: "alice@example.com" });
  const customer = (await createCustomer(b.manager, { first_name: "Bruno", email: "bruno@example.com" })).id;
  const duplicate = (await createCustomer(b.manager, { first_name: "Brunon" })).id;
  const order = (await placeOrder(b.cashier, b, customer)).id;
  const note = (
    await b.manager.query("insert into app_public.customer_notes (customer_id, body) values ($1, 'B only') returning id", [customer])
  ).rows[0].id;
  const address = (
    await b.manager.query(
      "insert into app_public.customer_addresses (customer_id, line1, city) values ($1, 'B street', 'B town') returning id",
      [customer],
    )
  ).rows[0].id;
  const spare = (await createCustomer(b.manager, { first_name: "Spare" })).id;
  await mergeCustomers(b.manager, customer, spare);
  const merge = (await db.owner.query("select id from app_public.customer_merges where duplicate_id = $1", [spare])).rows[0].id;
  bIds = { customer, duplicate, note, address, merge, order };
});
afterAll(() => db?.drop());

const TABLES = ["customers", "customer_notes", "customer_addresses", "customer_merges"] as const;

describe("tables", () => {
  it.each(TABLES)("%s: A's members see only A's rows, whatever they filter on", async (table) => {
    for (const member of [a.owner, a.manager, a.cashier]) {
      const all = await member.query(`select tenant_id from app_public.${table}`);
      expect(all.rows.every((r) => r.tenant_id === a.tenantId)).toBe(true);
      const byId = await member.query(`select id from app_public.${table} where id = any($1)`, [Object.values(bIds)]);
      expect(byId.rows).toEqual([]);
      const byTenant = await member.query(`select count(*)::int as n from app_public.${table} where tenant_id = $1`, [b.tenantId]);
      expect(byTenant.rows[0].n).toBe(0);
    }
  });

  it("A cannot change or delete B's notes and addresses (no rows reached) and B's data is unchanged", async () => {
    const before = await written(db, b.tenantId);
    const updates = [
      await a.owner.query("update app_public.customer_notes set body = 'pwned' where id = $1", [bIds.note]),
      await a.owner.query("update app_public.customer_addresses set line1 = 'pwned' where id = $1", [bIds.address]),
      await a.owner.query("delete from app_public.customer_notes where id = $1", [bIds.note]),
      await a.owner.query("delete from app_public.customer_addresses where id = $1", [bIds.address]),
    ];
    expect(updates.map((r) => r.rowCount)).toEqual([0, 0, 0, 0]);
    expect(await written(db, b.tenantId)).toEqual(before);
  });

  it("A cannot attach a note or address to B's customer, nor plant a row in B by sending B's tenant id", async () => {
    const before = await written(db, b.tenantId);
    expect(
      await sqlState(() => a.owner.query("insert into app_public.customer_notes (customer_id, body) values ($1, 'x')", [bIds.customer])),
    ).toBe("NOTFD");
    expect(
      await sqlState(() =>
        a.owner.query("insert into app_public.customer_addresses (customer_id, line1, city) values ($1, 'x', 'y')", [bIds.customer]),
      ),
    ).toBe("NOTFD");
    expect(
      await sqlState(() =>
        a.owner.query("insert into app_public.customer_notes (tenant_id, customer_id, body) values ($1, $2, 'x')", [b.tenantId, bIds.customer]),
      ),
    ).toBe("42501");
    expect(await written(db, b.tenantId)).toEqual(before);
  });

  it("the API role has no write access to customers, their history and merges, and no access to the counters table", async () => {
    for (const sql of [
      "insert into app_public.customers (customer_number, first_name) values ('CUST-00009', 'X')",
      "update app_public.customers set first_name = 'X'",
      "update app_public.customer_stats set visits = 1000",
      "insert into app_public.customer_item_stats (customer_id, catalog_item_id, quantity) values ('x', 'y', 1)",
      "update app_public.customer_preferences set do_not_contact = false",
      "insert into app_public.customer_contact_channels (customer_id, channel, allowed, source) values ('x', 'email', true, 'pos')",
      "update app_public.loyalty_settings set regular_min_visits = 2",
      "update app_public.customer_types set label = 'X'",
      "delete from app_public.customers",
      "update app_public.customer_merges set moved_order_ids = '{}'",
      "delete from app_public.customer_merges",
      "select * from app_private.tenant_counters",
    ]) {
      expect([sql, await sqlState(() => a.owner.query(sql))]).toEqual([sql, "42501"]);
    }
  });
});

describe("functions", () => {
  it("every command refuses B's ids with NOTFD and writes nothing in either business", async () => {
    const before = [await written(db, a.tenantId), await written(db, b.tenantId)];
    const mine = (await createCustomer(a.manager, { first_name: "Mine" })).id;
    const afterCreate = await written(db, a.tenantId);
    const calls: [string, () => Promise<unknown>][] = [
      ["update", () => updateCustomer(a.owner, bIds.customer, { first_name: "Pwned" })],
      ["archive", () => a.owner.query("select app_public.archive_customer($1)", [bIds.customer])],
      ["restore", () => a.owner.query("select app_public.restore_customer($1)", [bIds.customer])],
      ["merge B into A", () => a.owner.query("select app_public.merge_customers($1, $2)", [mine, bIds.customer])],
      ["merge A into B", () => a.owner.query("select app_public.merge_customers($1, $2)", [bIds.customer, mine])],
      ["merge B with B", () => a.owner.query("select app_public.merge_customers($1, $2)", [bIds.customer, bIds.duplicate])],
      ["preview", () => a.owner.query("select app_public.preview_customer_merge($1, $2)", [mine, bIds.customer])],
      ["order for B's customer", () => placeOrder(a.cashier, a, bIds.customer)],
    ];
    for (const [label, call] of calls) expect([label, await sqlState(call)]).toEqual([label, "NOTFD"]);
    expect([await written(db, a.tenantId), await written(db, b.tenantId)]).toEqual([afterCreate, before[1]]);
    expect(before[0]).not.toEqual(afterCreate);
  });

  it("search, recent orders and the timeline never show B's data, even for a forged row", async () => {
    expect((await a.owner.query("select * from app_public.search_customers('bru')")).rows).toEqual([]);
    const bRow = (await db.owner.query("select * from app_public.customers where id = $1", [bIds.customer])).rows[0];
    // A row value with B's tenant and id, built by the caller (no table access needed).
    const rowSql = `jsonb_populate_record(null::app_public.customers, $1::jsonb)`;
    const asJson = JSON.stringify({ ...bRow, tenant_id: b.tenantId });
    const timeline = await a.owner.query(`select * from app_public.customers_timeline(${rowSql})`, [asJson]);
    expect(timeline.rows).toEqual([]);
    const recent = await a.owner.query(`select * from app_public.customers_recent_orders(${rowSql})`, [asJson]);
    expect(recent.rows).toEqual([]);
    // B itself sees its own history.
    const own = await b.manager.query(`select * from app_public.customers_timeline(${rowSql})`, [asJson]);
    expect(own.rows.length).toBeGreaterThan(0);
  });

  it("a role without customers.view sees no customer rows, no search results, no timeline, and may not create", async () => {
    await db.owner.query(
      "insert into app_public.roles (tenant_id, key, name, permissions) values ($1, 'clerk', 'Clerk', '{sales.sell}')",
      [b.tenantId],
    );
    const clerk: Member = await db.asUser(b.tenantId, "clerk");
    for (const table of TABLES) {
      expect((await clerk.query(`select count(*)::int as n from app_public.${table}`)).rows[0].n).toBe(0);
    }
    expect((await clerk.query("select * from app_public.search_customers('bru')")).rows).toEqual([]);
    const bRow = (await db.owner.query("select * from app_public.customers where id = $1", [bIds.customer])).rows[0];
    const timeline = await clerk.query("select * from app_public.customers_timeline(jsonb_populate_record(null::app_public.customers, $1::jsonb))", [
      JSON.stringify(bRow),
    ]);
    expect(timeline.rows).toEqual([]);
    expect(await sqlState(() => createCustomer(clerk, { first_name: "No" }))).toBe("DNIED");
    // The clerk can still sell to a known customer (an order refers to it by id).
    await placeOrder(clerk, b, bIds.customer);
  });

  it("anonymous callers see nothing and may do nothing", async () => {
    const anon = db.asAnonymous();
    for (const table of TABLES) {
      expect((await anon.query(`select count(*)::int as n from app_public.${table}`)).rows[0].n).toBe(0);
    }
    expect((await anon.query("select * from app_public.search_customers('b')")).rows).toEqual([]);
    for (const sql of [
      "select app_public.create_customer(first_name => 'X')",
      "select app_public.archive_customer('x')",
      "select app_public.merge_customers('x', 'y')",
      "select app_public.preview_customer_merge('x', 'y')",
    ]) {
      expect([sql, await sqlState(() => anon.query(sql))]).toEqual([sql, "LOGIN"]);
    }
  });
});
