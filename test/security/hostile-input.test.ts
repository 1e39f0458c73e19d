// Hostile input (issue 8, item 5): fast-check throws random Unicode, huge strings, null bytes,
// blank-looking white space, SQL fragments, spreadsheet formulas, invalid emails and phones,
// negative and enormous amounts and malformed JSON at the customer commands, order placement,
// tenders and search — as SQL calls of a signed-in member and, for some, as GraphQL over HTTP.
// Each call must either succeed with valid data (read back: stored as given, or as normalised),
// or fail with one of our codes listed in db/ERRORS.md (for SQL: our code, or a PostgreSQL code
// the server turns into one, web/server/errors.ts) — never an uncoded error, INTER or a 500 —
// and a failed call writes nothing (every table it could touch is counted before and after).
//
// The number of inputs tried per property is printed at the end (and is what numRuns says).
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publicError } from "../../web/server/errors.ts";
import { createTestDatabase, type Member, type TestDatabase } from "../helpers/db.ts";
import { startTestServer, type HttpClient, type TestServer } from "../helpers/server.ts";
import { written } from "../db/customers/helpers.ts";
import { counts, openShop, type Shop } from "../db/sales/shop.ts";

// ------------------------------------------------------------------------------------------------
// What counts as a coded failure

const DOCUMENTED = new Set([...readFileSync(new URL("../../db/ERRORS.md", import.meta.url), "utf8").matchAll(/^\| `([A-Z0-9]{5})` \|/gm)].map((m) => m[1]));
DOCUMENTED.delete("INTER");

/** The code the caller sees for a failed SQL call, or a description of why it is not acceptable. */
function codeOf(err: unknown): string {
  const pub = publicError(err);
  if (!pub) return `UNCODED ${(err as { code?: string }).code}: ${String((err as Error).message).slice(0, 200)}`;
  if (!DOCUMENTED.has(pub.code)) return `UNDOCUMENTED ${pub.code}: ${pub.message.slice(0, 200)}`;
  return pub.code;
}

/** Runs the call; "ok" with its rows, or the code it failed with. */
async function attempt<T>(fn: () => Promise<T>): Promise<{ code: "ok"; value: T } | { code: string; value?: undefined }> {
  try {
    return { code: "ok", value: await fn() };
  } catch (e) {
    return { code: codeOf(e) };
  }
}

const tally = new Map<string, Map<string, number>>();
function record(property: string, code: string) {
  const t = tally.get(property) ?? new Map<string, number>();
  t.set(code, (t.get(code) ?? 0) + 1);
  tally.set(property, t);
}
afterAll(() => {
  const lines = [...tally].map(([p, t]) => {
    const total = [...t.values()].reduce((a, b) => a + b, 0);
    return `  ${p}: ${total} inputs (${[...t].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(", ")})`;
  });
  const total = [...tally.values()].reduce((s, t) => s + [...t.values()].reduce((a, b) => a + b, 0), 0);
  console.log(`hostile input: ${total} inputs tried over ${tally.size} properties\n${lines.join("\n")}`);
});

// ------------------------------------------------------------------------------------------------
// Inputs

const BLANK_CLASS = "[ \\t\\n\\v\\f\\r\\u0085\\u00a0\\u1680\\u2000-\\u200b\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff]";
const trimAll = (s: string) => s.replace(new RegExp(`^${BLANK_CLASS}+|${BLANK_CLASS}+$`, "g"), "");
const btrim = (s: string) => s.replace(/^ +| +$/g, "");
const chars = (s: string) => [...s].length;
const CONTROL = /[\x01-\x1f\x7f]/;

const BLANKS = ["", " ", "   ", "\u3000", "\u00a0", "\u200b", "\u2028", "\ufeff", " \u3000 ", "\t"];
const SQL_FRAGMENTS = [
  "'; drop table app_public.customers; --",
  "' or '1'='1",
  "Robert'); DELETE FROM app_public.orders;--",
  "\\",
  "%",
  "_%_",
  "$1",
  "$$ || pg_sleep(5) || $$",
  "E'\\x00'",
  ")) union select id, password_hash from app_private.user_secrets --",
  '"',
  "' || (select current_setting('app.session_id')) || '",
];
const FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A9)", "=HYPERLINK(\"http://x\")"];
const UNICODE = ["Zoë", "Łukasz", "山田太郎", "محمد", "😀🎉", "e\u0301", "\u202eevil", "İnfo", "\u212Aelvin", "ß", "ﬁ"];

const hugeUpTo = (max: number) =>
  fc.constantFrom(...[100, 101, 2000, 2001, 100_000].filter((n) => n <= max)).chain((n) => fc.constantFrom("x", "é", "😀", " ", "\u3000").map((c) => c.repeat(n)));
// Plausible text too, so that enough calls succeed for "stored as given" to be checked.
const plausible = fc.oneof(fc.stringMatching(/^[A-Z][a-z]{0,12}( [A-Z][a-z'-]{0,12}){0,2}$/), fc.constantFrom(...UNICODE, "Main St 1", "Paris", "75011"));
const textUpTo = (max: number): fc.Arbitrary<string> => fc.oneof(
  { weight: 4, arbitrary: plausible },
  { weight: 5, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 3, arbitrary: fc.constantFrom(...BLANKS, ...SQL_FRAGMENTS, ...FORMULAS, ...UNICODE) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })).map(([a, b]) => `${a}\u0000${b}`) },
  { weight: 1, arbitrary: hugeUpTo(max) },
);
const text = textUpTo(100_000);
// Through HTTP, up to 2,001 characters: a request over the server's 100 kB limit is refused before
// GraphQL runs (its own test below).
const httpText = textUpTo(2001);
const email: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.emailAddress() },
  { weight: 2, arbitrary: fc.emailAddress().map((e) => ` ${e.toUpperCase()}\u3000`) },
  { weight: 2, arbitrary: fc.constantFrom("İnfo@example.com", "\u212Aelvin@example.com", "a@b", "a@@b.co", "a b@c.co", "@x.co", "x@.co", "ünï@cödé.com", `${"a".repeat(250)}@x.co`, "a@b.c\u0000o") },
);
const phone: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^(\+|00)?[0-9 ().\-/]{0,22}$/) },
  { weight: 2, arbitrary: fc.constantFrom("+1 917 555 0123", "06 12 34 56 78", "+33 (0)6 12 34 56 78", "0000000", "+0123456789", "+1234567890123456", "١٢٣٤٥٦٧٨", "555-0123\u0000") },
);
/** JSON nested `depth` levels deep. */
const nested = (depth: number): unknown => {
  let v: unknown = "bottom";
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { k: v };
  return v;
};
const jsonOf = (t: fc.Arbitrary<string>): fc.Arbitrary<unknown> => fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 3, arbitrary: fc.dictionary(t, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom(10, 100, 1000).map(nested) },
  { weight: 1, arbitrary: fc.constantFrom({ blob: "x".repeat(9000) }, { k: "nul\u0000" }, { "nul\u0000": 1 }, { n: 1e308 }, { n: -0 }) },
);
const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null, freq: 3 });

// ------------------------------------------------------------------------------------------------

let db: TestDatabase;
let server: TestServer;
let shop: Shop;
let other: Shop;
let manager: Member;
let http: HttpClient;
let existing: { id: string };
let theirCustomer: string;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db);
  shop = await openShop(db, {
    taxRateBps: 825,
    items: [
      { sku: "TEA", price: 300, stock: 50 },
      { sku: "CAKE", price: 455 },
      { sku: "OLD", price: 300, active: false },
      { sku: "GOLD", price: 10_000_000 },
      { sku: "FREE", price: 0 },
    ],
  });
  other = await openShop(db, { items: [{ sku: "THEIRS", price: 100, stock: 5 }] });
  manager = shop.manager;
  existing = (await manager.query("select id from app_public.create_customer(first_name => 'Existing', email => 'existing@example.com')")).rows[0];
  theirCustomer = (await other.manager.query("select id from app_public.create_customer(first_name => 'Theirs')")).rows[0].id;
  http = server.client();
  await http.login(manager.email, manager.password);
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

/** Everything a customer or sales command of either business could write. */
const everything = async () => [await written(db, shop.tenantId), await counts(db, shop.tenantId), await written(db, other.tenantId), await counts(db, other.tenantId)];

// ------------------------------------------------------------------------------------------------
// The model of a stored customer

interface CustomerInput {
  email: string | null;
  phone: string | null;
  first_name: string | null;
  last_name: string | null;
  notes: string | null;
  tags: (string | null)[] | null;
  metadata: unknown;
}

const customerInputOf = (t: fc.Arbitrary<string>) =>
  fc.record({
    email: fc.option(fc.oneof(email, t), { nil: null, freq: 2 }),
    phone: fc.option(fc.oneof(phone, t), { nil: null, freq: 2 }),
    first_name: opt(t),
    last_name: opt(t),
    notes: opt(t),
    tags: opt(fc.array(fc.oneof(t, fc.constantFrom("VIP", "vip ", " Vip")), { maxLength: 22 })),
    metadata: fc.option(jsonOf(t), { nil: null, freq: 2 }),
  });
const customerInput = customerInputOf(text);

/** What a given value becomes once stored: null for blank, else normalised; undefined when it may not be stored at all. */
const expectEmail = (v: string) => (trimAll(v) === "" ? null : trimAll(v).toLowerCase());
const expectName = (v: string) => (trimAll(v) === "" ? null : trimAll(v));
const wellFormed = (s: string) => Buffer.from(s, "utf8").toString("utf8");

/** Checks a stored customer against what was given for the fields in `given` (create: all; update: the non-null ones). */
function checkStored(row: Record<string, any>, given: Partial<CustomerInput>) {
  if (given.email != null) {
    const e = expectEmail(wellFormed(given.email));
    expect(row.email).toBe(e);
    // Only plain ASCII addresses are accepted, and they are kept as typed but lower-case.
    if (e !== null) expect(trimAll(given.email)).toMatch(/^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/);
  }
  if (given.phone != null) {
    if (btrim(given.phone) === "") expect(row.phone).toBeNull();
    else {
      expect(row.phone).toMatch(/^\+[1-9][0-9]{6,14}$/);
      // Normalising only drops punctuation and leading prefixes: the last digits are the ones typed.
      expect(given.phone.replace(/[^0-9]/g, "").endsWith(row.phone.slice(-7))).toBe(true);
    }
  }
  for (const field of ["first_name", "last_name"] as const) {
    const v = given[field];
    if (v == null) continue;
    const e = expectName(wellFormed(v));
    expect(row[field]).toBe(e);
    if (e !== null) {
      expect(chars(e)).toBeLessThanOrEqual(100);
      expect(e).not.toMatch(CONTROL);
    }
  }
  if (given.notes != null) {
    const e = expectName(wellFormed(given.notes));
    expect(row.notes).toBe(e);
    if (e !== null) expect(chars(e)).toBeLessThanOrEqual(2000);
  }
  if (given.tags != null) {
    const tags = row.tags as string[];
    expect(tags.length).toBeLessThanOrEqual(20);
    expect(new Set(tags.map((t) => t.toLowerCase())).size).toBe(tags.length);
    for (const t of tags) {
      expect(trimAll(t)).toBe(t);
      expect(chars(t)).toBeGreaterThanOrEqual(1);
      expect(chars(t)).toBeLessThanOrEqual(40);
      expect(t).not.toMatch(CONTROL);
    }
    // Each stored tag is one of the given ones, trimmed with inner white space collapsed.
    const normalised = new Set(given.tags.map((t) => trimAll(wellFormed(t ?? "").replace(new RegExp(`${BLANK_CLASS}+`, "g"), " "))));
    for (const t of tags) expect(normalised.has(t), t).toBe(true);
    if (given.tags.length > 0) expect(tags.length).toBeGreaterThan(0);
  }
  if (given.metadata != null) expect(row.metadata).toEqual(JSON.parse(JSON.stringify(given.metadata)));
  // The display name follows: first and last name, else email, else the phone's last four digits; never blank.
  const name = [row.first_name, row.last_name].filter((x) => x !== null).join(" ");
  expect(row.display_name).toBe(name || row.email || (row.phone && `Phone •••• ${row.phone.slice(-4)}`));
  expect(trimAll(row.display_name)).not.toBe("");
}

// Sized for about a minute on a loaded 2-core machine.
const NUM_RUNS = { sql: 200, sqlSmall: 120, tenders: 80, http: 50 };

describe("customer commands as SQL", () => {
  it("create_customer: valid and stored as normalised, or a coded error and nothing written", { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(customerInput, async (input) => {
        const before = await everything();
        const r = await attempt(() =>
          manager
            .query(
              `select * from app_public.create_customer(email => $1, phone => $2, first_name => $3, last_name => $4, notes => $5,
                 tags => $6, metadata => $7::jsonb)`,
              [input.email, input.phone, input.first_name, input.last_name, input.notes, input.tags, input.metadata === null ? null : JSON.stringify(input.metadata)],
            )
            .then((x) => x.rows[0]),
        );
        record("create_customer (SQL)", r.code);
        if (r.code === "ok") {
          checkStored(r.value, input);
          const after = await everything();
          expect((after[0] as any).customers).toBe((before[0] as any).customers + 1);
        } else {
          expect(DOCUMENTED.has(r.code), r.code).toBe(true);
          expect(await everything()).toEqual(before);
        }
      }),
      { numRuns: NUM_RUNS.sql },
    );
  });

  it("update_customer: the given fields change as normalised, or a coded error and nothing written", { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(customerInput, fc.constantFrom("existing", "existing", "existing", "theirs", "unknown"), async (patch, target) => {
        const id = target === "existing" ? existing.id : target === "theirs" ? theirCustomer : "01HZZZZZZZZZZZZZZZZZZZZZZZ";
        const before = await everything();
        const r = await attempt(() =>
          manager
            .query("select * from app_public.update_customer($1, jsonb_populate_record(null::app_public.customer_changes, $2::jsonb))", [id, JSON.stringify(patch)])
            .then((x) => x.rows[0]),
        );
        record("update_customer (SQL)", r.code);
        if (r.code === "ok") {
          expect(target).toBe("existing");
          checkStored(r.value, patch);
        } else {
          expect(DOCUMENTED.has(r.code), r.code).toBe(true);
          expect(await everything()).toEqual(before);
        }
      }),
      { numRuns: NUM_RUNS.sql },
    );
  });

  it("notes: stored trimmed, or a coded error and nothing written", { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(text, opt(fc.oneof(text, fc.constantFrom("general", "Preference", " issue ", "feedback"))), fc.constantFrom("existing", "theirs", "unknown", "junk"), async (body, category, target) => {
        const id = { existing: existing.id, theirs: theirCustomer, unknown: "01HZZZZZZZZZZZZZZZZZZZZZZZ", junk: body }[target];
        const before = await everything();
        const r = await attempt(() =>
          manager.query("insert into app_public.customer_notes (customer_id, body, category) values ($1, $2, coalesce($3, 'general')) returning *", [id, body, category]).then((x) => x.rows[0]),
        );
        record("customer note (SQL)", r.code);
        if (r.code === "ok") {
          expect(target).toBe("existing");
          expect(r.value.body).toBe(trimAll(wellFormed(body)));
          expect(chars(r.value.body)).toBeLessThanOrEqual(2000);
          expect(["general", "preference", "issue", "feedback"]).toContain(r.value.category);
          await manager.query("delete from app_public.customer_notes where id = $1", [r.value.id]);
        } else {
          expect(DOCUMENTED.has(r.code), r.code).toBe(true);
          expect(await everything()).toEqual(before);
        }
      }),
      { numRuns: NUM_RUNS.sqlSmall },
    );
  });

  it("addresses: validated and normalised, or a coded error and nothing written", { timeout: 120_000 }, async () => {
    const coordinate = fc.oneof(fc.double().map(String), fc.integer({ min: -200, max: 200 }).map(String), fc.constantFrom("NaN", "Infinity", "-Infinity", "1e400", "90.0000001", "12.3456789", "abc"));
    const inRange = (max: number) => fc.double({ min: -max, max, noNaN: true }).map((x) => x.toFixed(6));
    const likely = (arb: fc.Arbitrary<string | null>) => fc.oneof({ weight: 3, arbitrary: plausible }, { weight: 1, arbitrary: arb });
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          line1: likely(opt(text)),
          city: likely(opt(text)),
          postal_code: opt(fc.oneof(plausible, text)),
          country: opt(fc.oneof({ weight: 3, arbitrary: fc.constantFrom("fr", " US ", "GB") }, { weight: 1, arbitrary: fc.oneof(text, fc.constantFrom("ß", "F1", "fra")) })),
          coordinates: fc.oneof(
            { weight: 2, arbitrary: fc.constant([null, null] as (string | null)[]) },
            { weight: 2, arbitrary: fc.tuple(inRange(90), inRange(180)) },
            { weight: 1, arbitrary: fc.tuple(opt(coordinate), opt(coordinate)) },
          ),
          type: opt(fc.oneof(text, fc.constantFrom("home", "Work", "shipping"))),
        }),
        fc.boolean(),
        async (a, isDefault) => {
          const before = await everything();
          const r = await attempt(() =>
            manager
              .query(
                `insert into app_public.customer_addresses (customer_id, line1, city, postal_code, country, latitude, longitude, type, is_default)
                 values ($1, $2, $3, $4, $5, $6, $7, coalesce($8, 'home'), $9) returning *`,
                [existing.id, a.line1, a.city, a.postal_code, a.country, a.coordinates[0], a.coordinates[1], a.type, isDefault],
              )
              .then((x) => x.rows[0]),
          );
          record("customer address (SQL)", r.code);
          if (r.code === "ok") {
            expect(r.value.line1).toBe(trimAll(wellFormed(a.line1!)));
            expect(r.value.city).toBe(trimAll(wellFormed(a.city!)));
            expect(r.value.country).toMatch(/^[A-Z]{2}$/);
            expect(r.value.line1).not.toMatch(CONTROL);
            if (r.value.latitude !== null) expect(Math.abs(Number(r.value.latitude))).toBeLessThanOrEqual(90);
            await manager.query("delete from app_public.customer_addresses where id = $1", [r.value.id]);
          } else {
            expect(DOCUMENTED.has(r.code), r.code).toBe(true);
            expect(await everything()).toEqual(before);
          }
        },
      ),
      { numRuns: NUM_RUNS.sqlSmall },
    );
  });

  it("search_customers: any text gives at most 10 of the business's own customers, or a coded error", { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(text, email, phone, fc.constantFrom("the", "ex", "+1", "Theirs")), async (q) => {
        const r = await attempt(() => manager.query("select id, tenant_id from app_public.search_customers($1)", [q]).then((x) => x.rows));
        record("search_customers (SQL)", r.code);
        if (r.code === "ok") {
          expect(r.value!.length).toBeLessThanOrEqual(10);
          for (const row of r.value!) expect(row.tenant_id).toBe(shop.tenantId);
        } else expect(DOCUMENTED.has(r.code), r.code).toBe(true);
      }),
      { numRuns: NUM_RUNS.sqlSmall },
    );
  });
});

// ------------------------------------------------------------------------------------------------
// Orders

const itemIds = () => [shop.item.TEA, shop.item.CAKE, shop.item.OLD, shop.item.GOLD, shop.item.FREE, other.item.THEIRS, "01HZZZZZZZZZZZZZZZZZZZZZZZ"];
const amount = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -5, max: 30 }) },
  { weight: 2, arbitrary: fc.constantFrom(0, 10_000, 10_001, 2 ** 31, -(2 ** 31), 1e15, 1.5, 1e300, -1e300) },
  { weight: 1, arbitrary: fc.constantFrom("2", null, true, [], {}, "1e400") },
  { weight: 1, arbitrary: fc.double() },
);

function linesArb(t: fc.Arbitrary<string> = text): fc.Arbitrary<unknown> {
  const ours = () => [shop.item.TEA, shop.item.CAKE, shop.item.FREE];
  const item = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...ours()) }, { weight: 3, arbitrary: fc.constantFrom(...itemIds()) }, { weight: 1, arbitrary: t });
  const quantity = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 5 }) }, { weight: 2, arbitrary: amount });
  const discount = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 200 }) }, { weight: 2, arbitrary: amount });
  const good = fc.record({ catalog_item_id: item, quantity, discount }, { requiredKeys: ["catalog_item_id", "quantity"] });
  const line = fc.oneof({ weight: 8, arbitrary: good }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }, { weight: 1, arbitrary: fc.dictionary(t, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }) });
  return fc.oneof(
    { weight: 10, arbitrary: fc.array(line, { minLength: 1, maxLength: 4 }) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>([], nested(500), Array.from({ length: 201 }, () => ({ catalog_item_id: shop.item.TEA, quantity: 1 }))) },
  );
}
const orderDiscount = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 100 }) },
  { weight: 2, arbitrary: fc.integer({ min: -10, max: 2000 }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, "99999999999", "-1", "1.5", "abc", 2 ** 31 - 1) },
);

describe("orders as SQL", () => {
  it("quote_order and place_order agree: the same totals, or the same coded error, and a refused order writes nothing", { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        linesArb(),
        orderDiscount,
        fc.constantFrom("ours", "ours", "ours", "ours", "theirs", "junk"),
        fc.constantFrom("none", "none", "existing", "existing", "theirs", "junk"),
        async (lines, discount, where, who) => {
          const location = { ours: shop.locationId, theirs: other.locationId, junk: "x'; --" }[where]!;
          const customer = { none: null, existing: existing.id, theirs: theirCustomer, junk: "' or 1=1 --" }[who];
          const linesJson = JSON.stringify(lines) ?? "null";
          const quote = await attempt(() => manager.query("select * from app_public.quote_order($1::jsonb, $2)", [linesJson, discount]).then((x) => x.rows[0]));
          record("quote_order (SQL)", quote.code);
          if (quote.code !== "ok") expect(DOCUMENTED.has(quote.code), quote.code).toBe(true);
          const before = await everything();
          const placed = await attempt(() => manager.query("select * from app_public.place_order($1, $2::jsonb, $3, $4)", [location, linesJson, customer, discount]).then((x) => x.rows[0]));
          record("place_order (SQL)", placed.code);
          const valid = where === "ours" && (who === "none" || who === "existing");
          if (valid) expect(placed.code).toBe(quote.code);
          if (placed.code === "ok") {
            expect(valid).toBe(true);
            const o = placed.value;
            for (const k of ["subtotal", "discount_total", "tax_total", "total"]) expect(o[k]).toBe(quote.value![k]);
            expect(o.total).toBe(o.subtotal - o.discount_total + o.tax_total);
            const n = (lines as unknown[]).length;
            const stocked = (lines as { catalog_item_id: string }[]).filter((l) => l.catalog_item_id === shop.item.TEA).length;
            const delta = async () => {
              const [b, a] = [before[1] as Record<string, number>, (await everything())[1] as Record<string, number>];
              return { orders: a.orders - b.orders, lines: a.lines - b.lines, movements: a.movements - b.movements, events: a.events - b.events };
            };
            if (o.total > 0) {
              // Open until paid: the order and its lines, nothing else — no stock taken, no event.
              expect(o.status).toBe("open");
              expect(await delta()).toEqual({ orders: 1, lines: n, movements: 0, events: 0 });
              // One payment takes at most 100000000 minor units: a larger order is paid in several.
              for (let due = o.total; due > 0; due -= Math.min(due, 100_000_000)) {
                await manager.query("select app_public.record_tender($1, 'card', $2)", [o.id, Math.min(due, 100_000_000)]);
              }
              // Paid in full, a sale: one sale movement per stocked line; their events, the payment's and the sale's.
              expect(await delta()).toEqual({ orders: 1, lines: n, movements: stocked, events: 1 + Math.ceil(o.total / 100_000_000) + stocked });
            } else {
              // Nothing to pay: a sale at once.
              expect(o.status).toBe("placed");
              expect(await delta()).toEqual({ orders: 1, lines: n, movements: stocked, events: 1 + stocked });
            }
          } else {
            expect(DOCUMENTED.has(placed.code), placed.code).toBe(true);
            expect(await everything()).toEqual(before);
          }
        },
      ),
      { numRuns: NUM_RUNS.sql },
    );
  });

  it("record_tender: any type and amount either pays within the rules or is refused with a code, writing nothing", { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.tuple(fc.oneof(fc.constantFrom("cash", "card", "CASH"), text), fc.oneof(amount, fc.integer({ min: 1, max: 5000 }))), { minLength: 1, maxLength: 3 }),
        fc.constantFrom("ours", "ours", "ours", "theirs", "junk"),
        async (qty, tenders, whose) => {
          const order = (await manager.query("select * from app_public.place_order($1, $2::jsonb)", [shop.locationId, JSON.stringify([{ catalog_item_id: shop.item.CAKE, quantity: qty }])])).rows[0];
          const theirs = whose === "theirs" ? (await other.manager.query("select id from app_public.place_order($1, $2::jsonb)", [other.locationId, JSON.stringify([{ catalog_item_id: other.item.THEIRS, quantity: 1 }])])).rows[0].id : null;
          const id = whose === "ours" ? order.id : whose === "theirs" ? theirs : "nope'; --";
          for (const [type, amt] of tenders) {
            const before = await everything();
            const paidBefore = (await db.owner.query("select paid_total, total from app_public.orders where id = $1", [order.id])).rows[0];
            const r = await attempt(() => manager.query("select * from app_public.record_tender($1, $2, $3)", [id, type, amt]).then((x) => x.rows[0]));
            record("record_tender (SQL)", r.code);
            if (r.code === "ok") {
              expect(whose).toBe("ours");
              const due = paidBefore.total - paidBefore.paid_total;
              expect(r.value.type).toBe(type);
              expect(r.value.amount).toBe(Number(amt));
              expect(r.value.change_given).toBe(Math.max(0, Number(amt) - due));
              if (type === "card") expect(Number(amt)).toBeLessThanOrEqual(due);
              const now = (await db.owner.query("select paid_total, total from app_public.orders where id = $1", [order.id])).rows[0];
              expect(now.paid_total).toBe(paidBefore.paid_total + Number(amt) - r.value.change_given);
              expect(now.paid_total).toBeLessThanOrEqual(now.total);
            } else {
              expect(DOCUMENTED.has(r.code), r.code).toBe(true);
              expect(await everything()).toEqual(before);
            }
          }
        },
      ),
      { numRuns: NUM_RUNS.tenders },
    );
  });
});

// ------------------------------------------------------------------------------------------------
// The same through GraphQL over HTTP

/** POSTs a GraphQL request (its JSON text); fails the test on a 5xx or an uncoded error; returns "ok" with data, or the error code. */
const gql = (query: string, variables: Record<string, unknown>) => gqlRaw(JSON.stringify({ query, variables }));

async function gqlRaw(request: string): Promise<{ code: string; data?: any }> {
  const res = await http.request("/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: request });
  const body = await res.text();
  expect(res.status, body.slice(0, 300)).toBeLessThan(500);
  let parsed: any;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error(`not JSON (HTTP ${res.status}): ${body.slice(0, 200)}`);
  }
  const validation = res.status === 400 && parsed.errors?.length && !parsed.data && parsed.errors.every((e: any) => !e.extensions?.code && !e.extensions?.errorId);
  if (res.status !== 200 && !validation) {
    // Refused before GraphQL ran (too large, not JSON…): still one of our codes, like every route.
    const code = parsed.error?.code ?? parsed.errors?.[0]?.extensions?.code;
    expect(DOCUMENTED.has(code), `HTTP ${res.status} without one of our codes: ${body.slice(0, 200)}`).toBe(true);
    return { code: `HTTP ${res.status} ${code}` };
  }
  if (!parsed.errors) return { code: "ok", data: parsed.data };
  const codes = parsed.errors.map((e: any) => e.extensions?.code ?? (e.extensions?.errorId ? "INTER" : "GRAPHQL"));
  for (const c of codes) {
    // GRAPHQL: GraphQL's own validation of the request (a variable of the wrong type), before any
    // SQL; web/server/errors.ts lets these through as they are, without a code.
    if (c !== "GRAPHQL") expect(DOCUMENTED.has(c), `${c}: ${parsed.errors[0].message}`).toBe(true);
    else expect(parsed.data ?? null).toBeNull();
  }
  return { code: codes[0] };
}

const CUSTOMER_FIELDS = "rowId email phone firstName lastName notes tags metadata displayName";
const toRow = (c: any) => ({ email: c.email, phone: c.phone, first_name: c.firstName, last_name: c.lastName, notes: c.notes, tags: c.tags, metadata: c.metadata, display_name: c.displayName });

describe("through GraphQL over HTTP", () => {
  it("createCustomer: normalised result, or coded errors; never INTER or a 500; nothing written on failure", { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(customerInputOf(httpText), async (input) => {
        const before = await everything();
        const r = await gql(`mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { result { ${CUSTOMER_FIELDS} } } }`, {
          input: { email: input.email, phone: input.phone, firstName: input.first_name, lastName: input.last_name, notes: input.notes, tags: input.tags, metadata: input.metadata },
        });
        record("createCustomer (GraphQL)", r.code);
        if (r.code === "ok") checkStored(toRow(r.data.createCustomer.result), input);
        else expect(await everything()).toEqual(before);
      }),
      { numRuns: NUM_RUNS.http },
    );
  });

  it("searchCustomers: at most 10 rows for any text; never INTER or a 500", { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(httpText, email, phone), async (q) => {
        const r = await gql("query($q: String!) { searchCustomers(q: $q) { rowId } }", { q });
        record("searchCustomers (GraphQL)", r.code);
        if (r.code === "ok") expect(r.data.searchCustomers.length).toBeLessThanOrEqual(10);
      }),
      { numRuns: NUM_RUNS.http },
    );
  });

  it("quoteOrder and placeOrder: coded errors for any lines and discount; never INTER or a 500; nothing written on failure", { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(linesArb(httpText), fc.oneof(fc.integer({ min: -10, max: 2000 }), fc.constantFrom(2 ** 31, 1.5, "3", null)), async (lines, discount) => {
        const q = await gql("query($lines: JSON, $discount: Int) { quoteOrder(lines: $lines, discount: $discount) { total } }", { lines, discount });
        record("quoteOrder (GraphQL)", q.code);
        const before = await everything();
        const p = await gql("mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { rowId total } } }", {
          input: { locationId: shop.locationId, lines, discount },
        });
        record("placeOrder (GraphQL)", p.code);
        expect(p.code).toBe(q.code);
        if (p.code === "ok") expect(p.data.placeOrder.order.total).toBe(q.data.quoteOrder.total);
        else expect(await everything()).toEqual(before);
      }),
      { numRuns: NUM_RUNS.http },
    );
  });

  // Written out by hand: JavaScript's own JSON.stringify gives up at a few thousand levels (and so
  // does the server when it passes such a value on to PostgreSQL); 3,000 levels are still accepted.
  const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
  const createWithMetadata = (m: string) =>
    `{"query": "mutation($m: JSON) { createCustomer(input: { firstName: \\"Deep\\", metadata: $m }) { result { rowId } } }", "variables": {"m": {"deep": ${m}}}}`;
  const quoteLines = (l: string) => `{"query": "query($l: JSON) { quoteOrder(lines: $l) { total } }", "variables": {"l": [${l}]}}`;
  const createNamed = (n: string) => JSON.stringify({ query: "mutation($n: String) { createCustomer(input: { firstName: $n }) { result { rowId } } }", variables: { n } });
  it.each([
    ["metadata nested 6,000 deep", createWithMetadata(deep(6_000))],
    ["metadata nested 30,000 deep", createWithMetadata(deep(30_000))],
    ["order lines nested 6,000 deep", quoteLines(deep(6_000))],
    ["order lines nested 30,000 deep", quoteLines(deep(30_000))],
    ["a 90,000-character first name", createNamed("x".repeat(90_000))],
    ["a 100,000-emoji first name (a 400 kB request)", createNamed("😀".repeat(100_000))],
  ])("%s: refused with one of our codes, not INTER, and nothing written", async (_label, body) => {
    const before = await everything();
    const r = await gqlRaw(body);
    record("deep JSON and huge strings (GraphQL)", r.code);
    expect(r.code).not.toBe("ok");
    expect(await everything()).toEqual(before);
  });
});
