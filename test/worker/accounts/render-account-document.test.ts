// Account documents through the worker (migrations/fixtures/accounts/750-documents.sql +
// worker/tasks/render-account-document.ts), run with graphile-worker's runOnce as in production:
// a company buys on account, is invoiced, and the invoice's PDF — queued by the invoice itself —
// is stored as chunks and reads back with its number, total and due date; running the job again
// changes nothing; voiding the invoice writes it again saying VOID; a statement asked for reads
// back with the same balances as Query.accountStatement; GET /account-documents/:id serves the
// PDF to members with accounts.view only.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { taskList } from "../../../worker/tasks/index.ts";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.ts";
import { startTestServer } from "../../helpers/server.ts";
import { runJobsOnce } from "../../helpers/worker.ts";
import { SESSION_COOKIE } from "../../../web/server/session.ts";
import { openShop, type Shop } from "../../db/customers/helpers.ts";
import { pdfText } from "./pdf-text.ts";

let db: TestDatabase;
let shop: Shop;
let acme: { id: string };
let account: { account_number: string };
let orders: { id: string; total: number; business_date: string }[];

/** A sale of `quantity` coffees (10.00 each, 8.25% tax added) put on the customer's account by the cashier. */
async function sellOnAccount(quantity: number) {
  const { rows } = await shop.cashier.query("select * from app_public.place_order($1, $2::jsonb, $3, 0, null)", [
    shop.locationId,
    JSON.stringify([{ catalog_item_id: shop.itemId, quantity }]),
    acme.id,
  ]);
  await shop.cashier.query("select app_public.record_tender($1, 'account', $2)", [rows[0].id, rows[0].total]);
  return (await shop.owner.query("select id, total, business_date::text from app_public.orders where id = $1", [rows[0].id])).rows[0];
}

const runWorker = () => runJobsOnce(db, { render_account_document: taskList.render_account_document });
const documentRow = async (id: string) => (await db.owner.query("select * from app_public.account_documents where id = $1", [id])).rows[0];
async function fileOf(id: string): Promise<Buffer> {
  const { rows } = await db.owner.query("select data from app_private.account_document_chunks where document_id = $1 order by chunk_no", [id]);
  return Buffer.concat(rows.map((r) => r.data as Buffer));
}
const jobsFor = async (id: string) =>
  (await db.owner.query("select count(*)::int as n from graphile_worker.jobs where task_identifier = 'render_account_document' and key = $1", [
    `render_account_document:${id}`,
  ])).rows[0].n as number;

beforeAll(async () => {
  db = await createTestDatabase();
  shop = await openShop(db, { country: "US", company: "Corner Café" });
  await shop.owner.query("update app_public.tenants set tax_rate_bps = 825, receipt_address = '1 Main Street, Springfield'");
  const { rows } = await shop.manager.query(
    "select * from app_public.create_customer(kind => 'company', company_name => 'Acme Offices', email => 'ap@acme.example', tax_id => 'US-99-1234567')",
  );
  acme = rows[0];
  await shop.manager.query(
    "insert into app_public.customer_addresses (customer_id, type, line1, city, postal_code, country, is_default) values ($1, 'billing', '12 Elm Street', 'Springfield', '62704', 'US', true)",
    [acme.id],
  );
  account = (await shop.owner.query("select * from app_public.open_customer_account($1, 1000000, 30, 'Office coffee, monthly')", [acme.id])).rows[0];
  orders = [await sellOnAccount(2), await sellOnAccount(3)];
});
afterAll(() => db?.drop());
afterEach(() => {
  delete process.env.EXPORT_CHUNK_BYTES;
});

describe("render_account_document", () => {
  let invoice: { id: string; invoice_number: string; total: string; due_on: string; issued_on: string };
  let documentId: string;

  it("writes the PDF of an invoice as it is made: its number, total and due date as the business writes them", async () => {
    invoice = (await shop.manager.query("select *, due_on::text, issued_on::text from app_public.invoice_customer_account($1)", [acme.id])).rows[0];
    expect(Number(invoice.total)).toBe(orders[0].total + orders[1].total);
    const doc = (await shop.manager.query("select (app_public.account_invoices_document(i)).* from app_public.account_invoices i where i.id = $1", [invoice.id]))
      .rows[0];
    expect(doc).toMatchObject({ kind: "invoice", status: "pending", invoice_id: invoice.id, file_name: `invoice_${invoice.invoice_number.toLowerCase()}.pdf` });
    documentId = doc.id;
    expect(await jobsFor(documentId)).toBe(1);

    await runWorker();
    const done = await documentRow(documentId);
    const pdf = await fileOf(documentId);
    expect(done).toMatchObject({ status: "done", chunk_count: 1, byte_size: String(pdf.length), error: null });
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");

    const { text } = await pdfText(pdf);
    expect(text).toContain(invoice.invoice_number);
    // 5 coffees at $10.00 and 8.25% tax: $54.13 (two sales: $21.65 + $32.48).
    expect(Number(invoice.total)).toBe(5413);
    expect(text).toContain("Total $54.13");
    const due = new Date(`${invoice.due_on}T00:00:00Z`).toLocaleDateString("en-US", { month: "short", day: "numeric", year: "numeric", timeZone: "UTC" });
    expect(text).toContain(`Due ${due}`);
    for (const s of ["Corner Café", "1 Main Street, Springfield", "Acme Offices", account.account_number, "12 Elm Street", "62704 Springfield", "Tax ID US991234567"]) {
      expect(text).toContain(s);
    }
    expect(text).toContain("$20.00 8.25% $1.65 $21.65");
    expect(text).toContain("$30.00 8.25% $2.48 $32.48");
    expect(text).toContain("Amount due $54.13");
    expect(text).not.toContain("VOID");
  });

  it("is safe to run again: no second job, the same file", async () => {
    const before = await fileOf(documentId);
    await db.owner.query("select graphile_worker.add_job('render_account_document', json_build_object('tenantId', $1::text, 'documentId', $2::text))", [
      shop.tenantId,
      documentId,
    ]);
    await runWorker();
    expect((await fileOf(documentId)).equals(before)).toBe(true);
    expect(await documentRow(documentId)).toMatchObject({ status: "done", chunk_count: 1 });
    expect(await jobsFor(documentId)).toBe(0);
    // One document per invoice.
    const { rows } = await db.owner.query("select count(*)::int as n from app_public.account_documents where invoice_id = $1", [invoice.id]);
    expect(rows[0].n).toBe(1);
  });

  it("writes it again saying VOID, with the reason, when the invoice is voided", async () => {
    await shop.manager.query("select app_public.void_account_invoice($1, 'Billed to the wrong account')", [invoice.id]);
    expect(await documentRow(documentId)).toMatchObject({ status: "pending", revision: 1 });
    expect(await jobsFor(documentId)).toBe(1);
    await runWorker();
    expect(await documentRow(documentId)).toMatchObject({ status: "done" });
    const { text } = await pdfText(await fileOf(documentId));
    expect(text).toContain(invoice.invoice_number);
    expect(text).toContain("INVOICE (VOID)");
    expect(text).toContain("Billed to the wrong account");
    expect(text).toContain("Amount due (void) $0.00");
  });

  it("does not mark done a document asked for again while it was being written", async () => {
    const next = (await shop.manager.query("select * from app_public.invoice_customer_account($1)", [acme.id])).rows[0];
    const doc = (await db.owner.query("select * from app_public.account_documents where invoice_id = $1", [next.id])).rows[0];
    // A run that started before the invoice was voided (revision 0), finishing after it.
    const started = (await db.owner.query("select app_private.start_account_document($1, $2) as job", [shop.tenantId, doc.id])).rows[0].job;
    await shop.manager.query("select app_public.void_account_invoice($1, 'Duplicate')", [next.id]);
    await db.owner.query("select app_private.write_account_document_chunk($1, $2, 0, '\\x25504446'::bytea)", [shop.tenantId, doc.id]);
    const fin = await db.owner.query("select app_private.finish_account_document($1, $2, $3, 1, 4) as ok", [shop.tenantId, doc.id, started.revision]);
    expect(fin.rows[0].ok).toBe(false);
    expect(await documentRow(doc.id)).toMatchObject({ status: "pending" });
    await runWorker();
    const { text } = await pdfText(await fileOf(doc.id));
    expect(text).toContain("VOID");
    expect(text).toContain(next.invoice_number);
  });

  it("writes a statement with the same balances and lines as accountStatement, to the cent, in chunks that change no byte", async () => {
    const third = await sellOnAccount(1);
    await shop.manager.query("select app_public.record_account_payment($1, 2000, 'bank_transfer', 'Wire 7781', null)", [acme.id]);
    const from = orders[0].business_date;
    const until = third.business_date;
    const requested = (await shop.manager.query("select * from app_public.request_account_statement($1, $2, $3)", [acme.id, from, until])).rows[0];
    expect(requested).toMatchObject({ kind: "statement", status: "pending", customer_id: acme.id });
    expect(requested.file_name).toBe(`statement_${account.account_number.toLowerCase()}_${from}_${until}.pdf`);
    // Asked again while it is being written: the same one.
    const again = (await shop.manager.query("select * from app_public.request_account_statement($1, $2, $3)", [acme.id, from, until])).rows[0];
    expect(again.id).toBe(requested.id);

    process.env.EXPORT_CHUNK_BYTES = "1000";
    await runWorker();
    const done = await documentRow(requested.id);
    const pdf = await fileOf(requested.id);
    expect(done).toMatchObject({ status: "done", byte_size: String(pdf.length) });
    expect(done.chunk_count).toBe(Math.ceil(pdf.length / 1000));
    expect(done.chunk_count).toBeGreaterThan(1);

    const { text } = await pdfText(pdf);
    const screen = (await shop.manager.query("select *, line_date::text from app_public.account_statement($1, $2, $3)", [acme.id, from, until])).rows;
    const money = (cents: string | null) => (cents == null ? "" : `${Number(cents) < 0 ? "-" : ""}$${(Math.abs(Number(cents)) / 100).toFixed(2)}`);
    expect(screen[0].kind).toBe("opening");
    expect(text).toContain(`Opening balance ${money(screen[0].balance)}`);
    expect(text).toContain(`Closing balance ${money(screen.at(-1).balance)}`);
    // Every entry's reference, debit or credit and running balance, in order.
    let at = 0;
    for (const line of screen.slice(1, -1)) {
      const amounts = [money(line.debit), money(line.credit), money(line.balance)].filter(Boolean).join(" ");
      const found = text.indexOf(amounts, at);
      expect(found, `${line.kind} ${line.reference} ${amounts}`).toBeGreaterThan(at);
      at = found;
    }
    expect(text).toContain("Wire 7781");
    expect(text).toContain("Payment, bank transfer Wire 7781 $20.00 $44.96");
    // $54.13 and $10.83 sold, $20.00 paid: $44.96 owed (voiding the invoices took nothing off).
    expect(screen.at(-1).balance).toBe(String(5413 + third.total - 2000));
    expect(text).toContain("Closing balance $44.96");
  });

  it("downloads from GET /account-documents/:id for members with accounts.view only", async () => {
    const server = await startTestServer(db);
    try {
      const get = (sessionId: string | null, id = documentId) =>
        fetch(`${server.url}/account-documents/${id}`, { headers: sessionId ? { cookie: `${SESSION_COOKIE}=${sessionId}` } : {} });
      for (const who of [shop.owner.sessionId, shop.manager.sessionId]) {
        const ok = await get(who);
        expect(ok.status).toBe(200);
        expect(ok.headers.get("content-type")).toBe("application/pdf");
        expect(ok.headers.get("content-disposition")).toBe(`attachment; filename="${(await documentRow(documentId)).file_name}"`);
        expect(Buffer.from(await ok.arrayBuffer()).equals(await fileOf(documentId))).toBe(true);
      }
      // A cashier (no accounts.view), nobody, another business's owner, an id nobody has: the same 404.
      for (const who of [shop.cashier.sessionId, null, (await openShop(db)).owner.sessionId]) {
        expect((await get(who)).status).toBe(404);
      }
      expect((await get(shop.owner.sessionId, "01J0000000000000000000000Z")).status).toBe(404);

      // Over GraphQL, what the screens read: the invoice's document and where to download it; a statement asked for.
      const manager = server.client();
      expect((await manager.login(shop.manager.email, shop.manager.password)).status).toBe(200);
      const { data, errors } = await manager.graphql(
        `query ($id: String!) { accountInvoiceByRowId(rowId: $id) { invoiceNumber document { kind status fileName downloadUrl } } }`,
        { id: invoice.id },
      );
      expect(errors).toBeUndefined();
      expect(data.accountInvoiceByRowId).toEqual({
        invoiceNumber: invoice.invoice_number,
        document: { kind: "invoice", status: "done", fileName: `invoice_${invoice.invoice_number.toLowerCase()}.pdf`, downloadUrl: `/account-documents/${documentId}` },
      });
      const asked = await manager.graphql(
        `mutation ($c: String!, $f: Date!, $u: Date!) { requestAccountStatement(input: { customerId: $c, fromDate: $f, untilDate: $u }) { accountDocument { rowId kind status periodFrom periodUntil downloadUrl } } }`,
        { c: acme.id, f: "2026-01-01", u: "2026-01-31" },
      );
      expect(asked.errors).toBeUndefined();
      expect(asked.data.requestAccountStatement.accountDocument).toMatchObject({ kind: "statement", status: "pending", periodFrom: "2026-01-01", periodUntil: "2026-01-31", downloadUrl: null });
      const cashier = server.client();
      expect((await cashier.login(shop.cashier.email, shop.cashier.password)).status).toBe(200);
      const refused = await cashier.graphql(
        `mutation ($c: String!) { requestAccountStatement(input: { customerId: $c, fromDate: "2026-01-01", untilDate: "2026-01-31" }) { accountDocument { rowId } } }`,
        { c: acme.id },
      );
      expect(refused.errors?.[0]?.extensions?.code).toBe("DNIED");
    } finally {
      await server.close();
    }
  });
});
