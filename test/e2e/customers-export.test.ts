// The Customers page's Export in the browser: the list filtered by a tag, then by a search; each
// time "Export" goes through the real worker and downloads a CSV (with its UTF-8 byte order mark)
// holding exactly the customers the list shows, with every profile column. A cashier (no
// reports.export) has no Export button.
import { readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { taskList } from "../../worker/tasks/index.ts";
import type { Member } from "../helpers/db.ts";
import { startTestWorker, type TestWorker } from "../helpers/worker.ts";
import { csvObjects, withoutBom } from "../worker/reporting/csv.ts";
import { useE2E } from "./helpers/e2e.ts";
import { signIn } from "./helpers/ui.ts";

const e2e = useE2E();

async function createCustomer(owner: Member, first: string, last: string, email: string | null, tags: string[]) {
  const { rows } = await owner.query(
    "select id from app_public.create_customer(first_name => $1, last_name => $2, email => $3, tags => $4)",
    [first, last, email, tags],
  );
  return rows[0].id as string;
}

async function signedIn(member: { email: string; password: string }): Promise<Page> {
  const page = await e2e.page();
  await page.goto("/login");
  await signIn(page, member.email, member.password);
  await page.getByRole("link", { name: "Customers" }).waitFor();
  await page.goto("/customers");
  await page.getByRole("heading", { name: "Customers", level: 1 }).waitFor();
  return page;
}

/** Clicks Export and reads the downloaded file: its name and its rows (after the one byte order mark). */
async function exportList(page: Page) {
  const downloading = page.waitForEvent("download", { timeout: 30_000 });
  await page.getByRole("button", { name: "Export", exact: true }).click();
  const download = await downloading;
  const file = await readFile((await download.path())!);
  await page.getByText(`Downloaded ${download.suggestedFilename()}`).waitFor();
  return { name: download.suggestedFilename(), rows: csvObjects(withoutBom(file)) };
}

const FLOW_MS = 90_000;

describe("customers export", () => {
  it("exports what the filtered list shows: the tag, then the search", async () => {
    const owner = await e2e.app.db.onboard({ company: "Export Emporium", timezone: "America/New_York" });
    await createCustomer(owner, "Ann", "Archer", "ann@example.com", ["vip", "local"]);
    await createCustomer(owner, "Bob", "Baker", "bob@example.com", ["vip"]);
    await createCustomer(owner, "Cara", "Cole", "cara@example.com", []);
    const dan = await createCustomer(owner, "Dan", "Archer", null, ["vip"]);
    await owner.query("select app_public.archive_customer($1, 'Moved away')", [dan]);

    let worker: TestWorker | undefined;
    try {
      worker = await startTestWorker(e2e.app.db, {
        taskList: { export_csv: taskList.export_csv },
        concurrency: 1,
        pollInterval: 200,
        noHandleSignals: true,
      });
      const page = await signedIn(owner);
      const summary = page.getByTestId("customers-summary");
      await summary.filter({ hasText: /^3 customers$/ }).waitFor();

      // The active customers tagged vip: Ann and Bob (Dan is archived, Cara untagged).
      await page.getByLabel("Tags on this page").getByRole("button", { name: "vip" }).click();
      await page.getByRole("button", { name: "Tag: vip" }).waitFor();
      await summary.filter({ hasText: /^2 customers$/ }).waitFor();
      const tagged = await exportList(page);
      expect(tagged.name).toMatch(/^customers-active_tag-vip_\d{4}-\d{2}-\d{2}\.csv$/);
      expect(tagged.rows.map((r) => [r.first_name, r.last_name, r.email, r.tags, r.status]).sort()).toEqual([
        ["Ann", "Archer", "ann@example.com", "vip, local", "active"],
        ["Bob", "Baker", "bob@example.com", "vip", "active"],
      ]);
      expect(Object.keys(tagged.rows[0]).slice(0, 7)).toEqual(["customer_number", "first_name", "last_name", "email", "phone", "tags", "about"]);

      // A search: what it finds, active and archived (as the list's search shows them).
      await page.getByRole("button", { name: "Tag: vip" }).getByTestId("CancelIcon").click();
      await page.getByLabel("Search customers").fill("archer");
      await page.getByRole("table", { name: "Customers" }).getByTestId("customer-row").filter({ hasText: "Dan Archer" }).waitFor();
      const found = await exportList(page);
      expect(found.name).toMatch(/^customers_search-archer_\d{4}-\d{2}-\d{2}\.csv$/);
      expect(found.rows.map((r) => [r.first_name, r.status]).sort()).toEqual([
        ["Ann", "active"],
        ["Dan", "archived"],
      ]);
    } finally {
      await worker?.stop();
    }
  }, FLOW_MS);

  it("is not offered to a cashier, who may not export", async () => {
    const owner = await e2e.app.db.onboard({ company: "Cashier Corner", timezone: "America/New_York" });
    await createCustomer(owner, "Eve", "Evans", "eve@example.com", []);
    const cashier = await e2e.app.db.asUser(owner.tenantId, "cashier");
    const page = await signedIn(cashier);
    await page.getByRole("table", { name: "Customers" }).getByTestId("customer-row").filter({ hasText: "Eve Evans" }).waitFor();
    await page.getByRole("button", { name: "Quick find" }).waitFor();
    expect(await page.getByRole("button", { name: "Export", exact: true }).count()).toBe(0);
  }, FLOW_MS);
});
