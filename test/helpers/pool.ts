// A pg pool that can be closed for good: pool.end() resolves once the pool has let go of its
// connections, before their sockets are closed — a database dropped with (force) right after it
// still finds them and terminates them, and the 57P01 that a connection then receives is emitted as
// an error event. close() waits until every connection the pool made has ended.
import pg from "pg";

export interface ClosablePool {
  pool: pg.Pool;
  /** Ends the pool: waits for the connections in use to be released, then for every one to be closed. */
  close(): Promise<void>;
}

export function closablePool(config: pg.PoolConfig): ClosablePool {
  const pool = new pg.Pool(config);
  const open = new Set<pg.Client>();
  let allClosed: () => void = () => {};
  pool.on("connect", (client) => open.add(client));
  // Emitted once a connection has ended (its socket closed), whether the pool ended it or it failed.
  pool.on("remove", (client) => {
    open.delete(client);
    if (open.size === 0) allClosed();
  });
  let closing: Promise<void> | null = null;
  return {
    pool,
    close: () =>
      (closing ??= (async () => {
        const closed = new Promise<void>((resolve) => {
          allClosed = resolve;
        });
        await pool.end();
        if (open.size > 0) await closed;
      })()),
  };
}
