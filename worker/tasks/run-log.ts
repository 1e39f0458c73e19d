// The run log: every task of the list runs inside this wrapper, which records in
// app_private.job_runs when the run started and ended, how many rows it affected (when the task
// returns { rows }), how it ended and why it failed (platform/160-job-runs.sql). One place for
// every task, cron or queued, so that no task can forget it. A run whose worker dies mid-way
// stays "running" until the crash recovery marks it crashed. Writing the log never stops the
// work: a failure to record is logged and the task runs anyway.
import type { JobHelpers, Task } from "graphile-worker";

/** What a task may return for the run log: how many rows it affected. */
export type TaskOutcome = void | { rows?: number };

/** A task of ours: graphile-worker's, returning what the run log records (the wrapper returns nothing to graphile-worker). */
export type LoggedTask<K extends keyof GraphileWorker.Tasks> = (payload: GraphileWorker.Tasks[K], helpers: JobHelpers) => Promise<TaskOutcome>;

/** The tenant a job is for, when its payload says (tenantId). */
function tenantOf(payload: unknown): string | null {
  const id = (payload as { tenantId?: unknown } | null)?.tenantId;
  return typeof id === "string" && /^[0-9A-Za-z_]{1,64}$/.test(id) ? id : null;
}

async function record(helpers: JobHelpers, sql: string, values: unknown[]): Promise<string | null> {
  try {
    const { rows } = await helpers.query<{ id: string | null }>(sql, values);
    return rows[0]?.id ?? null;
  } catch (err) {
    helpers.logger.error("could not write the run log", { error: err });
    return null;
  }
}

export function withRunLog(name: string, task: LoggedTask<any>): Task {
  return async (payload, helpers) => {
    const runId = await record(helpers, "select app_private.job_run_started($1, $2, $3, $4, $5) as id", [
      name,
      helpers.job.id,
      helpers.job.attempts,
      tenantOf(payload),
      helpers.job.locked_by,
    ]);
    const finish = (outcome: string, rows: number | null, code: string | null, message: string | null) =>
      runId ? record(helpers, "select app_private.job_run_finished($1, $2, $3, $4, $5), null as id", [runId, outcome, rows, code, message]) : null;
    try {
      const result = await task(payload as never, helpers);
      await finish("succeeded", typeof result?.rows === "number" ? result.rows : null, null, null);
    } catch (err) {
      const code = (err as { code?: unknown })?.code;
      await finish("failed", null, typeof code === "string" ? code : null, err instanceof Error ? err.message : String(err));
      throw err;
    }
  };
}
