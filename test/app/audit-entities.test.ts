// The audit log's record filter offers every table the database audits (the _500_audit triggers),
// so a change to any of them can be found by its kind: a new audited table without a name in
// web/app/src/settings/auditFormat.ts fails here.
import { afterAll, beforeAll, expect, it } from "vitest";
import { ENTITY_CHOICES } from "../../web/app/src/settings/auditFormat.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

it("names every audited table in the audit log's filter", async () => {
  const { rows } = await db.owner.query(
    `select c.relname as name from pg_trigger t join pg_class c on c.oid = t.tgrelid
     where t.tgname = '_500_audit' and not t.tgisinternal order by 1`,
  );
  const audited = rows.map((r) => r.name as string);
  expect(audited.length).toBeGreaterThan(10);
  expect(audited.filter((name) => !ENTITY_CHOICES.some((e) => e.value === name))).toEqual([]);
});
