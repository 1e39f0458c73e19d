// The PostgreSQL settings documented for production (README "Production database"), sized to the
// machine the database runs on. The one place they are written: the benchmark starts its
// PostgreSQL 18 with them (bench/cluster.ts), and `npx tsx db/production-settings.ts` prints them
// as postgresql.conf lines for this machine (or for `--memory=24GB --cores=2`).
// Rules (PostgreSQL's own guidance for a dedicated server with a few dozen connections):
//   * shared_buffers a quarter of the memory, effective_cache_size three quarters (the rest is the
//     kernel's page cache, which PostgreSQL relies on);
//   * work_mem: what is left after shared_buffers, over 3 sorts or hashes per connection at
//     max_connections, capped at 64 MB; maintenance_work_mem a sixteenth of the memory, capped at
//     2 GB (index builds, VACUUM);
//   * checkpoints at most every 15 minutes or 8 GB of WAL, so that bulk writes (imports, rebuilds)
//     do not checkpoint every few seconds;
//   * autovacuum on (the default, written down because the development cluster has it off): the
//     tables the orders update (counters, the fold queue) bloat without it;
//   * solid-state storage: random reads cost little more than sequential ones;
//   * parallel query limited to the cores.
import os from "node:os";

export interface Machine {
  memoryBytes: number;
  cores: number;
}

export const thisMachine = (): Machine => ({ memoryBytes: os.totalmem(), cores: os.availableParallelism() });

const MB = 1024 * 1024;
const mb = (bytes: number) => `${Math.max(1, Math.floor(bytes / MB))}MB`;

export const MAX_CONNECTIONS = 100;

/** The settings for a machine, in postgresql.conf units. */
export function productionSettings(m: Machine = thisMachine()): Record<string, string> {
  const shared = m.memoryBytes / 4;
  return {
    max_connections: String(MAX_CONNECTIONS),
    shared_buffers: mb(shared),
    effective_cache_size: mb((m.memoryBytes * 3) / 4),
    work_mem: mb(Math.min(64 * MB, (m.memoryBytes - shared) / (MAX_CONNECTIONS * 3))),
    maintenance_work_mem: mb(Math.min(2048 * MB, m.memoryBytes / 16)),
    max_wal_size: "8GB",
    min_wal_size: "2GB",
    checkpoint_timeout: "15min",
    checkpoint_completion_target: "0.9",
    wal_compression: "on",
    autovacuum: "on",
    random_page_cost: "1.1",
    effective_io_concurrency: "200",
    max_worker_processes: String(Math.max(8, m.cores)),
    max_parallel_workers: String(m.cores),
    max_parallel_workers_per_gather: String(Math.max(1, Math.floor(m.cores / 2))),
    max_parallel_maintenance_workers: String(Math.max(1, Math.floor(m.cores / 2))),
  };
}

/** The settings as `postgres` command-line flags (`-c name=value`). */
export const settingsAsFlags = (s: Record<string, string>): string[] => Object.entries(s).flatMap(([k, v]) => ["-c", `${k}=${v}`]);

// `npx tsx db/production-settings.ts [--memory=24GB] [--cores=2]`: the postgresql.conf lines.
if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
  const memory = arg("memory");
  const machine = thisMachine();
  if (memory) machine.memoryBytes = Number(/^(\d+(?:\.\d+)?)GB$/i.exec(memory)?.[1]) * 1024 * MB;
  if (arg("cores")) machine.cores = Number(arg("cores"));
  if (!(machine.memoryBytes > 0 && machine.cores > 0)) throw new Error("usage: --memory=24GB --cores=2");
  console.log(`# ${(machine.memoryBytes / 1024 / MB).toFixed(0)} GB, ${machine.cores} cores`);
  for (const [k, v] of Object.entries(productionSettings(machine))) console.log(`${k} = ${/^[\d.]+$/.test(v) ? v : `'${v}'`}`);
}
