// Every minute: fold the queued sales events of tenants whose last commit raced another fold
// (db/REPORTING.md "hot rows"); the exact readers never wait for this, the raw rm_* tables do.
import type { LoggedTask } from "./run-log.ts";

export const reportingFold: LoggedTask<"reporting_fold"> = async (_payload, helpers) => {
  const { rows } = await helpers.query<{ n: number }>("select app_private.reporting_fold_all() as n");
  return { rows: rows[0].n };
};
