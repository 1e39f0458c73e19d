// Operations you can see, in the browser: Activity → Background jobs lists the business's worker
// runs (an export run through the real worker, a failure and a crash in words, a run that ends
// while the page is open, "Load more"); Settings → Audit log finds an archive with its reason and
// who did it; the billing page keeps the suspension history, also while the business is
// suspended. Members without settings.view see none of it.
import { readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { taskList } from "../../worker/tasks/index.ts";
import type { Member } from "../helpers/db.ts";
import { startTestWorker, type TestWorker } from "../helpers/worker.ts";
import { withoutBom } from "../worker/reporting/csv.ts";
import { useE2E } from "./helpers/e2e.ts";
import { helpOf, invalidFields, signIn } from "./helpers/ui.ts";

const e2e = useE2E();
const SHOTS = process.env.E2E_SCREENSHOTS ?? "/tmp";

/** Whole flows through the browser take longer than vitest's default 30 seconds on a busy machine. */
const FLOW_MS = 90_000;

/** expect.poll with the patience of a locator. */
const eventually = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000 });

async function signedIn(member: { email: string; password: string }): Promise<Page> {
  const page = await e2e.page();
  await page.goto("/login");
  await signIn(page, member.email, member.password);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboard" }).waitFor();
  return page;
}

const nav = (page: Page) => page.getByRole("navigation", { name: "Main" });

/** Picks an option of an MUI select by the select's label. */
async function choose(page: Page, label: string, option: string): Promise<void> {
  await page.getByRole("combobox", { name: label }).click();
  await page.getByRole("option", { name: option, exact: true }).click();
}

/** A run of the business's log, written as the worker would (app_private.job_runs, as the owner role). */
async function insertRun(
  tenantId: string,
  run: { task: string; outcome: string; minutesAgo: number; seconds?: number; code?: string | null; message?: string | null; rows?: number },
): Promise<string> {
  const { rows } = await e2e.app.db.owner.query(
    `insert into app_private.job_runs (task, tenant_id, outcome, started_at, finished_at, error_code, error_message, rows_affected)
     values ($1, $2, $3, now() - make_interval(mins => $4), case when $3 = 'running' then null
             else now() - make_interval(mins => $4) + make_interval(secs => $5) end, $6, $7, $8)
     returning id`,
    [run.task, tenantId, run.outcome, run.minutesAgo, run.seconds ?? 1, run.code ?? null, run.message ?? null, run.rows ?? null],
  );
  return rows[0].id as string;
}

describe("Activity → Background jobs", () => {
  it(
    "shows an export run by the worker from the Reports page as succeeded, with the rows it wrote",
    async () => {
      const owner = await e2e.app.db.onboard({ company: "Jobs Bakery" });
      let worker: TestWorker | undefined;
      try {
        worker = await startTestWorker(e2e.app.db, {
          taskList: { export_csv: taskList.export_csv },
          concurrency: 1,
          pollInterval: 200,
          noHandleSignals: true,
        });
        const page = await signedIn(owner);

        // An export from the Reports page, through the real worker.
        await nav(page).getByRole("link", { name: "Reports" }).click();
        await page.getByRole("heading", { name: "Reports" }).waitFor();
        const downloading = page.waitForEvent("download", { timeout: 20_000 });
        await page.getByRole("button", { name: "Export CSV" }).click();
        const download = await downloading;
        const csv = withoutBom(await readFile((await download.path())!));
        const exported = csv.trim().split(/\r?\n/).length - 1;
        expect(exported).toBeGreaterThan(0);

        await nav(page).getByRole("link", { name: "Activity" }).click();
        await page.getByRole("heading", { name: "Background jobs" }).waitFor();
        const table = page.getByRole("table", { name: "Background jobs" });
        const exportRow = table.getByTestId("job-row").filter({ hasText: "CSV export" });
        await exportRow.getByTestId("job-state").filter({ hasText: "Succeeded" }).waitFor();
        expect(await exportRow.getByRole("cell").nth(4).innerText()).toBe(String(exported));
        expect(await exportRow.getByRole("cell").nth(2).innerText()).toBe("just now");
        expect(await exportRow.getByTestId("job-error").count()).toBe(0);
      } finally {
        await worker?.stop();
      }
    },
    FLOW_MS,
  );

  it(
    "says why a run failed or crashed, follows a running job to its end and loads older runs",
    async () => {
      const owner = await e2e.app.db.onboard({ company: "Failing Florist" });
      // Older runs, so that the list has more than a page: 24 succeeded exports three days ago.
      for (let i = 0; i < 24; i++) await insertRun(owner.tenantId, { task: "export_csv", outcome: "succeeded", minutesAgo: 3 * 1440 + i, rows: 3 });
      await insertRun(owner.tenantId, {
        task: "export_csv",
        outcome: "failed",
        minutesAgo: 30,
        seconds: 2.5,
        code: "BADIN",
        message: "The date range must end after it starts.",
      });
      // A failure that is not ours to explain (its text could hold SQL): the server words it.
      await insertRun(owner.tenantId, {
        task: "stripe_billing_portal",
        outcome: "failed",
        minutesAgo: 20,
        code: "42P01",
        message: 'relation "app_private.secret_table" does not exist',
      });
      await insertRun(owner.tenantId, {
        task: "stripe_change_plan",
        outcome: "crashed",
        minutesAgo: 10,
        message: "The worker running it stopped (crashed or was killed); the job is run again.",
      });
      const running = await insertRun(owner.tenantId, { task: "export_csv", outcome: "running", minutesAgo: 0 });
      // Another business's run never shows here.
      const other = await e2e.app.db.onboard({ company: "Other Shop" });
      await insertRun(other.tenantId, { task: "export_csv", outcome: "failed", minutesAgo: 5, code: "BADIN", message: "Another business's failure." });

      const page = await signedIn(owner);
      await nav(page).getByRole("link", { name: "Activity" }).click();
      const table = page.getByRole("table", { name: "Background jobs" });
      const rows = table.getByTestId("job-row");
      await rows.first().waitFor();
      // Newest first: running, crashed, failed (portal), failed (export), then the old ones.
      await eventually(() => rows.count()).toBe(25);
      expect(await page.getByTestId("jobs-summary").innerText()).toBe("28 runs · showing the latest 25");
      const stateOf = (i: number) => rows.nth(i).getByTestId("job-state").innerText();
      expect([await stateOf(0), await stateOf(1), await stateOf(2), await stateOf(3), await stateOf(4)]).toEqual([
        "Running",
        "Crashed",
        "Failed",
        "Failed",
        "Succeeded",
      ]);
      expect(await rows.nth(0).innerText()).toMatch(/^CSV export\s+Running\s+just now\s+[\d.]+ m?s so far\s+–\s*$/);
      await expect(rows.nth(1).innerText()).resolves.toContain("Plan change");
      expect(await rows.nth(1).getByTestId("job-error").innerText()).toBe(
        "The worker running it stopped (crashed or was killed); the job is run again.",
      );
      await expect(rows.nth(2).innerText()).resolves.toContain("Billing portal");
      expect(await rows.nth(2).getByTestId("job-error").innerText()).toBe(
        "It failed on our side; it is retried automatically, and we have been told.",
      );
      expect(await table.innerText()).not.toContain("secret_table");
      expect(await rows.nth(3).innerText()).toMatch(/^CSV export\s+Failed\s+30 minutes ago\s+2\.5 s\s+–\s+The date range must end after it starts\.$/);
      expect(await table.innerText()).not.toContain("Another business's failure.");

      // The exact time is on hover.
      await rows.nth(3).getByText("30 minutes ago").hover();
      await page.getByRole("tooltip").filter({ hasText: /\d{4}, \d{2}:\d{2}/ }).waitFor();

      await page.screenshot({ path: `${SHOTS}/activity-jobs.png`, fullPage: true });

      // The running job ends while the page is open: the list follows without a reload.
      await e2e.app.db.owner.query(
        "update app_private.job_runs set outcome = 'succeeded', finished_at = started_at + interval '4 seconds', rows_affected = 1234 where id = $1",
        [running],
      );
      await rows.nth(0).getByTestId("job-state").filter({ hasText: "Succeeded" }).waitFor();
      expect(await rows.nth(0).innerText()).toMatch(/^CSV export\s+Succeeded\s+just now\s+4\.0 s\s+1,234\s*$/);

      // Older runs on demand.
      await page.getByRole("button", { name: "Load more" }).click();
      await eventually(() => rows.count()).toBe(28);
      expect(await page.getByTestId("jobs-summary").innerText()).toBe("28 runs");
      expect(await page.getByRole("button", { name: "Load more" }).count()).toBe(0);
      expect(await rows.nth(27).innerText()).toMatch(/^CSV export\s+Succeeded\s+\d days ago\s+1\.0 s\s+3\s*$/);
    },
    FLOW_MS,
  );

  it("explains what will appear when nothing has run, and is not offered to a cashier", async () => {
    const owner = await e2e.app.db.onboard({ company: "Quiet Café" });
    const page = await signedIn(owner);
    await nav(page).getByRole("link", { name: "Activity" }).click();
    await page.getByRole("heading", { name: "Nothing has run yet" }).waitFor();
    await page.getByText("When you export a report, change your plan, or Stripe sends a billing update").waitFor();
    await page.screenshot({ path: `${SHOTS}/activity-jobs-empty.png` });

    const cashier = await e2e.app.db.asUser(owner.tenantId, "cashier");
    const till = await signedIn(cashier);
    await nav(till).getByRole("link", { name: "Customers" }).waitFor();
    expect(await nav(till).getByRole("link", { name: "Activity" }).count()).toBe(0);
    await till.goto("/activity/jobs");
    await till.getByText("Your role in this business does not include the activity of the business.").waitFor();
  }, FLOW_MS);
});

describe("Settings → Audit log", () => {
  it(
    "finds a customer archived and restored with reasons, filtered to customers, by command, staff member and date, with who did it",
    async () => {
      const owner = await e2e.app.db.onboard({ company: "Audit Books" });
      const manager = await e2e.app.db.asUser(owner.tenantId, "manager");
      const { rows: created } = await owner.query(
        "select id from app_public.create_customer(first_name => 'Ada', last_name => 'Lovelace', email => 'ada@example.com')",
      );
      const ada = created[0].id as string;

      // The manager archives Ada, with a reason: one too long first (the server's words, under the
      // field, and nothing archived), then a real one.
      const page = await signedIn(manager);
      await page.goto(`/customers/${ada}`);
      await page.getByRole("heading", { name: "Ada Lovelace", level: 1 }).waitFor();
      await page.getByRole("button", { name: "Archive" }).click();
      const archive = page.getByRole("dialog", { name: "Archive Ada Lovelace?" });
      await archive.getByLabel("Reason (optional)").fill("x".repeat(501));
      await archive.getByRole("button", { name: "Archive" }).click();
      await archive.getByText("The reason must be at most 500 characters.").waitFor();
      expect(await helpOf(archive, "Reason (optional)")).toBe("The reason must be at most 500 characters.");
      expect(await invalidFields(archive)).toEqual(["Reason (optional)"]);
      expect(await page.getByTestId("customer-status").textContent()).toBe("Active");
      await archive.getByLabel("Reason (optional)").fill("Asked to be forgotten at the till");
      await archive.getByRole("button", { name: "Archive" }).click();
      await archive.waitFor({ state: "hidden" });
      await page.getByTestId("customer-status").filter({ hasText: "Archived" }).waitFor();

      await page.getByRole("button", { name: "Restore" }).click();
      const restore = page.getByRole("dialog", { name: "Restore Ada Lovelace?" });
      await restore.getByLabel("Reason (optional)").fill("Came back the next day");
      await restore.getByRole("button", { name: "Restore" }).click();
      await restore.waitFor({ state: "hidden" });
      await page.getByTestId("customer-status").filter({ hasText: "Active" }).waitFor();

      // Settings → Audit log: the business's setup is there too, until filtered to customers.
      await nav(page).getByRole("link", { name: "Settings" }).click();
      await page.getByRole("link", { name: "View audit log" }).click();
      await page.getByRole("heading", { name: "Audit log" }).waitFor();
      const rows = page.getByRole("table", { name: "Audit log" }).getByTestId("audit-row");
      await rows.first().waitFor();
      expect(await page.getByRole("table", { name: "Audit log" }).innerText()).toContain("Business added");

      await choose(page, "Record", "Customers");
      await eventually(() => page.getByTestId("audit-summary").innerText()).toBe("3 entries");
      expect(new URL(page.url()).searchParams.get("entity")).toBe("customers");
      const texts = await rows.allInnerTexts();
      expect(texts[0]).toMatch(/^just now\s+A manager\s+Customer changed\s+Restore customer\s+Status: archived → active\s+Came back the next day$/);
      expect(texts[1]).toMatch(/^just now\s+A manager\s+Customer changed\s+Archive customer\s+Status: active → archived\s+Asked to be forgotten at the till$/);
      expect(texts[2]).toMatch(
        /^just now\s+Olive Owner\s+Customer added\s+Display name: Ada Lovelace\s+Customer number: CUST-00001\s+Status: active\s+\d more\s+—$/,
      );
      await rows.nth(2).getByRole("button", { name: /^\d more$/ }).click();
      await rows.nth(2).getByRole("list", { name: "Fields changed" }).getByText("Email: ada@example.com").waitFor();

      // By command, by staff member, by date.
      await choose(page, "Command", "Archive customer");
      await eventually(() => page.getByTestId("audit-summary").innerText()).toBe("1 entry");
      expect(await rows.first().getByTestId("audit-reason").innerText()).toBe("Asked to be forgotten at the till");
      await choose(page, "Command", "Any change");
      await choose(page, "Staff member", "Olive Owner");
      await eventually(() => page.getByTestId("audit-summary").innerText()).toBe("1 entry");
      await rows.first().getByText("Customer added").waitFor();
      await choose(page, "Staff member", "A manager");
      await eventually(() => page.getByTestId("audit-summary").innerText()).toBe("2 entries");
      const tomorrow = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Paris" }).format(new Date(Date.now() + 86_400_000));
      await page.getByLabel("From").fill(tomorrow);
      await page.getByText("No change matches these filters.").waitFor();
      expect(await page.getByTestId("audit-summary").innerText()).toBe("0 entries");

      // The filters stay in the address: a reload shows the same, and "Clear filters" everything.
      await page.reload();
      await page.getByText("No change matches these filters.").waitFor();
      await page.getByRole("button", { name: "Clear filters" }).click();
      await eventually(async () => Number((await page.getByTestId("audit-summary").innerText()).split(" ")[0])).toBeGreaterThan(3);
      // Ids an entry holds read as the names of the staff, roles and locations they point at.
      const joined = rows.filter({ hasText: "Staff membership added" }).filter({ hasText: "User: A manager" });
      expect(await joined.getByRole("list", { name: "Fields changed" }).innerText()).toBe("Role: Manager\nUser: A manager");
      await page.screenshot({ path: `${SHOTS}/audit-log.png`, fullPage: true });

      // A cashier has no audit log.
      const cashier = await e2e.app.db.asUser(owner.tenantId, "cashier");
      const till = await signedIn(cashier);
      await till.goto("/settings/audit");
      await till.getByText("Your role in this business does not include the audit log.").waitFor();
      expect(await till.getByRole("table", { name: "Audit log" }).count()).toBe(0);
    },
    FLOW_MS,
  );
});

describe("Settings → Billing: suspension history", () => {
  it(
    "shows each suspension with its type, reason, dates and who lifted it, also while the business is suspended",
    async () => {
      const owner = await e2e.app.db.onboard({ company: "Paused Patisserie" });
      const page = await signedIn(owner);
      await nav(page).getByRole("link", { name: "Settings" }).click();
      await page.getByRole("link", { name: "View billing" }).click();
      await page.getByRole("heading", { name: "Invoices" }).waitFor();
      // Never suspended: no history to show.
      expect(await page.getByRole("heading", { name: "Suspension history" }).count()).toBe(0);

      // Backoffice support suspends the business (from psql): the billing page still opens, says
      // who can lift it, and lists the suspension as ongoing.
      await e2e.app.db.owner.query("select app_private.suspend_tenant($1, 'manual', 'Checking documents', null)", [owner.tenantId]);
      await page.goto("/");
      await page.getByRole("heading", { name: "Your account has been suspended" }).waitFor();
      expect(await page.getByTestId("suspension-reason").innerText()).toBe(
        "Backoffice support suspended your business; paying or changing plan does not lift this. Contact support to have it reactivated.",
      );
      await page.getByRole("link", { name: "See the plan, usage and invoices" }).click();
      const rows = page.getByRole("table", { name: "Suspension history" }).getByTestId("suspension-row");
      await rows.first().waitFor();
      const when = "\\d{1,2} \\w{3} \\d{4}, \\d{2}:\\d{2}";
      expect(await rows.allInnerTexts()).toEqual([
        expect.stringMatching(new RegExp(`^Suspended by support\\s+Checking documents\\s+${when}\\s+Still suspended\\s+Suspended by Backoffice support$`)),
      ]);
      await page.screenshot({ path: `${SHOTS}/billing-suspension-history-suspended.png`, fullPage: true });

      // Reactivated, then suspended by billing for non-payment: both, newest first.
      await e2e.app.db.owner.query("select app_private.reactivate_tenant($1, array['manual'], 'Documents received', null)", [owner.tenantId]);
      await page.reload();
      await rows.first().filter({ hasText: "Documents received" }).waitFor();
      expect(await rows.allInnerTexts()).toEqual([
        expect.stringMatching(
          new RegExp(
            `^Suspended by support\\s+Checking documents\\s+${when}\\s+${when}\\s+Documents received\\s+Suspended by Backoffice support\\s+Reactivated by Backoffice support$`,
          ),
        ),
      ]);
      await e2e.app.db.owner.query("select app_private.suspend_tenant_for_billing($1, 'nonpayment')", [owner.tenantId]);
      await page.reload();
      await eventually(() => rows.count()).toBe(2);
      const [latest, earlier] = await rows.allInnerTexts();
      expect(latest).toMatch(new RegExp(`^Unpaid subscription\\s+.+\\s+${when}\\s+Still suspended\\s+Suspended by Billing \\(automatic\\)$`));
      expect(earlier).toMatch(/^Suspended by support\s+Checking documents\s.*Documents received/s);
      await page.screenshot({ path: `${SHOTS}/billing-suspension-history.png`, fullPage: true });
    },
    FLOW_MS,
  );
});
