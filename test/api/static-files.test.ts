// The built admin as production serves it (web/server/static.ts, behind the real app): the files
// of dist/app and nothing else — a sibling folder whose name starts with "app" included, however
// the path is spelt — hashed assets cached for good, index.html for client routes.
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { staticFiles } from "../../web/server/static.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";

const SECRET = "secret of the old build";
const INDEX = "<!doctype html><title>Backoffice</title><div id=root></div>";
const ASSET = "console.log('admin');";

let tmp: string;
let db: TestDatabase;
let server: TestServer;
beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bo-static-"));
  const app = path.join(tmp, "dist", "app");
  fs.mkdirSync(path.join(app, "assets"), { recursive: true });
  fs.writeFileSync(path.join(app, "index.html"), INDEX);
  fs.writeFileSync(path.join(app, "assets", "index-4f2a9c.js"), ASSET);
  fs.writeFileSync(path.join(app, "favicon.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
  fs.writeFileSync(path.join(app, ".env"), SECRET);
  for (const sibling of ["app-old", "appendix"]) {
    fs.mkdirSync(path.join(tmp, "dist", sibling));
    fs.writeFileSync(path.join(tmp, "dist", sibling, "secret.txt"), SECRET);
  }
  fs.writeFileSync(path.join(tmp, "dist", "secret.txt"), SECRET);
  db = await createTestDatabase();
  server = await startTestServer(db, { fallback: staticFiles(app) });
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** A request whose path is sent exactly as written (fetch would resolve dot segments first). */
function raw(method: string, rawPath: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method, path: rawPath }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("static files of the admin", () => {
  it("never serves a file outside dist/app, however the path is spelt", async () => {
    const spellings = [
      "/..%2fapp-old/secret.txt",
      "/..%2Fapp-old/secret.txt",
      "/..%2fappendix/secret.txt",
      "/..%2fsecret.txt",
      "/../app-old/secret.txt",
      "/%2e%2e/app-old/secret.txt",
      "/%2e%2e%2fapp-old%2fsecret.txt",
      "/%252e%252e%252fapp-old%252fsecret.txt",
      "/..%5capp-old%5csecret.txt",
      "/..\\app-old\\secret.txt",
      "/./..%2fapp-old/secret.txt",
      "/assets//..%2f..%2fapp-old/secret.txt",
      "/assets/..%2f..%2fapp-old/secret.txt",
      "/assets/%2e%2e/%2e%2e/app-old/secret.txt",
      "/.env",
      "/%2eenv",
    ];
    for (const spelling of spellings) {
      const res = await raw("GET", spelling);
      expect(res.body, spelling).not.toContain(SECRET);
      // A 404, or at most index.html (a path with no file name is taken for a client route).
      if (res.status === 200) expect(res.body, spelling).toBe(INDEX);
      else expect(res.status, spelling).toBe(404);
    }
  });

  it("hashed assets are cached for good; other files are revalidated; every file says nosniff", async () => {
    const asset = await raw("GET", "/assets/index-4f2a9c.js");
    expect(asset.status).toBe(200);
    expect(asset.body).toBe(ASSET);
    expect(asset.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(asset.headers["content-type"]).toMatch(/^text\/javascript/);
    expect(asset.headers["x-content-type-options"]).toBe("nosniff");

    const icon = await raw("GET", "/favicon.svg");
    expect(icon.status).toBe(200);
    expect(icon.headers["content-type"]).toMatch(/^image\/svg\+xml/);
    expect(icon.headers["cache-control"]).toBe("no-cache");
    expect(icon.headers["x-content-type-options"]).toBe("nosniff");

    const index = await raw("GET", "/");
    expect(index.status).toBe(200);
    expect(index.body).toBe(INDEX);
    expect(index.headers["content-type"]).toMatch(/^text\/html/);
    expect(index.headers["cache-control"]).toBe("no-cache");
    expect(index.headers["x-content-type-options"]).toBe("nosniff");
  });

  it("a client route gets index.html, uncached; a missing file or asset is a 404, not index.html", async () => {
    for (const route of ["/customers", "/customers/01JZZZZZZZZZZZZZZZZZZZZZZZ", "/settings/billing?x=1", "/reports/"]) {
      const res = await raw("GET", route);
      expect(res.status, route).toBe(200);
      expect(res.body, route).toBe(INDEX);
      expect(res.headers["cache-control"], route).toBe("no-cache");
    }
    for (const missing of ["/assets/index-000000.js", "/assets/chunk", "/robots.txt"]) {
      const res = await raw("GET", missing);
      expect(res.status, missing).toBe(404);
      expect(res.body, missing).not.toContain("<title>Backoffice</title>");
    }
  });

  it("answers GET and HEAD only", async () => {
    const head = await raw("HEAD", "/assets/index-4f2a9c.js");
    expect(head.status).toBe(200);
    expect(head.body).toBe("");
    expect(head.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    for (const method of ["POST", "PUT", "DELETE"]) {
      expect((await raw(method, "/assets/index-4f2a9c.js")).status, method).toBe(404);
      expect((await raw(method, "/customers")).status, method).toBe(404);
    }
  });
});
