// Set-up shared by the write-path benchmarks (ingestion, export, webhooks): businesses onboarded
// the way the product does it, members with sessions, a plan without limits for a bench clone,
// and connections that act as the API role with a session, like web/server/db.ts asVisitor.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import pg from "pg";
import { roles } from "../db/config.ts";
import type { BenchDatabase } from "./context.ts";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A deterministic pseudo-random generator (mulberry32), so every run generates the same data. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function connect(url: string): Promise<pg.Client> {
  const c = new pg.Client(url);
  c.on("error", () => {}); // the database may be dropped under a closing client at the end
  await c.connect();
  return c;
}

export async function withConn<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = await connect(url);
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

let counter = 0;

/**
 * Onboards a business through app_hidden.onboard as the API role (what the sign-up route does);
 * returns the tenant, its owner and the owner's session.
 */
export async function onboard(db: BenchDatabase, company: string, timezone = "Europe/Paris") {
  return withConn(db.authUrl, async (c) => {
    await c.query("begin");
    await c.query("select set_config('role', $1, true), set_config('app.session_id', '', true)", [roles.visitor]);
    const email = `owner.${Date.now().toString(36)}.${++counter}@bench.example.com`;
    const { rows } = await c.query("select app_hidden.onboard($1, 'Olive Owner', $2, 'correct horse 42', $3) as sid", [
      company,
      email,
      timezone,
    ]);
    await c.query("commit");
    const sessionId = rows[0].sid as string;
    const who = await withConn(db.rootUrl, (r) =>
      r.query("select user_id, active_tenant_id from app_private.sessions where secret_hash = app_hidden.session_secret_hash($1::uuid)", [sessionId]),
    );
    return { tenantId: who.rows[0].active_tenant_id as string, userId: who.rows[0].user_id as string, sessionId };
  });
}

/**
 * A plan without practical limits (100 locations, 100 seats) in this throw-away clone, and the
 * tenant moved onto it; the real plans stop at 10 locations. As the superuser.
 */
export async function unlimitedPlan(root: pg.Client, tenantId: string): Promise<void> {
  await root.query(
    `insert into app_public.plans (key, name, price_cents, max_seats, max_locations, max_devices, modules, position, stripe_lookup_key)
     select 'bench', 'Bench', 0, 1000, 1000, 1000, p.modules, 99, 'bench_monthly' from app_public.plans p where p.key = 'growth'
     on conflict (key) do nothing`,
  );
  await root.query("update app_public.billing_subscriptions set plan_key = 'bench' where tenant_id = $1", [tenantId]);
}

/** A new member of the tenant with the role (owner, manager, cashier) and a session; returns the session secret (the cookie). */
export async function addMember(root: pg.Client, tenantId: string, role: string): Promise<string> {
  await root.query("begin");
  try {
    const u = await root.query("insert into app_public.users (email, name) values ($1, $2) returning id", [
      `${role}.${Date.now().toString(36)}.${++counter}@bench.example.com`,
      `A ${role}`,
    ]);
    const userId = u.rows[0].id;
    const m = await root.query(
      `insert into app_public.memberships (tenant_id, user_id, role_id)
       select $1, $2, r.id from app_public.roles r where r.tenant_id = $1 and r.key = $3 returning id`,
      [tenantId, userId, role],
    );
    if (!m.rowCount) throw new Error(`no role ${role} in tenant ${tenantId}`);
    const s = await root.query("select app_private.new_session($1, $2)::text as id", [userId, tenantId]);
    await root.query("commit");
    return s.rows[0].id;
  } catch (e) {
    await root.query("rollback");
    throw e;
  }
}

/**
 * A connection of the API server's login that acts as the API role with this session for every
 * statement (the settings web/server/db.ts asVisitor makes per transaction, made once per
 * connection here so that each call is one round trip).
 */
export async function visitor(db: BenchDatabase, sessionId: string): Promise<pg.Client> {
  const c = await connect(db.authUrl);
  await c.query("select set_config('role', $1, false), set_config('app.session_id', $2, false)", [roles.visitor, sessionId]);
  return c;
}

/** Deletes queued jobs other than those of the given tasks (onboarding queues Stripe jobs the bench has no Stripe for). */
export async function dropJobsExcept(root: pg.Client, tasks: string[]): Promise<void> {
  await root.query(
    `delete from graphile_worker._private_jobs j using graphile_worker._private_tasks t
     where t.id = j.task_id and not t.identifier = any($1::text[])`,
    [tasks],
  );
}

/**
 * Starts the worker as `npm run worker` does (tsx worker/run.ts, the owner's DATABASE_URL) as a
 * child process of its own, so that its memory can be read from /proc and its log stays out of
 * the table.
 */
export function startWorkerProcess(db: BenchDatabase, log: (m: string) => void, env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "worker/run.ts"], {
    cwd: path.resolve(import.meta.dirname, ".."),
    env: { ...process.env, DATABASE_URL: db.ownerUrl, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let tail = "";
  child.stderr!.on("data", (d: Buffer) => {
    tail = (tail + d.toString()).slice(-2000);
  });
  child.on("exit", (code, signal) => {
    // 143 / SIGTERM: stopped by stopWorkerProcess.
    if (code && code !== 143 && signal !== "SIGTERM") log(`worker exited with ${code}: ${tail}`);
  });
  return child;
}

/**
 * Waits until the worker has connected (graphile-worker registers and listens for jobs), then
 * lets its start-up work settle, so that what a case measures next is the worker at work.
 */
export async function workerReady(root: pg.Client, db: BenchDatabase): Promise<void> {
  const owner = decodeURIComponent(new URL(db.ownerUrl).username);
  for (let i = 0; i < 300; i++) {
    const { rows } = await root.query("select count(*)::int as n from pg_stat_activity where datname = $1 and usename = $2", [db.name, owner]);
    if (rows[0].n > 0) break;
    await sleep(100);
  }
  await sleep(1500);
}

/** Stops it as a process manager would (SIGTERM: graphile-worker finishes its jobs), SIGKILL after 10 s. */
export async function stopWorkerProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await Promise.race([exited, sleep(10_000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}
