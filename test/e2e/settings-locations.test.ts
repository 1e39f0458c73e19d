// Settings: adding a location shows it in the table; an unknown time zone cannot be chosen;
// the server's refusals (a duplicate name) are shown in words; renaming the business reaches
// the top bar; people without settings.update see the list but cannot change it. A location is
// renamed and moved to another zone (not once it has sales); closed, it leaves the POS picker
// and a till still showing it is refused the sale; reopened, it comes back. The receipt shows the
// business's address and footer.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { useE2E } from "./helpers/e2e.ts";
import { chooseTimeZone, currentBusiness, helpOf, invalidFields, signIn } from "./helpers/ui.ts";

/** The POS location picker's choices. */
async function pickerChoices(page: Page): Promise<string[]> {
  await page.getByRole("combobox", { name: /Location/ }).click();
  const options = page.getByRole("listbox").getByRole("option");
  await options.first().waitFor();
  const names = await options.allTextContents();
  await page.keyboard.press("Escape");
  await page.getByRole("listbox").waitFor({ state: "hidden" });
  return names;
}

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
    // A name of spaces only is refused by the database, under the name.
    await rename.getByLabel("Business name").fill("   ");
    await rename.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => invalidFields(rename), { timeout: 15_000 }).toEqual(["Business name"]);
    expect(await helpOf(rename, "Business name")).toBe("Business name is required.");
    await rename.getByLabel("Business name").fill("Lisbon Books & Maps");
    await expect.poll(() => invalidFields(rename)).toEqual([]);
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

  it("edits a location, closes it (out of the POS, selling there refused) and reopens it", async () => {
    const owner = await e2e.app.db.onboard({ company: "Quay Coffee", timezone: "Europe/Lisbon" });
    await owner.query("insert into app_public.locations (name, timezone) values ($1, $2)", ["Kiosk", "Europe/Lisbon"]);
    const item = await owner.query("insert into app_public.catalog_items (name, sku, price) values ('Bica', 'BICA', 120) returning id");
    // Main store has a sale: its time zone is part of that sale's record.
    const main = (await owner.query("select id from app_public.locations where name = 'Main store'")).rows[0].id;
    await owner.query("select app_public.record_tender(o.id, 'cash', o.total) from app_public.place_order($1, $2::jsonb) o", [
      main,
      JSON.stringify([{ catalog_item_id: item.rows[0].id, quantity: 1 }]),
    ]);

    const page = await e2e.page();
    await page.goto("/login");
    await signIn(page, owner.email, owner.password);
    await page.getByRole("link", { name: "Settings" }).click();
    const table = page.getByRole("table", { name: "Locations" });
    const dialog = page.getByRole("dialog", { name: "Edit location" });

    // Main store's zone is fixed: the server's words under the zone.
    await table.getByRole("button", { name: "Edit Main store" }).click();
    await chooseTimeZone(page, "America/New_York");
    await dialog.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => helpOf(dialog, "Time zone"), { timeout: 15_000 }).toBe(
      "Main store has sales dated on its clock (Europe/Lisbon): its time zone cannot change. Open a new location for another time zone.",
    );
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "hidden" });
    await table.getByRole("row", { name: "Main store Europe/Lisbon Open" }).waitFor();

    // The kiosk has none: renamed and moved.
    await table.getByRole("button", { name: "Edit Kiosk" }).click();
    await dialog.getByLabel("Location name").fill("Quay Kiosk");
    await chooseTimeZone(page, "Atlantic/Madeira");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "hidden" });
    await table.getByRole("row", { name: "Quay Kiosk Atlantic/Madeira Open" }).waitFor();

    // A till at the kiosk, in another tab, with a sale in its cart.
    const till = await page.context().newPage();
    await till.goto("/pos");
    expect(await pickerChoices(till)).toEqual(["Main store", "Quay Kiosk"]);
    await till.getByRole("combobox", { name: /Location/ }).click();
    await till.getByRole("option", { name: "Quay Kiosk" }).click();
    await till.getByText("Selling at Quay Kiosk.").waitFor();
    await till.getByRole("list", { name: "Items for sale" }).getByRole("button", { name: /Bica/ }).click();
    await till.getByTestId("cart-total").filter({ hasText: "$1.20" }).waitFor();

    // The kiosk closes, after a confirm.
    await table.getByRole("button", { name: "Close Quay Kiosk" }).click();
    const closing = page.getByRole("dialog", { name: "Close Quay Kiosk" });
    await closing.getByText("Quay Kiosk stops selling and leaves the POS location picker.", { exact: false }).waitFor();
    await closing.getByRole("button", { name: "Close location" }).click();
    await closing.waitFor({ state: "hidden" });
    await table.getByRole("row", { name: "Quay Kiosk Atlantic/Madeira Closed" }).waitFor();
    expect(await table.getByRole("button", { name: "Close Quay Kiosk" }).count()).toBe(0);

    // Main store is now the only open location: it cannot close.
    await table.getByRole("button", { name: "Close Main store" }).click();
    const closeMain = page.getByRole("dialog", { name: "Close Main store" });
    await closeMain.getByRole("button", { name: "Close location" }).click();
    await closeMain.getByText("Main store is the business's only open location: open another before closing it.").waitFor();
    await closeMain.getByRole("button", { name: "Cancel" }).click();
    await closeMain.waitFor({ state: "hidden" });

    // The till that still shows the kiosk: the sale is refused.
    await till.getByRole("button", { name: "Charge $1.20" }).click();
    await till.getByText("Quay Kiosk is closed: reopen it in Settings to sell there.").waitFor();
    // Reloaded, it sells at Main store and no longer offers the kiosk.
    await till.reload();
    await till.getByText("Selling at Main store.").waitFor();
    expect(await pickerChoices(till)).toEqual(["Main store"]);

    // Reopened, the kiosk is back.
    await table.getByRole("button", { name: "Reopen Quay Kiosk" }).click();
    const reopening = page.getByRole("dialog", { name: "Reopen Quay Kiosk" });
    await reopening.getByRole("button", { name: "Reopen location" }).click();
    await reopening.waitFor({ state: "hidden" });
    await table.getByRole("row", { name: "Quay Kiosk Atlantic/Madeira Open" }).waitFor();
    await till.reload();
    await till.getByText("Selling at Quay Kiosk.").waitFor(); // the till remembered it
    expect(await pickerChoices(till)).toEqual(["Main store", "Quay Kiosk"]);

    const { rows } = await e2e.app.db.owner.query("select count(*)::int as n from app_public.orders where tenant_id = $1", [owner.tenantId]);
    expect(rows[0].n).toBe(1); // only the sale made before: nothing at the closed kiosk
  }, 120_000);

  it("prints the business's address and footer on the receipt", async () => {
    const owner = await e2e.app.db.onboard({ company: "Tide Books", timezone: "Europe/Lisbon" });
    await owner.query("insert into app_public.catalog_items (name, sku, price) values ('Tide tables', 'TIDE', 900)");
    const manager = await e2e.app.db.asUser(owner.tenantId, "manager");

    const page = await e2e.page();
    await page.goto("/login");
    await signIn(page, owner.email, owner.password);
    await page.getByRole("link", { name: "Settings" }).click();
    const form = page.getByRole("form", { name: "Receipt" });
    await form.getByLabel("Address").fill("  12 Rua do Cais\n1100-001 Lisboa  ");
    await form.getByLabel("Footer").fill("Obrigado! Returns within 30 days.");
    await form.getByRole("button", { name: "Save receipt" }).click();
    await form.getByText("Saved. Receipts show the new text.").waitFor();
    // The database trimmed the address.
    expect(await form.getByLabel("Address").inputValue()).toBe("12 Rua do Cais\n1100-001 Lisboa");

    await page.getByRole("link", { name: "POS" }).click();
    await page.getByRole("list", { name: "Items for sale" }).getByRole("button", { name: /Tide tables/ }).click();
    await page.getByRole("button", { name: "Charge $9.00" }).click();
    const payment = page.getByRole("dialog", { name: /Take payment/ });
    await payment.getByRole("button", { name: "Card" }).click();
    await payment.getByRole("button", { name: "Charge $9.00 to card" }).click();
    const receipt = page.getByRole("dialog", { name: /Sale complete/ }).getByTestId("receipt");
    await receipt.getByRole("row", { name: "Card $9.00", exact: true }).waitFor();
    expect(await receipt.getByTestId("receipt-address").innerText()).toBe("12 Rua do Cais\n1100-001 Lisboa");
    expect(await receipt.getByTestId("receipt-footer").textContent()).toBe("Obrigado! Returns within 30 days.");
    // Under the business's name, the footer last.
    const order = (await receipt.innerText()).split("\n").filter(Boolean);
    expect(order.slice(0, 3)).toEqual(["Tide Books", "12 Rua do Cais", "1100-001 Lisboa"]);
    expect(order.at(-1)).toBe("Obrigado! Returns within 30 days.");

    // A manager reads them, without a form.
    const other = await e2e.page();
    await other.goto("/login");
    await signIn(other, manager.email, manager.password);
    await other.getByRole("link", { name: "Settings" }).click();
    await other.getByText("Obrigado! Returns within 30 days.").waitFor();
    expect(await other.getByRole("button", { name: "Save receipt" }).count()).toBe(0);
  }, 90_000);
});
