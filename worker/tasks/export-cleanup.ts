// Nightly: CSV exports and customers' data bundles, with their files, older than 7 days go
// (app_private.delete_expired_exports, app_private.delete_expired_customer_data_exports), account
// statements' PDFs past their 7 days (app_private.delete_expired_account_documents; invoices' PDFs
// stay), and customer imports older than 30 days with their files and staged rows
// (app_private.delete_expired_customer_imports).
import type { LoggedTask } from "./run-log.ts";

export const exportCleanup: LoggedTask<"export_cleanup"> = async (_payload, helpers) => {
  const { rows } = await helpers.query<{ n: number; bundles: number; statements: number; imports: number }>(
    `select app_private.delete_expired_exports() as n, app_private.delete_expired_customer_data_exports() as bundles,
            app_private.delete_expired_account_documents() as statements, app_private.delete_expired_customer_imports() as imports`,
  );
  const { n, bundles, statements, imports } = rows[0];
  helpers.logger.info(
    `deleted ${n} expired exports, ${bundles} expired customer data bundles, ${statements} expired account statements and ${imports} expired customer imports`,
  );
  return { rows: n + bundles + statements + imports };
};
