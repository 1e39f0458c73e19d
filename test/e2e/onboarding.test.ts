// A newcomer creates their business, signs out, signs back in, and gets clear answers when
// something is wrong (weak password, email already taken, wrong password).
import { describe, expect, it } from "vitest";
import { uniqueEmail } from "../helpers/db.ts";
import { useE2E } from "./helpers/e2e.ts";
import { currentBusiness, helpOf, invalidFields, signIn } from "./helpers/ui.ts";

const e2e = useE2E();

/** expect.poll with the patience of a locator (its default second is too short for a busy machine). */
const eventually = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000 });

describe("onboarding and sign-in", () => {
  it("creates a business, signs out and back in, and explains every refusal in words", async () => {
    const page = await e2e.page();
    const url = (path: string) => `${e2e.app.baseUrl}${path}`;
    const email = uniqueEmail("hana");
    const password = "harbour-coffee-42";

    // Signed out: the app sends the person to sign-in, which links to onboarding.
    await page.goto("/");
    await page.waitForURL(url("/login"));
    await page.getByRole("link", { name: "Create your business" }).click();
    await page.waitForURL(url("/onboard"));
    await page.getByRole("heading", { name: "Create your business" }).waitFor();
    expect(await page.getByRole("combobox", { name: "Time zone" }).inputValue()).toBe("Europe/Paris");

    // A weak password is refused under the password field, in the server's words.
    await page.getByLabel("Business name").fill("Harbour Coffee");
    await page.getByLabel("Your name").fill("Hana Harbour");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("short");
    await page.getByRole("button", { name: "Create business" }).click();
    await eventually(() => invalidFields(page)).toEqual(["Password"]);
    expect(await helpOf(page, "Password")).toBe("Choose a password of at least 10 characters.");
    expect(page.url()).toBe(url("/onboard"));

    // Fixed: the person lands in the shell of their new business.
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Create business" }).click();
    await page.waitForURL(url("/"));
    await page.getByRole("heading", { name: "Welcome, Hana" }).waitFor();
    expect(await currentBusiness(page).textContent()).toBe("Harbour Coffee");

    // Sign out.
    await page.getByRole("button", { name: "Account" }).click();
    await page.getByRole("menuitem", { name: "Sign out" }).click();
    await page.waitForURL(url("/login"));

    // The email is now taken: onboarding says so and offers to sign in instead.
    await page.goto("/onboard");
    await page.getByLabel("Business name").fill("Harbour Coffee Two");
    await page.getByLabel("Your name").fill("Hana Harbour");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Create business" }).click();
    await eventually(() => invalidFields(page)).toEqual(["Email"]);
    expect(await helpOf(page, "Email")).toBe("An account with this email already exists; sign in instead. Sign in instead");
    await page.getByRole("link", { name: "Sign in instead" }).click();
    await page.waitForURL(url("/login"));
    expect(await page.getByLabel("Email").inputValue()).toBe(email);

    // Signing in again with the same credentials works...
    await signIn(page, email, password);
    await page.waitForURL(url("/"));
    expect(await currentBusiness(page).textContent()).toBe("Harbour Coffee");

    // ...and a signed-in person who opens /login goes straight back to the app.
    await page.goto("/login");
    await page.waitForURL(url("/"));
    await currentBusiness(page).waitFor();

    // A wrong password is refused with the server's message.
    await page.getByRole("button", { name: "Account" }).click();
    await page.getByRole("menuitem", { name: "Sign out" }).click();
    await page.waitForURL(url("/login"));
    await signIn(page, email, "not-the-password-1");
    await page.getByRole("alert").filter({ hasText: "Incorrect email or password." }).waitFor();
    expect(page.url()).toBe(url("/login"));
  });
});
