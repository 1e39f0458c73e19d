// Loyalty points end to end: an owner turns the program on and adds a reward in Settings →
// Loyalty points; a stub customer (a name and a phone) earns points on a sale at the till, sees
// them at the next sale, redeems the reward there as a discount, and voiding that sale gives the
// points back — the customer's page shows the balance and its history.
import { describe, expect, it } from "vitest";
import { useE2E } from "./helpers/e2e.ts";
import { signIn } from "./helpers/ui.ts";

const e2e = useE2E();

const eventually = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000 });

describe("loyalty points", () => {
  it("a stub earns points on a sale, redeems them on the next, and a void gives them back", { timeout: 150_000 }, async () => {
    const owner = await e2e.app.db.onboard({ company: "Points Café" });
    await owner.query("update app_public.tenants set tax_rate_bps = 0 where id = $1", [owner.tenantId]);
    await owner.query("insert into app_public.catalog_items (name, sku, price) values ('Cake', 'CAKE-1', 1250)");
    const nora = (await owner.query("select * from app_public.create_customer(first_name => 'Nora', last_name => 'Lane', phone => '+1 917 555 0142')")).rows[0];
    expect(nora.stage).toBe("stub");
    const balance = async () =>
      Number((await owner.query("select app_public.customers_loyalty_points(c) as b from app_public.customers c where id = $1", [nora.id])).rows[0].b);

    const page = await e2e.page();
    await page.goto("/login");
    await signIn(page, owner.email, owner.password);

    // Settings → Loyalty points: on, 1 point for every $1.00 (the default rule); a reward of 10 points = $4.00 off.
    await page.getByRole("link", { name: "Settings" }).click();
    const program = page.getByRole("form", { name: "Loyalty points program" });
    await program.getByLabel("Customers earn and redeem points").check();
    await program.getByRole("button", { name: "Save program" }).click();
    await program.getByText("Saved. Sales from now on earn by the new rule.").waitFor();
    await page.getByRole("button", { name: "Add reward" }).click();
    const dialog = page.getByRole("dialog", { name: "Add reward" });
    await dialog.getByLabel("Name", { exact: true }).fill("Coffee on us");
    await dialog.getByLabel("Points", { exact: true }).fill("10");
    await dialog.getByLabel("Takes off", { exact: true }).fill("4.00");
    await dialog.getByRole("button", { name: "Add reward" }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.getByRole("table", { name: "Loyalty rewards" }).getByRole("row", { name: /Coffee on us 10 \$4\.00 Yes/ }).waitFor();

    const attachNora = async () => {
      await page.getByRole("button", { name: "Customer", exact: true }).click();
      const picker = page.getByRole("dialog", { name: "Attach a customer" });
      await picker.getByRole("combobox", { name: "Search customers" }).fill("nora");
      await picker.getByRole("option", { name: /Nora Lane/ }).click();
      await page.getByTestId("cart-customer").filter({ hasText: "Nora Lane" }).waitFor();
    };
    const payByCard = async (amount: string) => {
      await page.getByRole("button", { name: new RegExp(`^Charge \\${amount}$`) }).click();
      const payment = page.getByRole("dialog", { name: /Take payment/ });
      await payment.getByRole("button", { name: "Card" }).click();
      await payment.getByRole("button", { name: `Charge ${amount} to card` }).click();
      const done = page.getByRole("dialog", { name: /Sale complete/ });
      await done.getByRole("button", { name: "New sale" }).click();
      await done.waitFor({ state: "hidden" });
    };

    // First sale: no points yet, the reward out of reach; two cakes, $25.00, earn 25 points.
    await page.getByRole("link", { name: "POS" }).click();
    await page.getByRole("heading", { name: "Point of sale" }).waitFor();
    await attachNora();
    await page.getByTestId("pos-points-balance").filter({ hasText: "Nora Lane: 0 points" }).waitFor();
    expect(await page.getByRole("button", { name: /Coffee on us/ }).isDisabled()).toBe(true);
    const items = page.getByRole("list", { name: "Items for sale" });
    await items.getByRole("button", { name: /Cake/ }).click();
    await items.getByRole("button", { name: /Cake/ }).click();
    await page.getByTestId("cart-total").filter({ hasText: "$25.00" }).waitFor();
    await payByCard("$25.00");
    await eventually(balance).toBe(25);

    // Next sale: 25 points shown; the reward takes $4.00 off one cake; 8 points earned on the $8.50 paid.
    await attachNora();
    await page.getByTestId("pos-points-balance").filter({ hasText: "Nora Lane: 25 points" }).waitFor();
    await items.getByRole("button", { name: /Cake/ }).click();
    await page.getByRole("button", { name: /Coffee on us/ }).click();
    await page.getByTestId("cart-discount").filter({ hasText: "−$4.00" }).waitFor();
    await page.getByTestId("cart-total").filter({ hasText: "$8.50" }).waitFor();
    await payByCard("$8.50");
    await eventually(balance).toBe(25 - 10 + 8);
    const redeemed = (await owner.query("select id, loyalty_discount from app_public.orders where loyalty_reward_id is not null")).rows;
    expect(redeemed.map((o) => o.loyalty_discount)).toEqual([400]);

    // Void it from today's sales: the 10 points come back, the 8 earned go.
    const number = `#${(redeemed[0].id as string).slice(-6).toUpperCase()}`;
    const row = page.getByRole("table", { name: "Today's sales" }).getByRole("row").filter({ hasText: number });
    await row.getByRole("button", { name: `Void order ${number}` }).click();
    const voiding = page.getByRole("dialog", { name: `Void order ${number}` });
    await voiding.getByLabel("Reason").fill("Wrong cake");
    await voiding.getByRole("button", { name: "Void order" }).click();
    await voiding.waitFor({ state: "hidden" });
    await eventually(balance).toBe(25);

    // Her page: 25 points, and the history of the four entries (a sale's redemption and its earning share one time).
    await page.goto(`/customers/${nora.id}`);
    await page.getByTestId("points-balance").filter({ hasText: "25 points" }).waitFor();
    const history = page.getByRole("table", { name: "Points history" });
    await eventually(() => history.getByRole("row").count()).toBe(5);
    const texts = await history.getByRole("row").allTextContents();
    expect(texts.slice(1).map((t) => t.match(/(Earned|Redeemed|Given back)(\+\d+|−\d+)/)?.slice(1, 3).join(" ")).sort()).toEqual([
      "Earned +25",
      "Earned +8",
      "Given back +2",
      "Redeemed −10",
    ]);
    expect(texts[1]).toContain("Given back");
  });
});
