// Resolves the Stripe price of every plan (configuration, else lookup key, else created on the
// local server) and stores the ids. Queued at start-up; the subscription tasks also resolve a
// missing price on demand.
import type { Task } from "graphile-worker";
import { resolvePlanPrice, type PlanForStripe, type StripeSettings } from "../stripe.ts";

export function makeSyncPlans(settings: () => StripeSettings): Task<"stripe_sync_plans"> {
  return async (_payload, helpers) => {
    const s = settings();
    const { rows } = await helpers.query<{ plans: PlanForStripe[] }>("select app_private.plans_for_stripe() as plans");
    for (const plan of rows[0].plans) {
      const id = await resolvePlanPrice(s, helpers.query.bind(helpers), plan);
      helpers.logger.info(`plan ${plan.key}: Stripe price ${id}`);
    }
  };
}
