// Onboarding, sign-in, lockout, sessions and permissions, through the SQL functions the server
// calls, as the API role.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, PASSWORD, sqlState, uniqueEmail, type TestDatabase } from "../../helpers/db.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

const onboard = (args: [string | null, string | null, string | null, string | null, string | null]) =>
  db.asAnonymous().query("select app_hidden.onboard($1, $2, $3, $4, $5) as sid", args);
const login = (email: string, password: string): Promise<string | null> => db.signIn(email, password);
const count = async (table: string) => Number((await db.owner.query(`select count(*) from ${table}`)).rows[0].count);

describe("onboarding", () => {
  it("creates the tenant, its first location, three roles and the owner, and signs the owner in", async () => {
    const email = uniqueEmail("Founder").toUpperCase();
    const { rows } = await onboard(["  Corner Bakery ", "Fay Founder", email, PASSWORD, "America/New_York"]);
    const me = db.asSession(rows[0].sid);

    const user = await me.query("select * from app_public.current_user()");
    expect(user.rows[0].email).toBe(email.toLowerCase());
    const tenant = await me.query("select * from app_public.current_tenant()");
    expect(tenant.rows[0]).toMatchObject({ name: "Corner Bakery", status: "active" });
    const locations = await me.query("select name, timezone from app_public.locations");
    expect(locations.rows).toEqual([{ name: "Main store", timezone: "America/New_York" }]);
    const roles = await me.query("select key from app_public.roles order by key");
    expect(roles.rows.map((r) => r.key)).toEqual(["cashier", "manager", "owner"]);
    const perms = await me.query("select app_public.current_permissions() as p");
    expect(perms.rows[0].p).toContain("settings.update");
  });

  it.each([
    ["blank business name", ["  ", "A", uniqueEmail(), PASSWORD, "Europe/Paris"], "BADIN"],
    ["malformed email", ["Shop", "A", "not-an-email", PASSWORD, "Europe/Paris"], "BADEM"],
    ["email without domain dot", ["Shop", "A", "a@localhost", PASSWORD, "Europe/Paris"], "BADEM"],
    ["short password", ["Shop", "A", uniqueEmail(), "abc12", "Europe/Paris"], "WEAKP"],
    ["letters-only password", ["Shop", "A", uniqueEmail(), "onlyletterspassword", "Europe/Paris"], "WEAKP"],
    ["unknown time zone", ["Shop", "A", uniqueEmail(), PASSWORD, "Mars/Olympus_Mons"], "BADTZ"],
    ["missing time zone", ["Shop", "A", uniqueEmail(), PASSWORD, null], "BADTZ"],
    ["over-long name", ["Shop", "x".repeat(201), uniqueEmail(), PASSWORD, "Europe/Paris"], "BADIN"],
  ] as const)("refuses %s with a coded error and writes nothing", async (_label, args, code) => {
    const before = [await count("app_public.tenants"), await count("app_public.users")];
    expect(await sqlState(() => onboard([...args]))).toBe(code);
    expect([await count("app_public.tenants"), await count("app_public.users")]).toEqual(before);
  });

  it("refuses a second registration with the same email (any case) and writes nothing", async () => {
    const email = uniqueEmail("dup");
    await onboard(["First", "A", email, PASSWORD, "Europe/Paris"]);
    const before = await count("app_public.tenants");
    expect(await sqlState(() => onboard(["Second", "B", ` ${email.toUpperCase()} `, PASSWORD, "Europe/Paris"]))).toBe("EMTKN");
    expect(await count("app_public.tenants")).toBe(before);
  });
});

describe("sign-in", () => {
  it("signs in with the right password and lands in the user's tenant", async () => {
    const owner = await db.onboard();
    const sid = await login(owner.email.toUpperCase(), PASSWORD);
    expect(sid).toMatch(/^[0-9a-f-]{36}$/);
    const t = await db.asSession(sid).query("select id from app_public.current_tenant()");
    expect(t.rows[0].id).toBe(owner.tenantId);
  });

  it("returns no session for a wrong password or an unknown email", async () => {
    const owner = await db.onboard();
    expect(await login(owner.email, "wrong password 1")).toBeNull();
    expect(await login(uniqueEmail("nobody"), PASSWORD)).toBeNull();
  });

  it("locks the account after 5 wrong passwords, even for the right one, until the lock expires", async () => {
    const owner = await db.onboard();
    for (let i = 0; i < 5; i++) expect(await login(owner.email, `wrong ${i}`)).toBeNull();
    expect(await sqlState(() => login(owner.email, PASSWORD))).toBe("LOCKD");
    await db.owner.query("update app_private.user_secrets set locked_until = now() - interval '1 second' where user_id = $1", [owner.userId]);
    expect(await login(owner.email, PASSWORD)).not.toBeNull();
  });

  it("a successful sign-in resets the failure count", async () => {
    const owner = await db.onboard();
    for (let i = 0; i < 4; i++) await login(owner.email, "wrong password 9");
    expect(await login(owner.email, PASSWORD)).not.toBeNull();
    for (let i = 0; i < 4; i++) await login(owner.email, "wrong password 9");
    expect(await login(owner.email, PASSWORD)).not.toBeNull();
  });
});

describe("sessions", () => {
  it("an expired session is nobody", async () => {
    const owner = await db.onboard();
    await db.owner.query("update app_private.sessions set expires_at = now() - interval '1 second' where secret_hash = app_hidden.session_secret_hash($1)", [owner.sessionId]);
    const r = await owner.query("select app_hidden.current_user_id() as u, app_hidden.current_tenant_id() as t");
    expect(r.rows[0]).toEqual({ u: null, t: null });
    expect((await owner.query("select * from app_public.locations")).rows).toEqual([]);
  });

  it("the sessions table never holds a secret: only its SHA-256, and a row cannot be replayed as a cookie", async () => {
    const owner = await db.onboard();
    const secret = owner.sessionId!;
    const rows = (await db.owner.query("select * from app_private.sessions where user_id = $1", [owner.userId])).rows;
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(secret);
    expect(Buffer.from(rows[0].secret_hash).toString("hex")).toBe(createHash("sha256").update(secret).digest("hex"));
    // What a leaked backup offers — the row id or the hash — signs nobody in.
    for (const leaked of [rows[0].id, Buffer.from(rows[0].secret_hash).toString("hex")]) {
      expect((await db.asSession(leaked).query("select app_hidden.current_user_id() as u")).rows[0].u).toBeNull();
    }
    expect((await owner.query("select app_hidden.current_user_id() as u")).rows[0].u).toBe(owner.userId);
  });

  it("the API role cannot sign in by itself: only the server, which names the client address, may (app_hidden.login_from)", async () => {
    const owner = await db.onboard();
    expect(await sqlState(() => db.asAnonymous().query("select app_hidden.login($1, $2)", [owner.email, PASSWORD]))).toBe("42501");
    expect(await sqlState(() => db.asAnonymous().query("select app_hidden.login_from('203.0.113.9', $1, $2)", [owner.email, PASSWORD]))).toBe("42501");
    expect(await db.signIn(owner.email, PASSWORD)).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("logout ends the session", async () => {
    const owner = await db.onboard();
    await owner.query("select app_hidden.logout()");
    expect((await owner.query("select app_hidden.current_user_id() as u")).rows[0].u).toBeNull();
    expect(await count(`app_private.sessions where secret_hash = app_hidden.session_secret_hash('${owner.sessionId}')`)).toBe(0);
  });

  it("a malformed session setting is nobody, not an error", async () => {
    const r = await db.asSession("not-a-uuid'; drop table x; --").query("select app_hidden.current_user_id() as u");
    expect(r.rows[0].u).toBeNull();
  });

  it("switch_tenant moves between the user's businesses and refuses others", async () => {
    const owner = await db.onboard({ company: "First Shop" });
    const other = await db.onboard({ company: "Not Mine" });
    const second = await owner.query("select * from app_public.create_business('Second Shop', 'Asia/Tokyo')");
    expect((await owner.query("select name from app_public.current_tenant()")).rows[0].name).toBe("Second Shop");
    const mine = await owner.query("select t.name from app_public.tenants t order by name");
    expect(mine.rows.map((r) => r.name)).toEqual(["First Shop", "Second Shop"]);
    // Roles: all of the current business, and only one's own role in the other.
    const roles = await owner.query("select t.name, r.key from app_public.roles r join app_public.tenants t on t.id = r.tenant_id order by 1, 2");
    expect(roles.rows).toEqual([
      { name: "First Shop", key: "owner" },
      { name: "Second Shop", key: "cashier" },
      { name: "Second Shop", key: "manager" },
      { name: "Second Shop", key: "owner" },
    ]);
    await owner.query("select app_public.switch_tenant($1)", [owner.tenantId]);
    expect((await owner.query("select name from app_public.current_tenant()")).rows[0].name).toBe("First Shop");
    expect(await sqlState(() => owner.query("select app_public.switch_tenant($1)", [other.tenantId]))).toBe("NOTMB");
    expect(await sqlState(() => db.asAnonymous().query("select app_public.switch_tenant($1)", [second.rows[0].id]))).toBe("LOGIN");
    expect((await owner.query("select name from app_public.current_tenant()")).rows[0].name).toBe("First Shop");
  });

  it("create_business refuses bad input with coded errors and creates nothing", async () => {
    const owner = await db.onboard();
    const before = await count("app_public.tenants");
    expect(await sqlState(() => owner.query("select app_public.create_business('', 'UTC')"))).toBe("BADIN");
    expect(await sqlState(() => owner.query("select app_public.create_business('Shop', 'Moon/Base')"))).toBe("BADTZ");
    expect(await sqlState(() => db.asAnonymous().query("select app_public.create_business('Shop', 'UTC')"))).toBe("LOGIN");
    expect(await count("app_public.tenants")).toBe(before);
  });

  it("one person creates at most 5 businesses a day, even in parallel, and owns at most 10 (BZLIM)", async () => {
    // Each business brings a Stripe trial and up to 20 analyst logins (cluster roles with
    // connections): nobody, not even a cashier of someone else's shop, may make them without end.
    const owner = await db.onboard(); // the first of the day
    const attempts = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => owner.query("select app_public.create_business($1, 'UTC')", [`Shop ${i}`])),
    );
    const codes = attempts.map((r) => (r.status === "fulfilled" ? "ok" : (r.reason as { code?: string }).code));
    expect(codes.filter((c) => c === "ok")).toHaveLength(4);
    expect(codes.filter((c) => c === "BZLIM")).toHaveLength(4);
    // A day later the daily limit is gone, the total one is not.
    // (created_at is kept by the _100_timestamps trigger: step around it to age the rows.)
    await db.owner.query(
      `begin; alter table app_public.memberships disable trigger _100_timestamps;
       update app_public.memberships set created_at = created_at - interval '25 hours' where user_id = '${owner.userId}';
       alter table app_public.memberships enable trigger _100_timestamps; commit;`,
    );
    for (let i = 0; i < 5; i++) await owner.query("select app_public.create_business($1, 'UTC')", [`Later ${i}`]);
    const err = await owner.query("select app_public.create_business('Eleventh', 'UTC')").then(() => null, (e) => e);
    expect([err?.code, err?.message]).toEqual(["BZLIM", "You own 10 businesses, the most one person may have; close one first or ask us."]);
  });

  it("login with missing values is simply a failed sign-in", async () => {
    expect(await login(null as unknown as string, null as unknown as string)).toBeNull();
  });

  it("removing a membership takes the tenant away from a live session", async () => {
    const owner = await db.onboard();
    const cashier = await db.asUser(owner.tenantId, "cashier");
    expect((await cashier.query("select count(*)::int as n from app_public.locations")).rows[0].n).toBe(1);
    await db.owner.query("delete from app_public.memberships where user_id = $1", [cashier.userId]);
    expect((await cashier.query("select count(*)::int as n from app_public.locations")).rows[0].n).toBe(0);
  });
});

describe("permissions and isolation", () => {
  it("a cashier cannot add a location (settings.update); an owner can", async () => {
    const owner = await db.onboard();
    const cashier = await db.asUser(owner.tenantId, "cashier");
    expect(await sqlState(() => cashier.query("insert into app_public.locations (name, timezone) values ('Kiosk', 'Europe/Paris')"))).toBe("42501");
    await owner.query("insert into app_public.locations (name, timezone) values ('Kiosk', 'Europe/Paris')");
    expect((await cashier.query("select name from app_public.locations order by name")).rows.map((r) => r.name)).toEqual(["Kiosk", "Main store"]);
  });

  it("location input is validated with coded errors", async () => {
    const owner = await db.onboard();
    expect(await sqlState(() => owner.query("insert into app_public.locations (name, timezone) values ('X', 'Nowhere/City')"))).toBe("BADTZ");
    expect(await sqlState(() => owner.query("insert into app_public.locations (name, timezone) values ('   ', 'Europe/Paris')"))).toBe("BADIN");
    expect(await sqlState(() => owner.query("insert into app_public.locations (name, timezone) values ('Main store', 'Europe/Paris')"))).toBe("DUPNM");
  });

  it("one tenant sees none of another's rows and cannot change them", async () => {
    const a = await db.onboard();
    const b = await db.onboard();
    const bLocation = (await b.query("select id from app_public.locations")).rows[0].id;
    const seen = await a.query("select id from app_public.locations where id = $1", [bLocation]);
    expect(seen.rows).toEqual([]);
    const upd = await a.query("update app_public.locations set name = 'hacked' where id = $1", [bLocation]);
    expect(upd.rowCount).toBe(0);
    expect((await b.query("select name from app_public.locations")).rows[0].name).toBe("Main store");
    // Forging the tenant on insert is refused by the policy.
    expect(await sqlState(() => a.query("insert into app_public.locations (tenant_id, name, timezone) values ($1, 'x', 'Europe/Paris')", [b.tenantId]))).toBe("42501");
  });

  it("changes are audited with the actor and only the changed fields", async () => {
    const owner = await db.onboard();
    await owner.query("update app_public.locations set name = 'Harbour' where name = 'Main store'");
    const { rows } = await owner.query(
      "select action, actor_user_id, changes from app_public.audit_entries where entity = 'locations' and action = 'update'",
    );
    expect(rows).toEqual([
      { action: "update", actor_user_id: owner.userId, changes: { name: { old: "Main store", new: "Harbour" } } },
    ]);
    const cashier = await db.asUser(owner.tenantId, "cashier");
    expect((await cashier.query("select count(*)::int as n from app_public.audit_entries")).rows[0].n).toBe(0);
  });
});
