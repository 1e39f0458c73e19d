// graphile-worker in tests, over a connection pool of our own that is closed before the test goes on.
//
// Given a connectionString, graphile-worker makes its own pool, and when it is done it removes that
// pool's error listener and calls end() without waiting for it. It does not wait for the outcome of
// the last job either (completeJob and failJob are not awaited). So runOnce() and runner.stop()
// return while the job's completion may still be running and the pool's connections are still
// open. When the test then drops its database with (force) — every afterAll does — those
// connections are terminated: the un-awaited completion rejects with 57P01, or a closing connection
// emits it through a pool that no longer listens for errors, and vitest turns the green run red
// with an unhandled "terminating connection due to administrator command".
// test/worker/run-once.test.ts holds the worker to this.
import { run, runOnce, type RunnerOptions, type TaskList } from "graphile-worker";
import type pg from "pg";
import { graphileLogger } from "../../worker/logger.ts";
import { closablePool } from "./pool.ts";

/** What the tests' worker connections are called in pg_stat_activity. */
export const testWorkerApplicationName = "backoffice-test-worker";

interface WorkerPool {
  pool: pg.Pool;
  /** Ends the pool once its connections are released and closed; fails when one of them was lost. */
  close(): Promise<void>;
}

function workerPool(ownerUrl: string): WorkerPool {
  const { pool, close } = closablePool({ connectionString: ownerUrl, application_name: testWorkerApplicationName });
  // A connection lost while the worker runs is a failure of the test, reported by close(): nothing
  // in these tests makes the server go away under a running worker.
  const lost: Error[] = [];
  pool.on("error", (err) => lost.push(err)); // an idle connection
  pool.on("connect", (client) => client.on("error", (err) => lost.push(err))); // a connection in use
  return {
    pool,
    async close() {
      await close();
      if (lost.length > 0) throw new AggregateError(lost, `the test worker lost a database connection: ${lost[0].message}`);
    },
  };
}

/**
 * Runs every job that is due with the given tasks, once (graphile-worker's runOnce), and returns
 * when their outcome is written and the worker's connections are closed.
 */
export async function runJobsOnce(
  db: { ownerUrl: string },
  taskList: TaskList,
  opts: Pick<RunnerOptions, "logger" | "events"> = {},
): Promise<void> {
  const { pool, close } = workerPool(db.ownerUrl);
  try {
    await runOnce({ logger: graphileLogger(), ...opts, pgPool: pool, taskList });
  } finally {
    await close();
  }
}

export interface TestWorker {
  /** Stops the worker (graphile-worker's graceful stop) and closes its connections. */
  stop(): Promise<void>;
}

/** A running worker (graphile-worker's run) until stop(). */
export async function startTestWorker(
  db: { ownerUrl: string },
  options: Omit<RunnerOptions, "pgPool" | "connectionString">,
): Promise<TestWorker> {
  const { pool, close } = workerPool(db.ownerUrl);
  let runner;
  try {
    // No crontab unless one is given (graphile-worker would look for ./crontab).
    const cron = options.crontab ?? options.crontabFile ?? options.parsedCronItems;
    runner = await run({ logger: graphileLogger(), ...(cron === undefined ? { crontab: "" } : {}), ...options, pgPool: pool });
  } catch (e) {
    await close();
    throw e;
  }
  return {
    async stop() {
      try {
        await runner.stop();
      } finally {
        await close();
      }
    },
  };
}
