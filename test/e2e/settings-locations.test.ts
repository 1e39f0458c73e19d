// Settings: adding a location shows it in the table; an unknown time zone cannot be chosen;
// the server's refusals (a duplicate name) are shown in words; renaming the business reaches
// the top bar; people without settings.update see the list but cannot change it.
import { describe, expect, it } from "vitest";
import { useE2E } from "./helpers/e2e.ts";
import { chooseTimeZone, currentBusiness, helpOf, invalidFields, signIn } from "./helpers/ui.ts";

const e2e = useE2E();

describe("settings: locations", () => {
  it("adds a location, refuses an unknown time zone and a duplicate name", async () => {
    const owner = await e2e.app.db.onboard({ company: "Lisbon Books", timezone: "Europe/Lisbon" });
    const page = await e2e.page();
    await page.goto("/login");
    await signIn(page, owner.email, owner.password);
    await page.getByRole("link", { name: "Settings" }).click();
    await page.waitForURL(`${e2e.app.baseUrl}/settings`);

    const table = page.getByRole("table", { name: "Locations" });
    await table.getByRole("row", { name: "Main store Europe/Lisbon" }).waitFor();
    expect(await page.getByTestId("settings-business-name").textContent()).toBe("Lisbon Books");

    // An unknown zone is not offered, so it cannot be chosen.
    await page.getByRole("button", { name: "Add location" }).click();
    const dialog = page.getByRole("dialog", { name: "Add location" });
    await dialog.getByLabel("Location name").fill("Porto Riverside");
    await dialog.getByRole("combobox", { name: "Time zone" }).fill("Mars/Olympus");
    await page.getByText("No time zone matches").waitFor();

    // A real one is, by city name as well.
    await chooseTimeZone(page, "America/New_York");
    await dialog.getByRole("button", { name: "Add location" }).click();
    await dialog.waitFor({ state: "hidden" });
    await table.getByRole("row", { name: "Porto Riverside America/New_York" }).waitFor();

    // A duplicate name: the database refuses, the dialog says why under the name.
    await page.getByRole("button", { name: "Add location" }).click();
    await dialog.getByLabel("Location name").fill("Main store");
    await dialog.getByRole("button", { name: "Add location" }).click();
    await expect.poll(() => invalidFields(dialog), { timeout: 15_000 }).toEqual(["Location name"]);
    expect(await helpOf(dialog, "Location name")).toBe('There is already a location named "Main store".');
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "hidden" });
    expect(await table.getByRole("row").count()).toBe(3); // header + two locations

    // Renaming the business shows the new name in the top bar as well.
    await page.getByRole("button", { name: "Rename", exact: true }).click();
    const rename = page.getByRole("dialog", { name: "Rename business" });
    await rename.getByLabel("Business name").fill("Lisbon Books & Maps");
    await rename.getByRole("button", { name: "Save" }).click();
    await rename.waitFor({ state: "hidden" });
    await currentBusiness(page).filter({ hasText: "Lisbon Books & Maps" }).waitFor();
  }, 90_000);

  it("shows a manager the locations without the Add button, and hides Settings from a cashier", async () => {
    const owner = await e2e.app.db.onboard({ company: "Quiet Corner", timezone: "Europe/Berlin" });
    const manager = await e2e.app.db.asUser(owner.tenantId, "manager");
    const cashier = await e2e.app.db.asUser(owner.tenantId, "cashier");

    const page = await e2e.page();
    await page.goto("/login");
    await signIn(page, manager.email, manager.password);
    await page.getByRole("link", { name: "Settings" }).click();
    await page.getByRole("table", { name: "Locations" }).getByRole("row", { name: "Main store Europe/Berlin" }).waitFor();
    await page.getByText("Your role can see these settings but not change them.").waitFor();
    expect(await page.getByRole("button", { name: "Add location" }).count()).toBe(0);

    const other = await e2e.page();
    await other.goto("/login");
    await signIn(other, cashier.email, cashier.password);
    await other.getByRole("link", { name: "POS" }).waitFor();
    expect(await other.getByRole("link", { name: "Settings" }).count()).toBe(0);
    await other.goto("/settings");
    await other.getByText("Your role in this business does not include settings.").waitFor();
  }, 90_000);
});
