// Connection settings shared by the server, the worker, the tools in db/ and the tests.
// Every value can be overridden from the environment; the defaults suit a developer machine.

export const roles = {
  /** Owns every object and runs migrations; not a superuser, no BYPASSRLS. */
  owner: process.env.DATABASE_OWNER ?? "bo_owner",
  /** The LOGIN role PostGraphile connects with (NOINHERIT). */
  authenticator: process.env.DATABASE_AUTHENTICATOR ?? "bo_authenticator",
  /** Every GraphQL request runs as this role. */
  visitor: process.env.DATABASE_VISITOR ?? "bo_visitor",
  /** Group role of the analysts' logins: SELECT on reporting views only. */
  analyst: process.env.DATABASE_ANALYST ?? "bo_analyst",
};

export const passwords = {
  owner: process.env.DATABASE_OWNER_PASSWORD ?? "bo_owner_dev_password",
  authenticator: process.env.DATABASE_AUTHENTICATOR_PASSWORD ?? "bo_authenticator_dev_password",
};

/** Replace the user and password of a connection string, keeping host, port and database. */
export function withCredentials(url: string, user: string, password: string, database?: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  if (database) u.pathname = "/" + database;
  return u.toString();
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ""));
}

/** The placeholders graphile-migrate substitutes in migrations (also used by the test template). */
export function placeholders(): Record<string, string> {
  return {
    ":DATABASE_OWNER": roles.owner,
    ":DATABASE_AUTHENTICATOR": roles.authenticator,
    ":DATABASE_VISITOR": roles.visitor,
    ":DATABASE_ANALYST": roles.analyst,
  };
}
