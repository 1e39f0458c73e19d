// Signing in and out over HTTP: the session cookie's flags, coded errors, CSRF refusal.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, PASSWORD, uniqueEmail, type TestDatabase } from "../helpers/db.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

let db: TestDatabase;
let server: TestServer;
beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db);
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

const ME = "{ currentUser { email } currentTenant { name } }";

describe("auth routes", () => {
  it("onboarding sets an HttpOnly, SameSite=Lax session cookie that GraphQL recognises", async () => {
    const client = server.client();
    const email = uniqueEmail("http");
    const res = await client.postJson("/auth/onboard", {
      companyName: "Tram Stop Deli", ownerName: "Tia", email, password: PASSWORD, timezone: "Europe/Lisbon",
    });
    expect(res.status).toBe(200);
    const cookie = client.lastSetCookie.join("\n");
    expect(cookie).toMatch(/^bo_session=[0-9a-f-]{36};/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
    expect(cookie).not.toContain("Secure"); // plain http in tests
    const me = await client.graphql(ME);
    expect(me.data).toEqual({ currentUser: { email }, currentTenant: { name: "Tram Stop Deli" } });
  });

  it("bad onboarding input answers 400 with our code and message", async () => {
    const res = await server.client().postJson("/auth/onboard", {
      companyName: "X", ownerName: "Y", email: uniqueEmail(), password: "short", timezone: "Europe/Lisbon",
    });
    expect(res).toEqual({ status: 400, body: { error: { code: "WEAKP", message: expect.stringContaining("at least 10"), field: "password" } } });
    // The field is the body's own name for the input, so the form can put the message under it.
    const blankName = await server.client().postJson("/auth/onboard", {
      companyName: " ", ownerName: "Y", email: uniqueEmail(), password: "correct horse 42", timezone: "Europe/Lisbon",
    });
    expect(blankName.body.error).toEqual({ code: "BADIN", message: "Business name is required.", field: "companyName" });
    const badZone = await server.client().postJson("/auth/onboard", {
      companyName: "X", ownerName: "Y", email: uniqueEmail(), password: "correct horse 42", timezone: "Mars/Olympus",
    });
    expect(badZone.body.error).toMatchObject({ code: "BADTZ", field: "timezone" });
  });

  it("a wrong password answers 401 CREDS and sets no cookie; the right one signs in", async () => {
    const owner = await db.onboard();
    const client = server.client();
    const bad = await client.login(owner.email, "not the password 1");
    expect(bad).toEqual({ status: 401, body: { error: { code: "CREDS", message: "Incorrect email or password." } } });
    expect(client.cookies.size).toBe(0);
    expect((await client.login(owner.email, PASSWORD)).status).toBe(200);
    expect((await client.graphql(ME)).data.currentUser.email).toBe(owner.email);
  });

  it("an invitation link: anyone holding it reads what it offers; accepting signs the new member in; a used link answers 410 INVEX", async () => {
    const owner = await db.onboard({ company: "Link Bakery" });
    const role = (await owner.query("select id from app_public.roles where key = 'manager'")).rows[0].id;
    const email = uniqueEmail("invited");
    const { token } = (await owner.query("select * from app_public.invite_member($1, $2)", [email, role])).rows[0];
    const client = server.client();
    const offer = await client.graphql("query ($t: String!) { invitationByTokenList(token: $t) { businessName roleName email hasAccount } }", { t: token });
    expect(offer.data).toEqual({ invitationByTokenList: [{ businessName: "Link Bakery", roleName: "Manager", email, hasAccount: false }] });
    const weak = await client.postJson("/auth/invitations/accept", { token, name: "Mo", password: "short" });
    expect(weak.body.error).toMatchObject({ code: "WEAKP", field: "password" });
    expect((await client.postJson("/auth/invitations/accept", { token, name: "Mo Manager", password: PASSWORD })).status).toBe(200);
    expect((await client.graphql(ME)).data).toEqual({ currentUser: { email }, currentTenant: { name: "Link Bakery" } });
    const again = await server.client().postJson("/auth/invitations/accept", { token, name: "Mo", password: PASSWORD });
    expect(again).toMatchObject({ status: 410, body: { error: { code: "INVEX" } } });
  });

  it("the sixth attempt after five failures answers 429 LOCKD", async () => {
    const owner = await db.onboard();
    const client = server.client();
    for (let i = 0; i < 5; i++) expect((await client.login(owner.email, `wrong-${i}-x`)).status).toBe(401);
    const locked = await client.login(owner.email, PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe("LOCKD");
  });

  it("logout ends the session on the server, not only in the browser", async () => {
    const owner = await db.onboard();
    const client = server.client();
    await client.login(owner.email, PASSWORD);
    const stolen = new Map(client.cookies);
    expect((await client.postJson("/auth/logout", {})).status).toBe(200);
    expect(client.cookies.size).toBe(0);
    expect((await client.graphql(ME)).data).toEqual({ currentUser: null, currentTenant: null });
    const replay = server.client();
    replay.cookies = stolen;
    expect((await replay.graphql(ME)).data).toEqual({ currentUser: null, currentTenant: null });
  });

  it("refuses state-changing requests from another origin (CSRF)", async () => {
    const owner = await db.onboard();
    const client = server.client();
    await client.login(owner.email, PASSWORD);
    const res = await client.postJson(
      "/graphql",
      { query: `mutation { createLocation(input: {location: {name: "Evil", timezone: "UTC"}}) { location { name } } }` },
      { origin: "https://evil.example" },
    );
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("XORIG");
    const names = await client.graphql("{ locations { nodes { name } } }");
    expect(names.data.locations.nodes.map((n: any) => n.name)).toEqual(["Main store"]);
  });

  it("answers malformed bodies with 4xx, not 500", async () => {
    const client = server.client();
    const wrongType = await client.request("/auth/login", { method: "POST", headers: { "content-type": "text/plain" }, body: "x" });
    expect(wrongType.status).toBe(415);
    const badJson = await client.request("/auth/login", { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
    expect(badJson.status).toBe(400);
    const numbers = await client.postJson("/auth/login", { email: 1, password: 2 });
    expect(numbers.status).toBe(400);
    const huge = await client.postJson("/auth/login", { email: "a".repeat(100_000), password: "x" });
    expect(huge.status).toBe(413);
  });

  it("GraphiQL is not served outside development", async () => {
    const res = await fetch(server.url + "/graphiql", { headers: { accept: "text/html" } });
    expect(res.status).toBe(404);
  });

  it("/healthz answers 200 when the database answers", async () => {
    const res = await fetch(server.url + "/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });
});
