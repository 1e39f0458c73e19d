// Daily: businesses past due for more than 14 days are suspended even when Stripe sends nothing
// more (app_private.suspend_overdue_tenants).
import type { LoggedTask } from "./run-log.ts";

export const suspendOverdueTenants: LoggedTask<"suspend_overdue_tenants"> = async (_payload, helpers) => {
  const { rows } = await helpers.query<{ n: number }>("select app_private.suspend_overdue_tenants() as n");
  if (rows[0].n > 0) helpers.logger.info(`suspended ${rows[0].n} businesses past due for too long`);
  return { rows: rows[0].n };
};
