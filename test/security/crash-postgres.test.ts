// PostgreSQL killed during a burst of orders (issue 8, item 4). A private cluster (the shared
// server of the other tests cannot be killed) is migrated, a shop onboarded, and six tills place
// orders at once, each on its own connection with its own BEGIN … COMMIT, until the postmaster
// and all its processes get SIGKILL. Each attempt is marked with a unique placed_at, so after
// the restart (crash recovery from the WAL) every order can be traced to the attempt that made it:
//   * an order whose COMMIT was acknowledged is there, exactly once;
//   * an attempt that failed before its COMMIT was sent left nothing;
//   * an attempt whose COMMIT got no answer (in doubt) left at most one order;
//   * the read models (daily and item sales, stock, customer activity) and the customers'
//     counters count exactly the orders in the sales tables, once the queued fold events are
//     folded, and a rebuild from the event log gives the same read models.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roles } from "../../db/config.ts";
import type { Member, TestDatabase } from "../helpers/db.ts";
import { groundTruth, readModels, readModelsAsTruth } from "../db/reporting/helpers.ts";
import { openShop, type Shop } from "../db/sales/shop.ts";
import { migratedDatabase, spawnWorker, startPrivateCluster, waitFor, type PrivateCluster, type WorkerProcess } from "./crash-helpers.ts";
import { customersWithStats } from "../db/customers/helpers.ts";

const TILLS = 6;
/** Acknowledged orders before the crash. */
const CRASH_AFTER = 150;
const AFTER_RESTART_PER_TILL = 5;

let cluster: PrivateCluster;
let db: TestDatabase;
let shop: Shop;
let customers: (string | null)[];
let worker: WorkerProcess;

beforeAll(async () => {
  cluster = await startPrivateCluster();
  db = await migratedDatabase(cluster.rootUrl);
  shop = await openShop(db, {
    taxRateBps: 825,
    items: [
      { sku: "BAGEL", price: 250, stock: 5000 },
      { sku: "LATTE", price: 475, stock: 5000 },
      { sku: "CARD", price: 399 },
    ],
  });
  customers = [null];
  for (let i = 0; i < 5; i++) {
    const { rows } = await shop.cashier.query("select id from app_public.create_customer(first_name => $1, email => $2)", [
      `Regular ${i}`,
      `regular.${i}@example.com`,
    ]);
    customers.push(rows[0].id);
  }
  // No Stripe here: onboarding's Stripe jobs are removed. A job that fails while PostgreSQL is
  // down can make graphile-worker abort its pool (it does not retry ECONNREFUSED when recording
  // the failure); worker/supervisor.ts then starts a new pool, but that path is a known gap with
  // no deterministic test yet (see the closing note of issue 8), and it is not what this file tests.
  await db.owner.query("delete from graphile_worker._private_jobs where task_id in (select id from graphile_worker._private_tasks where identifier like 'stripe_%')");
  // The product's worker runs through it all.
  worker = spawnWorker({ DATABASE_URL: db.ownerUrl, STRIPE_LOCAL_URL: "http://127.0.0.1:9" });
  await waitFor("the worker to register", async () => {
    const { rows } = await db.owner.query("select count(*)::int as n from app_private.worker_pools");
    return rows[0].n > 0;
  });
}, 120_000);

afterAll(async () => {
  await worker?.kill();
  await db?.drop().catch(() => {});
  await cluster?.destroy();
});

interface Attempt {
  marker: string;
  /** acked: COMMIT answered; failed: broke before COMMIT was sent; in_doubt: COMMIT sent, no answer. */
  outcome: "pending" | "acked" | "failed" | "in_doubt";
  orderId?: string;
  error?: string;
}

// Unique placed_at per attempt, in the past (placed_at is for owners' imports): a millisecond apart.
const base = Date.now() - 3 * 3600_000;
let nextMarker = 0;
const newMarker = () => new Date(base + nextMarker++).toISOString();

/** A till: its own connection, as the API does a request (BEGIN, role and session, the call, COMMIT). */
async function openTill(member: Member): Promise<pg.Client> {
  const client = new pg.Client(db.authUrl);
  client.on("error", () => {});
  await client.connect();
  return client;
}

async function placeOn(client: pg.Client, member: Member, i: number, attempt: Attempt): Promise<void> {
  const lines = [
    { catalog_item_id: shop.item.BAGEL, quantity: 1 + (i % 3) },
    ...(i % 2 ? [{ catalog_item_id: shop.item.LATTE, quantity: 1 }] : []),
    ...(i % 5 === 0 ? [{ catalog_item_id: shop.item.CARD, quantity: 2, discount: 50 }] : []),
  ];
  let commitSent = false;
  try {
    await client.query("begin");
    await client.query("select set_config('role', $1, true), set_config('app.session_id', $2, true)", [
      roles.visitor,
      member.sessionId,
    ]);
    const { rows } = await client.query("select id from app_public.place_order($1, $2::jsonb, $3, $4, $5)", [
      shop.locationId,
      JSON.stringify(lines),
      customers[i % customers.length],
      i % 7 === 0 ? 100 : 0,
      attempt.marker,
    ]);
    commitSent = true;
    await client.query("commit");
    attempt.outcome = "acked";
    attempt.orderId = rows[0].id;
  } catch (e) {
    attempt.outcome = commitSent ? "in_doubt" : "failed";
    attempt.error = (e as Error).message;
    throw e;
  }
}

describe("PostgreSQL killed during a burst of orders", () => {
  const attempts: Attempt[] = [];
  let crashAt = 0;
  let seqBefore = "0";

  it("six tills place orders until the postmaster and its backends are SIGKILLed", async () => {
    const member = shop.owner;
    seqBefore = (await db.owner.query("select coalesce(max(seq), 0)::text as s from app_private.events")).rows[0].s;
    // A connection holds the tenant's fold lock until the crash (as a slow fold would), so every
    // commit leaves its events queued instead of folding them: the restart must find them all.
    const holder = new pg.Client(db.ownerUrl);
    holder.on("error", () => {});
    await holder.connect();
    await holder.query("select pg_advisory_lock(app_private.reporting_lock_key($1))", [shop.tenantId]);

    let acked = 0;
    let crashing: Promise<void> | null = null;
    const till = async (n: number) => {
      const client = await openTill(member);
      for (let i = n; ; i += TILLS) {
        const attempt: Attempt = { marker: newMarker(), outcome: "pending" };
        attempts.push(attempt);
        try {
          await placeOn(client, member, i, attempt);
        } catch {
          return; // the server is gone
        }
        acked++;
        if (acked === CRASH_AFTER && !crashing) {
          crashAt = attempts.length;
          crashing = cluster.crash();
        }
      }
    };
    await Promise.all(Array.from({ length: TILLS }, (_, n) => till(n)));
    await crashing;
    await holder.end().catch(() => {});

    // Every till was cut off by the crash, not by an error of ours.
    const broken = attempts.filter((a) => a.outcome === "failed" || a.outcome === "in_doubt");
    expect(broken).toHaveLength(TILLS);
    expect(attempts.filter((a) => a.outcome === "pending")).toEqual([]);
    expect(attempts.filter((a) => a.outcome === "acked").length).toBeGreaterThanOrEqual(CRASH_AFTER);
    expect(crashAt).toBeGreaterThan(0);
  }, 60_000);

  it("after the restart: acknowledged orders are there once, failed ones are not, in-doubt ones at most once", async () => {
    await cluster.start();
    await waitFor("the database to accept connections", () => db.owner.query("select 1").then(() => true), 30_000);

    const { rows } = await db.owner.query(
      "select id, placed_at from app_public.orders where tenant_id = $1 and placed_at < now() - interval '1 hour'",
      [shop.tenantId],
    );
    const byMarker = new Map<string, string[]>();
    for (const r of rows) {
      const key = (r.placed_at as Date).toISOString();
      byMarker.set(key, [...(byMarker.get(key) ?? []), r.id]);
    }
    const known = new Set(attempts.map((a) => a.marker));
    expect([...byMarker.keys()].filter((m) => !known.has(m))).toEqual([]);
    for (const a of attempts) {
      const found = byMarker.get(a.marker) ?? [];
      if (a.outcome === "acked") expect(found, `acknowledged order ${a.marker}`).toEqual([a.orderId]);
      else if (a.outcome === "failed") expect(found, `failed attempt ${a.marker}`).toEqual([]);
      else expect(found.length, `in-doubt attempt ${a.marker}`).toBeLessThanOrEqual(1);
    }
    const acked = attempts.filter((a) => a.outcome === "acked").length;
    const inDoubt = attempts.filter((a) => a.outcome === "in_doubt");
    console.info(
      `crash-postgres: ${attempts.length} attempts by ${TILLS} tills, ${acked} acknowledged, ` +
        `${inDoubt.length} in doubt (${inDoubt.filter((a) => byMarker.has(a.marker)).length} committed), ` +
        `${attempts.filter((a) => a.outcome === "failed").length} failed before commit`,
    );
  }, 60_000);

  it("the queued fold events are folded once: read models and counters equal the sales tables, and a rebuild", async () => {
    const tenant = shop.tenantId;
    // Every event the burst committed was still queued, and only those.
    const queued = await db.owner.query("select event_id from app_private.reporting_queue where tenant_id = $1 order by event_id", [tenant]);
    const burstEvents = await db.owner.query("select id from app_private.events where tenant_id = $1 and seq > $2 order by id", [tenant, seqBefore]);
    expect(queued.rows.map((r) => r.event_id)).toEqual(burstEvents.rows.map((r) => r.id));
    const queue = { rows: [{ queued: queued.rows.length }] };
    expect(queue.rows[0].queued).toBeGreaterThan(CRASH_AFTER);
    const folded = await db.owner.query("select app_private.reporting_fold_all() as n");
    expect(folded.rows[0].n).toBe(queue.rows[0].queued);
    expect(await readModelsAsTruth(db, tenant)).toEqual(await groundTruth(db, tenant));
    await expectCountersExact(tenant);

    // Folding again changes nothing; neither does rebuilding every read model from the event log.
    const before = await readModels(db, tenant);
    expect((await db.owner.query("select app_private.reporting_fold_all() as n")).rows[0].n).toBe(0);
    await db.owner.query("select reporting.rebuild($1)", [tenant]);
    expect(await readModels(db, tenant)).toEqual(before);

    // One order.placed event per order, one movement per stocked line.
    const { rows } = await db.owner.query(
      `select (select count(*)::int from app_public.orders where tenant_id = $1) as orders,
              (select count(*)::int from app_private.events where tenant_id = $1 and type = 'order.placed.v1') as placed_events,
              (select count(*)::int from app_public.order_lines l where l.tenant_id = $1 and l.sku in ('BAGEL', 'LATTE')) as stocked_lines,
              (select count(*)::int from app_public.inventory_movements m where m.tenant_id = $1 and m.reason = 'sale') as sale_movements`,
      [tenant],
    );
    expect(rows[0].placed_events).toBe(rows[0].orders);
    expect(rows[0].sale_movements).toBe(rows[0].stocked_lines);
  }, 60_000);

  it("the tills carry on after the restart and everything still adds up", async () => {
    const member = shop.owner;
    await Promise.all(
      Array.from({ length: TILLS }, async (_, n) => {
        const client = await openTill(member);
        for (let i = 0; i < AFTER_RESTART_PER_TILL; i++) {
          const attempt: Attempt = { marker: newMarker(), outcome: "pending" };
          attempts.push(attempt);
          await placeOn(client, member, n + i * TILLS, attempt);
        }
        await client.end();
      }),
    );
    await db.owner.query("select app_private.reporting_fold_all()");
    expect(await readModelsAsTruth(db, shop.tenantId)).toEqual(await groundTruth(db, shop.tenantId));
    await expectCountersExact(shop.tenantId);
    const { rows } = await db.owner.query("select count(*)::int as n from app_public.orders where tenant_id = $1", [shop.tenantId]);
    const committedBefore = attempts.filter((a) => a.outcome === "acked").length;
    expect(rows[0].n).toBeGreaterThanOrEqual(committedBefore);
    expect(rows[0].n).toBeLessThanOrEqual(committedBefore + TILLS);
  }, 60_000);

  it("the worker that was running came back with the database, and still does its jobs", async () => {
    const day = (await db.owner.query("select min(business_date)::text as d from app_public.orders where tenant_id = $1", [shop.tenantId])).rows[0].d;
    const { rows } = await shop.owner.query("select id from reporting.request_export('daily_sales', $1::jsonb)", [JSON.stringify({ from: day, to: day })]);
    const done = await waitFor(
      "the export to be done by the worker started before the crash",
      async () => {
        const e = await db.owner.query("select status, rows_written from reporting.exports where id = $1", [rows[0].id]);
        return e.rows[0].status === "done" ? e.rows[0] : null;
      },
      60_000,
    ).catch((e) => {
      throw new Error(`${e.message}\n--- worker output ---\n${worker.output()}`);
    });
    expect(Number(done.rows_written)).toBeGreaterThan(0);
    // Its pool is registered and its liveness lock held again: no other worker would take it for dead.
    await waitFor("the worker's liveness lock to be taken again", async () => {
      const pools = await db.owner.query("select app_private.worker_process_alive(process_key) as alive from app_private.worker_pools");
      return pools.rows.length === 1 && pools.rows[0].alive;
    }, 10_000);
  }, 90_000);
});

/** The customers' lifetime counters (450) equal their placed orders. */
async function expectCountersExact(tenantId: string) {
  const { rows } = await db.owner.query(
    `select c.id, c.total_visits, c.total_spend::int as total_spend,
            count(o.id) filter (where o.status = 'placed')::int as visits,
            coalesce(sum(o.total) filter (where o.status = 'placed'), 0)::int as spend
     from ${customersWithStats} c left join app_public.orders o on o.tenant_id = c.tenant_id and o.customer_id = c.id
     where c.tenant_id = $1 group by c.tenant_id, c.id, c.total_visits, c.total_spend order by c.id`,
    [tenantId],
  );
  expect(rows.length).toBe(5);
  expect(rows.filter((r) => r.total_visits !== r.visits || r.total_spend !== r.spend)).toEqual([]);
  expect(rows.reduce((n, r) => n + r.visits, 0)).toBeGreaterThan(0);
}
