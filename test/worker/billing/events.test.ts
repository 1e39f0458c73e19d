// Stripe's events, end to end: the local Stripe server moves subscriptions through trial end,
// renewals, failed payments and cancellations and delivers signed webhooks to our route; the
// worker applies them. Duplicates and out-of-order deliveries keep the newest state.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestWorker } from "../../helpers/worker.ts";
import { DAY, billingState, silentLogger, startBillingHarness, type BillingHarness } from "./harness.ts";

let h: BillingHarness;
beforeAll(async () => {
  h = await startBillingHarness();
});
beforeEach(async () => {
  await h.freshStripe();
});
afterAll(() => h?.close());

async function notices(tenantId: string) {
  const { rows } = await h.db.owner.query(
    "select kind, message, stripe_event_id from app_public.billing_notices where tenant_id = $1 order by created_at, id",
    [tenantId],
  );
  return rows;
}

async function invoices(tenantId: string) {
  const { rows } = await h.db.owner.query(
    "select * from app_public.billing_invoices where tenant_id = $1 order by invoiced_at, id",
    [tenantId],
  );
  return rows;
}

/** Moves Stripe's clock, delivering what happens on the way, then lets the worker apply it. */
async function advance(seconds: number) {
  await h.stripeLocal.control.advanceTime(seconds);
  await h.settle();
}

const TRIAL_END = 14 * DAY + 2 * 3600; // past the trial end and the first invoice's charge, an hour later

describe("applying Stripe events", () => {
  it("3. invoice.paid → active with the paid period; invoices are mirrored", async () => {
    const owner = await h.onboard();
    await advance(TRIAL_END);
    const sub = await h.stripe.subscriptions.retrieve(owner.subscriptionId);
    expect(sub.status).toBe("active");
    const s = await billingState(h.db, owner.tenantId);
    expect(s).toMatchObject({ status: "active", plan_key: "starter", tenant_status: "active" });
    expect(s.current_period_start.getTime()).toBe(sub.items.data[0].current_period_start * 1000);
    expect(s.current_period_end.getTime()).toBe(sub.items.data[0].current_period_end * 1000);
    const paid = (await invoices(owner.tenantId)).filter((i) => i.status === "paid");
    expect(paid.map((i) => [i.billing_reason, i.amount_due, i.amount_paid])).toEqual([
      ["subscription_create", 0, 0],
      ["subscription_cycle", 7900, 7900],
    ]);
    const cycle = paid[1];
    expect(cycle.number).toMatch(/-0002$/);
    expect(cycle.hosted_invoice_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/i\/in_/);
    expect(cycle.period_end.getTime()).toBe(s.current_period_end.getTime());
  });

  it("4. invoice.payment_failed → past_due, then suspended on the last attempt; paying reactivates", async () => {
    h.stripeLocal.control.billing({ retryDelaysDays: [3], onFinalFailure: "past_due" }); // two attempts
    const owner = await h.onboard();
    h.stripeLocal.control.declineCard(owner.customerId, "insufficient_funds");
    await advance(TRIAL_END);
    let s = await billingState(h.db, owner.tenantId);
    expect(s).toMatchObject({ status: "past_due", tenant_status: "active" });
    const [failed] = (await invoices(owner.tenantId)).filter((i) => i.status === "open");
    expect(failed).toMatchObject({ attempt_count: 1, amount_paid: 0, amount_due: 7900 });
    expect(failed.next_payment_attempt).not.toBeNull();
    expect((await notices(owner.tenantId)).map((n) => n.kind)).toEqual(["trial_will_end", "payment_failed"]);

    await advance(3 * DAY);
    s = await billingState(h.db, owner.tenantId);
    expect(s).toMatchObject({ status: "past_due", tenant_status: "suspended", suspension_reason: "nonpayment" });
    const [last] = (await invoices(owner.tenantId)).filter((i) => i.status === "open");
    expect(last).toMatchObject({ attempt_count: 2, next_payment_attempt: null });

    h.stripeLocal.control.acceptCard(owner.customerId);
    await h.stripe.invoices.pay(last.stripe_invoice_id);
    await h.settle();
    s = await billingState(h.db, owner.tenantId);
    expect(s).toMatchObject({ status: "active", tenant_status: "active", suspension_reason: null });
  });

  it("suspends after 3 failed attempts even while Stripe still retries", async () => {
    h.stripeLocal.control.billing({ onFinalFailure: "past_due" }); // 4 attempts: days 0, 3, 8, 15
    const owner = await h.onboard();
    h.stripeLocal.control.declineCard(owner.customerId);
    await advance(TRIAL_END);
    await advance(3 * DAY);
    expect(await billingState(h.db, owner.tenantId)).toMatchObject({ status: "past_due", tenant_status: "active" });
    await advance(5 * DAY);
    expect(await billingState(h.db, owner.tenantId)).toMatchObject({ status: "past_due", tenant_status: "suspended", suspension_reason: "nonpayment" });
    const [open] = (await invoices(owner.tenantId)).filter((i) => i.status === "open");
    expect(open.attempt_count).toBe(3);
    expect(open.next_payment_attempt).not.toBeNull();
  });

  it("5. customer.subscription.deleted → canceled, tenant suspended with a 30-day grace period", async () => {
    const owner = await h.onboard();
    const canceled = await h.stripe.subscriptions.cancel(owner.subscriptionId);
    await h.settle();
    const s = await billingState(h.db, owner.tenantId);
    expect(s).toMatchObject({ status: "canceled", tenant_status: "suspended", suspension_reason: "canceled" });
    expect(s.canceled_at.getTime()).toBe(canceled.ended_at! * 1000);
    expect(s.grace_ends_at.getTime() - s.canceled_at.getTime()).toBe(30 * DAY * 1000);
    expect((await notices(owner.tenantId)).map((n) => n.kind)).toEqual(["subscription_canceled"]);
    const audit = await h.db.owner.query(
      "select changes from app_public.audit_entries where tenant_id = $1 and entity = 'billing_subscriptions' and action = 'update' order by created_at, id",
      [owner.tenantId],
    );
    expect(audit.rows.at(-1).changes.status).toEqual({ old: "trialing", new: "canceled" });
  });

  it("a stale customer.subscription.updated after deleted does not revive it; choosing a plan within the grace period does", async () => {
    const owner = await h.onboard();
    h.stripeLocal.control.holdWebhooks();
    await h.stripe.subscriptions.update(owner.subscriptionId, { metadata: { note: "before cancel" } });
    await h.stripeLocal.control.advanceTime(60);
    await h.stripe.subscriptions.cancel(owner.subscriptionId);
    const held = h.stripeLocal.control.heldWebhooks();
    const events = h.stripeLocal.control.events().filter((e) => held.includes(e.id));
    const updated = events.find((e) => e.type === "customer.subscription.updated")!;
    const deleted = events.find((e) => e.type === "customer.subscription.deleted")!;
    expect(updated.created).toBeLessThan(deleted.created);
    await h.stripeLocal.control.deliverEvents([deleted.id, updated.id]);
    await h.settle();
    expect(await billingState(h.db, owner.tenantId)).toMatchObject({ status: "canceled", tenant_status: "suspended" });
    const outcome = await h.db.owner.query("select status, outcome from app_private.stripe_events where id = $1", [updated.id]);
    expect(outcome.rows[0]).toEqual({ status: "applied", outcome: "subscription already ended" });

    // Reactivation: a new subscription, charged now, replaces the ended one.
    const { rows } = await owner.query("select * from app_public.change_plan('growth')");
    expect(rows[0]).toMatchObject({ kind: "change_plan", plan_key: "growth", status: "pending" });
    await h.stripeLocal.control.flushWebhooks();
    await h.settle();
    const s = await billingState(h.db, owner.tenantId);
    expect(s).toMatchObject({ status: "active", plan_key: "growth", tenant_status: "active", suspension_reason: null, grace_ends_at: null });
    expect(s.stripe_subscription_id).not.toBe(owner.subscriptionId);
    const request = await h.db.owner.query("select status, error_message from app_public.billing_requests where id = $1", [rows[0].id]);
    expect(request.rows[0]).toEqual({ status: "done", error_message: null });
    const subs = await h.stripe.subscriptions.list({ customer: owner.customerId, status: "all" });
    expect(subs.data.map((x) => x.status).sort()).toEqual(["active", "canceled"]);
  });

  it("reactivation with a declined card fails the request and creates nothing", async () => {
    const owner = await h.onboard();
    await h.stripe.subscriptions.cancel(owner.subscriptionId);
    await h.settle();
    h.stripeLocal.control.declineCard(owner.customerId);
    const { rows } = await owner.query("select (app_public.change_plan('starter')).id");
    await h.settle();
    const request = await h.db.owner.query("select status, error_message from app_public.billing_requests where id = $1", [rows[0].id]);
    expect(request.rows[0].status).toBe("failed");
    expect(request.rows[0].error_message).toMatch(/declined/i);
    expect(await billingState(h.db, owner.tenantId)).toMatchObject({ status: "canceled", tenant_status: "suspended" });
    const subs = await h.stripe.subscriptions.list({ customer: owner.customerId, status: "all" });
    expect(subs.data).toHaveLength(1);
  });

  it("out-of-order deliveries keep the newest state", async () => {
    const owner = await h.onboard();
    h.stripeLocal.control.holdWebhooks();
    h.stripeLocal.control.declineCard(owner.customerId);
    await h.stripeLocal.control.advanceTime(TRIAL_END); // trial ends, the first charge fails: past_due
    h.stripeLocal.control.acceptCard(owner.customerId);
    await h.stripeLocal.control.advanceTime(3600);
    const [open] = (await h.stripe.invoices.list({ customer: owner.customerId, status: "open" })).data;
    await h.stripe.invoices.pay(open.id); // paid: active again
    expect(h.stripeLocal.control.heldWebhooks().length).toBeGreaterThan(8);
    await h.stripeLocal.control.flushWebhooks({ order: "reverse" });
    await h.settle();
    const s = await billingState(h.db, owner.tenantId);
    expect(s).toMatchObject({ status: "active", tenant_status: "active" });
    const sub = await h.stripe.subscriptions.retrieve(owner.subscriptionId);
    expect(s.current_period_end.getTime()).toBe(sub.items.data[0].current_period_end * 1000);
    const mirrored = (await invoices(owner.tenantId)).find((i) => i.stripe_invoice_id === open.id);
    expect(mirrored).toMatchObject({ status: "paid", attempt_count: 2, amount_paid: 7900 });
    const stale = await h.db.owner.query(
      "select count(*)::int as n from app_private.stripe_events where customer_id = $1 and outcome = 'stale'",
      [owner.customerId],
    );
    expect(stale.rows[0].n).toBeGreaterThan(0);
  });

  it("customer.subscription.trial_will_end leaves one notice for the owner, however often it is delivered", async () => {
    const owner = await h.onboard();
    await advance(11 * DAY + 60);
    const [event] = h.stripeLocal.control.events("customer.subscription.trial_will_end");
    expect(event).toBeDefined();
    await h.stripeLocal.control.redeliverEvent(event.id, 3);
    await h.settle();
    const list = await notices(owner.tenantId);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ kind: "trial_will_end", stripe_event_id: event.id });
    expect(list[0].message).toMatch(/^Your free trial ends on \w+ \d+, \d{4}\./);
    const stored = await h.db.owner.query("select count(*)::int as n from app_private.stripe_events where id = $1", [event.id]);
    expect(stored.rows[0].n).toBe(1);
    // The owner sees it; a manager (no settings.update) does not.
    expect((await owner.query("select kind from app_public.billing_notices")).rows).toEqual([{ kind: "trial_will_end" }]);
    const manager = await h.db.asUser(owner.tenantId, "manager");
    expect((await manager.query("select kind from app_public.billing_notices")).rows).toEqual([]);
    await owner.query("select app_public.dismiss_billing_notice($1)", [(await owner.query("select id from app_public.billing_notices")).rows[0].id]);
    expect((await owner.query("select dismissed_at from app_public.billing_notices")).rows[0].dismissed_at).not.toBeNull();
  });

  it("concurrent jobs for one event apply it once", async () => {
    const owner = await h.onboard();
    h.stripeLocal.control.holdWebhooks();
    await h.stripeLocal.control.advanceTime(11 * DAY + 60);
    const [event] = h.stripeLocal.control.events("customer.subscription.trial_will_end");
    await h.stripeLocal.control.deliverEvents([event.id]);
    for (let i = 0; i < 5; i++) {
      await h.db.owner.query("select graphile_worker.add_job('stripe_apply_event', json_build_object('eventId', $1::text))", [event.id]);
    }
    const runner = await startTestWorker(h.db, { taskList: h.taskList, concurrency: 6, pollInterval: 50, logger: silentLogger });
    for (let i = 0; i < 100; i++) {
      const { rows } = await h.db.owner.query("select count(*)::int as n from graphile_worker.jobs");
      if (rows[0].n === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await runner.stop();
    expect((await notices(owner.tenantId)).map((n) => n.kind)).toEqual(["trial_will_end"]);
    const stored = await h.db.owner.query("select status, applied_at from app_private.stripe_events where id = $1", [event.id]);
    expect(stored.rows[0].status).toBe("applied");
    await h.stripeLocal.control.flushWebhooks();
    await h.settle();
  });

  it("one customer's events are applied one at a time, oldest first, by a worker of many: the same history always ends the same, one notice per failed charge", async () => {
    const outcomes: unknown[] = [];
    for (let round = 0; round < 2; round++) {
      h.stripeLocal.control.billing({ onFinalFailure: "past_due" }); // retries on days 3, 8 and 15
      const owner = await h.onboard();
      h.stripeLocal.control.holdWebhooks();
      h.stripeLocal.control.declineCard(owner.customerId);
      for (const days of [14, 3, 5, 7]) await h.stripeLocal.control.advanceTime(days * DAY + 3600);
      await h.stripeLocal.control.flushWebhooks({ order: "shuffle" });
      await h.stripeLocal.control.webhooksIdle();
      // Every job of this customer sits in the customer's queue.
      const queues = await h.db.owner.query(
        `select distinct q.queue_name from graphile_worker._private_jobs j
         join graphile_worker._private_tasks t on t.id = j.task_id and t.identifier = 'stripe_apply_event'
         left join graphile_worker._private_job_queues q on q.id = j.job_queue_id
         join app_private.stripe_events e on e.id = j.payload ->> 'eventId'
         where e.customer_id = $1`,
        [owner.customerId],
      );
      expect(queues.rows).toEqual([{ queue_name: `stripe:${owner.customerId}` }]);
      const runner = await startTestWorker(h.db, { taskList: h.taskList, concurrency: 6, pollInterval: 20, logger: silentLogger });
      try {
        await h.settle();
      } finally {
        await runner.stop();
      }
      const failedEvents = await h.db.owner.query(
        "select count(*)::int as n from app_private.stripe_events where customer_id = $1 and type = 'invoice.payment_failed'",
        [owner.customerId],
      );
      expect(failedEvents.rows[0].n).toBeGreaterThanOrEqual(3);
      const kinds = (await notices(owner.tenantId)).map((n) => n.kind);
      expect(kinds.filter((k) => k === "payment_failed")).toHaveLength(failedEvents.rows[0].n);
      const s = await billingState(h.db, owner.tenantId);
      outcomes.push({ kinds: [...kinds].sort(), status: s.status, tenant: s.tenant_status, reason: s.suspension_reason, failed: failedEvents.rows[0].n });
      await h.freshStripe();
    }
    expect(outcomes[1]).toEqual(outcomes[0]);
  });

  it("a plan change follows customer.subscription.updated; limits and modules follow the plan", async () => {
    const owner = await h.onboard();
    expect((await owner.query("select app_hidden.has_module('inventory') as ok")).rows[0].ok).toBe(false);
    await owner.query("insert into app_public.locations (name, timezone) values ('Second', 'Europe/Paris')");
    expect((await owner.query("select (app_public.change_plan('growth')).status")).rows[0].status).toBe("pending");
    await h.settle();
    const sub = await h.stripe.subscriptions.retrieve(owner.subscriptionId);
    expect(sub.items.data[0].price.lookup_key).toBe("growth_monthly");
    expect(await billingState(h.db, owner.tenantId)).toMatchObject({ plan_key: "growth", status: "trialing" });
    expect((await owner.query("select app_hidden.has_module('inventory') as ok")).rows[0].ok).toBe(true);
    await owner.query("insert into app_public.locations (name, timezone) values ('Third', 'Europe/Paris')");

    // Back to Starter is refused while three locations exceed its two.
    await expect(owner.query("select app_public.change_plan('starter')")).rejects.toMatchObject({ code: "DOWNG" });
  });
});
