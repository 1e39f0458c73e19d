// Settings → Tax: an owner adds a rate included in prices (VAT) and one added to them, gives them
// to the location in turn, and the till's totals follow: the customer pays the shelf price with VAT
// included (so reads the line and the receipt: what was paid, and the VAT it holds), then the price
// plus the sales tax. Input the form cannot read or the database refuses is shown under the field.
import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { useE2E } from "./helpers/e2e.ts";
import { helpOf, invalidFields, signIn } from "./helpers/ui.ts";

const e2e = useE2E();
const exactly = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);

/** Opens the till, rings up one croissant and waits for the totals the database gives. */
async function ringUpCroissant(page: Page, totals: { subtotal: string | null; tax: string; taxLabel: string; total: string; line: string }, charge = false) {
  await page.getByRole("link", { name: "POS" }).click();
  await page.getByRole("heading", { name: "Point of sale" }).waitFor();
  await page.getByRole("list", { name: "Items for sale" }).getByRole("button", { name: /Croissant/ }).click();
  await page.getByTestId("cart-total").filter({ hasText: exactly(totals.total) }).waitFor();
  await page.getByTestId("cart-tax").filter({ hasText: exactly(totals.tax) }).waitFor();
  await page.getByText(totals.taxLabel, { exact: true }).waitFor();
  await page.getByTestId("line-amount").filter({ hasText: exactly(totals.line) }).waitFor();
  // Prices that include the tax show no subtotal without it: a shelf never showed one.
  if (totals.subtotal) await page.getByTestId("cart-subtotal").filter({ hasText: exactly(totals.subtotal) }).waitFor();
  else expect(await page.getByTestId("cart-subtotal").count()).toBe(0);
  if (!charge) return void (await page.getByRole("button", { name: "Clear sale" }).click());
  await page.getByRole("button", { name: `Charge ${totals.total}` }).click();
  const payment = page.getByRole("dialog", { name: /Take payment/ });
  await payment.getByRole("button", { name: "Card" }).click();
  await payment.getByRole("button", { name: `Charge ${totals.total} to card` }).click();
  return page.getByRole("dialog", { name: /Sale complete/ }).getByTestId("receipt");
}

async function openTax(page: Page) {
  await page.getByRole("link", { name: "Settings" }).click();
  await page.getByRole("table", { name: "Tax rates" }).waitFor();
}

describe("settings: tax", () => {
  it("a tax rate changes the till's total: VAT included in prices, then a sales tax added to them", async () => {
    const owner = await e2e.app.db.onboard({ company: "Lyon Bakery", timezone: "Europe/Paris" });
    await owner.query("insert into app_public.catalog_items (name, sku, price) values ('Croissant', 'CR-01', 250)");
    await owner.query("update app_public.tenants set tax_rate_bps = 0 where id = $1", [owner.tenantId]);

    const page = await e2e.page();
    await page.goto("/login");
    await signIn(page, owner.email, owner.password);
    await ringUpCroissant(page, { subtotal: "$2.50", tax: "$0.00", taxLabel: "Tax", total: "$2.50", line: "$2.50" });

    // Refusals are shown under the rate; then VAT 20%, included in prices.
    await openTax(page);
    await page.getByRole("button", { name: "Add tax rate" }).click();
    const dialog = page.getByRole("dialog", { name: "Add tax rate" });
    await dialog.getByLabel("Name", { exact: true }).fill("VAT");
    // A percent the form cannot read never reaches the server; one over 100% the database refuses.
    await dialog.getByLabel("Rate", { exact: true }).fill("twenty");
    await dialog.getByRole("button", { name: "Add rate" }).click();
    await expect.poll(() => invalidFields(dialog), { timeout: 15_000 }).toEqual(["Rate"]);
    expect(await helpOf(dialog, "Rate")).toBe("Write the rate as a percent with at most two decimals, such as 8.25.");
    await dialog.getByLabel("Rate", { exact: true }).fill("150");
    await dialog.getByRole("button", { name: "Add rate" }).click();
    await expect.poll(() => invalidFields(dialog), { timeout: 15_000 }).toEqual(["Rate"]);
    expect(await helpOf(dialog, "Rate")).toBe("The rate must be from 0% to 100% (0 to 10000 basis points).");
    await dialog.getByLabel("Rate", { exact: true }).fill("20");
    await dialog.getByLabel("Added to prices at the till").check();
    await dialog.getByRole("button", { name: "Add rate" }).click();
    await dialog.waitFor({ state: "hidden" });
    const rates = page.getByRole("table", { name: "Tax rates" });
    await rates.getByRole("row", { name: /^VAT 20% included in prices/ }).waitFor();

    // Main store charges the default until told otherwise, and says so.
    expect(await page.getByRole("combobox", { name: "Main store" }).textContent()).toBe("Default (0% added to prices)");

    // Main store charges it: the croissant still costs 2.50, 0.42 of it VAT (2.50 × 20/120).
    await page.getByRole("combobox", { name: "Main store" }).click();
    await page.getByRole("option", { name: "VAT (20% included in prices)" }).click();
    await rates.getByRole("row", { name: "VAT 20% included in prices Main store" }).waitFor();
    const receipt = (await ringUpCroissant(page, { subtotal: null, tax: "$0.42", taxLabel: "Includes VAT (20%)", total: "$2.50", line: "$2.50" }, true))!;
    // The receipt too: what was paid for the line, and the VAT the total holds.
    await receipt.getByRole("row", { name: "1 × Croissant $2.50" }).waitFor();
    await receipt.getByRole("row", { name: "Total $2.50" }).waitFor();
    await receipt.getByRole("row", { name: "Includes VAT (20%) $0.42" }).waitFor();
    expect(await receipt.getByRole("row", { name: /^Subtotal/ }).count()).toBe(0);
    await page.getByRole("dialog", { name: /Sale complete/ }).getByRole("button", { name: "New sale" }).click();

    // A sales tax of 8.5% added to prices: the same croissant is now 2.50 + 0.21.
    await openTax(page);
    await page.getByRole("button", { name: "Add tax rate" }).click();
    await dialog.getByLabel("Name", { exact: true }).fill("Sales tax");
    await dialog.getByLabel("Rate", { exact: true }).fill("8.5");
    await dialog.getByRole("button", { name: "Add rate" }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.getByRole("combobox", { name: "Main store" }).click();
    await page.getByRole("option", { name: "Sales tax (8.5% added to prices)" }).click();
    await rates.getByRole("row", { name: "Sales tax 8.5% added to prices Main store" }).waitFor();
    await ringUpCroissant(page, { subtotal: "$2.50", tax: "$0.21", taxLabel: "Sales tax (8.5%)", total: "$2.71", line: "$2.50" });
  }, 120_000);
});
