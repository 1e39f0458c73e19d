// The session cookie: an HttpOnly, SameSite=Lax cookie holding the secret session id (a UUID).
import type { IncomingMessage, ServerResponse } from "node:http";

export const SESSION_COOKIE = "bo_session";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_AGE_SECONDS = 14 * 24 * 3600; // matches app_private.sessions.expires_at

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i < 0) continue;
    const key = part.slice(0, i).trim();
    if (!key || key in out) continue;
    try {
      out[key] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      // A malformed cookie is ignored, not an error.
    }
  }
  return out;
}

/** The session id from the cookie when it is a well-formed UUID, else null. */
export function readSessionId(req: IncomingMessage): string | null {
  const value = parseCookies(req.headers.cookie)[SESSION_COOKIE];
  return value && UUID.test(value) ? value : null;
}

export function isSecureRequest(req: IncomingMessage): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted) return true;
  return process.env.TRUST_PROXY === "1" && req.headers["x-forwarded-proto"] === "https";
}

/**
 * The client's IP address: the socket's peer, or, behind a trusted proxy (TRUST_PROXY=1), the
 * address that proxy appended last to X-Forwarded-For (earlier entries are the client's own
 * claims and are ignored).
 */
export function clientAddress(req: IncomingMessage): string {
  const peer = req.socket.remoteAddress ?? "unknown";
  if (process.env.TRUST_PROXY !== "1") return peer;
  const header = req.headers["x-forwarded-for"];
  const hops = (Array.isArray(header) ? header.join(",") : (header ?? "")).split(",").map((s) => s.trim()).filter(Boolean);
  const last = hops.at(-1);
  return last && last.length <= 64 ? last : peer;
}

export function setSessionCookie(req: IncomingMessage, res: ServerResponse, sessionId: string | null): void {
  const parts = [
    `${SESSION_COOKIE}=${sessionId ?? ""}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
    `Max-Age=${sessionId ? MAX_AGE_SECONDS : 0}`,
  ];
  if (isSecureRequest(req)) parts.push("Secure");
  res.appendHeader("Set-Cookie", parts.join("; "));
}
