// The cash drawer in the browser: opened at the till with a float, it follows the cash sales and
// the cash taken out; taking out more than it holds is refused under the field; closing it with
// a count short of what it should hold says by how much, and the Drawer report shows the day.
import { describe, expect, it } from "vitest";
import { useE2E } from "./helpers/e2e.ts";
import { helpOf, signIn } from "./helpers/ui.ts";

const e2e = useE2E();

const exactly = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);

describe("cash drawer", () => {
  it("opens with a float, takes the cash sales and cash out, closes $0.50 short, and the Drawer report shows it", async () => {
    const owner = await e2e.app.db.onboard({ company: "Till Check", timezone: "Europe/London" });
    await owner.query("insert into app_public.catalog_items (name, sku, price) values ('Tea', 'TEA', 300), ('Scone', 'SCO', 250)");

    const page = await e2e.page();
    await page.goto("/login");
    await signIn(page, owner.email, owner.password);
    await page.getByRole("link", { name: "POS" }).click();
    await page.getByText("No drawer is open at Main store: cash taken now goes into no drawer.").waitFor();

    // Open it with 50.00.
    await page.getByRole("button", { name: "Open drawer" }).click();
    const opening = page.getByRole("dialog", { name: "Open the cash drawer" });
    await opening.getByLabel("Starting cash (float)").fill("50");
    await opening.getByRole("button", { name: "Open drawer" }).click();
    await opening.waitFor({ state: "hidden" });
    const expected = page.getByTestId("drawer-expected");
    await expected.filter({ hasText: exactly("$50.00") }).waitFor();

    // A tea paid in cash (10.00 handed over, 7.00 change): 3.00 more in the drawer. A scone by card: none.
    const grid = page.getByRole("list", { name: "Items for sale" });
    await grid.getByRole("button", { name: /Tea/ }).click();
    await page.getByRole("button", { name: "Charge $3.00" }).click();
    let payment = page.getByRole("dialog", { name: /Take payment/ });
    await payment.getByRole("button", { name: "Cash $10.00" }).click();
    await page.getByRole("dialog", { name: /Sale complete/ }).getByRole("button", { name: "New sale" }).click();
    await expected.filter({ hasText: exactly("$53.00") }).waitFor();
    await grid.getByRole("button", { name: /Scone/ }).click();
    await page.getByRole("button", { name: "Charge $2.50" }).click();
    payment = page.getByRole("dialog", { name: /Take payment/ });
    await payment.getByRole("button", { name: "Card" }).click();
    await payment.getByRole("button", { name: "Charge $2.50 to card" }).click();
    await page.getByRole("dialog", { name: /Sale complete/ }).getByRole("button", { name: "New sale" }).click();
    await page.getByRole("table", { name: "Today's sales" }).getByRole("row").filter({ hasText: "Scone" }).waitFor();
    expect(await expected.textContent()).toBe("$53.00");

    // 5.00 out for milk; 100.00 more is refused under the amount: the drawer does not hold it.
    await page.getByRole("button", { name: "Cash in / out" }).click();
    let entry = page.getByRole("dialog", { name: "Cash in or out" });
    await entry.getByLabel("Amount").fill("100");
    await entry.getByLabel("Reason").fill("Bank drop");
    await entry.getByRole("button", { name: "Take cash out" }).click();
    await expect.poll(() => helpOf(entry, "Amount")).toBe("The drawer should hold only 53.00 USD: that much can be taken out.");
    await entry.getByRole("button", { name: "Cancel" }).click();
    await page.getByRole("button", { name: "Cash in / out" }).click();
    entry = page.getByRole("dialog", { name: "Cash in or out" });
    await entry.getByLabel("Amount").fill("5");
    await entry.getByLabel("Reason").fill("Milk");
    await entry.getByRole("button", { name: "Take cash out" }).click();
    await entry.waitFor({ state: "hidden" });
    await expected.filter({ hasText: exactly("$48.00") }).waitFor();

    // Counted 47.50: 0.50 short, seen while counting and after closing.
    await page.getByRole("button", { name: "Close drawer" }).click();
    const closing = page.getByRole("dialog", { name: "Close the cash drawer" });
    await closing.getByTestId("close-expected").filter({ hasText: exactly("$48.00") }).waitFor();
    await closing.getByLabel("Cash counted").fill("47.50");
    await closing.getByTestId("close-difference").filter({ hasText: exactly("$0.50 short") }).waitFor();
    await closing.getByLabel("Note (optional)").fill("Coins miscounted");
    await closing.getByRole("button", { name: "Close drawer" }).click();
    await closing.waitFor({ state: "hidden" });
    await page.getByTestId("drawer-closed").filter({ hasText: "Drawer closed: expected $48.00, counted $47.50 — $0.50 short." }).waitFor();
    await page.getByRole("button", { name: "Open drawer" }).waitFor();

    // The Drawer report: the day's drawer, as counted.
    await page.getByRole("link", { name: "Reports", exact: true }).click();
    await page.getByRole("tab", { name: "Drawer" }).click();
    const row = page.getByRole("table", { name: "Cash drawers" }).getByRole("row").filter({ hasText: "Main store" });
    await row.filter({ hasText: "$0.50 short" }).filter({ hasText: "Coins miscounted" }).waitFor();
    const cells = await row.getByRole("cell").allTextContents();
    expect(cells.slice(3, 10)).toEqual(["$50.00", "$3.00", "$0.00", "$0.00", "-$5.00", "$48.00", "$47.50"]);
  });
});
