// Billing in the browser (issue 6, test 10): the billing page shows the plan, status, trial and
// usage; "Manage billing" waits for the worker and lands on the (local) Stripe portal; plan
// changes go through a confirmation, and a downgrade the business has outgrown is refused in
// words; a suspended business sees the suspended screen instead of its data, can still reach
// billing, switch business and sign out, and is reactivated by choosing a plan after a
// cancellation.
//
// Behind the app: the local Stripe server, sending signed webhooks to the app, and
// graphile-worker running the real tasks (pointed at that server) for the whole file, so jobs
// run while the page polls, as in production.
import { Logger } from "graphile-worker";
import type { Page } from "playwright-core";
import type Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStripeLocal, type StripeLocalServer } from "../../stripe-local/server.ts";
import { localStripeClient, type StripeSettings } from "../../worker/stripe.ts";
import { makeTaskList } from "../../worker/tasks/index.ts";
import type { Member } from "../helpers/db.ts";
import { startTestWorker, type TestWorker } from "../helpers/worker.ts";
import { useE2E } from "./helpers/e2e.ts";
import { currentBusiness, signIn } from "./helpers/ui.ts";

const e2e = useE2E({ stripeTestClock: true });
const WEBHOOK_SECRET = "whsec_backoffice_e2e_billing";
const SHOTS = process.env.E2E_SCREENSHOTS ?? "/tmp";

let stripeLocal: StripeLocalServer;
let stripe: Stripe;
let worker: TestWorker;

beforeAll(async () => {
  // The app's webhook route reads the secret on each request.
  process.env.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET;
  stripeLocal = await startStripeLocal({
    clock: { frozen: true },
    webhookUrl: `${e2e.app.baseUrl}/webhooks/stripe`,
    webhookSecret: WEBHOOK_SECRET,
  });
  stripe = localStripeClient(stripeLocal.url, { maxNetworkRetries: 0 });
  const settings: StripeSettings = {
    client: localStripeClient(stripeLocal.url, { maxNetworkRetries: 0 }),
    local: true,
    portalReturnUrl: `${e2e.app.baseUrl}/settings/billing`,
    createMissingPrices: true,
    priceIds: {},
  };
  const quiet = !process.env.DEBUG_WORKER;
  worker = await startTestWorker(e2e.app.db, {
    taskList: makeTaskList({ stripe: () => settings }),
    concurrency: 2,
    pollInterval: 200,
    noHandleSignals: true,
    logger: new Logger(() => (level, message) => {
      if (!quiet) console.log(`[worker ${level}] ${message}`);
    }),
  });
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await stripeLocal?.close();
});

/** Polls the database (as the owner role) until `check` holds. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A new business whose onboarding jobs have run: Stripe customer, trial subscription, $0 invoice. */
async function onboardBusiness(company: string): Promise<Member & { customerId: string; subscriptionId: string }> {
  const owner = await e2e.app.db.onboard({ company });
  let ids = { customerId: "", subscriptionId: "" };
  await until(`the trial subscription of ${company}`, async () => {
    const { rows } = await e2e.app.db.owner.query(
      `select s.stripe_customer_id, s.stripe_subscription_id, s.status,
              (select count(*)::int from app_public.billing_invoices i where i.tenant_id = s.tenant_id) as invoices
       from app_public.billing_subscriptions s where s.tenant_id = $1`,
      [owner.tenantId],
    );
    const r = rows[0];
    ids = { customerId: r?.stripe_customer_id ?? "", subscriptionId: r?.stripe_subscription_id ?? "" };
    return Boolean(ids.subscriptionId) && r.status === "trialing" && r.invoices > 0;
  });
  // Then the rest of onboarding's Stripe traffic: every webhook delivered and applied. Else a late
  // one (the $0 trial invoice paid) could land after a test has set up a failed payment, and set
  // the subscription back to active under it (seen on a loaded machine: "Active", not "Past due").
  await stripeLocal.control.webhooksIdle();
  await until(`the Stripe events of ${company} applied`, async () => {
    const { rows } = await e2e.app.db.owner.query("select count(*)::int as n from app_private.stripe_events where status = 'pending'");
    return rows[0].n === 0;
  });
  return { ...owner, ...ids };
}

async function tenantStatus(tenantId: string): Promise<{ status: string; suspension_reason: string | null }> {
  const { rows } = await e2e.app.db.owner.query("select status, suspension_reason from app_public.tenants where id = $1", [tenantId]);
  return rows[0];
}

async function signedIn(owner: Member, path = "/"): Promise<Page> {
  const page = await e2e.page();
  await page.goto("/login");
  await signIn(page, owner.email, owner.password);
  await currentBusiness(page).waitFor();
  if (path !== "/") await page.goto(path);
  return page;
}

const text = async (page: Page, testId: string) => (await page.getByTestId(testId).first().textContent())?.trim();
const usage = (page: Page, label: string) => page.getByRole("group", { name: label }).getByTestId(/^usage-.*-count$/);
const suspendedHeading = (page: Page) => page.getByRole("heading", { name: "Your account has been suspended" });

describe("billing page", () => {
  it("shows the plan, status, trial end, usage and invoices; Manage billing opens Stripe's portal", async () => {
    const owner = await onboardBusiness("Billing Bakery");
    // What customer.subscription.trial_will_end leaves for the owner.
    await e2e.app.db.owner.query(
      "select app_private.add_billing_notice($1, 'trial_will_end', 'Your free trial ends on 6 December. Add a card in the billing portal to keep your plan.', 'evt_e2e_trial')",
      [owner.tenantId],
    );
    const page = await signedIn(owner);

    // Settings has a summary that leads to the billing page.
    await page.getByRole("link", { name: "Settings" }).click();
    await page.getByTestId("billing-summary-plan").filter({ hasText: "Starter · $79.00 / month" }).waitFor();
    await page.getByText("1 of 5 seats · 1 of 2 locations · 0 of 3 POS devices").waitFor();
    await page.getByRole("link", { name: "View billing" }).click();
    await page.waitForURL(`${e2e.app.baseUrl}/settings/billing`);

    await page.getByRole("heading", { name: "Billing", level: 1 }).waitFor();
    expect(await text(page, "billing-plan-name")).toBe("Starter");
    expect(await text(page, "billing-plan-price")).toBe("$79.00 / month");
    expect(await text(page, "billing-status")).toBe("Trialing");
    expect(await text(page, "billing-trial-ends")).toBe("Trial ends in 14 days");
    expect(await usage(page, "Seats").textContent()).toBe("1 / 5");
    expect(await usage(page, "Locations").textContent()).toBe("1 / 2");
    expect(await usage(page, "POS devices").textContent()).toBe("0 / 3");
    const modules = page.getByRole("list", { name: "Included modules" });
    expect(await modules.getByRole("listitem").allTextContents()).toEqual([
      "Platform",
      "Catalog",
      "Point of sale",
      "Payments",
      "Customers",
      "Reporting",
    ]);
    // The trial's $0 invoice, paid, with a link to Stripe's page for it.
    const invoices = page.getByRole("table", { name: "Invoices" });
    const row = invoices.getByRole("row").filter({ has: page.getByRole("link", { name: "View invoice" }) });
    await row.waitFor();
    expect(await row.getByRole("cell").nth(2).textContent()).toBe("$0.00");
    expect(await row.getByRole("cell").nth(4).textContent()).toBe("Paid");
    expect(await row.getByRole("link", { name: "View invoice" }).getAttribute("href")).toMatch(new RegExp(`^${stripeLocal.url}/i/in_`));
    // Growth is one step up.
    await page.getByRole("group", { name: "Growth plan" }).getByRole("button", { name: "Upgrade to Growth" }).waitFor();
    await page.screenshot({ path: `${SHOTS}/billing-page.png`, fullPage: true });

    // The notice can be dismissed, and stays dismissed.
    const notice = page.getByRole("alert").filter({ hasText: "Your trial is ending" });
    await notice.getByText("Your free trial ends on 6 December.").waitFor();
    await notice.getByRole("button", { name: "Dismiss" }).click();
    await notice.waitFor({ state: "hidden" });

    // Manage billing: the worker opens a portal session while the page waits, then we are there.
    await page.getByRole("button", { name: "Manage billing" }).click();
    await page.waitForURL((url) => url.href.startsWith(`${stripeLocal.url}/p/session/bps_`), { timeout: 30_000 });
    await page.getByRole("heading", { name: "Billing", level: 1 }).waitFor();
    await page.getByText("Billing Bakery").waitFor();
    // …and the portal sends the person back to the billing page.
    await page.locator("#return").click();
    await page.waitForURL(`${e2e.app.baseUrl}/settings/billing`);
    await page.getByTestId("billing-plan-name").waitFor();
  }, 90_000);

  it("upgrades to Growth after a confirmation, and refuses a downgrade the business has outgrown, saying why", async () => {
    const owner = await onboardBusiness("Growing Grocer");
    const page = await signedIn(owner, "/settings/billing");

    await page.getByRole("group", { name: "Growth plan" }).getByRole("button", { name: "Upgrade to Growth" }).click();
    const upgrade = page.getByRole("dialog", { name: "Upgrade to Growth" });
    const prices = upgrade.getByTestId("price-change");
    await prices.getByText("$79.00 / month").waitFor();
    await prices.getByText("$149.00 / month").waitFor();
    await prices.getByText("+$70.00 a month").waitFor();
    await upgrade.getByText(/free trial until .*: nothing is charged now/).waitFor();
    await upgrade.getByLabel("Reason (optional)").fill("A second shop opens in May");
    await upgrade.getByRole("button", { name: "Upgrade to Growth" }).click();
    await upgrade.waitFor({ state: "hidden", timeout: 30_000 });
    // Our plan follows once Stripe's customer.subscription.updated has been applied.
    await page.getByText("You are now on the Growth plan.").waitFor({ timeout: 30_000 });
    expect(await text(page, "billing-plan-name")).toBe("Growth");
    expect(await text(page, "billing-plan-price")).toBe("$149.00 / month");
    expect(await usage(page, "Locations").textContent()).toBe("1 / 10");

    // One location fits Starter: nothing said against moving back to it.
    const starter = page.getByRole("group", { name: "Starter plan" });
    await starter.getByRole("button", { name: "Downgrade to Starter" }).waitFor();
    expect(await starter.getByText("You cannot move").count()).toBe(0);

    // Two more shops: three locations, one more than Starter allows. The server says so ahead of
    // asking, on the plan and in the dialog, in the words it refuses the move with (DOWNG).
    for (const name of ["Riverside", "Old Town"]) {
      await owner.query("insert into app_public.locations (name, timezone) values ($1, 'Europe/Paris')", [name]);
    }
    const refused = "You cannot move to the Starter plan: you have 3 locations (it allows 2; remove 1).";
    await page.reload();
    await usage(page, "Locations").filter({ hasText: "3 / 10" }).waitFor();
    await starter.getByText(refused, { exact: true }).waitFor();
    await starter.getByRole("button", { name: "Downgrade to Starter" }).click();
    const downgrade = page.getByRole("dialog", { name: "Downgrade to Starter" });
    await downgrade.getByTestId("price-change").getByText("−$70.00 a month").waitFor();
    expect(await downgrade.getByRole("alert").allTextContents()).toEqual([refused]);
    // Asked anyway: the server refuses with the same words, and trying again is pointless.
    const confirm = downgrade.getByRole("button", { name: "Downgrade to Starter" });
    await confirm.click();
    // Disabled without its spinner: refused (while asking, it is disabled and spinning).
    const refusedNow = async () => (await confirm.isDisabled()) && (await downgrade.getByRole("progressbar").count()) === 0;
    await expect.poll(refusedNow, { timeout: 15_000 }).toBe(true);
    expect(await downgrade.getByRole("alert").allTextContents()).toEqual([refused]);
    await page.screenshot({ path: `${SHOTS}/billing-downgrade-refused.png` });
    await downgrade.getByRole("button", { name: "Cancel" }).click();
    await downgrade.waitFor({ state: "hidden" });
    expect(await text(page, "billing-plan-name")).toBe("Growth");
    const { rows } = await e2e.app.db.owner.query("select plan_key from app_public.billing_subscriptions where tenant_id = $1", [owner.tenantId]);
    expect(rows[0].plan_key).toBe("growth");

    // The upgrade's reason is in the audit log, with the request that asked Stripe for it.
    await page.goto("/settings/audit?command=change_plan");
    const audit = page.getByRole("table", { name: "Audit log" }).getByTestId("audit-row");
    await audit.filter({ hasText: "Billing request added" }).filter({ hasText: "Olive Owner" }).getByText("A second shop opens in May").waitFor();
  }, 90_000);
});

describe("suspended business", () => {
  it("shows the suspended screen instead of data, keeps billing, the portal and the business switcher", async () => {
    const owner = await onboardBusiness("Lapsed Launderette");
    await owner.query("select app_public.create_customer(first_name => 'Zed', last_name => 'Unseen')");
    const healthy = await e2e.app.db.onboard({ company: "Healthy Hardware" });
    await e2e.app.db.owner.query(
      "insert into app_public.memberships (tenant_id, user_id, role_id) select $1, $2, id from app_public.roles where tenant_id = $1 and key = 'manager'",
      [healthy.tenantId, owner.userId],
    );
    // Payments failed for good: what applying the final invoice.payment_failed does.
    await e2e.app.db.owner.query("update app_public.billing_subscriptions set status = 'past_due' where tenant_id = $1", [owner.tenantId]);
    await e2e.app.db.owner.query("select app_private.suspend_tenant_for_billing($1, 'nonpayment')", [owner.tenantId]);

    const page = await signedIn(owner);
    await suspendedHeading(page).waitFor();
    await page.getByTestId("suspension-reason").getByText(/We could not collect the payment for your subscription/).waitFor();
    await page.getByRole("button", { name: "Manage billing" }).waitFor();
    expect(await page.getByRole("navigation", { name: "Main" }).count()).toBe(0);
    await page.screenshot({ path: `${SHOTS}/billing-suspended.png`, fullPage: true });

    // Customers (typed in the address bar) shows the same screen, not the customers.
    await page.goto("/customers");
    await suspendedHeading(page).waitFor();
    expect(await page.getByText("Zed Unseen").count()).toBe(0);
    expect(await page.getByRole("heading", { name: "Customers" }).count()).toBe(0);

    // Billing stays reachable.
    await page.getByRole("link", { name: "See the plan, usage and invoices" }).click();
    await page.waitForURL(`${e2e.app.baseUrl}/settings/billing`);
    await page.getByRole("heading", { name: "Billing", level: 1 }).waitFor();
    expect(await text(page, "billing-status")).toBe("Past due");
    await page.getByText("Your account has been suspended. We could not collect the payment").waitFor();
    await page.screenshot({ path: `${SHOTS}/billing-page-suspended.png`, fullPage: true });

    // The portal opens while suspended.
    await page.getByRole("button", { name: "Manage billing" }).click();
    await page.waitForURL((url) => url.href.startsWith(`${stripeLocal.url}/p/session/`), { timeout: 30_000 });
    await page.getByText("Lapsed Launderette").waitFor();

    // The top bar still works: another business is not affected.
    await page.goto("/");
    await suspendedHeading(page).waitFor();
    await page.getByRole("button", { name: "Switch business" }).click();
    await page.getByRole("menuitem", { name: /Healthy Hardware/ }).click();
    await currentBusiness(page).filter({ hasText: "Healthy Hardware" }).waitFor();
    await page.getByRole("link", { name: "Customers" }).waitFor();
    expect(await suspendedHeading(page).count()).toBe(0);

    // A cashier of the suspended business is told why, and whom to ask; no billing for them.
    const cashier = await e2e.app.db.asUser(owner.tenantId, "cashier");
    const till = await signedIn(cashier);
    await suspendedHeading(till).waitFor();
    await till.getByText("We could not collect the payment for your subscription").waitFor();
    await till.getByText("Ask an owner of Lapsed Launderette to update its billing.").waitFor();
    expect(await till.getByRole("button", { name: "Manage billing" }).count()).toBe(0);
  }, 90_000);

  it("brings up the suspended screen when a page's query is refused with TSUSP mid-session; signing out still works", async () => {
    const owner = await onboardBusiness("Sudden Stop Deli");
    await owner.query("select app_public.create_customer(first_name => 'Zed', last_name => 'Unseen')");
    const page = await signedIn(owner);
    await page.getByRole("link", { name: "Customers" }).waitFor();

    await e2e.app.db.owner.query("select app_private.suspend_tenant_for_billing($1, 'nonpayment')", [owner.tenantId]);
    // Going to the customers page asks for them and gets TSUSP. (A query of the page already shown
    // may get there first, refetching in the background: then the link is gone before the click,
    // and the same screen is up without it.)
    await page
      .getByRole("link", { name: "Customers" })
      .click({ timeout: 5_000 })
      .catch(async (err) => {
        if (!(await suspendedHeading(page).count())) throw err;
      });
    await suspendedHeading(page).waitFor();
    expect(await page.getByText("Zed Unseen").count()).toBe(0);

    await page.getByRole("button", { name: "Account" }).click();
    await page.getByRole("menuitem", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
  }, 60_000);

  it("reactivates a business whose subscription ended when a plan is chosen within the grace period", async () => {
    const owner = await onboardBusiness("Closing Cafe");
    await stripe.subscriptions.cancel(owner.subscriptionId);
    await until("the cancellation to suspend the business", async () => (await tenantStatus(owner.tenantId)).status === "suspended");

    const page = await signedIn(owner);
    await suspendedHeading(page).waitFor();
    await page.getByTestId("suspension-reason").getByText(/Your subscription ended on .*\. Your data is kept until .*: choose a plan/).waitFor();
    await page.getByRole("heading", { name: "Choose a plan to reactivate" }).waitFor();
    await page.screenshot({ path: `${SHOTS}/billing-suspended-canceled.png`, fullPage: true });

    await page.getByRole("group", { name: "Starter plan" }).getByRole("button", { name: "Reactivate on Starter" }).click();
    const dialog = page.getByRole("dialog", { name: "Reactivate on Starter" });
    await dialog.getByText("Your card on file is charged $79.00 now").waitFor();
    await dialog.getByRole("button", { name: "Reactivate on Starter" }).click();

    // Back in business: the navigation and the pages return.
    await page.getByRole("link", { name: "Customers" }).waitFor({ timeout: 30_000 });
    expect(await suspendedHeading(page).count()).toBe(0);
    expect(await tenantStatus(owner.tenantId)).toEqual({ status: "active", suspension_reason: null });
    await page.goto("/settings/billing");
    expect(await text(page, "billing-status")).toBe("Active");
  }, 90_000);

  // Last in the file: it moves the local Stripe clock weeks ahead.
  it("suspends a business after the third declined payment; paying the open invoice reactivates it", async () => {
    const owner = await onboardBusiness("Declined Diner");
    stripeLocal.control.declineCard(owner.customerId, "insufficient_funds");
    const { trial_end } = await stripe.subscriptions.retrieve(owner.subscriptionId);
    // The first invoice is charged an hour after the trial; Stripe retries 3, then 5 days later.
    await stripeLocal.control.advanceTo(trial_end! + 3600 + 60);
    await stripeLocal.control.advanceTime(3 * 86400 + 60);
    await stripeLocal.control.advanceTime(5 * 86400 + 60);
    await until("the third failed attempt to suspend the business", async () => (await tenantStatus(owner.tenantId)).status === "suspended");
    expect(await tenantStatus(owner.tenantId)).toEqual({ status: "suspended", suspension_reason: "nonpayment" });

    const page = await signedIn(owner);
    await suspendedHeading(page).waitFor();
    await page.getByText("Declined Diner is suspended for non-payment.").waitFor();
    const pay = page.getByRole("link", { name: "Pay the open invoice ($79.00)" });
    expect(await pay.getAttribute("href")).toMatch(new RegExp(`^${stripeLocal.url}/i/in_`));

    // The billing page tells the same story: past due, an open invoice three attempts in.
    await page.getByRole("link", { name: "See the plan, usage and invoices" }).click();
    expect(await text(page, "billing-status")).toBe("Past due");
    // One notice per failed attempt, shown once; the trial's notice has had its day.
    await page.getByRole("alert").filter({ hasText: "A payment failed" }).filter({ hasText: "3 times" }).waitFor();
    expect(await page.getByRole("alert").filter({ hasText: "A payment failed" }).count()).toBe(1);
    expect(await page.getByRole("alert").filter({ hasText: "Your trial is ending" }).count()).toBe(0);
    const open = page.getByRole("table", { name: "Invoices" }).getByRole("row").filter({ hasText: "Open" });
    await open.getByText("3 payments failed").waitFor();
    await page.screenshot({ path: `${SHOTS}/billing-page-past-due.png`, fullPage: true });

    // A working card, the invoice paid on Stripe's page (another tab), back to Backoffice.
    stripeLocal.control.acceptCard(owner.customerId);
    await page.goBack();
    const [invoicePage] = await Promise.all([page.waitForEvent("popup"), pay.click()]);
    await invoicePage.getByRole("button", { name: /^Pay / }).click();
    await until("the payment to reactivate the business", async () => (await tenantStatus(owner.tenantId)).status === "active");
    // Back in the first tab (headless Chromium does not move focus by itself).
    await page.bringToFront();
    await page.evaluate(() => window.dispatchEvent(new Event("focus")));
    await page.getByRole("link", { name: "Customers" }).waitFor();
    expect(await suspendedHeading(page).count()).toBe(0);
  }, 120_000);
});
