// Masked phones over GraphQL, through the real server: a manager (customers.view_contact) reads a
// customer's phone in full, a cashier as +968 •••• 3456, and the cashier has no other way to the
// number: no filter or order on the stored column, the list's phone column compares the masked
// value, the search takes the whole number only, and the customers export is refused.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.ts";
import { startTestServer, type HttpClient, type TestServer } from "../../helpers/server.ts";
import { openShop, type Shop } from "../../db/customers/helpers.ts";

let db: TestDatabase;
let server: TestServer;
let shop: Shop;
let asManager: HttpClient, asCashier: HttpClient;
let salimId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db);
  shop = await openShop(db, { country: "OM" });
  asManager = server.client();
  asCashier = server.client();
  await asManager.login(shop.manager.email, shop.manager.password);
  await asCashier.login(shop.cashier.email, shop.cashier.password);
  const { rows } = await shop.manager.query(
    "select id from app_public.create_customer(first_name => 'Salim', last_name => 'Al Abri', phone => '9123 3456', alt_name => 'سالم العبري')",
  );
  salimId = rows[0].id;
  await shop.manager.query(
    "select app_public.create_customer(kind => 'company', company_name => 'Bahwan Trading')",
  );
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

describe("masked phones over GraphQL", () => {
  it("a manager reads the phone in full, a cashier as +968 •••• 3456, in the profile, the list and the search", async () => {
    const read = (client: HttpClient) =>
      client.graphql(
        `query($id: String!) { customerByRowId(rowId: $id) { phone altName } customerRows(condition: {rowId: $id}) { nodes { phone altName } } searchCustomers(q: "salim") { phone } }`,
        { id: salimId },
      );
    const manager = await read(asManager);
    expect(manager.errors).toBeUndefined();
    expect(manager.data).toEqual({
      customerByRowId: { phone: "+96891233456", altName: "سالم العبري" },
      customerRows: { nodes: [{ phone: "+96891233456", altName: "سالم العبري" }] },
      searchCustomers: [{ phone: "+96891233456" }],
    });
    const cashier = await read(asCashier);
    expect(cashier.errors).toBeUndefined();
    expect(cashier.data).toEqual({
      customerByRowId: { phone: "+968 •••• 3456", altName: "سالم العبري" },
      customerRows: { nodes: [{ phone: "+968 •••• 3456", altName: "سالم العبري" }] },
      searchCustomers: [{ phone: "+968 •••• 3456" }],
    });
  });

  it("the cashier cannot filter or order customers by the stored phone, and the list's phone condition compares the masked value", async () => {
    const byCondition = await asCashier.graphql(`{ customers(condition: {phone: "+96891233456"}) { nodes { rowId } } }`);
    expect(byCondition.errors?.[0]?.message).toMatch(/phone/);
    const byFilter = await asCashier.graphql(`{ customers(filter: {phone: {startsWith: "+9689"}}) { nodes { rowId } } }`);
    expect(byFilter.errors?.[0]?.message).toMatch(/phone/);
    const byOrder = await asCashier.graphql(`{ customers(orderBy: [PHONE_ASC]) { nodes { rowId } } }`);
    expect(byOrder.errors?.[0]?.message).toMatch(/PHONE_ASC/);
    const rows = await asCashier.graphql(`{ customerRows(condition: {phone: "+96891233456"}) { nodes { rowId } } }`);
    expect(rows.errors).toBeUndefined();
    expect(rows.data.customerRows.nodes).toEqual([]);
    // The manager's own condition on the list still finds by the number.
    const managerRows = await asManager.graphql(`{ customerRows(condition: {phone: "+96891233456"}) { nodes { rowId } } }`);
    expect(managerRows.data.customerRows.nodes).toEqual([{ rowId: salimId }]);
  });

  it("the cashier's search finds by the whole number only; likely duplicates mask it too", async () => {
    const search = async (q: string) =>
      ((await asCashier.graphql(`query($q: String!) { searchCustomers(q: $q) { rowId } }`, { q })).data.searchCustomers as { rowId: string }[]).map(
        (c) => c.rowId,
      );
    expect(await search("9123 3456")).toEqual([salimId]);
    expect(await search("+96891233456")).toEqual([salimId]);
    for (const part of ["9123", "+968912", "33456", "123 34"]) expect([part, await search(part)]).toEqual([part, []]);
    const dup = await asCashier.graphql(`{ likelyDuplicates(firstName: "Salim", phone: "9123 3456") { phone } }`);
    expect(dup.data.likelyDuplicates).toEqual([{ phone: "+968 •••• 3456" }]);
  });

  it("the cashier's customers export is refused (DNIED) even with reports.export; the manager's is taken", async () => {
    await db.owner.query(
      "update app_public.roles set permissions = permissions || array['reports.export', 'reports.view'] where tenant_id = $1 and key = 'cashier'",
      [shop.tenantId],
    );
    const ask = (client: HttpClient) =>
      client.graphql(`mutation($kind: ExportKind!, $params: JSON) { requestExport(input: { kind: $kind, params: $params }) { export { rowId status } } }`, {
        kind: "customers",
        params: {},
      });
    const refused = await ask(asCashier);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: "DNIED" });
    expect(refused.errors?.[0]?.message).toBe(
      "The customers export holds phone numbers in full: it needs customers.view_contact, which you do not have.",
    );
    const taken = await ask(asManager);
    expect(taken.errors).toBeUndefined();
    expect(taken.data.requestExport.export.status).toBe("pending");
  });
});
