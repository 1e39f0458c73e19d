// Every minute: fold the queued sales events of tenants whose last commit raced another fold
// (db/REPORTING.md "hot rows"); the exact readers never wait for this, the raw rm_* tables do.
import type { Task } from "graphile-worker";

export const reportingFold: Task<"reporting_fold"> = async (_payload, helpers) => {
  await helpers.query("select app_private.reporting_fold_all()");
};
