// Writes db/schema.sql: the schema after migrations, committed so that a review shows the real
// change. Runs after every migration (graphile-migrate hook) and on demand (`npm run db:dump`).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const url = process.env.GM_DBURL ?? process.env.DATABASE_URL;
if (!url || process.env.GM_SHADOW) process.exit(0);
const out = path.resolve(import.meta.dirname, "schema.sql");
try {
  const sql = execFileSync(
    "pg_dump",
    ["--schema-only", "--no-owner", "--exclude-schema=graphile_worker", "--exclude-schema=graphile_migrate", url],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  // Drop the lines that change from run to run or machine to machine.
  const cleaned = sql
    .split("\n")
    .filter((l) => !/^-- Dumped (from|by)|^\\(un)?restrict /.test(l))
    .join("\n")
    .replace(/\n{3,}/g, "\n\n");
  fs.writeFileSync(out, cleaned);
} catch (e) {
  console.warn(`db/schema.sql not updated: ${(e as Error).message.split("\n")[0]}`);
}
