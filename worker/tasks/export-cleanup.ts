// Nightly: CSV exports (and their files) older than 7 days go (app_private.delete_expired_exports).
import type { LoggedTask } from "./run-log.ts";

export const exportCleanup: LoggedTask<"export_cleanup"> = async (_payload, helpers) => {
  const { rows } = await helpers.query<{ n: number }>("select app_private.delete_expired_exports() as n");
  helpers.logger.info(`deleted ${rows[0].n} expired exports`);
  return { rows: rows[0].n };
};
