// The run log: every task of the worker's list records its runs (start, end, rows, outcome,
// error) through one wrapper; a business sees its own runs in words, operators see every task's
// health. (A killed worker's run ending "crashed" is in test/security/crash-worker.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTaskList } from "../../worker/tasks/index.ts";
import { withRunLog } from "../../worker/tasks/run-log.ts";
import { createTestDatabase, type Member, type TestDatabase } from "../helpers/db.ts";
import { runJobsOnce } from "../helpers/worker.ts";
import { silentLogger } from "./billing/harness.ts";

let db: TestDatabase;
let owner: Member;
const taskList = makeTaskList();
beforeAll(async () => {
  db = await createTestDatabase();
  owner = await db.onboard();
  // Onboarding queues Stripe jobs that are not under test here.
  await db.owner.query("delete from graphile_worker._private_jobs");
});
afterAll(() => db?.drop());

const runs = async (task: string) =>
  (await db.owner.query("select * from app_private.job_runs where task = $1 order by started_at, id", [task])).rows;

describe("the run log", () => {
  it("records a queued job of a business: its tenant, attempt, rows, outcome and duration; the business sees it in words", async () => {
    const { rows } = await owner.query("select id from reporting.request_export('daily_sales', '{\"from\": \"2025-01-01\", \"to\": \"2025-01-03\"}')");
    await runJobsOnce(db, { export_csv: taskList.export_csv });
    const [run] = await runs("export_csv");
    expect(run).toMatchObject({ tenant_id: owner.tenantId, attempt: 1, outcome: "succeeded", rows_affected: "3", error_message: null });
    expect(run.finished_at.getTime()).toBeGreaterThanOrEqual(run.started_at.getTime());
    expect((await db.owner.query("select status from reporting.exports where id = $1", [rows[0].id])).rows[0].status).toBe("done");
    const shown = (await owner.query("select * from app_public.background_jobs()")).rows;
    expect(shown).toEqual([expect.objectContaining({ task: "export_csv", label: "CSV export", outcome: "succeeded", rows_affected: "3", error_message: null })]);
    expect(Number(shown[0].duration_ms)).toBeGreaterThanOrEqual(0);
    // Another business, and a cashier (no settings.view), see nothing of it.
    expect((await (await db.onboard()).query("select count(*)::int as n from app_public.background_jobs()")).rows[0].n).toBe(0);
    expect((await (await db.asUser(owner.tenantId, "cashier")).query("select count(*)::int as n from app_public.background_jobs()")).rows[0].n).toBe(0);
  });

  it("records a scheduled task of the platform (no business) with the rows it affected", async () => {
    await db.owner.query("select graphile_worker.add_job('cleanup_sessions', '{}'::json)");
    await runJobsOnce(db, { cleanup_sessions: taskList.cleanup_sessions });
    const [run] = await runs("cleanup_sessions");
    expect(run).toMatchObject({ tenant_id: null, outcome: "succeeded", rows_affected: "0" });
  });

  it("records a failure with its error; the business reads ours as raised and anything else as a sentence", async () => {
    const failing = withRunLog("test_failure", async (payload: any) => {
      if (payload.coded) throw Object.assign(new Error("The export could not be written. Please try again."), { code: "BADIN" });
      throw new Error('relation "app_private.secret" does not exist');
    });
    await db.owner.query("select graphile_worker.add_job('test_failure', json_build_object('tenantId', $1::text, 'coded', true), max_attempts := 1)", [owner.tenantId]);
    await db.owner.query("select graphile_worker.add_job('test_failure', json_build_object('tenantId', $1::text, 'coded', false), max_attempts := 1)", [owner.tenantId]);
    await runJobsOnce(db, { test_failure: failing }, { logger: silentLogger }); // (failures expected: not logged)
    const failed = await runs("test_failure");
    expect(failed.map((r) => [r.outcome, r.error_code, r.error_message]).sort()).toEqual([
      ["failed", "BADIN", "The export could not be written. Please try again."],
      ["failed", null, 'relation "app_private.secret" does not exist'],
    ].sort());
    const shown = (await owner.query("select error_message from app_public.background_jobs() where task = 'test_failure'")).rows.map((r) => r.error_message).sort();
    expect(shown).toEqual(["It failed on our side; it is retried automatically, and we have been told.", "The export could not be written. Please try again."].sort());
  });

  it("operators see each task's last run, its failures in the last day and the oldest job waiting", async () => {
    await db.owner.query("select graphile_worker.add_job('export_cleanup', '{}'::json, run_at := now() - interval '1 hour')");
    const { rows } = await db.owner.query("select * from app_private.job_health where task in ('export_csv', 'test_failure', 'export_cleanup') order by task");
    expect(rows.map((r) => [r.task, r.last_outcome, Number(r.failures_last_day), r.oldest_queued_at !== null])).toEqual([
      ["export_cleanup", null, 0, true],
      ["export_csv", "succeeded", 0, false],
      ["test_failure", "failed", 2, false],
    ]);
  });

  it("forgets runs older than 90 days", async () => {
    await db.owner.query("update app_private.job_runs set started_at = now() - interval '91 days', finished_at = now() - interval '91 days' where task = 'cleanup_sessions'");
    await db.owner.query("select graphile_worker.add_job('cleanup_job_runs', '{}'::json)");
    await runJobsOnce(db, { cleanup_job_runs: taskList.cleanup_job_runs });
    expect((await runs("cleanup_sessions")).length).toBe(0);
    expect((await runs("cleanup_job_runs"))[0]).toMatchObject({ outcome: "succeeded", rows_affected: "1" });
  });
});
