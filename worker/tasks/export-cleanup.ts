// Nightly: CSV exports and customers' data bundles, with their files, older than 7 days go
// (app_private.delete_expired_exports, app_private.delete_expired_customer_data_exports).
import type { LoggedTask } from "./run-log.ts";

export const exportCleanup: LoggedTask<"export_cleanup"> = async (_payload, helpers) => {
  const { rows } = await helpers.query<{ n: number; bundles: number }>(
    "select app_private.delete_expired_exports() as n, app_private.delete_expired_customer_data_exports() as bundles",
  );
  helpers.logger.info(`deleted ${rows[0].n} expired exports and ${rows[0].bundles} expired customer data bundles`);
  return { rows: rows[0].n + rows[0].bundles };
};
