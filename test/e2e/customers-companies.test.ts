// Company customers in the browser (issue 16): adding a company with the customer form's
// Person/Company switch, its credit limit and payment terms on its page, three contacts on the
// Contacts card with the primary moved by "Make primary", the list's kind filter and Company
// column, the type-ahead finding the company by a contact's name, and the POS showing the
// company's terms once it is attached to a sale.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import type { Member } from "../helpers/db.ts";
import { useE2E } from "./helpers/e2e.ts";
import { signIn } from "./helpers/ui.ts";

const e2e = useE2E();

/** expect.poll with the patience of a locator (its default second is too short for a busy machine). */
const eventually = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000 });
const FLOW_MS = 120_000;

async function signedIn(member: Member, path = "/customers"): Promise<Page> {
  const page = await e2e.page();
  await page.goto("/login");
  await signIn(page, member.email, member.password);
  await page.getByRole("link", { name: "Customers" }).waitFor();
  await page.goto(path);
  return page;
}

async function addContact(page: Page, fields: { first: string; last: string; email: string; role?: string }) {
  await page.getByTestId("contacts-card").getByRole("button", { name: "Add contact" }).click();
  const dialog = page.getByRole("dialog", { name: "Add contact" });
  await dialog.getByLabel("First name").fill(fields.first);
  await dialog.getByLabel("Last name").fill(fields.last);
  await dialog.getByLabel("Email").fill(fields.email);
  if (fields.role) {
    await dialog.getByLabel("Role").click();
    await page.getByRole("option", { name: fields.role }).click();
  }
  await dialog.getByRole("button", { name: "Add contact" }).click();
  await dialog.waitFor({ state: "detached" });
}

const contactRows = (page: Page) => page.getByTestId("contacts-card").getByTestId("contact");

describe("company customers", () => {
  it("adds a company with its terms, three contacts, and moves the primary", { timeout: FLOW_MS }, async () => {
    const owner = await e2e.app.db.onboard({ company: "Wholesale Beans" });
    const page = await signedIn(owner);
    await page.getByRole("heading", { name: "Customers", level: 1 }).waitFor();

    await page.getByRole("button", { name: "Add customer" }).click();
    const dialog = page.getByRole("dialog", { name: "Add customer" });
    // The company inputs appear with the switch.
    expect(await dialog.getByLabel("Company name").count()).toBe(0);
    await dialog.getByRole("button", { name: "Company", exact: true }).click();
    await dialog.getByLabel("Company name").fill("Acme Cafés");
    // A VAT number in the wrong format: the server's BADTX under the Tax ID input.
    await dialog.getByLabel("Tax ID").fill("DE 123");
    await dialog.getByLabel("Credit limit").fill("5000");
    await dialog.getByLabel("Payment terms").fill("30");
    await dialog.getByRole("button", { name: "Add customer" }).click();
    await dialog.getByText(/Tax ID: "DE 123" is not a valid number of its country/).waitFor();
    await dialog.getByLabel("Tax ID").fill("DE 123 456 789");
    await dialog.getByRole("button", { name: "Add customer" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByRole("alert").filter({ hasText: "Added Acme Cafés" }).getByRole("link", { name: "Open" }).click();

    await page.getByRole("heading", { name: "Acme Cafés", level: 1 }).waitFor();
    const profile = page.getByTestId("profile-card");
    await profile.getByText("DE123456789").waitFor();
    await profile.getByText("$5,000.00").waitFor();
    await profile.getByText("Net 30 days").waitFor();

    // Three contacts: the first becomes primary by itself.
    await page.getByTestId("contacts-card").getByText("No contacts yet").waitFor();
    await addContact(page, { first: "Ada", last: "Lovelace", email: "ada@acme.test" });
    await addContact(page, { first: "Ben", last: "Brewer", email: "ben@acme.test", role: "Billing" });
    await addContact(page, { first: "Cleo", last: "Cruz", email: "cleo@acme.test" });
    await eventually(() => contactRows(page).count()).toBe(3);
    await contactRows(page).filter({ hasText: "Ada Lovelace" }).getByText("Primary", { exact: true }).waitFor();

    // The same email twice in one company: the server's DUPCE under Email.
    await page.getByTestId("contacts-card").getByRole("button", { name: "Add contact" }).click();
    const again = page.getByRole("dialog", { name: "Add contact" });
    await again.getByLabel("First name").fill("Ada");
    await again.getByLabel("Email").fill("ADA@acme.test");
    await again.getByRole("button", { name: "Add contact" }).click();
    await again.getByText("Email: ada@acme.test is already the email of another contact of this company.").waitFor();
    await again.getByRole("button", { name: "Cancel" }).click();

    // Make Cleo primary: the flag moves (one primary only).
    await page.getByRole("button", { name: "Make Cleo Cruz primary" }).click();
    await contactRows(page).filter({ hasText: "Cleo Cruz" }).getByText("Primary", { exact: true }).waitFor();
    await eventually(() => page.getByTestId("contacts-card").getByText("Primary", { exact: true }).count()).toBe(1);
    const stored = await owner.query(
      "select k.display_name, k.role from app_public.customer_contacts k join app_public.customers c on c.id = k.customer_id where c.company_name = 'Acme Cafés' order by k.display_name",
    );
    expect(stored.rows).toEqual([
      { display_name: "Ada Lovelace", role: "contact" },
      { display_name: "Ben Brewer", role: "billing" },
      { display_name: "Cleo Cruz", role: "primary" },
    ]);

    // The type-ahead finds the company by a contact's name, and says which contact.
    await page.goto("/customers");
    await page.getByRole("button", { name: "Quick find" }).click();
    const finder = page.getByRole("dialog");
    await finder.getByRole("combobox", { name: "Search customers" }).fill("cleo");
    await finder.getByRole("option", { name: /Acme Cafés/ }).getByText("Contact: Cleo Cruz").waitFor();
  });

  it("filters the list by kind and shows the company column; the POS shows an attached company's terms", { timeout: FLOW_MS }, async () => {
    const owner = await e2e.app.db.onboard({ company: "Corner Shop" });
    await owner.query("select app_public.create_customer(first_name => 'Pia', last_name => 'Person')");
    await owner.query(
      "select app_public.create_customer(kind => 'company', company_name => 'Bolt Industries', credit_limit => 250000, payment_terms_days => 14)",
    );
    const page = await signedIn(owner);
    const rows = page.getByRole("table", { name: "Customers" }).getByTestId("customer-row");
    await eventually(() => rows.count()).toBe(2);

    const kind = page.getByRole("group", { name: "Kind" });
    await kind.getByRole("button", { name: "Companies" }).click();
    await eventually(() => rows.allTextContents()).toEqual([expect.stringContaining("Bolt Industries")]);
    expect(await rows.first().getByTestId("customer-company").textContent()).toBe("Bolt Industries");
    expect(page.url()).toContain("kind=company");

    await kind.getByRole("button", { name: "People" }).click();
    await eventually(() => rows.allTextContents()).toEqual([expect.stringContaining("Pia Person")]);
    expect(await rows.first().getByTestId("customer-company").textContent()).toBe("—");

    await kind.getByRole("button", { name: "All" }).click();
    await eventually(() => rows.count()).toBe(2);

    // The POS: attach the company; its credit limit and terms show beside it.
    await page.getByRole("link", { name: "POS", exact: true }).click();
    await page.getByRole("heading", { name: "Point of sale" }).waitFor();
    await page.getByRole("button", { name: "Customer", exact: true }).click();
    const picker = page.getByRole("dialog", { name: "Attach a customer" });
    await picker.getByRole("combobox", { name: "Search customers" }).fill("bolt");
    await picker.getByRole("option", { name: /Bolt Industries/ }).click();
    await page.getByTestId("cart-customer").filter({ hasText: "Bolt Industries" }).waitFor();
    await eventually(() => page.getByTestId("cart-account-terms").textContent()).toBe("Credit limit $2,500.00 · Net 14 days");
  });
});
