// Every ten minutes: one-time codes expired more than an hour ago are deleted, with their SMS rows.
import type { LoggedTask } from "./run-log.ts";

export const deleteExpiredPhoneCodes: LoggedTask<"delete_expired_phone_codes"> = async (_payload, helpers) => {
  const { rows } = await helpers.query<{ n: number }>("select app_private.delete_expired_phone_codes() as n");
  if (rows[0].n > 0) helpers.logger.info(`deleted ${rows[0].n} expired phone codes`);
  return { rows: rows[0].n };
};
