// POST /webhooks/stripe: Stripe's events. Only application/json is read (415 otherwise); the
// signature is checked over the raw body with STRIPE_WEBHOOK_SECRET (bad, missing or stale: 400
// BADSG, so a body re-serialised or changed in any byte is refused); a signed body that is not
// JSON or not a Stripe event (app_hidden.receive_stripe_events decides, BADIN) is a 400 BADJS.
// Nothing is stored in any of these cases. Otherwise the event is stored once with the job that applies it, in
// one transaction shared with the deliveries arriving at the same moment (stripe-inbox.ts: group
// commit), and we answer 200 once it is committed (also for a duplicate, and for event types we
// do not use). When the database fails we answer 500 so that Stripe delivers the event again —
// except when it refuses the event's content (a value PostgreSQL cannot take), which no resending
// would change: 400. U+0000 in the event, which jsonb cannot hold, is stored as U+FFFD.
//
// The call runs as the authenticator role itself (no switch to the API role): that function is
// executable by the authenticator only, so no GraphQL request can reach it (db/BILLING.md).
import type { IncomingMessage, ServerResponse } from "node:http";
import type pg from "pg";
import Stripe from "stripe";
import { HttpError, readBody, sendError, sendJson } from "./http.ts";
import { logger } from "./logger.ts";
import { stripeInbox } from "./stripe-inbox.ts";

/** Stripe's events are a few kB; anything near this is not one of them. */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

/** PostgreSQL cannot store U+0000 in jsonb: replace it (in keys and strings) by U+FFFD rather than lose the event. */
function withoutNul(value: unknown): unknown {
  if (typeof value === "string") return value.replaceAll("\u0000", "\uFFFD");
  if (Array.isArray(value)) return value.map(withoutNul);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.replaceAll("\u0000", "\uFFFD"), withoutNul(v)]));
  }
  return value;
}

/** A database error caused by the event's content (a value PostgreSQL cannot take): resending cannot help. */
function isInputError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" && (code.startsWith("22") || code.startsWith("54"));
}

export async function handleStripeWebhook(pool: pg.Pool, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== "POST") return sendError(res, { code: "NOTFD", message: "Not found." });
  const secret = process.env.STRIPE_WEBHOOK_SECRET;
  if (!secret) {
    logger.error("STRIPE_WEBHOOK_SECRET is not set: Stripe webhooks cannot be verified");
    return sendError(res, { code: "INTER", message: "Stripe webhooks are not configured on this server." }, 503);
  }
  // Stripe sends application/json (with a charset); anything else is not one of its deliveries.
  if (!/^application\/json\s*(;|$)/i.test(String(req.headers["content-type"] ?? ""))) {
    return sendError(res, { code: "BADCT", message: "Stripe events are sent as application/json." });
  }
  let body: Buffer;
  try {
    body = await readBody(req, WEBHOOK_BODY_LIMIT);
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    // The rest of the body is left unread: close the connection after answering, or the client
    // would send its next request on a socket whose input is still the end of this body.
    res.setHeader("connection", "close");
    return sendError(res, { code: err.code, message: err.message });
  }
  const header = req.headers["stripe-signature"];
  try {
    Stripe.webhooks.signature!.verifyHeader(body, typeof header === "string" ? header : "", secret, Stripe.webhooks.DEFAULT_TOLERANCE);
  } catch {
    return sendError(res, { code: "BADSG", message: "The Stripe-Signature header is missing, does not match the body, or is too old." });
  }
  // Signed, so from Stripe (or whoever holds the secret); still checked before anything is stored.
  let text = body.toString("utf8");
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch {
    return sendError(res, { code: "BADJS", message: "The signed body is not valid JSON." });
  }
  if (text.includes("\\u0000")) {
    try {
      text = JSON.stringify(withoutNul(event));
    } catch {
      return sendError(res, { code: "BADJS", message: "The event holds a value that cannot be stored." }); // nested too deep to rewrite
    }
  }
  const { id, type } = (event ?? {}) as { id?: unknown; type?: unknown };
  let isNew: boolean;
  try {
    isNew = await stripeInbox(pool).receive(text, String(id ?? ""));
  } catch (err) {
    // app_hidden.receive_stripe_events decides what a Stripe event is.
    if ((err as { code?: unknown }).code === "BADIN") return sendError(res, { code: "BADJS", message: "The signed body is not a Stripe event." });
    if (isInputError(err)) {
      logger.warn({ err, eventId: id, type }, "a signed Stripe event PostgreSQL cannot store");
      return sendError(res, { code: "BADJS", message: "The event holds a value that cannot be stored." });
    }
    logger.error({ err, eventId: id, type }, "could not store a Stripe event");
    return sendError(res, { code: "INTER", message: "The event could not be stored; deliver it again later." });
  }
  sendJson(res, 200, { received: true, duplicate: !isNew });
}
