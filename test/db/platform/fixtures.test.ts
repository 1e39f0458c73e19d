// The SQL sources cannot drift from the database. Every function, view, policy and trigger of our
// schemas has exactly one fixture (migrations/fixtures/<domain>/<file>.sql) that creates it, and
// applying every fixture again to a migrated database changes nothing: not a body, setting,
// comment, grant, policy expression or trigger. A fixture edited without a migration that
// includes it (or a migration that changes an object behind its fixture's back) fails here.
import * as gm from "graphile-migrate";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roles, withCredentials } from "../../../db/config.ts";
import { fixtureFiles, fixturesFolder } from "../../../db/fixtures.ts";
import { migrateSettings } from "../../../db/migrate.ts";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.ts";
import { testRootUrl } from "../../helpers/env.ts";

const SCHEMAS = ["public", "app_public", "app_hidden", "app_private", "reporting"];

/**
 * Policies made by a function for each table that calls it in a migration, rather than written
 * out: they are defined by that function's fixture, and the test makes them again with it (as
 * the source "made by function").
 */
const MADE_BY_FUNCTION = ["all_for_owner", "active_tenant_only", "active_tenant_insert", "active_tenant_update", "active_tenant_delete"];

/** Everything a fixture defines, as the catalog describes it, keyed by identity. */
async function snapshot(client: pg.Client): Promise<Map<string, string>> {
  const { rows } = await client.query<{ kind: string; identity: string; definition: string }>(
    `with ours as (select oid, nspname from pg_namespace where nspname = any($1))
     select 'function' as kind, (pg_identify_object('pg_proc'::regclass, p.oid, 0)).identity as identity,
            pg_get_functiondef(p.oid) || e'\\n-- acl ' || coalesce(p.proacl::text, '(default)')
              || e'\\n-- comment ' || coalesce(obj_description(p.oid, 'pg_proc'), '(none)') as definition
     from pg_proc p join ours n on n.oid = p.pronamespace
     where not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
     union all
     select 'view', (pg_identify_object('pg_class'::regclass, c.oid, 0)).identity,
            pg_get_viewdef(c.oid, true) || e'\\n-- acl ' || coalesce(c.relacl::text, '(default)')
              || e'\\n-- comment ' || coalesce(obj_description(c.oid, 'pg_class'), '(none)')
     from pg_class c join ours n on n.oid = c.relnamespace
     where c.relkind in ('v', 'm')
     union all
     select 'policy', (pg_identify_object('pg_policy'::regclass, p.oid, 0)).identity,
            concat_ws(e'\\n', p.polcmd, p.polpermissive,
                      (select string_agg(case r when 0 then 'public' else pg_get_userbyid(r) end, ',' order by 1) from unnest(p.polroles) r),
                      pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid))
     from pg_policy p join pg_class c on c.oid = p.polrelid join ours n on n.oid = c.relnamespace
     union all
     select 'trigger', (pg_identify_object('pg_trigger'::regclass, t.oid, 0)).identity,
            pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text
     from pg_trigger t join pg_class c on c.oid = t.tgrelid join ours n on n.oid = c.relnamespace
     where not t.tgisinternal
     union all
     select 'table grants', (pg_identify_object('pg_class'::regclass, c.oid, 0)).identity,
            coalesce(c.relacl::text, '(default)') || ' ' || coalesce(
              (select string_agg(a.attname || '=' || a.attacl::text, ' ' order by a.attnum)
               from pg_attribute a where a.attrelid = c.oid and a.attacl is not null), '')
     from pg_class c join ours n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p')`,
    [SCHEMAS],
  );
  return new Map(rows.map((r) => [`${r.kind} ${r.identity}`, r.definition]));
}

let live: TestDatabase;
let applied: TestDatabase;
/** Which fixture created which object: "function app_hidden.trim_blank(text)" → files. */
const createdBy = new Map<string, string[]>();
let liveObjects: Map<string, string>;
let appliedObjects: Map<string, string>;

beforeAll(async () => {
  [live, applied] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  const root = new pg.Client(withCredentials(testRootUrl, decodeURIComponent(new URL(testRootUrl).username) || "postgres",
    decodeURIComponent(new URL(testRootUrl).password), applied.name));
  await root.connect();
  try {
    // Records what each DDL command created, with the file being applied (an event trigger
    // needs a superuser; the fixtures themselves run as the owner, as in a migration).
    await root.query(`
      create table public.fixture_ddl (file text, command_tag text, object_type text, object_identity text);
      grant insert on public.fixture_ddl to ${roles.owner};
      create function public.fixture_ddl_record() returns event_trigger language plpgsql as $$
      begin
        insert into public.fixture_ddl
        select current_setting('fixture.file', true), c.command_tag, c.object_type, c.object_identity
        from pg_event_trigger_ddl_commands() c;
      end $$;
      create event trigger fixture_ddl_record on ddl_command_end execute function public.fixture_ddl_record();`);
    const settings = await migrateSettings({ ownerUrl: applied.ownerUrl, rootUrl: testRootUrl, skipDump: true, quiet: true });
    const owner = await applied.owner.connect();
    try {
      for (const file of fixtureFiles()) {
        const sql = await gm.compile(settings, fs.readFileSync(path.join(fixturesFolder, file), "utf8"), { filename: file });
        await owner.query("begin");
        await owner.query("select set_config('fixture.file', $1, true)", [file]);
        await owner.query(sql);
        await owner.query("commit");
      }
      // The policies the helpers make, made again by the helpers as they are now.
      await owner.query("begin");
      await owner.query("select set_config('fixture.file', 'made by function', true)");
      const { rows } = await owner.query<{ tbl: string; name: string }>(
        `select p.polrelid::regclass::text as tbl, p.polname as name from pg_policy p where p.polname = any($1)`,
        [MADE_BY_FUNCTION],
      );
      const tablesWith = (name: string) => rows.filter((r) => r.name === name).map((r) => r.tbl);
      for (const tbl of tablesWith("all_for_owner")) {
        await owner.query(`drop policy all_for_owner on ${tbl}`);
        await owner.query("select app_private.secure_table($1::regclass)", [tbl]);
      }
      // (The tenant row's own active_tenant_only is written out in its fixture.)
      for (const tbl of tablesWith("active_tenant_insert")) {
        for (const name of ["only", "insert", "update", "delete"]) await owner.query(`drop policy active_tenant_${name} on ${tbl}`);
        await owner.query("select app_private.enforce_active_tenant($1::regclass)", [tbl]);
      }
      await owner.query("commit");
    } finally {
      owner.release();
    }
    await root.query("drop event trigger fixture_ddl_record");
    const log = await root.query<{ file: string; command_tag: string; object_type: string; object_identity: string }>(
      `select file, command_tag, object_type, object_identity from public.fixture_ddl
       where command_tag in ('CREATE FUNCTION', 'CREATE VIEW', 'CREATE POLICY', 'CREATE TRIGGER', 'CREATE CONSTRAINT TRIGGER')`,
    );
    for (const r of log.rows) {
      const kind = r.object_type === "trigger" ? "trigger" : r.object_type === "policy" ? "policy" : r.object_type === "view" ? "view" : "function";
      const key = `${kind} ${r.object_identity}`;
      const files = createdBy.get(key) ?? [];
      if (!files.includes(r.file)) files.push(r.file);
      createdBy.set(key, files);
    }
    await root.query("drop function public.fixture_ddl_record(); drop table public.fixture_ddl;");
    const liveRoot = new pg.Client(withCredentials(testRootUrl, decodeURIComponent(new URL(testRootUrl).username) || "postgres",
      decodeURIComponent(new URL(testRootUrl).password), live.name));
    await liveRoot.connect();
    try {
      liveObjects = await snapshot(liveRoot);
    } finally {
      await liveRoot.end();
    }
    appliedObjects = await snapshot(root);
  } finally {
    await root.end();
  }
});
afterAll(async () => {
  await Promise.all([live?.drop(), applied?.drop()]);
});

describe("the SQL sources (migrations/fixtures)", () => {
  it("define every function, view, policy and trigger of our schemas exactly once", () => {
    const problems: string[] = [];
    for (const key of liveObjects.keys()) {
      if (key.startsWith("table grants")) continue;
      const files = createdBy.get(key) ?? [];
      if (files.length === 0) problems.push(`${key}: no fixture creates it`);
      if (files.length > 1) problems.push(`${key}: created by ${files.length} fixtures (${files.join(", ")})`);
    }
    expect(problems).toEqual([]);
  });

  it("are what the migrations made: applying them again to a migrated database changes nothing", () => {
    const differences: string[] = [];
    for (const [key, definition] of liveObjects) {
      const again = appliedObjects.get(key);
      if (again === undefined) differences.push(`${key}: gone after applying the fixtures`);
      else if (again !== definition) differences.push(`${key}:\n--- live\n${definition}\n--- from its fixture\n${again}`);
    }
    for (const key of appliedObjects.keys()) {
      if (!liveObjects.has(key)) differences.push(`${key}: defined by a fixture (${createdBy.get(key)?.join(", ")}) but not by the migrations`);
    }
    expect(differences).toEqual([]);
  });
});
