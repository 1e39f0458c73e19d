// Tenant isolation at the SQL level, generated from the catalog: every function the API role
// (the visitor) may execute and that takes an id — an argument named like `customer_id`, `id`,
// `primary_id`, `username`…, a whole row of a tenant table (computed columns), or an id inside a
// JSON argument (`lines[].catalog_item_id`, export `params.location_id`) — is called as the owner
// of tenant A with each of tenant B's ids of the matching kind and with an id that does not exist,
// the other arguments being valid for A. Each call must either fail with one of our coded errors
// or succeed without returning anything of B; at the end, not one row of B has changed.
// A function added later is swept the day it appears; there is no list to keep up to date.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roles } from "../../db/config.ts";
import { publicError } from "../../web/server/errors.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import {
  buildTenant,
  fingerprint,
  isIdName,
  leaked,
  randomUlid,
  sensitiveStrings,
  strings,
  tableForIdName,
  type TenantFixture,
} from "./fixtures.ts";

/** The codes of db/ERRORS.md: the only codes a caller may ever see. */
const CODES = new Set([...readFileSync(new URL("../../db/ERRORS.md", import.meta.url), "utf8").matchAll(/^\| `([A-Z]{5})` \|/gm)].map((m) => m[1]));

let db: TestDatabase;
let A: TenantFixture;
let B: TenantFixture;

beforeAll(async () => {
  db = await createTestDatabase();
  [A, B] = await Promise.all([buildTenant(db, "Alpha", { analystLogin: true }), buildTenant(db, "Bravo", { analystLogin: true })]);
});
afterAll(async () => {
  await A?.dispose();
  await B?.dispose();
  await db?.drop();
});

interface Arg {
  name: string;
  /** format_type of the argument. */
  type: string;
  /** pg_type.typtype / typcategory, and the table it is the row type of (if any). */
  typtype: string;
  category: string;
  relation: string | null;
  enumLabels: string[] | null;
  hasDefault: boolean;
}

interface Fn {
  schema: string;
  name: string;
  args: Arg[];
  /** The table the function returns rows of, if any (gives bare `id` arguments their kind). */
  returns: string | null;
}

/** Where an id goes in a call, and which table's ids belong there (null: not known). */
interface Slot {
  arg: number;
  /** A path inside a JSON argument, or a row-type argument ("row"). */
  path?: (string | number)[];
  row?: boolean;
  table: string | null;
}

const today = () => new Date().toISOString().slice(0, 10);
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

/** Plausible values for the arguments that are not ids, by name then by type (valid for A). */
function plainValue(arg: Arg, a: TenantFixture): unknown {
  if (arg.enumLabels) return arg.enumLabels.includes("inventory") ? "inventory" : arg.enumLabels[0];
  const byName: Record<string, unknown> = {
    reason: "receive",
    type: "cash",
    amount: 100,
    quantity: 1,
    discount: 0,
    lines: [{ catalog_item_id: a.named.teaItemId, quantity: 1 }],
    params: { location_id: a.named.mainLocationId },
    q: "Bravo",
    plan_key: "growth",
    from_date: daysAgo(30),
    to_date: today(),
    low_only: false,
    chunk_no: 0,
    permission: "customers.view",
    module: "customers",
    patch: { first_name: "Pwned", notes: "Pwned" },
    name: "Alpha fuzz",
    note: "Alpha fuzz",
    // A new address each call: an email used by an attack that committed is free for the control.
    email: `fuzz-${randomUUID()}@example.com`,
    // A company's contact's phones (not unique).
    phone: "+33 6 12 34 56 78",
    mobile: "+33 6 12 34 56 78",
    // A contact made primary (the primary cannot take another role by itself).
    role: "primary",
    preferred_contact_method: "email",
    permissions: ["reports.view"],
    kind: "in",
    channel: "email",
    preferred_payment: "card",
    best_contact_time: "morning",
    language: "en",
    source: "pos",
    data: "Alpha fuzz",
    mapping: ["email", "first_name"],
    on_duplicate: "fill",
    colour: "#c9a227",
    // Accounts: a payment's method and a suspension's type.
    method: "cash",
    suspension_type: "technical",
    // A one-time code's 6 digits (a wrong one is answered, not raised: verify_phone_code).
    code: "000000",
    // The timeline's first page, of every kind (customers_timeline).
    older_than: null,
    kinds: null,
  };
  if (arg.name in byName) return byName[arg.name];
  if (arg.relation || arg.typtype === "c") return {};
  if (arg.type.endsWith("[]")) return [];
  switch (arg.category) {
    case "N":
      return 1;
    case "B":
      return false;
    case "D":
      return arg.type === "date" ? today() : null;
    case "U":
      return arg.type === "jsonb" || arg.type === "json" ? {} : null;
    default:
      return "Alpha fuzz";
  }
}

/** A function whose `lines` are lines of an order to refund, not of a cart. */
const refundsLines = (fn: Fn) => fn.name === "refund_order_lines";

/** The SQL expression that passes parameter $n as the argument's type. */
function paramSql(arg: Arg, n: number): string {
  if (arg.relation || arg.typtype === "c") return `jsonb_populate_record(null::${arg.type}, $${n}::jsonb)`;
  return `$${n}::${arg.type}`;
}

class Rollback {
  constructor(public rows: any[]) {}
}



describe("tenant isolation of every SQL function the API role can execute", () => {
  it("no function taking an id gives A anything of B, or changes B", async () => {
    const tables = Object.keys(B.rows);
    const { rows: fnRows } = await db.owner.query(
      `select n.nspname as schema, p.proname as name,
              coalesce(p.proargnames, '{}') as argnames, p.pronargs, p.pronargdefaults,
              (select array_agg(format_type(t, null) order by i) from unnest(p.proargtypes) with ordinality u(t, i)) as types,
              (select array_agg(t::int order by i) from unnest(p.proargtypes) with ordinality u(t, i)) as typeoids,
              case when rt.typrelid <> 0 then format('%I.%I', rn.nspname, rc.relname) end as returns
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       join pg_type rt on rt.oid = p.prorettype
       left join pg_class rc on rc.oid = rt.typrelid left join pg_namespace rn on rn.oid = rc.relnamespace
       where p.prokind = 'f' and p.pronargs > 0
         and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'
         and has_function_privilege($1, p.oid, 'execute') and has_schema_privilege($1, n.oid, 'usage')
         and p.prorettype not in ('trigger'::regtype, 'event_trigger'::regtype)
         -- extensions' functions (citext, pgcrypto, pg_trgm…) take no ids of ours
         and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
       order by 1, 2`,
      [roles.visitor],
    );
    const typeInfo = new Map<number, Omit<Arg, "name" | "type" | "hasDefault">>();
    const { rows: types } = await db.owner.query(
      `select t.oid::int, t.typtype, t.typcategory,
              case when c.relkind in ('r', 'p', 'v') then format('%I.%I', n.nspname, c.relname) end as relation,
              (select array_agg(e.enumlabel::text order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid) as labels
       from pg_type t left join pg_class c on c.oid = t.typrelid left join pg_namespace n on n.oid = c.relnamespace
       where t.oid = any($1)`,
      [[...new Set(fnRows.flatMap((r) => r.typeoids))]],
    );
    for (const t of types) typeInfo.set(t.oid, { typtype: t.typtype, category: t.typcategory, relation: t.relation, enumLabels: t.labels });

    const fns: { fn: Fn; slots: Slot[] }[] = [];
    for (const r of fnRows) {
      const args: Arg[] = r.types.map((type: string, i: number) => ({
        name: r.argnames[i] ?? `$${i + 1}`,
        type,
        hasDefault: i >= r.pronargs - r.pronargdefaults,
        ...typeInfo.get(r.typeoids[i])!,
      }));
      const fn: Fn = { schema: r.schema, name: r.name, args, returns: r.returns };
      const slots: Slot[] = [];
      args.forEach((arg, i) => {
        const textual = ["text", "uuid", "character varying", "citext", "text[]", "uuid[]"].includes(arg.type);
        if (textual && isIdName(arg.name)) {
          let table = tableForIdName(arg.name, tables);
          if (!table && fn.returns && tables.includes(fn.returns)) table = fn.returns;
          slots.push({ arg: i, table });
        } else if (arg.relation && tables.includes(arg.relation)) {
          // A computed column: a forged row of B's (any row value can be built in SQL).
          slots.push({ arg: i, row: true, table: arg.relation });
        } else if (arg.name === "lines" && arg.category === "U") {
          // Lines of a cart name catalog items; lines of a refund name order lines.
          slots.push(refundsLines(fn)
            ? { arg: i, path: [0, "order_line_id"], table: "app_public.order_lines" }
            : { arg: i, path: [0, "catalog_item_id"], table: "app_public.catalog_items" });
        } else if (arg.name === "params" && arg.category === "U") {
          slots.push({ arg: i, path: ["location_id"], table: "app_public.locations" });
        }
      });
      if (slots.length) fns.push({ fn, slots });
    }

    const rowOf = async (table: string, id: string) =>
      (await db.owner.query(`select to_jsonb(x) as j from ${table} x where x.id = $1`, [id])).rows[0]?.j ?? { id };

    /**
     * A's value for a slot (the call is then valid for A but for the slot under attack): the
     * n-th slot of a kind gets A's n-th row of it, live customers and an unpaid order first.
     */
    const preferred: Record<string, string[]> = {
      "app_public.customers": [A.named.annId, A.named.bobId],
      "app_public.orders": [A.named.partOrderId, A.named.paidOrderId],
      "app_public.order_lines": [A.named.paidTeaLineId],
      "app_public.catalog_items": [A.named.teaItemId, A.named.cakeItemId],
      "app_public.cash_drawers": [A.named.openDrawerId],
      "app_public.roles": [A.named.customRoleId],
      "app_public.memberships": [A.named.cashierMembershipId],
      "app_public.invitations": [A.named.invitationId],
      "app_public.customer_tiers": [A.named.goldTierId],
    };
    // Some functions want a row in a particular state: a sale to take back (the unpaid order is
    // not a sale yet), a location with nothing open to close.
    const preferredFor: Record<string, Record<string, string[]>> = {
      void_order: { "app_public.orders": [A.named.paidOrderId] },
      refund_order_lines: { "app_public.orders": [A.named.paidOrderId] },
      close_location: { "app_public.locations": [A.named.kioskLocationId] },
      write_customer_import_chunk: { "app_public.customer_imports": [A.named.uploadingImportId] },
      finish_customer_import_upload: { "app_public.customer_imports": [A.named.uploadingImportId] },
      set_customer_import_mapping: { "app_public.customer_imports": [A.named.readyImportId] },
      commit_customer_import: { "app_public.customer_imports": [A.named.readyImportId] },
      // Contacts belong to company customers.
      add_customer_contact: { "app_public.customers": [A.named.companyId] },
      customers_matched_contact: { "app_public.customers": [A.named.companyId] },
      // The company has an active account with a sale not invoiced yet; Ann's account is suspended; Bob has none.
      set_customer_account_terms: { "app_public.customers": [A.named.companyId] },
      suspend_customer_account: { "app_public.customers": [A.named.companyId] },
      reactivate_customer_account: { "app_public.customers": [A.named.annId] },
      // Ann paid ahead (unused credit to pay back).
      refund_account_credit: { "app_public.customers": [A.named.annId] },
      // Erasure waits for a settled account: Bob has none (Ann is in credit).
      erase_customer: { "app_public.customers": [A.named.bobId] },
      open_customer_account: { "app_public.customers": [A.named.bobId] },
      record_account_payment: { "app_public.customers": [A.named.companyId] },
      write_off_account_balance: { "app_public.customers": [A.named.companyId] },
      invoice_customer_account: { "app_public.customers": [A.named.companyId] },
      account_statement: { "app_public.customers": [A.named.companyId] },
      // A tier customers have cannot be deleted (TIRIU).
      delete_customer_tier: { "app_public.customer_tiers": [A.named.spareTierId] },
      // A statement's PDF is of an account: the company's.
      request_account_statement: { "app_public.customers": [A.named.companyId] },
      // A phone code: asked for the company's phone (Ann's was sent less than a minute ago), checked for Ann's.
      request_phone_code: { "app_public.customers": [A.named.companyId] },
      verify_phone_code: { "app_public.customers": [A.named.annId] },
      // Dee is a guest (a first name alone): an upgrade is what the control can do (Cy was merged).
      upgrade_customer: { "app_public.customers": [A.named.deeId] },
    };
    const mine = (fn: Fn, slot: Slot, k: number, all: Slot[]): string | null => {
      if (!slot.table) return null;
      const n = all.slice(0, k).filter((o) => o.table === slot.table).length;
      return (preferredFor[fn.name]?.[slot.table] ?? preferred[slot.table] ?? A.rows[slot.table] ?? [])[n] ?? null;
    };
    /** What to try in a slot: each of B's rows of that kind (up to 4) and ids nobody has (a ULID, a UUID). */
    const attacks = (slot: Slot): string[] => {
      const ids = slot.table ? (B.rows[slot.table] ?? []).slice(0, 4) : tables.map((t) => B.rows[t][0]).filter(Boolean);
      return [...ids, randomUlid(), randomUUID()];
    };

    const secrets = await sensitiveStrings(db, B);
    const before = await fingerprint(db, B.tenantId);
    const findings: string[] = [];
    let calls = 0;
    const outcomes = new Map<string, { control: string[]; attacks: string[] }>();
    const outcome = (fn: Fn, control: boolean, what: string) => {
      const key = `${fn.schema}.${fn.name}`;
      const o = outcomes.get(key) ?? { control: [], attacks: [] };
      (control ? o.control : o.attacks).push(what);
      outcomes.set(key, o);
    };

    for (const { fn, slots } of fns) {
      const build = async (ids: (string | null)[]) => {
        const values: unknown[] = fn.args.map((arg) =>
          arg.name === "lines" && refundsLines(fn) ? [{ order_line_id: A.named.paidTeaLineId, quantity: 1 }] : plainValue(arg, A));
        for (const [k, slot] of slots.entries()) {
          const id = ids[k];
          const arg = fn.args[slot.arg];
          if (slot.row) values[slot.arg] = id ? await rowOf(slot.table!, id) : null;
          else if (slot.path) {
            const v = structuredClone(values[slot.arg]) as any;
            let o = v;
            for (const p of slot.path.slice(0, -1)) o = o[p];
            o[slot.path.at(-1)!] = id;
            values[slot.arg] = v;
          } else values[slot.arg] = arg.type.endsWith("[]") ? (id ? [id] : null) : id;
        }
        return values.map((v, i) => (v !== null && typeof v === "object" && !Array.isArray(v) && fn.args[i].category === "U") || fn.args[i].relation || fn.args[i].typtype === "c" || (Array.isArray(v) && fn.args[i].category === "U") ? JSON.stringify(v) : v);
      };
      const variants: (string | null)[][] = [];
      const base = slots.map((slot, k) => mine(fn, slot, k, slots));
      slots.forEach((slot, k) => {
        for (const id of attacks(slot)) variants.push(base.map((v, j) => (j === k ? id : v)));
      });
      variants.push(slots.map((s) => (s.table ? (B.rows[s.table]?.[0] ?? null) : null))); // all of B at once
      // Last, the control: the same call with A's own ids, which should mostly succeed — it shows
      // that the other arguments are good enough for the ids under attack to be looked at.
      variants.push(base);
      const seen = new Set<string>();
      for (const ids of variants) {
        const control = ids === base;
        const key = JSON.stringify(ids);
        if (seen.has(key)) continue;
        seen.add(key);
        const values = await build(ids);
        const sql = `select to_jsonb(r) as r from ${fn.schema}.${fn.name}(${fn.args.map((a, i) => paramSql(a, i + 1)).join(", ")}) as r`;
        // What A sent (B's ids, a forged row of B's) may come back: echoing it leaks nothing.
        const sent = new Set(strings(values));
        const label = `${fn.schema}.${fn.name}(${fn.args
          .map((a, i) => `${a.name}=${slots.some((sl) => sl.arg === i && sl.row) ? `<row ${ids[slots.findIndex((sl) => sl.arg === i)]}>` : JSON.stringify(values[i])}`)
          .join(", ")})`;
        calls++;
        try {
          // Attacks commit, as the API would; the control is rolled back so that A stays as built.
          const rows = control
            ? await A.owner
                .transaction(async (c) => {
                  throw new Rollback((await c.query(sql, values)).rows);
                })
                .catch((e) => {
                  if (e instanceof Rollback) return e.rows;
                  throw e;
                })
            : (await A.owner.query(sql, values)).rows;
          outcome(fn, control, "ok");
          for (const s of leaked(rows.map((r) => r.r), sent, secrets)) findings.push(`${label} returned B's ${JSON.stringify(s)}`);
        } catch (e) {
          const pub = publicError(e);
          const code = (e as { code?: string }).code;
          outcome(fn, control, (pub?.code ?? `${code}`) + (control ? ` (${(e as Error).message})` : ""));
          if (!pub || !CODES.has(pub.code) || pub.code === "INTER") {
            findings.push(`${label} failed with an uncoded error ${code}: ${(e as Error).message}`);
          }
          const msg = [(e as Error).message, (e as { detail?: string }).detail ?? ""];
          for (const s of leaked(msg, sent, secrets)) findings.push(`${label}: the error names B's ${JSON.stringify(s)}`);
        }
      }
    }

    const after = await fingerprint(db, B.tenantId);
    console.log(`SQL isolation sweep: ${fns.length} functions, ${calls} calls, ${findings.length} findings`);
    console.log(
      [...outcomes].map(([name, o]) => `  ${name}: with A's ids ${o.control.join(",") || "-"}; with B's or unknown ids ${[...new Set(o.attacks)].join(",")}`).join("\n"),
    );
    expect(findings).toEqual([]);
    expect(after).toEqual(before);
    // The controls show that the sweep's other arguments are valid, so the attacks reached the
    // ids: every control succeeds. A new function whose control fails needs a better value in
    // plainValue (by argument name) or a better row of A (preferred), not a tolerance.
    const failedControls = [...outcomes].filter(([, o]) => o.control.some((c) => c !== "ok"));
    expect(failedControls, JSON.stringify(failedControls)).toEqual([]);
    // The sweep discovers its functions: a broken discovery query must not pass by sweeping nothing.
    expect(fns.length).toBeGreaterThanOrEqual(25);
    expect(calls).toBeGreaterThanOrEqual(150);
  }, 120_000);

  it("no table the API role can reach lets A read, change or delete B's rows by id", async () => {
    // Row-level security under the functions above, asked directly: for every table of B's rows
    // that the visitor role may select, update or delete, the statements aimed at B's ids (as A's
    // owner) find nothing, or are refused with a coded error.
    const before = await fingerprint(db, B.tenantId);
    const findings: string[] = [];
    let statements = 0;
    for (const [table, ids] of Object.entries(B.rows)) {
      if (!ids.length || table === "app_private.analyst_logins") continue;
      const [schema, name] = table.split(".");
      const { rows: privs } = await db.owner.query(
        `select has_schema_privilege($1, $2, 'usage') as usage,
                has_table_privilege($1, $3, 'select') as sel, has_table_privilege($1, $3, 'delete') as del,
                (select min(column_name) from information_schema.columns c
                 where c.table_schema = $2 and c.table_name = $4 and has_column_privilege($1, $3, c.column_name, 'update')) as upd`,
        [roles.visitor, schema, table, name],
      );
      const p = privs[0];
      if (!p.usage) continue;
      const attempt = async (sql: string, expectRows: boolean) => {
        statements++;
        try {
          const res = await A.owner.query(sql, [ids]);
          if (res.rowCount) findings.push(`${sql}: ${res.rowCount} of B's rows ${expectRows ? "seen" : "touched"}`);
        } catch (e) {
          const pub = publicError(e);
          if (!pub || !CODES.has(pub.code)) findings.push(`${sql}: uncoded error ${(e as { code?: string }).code} ${(e as Error).message}`);
        }
      };
      if (p.sel) await attempt(`select * from ${table} where id::text = any($1::text[])`, true);
      if (p.upd) await attempt(`update ${table} set ${p.upd} = ${p.upd} where id::text = any($1::text[])`, false);
      if (p.del) await attempt(`delete from ${table} where id::text = any($1::text[])`, false);
    }
    console.log(`SQL table sweep: ${statements} statements on B's ids`);
    expect(findings).toEqual([]);
    expect(await fingerprint(db, B.tenantId)).toEqual(before);
    expect(statements).toBeGreaterThanOrEqual(20);
  });

  it("the detectors do see B's data and a change to B when there is one", async () => {
    // The sweep passes only if nothing is found; this shows that it would find something.
    const secrets = await sensitiveStrings(db, B);
    const own = await B.owner.query("select to_jsonb(c) as r from app_public.customers c where c.id = $1", [B.named.annId]);
    expect(leaked(own.rows.map((r) => r.r), new Set(), secrets)).toEqual(
      expect.arrayContaining([B.named.annId, "bravo-ann@example.com", "Bravo-Ann Bravoson"]),
    );
    const before = await fingerprint(db, B.tenantId);
    await B.manager.query("update app_public.customer_notes set body = 'Bravo changed' where id = $1", [B.named.noteId]);
    const after = await fingerprint(db, B.tenantId);
    expect(Object.keys(after).filter((t) => after[t] !== before[t])).toContain("app_public.customer_notes");
  });
});
