// Hourly: from 02:00 on the 1st on each business's clock (its first location's time zone), every
// account's sales of past months not yet invoiced get their monthly invoice, once a month
// (app_private.monthly_invoicing_due). Each account is invoiced in its own transaction: one
// business's failure rolls back only its own invoice, and an account's lock (which its sales at
// the till wait for) and the business's invoice counter are held only while that invoice is made.
// Running it again makes no second invoice.
import type { LoggedTask } from "./run-log.ts";

export const invoiceAccounts: LoggedTask<"invoice_accounts"> = async (_payload, helpers) => {
  const { rows: due } = await helpers.query<{ tenant_id: string; customer_id: string; until: string }>(
    "select tenant_id, customer_id, until::text as until from app_private.monthly_invoicing_due()",
  );
  let made = 0;
  const failures: unknown[] = [];
  for (const d of due) {
    try {
      const { rows } = await helpers.query<{ id: string | null }>(
        "select (app_private.issue_account_invoice($1, $2, $3::date, 'monthly')).id as id",
        [d.tenant_id, d.customer_id, d.until],
      );
      if (rows[0].id) made++;
    } catch (err) {
      // The others still get theirs; the run fails at the end, so graphile-worker retries it.
      helpers.logger.error(`monthly invoice of account ${d.customer_id} (business ${d.tenant_id}) failed: ${(err as Error).message}`);
      failures.push(err);
    }
  }
  if (made > 0) helpers.logger.info(`issued ${made} monthly account invoices`);
  if (failures.length) throw new Error(`${failures.length} of ${due.length} monthly account invoices failed`);
  return { rows: made };
};
