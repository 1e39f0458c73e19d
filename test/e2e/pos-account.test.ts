// Selling on account (issue 18) in the browser. A cashier sells to a company with an open account:
// the payment dialog offers "On account" with the account's number and the credit it has left, the
// sale is charged to the account and the receipt names it; a second sale over the credit limit is
// refused with the server's words and paid by card instead. A walk-in is offered no account. The
// owner finds the amount owed under "Current" in Reports → Accounts receivable, then, once
// invoiced, 1–30 days past due on a later as-of date; voids the sale (the dialog, the row and the
// receipt say the account is credited), after which nothing is owed. An account suspended while
// the cashier charges it is refused in the server's words, and then offered no more. A member who
// may read reports but not accounts has no Accounts receivable tab.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import type { Member } from "../helpers/db.ts";
import { useE2E } from "./helpers/e2e.ts";
import { signIn } from "./helpers/ui.ts";

const e2e = useE2E();

/** expect.poll with the patience of a locator (its default second is too short for a busy machine). */
const eventually = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000 });

const FLOW_MS = 120_000;

/** The rows of a table section ("tbody", "tfoot") as the texts of their cells. */
const tableRows = (page: Page, name: string, section = "tbody") =>
  page
    .getByRole("table", { name })
    .locator(`${section} tr`)
    .evaluateAll((rows) => rows.map((row) => Array.from(row.querySelectorAll("td, th"), (cell) => cell.textContent?.trim())));

async function signedIn(member: Member): Promise<Page> {
  const page = await e2e.page();
  await page.goto("/login");
  await signIn(page, member.email, member.password);
  return page;
}

/** Attaches the customer found by `search` (whose name is `name`) to the sale. */
async function attach(page: Page, search: string, name: string) {
  await page.getByRole("button", { name: "Customer", exact: true }).click();
  const picker = page.getByRole("dialog", { name: "Attach a customer" });
  await picker.getByRole("combobox", { name: "Search customers" }).fill(search);
  await picker.getByRole("option", { name: new RegExp(name) }).click();
  await page.getByTestId("cart-customer").filter({ hasText: name }).waitFor();
}

async function addTray(page: Page) {
  await page.getByRole("list", { name: "Items for sale" }).getByRole("button", { name: /Catering tray/ }).click();
}

describe("POS: selling on account", () => {
  it("charges a sale to a company's account, refuses one over its limit, and reports what it owes", { timeout: FLOW_MS }, async () => {
    const owner = await e2e.app.db.onboard({ company: "Quay Bakery", timezone: "Europe/London" });
    await owner.query("insert into app_public.catalog_items (name, sku, price) values ('Catering tray', 'TRAY', 3000)");
    const company = (await owner.query("select (app_public.create_customer(kind => 'company', company_name => 'Harbour Offices')).id")).rows[0]
      .id as string;
    // An account with $50.00 of credit, paid at 30 days.
    await owner.query("select app_public.open_customer_account($1, 5000, 30, 'Weekly catering order')", [company]);
    const { rows: accounts } = await owner.query("select account_number from app_public.customer_accounts where customer_id = $1", [company]);
    const accountNumber = accounts[0].account_number as string;
    expect(accountNumber).toMatch(/^CT-\d{4}-\d{5}$/);

    const cashier = await e2e.app.db.asUser(owner.tenantId, "cashier");
    const page = await signedIn(cashier);
    await page.getByRole("link", { name: "POS" }).click();
    await page.getByRole("heading", { name: "Point of sale" }).waitFor();

    // A walk-in: cash or card, no account.
    await addTray(page);
    await page.getByRole("button", { name: /^Charge \$30\.00$/ }).click();
    const payment = page.getByRole("dialog", { name: /Take payment/ });
    const methods = payment.getByRole("group", { name: "Payment method" });
    await methods.getByRole("button", { name: "Card" }).waitFor();
    expect(await methods.getByRole("button").allTextContents()).toEqual(["Cash", "Card"]);
    await methods.getByRole("button", { name: "Card" }).click();
    await payment.getByRole("button", { name: "Charge $30.00 to card" }).click();
    await page.getByRole("dialog", { name: /Sale complete/ }).getByRole("button", { name: "New sale" }).click();

    // The company: "On account", with its account and the credit it has left.
    await attach(page, "harbour", "Harbour Offices");
    await addTray(page);
    await page.getByRole("button", { name: /^Charge \$30\.00$/ }).click();
    await methods.getByRole("button", { name: "On account" }).click();
    await eventually(() => payment.getByTestId("account-credit").textContent()).toBe(
      `Harbour Offices, account ${accountNumber}: $50.00 of credit available.`,
    );
    await payment.getByRole("button", { name: "Charge $30.00 to the account" }).click();
    const done = page.getByRole("dialog", { name: /Sale complete/ });
    await eventually(() => done.getByTestId("change-due").textContent()).toBe(
      `Charged to account ${accountNumber}$30.00Nothing to pay now: it goes on the account's next invoice.`,
    );
    await eventually(() => tableRows(page, "Payments")).toEqual([[`Charged to account ${accountNumber}`, "$30.00"]]);
    await done.getByRole("button", { name: "New sale" }).click();

    // A second tray would take the account to $60.00 of a $50.00 limit: refused, in the server's words.
    await attach(page, "harbour", "Harbour Offices");
    await addTray(page);
    await page.getByRole("button", { name: /^Charge \$30\.00$/ }).click();
    await methods.getByRole("button", { name: "On account" }).click();
    await eventually(() => payment.getByTestId("account-credit").textContent()).toBe(
      `Harbour Offices, account ${accountNumber}: $20.00 of credit available.`,
    );
    await payment.getByRole("button", { name: "Charge $30.00 to the account" }).click();
    await eventually(() => payment.getByRole("alert").textContent()).toBe(
      "Not charged to the account" +
        "Over the credit limit: the account owes 30.00 USD, this sale is 30.00 USD and the limit is 50.00 USD (20.00 USD available).",
    );
    const { rows: refused } = await owner.query("select count(*)::int as tenders from app_public.tenders where type = 'account'");
    expect(refused[0].tenders).toBe(1);
    // Still due: the card takes it.
    expect(await payment.getByTestId("amount-due").textContent()).toBe("$30.00");
    await methods.getByRole("button", { name: "Card" }).click();
    await payment.getByRole("button", { name: "Charge $30.00 to card" }).click();
    await page.getByRole("dialog", { name: /Sale complete/ }).getByRole("button", { name: "New sale" }).click();

    // Reports → Accounts receivable: the $30.00 is owed and not due yet.
    const ownerPage = await signedIn(owner);
    await ownerPage.getByRole("link", { name: "Reports", exact: true }).click();
    await ownerPage.getByRole("tab", { name: "Accounts receivable" }).click();
    await eventually(() => tableRows(ownerPage, "Accounts receivable")).toEqual([
      ["Harbour Offices", accountNumber, "$30.00", "$0.00", "$0.00", "$0.00", "$0.00", "$30.00"],
    ]);
    expect(await tableRows(ownerPage, "Accounts receivable", "tfoot")).toEqual([["Total", "$30.00", "$0.00", "$0.00", "$0.00", "$0.00", "$30.00"]]);
    expect(await ownerPage.getByRole("table", { name: "Accounts receivable" }).getByRole("link", { name: "Harbour Offices" }).getAttribute("href")).toBe(
      `/customers/${company}`,
    );

    // Invoiced today, due in 30 days: 15 days after that it is 1–30 days past due.
    const { rows: invoices } = await owner.query(
      "select (i.due_on + 15)::text as later from app_public.invoice_customer_account($1) i",
      [company],
    );
    await ownerPage.getByLabel("As of").fill(invoices[0].later);
    await eventually(() => tableRows(ownerPage, "Accounts receivable")).toEqual([
      ["Harbour Offices", accountNumber, "$0.00", "$30.00", "$0.00", "$0.00", "$0.00", "$30.00"],
    ]);
    expect(await tableRows(ownerPage, "Accounts receivable", "tfoot")).toEqual([["Total", "$0.00", "$30.00", "$0.00", "$0.00", "$0.00", "$30.00"]]);

    // The owner voids the sale on account: the dialog says the account is credited, and so does the receipt.
    const { rows: sales } = await owner.query(
      "select o.id from app_public.orders o join app_public.tenders t on t.tenant_id = o.tenant_id and t.order_id = o.id where t.type = 'account'",
    );
    const number = `#${(sales[0].id as string).slice(-6).toUpperCase()}`;
    await ownerPage.getByRole("link", { name: "POS" }).click();
    const row = ownerPage.getByRole("table", { name: "Today's sales" }).getByRole("row").filter({ hasText: number });
    await row.getByRole("button", { name: `Void order ${number}` }).click();
    const voiding = ownerPage.getByRole("dialog", { name: `Void order ${number}` });
    await eventually(() => voiding.getByTestId("void-refunds").textContent()).toBe(
      "$30.00 was charged to the account. It goes back the way it was paid: $30.00 is credited to the account.",
    );
    await voiding.getByLabel("Reason").fill("Trays came back unused");
    await voiding.getByRole("button", { name: "Void order" }).click();
    await row.getByText("Void: Trays came back unused · refunded $30.00 credited to the account").waitFor();
    await row.getByRole("button", { name: `Receipt of order ${number}` }).click();
    const receipt = ownerPage.getByRole("dialog", { name: "Receipt" });
    await eventually(() => receipt.getByTestId("receipt-refunds").textContent()).toBe("Refunded: $30.00 credited to the account");
    await receipt.getByRole("button", { name: "Close" }).click();

    // The credit note paid the invoice: nothing is owed any more.
    await ownerPage.getByRole("link", { name: "Reports", exact: true }).click();
    await ownerPage.getByRole("tab", { name: "Accounts receivable" }).click();
    await eventually(() => tableRows(ownerPage, "Accounts receivable")).toEqual([["No account owed anything on this date."]]);

    // At the till, the account is suspended while the sale is being charged: refused in the server's
    // words; the next sale is offered no account at all.
    await attach(page, "harbour", "Harbour Offices");
    await addTray(page);
    await page.getByRole("button", { name: /^Charge \$30\.00$/ }).click();
    await methods.getByRole("button", { name: "On account" }).click();
    await eventually(() => payment.getByTestId("account-credit").textContent()).toBe(
      `Harbour Offices, account ${accountNumber}: $50.00 of credit available.`,
    );
    await owner.query("select app_public.suspend_customer_account($1, 'non_payment', 'Invoices unpaid since May')", [company]);
    await payment.getByRole("button", { name: "Charge $30.00 to the account" }).click();
    await eventually(() => payment.getByRole("alert").textContent()).toBe(
      "Not charged to the account" + "This customer's account is suspended (Invoices unpaid since May): take another payment.",
    );
    await eventually(() => payment.getByTestId("account-credit").textContent()).toBe(`Harbour Offices, account ${accountNumber}: the account is suspended.`);
    await payment.getByRole("button", { name: "Keep open" }).click();
    await attach(page, "harbour", "Harbour Offices");
    await addTray(page);
    await page.getByRole("button", { name: /^Charge \$30\.00$/ }).click();
    await methods.getByRole("button", { name: "Card" }).waitFor();
    expect(await methods.getByRole("button").allTextContents()).toEqual(["Cash", "Card"]);

    // A member who reads reports but not accounts has no such tab.
    const { rows: roles } = await owner.query("select key from app_public.create_role('Bookkeeper', array['reports.view'])");
    const bookkeeper = await e2e.app.db.asUser(owner.tenantId, roles[0].key);
    const other = await signedIn(bookkeeper);
    await other.getByRole("link", { name: "Reports", exact: true }).click();
    await other.getByRole("tab", { name: "Sales" }).waitFor();
    expect(await other.getByRole("tab", { name: "Accounts receivable" }).count()).toBe(0);
  });
});
