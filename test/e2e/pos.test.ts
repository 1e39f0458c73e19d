// POS: a sale rung up in the browser with the totals the database computes, paid in cash with
// change, its receipt, and a void with a reason from today's sales; an order left before it is
// paid stays open (not a sale) until resumed or cancelled; a fresh business adds its first item
// from the till and sells it by card; a cashier sells but cannot void.
import { describe, expect, it } from "vitest";
import { useE2E } from "./helpers/e2e.ts";
import { helpOf, invalidFields, signIn } from "./helpers/ui.ts";

const e2e = useE2E();

/** hh:mm of an instant on a location's clock, as the receipt and today's list show it (en-GB). */
const clock = (at: Date, timeZone: string) =>
  new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit" }).format(at);

const exactly = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);

describe("POS", () => {
  it("rings up a sale, takes cash with change, shows the receipt, and voids it with a reason", async () => {
    const owner = await e2e.app.db.onboard({ company: "Corner Café", timezone: "America/New_York" });
    await owner.query("insert into app_public.catalog_items (name, sku, price) values ($1, $2, $3), ($4, $5, $6)", [
      "Flat white", "FW-01", 350,
      "Blueberry muffin", "MUF-01", 275,
    ]);
    await owner.query("update app_public.tenants set tax_rate_bps = 1000 where id = $1", [owner.tenantId]);

    const page = await e2e.page();
    await page.goto("/login");
    await signIn(page, owner.email, owner.password);
    await page.getByRole("link", { name: "POS" }).click();
    await page.getByRole("heading", { name: "Point of sale" }).waitFor();
    await page.getByText("Selling at Main store.").waitFor();

    // Search by name: only the muffin is left in the grid.
    const grid = page.getByRole("list", { name: "Items for sale" });
    await grid.getByRole("button").nth(1).waitFor();
    await page.getByLabel("Search items").fill("muff");
    await expect.poll(() => grid.getByRole("button").count()).toBe(1);
    await grid.getByRole("button", { name: /Blueberry muffin/ }).click();

    // Search by SKU, Enter adds it (as a scanner would).
    await page.getByLabel("Search items").fill("fw-01");
    await page.getByLabel("Search items").press("Enter");
    const cart = page.getByRole("list", { name: "Cart" });
    await cart.getByRole("listitem", { name: "Flat white" }).waitFor();
    expect(await page.getByLabel("Search items").inputValue()).toBe("");

    // Two flat whites; the database prices the cart: 2 × 3.50 + 2.75, 10% tax per line.
    await page.getByRole("button", { name: "One more Flat white" }).click();
    await page.getByLabel("Quantity of Flat white").filter({ hasText: exactly("2") }).waitFor();
    await page.getByTestId("cart-subtotal").filter({ hasText: exactly("$9.75") }).waitFor();
    await page.getByTestId("cart-tax").filter({ hasText: exactly("$0.98") }).waitFor();
    await page.getByTestId("cart-total").filter({ hasText: exactly("$10.73") }).waitFor();
    await page.getByText("Tax (10%)").waitFor();

    // 0.75 off the order: spread over the lines (0.54 and 0.21), tax on each (0.65 + 0.25).
    await page.getByLabel("Order discount").fill("0.75");
    await page.getByTestId("cart-discount").filter({ hasText: exactly("−$0.75") }).waitFor();
    await page.getByTestId("cart-tax").filter({ hasText: exactly("$0.90") }).waitFor();
    await page.getByTestId("cart-total").filter({ hasText: exactly("$9.90") }).waitFor();

    // Charge: the order is placed, then cash: 20.00 for 9.90.
    await page.getByRole("button", { name: "Charge $9.90" }).click();
    const payment = page.getByRole("dialog", { name: /Take payment/ });
    await payment.getByTestId("amount-due").filter({ hasText: exactly("$9.90") }).waitFor();
    await payment.getByRole("button", { name: "Exact amount, $9.90" }).waitFor();
    await payment.getByRole("button", { name: "Cash $10.00" }).waitFor();
    // Enter with no amount typed: the dialog asks for one (the server never sees it); typing one clears it.
    await payment.getByLabel("Amount given").press("Enter");
    await payment.getByRole("alert").filter({ hasText: "Enter the amount the customer handed over." }).waitFor();
    await payment.getByLabel("Amount given").fill("20");
    await payment.getByRole("alert").waitFor({ state: "detached" });
    await payment.getByRole("button", { name: "Take cash" }).click();

    const done = page.getByRole("dialog", { name: /Sale complete/ });
    await done.getByTestId("change-due").filter({ hasText: "Change due" }).filter({ hasText: "$10.10" }).waitFor();
    const receipt = done.getByTestId("receipt");
    await receipt.getByRole("row", { name: "2 × Flat white $7.00" }).waitFor();
    await receipt.getByRole("row", { name: "1 × Blueberry muffin $2.75" }).waitFor();
    await receipt.getByRole("row", { name: "Subtotal $9.75" }).waitFor();
    await receipt.getByRole("row", { name: "Discount −$0.75" }).waitFor();
    await receipt.getByRole("row", { name: "Tax (10%) $0.90" }).waitFor();
    await receipt.getByRole("row", { name: "Total $9.90" }).waitFor();
    await receipt.getByRole("row", { name: "Cash $20.00" }).waitFor();
    await receipt.getByRole("row", { name: "Change $10.10" }).waitFor();

    // The receipt's number and time are the order's, on New York's clock (the browser is in Paris).
    const { rows } = await e2e.app.db.owner.query(
      "select id, placed_at, total, paid_total from app_public.orders where tenant_id = $1",
      [owner.tenantId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ total: 990, paid_total: 990 });
    const number = `#${(rows[0].id as string).slice(-6).toUpperCase()}`;
    const placedAt = clock(rows[0].placed_at, "America/New_York");
    expect(placedAt).not.toBe(clock(rows[0].placed_at, "Europe/Paris"));
    await receipt.getByText(`Order ${number}`).waitFor();
    await receipt.getByText(placedAt, { exact: false }).waitFor();
    await receipt.getByText("Corner Café").waitFor();

    // New sale: an empty cart, and the sale in today's sales.
    await done.getByRole("button", { name: "New sale" }).click();
    await done.waitFor({ state: "hidden" });
    await page.getByText("Tap an item to add it to the sale.").waitFor();
    const today = page.getByRole("table", { name: "Today's sales" });
    const row = today.getByRole("row").filter({ hasText: number });
    await row.filter({ hasText: placedAt }).filter({ hasText: "Blueberry muffin, 2 × Flat white" }).waitFor();
    await row.filter({ hasText: "$9.90" }).filter({ hasText: "Paid" }).waitFor();
    // On a 1440 × 900 screen, with today's sales listed, the till does not scroll sideways.
    await page.setViewportSize({ width: 1440, height: 900 });
    await expect
      .poll(() => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), { timeout: 15_000 })
      .toBeLessThanOrEqual(0); // how far the page reaches beyond the window

    // The owner voids it: a reason is required (the server's words, under the Reason field); the
    // row then says voided, and why.
    await row.getByRole("button", { name: `Void order ${number}` }).click();
    const voiding = page.getByRole("dialog", { name: `Void order ${number}` });
    await voiding.getByText("$9.90 was paid. It goes back the way it was paid: hand back $9.90 in cash from the drawer.").waitFor();
    await voiding.getByRole("button", { name: "Void order" }).click();
    await voiding.getByText("The reason for the void is required.").waitFor();
    expect(await helpOf(voiding, "Reason")).toBe("The reason for the void is required.");
    expect(await invalidFields(voiding)).toEqual(["Reason"]);
    await voiding.getByLabel("Reason").fill("Rung up on the wrong till");
    await voiding.getByRole("button", { name: "Void order" }).click();
    await voiding.waitFor({ state: "hidden" });
    await row.filter({ hasText: "Voided" }).filter({ hasText: "Void: Rung up on the wrong till · refunded $9.90 cash" }).waitFor();
    expect(await row.getByRole("button", { name: `Void order ${number}` }).count()).toBe(0);

    const voided = await e2e.app.db.owner.query("select status, void_reason from app_public.orders where id = $1", [rows[0].id]);
    expect(voided.rows[0]).toEqual({ status: "voided", void_reason: "Rung up on the wrong till" });
    const back = await e2e.app.db.owner.query("select type, amount from app_public.refund_tenders where order_id = $1", [rows[0].id]);
    expect(back.rows).toEqual([{ type: "cash", amount: 990 }]);
  });

  it("keeps an order left before it is paid open — not a sale — to take its payment later or cancel it, money back", async () => {
    const owner = await e2e.app.db.onboard({ company: "Open Tab", timezone: "Europe/London" });
    await owner.query("insert into app_public.catalog_items (name, sku, price) values ('Espresso', 'ESP', 300), ('Latte', 'LAT', 420)");

    const page = await e2e.page();
    await page.goto("/login");
    await signIn(page, owner.email, owner.password);
    await page.getByRole("link", { name: "POS" }).click();
    const grid = page.getByRole("list", { name: "Items for sale" });
    const open = page.getByRole("table", { name: "Open orders" });
    const today = page.getByRole("table", { name: "Today's sales" });

    // An espresso, part paid in cash, then the customer steps away: the order is kept open.
    await grid.getByRole("button", { name: /Espresso/ }).click();
    await page.getByRole("button", { name: "Charge $3.00" }).click();
    let payment = page.getByRole("dialog", { name: /Take payment/ });
    await payment.getByLabel("Amount given").fill("1");
    await payment.getByRole("button", { name: "Take cash" }).click();
    await payment.getByTestId("amount-due").filter({ hasText: exactly("$2.00") }).waitFor();
    await payment.getByRole("button", { name: "Keep open" }).click();
    await payment.waitFor({ state: "hidden" });

    // A latte, charged and left with nothing paid.
    await grid.getByRole("button", { name: /Latte/ }).click();
    await page.getByRole("button", { name: "Charge $4.20" }).click();
    payment = page.getByRole("dialog", { name: /Take payment/ });
    await payment.getByTestId("amount-due").filter({ hasText: exactly("$4.20") }).waitFor();
    await payment.getByRole("button", { name: "Keep open" }).click();
    await payment.waitFor({ state: "hidden" });

    // Both are open orders with what is due; neither is a sale yet.
    const espresso = open.getByRole("row").filter({ hasText: "Espresso" });
    const latte = open.getByRole("row").filter({ hasText: "Latte" });
    await espresso.filter({ hasText: "$3.00" }).filter({ hasText: "$2.00" }).waitFor();
    await latte.filter({ hasText: "$4.20" }).waitFor();
    await page.getByText("No sales here yet today.").waitFor();

    // The latte is paid later, by card: it becomes a sale and leaves the open orders.
    await latte.getByRole("button", { name: /^Take payment for order/ }).click();
    payment = page.getByRole("dialog", { name: /Take payment/ });
    await payment.getByRole("button", { name: "Card" }).click();
    await payment.getByRole("button", { name: "Charge $4.20 to card" }).click();
    const done = page.getByRole("dialog", { name: /Sale complete/ });
    await done.getByTestId("receipt").getByRole("row", { name: "Card $4.20", exact: true }).waitFor();
    await done.getByRole("button", { name: "Close" }).click();
    await today.getByRole("row").filter({ hasText: "Latte" }).filter({ hasText: "Paid" }).waitFor();
    await latte.waitFor({ state: "detached" });

    // The espresso is cancelled: the dialog says how the dollar paid goes back; a reason is required.
    await espresso.getByRole("button", { name: /^Cancel order/ }).click();
    const cancelling = page.getByRole("dialog", { name: /^Cancel order/ });
    await cancelling.getByText("$1.00 was paid on it. It goes back the way it was paid: hand back $1.00 in cash from the drawer.").waitFor();
    await cancelling.getByRole("button", { name: "Cancel order" }).click();
    await cancelling.getByText("The reason for cancelling is required.").waitFor();
    expect(await invalidFields(cancelling)).toEqual(["Reason"]);
    await cancelling.getByLabel("Reason").fill("Customer walked away");
    await cancelling.getByRole("button", { name: "Cancel order" }).click();
    await cancelling.waitFor({ state: "hidden" });
    await open.waitFor({ state: "detached" });
    expect(await today.getByRole("row").filter({ hasText: "Espresso" }).count()).toBe(0);

    const orders = await owner.query("select status, cancel_reason, paid_total from app_public.orders order by created_at");
    expect(orders.rows).toEqual([
      { status: "cancelled", cancel_reason: "Customer walked away", paid_total: 100 },
      { status: "placed", cancel_reason: null, paid_total: 420 },
    ]);
    const back = await owner.query("select type, amount from app_public.refund_tenders");
    expect(back.rows).toEqual([{ type: "cash", amount: 100 }]);

    // The day has one sale: the latte. The cancelled espresso counts nowhere.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboard" }).click();
    await page.getByTestId("metric-orders-today").filter({ hasText: exactly("1") }).waitFor();
    await page.getByTestId("metric-sales-today").filter({ hasText: exactly("$4.20") }).waitFor();
  });

  it("lets a fresh business add its first item from the till, sell it by card, and remembers the location", async () => {
    const owner = await e2e.app.db.onboard({ company: "Blank Slate", timezone: "Europe/Paris" });
    await owner.query("insert into app_public.locations (name, timezone) values ($1, $2)", ["Airport kiosk", "Asia/Tokyo"]);

    const page = await e2e.page();
    await page.goto("/login");
    await signIn(page, owner.email, owner.password);
    await page.getByRole("link", { name: "POS" }).click();
    await page.getByText("There is nothing to sell yet").waitFor();

    await page.getByRole("button", { name: "Add your first item" }).click();
    const dialog = page.getByRole("dialog", { name: "Add item" });
    await dialog.getByLabel("Item name").fill("Gift card");
    await dialog.getByLabel("SKU").fill("gift-25");
    await dialog.getByLabel("Price").fill("twenty");
    await dialog.getByRole("button", { name: "Add item" }).click();
    await dialog.getByText("Enter a price such as 3.50.").waitFor();
    await dialog.getByLabel("Price").fill("25");
    await dialog.getByRole("button", { name: "Add item" }).click();
    await dialog.waitFor({ state: "hidden" });

    const grid = page.getByRole("list", { name: "Items for sale" });
    await grid.getByRole("button", { name: /Gift card.*GIFT-25.*25\.00/ }).click();
    await page.getByTestId("cart-total").filter({ hasText: exactly("$25.00") }).waitFor();

    // Sell at the other location, by card.
    await page.getByRole("combobox", { name: /Location/ }).click();
    await page.getByRole("option", { name: "Airport kiosk" }).click();
    await page.getByText("Selling at Airport kiosk.").waitFor();
    await page.getByRole("button", { name: "Charge $25.00" }).click();
    const payment = page.getByRole("dialog", { name: /Take payment/ });
    await payment.getByRole("button", { name: "Card" }).click();
    await payment.getByRole("button", { name: "Charge $25.00 to card" }).click();
    const done = page.getByRole("dialog", { name: /Sale complete/ });
    await done.getByText("Paid in full · no change").waitFor();
    await done.getByTestId("receipt").getByRole("row", { name: "Card $25.00", exact: true }).waitFor();
    await done.getByTestId("receipt").getByText("Airport kiosk").waitFor();
    await done.getByRole("button", { name: "New sale" }).click();
    await page
      .getByRole("table", { name: "Today's sales" })
      .getByRole("row")
      .filter({ hasText: "Gift card" })
      .filter({ hasText: "Paid" })
      .waitFor();
    await page.getByText(/Airport kiosk, .* \(Asia\/Tokyo\)/).waitFor();

    // The till stays at the location chosen, after a reload.
    await page.reload();
    await page.getByText("Selling at Airport kiosk.").waitFor();
    const orders = await e2e.app.db.owner.query(
      "select l.name, o.total, o.paid_total from app_public.orders o join app_public.locations l on l.tenant_id = o.tenant_id and l.id = o.location_id where o.tenant_id = $1",
      [owner.tenantId],
    );
    expect(orders.rows).toEqual([{ name: "Airport kiosk", total: 2500, paid_total: 2500 }]);
  });

  it("lets a cashier sell and see receipts, but not void or add items", async () => {
    const owner = await e2e.app.db.onboard({ company: "Till Two", timezone: "Europe/Berlin" });
    await owner.query("insert into app_public.catalog_items (name, sku, price) values ('Espresso', 'ESP', 220)");
    const cashier = await e2e.app.db.asUser(owner.tenantId, "cashier");

    const page = await e2e.page();
    await page.goto("/login");
    await signIn(page, cashier.email, cashier.password);
    await page.getByRole("link", { name: "POS" }).click();
    await page.getByRole("list", { name: "Items for sale" }).getByRole("button", { name: /Espresso/ }).click();
    await page.getByRole("button", { name: "Charge $2.20" }).click();
    const payment = page.getByRole("dialog", { name: /Take payment/ });
    await payment.getByRole("button", { name: "Exact amount, $2.20" }).click();
    const done = page.getByRole("dialog", { name: /Sale complete/ });
    await done.getByTestId("receipt").getByRole("row", { name: "Cash $2.20" }).waitFor();
    await done.getByTestId("receipt").getByText("Served by A cashier").waitFor();
    await done.getByRole("button", { name: "New sale" }).click();

    const row = page.getByRole("table", { name: "Today's sales" }).getByRole("row").filter({ hasText: "Espresso" });
    await row.filter({ hasText: "Paid" }).waitFor();
    await row.getByRole("button", { name: /^Receipt of order/ }).waitFor();
    expect(await row.getByRole("button", { name: /^Void order/ }).count()).toBe(0);
    expect(await page.getByRole("button", { name: "Add item" }).count()).toBe(0);
  });
});
