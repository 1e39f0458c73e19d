// Running SQL as the API role on behalf of a request, outside GraphQL (auth routes, downloads).
import type pg from "pg";
import { roles } from "../../db/config.ts";

/** Runs fn in a transaction as the visitor role with the given session secret, like a GraphQL request. */
export async function asVisitor<T>(pool: pg.Pool, sessionId: string | null, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    await client.query("select set_config('role', $1, true), set_config('app.session_id', $2, true)", [
      roles.visitor,
      sessionId ?? "",
    ]);
    const result = await fn(client);
    await client.query("commit");
    return result;
  } catch (e) {
    await client.query("rollback").catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}
