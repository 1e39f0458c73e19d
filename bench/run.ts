// `npm run bench [-- --quick] [-- --only=ceiling,search]`: measures the product against the
// database's own ceiling and prints one table (figure, measured, target, reference, ratio); the
// same figures go to bench/results/<date>.json (git-ignored). Never part of `npm test`.
// Each case lives in bench/cases/ and works in throw-away databases cloned from one template
// migrated at the start; everything is dropped at the end. The PostgreSQL measured is the
// product's embedded PostgreSQL 18 with the production settings, started for the run
// (bench/cluster.ts; BENCH_PG=local for the server at 127.0.0.1:5432).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { bootstrapRoles } from "../db/bootstrap.ts";
import { passwords, roles, withCredentials } from "../db/config.ts";
import { migrateSettings, resetDatabase } from "../db/migrate.ts";
import { benchCluster } from "./cluster.ts";
import { benchDatabase, withClient, type BenchCase, type BenchContext, type BenchDatabase } from "./context.ts";
import { printTable, type Row } from "./stats.ts";
import { cases } from "./cases/index.ts";

const quick = process.argv.includes("--quick");
const only = process.argv.find((a) => a.startsWith("--only="))?.slice("--only=".length).split(",");
const stamp = Date.now().toString(36);
const template = `bo_bench_tpl_${stamp}`;
// What the run drops: its own databases at its end (the template, the data set), each case's when
// that case ends (settle, below).
const runDatabases: string[] = [template];
let caseDatabases: string[] = [];

const started = Date.now();
// The machine's load, since absolute figures swing several-fold with it (pgbench select-only
// measured 38,443 tps idle and 6,090 loaded on the same machine): the 1-minute load average
// before the run, and sampled during it (the bench's own clients included).
const loadBefore = os.loadavg()[0];
const loadSamples: number[] = [];
const sampler = setInterval(() => loadSamples.push(os.loadavg()[0]), 5000).unref();
const log = (message: string) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0)}s] ${message}\n`);

const cluster = await benchCluster(log);
const rootUrl = cluster.rootUrl;
const admin = <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => withClient(rootUrl, fn);
const [serverVersion, autovacuum] = await admin(async (a) =>
  (await a.query("select current_setting('server_version') as v, current_setting('autovacuum') as a")).rows.map((r) => [r.v as string, r.a as string])[0],
);

const rows: Row[] = [];
const results: Record<string, Record<string, unknown>> = {};
const shared = new Map<string, number>();
let n = 0;

function contextFor(c: BenchCase): BenchContext {
  results[c.name] ??= {};
  return {
    quick,
    clients: 8,
    seconds: quick ? 3 : 10,
    rounds: quick ? 2 : 3,
    rootUrl,
    shared,
    async createDatabase(label: string, from = template, lifetime: "case" | "run" = "case"): Promise<BenchDatabase> {
      const name = `bo_bench_${stamp}_${++n}_${label}`.slice(0, 63);
      (lifetime === "run" ? runDatabases : caseDatabases).push(name);
      // A big source (the kept data set) is copied file by file: block by block (the default)
      // would also write all of it to the WAL.
      const strategy = from === template ? "" : " strategy = file_copy";
      await admin((a) => a.query(`create database "${name}" template "${from}" owner "${roles.owner}"${strategy}`));
      return benchDatabase(rootUrl, name);
    },
    row: (r) => rows.push(r),
    record: (key, value) => {
      results[c.name][key] = value;
    },
    log: (m) => log(`${c.name}: ${m}`),
  };
}

async function dropDatabases(names: string[]): Promise<void> {
  await admin(async (a) => {
    for (const name of [...names].reverse()) await a.query(`drop database if exists "${name}" with (force)`);
  });
}

// A case's databases go when it ends, then a checkpoint writes out what it left dirty: each case
// measures a settled cluster, not autovacuum and the checkpointer busy with the gigabytes an
// earlier case wrote (the full run of 2026-12-07 kept every case's database to its end, and its
// last case, capacity, measured a sale at 72.6 ms where the same case on its own measured 30 ms).
async function settle(): Promise<void> {
  const mine = caseDatabases;
  caseDatabases = [];
  await dropDatabases(mine);
  await admin((a) => a.query("checkpoint"));
}

const selected = cases.filter((c) => !only || only.includes(c.name));
const failures: string[] = [];
try {
  await bootstrapRoles(rootUrl);
  log(`migrating template ${template}`);
  await resetDatabase(
    await migrateSettings({
      ownerUrl: withCredentials(rootUrl, roles.owner, passwords.owner, template),
      rootUrl,
      skipDump: true,
      quiet: true,
    }),
  );
  for (const c of selected) {
    log(`${c.name}: start`);
    const t = Date.now();
    try {
      await c.run(contextFor(c));
    } catch (e) {
      // One broken case should not hide the others' figures; the run still exits non-zero.
      failures.push(c.name);
      rows.push({ figure: `${c.name}: FAILED`, value: String((e as Error).message ?? e).slice(0, 80), target: "—", reference: "—", ratio: "—" });
      console.error(e);
    }
    await settle();
    log(`${c.name}: done in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  }
} finally {
  await dropDatabases([...runDatabases, ...caseDatabases]);
  await cluster.stop();
}

clearInterval(sampler);
const load = {
  before: loadBefore,
  min: Math.min(...loadSamples, loadBefore),
  mean: loadSamples.length ? loadSamples.reduce((s, x) => s + x, 0) / loadSamples.length : loadBefore,
  max: Math.max(...loadSamples, loadBefore),
};
console.log(`\nBackoffice benchmarks — ${new Date().toISOString().slice(0, 16)}Z, ${os.cpus().length} × ${os.cpus()[0]?.model?.trim()}, ${quick ? "quick" : "full"} run, ${((Date.now() - started) / 60000).toFixed(1)} min`);
console.log(`${cluster.description}; server ${serverVersion}, autovacuum ${autovacuum}`);
console.log(`load average (1 min): ${load.before.toFixed(2)} before the run; during it ${load.min.toFixed(2)}–${load.max.toFixed(2)}, mean ${load.mean.toFixed(2)}\n`);
printTable(rows);
const outDir = path.resolve(import.meta.dirname, "results");
fs.mkdirSync(outDir, { recursive: true });
const file = path.join(outDir, `${new Date().toISOString().replace(/[:.]/g, "-")}${quick ? "-quick" : ""}.json`);
fs.writeFileSync(
  file,
  JSON.stringify({ date: new Date().toISOString(), machine: `${os.cpus().length} cpu, ${os.cpus()[0]?.model}`, postgres: { cluster: cluster.description, version: serverVersion }, load, quick, rows, results }, null, 2),
);
console.log(`\nwritten to ${path.relative(process.cwd(), file)}`);
if (failures.length) {
  console.error(`failed: ${failures.join(", ")}`);
  process.exitCode = 1;
}
