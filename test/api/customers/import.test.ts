// Customer import end to end, as a member does it: POST /imports/customers with the file, the
// worker reads it (runOnce, as in production), the preview over GraphQL (mapping, counts, rows with
// reasons), the commit in the worker, the customers it made, and the error report
// (GET /imports/:id/errors.csv). Square's and Shopify's own export formats need no mapping; hostile
// files get a coded error or a reason per row, never a 500 and never half an import.
import { readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { taskList } from "../../../worker/tasks/index.ts";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.ts";
import { testRootUrl } from "../../helpers/env.ts";
import { startTestServer, type HttpClient, type TestServer } from "../../helpers/server.ts";
import { runJobsOnce } from "../../helpers/worker.ts";
import { createCustomer, openShop, type Shop } from "../../db/customers/helpers.ts";
import { parseCsv } from "../../worker/reporting/csv.ts";

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, "../../fixtures/imports", name));

let db: TestDatabase;
let server: TestServer;
let shop: Shop;
let other: Shop;
let asManager: HttpClient;
let asCashier: HttpClient;
let asOther: HttpClient;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db);
  shop = await openShop(db, { company: "Importer" });
  other = await openShop(db, { company: "Elsewhere" });
  asManager = server.client();
  asCashier = server.client();
  asOther = server.client();
  await asManager.login(shop.manager.email, shop.manager.password);
  await asCashier.login(shop.cashier.email, shop.cashier.password);
  await asOther.login(other.owner.email, other.owner.password);
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});
afterEach(() => {
  delete process.env.CUSTOMER_IMPORT_BATCH_ROWS;
});

const IMPORT = `rowId fileName status encoding delimiter header mapping onDuplicate rowsRead rowsTotal rowsDone
  newCount duplicateCount fileDuplicateCount invalidCount createdCount updatedCount skippedCount failedCount
  errorCode errorMessage reportUrl`;

async function upload(client: HttpClient, name: string, body: Buffer | string) {
  const res = await client.request(`/imports/customers?name=${encodeURIComponent(name)}`, { method: "POST", body: typeof body === "string" ? body : new Uint8Array(body) });
  return { status: res.status, body: await res.json() };
}

const work = () =>
  runJobsOnce(db, { customer_import_parse: taskList.customer_import_parse, customer_import_commit: taskList.customer_import_commit });

async function getImport(client: HttpClient, id: string) {
  const res = await client.graphql(`query($id: String!) { customerImportByRowId(rowId: $id) { ${IMPORT} } }`, { id });
  expect(res.errors).toBeUndefined();
  return res.data.customerImportByRowId;
}

async function rowsOf(client: HttpClient, id: string, state?: string) {
  const res = await client.graphql(
    `query($id: String!, $state: String) { customerImportByRowId(rowId: $id) { rows(state: $state) { nodes {
      rowNo state reason email phone firstName lastName tags note company emailConsent smsConsent
      addressLine1 addressLine2 city region postalCode country customerId } } } }`,
    { id, state },
  );
  expect(res.errors).toBeUndefined();
  return res.data.customerImportByRowId.rows.nodes;
}

/** Uploads and reads a file: the import, ready for preview (or failed). */
async function uploaded(client: HttpClient, name: string, body: Buffer | string) {
  const res = await upload(client, name, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  await work();
  return getImport(client, res.body.importId);
}

async function setMapping(client: HttpClient, id: string, mapping: (string | null)[], onDuplicate: string) {
  return client.graphql(
    `mutation($input: SetCustomerImportMappingInput!) { setCustomerImportMapping(input: $input) { customerImport { ${IMPORT} } } }`,
    { input: { importId: id, mapping, onDuplicate } },
  );
}

async function commit(client: HttpClient, id: string) {
  return client.graphql(`mutation($id: String!) { commitCustomerImport(input: { importId: $id }) { customerImport { status } } }`, { id });
}

async function customerByEmail(email: string) {
  const { rows } = await db.owner.query("select * from app_public.customers where tenant_id = $1 and email = $2", [shop.tenantId, email]);
  return rows[0];
}

async function report(client: HttpClient, url: string) {
  const res = await client.request(url);
  // Bytes, not res.text(): that would drop the byte order mark the file must start with.
  return { status: res.status, type: res.headers.get("content-type"), text: Buffer.from(await res.arrayBuffer()).toString("utf8") };
}

describe("Square's and Shopify's customer exports", () => {
  it("Square's file imports without mapping: names, email lower-cased, phones in E.164, memo as an import note, consent with source import, the address", async () => {
    const imp = await uploaded(asManager, "square-customers.csv", fixture("square-customers.csv"));
    expect(imp).toMatchObject({ status: "ready", encoding: "utf-8", delimiter: ",", rowsRead: 3, newCount: 3, invalidCount: 0 });
    const mapped = Object.fromEntries(imp.header.map((h: string, i: number) => [h, imp.mapping[i]]));
    expect(mapped).toMatchObject({
      "First Name": "first_name", "Last Name": "last_name", "Email Address": "email", "Phone Number": "phone",
      "Company Name": "company", "Street Address 1": "address_line1", "Street Address 2": "address_line2", City: "city",
      State: "region", "Postal Code": "postal_code", Memo: "note", "Email Subscription Status": "email_consent",
      "Reference ID": null, "Total Spend": null, "Square Customer ID": null,
    });
    const preview = await rowsOf(asManager, imp.rowId);
    expect(preview[1]).toMatchObject({ rowNo: 3, state: "new", email: "tom.becker@example.com", phone: "+12125550199", company: "Becker Design LLC", emailConsent: false });

    expect((await commit(asManager, imp.rowId)).errors).toBeUndefined();
    await work();
    const done = await getImport(asManager, imp.rowId);
    expect(done).toMatchObject({ status: "done", createdCount: 3, updatedCount: 0, skippedCount: 0, failedCount: 0, rowsDone: 3, reportUrl: null });

    const maria = await customerByEmail("maria.lopez@example.com");
    expect(maria).toMatchObject({ first_name: "Maria", last_name: "Lopez", phone: "+14155550134", marketing_consent: true, marketing_consent_source: "import", created_by: shop.manager.userId });
    expect(maria.customer_number).toMatch(/^CUST-\d{5}$/);
    const notes = await db.owner.query("select category, body, author_user_id from app_public.customer_notes where customer_id = $1", [maria.id]);
    expect(notes.rows).toEqual([{ category: "import", body: "Allergic to nuts", author_user_id: shop.manager.userId }]);
    const address = await db.owner.query("select line1, line2, city, region, postal_code, country, is_default from app_public.customer_addresses where customer_id = $1", [maria.id]);
    expect(address.rows).toEqual([{ line1: "1200 Valencia St", line2: "Apt 4", city: "San Francisco", region: "CA", postal_code: "94110", country: "US", is_default: true }]);
    const channel = await db.owner.query("select channel, allowed, source from app_public.customer_contact_channels where customer_id = $1", [maria.id]);
    expect(channel.rows).toEqual([{ channel: "email", allowed: true, source: "import" }]);
    // Events and audit as create_customer writes them, naming the import.
    const events = await db.owner.query("select type, actor_user_id from app_private.events where aggregate_id = $1", [maria.id]);
    expect(events.rows).toEqual([{ type: "customer.created.v1", actor_user_id: shop.manager.userId }]);
    const audit = await db.owner.query("select action, command, reason, actor_user_id from app_public.audit_entries where entity = 'customers' and entity_id = $1", [maria.id]);
    expect(audit.rows).toEqual([{ action: "insert", command: "import_customers", reason: `Imported from square-customers.csv (import ${imp.rowId})`, actor_user_id: shop.manager.userId }]);
    // Aiko has only a first name and a national phone: enough.
    const aiko = await db.owner.query("select first_name, phone from app_public.customers where tenant_id = $1 and first_name = 'Aiko'", [shop.tenantId]);
    expect(aiko.rows).toEqual([{ first_name: "Aiko", phone: "+14155550177" }]);
  });

  it("Shopify's file imports without mapping: the ' before phone numbers is dropped, tags split, the country code wins", async () => {
    const imp = await uploaded(asManager, "shopify-customers.csv", fixture("shopify-customers.csv"));
    expect(imp).toMatchObject({ status: "ready", newCount: 3, invalidCount: 0 });
    const mapped = Object.fromEntries(imp.header.map((h: string, i: number) => [h, imp.mapping[i]]));
    expect(mapped).toMatchObject({
      Email: "email", "Accepts Email Marketing": "email_consent", "Default Address Address1": "address_line1",
      "Default Address City": "city", "Default Address Province Code": "region", "Default Address Country Code": "country",
      "Default Address Zip": "postal_code", Phone: "phone", "Default Address Phone": null, "Accepts SMS Marketing": "sms_consent",
      Note: "note", Tags: "tags", "Default Address Company": "company", "Customer ID": null,
    });
    expect((await commit(asManager, imp.rowId)).errors).toBeUndefined();
    await work();
    expect(await getImport(asManager, imp.rowId)).toMatchObject({ status: "done", createdCount: 3 });
    const russell = await customerByEmail("russel.winfield@example.com");
    expect(russell).toMatchObject({ phone: "+16135550135", tags: ["VIP", "Wholesale"], metadata: { company: "Company Name" } });
    const addr = await db.owner.query("select city, region, postal_code, country from app_public.customer_addresses where customer_id = $1", [russell.id]);
    expect(addr.rows).toEqual([{ city: "Toronto", region: "ON", postal_code: "M5C1N7", country: "CA" }]);
    const karine = await customerByEmail("karine.ruby@example.com");
    const channels = await db.owner.query("select channel, allowed from app_public.customer_contact_channels where customer_id = $1 order by channel", [karine.id]);
    expect(channels.rows).toEqual([{ channel: "email", allowed: false }, { channel: "sms", allowed: true }]);
    // A country alone is no address.
    const ayumu = await customerByEmail("ayumu.hirano@example.com");
    expect((await db.owner.query("select count(*)::int as n from app_public.customer_addresses where customer_id = $1", [ayumu.id])).rows[0].n).toBe(0);
  });
});

describe("preview", () => {
  it("counts new rows, duplicates of customers, duplicates inside the file and invalid rows, each with its reason in words", async () => {
    await createCustomer(shop.manager, { first_name: "Existing", email: "known@example.com", phone: "+33612345678" });
    await createCustomer(shop.manager, { first_name: "Other", email: "other@example.com" });
    await createCustomer(shop.manager, { first_name: "Third", phone: "+33611111111" });
    const file = [
      "Email;Phone;First name;Tags",
      "new@example.com;;Nina;a,b",
      "KNOWN@example.com;;Known again;",
      ";+33 6 12 34 56 78;By phone;",
      "new@example.com;;Nina twice;",
      "not an email;;Bad;",
      ";;;",
      ";;;lonely tag",
      "other@example.com;+33 6 11 11 11 11;Crossed;",
      "fine@example.com;;Fine;x;extra;cells",
    ].join("\n");
    const imp = await uploaded(asManager, "mixed.csv", file);
    expect(imp).toMatchObject({ status: "ready", delimiter: ";", rowsRead: 8, newCount: 1, duplicateCount: 2, fileDuplicateCount: 1, invalidCount: 4 });
    const rows = await rowsOf(asManager, imp.rowId);
    const byRow = Object.fromEntries(rows.map((r: any) => [r.rowNo, r]));
    expect(byRow[2]).toMatchObject({ state: "new", tags: ["a", "b"] });
    expect(byRow[3]).toMatchObject({ state: "duplicate", customerId: (await customerByEmail("known@example.com")).id });
    expect(byRow[4]).toMatchObject({ state: "duplicate", phone: "+33612345678" });
    expect(byRow[5]).toMatchObject({ state: "file_duplicate", reason: "Same email as row 2 of this file." });
    expect(byRow[6].state).toBe("invalid");
    expect(byRow[6].reason).toMatch(/email/i);
    expect(byRow[7]).toBeUndefined(); // a blank row is skipped, and the next keeps its number
    expect(byRow[8]).toMatchObject({ state: "invalid", reason: "A customer needs at least an email, a phone number or a first name." });
    expect(byRow[9].reason).toMatch(/^The email belongs to customer CUST-\d+ and the phone number to customer CUST-\d+\.$/);
    expect(byRow[10]).toMatchObject({ state: "invalid", reason: "This row has 6 cells where the header has 4 columns." });
    // Nothing was written to customers yet.
    expect(await customerByEmail("new@example.com")).toBeUndefined();

    // Ignoring the email column turns row 5 into a new customer of its own, and leaves rows 2 and 5 without a duplicate.
    const remapped = await setMapping(asManager, imp.rowId, [null, "phone", "first_name", "tags"], "skip");
    expect(remapped.errors).toBeUndefined();
    expect(remapped.data.setCustomerImportMapping.customerImport).toMatchObject({ mapping: [null, "phone", "first_name", "tags"], fileDuplicateCount: 0 });
    const twice = await setMapping(asManager, imp.rowId, ["email", "email", null, null], "skip");
    expect(twice.errors?.[0]).toMatchObject({ message: "Email is filled by two columns (1 and 2): choose one.", extensions: { code: "BADIN", field: "mapping" } });
    const unknown = await setMapping(asManager, imp.rowId, ["email", "password", null, null], "skip");
    expect(unknown.errors?.[0].extensions?.code).toBe("BADIN");
    const badAction = await setMapping(asManager, imp.rowId, ["email", null, null, null], "create anyway");
    expect(badAction.errors?.[0].extensions).toMatchObject({ code: "BADIN", field: "onDuplicate" });

    // The report lists the rows that cannot be imported as they were, with the reason.
    await setMapping(asManager, imp.rowId, ["email", "phone", "first_name", "tags"], "skip");
    const ready = await getImport(asManager, imp.rowId);
    const file2 = await report(asManager, ready.reportUrl);
    expect(file2.status).toBe(200);
    expect(file2.text.startsWith("\uFEFF")).toBe(true);
    const lines = parseCsv(file2.text.slice(1));
    expect(lines[0]).toEqual(["row", "Email", "Phone", "First name", "Tags", "reason"]);
    expect(lines.map((l) => l[0])).toEqual(["row", "5", "6", "8", "9", "10"]);
  });

  it("a duplicate is skipped, fills the empty fields of the customer, or overwrites them, as chosen", async () => {
    const filled = await createCustomer(shop.manager, { first_name: "Fill", email: "fill@example.com", tags: ["old"] });
    const kept = await createCustomer(shop.manager, { first_name: "Keep", last_name: "Me", email: "keep@example.com" });
    const file = "email,first name,last name,phone,tags\nfill@example.com,Filled,Surname,+44 20 7946 0001,new\nkeep@example.com,Skipped,,,\n";
    const imp = await uploaded(asManager, "dups.csv", file);
    expect(imp.duplicateCount).toBe(2);
    await setMapping(asManager, imp.rowId, imp.mapping, "fill");
    await commit(asManager, imp.rowId);
    await work();
    expect(await getImport(asManager, imp.rowId)).toMatchObject({ status: "done", updatedCount: 2, createdCount: 0 });
    expect(await customerByEmail("fill@example.com")).toMatchObject({ id: filled.id, first_name: "Fill", last_name: "Surname", phone: "+442079460001", tags: ["old", "new"] });
    expect(await customerByEmail("keep@example.com")).toMatchObject({ first_name: "Keep", last_name: "Me" });
    const updated = await db.owner.query("select payload -> 'changes' as changes from app_private.events where aggregate_id = $1 and type = 'customer.updated.v1'", [filled.id]);
    expect(Object.keys(updated.rows[0].changes).sort()).toEqual(["display_name", "last_name", "phone", "stage", "tags"]); // the phone the file filled in makes a stub

    const again = await uploaded(asManager, "dups.csv", file);
    await setMapping(asManager, again.rowId, again.mapping, "overwrite");
    await commit(asManager, again.rowId);
    await work();
    expect(await customerByEmail("keep@example.com")).toMatchObject({ first_name: "Skipped", last_name: "Me" });

    const skipped = await uploaded(asManager, "dups.csv", file.replace("Skipped", "Never"));
    await commit(asManager, skipped.rowId);
    await work();
    expect(await getImport(asManager, skipped.rowId)).toMatchObject({ status: "done", skippedCount: 2, updatedCount: 0 });
    expect(await customerByEmail("keep@example.com")).toMatchObject({ first_name: "Skipped" });
  });
});

describe("likely duplicates", () => {
  it("a new row that looks like a customer already there says so, as the add-customer form does", async () => {
    await createCustomer(shop.manager, { first_name: "Zelda", last_name: "Quimby", email: "zelda@first.example" });
    const imp = await uploaded(asManager, "zelda.csv", "First Name,Last Name,Email\nZelda,Quimby,zelda@second.example\nUnrelated,Person,unrelated@example.com\n");
    expect(imp.newCount).toBe(2);
    const res = await asManager.graphql(
      `query($id: String!) { customerImportByRowId(rowId: $id) { rows { nodes { rowNo likelyDuplicates { nodes { displayName reasons } } } } } }`,
      { id: imp.rowId },
    );
    const [zelda, unrelated] = res.data.customerImportByRowId.rows.nodes;
    expect(zelda.likelyDuplicates.nodes).toEqual([{ displayName: "Zelda Quimby", reasons: expect.arrayContaining(["Same name"]) }]);
    expect(unrelated.likelyDuplicates.nodes).toEqual([]);
  });
});

describe("encodings and hostile files", () => {
  it("reads UTF-8 with a BOM, UTF-16 and Windows-1252 alike", async () => {
    const text = "First Name,Last Name,Email\nZoë,Müller,zoe.mueller@example.com\n";
    const bom = await uploaded(asManager, "bom.csv", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, "utf8")]));
    expect(bom).toMatchObject({ encoding: "utf-8", header: ["First Name", "Last Name", "Email"], newCount: 1 });
    const utf16 = await uploaded(asManager, "utf16.csv", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]));
    expect(utf16).toMatchObject({ encoding: "utf-16le", newCount: 1 });
    expect((await rowsOf(asManager, utf16.rowId))[0]).toMatchObject({ firstName: "Zoë", lastName: "Müller" });
    const latin = Buffer.from(text.replace("zoe.mueller", "zoe.latin"), "latin1"); // ë and ü are the same bytes in Windows-1252
    const win = await uploaded(asManager, "excel.csv", latin);
    expect(win).toMatchObject({ encoding: "windows-1252", newCount: 1 });
    expect((await rowsOf(asManager, win.rowId))[0]).toMatchObject({ firstName: "Zoë", lastName: "Müller" });
  });

  it("refuses an empty file, binary data and a file over 50 MB with a coded error, and stores nothing", async () => {
    const before = (await db.owner.query("select count(*)::int as n from app_public.customer_imports")).rows[0].n;
    expect(await upload(asManager, "empty.csv", "")).toEqual({ status: 400, body: { error: { code: "BADCS", message: "The file is empty.", field: "file" } } });
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256));
    expect(await upload(asManager, "photo.csv", garbage)).toMatchObject({ status: 400, body: { error: { code: "BADCS" } } });
    const big = Buffer.alloc(60 * 1024 * 1024, "a,b\n");
    expect(await upload(asManager, "big.csv", big)).toMatchObject({ status: 413, body: { error: { code: "TOOBG" } } });
    expect((await db.owner.query("select count(*)::int as n from app_public.customer_imports")).rows[0].n).toBe(before);
  });

  it("a header alone, a first line naming nothing and a quote never closed fail the import with a sentence; one column is a file like any other", async () => {
    const headerOnly = await uploaded(asManager, "header.csv", "First Name,Email\n");
    expect(headerOnly).toMatchObject({ status: "failed", errorCode: "BADCS", errorMessage: "The file has a header line but no customers under it." });
    expect(await rowsOf(asManager, headerOnly.rowId)).toEqual([]);
    const blankHeader = await uploaded(asManager, "blank.csv", ",,\nann@example.com,,\n");
    expect(blankHeader).toMatchObject({ status: "failed", errorCode: "BADCS", errorMessage: "The first line of the file must name its columns." });
    const open = await uploaded(asManager, "open.csv", 'Email,Note\na@example.com,"fine"\nb@example.com,"never closed\nc@example.com,x\n');
    expect(open).toMatchObject({ status: "failed", errorCode: "BADCS" });
    expect(open.errorMessage).toMatch(/^Row 3: a quoted cell is opened and never closed/);
    const oneColumn = await uploaded(asManager, "emails.csv", "Email\none@example.com\ntwo@example.com\n");
    expect(oneColumn).toMatchObject({ status: "ready", mapping: ["email"], newCount: 2 });
  });

  it("cells that look like formulas are stored as text and defused again in the report", async () => {
    const imp = await uploaded(asManager, "formulas.csv", 'First Name,Email\n"=HYPERLINK(""http://x"")",formula@example.com\n+cmd,not-an-email\n');
    expect(imp).toMatchObject({ newCount: 1, invalidCount: 1 });
    expect((await rowsOf(asManager, imp.rowId, "new"))[0].firstName).toBe('=HYPERLINK("http://x")');
    const text = (await report(asManager, imp.reportUrl)).text;
    expect(parseCsv(text.slice(1))[1].slice(1, 3)).toEqual(["'+cmd", "not-an-email"]);
  });
});

describe("who may import", () => {
  it("a cashier may not upload; another business sees neither the import nor its report; committing twice is refused", async () => {
    const denied = await upload(asCashier, "c.csv", "Email\nx@example.com\n");
    expect(denied).toMatchObject({ status: 403, body: { error: { code: "DNIED" } } });
    const imp = await uploaded(asManager, "mine.csv", "Email,First Name\nmine@example.com,Mine\nbad,\n");
    expect((await asOther.graphql(`query($id: String!) { customerImportByRowId(rowId: $id) { rowId } }`, { id: imp.rowId })).data.customerImportByRowId).toBeNull();
    expect((await report(asOther, imp.reportUrl)).status).toBe(404);
    expect((await report(asCashier, imp.reportUrl)).status).toBe(404);
    const stolen = await asOther.graphql(`mutation($id: String!) { commitCustomerImport(input: { importId: $id }) { customerImport { status } } }`, { id: imp.rowId });
    expect(stolen.errors?.[0].extensions?.code).toBe("NOTFD");
    expect((await commit(asManager, imp.rowId)).errors).toBeUndefined();
    const second = await commit(asManager, imp.rowId);
    expect(second.errors?.[0]).toMatchObject({ message: "This import cannot be committed: it is being committed.", extensions: { code: "IMPST" } });
    await work();
    expect(await getImport(asManager, imp.rowId)).toMatchObject({ status: "done", createdCount: 1, failedCount: 1 });
    expect((await db.owner.query("select count(*)::int as n from app_public.customers where email = 'mine@example.com'")).rows[0].n).toBe(1);
  });
});

describe("retention", () => {
  it("the nightly cleanup removes imports older than 30 days with their staged rows, and keeps younger ones and those at work", async () => {
    const old = await uploaded(asManager, "old.csv", "Email\nold@example.com\n");
    const young = await uploaded(asManager, "young.csv", "Email\nyoung@example.com\n");
    const busy = await uploaded(asManager, "busy.csv", "Email\nbusy@example.com\n");
    // Age them (the timestamps trigger keeps created_at, so as the superuser, triggers off).
    const url = new URL(testRootUrl);
    url.pathname = `/${db.name}`;
    const root = new pg.Client(url.toString());
    await root.connect();
    try {
      await root.query("set session_replication_role = replica");
      await root.query("update app_public.customer_imports set created_at = now() - interval '31 days' where id = any($1)", [[old.rowId, busy.rowId]]);
    } finally {
      await root.end();
    }
    await db.owner.query("update app_public.customer_imports set status = 'committing' where id = $1", [busy.rowId]);
    await db.owner.query("select graphile_worker.add_job('export_cleanup', '{}'::json)");
    await runJobsOnce(db, { export_cleanup: taskList.export_cleanup });
    const left = await db.owner.query("select id from app_public.customer_imports where id = any($1) order by file_name", [[old.rowId, young.rowId, busy.rowId]]);
    expect(left.rows.map((r) => r.id)).toEqual([busy.rowId, young.rowId]);
    expect((await db.owner.query("select count(*)::int as n from app_public.customer_import_rows where import_id = $1", [old.rowId])).rows[0].n).toBe(0);
    await db.owner.query("update app_public.customer_imports set status = 'ready' where id = $1", [busy.rowId]);
  });

  it("a file name with control characters is cleaned, never a server error", async () => {
    const res = await upload(asManager, "evil\u0000name\u0007.csv", "Email\nnul@example.com\n");
    expect(res.status).toBe(201);
    expect((await db.owner.query("select file_name from app_public.customer_imports where id = $1", [res.body.importId])).rows[0].file_name).toBe("evilname.csv");
  });
});

describe("a file of several stored chunks", () => {
  it("reads every row when a chunk ends while a batch is being staged (long rows, 2.3 MB)", async () => {
    // 1 KB rows: about a thousand a stored chunk (1 MB), fewer than a staged batch holds.
    const lines = ["Email,First Name,Note"];
    for (let i = 1; i <= 2300; i++) lines.push(`long${i}@example.com,Long ${i},${"x".repeat(980)}`);
    const imp = await uploaded(asManager, "long-rows.csv", lines.join("\n"));
    expect(imp).toMatchObject({ rowsRead: 2300, errorCode: null });
  });
});

describe("a worker killed mid-commit", () => {
  it("resumes at the first row not committed: every customer once, counts exact", async () => {
    const lines = ["Email,First Name"];
    for (let i = 1; i <= 25; i++) lines.push(`crash${i}@example.com,Crash ${i}`);
    lines.push("crash3@example.com,Same as row 4");
    const imp = await uploaded(asManager, "crash.csv", lines.join("\n"));
    expect(imp).toMatchObject({ newCount: 25, fileDuplicateCount: 1 });
    await commit(asManager, imp.rowId);
    // Two batches commit, then the third dies with its connection (as a killed worker's would).
    await db.owner.query("select app_private.commit_customer_import_batch($1, $2, 10)", [shop.tenantId, imp.rowId]);
    const client = await db.owner.connect();
    try {
      await client.query("begin");
      await client.query("select app_private.commit_customer_import_batch($1, $2, 10)", [shop.tenantId, imp.rowId]);
      const pid = (await client.query("select pg_backend_pid() as pid")).rows[0].pid;
      client.on("error", () => {});
      await db.owner.query("select pg_terminate_backend($1, 5000)", [pid]);
    } finally {
      client.release(true);
    }
    expect(await getImport(asManager, imp.rowId)).toMatchObject({ status: "committing", rowsDone: 10 });
    expect((await db.owner.query("select count(*)::int as n from app_public.customers where email like 'crash%'")).rows[0].n).toBe(10);
    // The job runs (again): it goes on where the last batch that committed stopped.
    process.env.CUSTOMER_IMPORT_BATCH_ROWS = "7";
    await work();
    expect(await getImport(asManager, imp.rowId)).toMatchObject({ status: "done", createdCount: 25, failedCount: 1, rowsDone: 25 });
    const made = await db.owner.query("select email, customer_number from app_public.customers where email like 'crash%' order by customer_number");
    expect(made.rows.map((r) => r.email)).toEqual(Array.from({ length: 25 }, (_, i) => `crash${i + 1}@example.com`));
    // Numbers stay gap-free: the killed batch gave its numbers back.
    const numbers = made.rows.map((r) => Number(r.customer_number.slice(5)));
    expect(numbers.at(-1)! - numbers[0]).toBe(24);
    expect((await db.owner.query("select count(*)::int as n from app_private.events where type = 'customer.created.v1' and payload ->> 'email' like 'crash%'")).rows[0].n).toBe(25);
  });
});

describe("round trip", () => {
  it("the customers export of one business imports into another unchanged", async () => {
    const source = await openShop(db, { company: "Source" });
    const target = await openShop(db, { company: "Target" });
    const m = source.manager;
    const zed = await createCustomer(m, { first_name: "=Zed", last_name: "O'Hara, Jr.", email: "zed@example.com", phone: "+447700900123", tags: ["VIP", "Wholesale"], notes: "Line one\nline two, \"quoted\"" });
    await m.query("select app_public.set_customer_contact_channel($1, 'email', true, 'pos')", [zed.id]);
    await m.query("select app_public.set_customer_contact_channel($1, 'sms', false, 'online')", [zed.id]);
    await m.query("insert into app_public.customer_addresses (customer_id, line1, line2, city, region, postal_code, country, is_default) values ($1, '1 High St', 'Flat 2', 'London', 'Greater London', 'SW1A 1AA', 'GB', true)", [zed.id]);
    await createCustomer(m, { first_name: "Ünal", email: "unal@example.com" });
    await createCustomer(m, { phone: "+33612340000" });

    const requested = (await m.query("select * from reporting.request_export('customers', '{\"status\": \"active\"}')")).rows[0];
    await runJobsOnce(db, { export_csv: taskList.export_csv });
    const chunks = await db.owner.query("select data from app_private.export_chunks where export_id = $1 order by chunk_no", [requested.id]);
    const file = Buffer.concat(chunks.rows.map((r) => r.data));
    expect(file.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));

    const asTarget = server.client();
    await asTarget.login(target.manager.email, target.manager.password);
    const imp = await uploaded(asTarget, requested.file_name, file);
    expect(imp).toMatchObject({ status: "ready", newCount: 3, invalidCount: 0 });
    const mapped = Object.fromEntries(imp.header.map((h: string, i: number) => [h, imp.mapping[i]]));
    expect(mapped).toMatchObject({
      customer_number: null, first_name: "first_name", last_name: "last_name", email: "email", phone: "phone", tags: "tags",
      about: "about", accepts_email_marketing: "email_consent", email_marketing_source: null, accepts_sms_marketing: "sms_consent",
      address_line1: "address_line1", address_line2: "address_line2", city: "city", region: "region", postal_code: "postal_code",
      country: "country", visits: null, total_spend: null, may_email: null,
    });
    expect((await commit(asTarget, imp.rowId)).errors).toBeUndefined();
    await work();
    expect(await getImport(asTarget, imp.rowId)).toMatchObject({ status: "done", createdCount: 3, failedCount: 0 });

    const profile = async (tenant: string) =>
      (
        await db.owner.query(
          `select c.first_name, c.last_name, c.email, c.phone, c.notes, c.tags,
                  (select jsonb_object_agg(x.channel, x.allowed) from app_public.customer_contact_channels x where x.customer_id = c.id) as channels,
                  (select jsonb_build_object('line1', a.line1, 'line2', a.line2, 'city', a.city, 'region', a.region, 'postal_code', a.postal_code, 'country', a.country)
                   from app_public.customer_addresses a where a.customer_id = c.id and a.is_default) as address
           from app_public.customers c where c.tenant_id = $1 order by c.email nulls last, c.phone`,
          [tenant],
        )
      ).rows;
    const before = await profile(source.tenantId);
    expect(before[1]).toMatchObject({ first_name: "=Zed", channels: { email: true, sms: false }, address: { city: "London" } });
    expect(await profile(target.tenantId)).toEqual(before);
  });
});
