// Phones for the world and names in two scripts, in the browser: a business in Oman (its country
// for phone numbers set in Settings from the database's list) adds a customer with a national
// number and an Arabic name; the manager sees the phone in full and the Arabic name right-to-left
// on the profile, the list and the search; a cashier sees the phone masked (+968 •••• 3456) and
// finds the customer by the Arabic name and by the whole number, not by a part of it.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { useE2E } from "./helpers/e2e.ts";
import { signIn } from "./helpers/ui.ts";

const e2e = useE2E();

const eventually = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000 });

async function signedIn(member: { email: string; password: string }, path: string): Promise<Page> {
  const page = await e2e.page();
  await page.goto("/login");
  await signIn(page, member.email, member.password);
  await page.getByRole("link", { name: "Customers" }).waitFor();
  await page.goto(path);
  return page;
}

const rowsOf = (page: Page) => page.getByRole("table", { name: "Customers" }).getByTestId("customer-row");

describe("phones and names in two scripts", () => {
  it("an Omani business: national numbers read as Oman's, the Arabic name right-to-left, phones masked for a cashier", { timeout: 120_000 }, async () => {
    const owner = await e2e.app.db.onboard({ company: "Muscat Coffee", timezone: "Asia/Muscat" });
    const manager = await e2e.app.db.asUser(owner.tenantId, "manager");
    const cashier = await e2e.app.db.asUser(owner.tenantId, "cashier");

    // The owner sets the country for phone numbers in Settings, from the list.
    const settings = await signedIn(owner, "/settings");
    await settings.getByTestId("settings-phone-country").filter({ hasText: "United States (+1)" }).waitFor();
    await settings.getByRole("button", { name: "Change country" }).click();
    const dialog = settings.getByRole("dialog", { name: "Country for phone numbers" });
    await dialog.getByRole("combobox", { name: "Country" }).fill("Oman");
    await settings.getByRole("option", { name: "Oman (+968)" }).click();
    await dialog.getByRole("button", { name: "Save" }).click();
    await settings.getByTestId("settings-phone-country").filter({ hasText: "Oman (+968)" }).waitFor();

    // The manager adds Salim with a national number and his name in Arabic.
    const page = await signedIn(manager, "/customers");
    await page.getByRole("button", { name: "Add customer" }).click();
    const form = page.getByRole("dialog", { name: "Add customer" });
    await form.getByLabel("First name").fill("Salim");
    await form.getByLabel("Last name").fill("Al Abri");
    await form.getByLabel("Name in another script").fill("سالم العبري");
    expect(await form.getByTestId("customer-alt-name-input").getAttribute("dir")).toBe("rtl");
    await form.getByLabel("Phone").fill("9123 3456");
    await form.getByRole("button", { name: "Add customer" }).click();
    await form.waitFor({ state: "hidden" });
    const listed = rowsOf(page).filter({ hasText: "Salim Al Abri" });
    await listed.waitFor();
    expect(await listed.getByTestId("customer-alt-name").getAttribute("dir")).toBe("rtl");
    expect(await listed.textContent()).toContain("9123 3456");
    await listed.getByRole("link", { name: "Salim Al Abri" }).click();
    await page.getByRole("heading", { name: "Salim Al Abri", level: 1 }).waitFor();
    const profile = page.getByTestId("profile-card");
    const alt = profile.getByTestId("customer-alt-name");
    await alt.filter({ hasText: "سالم العبري" }).waitFor();
    expect(await alt.getAttribute("dir")).toBe("rtl");
    expect(await alt.evaluate((el) => getComputedStyle(el).direction)).toBe("rtl");
    // In full, written as Omanis write it (the business's own country: national format).
    await profile.getByText("9123 3456", { exact: true }).waitFor();
    const { rows } = await owner.query("select id, phone, alt_name from app_public.customers where first_name = 'Salim'");
    expect(rows).toEqual([{ id: rows[0].id, phone: "+96891233456", alt_name: "سالم العبري" }]);

    // The cashier: the phone masked on the profile and in the list; the Arabic name found by the search.
    const till = await signedIn(cashier, `/customers/${rows[0].id}`);
    await till.getByRole("heading", { name: "Salim Al Abri", level: 1 }).waitFor();
    await till.getByTestId("profile-card").getByText("+968 •••• 3456", { exact: true }).waitFor();
    expect(await till.getByTestId("profile-card").getByText("9123 3456").count()).toBe(0);
    await till.goto("/customers");
    const row = rowsOf(till).filter({ hasText: "Salim Al Abri" });
    await row.waitFor();
    expect(await row.textContent()).toContain("+968 •••• 3456");
    expect(await row.textContent()).not.toContain("9123 3456");
    expect(await row.getByTestId("customer-alt-name").getAttribute("dir")).toBe("rtl");

    const search = till.getByLabel("Search customers");
    await search.fill("سالم");
    await eventually(async () => (await rowsOf(till).allInnerTexts()).join("\n")).toContain("Salim Al Abri");
    await search.fill("9123");
    await eventually(async () => rowsOf(till).count()).toBe(0);
    await search.fill("9123 3456");
    await eventually(async () => (await rowsOf(till).allInnerTexts()).join("\n")).toContain("Salim Al Abri");
  });
});
