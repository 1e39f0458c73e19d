// The worker's Stripe client factory: real Stripe with STRIPE_SECRET_KEY, else the local server.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startStripeLocal, type StripeLocalServer } from "../../../stripe-local/server.ts";
import { idempotencyKey, stripeSettingsFromEnv } from "../../../worker/stripe.ts";

let local: StripeLocalServer;
beforeAll(async () => {
  local = await startStripeLocal();
});
afterAll(() => local?.close());

it("uses the local server at STRIPE_LOCAL_URL through the real SDK", async () => {
  const s = stripeSettingsFromEnv({ STRIPE_LOCAL_URL: local.url, STRIPE_PRICE_GROWTH: "price_123", APP_URL: "https://bo.example/" });
  expect(s.local).toBe(true);
  expect(s.createMissingPrices).toBe(true);
  expect(s.priceIds).toEqual({ growth: "price_123" });
  expect(s.portalReturnUrl).toBe("https://bo.example/settings/billing");
  const customer = await s.client.customers.create({ name: "Through the SDK" });
  expect(customer.id).toMatch(/^cus_/);
});

it("uses Stripe itself with STRIPE_SECRET_KEY, and refuses to guess without either", () => {
  const s = stripeSettingsFromEnv({ STRIPE_SECRET_KEY: "sk_test_real", STRIPE_LOCAL_URL: local.url });
  expect(s.local).toBe(false);
  expect(s.createMissingPrices).toBe(false);
  expect(s.client.getApiField("host")).toBe("api.stripe.com");
  expect(() => stripeSettingsFromEnv({})).toThrow(/STRIPE_SECRET_KEY/);
});

it("derives stable idempotency keys from the rows", () => {
  expect(idempotencyKey.createCustomer("T1")).toBe("tenant:T1:create-customer");
  expect(idempotencyKey.createSubscription("T1")).toBe("tenant:T1:create-subscription");
  expect(idempotencyKey.portal("R1")).toBe("billing-request:R1:portal");
});
