// Customers → Import, in Chromium with the real worker: a manager uploads a spreadsheet's CSV,
// sees the proposed mapping, the counts and the rows that cannot be imported with their reason,
// ignores a column, chooses to fill in existing customers, imports, follows the progress, sees
// what became of the rows and downloads the rows not imported (a reason column, ready to fix).
import { readFile, writeFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { taskList } from "../../worker/tasks/index.ts";
import { startTestWorker } from "../helpers/worker.ts";
import { parseCsv } from "../worker/reporting/csv.ts";
import { useE2E } from "./helpers/e2e.ts";
import { signIn } from "./helpers/ui.ts";

const e2e = useE2E();

async function signedIn(member: { email: string; password: string }): Promise<Page> {
  const page = await e2e.page();
  await page.goto("/login");
  await signIn(page, member.email, member.password);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboard" }).waitFor();
  return page;
}

describe("importing customers from a CSV file", () => {
  it("upload → preview → mapping → import → outcome → the rows not imported", async () => {
    const owner = await e2e.app.db.onboard({ company: "Import Bakery" });
    const manager = await e2e.app.db.asUser(owner.tenantId, "manager");
    await owner.query("select app_public.create_customer(email => 'lena@example.com', first_name => 'Lena')");
    await owner.query("select app_public.create_customer(email => 'oskar@shop.de', first_name => 'Oskar', last_name => 'Brandt')");
    const dir = await mkdtemp(path.join(tmpdir(), "import-"));
    const file = path.join(dir, "my-customers.csv");
    await writeFile(
      file,
      [
        "First Name,Last Name,Email Address,Phone Number,Tags,Favourite cake",
        "Oskar,Brandt,oskar@example.com,+49 30 1234567,Regular,Cheesecake",
        "Lena,Sommer,lena@example.com,,VIP,Strudel",
        "Mia,,not-an-email,,,",
        "Oskar,Twice,oskar@example.com,,,",
      ].join("\n"),
    );

    const worker = await startTestWorker(e2e.app.db, {
      taskList: { customer_import_parse: taskList.customer_import_parse, customer_import_commit: taskList.customer_import_commit },
      concurrency: 1,
      pollInterval: 200,
      noHandleSignals: true,
    });
    try {
      const page = await signedIn(manager);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Customers" }).click();
      await page.getByRole("link", { name: "Import" }).click();
      await page.getByRole("heading", { name: "Import customers" }).waitFor();
      await page.getByLabel("Customer file").setInputFiles(file);

      // The preview: the file's name, the counts and the proposed mapping.
      await page.getByRole("heading", { name: "my-customers.csv" }).waitFor({ timeout: 20_000 });
      await page.getByTestId("import-status").filter({ hasText: "Ready to import" }).waitFor({ timeout: 20_000 });
      const counts = page.getByTestId("import-counts");
      for (const text of ["1 new", "1 already customers", "1 twice in the file", "1 cannot be imported"]) {
        await counts.getByText(text, { exact: true }).waitFor();
      }
      expect(await page.getByRole("combobox", { name: "Email Address" }).innerText()).toBe("Email");
      // A new row that looks like a customer already there is pointed out, as the add-customer form does.
      const oskar = page.getByRole("table", { name: "The first rows, as they will be imported" }).getByTestId("preview-row").first();
      expect(await oskar.getByTestId("likely-duplicate").innerText()).toMatch(/^Possibly the same as Oskar Brandt \(CUST-\d+\): .*Same email name at another domain/);
      expect(await page.getByRole("combobox", { name: "Favourite cake" }).innerText()).toContain("Ignore");
      const refused = page.getByRole("table", { name: "Rows that cannot be imported" }).getByTestId("refused-row");
      expect(await refused.count()).toBe(1);
      expect(await refused.first().innerText()).toMatch(/4[\s\S]*Mia[\s\S]*Cannot import[\s\S]*email/i);

      // Ignore the tags, fill in existing customers: the page checks again.
      await page.getByRole("combobox", { name: "Tags" }).click();
      await page.getByRole("option", { name: "Ignore" }).click();
      await page.getByLabel("Fill in what the customer lacks").check();
      await page.getByRole("button", { name: "Apply and check again" }).click();
      await page.getByRole("button", { name: "Import 2 customers" }).click();

      // The outcome, once the worker is done.
      const outcome = page.getByTestId("import-outcome");
      await outcome.waitFor({ timeout: 20_000 });
      for (const text of ["1 added", "1 updated", "0 skipped", "2 not imported"]) {
        await outcome.getByText(text, { exact: true }).waitFor();
      }
      const { rows } = await owner.query("select first_name, last_name, email, phone, tags from app_public.customers order by email");
      expect(rows).toEqual([
        { first_name: "Lena", last_name: "Sommer", email: "lena@example.com", phone: null, tags: [] },
        { first_name: "Oskar", last_name: "Brandt", email: "oskar@example.com", phone: "+49301234567", tags: [] },
        { first_name: "Oskar", last_name: "Brandt", email: "oskar@shop.de", phone: null, tags: [] },
      ]);

      // The rows not imported, as they were, with the reason.
      const downloading = page.waitForEvent("download", { timeout: 20_000 });
      await page.getByRole("link", { name: "Download the rows not imported" }).click();
      const download = await downloading;
      expect(download.suggestedFilename()).toBe("my-customers-errors.csv");
      const csv = parseCsv((await readFile((await download.path())!, "utf8")).replace(/^\uFEFF/, ""));
      expect(csv[0]).toEqual(["row", "First Name", "Last Name", "Email Address", "Phone Number", "Tags", "Favourite cake", "reason"]);
      expect(csv.slice(1).map((r) => [r[0], r[1], r[7]])).toEqual([
        ["4", "Mia", expect.stringMatching(/email/i)],
        ["5", "Oskar", "Same email as row 2 of this file."],
      ]);

      // The history lists it.
      await page.getByRole("link", { name: "Imports" }).click();
      const row = page.getByRole("table", { name: "Customer imports" }).getByTestId("import-row").first();
      await row.getByText("Imported", { exact: true }).waitFor();
      expect(await row.innerText()).toContain("my-customers.csv");
    } finally {
      await worker.stop();
    }
  });
});
