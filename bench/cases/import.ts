// Row 10 — customer import from upload to committed: a CSV file of 100,000 customers (quick: 10,000)
// of which 10% have the email of a customer the business already has (skipped) and 2% an
// invalid email, uploaded to POST /imports/customers of the real server, read by the worker
// (customer_import_parse), committed (commitCustomerImport → customer_import_commit), timed from
// the upload's first byte to the import's `done`. The worker runs as a child process, as
// `npm run worker` starts it, so its memory can be read from /proc: the peak (VmHWM, reset before
// each import) must be the same for 10,000 and 100,000 rows. The counts are checked: every new
// row a customer, every duplicate skipped, every invalid row reported.
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import type pg from "pg";
import { fmt, type BenchCase, type BenchDatabase } from "../context.ts";
import { startApi } from "../data.ts";
import { connect, dropJobsExcept, onboard, sleep, startWorkerProcess, stopWorkerProcess, workerReady, visitor } from "../lib-write.ts";
import { bulkCustomers } from "./export.ts";

const DUPLICATE_SHARE = 0.1;
const INVALID_SHARE = 0.02;

/** A customer file of n rows in Shopify's column names: duplicates first, then invalid rows, then new customers. */
export function customerFile(n: number): Buffer {
  const duplicates = Math.round(n * DUPLICATE_SHARE);
  const invalid = Math.round(n * INVALID_SHARE);
  const lines = ["First Name,Last Name,Email,Phone,Tags,Accepts Email Marketing,Default Address Address1,Default Address City,Default Address Zip,Default Address Country Code"];
  for (let k = 1; k <= n; k++) {
    const email = k <= duplicates ? `customer${k}@example.com` : k <= duplicates + invalid ? `not-an-email-${k}` : `new${k}@example.com`;
    const phone = k <= duplicates ? "" : `+1 415 ${String(5_000_000 + k)}`;
    lines.push(`Ana${k % 97},"Smith, ${k % 89}",${email},${phone},"Regular, Imported",${k % 2 ? "yes" : "no"},${k} Main St,Springfield,${10000 + (k % 89999)},US`);
  }
  return Buffer.from(lines.join("\n") + "\n");
}

function procStatus(pid: number): { rss: number; hwm: number } {
  const s = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1] ?? 0);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
}

interface Business {
  tenantId: string;
  sessionId: string;
  n: number;
}

async function importOnce(db: BenchDatabase, root: pg.Client, baseUrl: string, b: Business, pid: number) {
  const file = customerFile(b.n);
  fs.writeFileSync(`/proc/${pid}/clear_refs`, "5"); // resets VmHWM to the current RSS
  let peakRss = procStatus(pid).rss;
  const state = async (id: string) => (await root.query("select * from app_public.customer_imports where id = $1", [id])).rows[0];
  const waitFor = async (id: string, want: string) => {
    for (;;) {
      peakRss = Math.max(peakRss, procStatus(pid).rss);
      const s = await state(id);
      if (s.status === want) return s;
      if (s.status === "failed") throw new Error(`import failed: ${s.error_code} ${s.error_message}`);
      await sleep(20);
    }
  };
  const t0 = performance.now();
  const res = await fetch(`${baseUrl}/imports/customers?name=bench.csv`, {
    method: "POST",
    headers: { cookie: `bo_session=${b.sessionId}`, "content-type": "text/csv" },
    body: new Uint8Array(file),
  });
  if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
  const { importId } = (await res.json()) as { importId: string };
  const uploaded = performance.now();
  const ready = await waitFor(importId, "ready");
  const read = performance.now();
  // The member commits (what commitCustomerImport runs), as the API role with their session.
  const member = await visitor(db, b.sessionId);
  try {
    await member.query("select app_public.commit_customer_import($1)", [importId]);
  } finally {
    await member.end();
  }
  const done = await waitFor(importId, "done");
  const total = (performance.now() - t0) / 1000;
  const duplicates = Math.round(b.n * DUPLICATE_SHARE);
  const invalid = Math.round(b.n * INVALID_SHARE);
  const expected = { created_count: b.n - duplicates - invalid, skipped_count: duplicates, failed_count: invalid };
  for (const [k, v] of Object.entries(expected)) {
    if (Number(done[k]) !== v) throw new Error(`import of ${b.n} rows: ${k} is ${done[k]}, expected ${v}`);
  }
  if (Number(ready.new_count) !== expected.created_count) throw new Error(`preview counted ${ready.new_count} new rows`);
  const made = (await root.query("select count(*)::int as n from app_public.customers where tenant_id = $1 and email like 'new%'", [b.tenantId])).rows[0].n;
  if (made !== expected.created_count) throw new Error(`${made} customers made, expected ${expected.created_count}`);
  return {
    rows: b.n,
    bytes: file.length,
    upload_s: (uploaded - t0) / 1000,
    read_s: (read - uploaded) / 1000,
    commit_s: (performance.now() - read) / 1000,
    total_s: total,
    rows_per_s: b.n / total,
    peak_mb: Math.max(procStatus(pid).hwm, peakRss),
  };
}

export const customerImport: BenchCase = {
  name: "import",
  async run(ctx) {
    const sizes = ctx.quick ? [2_000, 10_000] : [10_000, 100_000];
    const db = await ctx.createDatabase("import");
    const root = await connect(db.rootUrl);
    let worker: ChildProcess | null = null;
    let api: Awaited<ReturnType<typeof startApi>> | null = null;
    try {
      const businesses: Business[] = [];
      for (const [i, n] of sizes.entries()) {
        const b = await onboard(db, `Import ${n}`);
        // The customers the file's duplicates belong to.
        await bulkCustomers(root, b.tenantId, Math.round(n * DUPLICATE_SHARE), `01IMPRT${i}`);
        businesses.push({ ...b, n });
      }
      await root.query("vacuum analyze app_public.customers");
      await dropJobsExcept(root, ["customer_import_parse", "customer_import_commit"]); // onboarding queued Stripe jobs; no Stripe here
      worker = startWorkerProcess(db, ctx.log, { WORKER_CONCURRENCY: "1" });
      const pid = worker.pid!;
      await workerReady(root, db);
      api = await startApi({ db, sessionId: businesses[0].sessionId });
      const baseUrl = api.url.replace(/\/graphql$/, "");

      const results = [];
      for (const b of businesses) {
        ctx.log(`importing ${b.n.toLocaleString("en-US")} rows`);
        const r = await importOnce(db, root, baseUrl, b, pid);
        results.push(r);
        ctx.record(`import_${b.n}`, r);
        ctx.log(`${b.n}: ${r.rows_per_s.toFixed(0)} rows/s (upload ${r.upload_s.toFixed(1)} s, read ${r.read_s.toFixed(1)} s, commit ${r.commit_s.toFixed(1)} s), peak ${r.peak_mb.toFixed(0)} MB`);
      }
      const [small, big] = [results[0], results.at(-1)!];
      ctx.row({
        figure: `10. Customer import, ${big.rows.toLocaleString("en-US")} rows (10% duplicates, 2% invalid), upload → committed`,
        value: `${fmt(big.rows_per_s, "rows/s")} (${big.total_s.toFixed(1)} s: upload ${big.upload_s.toFixed(1)}, read ${big.read_s.toFixed(1)}, commit ${big.commit_s.toFixed(1)})`,
        target: "≥ 20,000 rows/s",
        reference: `${small.rows.toLocaleString("en-US")} rows: ${fmt(small.rows_per_s, "rows/s")}`,
        ratio: (big.rows_per_s / 20_000).toFixed(3),
      });
      ctx.row({
        figure: `10. Customer import: worker peak memory, ${small.rows.toLocaleString("en-US")} → ${big.rows.toLocaleString("en-US")} rows`,
        value: `${small.peak_mb.toFixed(0)} MB → ${big.peak_mb.toFixed(0)} MB`,
        target: "flat",
        reference: `${small.rows.toLocaleString("en-US")} rows`,
        ratio: (big.peak_mb / small.peak_mb).toFixed(3),
      });
    } finally {
      await api?.close();
      if (worker) await stopWorkerProcess(worker);
      await root.end();
    }
  },
};
