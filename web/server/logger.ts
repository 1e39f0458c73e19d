// Structured logs (JSON lines) for the server and the worker: LOG_LEVEL, else info (warn under the
// tests); every line says which part of the product wrote it (`service`).
import pino from "pino";

const root = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === "test" ? "warn" : "info"),
  base: null,
});

/** The logger of one part of the product (the worker's is in worker/logger.ts). */
export const serviceLogger = (service: string): pino.Logger => root.child({ service });

/** The server's logger. */
export const logger = serviceLogger("backoffice");
