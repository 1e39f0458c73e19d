// Row 8 — the reference ceiling: what this machine's PostgreSQL does at all, at 8 clients, in the
// same run as every other figure. pgbench select-only (the cheapest read) and a plain single-row
// insert into an unindexed table with a serial key (the cheapest durable write, one commit each),
// in rounds (the medians are the reference of the other cases).
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { fmt, inRounds, withClient, type BenchCase } from "../context.ts";
import { median, overRounds } from "../stats.ts";

const run = promisify(execFile);

function pgbenchArgs(url: string): string[] {
  const u = new URL(url);
  return ["-h", u.hostname, "-p", u.port || "5432", "-U", decodeURIComponent(u.username) || "postgres", u.pathname.slice(1)];
}

function parse(out: string) {
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1]);
  const latency = Number(/latency average = ([\d.]+) ms/.exec(out)?.[1]);
  if (!Number.isFinite(tps)) throw new Error(`pgbench printed no tps:\n${out}`);
  return { tps, latency_avg_ms: latency };
}

export const ceiling: BenchCase = {
  name: "ceiling",
  async run(ctx) {
    const db = await ctx.createDatabase("ceiling");
    const conn = pgbenchArgs(db.rootUrl);
    const env = { ...process.env, PGPASSWORD: decodeURIComponent(new URL(db.rootUrl).password) };
    ctx.log("pgbench -i");
    await run("pgbench", ["-i", "-q", "-s", ctx.quick ? "2" : "10", ...conn], { env });
    const common = ["-n", "-c", String(ctx.clients), "-j", "2", "-T", String(ctx.seconds)];

    await withClient(db.rootUrl, (c) => c.query("create table bench_insert (id bigserial primary key, at timestamptz not null default now(), v text)"));
    const script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bo-bench-")), "insert.sql");
    fs.writeFileSync(script, "insert into bench_insert (v) values ('x');\n");
    // Rounds of both, alternating: the others read the medians; each round's figure over the
    // median shows how much the machine swung during the run.
    const rounds = await inRounds(ctx, "pgbench", async () => {
      const select = parse((await run("pgbench", [...common, "-S", ...conn], { env })).stdout);
      const insert = parse((await run("pgbench", [...common, "-f", script, ...conn], { env })).stdout);
      ctx.log(`select-only ${select.tps.toFixed(0)} tps, single-row insert ${insert.tps.toFixed(0)} tps`);
      return { select, insert };
    });
    const summary = (xs: { tps: number; latency_avg_ms: number }[]) => ({
      tps: median(xs.map((x) => x.tps)),
      latency_avg_ms: median(xs.map((x) => x.latency_avg_ms)),
      rounds: xs,
    });
    const select = summary(rounds.map((r) => r.select));
    const insert = summary(rounds.map((r) => r.insert));

    ctx.shared.set("select_tps", select.tps);
    ctx.shared.set("insert_tps", insert.tps);
    ctx.record("pgbench_select_only", select);
    ctx.record("single_row_insert", insert);
    ctx.row({
      figure: "8. ceiling: pgbench select-only, 8 clients",
      value: `${fmt(select.tps, "tps")}, avg ${fmt(select.latency_avg_ms, "ms")}`,
      target: "—",
      reference: "itself (median of the rounds)",
      ratio: overRounds(select.rounds.map((r) => r.tps / select.tps)),
    });
    ctx.row({
      figure: "8. ceiling: single-row insert, 8 clients",
      value: `${fmt(insert.tps, "tps")}, avg ${fmt(insert.latency_avg_ms, "ms")}`,
      target: "—",
      reference: "itself (median of the rounds)",
      ratio: overRounds(insert.rounds.map((r) => r.tps / insert.tps)),
    });
  },
};
