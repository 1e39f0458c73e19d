// What a person does, in words: sign in, pick a time zone, open the business switcher; and what a
// form shows them: the text under an input, the inputs marked invalid.
import type { Locator, Page } from "playwright-core";

export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Types into the time zone box and picks the option with exactly this label. */
export async function chooseTimeZone(page: Page, zone: string): Promise<void> {
  const box = page.getByRole("combobox", { name: "Time zone" });
  await box.fill(zone);
  await page.getByRole("option", { name: zone.replaceAll("_", " "), exact: true }).click();
}

/** The business name shown in the top bar. */
export const currentBusiness = (page: Page) => page.getByTestId("current-business");

/** The text shown under a form field (its helper text, found through aria-describedby). */
export async function helpOf(scope: Page | Locator, label: string): Promise<string> {
  const page = "mainFrame" in scope ? scope : scope.page();
  const field = scope.getByLabel(label, { exact: true });
  const ids = (await field.getAttribute("aria-describedby")) ?? "";
  const texts = await Promise.all(
    ids
      .split(/\s+/)
      .filter(Boolean)
      .map((id) => page.locator(`[id="${id}"]`).textContent()),
  );
  return texts.join(" ").trim();
}

/** The labels of the form's inputs marked invalid (MUI's error state: aria-invalid). */
export async function invalidFields(scope: Page | Locator): Promise<string[]> {
  const fields = scope.locator("input[aria-invalid='true'], textarea[aria-invalid='true']");
  return fields.evaluateAll((els) => els.map((el) => (el as HTMLInputElement).labels?.[0]?.textContent?.replace(/\s*\*$/, "").trim() ?? "?"));
}
