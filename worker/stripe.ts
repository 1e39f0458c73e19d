// The Stripe client of the worker, and what the Stripe tasks share. With STRIPE_SECRET_KEY set
// the real Stripe API is used; otherwise the local Stripe-compatible server at STRIPE_LOCAL_URL
// (stripe-local/, started by `npm start` in development). Both go through the real `stripe` SDK.
import Stripe from "stripe";

export interface StripeSettings {
  client: Stripe;
  /** True when talking to the local server. */
  local: boolean;
  /** Where the billing portal sends the user back to. */
  portalReturnUrl: string;
  /** Create a plan's price (by its lookup key) when Stripe has none: always with the local server. */
  createMissingPrices: boolean;
  /** Price ids from configuration, by plan key (STRIPE_PRICE_STARTER, STRIPE_PRICE_GROWTH…). */
  priceIds: Record<string, string>;
}

/** A client for the local server at `url` (http://host:port). */
export function localStripeClient(url: string, opts: { apiKey?: string; maxNetworkRetries?: number } = {}): Stripe {
  const u = new URL(url);
  return new Stripe(opts.apiKey ?? "sk_test_stripe_local", {
    host: u.hostname,
    port: Number(u.port || (u.protocol === "https:" ? 443 : 80)),
    protocol: u.protocol === "https:" ? "https" : "http",
    maxNetworkRetries: opts.maxNetworkRetries ?? 2,
    timeout: 20_000,
  });
}

function priceIdsFrom(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const m = /^STRIPE_PRICE_([A-Z][A-Z0-9_]*)$/.exec(name);
    if (m && value) out[m[1].toLowerCase()] = value;
  }
  return out;
}

/** Settings from the environment; throws when neither STRIPE_SECRET_KEY nor STRIPE_LOCAL_URL is set. */
export function stripeSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): StripeSettings {
  const appUrl = (env.APP_URL ?? `http://localhost:${env.PORT ?? 3000}`).replace(/\/+$/, "");
  const common = { portalReturnUrl: `${appUrl}/settings/billing`, priceIds: priceIdsFrom(env) };
  if (env.STRIPE_SECRET_KEY) {
    return {
      ...common,
      // The SDK retries network failures and 5xx itself, with the idempotency key we pass.
      client: new Stripe(env.STRIPE_SECRET_KEY, { maxNetworkRetries: 2, timeout: 20_000 }),
      local: false,
      createMissingPrices: env.STRIPE_CREATE_PRICES === "1",
    };
  }
  if (env.STRIPE_LOCAL_URL) {
    return {
      ...common,
      client: localStripeClient(env.STRIPE_LOCAL_URL, { apiKey: env.STRIPE_LOCAL_API_KEY }),
      local: true,
      createMissingPrices: true,
    };
  }
  throw new Error("Stripe is not configured: set STRIPE_SECRET_KEY, or STRIPE_LOCAL_URL for the local Stripe server.");
}

let cached: StripeSettings | null = null;

/** The settings of this process, made from the environment on first use. */
export function defaultStripeSettings(): StripeSettings {
  cached ??= stripeSettingsFromEnv();
  return cached;
}

/** Stable idempotency keys: one per row and action, so a retried job never acts twice. */
export const idempotencyKey = {
  createCustomer: (tenantId: string) => `tenant:${tenantId}:create-customer`,
  createSubscription: (tenantId: string) => `tenant:${tenantId}:create-subscription`,
  portal: (requestId: string) => `billing-request:${requestId}:portal`,
  updateSubscription: (requestId: string) => `billing-request:${requestId}:update-subscription`,
  reactivate: (requestId: string) => `billing-request:${requestId}:create-subscription`,
  createPrice: (planKey: string, lookupKey: string, cents: number) => `plan:${planKey}:create-price:${lookupKey}:${cents}`,
};

/** Errors Stripe will answer the same way however often we retry (our request is wrong, a card was declined). */
export function isPermanentStripeError(err: unknown): err is Stripe.errors.StripeError {
  if (!(err instanceof Stripe.errors.StripeError)) return false;
  return (
    err instanceof Stripe.errors.StripeCardError ||
    err instanceof Stripe.errors.StripeInvalidRequestError ||
    err instanceof Stripe.errors.StripeIdempotencyError ||
    err instanceof Stripe.errors.StripePermissionError ||
    err instanceof Stripe.errors.StripeAuthenticationError
  );
}

export interface PlanForStripe {
  key: string;
  name: string;
  priceCents: number;
  currency: string;
  interval: "month" | "year";
  lookupKey: string;
  priceId: string | null;
}

type Query = <R extends Record<string, any> = any>(sql: string, values?: unknown[]) => Promise<{ rows: R[] }>;

/**
 * The Stripe price of a plan: from configuration (STRIPE_PRICE_<PLAN>), else the price with the
 * plan's lookup_key, else (local server, or STRIPE_CREATE_PRICES=1) a new product and price with
 * that lookup key. Stores the id on the plan and returns it.
 */
export async function resolvePlanPrice(settings: StripeSettings, query: Query, plan: PlanForStripe): Promise<string> {
  let priceId = settings.priceIds[plan.key] ?? null;
  if (!priceId) {
    const found = await settings.client.prices.list({ lookup_keys: [plan.lookupKey], limit: 1 });
    priceId = found.data[0]?.id ?? null;
  }
  if (!priceId) {
    if (!settings.createMissingPrices) {
      throw new Error(
        `No Stripe price for the ${plan.key} plan: set STRIPE_PRICE_${plan.key.toUpperCase()} or create a price with lookup_key ${plan.lookupKey}.`,
      );
    }
    const price = await settings.client.prices.create(
      {
        currency: plan.currency,
        unit_amount: plan.priceCents,
        recurring: { interval: plan.interval },
        lookup_key: plan.lookupKey,
        product_data: { name: `Backoffice ${plan.name}`, metadata: { plan_key: plan.key } },
        metadata: { plan_key: plan.key },
      },
      { idempotencyKey: idempotencyKey.createPrice(plan.key, plan.lookupKey, plan.priceCents) },
    );
    priceId = price.id;
  }
  if (priceId !== plan.priceId) await query("select app_private.store_plan_price($1, $2)", [plan.key, priceId]);
  return priceId;
}

/** The Stripe price id of one plan (resolving it when the plan has none stored yet). */
export async function planPriceId(settings: StripeSettings, query: Query, planKey: string, stored: string | null): Promise<string> {
  if (stored) return stored;
  const { rows } = await query<{ plans: PlanForStripe[] }>("select app_private.plans_for_stripe() as plans");
  const plan = rows[0].plans.find((p) => p.key === planKey);
  if (!plan) throw new Error(`unknown plan ${planKey}`);
  return resolvePlanPrice(settings, query, plan);
}
