// POS and customers together: the cart's Customer button finds a customer by type-ahead and
// attaches them to the sale, or quick-adds a new one; the sale then counts for that customer.
import { describe, expect, it } from "vitest";
import { useE2E } from "./helpers/e2e.ts";
import { signIn } from "./helpers/ui.ts";

const e2e = useE2E();

describe("POS customer", () => {
  it("attaches a customer found by search, and quick-adds another, to sales that count for them", { timeout: 90_000 }, async () => {
    const owner = await e2e.app.db.onboard({ company: "Loyal Beans" });
    await owner.query("insert into app_public.catalog_items (name, sku, price) values ('Espresso', 'ESP-1', 250)");
    const { rows } = await owner.query(
      "select (app_public.create_customer(email => 'rosa@example.com', first_name => 'Rosa', last_name => 'Diaz')).id",
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
    await page.getByRole("button", { name: /^Charge 2\.50$/ }).click();
    const payment = page.getByRole("dialog", { name: /Take payment/ });
    await payment.getByRole("button", { name: "Card" }).click();
    await payment.getByRole("button", { name: "Charge 2.50 to card" }).click();
    const done = page.getByRole("dialog", { name: /Sale complete/ });
    await done.getByRole("button", { name: "New sale" }).click();
    // A new sale starts as a walk-in again.
    await page.getByTestId("cart-customer").filter({ hasText: "Walk-in customer" }).waitFor();

    const counted = await owner.query("select total_visits, total_spend from app_public.customers where id = $1", [rosa]);
    expect(counted.rows[0]).toEqual({ total_visits: 1, total_spend: "250" });

    // Quick add a new customer from the same button.
    await page.getByRole("button", { name: "Customer", exact: true }).click();
    await picker.getByRole("combobox", { name: "Search customers" }).fill("Milo Chen");
    await picker.getByRole("button", { name: "Add “Milo Chen” as a new customer" }).click();
    const quick = page.getByRole("dialog", { name: "Quick add customer" });
    await quick.getByLabel("Phone").fill("+1 312 555 0177");
    await quick.getByRole("button", { name: "Add and select" }).click();
    await page.getByTestId("cart-customer").filter({ hasText: "Milo Chen" }).waitFor();
    const milo = await owner.query("select phone, total_visits from app_public.customers where display_name = 'Milo Chen'");
    expect(milo.rows).toEqual([{ phone: "+13125550177", total_visits: 0 }]);
  });
});
