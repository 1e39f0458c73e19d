// POS and customers together: the cart's Customer button finds a customer by type-ahead and
// attaches them to the sale, or quick-adds a stub in two fields (name and phone; the server's
// messages and a link to an existing customer as in the Add dialog); the sale then counts for that
// customer. Keep walk-in attaches a guest customer to the sale, to be upgraded later.
import { describe, expect, it } from "vitest";
import { useE2E } from "./helpers/e2e.ts";
import { helpOf, signIn } from "./helpers/ui.ts";

const e2e = useE2E();

/** expect.poll with the patience of a locator (its default second is too short for a busy machine). */
const eventually = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000 });

describe("POS customer", () => {
  it("attaches a customer found by search, and quick-adds another, to sales that count for them", { timeout: 90_000 }, async () => {
    const owner = await e2e.app.db.onboard({ company: "Loyal Beans" });
    await owner.query("insert into app_public.catalog_items (name, sku, price) values ('Espresso', 'ESP-1', 250)");
    const { rows } = await owner.query(
      "select (app_public.create_customer(email => 'rosa@example.com', phone => '+1 312 555 0150', first_name => 'Rosa', last_name => 'Diaz')).id",
    );
    const rosa = rows[0].id as string;

    const page = await e2e.page();
    await page.goto("/login");
    await signIn(page, owner.email, owner.password);
    await page.getByRole("link", { name: "POS" }).click();
    await page.getByRole("heading", { name: "Point of sale" }).waitFor();
    await page.getByTestId("cart-customer").filter({ hasText: "Walk-in customer" }).waitFor();

    // Find Rosa by part of her name and attach her.
    await page.getByRole("button", { name: "Customer", exact: true }).click();
    const picker = page.getByRole("dialog", { name: "Attach a customer" });
    await picker.getByRole("combobox", { name: "Search customers" }).fill("ros");
    await picker.getByRole("option", { name: /Rosa Diaz/ }).click();
    await page.getByTestId("cart-customer").filter({ hasText: "Rosa Diaz" }).waitFor();

    // Sell her an espresso, by card.
    await page.getByRole("list", { name: "Items for sale" }).getByRole("button", { name: /Espresso/ }).click();
    await page.getByRole("button", { name: /^Charge \$2\.50$/ }).click();
    const payment = page.getByRole("dialog", { name: /Take payment/ });
    await payment.getByRole("button", { name: "Card" }).click();
    await payment.getByRole("button", { name: "Charge $2.50 to card" }).click();
    const done = page.getByRole("dialog", { name: /Sale complete/ });
    await done.getByRole("button", { name: "New sale" }).click();
    // A new sale starts as a walk-in again.
    await page.getByTestId("cart-customer").filter({ hasText: "Walk-in customer" }).waitFor();

    // The counters are the customer's purchase history now (customer_stats), read as the list reads them.
    const counted = await owner.query("select total_visits, total_spend from app_public.customer_rows where id = $1", [rosa]);
    expect(counted.rows[0]).toEqual({ total_visits: 1, total_spend: "250" });

    // Quick add from the same button: a stub in two fields, the name searched for carried over.
    await page.getByRole("button", { name: "Customer", exact: true }).click();
    await picker.getByRole("combobox", { name: "Search customers" }).fill("Milo Chen");
    await picker.getByRole("button", { name: "Add “Milo Chen” as a new customer" }).click();
    const quick = page.getByRole("dialog", { name: "Quick add customer" });
    expect(await quick.getByRole("textbox").evaluateAll((els) => els.map((el) => (el as HTMLInputElement).labels?.[0]?.textContent))).toEqual([
      "Name",
      "Phone",
    ]);
    expect(await quick.getByLabel("Name", { exact: true }).inputValue()).toBe("Milo Chen");

    // Nothing to know them by: the server's words at the top of the form.
    await quick.getByLabel("Name", { exact: true }).fill("");
    await quick.getByRole("button", { name: "Add and select" }).click();
    await eventually(() => quick.getByRole("alert").allTextContents()).toEqual([
      "A customer needs at least an email, a phone number or a first name.",
    ]);

    // Rosa's phone: refused under Phone in the server's words, with a link to Rosa's page (in a new
    // tab, so the sale stays) and the offer to take her instead.
    await quick.getByLabel("Name", { exact: true }).fill("Milo Chen");
    await quick.getByLabel("Phone").fill("(312) 555-0150");
    await quick.getByRole("button", { name: "Add and select" }).click();
    const phoneInput = quick.getByRole("textbox", { name: "Phone" });
    await eventually(() => phoneInput.getAttribute("aria-invalid")).toBe("true");
    expect(await helpOf(quick, "Phone")).toBe("Phone: +13125550150 is already the phone number of customer CUST-00001 (Rosa Diaz). Open that customer");
    const link = quick.getByRole("link", { name: "Open that customer" });
    expect([await link.getAttribute("href"), await link.getAttribute("target")]).toEqual([`/customers/${rosa}`, "_blank"]);
    await quick.getByRole("button", { name: "Use that customer instead" }).click();
    await page.getByTestId("cart-customer").filter({ hasText: "Rosa Diaz" }).waitFor();
    expect(await page.getByRole("dialog").count()).toBe(0);

    // Or a new customer after all: name and phone make a stub, added and selected.
    await page.getByRole("button", { name: "Change customer" }).click();
    await picker.getByRole("combobox", { name: "Search customers" }).fill("Milo Chen");
    await picker.getByRole("button", { name: "Add “Milo Chen” as a new customer" }).click();
    await quick.getByLabel("Phone").fill("+1 312 555 0177");
    await quick.getByRole("button", { name: "Add and select" }).click();
    await page.getByTestId("cart-customer").filter({ hasText: "Milo Chen" }).waitFor();
    const milo = await owner.query(
      "select first_name, last_name, phone, stage, app_public.customers_total_visits(c) as total_visits from app_public.customers c where display_name = 'Milo Chen'",
    );
    expect(milo.rows).toEqual([{ first_name: "Milo", last_name: "Chen", phone: "+13125550177", stage: "stub", total_visits: 0 }]);
  });

  it("keeps a walk-in for a sale: a guest with the sale in its history", { timeout: 90_000 }, async () => {
    const owner = await e2e.app.db.onboard({ company: "Walk-in Beans" });
    await owner.query("insert into app_public.catalog_items (name, sku, price) values ('Espresso', 'ESP-1', 250)");
    const page = await e2e.page();
    await page.goto("/login");
    await signIn(page, owner.email, owner.password);
    await page.getByRole("link", { name: "POS" }).click();
    await page.getByRole("heading", { name: "Point of sale" }).waitFor();
    await page.getByRole("button", { name: "Keep walk-in" }).click();
    await page.getByTestId("cart-customer").filter({ hasText: /^Walk-in CUST-00001$/ }).waitFor();
    await page.getByRole("list", { name: "Items for sale" }).getByRole("button", { name: /Espresso/ }).click();
    await page.getByRole("button", { name: /^Charge \$2\.50$/ }).click();
    const payment = page.getByRole("dialog", { name: /Take payment/ });
    await payment.getByRole("button", { name: "Card" }).click();
    await payment.getByRole("button", { name: "Charge $2.50 to card" }).click();
    await page.getByRole("dialog", { name: /Sale complete/ }).getByRole("button", { name: "New sale" }).click();
    const kept = await owner.query(
      "select c.stage, c.walk_in, c.display_name, r.total_visits from app_public.customers c join app_public.customer_rows r on r.id = c.id",
    );
    expect(kept.rows).toEqual([{ stage: "guest", walk_in: true, display_name: "Walk-in", total_visits: 1 }]);
  });
});
