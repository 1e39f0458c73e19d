// The rules of account documents (migrations/fixtures/accounts/750-documents.sql), without the
// worker: every invoice queues its PDF once, whichever path made it; a statement is asked for
// with accounts.view only, for an account and a sensible range; only members with accounts.view
// see documents or get a file, and only of their own business; statements expire, invoices' PDFs
// stay.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.ts";
import { openShop, type Shop } from "../customers/helpers.ts";

let db: TestDatabase;
let shop: Shop;
let other: Shop;
let acme: { id: string };
let plain: { id: string };
let invoiceId: string;
let invoiceDocId: string;

async function sellOnAccount(s: Shop, customerId: string, quantity = 1) {
  const { rows } = await s.cashier.query("select * from app_public.place_order($1, $2::jsonb, $3, 0, null)", [
    s.locationId,
    JSON.stringify([{ catalog_item_id: s.itemId, quantity }]),
    customerId,
  ]);
  await s.cashier.query("select app_public.record_tender($1, 'account', $2)", [rows[0].id, rows[0].total]);
}

/** Marks a document done with a one-chunk file, as the worker would. */
async function finishAsWorker(tenantId: string, id: string, bytes = Buffer.from("%PDF-1.7 test")) {
  const job = (await db.owner.query("select app_private.start_account_document($1, $2) as job", [tenantId, id])).rows[0].job;
  await db.owner.query("select app_private.write_account_document_chunk($1, $2, 0, $3)", [tenantId, id, bytes]);
  await db.owner.query("select app_private.finish_account_document($1, $2, $3, 1, $4)", [tenantId, id, job.revision, bytes.length]);
  return job;
}

const jobs = async (id: string) =>
  (await db.owner.query("select count(*)::int as n from graphile_worker.jobs where key = $1", [`render_account_document:${id}`])).rows[0].n as number;

beforeAll(async () => {
  db = await createTestDatabase();
  shop = await openShop(db);
  other = await openShop(db);
  acme = (await shop.manager.query("select * from app_public.create_customer(kind => 'company', company_name => 'Acme Offices')")).rows[0];
  plain = (await shop.manager.query("select * from app_public.create_customer(first_name => 'Walk', last_name => 'In')")).rows[0];
  await shop.owner.query("select app_public.open_customer_account($1, 500000, 30, 'Monthly office orders')", [acme.id]);
  await sellOnAccount(shop, acme.id, 2);
  invoiceId = (await shop.manager.query("select id from app_public.invoice_customer_account($1)", [acme.id])).rows[0].id;
  invoiceDocId = (await db.owner.query("select id from app_public.account_documents where invoice_id = $1", [invoiceId])).rows[0].id;
});
afterAll(() => db?.drop());

describe("invoice documents", () => {
  it("are made and queued once with each invoice, by the monthly run as by a member", async () => {
    const doc = (await db.owner.query("select * from app_public.account_documents where id = $1", [invoiceDocId])).rows[0];
    expect(doc).toMatchObject({ kind: "invoice", status: "pending", customer_id: acme.id, expires_at: null, requested_by_user_id: shop.manager.userId });
    expect(await jobs(invoiceDocId)).toBe(1);

    // The monthly run (as the worker: no session), next month: today's sale is of an earlier month.
    await sellOnAccount(shop, acme.id);
    await db.owner.query("select app_private.run_monthly_invoicing(date_trunc('month', now()) + interval '1 month 5 days')");
    const monthly = (await db.owner.query("select i.id, i.source from app_public.account_invoices i where i.tenant_id = $1 and i.id <> $2", [shop.tenantId, invoiceId]))
      .rows;
    expect(monthly.map((i) => i.source)).toEqual(["monthly"]);
    const docs = (await db.owner.query("select * from app_public.account_documents where invoice_id = $1", [monthly[0].id])).rows;
    expect(docs).toHaveLength(1);
    expect(docs[0].requested_by_user_id).toBeNull();
    expect(await jobs(docs[0].id)).toBe(1);
  });

  it("show on the invoice (AccountInvoice.document) to members with accounts.view only", async () => {
    const read = (who: Shop["owner"]) =>
      who.query("select (app_public.account_invoices_document(i)).id from app_public.account_invoices i where i.id = $1", [invoiceId]);
    expect((await read(shop.manager)).rows).toEqual([{ id: invoiceDocId }]);
    expect((await read(shop.cashier)).rows).toEqual([]);
    expect((await shop.cashier.query("select * from app_public.account_documents")).rows).toEqual([]);
    // A forged invoice row of this business, asked for by another business's owner: nothing.
    const forged = await other.owner.query(
      "select (app_public.account_invoices_document(jsonb_populate_record(null::app_public.account_invoices, $1::jsonb))).id as id",
      [JSON.stringify({ tenant_id: shop.tenantId, id: invoiceId })],
    );
    expect(forged.rows).toEqual([{ id: null }]);
  });

  it("give a file, once done, to members with accounts.view of the business only", async () => {
    const file = (who: Shop["owner"], id = invoiceDocId) => who.query("select * from app_hidden.account_document_file($1)", [id]);
    expect((await file(shop.owner)).rows).toEqual([]); // not written yet
    await finishAsWorker(shop.tenantId, invoiceDocId);
    const { rows } = await file(shop.owner);
    expect(rows).toEqual([{ file_name: expect.stringMatching(/^invoice_inv-\d{4}-\d{5}\.pdf$/), byte_size: "13", chunk_count: 1 }]);
    expect((await file(shop.manager)).rows).toHaveLength(1);
    const chunk = (who: Shop["owner"]) => who.query("select app_hidden.account_document_chunk($1, 0) as data", [invoiceDocId]);
    expect((await chunk(shop.manager)).rows[0].data.toString()).toBe("%PDF-1.7 test");

    // No accounts.view (a cashier), another business's owner, an anonymous visitor: nothing.
    for (const who of [shop.cashier, other.owner, db.asAnonymous()]) {
      expect((await file(who as Shop["owner"])).rows).toEqual([]);
      expect((await chunk(who as Shop["owner"])).rows[0].data).toBeNull();
    }
    // The download URL, for those who can see the document.
    const url = await shop.manager.query("select app_public.account_documents_download_url(d) as url from app_public.account_documents d where id = $1", [invoiceDocId]);
    expect(url.rows[0].url).toBe(`/account-documents/${invoiceDocId}`);
  });
});

describe("requestAccountStatement", () => {
  const today = () => new Date().toISOString().slice(0, 10);

  it("needs accounts.view", async () => {
    await expect(shop.cashier.query("select * from app_public.request_account_statement($1, $2, $3)", [acme.id, "2026-01-01", today()])).rejects.toMatchObject({
      code: "DNIED",
    });
  });

  it("needs an account of the business, and a range of at most 5 years, not backwards", async () => {
    const ask = (who: Shop["owner"], customer: string, from: string | null, until: string | null) =>
      who.query("select * from app_public.request_account_statement($1, $2, $3)", [customer, from, until]);
    await expect(ask(shop.manager, plain.id, "2026-01-01", "2026-01-31")).rejects.toMatchObject({ code: "NOACC" });
    await expect(ask(other.owner, acme.id, "2026-01-01", "2026-01-31")).rejects.toMatchObject({ code: "NOACC" });
    await expect(ask(shop.manager, acme.id, "2026-02-01", "2026-01-31")).rejects.toMatchObject({ code: "BADIN" });
    await expect(ask(shop.manager, acme.id, null, "2026-01-31")).rejects.toMatchObject({ code: "BADIN" });
    await expect(ask(shop.manager, acme.id, "2019-01-01", "2026-01-31")).rejects.toMatchObject({ code: "BADIN" });
    const { rows } = await db.owner.query("select count(*)::int as n from app_public.account_documents where kind = 'statement'");
    expect(rows[0].n).toBe(0);
  });

  it("queues a statement kept 7 days; the same range asked again while pending is the same one", async () => {
    const first = (await shop.manager.query("select * from app_public.request_account_statement($1, $2, $3)", [acme.id, "2026-01-01", today()])).rows[0];
    expect(first).toMatchObject({ kind: "statement", status: "pending", period_from: expect.any(Date), requested_by_user_id: shop.manager.userId });
    expect(new Date(first.expires_at).getTime() - new Date(first.created_at).getTime()).toBe(7 * 24 * 3600 * 1000);
    expect(await jobs(first.id)).toBe(1);
    const again = (await shop.owner.query("select * from app_public.request_account_statement($1, $2, $3)", [acme.id, "2026-01-01", today()])).rows[0];
    expect(again.id).toBe(first.id);
    expect(await jobs(first.id)).toBe(1);

    // Done, then past its 7 days: no file, and the nightly cleanup takes it (the invoice's PDF stays).
    await finishAsWorker(shop.tenantId, first.id);
    expect((await shop.manager.query("select * from app_hidden.account_document_file($1)", [first.id])).rows).toHaveLength(1);
    await db.owner.query("update app_public.account_documents set expires_at = now() - interval '1 second' where id = $1", [first.id]);
    expect((await shop.manager.query("select * from app_hidden.account_document_file($1)", [first.id])).rows).toEqual([]);
    const removed = await db.owner.query("select app_private.delete_expired_account_documents() as n");
    expect(removed.rows[0].n).toBe(1);
    expect((await db.owner.query("select count(*)::int as n from app_private.account_document_chunks where document_id = $1", [first.id])).rows[0].n).toBe(0);
    expect((await db.owner.query("select count(*)::int as n from app_public.account_documents where id = $1", [invoiceDocId])).rows[0].n).toBe(1);
  });

  it("of an erased customer go at once; its invoices' PDFs stay with the invoices", async () => {
    const statement = (await shop.manager.query("select * from app_public.request_account_statement($1, $2, $3)", [acme.id, "2026-01-01", today()])).rows[0];
    const owed = (await db.owner.query("select app_hidden.account_balance($1, $2) as b", [shop.tenantId, acme.id])).rows[0].b;
    await shop.owner.query("select app_public.record_account_payment($1, $2, 'cash', null, null)", [acme.id, owed]);
    await shop.owner.query("select app_public.erase_customer($1, 'Asked by mail')", [acme.id]);
    const left = await db.owner.query("select kind from app_public.account_documents where customer_id = $1 order by kind", [acme.id]);
    expect(left.rows.map((r) => r.kind)).not.toContain("statement");
    expect(left.rows.length).toBeGreaterThan(0);
    expect((await db.owner.query("select count(*)::int as n from app_public.account_documents where id = $1", [statement.id])).rows[0].n).toBe(0);
  });
});
