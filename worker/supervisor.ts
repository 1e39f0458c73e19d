// Keeps a worker running through database outages. graphile-worker shuts its pool down ("queue is
// in an inconsistent state; aborting") when it cannot record a job's outcome because the database
// was gone for longer than its retries — found by the PostgreSQL crash test, where the worker
// process died with the database. A new pool is started in its place (retrying while the
// database is still down); the old pool's liveness lock went with it, so the new pool's start-up
// recovery unlocks the jobs it held (runner.ts). A pool that ends without an error (stop(), or a
// signal with handleSignals) ends the supervision too.
import type { Runner } from "graphile-worker";
import { logger } from "./logger.ts";
import { startWorker } from "./runner.ts";

export interface SupervisedWorker {
  addJob: Runner["addJob"];
  /** Stops the current pool and the supervision. */
  stop(): Promise<void>;
  /** Settles when the worker has stopped for good. */
  promise: Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function superviseWorker(
  opts: Parameters<typeof startWorker>[0],
  restartDelayMs = Number(process.env.WORKER_RESTART_DELAY_MS) || 2_000,
): Promise<SupervisedWorker> {
  let current = await startWorker(opts);
  let stopping = false;
  const promise = (async () => {
    for (;;) {
      try {
        await current.promise;
        return; // stopped on purpose
      } catch (err) {
        if (stopping) return;
        logger.error({ err }, "the worker pool stopped; starting a new one");
      }
      for (;;) {
        await sleep(restartDelayMs);
        if (stopping) return;
        try {
          current = await startWorker(opts);
          break;
        } catch (err) {
          logger.error({ err, retryInMs: restartDelayMs }, "could not start a new worker pool yet");
        }
      }
    }
  })();
  return {
    addJob: (...args) => current.addJob(...args),
    async stop() {
      stopping = true;
      await current.stop().catch(() => {});
      await promise;
    },
    promise,
  };
}
