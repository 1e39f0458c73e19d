// Small helpers for plain node:http routes. A coded error's HTTP status comes from the list of
// codes (error-codes.ts), so a route cannot answer a code with another status.
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { httpStatusFor } from "./error-codes.ts";
import type { PublicError } from "./errors.ts";

export class HttpError extends Error {
  readonly status: number;
  constructor(public code: string, message: string) {
    super(message);
    this.status = httpStatusFor(code);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(text);
}

/** `{"error": {code, message, field?, ref?}}` with the code's status (`status` only where the list of codes says it differs). */
export function sendError(res: ServerResponse, error: PublicError, status = httpStatusFor(error.code)): void {
  sendJson(res, status, { error });
}

/** The raw request body, refusing more than `limit` bytes (413). */
export async function readBody(req: IncomingMessage, limit = 64 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError("TOOBG", "The request body is too large.");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A JSON object body (415 for another content type, 400 when it is not an object). */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (!String(req.headers["content-type"] ?? "").startsWith("application/json")) {
    throw new HttpError("BADCT", "Send the request as application/json.");
  }
  const body = await readBody(req);
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    throw new HttpError("BADJS", "The request body is not valid JSON.");
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new HttpError("BADJS", "The request body must be a JSON object.");
  }
  return value as Record<string, unknown>;
}

/** A string field of a JSON body, or null when absent; 400 when it has another type. */
export function stringField(body: Record<string, unknown>, name: string): string | null {
  const v = body[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") throw new HttpError("BADIN", `${name} must be a string.`);
  return v;
}

/**
 * Refuses a state-changing request whose Origin is another site (CSRF), 403. Without an Origin
 * header, a browser's Sec-Fetch-Site saying the request comes from another site is refused too;
 * a request with neither header is not a browser's cross-site request (curl, server-to-server).
 */
export function assertSameOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  if (!origin) {
    const site = req.headers["sec-fetch-site"];
    if (site === "cross-site" || site === "same-site") deny();
    return;
  }
  if (origin === "null") deny();
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return deny();
  }
  const allowed = (process.env.ALLOWED_ORIGINS ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  if (host !== req.headers.host && !allowed.includes(origin)) deny();
  function deny(): never {
    throw new HttpError("XORIG", "Requests from another site are not accepted.");
  }
}

/**
 * The node:http server of an app (npm start and the tests alike). An idle kept-alive connection
 * is closed after 65 s rather than Node's 5 s: a client that sends its next request on a socket
 * at the moment the server closes it gets ECONNRESET (a POST is not retried), which a loaded
 * machine made happen between requests a few seconds apart. 65 s is also longer than the idle
 * timeout of the usual load balancers, so they, not we, end idle connections.
 */
export function createHttpServer(app: { handler: RequestListener; upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void }): Server {
  const server = createServer(app.handler);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.on("upgrade", app.upgrade);
  return server;
}
