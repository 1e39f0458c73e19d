// Roles and grants, read from pg_catalog so that a table or function added later is checked the
// day it appears: the API role reads nothing in app_private and calls only the privileged
// functions listed below; nobody but the owner writes the read models; an analyst login writes
// nothing and sees only its own business; a cashier cannot merge customers, export reports or
// change settings, over SQL and over GraphQL.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roles } from "../../db/config.ts";
import { createTestDatabase, sqlState, type Member, type TestDatabase } from "../helpers/db.ts";
import { testRootUrl } from "../helpers/env.ts";
import { startTestServer, type HttpClient, type TestServer } from "../helpers/server.ts";
import { createCustomer, fold, line, openReportingShop, placeOrder, type ReportingShop } from "../db/reporting/helpers.ts";

/**
 * Security definer functions of app_hidden (by signature, as regprocedure prints it) that the API role may execute (they run with the
 * owner's rights, so each one is a door), and why each is safe. app_private grants the API role
 * nothing at all. Adding to this list needs a reason.
 */
const VISITOR_PRIVILEGED: Record<string, string> = {
  "app_hidden.analyst_pending_daily()": "reporting views read it; returns rows only when session_user is an analyst login mapped to a tenant",
  "app_hidden.analyst_pending_items()": "as analyst_pending_daily",
  "app_hidden.analyst_pending_stock()": "as analyst_pending_daily",
  "app_hidden.analyst_tenant_id()": "the analyst login's tenant; null for the API role",
  "app_hidden.assert_tenant_active()": "raises TSUSP for the caller's own tenant; no input",
  "app_hidden.assert_tenant_owner()": "raises unless the caller is an owner of their own tenant; no input",
  "app_hidden.current_permissions()": "the caller's own permissions, derived from the session secret",
  "app_hidden.current_session_id()": "the id (not the secret) of the caller's own session, found by the hash of its secret",
  "app_hidden.current_plan()": "the caller's own tenant's plan",
  "app_hidden.current_suspended_tenant_id()": "the caller's own tenant when suspended",
  "app_hidden.current_tenant_country()": "the caller's own tenant's country",
  "app_hidden.current_tenant_id()": "the caller's tenant, derived from the session secret; every policy uses it",
  "app_hidden.current_user_id()": "the caller, derived from the session secret",
  "app_hidden.current_user_roles()": "the caller's own memberships",
  "app_hidden.current_user_tenant_ids()": "the caller's own tenants",
  "app_hidden.account_document_chunk(text,integer)": "a finished account document (invoice or statement PDF) of the caller's tenant, only with accounts.view (GET /account-documents/:id)",
  "app_hidden.account_document_file(text)": "as account_document_chunk (GET /account-documents/:id)",
  "app_hidden.customer_data_chunk(text,integer)": "a finished customer data bundle of the caller's tenant, only with customers.erase (GET /customer-data/:id)",
  "app_hidden.customer_data_file(text)": "as customer_data_chunk (GET /customer-data/:id)",
  "app_hidden.downloadable_export(text)": "an export of the caller's tenant, only with reports.export",
  "app_hidden.export_chunk(text,integer)": "as downloadable_export (GET /exports/:id)",
  "app_hidden.export_file(text)": "as downloadable_export (GET /exports/:id)",
  "app_hidden.may_download_exports_of(text)": "whether the caller is a member of that tenant with reports.export: tells nothing else",
  "app_hidden.logout()": "ends the caller's own session",
  "app_hidden.begin_customer_import(text)": "starts an upload in the caller's own tenant, only with customers.import",
  "app_hidden.write_customer_import_chunk(text,bytea)": "adds to an upload of the caller's tenant still uploading, only with customers.import (POST /imports/customers)",
  "app_hidden.finish_customer_import_upload(text)": "as write_customer_import_chunk: ends that upload and queues its reading",
  "app_hidden.customer_import_report_query(text)": "the SQL of an import's rejected rows, for the caller's tenant with customers.import; null otherwise (GET /imports/:id/errors.csv)",
  "app_hidden.customer_import_report_name(text)": "as customer_import_report_query: the report's file name",
  "app_hidden.onboard(text,text,text,text,text,text,text)": "creates a new business for a new user; touches no existing tenant",
  "app_hidden.accept_invitation(text,text,text)":
    "joins the business of a pending invitation found by the hash of its secret token (the link); an existing account must give its password (counted as at sign-in)",
};

/**
 * The security definer functions the authenticator role (the server's login, NOINHERIT) may
 * execute itself (as itself: never as the API role it switches to for requests). (app_hidden.receive_stripe_event, the batch of one, runs with the caller's
 * rights and is executable by the authenticator only, too.)
 */
const AUTHENTICATOR_OWN: Record<string, string> = {
  "app_hidden.receive_stripe_events(jsonb[])": "the webhook route stores verified Stripe events, those arriving together at once (web/server/stripe-inbox.ts)",
  "app_hidden.login_from(text,text,text)": "sign-in through the per-address rate limit: the caller names the client address, so only the server may call it (never the API role)",
};

const OUR_SCHEMAS = ["app_public", "app_hidden", "app_private", "reporting", "graphile_worker", "graphile_migrate"];

let db: TestDatabase;
let server: TestServer;
let a: ReportingShop;
let b: ReportingShop;
const createdLogins: string[] = [];
const clients: pg.Client[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db);
  a = await openReportingShop(db, { items: [{ sku: "TEA", name: "Alpha tea", price: 300, stock: 10 }] });
  b = await openReportingShop(db, { items: [{ sku: "BREW", name: "Bravo brew", price: 450, stock: 5 }] });
  await b.owner.query("update app_public.locations set name = 'Bravo depot'");
  const ann = await createCustomer(a.cashier, "Alpha Ann");
  const bea = await createCustomer(b.cashier, "Bravo Bea");
  // Each customer has an account, and the sale is charged to it (receivables for the analysts' view).
  await a.owner.query("select app_public.open_customer_account($1, 100000, 30, 'Alpha terms')", [ann.id]);
  await b.owner.query("select app_public.open_customer_account($1, 100000, 30, 'Bravo terms')", [bea.id]);
  const saleA = await placeOrder(a.owner, a.locationId, [line(a.item.TEA, 2)], { placedAt: "2025-06-01T10:00:00Z", customerId: ann.id });
  const saleB = await placeOrder(b.owner, b.locationId, [line(b.item.BREW, 1)], { placedAt: "2025-06-01T10:00:00Z", customerId: bea.id });
  await a.owner.query("select app_public.record_tender($1, 'account', $2)", [saleA.id, saleA.total]);
  await b.owner.query("select app_public.record_tender($1, 'account', $2)", [saleB.id, saleB.total]);
  await fold(db, a.tenantId);
  await fold(db, b.tenantId);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => {})));
  // Roles outlive the database: drop every analyst login made here.
  const root = new pg.Client(testRootUrl);
  await root.connect();
  try {
    for (const role of createdLogins) await root.query(`drop role if exists "${role.replace(/"/g, '""')}"`);
  } finally {
    await root.end();
  }
  await server?.close();
  await db?.drop();
});

const catalog = (sql: string, params: unknown[] = []) => db.owner.query(sql, params).then((r) => r.rows);
const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** Every relation (table, view, materialized view, sequence) of the schemas, as schema.name. */
async function relations(schemas: string[], kinds = ["r", "p", "v", "m", "S", "f"]) {
  return catalog(
    `select n.nspname as schema, c.relname as name, c.relkind as kind, c.oid::int as oid,
            format('%I.%I', n.nspname, c.relname) as qualified,
            (select a.attname from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped order by a.attnum limit 1) as first_column
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = any($1) and c.relkind = any($2) order by 1, 2`,
    [schemas, kinds],
  ) as Promise<{ schema: string; name: string; kind: string; oid: number; qualified: string; first_column: string | null }[]>;
}

/** A call of every function of the schemas with null arguments (trigger functions and pseudo-typed ones left out). */
async function callableFunctions(schemas: string[]) {
  return catalog(
    `select p.oid::regprocedure::text as signature, format('%I.%I', n.nspname, p.proname) as name,
            coalesce((select string_agg('null::' || format_type(t, null), ', ' order by i)
                      from unnest(p.proargtypes::oid[]) with ordinality as a(t, i)), '') as nulls
     from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = any($1) and p.prokind = 'f'
       and p.prorettype not in ('trigger'::regtype, 'event_trigger'::regtype)
       and not exists (select from unnest(p.proargtypes::oid[]) t join pg_type ty on ty.oid = t where ty.typtype = 'p')
     order by 1`,
    [schemas],
  ) as Promise<{ signature: string; name: string; nulls: string }[]>;
}

describe("the API role (bo_visitor, through bo_authenticator)", () => {
  it("has no privilege at all on any relation of app_private, and selecting any of them as a signed-in owner fails", async () => {
    const all = await relations(["app_private"]);
    expect(all.length).toBeGreaterThanOrEqual(10);
    const granted = await catalog(
      `select format('%I.%I', n.nspname, c.relname) as name, r.rolname as role
       from pg_class c join pg_namespace n on n.oid = c.relnamespace, pg_roles r
       where n.nspname = 'app_private' and r.rolname = any($1)
         and (case when c.relkind = 'S' then has_sequence_privilege(r.oid, c.oid, 'usage, select, update')
                   else has_table_privilege(r.oid, c.oid, 'select, insert, update, delete, truncate, references, trigger')
                        or has_any_column_privilege(r.oid, c.oid, 'select, insert, update, references') end)`,
      [[roles.visitor, roles.authenticator]],
    );
    expect(granted).toEqual([]);
    const usage = await catalog("select has_schema_privilege($1, 'app_private', 'usage') as v, has_schema_privilege($2, 'app_private', 'usage') as a", [roles.visitor, roles.authenticator]);
    expect(usage).toEqual([{ v: false, a: false }]);
    for (const rel of all) {
      const sql = rel.kind === "S" ? `select nextval('${rel.qualified}')` : `select * from ${rel.qualified} limit 1`;
      expect(await sqlState(() => a.owner.query(sql)), sql).toBe("42501");
    }
  });

  it("can execute no app_private function, and only the listed security definer functions of app_hidden", async () => {
    const privileged = await catalog(
      `select p.oid::regprocedure::text as name, r.rolname as role
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace, pg_roles r
       where r.rolname = any($1) and has_function_privilege(r.oid, p.oid, 'execute')
         and (n.nspname = 'app_private' or (n.nspname = 'app_hidden' and p.prosecdef))
       order by 1`,
      [[roles.visitor, roles.authenticator]],
    );
    const visitor = privileged.filter((r) => r.role === roles.visitor).map((r) => r.name);
    const authenticator = privileged.filter((r) => r.role === roles.authenticator).map((r) => r.name);
    expect(visitor.filter((n) => n.startsWith("app_private."))).toEqual([]);
    expect(visitor).toEqual(Object.keys(VISITOR_PRIVILEGED).sort());
    expect(authenticator).toEqual(Object.keys(AUTHENTICATOR_OWN).sort());

    // And calling them is refused, not just absent from a list (as a signed-in owner of a business).
    const fns = await callableFunctions(["app_private"]);
    expect(fns.length).toBeGreaterThan(20);
    for (const fn of fns) {
      const sql = `select ${fn.name}(${fn.nulls})`;
      expect(await sqlState(() => a.owner.query(sql)), sql).toBe("42501");
    }
  });

  it("the analyst helpers it may call return nothing for it", async () => {
    for (const fn of ["analyst_pending_daily", "analyst_pending_items", "analyst_pending_stock"]) {
      expect((await a.owner.query(`select * from app_hidden.${fn}()`)).rows, fn).toEqual([]);
    }
    expect((await a.owner.query("select app_hidden.analyst_tenant_id() as t")).rows[0].t).toBeNull();
  });

  it("cannot insert, update, delete or truncate any read model (reporting rm_* tables), not even an owner", async () => {
    const models = await relations(["reporting"], ["r", "p"]).then((rs) => rs.filter((r) => r.name.startsWith("rm_")));
    expect(models.map((m) => m.name).sort()).toEqual(
      expect.arrayContaining(["rm_customer_activity", "rm_customer_visits", "rm_daily_sales", "rm_inventory_on_hand", "rm_item_sales"]),
    );
    const writable = await catalog(
      `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'reporting' and c.relname like 'rm\\_%' and c.relkind in ('r', 'p')
         and (has_table_privilege($1, c.oid, 'insert, update, delete, truncate') or has_any_column_privilege($1, c.oid, 'insert, update'))`,
      [roles.visitor],
    );
    expect(writable).toEqual([]);
    const before = await db.owner.query("select (select count(*) from reporting.rm_daily_sales) + (select count(*) from reporting.rm_customer_activity) as n");
    for (const m of models) {
      const q = `reporting.${quoteIdent(m.name)}`;
      for (const sql of [`insert into ${q} default values`, `update ${q} set tenant_id = tenant_id`, `delete from ${q}`, `truncate ${q}`]) {
        expect(await sqlState(() => a.owner.query(sql)), sql).toBe("42501");
      }
    }
    const after = await db.owner.query("select (select count(*) from reporting.rm_daily_sales) + (select count(*) from reporting.rm_customer_activity) as n");
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it("GraphQL offers no mutation on a read model", async () => {
    const owner = server.client();
    await owner.login(a.owner.email, a.owner.password);
    const res = await owner.graphql("{ __schema { mutationType { fields { name type { name } } } } }");
    const models = await relations(["reporting"], ["r", "p"]).then((rs) => rs.filter((r) => r.name.startsWith("rm_")));
    // rm_daily_sales → RmDailySale / DailySale, etc.: no mutation names or returns one.
    const stems = models.map((m) => m.name.replace(/^rm_/, "").replace(/_(.)/g, (_, c) => c.toUpperCase()).replace(/s$/, "").toLowerCase());
    const offenders = res.data.__schema.mutationType.fields.filter((f: any) =>
      stems.some((s) => f.name.toLowerCase().includes(s) || String(f.type.name).toLowerCase().includes(s)),
    );
    expect(offenders.map((f: any) => f.name)).toEqual([]);
  });
});

describe("an analyst login", () => {
  let analystA: pg.Client;
  let analystB: pg.Client;
  let loginA: string;

  async function connect(owner: Member) {
    const { rows } = await owner.query("select * from reporting.create_analyst_login('grants test')");
    createdLogins.push(rows[0].username);
    const url = new URL(testRootUrl);
    const client = new pg.Client({ host: url.hostname, port: Number(url.port || 5432), user: rows[0].username, password: rows[0].password, database: rows[0].database_name });
    await client.connect();
    clients.push(client);
    return { client, username: rows[0].username as string };
  }

  beforeAll(async () => {
    const ca = await connect(a.owner);
    analystA = ca.client;
    loginA = ca.username;
    analystB = (await connect(b.owner)).client;
  });

  it("has no write privilege on any relation of any schema, and every write it tries fails", async () => {
    const schemas = (await catalog("select nspname from pg_namespace where nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and nspname not like 'pg_temp%' and nspname not like 'pg_toast_temp%'")).map((r) => r.nspname);
    const all = await relations(schemas, ["r", "p", "v", "m", "f"]);
    const writable = await catalog(
      `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = any($2) and c.relkind in ('r', 'p', 'v', 'm', 'f')
         and (has_table_privilege($1, c.oid, 'insert, update, delete, truncate') or has_any_column_privilege($1, c.oid, 'insert, update'))`,
      [loginA, schemas],
    );
    expect(writable).toEqual([]);
    const visible = await catalog(
      `select format('%I.%I', n.nspname, c.relname) as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = any($2) and c.relkind in ('r', 'p', 'v', 'm') and has_schema_privilege($1, n.oid, 'usage')
         and has_table_privilege($1, c.oid, 'select') order by 1`,
      [loginA, schemas],
    );
    // What it is meant to read: the reporting views, nothing else.
    expect(visible.map((r) => r.name)).toEqual(["reporting.customer_activity", "reporting.customer_classes", "reporting.item_sales_by_day", "reporting.loyalty_ledger", "reporting.receivables", "reporting.sales_by_day", "reporting.stock_levels"]);
    let tried = 0;
    for (const rel of all) {
      const column = quoteIdent(rel.first_column ?? "x");
      const writes = [`insert into ${rel.qualified} default values`, `update ${rel.qualified} set ${column} = ${column}`, `delete from ${rel.qualified}`];
      // TRUNCATE applies to tables only.
      if (rel.kind === "r" || rel.kind === "p") writes.push(`truncate ${rel.qualified}`);
      for (const sql of writes) {
        // 42501: no privilege (or no usage of the schema); 55000: a view that cannot be written.
        const state = await sqlState(() => analystA.query(sql));
        expect(["42501", "55000"], `${sql} → ${state}`).toContain(state);
        tried++;
      }
    }
    expect(all.length).toBeGreaterThan(40);
  });

  it("can execute none of our functions, and no function with side effects outside the extensions", async () => {
    const fns = await callableFunctions(OUR_SCHEMAS);
    expect(fns.length).toBeGreaterThan(100);
    for (const fn of fns) {
      const sql = `select ${fn.name}(${fn.nulls})`;
      expect(await sqlState(() => analystA.query(sql)), sql).toBe("42501");
    }
    // Volatile functions it can execute anywhere: only the extensions' own (pgcrypto, pg_trgm),
    // which compute values and touch no table.
    const volatile = await catalog(
      `select p.oid::regprocedure::text as sig,
              (select e.extname from pg_depend d join pg_extension e on e.oid = d.refobjid
               where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e') as extension
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname not in ('pg_catalog', 'information_schema') and p.provolatile = 'v'
         and has_schema_privilege($1, n.oid, 'usage') and has_function_privilege($1, p.oid, 'execute')`,
      [loginA],
    );
    expect(volatile.filter((f) => !f.extension).map((f) => f.sig)).toEqual([]);
    expect(new Set(volatile.map((f) => f.extension))).toEqual(new Set(["pgcrypto", "pg_trgm"]));
  });

  it("sees its own business in every view it can read, and nothing of the other business", async () => {
    const views = ["reporting.customer_activity", "reporting.customer_classes", "reporting.item_sales_by_day", "reporting.receivables", "reporting.sales_by_day", "reporting.stock_levels"];
    const bIds = [b.tenantId, b.locationId, b.item.BREW, b.stock.BREW];
    for (const view of views) {
      const mine = JSON.stringify((await analystA.query(`select * from ${view}`)).rows);
      const theirs = JSON.stringify((await analystB.query(`select * from ${view}`)).rows);
      expect(mine, view).not.toBe("[]");
      expect(theirs, view).not.toBe("[]");
      expect(mine, view).not.toMatch(/Bravo/);
      expect(theirs, view).not.toMatch(/Alpha/);
      for (const id of bIds) expect(mine, view).not.toContain(id);
    }
  });
});

describe("a cashier", () => {
  let cashier: Member;
  let web: HttpClient;
  let c1: string, c2: string;

  beforeAll(async () => {
    cashier = a.cashier;
    web = server.client();
    expect((await web.login(cashier.email, cashier.password)).status).toBe(200);
    c1 = (await createCustomer(a.owner, "Merge One")).id;
    c2 = (await createCustomer(a.owner, "Merge Two")).id;
  });

  it("has none of customers.merge, reports.export, settings.update", async () => {
    const { rows } = await cashier.query("select app_hidden.current_permissions() as p");
    for (const p of ["customers.merge", "reports.export", "settings.update"]) expect(rows[0].p).not.toContain(p);
  });

  // Each: SQL as the cashier, then the same through GraphQL over HTTP; both DNIED, nothing changed.
  // 42501 is PostgreSQL's refusal by a row-level security check; the API answers it with DNIED.
  const SQL_CASES: [string, string, () => unknown[], string][] = [
    ["customers.merge", "select app_public.merge_customers($1, $2)", () => [c1, c2], "DNIED"],
    ["customers.merge", "select * from app_public.preview_customer_merge($1, $2)", () => [c1, c2], "DNIED"],
    ["reports.export", "select reporting.request_export('customers', '{}'::jsonb)", () => [], "DNIED"],
    ["settings.update", "select reporting.create_analyst_login('x')", () => [], "DNIED"],
    ["settings.update", "select app_public.change_plan('growth')", () => [], "DNIED"],
    ["settings.update", "select app_public.request_billing_portal()", () => [], "DNIED"],
    ["settings.update", "insert into app_public.locations (name, timezone) values ('Cash desk 2', 'UTC')", () => [], "42501"],
    ["settings.update", "insert into app_public.devices (location_id, name) select id, 'Till 9' from app_public.locations limit 1", () => [], "42501"],
  ];

  it.each(SQL_CASES)("SQL: %s — %s is refused", async (_perm, sql, params, code) => {
    expect(await sqlState(() => cashier.query(sql, params()))).toBe(code);
  });

  it("SQL: updating the business or its locations changes nothing", async () => {
    // Row-level security hides the rows from the update, so PostgreSQL reports no row changed.
    expect((await cashier.query("update app_public.tenants set name = 'Pwned'")).rowCount).toBe(0);
    expect((await cashier.query("update app_public.locations set name = 'Pwned'")).rowCount).toBe(0);
    expect((await a.owner.query("select name from app_public.tenants")).rows[0].name).not.toBe("Pwned");
  });

  it("GraphQL: each mutation needing one of those permissions answers DNIED and changes nothing", async () => {
    const loc = (await web.graphql("{ locations { nodes { id } } currentTenant { id } }")).data;
    const owner = server.client();
    await owner.login(a.owner.email, a.owner.password);
    const made = await owner.graphql(`mutation($l: String!) { createDevice(input: {device: {locationId: $l, name: "Till 1"}}) { device { id } } }`, { l: a.locationId });
    const device = made.data.createDevice.device;
    const cases: [string, string, Record<string, unknown>][] = [
      ["mergeCustomers", "mutation($p: String!, $d: String!) { mergeCustomers(input: {primaryId: $p, duplicateId: $d}) { clientMutationId } }", { p: c1, d: c2 }],
      ["requestExport", `mutation { requestExport(input: {kind: customers, params: {}}) { clientMutationId } }`, {}],
      ["createAnalystLogin", `mutation { createAnalystLogin(input: {name: "x"}) { clientMutationId } }`, {}],
      ["changePlan", `mutation { changePlan(input: {planKey: "growth"}) { clientMutationId } }`, {}],
      ["requestBillingPortal", `mutation { requestBillingPortal(input: {}) { clientMutationId } }`, {}],
      ["createLocation", `mutation { createLocation(input: {location: {name: "Cash desk 2", timezone: "UTC"}}) { clientMutationId } }`, {}],
    ];
    const results: Record<string, unknown> = {};
    for (const [name, query, variables] of cases) {
      const res = await web.graphql(query, variables);
      results[name] = { data: res.data?.[name] ?? null, code: res.errors?.[0]?.extensions?.code };
    }
    expect(results).toEqual(Object.fromEntries(cases.map(([name]) => [name, { data: null, code: "DNIED" }])));
    // Updates that row-level security filters out (the cashier sees the rows but may not change
    // them): PostgreSQL changes 0 rows without an error, and the API answers NOTFD (the same as
    // for another business's row, web/server/preset.ts NothingChangedPlugin).
    for (const [name, query, variables] of [
      ["updateLocationById", `mutation($id: ID!) { updateLocationById(input: {id: $id, patch: {name: "Pwned"}}) { location { name } } }`, { id: loc.locations.nodes[0].id }],
      ["updateTenantById", `mutation($id: ID!) { updateTenantById(input: {id: $id, patch: {name: "Pwned"}}) { tenant { name } } }`, { id: loc.currentTenant.id }],
      ["deleteDeviceById", `mutation($id: ID!) { deleteDeviceById(input: {id: $id}) { device { name } } }`, { id: device.id }],
    ] as const) {
      const res = await web.graphql(query, variables);
      expect({ data: res.data?.[name] ?? null, code: res.errors?.[0]?.extensions?.code }, name).toEqual({ data: null, code: "NOTFD" });
    }
    expect((await db.owner.query("select count(*)::int as n from app_public.devices where tenant_id = $1", [a.tenantId])).rows[0].n).toBe(1);
    const state = await db.owner.query(
      `select (select count(*)::int from app_public.customers where tenant_id = $1 and status = 'merged') as merged,
              (select count(*)::int from reporting.exports where tenant_id = $1) as exports,
              (select count(*)::int from app_private.analyst_logins where tenant_id = $1) as logins,
              (select count(*)::int from app_public.locations where tenant_id = $1) as locations,
              (select count(*)::int from app_public.locations where tenant_id = $1 and name = 'Pwned') as pwned_locations,
              (select name from app_public.tenants where id = $1) as name`,
      [a.tenantId],
    );
    expect(state.rows[0]).toEqual({ merged: 0, exports: 0, logins: 1, locations: 1, pwned_locations: 0, name: expect.not.stringMatching(/Pwned/) });
  });
});
