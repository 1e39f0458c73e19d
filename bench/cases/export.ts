// Row 5 — CSV export through the worker: the customers export (reporting.request_export →
// graphile-worker task export_csv, worker/tasks/export-csv.ts) of a business with 1,000,000
// customers, and of one with 100,000 (quick: 100,000 and 20,000). The worker runs as a child
// process started the way `npm run worker` starts it (worker/run.ts), so its memory can be read
// from /proc: the peak (VmHWM, reset before each export through clear_refs) must stay under
// 200 MB and grow by 10% at most from the small size to the big one. Measured in rounds, each
// with a fresh worker; the table shows the medians and each ratio's spread. Rows/s are the
// worker's own (started_at → finished_at of the export row); the reference is the same query
// streamed with COPY by this process to nowhere.
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import type pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import { fmt, inRounds, type BenchCase } from "../context.ts";
import { median, overRounds } from "../stats.ts";
import { connect, dropJobsExcept, onboard, sleep, startWorkerProcess, stopWorkerProcess, workerReady, visitor } from "../lib-write.ts";

/** Customers, their purchase history and activity rows, set-based as the superuser (triggers off: no audit rows, no events). */
export async function bulkCustomers(root: pg.Client, tenantId: string, n: number, prefix: string): Promise<void> {
  await root.query("set session_replication_role = replica");
  await root.query(
    `insert into app_public.customers (tenant_id, id, customer_number, email, first_name, last_name)
     select $1, $3 || lpad(g::text, 20, '0'), 'CUST-' || lpad(g::text, 7, '0'), 'customer' || g || '@example.com',
            (array['Ada', 'Bob', 'Chloé', 'Dmitri', 'Eve', '=Formula', 'Grace, Jr.', 'Hank "H"'])[1 + g % 8], 'Surname' || (g % 9973)
     from generate_series(1, $2) g`,
    [tenantId, n, prefix],
  );
  // g % 17 visits, the latest on one of 300 days of 2026 and the first 20 days before it.
  await root.query(
    `insert into app_public.customer_stats (tenant_id, customer_id, visits, spend, items_bought, first_visit_at, last_visit_at, recent_visits)
     select $1, $3 || lpad(g::text, 20, '0'), g % 17, (g % 17) * 1234, (g % 17) * 2, v.last - interval '20 days', v.last,
            case when g % 17 > 0 then array[v.last] else '{}' end
     from generate_series(1, $2) g
     cross join lateral (select case when g % 17 > 0 then timestamptz '2026-01-01' + (g % 300) * interval '1 day' end as last) v`,
    [tenantId, n, prefix],
  );
  // Planned with the statistics of the empty clone, the join below was a nested loop over every
  // pair of the business's customers (a million squared; stopped after 11 minutes).
  await root.query("analyze app_public.customers, app_public.customer_stats");
  await root.query(
    `insert into reporting.rm_customer_activity (tenant_id, customer_id, customer_name, total_visits, total_spend, last_visit_at)
     select c.tenant_id, c.id, c.display_name, s.visits, s.spend, s.last_visit_at
     from app_public.customers c join app_public.customer_stats s on s.tenant_id = c.tenant_id and s.customer_id = c.id
     where c.tenant_id = $1`,
    [tenantId],
  );
  await root.query("reset session_replication_role");
}

function procStatus(pid: number): { rss: number; hwm: number } {
  const s = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1] ?? 0);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
}

async function exportOnce(root: pg.Client, owner: pg.Client, pid: number, expected: number) {
  fs.writeFileSync(`/proc/${pid}/clear_refs`, "5"); // resets VmHWM to the current RSS
  const before = procStatus(pid);
  const t0 = performance.now();
  const { rows } = await owner.query("select (reporting.request_export('customers')).id");
  const id = rows[0].id as string;
  let peakRss = before.rss;
  for (;;) {
    const st = procStatus(pid);
    peakRss = Math.max(peakRss, st.rss);
    const e = (await root.query("select status, error_message from reporting.exports where id = $1", [id])).rows[0];
    if (e.status === "done") break;
    if (e.status === "failed") throw new Error(`export failed: ${e.error_message}`);
    await sleep(20);
  }
  const endToEnd = (performance.now() - t0) / 1000;
  const after = procStatus(pid);
  const e = (
    await root.query(
      `select rows_written, bytes_written, chunk_count, extract(epoch from finished_at - started_at) as seconds,
              (select coalesce(sum(length(c.data)), 0) from app_private.export_chunks c where c.tenant_id = x.tenant_id and c.export_id = x.id) as stored
       from reporting.exports x where id = $1`,
      [id],
    )
  ).rows[0];
  if (Number(e.rows_written) !== expected) throw new Error(`export wrote ${e.rows_written} rows, expected ${expected}`);
  if (Number(e.stored) !== Number(e.bytes_written)) throw new Error(`export stored ${e.stored} bytes, reported ${e.bytes_written}`);
  // The file starts with one UTF-8 byte order mark, then the header.
  const head = (await root.query("select substr(data, 1, 20) as head from app_private.export_chunks where export_id = $1 and chunk_no = 0", [id])).rows[0]
    .head as Buffer;
  if (!head.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])) || !head.subarray(3).toString("latin1").startsWith("customer_number,")) {
    throw new Error(`export does not start with one byte order mark and its header: ${JSON.stringify(head.toString("latin1"))}`);
  }
  const seconds = Number(e.seconds);
  return {
    rows: Number(e.rows_written),
    bytes: Number(e.bytes_written),
    chunks: e.chunk_count,
    seconds,
    rows_per_s: Number(e.rows_written) / seconds,
    end_to_end_s: endToEnd,
    rss_before_mb: before.rss,
    peak_mb: Math.max(after.hwm, peakRss),
  };
}

/** The same export query streamed with COPY by this process and thrown away: what the database itself delivers. */
async function rawCopy(url: string, tenantId: string): Promise<{ rows: number; seconds: number; rows_per_s: number }> {
  const c = await connect(url);
  try {
    const q = (await c.query("select app_private.export_query($1, 'customers', '{}') as q", [tenantId])).rows[0].q;
    const t = performance.now();
    let lines = 0;
    const stream = c.query(copyTo(`copy (${q}) to stdout with (format csv, header)`));
    for await (const piece of stream as AsyncIterable<Buffer>) {
      for (let i = 0; i < piece.length; i++) if (piece[i] === 0x0a) lines++;
    }
    const seconds = (performance.now() - t) / 1000;
    return { rows: lines - 1, seconds, rows_per_s: (lines - 1) / seconds };
  } finally {
    await c.end();
  }
}

export const exportCsv: BenchCase = {
  name: "export",
  async run(ctx) {
    const sizes = ctx.quick ? [20_000, 100_000] : [100_000, 1_000_000];
    const db = await ctx.createDatabase("export");
    const root = await connect(db.rootUrl);
    let worker: ChildProcess | null = null;
    const owners: pg.Client[] = [];
    try {
      // The export reads rm_customer_activity joined by key to customers and their stats,
      // preferences and contact channels: the search and list indexes of customers play no part,
      // and dropping them in this clone makes loading 1.1 million customers a matter of seconds.
      for (const ix of (
        await root.query(
          `select indexrelid::regclass::text as ix from pg_index i where indrelid = 'app_public.customers'::regclass
           and not indisprimary and not indisunique`,
        )
      ).rows) {
        await root.query(`drop index ${ix.ix}`);
      }
      const businesses: (Awaited<ReturnType<typeof onboard>> & { n: number })[] = [];
      for (const [i, n] of sizes.entries()) {
        const b = await onboard(db, `Export ${n}`);
        ctx.log(`${n.toLocaleString("en-US")} customers`);
        await bulkCustomers(root, b.tenantId, n, `01BENCH${i}`);
        businesses.push({ ...b, n });
      }
      await root.query("vacuum analyze app_public.customers, app_public.customer_stats, reporting.rm_customer_activity");
      await dropJobsExcept(root, ["export_csv"]); // onboarding queued Stripe jobs; no Stripe here
      for (const b of businesses) owners.push(await visitor(db, b.sessionId));

      // Each round starts a fresh worker (a heap grown by an earlier round would hide growth),
      // exports the small business then the big one, then streams the big one's query raw.
      const rounds = await inRounds(ctx, "exports", async (round) => {
        worker = startWorkerProcess(db, ctx.log, { WORKER_CONCURRENCY: "1" });
        try {
          const pid = worker.pid!;
          await workerReady(root, db);
          const idle = procStatus(pid);
          const exports = [];
          for (const [i, b] of businesses.entries()) {
            ctx.log(`exporting ${b.n.toLocaleString("en-US")} rows`);
            const r = await exportOnce(root, owners[i], pid, b.n);
            exports.push(r);
            ctx.log(`${b.n}: ${r.rows_per_s.toFixed(0)} rows/s, peak ${r.peak_mb.toFixed(0)} MB`);
          }
          const raw = await rawCopy(db.ownerUrl, businesses.at(-1)!.tenantId);
          const [small, big] = [exports[0], exports.at(-1)!];
          const result = { round, idle_rss_mb: idle.rss, small, big, raw_copy: raw, speed_ratio: big.rows_per_s / raw.rows_per_s, memory_ratio: big.peak_mb / small.peak_mb };
          ctx.record(`round_${round + 1}`, result);
          return result;
        } finally {
          await stopWorkerProcess(worker!);
          worker = null;
        }
      });
      const med = (f: (r: (typeof rounds)[number]) => number) => median(rounds.map(f));
      const big = rounds[0].big;
      const small = rounds[0].small;

      ctx.row({
        figure: `5. CSV export through the worker, ${big.rows.toLocaleString("en-US")} rows`,
        value: `${fmt(med((r) => r.big.rows_per_s), "rows/s")} (${med((r) => r.big.seconds).toFixed(1)} s, ${(big.bytes / 1e6).toFixed(0)} MB)`,
        target: "≥ 100,000 rows/s",
        reference: `COPY alone: ${fmt(med((r) => r.raw_copy.rows_per_s), "rows/s")}`,
        ratio: overRounds(rounds.map((r) => r.speed_ratio)),
      });
      ctx.row({
        figure: `5. CSV export: worker peak memory, ${small.rows.toLocaleString("en-US")} → ${big.rows.toLocaleString("en-US")} rows`,
        value: `${med((r) => r.small.peak_mb).toFixed(0)} MB → ${med((r) => r.big.peak_mb).toFixed(0)} MB (idle ${med((r) => r.idle_rss_mb).toFixed(0)} MB)`,
        target: "≤ 200 MB, growth ≤ 10%",
        reference: `${small.rows.toLocaleString("en-US")} rows`,
        ratio: overRounds(rounds.map((r) => r.memory_ratio)),
      });
    } finally {
      for (const o of owners) await o.end().catch(() => {});
      if (worker) await stopWorkerProcess(worker);
      await root.end();
    }
  },
};
