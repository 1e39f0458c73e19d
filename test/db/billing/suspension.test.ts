// Suspension in SQL: every tenant-owned table the API reaches refuses a suspended tenant with
// TSUSP, except identity and billing state; the rule is checked on the catalog so that a new
// table cannot forget it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { roles } from "../../../db/config.ts";
import { createTestDatabase, sqlState, type TestDatabase } from "../../helpers/db.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

const EXEMPT = [
  "app_public.memberships", "app_public.roles",
  "app_public.billing_subscriptions", "app_public.billing_invoices", "app_public.billing_notices", "app_public.billing_requests",
  "app_public.tenant_suspensions", "app_public.audit_entries",
];

async function suspend(tenantId: string, reason = "nonpayment") {
  await db.owner.query("select app_private.suspend_tenant_for_billing($1, $2)", [tenantId, reason]);
}

describe("suspension", () => {
  it("every tenant-owned table of app_public and reporting has the active_tenant policies, except identity and billing state", async () => {
    const { rows } = await db.owner.query(
      `select n.nspname || '.' || c.relname as name,
              array(select p.polname::text from pg_policy p
                    where p.polrelid = c.oid and p.polname like 'active_tenant_%' and not p.polpermissive order by 1) as policies
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname in ('app_public', 'reporting') and c.relkind in ('r', 'p')
         and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped)`,
    );
    const all = ["active_tenant_delete", "active_tenant_insert", "active_tenant_only", "active_tenant_update"];
    const missing = rows.filter((r) => !EXEMPT.includes(r.name) && r.policies.join() !== all.join()).map((r) => r.name);
    expect(missing, "call app_private.enforce_active_tenant('<table>') after creating a tenant-owned table").toEqual([]);
    expect(rows.filter((r) => EXEMPT.includes(r.name) && r.policies.length)).toEqual([]);
    expect(rows.map((r) => r.name)).toContain("app_public.devices");
  });

  it("writes made by security definer functions for a suspended tenant's session fail too; the worker's do not", async () => {
    const owner = await db.onboard();
    await db.owner.query(
      `create function app_public.test_definer_add_location(name text) returns void
       language sql volatile security definer set search_path to pg_catalog, public, pg_temp
       as $$ insert into app_public.locations (tenant_id, name, timezone) values (app_hidden.current_tenant_id(), name, 'UTC') $$`,
    );
    try {
      await db.owner.query(`grant execute on function app_public.test_definer_add_location(text) to "${roles.visitor}"`);
      await suspend(owner.tenantId);
      expect(await sqlState(() => owner.query("select app_public.test_definer_add_location('Definer')"))).toBe("TSUSP");
      // Without a session (the worker, migrations) the owner role is not held back.
      await db.owner.query("update app_public.locations set name = 'Renamed by the worker' where tenant_id = $1", [owner.tenantId]);
      // Creating another business from a suspended one is allowed (it writes the new tenant's rows).
      const { rows } = await owner.query("select (app_public.create_business('Fresh Start', 'UTC')).id");
      expect((await owner.query("select count(*)::int as n from app_public.locations")).rows[0].n).toBe(1);
      expect(rows[0].id).not.toBe(owner.tenantId);
    } finally {
      await db.owner.query("drop function app_public.test_definer_add_location(text)");
    }
  });

  it("a suspended tenant's users keep their session but get TSUSP reading or writing its data", async () => {
    const owner = await db.onboard();
    await owner.query("insert into app_public.devices (location_id, name) select id, 'Till' from app_public.locations");
    await suspend(owner.tenantId);
    expect(await sqlState(() => owner.query("select * from app_public.locations"))).toBe("TSUSP");
    expect(await sqlState(() => owner.query("select * from app_public.devices"))).toBe("TSUSP");
    expect(await sqlState(() => owner.query("insert into app_public.locations (name, timezone) values ('New', 'UTC')"))).toBe("TSUSP");
    expect(await sqlState(() => owner.query("update app_public.tenants set name = 'Renamed'"))).toBe("TSUSP");
    expect(await sqlState(() => owner.query("delete from app_public.devices"))).toBe("TSUSP");
    // The audit trail stays readable: it is the story of what happened, not the business's work.
    expect((await owner.query("select count(*)::int as n from app_public.audit_entries where entity = 'tenants'")).rows[0].n).toBeGreaterThan(0);
    try {
      await owner.query("select 1 from app_public.locations");
    } catch (e) {
      expect((e as Error).message).toBe(
        "Your account has been suspended. Open Settings → Billing to update your payment details or choose a plan, and it will be reactivated.",
      );
    }

    // Still allowed: identity and billing state, the billing operations, signing out.
    expect((await owner.query("select status, suspension_reason from app_public.tenants")).rows).toEqual([{ status: "suspended", suspension_reason: "nonpayment" }]);
    expect((await owner.query("select status from app_public.current_billing_subscription()")).rows).toEqual([{ status: "trialing" }]);
    expect((await owner.query("select app_public.current_user() is not null as ok")).rows[0].ok).toBe(true);
    expect((await owner.query("select count(*)::int as n from app_public.memberships")).rows[0].n).toBe(1);
    expect((await owner.query("select count(*)::int as n from app_public.billing_invoices")).rows[0].n).toBe(0);
    expect((await owner.query("select (app_public.request_billing_portal()).status")).rows[0].status).toBe("pending");
    expect((await owner.query("select (app_public.change_plan('growth')).status")).rows[0].status).toBe("pending");
    expect((await owner.query("select locations_used, devices_used, seats_used from app_public.current_billing_subscription() s, lateral (select app_public.billing_subscriptions_locations_used(s) as locations_used, app_public.billing_subscriptions_devices_used(s) as devices_used, app_public.billing_subscriptions_seats_used(s) as seats_used) u")).rows)
      .toEqual([{ locations_used: 1, devices_used: 1, seats_used: 1 }]);
    await owner.query("select app_hidden.logout()");
  });

  it("does not touch other tenants, even of the same user; reactivation lifts it", async () => {
    const a = await db.onboard();
    const b = await db.onboard();
    await suspend(a.tenantId, "canceled");
    expect((await b.query("select count(*)::int as n from app_public.locations")).rows[0].n).toBe(1);
    // A user of both works normally in the active one.
    await db.owner.query(
      "insert into app_public.memberships (tenant_id, user_id, role_id) select $1, $2, id from app_public.roles where tenant_id = $1 and key = 'manager'",
      [b.tenantId, a.userId],
    );
    await a.query("select app_public.switch_tenant($1)", [b.tenantId]);
    expect((await a.query("select count(*)::int as n from app_public.locations")).rows[0].n).toBe(1);
    await a.query("select app_public.switch_tenant($1)", [a.tenantId]);
    expect(await sqlState(() => a.query("select * from app_public.locations"))).toBe("TSUSP");

    await db.owner.query("select app_private.reactivate_tenant_for_billing($1)", [a.tenantId]);
    expect((await a.query("select count(*)::int as n from app_public.locations")).rows[0].n).toBe(1);
    const audit = await db.owner.query(
      "select changes from app_public.audit_entries where tenant_id = $1 and entity = 'tenants' and action = 'update' order by created_at, id",
      [a.tenantId],
    );
    expect(audit.rows.map((r) => r.changes.status)).toEqual([
      { old: "active", new: "suspended" },
      { old: "suspended", new: "active" },
    ]);
  });

  it("a cancellation replaces a non-payment suspension, not the reverse; other suspensions are not lifted by billing", async () => {
    const t = await db.onboard();
    await suspend(t.tenantId, "nonpayment");
    await suspend(t.tenantId, "canceled");
    await suspend(t.tenantId, "nonpayment");
    const reason = async () => (await db.owner.query("select status, suspension_reason from app_public.tenants where id = $1", [t.tenantId])).rows[0];
    expect(await reason()).toEqual({ status: "suspended", suspension_reason: "canceled" });
    // The platform's suspensions (fraud, manual, technical) replace billing's; billing does not lift them.
    await db.owner.query("select app_private.suspend_tenant($1, 'manual', 'Chargebacks under review.', null)", [t.tenantId]);
    await db.owner.query("select app_private.reactivate_tenant_for_billing($1)", [t.tenantId]);
    expect(await reason()).toEqual({ status: "suspended", suspension_reason: "manual" });
  });

  it("keeps every suspension and its end, with type, reason and actor; members with settings.view read it, even while suspended", async () => {
    const t = await db.onboard();
    const cashier = await db.asUser(t.tenantId, "cashier");
    await suspend(t.tenantId, "nonpayment");
    await db.owner.query("select app_private.reactivate_tenant_for_billing($1)", [t.tenantId]);
    await db.owner.query("select app_private.suspend_tenant($1, 'fraud', 'Stolen cards used at the till.', $2)", [t.tenantId, t.userId]);
    // A platform suspension needs a reason.
    expect(await sqlState(() => db.owner.query("select app_private.suspend_tenant($1, 'manual', '  ', null)", [t.tenantId]))).toBe("BADIN");
    expect(await sqlState(() => db.owner.query("select app_private.reactivate_tenant($1, array['fraud'], '', null)", [t.tenantId]))).toBe("BADIN");
    await db.owner.query("select app_private.reactivate_tenant($1, array['fraud'], 'Cleared by the bank.', null)", [t.tenantId]);
    const history = await t.query("select type, reason, suspended_by, end_reason from app_public.tenant_suspensions order by suspended_at, id");
    expect(history.rows).toEqual([
      { type: "nonpayment", reason: "Payment failed.", suspended_by: null, end_reason: "Billing is in order again." },
      { type: "fraud", reason: "Stolen cards used at the till.", suspended_by: t.userId, end_reason: "Cleared by the bank." },
    ]);
    expect((await cashier.query("select count(*)::int as n from app_public.tenant_suspensions")).rows[0].n).toBe(0);
    await suspend(t.tenantId, "nonpayment");
    expect((await t.query("select count(*)::int as n from app_public.tenant_suspensions")).rows[0].n).toBe(3);
  });

  it("a business past due for more than 14 days is suspended by the daily sweep, even when Stripe sends nothing more", async () => {
    const t = await db.onboard();
    await db.owner.query("update app_public.billing_subscriptions set status = 'past_due' where tenant_id = $1", [t.tenantId]);
    expect(await db.owner.query("select app_private.suspend_overdue_tenants()").then((r) => r.rows[0].suspend_overdue_tenants)).toBe(0);
    // (past_due_since is kept by its trigger: step around it to age it.)
    await db.owner.query(
      `begin; alter table app_public.billing_subscriptions disable trigger _050_past_due_since;
       update app_public.billing_subscriptions set past_due_since = now() - interval '15 days' where tenant_id = '${t.tenantId}';
       alter table app_public.billing_subscriptions enable trigger _050_past_due_since; commit;`,
    );
    expect(await db.owner.query("select app_private.suspend_overdue_tenants()").then((r) => r.rows[0].suspend_overdue_tenants)).toBe(1);
    const row = await db.owner.query("select t.status, t.suspension_reason, s.reason from app_public.tenants t join app_public.tenant_suspensions s on s.tenant_id = t.id and s.ended_at is null where t.id = $1", [t.tenantId]);
    expect(row.rows[0]).toEqual({ status: "suspended", suspension_reason: "nonpayment", reason: "The subscription has been past due for more than 14 days." });
    // Paying it clears the date.
    await db.owner.query("update app_public.billing_subscriptions set status = 'active' where tenant_id = $1", [t.tenantId]);
    expect((await db.owner.query("select past_due_since from app_public.billing_subscriptions where tenant_id = $1", [t.tenantId])).rows[0].past_due_since).toBeNull();
  });
});
