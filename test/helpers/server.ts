// The real HTTP server on a random port, over a test database, and a small client that keeps
// cookies like a browser does.
import { createHttpServer } from "../../web/server/http.ts";
import type { AddressInfo } from "node:net";
import { createApp, type Fallback } from "../../web/server/app.ts";
import type { TestDatabase } from "./db.ts";

export interface TestServer {
  url: string;
  client(): HttpClient;
  close(): Promise<void>;
}

export async function startTestServer(db: TestDatabase, opts: { development?: boolean; fallback?: Fallback; smsLocalUrl?: string } = {}): Promise<TestServer> {
  const app = await createApp({ authUrl: db.authUrl, development: opts.development ?? false, fallback: opts.fallback, smsLocalUrl: opts.smsLocalUrl });
  const server = createHttpServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    client: () => new HttpClient(url),
    async close() {
      server.closeAllConnections();
      // The app closes its WebSockets, which the server's close() would wait for.
      const closed = new Promise((resolve) => server.close(resolve));
      await app.close();
      await closed;
    },
  };
}

export interface GraphQLResult<T = any> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export class HttpClient {
  cookies = new Map<string, string>();
  lastSetCookie: string[] = [];
  constructor(public baseUrl: string) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const res = await fetch(this.baseUrl + path, { ...init, headers, redirect: "manual" });
    this.lastSetCookie = res.headers.getSetCookie();
    for (const line of this.lastSetCookie) {
      const [pair, ...attrs] = line.split(";");
      const [name, value] = pair.split("=");
      const expired = attrs.some((a) => a.trim().toLowerCase() === "max-age=0");
      if (expired || !value) this.cookies.delete(name.trim());
      else this.cookies.set(name.trim(), value.trim());
    }
    return res;
  }

  async postJson(path: string, body: unknown, headers: Record<string, string> = {}) {
    const res = await this.request(path, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  async graphql<T = any>(query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResult<T>> {
    const { body } = await this.postJson("/graphql", { query, variables });
    return body;
  }

  login(email: string, password: string) {
    return this.postJson("/auth/login", { email, password });
  }
}
