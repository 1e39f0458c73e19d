// Every update and delete mutation that takes a node id answers a malformed id with BADIN and an
// id that changes nothing (unknown, another business's, or not the caller's to change) with
// NOTFD — never a silent `null` payload the admin would show as a success. The mutations are
// found by introspection, so a new table's are covered the day it is added.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { startTestServer, type HttpClient, type TestServer } from "../helpers/server.ts";

let db: TestDatabase;
let server: TestServer;
let owner: HttpClient;
let mutations: { name: string; inputType: string; patchField: string | null }[];

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db);
  const shop = await db.onboard();
  owner = server.client();
  await owner.login(shop.email, shop.password);
  const { data } = await owner.graphql(`{
    __schema { mutationType { fields { name args { name type { ofType { name } } } } } }
  }`);
  const fields = data.__schema.mutationType.fields as { name: string; args: { name: string; type: { ofType: { name: string } | null } }[] }[];
  mutations = [];
  for (const f of fields.filter((f) => /^(update|delete)\w+ById$/.test(f.name))) {
    const inputType = f.args.find((a) => a.name === "input")!.type.ofType!.name;
    const input = await owner.graphql(`query($t: String!) { __type(name: $t) { inputFields { name } } }`, { t: inputType });
    const names = (input.data.__type.inputFields as { name: string }[]).map((x) => x.name);
    mutations.push({ name: f.name, inputType, patchField: names.find((n) => n.endsWith("Patch") || n === "patch") ?? null });
  }
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

describe("update and delete mutations by node id", () => {
  it("exist (the sweep below covers them all)", () => {
    expect(mutations.map((m) => m.name)).toEqual(expect.arrayContaining(["updateLocationById", "deleteDeviceById"]));
  });

  const call = (m: { name: string; inputType: string; patchField: string | null }, id: string) =>
    owner.graphql(`mutation($input: ${m.inputType}!) { ${m.name}(input: $input) { __typename } }`, {
      input: { id, ...(m.patchField ? { [m.patchField]: {} } : {}) },
    });

  it.each(["garbage!!", "", "WyJsb2NhdGlvbnMiLDFd", "[]", "eyJ4IjoxfQ=="])("a malformed node id (%j) is BADIN", async (id) => {
    for (const m of mutations) {
      const res = await call(m, id);
      expect([m.name, res.data?.[m.name] ?? null, res.errors?.[0]?.extensions?.code]).toEqual([m.name, null, "BADIN"]);
    }
  });

  it("a well-formed id of nothing the caller may change is NOTFD: another business's row, or one already deleted", async () => {
    const other = await db.onboard();
    const theirs = server.client();
    await theirs.login(other.email, other.password);
    const location = (await theirs.graphql("{ locations { nodes { id } } }")).data.locations.nodes[0].id;
    const res = await owner.graphql(`mutation($id: ID!) { updateLocationById(input: {id: $id, patch: {name: "Mine now"}}) { location { name } } }`, { id: location });
    expect([res.data?.updateLocationById ?? null, res.errors?.[0]?.extensions?.code]).toEqual([null, "NOTFD"]);
    const mine = (await owner.graphql("{ locations { nodes { rowId } } }")).data.locations.nodes[0].rowId;
    const device = (await owner.graphql(`mutation($l: String!) { createDevice(input: {device: {locationId: $l, name: "Till"}}) { device { id } } }`, { l: mine })).data.createDevice.device.id;
    expect((await owner.graphql(`mutation($id: ID!) { deleteDeviceById(input: {id: $id}) { device { name } } }`, { id: device })).errors).toBeUndefined();
    const again = await owner.graphql(`mutation($id: ID!) { deleteDeviceById(input: {id: $id}) { device { name } } }`, { id: device });
    expect(again.errors?.[0]?.extensions?.code).toBe("NOTFD");
  });
});
