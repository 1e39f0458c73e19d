// A database of one's own for a test file, and ways to act in it as the roles of DESIGN.md:
// as the owner (migrations, worker), as anonymous, and as a signed-in member of a tenant.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { passwords, roles, withCredentials } from "../../db/config.ts";
import { asVisitor } from "../../web/server/db.ts";
import { testRootUrl } from "./env.ts";
import { closablePool } from "./pool.ts";

export interface Actor {
  /** The session secret (what the cookie holds), or null for anonymous. */
  sessionId: string | null;
  /** Runs one statement in its own transaction as the visitor role with this session. */
  query<R extends pg.QueryResultRow = any>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  /** Runs several statements in one transaction as this actor. */
  transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
}

export interface Member extends Actor {
  userId: string;
  tenantId: string;
  email: string;
  password: string;
}

export interface TestDatabase {
  name: string;
  ownerUrl: string;
  authUrl: string;
  /** Owner connection pool (bypasses nothing: the owner has its own policies). */
  owner: pg.Pool;
  asAnonymous(): Actor;
  asSession(sessionId: string | null): Actor;
  /** Onboards a new business through app_hidden.onboard; the returned actor is its owner. */
  onboard(opts?: { company?: string; timezone?: string; currency?: string; locale?: string }): Promise<Member>;
  /** Adds a new user with the given role key (owner, manager, cashier) to a tenant, signed in. */
  asUser(tenantId: string, role: string): Promise<Member>;
  /**
   * Signs in as the server does (app_hidden.login_from, as the authenticator role itself): the
   * session secret, or null for a wrong password. From a new client address each time unless
   * `ip` is given, so that only the account's own lockout applies.
   */
  signIn(email: string, password: string, ip?: string): Promise<string | null>;
  drop(): Promise<void>;
}

let counter = 0;
export const uniqueEmail = (prefix = "user") =>
  `${prefix}.${Date.now().toString(36)}.${process.pid}.${++counter}@example.com`;
export const PASSWORD = "correct horse 42";

export async function createTestDatabase(): Promise<TestDatabase> {
  const template = inject("templateDatabase");
  const name = `bo_test_${randomBytes(6).toString("hex")}`;
  const root = new pg.Client(testRootUrl);
  await root.connect();
  await root.query(`create database "${name}" template "${template}" owner "${roles.owner}"`);
  await root.end();

  return openTestDatabase(name, testRootUrl, async () => {
    const c = new pg.Client(testRootUrl);
    await c.connect();
    await c.query(`drop database if exists "${name}" with (force)`);
    await c.end();
  });
}

/**
 * The actors of a migrated database `name` on the cluster of `rootUrl` (createTestDatabase's
 * clones, and the crash tests' private cluster). `dropDatabase` runs once the pools' connections are closed.
 */
export function openTestDatabase(name: string, rootUrl: string, dropDatabase: () => Promise<void> = async () => {}): TestDatabase {
  const ownerUrl = withCredentials(rootUrl, roles.owner, passwords.owner, name);
  const authUrl = withCredentials(rootUrl, roles.authenticator, passwords.authenticator, name);
  const ownerPool = closablePool({ connectionString: ownerUrl, max: 4 });
  const authPool = closablePool({ connectionString: authUrl, max: 8 });
  const [owner, auth] = [ownerPool.pool, authPool.pool];
  // An idle connection that fails (the crash tests kill their cluster) leaves the pool, which
  // makes a new one when needed; the failure shows in the next query only if it lasts. drop()
  // waits until every connection is closed before dropping the database, so none sees that.
  for (const pool of [owner, auth]) pool.on("error", () => {});

  function asSession(sessionId: string | null): Actor {
    // Exactly what the server does for a request outside GraphQL.
    const transaction = <T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> => asVisitor(auth, sessionId, fn);
    return {
      sessionId,
      transaction,
      query: (sql, params) => transaction((c) => c.query(sql, params as any[])),
    };
  }

  async function onboard(opts: { company?: string; timezone?: string; currency?: string; locale?: string } = {}): Promise<Member> {
    const email = uniqueEmail("owner");
    const { rows } = await asSession(null).query("select app_hidden.onboard($1, $2, $3, $4, $5, $6, $7) as sid", [
      opts.company ?? `Shop ${++counter}`,
      "Olive Owner",
      email,
      PASSWORD,
      opts.timezone ?? "Europe/Paris",
      opts.currency ?? "USD",
      opts.locale ?? "en-US",
    ]);
    const sid = rows[0].sid as string;
    const who = await owner.query(
      "select user_id, active_tenant_id from app_private.sessions where secret_hash = app_hidden.session_secret_hash($1)",
      [sid],
    );
    return { ...asSession(sid), userId: who.rows[0].user_id, tenantId: who.rows[0].active_tenant_id, email, password: PASSWORD };
  }

  async function asUser(tenantId: string, role: string): Promise<Member> {
    const email = uniqueEmail(role);
    const client = await owner.connect();
    try {
      await client.query("begin");
      const u = await client.query("insert into app_public.users (email, name) values ($1, $2) returning id", [email, `A ${role}`]);
      const userId = u.rows[0].id;
      await client.query(
        "insert into app_private.user_secrets (user_id, password_hash) values ($1, crypt($2, gen_salt('bf', 4)))",
        [userId, PASSWORD],
      );
      const m = await client.query(
        `insert into app_public.memberships (tenant_id, user_id, role_id)
         select $1, $2, r.id from app_public.roles r where r.tenant_id = $1 and r.key = $3 returning id`,
        [tenantId, userId, role],
      );
      if (!m.rowCount) throw new Error(`no role ${role} in tenant ${tenantId}`);
      const s = await client.query("select app_private.new_session($1, $2) as secret", [userId, tenantId]);
      await client.query("commit");
      return { ...asSession(s.rows[0].secret), userId, tenantId, email, password: PASSWORD };
    } catch (e) {
      await client.query("rollback");
      throw e;
    } finally {
      client.release();
    }
  }

  async function signIn(email: string, password: string, ip?: string): Promise<string | null> {
    const address = ip ?? `198.51.100.${++counter % 250}:${process.pid}:${counter}`;
    const { rows } = await auth.query("select app_hidden.login_from($1, $2, $3) as sid", [address, email, password]);
    return rows[0].sid;
  }

  return {
    name,
    ownerUrl,
    authUrl,
    owner,
    asAnonymous: () => asSession(null),
    asSession,
    onboard,
    asUser,
    signIn,
    async drop() {
      await ownerPool.close();
      await authPool.close();
      await dropDatabase();
    },
  };
}

/** Runs fn and returns the SQLSTATE it failed with (fails the test when it succeeds). */
export async function sqlState(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (e) {
    return (e as { code?: string }).code ?? `not a database error: ${String(e)}`;
  }
  throw new Error("expected the call to fail, but it succeeded");
}
