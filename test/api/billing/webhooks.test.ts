// POST /webhooks/stripe through the real HTTP server: signatures checked over the raw body with
// the SDK, each event stored once with one job, unknown types acknowledged, database failures
// answered with 500 so that Stripe retries, and events about customers not stored yet retried.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roles } from "../../../db/config.ts";
import { runJobsOnce } from "../../helpers/worker.ts";
import { billingState, signed, silentLogger, startBillingHarness, type BillingHarness } from "../../worker/billing/harness.ts";

let h: BillingHarness;
beforeAll(async () => {
  h = await startBillingHarness();
});
afterAll(() => h?.close());

let counter = 0;
function event(type: string, object: Record<string, unknown>, created = Math.floor(Date.now() / 1000)) {
  return {
    id: `evt_test_${Date.now().toString(36)}_${++counter}`,
    object: "event",
    api_version: "2026-10-28.endive",
    created,
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  };
}

async function post(body: string, headers: Record<string, string>) {
  const res = await fetch(`${h.server.url}/webhooks/stripe`, { method: "POST", headers, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function stored(id: string) {
  const { rows } = await h.db.owner.query("select id, type, status, outcome from app_private.stripe_events where id = $1", [id]);
  return rows;
}

async function jobsFor(id: string) {
  const { rows } = await h.db.owner.query(
    "select j.attempts, j.last_error from graphile_worker._private_jobs j where j.payload->>'eventId' = $1",
    [id],
  );
  return rows;
}

/** Runs only the jobs that apply events (the tenant's onboarding jobs stay queued). */
async function applyEvents() {
  await runJobsOnce(h.db, { stripe_apply_event: h.taskList.stripe_apply_event }, { logger: silentLogger });
}

const subscriptionObject = (customer: string, tenantId: string | null, status = "active") => ({
  id: `sub_test_${++counter}`,
  object: "subscription",
  customer,
  status,
  created: Math.floor(Date.now() / 1000),
  cancel_at_period_end: false,
  canceled_at: null,
  ended_at: null,
  trial_end: null,
  metadata: tenantId ? { tenant_id: tenantId } : {},
  items: {
    object: "list",
    data: [{
      id: "si_test",
      current_period_start: Math.floor(Date.now() / 1000),
      current_period_end: Math.floor(Date.now() / 1000) + 30 * 86400,
      price: { id: "price_not_ours", lookup_key: "growth_monthly", metadata: {} },
    }],
  },
});

describe("POST /webhooks/stripe", () => {
  it("6. a bad, missing or stale signature answers 400 and stores nothing", async () => {
    const e = event("invoice.paid", { id: "in_x", object: "invoice", customer: "cus_x" });
    const body = JSON.stringify(e);
    const cases = [
      signed(body, { secret: "whsec_not_ours" }),
      { "content-type": "application/json" },
      { "content-type": "application/json", "stripe-signature": "t=1,v1=deadbeef" },
      signed(body, { timestamp: Math.floor(Date.now() / 1000) - 3600 }),
    ];
    for (const headers of cases) {
      expect(await post(body, headers)).toEqual({ status: 400, body: { error: { code: "BADSG", message: expect.any(String) } } });
    }
    // Signed, then changed.
    expect((await post(body.replace("cus_x", "cus_y"), signed(body))).status).toBe(400);
    expect(await stored(e.id)).toEqual([]);
    expect(await jobsFor(e.id)).toEqual([]);
  });

  it("refuses a body over 1 MB with 413", async () => {
    const e = event("customer.updated", { id: "cus_big", object: "customer", description: "x".repeat(1024 * 1024) });
    const body = JSON.stringify(e);
    const res = await post(body, signed(body)).catch((err) => ({ status: 0, body: String(err) }));
    expect(res.status).toBe(413);
    expect(await stored(e.id)).toEqual([]);
  });

  it("stores a verified event once and queues one job; duplicate deliveries answer 200 and add nothing", async () => {
    const e = event("invoice.paid", { id: "in_dup", object: "invoice", customer: "cus_dup" });
    const body = JSON.stringify(e);
    expect(await post(body, signed(body))).toEqual({ status: 200, body: { received: true, duplicate: false } });
    expect(await post(body, signed(body))).toEqual({ status: 200, body: { received: true, duplicate: true } });
    expect(await post(body, signed(body))).toEqual({ status: 200, body: { received: true, duplicate: true } });
    expect(await stored(e.id)).toEqual([{ id: e.id, type: "invoice.paid", status: "pending", outcome: null }]);
    expect(await jobsFor(e.id)).toHaveLength(1);
  });

  it("concurrent duplicate deliveries store one event and queue one job", async () => {
    const e = event("customer.subscription.updated", { id: "sub_conc", object: "subscription", customer: "cus_conc" });
    const body = JSON.stringify(e);
    const results = await Promise.all(Array.from({ length: 12 }, () => post(body, signed(body))));
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(200));
    expect(results.filter((r) => r.body.duplicate === false)).toHaveLength(1);
    expect(await stored(e.id)).toHaveLength(1);
    expect(await jobsFor(e.id)).toHaveLength(1);
  });

  it("stores and acknowledges event types we do not use, without a job", async () => {
    const e = event("charge.dispute.created", { id: "dp_1", object: "dispute" });
    const body = JSON.stringify(e);
    expect((await post(body, signed(body))).status).toBe(200);
    expect(await stored(e.id)).toEqual([{ id: e.id, type: "charge.dispute.created", status: "ignored", outcome: "type not used" }]);
    expect(await jobsFor(e.id)).toEqual([]);
  });

  it("answers 500 when the database cannot store the event, so that Stripe delivers it again", async () => {
    const e = event("invoice.paid", { id: "in_db", object: "invoice", customer: "cus_db" });
    const body = JSON.stringify(e);
    await h.db.owner.query(`revoke execute on function app_hidden.receive_stripe_event(jsonb) from "${roles.authenticator}"`);
    try {
      const res = await post(body, signed(body));
      expect(res.status).toBe(500);
      expect(res.body.error.code).toBe("INTER");
      expect(await stored(e.id)).toEqual([]);
    } finally {
      await h.db.owner.query(`grant execute on function app_hidden.receive_stripe_event(jsonb) to "${roles.authenticator}"`);
    }
    expect((await post(body, signed(body))).status).toBe(200);
    expect(await stored(e.id)).toHaveLength(1);
  });

  it("the API role cannot store events itself, nor read them", async () => {
    const owner = await h.db.onboard();
    const body = JSON.stringify(event("invoice.paid", { id: "in_forged", object: "invoice", customer: "cus_forged" }));
    await expect(owner.query("select app_hidden.receive_stripe_event($1::jsonb)", [body])).rejects.toMatchObject({ code: "42501" });
    await expect(owner.query("select * from app_private.stripe_events")).rejects.toMatchObject({ code: "42501" });
    // The authenticator (no role switch) can call that one function, and nothing else in app_hidden.
    const auth = new pg.Client(h.db.authUrl);
    await auth.connect();
    try {
      await expect(auth.query("select app_hidden.current_user_id()")).rejects.toMatchObject({ code: "42501" });
      await expect(auth.query("select * from app_private.stripe_events")).rejects.toMatchObject({ code: "42501" });
      await expect(auth.query("select * from app_public.tenants")).rejects.toMatchObject({ code: "42501" });
    } finally {
      await auth.end();
    }
  });

  it("verifies and stores what the local Stripe server delivers, once however often it is delivered", async () => {
    const customer = await h.stripe.customers.create({ email: "someone@example.com" });
    await h.stripeLocal.control.webhooksIdle();
    const [created] = h.stripeLocal.control.events("customer.created").filter((e) => (e.data.object as { id: string }).id === customer.id);
    await h.stripeLocal.control.redeliverEvent(created.id, 2);
    const deliveries = h.stripeLocal.control.deliveries().filter((d) => d.event_id === created.id);
    expect(deliveries.map((d) => d.status)).toEqual([200, 200, 200]);
    expect(JSON.parse(deliveries[2].response_body)).toEqual({ received: true, duplicate: true });
    expect(await stored(created.id)).toEqual([{ id: created.id, type: "customer.created", status: "ignored", outcome: "type not used" }]);
  });

  it("an event about a customer not stored yet is retried, and applied once the customer is stored", async () => {
    const owner = await h.db.onboard(); // its onboarding jobs are not run: no customer stored
    const e = event("customer.subscription.updated", subscriptionObject("cus_later", owner.tenantId));
    const body = JSON.stringify(e);
    expect((await post(body, signed(body))).status).toBe(200);
    await applyEvents();
    expect(await stored(e.id)).toEqual([{ id: e.id, type: e.type, status: "pending", outcome: null }]);
    const [job] = await jobsFor(e.id);
    expect(job.attempts).toBe(1);
    expect(job.last_error).toContain("not stored yet");

    await h.db.owner.query("select app_private.store_stripe_customer($1, 'cus_later')", [owner.tenantId]);
    await h.retryFailedJobsNow();
    await applyEvents();
    expect((await stored(e.id))[0].status).toBe("applied");
    expect(await jobsFor(e.id)).toEqual([]);
    expect(await billingState(h.db, owner.tenantId)).toMatchObject({ status: "active", plan_key: "growth", stripe_subscription_id: e.data.object.id });
  });

  it("an event about a customer of no business of ours is ignored", async () => {
    const e = event("customer.subscription.updated", subscriptionObject("cus_foreign", "01NOTATENANTOFOURS0000000"));
    const body = JSON.stringify(e);
    expect((await post(body, signed(body))).status).toBe(200);
    await applyEvents();
    expect(await stored(e.id)).toEqual([{ id: e.id, type: e.type, status: "ignored", outcome: "not about one of our customers" }]);
    expect(await jobsFor(e.id)).toEqual([]);
  });

  it("is not behind the CSRF origin check and takes POST only", async () => {
    const e = event("charge.refunded", { id: "ch_1", object: "charge" });
    const body = JSON.stringify(e);
    expect((await post(body, { ...signed(body), origin: "https://stripe.com" })).status).toBe(200);
    const get = await fetch(`${h.server.url}/webhooks/stripe`);
    expect(get.status).toBe(404);
  });

  it("deliveries arriving together are stored in one transaction, each once, each with its own answer", async () => {
    const events = Array.from({ length: 12 }, (_, i) => event(i % 3 ? "invoice.paid" : "charge.refunded", { id: `in_group_${i}`, object: "invoice", customer: "cus_group" }));
    // 12 events, each sent twice at the same moment: the inbox groups them (and their duplicates).
    const bodies = [...events, ...events].map((e) => JSON.stringify(e));
    const answers = await Promise.all(bodies.map((b) => post(b, signed(b))));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    for (const e of events) {
      const mine = answers.filter((_, i) => JSON.parse(bodies[i]).id === e.id).map((a) => a.body.duplicate);
      expect(mine.sort()).toEqual([false, true]);
      expect(await stored(e.id)).toHaveLength(1);
      expect(await jobsFor(e.id)).toHaveLength(e.type === "invoice.paid" ? 1 : 0);
    }
  });

  it("receive_stripe_events: first copy stored, later copies and stored ones are duplicates; a non-event refuses the batch", async () => {
    const auth = new pg.Client(h.db.authUrl);
    await auth.connect();
    try {
      const [x, y] = [event("invoice.paid", { id: "in_x", object: "invoice" }), event("charge.refunded", { id: "ch_y", object: "charge" })];
      const first = await auth.query("select app_hidden.receive_stripe_events($1::jsonb[]) as s", [[x, y, x].map((e) => JSON.stringify(e))]);
      expect(first.rows[0].s).toEqual([true, true, false]);
      const again = await auth.query("select app_hidden.receive_stripe_events($1::jsonb[]) as s", [[y, x].map((e) => JSON.stringify(e))]);
      expect(again.rows[0].s).toEqual([false, false]);
      expect(await jobsFor(x.id)).toHaveLength(1);
      const bad = event("invoice.paid", { id: "in_z", object: "invoice" });
      await expect(
        auth.query("select app_hidden.receive_stripe_events($1::jsonb[])", [[JSON.stringify(bad), JSON.stringify({ id: "nope" })]]),
      ).rejects.toMatchObject({ code: "BADIN" });
      expect(await stored(bad.id)).toEqual([]);
    } finally {
      await auth.end();
    }
  });
});
