// Hourly: in businesses that chose it (tenants.account_overdue_suspend_days), accounts with an
// invoice overdue by that many days are suspended for non-payment, each in its own transaction
// (app_private.overdue_accounts_to_suspend, suspend_overdue_account). Safe to run again: a
// suspended account is left alone, and so is one a member reactivated since.
import type { LoggedTask } from "./run-log.ts";

export const suspendOverdueAccounts: LoggedTask<"suspend_overdue_accounts"> = async (_payload, helpers) => {
  const { rows: due } = await helpers.query<{ tenant_id: string; customer_id: string; invoice_number: string; days_overdue: number }>(
    "select tenant_id, customer_id, invoice_number, days_overdue from app_private.overdue_accounts_to_suspend()",
  );
  let suspended = 0;
  for (const d of due) {
    const { rows } = await helpers.query<{ done: boolean }>("select app_private.suspend_overdue_account($1, $2, $3, $4) as done", [
      d.tenant_id,
      d.customer_id,
      d.invoice_number,
      d.days_overdue,
    ]);
    if (rows[0].done) suspended++;
  }
  if (suspended > 0) helpers.logger.info(`suspended ${suspended} accounts with overdue invoices`);
  return { rows: suspended };
};
