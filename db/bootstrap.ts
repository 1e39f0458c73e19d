// Cluster and database bootstrap, run with a superuser connection: the roles of DESIGN.md
// (db/roles.sql) and an empty database owned by the owner role.
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { passwords, placeholders, roles, withCredentials } from "./config.ts";

const literal = (s: string) => "'" + s.replace(/'/g, "''") + "'";

/** Creates or updates the cluster-wide roles. Safe to run on every start. */
export async function bootstrapRoles(rootUrl: string): Promise<void> {
  const vars: Record<string, string> = {
    owner: roles.owner,
    authenticator: roles.authenticator,
    visitor: roles.visitor,
    analyst: roles.analyst,
    owner_password: passwords.owner,
    authenticator_password: passwords.authenticator,
  };
  const sql = fs
    .readFileSync(path.join(import.meta.dirname, "roles.sql"), "utf8")
    .replace(/:'([a-z_]+)'/g, (_, name: string) => literal(vars[name]));
  const client = new pg.Client(rootUrl);
  await client.connect();
  try {
    // Two bootstraps at once (parallel test workers) would race on CREATE ROLE.
    await client.query("select pg_advisory_lock(4242001)");
    await client.query(sql);
  } finally {
    await client.query("select pg_advisory_unlock(4242001)").catch(() => {});
    await client.end();
  }
}

/** Whether the database exists in the cluster. */
export async function databaseExists(rootUrl: string, database: string): Promise<boolean> {
  const client = new pg.Client(rootUrl);
  await client.connect();
  try {
    const { rowCount } = await client.query("select 1 from pg_database where datname = $1", [database]);
    return rowCount === 1;
  } finally {
    await client.end();
  }
}

/**
 * The superuser part of an existing database (migrations/afterReset.sql: database grants,
 * extensions, advisory locks for the owner only), applied again so that a database made before
 * a line was added there gets it too. Idempotent; needs a superuser connection.
 */
export async function bootstrapDatabase(rootUrl: string, database: string): Promise<void> {
  const values: Record<string, string> = { ...placeholders(), ":DATABASE_NAME": database };
  const sql = fs
    .readFileSync(path.join(import.meta.dirname, "../migrations/afterReset.sql"), "utf8")
    .replace(new RegExp(`(${Object.keys(values).join("|")})\\b`, "g"), (name) => values[name]!);
  const u = new URL(rootUrl);
  const client = new pg.Client(withCredentials(rootUrl, decodeURIComponent(u.username), decodeURIComponent(u.password), database));
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
