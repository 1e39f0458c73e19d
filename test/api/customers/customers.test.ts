// Customers over GraphQL, through the real server: the commands as mutations with coded errors,
// the customers connection (filter by tags and status, order, cursor pagination), the
// type-ahead, the customer page (recent orders, timeline, notes, addresses, merge preview) and
// tenant isolation.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.ts";
import { startTestServer, type GraphQLResult, type HttpClient, type TestServer } from "../../helpers/server.ts";
import { createCustomer, openShop, placeOrder, type Shop } from "../../db/customers/helpers.ts";

let db: TestDatabase;
let server: TestServer;
let a: Shop, b: Shop;
let asManager: HttpClient, asCashier: HttpClient, asB: HttpClient;

const CUSTOMER = "rowId customerNumber displayName email phone tags status totalVisits totalSpend lastVisitAt";

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db);
  a = await openShop(db, { company: "Alpha" });
  b = await openShop(db, { company: "Bravo" });
  asManager = server.client();
  asCashier = server.client();
  asB = server.client();
  await asManager.login(a.manager.email, a.manager.password);
  await asCashier.login(a.cashier.email, a.cashier.password);
  await asB.login(b.owner.email, b.owner.password);
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

const create = (client: HttpClient, input: Record<string, unknown>) =>
  client.graphql(`mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { result { ${CUSTOMER} } } }`, { input });

describe("mutations", () => {
  it("createCustomer computes the display name and normalises; errors come back coded, naming the field", async () => {
    const res = await create(asCashier, { firstName: "Gabriel", lastName: "Garcia", email: "Gabo@Example.com", phone: "(212) 555-0111", tags: ["VIP", "vip"] });
    expect(res.errors).toBeUndefined();
    expect(res.data.createCustomer.result).toMatchObject({
      customerNumber: "CUST-00001",
      displayName: "Gabriel Garcia",
      email: "gabo@example.com",
      phone: "+1 •••• 0111", // a cashier sees phones masked (customers.view_contact): phones.test.ts
      tags: ["VIP"],
      status: "active",
      totalVisits: 0,
      totalSpend: "0",
      lastVisitAt: null,
    });
    // A duplicate names the field and, as its ref, the customer who has the value (no message parsing).
    const dup = await create(asCashier, { email: "GABO@example.com" });
    expect(dup.errors?.[0]).toMatchObject({
      message: "Email: gabo@example.com is already the email of customer CUST-00001 (Gabriel Garcia).",
      extensions: { code: "DUPEM", field: "email", ref: res.data.createCustomer.result.rowId },
    });
    const dupPhone = await create(asCashier, { firstName: "Other", phone: "+1 212 555 0111" });
    expect(dupPhone.errors?.[0]?.extensions).toEqual({ code: "DUPPH", field: "phone", ref: res.data.createCustomer.result.rowId });
    // extensions: code, and the field (camelCase, as the API names it) where one input is at fault.
    for (const [input, extensions] of [
      [{ lastName: "Only" }, { code: "NOIDN" }],
      [{ email: "nope" }, { code: "BADEM", field: "email" }],
      [{ phone: "12" }, { code: "BADPH", field: "phone" }],
      [{ firstName: "x".repeat(101) }, { code: "BADIN", field: "firstName" }],
      [{ firstName: "A", lastName: "\u0007" }, { code: "BADIN", field: "lastName" }],
      [{ firstName: "A", notes: "x".repeat(2001) }, { code: "BADIN", field: "notes" }],
      [{ firstName: "A", tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, { code: "BADTG", field: "tags" }],
      [{ firstName: "A", marketingConsent: true, marketingConsentSource: "fax" }, { code: "BADIN", field: "marketingConsentSource" }],
      [{ firstName: "nul\u0000" }, { code: "BADIN" }],
      [{ firstName: "A", tags: ["nul\u0000"] }, { code: "BADIN" }],
    ] as const) {
      const r = await create(asCashier, input);
      expect([input, r.errors?.[0]?.extensions]).toEqual([input, extensions]);
    }
    const count = await asManager.graphql("{ customers { totalCount } }");
    expect(count.data.customers.totalCount).toBe(1);
  });

  it("updateCustomer, archiveCustomer, restoreCustomer and mergeCustomers; a cashier is refused with DNIED", async () => {
    const p = (await create(asManager, { firstName: "Pia", email: "pia@example.com" })).data.createCustomer.result;
    const d = (await create(asManager, { firstName: "Pia", lastName: "Dupe", phone: "+44 20 7946 0000" })).data.createCustomer.result;
    const upd = await asManager.graphql(
      `mutation($id: String!) { updateCustomer(input: {customerId: $id, patch: {lastName: "Paz", tags: ["regular"]}}) { result { displayName tags } } }`,
      { id: p.rowId },
    );
    expect(upd.data.updateCustomer.result).toEqual({ displayName: "Pia Paz", tags: ["regular"] });
    const refused = await asCashier.graphql(
      `mutation($id: String!) { updateCustomer(input: {customerId: $id, patch: {lastName: "X"}}) { result { displayName } } }`,
      { id: p.rowId },
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe("DNIED");
    const preview = await asManager.graphql(
      `query($p: String!, $d: String!) { previewCustomerMerge(primaryId: $p, duplicateId: $d) { displayName phone ordersToMove } }`,
      { p: p.rowId, d: d.rowId },
    );
    expect(preview.data.previewCustomerMerge).toEqual({ displayName: "Pia Paz", phone: "+442079460000", ordersToMove: 0 });
    const merged = await asManager.graphql(
      `mutation($p: String!, $d: String!) { mergeCustomers(input: {primaryId: $p, duplicateId: $d}) { result { displayName phone mergedCustomers { nodes { rowId status } } } } }`,
      { p: p.rowId, d: d.rowId },
    );
    expect(merged.errors).toBeUndefined();
    expect(merged.data.mergeCustomers.result).toEqual({
      displayName: "Pia Paz",
      phone: "+442079460000",
      mergedCustomers: { nodes: [{ rowId: d.rowId, status: "merged" }] },
    });
    const again = await asManager.graphql(
      `mutation($p: String!, $d: String!) { mergeCustomers(input: {primaryId: $p, duplicateId: $d}) { result { rowId } } }`,
      { p: p.rowId, d: d.rowId },
    );
    expect(again.errors?.[0]?.extensions?.code).toBe("CMRGD");
    const archived = await asManager.graphql(`mutation($id: String!) { archiveCustomer(input: {customerId: $id}) { result { status } } }`, {
      id: p.rowId,
    });
    expect(archived.data.archiveCustomer.result.status).toBe("archived");
    const restored = await asManager.graphql(`mutation($id: String!) { restoreCustomer(input: {customerId: $id}) { result { status } } }`, {
      id: p.rowId,
    });
    expect(restored.data.restoreCustomer.result.status).toBe("active");
  });

  it("no generated create, update or delete mutation exists for customers or merges", async () => {
    const schema = await asManager.graphql("{ __schema { mutationType { fields { name } } } }");
    const names: string[] = schema.data.__schema.mutationType.fields.map((f: { name: string }) => f.name);
    expect(names).toEqual(expect.arrayContaining(["createCustomer", "updateCustomer", "mergeCustomers", "archiveCustomer", "restoreCustomer"]));
    for (const n of names) expect(n).not.toMatch(/^(updateCustomer(ById|ByRowId)|deleteCustomer(ById|ByRowId)?|(create|update|delete)CustomerMerge\w*)$/);
    const type = await asManager.graphql(`{ __type(name: "Customer") { fields { name } } }`);
    const fields = type.data.__type.fields.map((f: { name: string }) => f.name);
    expect(fields).not.toContain("tenantId");
    expect(fields).toEqual(expect.arrayContaining(["recentOrders", "timeline", "orders", "addresses", "customerNotes", "displayName"]));
  });
});

describe("the customers connection", () => {
  let shop: Shop;
  let client: HttpClient;
  beforeAll(async () => {
    shop = await openShop(db, { company: "Listing" });
    client = server.client();
    await client.login(shop.manager.email, shop.manager.password);
    const people = [
      { first_name: "Ada", tags: ["vip", "local"] },
      { first_name: "Ben", tags: ["local"] },
      { first_name: "Cleo", tags: ["vip"] },
      { first_name: "Dan" },
      { first_name: "Eve", tags: ["vip"] },
    ];
    const ids: Record<string, string> = {};
    for (const p of people) ids[p.first_name] = (await createCustomer(shop.manager, p)).id;
    await placeOrder(shop.owner, shop, ids.Ben, { quantity: 5, placedAt: "2024-01-01T10:00:00Z" });
    await placeOrder(shop.owner, shop, ids.Cleo, { quantity: 1, placedAt: "2024-03-01T10:00:00Z" });
    await placeOrder(shop.owner, shop, ids.Ada, { quantity: 2, placedAt: "2024-02-01T10:00:00Z" });
    await shop.manager.query("select app_public.archive_customer($1)", [ids.Dan]);
  });

  const list = (args: string) =>
    client.graphql(`{ customers(${args}) { totalCount pageInfo { hasNextPage endCursor } nodes { displayName } } }`);

  it("pages with cursors in display-name order", async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 3; page++) {
      const res: GraphQLResult = await client.graphql(
        `query($after: Cursor) { customers(first: 2, after: $after, orderBy: DISPLAY_NAME_ASC) { totalCount pageInfo { hasNextPage endCursor } nodes { displayName } } }`,
        { after },
      );
      expect(res.errors).toBeUndefined();
      const c: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string }; nodes: { displayName: string }[] } =
        res.data.customers;
      expect(c.totalCount).toBe(5);
      seen.push(...c.nodes.map((n) => n.displayName));
      after = c.pageInfo.endCursor;
      if (!c.pageInfo.hasNextPage) break;
    }
    expect(seen).toEqual(["Ada", "Ben", "Cleo", "Dan", "Eve"]);
  });

  it("the list (customerRows) orders by last visit (the default) and by total spend, with the counters", async () => {
    const rows = (args: string) =>
      client.graphql(`{ customerRows(${args}) { totalCount nodes { displayName totalVisits customer { totalVisits } } } }`);
    const byVisit = await rows("filter: {lastVisitAt: {isNull: false}}");
    expect(byVisit.errors).toBeUndefined();
    expect(byVisit.data.customerRows.nodes.map((n: { displayName: string }) => n.displayName)).toEqual(["Cleo", "Ada", "Ben"]);
    for (const n of byVisit.data.customerRows.nodes) expect(n.totalVisits).toBe(n.customer.totalVisits);
    const bySpend = await rows("orderBy: [TOTAL_SPEND_DESC, DISPLAY_NAME_ASC], first: 3");
    expect(bySpend.data.customerRows.nodes.map((n: { displayName: string }) => n.displayName)).toEqual(["Ben", "Ada", "Cleo"]);
  });

  it("filters by tags (contains) and status", async () => {
    const vip = await list(`filter: {tags: {contains: ["vip"]}}, orderBy: DISPLAY_NAME_ASC`);
    expect(vip.data.customers.nodes.map((n: { displayName: string }) => n.displayName)).toEqual(["Ada", "Cleo", "Eve"]);
    const both = await list(`filter: {tags: {contains: ["vip", "local"]}}`);
    expect(both.data.customers.nodes).toEqual([{ displayName: "Ada" }]);
    const archived = await list(`filter: {status: {equalTo: "archived"}}`);
    expect(archived.data.customers.nodes).toEqual([{ displayName: "Dan" }]);
    const active = await list(`filter: {status: {equalTo: "active"}, tags: {contains: ["local"]}}, orderBy: DISPLAY_NAME_DESC`);
    expect(active.data.customers.nodes).toEqual([{ displayName: "Ben" }, { displayName: "Ada" }]);
  });

  it("searchCustomers is the type-ahead: at most 10 rows of id, name, email, phone", async () => {
    const res = await client.graphql(`{ searchCustomers(q: "c") { id rowId displayName email phone } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data.searchCustomers).toMatchObject([{ displayName: "Cleo", email: null, phone: null }]);
    for (let i = 0; i < 12; i++) await createCustomer(shop.manager, { first_name: `Zed${i}` });
    const many = await client.graphql(`{ searchCustomers(q: "ZED") { displayName } }`);
    expect(many.data.searchCustomers).toHaveLength(10);
  });

  it("the customer page: recent orders, timeline, notes and addresses", async () => {
    const c = await createCustomer(shop.manager, { first_name: "Page", email: "page@example.com" });
    await placeOrder(shop.cashier, shop, c.id, { quantity: 2 });
    const note = await client.graphql(
      `mutation($id: String!) { createCustomerNote(input: {customerNote: {customerId: $id, body: "Likes window seats", category: "preference"}}) { customerNote { body author { name } } } }`,
      { id: c.id },
    );
    expect(note.data.createCustomerNote.customerNote).toEqual({ body: "Likes window seats", author: { name: "A manager" } });
    const addr = await client.graphql(
      `mutation($id: String!) { createCustomerAddress(input: {customerAddress: {customerId: $id, line1: "5 Elm St", city: "Springfield", isDefault: true}}) { customerAddress { country isDefault } } }`,
      { id: c.id },
    );
    expect(addr.errors).toBeUndefined();
    expect(addr.data.createCustomerAddress.customerAddress).toEqual({ country: "US", isDefault: true });
    const res = await client.graphql(
      `query($id: String!) { customerByRowId(rowId: $id) {
         displayName totalVisits totalSpend
         recentOrders { total status }
         timeline { nodes { kind summary actorName } }
         customerNotes { nodes { body category } }
         addresses { nodes { line1 isDefault } }
       } }`,
      { id: c.id },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.customerByRowId).toEqual({
      displayName: "Page",
      totalVisits: 1,
      totalSpend: "2000",
      recentOrders: [{ total: 2000, status: "placed" }],
      timeline: {
        nodes: [
          { kind: "note", summary: "Preference note: Likes window seats", actorName: "A manager" },
          { kind: "order_placed", summary: "Order of 20.00 USD placed", actorName: "A cashier" },
          { kind: "created", summary: `Customer ${c.customer_number} created`, actorName: "A manager" },
        ],
      },
      customerNotes: { nodes: [{ body: "Likes window seats", category: "preference" }] },
      addresses: { nodes: [{ line1: "5 Elm St", isDefault: true }] },
    });
  });
});

describe("tenant isolation", () => {
  let bCustomer: { rowId: string; id: string };
  beforeAll(async () => {
    const res = await create(asB, { firstName: "Bea", email: "bea@example.com" });
    const rowId = res.data.createCustomer.result.rowId;
    const node = await asB.graphql(`query($id: String!) { customerByRowId(rowId: $id) { id rowId } }`, { id: rowId });
    bCustomer = node.data.customerByRowId;
  });

  it("A reads nothing of B's customers by list, node id, row id or search", async () => {
    const res = await asManager.graphql(
      `query($id: ID!, $rowId: String!) {
         node(id: $id) { id } customerById(id: $id) { displayName } customerByRowId(rowId: $rowId) { displayName }
         searchCustomers(q: "bea") { rowId } customers(filter: {email: {equalTo: "bea@example.com"}}) { totalCount }
         customerNotes { totalCount } customerAddresses { totalCount } customerMerges { totalCount } }`,
      { id: bCustomer.id, rowId: bCustomer.rowId },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data).toMatchObject({
      node: null,
      customerById: null,
      customerByRowId: null,
      searchCustomers: [],
      customers: { totalCount: 0 },
    });
  });

  it("A's commands with B's ids are NOTFD and B's customer is unchanged", async () => {
    const calls = [
      [`mutation($id: String!) { updateCustomer(input: {customerId: $id, patch: {firstName: "Pwned"}}) { result { rowId } } }`, { id: bCustomer.rowId }],
      [`mutation($id: String!) { archiveCustomer(input: {customerId: $id}) { result { rowId } } }`, { id: bCustomer.rowId }],
      [`mutation($id: String!) { createCustomerNote(input: {customerNote: {customerId: $id, body: "x"}}) { customerNote { rowId } } }`, { id: bCustomer.rowId }],
    ] as const;
    for (const [query, vars] of calls) {
      const res = await asManager.graphql(query, vars);
      expect(res.errors?.[0]?.extensions?.code).toBe("NOTFD");
    }
    const mine = await asB.graphql(`query($id: String!) { customerByRowId(rowId: $id) { displayName status customerNotes { totalCount } } }`, {
      id: bCustomer.rowId,
    });
    expect(mine.data.customerByRowId).toEqual({ displayName: "Bea", status: "active", customerNotes: { totalCount: 0 } });
  });

  it("an anonymous caller sees no customers and cannot create one", async () => {
    const anon = server.client();
    const res = await anon.graphql(`{ customers { totalCount } searchCustomers(q: "a") { rowId } }`);
    expect(res.data).toEqual({ customers: { totalCount: 0 }, searchCustomers: [] });
    const created = await create(anon, { firstName: "Ghost" });
    expect(created.errors?.[0]?.extensions?.code).toBe("LOGIN");
  });
});
