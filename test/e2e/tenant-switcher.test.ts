// The business switcher in the top bar: moving between two businesses changes what the whole
// app shows; "Create another business" creates one and moves into it.
import { describe, expect, it } from "vitest";
import { useE2E } from "./helpers/e2e.ts";
import { chooseTimeZone, currentBusiness, signIn } from "./helpers/ui.ts";

const e2e = useE2E();

describe("tenant switcher", () => {
  it("switches between two businesses and reloads their data", async () => {
    const owner = await e2e.app.db.onboard({ company: "Alpha Bikes", timezone: "Europe/Paris" });
    await owner.query("select app_public.create_business($1, $2)", ["Beta Boards", "Asia/Tokyo"]);
    const zoneOf: Record<string, string> = { "Alpha Bikes": "Europe/Paris", "Beta Boards": "Asia/Tokyo" };

    const page = await e2e.page();
    await page.goto("/login");
    await signIn(page, owner.email, owner.password);
    await page.waitForURL(`${e2e.app.baseUrl}/`);
    await page.getByRole("link", { name: "Settings" }).click();

    for (let round = 0; round < 2; round++) {
      const before = (await currentBusiness(page).textContent())!;
      const after = before === "Alpha Bikes" ? "Beta Boards" : "Alpha Bikes";
      await page.getByRole("button", { name: "Switch business" }).click();
      await page.getByRole("menuitem", { name: new RegExp(`^${before}`) }).waitFor();
      await page.getByRole("menuitem", { name: new RegExp(`^${after}`) }).click();
      await page.getByTestId("current-business").filter({ hasText: after }).waitFor();
      // Still on Settings, now showing the other business's name and locations.
      expect(page.url()).toBe(`${e2e.app.baseUrl}/settings`);
      await page.getByTestId("settings-business-name").filter({ hasText: after }).waitFor();
      await page.getByRole("row", { name: `Main store ${zoneOf[after]}` }).waitFor();
    }
  });

  it("creates another business from the switcher and works in it", async () => {
    const owner = await e2e.app.db.onboard({ company: "Gamma Games", timezone: "Europe/Paris" });
    const page = await e2e.page();
    await page.goto("/login");
    await signIn(page, owner.email, owner.password);
    await currentBusiness(page).filter({ hasText: "Gamma Games" }).waitFor();

    await page.getByRole("button", { name: "Switch business" }).click();
    await page.getByRole("menuitem", { name: "Create another business" }).click();
    const dialog = page.getByRole("dialog", { name: "Create another business" });
    await dialog.getByLabel("Business name").fill("Delta Darts");
    await chooseTimeZone(page, "America/Chicago");
    await dialog.getByRole("button", { name: "Create business" }).click();
    await currentBusiness(page).filter({ hasText: "Delta Darts" }).waitFor();

    await page.getByRole("button", { name: "Switch business" }).click();
    expect(await page.getByRole("menuitem").allTextContents()).toEqual([
      "Delta Darts",
      "Gamma Games",
      "Create another business",
    ]);
  });
});
