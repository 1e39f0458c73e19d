// Row 2 — order ingestion: sales throughput (place_order and record_tender of the whole total) at 8 concurrent clients (cashiers of the
// business, each on its own connection acting as the API role with its session) with every
// consumer on (customer counters, customer activity, the sales read models through the fold
// queue) divided by the same with every consumer off (app_private.event_subscriptions emptied
// in this clone: the event is still appended, nothing consumes it). Two scenarios: orders spread
// over 100 locations, and every client at one location (one hot read-model row per day).
// Consumers off and on sell for two identical businesses, so that the read models of the "on"
// business hold every one of its orders; off and on alternate so drift of the shared machine
// hits both. Afterwards the read models and the customers' purchase history are checked against
// the sales tables and against reporting.rebuild and rebuild_customer_counters; the fold lag
// (events whose commit raced another fold wait for the next commit of the tenant, or the
// worker's minute cron) is sampled during load.
import type pg from "pg";
import { fmt, type BenchCase, type BenchContext, type BenchDatabase } from "../context.ts";
import { median, overRounds, percentile } from "../stats.ts";
import { addMember, connect, onboard, seeded, sleep, unlimitedPlan, visitor } from "../lib-write.ts";

const LOCATIONS = 100;
const ITEMS = 40;
const CUSTOMERS = 300;
const TIMEZONES = ["Europe/Paris", "America/New_York", "America/Los_Angeles", "Asia/Tokyo", "Australia/Sydney"];

export interface Shop {
  tenantId: string;
  locations: string[];
  items: string[];
  customers: string[];
  sessions: string[];
}

/** A business with 100 locations in five time zones, 40 catalog items (half stocked), 300 customers and 8 cashiers. */
export async function openShop(db: BenchDatabase, root: pg.Client, name: string, clients: number): Promise<Shop> {
  const owner = await onboard(db, name);
  const t = owner.tenantId;
  await unlimitedPlan(root, t);
  // Triggers off for this one insert: the location validation checks the time zone against
  // pg_timezone_names, which reads every zone file (~35 ms a row, 3.5 s for 99 locations).
  await root.query("set session_replication_role = replica");
  await root.query(
    `insert into app_public.locations (tenant_id, name, timezone)
     select $1, 'Bench shop ' || g, ($2::text[])[1 + g % cardinality($2::text[])] from generate_series(2, $3) g`,
    [t, TIMEZONES, LOCATIONS],
  );
  await root.query("reset session_replication_role");
  await root.query(
    `insert into app_public.catalog_items (tenant_id, name, sku, price)
     select $1, 'Item ' || g, 'SKU-' || g, 100 + (g * 137) % 4900 from generate_series(1, $2) g`,
    [t, ITEMS],
  );
  await root.query(
    `insert into app_public.inventory_items (tenant_id, catalog_item_id, name, low_stock_threshold)
     select c.tenant_id, c.id, c.name || ' stock', 5 from app_public.catalog_items c
     where c.tenant_id = $1 and substr(c.sku, 5)::int % 2 = 0`,
    [t],
  );
  // Customers through the product's command (their events feed the customer activity).
  const o = await visitor(db, owner.sessionId);
  try {
    await o.query(
      `select app_public.create_customer(first_name => 'Customer', last_name => 'N' || g, email => 'c' || g || '@bench.example.com')
       from generate_series(1, $1) g`,
      [CUSTOMERS],
    );
  } finally {
    await o.end();
  }
  const sessions: string[] = [];
  for (let i = 0; i < clients; i++) sessions.push(await addMember(root, t, "cashier"));
  const ids = async (sql: string) => (await root.query(sql, [t])).rows.map((r) => r.id as string);
  return {
    tenantId: t,
    locations: await ids("select id from app_public.locations where tenant_id = $1 order by id"),
    items: await ids("select id from app_public.catalog_items where tenant_id = $1 order by sku"),
    customers: await ids("select id from app_public.customers where tenant_id = $1 order by id"),
    sessions,
  };
}

interface LoadResult {
  orders: number;
  seconds: number;
  tps: number;
  p50: number;
  p99: number;
  errors: number;
}

/** 8 cashiers place orders for `ms`: 1–4 lines, quantities 1–3, 30% of orders name a customer. */
async function sell(terminals: pg.Client[], shop: Shop, locations: string[], ms: number, seed: number, vacuum: pg.Client): Promise<LoadResult> {
  const stopHousekeeping = housekeeping(vacuum);
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const end = Date.now() + ms;
  await Promise.all(
    terminals.map(async (c, i) => {
      const rnd = seeded(seed * 31 + i);
      while (Date.now() < end) {
        const n = 1 + Math.floor(rnd() * 4);
        const lines = Array.from({ length: n }, () => ({
          catalog_item_id: shop.items[Math.floor(rnd() * shop.items.length)],
          quantity: 1 + Math.floor(rnd() * 3),
        }));
        const customer = rnd() < 0.3 ? shop.customers[Math.floor(rnd() * shop.customers.length)] : null;
        const location = locations[Math.floor(rnd() * locations.length)];
        const t = performance.now();
        try {
          // A sale is an order paid in full (an open order is not a sale): placed and paid in one statement.
          await c.query("select (app_public.record_tender(o.id, 'card', o.total)).id from app_public.place_order($1, $2::jsonb, $3) o", [
            location,
            JSON.stringify(lines),
            customer,
          ]);
          latencies.push(performance.now() - t);
        } catch (e) {
          errors++;
          if (errors < 3) console.error(e);
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await stopHousekeeping();
  latencies.sort((a, b) => a - b);
  return { orders: latencies.length, seconds, tps: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
}

/**
 * Stands in for autovacuum, which is off on the shared development cluster (`show autovacuum`):
 * every second, a VACUUM of the tables the orders keep updating or deleting from (the fold queue,
 * the purchase history in customer_stats and customer_item_stats, the read-model rows). Without it their dead rows pile up for the whole run
 * and the "on" figure sinks round after round (0.82 → 0.58 over four rounds, measured), which a
 * production database (autovacuum on) would not see. It runs the same way while consumers are off.
 */
function housekeeping(root: pg.Client) {
  let stop = false;
  const done = (async () => {
    while (!stop) {
      await sleep(1000);
      if (stop) break;
      await root.query(
        `vacuum (skip_locked) app_private.reporting_queue, app_public.customer_stats, app_public.customer_item_stats,
                              reporting.rm_daily_sales, reporting.rm_item_sales, reporting.rm_inventory_on_hand,
                              reporting.rm_customer_activity`,
      );
    }
  })();
  return async () => {
    stop = true;
    await done;
  };
}

/**
 * Samples the fold queue of a tenant every 50 ms: for each queued event, when it was appended
 * (its transaction's start) and the last time it was seen queued. An event never seen was folded
 * by its own commit (lag 0); the others' lag is last seen − appended (+ up to one interval).
 */
function sampleQueue(root: pg.Client, tenantId: string) {
  const seen = new Map<string, { at: number; last: number }>();
  let stop = false;
  const done = (async () => {
    while (!stop) {
      const { rows } = await root.query(
        `select q.event_id, extract(epoch from e.occurred_at) * 1000 as at, extract(epoch from clock_timestamp()) * 1000 as now
         from app_private.reporting_queue q join app_private.events e on e.tenant_id = q.tenant_id and e.id = q.event_id
         where q.tenant_id = $1`,
        [tenantId],
      );
      for (const r of rows) {
        const s = seen.get(r.event_id);
        if (s) s.last = Number(r.now);
        else seen.set(r.event_id, { at: Number(r.at), last: Number(r.now) });
      }
      await sleep(50);
    }
  })();
  return {
    async stop() {
      stop = true;
      await done;
      return seen;
    },
  };
}

/** Rows of `a` not in `b` plus rows of `b` not in `a` (both queries return the same columns). */
async function differences(root: pg.Client, a: string, b: string, params: unknown[]): Promise<number> {
  const { rows } = await root.query(
    `with a as (${a}), b as (${b})
     select (select count(*) from (select * from a except all select * from b) x)
          + (select count(*) from (select * from b except all select * from a) y) as n`,
    params,
  );
  return Number(rows[0].n);
}

/** The read models and purchase history of the tenant against the sales tables, then against reporting.rebuild and rebuild_customer_counters. */
async function checkExact(root: pg.Client, tenantId: string) {
  const p = [tenantId];
  const truth = {
    daily: await differences(
      root,
      `select location_id, business_date, order_count::bigint, gross_sales, discount_total, tax_total, net_sales
       from reporting.rm_daily_sales where tenant_id = $1`,
      `select location_id, business_date, count(*)::bigint, sum(subtotal)::bigint, sum(discount_total)::bigint,
              sum(tax_total)::bigint, sum(subtotal - discount_total)::bigint
       from app_public.orders where tenant_id = $1 and status = 'placed' group by 1, 2`,
      p,
    ),
    items: await differences(
      root,
      `select location_id, business_date, catalog_item_id, quantity_sold::bigint, gross_revenue, net_revenue
       from reporting.rm_item_sales where tenant_id = $1`,
      `select o.location_id, o.business_date, l.catalog_item_id, sum(l.quantity)::bigint, sum(l.subtotal)::bigint, sum(l.net_total)::bigint
       from app_public.order_lines l join app_public.orders o on o.tenant_id = l.tenant_id and o.id = l.order_id
       where l.tenant_id = $1 group by 1, 2, 3`,
      p,
    ),
    stock: await differences(
      root,
      `select location_id, inventory_item_id, on_hand::bigint from reporting.rm_inventory_on_hand where tenant_id = $1`,
      `select location_id, inventory_item_id, sum(quantity)::bigint from app_public.inventory_movements where tenant_id = $1 group by 1, 2`,
      p,
    ),
    counters: await differences(
      root,
      `select customer_id, visits::bigint, spend, items_bought, first_visit_at, last_visit_at
       from app_public.customer_stats where tenant_id = $1 and visits > 0`,
      `select o.customer_id, count(*)::bigint, sum(o.total)::bigint,
              sum((select sum(l.quantity) from app_public.order_lines l where l.tenant_id = o.tenant_id and l.order_id = o.id))::bigint,
              min(o.placed_at), max(o.placed_at)
       from app_public.orders o
       where o.tenant_id = $1 and o.status = 'placed' and o.customer_id is not null group by 1`,
      p,
    ),
    customer_items: await differences(
      root,
      `select customer_id, catalog_item_id, quantity from app_public.customer_item_stats where tenant_id = $1`,
      `select o.customer_id, l.catalog_item_id, sum(l.quantity)::bigint
       from app_public.order_lines l join app_public.orders o on o.tenant_id = l.tenant_id and o.id = l.order_id
       where l.tenant_id = $1 and o.status = 'placed' and o.customer_id is not null group by 1, 2`,
      p,
    ),
    activity: await differences(
      root,
      `select customer_id, total_visits::bigint, total_spend, last_visit_at from reporting.rm_customer_activity
       where tenant_id = $1 and total_visits > 0`,
      `select customer_id, count(*)::bigint, sum(total)::bigint, max(placed_at) from app_public.orders
       where tenant_id = $1 and status = 'placed' and customer_id is not null group by 1`,
      p,
    ),
  };
  // The incremental rows, then the same rebuilt from the event log.
  const snapshot = {
    daily: `select location_id, business_date, order_count, gross_sales, discount_total, tax_total, net_sales, tender_cash, tender_card,
                   refund_count, refund_total, total_collected, avg_order_value from reporting.rm_daily_sales where tenant_id = $1`,
    items: `select location_id, business_date, catalog_item_id, catalog_item_name, quantity_sold, gross_revenue, net_revenue
            from reporting.rm_item_sales where tenant_id = $1`,
    stock: `select location_id, inventory_item_id, item_name, on_hand, low_stock_threshold, is_below_threshold
            from reporting.rm_inventory_on_hand where tenant_id = $1`,
    activity: `select customer_id, customer_name, total_visits, total_spend, last_visit_at, merged_into_id
               from reporting.rm_customer_activity where tenant_id = $1`,
    visits: `select order_id, customer_id, location_id, business_date, placed_at, total, is_voided
             from reporting.rm_customer_visits where tenant_id = $1`,
    stats: `select customer_id, visits, spend, items_bought, first_visit_at, last_visit_at, recent_visits
            from app_public.customer_stats where tenant_id = $1`,
    customer_items: `select customer_id, catalog_item_id, quantity from app_public.customer_item_stats where tenant_id = $1`,
  };
  for (const [k, sql] of Object.entries(snapshot)) {
    await root.query(`drop table if exists bench_before_${k}`);
    await root.query(`create table bench_before_${k} as ${sql.replace("$1", "'" + tenantId.replace(/'/g, "''") + "'")}`);
  }
  const t = performance.now();
  const { rows } = await root.query("select reporting.rebuild($1) as events", p);
  const rebuildMs = performance.now() - t;
  await root.query("select app_private.rebuild_customer_counters($1)", p);
  const rebuilt: Record<string, number> = {};
  for (const [k, sql] of Object.entries(snapshot)) rebuilt[k] = await differences(root, `select * from bench_before_${k}`, sql, p);
  const mismatches = Object.values(truth).reduce((a, b) => a + b, 0) + Object.values(rebuilt).reduce((a, b) => a + b, 0);
  return { exact: mismatches === 0, against_sales_tables: truth, against_rebuild: rebuilt, rebuild_events: Number(rows[0].events), rebuild_ms: rebuildMs };
}

async function setConsumers(root: pg.Client, on: boolean): Promise<void> {
  if (on) {
    await root.query("insert into app_private.event_subscriptions select * from bench_saved_subscriptions on conflict do nothing");
  } else {
    await root.query("delete from app_private.event_subscriptions");
  }
}

export const ingestion: BenchCase = {
  name: "ingestion",
  async run(ctx: BenchContext) {
    const db = await ctx.createDatabase("ingestion");
    const root = await connect(db.rootUrl);
    const sampler = await connect(db.rootUrl);
    const vacuum = await connect(db.rootUrl);
    const terminals: pg.Client[] = [];
    try {
      ctx.log("two businesses with 100 locations each");
      const off = await openShop(db, root, "Consumers off", ctx.clients);
      const on = await openShop(db, root, "Consumers on", ctx.clients);
      await root.query("create table bench_saved_subscriptions as select * from app_private.event_subscriptions");
      await root.query("analyze");

      const rounds = ctx.quick ? 2 : 4;
      const ms = (ctx.quick ? 1.5 : 10) * 1000;
      const scenarios = [
        { key: "spread", label: "100 locations", target: 0.75, locations: (s: Shop) => s.locations },
        { key: "one", label: "one location", target: 0.5, locations: (s: Shop) => [s.locations[0]] },
      ];
      const runs: Record<string, { off: LoadResult[]; on: LoadResult[] }> = { spread: { off: [], on: [] }, one: { off: [], on: [] } };
      const lags: number[] = [];
      let leftQueued = 0;
      let seed = 1;
      const openTerminals = async (shop: Shop) => {
        for (const t of terminals.splice(0)) await t.end();
        for (const s of shop.sessions) terminals.push(await visitor(db, s));
      };
      // Warm-up with every consumer on, then fresh statistics: the plans of the fold follow the
      // statistics of the event log, and an ANALYZE of an almost empty log (taken before any
      // order) makes the stock fold scan every movement event by type instead of by id.
      for (const shop of [off, on]) {
        await openTerminals(shop);
        await sell(terminals, shop, shop.locations, ctx.quick ? 700 : 3000, 1000 + seed++, vacuum);
      }
      await root.query("select app_private.reporting_fold_all()");
      await root.query("analyze");
      for (let round = 0; round < rounds; round++) {
        for (const sc of scenarios) {
          await setConsumers(root, false);
          await openTerminals(off);
          const a = await sell(terminals, off, sc.locations(off), ms, seed++, vacuum);
          runs[sc.key].off.push(a);
          await setConsumers(root, true);
          await openTerminals(on);
          const salesEvents = async () =>
            (
              await root.query(
                `select count(*)::int as n from app_private.events where tenant_id = $1
                 and type in (select event_type from app_private.event_subscriptions where consumer = 'reporting_sales')`,
                [on.tenantId],
              )
            ).rows[0].n as number;
          const eventsBefore = await salesEvents();
          const sampling = sampleQueue(sampler, on.tenantId);
          const b = await sell(terminals, on, sc.locations(on), ms, seed++, vacuum);
          const seen = await sampling.stop();
          const appended = (await salesEvents()) - eventsBefore;
          // Events still queued when the load stops wait for the tenant's next commit or the
          // worker's minute cron (app_private.reporting_fold_all, worker/tasks/reporting-fold.ts).
          const { rows } = await root.query("select count(*)::int as n from app_private.reporting_queue where tenant_id = $1", [on.tenantId]);
          leftQueued += rows[0].n;
          for (const s of seen.values()) lags.push(s.last + 25 - s.at);
          // Events never seen queued were folded by their own commit.
          for (let i = seen.size; i < appended; i++) lags.push(0);
          runs[sc.key].on.push(b);
          await root.query("select app_private.reporting_fold_all()");
          ctx.log(`${sc.label} round ${round + 1}: off ${a.tps.toFixed(0)}/s, on ${b.tps.toFixed(0)}/s (${(b.tps / a.tps).toFixed(2)}), errors ${a.errors + b.errors}`);
        }
      }
      for (const t of terminals.splice(0)) await t.end();

      ctx.log("checking the read models");
      await root.query("select app_private.reporting_fold_all()");
      const check = await checkExact(root, on.tenantId);
      ctx.record("exactness", check);
      lags.sort((a, b) => a - b);
      const lag = { events_sampled: lags.length, events_ever_queued: lags.filter((x) => x > 0).length, p99_ms: percentile(lags, 99), max_ms: lags.at(-1) ?? 0, left_queued_at_stop: leftQueued };
      ctx.record("fold_lag", lag);
      ctx.record("autovacuum", (await root.query("show autovacuum")).rows[0].autovacuum);

      let failed = !check.exact;
      for (const sc of scenarios) {
        const r = runs[sc.key];
        // Total orders over total time of each mode (the rounds are of equal length).
        const tps = (xs: LoadResult[]) => xs.reduce((s, x) => s + x.orders, 0) / xs.reduce((s, x) => s + x.seconds, 0);
        const offTps = tps(r.off);
        const onTps = tps(r.on);
        const ratio = onTps / offTps;
        ctx.record(sc.key, {
          off: r.off,
          on: r.on,
          off_tps: offTps,
          on_tps: onTps,
          ratio,
          ratio_per_round: r.on.map((x, i) => x.tps / r.off[i].tps),
          on_p99_ms: median(r.on.map((x) => x.p99)),
          insert_tps: ctx.shared.get("insert_tps"),
        });
        if (r.off.some((x) => x.errors) || r.on.some((x) => x.errors)) failed = true;
        ctx.row({
          figure: `2. ingestion, 8 clients, ${sc.label}: consumers on ÷ off`,
          value: `${fmt(onTps, "orders/s")} ÷ ${fmt(offTps, "orders/s")}${sc.key === "spread" ? `, exact: ${check.exact ? "yes" : "NO"}` : ""}`,
          target: `≥ ${sc.target}`,
          reference: "same, consumers off",
          // The spread over the rounds: one round's ratio swings with the machine's load.
          ratio: overRounds(r.on.map((x, i) => x.tps / r.off[i].tps), { overall: ratio }),
        });
      }
      const insert = ctx.shared.get("insert_tps");
      const spreadOn = runs.spread.on.reduce((s, x) => s + x.orders, 0) / runs.spread.on.reduce((s, x) => s + x.seconds, 0);
      ctx.row({
        figure: "2. ingestion: consumers on, 100 locations, vs single-row insert",
        value: fmt(spreadOn, "orders/s"),
        target: "—",
        reference: insert ? fmt(insert, "tps") : "—",
        ratio: insert ? overRounds(runs.spread.on.map((x) => x.tps / insert), { overall: spreadOn / insert }) : "—",
      });
      ctx.row({
        figure: "2. ingestion: fold lag (raced commits), p99",
        value: `${fmt(lag.p99_ms, "ms")} (max ${fmt(lag.max_ms, "ms")}, ${lag.left_queued_at_stop} left at stop)`,
        target: "≤ 1,000 ms",
        reference: "—",
        ratio: "—",
      });
      if (!check.exact) throw new Error(`read models are not exact: ${JSON.stringify(check)}`);
      if (failed) throw new Error("some orders failed (see the log)");
    } finally {
      for (const t of terminals) await t.end().catch(() => {});
      await sampler.end();
      await vacuum.end();
      await root.end();
    }
  },
};
