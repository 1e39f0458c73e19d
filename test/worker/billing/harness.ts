// Billing test harness: a test database, the real HTTP server (webhook route included), the local
// Stripe server delivering signed webhooks to it, the real `stripe` SDK pointed at that server,
// and the worker's task list using that client. `settle()` runs the worker and waits for webhooks
// until nothing is left to do, like the running product would.
import { Logger, type TaskList } from "graphile-worker";
import Stripe from "stripe";
import { startStripeLocal, type StripeLocalServer } from "../../../stripe-local/server.ts";
import { localStripeClient, type StripeSettings } from "../../../worker/stripe.ts";
import { makeTaskList } from "../../../worker/tasks/index.ts";
import { createTestDatabase, type Member, type TestDatabase } from "../../helpers/db.ts";
import { acceptStripeTestClock } from "../../helpers/stripe-clock.ts";
import { startTestServer, type TestServer } from "../../helpers/server.ts";
import { runJobsOnce } from "../../helpers/worker.ts";

export const WEBHOOK_SECRET = "whsec_backoffice_tests";
export const DAY = 86400;
export const silentLogger = new Logger(() => () => {});

export interface BillingHarness {
  db: TestDatabase;
  server: TestServer;
  stripeLocal: StripeLocalServer;
  /** The SDK as the tests use it (no automatic retries). */
  stripe: Stripe;
  settings: StripeSettings;
  taskList: TaskList;
  /** Runs every job that is due, once; returns with their outcome written. */
  runJobs(): Promise<void>;
  /** Webhooks delivered and jobs run, repeatedly, until neither has anything left. */
  settle(): Promise<void>;
  /** Makes failed jobs due now (graphile-worker would retry them after a back-off). */
  retryFailedJobsNow(): Promise<void>;
  /**
   * Replaces the local Stripe server by a new one whose clock is now (tests that advance time
   * would otherwise leave later trials starting in Stripe's past); forgets the plans' price ids.
   */
  freshStripe(): Promise<void>;
  /** Onboards a business and runs its onboarding jobs (Stripe customer and trial subscription). */
  onboard(opts?: { company?: string }): Promise<Member & { customerId: string; subscriptionId: string }>;
  close(): Promise<void>;
}

export async function startBillingHarness(opts: { webhooks?: boolean; /** Events dated by a test clock moved ahead are taken (default). */ futureEvents?: boolean } = {}): Promise<BillingHarness> {
  process.env.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET;
  const db = await createTestDatabase();
  if (opts.futureEvents !== false) await acceptStripeTestClock(db.name);
  const server = await startTestServer(db);
  const startLocal = () =>
    startStripeLocal({
      clock: { frozen: true },
      webhookUrl: opts.webhooks === false ? null : `${server.url}/webhooks/stripe`,
      webhookSecret: WEBHOOK_SECRET,
    });
  const stripeLocal = await startLocal();
  const stripe = localStripeClient(stripeLocal.url, { maxNetworkRetries: 0 });
  const settings: StripeSettings = {
    client: localStripeClient(stripeLocal.url, { maxNetworkRetries: 0 }),
    local: true,
    portalReturnUrl: "http://backoffice.test/settings/billing",
    createMissingPrices: true,
    priceIds: {},
  };
  const taskList = makeTaskList({ stripe: () => settings });

  async function runJobs() {
    await runJobsOnce(db, taskList, { logger: silentLogger });
  }
  async function dueJobs(): Promise<number> {
    const { rows } = await db.owner.query(
      "select count(*)::int as n from graphile_worker.jobs where run_at <= now() and locked_at is null and attempts < max_attempts",
    );
    return rows[0].n;
  }
  async function settle() {
    for (let i = 0; i < 50; i++) {
      await h.stripeLocal.control.webhooksIdle();
      if ((await dueJobs()) === 0) return;
      await runJobs();
    }
    throw new Error("billing did not settle");
  }
  async function retryFailedJobsNow() {
    await db.owner.query("update graphile_worker._private_jobs set run_at = now() where attempts > 0 and attempts < max_attempts");
  }
  async function onboard(o: { company?: string } = {}) {
    const member = await db.onboard({ company: o.company });
    await settle();
    const { rows } = await db.owner.query(
      `select t.billing_customer_id, s.stripe_subscription_id from app_public.tenants t
       join app_public.billing_subscriptions s on s.tenant_id = t.id where t.id = $1`,
      [member.tenantId],
    );
    if (!rows[0]?.stripe_subscription_id) throw new Error("onboarding did not create the Stripe subscription");
    return { ...member, customerId: rows[0].billing_customer_id, subscriptionId: rows[0].stripe_subscription_id };
  }
  const h: BillingHarness = {
    db,
    server,
    stripeLocal,
    stripe,
    settings,
    taskList,
    runJobs,
    settle,
    retryFailedJobsNow,
    onboard,
    async freshStripe() {
      await h.stripeLocal.close();
      h.stripeLocal = await startLocal();
      h.stripe = localStripeClient(h.stripeLocal.url, { maxNetworkRetries: 0 });
      settings.client = localStripeClient(h.stripeLocal.url, { maxNetworkRetries: 0 });
      await db.owner.query("update app_public.plans set stripe_price_id = null");
    },
    async close() {
      await h.stripeLocal?.close();
      await server?.close();
      await db?.drop();
    },
  };
  return h;
}

/** The tenant's billing row and status, as the owner sees them. */
export async function billingState(db: TestDatabase, tenantId: string) {
  const { rows } = await db.owner.query(
    `select s.*, t.status as tenant_status, t.suspension_reason, t.billing_customer_id
     from app_public.billing_subscriptions s join app_public.tenants t on t.id = s.tenant_id where s.tenant_id = $1`,
    [tenantId],
  );
  return rows[0];
}

/** Signs a payload the way Stripe does, for requests made by the tests themselves. */
export function signed(payload: string, opts: { secret?: string; timestamp?: number } = {}): Record<string, string> {
  return {
    "content-type": "application/json",
    "stripe-signature": Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: opts.secret ?? WEBHOOK_SECRET,
      timestamp: opts.timestamp ?? Math.floor(Date.now() / 1000),
    }),
  };
}
