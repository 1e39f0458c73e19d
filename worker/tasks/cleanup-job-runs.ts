// Nightly: the run log keeps 90 days (app_private.delete_old_job_runs).
import type { LoggedTask } from "./run-log.ts";

export const cleanupJobRuns: LoggedTask<"cleanup_job_runs"> = async (_payload, helpers) => {
  const { rows } = await helpers.query<{ n: number }>("select app_private.delete_old_job_runs() as n");
  return { rows: rows[0].n };
};
