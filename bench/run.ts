// `npm run bench [--quick]`: builds a throw-away database, measures, prints one table and writes
// the same figures to bench/results/<date>.json. Never part of `npm test`.
// This first version measures the foundation (sign-in and the GraphQL API) against the
// database's own ceiling; the benchmark issue adds search, ingestion, read models, exports and
// webhooks with their data sets.
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { bootstrapRoles } from "../db/bootstrap.ts";
import { passwords, roles, withCredentials } from "../db/config.ts";
import { migrateSettings, resetDatabase } from "../db/migrate.ts";
import { createApp } from "../web/server/app.ts";
import { load, percentile, printTable, type Row } from "./stats.ts";

const quick = process.argv.includes("--quick");
const seconds = quick ? 3 : 15;
const clients = 8;
const rootUrl = process.env.BENCH_ROOT_DATABASE_URL ?? process.env.TEST_ROOT_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const database = `bo_bench_${Date.now().toString(36)}`;

await bootstrapRoles(rootUrl);
const settings = await migrateSettings({
  ownerUrl: withCredentials(rootUrl, roles.owner, passwords.owner, database),
  rootUrl,
  skipDump: true,
  quiet: true,
});
await resetDatabase(settings);
const authUrl = withCredentials(rootUrl, roles.authenticator, passwords.authenticator, database);
const rows: Row[] = [];
const results: Record<string, unknown> = {};
const fmt = (n: number, unit: string) => `${n.toFixed(n < 10 ? 2 : 0)} ${unit}`;

try {
  // Reference ceiling: the cheapest possible round trip at 8 clients.
  const pool = new pg.Pool({ connectionString: authUrl, max: clients });
  pool.on("error", () => {});
  const ceiling = await load(clients, seconds * 1000, () => pool.query("select 1"));
  const ceilingRps = ceiling.length / seconds;
  results.reference_select1 = { rps: ceilingRps, p95_ms: percentile(ceiling, 95) };

  // A signed-in tenant for the API figures.
  const c = await pool.connect();
  await c.query("begin");
  await c.query("select set_config('role', $1, true)", [roles.visitor]);
  const { rows: s } = await c.query("select app_hidden.onboard('Bench Shop', 'Ben', 'bench@example.com', 'bench password 1', 'UTC') as sid");
  await c.query("commit");
  c.release();

  const app = await createApp({ authUrl, development: false });
  const server = http.createServer(app.handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  const body = JSON.stringify({ query: "{ currentTenant { name } locations { nodes { name timezone } } }" });
  const headers = { "content-type": "application/json", cookie: `bo_session=${s[0].sid}` };
  // The first request builds the GraphQL schema (seconds): warm up before measuring.
  await (await fetch(url, { method: "POST", headers, body })).text();
  const api = await load(clients, seconds * 1000, async () => {
    const res = await fetch(url, { method: "POST", headers, body });
    await res.text();
  });
  const apiRps = api.length / seconds;
  results.graphql_current_tenant = { rps: apiRps, p50_ms: percentile(api, 50), p95_ms: percentile(api, 95) };
  rows.push({
    figure: "GraphQL tenant + locations, 8 clients",
    value: `${fmt(apiRps, "req/s")}, p95 ${fmt(percentile(api, 95), "ms")}`,
    target: "p95 ≤ 30 ms",
    reference: `select 1: ${fmt(ceilingRps, "q/s")}`,
    ratio: (apiRps / ceilingRps).toFixed(3),
  });
  rows.push({
    figure: "reference: select 1, 8 clients",
    value: `${fmt(ceilingRps, "q/s")}, p95 ${fmt(percentile(ceiling, 95), "ms")}`,
    target: "—",
    reference: "—",
    ratio: "1.000",
  });
  server.closeAllConnections();
  server.close();
  await app.close();
  await pool.end();
} finally {
  const admin = new pg.Client(rootUrl);
  await admin.connect();
  await admin.query(`drop database if exists "${database}" with (force)`);
  await admin.end();
}

printTable(rows);
const outDir = path.resolve(import.meta.dirname, "results");
fs.mkdirSync(outDir, { recursive: true });
const file = path.join(outDir, `${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
fs.writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), machine: `${os.cpus().length} cpu, ${os.cpus()[0]?.model}`, quick, results }, null, 2));
console.log(`\nwritten to ${path.relative(process.cwd(), file)}`);
