// Onboarding through the worker: the Stripe customer and the trial subscription, each created
// exactly once even when Stripe fails or the connection drops and the job is retried.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { billingState, startBillingHarness, type BillingHarness } from "./harness.ts";

let h: BillingHarness;
beforeAll(async () => {
  h = await startBillingHarness();
});
afterAll(() => h?.close());

async function customersOf(tenantId: string) {
  const found = await h.stripe.customers.search({ query: `metadata['tenant_id']:'${tenantId}'` });
  return found.data;
}

async function subscriptionsOf(customerId: string) {
  return (await h.stripe.subscriptions.list({ customer: customerId, status: "all" })).data;
}

async function jobs(task: string) {
  const { rows } = await h.db.owner.query(
    "select attempts, last_error from graphile_worker.jobs where task_identifier = $1 order by id",
    [task],
  );
  return rows as { attempts: number; last_error: string | null }[];
}

describe("onboarding creates the Stripe customer and the trial subscription", () => {
  it("a new tenant starts on Starter, trialing for 14 days, and queues the customer job", async () => {
    const owner = await h.db.onboard({ company: "Queued Bakery" });
    const s = await billingState(h.db, owner.tenantId);
    expect(s).toMatchObject({ plan_key: "starter", status: "trialing", stripe_customer_id: null, stripe_subscription_id: null });
    const days = (s.trial_ends_at.getTime() - Date.now()) / 86400_000;
    expect(days).toBeGreaterThan(13.99);
    expect(days).toBeLessThanOrEqual(14);
    const { rows } = await h.db.owner.query(
      "select payload from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = 'stripe_create_customer' and j.payload->>'tenantId' = $1",
      [owner.tenantId],
    );
    expect(rows).toHaveLength(1);
    await h.settle();
  });

  it("1. creates the customer with the owner's email, the business name and metadata.tenant_id", async () => {
    const owner = await h.onboard({ company: "Corner Florist" });
    const [customer, ...others] = await customersOf(owner.tenantId);
    expect(others).toEqual([]);
    expect(customer).toMatchObject({ email: owner.email, name: "Corner Florist", metadata: { tenant_id: owner.tenantId } });
    const s = await billingState(h.db, owner.tenantId);
    expect(s.billing_customer_id).toBe(customer.id);
    expect(s.stripe_customer_id).toBe(customer.id);
  });

  it("2. creates the subscription on the Starter price with the trial ending when ours does", async () => {
    const owner = await h.onboard({ company: "Trial Tea Room" });
    const [sub, ...others] = await subscriptionsOf(owner.customerId);
    expect(others).toEqual([]);
    expect(sub.status).toBe("trialing");
    expect(sub.metadata).toEqual({ tenant_id: owner.tenantId, plan_key: "starter" });
    const price = sub.items.data[0].price;
    expect(price).toMatchObject({ lookup_key: "starter_monthly", unit_amount: 7900, currency: "usd", recurring: expect.objectContaining({ interval: "month" }) });
    const s = await billingState(h.db, owner.tenantId);
    expect(s).toMatchObject({ stripe_subscription_id: sub.id, status: "trialing", plan_key: "starter" });
    expect(sub.trial_end).toBe(Math.floor(s.trial_ends_at.getTime() / 1000));
    expect(s.current_period_end.getTime()).toBe(sub.items.data[0].current_period_end * 1000);
    const plan = await h.db.owner.query("select stripe_price_id from app_public.plans where key = 'starter'");
    expect(plan.rows[0].stripe_price_id).toBe(price.id);
  });

  it("a job retried after a Stripe 500 creates one customer and one subscription", async () => {
    h.stripeLocal.control.failNext({ kind: "error_500", method: "POST", path: "/v1/customers", count: 1 });
    h.stripeLocal.control.failNext({ kind: "error_500", method: "POST", path: "/v1/subscriptions", count: 1 });
    const owner = await h.db.onboard({ company: "Five Hundred Deli" });
    await h.settle();
    expect((await jobs("stripe_create_customer"))[0]).toMatchObject({ attempts: 1, last_error: expect.any(String) });
    expect(await customersOf(owner.tenantId)).toEqual([]);

    await h.retryFailedJobsNow();
    await h.settle(); // the customer now; the subscription job fails once
    expect(await customersOf(owner.tenantId)).toHaveLength(1);
    expect((await jobs("stripe_create_subscription"))[0]).toMatchObject({ attempts: 1 });

    await h.retryFailedJobsNow();
    await h.settle();
    const customers = await customersOf(owner.tenantId);
    expect(customers).toHaveLength(1);
    expect(await subscriptionsOf(customers[0].id)).toHaveLength(1);
    expect(await jobs("stripe_create_customer")).toEqual([]);
    expect(await jobs("stripe_create_subscription")).toEqual([]);
    expect((await billingState(h.db, owner.tenantId)).status).toBe("trialing");
  });

  it("a job retried after the connection dropped once Stripe had acted creates nothing twice", async () => {
    // Two drops: the SDK retries a closed connection once by itself (same key), then gives up.
    h.stripeLocal.control.failNext({ kind: "drop_after_commit", method: "POST", path: "/v1/customers", count: 2 });
    h.stripeLocal.control.failNext({ kind: "drop_after_commit", method: "POST", path: "/v1/subscriptions", count: 2 });
    // Webhooks held, so that the stored subscription id can only come from the retried job.
    h.stripeLocal.control.holdWebhooks();
    const owner = await h.db.onboard({ company: "Dropped Line Cafe" });
    await h.settle();
    // Stripe made the customer, we did not learn its id.
    expect(await customersOf(owner.tenantId)).toHaveLength(1);
    expect((await billingState(h.db, owner.tenantId)).billing_customer_id).toBeNull();

    await h.retryFailedJobsNow();
    await h.settle();
    const [customer] = await customersOf(owner.tenantId);
    expect((await billingState(h.db, owner.tenantId)).billing_customer_id).toBe(customer.id);
    expect(await subscriptionsOf(customer.id)).toHaveLength(1); // made by the dropped request
    expect((await billingState(h.db, owner.tenantId)).stripe_subscription_id).toBeNull();

    await h.retryFailedJobsNow();
    await h.settle();
    const subs = await subscriptionsOf(customer.id);
    expect(subs).toHaveLength(1);
    expect(await customersOf(owner.tenantId)).toHaveLength(1);
    expect((await billingState(h.db, owner.tenantId)).stripe_subscription_id).toBe(subs[0].id);
    await h.stripeLocal.control.flushWebhooks();
    await h.settle();
    expect(await subscriptionsOf(customer.id)).toHaveLength(1);
    expect(await billingState(h.db, owner.tenantId)).toMatchObject({ stripe_subscription_id: subs[0].id, status: "trialing" });
  });

  it("a retry whose parameters changed finds the customer its first attempt made", async () => {
    h.stripeLocal.control.failNext({ kind: "drop_after_commit", method: "POST", path: "/v1/customers", count: 2 });
    const owner = await h.db.onboard({ company: "Old Name Books" });
    await h.settle();
    await h.db.owner.query("update app_public.tenants set name = 'New Name Books' where id = $1", [owner.tenantId]);
    await h.retryFailedJobsNow();
    await h.settle();
    const customers = await customersOf(owner.tenantId);
    expect(customers).toHaveLength(1);
    expect((await billingState(h.db, owner.tenantId)).billing_customer_id).toBe(customers[0].id);
  });

  it("a job for a tenant that is gone ends quietly", async () => {
    const gone = "01ZZZZZZZZZZZZZZZZZZZZZZZZ";
    await h.db.owner.query("select graphile_worker.add_job('stripe_create_customer', json_build_object('tenantId', $1::text))", [gone]);
    await h.db.owner.query("select graphile_worker.add_job('stripe_create_subscription', json_build_object('tenantId', $1::text))", [gone]);
    await h.settle();
    expect(await jobs("stripe_create_customer")).toEqual([]);
    expect(await jobs("stripe_create_subscription")).toEqual([]);
    expect(await customersOf(gone)).toEqual([]);
  });
});
