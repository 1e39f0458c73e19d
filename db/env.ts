// Which database the product uses. With DATABASE_URL (the owner's connection) that one; without
// it, the embedded PostgreSQL in .data/ with a database named "backoffice".
import { databaseName, passwords, roles, withCredentials } from "./config.ts";
import { ensureLocalPostgres } from "./local-postgres.ts";

export interface DatabaseTarget {
  /** Superuser connection, when known (needed to create roles and the database). */
  rootUrl: string | null;
  /** The owner: migrations and the worker. */
  ownerUrl: string;
  /** The authenticator: PostGraphile and the server's routes. */
  authUrl: string;
  database: string;
  embedded: boolean;
  stop(): Promise<void>;
}

export async function resolveDatabase(log: (m: string) => void = console.log): Promise<DatabaseTarget> {
  const configured = process.env.DATABASE_URL;
  if (configured) {
    const database = databaseName(configured);
    return {
      rootUrl: process.env.ROOT_DATABASE_URL ?? null,
      ownerUrl: configured,
      authUrl: process.env.AUTH_DATABASE_URL ?? withCredentials(configured, roles.authenticator, passwords.authenticator),
      database,
      embedded: false,
      stop: async () => {},
    };
  }
  const local = await ensureLocalPostgres(log);
  const database = process.env.EMBEDDED_DATABASE ?? "backoffice";
  return {
    rootUrl: local.rootUrl,
    ownerUrl: withCredentials(local.rootUrl, roles.owner, passwords.owner, database),
    authUrl: withCredentials(local.rootUrl, roles.authenticator, passwords.authenticator, database),
    database,
    embedded: true,
    stop: local.stop,
  };
}
