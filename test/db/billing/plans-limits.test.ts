// Plans, entitlements and limits in SQL, as the real roles: the limits hold whoever inserts (and
// under concurrency); downgrades over the limits are refused with the reason.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roles } from "../../../db/config.ts";
import { createTestDatabase, sqlState, type Member, type TestDatabase } from "../../helpers/db.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

async function setPlan(tenantId: string, plan: string) {
  await db.owner.query("update app_public.billing_subscriptions set plan_key = $2 where tenant_id = $1", [tenantId, plan]);
}

async function addLocation(member: Member, name: string) {
  await member.query("insert into app_public.locations (name, timezone) values ($1, 'Europe/Paris')", [name]);
}

async function errorOf(fn: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await fn();
  } catch (e) {
    return { code: (e as { code: string }).code, message: (e as Error).message };
  }
  throw new Error("expected the call to fail");
}

describe("plans", () => {
  it("are readable by everyone, with their prices, limits and modules", async () => {
    const { rows } = await db.asAnonymous().query(
      "select key, name, price_cents, currency, billing_interval, max_seats, max_locations, max_devices, modules from app_public.plans order by position",
    );
    expect(rows).toEqual([
      { key: "starter", name: "Starter", price_cents: 7900, currency: "usd", billing_interval: "month", max_seats: 5, max_locations: 2, max_devices: 3,
        modules: ["platform_core", "catalog", "pos_retail", "payments", "customers", "reporting"] },
      { key: "growth", name: "Growth", price_cents: 14900, currency: "usd", billing_interval: "month", max_seats: 25, max_locations: 10, max_devices: 10,
        modules: ["platform_core", "catalog", "pos_retail", "payments", "customers", "reporting", "inventory"] },
    ]);
    expect(await sqlState(() => db.asAnonymous().query("update app_public.plans set price_cents = 1"))).toBe("42501");
  });

  it("entitlements follow the tenant's plan", async () => {
    const owner = await db.onboard();
    const has = async (m: string) => (await owner.query("select app_hidden.has_module($1) as ok", [m])).rows[0].ok;
    expect(await has("customers")).toBe(true);
    expect(await has("inventory")).toBe(false);
    const err = await errorOf(() => owner.query("select app_hidden.assert_module('inventory')"));
    expect(err).toEqual({ code: "NOMOD", message: "Your Starter plan does not include inventory. Upgrade under Settings → Billing to use it." });
    await setPlan(owner.tenantId, "growth");
    expect(await has("inventory")).toBe(true);
    await owner.query("select app_hidden.assert_module('inventory')");
  });
});

describe("limits", () => {
  it("a third location on Starter (it allows 2) is refused with LIMIT, and so is a fourth", async () => {
    const owner = await db.onboard();
    await addLocation(owner, "Second");
    for (const name of ["Third", "Fourth"]) {
      const err = await errorOf(() => addLocation(owner, name));
      expect(err).toEqual({
        code: "LIMIT",
        message: "Your Starter plan allows 2 locations (max_locations) and you have 2. Upgrade under Settings → Billing to add more.",
      });
    }
    // The worker and SQL sessions as the owner role are held to the same limit.
    expect(await sqlState(() => db.owner.query("insert into app_public.locations (tenant_id, name, timezone) values ($1, 'Owner', 'UTC')", [owner.tenantId]))).toBe("LIMIT");
    await setPlan(owner.tenantId, "growth");
    await addLocation(owner, "Third");
    await addLocation(owner, "Fourth");
    expect((await owner.query("select count(*)::int as n from app_public.locations")).rows[0].n).toBe(4);
  });

  it("a sixth seat on Starter is refused", async () => {
    const owner = await db.onboard();
    for (let i = 0; i < 4; i++) await db.asUser(owner.tenantId, "cashier");
    const err = await errorOf(() => db.asUser(owner.tenantId, "cashier"));
    expect(err.code).toBe("LIMIT");
    expect(err.message).toMatch(/^Your Starter plan allows 5 users \(max_seats\)/);
  });

  it("devices belong to a location of the tenant; a fourth on Starter is refused", async () => {
    const owner = await db.onboard();
    const other = await db.onboard();
    const [{ id: location }] = (await owner.query("select id from app_public.locations")).rows;
    const [{ id: foreign }] = (await other.query("select id from app_public.locations")).rows;
    for (const name of ["Till 1", "Till 2", "Till 3"]) {
      await owner.query("insert into app_public.devices (location_id, name) values ($1, $2)", [location, name]);
    }
    expect(await sqlState(() => owner.query("insert into app_public.devices (location_id, name) values ($1, 'Till 4')", [location]))).toBe("LIMIT");
    await owner.query("delete from app_public.devices where name = 'Till 3'");
    expect(await sqlState(() => owner.query("insert into app_public.devices (location_id, name) values ($1, 'Till 2')", [location]))).toBe("DUPLI");
    expect(await sqlState(() => owner.query("insert into app_public.devices (location_id, name) values ($1, 'Foreign')", [foreign]))).toBe("23503");
    const cashier = await db.asUser(owner.tenantId, "cashier");
    expect(await sqlState(() => cashier.query("insert into app_public.devices (location_id, name) values ($1, 'Cashier')", [location]))).toBe("42501");
    expect((await cashier.query("select name from app_public.devices order by name")).rows.map((r) => r.name)).toEqual(["Till 1", "Till 2"]);
    expect((await other.query("select count(*)::int as n from app_public.devices")).rows[0].n).toBe(0);
  });

  it("two concurrent inserts cannot both take the last place", async () => {
    const owner = await db.onboard();
    const clients = await Promise.all([0, 1].map(async () => {
      const c = new pg.Client(db.authUrl);
      await c.connect();
      await c.query("begin");
      await c.query("select set_config('role', $1, true), set_config('app.session_id', $2, true)", [roles.visitor, owner.sessionId]);
      return c;
    }));
    try {
      await clients[0].query("insert into app_public.locations (name, timezone) values ('A', 'UTC')");
      const second = clients[1].query("insert into app_public.locations (name, timezone) values ('B', 'UTC')").then(
        () => "inserted",
        (e) => e.code as string,
      );
      await new Promise((r) => setTimeout(r, 200)); // B waits for A's lock
      await clients[0].query("commit");
      expect(await second).toBe("LIMIT");
    } finally {
      for (const c of clients) {
        await c.query("rollback").catch(() => {});
        await c.end();
      }
    }
    expect((await owner.query("select name from app_public.locations order by name")).rows.map((r) => r.name)).toEqual(["A", "Main store"]);
  });
});

describe("change_plan and request_billing_portal", () => {
  it("refuse a downgrade that current usage exceeds, naming each excess", async () => {
    const owner = await db.onboard();
    await setPlan(owner.tenantId, "growth");
    await addLocation(owner, "Second");
    await addLocation(owner, "Third");
    for (let i = 0; i < 5; i++) await db.asUser(owner.tenantId, "cashier");
    const err = await errorOf(() => owner.query("select app_public.change_plan('starter')"));
    expect(err).toEqual({
      code: "DOWNG",
      message: "You cannot move to the Starter plan: you have 6 users (it allows 5; remove 1), 3 locations (it allows 2; remove 1).",
    });
    // The admin reads the same rule ahead of asking (plans.changeProblem), worded the same way;
    // someone who may not see billing learns nothing from it.
    const problems = async (who: typeof owner) =>
      Object.fromEntries((await who.query("select p.key, app_public.plans_change_problem(p) as problem from app_public.plans p")).rows.map((r) => [r.key, r.problem]));
    expect(await problems(owner)).toEqual({ starter: err.message, growth: null });
    const cashier = await db.asUser(owner.tenantId, "cashier");
    expect(await problems(cashier)).toEqual({ starter: null, growth: null });
  });

  it("need settings.update, a known plan, and record a pending request only its requester sees", async () => {
    const owner = await db.onboard();
    const manager = await db.asUser(owner.tenantId, "manager");
    expect(await sqlState(() => manager.query("select app_public.change_plan('growth')"))).toBe("DNIED");
    expect(await sqlState(() => manager.query("select app_public.request_billing_portal()"))).toBe("DNIED");
    expect(await sqlState(() => db.asAnonymous().query("select app_public.request_billing_portal()"))).toBe("LOGIN");
    expect(await sqlState(() => owner.query("select app_public.change_plan('gold')"))).toBe("BADPL");
    expect(await sqlState(() => owner.query("select app_public.change_plan('starter')"))).toBe("BADPL");
    const { rows } = await owner.query("select * from app_public.change_plan('growth')");
    expect(rows[0]).toMatchObject({ kind: "change_plan", plan_key: "growth", status: "pending", url: null, requested_by: owner.userId });
    const jobs = await db.owner.query(
      `select t.identifier, j.payload from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
       where j.payload->>'requestId' = $1`,
      [rows[0].id],
    );
    expect(jobs.rows).toEqual([{ identifier: "stripe_change_plan", payload: { tenantId: owner.tenantId, requestId: rows[0].id } }]);
    expect((await manager.query("select count(*)::int as n from app_public.billing_requests")).rows[0].n).toBe(0);
    expect((await owner.query("select count(*)::int as n from app_public.billing_requests")).rows[0].n).toBe(1);
    expect(await sqlState(() => owner.query("insert into app_public.billing_requests (kind) values ('portal')"))).toBe("42501");
  });

  it("refuse to reactivate once the 30-day grace period is over", async () => {
    const owner = await db.onboard();
    await db.owner.query(
      "update app_public.billing_subscriptions set status = 'canceled', canceled_at = now() - interval '31 days', grace_ends_at = now() - interval '1 day' where tenant_id = $1",
      [owner.tenantId],
    );
    expect(await sqlState(() => owner.query("select app_public.change_plan('starter')"))).toBe("GRACE");
  });
});
