// Small helpers for plain node:http routes.
import type { IncomingMessage, ServerResponse } from "node:http";

export class HttpError extends Error {
  constructor(public status: number, public code: string, message: string) {
    super(message);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(text);
}

export function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

/** The raw request body, refusing more than `limit` bytes (413). */
export async function readBody(req: IncomingMessage, limit = 64 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, "TOOBG", "The request body is too large.");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A JSON object body (415 for another content type, 400 when it is not an object). */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (!String(req.headers["content-type"] ?? "").startsWith("application/json")) {
    throw new HttpError(415, "BADCT", "Send the request as application/json.");
  }
  const body = await readBody(req);
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    throw new HttpError(400, "BADJS", "The request body is not valid JSON.");
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new HttpError(400, "BADJS", "The request body must be a JSON object.");
  }
  return value as Record<string, unknown>;
}

/** A string field of a JSON body, or null when absent; 400 when it has another type. */
export function stringField(body: Record<string, unknown>, name: string): string | null {
  const v = body[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") throw new HttpError(400, "BADIN", `${name} must be a string.`);
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
    throw new HttpError(403, "XORIG", "Requests from another site are not accepted.");
  }
}
