// Looking for a value in every table of a test database.
import pg from "pg";
import { testRootUrl } from "./env.ts";

/**
 * Every table of the database whose rows hold these 6 digits as a number of their own (not inside
 * a longer number, nor the fraction of a timestamp), read as a superuser so that no row-level
 * policy hides a row.
 */
export async function tablesHolding(database: { name: string }, code: string): Promise<string[]> {
  const url = new URL(testRootUrl);
  url.pathname = `/${database.name}`;
  const root = new pg.Client(url.href);
  await root.connect();
  try {
    const { rows: tables } = await root.query<{ t: string }>(
      `select format('%I.%I', n.nspname, c.relname) as t from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')`,
    );
    const found: string[] = [];
    for (const { t } of tables) {
      const { rows } = await root.query(`select 1 from ${t} x where x::text ~ $1 limit 1`, [`(^|[^0-9.])${code}([^0-9]|$)`]);
      if (rows.length) found.push(t);
    }
    return found;
  } finally {
    await root.end();
  }
}
