// Selling on account in the browser (issue 18): opening an account on a company from its page
// (the server's refusal under the input it names), the balance after a sale on account made at
// the till's API, "Invoice now" and the invoice's PDF once the worker has written it, a payment
// recorded in the dialog and the invoice becoming paid, the statement on screen and as a PDF, a
// suspension and its reactivation, the action log keeping the reasons; and the Invoices page
// listing the business's invoices overdue first, filtered by state, each linking to its customer.
import type { Page } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { taskList } from "../../worker/tasks/index.ts";
import type { Member } from "../helpers/db.ts";
import { startTestWorker, type TestWorker } from "../helpers/worker.ts";
import { useE2E } from "./helpers/e2e.ts";
import { helpOf, signIn } from "./helpers/ui.ts";

const e2e = useE2E();

/** expect.poll with the patience of a locator (its default second is too short for a busy machine). */
const eventually = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000 });
const FLOW_MS = 120_000;

const dollars = (cents: number | string) => new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(Number(cents) / 100);

async function signedIn(member: Member, path: string): Promise<Page> {
  const page = await e2e.page();
  await page.goto("/login");
  await signIn(page, member.email, member.password);
  await page.getByRole("link", { name: "Customers" }).waitFor();
  await page.goto(path);
  return page;
}

async function company(owner: Member, name: string): Promise<string> {
  const { rows } = await owner.query("select id from app_public.create_customer(kind => 'company', company_name => $1)", [name]);
  return rows[0].id as string;
}

/** A shop selling one item at `price` cents: a function that sells `quantity` of it to a customer on account (the order's total). */
async function shopSellingOnAccount(owner: Member, price = 2500) {
  const location = (await owner.query("select id from app_public.locations limit 1")).rows[0].id as string;
  const item = (await owner.query("insert into app_public.catalog_items (name, sku, price) values ('Beans', 'BNS', $1) returning id", [price]))
    .rows[0].id as string;
  return async (customerId: string, quantity = 1): Promise<number> => {
    const order = (
      await owner.query("select * from app_public.place_order($1, $2::jsonb, $3)", [
        location,
        JSON.stringify([{ catalog_item_id: item, quantity }]),
        customerId,
      ])
    ).rows[0];
    await owner.query("select app_public.record_tender($1, 'account', $2)", [order.id, order.total]);
    return Number(order.total);
  };
}

const account = (page: Page) => page.getByTestId("account-card");

/** What a download link serves: its type and whether it reads as a PDF. */
async function download(page: Page, href: string | null) {
  expect(href).toMatch(/^\/account-documents\/[0-9A-Z]{26}$/);
  const response = await page.request.get(href!);
  expect(response.status()).toBe(200);
  return { type: response.headers()["content-type"], pdf: (await response.body()).subarray(0, 5).toString() === "%PDF-" };
}

let worker: TestWorker | undefined;
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
});

describe("customer accounts", () => {
  it("opens an account on a company, shows the balance after a sale on account, invoices it and records the payment", async () => {
    worker = await startTestWorker(e2e.app.db, {
      taskList: { render_account_document: taskList.render_account_document },
      concurrency: 1,
      pollInterval: 200,
      noHandleSignals: true,
    });
    const owner = await e2e.app.db.onboard({ company: "Roastery Row" });
    const acme = await company(owner, "Acme Offices");
    const sell = await shopSellingOnAccount(owner);
    const page = await signedIn(owner, `/customers/${acme}`);
    await page.getByRole("heading", { name: "Acme Offices", level: 1 }).waitFor();

    // No account yet: open one. An amount that does not read as money is said under its input;
    // a missing reason is the server's refusal, under Reason.
    await account(page).getByText(/^No account/).waitFor();
    await account(page).getByRole("button", { name: "Open account" }).click();
    const open = page.getByRole("dialog", { name: /Open an account for Acme Offices/ });
    expect(await open.getByLabel("Payment terms").inputValue()).toBe("30");
    await open.getByLabel("Credit limit").fill("lots");
    await open.getByRole("button", { name: "Open account" }).click();
    await eventually(() => helpOf(open, "Credit limit")).toMatch(/^Credit limit: enter an amount such as 3.50/);
    await open.getByLabel("Credit limit").fill("500");
    await open.getByRole("button", { name: "Open account" }).click();
    await eventually(() => open.getByRole("textbox", { name: "Reason" }).getAttribute("aria-invalid")).toBe("true");
    await open.getByRole("textbox", { name: "Reason" }).fill("Weekly office order, agreed with Ada");
    await open.getByRole("button", { name: "Open account" }).click();
    await open.waitFor({ state: "detached" });

    await account(page).getByTestId("account-number").filter({ hasText: /^CT-\d{4}-\d{5}$/ }).waitFor();
    expect(await account(page).getByTestId("account-status").textContent()).toBe("Active");
    await eventually(() => account(page).getByTestId("account-limit").textContent()).toBe("$500.00");
    expect(await account(page).getByTestId("account-balance").textContent()).toBe("$0.00");
    expect(await account(page).getByTestId("account-terms").textContent()).toBe("Net 30 days");
    expect(await account(page).getByTestId("account-overdue").textContent()).toBe("$0.00");

    // A sale on account at the till: the page read again shows what they owe and what is left.
    const total = await sell(acme, 2);
    await page.reload();
    await eventually(() => account(page).getByTestId("account-balance").textContent()).toBe(dollars(total));
    expect(await account(page).getByTestId("account-available").textContent()).toBe(dollars(50000 - total));

    // Invoice now: one open invoice of the sale, due in 30 days.
    await account(page).getByRole("button", { name: "Invoice now" }).click();
    const invoiceNow = page.getByRole("dialog", { name: "Invoice now?" });
    await invoiceNow.getByRole("button", { name: "Issue invoice" }).click();
    await invoiceNow.waitFor({ state: "detached" });
    await account(page).getByText(/^Issued INV-\d{4}-\d{5}, due on/).waitFor();
    const invoice = account(page).getByTestId("invoice-row");
    await eventually(() => invoice.count()).toBe(1);
    expect(await invoice.getByTestId("invoice-state").textContent()).toBe("Open");
    expect(await invoice.textContent()).toContain(dollars(total));
    // Its PDF, once the worker has written it.
    const pdfLink = invoice.getByRole("link", { name: /^PDF of INV-\d{4}-\d{5}$/ });
    await pdfLink.waitFor();
    expect(await download(page, await pdfLink.getAttribute("href"))).toEqual({ type: "application/pdf", pdf: true });

    // Part of it, then the rest: the invoice is paid and nothing is owed.
    await account(page).getByRole("button", { name: "Record payment" }).click();
    let pay = page.getByRole("dialog", { name: "Record a payment" });
    expect(await pay.getByLabel("Amount").inputValue()).toBe((total / 100).toFixed(2)); // the balance, offered
    await pay.getByLabel("Amount").fill("10");
    await pay.getByLabel("Reference").fill("TRX-1");
    await pay.getByRole("button", { name: "Record payment" }).click();
    await pay.waitFor({ state: "detached" });
    await eventually(() => account(page).getByTestId("account-balance").textContent()).toBe(dollars(total - 1000));
    expect(await invoice.getByTestId("invoice-state").textContent()).toBe("Open");

    // Its detail: the sale as its one line, and the totals with what is paid and still due.
    const number = (await invoice.getByRole("link", { name: /^PDF of / }).getAttribute("aria-label"))!.replace("PDF of ", "");
    await invoice.getByRole("button", { name: `Details of ${number}` }).click();
    const detail = page.getByRole("dialog", { name: `Invoice ${number}` });
    const line = detail.getByTestId("invoice-line");
    await eventually(() => line.count()).toBe(1);
    expect(await line.textContent()).toMatch(/^1Sale \d{4}-\d{2}-\d{2}/);
    expect(await line.textContent()).toContain(dollars(total));
    expect(await detail.getByTestId("invoice-total").textContent()).toBe(dollars(total));
    expect(await detail.getByTestId("invoice-paid").textContent()).toBe("$10.00");
    expect(await detail.getByTestId("invoice-due").textContent()).toBe(dollars(total - 1000));
    expect(await detail.getByRole("link", { name: "Download the PDF" }).getAttribute("href")).toMatch(/^\/account-documents\//);
    await detail.getByRole("button", { name: "Close" }).click();
    await detail.waitFor({ state: "detached" });

    await account(page).getByRole("button", { name: "Record payment" }).click();
    pay = page.getByRole("dialog", { name: "Record a payment" });
    await pay.getByLabel("Method").click();
    await page.getByRole("option", { name: "Card" }).click();
    await pay.getByRole("button", { name: "Record payment" }).click();
    await pay.waitFor({ state: "detached" });
    await eventually(() => invoice.getByTestId("invoice-state").textContent()).toBe("Paid");
    expect(await account(page).getByTestId("account-balance").textContent()).toBe("$0.00");

    await account(page).getByRole("tab", { name: /Payments/ }).click();
    await eventually(() => account(page).getByTestId("payment-row").count()).toBe(2);
    expect(await account(page).getByTestId("payment-row").allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining("TRX-1"), expect.stringContaining("Card")]),
    );

    // The statement of this month: opening, the sale, both payments, closing.
    await account(page).getByRole("tab", { name: "Statement" }).click();
    const lines = account(page).getByTestId("statement-line");
    await eventually(() => lines.count()).toBe(5);
    expect(await lines.first().textContent()).toContain("Opening balance");
    expect(await lines.nth(1).textContent()).toContain(dollars(total));
    expect(await lines.last().textContent()).toMatch(/Closing balance.*\$0\.00$/);
    await account(page).getByRole("button", { name: "Download PDF" }).click();
    const statementLink = account(page).getByRole("link", { name: /^Download .+\.pdf$/ });
    await statementLink.waitFor();
    expect(await download(page, await statementLink.getAttribute("href"))).toEqual({ type: "application/pdf", pdf: true });

    // Suspended for a typed reason (the server asks for the reason, under its input), then reactivated.
    await account(page).getByRole("button", { name: "Suspend" }).click();
    const suspend = page.getByRole("dialog", { name: /Suspend Acme Offices's account/ });
    await suspend.getByLabel("Type").click();
    await page.getByRole("option", { name: "Customer request" }).click();
    await suspend.getByRole("button", { name: "Suspend" }).click();
    await suspend.getByText("The reason is required.").waitFor();
    expect(await suspend.getByRole("textbox", { name: "Reason" }).getAttribute("aria-invalid")).toBe("true");
    await suspend.getByRole("textbox", { name: "Reason" }).fill("Closed for the holidays");
    await suspend.getByRole("button", { name: "Suspend" }).click();
    await suspend.waitFor({ state: "detached" });
    await eventually(() => account(page).getByTestId("account-status").textContent()).toBe("Suspended · Customer request");
    expect(await account(page).getByTestId("account-suspended").textContent()).toContain("Closed for the holidays");
    await account(page).getByRole("button", { name: "Reactivate" }).click();
    const reactivate = page.getByRole("dialog", { name: /Reactivate Acme Offices's account/ });
    await reactivate.getByRole("textbox", { name: "Reason" }).fill("Back in January");
    await reactivate.getByRole("button", { name: "Reactivate" }).click();
    await reactivate.waitFor({ state: "detached" });
    await eventually(() => account(page).getByTestId("account-status").textContent()).toBe("Active");
    await account(page).getByRole("tab", { name: "Suspensions" }).click();
    const suspension = account(page).getByTestId("suspension-row");
    await eventually(() => suspension.count()).toBe(1);
    expect(await suspension.textContent()).toMatch(/Customer request.*Closed for the holidays.*Back in January/);

    // The action log keeps every reason, and the limit and terms it opened with.
    await account(page).getByRole("tab", { name: "Action log" }).click();
    const actions = account(page).getByTestId("action-row");
    await eventually(() => actions.count()).toBe(3);
    const opened = actions.filter({ hasText: "Opened" });
    expect(await opened.textContent()).toContain("Weekly office order, agreed with Ada");
    expect(await opened.textContent()).toContain("Limit $500.00 · Terms Net 30 days");
    expect(await actions.filter({ hasText: "Suspended" }).textContent()).toContain("Closed for the holidays");
    expect(await actions.filter({ hasText: "Reactivated" }).textContent()).toContain("Back in January");

    // The customer form leaves the limit, terms and status to the account (they need a reason).
    await page.getByRole("button", { name: "Edit", exact: true }).click();
    const edit = page.getByRole("dialog", { name: "Edit customer" });
    await edit.getByTestId("customer-form-account").waitFor();
    expect(await edit.getByLabel("Credit limit").count()).toBe(0);
    expect(await edit.getByLabel("Payment terms").count()).toBe(0);
    expect(await edit.getByLabel("Account status").count()).toBe(0);
  }, FLOW_MS);

  it("lists the business's invoices overdue first, filters them by state and links each to its customer; a cashier sees none", async () => {
    const owner = await e2e.app.db.onboard({ company: "Bakery Lane" });
    const sell = await shopSellingOnAccount(owner, 1000);
    const names = ["Overdue Bistro", "Open Canteen", "Paid Diner", "Void Deli"];
    const ids: Record<string, string> = {};
    for (const name of names) {
      ids[name] = await company(owner, name);
      await owner.query("select app_public.open_customer_account($1, 100000, 30, 'Supplies')", [ids[name]]);
      await sell(ids[name]);
    }
    const invoiced: Record<string, string> = {};
    for (const name of names) {
      const { rows } = await owner.query("select id, invoice_number, total from app_public.invoice_customer_account($1)", [ids[name]]);
      invoiced[name] = rows[0].invoice_number;
      if (name === "Paid Diner") {
        await owner.query("select app_public.record_account_payment($1, $2, 'cash')", [ids[name], rows[0].total]);
      }
      if (name === "Void Deli") await owner.query("select app_public.void_account_invoice($1, 'Wrong prices')", [rows[0].id]);
    }
    // Past its due day: as if issued 40 days ago with 30 days' terms, counted from the business's
    // own today as daysOverdue counts (current_date, the session's, is a day off around midnight).
    await e2e.app.db.owner.query(
      `update app_public.account_invoices
       set issued_on = app_hidden.tenant_today(tenant_id) - 40, due_on = app_hidden.tenant_today(tenant_id) - 10
       where invoice_number = $1`,
      [invoiced["Overdue Bistro"]],
    );

    const page = await signedIn(owner, "/customers");
    await page.getByRole("link", { name: "Invoices" }).click();
    await page.getByRole("heading", { name: "Invoices", level: 1 }).waitFor();
    const rows = page.getByRole("table", { name: "Invoices" }).getByTestId("invoice-row");
    await eventually(() => rows.count()).toBe(4);
    // Overdue first, in red with its days.
    expect(await rows.first().textContent()).toContain("Overdue Bistro");
    expect(await rows.first().getByTestId("invoice-state").textContent()).toBe("Overdue · 10 days");

    const state = page.getByRole("group", { name: "State" });
    const listed = async () => (await rows.allTextContents()).map((t) => names.find((n) => t.includes(n)));
    await state.getByRole("button", { name: "Paid" }).click();
    await eventually(listed).toEqual(["Paid Diner"]);
    expect(page.url()).toContain("state=paid");
    await state.getByRole("button", { name: "Void" }).click();
    await eventually(listed).toEqual(["Void Deli"]);
    await state.getByRole("button", { name: "Overdue" }).click();
    await eventually(listed).toEqual(["Overdue Bistro"]);
    await state.getByRole("button", { name: "Open" }).click();
    await eventually(listed).toEqual(["Open Canteen"]);

    // Void the open one, with its reason: it leaves the open ones.
    await rows.first().getByRole("button", { name: `Void ${invoiced["Open Canteen"]}` }).click();
    const dialog = page.getByRole("dialog", { name: `Void ${invoiced["Open Canteen"]}?` });
    await dialog.getByRole("textbox", { name: "Reason" }).fill("Issued twice");
    await dialog.getByRole("button", { name: "Void invoice" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByText(/No open invoices/).waitFor();

    await state.getByRole("button", { name: "All" }).click();
    await eventually(() => rows.count()).toBe(4);
    // The paid one's detail from the list: its line, paid in full.
    await rows.filter({ hasText: "Paid Diner" }).getByRole("button", { name: `Details of ${invoiced["Paid Diner"]}` }).click();
    const detail = page.getByRole("dialog", { name: `Invoice ${invoiced["Paid Diner"]}` });
    await eventually(() => detail.getByTestId("invoice-line").count()).toBe(1);
    expect(await detail.getByTestId("invoice-state").textContent()).toBe("Paid");
    const paidTotal = await detail.getByTestId("invoice-total").textContent();
    expect(await detail.getByTestId("invoice-line").textContent()).toContain(paidTotal);
    expect(await detail.getByTestId("invoice-paid").textContent()).toBe(paidTotal);
    expect(await detail.getByTestId("invoice-due").textContent()).toBe("$0.00");
    await detail.getByRole("button", { name: "Close" }).click();
    await detail.waitFor({ state: "detached" });
    await rows.filter({ hasText: "Paid Diner" }).getByRole("link", { name: "Paid Diner" }).click();
    await page.getByRole("heading", { name: "Paid Diner", level: 1 }).waitFor();
    await account(page).getByTestId("invoice-row").getByTestId("invoice-state").filter({ hasText: "Paid" }).waitFor();

    // A cashier (no accounts.view): no Invoices in the menu, no account on a customer's page.
    const cashier = await e2e.app.db.asUser(owner.tenantId, "cashier");
    const till = await signedIn(cashier, `/customers/${ids["Paid Diner"]}`);
    await till.getByRole("heading", { name: "Paid Diner", level: 1 }).waitFor();
    await till.getByTestId("profile-card").waitFor();
    expect(await till.getByRole("link", { name: "Invoices" }).count()).toBe(0);
    expect(await account(till).count()).toBe(0);
    await till.goto("/invoices");
    await till.getByText("Your role in this business does not include invoices.", { exact: false }).waitFor();
  }, FLOW_MS);
});
