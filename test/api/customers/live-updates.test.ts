// Live updates over the real server's WebSocket (graphql-ws at /graphql): a second member of the
// same business hears a change of a customer (and of its notes), another business hears nothing,
// a socket without a session gets LOGIN and nothing else, and a page of another site cannot open
// one (XORIG). The topic comes from the caller's session, never from the client.
import { createClient, type Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.ts";
import { startTestServer, type HttpClient, type TestServer } from "../../helpers/server.ts";
import { createCustomer, openShop, type Shop } from "../../db/customers/helpers.ts";

// ws (grafserv's own dependency) lets a test send the cookie a browser would; it has no types here.
const { WebSocket } = (await import("ws" as string)) as any;

let db: TestDatabase;
let server: TestServer;
let a: Shop, b: Shop;
let asManager: HttpClient, asCashier: HttpClient, asB: HttpClient;
const sockets: Client[] = [];

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
  await Promise.all(sockets.map((s) => s.dispose()));
  await server?.close();
  await db?.drop();
});

function cookieOf(client: HttpClient | null): string | undefined {
  return client ? [...client.cookies].map(([k, v]) => `${k}=${v}`).join("; ") : undefined;
}

/** A graphql-ws client with the session cookie of `client` (none for null), as a browser page opens it. */
function socketFor(client: HttpClient | null, headers: Record<string, string> = {}): Client {
  const cookie = cookieOf(client);
  class CookieSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers: { ...(cookie ? { cookie } : {}), ...headers } });
    }
  }
  const socket = createClient({ url: server.url.replace(/^http/, "ws") + "/graphql", webSocketImpl: CookieSocket, retryAttempts: 0, lazy: true });
  sockets.push(socket);
  return socket;
}

interface Heard {
  events: any[];
  errors: any[];
  subscribed: Promise<void>;
  stop(): void;
}

/** Subscribes to customerChanged and collects what arrives; `subscribed` once the server listens. */
function listenAs(socket: Client): Heard {
  const heard: Heard = { events: [], errors: [], subscribed: Promise.resolve(), stop: () => {} };
  heard.stop = socket.subscribe(
    { query: "subscription { customerChanged { many customer { rowId displayName notes: customerNotes { totalCount } } } }" },
    {
      next: (value) => (value.errors ? heard.errors.push(...value.errors) : heard.events.push(value.data?.customerChanged)),
      error: (err) => heard.errors.push(err),
      complete: () => {},
    },
  );
  // The LISTEN is issued as the subscription starts; give the server a moment to run it.
  heard.subscribed = new Promise((resolve) => setTimeout(resolve, 700));
  return heard;
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out waiting for a live update");
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("customerChanged", () => {
  it("a second session of the same business hears a change; another business does not", async () => {
    const customer = await createCustomer(a.owner, { first_name: "Lina", last_name: "Live" });
    const sameBusiness = listenAs(socketFor(asCashier));
    const otherBusiness = listenAs(socketFor(asB));
    await Promise.all([sameBusiness.subscribed, otherBusiness.subscribed]);

    const upd = await asManager.graphql(
      `mutation($id: String!) { updateCustomer(input: {customerId: $id, patch: {lastName: "Lively"}}) { result { displayName } } }`,
      { id: customer.id },
    );
    expect(upd.errors).toBeUndefined();
    await until(() => sameBusiness.events.some((e) => e?.customer?.displayName === "Lina Lively"));
    expect(sameBusiness.errors).toEqual([]);
    expect(sameBusiness.events.at(-1)).toMatchObject({ many: false, customer: { rowId: customer.id, displayName: "Lina Lively" } });

    // A note is a change of the customer too (the profile's timeline shows it).
    const note = await asManager.graphql(
      `mutation($id: String!) { createCustomerNote(input: {customerNote: {customerId: $id, body: "Prefers oat milk"}}) { customerNote { body } } }`,
      { id: customer.id },
    );
    expect(note.errors).toBeUndefined();
    await until(() => sameBusiness.events.some((e) => e?.customer?.notes?.totalCount === 1));

    // Bravo's own change reaches Bravo: its socket works, and heard nothing of Alpha's.
    const bravo = await createCustomer(b.owner, { first_name: "Bea" });
    await until(() => otherBusiness.events.length > 0);
    expect(otherBusiness.errors).toEqual([]);
    expect(otherBusiness.events.map((e) => e.customer?.rowId)).toEqual([bravo.id]);
    expect(sameBusiness.events.map((e) => e.customer?.rowId)).not.toContain(bravo.id);
    sameBusiness.stop();
    otherBusiness.stop();
  });

  it("a socket without a session gets LOGIN and never an event", async () => {
    const anonymous = listenAs(socketFor(null));
    await anonymous.subscribed;
    await createCustomer(a.owner, { first_name: "Nobody", last_name: "Hears" });
    await until(() => anonymous.errors.length > 0);
    await new Promise((r) => setTimeout(r, 500));
    expect(anonymous.events).toEqual([]);
    expect(anonymous.errors[0]?.extensions?.code ?? anonymous.errors[0]?.[0]?.extensions?.code).toBe("LOGIN");
  });

  it("the socket keeps the GraphQL limits of HTTP: an operation over them gets QLIMT and no data", async () => {
    const socket = socketFor(asManager);
    const aliases = (field: string) => Array.from({ length: 31 }, (_, i) => `a${i}: ${field}`).join(" ");
    for (const query of [`query { ${aliases("currentPermissions")} }`, `subscription { customerChanged { ${aliases("many")} } }`]) {
      const got: { data: unknown[]; errors: any[] } = { data: [], errors: [] };
      await new Promise<void>((resolve) => {
        socket.subscribe({ query }, {
          next: (value) => (value.errors ? got.errors.push(...value.errors) : got.data.push(value.data)),
          error: (err) => (got.errors.push(...(Array.isArray(err) ? err : [err])), resolve()),
          complete: () => resolve(),
        });
      });
      expect(got.data).toEqual([]);
      expect(got.errors.map((e) => e?.extensions?.code)).toEqual(["QLIMT"]);
    }
  });

  it("a page of another site cannot open the socket with the visitor's cookie (403 XORIG)", async () => {
    const ws = new WebSocket(server.url.replace(/^http/, "ws") + "/graphql", "graphql-transport-ws", {
      headers: { cookie: cookieOf(asManager), origin: "https://evil.example" },
    });
    const status = await new Promise<number>((resolve, reject) => {
      ws.on("unexpected-response", (_req: unknown, res: { statusCode: number }) => resolve(res.statusCode));
      ws.on("open", () => reject(new Error("the socket opened")));
      ws.on("error", () => {});
    });
    expect(status).toBe(403);
    // The same origin may.
    const same = new WebSocket(server.url.replace(/^http/, "ws") + "/graphql", "graphql-transport-ws", {
      headers: { cookie: cookieOf(asManager), origin: server.url },
    });
    await new Promise<void>((resolve, reject) => {
      same.on("open", () => resolve());
      same.on("unexpected-response", () => reject(new Error("refused")));
    });
    same.close();
  });
});
