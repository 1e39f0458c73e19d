// Starts graphile-worker with our task list and crontab, connected as the owner role.
import path from "node:path";
import { run, type Runner } from "graphile-worker";

export async function startWorker(opts: { ownerUrl: string; concurrency?: number; handleSignals?: boolean }): Promise<Runner> {
  return run({
    connectionString: opts.ownerUrl,
    concurrency: opts.concurrency ?? Number(process.env.WORKER_CONCURRENCY ?? 4),
    taskList: (await import("./tasks/index.ts")).taskList,
    crontabFile: path.resolve(import.meta.dirname, "crontab"),
    noHandleSignals: !opts.handleSignals,
    pollInterval: 1000,
  });
}
