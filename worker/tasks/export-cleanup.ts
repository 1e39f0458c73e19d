// Nightly: CSV exports (and their files) older than 7 days go (app_private.delete_expired_exports).
import type { Task } from "graphile-worker";

export const exportCleanup: Task<"export_cleanup"> = async (_payload, helpers) => {
  const { rows } = await helpers.query<{ n: number }>("select app_private.delete_expired_exports() as n");
  helpers.logger.info(`deleted ${rows[0].n} expired exports`);
};
