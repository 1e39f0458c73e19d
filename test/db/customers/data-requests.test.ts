// A customer's own data request (customers/495-data-requests.sql): erase_customer anonymises the
// person everywhere the business held them — profile, notes, addresses, preferences, consents,
// the customers merged into them, audit diffs and reasons, event payloads, merge snapshots, the
// read model's name — while orders and read models stay exact (the daily sales do not move, a
// rebuild from the scrubbed log equals what the consumers hold); the email and phone become free;
// every command refuses the erased customer. request_customer_data records and queues a bundle.
// Both need customers.erase (owners only by default) and a reason, and never reach another business.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sqlState, type TestDatabase } from "../../helpers/db.ts";
import { fold, readModels } from "../reporting/helpers.ts";
import { createCustomer, mergeCustomers, openShop, placeOrder, updateCustomer, voidOrder, type Shop } from "./helpers.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

/** What Ann's records carry that must be gone after the erasure. */
const PERSONAL = [
  "ann.lee@example.com",
  "annie@example.org",
  "+19175550142",
  "+19175550199",
  "Lee",
  "Annie",
  "Loves oat milk",
  "Allergic to nuts",
  "12 Elm Street",
  "Ann Lee came in twice",
  "newsletter-2025",
  "loyalty-card-991",
  "Ann ",
];

interface Ann {
  shop: Shop;
  annId: string;
  dupId: string;
  bobId: string;
  orderIds: string[];
}

/** Ann with everything a shop can hold about her, a duplicate merged into her, sales; and Bob, who is someone else. */
async function ann(): Promise<Ann> {
  const shop = await openShop(db, { country: "US" });
  const a = await createCustomer(shop.manager, {
    first_name: "Ann",
    last_name: "Lee",
    email: "ann.lee@example.com",
    phone: "917 555 0142",
    notes: "Loves oat milk",
    tags: ["newsletter-2025"],
    marketing_consent: true,
    marketing_consent_source: "pos",
    metadata: { card: "loyalty-card-991" },
  });
  const d = await createCustomer(shop.manager, { first_name: "Annie", email: "annie@example.org", phone: "+1 917 555 0199" });
  const bob = await createCustomer(shop.manager, { first_name: "Bob", last_name: "Stone", email: "bob@example.com" });
  const orderIds = [
    (await placeOrder(shop.cashier, shop, a.id, { quantity: 2 })).id,
    (await placeOrder(shop.cashier, shop, d.id)).id,
    (await placeOrder(shop.cashier, shop, a.id, { quantity: 3 })).id,
    (await placeOrder(shop.cashier, shop, bob.id)).id,
  ];
  await voidOrder(shop.manager, orderIds[2], "Rang up twice");
  const lines = await shop.owner.query("select id from app_public.order_lines where order_id = $1", [orderIds[0]]);
  await shop.manager.query("select app_public.refund_order_lines($1, $2::jsonb, 'Cold coffee')", [
    orderIds[0],
    JSON.stringify([{ order_line_id: lines.rows[0].id, quantity: 1 }]),
  ]);
  await shop.manager.query("insert into app_public.customer_notes (customer_id, category, body) values ($1, 'issue', 'Allergic to nuts')", [a.id]);
  await shop.manager.query("insert into app_public.customer_notes (customer_id, body) values ($1, 'Annie note')", [d.id]);
  await shop.manager.query("insert into app_public.customer_addresses (customer_id, line1, city, postal_code) values ($1, '12 Elm Street', 'Springfield', '12345')", [a.id]);
  await shop.manager.query("select app_public.set_customer_preferences($1, preferred_payment => 'card', language => 'fr')", [a.id]);
  await shop.manager.query("select app_public.set_customer_contact_channel($1, 'sms', true, 'pos')", [a.id]);
  await shop.manager.query("select app_public.add_customer_favourite_item($1, $2)", [a.id, shop.itemId]);
  const vip = await shop.owner.query("select id from app_public.customer_types where key = 'vip'");
  await shop.manager.query("select app_public.set_customer_type($1, $2)", [a.id, vip.rows[0].id]);
  await updateCustomer(shop.manager, a.id, { last_name: "Lee" }); // nothing changes
  await updateCustomer(shop.manager, a.id, { first_name: "Ann " + "Marie" });
  await updateCustomer(shop.manager, a.id, { first_name: "Ann" });
  await shop.manager.query("select app_public.merge_customers($1, $2, 'Ann Lee came in twice')", [a.id, d.id]);
  await fold(db, shop.tenantId);
  return { shop, annId: a.id, dupId: d.id, bobId: bob.id, orderIds };
}

/** Every row of the tenant, in any table of ours, whose text holds `needle` ("table: n"). */
async function rowsHolding(tenantId: string, needle: string): Promise<string[]> {
  const { rows: tables } = await db.owner.query<{ name: string }>(
    `select format('%I.%I', c.table_schema, c.table_name) as name from information_schema.columns c
     join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
     where c.column_name = 'tenant_id' and c.table_schema in ('app_public', 'app_private', 'reporting')`,
  );
  const found: string[] = [];
  for (const { name } of tables) {
    const { rows } = await db.owner.query(`select count(*)::int as n from ${name} t where t.tenant_id = $1 and strpos(t::text, $2) > 0`, [
      tenantId,
      needle,
    ]);
    if (rows[0].n > 0) found.push(`${name}: ${rows[0].n}`);
  }
  return found;
}

const erase = (actor: { query: Shop["owner"]["query"] }, id: string, reason: string | null = "Asked in the shop on 1 December") =>
  actor.query("select * from app_public.erase_customer($1, $2)", [id, reason]).then((r) => r.rows[0]);

describe("erase_customer", () => {
  it("takes the person out of the profile, its satellites, the merged duplicate, the audit trail, the event log and merge records", async () => {
    const x = await ann();
    for (const s of ["ann.lee@example.com", "Allergic to nuts", "12 Elm Street", "Ann Lee came in twice"]) {
      expect(await rowsHolding(x.shop.tenantId, s), s).not.toEqual([]);
    }
    const erased = await erase(x.shop.owner, x.annId);
    expect(erased).toMatchObject({
      id: x.annId,
      status: "erased",
      display_name: "Erased customer",
      email: null,
      phone: null,
      last_name: null,
      notes: null,
      tags: [],
      metadata: {},
      marketing_consent: null,
      marketing_consent_source: null,
      customer_type_id: null,
    });
    const dup = (await db.owner.query("select * from app_public.customers where id = $1", [x.dupId])).rows[0];
    expect(dup).toMatchObject({ status: "merged", merged_into_id: x.annId, display_name: "Erased customer", email: null, phone: null });

    // Nothing of hers is left in any table of the business.
    for (const s of PERSONAL) expect(await rowsHolding(x.shop.tenantId, s), s).toEqual([]);
    const left = await db.owner.query(
      `select (select count(*) from app_public.customer_notes where customer_id = any($1))::int as notes,
              (select count(*) from app_public.customer_addresses where customer_id = any($1))::int as addresses,
              (select count(*) from app_public.customer_preferences where customer_id = any($1))::int as preferences,
              (select count(*) from app_public.customer_contact_channels where customer_id = any($1))::int as channels,
              (select count(*) from app_public.customer_favourite_items where customer_id = any($1))::int as favourites`,
      [[x.annId, x.dupId]],
    );
    expect(left.rows[0]).toEqual({ notes: 0, addresses: 0, preferences: 0, channels: 0, favourites: 0 });
    // Bob is untouched.
    expect(await rowsHolding(x.shop.tenantId, "bob@example.com")).toContain("app_public.customers: 1");

    // The trail keeps who did what and why this erasure was made; earlier values and reasons are gone.
    const trail = await db.owner.query(
      "select action, command, reason, actor_user_id, changes from app_public.audit_entries where entity = 'customers' and entity_id = $1 order by created_at, id",
      [x.annId],
    );
    const last = trail.rows.at(-1);
    expect(last).toMatchObject({ command: "erase_customer", reason: "Asked in the shop on 1 December", actor_user_id: x.shop.owner.userId });
    expect(last.changes.status).toEqual({ old: "active", new: "erased" });
    expect(last.changes.email).toEqual({ old: "[erased]", new: null });
    const renamed = trail.rows.find((r) => r.action === "update" && r.changes.first_name && r.command === null);
    expect(renamed.changes.first_name).toEqual({ old: "[erased]", new: "[erased]" });
    const merges = await db.owner.query("select distinct entity, reason from app_public.audit_entries where tenant_id = $1 and command = 'merge_customers' order by entity", [
      x.shop.tenantId,
    ]);
    expect(merges.rows).toEqual(["customer_merges", "customer_notes", "customers", "orders"].map((entity) => ({ entity, reason: "[erased]" })));

    // Event payloads keep their shape and their ids, without the person.
    const events = await db.owner.query(
      "select type, payload from app_private.events where aggregate_type = 'customer' and aggregate_id = any($1) order by seq",
      [[x.annId, x.dupId]],
    );
    const created = events.rows.find((e) => e.type === "customer.created.v1" && e.payload.customer_id === x.annId);
    expect(created.payload).toMatchObject({
      customer_id: x.annId,
      display_name: "Erased customer",
      email: null,
      phone: null,
      first_name: null,
      last_name: null,
      tags: [],
    });
    const erasedEvent = events.rows.findLast((e) => e.payload.customer_id === x.annId);
    expect(erasedEvent).toMatchObject({ type: "customer.updated.v1", payload: { customer_id: x.annId, status: "erased", display_name: "Erased customer" } });

    // The timeline says it, with nothing personal.
    const timeline = await x.shop.owner.query(
      "select t.kind, t.summary from app_public.customers c, app_public.customers_timeline(c) t where c.id = $1",
      [x.annId],
    );
    expect(timeline.rows[0]).toEqual({ kind: "erased", summary: "Personal data erased on request" });
  });

  it("keeps orders, payments, refunds and every read model; a rebuild from the scrubbed log equals them", async () => {
    const x = await ann();
    const orders = (sql: string) => db.owner.query(sql, [x.shop.tenantId]).then((r) => r.rows);
    const sales = `select o.id, o.customer_id, o.status, o.total, o.paid_total, o.refunded_total,
                          (select count(*) from app_public.order_lines l where l.order_id = o.id)::int as lines,
                          (select count(*) from app_public.tenders t where t.order_id = o.id)::int as tenders
                   from app_public.orders o where o.tenant_id = $1 order by o.id`;
    const salesBefore = await orders(sales);
    const before = await readModels(db, x.shop.tenantId);
    const stats = await db.owner.query("select visits, spend::int, items_bought::int from app_public.customer_stats where customer_id = $1", [x.annId]);

    await erase(x.shop.owner, x.annId);
    await fold(db, x.shop.tenantId);
    const after = await readModels(db, x.shop.tenantId);

    expect(await orders(sales)).toEqual(salesBefore);
    expect(after.daily).toEqual(before.daily);
    expect(after.items).toEqual(before.items);
    expect(after.visits).toEqual(before.visits);
    expect(after.customers.map(({ customer_name, name_seq, ...r }) => r)).toEqual(before.customers.map(({ customer_name, name_seq, ...r }) => r));
    const names = Object.fromEntries(after.customers.map((c) => [c.customer_id, c.customer_name]));
    expect(names[x.annId]).toBe("Erased customer");
    expect(names[x.dupId]).toBe("Erased customer");
    expect(names[x.bobId]).toBe("Bob Stone");
    expect((await db.owner.query("select visits, spend::int, items_bought::int from app_public.customer_stats where customer_id = $1", [x.annId])).rows).toEqual(stats.rows);
    expect(before.daily.length).toBeGreaterThan(0);

    await db.owner.query("select reporting.rebuild($1)", [x.shop.tenantId]);
    expect(await readModels(db, x.shop.tenantId)).toEqual(after);
  });

  it("frees the email and phone for a new customer; search finds only the new one", async () => {
    const x = await ann();
    await erase(x.shop.owner, x.annId);
    const again = await createCustomer(x.shop.cashier, { first_name: "Ann", email: "ann.lee@example.com", phone: "+1 917 555 0142" });
    const other = await createCustomer(x.shop.cashier, { first_name: "Annie", phone: "+1 917 555 0199" });
    for (const q of ["ann.lee", "917 555 0142", "Ann", "Erased", "Lee"]) {
      const { rows } = await x.shop.cashier.query("select id from app_public.search_customers($1)", [q]);
      expect(rows.map((r) => r.id)).not.toContain(x.annId);
      expect(rows.map((r) => r.id)).not.toContain(x.dupId);
    }
    const found = await x.shop.cashier.query("select id from app_public.search_customers('ann.lee')");
    expect(found.rows.map((r) => r.id)).toEqual([again.id]);
    expect(other.phone).toBe("+19175550199");
  });

  it("refuses an erased customer everywhere (ERASD), a merged one (CMRGD) and a missing reason (BADIN)", async () => {
    const x = await ann();
    expect(await sqlState(() => erase(x.shop.owner, x.annId, null))).toBe("BADIN");
    expect(await sqlState(() => erase(x.shop.owner, x.annId, "   "))).toBe("BADIN");
    expect(await sqlState(() => erase(x.shop.owner, x.dupId))).toBe("CMRGD");
    await erase(x.shop.owner, x.annId);
    const { owner, manager, cashier } = x.shop;
    const refusals: [string, () => Promise<unknown>][] = [
      ["erase again", () => erase(owner, x.annId)],
      ["request data", () => owner.query("select app_public.request_customer_data($1, 'Asked again')", [x.annId])],
      ["update", () => updateCustomer(manager, x.annId, { first_name: "Ann" })],
      ["archive", () => manager.query("select app_public.archive_customer($1)", [x.annId])],
      ["restore", () => manager.query("select app_public.restore_customer($1)", [x.annId])],
      ["merge into", () => mergeCustomers(owner, x.annId, x.bobId)],
      ["merge away", () => mergeCustomers(owner, x.bobId, x.annId)],
      ["preview", () => owner.query("select * from app_public.preview_customer_merge($1, $2)", [x.bobId, x.annId])],
      ["note", () => manager.query("insert into app_public.customer_notes (customer_id, body) values ($1, 'Hello')", [x.annId])],
      ["address", () => manager.query("insert into app_public.customer_addresses (customer_id, line1, city) values ($1, '1 Road', 'Town')", [x.annId])],
      ["preferences", () => manager.query("select app_public.set_customer_preferences($1, do_not_contact => true)", [x.annId])],
      ["sale", () => placeOrder(cashier, x.shop, x.annId)],
      ["sale to the merged duplicate", () => placeOrder(cashier, x.shop, x.dupId)],
    ];
    for (const [what, p] of refusals) expect(await sqlState(p), what).toBe("ERASD");
  });

  it("needs customers.erase: owners have it, managers and cashiers do not; existing owners got it", async () => {
    const x = await ann();
    expect(await sqlState(() => erase(x.shop.manager, x.annId))).toBe("DNIED");
    expect(await sqlState(() => erase(x.shop.cashier, x.annId))).toBe("DNIED");
    expect(await sqlState(() => x.shop.manager.query("select app_public.request_customer_data($1, 'Asked')", [x.annId]))).toBe("DNIED");
    const roles = await db.owner.query("select key, 'customers.erase' = any(permissions) as erase from app_public.roles where tenant_id = $1 order by key", [
      x.shop.tenantId,
    ]);
    expect(roles.rows).toEqual([
      { key: "cashier", erase: false },
      { key: "manager", erase: false },
      { key: "owner", erase: true },
    ]);
    const all = await db.owner.query("select 'customers.erase' = any(app_hidden.all_permissions()) as ok");
    expect(all.rows[0].ok).toBe(true);
    // A custom role may carry it.
    const role = await x.shop.owner.query("select * from app_public.create_role('Privacy officer', array['customers.view', 'customers.erase'])");
    expect(role.rows[0].permissions).toContain("customers.erase");
    expect((await db.owner.query("select count(*)::int as n from app_public.customers where id = $1 and status = 'erased'", [x.annId])).rows[0].n).toBe(0);
  });

  it("cannot reach another business: its customers are not found and nothing of it changes", async () => {
    const x = await ann();
    const other = await openShop(db);
    const fingerprint = () =>
      db.owner.query("select md5(string_agg(c::text, '' order by c.id)) as h from app_public.customers c where tenant_id = $1", [x.shop.tenantId]).then((r) => r.rows[0].h);
    const before = await fingerprint();
    expect(await sqlState(() => erase(other.owner, x.annId))).toBe("NOTFD");
    expect(await sqlState(() => other.owner.query("select app_public.request_customer_data($1, 'Asked')", [x.annId]))).toBe("NOTFD");
    expect(await fingerprint()).toBe(before);
  });

  it("the event log stays append-only outside an erasure", async () => {
    const x = await ann();
    expect(
      await sqlState(() =>
        db.owner.query("update app_private.events set payload = payload || '{\"email\": null}' where tenant_id = $1 and aggregate_type = 'customer'", [
          x.shop.tenantId,
        ]),
      ),
    ).toBe("IMMUT");
  });
});

describe("an erased customer, elsewhere", () => {
  it("is in no customers export and nobody's possible duplicate", async () => {
    const x = await ann();
    await erase(x.shop.owner, x.annId, "Asked in the shop");
    await erase(x.shop.owner, x.bobId, "Asked by letter");
    // Both are now "Erased customer": the same name, which must not make them a pair.
    const pairs = await x.shop.owner.query("select customer_id, other_customer_id from app_public.possible_duplicate_pairs()");
    expect(pairs.rows.filter((p) => [p.customer_id, p.other_customer_id].some((id) => [x.annId, x.bobId].includes(id)))).toEqual([]);
    const likely = await x.shop.owner.query("select customer_id from app_public.likely_duplicates('Erased customer', null, null, null)");
    expect(likely.rows).toEqual([]);
    await createCustomer(x.shop.manager, { first_name: "Carla", email: "carla@example.com" });
    await fold(db, x.shop.tenantId);
    const params = (await db.owner.query("select app_private.export_params($1, 'customers', '{}') as p", [x.shop.tenantId])).rows[0].p;
    const q = (await db.owner.query("select app_private.export_query($1, 'customers', $2) as q", [x.shop.tenantId, params])).rows[0].q;
    const exported = (await db.owner.query(`select customer_number, status from (${q}) as rows`)).rows;
    expect(exported.map((r) => r.status)).toEqual(["active"]); // Carla only
  });
});

describe("request_customer_data", () => {
  it("records the request with its reason, audits it on the customer and queues the worker; only customers.erase sees it", async () => {
    const x = await ann();
    expect(await sqlState(() => x.shop.owner.query("select app_public.request_customer_data($1, '')", [x.annId]))).toBe("BADIN");
    expect(await sqlState(() => x.shop.owner.query("select app_public.request_customer_data($1, 'Asked')", [x.dupId]))).toBe("CMRGD");
    const { rows } = await x.shop.owner.query("select * from app_public.request_customer_data($1, 'Letter of 2 December')", [x.annId]);
    const request = rows[0];
    const number = (await db.owner.query("select lower(customer_number) as n from app_public.customers where id = $1", [x.annId])).rows[0].n;
    expect(request).toMatchObject({ customer_id: x.annId, status: "pending", reason: "Letter of 2 December", requested_by: x.shop.owner.userId });
    expect(request.file_name).toMatch(new RegExp(`^customer-data_${number}_\\d{4}-\\d{2}-\\d{2}\\.zip$`));
    const jobs = await db.owner.query(
      `select j.payload from graphile_worker._private_jobs j
       join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = 'customer_data_export'`,
    );
    expect(jobs.rows).toEqual([{ payload: { tenantId: x.shop.tenantId, exportId: request.id } }]);
    const audit = await db.owner.query(
      "select command, reason, actor_user_id, changes from app_public.audit_entries where entity = 'customers' and entity_id = $1 and command = 'request_customer_data'",
      [x.annId],
    );
    expect(audit.rows).toEqual([
      { command: "request_customer_data", reason: "Letter of 2 December", actor_user_id: x.shop.owner.userId, changes: { data_access_request: { old: null, new: request.id } } },
    ]);
    // Asked again while it is being written: the same request, no second job.
    const again = (await x.shop.owner.query("select * from app_public.request_customer_data($1, 'Asked twice')", [x.annId])).rows[0];
    expect(again.id).toBe(request.id);
    const jobsNow = await db.owner.query(
      `select count(*)::int as n from graphile_worker._private_jobs j
       join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = 'customer_data_export'`,
    );
    expect(jobsNow.rows[0].n).toBe(1);
    expect((await x.shop.owner.query("select id from app_public.customer_data_exports")).rows).toEqual([{ id: request.id }]);
    expect((await x.shop.manager.query("select id from app_public.customer_data_exports")).rows).toEqual([]);
    const other = await openShop(db);
    expect((await other.owner.query("select id from app_public.customer_data_exports")).rows).toEqual([]);
    // Not finished: nothing to download yet.
    expect((await x.shop.owner.query("select * from app_hidden.customer_data_file($1)", [request.id])).rows).toEqual([]);

    // The erasure takes the bundles with it, and keeps the request's reason in the trail.
    await erase(x.shop.owner, x.annId);
    expect((await db.owner.query("select count(*)::int as n from app_public.customer_data_exports where id = $1", [request.id])).rows[0].n).toBe(0);
    const kept = await db.owner.query("select reason from app_public.audit_entries where entity_id = $1 and command = 'request_customer_data'", [x.annId]);
    expect(kept.rows).toEqual([{ reason: "Letter of 2 December" }]);
  });
});
