// A customer's own data request in the browser: the owner downloads their data (a reason asked,
// the worker writes the zip, the page follows its progress and offers the file, which holds the
// customer), then erases them (typed confirmation and reason; the page then shows "Erased
// customer" with no actions, and search no longer finds them). A manager, who lacks
// customers.erase, sees neither button.
import { readFile } from "node:fs/promises";
import { strFromU8, unzipSync } from "fflate";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { taskList } from "../../worker/tasks/index.ts";
import type { Member } from "../helpers/db.ts";
import { startTestWorker, type TestWorker } from "../helpers/worker.ts";
import { useE2E } from "./helpers/e2e.ts";
import { signIn } from "./helpers/ui.ts";

const e2e = useE2E();

async function signedIn(member: { email: string; password: string }, path: string): Promise<Page> {
  const page = await e2e.page();
  await page.goto("/login");
  await signIn(page, member.email, member.password);
  await page.getByRole("link", { name: "Customers" }).waitFor();
  await page.goto(path);
  return page;
}

async function customer(owner: Member) {
  const { rows } = await owner.query(
    "select id, customer_number from app_public.create_customer(first_name => 'Paula', last_name => 'Privacy', email => 'paula@example.com', notes => 'Prefers the window seat')",
  );
  return rows[0] as { id: string; customer_number: string };
}

describe("a customer's data request", () => {
  it("downloads their data, then erases them", async () => {
    const owner = await e2e.app.db.onboard({ company: "Privacy Pastries" });
    const paula = await customer(owner);
    let worker: TestWorker | undefined;
    try {
      worker = await startTestWorker(e2e.app.db, {
        taskList: { customer_data_export: taskList.customer_data_export },
        concurrency: 1,
        pollInterval: 200,
        noHandleSignals: true,
      });
      const page = await signedIn(owner, `/customers/${paula.id}`);
      await page.getByRole("heading", { name: "Paula Privacy", level: 1 }).waitFor();
      const card = page.getByTestId("privacy-card");

      // Download: a reason is required (the server's BADIN under the field), then the file.
      await card.getByRole("button", { name: "Download their data" }).click();
      const ask = page.getByRole("dialog", { name: /Download Paula Privacy's data/ });
      await ask.getByRole("button", { name: "Prepare the file" }).click();
      await expect.poll(() => ask.getByRole("textbox", { name: "Reason" }).getAttribute("aria-invalid"), { timeout: 15_000 }).toBe("true");
      await ask.getByRole("textbox", { name: "Reason" }).fill("Asked at the counter");
      await ask.getByRole("button", { name: "Prepare the file" }).click();
      await ask.waitFor({ state: "detached" });
      const link = card.getByRole("link", { name: /^Download customer-data_cust-\d{5}_\d{4}-\d{2}-\d{2}\.zip$/ });
      await link.waitFor({ timeout: 30_000 });
      const downloading = page.waitForEvent("download", { timeout: 20_000 });
      await link.click();
      const download = await downloading;
      const zip = unzipSync(new Uint8Array(await readFile((await download.path())!)));
      expect(Object.keys(zip).sort()).toEqual(["customer.json", "order-lines.csv", "orders.csv", "timeline.csv"]);
      const doc = JSON.parse(strFromU8(zip["customer.json"]));
      expect(doc.customer).toMatchObject({ id: paula.id, email: "paula@example.com", notes: "Prefers the window seat" });

      // Erase: the button waits for the customer number to be typed.
      await card.getByRole("button", { name: "Erase personal data" }).click();
      const erase = page.getByRole("dialog", { name: /Erase Paula Privacy's personal data/ });
      await erase.getByText("Kept:").waitFor();
      await erase.getByRole("textbox", { name: "Reason" }).fill("Email of 3 December");
      const confirm = erase.getByRole("button", { name: "Erase personal data" });
      expect(await confirm.isDisabled()).toBe(true);
      await erase.getByRole("textbox", { name: `Type ${paula.customer_number} to confirm` }).fill(paula.customer_number);
      await confirm.click();
      await erase.waitFor({ state: "detached" });
      await page.getByRole("heading", { name: "Erased customer", level: 1 }).waitFor();
      await page.getByTestId("erased-banner").waitFor();
      await page.getByTestId("customer-status").filter({ hasText: "Erased" }).waitFor();
      expect(await page.getByRole("button", { name: "Edit" }).count()).toBe(0);
      expect(await page.getByTestId("privacy-card").count()).toBe(0);
      expect(await page.getByText("Prefers the window seat").count()).toBe(0);
      const row = await e2e.app.db.owner.query("select status, email from app_public.customers where id = $1", [paula.id]);
      expect(row.rows[0]).toEqual({ status: "erased", email: null });
    } finally {
      await worker?.stop();
    }
  }, 120_000);

  it("a manager sees neither action", async () => {
    const owner = await e2e.app.db.onboard({ company: "Manager Muffins" });
    const paula = await customer(owner);
    const manager = await e2e.app.db.asUser(owner.tenantId, "manager");
    const page = await signedIn(manager, `/customers/${paula.id}`);
    await page.getByRole("heading", { name: "Paula Privacy", level: 1 }).waitFor();
    await page.getByRole("button", { name: "Edit" }).waitFor();
    expect(await page.getByTestId("privacy-card").count()).toBe(0);
  }, 90_000);
});
