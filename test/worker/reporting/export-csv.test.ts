// CSV exports through the worker (reporting.request_export + worker/tasks/export-csv.ts), run with graphile-worker's
// runOnce as in production: valid RFC 4180 CSV with the right headers, commas, quotes and line
// breaks quoted, spreadsheet formulas defused (test 9 of the issue); progress and the finished
// file recorded; chunking that does not change a byte; a crashed attempt redone from scratch; a
// failing export marked failed on its last attempt; every file starts with one UTF-8 byte order
// mark. The complete customers export: every profile column in the import's order, the Customers
// list's filters (status, tag, search).
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { taskList } from "../../../worker/tasks/index.ts";
import { testRootUrl } from "../../helpers/env.ts";
import { createTestDatabase, sqlState, type TestDatabase } from "../../helpers/db.ts";
import { runJobsOnce } from "../../helpers/worker.ts";
import { createCustomer, fold, line, mergeCustomers, openReportingShop, placeOrder, type ReportingShop } from "../../db/reporting/helpers.ts";
import { csvObjects, parseCsv, withoutBom } from "./csv.ts";

let db: TestDatabase;
let shop: ReportingShop;
beforeAll(async () => {
  db = await createTestDatabase();
  shop = await openReportingShop(db, {
    taxRateBps: 1000,
    extraTimezones: ["America/New_York"],
    items: [
      { sku: "BAGEL", name: 'Bagel, "plain"', price: 250, stock: 10 },
      { sku: "SUM", name: "=SUM(A1:A9)", price: 100 },
      { sku: "PLUS", name: "+1 shot", price: 50 },
      { sku: "MINUS", name: "-5% tea", price: 300 },
      { sku: "AT", name: "@mention", price: 10 },
      { sku: "NL", price: 100 },
      { sku: "TAB", price: 100 },
      { sku: "CR", price: 100 },
    ],
  });
  const placed = await placeOrder(shop.owner, shop.locationId, [line(shop.item.BAGEL, 2), line(shop.item.SUM), line(shop.item.PLUS, 3)], { placedAt: "2025-07-01T10:00:00Z" });
  await placeOrder(shop.owner, shop.locations[1], [line(shop.item.MINUS), line(shop.item.AT, 4)], { placedAt: "2025-07-02T15:00:00Z" });
  // Names with a line break, a tab or a carriage return cannot be typed into the catalog; an event
  // (an import, a future field) could still carry one, so one is written straight into the log.
  const { rows } = await db.owner.query("select payload from app_private.events where aggregate_id = $1 and type = 'order.placed.v1'", [placed.id]);
  const payload = rows[0].payload;
  payload.order_id = "01JZZZZZZZZZZZZZZZZZZZZZZZ";
  payload.lines = [
    { ...payload.lines[0], catalog_item_id: shop.item.NL, name: "Line one\nline two", quantity: 1, subtotal: 100, revenue: 100 },
  ];
  await db.owner.query("select app_private.emit_event($1, 'order.placed.v1', 'order', $2, $3::jsonb, null)", [shop.tenantId, payload.order_id, payload]);
  const tabbed = { ...payload, order_id: "01JZZZZZZZZZZZZZZZZZZZZZZY", lines: [{ ...payload.lines[0], catalog_item_id: shop.item.TAB, name: "\tTabbed" }] };
  await db.owner.query("select app_private.emit_event($1, 'order.placed.v1', 'order', $2, $3::jsonb, null)", [shop.tenantId, tabbed.order_id, tabbed]);
  const cr = { ...payload, order_id: "01JZZZZZZZZZZZZZZZZZZZZZZX", lines: [{ ...payload.lines[0], catalog_item_id: shop.item.CR, name: "\rCarriage" }] };
  await db.owner.query("select app_private.emit_event($1, 'order.placed.v1', 'order', $2, $3::jsonb, null)", [shop.tenantId, cr.order_id, cr]);
  await createCustomer(shop.cashier, "=cmd|' /C calc'!A0", "Smith, Jr.");
});
afterAll(() => db?.drop());
afterEach(() => {
  delete process.env.EXPORT_CHUNK_BYTES;
});

/** The customers export's header: the names the customer import reads back, in this order. */
const CUSTOMER_COLUMNS = [
  "customer_number", "first_name", "last_name", "email", "phone", "tags", "about",
  "accepts_email_marketing", "email_marketing_source", "email_marketing_updated_at",
  "accepts_sms_marketing", "sms_marketing_source", "sms_marketing_updated_at",
  "address_line1", "address_line2", "city", "region", "postal_code", "country",
  "status", "visits", "currency", "total_spend", "last_visit_at", "created_at", "loyalty_class", "may_email", "may_sms",
];

async function requestExport(kind: string, params: unknown) {
  const { rows } = await shop.manager.query("select * from reporting.request_export($1, $2::jsonb)", [kind, JSON.stringify(params)]);
  return rows[0];
}

// The real task; only it, so that the billing jobs onboarding queues (Stripe) are left alone.
async function runWorker() {
  await runJobsOnce(db, { export_csv: taskList.export_csv });
}

async function exportRow(id: string) {
  return (await db.owner.query("select * from reporting.exports where id = $1", [id])).rows[0];
}

/** The stored file's bytes. */
async function bytesOf(id: string): Promise<Buffer> {
  const { rows } = await db.owner.query("select data from app_private.export_chunks where export_id = $1 order by chunk_no", [id]);
  return Buffer.concat(rows.map((r) => r.data as Buffer));
}

/** The stored file's text after its byte order mark (withoutBom throws unless there is exactly one). */
async function fileOf(id: string): Promise<string> {
  return withoutBom(await bytesOf(id));
}

describe("export_csv", () => {
  it("item sales: valid CSV, right header, commas, quotes and line breaks quoted, formulas defused", async () => {
    const requested = await requestExport("item_sales", { from: "2025-07-01", to: "2025-07-02" });
    expect(requested).toMatchObject({ kind: "item_sales", status: "pending", file_name: "item-sales_2025-07-01_2025-07-02.csv", rows_written: "0" });
    const jobs = await db.owner.query(
      `select t.identifier as task_identifier, j.payload from graphile_worker._private_jobs j
       join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = 'export_csv'`,
    );
    expect(jobs.rows).toEqual([{ task_identifier: "export_csv", payload: { tenantId: shop.tenantId, exportId: requested.id } }]);

    await runWorker();
    const done = await exportRow(requested.id);
    const text = await fileOf(requested.id);
    // The byte order mark (3 bytes) is part of the file and of its size.
    expect(done).toMatchObject({ status: "done", rows_total: "8", rows_written: "8", bytes_written: String(Buffer.byteLength(text) + 3), chunk_count: 1, error_message: null });
    expect((await bytesOf(requested.id)).subarray(0, 8)).toEqual(Buffer.from("\xef\xbb\xbfitem,", "latin1"));
    expect(done.finished_at).toBeInstanceOf(Date);

    const [header] = parseCsv(text);
    expect(header).toEqual(["item", "sku", "quantity_sold", "currency", "gross_revenue", "net_revenue", "avg_unit_price"]);
    // PostgreSQL's quoting: commas and quotes inside quotes, quotes doubled, line breaks kept inside quotes.
    expect(text).toContain('"Bagel, ""plain""",BAGEL,2,USD,5.00,5.00,2.50\n');
    expect(text).toContain('"Line one\nline two",NL,1,USD,1.00,1.00,1.00\n');
    expect(text).toContain("'\tTabbed,TAB,1,USD,1.00,1.00,1.00\n");
    expect(text).toContain('"\'\rCarriage",CR,1,USD,1.00,1.00,1.00\n');
    const byName = Object.fromEntries(csvObjects(text).map((r) => [r.item, r]));
    expect(Object.keys(byName).sort()).toEqual(
      ["'\tTabbed", "'\rCarriage", "'+1 shot", "'-5% tea", "'=SUM(A1:A9)", "'@mention", 'Bagel, "plain"', "Line one\nline two"].sort(),
    );
    expect(byName["'+1 shot"]).toMatchObject({ sku: "PLUS", quantity_sold: "3", gross_revenue: "1.50" });
    expect(byName["'-5% tea"]).toMatchObject({ sku: "MINUS", quantity_sold: "1", net_revenue: "3.00" });
    // Every cell that a spreadsheet would run as a formula starts with a quote.
    for (const record of parseCsv(text)) {
      for (const cell of record) expect(cell).not.toMatch(/^[=+@\t\r]|^-[^0-9]/);
    }
    // The job is gone once done.
    expect((await db.owner.query("select count(*)::int as n from graphile_worker.jobs where task_identifier = 'export_csv'")).rows[0].n).toBe(0);
  });

  it("daily sales: one row per date, all locations added up, in dollars with the currency named", async () => {
    const e = await requestExport("daily_sales", { from: "2025-06-30", to: "2025-07-02" });
    await runWorker();
    const rows = csvObjects(await fileOf(e.id));
    expect(Object.keys(rows[0])).toEqual([
      "business_date", "location", "orders", "currency", "gross_sales", "discounts", "tax", "refunds", "refunded", "net_sales",
      "total_collected", "cash", "card", "avg_order_value",
    ]);
    // Net sales exclude tax; total collected includes it.
    expect(rows.map((r) => [r.business_date, r.location, r.orders, r.net_sales, r.tax, r.total_collected])).toEqual([
      ["2025-06-30", "All locations", "0", "0.00", "0.00", "0.00"],
      ["2025-07-01", "All locations", "4", "30.00", "3.00", "33.00"], // the order (7.50 + 10% tax) and the three copies of it written above
      ["2025-07-02", "All locations", "1", "3.40", "0.34", "3.74"],
    ]);
  });

  it("amounts are written in the business's currency with its decimals: yen without, dinars with three", async () => {
    const yen = await db.onboard({ currency: "JPY", locale: "ja-JP" });
    const dinars = await db.onboard({ currency: "KWD", locale: "ar-KW" });
    for (const m of [yen, dinars]) {
      const item = await m.query("insert into app_public.catalog_items (name, sku, price) values ('Set lunch', 'LUNCH', 1235) returning id");
      const location = (await m.query("select id from app_public.locations")).rows[0].id;
      await m.query("select app_public.place_order($1, $2::jsonb, null, 0, '2025-07-01T03:00:00Z')", [location, JSON.stringify([{ catalog_item_id: item.rows[0].id, quantity: 2 }])]);
    }
    const exportOf = async (m: typeof yen) => {
      const { rows } = await m.query("select id from reporting.request_export('daily_sales', $1::jsonb)", [JSON.stringify({ from: "2025-07-01", to: "2025-07-01" })]);
      await runWorker();
      return csvObjects(await fileOf(rows[0].id));
    };
    expect(await exportOf(yen)).toEqual([expect.objectContaining({ orders: "1", currency: "JPY", gross_sales: "2470", net_sales: "2470", avg_order_value: "2470" })]);
    expect(await exportOf(dinars)).toEqual([expect.objectContaining({ orders: "1", currency: "KWD", gross_sales: "2.470", net_sales: "2.470" })]);
  });

  it("daily sales at one location names it; inventory and customers have their headers and defused names", async () => {
    const d = await requestExport("daily_sales", { from: "2025-07-02", to: "2025-07-02", location_id: shop.locations[1] });
    const inv = await requestExport("inventory", { low_only: false });
    const cust = await requestExport("customers", {});
    await runWorker();
    expect(csvObjects(await fileOf(d.id))).toEqual([expect.objectContaining({ location: "Shop 2 (America/New_York)", orders: "1" })]);
    expect(csvObjects(await fileOf(inv.id))).toEqual([
      { location: "Main store", item: "BAGEL stock", on_hand: "8", low_stock_threshold: "2", status: "ok" },
    ]);
    const customers = csvObjects(await fileOf(cust.id));
    expect(customers).toEqual([
      {
        customer_number: "CUST-00001",
        first_name: "'=cmd|' /C calc'!A0",
        last_name: "Smith, Jr.",
        email: "",
        phone: "",
        tags: "",
        about: "",
        accepts_email_marketing: "",
        email_marketing_source: "",
        email_marketing_updated_at: "",
        accepts_sms_marketing: "",
        sms_marketing_source: "",
        sms_marketing_updated_at: "",
        address_line1: "",
        address_line2: "",
        city: "",
        region: "",
        postal_code: "",
        country: "",
        status: "active",
        visits: "0",
        currency: "USD",
        total_spend: "0.00",
        last_visit_at: "",
        created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
        loyalty_class: "",
        may_email: "no",
        may_sms: "no",
      },
    ]);
    expect((await exportRow(cust.id)).file_name).toMatch(/^customers_\d{4}-\d{2}-\d{2}\.csv$/);
  });

  it("the customers export says who may be emailed or texted: consent given, the detail known, and never a do-not-contact customer", async () => {
    const make = async (first: string, email: string, phone: string) =>
      (await shop.manager.query("select * from app_public.create_customer(email => $1, phone => $2, first_name => $3)", [email, phone, first])).rows[0];
    const yes = await make("Yves", "yves@example.com", "+12125550101");
    const dnc = await make("Dora", "dora@example.com", "+12125550102");
    for (const c of [yes, dnc]) {
      await shop.manager.query("select app_public.set_customer_contact_channel($1, 'email', true, 'pos')", [c.id]);
      await shop.manager.query("select app_public.set_customer_contact_channel($1, 'sms', true, 'pos')", [c.id]);
    }
    await shop.manager.query("select app_public.set_customer_preferences($1, do_not_contact => true)", [dnc.id]);
    const e = await requestExport("customers", {});
    await runWorker();
    const rows = csvObjects(await fileOf(e.id));
    // Dora agreed to both channels (accepts_*), and still may not be contacted: do not contact overrides.
    expect(rows.find((r) => r.first_name === "Yves")).toMatchObject({ accepts_email_marketing: "yes", accepts_sms_marketing: "yes", may_email: "yes", may_sms: "yes" });
    expect(rows.find((r) => r.first_name === "Dora")).toMatchObject({ accepts_email_marketing: "yes", accepts_sms_marketing: "yes", may_email: "no", may_sms: "no" });
    // The same answer as the profile's mayContact.
    const asked = await shop.manager.query("select c.first_name, app_public.customers_may_contact(c, 'email') as may from app_public.customers c where c.id = any($1) order by 1", [[yes.id, dnc.id]]);
    expect(asked.rows).toEqual([{ first_name: "Dora", may: false }, { first_name: "Yves", may: true }]);
  });

  it("small chunks give the very same file", async () => {
    const big = await requestExport("item_sales", { from: "2025-07-01", to: "2025-07-02", order_by: "quantity" });
    await runWorker();
    process.env.EXPORT_CHUNK_BYTES = "40";
    const small = await requestExport("item_sales", { from: "2025-07-01", to: "2025-07-02", order_by: "quantity" });
    await runWorker();
    const row = await exportRow(small.id);
    expect(row.chunk_count).toBeGreaterThan(5);
    expect(await fileOf(small.id)).toBe(await fileOf(big.id));
    expect(row.rows_written).toBe("8");
  });

  it("a crashed attempt leaves nothing downloadable, and the retry starts from scratch", async () => {
    const e = await requestExport("customers", {});
    // An attempt that stored a chunk and died.
    await db.owner.query("select app_private.start_export($1, $2)", [shop.tenantId, e.id]);
    await db.owner.query("select app_private.write_export_chunk($1, $2, 0, 'half a fi'::bytea, 0, 9)", [shop.tenantId, e.id]);
    const seen = await shop.manager.query("select * from app_hidden.export_file($1)", [e.id]);
    expect(seen.rows).toEqual([]);
    await runWorker();
    expect(await exportRow(e.id)).toMatchObject({ status: "done", chunk_count: 1 });
    expect(await fileOf(e.id)).toMatch(new RegExp(`^${CUSTOMER_COLUMNS.join(",")}\n`));
  });

  it("an export that keeps failing is marked failed on its last attempt", async () => {
    const { rows } = await db.owner.query(
      `insert into reporting.exports (tenant_id, kind, params, file_name) values ($1, 'daily_sales', '{"from": "2025-07-01", "to": "not a date"}', 'broken.csv') returning id`,
      [shop.tenantId],
    );
    await db.owner.query("select graphile_worker.add_job('export_csv', json_build_object('tenantId', $1::text, 'exportId', $2::text), max_attempts := 1)", [shop.tenantId, rows[0].id]);
    await runWorker();
    expect(await exportRow(rows[0].id)).toMatchObject({ status: "failed", error_message: "The export could not be written. Please try again." });
  });

  it("export_cleanup removes exports older than 7 days, with their files", async () => {
    const old = await requestExport("customers", {});
    const recent = await requestExport("customers", {});
    await runWorker();
    // Age it (the timestamps trigger keeps created_at, so as the superuser, triggers off).
    const url = new URL(testRootUrl);
    url.pathname = `/${db.name}`;
    const root = new pg.Client(url.toString());
    await root.connect();
    try {
      await root.query("set session_replication_role = replica");
      await root.query("update reporting.exports set created_at = now() - interval '8 days' where id = $1", [old.id]);
    } finally {
      await root.end();
    }
    await db.owner.query("select graphile_worker.add_job('export_cleanup', '{}'::json)");
    await runJobsOnce(db, { export_cleanup: taskList.export_cleanup });
    expect(await exportRow(old.id)).toBeUndefined();
    expect((await db.owner.query("select count(*)::int as n from app_private.export_chunks where export_id = $1", [old.id])).rows[0].n).toBe(0);
    expect(await exportRow(recent.id)).toMatchObject({ status: "done" });
  });

  it("request_export checks what it is given", async () => {
    for (const [kind, params, code] of [
      ["daily_sales", {}, "BADIN"],
      ["daily_sales", { from: "2025-07-02", to: "2025-07-01" }, "BADIN"],
      ["daily_sales", { from: "2025-02-30", to: "2025-03-01" }, "BADIN"],
      ["item_sales", { from: "2025-07-01", to: "2025-07-02", order_by: "price" }, "BADIN"],
      ["inventory", { low_only: "yes" }, "BADIN"],
      ["customers", { anything: 1 }, "BADIN"],
      ["customers", { status: "merged" }, "BADIN"],
      ["customers", { status: 1 }, "BADIN"],
      ["customers", { tag: 5 }, "BADIN"],
      ["customers", { tag: ["vip", ""] }, "BADIN"],
      ["customers", { tag: "x".repeat(41) }, "BADIN"],
      ["customers", { search: { q: "ann" } }, "BADIN"],
      ["customers", { search: "a".repeat(101) }, "BADIN"],
      ["daily_sales", { from: "2025-07-01", to: "2025-07-02", location_id: "01HZZZZZZZZZZZZZZZZZZZZZZZ" }, "NOTFD"],
      ["pictures", {}, "22P02"],
    ] as const) {
      expect(await sqlState(() => requestExport(kind, params)), `${kind} ${JSON.stringify(params)}`).toBe(code);
    }
    expect(await sqlState(() => shop.cashier.query("select reporting.request_export('customers')"))).toBe("DNIED");
    // The error names the field, for the form that sent it.
    const refused = await shop.manager.query("select reporting.request_export('customers', '{\"status\": \"gone\"}')").catch((e) => e);
    expect(refused).toMatchObject({ code: "BADIN", column: "status", message: "status must be active, archived or all." });
    const badTag = await shop.manager.query("select reporting.request_export('customers', '{\"tag\": 5}')").catch((e) => e);
    expect(badTag).toMatchObject({ code: "BADIN", column: "tag" });
  });
});

describe("the complete customers export", () => {
  let other: ReportingShop;
  const ids: Record<string, string> = {};
  const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

  async function exportOf(params: unknown) {
    const { rows } = await other.manager.query("select * from reporting.request_export('customers', $1::jsonb)", [JSON.stringify(params)]);
    await runWorker();
    const row = await exportRow(rows[0].id);
    expect(row.status).toBe("done");
    const text = await fileOf(rows[0].id);
    expect(parseCsv(text)[0]).toEqual(CUSTOMER_COLUMNS);
    const records = csvObjects(text);
    // The progress counted exactly the rows the filtered file holds.
    expect([Number(row.rows_total), Number(row.rows_written)]).toEqual([records.length, records.length]);
    return { row, records, byFirst: Object.fromEntries(records.map((r) => [r.first_name, r])) };
  }

  beforeAll(async () => {
    other = await openReportingShop(db, { items: [{ sku: "CAKE", name: "Cake", price: 1250 }] });
    const make = async (fields: Record<string, unknown>) => {
      const { rows } = await other.manager.query(
        `select id from app_public.create_customer(email => $1, phone => $2, first_name => $3, last_name => $4, notes => $5, tags => $6)`,
        [fields.email ?? null, fields.phone ?? null, fields.first, fields.last ?? null, fields.notes ?? null, fields.tags ?? null],
      );
      return rows[0].id as string;
    };
    ids.ann = await make({
      first: "Ann", last: "Archer", email: "ann@example.com", phone: "(212) 555-0101", tags: ["VIP", "Wholesale"],
      notes: "Likes oat milk.\nAsks for a receipt, always.",
    });
    ids.bob = await make({ first: "Bob", last: "Baker", email: "bob@example.com", tags: ["VIP"] });
    ids.cy = await make({ first: "Cyril", last: "Archer", email: "cyril@example.com" });
    ids.dee = await make({ first: "Dee", last: "Dunn", phone: "+44 20 7946 0958" });
    ids.eve = await make({ first: "Eve", last: "Evans", email: "eve@sample.org", tags: ["Wholesale"] });

    await other.manager.query("select app_public.set_customer_contact_channel($1, 'email', true, 'pos')", [ids.ann]);
    await other.manager.query("select app_public.set_customer_contact_channel($1, 'sms', false, 'online')", [ids.ann]);
    // Two addresses: the default one is exported, the other not.
    await other.manager.query(
      `insert into app_public.customer_addresses (customer_id, type, line1, city, country) values ($1, 'work', '9 Office Park', 'Chicago', 'US')`,
      [ids.ann],
    );
    await other.manager.query(
      `insert into app_public.customer_addresses (customer_id, type, line1, line2, city, region, postal_code, country, is_default)
       values ($1, 'home', '1 Main St', 'Apt 2', 'Springfield', 'IL', '62701', 'us', true)`,
      [ids.ann],
    );
    await placeOrder(other.owner, other.locationId, [line(other.item.CAKE, 2)], { customerId: ids.ann, placedAt: "2025-07-03T09:30:00Z" });
    await other.manager.query("select app_public.archive_customer($1, 'Moved away')", [ids.bob]);
    await mergeCustomers(other.manager, ids.dee, ids.cy); // Cyril goes into Dee: never exported
    await fold(db, other.tenantId);
  });

  it("carries every profile column in the import's order: tags, about, consents with source and date, the default address", async () => {
    const { records, byFirst, row } = await exportOf({});
    expect(row.file_name).toMatch(/^customers_\d{4}-\d{2}-\d{2}\.csv$/);
    // All of them, archived included, never the merged one.
    expect(records.map((r) => r.first_name).sort()).toEqual(["Ann", "Bob", "Dee", "Eve"]);
    const recorded = (
      await db.owner.query("select channel, to_char(recorded_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') as at from app_public.customer_contact_channels where customer_id = $1", [ids.ann])
    ).rows;
    const at = Object.fromEntries(recorded.map((r) => [r.channel, r.at]));
    expect(byFirst.Ann).toEqual({
      customer_number: expect.stringMatching(/^CUST-\d{5}$/),
      first_name: "Ann",
      last_name: "Archer",
      email: "ann@example.com",
      phone: "+12125550101", // E.164, as stored: no leading quote
      tags: "VIP, Wholesale",
      about: "Likes oat milk.\nAsks for a receipt, always.",
      accepts_email_marketing: "yes",
      email_marketing_source: "pos",
      email_marketing_updated_at: at.email,
      accepts_sms_marketing: "no",
      sms_marketing_source: "online",
      sms_marketing_updated_at: at.sms,
      address_line1: "1 Main St",
      address_line2: "Apt 2",
      city: "Springfield",
      region: "IL",
      postal_code: "62701",
      country: "US",
      status: "active",
      visits: "1",
      currency: "USD",
      total_spend: "25.00",
      last_visit_at: "2025-07-03T09:30:00Z",
      created_at: expect.stringMatching(ISO),
      loyalty_class: expect.any(String),
      may_email: "yes",
      may_sms: "no",
    });
    expect(at.email).toMatch(ISO);
    expect(byFirst.Bob).toMatchObject({ status: "archived", tags: "VIP", accepts_email_marketing: "", email_marketing_source: "", address_line1: "", country: "", may_email: "no" });
    expect(byFirst.Dee).toMatchObject({ phone: "+442079460958", email: "cyril@example.com" });
  });

  it("takes the Customers list's filters: status, tags, search; the file name says what was filtered", async () => {
    const active = await exportOf({ status: "active" });
    expect(active.records.map((r) => r.first_name).sort()).toEqual(["Ann", "Dee", "Eve"]);
    expect(active.row.file_name).toMatch(/^customers-active_\d{4}-\d{2}-\d{2}\.csv$/);

    const archived = await exportOf({ status: "archived" });
    expect(archived.records.map((r) => r.first_name)).toEqual(["Bob"]);

    // One tag, or several that a customer must all have (exact case, as the list's tag chips).
    const vip = await exportOf({ status: "all", tag: "VIP" });
    expect(vip.records.map((r) => r.first_name).sort()).toEqual(["Ann", "Bob"]);
    const both = await exportOf({ status: "active", tag: ["VIP", "Wholesale"] });
    expect(both.records.map((r) => r.first_name)).toEqual(["Ann"]);
    expect(both.row.file_name).toMatch(/^customers-active_tag-vip-wholesale_\d{4}-\d{2}-\d{2}\.csv$/);
    expect((await exportOf({ tag: "vip" })).records).toEqual([]);

    // The search box's matching (search_customers): a last name, an email's start, a phone typed
    // nationally, a part of a name from 3 characters; every match, not the best 10.
    const archers = await exportOf({ status: "all", search: "  archer " });
    expect(archers.records.map((r) => r.first_name)).toEqual(["Ann"]); // Cyril Archer is merged
    expect(archers.row.file_name).toMatch(/^customers_search-archer_\d{4}-\d{2}-\d{2}\.csv$/);
    expect((await exportOf({ search: "eve@" })).records.map((r) => r.first_name)).toEqual(["Eve"]);
    expect((await exportOf({ search: "212 555" })).records.map((r) => r.first_name)).toEqual(["Ann"]);
    expect((await exportOf({ search: "ake" })).records.map((r) => r.first_name)).toEqual(["Bob"]);
    expect((await exportOf({ search: "sample.org" })).records.map((r) => r.first_name)).toEqual(["Eve"]);
    // The file name keeps ASCII letters and digits only (it travels in an HTTP header).
    const named = await exportOf({ status: "archived", tag: ["Café crème", "VIP"], search: "山田 Ünal" });
    expect(named.records).toEqual([]);
    expect(named.row.file_name).toMatch(/^customers-archived_tag-caf-cr-me-vip_search-nal_\d{4}-\d{2}-\d{2}\.csv$/);
    // Whatever the type-ahead finds for a term, the export finds too.
    for (const q of ["archer", "eve@", "212 555", "ake", "sample.org", "VIP", "d"]) {
      const found = await other.manager.query("select first_name from app_public.search_customers($1) order by 1", [q]);
      expect((await exportOf({ search: q })).records.map((r) => r.first_name).sort(), q).toEqual(found.rows.map((r) => r.first_name));
    }
  });

  it("another business's customers never appear, whatever the filter", async () => {
    const { records } = await exportOf({ search: "smith" });
    expect(records).toEqual([]); // "Smith, Jr." is the first shop's customer
  });
});
