// Runs the embedded PostgreSQL in the foreground until stopped (CI without a local server, or
// a developer who wants the database without the app). Prints the superuser URL.
import { ensureLocalPostgres } from "./local-postgres.ts";

const pg = await ensureLocalPostgres((m) => console.error(m));
console.log(pg.rootUrl);
const stop = async () => {
  await pg.stop();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
setInterval(() => {}, 1 << 30);
