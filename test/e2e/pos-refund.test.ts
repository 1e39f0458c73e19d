// POS refunds in the browser: a manager refunds one of three coffees paid by card from today's
// sales, with a reason, and is told what went back; the row says what was refunded and no longer
// offers a void; the receipt lists the refund. A refund asking for more than is left (another
// till got there first) shows the server's words and the count as it now is. A sale paid partly
// in cash is refunded to the card first, the rest handed back from the drawer. A cashier sells
// but is offered no refund.
import { describe, expect, it } from "vitest";
import { useE2E } from "./helpers/e2e.ts";
import { signIn } from "./helpers/ui.ts";

const e2e = useE2E();

const exactly = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);

describe("POS refunds", () => {
  it("refunds one of three coffees paid by card, says what went back, and no longer offers a void", async () => {
    const owner = await e2e.app.db.onboard({ company: "Refund Roasters", timezone: "Europe/London" });
    await owner.query("insert into app_public.catalog_items (name, sku, price) values ('Coffee', 'COF', 350)");
    await owner.query("update app_public.tenants set tax_rate_bps = 1000 where id = $1", [owner.tenantId]);
    const manager = await e2e.app.db.asUser(owner.tenantId, "manager");

    const page = await e2e.page();
    await page.goto("/login");
    await signIn(page, manager.email, manager.password);
    await page.getByRole("link", { name: "POS" }).click();

    // Three coffees: 3 × 3.50 + 10% tax = 11.55, by card.
    await page.getByRole("list", { name: "Items for sale" }).getByRole("button", { name: /Coffee/ }).click();
    await page.getByRole("button", { name: "One more Coffee" }).click();
    await page.getByRole("button", { name: "One more Coffee" }).click();
    await page.getByTestId("cart-total").filter({ hasText: exactly("$11.55") }).waitFor();
    await page.getByRole("button", { name: "Charge $11.55" }).click();
    const payment = page.getByRole("dialog", { name: /Take payment/ });
    await payment.getByRole("button", { name: "Card" }).click();
    await payment.getByRole("button", { name: "Charge $11.55 to card" }).click();
    await page.getByRole("dialog", { name: /Sale complete/ }).getByRole("button", { name: "New sale" }).click();

    const { rows } = await e2e.app.db.owner.query(
      "select o.id, l.id as line_id from app_public.orders o join app_public.order_lines l on l.tenant_id = o.tenant_id and l.order_id = o.id where o.tenant_id = $1",
      [owner.tenantId],
    );
    expect(rows).toHaveLength(1);
    const number = `#${(rows[0].id as string).slice(-6).toUpperCase()}`;
    const row = page.getByRole("table", { name: "Today's sales" }).getByRole("row").filter({ hasText: number });
    await row.filter({ hasText: "3 × Coffee" }).filter({ hasText: "Paid" }).waitFor();
    await row.getByRole("button", { name: `Void order ${number}` }).waitFor();

    // Refund one: nothing can be sent before a quantity and a reason are given.
    await row.getByRole("button", { name: `Refund items of order ${number}` }).click();
    let refunding = page.getByRole("dialog", { name: `Refund items of order ${number}` });
    const coffee = refunding.getByRole("listitem", { name: "Coffee" });
    await coffee.getByText("$3.50 each · 3 of 3 can be refunded").waitFor();
    expect(await refunding.getByRole("button", { name: "Refund", exact: true }).isDisabled()).toBe(true);
    await coffee.getByRole("button", { name: "One more Coffee to refund" }).click();
    await coffee.getByLabel("Quantity of Coffee to refund").filter({ hasText: exactly("1") }).waitFor();
    expect(await refunding.getByRole("button", { name: "Refund 1 item" }).isDisabled()).toBe(true);
    await refunding.getByLabel("Reason").fill("One coffee was cold");
    await refunding.getByRole("button", { name: "Refund 1 item" }).click();

    // Its share of the tax goes back with it (0.35 of 1.05), to the card.
    let done = page.getByRole("dialog", { name: `Refunded on order ${number}` });
    await done.getByTestId("refund-done").filter({ hasText: "$3.85" }).waitFor();
    expect(await done.getByTestId("refund-steps").textContent()).toBe("$3.85 is refunded to the card.");
    await done.getByRole("button", { name: "Done" }).click();
    await done.waitFor({ state: "hidden" });

    // The row says so; the sale can no longer be voided, its other two coffees can still be refunded.
    await row.getByTestId("order-refunded").filter({ hasText: exactly("Refunded $3.85: One coffee was cold") }).waitFor();
    expect(await row.getByRole("button", { name: `Void order ${number}` }).count()).toBe(0);
    await row.getByRole("button", { name: `Refund items of order ${number}` }).waitFor();

    // The receipt lists the refund with its reason.
    await row.getByRole("button", { name: `Receipt of order ${number}` }).click();
    const receipt = page.getByRole("dialog", { name: "Receipt" }).getByTestId("receipt");
    await receipt.getByRole("row", { name: "Refunded: One coffee was cold −$3.85" }).waitFor();
    await page.getByRole("dialog", { name: "Receipt" }).getByRole("button", { name: "Close" }).click();

    // Both remaining coffees are asked for, but another till refunds one first: the server's words,
    // then the count as it is now, and the one left is refunded.
    await row.getByRole("button", { name: `Refund items of order ${number}` }).click();
    refunding = page.getByRole("dialog", { name: `Refund items of order ${number}` });
    await refunding.getByText("$3.50 each · 2 of 3 can be refunded (1 refunded)").waitFor();
    await refunding.getByRole("button", { name: "Refund all Coffee" }).click();
    await refunding.getByLabel("Reason").fill("Order was wrong");
    await manager.query("select app_public.refund_order_lines($1, $2::jsonb, 'Refunded at the other till')", [
      rows[0].id,
      JSON.stringify([{ order_line_id: rows[0].line_id, quantity: 1 }]),
    ]);
    await refunding.getByRole("button", { name: "Refund 2 items" }).click();
    await refunding.getByRole("alert").filter({ hasText: "Line 1: only 1 of Coffee can still be refunded." }).waitFor();
    await refunding.getByText("$3.50 each · 1 of 3 can be refunded (2 refunded)").waitFor();
    await refunding.getByRole("button", { name: "Refund 1 item" }).click();
    done = page.getByRole("dialog", { name: `Refunded on order ${number}` });
    expect(await done.getByTestId("refund-steps").textContent()).toBe("$3.85 is refunded to the card.");
    await done.getByRole("button", { name: "Done" }).click();

    // All of it refunded: neither a refund nor a void is offered any more.
    await row
      .getByTestId("order-refunded")
      .filter({ hasText: exactly("Refunded $11.55: One coffee was cold; Refunded at the other till; Order was wrong") })
      .waitFor();
    expect(await row.getByRole("button", { name: `Refund items of order ${number}` }).count()).toBe(0);
    expect(await row.getByRole("button", { name: `Void order ${number}` }).count()).toBe(0);

    const back = await owner.query("select type, amount, reason from app_public.refund_tenders order by created_at");
    expect(back.rows).toEqual([
      { type: "card", amount: 385, reason: "One coffee was cold" },
      { type: "card", amount: 385, reason: "Refunded at the other till" },
      { type: "card", amount: 385, reason: "Order was wrong" },
    ]);
  });

  it("refunds a sale paid partly in cash to the card first, and tells the cashier to hand back the rest from the drawer", async () => {
    const owner = await e2e.app.db.onboard({ company: "Split Bill", timezone: "America/Chicago" });
    await owner.query("insert into app_public.catalog_items (name, sku, price) values ('Bagel', 'BAG', 400)");

    const page = await e2e.page();
    await page.goto("/login");
    await signIn(page, owner.email, owner.password);
    await page.getByRole("link", { name: "POS" }).click();

    // Two bagels, 8.00: 5.00 in cash, the rest by card.
    await page.getByRole("list", { name: "Items for sale" }).getByRole("button", { name: /Bagel/ }).click();
    await page.getByRole("button", { name: "One more Bagel" }).click();
    await page.getByRole("button", { name: "Charge $8.00" }).click();
    const payment = page.getByRole("dialog", { name: /Take payment/ });
    await payment.getByLabel("Amount given").fill("5");
    await payment.getByRole("button", { name: "Take cash" }).click();
    await payment.getByTestId("amount-due").filter({ hasText: exactly("$3.00") }).waitFor();
    await payment.getByRole("button", { name: "Card" }).click();
    await payment.getByRole("button", { name: "Charge $3.00 to card" }).click();
    await page.getByRole("dialog", { name: /Sale complete/ }).getByRole("button", { name: "New sale" }).click();

    const row = page.getByRole("table", { name: "Today's sales" }).getByRole("row").filter({ hasText: "2 × Bagel" });
    await row.getByRole("button", { name: /^Refund items of order/ }).click();
    const refunding = page.getByRole("dialog", { name: /^Refund items of order/ });
    await refunding.getByRole("button", { name: "Refund all Bagel" }).click();
    await refunding.getByLabel("Reason").fill("Stale");
    await refunding.getByRole("button", { name: "Refund 2 items" }).click();
    const done = page.getByRole("dialog", { name: /^Refunded on order/ });
    await done.getByTestId("refund-done").filter({ hasText: "$8.00" }).waitFor();
    expect(await done.getByTestId("refund-steps").textContent()).toBe("Hand back $5.00 in cash from the drawer; $3.00 is refunded to the card.");
    await done.getByRole("button", { name: "Done" }).click();
    await row.getByTestId("order-refunded").filter({ hasText: exactly("Refunded $8.00: Stale") }).waitFor();
    expect(await row.getByRole("button", { name: /^(Refund items|Void) of order/ }).count()).toBe(0);
  });

  it("offers a cashier no refund", async () => {
    const owner = await e2e.app.db.onboard({ company: "Till Three", timezone: "Europe/Berlin" });
    await owner.query("insert into app_public.catalog_items (name, sku, price) values ('Espresso', 'ESP', 220)");
    const cashier = await e2e.app.db.asUser(owner.tenantId, "cashier");

    const page = await e2e.page();
    await page.goto("/login");
    await signIn(page, cashier.email, cashier.password);
    await page.getByRole("link", { name: "POS" }).click();
    await page.getByRole("list", { name: "Items for sale" }).getByRole("button", { name: /Espresso/ }).click();
    await page.getByRole("button", { name: "Charge $2.20" }).click();
    const payment = page.getByRole("dialog", { name: /Take payment/ });
    await payment.getByRole("button", { name: "Card" }).click();
    await payment.getByRole("button", { name: "Charge $2.20 to card" }).click();
    await page.getByRole("dialog", { name: /Sale complete/ }).getByRole("button", { name: "New sale" }).click();

    const row = page.getByRole("table", { name: "Today's sales" }).getByRole("row").filter({ hasText: "Espresso" });
    await row.filter({ hasText: "Paid" }).waitFor();
    await row.getByRole("button", { name: /^Receipt of order/ }).waitFor();
    expect(await row.getByRole("button", { name: /^Refund/ }).count()).toBe(0);
    expect(await row.getByRole("button", { name: /^Void order/ }).count()).toBe(0);
  });
});
