// The worker's logs: the server's pino configuration (web/server/logger.ts: JSON lines, LOG_LEVEL)
// with `service: "worker"`. graphile-worker's own messages (jobs started, completed, failed; its
// database errors) and the tasks' helpers.logger go through it too, with their scope as fields.
import { Logger, type LogLevel } from "graphile-worker";
import type pino from "pino";
import { serviceLogger } from "../web/server/logger.ts";

export const logger = serviceLogger("worker");

const levels: Record<LogLevel, pino.Level> = { error: "error", warning: "warn", info: "info", debug: "debug" };

/**
 * The fields of graphile-worker's metadata worth a log line: errors as `err` (with their stack),
 * the job as its id, task and attempt (never its payload), and plain values (duration…).
 */
function metaFields(meta: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta ?? {})) {
    if (value instanceof Error) out.err ??= value;
    else if (key === "job" && value && typeof value === "object") {
      const job = value as { id?: unknown; task_identifier?: unknown; attempts?: unknown; max_attempts?: unknown };
      out.job = { id: job.id, task: job.task_identifier, attempt: job.attempts, maxAttempts: job.max_attempts };
    } else if (value === null || ["string", "number", "boolean"].includes(typeof value)) out[key] = value;
  }
  return out;
}

/** A graphile-worker logger writing through `base` (the worker's logger by default). */
export function graphileLogger(base: pino.Logger = logger): Logger {
  return new Logger((scope) => {
    const fields = Object.fromEntries(Object.entries(scope).filter(([, v]) => v !== undefined));
    return (level, message, meta) => base[levels[level] ?? "info"]({ ...fields, ...metaFields(meta) }, message);
  });
}
