// Phone verification: request_phone_code (as the API role) → the code's SMS in the outbox of the
// local Twilio stand-in (sms-local/), through graphile-worker's send_sms task in a worker process
// started as `npm run worker` starts it (SMS_LOCAL_URL: the real twilio SDK pointed at the
// stand-in). One request at a time, each to a new customer's phone, timed until its message is in
// the outbox: p50 and p95. Seed target < 5 s; ours < 1 s. n = 200 × BENCH_SCALE (20 to 199, plus one to warm up: the
// business's hourly cap is 200 codes).
import { fmt, type BenchCase } from "../context.ts";
import { benchScale } from "../data.ts";
import { connect, dropJobsExcept, onboard, sleep, startWorkerProcess, stopWorkerProcess, visitor } from "../lib-write.ts";
import { percentile } from "../stats.ts";
import { startSmsLocal } from "../../sms-local/server.ts";

export const sms: BenchCase = {
  name: "sms",
  async run(ctx) {
    const n = Math.min(199, Math.max(20, Math.round(200 * benchScale(ctx))));
    const db = await ctx.createDatabase("sms");
    const local = await startSmsLocal();
    const root = await connect(db.rootUrl);
    const { tenantId, sessionId } = await onboard(db, "Bench SMS");
    await dropJobsExcept(root, ["send_sms"]);
    const api = await visitor(db, sessionId);
    const worker = startWorkerProcess(db, ctx.log, { SMS_LOCAL_URL: local.url });
    try {
      const ids: string[] = [];
      for (let i = 0; i <= n; i++) {
        const { rows } = await api.query("select id from app_public.create_customer(first_name => $1, phone => $2)", [
          `Bench ${i}`,
          `+9689${String(1_000_000 + i).slice(-7)}`,
        ]);
        ids.push(rows[0].id);
      }
      const timeToOutbox = async (customerId: string, timeoutMs = 30_000): Promise<number> => {
        const before = local.outbox().length;
        const t0 = performance.now();
        await api.query("select * from app_public.request_phone_code($1)", [customerId]);
        while (local.outbox().length === before) {
          if (performance.now() - t0 > timeoutMs) throw new Error(`no SMS in the outbox ${timeoutMs} ms after the request`);
          await sleep(2);
        }
        return performance.now() - t0;
      };
      // The first one waits for the worker process to start: not counted.
      await timeToOutbox(ids[0], 60_000);
      const latencies: number[] = [];
      for (const id of ids.slice(1)) latencies.push(await timeToOutbox(id));
      latencies.sort((a, b) => a - b);
      const p50 = percentile(latencies, 50);
      const p95 = percentile(latencies, 95);
      // The last message is in the outbox a moment before the worker marks it sent.
      const sentCount = async () =>
        (await root.query("select count(*)::int as n from app_private.sms_messages where tenant_id = $1 and status = 'sent'", [tenantId])).rows[0].n as number;
      let sent = await sentCount();
      for (let tries = 0; sent < n + 1 && tries < 100; tries++) {
        await sleep(50);
        sent = await sentCount();
      }
      if (local.outbox().length !== n + 1 || sent !== n + 1) throw new Error(`${local.outbox().length} messages in the outbox, ${sent} marked sent, for ${n + 1} codes`);
      ctx.record("requests", n);
      ctx.record("p50_ms", p50);
      ctx.record("p95_ms", p95);
      ctx.row({
        figure: `SMS: code request → message in the outbox (worker, Twilio SDK, ${n} codes)`,
        value: `p95 ${fmt(p95, "ms")}, p50 ${fmt(p50, "ms")}`,
        target: "p95 < 1 s (seed: < 5 s)",
        reference: "—",
        ratio: (p95 / 1000).toFixed(3),
      });
    } finally {
      await stopWorkerProcess(worker);
      await api.end();
      await root.end();
      await local.close();
    }
  },
};
