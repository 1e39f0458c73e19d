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
  // Sessions are stored by the hash of their secret (the cookie value).
  const bySecret = "secret_hash = app_hidden.session_secret_hash($1)";
  await db.owner.query(`update app_private.sessions set expires_at = now() - interval '2 days' where ${bySecret}`, [stale.sessionId]);
  await db.owner.query(`update app_private.sessions set expires_at = now() - interval '1 hour' where ${bySecret}`, [recent.sessionId]);

  await db.owner.query("select graphile_worker.add_job('cleanup_sessions', '{}'::json)");
  // Only this task: onboarding also queued Stripe jobs, which are not under test here.
  await runJobsOnce(db, { cleanup_sessions: taskList.cleanup_sessions });

  const kept = async (secret: string | null) =>
    (await db.owner.query(`select count(*)::int as n from app_private.sessions where ${bySecret}`, [secret])).rows[0].n === 1;
  expect([await kept(live.sessionId), await kept(stale.sessionId), await kept(recent.sessionId)]).toEqual([true, false, true]);
  // (Onboarding also queues Stripe jobs; only this task's jobs matter here.)
  const jobs = await db.owner.query("select count(*)::int as n from graphile_worker.jobs where task_identifier = 'cleanup_sessions'");
  expect(jobs.rows[0].n).toBe(0);
});
