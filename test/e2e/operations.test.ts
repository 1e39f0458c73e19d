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
import { useE2E } from "./helpers/e2e.ts";
import { signIn } from "./helpers/ui.ts";

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
        const csv = await readFile((await download.path())!, "utf8");
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
