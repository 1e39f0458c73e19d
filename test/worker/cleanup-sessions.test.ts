// The worker runs our typed task list against the database as the owner role.
import { afterAll, beforeAll, expect, it } from "vitest";
import { taskList } from "../../worker/tasks/index.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { runJobsOnce } from "../helpers/worker.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

it("cleanup_sessions forgets sessions expired for over a day and keeps the others", async () => {
  const live = await db.onboard();
  const stale = await db.onboard();
  const recent = await db.onboard();
  await db.owner.query("update app_private.sessions set expires_at = now() - interval '2 days' where id = $1", [stale.sessionId]);
  await db.owner.query("update app_private.sessions set expires_at = now() - interval '1 hour' where id = $1", [recent.sessionId]);

  await db.owner.query("select graphile_worker.add_job('cleanup_sessions', '{}'::json)");
  // Only this task: onboarding also queued Stripe jobs, which are not under test here.
  await runJobsOnce(db, { cleanup_sessions: taskList.cleanup_sessions });

  const { rows } = await db.owner.query("select id from app_private.sessions where id = any($1) order by id", [
    [live.sessionId, stale.sessionId, recent.sessionId],
  ]);
  expect(rows.map((r) => r.id).sort()).toEqual([live.sessionId, recent.sessionId].sort());
  // (Onboarding also queues Stripe jobs; only this task's jobs matter here.)
  const jobs = await db.owner.query("select count(*)::int as n from graphile_worker.jobs where task_identifier = 'cleanup_sessions'");
  expect(jobs.rows[0].n).toBe(0);
});
