// The tests' worker (test/helpers/worker.ts) returns only once the outcome of the jobs it ran is
// written and its connections are closed, so the database dropped with (force) after a test finds
// none of them. graphile-worker's runOnce alone returns earlier: its completion of the last job is
// not awaited, and here it is held up by a lock on the job's row — runOnce would return while
// that completion waits, and a drop at that moment makes it reject with 57P01, unhandled.
import { EventEmitter } from "node:events";
import type { WorkerEvents } from "graphile-worker";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { runJobsOnce, startTestWorker, testWorkerApplicationName } from "../helpers/worker.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

const workerConnections = async () =>
  (await db.owner.query("select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = $1", [testWorkerApplicationName])).rows[0].n;

/** Resolves once a connection of the test worker waits for a lock (its completion of a job). */
async function completionWaiting(): Promise<void> {
  for (;;) {
    const { rows } = await db.owner.query(
      `select count(*)::int as n from pg_stat_activity
       where datname = current_database() and application_name = $1 and wait_event_type = 'Lock' and query like '%graphile_worker%_private_jobs%'`,
      [testWorkerApplicationName],
    );
    if (rows[0].n > 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A task that locks its own job's row from another connection, so the job's completion must wait. */
function holdingTask(holder: pg.Client) {
  return {
    hold: async (_payload: unknown, helpers: { job: { id: string } }) => {
      await holder.query("begin");
      await holder.query("select 1 from graphile_worker._private_jobs where id = $1 for update", [helpers.job.id]);
    },
  };
}

it("runJobsOnce returns after the job's completion is written and its connections are closed", async () => {
  const { rows } = await db.owner.query("select (graphile_worker.add_job('hold', '{}'::json)).id");
  const jobId = rows[0].id;
  const holder = new pg.Client(db.ownerUrl);
  await holder.connect();
  try {
    const events: WorkerEvents = new EventEmitter();
    const workersDone = new Promise((resolve) => events.once("pool:release", resolve));
    let returned = false;
    const run = runJobsOnce(db, holdingTask(holder), { events }).then(() => {
      returned = true;
    });
    // Its workers are done: runOnce alone would return now, without waiting for anything else.
    await workersDone;
    await completionWaiting();
    expect(returned).toBe(false);
    expect((await db.owner.query("select locked_at from graphile_worker._private_jobs where id = $1", [jobId])).rows).toEqual([
      { locked_at: expect.any(Date) },
    ]);
    await holder.query("commit");
    await run;
    expect((await db.owner.query("select count(*)::int as n from graphile_worker._private_jobs where id = $1", [jobId])).rows[0].n).toBe(0);
    expect(await workerConnections()).toBe(0);
  } finally {
    await holder.end();
  }
});

it("a stopped test worker has written its jobs' outcome and closed its connections", async () => {
  const holder = new pg.Client(db.ownerUrl);
  await holder.connect();
  try {
    const events: WorkerEvents = new EventEmitter();
    const workersDone = new Promise((resolve) => events.once("pool:release", resolve));
    const worker = await startTestWorker(db, { taskList: holdingTask(holder), concurrency: 1, pollInterval: 50, noHandleSignals: true, events });
    const { rows } = await db.owner.query("select (graphile_worker.add_job('hold', '{}'::json)).id");
    await completionWaiting();
    let stopped = false;
    const stopping = worker.stop().then(() => {
      stopped = true;
    });
    await workersDone;
    await db.owner.query("select 1"); // what runner.stop() still does after that is no reason to wait for the database
    expect(stopped).toBe(false);
    await holder.query("commit");
    await stopping;
    expect((await db.owner.query("select count(*)::int as n from graphile_worker._private_jobs where id = $1", [rows[0].id])).rows[0].n).toBe(0);
    expect(await workerConnections()).toBe(0);
  } finally {
    await holder.end();
  }
});
