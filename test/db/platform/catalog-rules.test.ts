// The table rules of DESIGN.md, read from the catalog, so that a later table that breaks them
// fails here the day it is added.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.ts";

/** Tables that are not owned by one tenant, and why. Adding to this list needs a reason. */
const GLOBAL_TABLES: Record<string, string> = {
  "app_public.tenants": "the tenants themselves",
  "app_public.users": "a person may work for several tenants",
  "app_private.user_secrets": "belongs to a user",
  "app_private.sessions": "belongs to a user; the active tenant is checked against memberships",
  "app_private.event_subscriptions": "configuration: which consumer function handles which event type, the same for every tenant (a reference table under Citus)",
  "app_public.plans": "the price list, the same for every tenant (a reference table under Citus)",
  "app_public.currencies": "ISO 4217's list of currencies, the same for every tenant (a reference table under Citus)",
  "app_public.phone_countries": "libphonenumber's calling codes, trunk prefixes and number lengths per country, the same for every tenant (generated reference data; a reference table under Citus)",
  "app_private.stripe_events": "Stripe's inbox: stored before its tenant is known (the customer may not be stored yet) and unique by Stripe's global event id; applying routes each event to its tenant",
  "app_private.login_throttle": "sign-in attempts per client address, counted before anyone is known; an address is no business's",
  "app_private.worker_pools": "the worker processes of the deployment (which graphile-worker pool belongs to which live process), not owned by any tenant",
  "app_private.job_runs": "the run log of worker tasks: platform tasks (session cleanup, the fold, sweeps) belong to no tenant; a tenant's runs carry its tenant_id and reach it only through app_public.background_jobs()",
};

const SCHEMAS = ["app_public", "app_private", "reporting"];

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

describe("catalog rules", () => {
  it("every table has row-level security enabled and forced", async () => {
    const { rows } = await db.owner.query(
      `select n.nspname || '.' || c.relname as name
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = any($1) and c.relkind in ('r', 'p')
         and not (c.relrowsecurity and c.relforcerowsecurity)`,
      [SCHEMAS],
    );
    expect(rows.map((r) => r.name)).toEqual([]);
  });

  it("every table other than the listed global ones is tenant-owned (tenant_id not null, first in the primary key)", async () => {
    const { rows } = await db.owner.query(
      `select n.nspname || '.' || c.relname as name,
              a.attnotnull as not_null,
              (select (select attname from pg_attribute where attrelid = c.oid and attnum = i.indkey[0])
                 from pg_index i where i.indrelid = c.oid and i.indisprimary) as pk_first
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       left join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
       where n.nspname = any($1) and c.relkind in ('r', 'p')`,
      [SCHEMAS],
    );
    expect(rows.length).toBeGreaterThan(5);
    const broken = rows
      .filter((r) => !(r.name in GLOBAL_TABLES))
      .filter((r) => !r.not_null || r.pk_first !== "tenant_id")
      .map((r) => r.name);
    expect(broken).toEqual([]);
  });

  it("every foreign key between tenant-owned tables includes tenant_id on both sides", async () => {
    const { rows } = await db.owner.query(
      `select con.conname, src.relname as from_table, dst.relname as to_table
       from pg_constraint con
       join pg_class src on src.oid = con.conrelid join pg_namespace sn on sn.oid = src.relnamespace
       join pg_class dst on dst.oid = con.confrelid
       where con.contype = 'f' and sn.nspname = any($1)
         and exists (select 1 from pg_attribute where attrelid = con.conrelid and attname = 'tenant_id')
         and exists (select 1 from pg_attribute where attrelid = con.confrelid and attname = 'tenant_id')
         and not exists (
           select 1 from unnest(con.conkey, con.confkey) as k(src_col, dst_col)
           where (select attname from pg_attribute where attrelid = con.conrelid and attnum = k.src_col) = 'tenant_id'
             and (select attname from pg_attribute where attrelid = con.confrelid and attnum = k.dst_col) = 'tenant_id')`,
      [SCHEMAS],
    );
    expect(rows).toEqual([]);
  });

  it("every unique constraint or index of a tenant-owned table includes tenant_id", async () => {
    const { rows } = await db.owner.query(
      `select ic.relname as index_name
       from pg_index i
       join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace
       join pg_class ic on ic.oid = i.indexrelid
       where i.indisunique and n.nspname = any($1)
         and exists (select 1 from pg_attribute where attrelid = c.oid and attname = 'tenant_id')
         and not (n.nspname || '.' || c.relname) = any($2)
         and not exists (
           select 1 from unnest(i.indkey) k join pg_attribute a on a.attrelid = c.oid and a.attnum = k
           where a.attname = 'tenant_id')`,
      [SCHEMAS, Object.keys(GLOBAL_TABLES)],
    );
    expect(rows).toEqual([]);
  });

  it("every foreign key is covered by an index starting with its columns", async () => {
    const { rows } = await db.owner.query(
      `select con.conrelid::regclass::text as table_name, con.conname
       from pg_constraint con join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
       where con.contype = 'f' and n.nspname = any($1)
         and not exists (
           select 1 from pg_index i
           where i.indrelid = con.conrelid
             and (i.indkey::int2[])[0:cardinality(con.conkey) - 1] @> con.conkey
             and (i.indkey::int2[])[0:cardinality(con.conkey) - 1] <@ con.conkey)`,
      [SCHEMAS],
    );
    expect(rows).toEqual([]);
  });

  it("the API role can read nothing in app_private", async () => {
    const { rows } = await db.owner.query(
      `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'app_private' and c.relkind in ('r', 'p', 'v')
         and has_table_privilege($1, c.oid, 'select')`,
      ["bo_visitor"],
    );
    expect(rows).toEqual([]);
    const usage = await db.owner.query("select has_schema_privilege($1, 'app_private', 'usage') as ok", ["bo_visitor"]);
    expect(usage.rows[0].ok).toBe(false);
  });

  it("every security definer function pins its search_path", async () => {
    const { rows } = await db.owner.query(
      `select p.oid::regprocedure::text as fn from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname in ('app_public', 'app_hidden', 'app_private', 'reporting', 'public') and p.prosecdef
         and not exists (select 1 from unnest(p.proconfig) cfg where cfg like 'search_path=%')`,
    );
    expect(rows).toEqual([]);
  });
});
