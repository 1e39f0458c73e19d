// Hourly: from 02:00 on the 1st on each business's clock (its first location's time zone), every
// account's sales of past months not yet invoiced get their invoice. Running it again makes no
// second invoice: what is invoiced is not invoiced again (app_private.run_monthly_invoicing).
import type { LoggedTask } from "./run-log.ts";

export const invoiceAccounts: LoggedTask<"invoice_accounts"> = async (_payload, helpers) => {
  const { rows } = await helpers.query<{ n: number }>("select app_private.run_monthly_invoicing() as n");
  if (rows[0].n > 0) helpers.logger.info(`issued ${rows[0].n} monthly account invoices`);
  return { rows: rows[0].n };
};
