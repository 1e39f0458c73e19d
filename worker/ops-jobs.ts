// `npm run ops:jobs`: for operators, how the background work is doing — every task's last run
// and outcome, its failures and crashes in the last day, and the oldest job waiting for it
// (app_private.job_health). Connects as the owner (DATABASE_URL, else the embedded PostgreSQL).
import pg from "pg";
import { resolveDatabase } from "../db/env.ts";

const target = await resolveDatabase(() => {});
const client = new pg.Client(target.ownerUrl);
await client.connect();
try {
  const { rows } = await client.query(
    `select task, last_started_at, last_outcome, last_seconds, failures_last_day, runs_last_day, oldest_queued_at, last_error
     from app_private.job_health`,
  );
  const when = (d: Date | null) => (d ? d.toISOString().replace("T", " ").slice(0, 19) : "—");
  console.table(
    rows.map((r) => ({
      task: r.task,
      "last run (UTC)": when(r.last_started_at),
      outcome: r.last_outcome ?? "—",
      seconds: r.last_seconds ?? "—",
      "runs 24h": Number(r.runs_last_day),
      "failed 24h": Number(r.failures_last_day),
      "oldest waiting (UTC)": when(r.oldest_queued_at),
      "last error": r.last_error ? String(r.last_error).slice(0, 60) : "",
    })),
  );
  const failing = rows.filter((r) => Number(r.failures_last_day) > 0).length;
  if (failing) process.exitCode = 1;
} finally {
  await client.end();
  await target.stop();
}
