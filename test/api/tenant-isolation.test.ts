// Tenant isolation through GraphQL: a member of tenant A cannot list, read, update or delete
// tenant B's rows, whatever id they send.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type Member, type TestDatabase } from "../helpers/db.ts";
import { startTestServer, type HttpClient, type TestServer } from "../helpers/server.ts";

let db: TestDatabase;
let server: TestServer;
let a: Member, b: Member;
let asA: HttpClient, asB: HttpClient;
let bLocation: { id: string; rowId: string };

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db);
  a = await db.onboard({ company: "Alpha" });
  b = await db.onboard({ company: "Bravo" });
  asA = server.client();
  asB = server.client();
  await asA.login(a.email, a.password);
  await asB.login(b.email, b.password);
  const res = await asB.graphql("{ locations { nodes { id rowId name } } }");
  bLocation = res.data.locations.nodes[0];
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

describe("tenant isolation over GraphQL", () => {
  it("lists only the caller's rows", async () => {
    const res = await asA.graphql("{ locations { nodes { name } } tenants { nodes { name } } roles { totalCount } auditEntries { totalCount } }");
    expect(res.data.locations.nodes).toEqual([{ name: "Main store" }]);
    expect(res.data.tenants.nodes).toEqual([{ name: "Alpha" }]);
    expect(res.data.roles.totalCount).toBe(3);
    const ids = await asA.graphql("{ locations { nodes { rowId } } }");
    expect(ids.data.locations.nodes.map((n: any) => n.rowId)).not.toContain(bLocation.rowId);
  });

  it("reads nothing of B by node id or row id", async () => {
    const res = await asA.graphql(
      "query($id: ID!, $rowId: String!) { node(id: $id) { id } locationById(id: $id) { name } locationByRowId(rowId: $rowId) { name } tenant(rowId: $tenant) { name } }".replace(
        "$rowId: String!)",
        "$rowId: String!, $tenant: String!)",
      ),
      { id: bLocation.id, rowId: bLocation.rowId, tenant: b.tenantId },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ node: null, locationById: null, locationByRowId: null, tenant: null });
  });

  it("cannot update B's rows by node id or row id, and B's data is unchanged", async () => {
    const byId = await asA.graphql(
      `mutation($id: ID!) { updateLocationById(input: {id: $id, locationPatch: {name: "Pwned"}}) { location { name } } }`,
      { id: bLocation.id },
    );
    const byRow = await asA.graphql(
      `mutation($rowId: String!) { updateLocationByRowId(input: {rowId: $rowId, locationPatch: {name: "Pwned"}}) { location { name } } }`,
      { rowId: bLocation.rowId },
    );
    const tenant = await asA.graphql(
      `mutation($rowId: String!) { updateTenant(input: {rowId: $rowId, tenantPatch: {name: "Pwned"}}) { tenant { name } } }`,
      { rowId: b.tenantId },
    );
    for (const res of [byId, byRow, tenant]) {
      expect(res.data ? Object.values(res.data)[0] : null).toBeNull();
      expect(res.errors?.[0]?.message).not.toMatch(/select|insert|update .* set|pg_|sql/i);
    }
    const mine = await asB.graphql("{ locations { nodes { name } } currentTenant { name } }");
    expect(mine.data).toEqual({ locations: { nodes: [{ name: "Main store" }] }, currentTenant: { name: "Bravo" } });
  });

  it("cannot delete B's rows: no delete mutation reaches a tenant's rows without passing RLS", async () => {
    const schema = await asA.graphql("{ __schema { mutationType { fields { name } } } }");
    const deletes = schema.data.__schema.mutationType.fields.map((f: any) => f.name).filter((n: string) => n.startsWith("delete"));
    for (const name of deletes) {
      const res = await asA.graphql(`mutation($id: ID!) { ${name}(input: {id: $id}) { clientMutationId } }`, { id: bLocation.id });
      expect(res.data?.[name] ?? null).toBeNull();
    }
    const still = await asB.graphql("{ locations { totalCount } }");
    expect(still.data.locations.totalCount).toBe(1);
  });

  it("cannot plant a row in B by sending B's tenant id", async () => {
    const res = await asA.graphql(
      `mutation { createLocation(input: {location: {name: "Planted", timezone: "UTC", tenantId: "${b.tenantId}"}}) { location { name } } }`,
    );
    expect(res.errors?.length).toBeGreaterThan(0); // tenantId is not part of the input at all
    const still = await asB.graphql("{ locations { nodes { name } } }");
    expect(still.data.locations.nodes).toEqual([{ name: "Main store" }]);
  });

  it("a cashier is refused a manager-only action with a coded error", async () => {
    const cashier = await db.asUser(a.tenantId, "cashier");
    const client = server.client();
    await client.login(cashier.email, cashier.password);
    const res = await client.graphql(`mutation { createLocation(input: {location: {name: "Kiosk", timezone: "UTC"}}) { location { name } } }`);
    expect(res.errors?.[0]?.extensions?.code).toBe("DNIED");
    expect(res.errors?.[0]?.message).toBe("You are not allowed to do that.");
  });

  it("an anonymous caller sees nothing", async () => {
    const res = await server.client().graphql("{ locations { totalCount } tenants { totalCount } currentUser { email } }");
    expect(res.data).toEqual({ locations: { totalCount: 0 }, tenants: { totalCount: 0 }, currentUser: null });
  });
});
