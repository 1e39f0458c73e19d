// Nightly: forget sessions that expired more than a day ago.
import type { LoggedTask } from "./run-log.ts";

export const cleanupSessions: LoggedTask<"cleanup_sessions"> = async (_payload, helpers) => {
  const { rows } = await helpers.query<{ n: number }>("select app_private.delete_expired_sessions() as n");
  helpers.logger.info(`deleted ${rows[0].n} expired sessions`);
  return { rows: rows[0].n };
};
