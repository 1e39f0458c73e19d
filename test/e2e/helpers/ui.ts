// What a person does, in words: sign in, pick a time zone, open the business switcher.
import type { Page } from "playwright-core";

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
