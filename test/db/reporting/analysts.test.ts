// Analyst logins (reporting.create_analyst_login), tested as an analyst would use them: a real PostgreSQL login created by
// an owner, connecting over TCP with its own user name and password. It sees only its tenant's
// rows in the reporting views, cannot write, and cannot read any other schema. Roles are
// cluster-wide and outlive this test's database, so every role created here is dropped again.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roles } from "../../../db/config.ts";
import { createTestDatabase, sqlState, type TestDatabase } from "../../helpers/db.ts";
import { testRootUrl } from "../../helpers/env.ts";
import { createCustomer, holdFoldLock, line, openReportingShop, placeOrder, queued, recordMovement, type ReportingShop } from "./helpers.ts";

let db: TestDatabase;
let a: ReportingShop;
let b: ReportingShop;
const created: string[] = [];
const clients: pg.Client[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  a = await openReportingShop(db, { items: [{ sku: "TEA", name: "Tea", price: 300, stock: 10 }] });
  b = await openReportingShop(db, { items: [{ sku: "TEA", name: "Thé", price: 450, stock: 5 }] });
  const ann = await createCustomer(a.cashier, "Ann");
  await placeOrder(a.owner, a.locationId, [line(a.item.TEA, 2)], { placedAt: "2025-06-01T10:00:00Z", customerId: ann.id });
  await placeOrder(b.owner, b.locationId, [line(b.item.TEA, 1)], { placedAt: "2025-06-01T10:00:00Z" });
  await createCustomer(b.cashier, "Bea");
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => {})));
  // Roles outlive databases: drop every one this test made, whatever happened.
  const root = new pg.Client(testRootUrl);
  await root.connect();
  try {
    for (const role of created) await root.query(`drop role if exists "${role.replace(/"/g, '""')}"`);
  } finally {
    await root.end();
  }
  await db?.drop();
});

async function createLogin(owner: ReportingShop["owner"], name: string) {
  const { rows } = await owner.query("select * from reporting.create_analyst_login($1)", [name]);
  created.push(rows[0].username);
  return rows[0] as { username: string; password: string; database_name: string };
}

/** A real connection as the analyst: its own user name and password, to this database over TCP. */
async function connectAs(cred: { username: string; password: string; database_name: string }) {
  const url = new URL(testRootUrl);
  const client = new pg.Client({ host: url.hostname, port: Number(url.port || 5432), user: cred.username, password: cred.password, database: cred.database_name });
  await client.connect();
  clients.push(client);
  return client;
}

describe("analyst logins", () => {
  let cred: { username: string; password: string; database_name: string };
  let analyst: pg.Client;
  let otherAnalyst: pg.Client;

  it("an owner creates a LOGIN role in the analyst group, with a password shown once", async () => {
    cred = await createLogin(a.owner, "Metabase (finance)");
    // Opaque: every login of the cluster reads pg_roles, so the name tells nothing of the label.
    expect(cred.username).toMatch(new RegExp(`^${roles.analyst}_[0-9a-f]{16}$`));
    expect(cred.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(cred.database_name).toBe(db.name);
    const root = new pg.Client(testRootUrl);
    await root.connect();
    try {
      const { rows } = await root.query(
        `select r.rolcanlogin, r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls, r.rolinherit, r.rolconnlimit,
                a.rolpassword like 'SCRAM-SHA-256$%' or a.rolpassword like 'md5%' as has_password,
                array(select g.rolname::text from pg_auth_members m join pg_roles g on g.oid = m.roleid where m.member = r.oid) as member_of
         from pg_roles r join pg_authid a on a.oid = r.oid where r.rolname = $1`,
        [cred.username],
      );
      expect(rows[0]).toEqual({
        rolcanlogin: true, rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolbypassrls: false, rolinherit: true,
        rolconnlimit: 2, has_password: true, member_of: [roles.analyst],
      });
    } finally {
      await root.end();
    }
    // Nothing of the password is kept by us.
    const mapping = await db.owner.query("select * from app_private.analyst_logins where role_name = $1", [cred.username]);
    expect(mapping.rows).toHaveLength(1);
    expect(JSON.stringify(mapping.rows[0])).not.toContain(cred.password);
    expect((await a.owner.query("select username, label from reporting.analyst_logins()")).rows).toEqual([{ username: cred.username, label: "Metabase (finance)" }]);
  });

  it("connects with its password and sees its own business's rows only, in every view, with search_path reporting", async () => {
    analyst = await connectAs(cred);
    expect((await analyst.query("select current_user, session_user")).rows[0]).toEqual({ current_user: cred.username, session_user: cred.username });
    expect((await analyst.query("show search_path")).rows[0].search_path).toBe("reporting");

    const sales = await analyst.query("select business_date::text, location_name, orders, gross_sales, net_sales, avg_order_value from sales_by_day");
    expect(sales.rows).toEqual([{ business_date: "2025-06-01", location_name: "Main store", orders: "1", gross_sales: "6.00", net_sales: "6.00", avg_order_value: "6.00" }]);
    const items = await analyst.query("select item_name, sku, quantity_sold, gross_revenue from item_sales_by_day");
    expect(items.rows).toEqual([{ item_name: "Tea", sku: "TEA", quantity_sold: "2", gross_revenue: "6.00" }]);
    const stock = await analyst.query("select location_name, item_name, on_hand, is_low_stock from stock_levels");
    expect(stock.rows).toEqual([{ location_name: "Main store", item_name: "TEA stock", on_hand: 8, is_low_stock: false }]);
    const customers = await analyst.query("select customer_number, customer_name, total_visits, total_spend from customer_activity");
    expect(customers.rows).toEqual([{ customer_number: "CUST-00001", customer_name: "Ann", total_visits: 1, total_spend: "6.00" }]);
    // Ann's single visit was long ago: one-time, as her profile says.
    const classes = await analyst.query("select customer_number, customer_name, loyalty_class, is_repeat, visits, spend, do_not_contact from customer_classes");
    expect(classes.rows).toEqual([
      { customer_number: "CUST-00001", customer_name: "Ann", loyalty_class: "one_time", is_repeat: false, visits: 1, spend: "6.00", do_not_contact: false },
    ]);
    // Filters and joins work as in any SQL client.
    const filtered = await analyst.query("select count(*)::int as n from reporting.sales_by_day where business_date between '2025-01-01' and '2025-12-31'");
    expect(filtered.rows[0].n).toBe(1);
  });

  it("a login of the other business sees the other business only", async () => {
    otherAnalyst = await connectAs(await createLogin(b.owner, "notebook"));
    const other = otherAnalyst;
    expect((await other.query("select item_name, gross_revenue from item_sales_by_day")).rows).toEqual([{ item_name: "Thé", gross_revenue: "4.50" }]);
    expect((await other.query("select customer_name, total_visits from customer_activity")).rows).toEqual([{ customer_name: "Bea", total_visits: 0 }]);
    expect((await other.query("select customer_name, loyalty_class, visits from customer_classes")).rows).toEqual([{ customer_name: "Bea", loyalty_class: null, visits: 0 }]);
  });

  it("sees sales the moment they commit, folded or not", async () => {
    const lock = await holdFoldLock(db, a.tenantId);
    try {
      await placeOrder(a.owner, a.locationId, [line(a.item.TEA, 1)], { placedAt: "2025-06-01T12:00:00Z" });
      expect(await queued(db, a.tenantId)).toBeGreaterThan(0);
      const { rows } = await analyst.query("select orders, net_sales from sales_by_day where business_date = '2025-06-01'");
      expect(rows).toEqual([{ orders: "2", net_sales: "9.00" }]);
      expect((await analyst.query("select on_hand from stock_levels")).rows).toEqual([{ on_hand: 7 }]);
    } finally {
      await lock.release();
    }
  });

  it("cannot write anything", async () => {
    for (const sql of [
      "insert into reporting.sales_by_day (location_id) values ('x')",
      "update reporting.sales_by_day set orders = 0",
      "delete from reporting.customer_activity",
      "insert into reporting.rm_daily_sales (tenant_id, location_id, business_date) values ('x', 'y', current_date)",
      "update reporting.rm_daily_sales set order_count = 0",
      "create table reporting.mine (x int)",
      "create table public.mine (x int)",
    ]) {
      // 42501: no privilege; 55000: the view cannot be written at all (it aggregates and joins).
      expect(["42501", "55000"], sql).toContain(await sqlState(() => analyst.query(sql)));
    }
    expect(Number((await analyst.query("select count(*) from sales_by_day")).rows[0].count)).toBe(1);
  });

  it("cannot read any other schema, nor the read-model tables behind the views, nor call the admin's functions", async () => {
    for (const sql of [
      "select * from reporting.rm_daily_sales",
      "select * from reporting.rm_customer_visits",
      "select * from reporting.exports",
      "select * from app_public.orders",
      "select * from app_public.customers",
      "select * from app_public.tenants",
      "select * from app_private.events",
      "select * from app_private.analyst_logins",
      "select * from app_private.reporting_queue",
      "select * from graphile_worker.jobs",
      "select app_hidden.current_tenant_id()",
      "select app_hidden.analyst_tenant_id()",
      "select * from reporting.daily_sales('2025-01-01', '2025-12-31')",
      "select reporting.rebuild('x')",
      "select * from reporting.create_analyst_login('more')",
    ]) {
      expect(await sqlState(() => analyst.query(sql)), sql).toBe("42501");
    }
  });

  it("only an owner creates or removes logins", async () => {
    const manager = a.manager; // every permission but settings.update
    expect(await sqlState(() => manager.query("select reporting.create_analyst_login('x')"))).toBe("DNIED");
    expect(await sqlState(() => a.cashier.query("select reporting.create_analyst_login('x')"))).toBe("DNIED");
    expect(await sqlState(() => db.asAnonymous().query("select reporting.create_analyst_login('x')"))).toBe("LOGIN");
    // A role with settings.update that is not the owner role is not enough either.
    const custom = await db.owner.query(
      `insert into app_public.roles (tenant_id, key, name, permissions) values ($1, 'admin', 'Admin', array['settings.update', 'settings.view']) returning id`,
      [a.tenantId],
    );
    const admin = await db.asUser(a.tenantId, "admin");
    expect(custom.rowCount).toBe(1);
    expect(await sqlState(() => admin.query("select reporting.create_analyst_login('x')"))).toBe("DNIED");
    expect(await sqlState(() => a.owner.query("select reporting.create_analyst_login('  ')"))).toBe("BADIN");
    // Another business's login is not found from here.
    const theirs = (await b.owner.query("select username from reporting.analyst_logins()")).rows[0].username;
    expect(await sqlState(() => a.owner.query("select reporting.drop_analyst_login($1)", [theirs]))).toBe("NOTFD");
  });

  it("a removed login can no longer connect, and its open connection ends", async () => {
    const cred2 = await createLogin(a.owner, "temporary");
    const open = await connectAs(cred2);
    open.on("error", () => {});
    expect(Number((await open.query("select count(*) from sales_by_day")).rows[0].count)).toBe(1);
    await a.owner.query("select reporting.drop_analyst_login($1)", [cred2.username]);
    await expect(open.query("select count(*) from sales_by_day")).rejects.toThrow();
    const root = new pg.Client(testRootUrl);
    await root.connect();
    expect((await root.query("select count(*)::int as n from pg_roles where rolname = $1", [cred2.username])).rows[0].n).toBe(0);
    await root.end();
    await expect(connectAs(cred2)).rejects.toThrow();
  });

  it("a suspended business's analysts see nothing", async () => {
    await db.owner.query("select app_private.suspend_tenant_for_billing($1, 'nonpayment')", [b.tenantId]);
    expect((await otherAnalyst.query("select count(*)::int as n from item_sales_by_day")).rows[0].n).toBe(0);
    expect((await otherAnalyst.query("select count(*)::int as n from customer_activity")).rows[0].n).toBe(0);
    expect((await analyst.query("select count(*)::int as n from sales_by_day")).rows[0].n).toBe(1);
  });

  it("recording stock changes shows in stock_levels", async () => {
    await recordMovement(a.manager, a.locationId, a.stock.TEA, 5, "receive");
    expect((await analyst.query("select on_hand from stock_levels")).rows).toEqual([{ on_hand: 12 }]);
  });
});

describe("analysts cannot take what others need", () => {
  let analyst: pg.Client;
  beforeAll(async () => {
    analyst = await connectAs(await createLogin(a.owner, "Harbour finance team"));
    analyst.on("error", () => {});
  });

  it("pg_roles shows other businesses' logins by opaque names only, never by what their owners called them", async () => {
    const { rows } = await analyst.query(
      "select r.rolname from pg_roles r join pg_auth_members m on m.member = r.oid join pg_roles g on g.oid = m.roleid where g.rolname = $1 and r.rolname <> $2",
      [roles.analyst, roles.owner],
    );
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const r of rows) expect(r.rolname).toMatch(new RegExp(`^${roles.analyst}_[0-9a-f]{16}$`));
    expect(JSON.stringify(rows)).not.toMatch(/harbour|finance|notebook|metabase/i);
  });

  it("cannot take advisory locks, so cannot stall the worker's crash recovery nor pass for a live worker", async () => {
    for (const sql of [
      "select pg_advisory_lock(app_private_ns, 0) from (select 1651472242 as app_private_ns) x",
      "select pg_try_advisory_lock(1651472242, 12345)",
      "select pg_advisory_xact_lock(1)",
      "select pg_advisory_lock_shared(1651472242, 0)",
    ]) {
      expect(await sqlState(() => analyst.query(sql)), sql).toBe("42501");
    }
  });

  it("a statement past the time limit is cancelled even after `set statement_timeout = 0`", async () => {
    await analyst.query("set statement_timeout = 0");
    const sleeping = analyst.query("select pg_sleep(30)").then(() => "finished", (e) => (e as { code?: string }).code);
    await new Promise((r) => setTimeout(r, 1500));
    // What the worker runs every few seconds (with 60 s in production).
    const acted = await db.owner.query("select * from app_private.enforce_analyst_limits('1 second', '1 hour')");
    expect(acted.rows.map((r) => r.action)).toEqual(["cancelled"]);
    expect(await sleeping).toBe("57014");
    expect((await analyst.query("select 1 as ok")).rows[0].ok).toBe(1); // the session goes on
  });

  it("a session idle in an open transaction past the limit is ended, even after `set idle_in_transaction_session_timeout = 0`", async () => {
    const idle = await connectAs(await createLogin(a.owner, "idle one"));
    idle.on("error", () => {});
    await idle.query("set idle_in_transaction_session_timeout = 0");
    await idle.query("begin");
    await idle.query("select count(*) from sales_by_day");
    await new Promise((r) => setTimeout(r, 1500));
    const acted = await db.owner.query("select * from app_private.enforce_analyst_limits('1 hour', '1 second')");
    expect(acted.rows.map((r) => r.action)).toEqual(["terminated"]);
    await expect(idle.query("select 1")).rejects.toThrow();
  });

  it("one person may have at most 20 logins across all the businesses they own", async () => {
    const second = await a.owner.query("select id from app_public.create_business('Second shop', 'Europe/Paris')");
    expect(second.rowCount).toBe(1);
    const have = Number((await db.owner.query("select count(*) from app_private.analyst_logins where created_by = $1", [a.owner.userId])).rows[0].count);
    // The second business has no login yet: its own limit (20) is far, the person's is not.
    for (let i = have; i < 20; i++) await createLogin(a.owner, `login ${i}`);
    expect(await sqlState(() => a.owner.query("select reporting.create_analyst_login('one too many')"))).toBe("ANLIM");
  });
});
