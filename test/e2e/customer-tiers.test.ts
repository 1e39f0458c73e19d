// Customer tiers end to end: an owner adds "Gold" at 10 % in Settings → Customer tiers, gives it
// to a customer from their page after the impact preview, finds them with the list's Tier filter,
// and a POS sale to that customer shows
// the tier chip and the tier's discount line, charges the discounted total, and the receipt
// carries the line; the order records the tier.
import { describe, expect, it } from "vitest";
import { useE2E } from "./helpers/e2e.ts";
import { helpOf, invalidFields, signIn } from "./helpers/ui.ts";

const e2e = useE2E();

describe("customer tiers", () => {
  it("Gold 10%: created in Settings, given with its impact previewed, charged at the till and on the receipt", { timeout: 120_000 }, async () => {
    const owner = await e2e.app.db.onboard({ company: "Gilded Beans" });
    await owner.query("update app_public.tenants set tax_rate_bps = 0 where id = $1", [owner.tenantId]);
    await owner.query("insert into app_public.catalog_items (name, sku, price) values ('Espresso', 'ESP-1', 250), ('Cake', 'CAKE-1', 400)");
    const rosa = (await owner.query("select (app_public.create_customer(first_name => 'Rosa', last_name => 'Diaz')).id")).rows[0].id as string;
    await owner.query("select app_public.create_customer(first_name => 'Milo', last_name => 'Chen')");
    // A sale of 9.00 last week, for the preview's last 30 days.
    const loc = (await owner.query("select id from app_public.locations")).rows[0].id as string;
    await owner.query(
      `select app_public.place_order($1, $2::jsonb, $3, 0, now() - interval '7 days')`,
      [loc, JSON.stringify([{ catalog_item_id: (await owner.query("select id from app_public.catalog_items where sku = 'CAKE-1'")).rows[0].id, quantity: 2 }]), rosa],
    );

    const page = await e2e.page();
    await page.goto("/login");
    await signIn(page, owner.email, owner.password);

    // Settings → Customer tiers: a discount over 100 % is refused under Discount, then Gold at 10 %.
    await page.getByRole("link", { name: "Settings" }).click();
    await page.getByRole("table", { name: "Customer tiers" }).or(page.getByText("No tiers yet.")).first().waitFor();
    await page.getByRole("button", { name: "Add tier" }).click();
    const dialog = page.getByRole("dialog", { name: "Add customer tier" });
    await dialog.getByLabel("Name", { exact: true }).fill("Gold");
    await dialog.getByLabel("Level", { exact: true }).fill("1");
    await dialog.getByLabel("Discount", { exact: true }).fill("150");
    await dialog.getByRole("button", { name: "Add tier" }).click();
    await expect.poll(() => invalidFields(dialog), { timeout: 15_000 }).toEqual(["Discount"]);
    expect(await helpOf(dialog, "Discount")).toBe("The discount must be from 0 % to 100 %, with at most two decimals.");
    await dialog.getByLabel("Discount", { exact: true }).fill("10");
    await dialog.getByLabel("Benefits", { exact: true }).fill("Free refills");
    await dialog.getByRole("button", { name: "Add tier" }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.getByRole("table", { name: "Customer tiers" }).getByRole("row", { name: /^1 Gold · 10% Free refills/ }).waitFor();

    // Rosa's page: no tier yet; choosing Gold previews what it changes before it is given.
    await page.goto(`/customers/${rosa}`);
    await page.getByTestId("tier-chip").filter({ hasText: "No tier" }).waitFor();
    await page.getByRole("button", { name: "Change tier" }).click();
    const change = page.getByRole("dialog", { name: "Change tier" });
    await change.getByRole("combobox", { name: "Tier" }).click();
    await page.getByRole("option", { name: "Gold · 10%" }).click();
    const impact = change.getByTestId("tier-impact");
    await impact.filter({ hasText: "With Gold, a basket of $100.00 gets $10.00 off (now $0.00)." }).waitFor();
    expect(await impact.textContent()).toContain("Their 1 sale of the last 30 days ($8.00) would have had $0.80 off ($0.00 with the current tier).");
    await change.getByLabel("Reason", { exact: true }).fill("Wholesale account");
    await change.getByRole("button", { name: "Give Gold" }).click();
    await change.waitFor({ state: "hidden" });
    await page.getByTestId("tier-chip").filter({ hasText: "Gold · 10%" }).waitFor();
    await page.getByRole("list", { name: "Activity" }).getByText("Tier none → Gold").waitFor();

    // The customers list: a Tier column, and a Tier filter that keeps Rosa and leaves Milo out.
    await page.goto("/customers");
    await page.getByTestId("customer-row").filter({ hasText: "Milo Chen" }).waitFor();
    expect(await page.getByTestId("customer-row").filter({ hasText: "Rosa Diaz" }).getByTestId("customer-tier").textContent()).toBe("Gold · 10%");
    await page.getByRole("combobox", { name: "Tier" }).click();
    await page.getByRole("option", { name: "Gold" }).click();
    await expect.poll(() => page.getByTestId("customer-row").allTextContents(), { timeout: 15_000 }).toEqual([expect.stringContaining("Rosa Diaz")]);

    // The till: Rosa attached shows her tier; 2 espressos and a cake, 9.00, less Gold's 0.90.
    await page.goto("/pos");
    await page.getByRole("heading", { name: "Point of sale" }).waitFor();
    await page.getByRole("button", { name: "Customer", exact: true }).click();
    const picker = page.getByRole("dialog", { name: "Attach a customer" });
    await picker.getByRole("combobox", { name: "Search customers" }).fill("rosa");
    await picker.getByRole("option", { name: /Rosa Diaz/ }).click();
    await page.getByTestId("cart-customer").filter({ hasText: "Rosa Diaz" }).waitFor();
    await page.getByTestId("tier-chip").filter({ hasText: "Gold · 10%" }).waitFor();
    const items = page.getByRole("list", { name: "Items for sale" });
    await items.getByRole("button", { name: /Espresso/ }).click();
    await items.getByRole("button", { name: /Espresso/ }).click();
    await items.getByRole("button", { name: /Cake/ }).click();
    await expect.poll(() => page.getByTestId("cart-tier-discount").textContent(), { timeout: 15_000 }).toBe("−$0.90");
    expect(await page.getByText("Gold discount (10%)").count()).toBe(1);
    expect(await page.getByTestId("cart-discount").count()).toBe(0);
    await page.getByRole("button", { name: /^Charge \$8\.10$/ }).click();
    const payment = page.getByRole("dialog", { name: /Take payment/ });
    await payment.getByRole("button", { name: "Card" }).click();
    await payment.getByRole("button", { name: "Charge $8.10 to card" }).click();
    const receipt = page.getByRole("dialog", { name: /Sale complete/ }).getByTestId("receipt");
    await receipt.getByRole("row", { name: "Subtotal $9.00" }).waitFor();
    await receipt.getByRole("row", { name: "Gold discount (10%) −$0.90" }).waitFor();
    await receipt.getByRole("row", { name: "Total $8.10" }).waitFor();
    expect(await receipt.getByRole("row", { name: /^Discount/ }).count()).toBe(0);

    const { rows } = await owner.query(
      "select tier_name, tier_discount_bps, tier_discount, discount_total, total from app_public.orders where customer_id = $1 and placed_at > now() - interval '1 hour'",
      [rosa],
    );
    expect(rows).toEqual([{ tier_name: "Gold", tier_discount_bps: 1000, tier_discount: 90, discount_total: 90, total: 810 }]);
  });
});
