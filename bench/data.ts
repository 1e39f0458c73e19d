// The shared data set of the read-path benchmarks (search, dashboard, rebuild, api): 100 tenants
// with 1,000,000 customers (one tenant with 200,000), 5,000,000 orders over the last year at 109
// locations (the largest tenant has ten in six time zones and 1,000,000 of the orders; every other
// tenant sells at the main store onboarding made, in one of ten countries), and the events of all
// of them. 60% of orders name a customer, 0.5% are voided, 1 to 3 lines, one tender each; 15 of
// the 60 catalog items are stocked and delivered weekly. The state is what the product would have
// reached by selling them one by one:
//   * tenants, users, roles, locations, catalog and inventory items are written with every
//     trigger on (validation, audit, the billing trial row), as onboarding would;
//   * customers, orders, lines, tenders, stock movements, the event log (in time order by seq),
//     processed_events of every subscribed consumer, the customer counters and every read model
//     are written set-based as the superuser with triggers off (session_replication_role =
//     replica; calling place_order 5 million times would take hours). They are computed from the
//     same staged values, with the rules of 320/450/610/620 (per-line tax rounded half up, voids
//     taken out on the date of the sale, tenders kept). Event payloads are not written here: they
//     are built from the written rows by the product's payload functions (app_private.*_payload).
//     The rebuild benchmark checks that reporting.rebuild of the largest tenant reproduces the
//     read models exactly, which checks this generator against the product.
//   Left out: the audit rows of bulk-created customers (no figure reads them).
// Deterministic: every value is a hash of (row number, salt) — no random() — anchored at the
// time of the run (dates end today, so the dashboard has a "today"). Ids are ULID-shaped: the
// time of the row, then a kind and a counter.
//
// The statements are in bench/sql/ (one file per step, named parameters: see "SQL" below); this
// file holds the plan (what the businesses look like, at which scale) and the order of the steps.
//
// Built once per `npm run bench` (the first case that asks builds it; the others reuse it).
// Size: full = 1.0; --quick = 0.01; BENCH_SCALE=0.1 overrides either (development);
// BENCH_KEEP_DATA=name keeps a copy of the database (and the generator's staging) under that name,
// and a later run with the same name measures a clone of it instead of building again, when it
// was made by the same migrations, generator and scale less than a day ago (see "Kept data").
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { withClient, type BenchContext, type BenchDatabase } from "./context.ts";
import { roles } from "../db/config.ts";

export interface BenchData {
  db: BenchDatabase;
  scale: number;
  /** The 200,000-customer tenant, which also has the most orders and locations. */
  bigTenantId: string;
  /** A session of the big tenant's owner (every permission): the bo_session cookie / app.session_id. */
  sessionId: string;
  counts: Record<string, number>;
  buildSeconds: number;
}

let building: Promise<BenchData> | undefined;

/** The data set of this run, built by the first caller (in a database of its own). */
export function benchData(ctx: BenchContext): Promise<BenchData> {
  building ??= build(ctx);
  return building;
}

/** A connection as the API role with the given session (session-level settings: one round trip per query). */
export async function visitorClient(data: BenchData): Promise<pg.Client> {
  const c = new pg.Client(data.db.authUrl);
  await c.connect();
  await c.query("select set_config('role', $1, false), set_config('app.session_id', $2, false)", [roles.visitor, data.sessionId]);
  return c;
}

export function benchScale(ctx: BenchContext): number {
  const env = Number(process.env.BENCH_SCALE);
  return Number.isFinite(env) && env > 0 ? env : ctx.quick ? 0.01 : 1;
}

// ------------------------------------------------------------------------------------------------
// What the businesses look like

const TENANTS = 100;
const BIG_CUSTOMER_SHARE = 0.2; // 200,000 of 1,000,000
const BIG_ORDER_SHARE = 0.2; // 1,000,000 of 5,000,000: the most orders of any tenant

/** Country, main time zone and sales tax (basis points) of the other tenants, in turn. */
const REGIONS = [
  { country: "US", tz: "America/New_York", tax: 888 },
  { country: "GB", tz: "Europe/London", tax: 2000 },
  { country: "FR", tz: "Europe/Paris", tax: 2000 },
  { country: "DE", tz: "Europe/Berlin", tax: 1900 },
  { country: "US", tz: "America/Chicago", tax: 1025 },
  { country: "US", tz: "America/Los_Angeles", tax: 950 },
  { country: "AU", tz: "Australia/Sydney", tax: 1000 },
  { country: "CA", tz: "America/Toronto", tax: 1300 },
  { country: "JP", tz: "Asia/Tokyo", tax: 1000 },
  { country: "US", tz: "America/Denver", tax: 775 },
];

/** The big tenant: ten shops in six time zones (the Growth plan's limit), with their share of its orders. */
const BIG_LOCATIONS = [
  { name: "Main store", tz: "America/New_York", weight: 16 },
  { name: "Brooklyn", tz: "America/New_York", weight: 12 },
  { name: "Boston", tz: "America/New_York", weight: 10 },
  { name: "Chicago Loop", tz: "America/Chicago", weight: 12 },
  { name: "Austin", tz: "America/Chicago", weight: 8 },
  { name: "Denver", tz: "America/Denver", weight: 8 },
  { name: "Phoenix", tz: "America/Phoenix", weight: 6 },
  { name: "Los Angeles", tz: "America/Los_Angeles", weight: 12 },
  { name: "Seattle", tz: "America/Los_Angeles", weight: 10 },
  { name: "Honolulu", tz: "Pacific/Honolulu", weight: 6 },
];

const NAME_WORDS_A = ["Blue", "Golden", "Little", "Corner", "Harbor", "Maple", "Urban", "Copper", "Olive", "Northern"];
const NAME_WORDS_B = ["Bean", "Bakery", "Market", "Pantry", "Roasters", "Deli", "Goods", "Kitchen", "Grocer", "Café"];

// Common given names and surnames (so that type-ahead prefixes hit the way they do in a real shop).
const FIRST_NAMES = `James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan
Joseph Jessica Thomas Sarah Christopher Karen Charles Lisa Daniel Nancy Matthew Betty Anthony Sandra Mark Margaret Donald
Ashley Steven Kimberly Andrew Emily Paul Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa George Deborah
Timothy Stephanie Ronald Rebecca Jason Sharon Edward Laura Jeffrey Cynthia Ryan Dorothy Jacob Amy Gary Kathleen Nicholas
Angela Eric Shirley Jonathan Emma Stephen Brenda Larry Pamela Justin Nicole Scott Anna Brandon Samantha Benjamin Katherine
Samuel Christine Gregory Debra Alexander Rachel Patrick Carolyn Frank Janet Raymond Maria Jack Olivia Dennis Heather Jerry
Helen Tyler Catherine Aaron Diane Jose Julie Adam Victoria Nathan Joyce Henry Lauren Zachary Kelly Douglas Christina Peter
Ruth Kyle Joan Noah Virginia Ethan Judith Jeremy Evelyn Christian Hannah Walter Andrea Keith Megan Austin Cheryl Roger
Jacqueline Terry Madison Sean Teresa Gerald Abigail Carl Sophia Dylan Martha Harold Sara Jordan Gloria Jesse Janice Bryan
Kathryn Lawrence Ann Arthur Isabella Gabriel Judy Bruce Charlotte Logan Julia Billy Grace Joe Amber Alan Alice Juan Jean
Elijah Denise Willie Frances Albert Danielle Wayne Marilyn Randy Natalie Mason Beverly Vincent Diana Liam Brittany Roy
Theresa Bobby Kayla Caleb Alexis Bradley Doris Russell Lori Lucas Tiffany`.split(/\s+/);

const LAST_NAMES = `Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez
Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson
Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell
Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers
Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood
James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins
Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson
Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar
Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen
Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz
Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels
Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce Vazquez Hansen
Peters Santos Hart Bradley Knight Elliott Cunningham Duncan Armstrong Hudson Carroll Lane Riley Andrews Alvarado Ray
Delgado Berry Perkins Hoffman Johnston Matthews Pena Richards Montgomery Willis Johns Chapman O'Brien Dubois Muller
Schneider Lefebvre Tanaka Suzuki Sato Watanabe Novak Rossi Bianchi Larsen`.split(/\s+/);

const EMAIL_DOMAINS = ["gmail.com", "gmail.com", "gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "aol.com", "proton.me", "mail.com"];

/** Catalog of every tenant: name, price in cents, stocked (an inventory item with a low-stock threshold). */
const CATALOG: { name: string; price: number; stock?: number }[] = [
  ["Latte", 475], ["Flat White", 450], ["Cappuccino", 450], ["Americano", 350], ["Butter Croissant", 375, 12],
  ["Espresso", 300], ["Cold Brew", 450], ["Iced Latte", 500], ["Pain au Chocolat", 425, 10], ["Mocha", 525],
  ["Chai Latte", 475], ["Hot Chocolate", 425], ["Blueberry Muffin", 350, 8], ["Pot of Tea", 350], ["Matcha Latte", 525],
  ["Banana Bread", 395, 6], ["Extra Shot", 75], ["Oat Milk", 60], ["Sparkling Water", 250], ["Orange Juice", 425, 12],
  ["Cortado", 400], ["Macchiato", 375], ["Ham & Cheese Toastie", 825, 6], ["Avocado Toast", 950], ["Granola Bowl", 750, 5],
  ["Iced Tea", 375], ["Lemonade", 400], ["Almond Croissant", 450, 8], ["Cinnamon Roll", 425], ["Bagel", 300, 15],
  ["Cream Cheese", 150], ["Chocolate Chip Cookie", 250, 20], ["Brownie", 350], ["Carrot Cake", 495], ["Cheesecake Slice", 550, 4],
  ["Quiche Lorraine", 795], ["Soup of the Day", 650], ["Caesar Salad", 1150, 4], ["Club Sandwich", 1095], ["BLT", 895],
  ["Tuna Melt", 925, 5], ["Veggie Wrap", 850], ["Fruit Cup", 450], ["Yogurt Parfait", 525, 6], ["Smoothie", 650],
  ["House Blend Beans 250g", 1400], ["Single Origin Beans 250g", 1800, 6], ["Reusable Cup", 1500, 10], ["Gift Card Sleeve", 100], ["Tote Bag", 1200],
  ["Decaf Latte", 475], ["Affogato", 550], ["Scone", 325], ["Jam", 75], ["Madeleine", 225, 12],
  ["Kombucha", 475], ["Ginger Shot", 300], ["Breakfast Burrito", 895, 5], ["Porridge", 550], ["Sourdough Loaf", 750, 6],
].map(([name, price, stock]) => ({ name: name as string, price: price as number, stock: stock as number | undefined }));

const VOID_REASONS = ["Customer changed their mind", "Rang up the wrong item", "Duplicate order", "Payment declined", "Test order"];

// ------------------------------------------------------------------------------------------------

function tenantPlan(scale: number) {
  const customers = Math.round(1_000_000 * scale);
  const orders = Math.round(5_000_000 * scale);
  const bigCustomers = Math.round(customers * BIG_CUSTOMER_SHARE);
  const bigOrders = Math.round(orders * BIG_ORDER_SHARE);
  // The others differ in size (0.5× to 1.5× the mean), deterministically.
  const weights = Array.from({ length: TENANTS - 1 }, (_, i) => 0.5 + ((i * 37) % 99) / 98);
  const wsum = weights.reduce((a, b) => a + b, 0);
  const share = (total: number) => {
    const parts = weights.map((w) => Math.max(1, Math.floor((total * w) / wsum)));
    parts[0] += total - parts.reduce((a, b) => a + b, 0);
    return parts;
  };
  const cust = [bigCustomers, ...share(customers - bigCustomers)];
  const ord = [bigOrders, ...share(orders - bigOrders)];
  return Array.from({ length: TENANTS }, (_, tix) => {
    const region = tix === 0 ? REGIONS[0] : REGIONS[(tix - 1) % REGIONS.length];
    const name = tix === 0 ? "Harbor Coffee Co." : `${NAME_WORDS_A[tix % 10]} ${NAME_WORDS_B[Math.floor(tix / 10) % 10]} ${tix}`;
    const locations =
      tix === 0
        ? BIG_LOCATIONS.map((l) => ({ name: l.name, tz: l.tz, weight: l.weight }))
        : [{ name: "Main store", tz: region.tz, weight: 1 }];
    const wl = locations.reduce((a, l) => a + l.weight, 0);
    let left = ord[tix];
    const locs = locations.map((l, i) => {
      const n = i === locations.length - 1 ? left : Math.floor((ord[tix] * l.weight) / wl);
      left -= n;
      return { name: l.name, tz: l.tz, orders: n };
    });
    return { tix, name, country: region.country, tax: region.tax, customers: cust[tix], cashiers: tix === 0 ? 12 : 2, locations: locs };
  });
}

// ------------------------------------------------------------------------------------------------
// SQL: the statements live in bench/sql/, one file per step; this file only says in which order
// they run, with what, and times them.
//
// A file is a list of statements, each under a line `-- name: <label>` (the label is what the log
// times); a file without such a line is one statement named after the file. Parameters are named,
// `:tenants`, and bound from an object: the loader turns each name into $1, $2… of the statement
// (a name used twice is one parameter), leaving `::` casts, 'strings', comments and $$bodies$$
// alone. A statement without parameters may hold several commands.

interface Statement {
  file: string;
  label: string;
  text: string;
  /** The names of $1, $2…, in order. */
  params: string[];
}

const TOKENS = /'(?:[^']|'')*'|--[^\n]*|\$\$[\s\S]*?\$\$|::|:([a-z_][a-z0-9_]*)/gi;

/** The statements of bench/sql/<file>. */
function sqlFile(file: string): Statement[] {
  const source = fs.readFileSync(path.join(import.meta.dirname, "sql", file), "utf8");
  const [preamble, ...rest] = source.split(/^-- name: (.+)$/m);
  if (rest.length && preamble.replace(/^\s*--.*$/gm, "").trim()) throw new Error(`bench/sql/${file}: SQL before the first "-- name:" line`);
  const chunks = rest.length ? Array.from({ length: rest.length / 2 }, (_, i) => [rest[2 * i].trim(), rest[2 * i + 1]]) : [[file, source]];
  return chunks.map(([label, body]) => {
    const params: string[] = [];
    const text = body.replace(TOKENS, (token: string, name?: string) => {
      if (!name) return token;
      const at = params.indexOf(name);
      return `$${at >= 0 ? at + 1 : params.push(name)}`;
    });
    return { file, label, text: text.trim(), params };
  });
}

/** Runs a statement with the parameters it names, taken from values. */
async function exec(c: pg.Client, s: Statement, values: Record<string, unknown> = {}): Promise<pg.QueryResult> {
  const missing = s.params.filter((p) => !(p in values));
  if (missing.length) throw new Error(`bench/sql/${s.file} (${s.label}) needs :${missing.join(", :")}`);
  try {
    return await c.query(s.text, s.params.map((p) => values[p]));
  } catch (e) {
    (e as Error).message = `bench/sql/${s.file} (${s.label}): ${(e as Error).message}`;
    throw e;
  }
}

/** Tables loaded in bulk: their secondary indexes are dropped first and built again at the end (much faster). */
const BULK_TABLES = [
  "app_public.customers",
  "app_public.customer_stats",
  "app_public.customer_item_stats",
  "app_private.customer_visits",
  "app_public.orders",
  "app_public.order_lines",
  "app_public.tenders",
  "app_public.inventory_movements",
  "app_private.events",
  "app_private.processed_events",
  "reporting.rm_daily_sales",
  "reporting.rm_item_sales",
  "reporting.rm_inventory_on_hand",
  "reporting.rm_customer_activity",
  "reporting.rm_customer_visits",
];

// ------------------------------------------------------------------------------------------------
// Kept data (BENCH_KEEP_DATA=name). The copy's database comment records what it was made from: a
// hash of every migration and fixture (what the template was migrated with), of bench/sql/ and
// of the plan (what the generator wrote), and the anchor time (dates end on it: the dashboard's
// "today" is empty in a copy from yesterday, so a copy is used for a day at most).

interface KeptData {
  fingerprint: string;
  anchor: string;
}

const KEEP_MAX_AGE_MS = 24 * 3600 * 1000;
const repo = path.resolve(import.meta.dirname, "..");

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/** What a data set is made from: the migrations, the generator's SQL and plan, the scale. */
function fingerprint(scale: number): string {
  const h = createHash("sha256");
  for (const f of [...filesUnder(path.join(repo, "migrations")), ...filesUnder(path.join(import.meta.dirname, "sql"))]) {
    h.update(path.relative(repo, f)).update("\0").update(fs.readFileSync(f)).update("\0");
  }
  h.update(JSON.stringify({ scale, plan: tenantPlan(scale), CATALOG, VOID_REASONS, FIRST_NAMES, LAST_NAMES, EMAIL_DOMAINS }));
  return h.digest("hex");
}

/** Why the kept copy cannot be measured again, or null when it can. */
async function keptCopyUnusable(c: pg.Client, name: string, print: string): Promise<string | null> {
  const { rows } = await c.query(
    "select shobj_description(oid, 'pg_database') as comment from pg_database where datname = $1",
    [name],
  );
  if (!rows.length) return "there is none yet";
  let kept: KeptData;
  try {
    kept = JSON.parse(rows[0].comment ?? "");
  } catch {
    return "it does not say what it was made from";
  }
  if (kept.fingerprint !== print) return "the migrations, the generator or the scale changed since";
  const age = Date.now() - Date.parse(kept.anchor);
  if (!(age < KEEP_MAX_AGE_MS)) return `it ends ${(age / 3600000).toFixed(0)} h ago (a day at most: the dashboard's "today" would be empty)`;
  return null;
}

async function build(ctx: BenchContext): Promise<BenchData> {
  const started = Date.now();
  const scale = benchScale(ctx);
  const plan = tenantPlan(scale);
  const keep = process.env.BENCH_KEEP_DATA;
  if (keep) {
    const print = fingerprint(scale);
    const why = await withClient(ctx.rootUrl, (c) => keptCopyUnusable(c, keep, print));
    if (!why) return reuse(ctx, keep, scale, started);
    ctx.log(`data: not reusing the kept copy "${keep}": ${why}; building it`);
  }
  const db = await ctx.createDatabase("data", undefined, "run");
  const c = new pg.Client(db.rootUrl);
  await c.connect();
  try {
    const total = (k: "customers" | "orders") =>
      plan.reduce((a, t) => a + (k === "customers" ? t.customers : t.locations.reduce((b, l) => b + l.orders, 0)), 0);
    ctx.log(`data: building ${TENANTS} tenants, ${total("customers").toLocaleString("en-US")} customers, ${total("orders").toLocaleString("en-US")} orders (scale ${scale}) in ${db.name}`);
    await c.query("set jit = off; set work_mem = '256MB'; set maintenance_work_mem = '1GB'; set synchronous_commit = off");
    for (const s of sqlFile("helpers.sql")) await exec(c, s);
    let t0 = Date.now();
    await setup(c, plan);
    ctx.log(`data: tenants, locations, catalog in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const { rows: big } = await c.query("select tenant_id from bench_gen.g_tenants where tix = 0");
    const bigTenantId: string = big[0].tenant_id;

    // Bulk: triggers (and foreign-key checks) off, secondary indexes built at the end.
    const [secondary] = sqlFile("indexes.sql");
    const { rows: indexes } = await exec(c, secondary, { tables: BULK_TABLES });
    for (const ix of indexes) await c.query(`drop index ${ix.name}`);

    // Two workers (connections) take batches of tenants in turn: the largest tenant alone first.
    // Each stages a batch, writes the product's rows from it, then their events and read models.
    const batches: number[][] = [[0]];
    for (let i = 1; i < TENANTS; i += 11) batches.push(Array.from({ length: Math.min(11, TENANTS - i) }, (_, k) => i + k));
    const steps = ["stage.sql", "write.sql", "events.sql", "read-models.sql"].flatMap(sqlFile);
    const lists = { void_reasons: VOID_REASONS, first_names: FIRST_NAMES, last_names: LAST_NAMES, email_domains: EMAIL_DOMAINS };
    const [session] = sqlFile("session.sql");
    await inParallel(db.rootUrl, batches, async (w, batch) => {
      const t = Date.now();
      const times: string[] = [];
      let staged = 0;
      await w.query("begin");
      await w.query("truncate g_orders, g_customers, g_receipts");
      for (const s of steps) {
        const st = Date.now();
        const r = await exec(w, s, { tenants: batch, ...lists });
        if (s.label === "stage orders") staged = r.rowCount ?? 0;
        times.push(`${s.label} ${Date.now() - st}`);
      }
      await w.query("commit");
      ctx.log(
        `data: batch ${batches.indexOf(batch) + 1}/${batches.length} (${batch.length === 1 ? "largest tenant" : `tenants ${batch[0]}–${batch.at(-1)}`}): ` +
          `${staged.toLocaleString("en-US")} orders in ${((Date.now() - t) / 1000).toFixed(1)} s [ms: ${times.join(", ")}]`,
      );
    }, session.text);
    await c.query("select setval(pg_get_serial_sequence('app_private.events', 'seq'), (select max(seq) from app_private.events))");

    let t = Date.now();
    // Largest first, two at a time.
    await inParallel(db.rootUrl, [...indexes].reverse(), (w, ix) => w.query(ix.def), "set maintenance_work_mem = '512MB'");
    ctx.log(`data: ${indexes.length} indexes built in ${((Date.now() - t) / 1000).toFixed(0)} s`);
    t = Date.now();
    // BENCH_KEEP_DATA=name (development): keep the generator's staging and a copy of the database.
    if (!process.env.BENCH_KEEP_DATA) await c.query("drop schema bench_gen cascade");
    // Index-only scans need the visibility map; the planner needs statistics.
    await inParallel(db.rootUrl, BULK_TABLES, (w, table) => w.query(`vacuum (analyze) ${table}`));
    await c.query("analyze");
    ctx.log(`data: vacuum and analyze in ${((Date.now() - t) / 1000).toFixed(0)} s`);

    const [sessionOfOwner, counting] = sqlFile("ready.sql");
    const { rows: sid } = await exec(c, sessionOfOwner, { tenant: bigTenantId });
    const { rows: cnt } = await exec(c, counting, { tenant: bigTenantId });
    const buildSeconds = (Date.now() - started) / 1000;
    const counts = Object.fromEntries(Object.entries(cnt[0]).map(([k, v]) => [k, Number(v)]));
    if (keep) {
      const { rows: anchor } = await c.query("select at from bench_gen.anchor");
      const kept: KeptData = { fingerprint: fingerprint(scale), anchor: (anchor[0].at as Date).toISOString() };
      await c.query(`drop database if exists "${keep}"`);
      await c.query(`create database "${keep}" template "${db.name}" strategy = file_copy`);
      await c.query(`comment on database "${keep}" is '${JSON.stringify(kept)}'`);
      ctx.log(`data: kept as "${keep}" (BENCH_KEEP_DATA): a later run with the same name and scale measures a clone of it`);
    }
    ctx.log(`data: ready in ${buildSeconds.toFixed(0)} s: ${Object.entries(counts).map(([k, v]) => `${k} ${v.toLocaleString("en-US")}`).join(", ")}`);
    return { db, scale, bigTenantId, sessionId: sid[0].id, counts, buildSeconds };
  } finally {
    await c.end();
  }
}

/** The kept data set, cloned for this run (its owner gets a fresh session). */
async function reuse(ctx: BenchContext, keep: string, scale: number, started: number): Promise<BenchData> {
  const db = await ctx.createDatabase("data", keep, "run");
  return withClient(db.rootUrl, async (c) => {
    const { rows: big } = await c.query("select tenant_id from bench_gen.g_tenants where tix = 0");
    const bigTenantId: string = big[0].tenant_id;
    const [sessionOfOwner, counting] = sqlFile("ready.sql");
    const { rows: sid } = await exec(c, sessionOfOwner, { tenant: bigTenantId });
    const { rows: cnt } = await exec(c, counting, { tenant: bigTenantId });
    const counts = Object.fromEntries(Object.entries(cnt[0]).map(([k, v]) => [k, Number(v)]));
    const buildSeconds = (Date.now() - started) / 1000;
    ctx.log(`data: cloned from the kept copy "${keep}" in ${buildSeconds.toFixed(0)} s: ${Object.entries(counts).map(([k, v]) => `${k} ${v.toLocaleString("en-US")}`).join(", ")}`);
    return { db, scale, bigTenantId, sessionId: sid[0].id, counts, buildSeconds };
  });
}

/** Runs fn over the items from two connections (each taking the next item when it is free). */
async function inParallel<T>(url: string, items: T[], fn: (c: pg.Client, item: T) => Promise<unknown>, init?: string): Promise<void> {
  let next = 0;
  await Promise.all(
    [0, 1].map(async () => {
      const w = new pg.Client(url);
      await w.connect();
      try {
        if (init) await w.query(init);
        while (next < items.length) await fn(w, items[next++]);
      } finally {
        await w.end();
      }
    }),
  );
}

/**
 * Tenants, owners and cashiers, roles, locations, the plan, catalog and inventory items, with
 * every trigger on, in one transaction (bench/sql/setup.sql).
 */
async function setup(c: pg.Client, plan: ReturnType<typeof tenantPlan>): Promise<void> {
  let custOff = 0;
  let orderOff = 0;
  let lix = 0;
  const tenants = plan.map((t) => {
    const r = { tix: t.tix, name: t.name, country: t.country, tax: t.tax, n_cust: t.customers, cust_off: custOff, cashiers: t.cashiers };
    custOff += t.customers;
    return r;
  });
  const locations = plan.flatMap((t) =>
    t.locations.map((l) => {
      const r = { lix: lix++, tix: t.tix, name: l.name, tz: l.tz, n_orders: l.orders, order_off: orderOff };
      orderOff += l.orders;
      return r;
    }),
  );
  const values = {
    tenants: JSON.stringify(tenants),
    locations: JSON.stringify(locations),
    catalog: JSON.stringify(CATALOG.map((i, k) => ({ k: k + 1, name: i.name, price: i.price }))),
    stocked: JSON.stringify(CATALOG.flatMap((i, k) => (i.stock ? [{ k: k + 1, name: i.name, thr: i.stock }] : []))),
  };
  await c.query("begin");
  for (const s of sqlFile("setup.sql")) await exec(c, s, values);
  await c.query("commit");
}

// ------------------------------------------------------------------------------------------------
// Helpers of the cases that read this data

export interface Api {
  url: string;
  /** POSTs a GraphQL operation with the owner's session cookie; throws on GraphQL errors. */
  graphql(query: string, variables?: Record<string, unknown>): Promise<unknown>;
  close(): Promise<void>;
}

/** A GraphQL client of the API at `url` with the session's cookie; a GraphQL error throws. */
export function graphqlAt(url: string, sessionId: string): Api["graphql"] {
  const headers = { "content-type": "application/json", cookie: `bo_session=${sessionId}` };
  return async (query, variables = {}) => {
    const res = await fetch(url, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
    const body = (await res.json()) as { data?: unknown; errors?: { message: string }[] };
    if (body.errors?.length) throw new Error(`GraphQL: ${body.errors[0].message}`);
    return body.data;
  };
}

/** The real server (createApp, as `npm start` runs it) on a free port, over the data set. */
export async function startApi(data: Pick<BenchData, "db" | "sessionId">): Promise<Api> {
  // One log line per request is production behaviour, but it would flood the table on stdout.
  const { logger } = await import("../web/server/logger.ts");
  logger.level = process.env.LOG_LEVEL ?? "warn";
  const { createApp } = await import("../web/server/app.ts");
  const http = await import("node:http");
  const app = await createApp({ authUrl: data.db.authUrl, development: false });
  const server = http.createServer(app.handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as import("node:net").AddressInfo).port}/graphql`;
  return {
    url,
    graphql: graphqlAt(url, data.sessionId),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await app.close();
    },
  };
}

/** Runs fn once per item, one at a time (a person waiting for each answer); latencies in ms, sorted. */
export async function sequential<T>(items: T[], fn: (item: T) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (const item of items) {
    const t = performance.now();
    await fn(item);
    out.push(performance.now() - t);
  }
  return out.sort((a, b) => a - b);
}
