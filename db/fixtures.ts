// The SQL sources: migrations/fixtures/<domain>/<nnn>-<topic>.sql, each the one definition of the
// functions, views, policies, triggers (and their grants and comments) of its topic. Migrations
// `--!include` them; the drift test (test/db/platform/fixtures.test.ts) keeps them equal to the
// live schema.
import fs from "node:fs";
import path from "node:path";

export const fixturesFolder = path.resolve(import.meta.dirname, "../migrations/fixtures");

/** Every fixture, as its path under migrations/fixtures, in domain order (the number in its name). */
export function fixtureFiles(): string[] {
  const files: string[] = [];
  for (const domain of fs.readdirSync(fixturesFolder, { withFileTypes: true })) {
    if (!domain.isDirectory()) continue;
    for (const f of fs.readdirSync(path.join(fixturesFolder, domain.name))) {
      if (f.endsWith(".sql")) files.push(`${domain.name}/${f}`);
    }
  }
  const number = (f: string) => Number(/\/(\d+)-/.exec(f)?.[1] ?? Number.NaN);
  return files.sort((a, b) => number(a) - number(b) || a.localeCompare(b));
}
