// The GraphQL SDL is committed (web/schema.graphql) so that a review shows the real API change
// and the admin can be type-checked against it. This test fails when it is out of date;
// `npm run schema:sdl` rewrites it.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { makeSchema } from "postgraphile";
import { lexicographicSortSchema, printSchema } from "postgraphile/graphql";
import { afterAll, beforeAll, expect, it } from "vitest";
import { makePreset } from "../../web/server/preset.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { closablePool } from "../helpers/pool.ts";

const root = path.resolve(import.meta.dirname, "../..");
const sdlFile = path.join(root, "web/schema.graphql");
const typesFile = path.join(root, "web/app/src/graphql-env.d.ts");
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

it("web/schema.graphql matches the schema PostGraphile builds from the migrations", async () => {
  // Closed for good before the test database is dropped (pool.end() alone leaves connections closing).
  const { pool, close } = closablePool({ connectionString: db.authUrl });
  const { schema } = await makeSchema(makePreset({ pool, development: false })).finally(close);
  const sdl = printSchema(lexicographicSortSchema(schema)) + "\n";
  if (process.env.UPDATE_SDL === "1") fs.writeFileSync(sdlFile, sdl);
  const committed = fs.existsSync(sdlFile) ? fs.readFileSync(sdlFile, "utf8") : "";
  expect(committed, "run `npm run schema:sdl` and commit web/schema.graphql").toBe(sdl);
});

// The admin's documents are typed by gql.tada from the committed SDL through the introspection
// types in web/app/src/graphql-env.d.ts; `npm run schema:sdl` rewrites both, `npm run schema:types`
// the types alone.
it("web/app/src/graphql-env.d.ts is the gql.tada output of web/schema.graphql", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "schema-types-"));
  try {
    const out = path.join(dir, "graphql-env.d.ts");
    execFileSync(path.join(root, "node_modules/.bin/gql.tada"), ["generate-output", "-c", "web/app/tsconfig.json", "-o", out], { cwd: root, stdio: "pipe" });
    const committed = fs.existsSync(typesFile) ? fs.readFileSync(typesFile, "utf8") : "";
    expect(committed === fs.readFileSync(out, "utf8"), "run `npm run schema:types` and commit web/app/src/graphql-env.d.ts").toBe(true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
