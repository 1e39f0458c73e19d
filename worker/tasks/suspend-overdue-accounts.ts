// Hourly: in businesses that chose it (tenants.account_overdue_suspend_days), accounts with an
// invoice overdue by that many days are suspended for non-payment
// (app_private.suspend_overdue_accounts). Safe to run again: a suspended account is left alone.
import type { LoggedTask } from "./run-log.ts";

export const suspendOverdueAccounts: LoggedTask<"suspend_overdue_accounts"> = async (_payload, helpers) => {
  const { rows } = await helpers.query<{ n: number }>("select app_private.suspend_overdue_accounts() as n");
  if (rows[0].n > 0) helpers.logger.info(`suspended ${rows[0].n} accounts with overdue invoices`);
  return { rows: rows[0].n };
};
