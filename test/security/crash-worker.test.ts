// Crashes of the worker (issue 8, item 4): the product's worker (`npm run worker`, worker/run.ts)
// runs as a real child process and is killed with SIGKILL in the middle of a job; a new worker
// process is started and must finish the job exactly once:
//   * a CSV export of 30,000 customers, killed after 40 chunks are stored: nobody can download the
//     half file meanwhile, and the file finally served is complete (every customer once);
//   * onboarding's Stripe jobs, killed after Stripe has created the customer (then the
//     subscription) but before the worker heard back: one customer and one subscription in Stripe,
//     and the tenant's billing rows point at them.
// Without worker/runner.ts's crash recovery, graphile-worker keeps a dead worker's jobs locked for
// 4 hours and these tests time out.
import Stripe from "stripe";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStripeLocal, type StripeLocalServer } from "../../stripe-local/server.ts";
import { localStripeClient } from "../../worker/stripe.ts";
import { testRootUrl } from "../helpers/env.ts";
import { createTestDatabase, type Member, type TestDatabase } from "../helpers/db.ts";
import { startTestServer, type TestServer } from "../helpers/server.ts";
import { parseCsv, withoutBom } from "../worker/reporting/csv.ts";
import { spawnWorker, startHoldingProxy, waitFor, type HoldingProxy, type WorkerProcess } from "./crash-helpers.ts";

const CUSTOMERS = 30_000;
const CHUNK_BYTES = 16 * 1024;
/** The chunk the first worker is stuck on when it is killed (of ~90). */
const KILL_AT_CHUNK = 40;
/** graphile-worker re-raises SIGTERM once it has shut down cleanly: 128 + 15. */
const GRACEFUL_EXIT = 143;

let db: TestDatabase;
let server: TestServer;
let stripeLocal: StripeLocalServer;
let stripe: Stripe;
let proxy: HoldingProxy;
const workers: WorkerProcess[] = [];
let crashes = 0;

async function rootClient(): Promise<pg.Client> {
  const url = new URL(testRootUrl);
  url.pathname = `/${db.name}`;
  const client = new pg.Client(url.toString());
  await client.connect();
  return client;
}

function worker(): WorkerProcess {
  const w = spawnWorker({
    DATABASE_URL: db.ownerUrl,
    STRIPE_LOCAL_URL: proxy.url,
    EXPORT_CHUNK_BYTES: String(CHUNK_BYTES),
  });
  workers.push(w);
  return w;
}

async function killWorker(w: WorkerProcess) {
  await w.kill();
  crashes++;
}

/** Fails with the workers' output when `check` does not come true. */
async function until<T>(what: string, check: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  try {
    return await waitFor(what, check, timeoutMs);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- worker output ---\n${workers.map((w) => w.output()).join("\n---\n")}`);
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db);
  stripeLocal = await startStripeLocal({ clock: { frozen: true }, webhookUrl: null });
  stripe = localStripeClient(stripeLocal.url, { maxNetworkRetries: 0 });
  proxy = await startHoldingProxy(stripeLocal.url);
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill()));
  await proxy?.close();
  await stripeLocal?.close();
  await server?.close();
  await db?.drop();
  console.info(`crash-worker: ${crashes} worker crashes survived`);
});

const billing = async (tenantId: string) =>
  (
    await db.owner.query(
      `select t.billing_customer_id, s.stripe_customer_id, s.stripe_subscription_id, s.status
       from app_public.tenants t join app_public.billing_subscriptions s on s.tenant_id = t.id where t.id = $1`,
      [tenantId],
    )
  ).rows[0];

describe("a worker killed in the middle of a CSV export", () => {
  let owner: Member;
  let exportId: string;
  let blocker: pg.Client;
  let stuckBackend: number;

  it("is killed with 40 chunks written; the half file is never served", async () => {
    owner = await db.onboard();
    // Bulk-loaded customers with their activity rows (what the customers export reads); every
    // 97th name has a comma and quotes, so CSV quoting spans chunk boundaries too. As the
    // superuser with triggers off (audit rows would take most of the time; the rows are valid).
    const root = await rootClient();
    await root.query("set session_replication_role = replica");
    await root.query(
      `with c as (
         insert into app_public.customers (tenant_id, customer_number, first_name, last_name)
         select $1, app_hidden.format_customer_number(n), 'Customer',
                'Number ' || n || case when n % 97 = 0 then ', "Jr."' else '' end
         from generate_series(1, $2::int) n
         returning tenant_id, id, display_name),
       -- The stats row the customers trigger would have made.
       s as (insert into app_public.customer_stats (tenant_id, customer_id) select tenant_id, id from c)
       insert into reporting.rm_customer_activity (tenant_id, customer_id, customer_name, total_visits, total_spend)
       select tenant_id, id, display_name, 1, 1234 from c`,
      [owner.tenantId, CUSTOMERS],
    );
    await root.end();
    const { rows } = await owner.query("select id from reporting.request_export('customers', '{}')");
    exportId = rows[0].id;

    // Deterministic "mid-way": an open transaction holds chunk 40's key, so the worker stores
    // chunks 0..39 and then waits on it, as it would between two chunks of a slow export. (Its
    // foreign key check is off, so it does not also lock the export row, which the worker's
    // start_export locks.)
    blocker = await rootClient();
    await blocker.query("set session_replication_role = replica");
    await blocker.query("begin");
    await blocker.query("insert into app_private.export_chunks (tenant_id, export_id, chunk_no, data) values ($1, $2, $3, '\\x00')", [
      owner.tenantId,
      exportId,
      KILL_AT_CHUNK,
    ]);

    const first = worker();
    stuckBackend = await until("the worker to be stuck writing chunk 40", async () => {
      const e = await db.owner.query("select status, chunk_count from reporting.exports where id = $1", [exportId]);
      if (e.rows[0].chunk_count !== KILL_AT_CHUNK) return null;
      const a = await db.owner.query(
        `select pid from pg_stat_activity
         where datname = current_database() and application_name like 'backoffice-worker:%' and wait_event_type = 'Lock'`,
      );
      return a.rows[0]?.pid as number | undefined;
    });

    const browser = server.client();
    expect((await browser.login(owner.email, owner.password)).status).toBe(200);
    const halfWay = await owner.query("select status, reporting.exports_download_url(e) as url from reporting.exports e where id = $1", [exportId]);
    expect(halfWay.rows[0]).toEqual({ status: "running", url: null });
    expect((await browser.request(`/exports/${exportId}`)).status).toBe(404);

    await killWorker(first);

    // Dead, with its job still locked and 40 chunks lying around: still nothing to download.
    const job = await db.owner.query("select locked_at, attempts from graphile_worker.jobs where task_identifier = 'export_csv'");
    expect(job.rows).toHaveLength(1);
    expect(job.rows[0].locked_at).not.toBeNull();
    expect((await browser.request(`/exports/${exportId}`)).status).toBe(404);
    const afterKill = await owner.query("select status, reporting.exports_download_url(e) as url from reporting.exports e where id = $1", [exportId]);
    expect(afterKill.rows[0]).toEqual({ status: "running", url: null });
  }, 120_000);

  it("a new worker ends the dead one's leftovers, redoes the export once, and the file served is complete", async () => {
    const second = worker();
    // The killed worker's connection, still waiting for chunk 40's lock, would write it when the
    // lock came free: the new worker terminates it before taking the job over.
    await until("the dead worker's connection to be terminated", async () => {
      const { rows } = await db.owner.query("select 1 from pg_stat_activity where pid = $1", [stuckBackend]);
      return rows.length === 0;
    });
    await blocker.query("rollback");
    await blocker.end();

    const done = await until("the export to be done", async () => {
      const { rows } = await db.owner.query("select * from reporting.exports where id = $1", [exportId]);
      return rows[0].status === "done" ? rows[0] : rows[0].status === "failed" ? Promise.reject(new Error(rows[0].error_message)) : null;
    });
    // The job ran twice (the crashed attempt counts) and goes once its completion is written.
    await until("the export job to be done", async () => {
      const { rows } = await db.owner.query("select count(*)::int as n from graphile_worker.jobs where task_identifier = 'export_csv'");
      return rows[0].n === 0;
    });
    // The run log tells it: the killed attempt crashed, the next one succeeded with every row.
    const runs = await db.owner.query(
      "select attempt, outcome, rows_affected from app_private.job_runs where task = 'export_csv' and tenant_id = $1 order by started_at",
      [owner.tenantId],
    );
    expect(runs.rows).toEqual([
      { attempt: 1, outcome: "crashed", rows_affected: null },
      { attempt: 2, outcome: "succeeded", rows_affected: String(CUSTOMERS) },
    ]);
    const shown = await owner.query("select label, outcome, error_message from app_public.background_jobs() order by started_at");
    expect(shown.rows.filter((r) => r.label === "CSV export").map((r) => [r.outcome, r.error_message])).toEqual([
      ["crashed", "The worker running it stopped (crashed or was killed); the job is run again."],
      ["succeeded", null],
    ]);

    const browser = server.client();
    await browser.login(owner.email, owner.password);
    const res = await browser.request(`/exports/${exportId}`);
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBe(Number(done.bytes_written));

    // One byte order mark at the start, not one per attempt.
    const records = parseCsv(withoutBom(body));
    expect(records[0].slice(0, 3)).toEqual(["customer_number", "first_name", "last_name"]);
    const numbers = records.slice(1).map((r) => r[0]);
    expect(numbers).toHaveLength(CUSTOMERS);
    expect(new Set(numbers).size).toBe(CUSTOMERS);
    expect(numbers[0]).toBe("CUST-00001");
    expect(Number(done.rows_written)).toBe(CUSTOMERS);
    expect(records.find((r) => r[0] === "CUST-00097")?.slice(1, 3)).toEqual(["Customer", 'Number 97, "Jr."']);

    const chunks = await db.owner.query("select chunk_no, octet_length(data) as size from app_private.export_chunks where export_id = $1 order by chunk_no", [exportId]);
    expect(chunks.rows.map((c) => c.chunk_no)).toEqual([...Array(done.chunk_count).keys()]);
    expect(done.chunk_count).toBeGreaterThan(KILL_AT_CHUNK);

    expect(await second.stop()).toBe(GRACEFUL_EXIT);
  }, 120_000);
});

describe("a worker killed in the middle of onboarding's Stripe calls", () => {
  let owner: Member;
  let customerId: string;

  const stripeCustomersOf = async (tenantId: string) =>
    (await stripe.customers.search({ query: `metadata['tenant_id']:'${tenantId}'` })).data;

  it("killed after Stripe created the customer: the next worker stores that customer, not a second one", async () => {
    owner = await db.onboard();
    const held = proxy.holdNext("POST", "/v1/customers");
    const first = worker();
    const created = await held;
    await killWorker(first);

    expect((await stripeCustomersOf(owner.tenantId)).map((c) => c.id)).toEqual([created.id]);
    expect((await billing(owner.tenantId)).billing_customer_id).toBeNull();

    const subscriptionHeld = proxy.holdNext("POST", "/v1/subscriptions");
    const second = worker();
    const subscription = await subscriptionHeld;
    customerId = created.id;
    expect(subscription.customer).toBe(customerId);
    // The customer was stored before the subscription job started.
    expect(await billing(owner.tenantId)).toMatchObject({ billing_customer_id: customerId, stripe_customer_id: customerId, stripe_subscription_id: null });
    await killWorker(second);
    expect((await stripeCustomersOf(owner.tenantId)).map((c) => c.id)).toEqual([customerId]);
  }, 120_000);

  it("killed after Stripe created the subscription: the next worker stores that subscription, not a second one", async () => {
    const third = worker();
    const row = await until("the subscription to be stored", async () => {
      const b = await billing(owner.tenantId);
      return b.stripe_subscription_id ? b : null;
    });
    const subscriptions = await stripe.subscriptions.list({ customer: customerId, status: "all" });
    expect(subscriptions.data).toHaveLength(1);
    expect(row).toMatchObject({ billing_customer_id: customerId, stripe_customer_id: customerId, stripe_subscription_id: subscriptions.data[0].id, status: "trialing" });
    expect((await stripeCustomersOf(owner.tenantId)).map((c) => c.id)).toEqual([customerId]);
    // The job ends a moment after its work is stored (the run log, then graphile-worker's own
    // completion): it goes, and nothing is left failing.
    await until("the subscription job to be done", async () => {
      const { rows } = await db.owner.query("select count(*)::int as n from graphile_worker.jobs where task_identifier like 'stripe_create_%'");
      return rows[0].n === 0;
    });
    const runs = await db.owner.query(
      "select task, outcome from app_private.job_runs where tenant_id = $1 and task like 'stripe_create_%' order by started_at",
      [owner.tenantId],
    );
    expect(runs.rows.map((r) => `${r.task}:${r.outcome}`)).toEqual([
      "stripe_create_customer:crashed",
      "stripe_create_customer:succeeded",
      "stripe_create_subscription:crashed",
      "stripe_create_subscription:succeeded",
    ]);
    expect(await third.stop()).toBe(GRACEFUL_EXIT);
    expect(crashes).toBe(3);
  }, 120_000);
});

describe("recovery leaves live workers alone", () => {
  // Two pools, as two worker processes would register them: one whose process holds its
  // liveness lock (a connection of the test), one whose process is gone — its key now held by
  // someone who is not its liveness connection. Each has a locked job.
  it("unlocks only the dead pool's job; an export that died on its last attempt ends failed, not running forever", async () => {
    const owner = await db.onboard();
    const { rows } = await owner.query("select id from reporting.request_export('customers', '{}')");
    const exportId = rows[0].id;
    await db.owner.query("update reporting.exports set status = 'running' where id = $1", [exportId]);
    // A worker process's liveness connection: named for its key, holding the key's lock.
    const livenessOf = async (key: number) => {
      const c = new pg.Client({ connectionString: db.ownerUrl, application_name: `backoffice-worker-alive:${key}` });
      await c.connect();
      await c.query("select pg_advisory_lock(app_private.worker_lock_ns(), $1)", [key]);
      return c;
    };
    const live = await livenessOf(424242);
    // Someone else holding a dead worker's key (queued on it, say) does not make that worker alive.
    const outsider = new pg.Client({ connectionString: db.ownerUrl, application_name: "psql" });
    await outsider.connect();
    try {
      await live.query("select app_private.register_worker_pool('pool-live-test', 424242, 'test', 1)");
      // Registering needs the lock and the name: a pool of a process that does not hold it is refused.
      await expect(db.owner.query("select app_private.register_worker_pool('pool-fake', 424243, 'test', 2)")).rejects.toThrow(/liveness lock/);
      await outsider.query("select pg_advisory_lock(app_private.worker_lock_ns(), 424244)");
      await expect(outsider.query("select app_private.register_worker_pool('pool-fake', 424244, 'test', 2)")).rejects.toThrow(/liveness lock/);
      const dying = await livenessOf(424243);
      await dying.query("select app_private.register_worker_pool('pool-dead-test', 424243, 'test', 2)");
      const queued = outsider.query("select pg_advisory_lock(app_private.worker_lock_ns(), 424243)"); // waits for the key…
      await dying.end(); // …that process "dies", and the outsider gets its key
      await queued;
      expect((await db.owner.query("select app_private.worker_process_alive(424243) as alive")).rows[0].alive).toBe(false);
      expect((await db.owner.query("select app_private.worker_process_alive(424242) as alive")).rows[0].alive).toBe(true);

      await db.owner.query("select graphile_worker.add_job('cleanup_sessions', '{}', job_key := 'live-job')");
      await db.owner.query(
        `update graphile_worker._private_jobs set locked_by = 'pool-live-test', locked_at = now(), attempts = 1
         where key = 'live-job'`,
      );
      // The export's job was on its last attempt when its worker died.
      await db.owner.query(
        `update graphile_worker._private_jobs j set locked_by = 'pool-dead-test', locked_at = now(), attempts = j.max_attempts
         where j.payload ->> 'exportId' = $1`,
        [exportId],
      );

      const recovered = await db.owner.query("select * from app_private.recover_crashed_workers()");
      // (The pools of the workers stopped above are gone too, with no job: graphile-worker had released them.)
      expect(recovered.rows.filter((r) => r.pool_id.endsWith("-test"))).toEqual([{ pool_id: "pool-dead-test", jobs_unlocked: 1 }]);
      expect(recovered.rows.filter((r) => !r.pool_id.endsWith("-test") && r.jobs_unlocked !== 0)).toEqual([]);
      const jobs = await db.owner.query("select key, locked_by from graphile_worker._private_jobs where key = 'live-job' or payload ->> 'exportId' = $1 order by key", [exportId]);
      expect(jobs.rows).toEqual([
        { key: "live-job", locked_by: "pool-live-test" },
        { key: null, locked_by: null },
      ]);
      const e = await db.owner.query("select status, error_message from reporting.exports where id = $1", [exportId]);
      expect(e.rows[0]).toEqual({ status: "failed", error_message: "The export could not be written. Please try again." });
      const pools = await db.owner.query("select pool_id from app_private.worker_pools where pool_id like '%-test' order by 1");
      expect(pools.rows).toEqual([{ pool_id: "pool-live-test" }]);
    } finally {
      await live.end();
      await outsider.end();
      await db.owner.query("delete from graphile_worker._private_jobs where key = 'live-job'");
    }
  });
});
