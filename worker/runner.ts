// Starts graphile-worker with our task list and crontab, connected as the owner role, and makes
// the jobs of a worker process that died (SIGKILL, out of memory, lost machine) run again at once
// instead of staying locked for graphile-worker's 4 hours (app_private.recover_crashed_workers):
//   * the process holds a session advisory lock on a liveness connection of its own while alive;
//   * its pool is registered against that lock before it takes its first job (startWorker hook);
//   * its job connections are named backoffice-worker:<key>, so a recovery can end what a dead
//     process left behind;
//   * at start, and then every minute, it unlocks the jobs of registered pools whose process lock
//     is gone (at start at once; periodically after a grace period, so that a worker whose
//     liveness connection is reconnecting after a database restart is not taken for dead).
import os from "node:os";
import path from "node:path";
import { randomInt } from "node:crypto";
import { run, type Runner } from "graphile-worker";
import pg from "pg";
import { graphileLogger, logger } from "./logger.ts";

/** How often a running worker looks for crashed ones (WORKER_RECOVERY_INTERVAL_MS overrides). */
const recoveryIntervalMs = () => Number(process.env.WORKER_RECOVERY_INTERVAL_MS) || 60_000;

/**
 * How often a running worker holds analysts to their limits (ANALYST_WATCH_INTERVAL_MS
 * overrides): a login can `set statement_timeout = 0`, so the 60 s limit is enforced from here
 * (app_private.enforce_analyst_limits), every few seconds.
 */
const analystWatchMs = () => Number(process.env.ANALYST_WATCH_INTERVAL_MS) || 5_000;

export async function startWorker(opts: { ownerUrl: string; concurrency?: number; handleSignals?: boolean }): Promise<Runner> {
  const concurrency = opts.concurrency ?? Number(process.env.WORKER_CONCURRENCY ?? 4);
  const liveness = await Liveness.start(opts.ownerUrl);
  const pool = new pg.Pool({
    connectionString: opts.ownerUrl,
    // graphile-worker's default is 10; an export holds two connections (read and write).
    max: Math.max(10, 2 * concurrency + 2),
    application_name: `backoffice-worker:${liveness.key}`,
    // A backend whose client is gone stops a long statement instead of finishing it (PG 14+).
    options: "-c client_connection_check_interval=2000",
    keepAlive: true,
    // Kept open once made, as the server's (web/server/app.ts): a job on a new backend pays its
    // authentication and the compilation of every function it calls again.
    idleTimeoutMillis: 0,
  });
  // A client lost while idle (database restart): the pool makes a new one when needed.
  const lost = (err: Error) => logger.warn({ err }, "a database connection of the worker was lost");
  pool.on("error", lost);
  pool.on("connect", (client) => client.on("error", lost));
  let runner: Runner;
  try {
    // Not fatal: without it, crashed jobs wait for graphile-worker's own 4-hour sweep.
    await liveness.recover("0 seconds").catch((err) => logger.error({ err }, "could not recover the jobs of crashed workers"));
    runner = await run({
      pgPool: pool,
      logger: graphileLogger(),
      concurrency,
      taskList: (await import("./tasks/index.ts")).taskList,
      crontabFile: path.resolve(import.meta.dirname, "crontab"),
      noHandleSignals: !opts.handleSignals,
      pollInterval: 1000,
      preset: {
        plugins: [
          {
            name: "BackofficeCrashRecovery",
            version: "1.0.0",
            worker: {
              hooks: {
                // Awaited by each worker before its first job: the pool is registered by then.
                startWorker: (_info, event) => liveness.register(event.worker.workerPool.id),
              },
            },
          },
        ],
      },
    });
  } catch (e) {
    await liveness.close();
    await pool.end();
    throw e;
  }
  const timer = setInterval(() => {
    liveness
      .recover(`${Math.ceil((2 * recoveryIntervalMs()) / 1000)} seconds`)
      .catch((err) => logger.error({ err }, "could not recover the jobs of crashed workers"));
  }, recoveryIntervalMs());
  timer.unref();
  const analystTimer = setInterval(() => {
    pool
      .query<{ pid: number; role_name: string; action: string }>("select * from app_private.enforce_analyst_limits()")
      .then(({ rows }) => {
        for (const r of rows) logger.warn({ pid: r.pid, role: r.role_name, action: r.action }, "an analyst session went past its limits");
      })
      .catch((err) => logger.error({ err }, "could not hold analysts to their limits"));
  }, analystWatchMs());
  analystTimer.unref();
  let closed: Promise<void> | null = null;
  const close = () =>
    (closed ??= (async () => {
      clearInterval(timer);
      clearInterval(analystTimer);
      await liveness.close();
      await pool.end();
    })());
  const promise = runner.promise.finally(close);
  promise.catch(() => {});
  return {
    ...runner,
    stop: (reason?: string) => runner.stop(reason).then(() => promise),
    kill: (reason?: string) => runner.kill(reason).finally(close),
    promise,
    [Symbol.asyncDispose]: () => runner.stop().then(() => promise),
  };
}

/** The connection whose advisory lock says "this worker process is alive". */
class Liveness {
  private client: pg.Client | null = null;
  private readonly pools = new Map<string, Promise<void>>();
  private closing = false;
  private reconnecting: Promise<void> | null = null;

  private constructor(
    private readonly url: string,
    readonly key: number,
  ) {}

  static async start(url: string): Promise<Liveness> {
    for (let i = 0; i < 5; i++) {
      const l = new Liveness(url, randomInt(1, 2 ** 31 - 1));
      if (await l.connect()) return l;
    }
    throw new Error("could not take a worker liveness lock");
  }

  /** Connects and takes the lock; false when another process holds this key. */
  private async connect(): Promise<boolean> {
    const client = new pg.Client({ connectionString: this.url, application_name: `backoffice-worker-alive:${this.key}`, keepAlive: true });
    // A lost connection ends the client: the "end" listener below reconnects and takes the lock again.
    client.on("error", (err) => {
      if (!this.closing) logger.warn({ err }, "the worker liveness connection was lost; reconnecting");
    });
    await client.connect();
    let locked = false;
    try {
      locked = (await client.query("select pg_try_advisory_lock(app_private.worker_lock_ns(), $1) as ok", [this.key])).rows[0].ok;
    } finally {
      if (!locked) await client.end().catch(() => {});
    }
    if (!locked) return false;
    client.on("end", () => {
      if (this.client === client) this.client = null;
      if (!this.closing) this.reconnect();
    });
    this.client = client;
    return true;
  }

  /** After a lost connection (database restart): the same key again, the pools registered again. */
  private reconnect(): void {
    this.reconnecting ??= (async () => {
      // Often: until the lock is back, a worker starting elsewhere would take us for dead.
      while (!this.closing) {
        await new Promise((r) => setTimeout(r, 250));
        try {
          if (!(await this.connect())) continue;
        } catch {
          continue; // still down
        }
        // Our rows are normally still there; a recovery elsewhere may have removed them meanwhile.
        for (const poolId of this.pools.keys()) {
          await this.query("select app_private.register_worker_pool($1, $2, $3, $4)", [poolId, this.key, os.hostname(), process.pid]).catch(
            (err) => logger.warn({ err, poolId }, "could not register the worker pool again after reconnecting"),
          );
        }
        return;
      }
    })().finally(() => {
      this.reconnecting = null;
    });
  }

  private async query(sql: string, values: unknown[]) {
    if (!this.client) await this.reconnecting;
    if (!this.client) throw new Error("the worker liveness connection is down");
    return this.client.query(sql, values);
  }

  /** Records a pool of this process; retried until it succeeds, as the pool takes no job before. */
  register(poolId: string): Promise<void> {
    let p = this.pools.get(poolId);
    if (!p) {
      p = (async () => {
        for (;;) {
          try {
            await this.query("select app_private.register_worker_pool($1, $2, $3, $4)", [poolId, this.key, os.hostname(), process.pid]);
            return;
          } catch (e) {
            if (this.closing) throw e;
            await new Promise((r) => setTimeout(r, 250));
          }
        }
      })();
      this.pools.set(poolId, p);
    }
    return p;
  }

  async recover(grace: string): Promise<void> {
    const { rows } = await this.query("select * from app_private.recover_crashed_workers($1::interval)", [grace]);
    for (const r of rows) logger.warn({ poolId: r.pool_id, jobsUnlocked: r.jobs_unlocked }, "recovered the jobs of a crashed worker pool");
  }

  async close(): Promise<void> {
    this.closing = true;
    const client = this.client;
    this.client = null;
    // Our pools stopped: forget those that hold no job (graphile-worker released them).
    if (client) {
      await client
        .query(
          `delete from app_private.worker_pools w where w.process_key = $1
             and not exists (select 1 from graphile_worker._private_jobs j where j.locked_by = w.pool_id)`,
          [this.key],
        )
        .catch(() => {});
      await client.end().catch(() => {});
    }
  }
}
