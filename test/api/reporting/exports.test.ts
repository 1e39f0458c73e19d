// CSV exports end to end: requestExport over GraphQL, the worker (runOnce, as in production), the
// export polled over GraphQL, then GET /exports/:id — text/csv with a filename, only for members
// of the exporting tenant with reports.export, and 404 for everybody and everything else.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { taskList } from "../../../worker/tasks/index.ts";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.ts";
import { startTestServer, type HttpClient, type TestServer } from "../../helpers/server.ts";
import { runJobsOnce } from "../../helpers/worker.ts";
import { line, openReportingShop, placeOrder, type ReportingShop } from "../../db/reporting/helpers.ts";
import { csvObjects, withoutBom } from "../../worker/reporting/csv.ts";

let db: TestDatabase;
let server: TestServer;
let shop: ReportingShop;
let other: ReportingShop;
let asManager: HttpClient;
let asOwner: HttpClient;
let asCashier: HttpClient;
let asOther: HttpClient;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db);
  shop = await openReportingShop(db, { items: [{ sku: "TEA", name: "Tea, green", price: 300 }] });
  other = await openReportingShop(db, { items: [{ sku: "TEA", price: 100 }] });
  await placeOrder(shop.owner, shop.locationId, [line(shop.item.TEA, 3)], { placedAt: "2025-08-01T10:00:00Z" });
  asManager = server.client();
  asOwner = server.client();
  asCashier = server.client();
  asOther = server.client();
  await asManager.login(shop.manager.email, shop.manager.password);
  await asOwner.login(shop.owner.email, shop.owner.password);
  await asCashier.login(shop.cashier.email, shop.cashier.password);
  await asOther.login(other.owner.email, other.owner.password);
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

const REQUEST = `mutation($kind: ExportKind!, $params: JSON) {
  requestExport(input: { kind: $kind, params: $params }) { export { id rowId kind status fileName downloadUrl rowsWritten } }
}`;
const POLL = `query($id: String!) { exportByRowId(rowId: $id) { status rowsTotal rowsWritten bytesWritten downloadUrl fileName errorMessage } }`;

const runWorker = () => runJobsOnce(db, { export_csv: taskList.export_csv });

describe("CSV exports", () => {
  let exportId: string;

  it("requestExport queues the export; the worker writes it; the admin polls its progress and gets a download URL", async () => {
    const res = await asManager.graphql(REQUEST, { kind: "item_sales", params: { from: "2025-08-01", to: "2025-08-31" } });
    expect(res.errors).toBeUndefined();
    const requested = res.data.requestExport.export;
    expect(requested).toMatchObject({ kind: "item_sales", status: "pending", fileName: "item-sales_2025-08-01_2025-08-31.csv", downloadUrl: null, rowsWritten: "0" });
    exportId = requested.rowId;
    expect((await asManager.request(`/exports/${exportId}`)).status).toBe(404); // not written yet

    await runWorker();
    const polled = (await asManager.graphql(POLL, { id: exportId })).data.exportByRowId;
    expect(polled).toMatchObject({ status: "done", rowsTotal: "1", rowsWritten: "1", downloadUrl: `/exports/${exportId}`, errorMessage: null });
    expect(Number(polled.bytesWritten)).toBeGreaterThan(50);
  });

  it("GET /exports/:id streams the file as text/csv with its filename", async () => {
    const res = await asManager.request(`/exports/${exportId}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="item-sales_2025-08-01_2025-08-31.csv"');
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    // The bytes, not res.text(): decoding UTF-8 drops the byte order mark the file starts with.
    const body = Buffer.from(await res.arrayBuffer());
    expect(res.headers.get("content-length")).toBe(String(body.length));
    const text = withoutBom(body);
    expect(csvObjects(text)).toEqual([
      { item: "Tea, green", sku: "TEA", quantity_sold: "3", currency: "USD", gross_revenue: "9.00", net_revenue: "9.00", avg_unit_price: "3.00" },
    ]);
    expect(text).toContain('"Tea, green"');
    // Any member of the tenant with reports.export may download it, not only the one who asked.
    expect((await asOwner.request(`/exports/${exportId}`)).status).toBe(200);
  });

  it("is 404 for another tenant's member, a member without reports.export, anonymous callers, unknown ids and other methods", async () => {
    expect((await asOther.request(`/exports/${exportId}`)).status).toBe(404);
    expect((await asCashier.request(`/exports/${exportId}`)).status).toBe(404);
    expect((await server.client().request(`/exports/${exportId}`)).status).toBe(404);
    expect((await asManager.request("/exports/01HZZZZZZZZZZZZZZZZZZZZZZZ")).status).toBe(404);
    expect((await asManager.request("/exports/not-an-id")).status).toBe(404);
    expect((await asManager.request(`/exports/${exportId}`, { method: "DELETE" })).status).toBe(404);
    const body = await (await asOther.request(`/exports/${exportId}`)).json();
    expect(body).toEqual({ error: { code: "NOTFD", message: "Not found." } });
    // Nor does another tenant see it in GraphQL.
    expect((await asOther.graphql(POLL, { id: exportId })).data.exportByRowId).toBeNull();
  });

  it("a cashier cannot request exports; bad parameters come back coded", async () => {
    const denied = await asCashier.graphql(REQUEST, { kind: "customers" });
    expect(denied.errors?.[0].extensions?.code).toBe("DNIED");
    const bad = await asManager.graphql(REQUEST, { kind: "daily_sales", params: { from: "yesterday", to: "2025-08-01" } });
    expect(bad.errors?.[0]).toMatchObject({ message: "from must be a date such as 2025-03-01.", extensions: { code: "BADIN" } });
  });

  it("a member of a suspended business is told so (403 TSUSP), as everywhere else; others still get 404", async () => {
    await db.owner.query("select app_private.suspend_tenant_for_billing($1, 'nonpayment')", [shop.tenantId]);
    try {
      const res = await asManager.request(`/exports/${exportId}`);
      expect(res.status).toBe(403);
      expect((await res.json()).error).toMatchObject({ code: "TSUSP" });
      expect((await asOther.request(`/exports/${exportId}`)).status).toBe(404);
      expect((await asCashier.request(`/exports/${exportId}`)).status).toBe(404);
    } finally {
      await db.owner.query("select app_private.reactivate_tenant_for_billing($1)", [shop.tenantId]);
    }
    expect((await asManager.request(`/exports/${exportId}`)).status).toBe(200);
  });
});
