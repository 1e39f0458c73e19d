// What every benchmark case gets: the run's settings, throw-away databases cloned from one
// migrated template, and a place to put its table rows and raw figures.
import pg from "pg";
import { passwords, roles, withCredentials } from "../db/config.ts";
import type { Row } from "./stats.ts";

export interface BenchDatabase {
  name: string;
  /** Owner connection string (migrations, bulk data generation, the worker). */
  ownerUrl: string;
  /** Authenticator connection string (what the API server uses). */
  authUrl: string;
  /** Superuser connection string to this database (pgbench, ANALYZE, stats resets). */
  rootUrl: string;
}

export interface BenchContext {
  quick: boolean;
  /** Concurrent clients for load figures (8, as the issue asks). */
  clients: number;
  /** Seconds each timed load runs. */
  seconds: number;
  /** Rounds each ratio is measured over (3; quick: 2): the table shows the spread, see inRounds. */
  rounds: number;
  /** Superuser connection string of the cluster. */
  rootUrl: string;
  /**
   * A fresh, migrated, empty database (a clone of the template, or of `from`). Dropped when the
   * case that made it ends (then a checkpoint, so the next case measures a settled cluster), or
   * with `lifetime: "run"` at the end of the run (the data set, which several cases read).
   */
  createDatabase(label: string, from?: string, lifetime?: "case" | "run"): Promise<BenchDatabase>;
  /** One line of the printed table. */
  row(row: Row): void;
  /** Raw figures written to the JSON results under this case's name. */
  record(key: string, value: unknown): void;
  /** Progress for the person watching (stderr, so the table stays clean). */
  log(message: string): void;
  /** Figures other cases may read as a reference (e.g. the pgbench ceiling). */
  shared: Map<string, number>;
}

export interface BenchCase {
  /** Short name used by `--only` and as the JSON key. */
  name: string;
  run(ctx: BenchContext): Promise<void>;
}

/**
 * Runs fn ctx.rounds times, one after the other: one round's figures swing with the machine's load,
 * so a ratio is printed with its spread over the rounds (stats.ts overRounds).
 */
export async function inRounds<T>(ctx: Pick<BenchContext, "rounds" | "log">, label: string, fn: (round: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let round = 0; round < ctx.rounds; round++) {
    if (ctx.rounds > 1) ctx.log(`${label}: round ${round + 1}/${ctx.rounds}`);
    out.push(await fn(round));
  }
  return out;
}

export function benchDatabase(rootUrl: string, name: string): BenchDatabase {
  const root = new URL(rootUrl);
  root.pathname = "/" + name;
  return {
    name,
    ownerUrl: withCredentials(rootUrl, roles.owner, passwords.owner, name),
    authUrl: withCredentials(rootUrl, roles.authenticator, passwords.authenticator, name),
    rootUrl: root.toString(),
  };
}

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client(url);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export const fmt = (n: number, unit: string) =>
  `${n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(n < 10 ? 2 : 1)} ${unit}`;
