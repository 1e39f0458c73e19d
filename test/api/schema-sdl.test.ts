// The GraphQL SDL is committed (web/schema.graphql) so that a review shows the real API change
// and the admin can be type-checked against it. This test fails when it is out of date;
// `npm run schema:sdl` rewrites it.
import fs from "node:fs";
import path from "node:path";
import { makeSchema } from "postgraphile";
import { lexicographicSortSchema, printSchema } from "postgraphile/graphql";
import { afterAll, beforeAll, expect, it } from "vitest";
import { makePreset } from "../../web/server/preset.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { closablePool } from "../helpers/pool.ts";

const sdlFile = path.resolve(import.meta.dirname, "../../web/schema.graphql");
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
