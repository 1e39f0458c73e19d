// Billing over GraphQL, as the admin uses it: the billing state, the portal request it polls, plan
// changes, and what a suspended business can and cannot do (TSUSP).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PASSWORD } from "../../helpers/db.ts";
import type { HttpClient } from "../../helpers/server.ts";
import { billingState, startBillingHarness, type BillingHarness } from "../../worker/billing/harness.ts";

let h: BillingHarness;
beforeAll(async () => {
  h = await startBillingHarness();
});
afterAll(() => h?.close());

async function signedIn(email: string): Promise<HttpClient> {
  const client = h.server.client();
  expect((await client.login(email, PASSWORD)).status).toBe(200);
  return client;
}

const BILLING = `{
  currentTenant { status suspensionReason }
  currentBillingSubscription {
    planKey status trialEndsAt currentPeriodStart currentPeriodEnd cancelAtPeriodEnd canceledAt graceEndsAt
    seatsUsed locationsUsed devicesUsed
    plan { key name priceCents currency billingInterval maxSeats maxLocations maxDevices modules }
  }
  plans { nodes { key name priceCents maxLocations } }
  billingInvoices { nodes { number status amountDue amountPaid hostedInvoiceUrl periodStart periodEnd } }
}`;

async function pollRequest(client: HttpClient, id: string) {
  for (let i = 0; i < 20; i++) {
    await h.settle();
    const res = await client.graphql(`query($id: ID!) { billingRequestById(id: $id) { status url errorMessage kind planKey } }`, { id });
    const r = res.data?.billingRequestById;
    if (r && r.status !== "pending") return r;
  }
  throw new Error("the billing request stayed pending");
}

function codes(res: { errors?: { extensions?: { code?: string } }[] }) {
  return (res.errors ?? []).map((e) => e.extensions?.code);
}

describe("billing over GraphQL", () => {
  it("7. shows the plan, status, trial, period, usage against limits and invoices", async () => {
    const owner = await h.onboard({ company: "Graph Shop" });
    const client = await signedIn(owner.email);
    expect((await client.graphql(`mutation { createDevice(input: {device: {locationId: "${(await owner.query("select id from app_public.locations")).rows[0].id}", name: "Register 1"}}) { device { name location { name } } } }`)).data)
      .toEqual({ createDevice: { device: { name: "Register 1", location: { name: "Main store" } } } });
    const res = await client.graphql(BILLING);
    expect(res.errors).toBeUndefined();
    const s = await billingState(h.db, owner.tenantId);
    expect(res.data.currentTenant).toEqual({ status: "active", suspensionReason: null });
    expect(res.data.currentBillingSubscription).toEqual({
      planKey: "starter",
      status: "trialing",
      trialEndsAt: expect.any(String),
      currentPeriodStart: expect.any(String),
      currentPeriodEnd: expect.any(String),
      cancelAtPeriodEnd: false,
      canceledAt: null,
      graceEndsAt: null,
      seatsUsed: 1,
      locationsUsed: 1,
      devicesUsed: 1,
      plan: {
        key: "starter", name: "Starter", priceCents: 7900, currency: "usd", billingInterval: "month",
        maxSeats: 5, maxLocations: 2, maxDevices: 3,
        modules: ["platform_core", "catalog", "pos_retail", "payments", "customers", "reporting"],
      },
    });
    expect(new Date(res.data.currentBillingSubscription.trialEndsAt).getTime()).toBe(s.trial_ends_at.getTime());
    expect(res.data.plans.nodes.map((p: any) => [p.key, p.priceCents, p.maxLocations]).sort()).toEqual([["growth", 14900, 10], ["starter", 7900, 2]]);
    expect(res.data.billingInvoices.nodes).toEqual([
      expect.objectContaining({ status: "paid", amountDue: 0, amountPaid: 0, hostedInvoiceUrl: expect.stringMatching(/\/i\/in_/) }),
    ]);
  });

  it("shows plans to anyone, billing state only to those with settings.view", async () => {
    const owner = await h.onboard();
    const anonymous = await h.server.client().graphql("{ plans { nodes { key } } currentBillingSubscription { status } }");
    expect(anonymous.data.plans.nodes).toHaveLength(2);
    expect(anonymous.data.currentBillingSubscription).toBeNull();
    const cashier = await h.db.asUser(owner.tenantId, "cashier");
    const res = await (await signedIn(cashier.email)).graphql("{ currentBillingSubscription { status } billingInvoices { nodes { status } } }");
    expect(res.data).toEqual({ currentBillingSubscription: null, billingInvoices: { nodes: [] } });
  });

  it("8. a portal request returns a URL to the billing portal", async () => {
    const owner = await h.onboard();
    const client = await signedIn(owner.email);
    const res = await client.graphql("mutation { requestBillingPortal(input: {}) { billingRequest { id kind status url } } }");
    expect(res.errors).toBeUndefined();
    const request = res.data.requestBillingPortal.billingRequest;
    expect(request).toMatchObject({ kind: "portal", status: "pending", url: null });
    const done = await pollRequest(client, request.id);
    expect(done).toMatchObject({ status: "done", errorMessage: null });
    expect(done.url).toMatch(new RegExp(`^${h.stripeLocal.url}/p/session/bps_`));
    const page = await fetch(done.url);
    expect(page.status).toBe(200);
    // Only the person who asked sees the request (the URL opens the business's billing).
    const manager = await h.db.asUser(owner.tenantId, "manager");
    const other = await (await signedIn(manager.email)).graphql(`query($id: ID!) { billingRequestById(id: $id) { url } }`, { id: request.id });
    expect(other.data.billingRequestById).toBeNull();
    const denied = await (await signedIn(manager.email)).graphql("mutation { requestBillingPortal(input: {}) { billingRequest { id } } }");
    expect(codes(denied)).toEqual(["DNIED"]);
  });

  it("a downgrade over the target plan's limits is refused with the reason", async () => {
    const owner = await h.onboard();
    await h.db.owner.query("update app_public.billing_subscriptions set plan_key = 'growth' where tenant_id = $1", [owner.tenantId]);
    for (const name of ["Second", "Third"]) await owner.query("insert into app_public.locations (name, timezone) values ($1, 'UTC')", [name]);
    const client = await signedIn(owner.email);
    const res = await client.graphql(`mutation { changePlan(input: {planKey: "starter"}) { billingRequest { id } } }`);
    expect(res.errors?.[0]).toMatchObject({
      message: "You cannot move to the Starter plan: you have 3 locations (it allows 2; remove 1).",
      extensions: { code: "DOWNG" },
    });
    expect((await h.db.owner.query("select count(*)::int as n from app_public.billing_requests where tenant_id = $1", [owner.tenantId])).rows[0].n).toBe(0);
  });

  it("9. a suspended business gets TSUSP on everything but billing, plan changes and signing out", async () => {
    const owner = await h.onboard({ company: "Suspended Shop" });
    const other = await h.db.onboard({ company: "Healthy Shop" });
    await h.db.owner.query(
      "insert into app_public.memberships (tenant_id, user_id, role_id) select $1, $2, id from app_public.roles where tenant_id = $1 and key = 'manager'",
      [other.tenantId, owner.userId],
    );
    await owner.query("insert into app_public.devices (location_id, name) select id, 'Till' from app_public.locations");
    await h.stripe.subscriptions.cancel(owner.subscriptionId);
    await h.settle();
    const client = await signedIn(owner.email);
    expect((await client.graphql("{ currentTenant { name } }")).data.currentTenant.name).toBe("Suspended Shop");

    // Refused with TSUSP (403 on plain HTTP routes).
    const locations = await client.graphql("{ locations { nodes { name } } }");
    expect(codes(locations)).toEqual(["TSUSP"]);
    expect(locations.errors![0].message).toMatch(/^Your account has been suspended/);
    expect(codes(await client.graphql(`mutation { createLocation(input: {location: {name: "New", timezone: "UTC"}}) { location { name } } }`))).toEqual(["TSUSP"]);
    expect(codes(await client.graphql(`mutation { updateTenant(input: {rowId: "${owner.tenantId}", patch: {name: "Renamed"}}) { tenant { name } } }`))).toEqual(["TSUSP"]);
    expect(codes(await client.graphql("{ devices { nodes { name } } }"))).toEqual(["TSUSP"]);

    // Still allowed: reading billing state and the story of the suspension (its history, the
    // audit trail), the portal, changing plan, switching business, signing out.
    expect(codes(await client.graphql("{ auditEntries { nodes { entity } } }"))).toEqual([]);
    const history = await client.graphql("{ tenantSuspensions { nodes { type reason endedAt } } }");
    expect(history.data.tenantSuspensions.nodes).toEqual([{ type: "canceled", reason: "The subscription ended.", endedAt: null }]);
    const billing = await client.graphql(BILLING);
    expect(billing.errors).toBeUndefined();
    expect(billing.data.currentTenant).toEqual({ status: "suspended", suspensionReason: "canceled" });
    expect(billing.data.currentBillingSubscription).toMatchObject({ status: "canceled", graceEndsAt: expect.any(String) });
    expect((await client.graphql("{ currentUser { email } currentPermissions memberships { nodes { role { key } } } }")).errors).toBeUndefined();
    const portal = await client.graphql("mutation { requestBillingPortal(input: {}) { billingRequest { id } } }");
    expect(portal.errors).toBeUndefined();
    expect((await pollRequest(client, portal.data.requestBillingPortal.billingRequest.id)).status).toBe("done");
    const change = await client.graphql(`mutation { changePlan(input: {planKey: "starter"}) { billingRequest { id status } } }`);
    expect(change.errors).toBeUndefined();
    const switched = await client.graphql(`mutation { switchTenant(input: {tenantId: "${other.tenantId}"}) { clientMutationId } }`);
    expect(switched.errors).toBeUndefined();
    expect((await client.graphql("{ locations { nodes { name } } }")).data.locations.nodes).toEqual([{ name: "Main store" }]);
    expect((await client.postJson("/auth/logout", {})).status).toBe(200);

    // The plan change reactivates the business.
    const back = await signedIn(owner.email);
    await back.graphql(`mutation { switchTenant(input: {tenantId: "${owner.tenantId}"}) { clientMutationId } }`);
    expect(await pollRequest(back, change.data.changePlan.billingRequest.id)).toMatchObject({ status: "done" });
    expect(await billingState(h.db, owner.tenantId)).toMatchObject({ tenant_status: "active", status: "active" });
    expect((await back.graphql("{ locations { nodes { name } } }")).data.locations.nodes).toEqual([{ name: "Main store" }]);
  });

  it("changePlan refuses an unknown plan and the plan already held", async () => {
    const owner = await h.onboard();
    const client = await signedIn(owner.email);
    const unknown = await client.graphql(`mutation { changePlan(input: {planKey: "platinum"}) { billingRequest { id } } }`);
    expect(unknown.errors?.[0]).toMatchObject({ message: 'There is no plan named "platinum".', extensions: { code: "BADPL" } });
    const same = await client.graphql(`mutation { changePlan(input: {planKey: "starter"}) { billingRequest { id } } }`);
    expect(same.errors?.[0]).toMatchObject({ message: "You are already on the Starter plan.", extensions: { code: "BADPL" } });
  });
});
