// Settings: the customer loyalty thresholds (saved, kept after a reload, explained in words with
// the current numbers; a value the server refuses is explained under its input) and the customer
// types (added, renamed, deleted; a duplicate name and the deletion of a type some customer has
// are refused in the server's words, and the type stays). People without settings.update read
// both and change neither.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { useE2E } from "./helpers/e2e.ts";
import { helpOf, invalidFields, signIn } from "./helpers/ui.ts";

const e2e = useE2E();

async function openSettings(page: Page, email: string, password: string) {
  await page.goto("/login");
  await signIn(page, email, password);
  await page.getByRole("link", { name: "Settings" }).click();
  await page.waitForURL(`${e2e.app.baseUrl}/settings`);
}

/** What the Customer loyalty card says a class means. */
const meaning = (page: Page, cls: string) => page.getByTestId(`loyalty-meaning-${cls}`).locator("dd");

/** The names in the Customer types table, in order. */
const typeNames = (page: Page) =>
  page.getByRole("table", { name: "Customer types" }).locator("tbody tr td:first-child").allTextContents();

describe("settings: customer loyalty", () => {
  it("explains the classes with the current numbers, and shows the server's refusal under the input it names", async () => {
    const owner = await e2e.app.db.onboard({ company: "Loyal Beans", timezone: "Europe/Paris" });
    const page = await e2e.page();
    await openSettings(page, owner.email, owner.password);

    // The product's defaults: 5 visits in 90 days make a regular; 60 days without one, lapsed.
    const form = page.getByRole("form", { name: "Loyalty thresholds" });
    await meaning(page, "regular").filter({ hasText: "5 or more visits in the last 90 days, the latest within the last 60 days." }).waitFor();
    expect(await meaning(page, "new").textContent()).toBe("First visit within the last 60 days.");
    expect(await meaning(page, "returning").textContent()).toBe("2 or more visits, the latest within the last 60 days.");
    expect(await meaning(page, "lapsed").textContent()).toBe("2 or more visits, none in the last 60 days.");
    expect(await meaning(page, "one_time").textContent()).toBe("A single visit, more than 60 days ago.");
    expect(await form.getByLabel("Visits that make a regular").inputValue()).toBe("5");
    expect(await form.getByLabel("Regular window (days)").inputValue()).toBe("90");
    expect(await form.getByLabel("Lapsed after (days)").inputValue()).toBe("60");

    // Out of range: the server's message under the input it names; nothing changes.
    await form.getByLabel("Regular window (days)").fill("1000");
    await form.getByRole("button", { name: "Save thresholds" }).click();
    await expect.poll(() => invalidFields(form), { timeout: 15_000 }).toEqual(["Regular window (days)"]);
    expect(await helpOf(form, "Regular window (days)")).toBe("The window for regulars: between 7 and 730 days.");
    expect(await meaning(page, "regular").textContent()).toBe("5 or more visits in the last 90 days, the latest within the last 60 days.");
    // Editing the input clears its message.
    await form.getByLabel("Regular window (days)").fill("100");
    expect(await invalidFields(form)).toEqual([]);

    await form.getByLabel("Visits that make a regular").fill("1");
    await form.getByRole("button", { name: "Save thresholds" }).click();
    await expect.poll(() => invalidFields(form), { timeout: 15_000 }).toEqual(["Visits that make a regular"]);
    expect(await helpOf(form, "Visits that make a regular")).toBe("Visits that make a regular: between 2 and 20.");
    const { rows } = await owner.query("select * from app_public.current_loyalty_settings()");
    expect(rows[0]).toMatchObject({ regular_min_visits: 5, regular_window_days: 90, lapsed_after_days: 60 });
  }, 90_000);

  // Blocked by the SQL of updateLoyaltySettings: every valid update fails (the _100_timestamps
  // trigger sets created_at, which loyalty_settings lacks: 42703; past it, the _500_audit trigger
  // inserts an audit entry with entity_id null, the row having no id column: 23502). With both
  // triggers disabled this test passes; run it again once the SQL is fixed.
  it("saves the thresholds: kept after a reload, and the explanation follows", async () => {
    const owner = await e2e.app.db.onboard({ company: "Loyal Beans", timezone: "Europe/Paris" });
    const page = await e2e.page();
    await openSettings(page, owner.email, owner.password);

    const form = page.getByRole("form", { name: "Loyalty thresholds" });
    await meaning(page, "regular").filter({ hasText: "5 or more visits in the last 90 days" }).waitFor();
    await form.getByLabel("Visits that make a regular").fill("3");
    await form.getByLabel("Regular window (days)").fill("30");
    await form.getByLabel("Lapsed after (days)").fill("45");
    await form.getByRole("button", { name: "Save thresholds" }).click();
    await form.getByRole("status").filter({ hasText: "Saved." }).waitFor();
    await meaning(page, "regular").filter({ hasText: /^3 or more visits in the last 30 days\.$/ }).waitFor();
    expect(await meaning(page, "new").textContent()).toBe("First visit within the last 45 days.");
    expect(await meaning(page, "one_time").textContent()).toBe("A single visit, more than 45 days ago.");

    // Kept: in the database and after a reload.
    const { rows } = await owner.query("select * from app_public.current_loyalty_settings()");
    expect(rows[0]).toMatchObject({ regular_min_visits: 3, regular_window_days: 30, lapsed_after_days: 45 });
    await page.reload();
    await meaning(page, "lapsed").filter({ hasText: "2 or more visits, none in the last 45 days." }).waitFor();
    expect(await form.getByLabel("Visits that make a regular").inputValue()).toBe("3");
    expect(await form.getByLabel("Regular window (days)").inputValue()).toBe("30");
    expect(await form.getByLabel("Lapsed after (days)").inputValue()).toBe("45");

    // A window longer than the lapse: a regular's latest visit must also be recent.
    await form.getByLabel("Regular window (days)").fill("120");
    await form.getByRole("button", { name: "Save thresholds" }).click();
    await meaning(page, "regular").filter({ hasText: /^3 or more visits in the last 120 days, the latest within the last 45 days\.$/ }).waitFor();
  }, 90_000);

  it("adds, renames and deletes customer types; refuses a duplicate name and a type in use", async () => {
    const owner = await e2e.app.db.onboard({ company: "Typed Tea", timezone: "Europe/Paris" });
    const page = await e2e.page();
    await openSettings(page, owner.email, owner.password);

    const table = page.getByRole("table", { name: "Customer types" });
    await table.getByRole("row", { name: /^Wholesale/ }).waitFor();
    expect(await typeNames(page)).toEqual(["Walk-in", "Regular", "VIP", "Wholesale"]);

    // Add.
    const add = page.getByRole("form", { name: "Add a customer type" });
    await add.getByLabel("New customer type").fill("Staff");
    await add.getByRole("button", { name: "Add type" }).click();
    await table.getByRole("row", { name: /^Staff/ }).waitFor();
    expect(await typeNames(page)).toEqual(["Walk-in", "Regular", "VIP", "Wholesale", "Staff"]);
    expect(await add.getByLabel("New customer type").inputValue()).toBe("");

    // A name already taken, whatever its case: the server's words under the name.
    await add.getByLabel("New customer type").fill("vip");
    await add.getByRole("button", { name: "Add type" }).click();
    await expect.poll(() => invalidFields(add), { timeout: 15_000 }).toEqual(["New customer type"]);
    expect(await helpOf(add, "New customer type")).toBe('There is already a customer type called "vip".');
    expect(await typeNames(page)).toHaveLength(5);

    // Rename; a taken name is refused in the dialog.
    await page.getByRole("button", { name: "Rename Staff" }).click();
    const rename = page.getByRole("dialog", { name: "Rename customer type" });
    expect(await rename.getByLabel("Type name").inputValue()).toBe("Staff");
    await rename.getByLabel("Type name").fill("Regular");
    await rename.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => invalidFields(rename), { timeout: 15_000 }).toEqual(["Type name"]);
    expect(await helpOf(rename, "Type name")).toBe('There is already a customer type called "Regular".');
    await rename.getByLabel("Type name").fill("Team");
    await rename.getByRole("button", { name: "Save" }).click();
    await rename.waitFor({ state: "hidden" });
    await table.getByRole("row", { name: /^Team/ }).waitFor();
    expect(await typeNames(page)).toEqual(["Walk-in", "Regular", "VIP", "Wholesale", "Team"]);

    // Delete a type nobody has.
    await page.getByRole("button", { name: "Delete Team" }).click();
    const remove = page.getByRole("dialog", { name: "Delete customer type" });
    await remove.getByText("Delete “Team”?").waitFor();
    await remove.getByRole("button", { name: "Delete" }).click();
    await remove.waitFor({ state: "hidden" });
    await expect.poll(() => typeNames(page)).toEqual(["Walk-in", "Regular", "VIP", "Wholesale"]);

    // A type a customer has stays, and the dialog says how many have it.
    const vip = (await owner.query("select id from app_public.customer_types where key = 'vip'")).rows[0].id as string;
    const customer = (await owner.query("select (app_public.create_customer(first_name => 'Vera', last_name => 'Ip')).id")).rows[0].id;
    await owner.query("select app_public.set_customer_type($1, $2)", [customer, vip]);
    await page.getByRole("button", { name: "Delete VIP" }).click();
    await remove.getByRole("button", { name: "Delete" }).click();
    await remove
      .getByRole("alert")
      .filter({ hasText: '"VIP" is the type of 1 customer; give them another type first, or rename it.' })
      .waitFor();
    await remove.getByRole("button", { name: "Cancel" }).click();
    await remove.waitFor({ state: "hidden" });
    expect(await typeNames(page)).toEqual(["Walk-in", "Regular", "VIP", "Wholesale"]);
    const kept = await owner.query("select label from app_public.customer_types where id = $1", [vip]);
    expect(kept.rows).toEqual([{ label: "VIP" }]);
  }, 90_000);

  it("shows a manager the thresholds and types without ways to change them", async () => {
    const owner = await e2e.app.db.onboard({ company: "Read Only Rolls", timezone: "Europe/Paris" });
    const manager = await e2e.app.db.asUser(owner.tenantId, "manager");
    const page = await e2e.page();
    await openSettings(page, manager.email, manager.password);

    await meaning(page, "regular").filter({ hasText: "5 or more visits in the last 90 days" }).waitFor();
    await page.getByRole("table", { name: "Customer types" }).getByRole("row", { name: /^VIP/ }).waitFor();
    expect(await page.getByRole("form", { name: "Loyalty thresholds" }).count()).toBe(0);
    expect(await page.getByRole("form", { name: "Add a customer type" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: /^(Rename|Delete) / }).count()).toBe(0);
  }, 90_000);
});
