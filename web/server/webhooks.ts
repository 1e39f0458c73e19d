// POST /webhooks/stripe: Stripe's events. The signature is checked over the raw body with
// STRIPE_WEBHOOK_SECRET (bad, missing or stale: 400 and nothing stored); then one call to
// app_hidden.receive_stripe_event stores the event once and queues the job that applies it, in
// one transaction, and we answer 200 at once (also for a duplicate, and for event types we do not
// use). When the database fails we answer 500 so that Stripe delivers the event again.
//
// The call runs as the authenticator role itself (no switch to the API role): that function is
// executable by the authenticator only, so no GraphQL request can reach it (db/BILLING.md).
import type { IncomingMessage, ServerResponse } from "node:http";
import type pg from "pg";
import Stripe from "stripe";
import { readBody, sendError, sendJson } from "./http.ts";
import { logger } from "./logger.ts";

/** Stripe's events are a few kB; anything near this is not one of them. */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

export async function handleStripeWebhook(pool: pg.Pool, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== "POST") return sendError(res, 404, "NOTFD", "Not found.");
  const secret = process.env.STRIPE_WEBHOOK_SECRET;
  if (!secret) {
    logger.error("STRIPE_WEBHOOK_SECRET is not set: Stripe webhooks cannot be verified");
    return sendError(res, 503, "INTER", "Stripe webhooks are not configured on this server.");
  }
  const body = await readBody(req, WEBHOOK_BODY_LIMIT);
  const header = req.headers["stripe-signature"];
  let event: Stripe.Event;
  try {
    event = Stripe.webhooks.constructEvent(body, typeof header === "string" ? header : "", secret);
  } catch {
    return sendError(res, 400, "BADSG", "The Stripe-Signature header is missing, does not match the body, or is too old.");
  }
  if (typeof event?.id !== "string" || typeof event.type !== "string" || typeof event.created !== "number" || typeof event.data?.object !== "object") {
    return sendError(res, 400, "BADSG", "The signed body is not a Stripe event.");
  }
  let isNew: boolean;
  try {
    const { rows } = await pool.query<{ stored: boolean }>("select app_hidden.receive_stripe_event($1::jsonb) as stored", [
      body.toString("utf8"),
    ]);
    isNew = rows[0].stored;
  } catch (err) {
    logger.error({ err, eventId: event.id, type: event.type }, "could not store a Stripe event");
    return sendError(res, 500, "INTER", "The event could not be stored; deliver it again later.");
  }
  sendJson(res, 200, { received: true, duplicate: !isNew });
}
