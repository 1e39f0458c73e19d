// Settings that run a shop: staff invited by a link (new people choose a password, people with an
// account sign in with theirs), roles changed, members removed, the business never left without
// an owner; custom roles, never with more than the giver holds; locations edited and closed, a
// closed one selling nothing; a location's time zone fixed once it has sales.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sqlState, uniqueEmail, type Member, type TestDatabase } from "../../helpers/db.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

const one = async (actor: Pick<Member, "query">, sql: string, params: unknown[] = []) => (await actor.query(sql, params)).rows[0];
const roleId = async (owner: Member, key: string) => (await one(owner, "select id from app_public.roles where key = $1", [key])).id as string;
const invite = (owner: Member, email: string, role: string) => one(owner, "select * from app_public.invite_member($1, $2)", [email, role]);
const accept = async (token: string, name: string | null, password: string) =>
  (await one(db.asAnonymous(), "select app_hidden.accept_invitation($1, $2, $3) as sid", [token, name, password])).sid as string | null;
const STRONG = "Correct-horse-42";

describe("invitations", () => {
  it("a new person accepts with a name and a password and works in the business with the invited role; the link works once", async () => {
    const owner = await db.onboard({ company: "Invite Cafe" });
    const email = uniqueEmail("newbie");
    const inv = await invite(owner, email, await roleId(owner, "manager"));
    expect(inv.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    // The owner sees it pending, but never its token.
    const pending = await owner.query("select email, accepted_at, revoked_at from app_public.invitations");
    expect(pending.rows).toEqual([{ email, accepted_at: null, revoked_at: null }]);
    expect(await sqlState(() => owner.query("select token_hash from app_public.invitations"))).toBe("42501");
    // The page of the link says what it is.
    expect(await one(db.asAnonymous(), "select * from app_public.invitation_by_token($1)", [inv.token])).toMatchObject({
      business_name: "Invite Cafe", role_name: "Manager", email, has_account: false,
    });

    expect(await sqlState(() => accept(inv.token, "Nina New", "short"))).toBe("WEAKP");
    const sid = (await accept(inv.token, "Nina New", STRONG))!;
    const nina = db.asSession(sid);
    expect(await one(nina, "select name from app_public.current_tenant()")).toEqual({ name: "Invite Cafe" });
    expect((await one(nina, "select app_public.current_permissions() as p")).p).toContain("sales.void");
    expect(await one(owner, "select accepted_at is not null as done from app_public.invitations")).toEqual({ done: true });
    // Used: the link no longer works nor shows anything.
    expect(await sqlState(() => accept(inv.token, "Nina Again", STRONG))).toBe("INVEX");
    expect((await db.asAnonymous().query("select * from app_public.invitation_by_token($1)", [inv.token])).rows).toEqual([]);
    // She signs in with the password she chose.
    expect(await db.signIn(email, STRONG)).not.toBeNull();
  });

  it("someone with an account signs in with their password (a wrong one is refused and counted) and joins with the role", async () => {
    const other = await db.onboard({ company: "Their Own Shop" });
    const owner = await db.onboard({ company: "Second Cafe" });
    const inv = await invite(owner, other.email, await roleId(owner, "cashier"));
    expect(await one(db.asAnonymous(), "select has_account from app_public.invitation_by_token($1)", [inv.token])).toEqual({ has_account: true });
    expect(await accept(inv.token, null, "wrong-password-1")).toBeNull();
    expect(await one(db.owner, "select failed_login_attempts from app_private.user_secrets where user_id = $1", [other.userId]))
      .toEqual({ failed_login_attempts: 1 });
    const sid = (await accept(inv.token, null, other.password))!;
    const session = db.asSession(sid);
    expect(await one(session, "select name from app_public.current_tenant()")).toEqual({ name: "Second Cafe" });
    expect((await one(session, "select app_public.current_permissions() as p")).p).toEqual(["customers.view", "customers.create", "sales.sell"]);
    // Still the owner of their own business.
    expect((await session.query("select t.name from app_public.tenants t order by t.name")).rows.map((r) => r.name)).toEqual(["Second Cafe", "Their Own Shop"]);
  });

  it("refuses a member, an unknown role, a role with more than the inviter holds; inviting again replaces the link; revoked links die", async () => {
    const owner = await db.onboard();
    const manager = await db.asUser(owner.tenantId, "manager");
    expect(await sqlState(() => invite(owner, manager.email, "nope"))).toBe("NOTFD");
    expect(await sqlState(() => invite(owner, manager.email, "x"))).toBe("NOTFD");
    expect(await sqlState(() => invite(owner, manager.email.toUpperCase(), "x"))).toBe("NOTFD");
    const cashier = await roleId(owner, "cashier");
    expect(await sqlState(() => invite(owner, manager.email.toUpperCase(), cashier))).toBe("DUPLI");
    expect(await sqlState(() => invite(owner, "not an email", cashier))).toBe("BADEM");
    // A manager has no settings.update; a custom role with settings.update alone cannot invite an owner.
    expect(await sqlState(() => invite(manager, uniqueEmail(), cashier))).toBe("DNIED");
    const admin = await one(owner, "select * from app_public.create_role('Staff admin', array['settings.view', 'settings.update'])");
    const staffAdmin = await db.asUser(owner.tenantId, admin.key);
    expect(await sqlState(() => invite(staffAdmin, uniqueEmail(), cashier))).toBe("DNIED"); // cashier's sales.sell
    const ownerRole = await roleId(owner, "owner");
    expect(await sqlState(() => invite(staffAdmin, uniqueEmail(), ownerRole))).toBe("DNIED");

    const email = uniqueEmail();
    const first = await invite(owner, email, cashier);
    const second = await invite(owner, email, cashier);
    expect(await sqlState(() => accept(first.token, "X Y", STRONG))).toBe("INVEX");
    await one(owner, "select * from app_public.revoke_invitation($1)", [second.invitation_id]);
    expect(await sqlState(() => accept(second.token, "X Y", STRONG))).toBe("INVEX");
    // Expired: 7 days later the link is dead.
    const third = await invite(owner, email, cashier);
    await db.owner.query("update app_public.invitations set expires_at = now() - interval '1 second' where id = $1", [third.invitation_id]);
    expect(await sqlState(() => accept(third.token, "X Y", STRONG))).toBe("INVEX");
  });

  it("pending invitations take seats: the plan's last seat cannot be promised twice", async () => {
    const owner = await db.onboard();
    // Starter allows a few seats: fill them with invitations, the next is LIMIT.
    const seats = (await one(db.owner, "select (app_private.tenant_plan($1)).max_seats as n", [owner.tenantId])).n as number;
    const cashier = await roleId(owner, "cashier");
    for (let i = 1; i < seats; i++) await invite(owner, uniqueEmail(), cashier);
    expect(await sqlState(() => invite(owner, uniqueEmail(), cashier))).toBe("LIMIT");
  });
});

describe("members", () => {
  it("a role change takes effect at once; removal ends access; the last owner stays", async () => {
    const owner = await db.onboard();
    const cashier = await db.asUser(owner.tenantId, "cashier");
    const membership = (await one(owner, "select id from app_public.memberships where user_id = $1", [cashier.userId])).id;
    await one(owner, "select * from app_public.change_member_role($1, $2)", [membership, await roleId(owner, "manager")]);
    expect((await one(cashier, "select app_public.current_permissions() as p")).p).toContain("sales.void");
    await one(owner, "select * from app_public.remove_member($1)", [membership]);
    expect(await one(cashier, "select app_public.current_tenant() as t")).toEqual({ t: null });

    const mine = (await one(owner, "select id from app_public.memberships where user_id = $1", [owner.userId])).id;
    expect(await sqlState(() => owner.query("select app_public.change_member_role($1, 'x')", [mine]))).toBe("NOTFD");
    expect(await sqlState(async () => owner.query("select app_public.change_member_role($1, $2)", [mine, await roleId(owner, "manager")]))).toBe("LASTO");
    expect(await sqlState(() => owner.query("select app_public.remove_member($1)", [mine]))).toBe("LASTO");
    // With a second owner, the first may step down.
    await db.asUser(owner.tenantId, "owner");
    await one(owner, "select * from app_public.change_member_role($1, $2)", [mine, await roleId(owner, "manager")]);
  });

  it("two owners demoting each other at once leave one owner", async () => {
    const owner = await db.onboard();
    const second = await db.asUser(owner.tenantId, "owner");
    const manager = await roleId(owner, "manager");
    const ids = await Promise.all([owner, second].map(async (m) => (await one(owner, "select id from app_public.memberships where user_id = $1", [m.userId])).id));
    const results = await Promise.allSettled([
      owner.query("select app_public.change_member_role($1, $2)", [ids[1], manager]),
      second.query("select app_public.change_member_role($1, $2)", [ids[0], manager]),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const owners = await one(db.owner, `select count(*)::int as n from app_public.memberships m join app_public.roles r on r.id = m.role_id
                                         where m.tenant_id = $1 and r.key = 'owner'`, [owner.tenantId]);
    expect(owners.n).toBe(1);
  });
});

describe("custom roles", () => {
  it("a role with a permission checklist gives exactly those permissions; built-in roles are fixed; a role in use is kept", async () => {
    const owner = await db.onboard();
    const role = await one(owner, "select * from app_public.create_role('Stock keeper', array['inventory.manage', 'reports.view', 'reports.view'])");
    expect(role).toMatchObject({ name: "Stock keeper", permissions: ["inventory.manage", "reports.view"] });
    expect(await sqlState(() => owner.query("select app_public.create_role('stock KEEPER', array['reports.view'])"))).toBe("DUPLI");
    expect(await sqlState(() => owner.query("select app_public.create_role('Nothing', array[]::text[])"))).toBe("BADIN");
    expect(await sqlState(() => owner.query("select app_public.create_role('Root', array['everything'])"))).toBe("BADIN");
    expect(await sqlState(async () => owner.query("select app_public.update_role($1, 'Boss', array['sales.sell'])", [await roleId(owner, "manager")]))).toBe("BADIN");

    const keeper = await db.asUser(owner.tenantId, role.key);
    expect((await one(keeper, "select app_public.current_permissions() as p")).p).toEqual(["inventory.manage", "reports.view"]);
    await one(owner, "select * from app_public.update_role($1, 'Stock keeper', array['reports.view'])", [role.id]);
    expect((await one(keeper, "select app_public.current_permissions() as p")).p).toEqual(["reports.view"]);
    expect(await sqlState(() => owner.query("select app_public.delete_role($1)", [role.id]))).toBe("BADIN");
    const membership = (await one(owner, "select id from app_public.memberships where user_id = $1", [keeper.userId])).id;
    await one(owner, "select * from app_public.remove_member($1)", [membership]);
    await one(owner, "select * from app_public.delete_role($1)", [role.id]);
    expect((await owner.query("select key from app_public.roles order by key")).rows.map((r) => r.key)).toEqual(["cashier", "manager", "owner"]);
  });
});

describe("locations", () => {
  it("a closed location sells nothing and opens no drawer; it cannot be the last open one; reopening counts against the plan", async () => {
    const owner = await db.onboard();
    const main = (await one(owner, "select id from app_public.locations")).id;
    expect(await sqlState(() => owner.query("select app_public.close_location($1)", [main]))).toBe("BADIN"); // the only one
    const annex = (await one(owner, "insert into app_public.locations (name, timezone) values ('Annex', 'Europe/Paris') returning id")).id;
    const item = (await one(owner, "insert into app_public.catalog_items (name, sku, price) values ('Tea', 'TEA', 300) returning id")).id;
    const lines = JSON.stringify([{ catalog_item_id: item, quantity: 1 }]);
    // An open order at the annex stops its close, until cancelled.
    const open = await one(owner, "select * from app_public.place_order($1, $2::jsonb)", [annex, lines]);
    expect(await sqlState(() => owner.query("select app_public.close_location($1)", [annex]))).toBe("BADIN");
    await owner.query("select app_public.cancel_order($1, 'Closing')", [open.id]);
    const closed = await one(owner, "select * from app_public.close_location($1)", [annex]);
    expect(closed.closed_at).not.toBeNull();
    expect(await sqlState(() => owner.query("select app_public.place_order($1, $2::jsonb)", [annex, lines]))).toBe("LCLSD");
    expect(await sqlState(() => owner.query("select app_public.open_cash_drawer($1, 0)", [annex]))).toBe("LCLSD");
    // Its history stays, and an import of its past sales is still recorded.
    await owner.query("select app_public.place_order($1, $2::jsonb, null, 0, '2025-01-02T10:00:00Z')", [annex, lines]);
    // Closed, it frees its place: a new location fits; reopening it then needs a place again.
    const max = (await one(db.owner, "select (app_private.tenant_plan($1)).max_locations as n", [owner.tenantId])).n as number;
    for (let i = 2; i <= max; i++) await owner.query("insert into app_public.locations (name, timezone) values ($1, 'Europe/Paris')", [`Shop ${i}`]);
    expect(await sqlState(() => owner.query("select app_public.reopen_location($1)", [annex]))).toBe("LIMIT");
  });

  it("a location's name changes any time; its time zone only until it has sales", async () => {
    const owner = await db.onboard();
    const main = (await one(owner, "select id from app_public.locations")).id;
    await owner.query("update app_public.locations set name = 'Harbour', timezone = 'Asia/Tokyo' where id = $1", [main]);
    const item = (await one(owner, "insert into app_public.catalog_items (name, sku, price) values ('Tea', 'TEA', 0) returning id")).id;
    await owner.query("select app_public.place_order($1, $2::jsonb)", [main, JSON.stringify([{ catalog_item_id: item, quantity: 1 }])]);
    await owner.query("update app_public.locations set name = 'Harbour front' where id = $1", [main]);
    expect(await sqlState(() => owner.query("update app_public.locations set timezone = 'Europe/Paris' where id = $1", [main]))).toBe("TZFIX");
  });

  it("a business is renamed to its name trimmed; blank, spaces only or too long is refused naming the input", async () => {
    const owner = await db.onboard({ company: "Rename Cafe" });
    await owner.query("update app_public.tenants set name = $1", ["  Quay Cafe  "]);
    expect(await one(owner, "select name from app_public.current_tenant()")).toEqual({ name: "Quay Cafe" });
    for (const name of ["", "   ", "x".repeat(201)]) {
      const error = await owner.query("update app_public.tenants set name = $1", [name]).then(() => null, (e) => e);
      expect(error?.code).toBe("BADIN");
      expect(error?.message).toMatch(/^Business name (is required|must be at most 200 characters)\.$/);
    }
    expect(await one(owner, "select name from app_public.current_tenant()")).toEqual({ name: "Quay Cafe" });
  });

  it("the receipt carries the address and the footer the owner writes", async () => {
    const owner = await db.onboard();
    await owner.query("update app_public.tenants set receipt_address = $1, receipt_footer = $2", ["1 Quay Street\nPortsmouth", "Thank you!"]);
    expect(await one(owner, "select receipt_address, receipt_footer from app_public.current_tenant()")).toEqual({
      receipt_address: "1 Quay Street\nPortsmouth", receipt_footer: "Thank you!",
    });
    expect(await sqlState(() => owner.query("update app_public.tenants set receipt_footer = $1", ["x".repeat(501)]))).toBe("BADIN");
  });
});
