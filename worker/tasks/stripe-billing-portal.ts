// A billing portal session for request_billing_portal(): the URL is stored on the request, which
// the admin polls. Keyed by the request, so a retry returns the same session.
import type { Task } from "graphile-worker";
import { idempotencyKey, type StripeSettings } from "../stripe.ts";
import { assertRequestPayload, failOrRetry, finishRequest, readBillingRequest } from "./stripe-common.ts";

export function makeBillingPortal(settings: () => StripeSettings): Task<"stripe_billing_portal"> {
  return async (payload, helpers) => {
    assertRequestPayload(payload, "stripe_billing_portal");
    const r = await readBillingRequest(helpers, payload.tenantId, payload.requestId);
    if (!r || r.status !== "pending" || r.kind !== "portal") return;
    if (!r.customerId) {
      const err = new Error(`tenant ${r.tenantId} has no Stripe customer yet`);
      return failOrRetry(helpers, r, err);
    }
    const s = settings();
    try {
      const session = await s.client.billingPortal.sessions.create(
        { customer: r.customerId, return_url: s.portalReturnUrl },
        { idempotencyKey: idempotencyKey.portal(r.id) },
      );
      await finishRequest(helpers, r, { status: "done", url: session.url });
    } catch (err) {
      await failOrRetry(helpers, r, err);
    }
  };
}
