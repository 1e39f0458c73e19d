// Onboarding, step 2: the trial subscription on the plan's price, ending when our trial ends.
// The idempotency key is derived from the tenant; the subscription is stored on its row (events
// about it may have been applied already, which is fine).
import type { Task } from "graphile-worker";
import { idempotencyKey, planPriceId, type StripeSettings } from "../stripe.ts";
import { assertTenantPayload } from "./stripe-common.ts";

interface SubscriptionParams {
  tenantId: string;
  customerId: string | null;
  subscriptionId: string | null;
  status: string;
  planKey: string;
  priceId: string | null;
  trialEnd: number | null;
}

export function makeCreateSubscription(settings: () => StripeSettings): Task<"stripe_create_subscription"> {
  return async (payload, helpers) => {
    assertTenantPayload(payload, "stripe_create_subscription");
    const { tenantId } = payload;
    const { rows } = await helpers.query<{ p: SubscriptionParams | null }>("select app_private.stripe_subscription_params($1) as p", [tenantId]);
    const p = rows[0]?.p;
    if (!p || p.subscriptionId) return; // gone, or done already
    if (!p.customerId) throw new Error(`tenant ${tenantId} has no Stripe customer yet`);
    const s = settings();
    const price = await planPriceId(s, helpers.query.bind(helpers), p.planKey, p.priceId);
    const subscription = await s.client.subscriptions.create(
      {
        customer: p.customerId,
        items: [{ price }],
        metadata: { tenant_id: tenantId, plan_key: p.planKey },
        ...(p.trialEnd && p.trialEnd > Date.now() / 1000 + 60 ? { trial_end: p.trialEnd } : {}),
      },
      { idempotencyKey: idempotencyKey.createSubscription(tenantId) },
    );
    await helpers.query("select app_private.apply_stripe_subscription($1, $2::jsonb, to_timestamp($3), 'api')", [
      tenantId,
      JSON.stringify(subscription),
      subscription.created,
    ]);
  };
}
