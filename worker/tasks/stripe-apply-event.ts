// Applies one stored Stripe event (queued by the webhook route, in the transaction that stored
// it). All rules are in SQL (app_private.apply_stripe_event); an event about a customer we have
// not stored yet raises NOCUS there, and the job fails so that graphile-worker retries it later.
import type { Task } from "graphile-worker";
import { assertEventPayload } from "./stripe-common.ts";

export const applyStripeEvent: Task<"stripe_apply_event"> = async (payload, helpers) => {
  assertEventPayload(payload, "stripe_apply_event");
  const { rows } = await helpers.query<{ outcome: string }>("select app_private.apply_stripe_event($1) as outcome", [payload.eventId]);
  helpers.logger.debug(`stripe event ${payload.eventId}: ${rows[0].outcome}`);
};
