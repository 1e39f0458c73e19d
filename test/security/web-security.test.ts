// Web security of the whole server, as an attacker on the web would try it: the session cookie's
// flags, cross-site requests (CSRF) in every form a browser can send them, the sign-in rate limit
// per address, what error responses reveal, GraphiQL in production, and the GraphQL query limits.
// (test/api/auth-routes.test.ts covers the basic sign-in flow and one cross-origin mutation.)
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { QUERY_LIMITS } from "../../web/server/limits.ts";
import { createTestDatabase, PASSWORD, uniqueEmail, type Member, type TestDatabase } from "../helpers/db.ts";
import { startTestServer, type HttpClient, type TestServer } from "../helpers/server.ts";

let db: TestDatabase;
let server: TestServer;
let a: Member;
let b: Member;
let asA: HttpClient;
const savedEnv = { TRUST_PROXY: process.env.TRUST_PROXY, ALLOWED_ORIGINS: process.env.ALLOWED_ORIGINS };

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db);
  a = await db.onboard({ company: "Alpha Corner Shop" });
  b = await db.onboard({ company: "Bravo Secret Bakery" });
  asA = server.client();
  expect((await asA.login(a.email, a.password)).status).toBe(200);
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});
beforeEach(() => {
  // Each test sets what it needs; nothing leaks into the next one.
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

let sku = 0;
const CREATE_ITEM = (name: string) => JSON.stringify({
  query: `mutation { createCatalogItem(input: {catalogItem: {name: "${name}", sku: "CSRF-${++sku}", price: 100}}) { catalogItem { name } } }`,
});

/** Names of A's catalog items: what the cross-site attempts below try to create. */
async function itemNames(): Promise<string[]> {
  const { rows } = await db.owner.query("select name from app_public.catalog_items where tenant_id = $1 order by name", [a.tenantId]);
  return rows.map((r) => r.name);
}

/** A raw request with A's session cookie. */
function asARaw(path: string, init: RequestInit) {
  return asA.request(path, init);
}

describe("session cookie", () => {
  it("sign-in sets an HttpOnly, SameSite=Lax, host-wide cookie; Secure only behind https", async () => {
    const client = server.client();
    await client.login(a.email, a.password);
    const plain = client.lastSetCookie.join("\n");
    expect(plain).toMatch(/^bo_session=[0-9a-f-]{36}; /);
    expect(plain.split("; ")).toEqual(expect.arrayContaining(["HttpOnly", "SameSite=Lax", "Path=/"]));
    expect(plain).not.toMatch(/Domain=/i); // not shared with other subdomains
    expect(plain).not.toContain("Secure");

    // A client claiming https is not believed unless the server is told it sits behind a proxy.
    await client.postJson("/auth/login", { email: a.email, password: a.password }, { "x-forwarded-proto": "https" });
    expect(client.lastSetCookie.join("\n")).not.toContain("Secure");
    process.env.TRUST_PROXY = "1";
    await client.postJson("/auth/login", { email: a.email, password: a.password }, { "x-forwarded-proto": "https" });
    expect(client.lastSetCookie.join("\n").split("; ")).toEqual(expect.arrayContaining(["HttpOnly", "SameSite=Lax", "Secure"]));
  });

  it("sign-out clears the cookie with the same flags", async () => {
    const client = server.client();
    await client.login(a.email, a.password);
    await client.postJson("/auth/logout", {});
    expect(client.lastSetCookie.join("\n").split("; ")).toEqual(expect.arrayContaining(["bo_session=", "HttpOnly", "SameSite=Lax", "Max-Age=0"]));
  });
});

describe("cross-site requests (CSRF)", () => {
  const json = { "content-type": "application/json" };

  it("refuses a state-changing GraphQL request by Origin, and by Sec-Fetch-Site when there is no Origin", async () => {
    const refused: Record<string, Record<string, string>> = {
      "another site": { ...json, origin: "https://evil.example" },
      "same host, other port": { ...json, origin: "http://127.0.0.1:1" },
      "opaque origin (sandboxed iframe, file:)": { ...json, origin: "null" },
      "unparseable origin": { ...json, origin: "::::" },
      "no Origin, Sec-Fetch-Site cross-site": { ...json, "sec-fetch-site": "cross-site" },
      "no Origin, Sec-Fetch-Site same-site (a sibling subdomain)": { ...json, "sec-fetch-site": "same-site" },
    };
    for (const [why, headers] of Object.entries(refused)) {
      const res = await asARaw("/graphql", { method: "POST", headers, body: CREATE_ITEM(`Evil ${why}`) });
      expect(res.status, why).toBe(403);
      expect((await res.json()).error.code, why).toBe("XORIG");
    }
    // The admin itself: same Origin, or a same-origin fetch without Origin.
    const own = await asARaw("/graphql", { method: "POST", headers: { ...json, origin: server.url }, body: CREATE_ITEM("Own origin") });
    expect(own.status).toBe(200);
    const fetchSite = await asARaw("/graphql", { method: "POST", headers: { ...json, "sec-fetch-site": "same-origin" }, body: CREATE_ITEM("Same origin fetch") });
    expect(fetchSite.status).toBe(200);
    expect(await itemNames()).toEqual(["Own origin", "Same origin fetch"]);
  });

  it("an origin listed in ALLOWED_ORIGINS is let through, and only that one", async () => {
    process.env.ALLOWED_ORIGINS = "https://admin.example, https://other.example";
    const ok = await asARaw("/graphql", { method: "POST", headers: { ...json, origin: "https://admin.example" }, body: CREATE_ITEM("Allowed origin") });
    expect(ok.status).toBe(200);
    const no = await asARaw("/graphql", { method: "POST", headers: { ...json, origin: "https://admin.example.evil" }, body: CREATE_ITEM("Lookalike origin") });
    expect(no.status).toBe(403);
    expect(await itemNames()).toContain("Allowed origin");
    expect(await itemNames()).not.toContain("Lookalike origin");
  });

  it("the body types an HTML form or a no-preflight fetch can send cannot run a mutation, even with no Origin", async () => {
    const query = `mutation { createCatalogItem(input: {catalogItem: {name: "Form post", sku: "FORM", price: 1}}) { catalogItem { name } } }`;
    const form = new FormData();
    form.set("query", query);
    const attempts: [string, RequestInit][] = [
      ["text/plain", { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify({ query }) }],
      ["text/plain;charset=UTF-8", { method: "POST", headers: { "content-type": "text/plain;charset=UTF-8" }, body: JSON.stringify({ query }) }],
      ["urlencoded", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ query }).toString() }],
      ["multipart", { method: "POST", body: form }],
      ["no content type", { method: "POST", body: new Blob([JSON.stringify({ query })]) }],
    ];
    for (const [why, init] of attempts) {
      const res = await asARaw("/graphql", init);
      expect(res.status, why).toBeGreaterThanOrEqual(400);
      expect(res.status, why).toBeLessThan(500);
    }
    // A link or an <img> (GET) cannot run a mutation either.
    const get = await asARaw(`/graphql?query=${encodeURIComponent(query)}`, { method: "GET", headers: { accept: "application/json" } });
    expect(get.status).toBeGreaterThanOrEqual(400);
    expect(await itemNames()).not.toContain("Form post");
  });

  it("sign-in, sign-out and business creation from another site are refused too", async () => {
    const evil = { origin: "https://evil.example" };
    const client = server.client();
    await client.login(a.email, a.password);
    const logout = await client.postJson("/auth/logout", {}, evil);
    expect(logout).toEqual({ status: 403, body: { error: { code: "XORIG", message: expect.any(String) } } });
    expect((await client.graphql("{ currentUser { email } }")).data.currentUser.email).toBe(a.email);
    // Login CSRF: signing the victim into the attacker's account.
    const fresh = server.client();
    expect((await fresh.postJson("/auth/login", { email: a.email, password: a.password }, evil)).status).toBe(403);
    expect(fresh.cookies.size).toBe(0);
    const onboard = await fresh.postJson("/auth/onboard", { companyName: "Evil", ownerName: "E", email: uniqueEmail("evil"), password: PASSWORD, timezone: "UTC" }, evil);
    expect(onboard.status).toBe(403);
  });
});

describe("sign-in rate limit per address", () => {
  const attempt = (client: HttpClient, email: string, password: string, headers: Record<string, string> = {}) =>
    client.postJson("/auth/login", { email, password }, headers);

  it("after 20 failed sign-ins from one address, the 21st is refused with 429 RATEL and Retry-After, even with the right password", async () => {
    process.env.TRUST_PROXY = "1";
    const from = { "x-forwarded-for": "198.51.100.1" };
    const client = server.client();
    // Different accounts each time: the per-account lockout (5 failures) never triggers.
    for (let i = 0; i < 20; i++) expect((await attempt(client, uniqueEmail("spray"), "wrong password 1", from)).status).toBe(401);
    const res = await client.request("/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json", ...from },
      body: JSON.stringify({ email: a.email, password: a.password }),
    });
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect(await res.json()).toEqual({
      error: { code: "RATEL", message: expect.stringMatching(/Too many failed sign-ins.*Try again in \d+ minutes/), ref: expect.stringMatching(/^\d+$/) },
    });
    expect(client.cookies.size).toBe(0);
    // Another address is not affected.
    expect((await attempt(client, a.email, a.password, { "x-forwarded-for": "198.51.100.2" })).status).toBe(200);
  });

  it("a client cannot escape the limit by making up X-Forwarded-For when the server is not behind a proxy", async () => {
    // TRUST_PROXY unset: every request below comes from the socket's own address.
    const client = server.client();
    for (let i = 0; i < 20; i++) {
      expect((await attempt(client, uniqueEmail("spoof"), "wrong password 1", { "x-forwarded-for": `192.0.2.${i}` })).status).toBe(401);
    }
    const res = await attempt(client, a.email, a.password, { "x-forwarded-for": "192.0.2.250" });
    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe("RATEL");
    // Behind a proxy, the address the proxy appended (the last one) counts, not the client's own claim.
    process.env.TRUST_PROXY = "1";
    const viaProxy = await attempt(client, a.email, a.password, { "x-forwarded-for": "127.0.0.1, 203.0.113.9" });
    expect(viaProxy.status).toBe(200);
  });

  it("successful sign-ins do not count, and the address is let in again once its 15 minutes are over", async () => {
    process.env.TRUST_PROXY = "1";
    const from = { "x-forwarded-for": "198.51.100.3" };
    const client = server.client();
    for (let i = 0; i < 19; i++) expect((await attempt(client, uniqueEmail("office"), "wrong password 1", from)).status).toBe(401);
    expect((await attempt(client, a.email, a.password, from)).status).toBe(200);
    expect((await attempt(client, uniqueEmail("office"), "wrong password 1", from)).status).toBe(401); // the 20th failure
    expect((await attempt(client, a.email, a.password, from)).status).toBe(429);
    // Move the window into the past, as 15 minutes of waiting would.
    await db.owner.query("update app_private.login_throttle set window_started_at = window_started_at - interval '15 minutes' where ip = '198.51.100.3'");
    expect((await attempt(client, a.email, a.password, from)).status).toBe(200);
  });
});

describe("error responses", () => {
  /** What must never appear in a response: SQL, PostgreSQL internals, code locations, another business. */
  function assertNoLeak(what: string, text: string) {
    for (const pattern of [
      /\bselect\b.*\bfrom\b/i, /insert into/i, /update \S+ set/i, /delete from/i, /violates/i, /constraint/i, /duplicate key/i,
      /relation "/i, /column "/i, /syntax error at/i, /\bpg_/i, /app_private|app_hidden|app_public/i, /_pkey|_key\b|_fkey|_check\b/i,
      /\bat \S+ \(/, /\.ts:\d+/, /\.js:\d+/, /node_modules/i, /stack/i, /SQLSTATE/i,
      /Bravo/, new RegExp(b.tenantId), new RegExp(b.email.replace(/[.]/g, "\\.")),
    ]) {
      expect(text, `${what} leaks ${pattern}: ${text.slice(0, 300)}`).not.toMatch(pattern);
    }
  }

  let bLocationId: string;
  let bCustomerEmail: string;
  beforeAll(async () => {
    bLocationId = (await b.query("select id from app_public.locations")).rows[0].id;
    bCustomerEmail = uniqueEmail("shared");
    await b.query("select app_public.create_customer(first_name => 'Bravo Secret Customer', email => $1)", [bCustomerEmail]);
  });

  it("a path starting with // is a coded 404, not a server error", async () => {
    for (const path of ["//x", "//x/graphql", "///"]) {
      const res = await fetch(`${server.url}${path}`);
      expect([path, res.status, (await res.json()).error?.code]).toEqual([path, 404, "NOTFD"]);
    }
  });

  it("GraphQL: syntax, validation, variables and database errors of several kinds come back coded and clean", async () => {
    const gql = async (query: string, variables: Record<string, unknown> = {}) => {
      const res = await asARaw("/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
      return { status: res.status, text: await res.text() };
    };
    const device = (name: string, locationId: string) =>
      gql(`mutation($l: String!, $n: String!) { createDevice(input: {device: {locationId: $l, name: $n}}) { device { name } } }`, { l: locationId, n: name });
    const aLocation = (await asA.graphql("{ locations { nodes { rowId } } }")).data.locations.nodes[0].rowId;
    expect(JSON.parse((await device("Till 1", aLocation)).text).errors).toBeUndefined();

    const cases: [string, () => Promise<{ status: number; text: string }>, string | null][] = [
      ["syntax error", () => gql("{ currentTenant { name "), null],
      ["unknown field", () => gql("{ currentTenant { passwordHash } }"), null],
      ["variable of the wrong type", () => gql("query($id: ID!) { node(id: $id) { id } }", { id: { $gt: "" } }), null],
      ["missing variable", () => gql("query($id: ID!) { node(id: $id) { id } }"), null],
      ["unique violation (23505)", () => device("Till 1", aLocation), "DUPLI"],
      ["check violation (23514)", () => device("", aLocation), "BADIN"],
      ["foreign key into another business (23503)", () => device("Till 2", bLocationId), "NOTFD"],
      ["NUL character (22021/22P05)", () => gql(`mutation($n: String!) { createCustomer(input: {firstName: $n}) { result { rowId } } }`, { n: "a\u0000b" }), "BADIN"],
      ["value too long", () => gql(`mutation($n: String!) { createCustomer(input: {firstName: $n}) { result { rowId } } }`, { n: "x".repeat(5000) }), "BADIN"],
      ["malformed JSON argument", () => gql(`mutation { requestExport(input: {kind: daily_sales, params: "[1,2"}) { clientMutationId } }`), null],
      ["another business's email is not a duplicate here", () => gql(`mutation($e: String!) { createCustomer(input: {email: $e}) { result { email } } }`, { e: bCustomerEmail }), "ok"],
    ];
    const seen: Record<string, unknown> = {};
    for (const [what, run, code] of cases) {
      const { status, text } = await run();
      assertNoLeak(what, text);
      expect(status, what).toBeLessThan(500);
      const body = JSON.parse(text);
      if (code === "ok") expect(body.errors, `${what}: ${text}`).toBeUndefined();
      else if (code) seen[what] = body.errors?.[0]?.extensions?.code;
      else expect(body.errors?.length, what).toBeGreaterThan(0);
    }
    expect(seen).toEqual(Object.fromEntries(cases.filter(([, , c]) => c && c !== "ok").map(([w, , c]) => [w, c])));
  });

  it("malformed and oversized HTTP bodies get a 4xx without internals, on every route", async () => {
    const huge = JSON.stringify({ query: `{ currentTenant { name } }`, variables: { pad: "x".repeat(QUERY_LIMITS.maxRequestBytes + 1000) } });
    const attempts: [string, string, RequestInit][] = [
      ["graphql: malformed JSON", "/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: "{\"query\": " }],
      ["graphql: JSON array", "/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: "[1, 2]" }],
      ["graphql: JSON string", "/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: "\"{ __typename }\"" }],
      ["graphql: query not a string", "/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: "{\"query\": 42}" }],
      ["graphql: huge body", "/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: huge }],
      ["graphql: invalid UTF-8", "/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) }],
      ["login: malformed JSON", "/auth/login", { method: "POST", headers: { "content-type": "application/json" }, body: "{\"email\"" }],
      ["login: huge body", "/auth/login", { method: "POST", headers: { "content-type": "application/json" }, body: huge }],
      ["onboard: wrong types", "/auth/onboard", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ companyName: ["x"], email: {} }) }],
      ["onboard: NUL in a name", "/auth/onboard", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ companyName: "a\u0000b", ownerName: "O", email: uniqueEmail(), password: PASSWORD, timezone: "UTC" }) }],
      ["onboard: unknown time zone", "/auth/onboard", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ companyName: "x", ownerName: "O", email: uniqueEmail(), password: PASSWORD, timezone: "Mars/Olympus'; drop table x; --" }) }],
      ["onboard: an existing account's email", "/auth/onboard", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ companyName: "x", ownerName: "O", email: b.email, password: PASSWORD, timezone: "UTC" }) }],
      ["export download: bad id", "/exports/../../etc/passwd", { method: "GET" }],
      ["export download: unknown id", "/exports/01HZZZZZZZZZZZZZZZZZZZZZZZ", { method: "GET" }],
      ["account document download: bad id", "/account-documents/../../etc/passwd", { method: "GET" }],
      ["account document download: unknown id", "/account-documents/01HZZZZZZZZZZZZZZZZZZZZZZZ", { method: "GET" }],
      ["account document download: not a GET", "/account-documents/01HZZZZZZZZZZZZZZZZZZZZZZZ", { method: "POST" }],
      ["unknown route", "/nope", { method: "POST" }],
    ];
    for (const [what, path, init] of attempts) {
      const res = await asARaw(path, init);
      const text = await res.text();
      expect(res.status, `${what}: ${text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${what}: ${text.slice(0, 200)}`).toBeLessThan(500);
      assertNoLeak(what, text);
    }
  });

  it("an unexpected database failure is answered INTER with a reference, nothing else", async () => {
    // A bug planted for the test: a trigger that fails with an error we never translate
    // (22012 division by zero) and whose context would show SQL and function names.
    await db.owner.query(`
      create function app_private.tg_test__planted_bug() returns trigger language plpgsql as $$
      begin
        if new.name = 'Boom' then perform 1 / (length(new.name) - 4); end if;
        return new;
      end $$;
      create trigger _999_planted_bug before insert on app_public.catalog_items
        for each row execute function app_private.tg_test__planted_bug();`);
    try {
      const res = await asARaw("/graphql", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: `mutation { createCatalogItem(input: {catalogItem: {name: "Boom", sku: "BOOM", price: 1}}) { catalogItem { name } } }` }),
      });
      const text = await res.text();
      assertNoLeak("masked failure", text);
      expect(text).not.toMatch(/division|zero|trigger|plpgsql|Boom/i);
      expect(JSON.parse(text).errors).toEqual([
        expect.objectContaining({
          message: expect.stringMatching(/^Something went wrong on our side \(reference [0-9a-f-]{36}\)\.$/),
          extensions: { code: "INTER", errorId: expect.stringMatching(/^[0-9a-f-]{36}$/) },
        }),
      ]);
      expect(await itemNames()).not.toContain("Boom");
    } finally {
      await db.owner.query("drop trigger _999_planted_bug on app_public.catalog_items; drop function app_private.tg_test__planted_bug()");
    }
  });

  it("pagination mistakes are the caller's (BADIN with the reason), not an internal error", async () => {
    const cases: [string, RegExp][] = [
      ["{ customers(first: -1) { totalCount } }", /page size must not be negative|Invalid 'first'/],
      ["{ customers(offset: -5) { totalCount } }", /offset must not be negative/],
      ['{ customers(after: "garbage") { nodes { rowId } } }', /Invalid cursor/],
    ];
    for (const [query, message] of cases) {
      const res = await asA.graphql(query);
      assertNoLeak(query, JSON.stringify(res));
      expect(res.errors?.[0], query).toEqual(expect.objectContaining({ message: expect.stringMatching(message), extensions: { code: "BADIN" } }));
    }
  });
});

describe("GraphiQL", () => {
  // A second server builds its own schema: slow when the machine is busy.
  it("is not served in production, at /graphiql nor on a browser's GET /graphql, but is in development", { timeout: 120_000 }, async () => {
    const html = { accept: "text/html" };
    expect((await fetch(server.url + "/graphiql", { headers: html })).status).toBe(404);
    const get = await fetch(server.url + "/graphql", { headers: html });
    expect(get.headers.get("content-type") ?? "").not.toContain("text/html");
    expect((await fetch(server.url + "/ruru-static/ruru.js")).status).toBe(404);
    const dev = await startTestServer(db, { development: true });
    try {
      const page = await fetch(dev.url + "/graphiql", { headers: html });
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toContain("text/html");
    } finally {
      await dev.close();
    }
  });
});

describe("GraphQL query limits", () => {
  const post = async (query: string, variables: Record<string, unknown> = {}) => {
    const res = await asARaw("/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
    return { status: res.status, body: await res.json() };
  };
  const nested = (levels: number) => "{ " + "query { ".repeat(levels - 2) + "currentTenant { name }" + " }".repeat(levels - 2) + " }";
  const codes = (r: { body: any }) => (r.body.errors ?? []).map((e: any) => e.extensions?.code);

  it(`refuses a query nested deeper than ${QUERY_LIMITS.maxDepth} levels, and runs one at the limit`, async () => {
    const ok = await post(nested(QUERY_LIMITS.maxDepth));
    expect(ok.body.errors).toBeUndefined();
    const deep = await post(nested(QUERY_LIMITS.maxDepth + 1));
    expect(codes(deep)).toEqual(["QLIMT"]);
    expect(deep.body.errors[0].message).toMatch(/nested 13 levels deep; at most 12/);
    expect(deep.body.data).toBeUndefined();
    // Deep through fragments counts too.
    const viaFragments = await post(`query { ...F1 } ${Array.from({ length: 14 }, (_, i) => `fragment F${i + 1} on Query { query { ${i < 13 ? `...F${i + 2}` : "__typename"} } }`).join(" ")}`);
    expect(codes(viaFragments)).toContain("QLIMT");
  });

  it(`refuses more than ${QUERY_LIMITS.maxAliases} aliases (the same expensive field asked for again and again)`, async () => {
    const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: customers(first: 50) { totalCount }`).join(" ")} }`;
    expect((await post(aliased(QUERY_LIMITS.maxAliases))).body.errors).toBeUndefined();
    expect(codes(await post(aliased(QUERY_LIMITS.maxAliases + 1)))).toEqual(["QLIMT"]);
  });

  it(`refuses more than ${QUERY_LIMITS.maxFields} fields, counting a fragment every time it is spread`, async () => {
    const fields = "name rowId id createdAt status defaultCountry";
    const spreads = (n: number) => `{ currentTenant { ${"...T ".repeat(n)} } } fragment T on Tenant { ${fields} }`;
    const ok = await post(spreads(Math.floor((QUERY_LIMITS.maxFields - 1) / 6)));
    expect(ok.body.errors).toBeUndefined();
    const bomb = await post(spreads(Math.floor(QUERY_LIMITS.maxFields / 6) + 1));
    expect(codes(bomb)).toEqual(["QLIMT"]);
    // Fragments spreading fragments: 2^12 × leaf fields without any alias.
    const fan = Array.from({ length: 12 }, (_, i) => `fragment G${i} on Query { query { ...G${i + 1} ...G${i + 1} } }`).join(" ");
    const exploded = await post(`{ ...G0 } ${fan} fragment G12 on Query { currentTenant { name } }`);
    expect(codes(exploded)).toContain("QLIMT");
  });

  it(`refuses a page larger than ${QUERY_LIMITS.maxPageSize}, written in the query or passed as a variable`, async () => {
    expect((await post(`{ customers(first: ${QUERY_LIMITS.maxPageSize}) { totalCount } }`)).body.errors).toBeUndefined();
    expect(codes(await post(`{ customers(first: ${QUERY_LIMITS.maxPageSize + 1}) { totalCount } }`))).toEqual(["QLIMT"]);
    expect(codes(await post(`{ locations(last: 2000000000) { totalCount } }`))).toEqual(["QLIMT"]);
    const byVariable = await post(`query($n: Int) { customers(first: $n) { nodes { rowId } } }`, { n: 1_000_000 });
    expect(codes(byVariable)).toEqual(["QLIMT"]);
    expect(byVariable.body.data ?? null).toBeNull();
    expect((await post(`query($n: Int) { customers(first: $n) { nodes { rowId } } }`, { n: 20 })).body.errors).toBeUndefined();
  });

  it(`refuses a request body over ${QUERY_LIMITS.maxRequestBytes} bytes with 413`, async () => {
    const res = await asARaw("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ __typename }", variables: { pad: "x".repeat(QUERY_LIMITS.maxRequestBytes) } }),
    });
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe("TOOBG");
  });
});
