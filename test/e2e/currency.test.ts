// A business's currency, as its owner sees it: chosen at sign-up (yen has no decimals, at the
// till too), changed in Settings with a preview of how amounts will read, and refused under the
// field, in the server's words, once the business has sold something.
import { describe, expect, it } from "vitest";
import { uniqueEmail } from "../helpers/db.ts";
import { useE2E } from "./helpers/e2e.ts";
import { helpOf, signIn } from "./helpers/ui.ts";

const e2e = useE2E();
const FLOW_MS = 120_000;
const exactly = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);

describe("the business's currency", () => {
  it("is chosen at sign-up, and the till sells in it: a price in yen has no decimals", async () => {
    const page = await e2e.page();
    await page.goto("/onboard");
    await page.getByLabel("Business name").fill("Sakura Tea");
    await page.getByLabel("Your name").fill("Aiko Sato");
    await page.getByLabel("Email").fill(uniqueEmail("aiko"));
    await page.getByLabel("Password").fill("matcha-and-rain-42");
    await expect.poll(() => page.getByRole("combobox", { name: "Currency" }).inputValue(), { timeout: 15_000 }).toBe("USD — US Dollar");
    await page.getByRole("combobox", { name: "Currency" }).fill("yen");
    await page.getByRole("option", { name: "JPY — Japanese Yen", exact: true }).click();
    await page.getByRole("button", { name: "Create business" }).click();
    await page.getByRole("heading", { name: "Welcome, Aiko" }).waitFor();

    await page.getByRole("link", { name: "Settings" }).click();
    await page.getByTestId("settings-money").filter({ hasText: /^Sells in JPY · amounts read ¥1,235 / }).waitFor();

    await page.getByRole("link", { name: "POS" }).click();
    await page.getByRole("button", { name: "Add your first item" }).click();
    const dialog = page.getByRole("dialog", { name: "Add item" });
    await dialog.getByLabel("Item name").fill("Sencha");
    await dialog.getByLabel("SKU").fill("sencha");
    await dialog.getByLabel("Price").fill("4.50");
    await dialog.getByRole("button", { name: "Add item" }).click();
    await dialog.getByText("Enter a price such as 350.").waitFor(); // yen: no decimals
    await dialog.getByLabel("Price").fill("450");
    await dialog.getByRole("button", { name: "Add item" }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.getByRole("list", { name: "Items for sale" }).getByRole("button", { name: /Sencha.*¥450/ }).click();
    await page.getByTestId("cart-total").filter({ hasText: exactly("¥450") }).waitFor();
    await page.getByRole("button", { name: "Charge ¥450" }).waitFor();
  }, FLOW_MS);

  it("changes in Settings before the first sale, with a preview; after a sale the server refuses it under the field", async () => {
    const owner = await e2e.app.db.onboard({ company: "Corner Books" });
    const page = await e2e.page();
    await page.goto("/login");
    await signIn(page, owner.email, owner.password);
    await page.getByRole("link", { name: "Settings" }).click();
    const money = page.getByTestId("settings-money");
    await money.filter({ hasText: "Sells in USD · amounts read $1,234.56 (en-US)" }).waitFor();

    await page.getByRole("button", { name: "Change currency" }).click();
    const dialog = page.getByRole("dialog", { name: "Currency and number format" });
    const currency = dialog.getByRole("combobox", { name: "Currency" });
    // The field shows the currency the business has before one types over it.
    await expect.poll(() => currency.inputValue(), { timeout: 15_000 }).toBe("USD — US Dollar");
    await currency.fill("EUR");
    await page.getByRole("option", { name: "EUR — Euro", exact: true }).click();
    await dialog.getByLabel("Number format").fill("fr-FR");
    await dialog.getByTestId("money-preview").filter({ hasText: /^Amounts will read 1\s234,56\s€\.$/ }).waitFor();
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "hidden" });
    await money.filter({ hasText: /^Sells in EUR · amounts read 1\s234,56\s€ \(fr-FR\)$/ }).waitFor();

    // A sale, then another try: refused where the currency is chosen, nothing changed.
    const item = await owner.query("insert into app_public.catalog_items (name, sku, price) values ('Map', 'MAP', 1200) returning id");
    const location = (await owner.query("select id from app_public.locations")).rows[0].id;
    await owner.query("select app_public.record_tender(o.id, 'cash', o.total) from app_public.place_order($1, $2::jsonb) o", [
      location,
      JSON.stringify([{ catalog_item_id: item.rows[0].id, quantity: 1 }]),
    ]);
    await page.getByRole("button", { name: "Change currency" }).click();
    await expect.poll(() => currency.inputValue(), { timeout: 15_000 }).toBe("EUR — Euro");
    await currency.fill("GBP");
    await page.getByRole("option", { name: "GBP — British Pound", exact: true }).click();
    await dialog.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => helpOf(dialog, "Currency"), { timeout: 15_000 }).toBe("The currency stays EUR: the business has sales recorded in it.");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await money.filter({ hasText: /^Sells in EUR/ }).waitFor();
    expect((await owner.query("select currency from app_public.tenants")).rows[0].currency).toBe("EUR");
  }, FLOW_MS);
});
