// A plan change for change_plan(): the subscription's item moves to the new plan's price (the
// plan on our row follows when Stripe's customer.subscription.updated arrives). Without a live
// subscription (canceled, within the grace period) a new one is created and charged at once,
// which reactivates the business; a declined card fails the request and creates nothing.
// Every call is keyed by the request.
import type Stripe from "stripe";
import type { Task } from "graphile-worker";
import { idempotencyKey, planPriceId, type StripeSettings } from "../stripe.ts";
import { assertRequestPayload, failOrRetry, finishRequest, readBillingRequest } from "./stripe-common.ts";

const ENDED = ["canceled", "incomplete_expired"];

export function makeChangePlan(settings: () => StripeSettings): Task<"stripe_change_plan"> {
  return async (payload, helpers) => {
    assertRequestPayload(payload, "stripe_change_plan");
    const r = await readBillingRequest(helpers, payload.tenantId, payload.requestId);
    if (!r || r.status !== "pending" || r.kind !== "change_plan" || !r.planKey) return;
    // Usage may have grown since the request was made.
    if (r.problem) return finishRequest(helpers, r, { status: "failed", error: r.problem });
    if (!r.customerId) return failOrRetry(helpers, r, new Error(`tenant ${r.tenantId} has no Stripe customer yet`));
    const s = settings();
    try {
      const price = await planPriceId(s, helpers.query.bind(helpers), r.planKey, r.priceId);
      const metadata = { tenant_id: r.tenantId, plan_key: r.planKey };
      let live: Stripe.Subscription | null = null;
      if (r.subscriptionId && r.subscriptionStatus !== "canceled") {
        const current = await s.client.subscriptions.retrieve(r.subscriptionId);
        if (!ENDED.includes(current.status)) live = current;
      }
      if (live) {
        const item = live.items.data[0];
        if (item.price.id !== price) {
          await s.client.subscriptions.update(
            live.id,
            { items: [{ id: item.id, price }], proration_behavior: "create_prorations", metadata },
            { idempotencyKey: idempotencyKey.updateSubscription(r.id) },
          );
        }
      } else {
        const created = await s.client.subscriptions.create(
          { customer: r.customerId, items: [{ price }], metadata, payment_behavior: "error_if_incomplete" },
          { idempotencyKey: idempotencyKey.reactivate(r.id) },
        );
        await helpers.query("select app_private.apply_stripe_subscription($1, $2::jsonb, to_timestamp($3), 'api')", [
          r.tenantId,
          JSON.stringify(created),
          created.created,
        ]);
      }
      await finishRequest(helpers, r, { status: "done" });
    } catch (err) {
      await failOrRetry(helpers, r, err);
    }
  };
}
