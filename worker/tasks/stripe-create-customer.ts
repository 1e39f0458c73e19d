// Onboarding, step 1: the tenant's Stripe customer (email of the owner, business name,
// metadata.tenant_id). The idempotency key is derived from the tenant, so a retried job gets the
// customer the first attempt made, never a second one. Storing it queues step 2.
import Stripe from "stripe";
import type { Task } from "graphile-worker";
import { idempotencyKey, type StripeSettings } from "../stripe.ts";
import { assertTenantPayload } from "./stripe-common.ts";

interface CustomerParams {
  tenantId: string;
  name: string;
  email: string | null;
  customerId: string | null;
}

export function makeCreateCustomer(settings: () => StripeSettings): Task<"stripe_create_customer"> {
  return async (payload, helpers) => {
    assertTenantPayload(payload, "stripe_create_customer");
    const { tenantId } = payload;
    const { rows } = await helpers.query<{ p: CustomerParams | null }>("select app_private.stripe_customer_params($1) as p", [tenantId]);
    const p = rows[0]?.p;
    if (!p) return; // the tenant is gone
    let customerId = p.customerId;
    if (!customerId) {
      const { client } = settings();
      try {
        const customer = await client.customers.create(
          { name: p.name, ...(p.email ? { email: p.email } : {}), metadata: { tenant_id: tenantId } },
          { idempotencyKey: idempotencyKey.createCustomer(tenantId) },
        );
        customerId = customer.id;
      } catch (err) {
        // Same key, other parameters: the name or email changed since the attempt that made it.
        if (!(err instanceof Stripe.errors.StripeIdempotencyError)) throw err;
        const found = await client.customers.search({ query: `metadata['tenant_id']:'${tenantId}'` });
        if (!found.data[0]) throw err;
        customerId = found.data[0].id;
      }
    }
    const stored = await helpers.query<{ ok: boolean }>("select app_private.store_stripe_customer($1, $2) as ok", [tenantId, customerId]);
    if (!stored.rows[0].ok) helpers.logger.warn(`tenant ${tenantId} is gone or has another Stripe customer than ${customerId}`);
  };
}
