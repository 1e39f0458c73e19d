// How a GraphQL request reaches PostgreSQL: the request's settings (role, app.session_id) and its
// statement in ONE round trip, instead of the four of @dataplan/pg's pg adaptor (begin,
// set_config, the statement, commit — each a wait on the wire and a wake-up of the backend).
//
// The extended query protocol runs every message up to a Sync in one implicit transaction (the
// Sync commits it, or rolls it back after an error), so the settings are sent as
//   Bind+Execute  select set_config(key, value, true) …   (parsed once per connection)
//   Parse+Bind+Describe+Execute  the statement
//   Sync
// in one write: set_config(…, true) is local to that transaction, exactly as inside the
// adaptor's begin/commit, and nothing outlives the request on the pooled connection. A failure of
// either statement rolls back both and answers the statement's promise with the error.
//
// Every statement of a request carries the settings (@dataplan/pg gives each query its own
// withPgClient call anyway, so no two statements shared a transaction before either); a
// transaction the executor asks for (withTransaction) is begin, the settings, its statements and
// commit, as before.
import pg from "pg";
import type { PgClient, PgClientQuery, PgClientResult, WithPgClient } from "@dataplan/pg";
import { logger } from "./logger.ts";

const SETTINGS_STATEMENT = "bo_request_settings";
const SETTINGS_SQL = "select set_config(el->>0, el->>1, true) from json_array_elements($1::json) el";

/** Named statements kept per connection before the oldest is deallocated (as @dataplan/pg does). */
const PREPARED_STATEMENTS_PER_CONNECTION = 100;

interface PgConnection {
  parsedStatements: Record<string, string>;
  bind(config: { portal: string; statement: string; values: unknown[] }): void;
  execute(config: { portal: string; rows: number }): void;
}

/**
 * The statement of `opts`, preceded on the wire by the settings statement (bound and executed,
 * no Sync in between): the rows and command tag of the settings statement are skipped, the
 * statement's are the result.
 */
class WithSettingsQuery extends pg.Query {
  private settingsPending = true;

  constructor(
    opts: pg.QueryConfig & { rowMode?: "array" },
    private readonly settingsJson: string,
  ) {
    super({ ...opts, queryMode: "extended" } as pg.QueryConfig);
  }

  prepare(connection: PgConnection): void {
    connection.bind({ portal: "", statement: SETTINGS_STATEMENT, values: [this.settingsJson] });
    connection.execute({ portal: "", rows: 0 });
    (pg.Query.prototype as unknown as { prepare(c: PgConnection): void }).prepare.call(this, connection);
  }

  handleDataRow(msg: unknown): void {
    if (this.settingsPending) return;
    (pg.Query.prototype as unknown as { handleDataRow(m: unknown): void }).handleDataRow.call(this, msg);
  }

  handleCommandComplete(msg: unknown, connection: unknown): void {
    if (this.settingsPending) {
      this.settingsPending = false;
      return;
    }
    (pg.Query.prototype as unknown as { handleCommandComplete(m: unknown, c: unknown): void }).handleCommandComplete.call(this, msg, connection);
  }
}

/** The settings as @dataplan/pg sends them ([[key, value], …]), or null when there are none. */
function settingsJson(pgSettings: Record<string, string | undefined> | null): string | null {
  const entries: [string, string][] = [];
  for (const [key, value] of Object.entries(pgSettings ?? {})) {
    if (value != null) entries.push([key, String(value)]);
  }
  return entries.length ? JSON.stringify(entries) : null;
}

const ready = new WeakSet<pg.PoolClient>();

/** Once per connection: what @dataplan/pg sets (no JIT optimisation) and the settings statement, parsed. */
async function setUp(client: pg.PoolClient): Promise<void> {
  if (ready.has(client)) return;
  await client.query("set jit_optimize_above_cost = -1");
  await client.query({ name: SETTINGS_STATEMENT, text: SETTINGS_SQL, values: ["[]"] });
  ready.add(client);
}

/** Keeps at most PREPARED_STATEMENTS_PER_CONNECTION named statements on the connection (least recently used go). */
const usedStatements = new WeakMap<pg.PoolClient, Map<string, true>>();
function noteStatement(client: pg.PoolClient, name: string): void {
  let used = usedStatements.get(client);
  if (!used) usedStatements.set(client, (used = new Map()));
  used.delete(name);
  used.set(name, true);
  if (used.size <= PREPARED_STATEMENTS_PER_CONNECTION) return;
  const oldest = used.keys().next().value as string;
  used.delete(oldest);
  const connection = (client as unknown as { connection: PgConnection }).connection;
  if (!connection.parsedStatements[oldest]) return;
  client
    .query(`deallocate ${client.escapeIdentifier(oldest)}`)
    .then(() => delete connection.parsedStatements[oldest])
    .catch((err) => logger.error({ err }, "releasing a prepared statement failed"));
}

function toResult<T>(res: pg.QueryResult): PgClientResult<T> {
  return { rows: res.rows as T[], rowCount: res.rowCount ?? null };
}

/** The client handed to @dataplan/pg: `settings` go with every statement outside a transaction. */
function requestClient(client: pg.PoolClient, settings: string | null, depth = 0): PgClient & { rawClient: pg.PoolClient } {
  return {
    rawClient: client,
    async query<TData>(opts: PgClientQuery): Promise<PgClientResult<TData>> {
      const config = {
        text: opts.text,
        values: opts.values as unknown[] | undefined,
        ...(opts.arrayMode ? { rowMode: "array" as const } : {}),
        ...(opts.name ? { name: opts.name } : {}),
      };
      if (opts.name) noteStatement(client, opts.name);
      if (settings == null || depth > 0) return toResult<TData>(await client.query(config));
      const query = new WithSettingsQuery(config, settings);
      const res = await new Promise<pg.QueryResult>((resolve, reject) => {
        (query as unknown as { callback: (err: Error | null, r: pg.QueryResult) => void }).callback = (err, r) =>
          err ? reject(err) : resolve(r);
        client.query(query);
      });
      return toResult<TData>(res);
    },
    async withTransaction<T>(callback: (c: any) => Promise<T>): Promise<T> {
      const savepoint = depth === 0 ? null : `tx${depth}`;
      await client.query(savepoint ? `savepoint ${savepoint}` : "begin");
      try {
        if (depth === 0 && settings != null) {
          await client.query({ name: SETTINGS_STATEMENT, text: SETTINGS_SQL, values: [settings] });
        }
        const result = await callback(requestClient(client, settings, depth + 1));
        await client.query(savepoint ? `release savepoint ${savepoint}` : "commit");
        return result;
      } catch (e) {
        await client.query(savepoint ? `rollback to savepoint ${savepoint}` : "rollback").catch((err) => {
          logger.error({ err }, "rolling back failed");
        });
        throw e;
      }
    },
  };
}

/** A withPgClient over `pool` (the authenticator's connections) that sends each statement with the request's settings. */
export function makeOneTripWithPgClient(pool: pg.Pool): WithPgClient {
  const withPgClient = async <T>(
    pgSettings: Record<string, string | undefined> | null,
    callback: (client: PgClient) => T | Promise<T>,
  ): Promise<T> => {
    const client = await pool.connect();
    try {
      await setUp(client);
      return await callback(requestClient(client, settingsJson(pgSettings)));
    } finally {
      client.release();
    }
  };
  return withPgClient as WithPgClient;
}
