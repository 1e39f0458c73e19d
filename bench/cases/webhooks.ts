// Row 7 — Stripe webhooks: verified and stored events per second through the real HTTP route
// POST /webhooks/stripe (createApp of web/server/app.ts, signatures made with the stripe SDK and
// checked by the server with STRIPE_WEBHOOK_SECRET) at 8 connections, 10% of deliveries being a
// delivery again of an event already stored (Stripe retries). Every event is an invoice.paid of
// the subscription of a real business, so applying it mirrors an invoice and moves the
// subscription. Then the worker (worker/run.ts, as `npm run worker` starts it, in a process of
// its own) runs until every event is applied, and each event must have been stored once, queued
// once, applied once (app_private.apply_stripe_event called once per event: the database counts
// the calls, track_functions) and mirrored as one invoice. The reference, the same SQL call
// straight over pg, follows each round of deliveries (its events are applied too).
import http from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";
import { createApp } from "../../web/server/app.ts";
import { logger } from "../../web/server/logger.ts";
import { fmt, inRounds, type BenchCase } from "../context.ts";
import { median, overRounds, percentile } from "../stats.ts";
import type { ChildProcess } from "node:child_process";
import { connect, dropJobsExcept, onboard, seeded, sleep, startWorkerProcess, stopWorkerProcess, visitor } from "../lib-write.ts";

const SECRET = "whsec_backoffice_bench";

/**
 * A Stripe `invoice.paid` event as Stripe sends it (shared with the capacity case): `key` makes
 * the event, invoice and line ids, `stripeKey` names the business's Stripe customer and
 * subscription, `created` dates it (seconds).
 */
export function invoicePaid(key: string, stripeKey: string, created: number, amount = 14900) {
  return {
    id: `evt_${key}`,
    object: "event",
    api_version: "2026-10-28.endive",
    created,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: "invoice.paid",
    data: {
      object: {
        id: `in_${key}`,
        object: "invoice",
        customer: `cus_${stripeKey}`,
        subscription: `sub_${stripeKey}`,
        number: key.toUpperCase(),
        status: "paid",
        billing_reason: "subscription_cycle",
        currency: "usd",
        amount_due: amount,
        amount_paid: amount,
        attempt_count: 1,
        next_payment_attempt: null,
        created,
        status_transitions: { paid_at: created },
        hosted_invoice_url: `https://invoice.stripe.test/in_${key}`,
        lines: { object: "list", data: [{ id: `il_${key}`, period: { start: created - 30 * 86400, end: created }, parent: null }] },
      },
    },
  };
}

export const webhooks: BenchCase = {
  name: "webhooks",
  async run(ctx) {
    const db = await ctx.createDatabase("webhooks");
    const root = await connect(db.rootUrl);
    const businesses = ctx.quick ? 5 : 20;
    ctx.log(`${businesses} businesses with a Stripe subscription`);
    // A sign-up, then more businesses of the same owner (create_business: no password hash each),
    // five an owner: one person may create no more than five businesses a day (BZLIM).
    const tenants: string[] = [];
    for (let k = 0; k < businesses; k += 5) {
      const first = await onboard(db, `Webhooks ${k}`);
      tenants.push(first.tenantId);
      const owner = await visitor(db, first.sessionId);
      try {
        for (let j = k + 1; j < Math.min(k + 5, businesses); j++) {
          tenants.push((await owner.query("select (app_public.create_business($1, 'Europe/Paris')).id", [`Webhooks ${j}`])).rows[0].id);
        }
      } finally {
        await owner.end();
      }
    }
    for (const [k, tenantId] of tenants.entries()) {
      const b = { tenantId };
      await root.query("update app_public.tenants set billing_customer_id = $2 where id = $1", [b.tenantId, `cus_bench_${k}`]);
      await root.query(
        `update app_public.billing_subscriptions set stripe_customer_id = $2, stripe_subscription_id = $3, status = 'active',
                stripe_subscription_created_at = now() - interval '60 days'
         where tenant_id = $1`,
        [b.tenantId, `cus_bench_${k}`, `sub_bench_${k}`],
      );
    }
    await dropJobsExcept(root, ["stripe_apply_event"]); // onboarding queued Stripe jobs; no Stripe here
    await root.query("analyze");

    // One JSON log line per request would bury the table (and is not what is measured here).
    const previousLevel = logger.level;
    logger.level = "warn";
    const previousSecret = process.env.STRIPE_WEBHOOK_SECRET;
    process.env.STRIPE_WEBHOOK_SECRET = SECRET;
    const app = await createApp({ authUrl: db.authUrl, development: false });
    const server = http.createServer(app.handler);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/stripe`;
    let worker: ChildProcess | null = null;
    try {
      const bodies: string[] = []; // every event delivered so far (a retry re-sends one of them)
      let next = 0;
      let wrong = 0;
      let duplicates = 0;
      const latencies: number[] = [];
      // Event n is dated base + n seconds, one second apart so that each is newer than the last;
      // a week back, since the rounds send tens of thousands and an event dated more than five
      // minutes ahead of the database's clock is refused (receive_stripe_event).
      const base = Math.floor(Date.now() / 1000) - 7 * 86400;
      const deliver = async (body: string, duplicate: boolean) => {
        // Stripe signs every delivery anew (a retry has a new timestamp and signature).
        const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET });
        const t = performance.now();
        const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", "stripe-signature": signature }, body });
        const answer = (await res.json()) as { received?: boolean; duplicate?: boolean };
        latencies.push(performance.now() - t);
        if (res.status !== 200 || answer.duplicate !== duplicate) {
          wrong++;
          if (wrong < 3) ctx.log(`unexpected answer ${res.status} ${JSON.stringify(answer)} (duplicate: ${duplicate})`);
        }
      };
      const load = async (ms: number) => {
        const end = Date.now() + ms;
        await Promise.all(
          Array.from({ length: ctx.clients }, async (_, c) => {
            const rnd = seeded(7 + c);
            while (Date.now() < end) {
              if (bodies.length > 0 && rnd() < 0.1) {
                duplicates++;
                await deliver(bodies[Math.floor(rnd() * bodies.length)], true);
              } else {
                const n = next++;
                const body = JSON.stringify(invoicePaid(`bench_${n}`, `bench_${n % businesses}`, base + n));
                await deliver(body, false);
                bodies.push(body);
              }
            }
          }),
        );
      };
      // The same call straight over pg, 8 connections of the server's login, no HTTP: what the
      // database takes per stored event (each is a new event, its job queued like the route's).
      let directTotal = 0;
      const direct = async (ms: number) => {
        const conns = await Promise.all(Array.from({ length: ctx.clients }, () => connect(db.authUrl)));
        let done = 0;
        const end = Date.now() + ms;
        await Promise.all(
          conns.map(async (c) => {
            while (Date.now() < end) {
              const n = next++;
              await c.query("select app_hidden.receive_stripe_event($1::jsonb)", [JSON.stringify({ ...invoicePaid(`bench_${n}`, `bench_${n % businesses}`, base + n), id: `evt_direct_${n}` })]);
              done++;
            }
          }),
        );
        for (const c of conns) await c.end();
        directTotal += done;
        return done / (ms / 1000);
      };
      ctx.log("warm-up");
      await load(500);
      latencies.length = 0;
      // Rounds of deliveries over HTTP, each followed by the direct calls: the ratio's spread.
      let seconds = 0;
      let deliveries = 0;
      let cpuSeconds = 0;
      const rounds = await inRounds(ctx, "deliveries", async () => {
        const deliveredBefore = next + duplicates;
        const t0 = performance.now();
        const cpu0 = process.cpuUsage();
        await load(ctx.seconds * 1000);
        const s = (performance.now() - t0) / 1000;
        const cpu = process.cpuUsage(cpu0);
        cpuSeconds += (cpu.user + cpu.system) / 1e6;
        const delivered = next + duplicates - deliveredBefore;
        seconds += s;
        deliveries += delivered;
        const directPerSecond = await direct(ctx.quick ? 1500 : 5000);
        return { per_second: delivered / s, direct_per_second: directPerSecond };
      });
      // Share of one core this process (server and load generator) used during the loads.
      const nodeCpuShare = cpuSeconds / seconds;
      latencies.sort((a, b) => a - b);
      const perSecond = deliveries / seconds;
      const directPerSecond = median(rounds.map((r) => r.direct_per_second));
      // Every event stored, over HTTP or directly, is applied by the worker.
      const unique = next;

      const counts = async () =>
        (
          await root.query(
            `select (select count(*)::int from app_private.stripe_events where id like 'evt_bench_%' or id like 'evt_direct_%') as stored,
                    (select count(*)::int from app_private.stripe_events where (id like 'evt_bench_%' or id like 'evt_direct_%') and status = 'applied') as applied,
                    (select count(*)::int from graphile_worker.jobs where task_identifier = 'stripe_apply_event') as jobs,
                    (select count(*)::int from app_public.billing_invoices where stripe_invoice_id like 'in_bench_%') as invoices`,
          )
        ).rows[0];
      const stored = await counts();

      ctx.log(`applying ${unique} events with the worker`);
      await root.query(`alter database "${db.name}" set track_functions = 'pl'`);
      await root.query("select pg_stat_reset()");
      const t1 = performance.now();
      worker = startWorkerProcess(db, ctx.log);
      // Until every event is applied, or nothing moved for a minute (a fixed two minutes was too
      // short for the 28,703 events of a full run on this machine: 19,245 applied, none twice).
      let after = await counts();
      let lastMove = Date.now();
      while ((after.applied < unique || after.jobs > 0) && Date.now() - lastMove < 60_000) {
        await sleep(100);
        const now = await counts();
        if (now.applied !== after.applied || now.jobs !== after.jobs) lastMove = Date.now();
        after = now;
      }
      const applySeconds = (performance.now() - t1) / 1000;
      await stopWorkerProcess(worker);
      worker = null;
      await sleep(500); // the worker's sessions report their statistics as they end
      const calls = Number(
        (
          await root.query(
            "select coalesce(sum(calls), 0) as n from pg_stat_user_functions where schemaname = 'app_private' and funcname = 'apply_stripe_event'",
          )
        ).rows[0].n,
      );
      const failures = Number(
        (await root.query("select count(*)::int as n from app_private.stripe_events where (id like 'evt_bench_%' or id like 'evt_direct_%') and status <> 'applied'")).rows[0].n,
      );
      const exactlyOnce =
        stored.stored === unique &&
        stored.jobs === unique &&
        after.applied === unique &&
        after.jobs === 0 &&
        after.invoices === unique &&
        calls === unique &&
        wrong === 0;
      const outcomes = (
        await root.query("select outcome, count(*)::int as n from app_private.stripe_events where id like 'evt_bench_%' group by 1 order by 2 desc")
      ).rows;
      const result = {
        deliveries,
        duplicates_total: duplicates,
        unique_events: unique,
        seconds,
        per_second: perSecond,
        p50_ms: percentile(latencies, 50),
        p99_ms: percentile(latencies, 99),
        wrong_answers: wrong,
        stored_after_load: stored,
        after_worker: after,
        node_cpu_share: nodeCpuShare,
        direct_sql_per_second: directPerSecond,
        direct_events: directTotal,
        rounds,
        apply_calls: calls,
        not_applied: failures,
        apply_seconds: applySeconds,
        applied_per_second: unique / applySeconds,
        outcomes,
        exactly_once: exactlyOnce,
      };
      ctx.record("webhooks", result);
      ctx.row({
        figure: "7. Stripe webhooks, 8 connections, 10% duplicates",
        value: `${fmt(perSecond, "events/s")}, p99 ${fmt(result.p99_ms, "ms")}`,
        target: "≥ 1,000/s, p99 ≤ 50 ms",
        reference: `same SQL call over pg: ${fmt(directPerSecond, "/s")}`,
        ratio: overRounds(rounds.map((r) => r.per_second / r.direct_per_second), { overall: perSecond / directPerSecond }),
      });
      ctx.row({
        figure: "7. webhooks: applied by the worker, exactly once",
        value: `${unique.toLocaleString("en-US")} events in ${applySeconds.toFixed(1)} s (${fmt(result.applied_per_second, "/s")}): ${exactlyOnce ? "yes" : "NO"}`,
        target: "each once",
        reference: "—",
        ratio: "—",
      });
      if (!exactlyOnce) throw new Error(`webhook events not applied exactly once: ${JSON.stringify({ ...result, outcomes: undefined })}`);
    } finally {
      if (worker) await stopWorkerProcess(worker);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await app.close();
      logger.level = previousLevel;
      if (previousSecret === undefined) delete process.env.STRIPE_WEBHOOK_SECRET;
      else process.env.STRIPE_WEBHOOK_SECRET = previousSecret;
      await root.end();
    }
  },
};
