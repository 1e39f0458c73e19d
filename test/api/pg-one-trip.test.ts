// web/server/pg-one-trip.ts sends a GraphQL request's settings with its statement in one round
// trip. What must hold: the statement runs as the visitor with the request's session, and nothing
// of it (role, session) is left on the pooled connection for the next user of the pool — after
// success, after a failing statement, and in an explicit transaction.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roles } from "../../db/config.ts";
import { makeOneTripWithPgClient } from "../../web/server/pg-one-trip.ts";
import { createTestDatabase, type Member, type TestDatabase } from "../helpers/db.ts";

let db: TestDatabase;
let pool: pg.Pool;
let member: Member;
const WHO = "select current_user as role, coalesce(current_setting('app.session_id', true), '') as session";

beforeAll(async () => {
  db = await createTestDatabase();
  // One connection, so that the statement after a request runs on the request's connection.
  pool = new pg.Pool({ connectionString: db.authUrl, max: 1 });
  member = await db.onboard();
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe("one round trip for a request's settings and statement", () => {
  it("runs the statement as the visitor with the session, and leaves neither on the connection", async () => {
    const withPgClient = makeOneTripWithPgClient(pool);
    const settings = { role: roles.visitor, "app.session_id": member.sessionId! };
    const { rows } = await withPgClient(settings, (c) => c.query<{ role: string; session: string }>({ text: WHO }));
    expect(rows).toEqual([{ role: roles.visitor, session: member.sessionId }]);
    // Row-level security sees the session's business, and only it.
    const tenants = await withPgClient(settings, (c) => c.query<{ id: string }>({ text: "select id from app_public.tenants", name: "tenants_probe" }));
    expect(tenants.rows.map((r) => r.id)).toEqual([member.tenantId]);
    expect((await pool.query(WHO)).rows).toEqual([{ role: roles.authenticator, session: "" }]);
  });

  it("a failing statement answers its error, and the next user of the connection is the authenticator again", async () => {
    const withPgClient = makeOneTripWithPgClient(pool);
    const settings = { role: roles.visitor, "app.session_id": member.sessionId! };
    await expect(withPgClient(settings, (c) => c.query({ text: "select 1 / (select count(*) - count(*) from app_public.tenants)" }))).rejects.toThrow(
      /division by zero/,
    );
    expect((await pool.query(WHO)).rows).toEqual([{ role: roles.authenticator, session: "" }]);
    const { rows } = await withPgClient(settings, (c) => c.query<{ role: string }>({ text: WHO }));
    expect(rows[0].role).toBe(roles.visitor);
  });

  it("in an explicit transaction every statement has the settings, and none is left after it", async () => {
    const withPgClient = makeOneTripWithPgClient(pool);
    const settings = { role: roles.visitor, "app.session_id": member.sessionId! };
    const seen = await withPgClient(settings, (c) =>
      c.withTransaction(async (tx) => [(await tx.query({ text: WHO })).rows[0], (await tx.query({ text: WHO })).rows[0]]),
    );
    expect(seen).toEqual([
      { role: roles.visitor, session: member.sessionId },
      { role: roles.visitor, session: member.sessionId },
    ]);
    expect((await pool.query(WHO)).rows).toEqual([{ role: roles.authenticator, session: "" }]);
  });

  it("without settings the statement runs as the authenticator", async () => {
    const withPgClient = makeOneTripWithPgClient(pool);
    const { rows } = await withPgClient(null, (c) => c.query({ text: WHO }));
    expect(rows).toEqual([{ role: roles.authenticator, session: "" }]);
  });
});
