// One list of error codes (web/server/error-codes.ts): db/ERRORS.md is written from it and the
// server takes each code's HTTP status from it. This fails when the document is stale, when SQL
// or the server raises a code the list does not have, or when the list keeps a code nothing
// raises any more. `npm run docs:errors` rewrites db/ERRORS.md.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ERROR_SECTIONS, errorsMarkdown, isListedCode } from "../../web/server/error-codes.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";

const root = path.resolve(import.meta.dirname, "../..");
const errorsFile = path.join(root, "db/ERRORS.md");

/** Every five-capital-letter string literal in the server's and the worker's TypeScript. */
function codesInTypeScript(): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith(".ts")) {
        for (const m of fs.readFileSync(path.join(root, rel), "utf8").matchAll(/["'`]([A-Z]{5})["'`]/g)) found.set(m[1]!, rel);
      }
    }
  };
  walk("web/server");
  walk("worker");
  return found;
}

let db: TestDatabase;
/**
 * Codes raised by our SQL functions: app_hidden.raise_error('XXXXX', …) and raise … errcode = 'XXXXX';
 * and codes a function returns instead of raising, so that what it wrote commits
 * (app_private.phone_code_refusal('XXXXX', …): a wrong one-time code counts its try).
 */
let codesInSql: Map<string, string>;
beforeAll(async () => {
  db = await createTestDatabase();
  const { rows } = await db.owner.query<{ name: string; src: string }>(
    `select p.oid::regprocedure::text as name, p.prosrc as src
     from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname in ('app_public', 'app_hidden', 'app_private', 'reporting')`,
  );
  codesInSql = new Map();
  for (const r of rows) {
    for (const m of r.src.matchAll(/(?:raise_error|phone_code_refusal)\(\s*'([A-Z]{5})'|errcode\s*=\s*'([A-Z]{5})'/g)) codesInSql.set((m[1] ?? m[2])!, r.name);
  }
});
afterAll(() => db?.drop());

describe("error codes", () => {
  it("db/ERRORS.md is written from web/server/error-codes.ts", () => {
    const expected = errorsMarkdown();
    if (process.env.UPDATE_ERRORS_MD === "1") fs.writeFileSync(errorsFile, expected);
    expect(fs.readFileSync(errorsFile, "utf8"), "run `npm run docs:errors` and commit db/ERRORS.md").toBe(expected);
  });

  it("lists each code once", () => {
    const codes = ERROR_SECTIONS.flatMap((s) => s.codes.map((c) => c.code));
    expect(codes.filter((c, i) => codes.indexOf(c) !== i)).toEqual([]);
  });

  it("lists every code SQL raises", () => {
    expect(codesInSql.size).toBeGreaterThan(30);
    const unlisted = [...codesInSql].filter(([code]) => !isListedCode(code)).map(([code, fn]) => `${code} (raised by ${fn})`);
    expect(unlisted).toEqual([]);
  });

  it("lists every code the server and the worker use", () => {
    const unlisted = [...codesInTypeScript()].filter(([code]) => !isListedCode(code)).map(([code, file]) => `${code} (${file})`);
    expect(unlisted).toEqual([]);
  });

  it("lists no code that nothing raises", () => {
    const used = new Set([...codesInSql.keys(), ...codesInTypeScript().keys()]);
    const unused = ERROR_SECTIONS.flatMap((s) => s.codes.map((c) => c.code)).filter((c) => !used.has(c));
    expect(unused).toEqual([]);
  });
});
