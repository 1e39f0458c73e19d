// The Reports page's finish: "All locations" when no location is chosen, the period presets and
// "Compare to previous period" on the Sales tab, whole date ticks and a lighter bar for today,
// every top item named, the Inventory tab by the plan's modules, and no sideways scrolling on a
// laptop or a phone.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import type { Member } from "../helpers/db.ts";
import { useE2E } from "./helpers/e2e.ts";
import { signIn } from "./helpers/ui.ts";

const e2e = useE2E();

const exactly = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
const ITEMS = ["Tea", "Cake", "Sourdough loaf", "Blueberry muffin", "Croissant", "Orange juice"];

interface Shop {
  owner: Member;
  today: string;
  yesterday: string;
}

/**
 * A business in Paris (the browser's zone too), tax free, on USD, selling on Paris business dates:
 *   today:        Tea 2 × 2.00, and one each of Sourdough loaf 4.50, Blueberry muffin 3.00,
 *                 Croissant 2.50, Orange juice 3.50 → 17.50 in 2 sales
 *   3 days ago:   Cake 2 × 5.00 → 10.00 in 1 sale           (last 7 days: 27.50 in 3 sales)
 *   10 days ago:  Cake 1 × 5.00 → 5.00 in 1 sale            (the 7 days before: 5.00 in 1 sale)
 * and a stock item, Cake stock (threshold 2).
 */
async function seedShop(): Promise<Shop> {
  const owner = await e2e.app.db.onboard({ company: "Polish Patisserie", timezone: "Europe/Paris" });
  await owner.query("update app_public.tenants set tax_rate_bps = 0 where id = $1", [owner.tenantId]);
  const location = (await owner.query("select id from app_public.locations")).rows[0].id as string;
  const prices = [200, 500, 450, 300, 250, 350];
  const id: Record<string, string> = {};
  for (const [i, name] of ITEMS.entries()) {
    const { rows } = await owner.query("insert into app_public.catalog_items (name, sku, price) values ($1, $2, $3) returning id", [
      name,
      `SKU${i}`,
      prices[i],
    ]);
    id[name] = rows[0].id;
  }
  const inv = await owner.query(
    "insert into app_public.inventory_items (name, catalog_item_id, low_stock_threshold) values ('Cake stock', $1, 2) returning id",
    [id.Cake],
  );
  await owner.query("select app_public.record_inventory_movement($1, $2, 3, 'receive')", [location, inv.rows[0].id]);
  /** A sale: now (paid in cash), or `daysAgo` at noon on the Paris calendar (an import). */
  const sell = async (lines: [string, number][], daysAgo: number | null) => {
    const { rows } = await owner.query(
      `select * from app_public.place_order($1, $2::jsonb, null, 0,
         case when $3::int is null then null
              else (((now() at time zone 'Europe/Paris')::date - $3::int) + time '12:00') at time zone 'Europe/Paris' end)`,
      [location, JSON.stringify(lines.map(([name, quantity]) => ({ catalog_item_id: id[name], quantity }))), daysAgo],
    );
    if (rows[0].status === "open") await owner.query("select app_public.record_tender($1, 'cash', $2)", [rows[0].id, rows[0].total]);
  };
  await sell([["Tea", 2]], null);
  await sell([["Sourdough loaf", 1], ["Blueberry muffin", 1], ["Croissant", 1], ["Orange juice", 1]], null);
  await sell([["Cake", 2]], 3);
  await sell([["Cake", 1]], 10);
  const { rows } = await owner.query(
    "select (now() at time zone 'Europe/Paris')::date::text as today, ((now() at time zone 'Europe/Paris')::date - 1)::text as yesterday",
  );
  return { owner, today: rows[0].today, yesterday: rows[0].yesterday };
}

async function openReports(page: Page, owner: Member) {
  await page.goto("/login");
  await signIn(page, owner.email, owner.password);
  await page.getByRole("link", { name: "Reports", exact: true }).click();
  await page.getByRole("heading", { name: "Reports" }).waitFor();
  await page.getByRole("tab", { name: "Sales", selected: true }).waitFor();
}

/**
 * Picks an option of a select. The select is found as the combobox it is (its open menu's list is
 * labelled by the same label), and the menu is gone before the next step: a second choice made
 * while the first menu is still closing would find two elements labelled so.
 */
async function choose(page: Page, label: string, option: string) {
  await page.getByRole("combobox", { name: label, exact: true }).click();
  await page.getByRole("option", { name: option, exact: true }).click();
  await page.getByRole("listbox").waitFor({ state: "hidden" });
}

/** The texts of a chart's tick labels on one axis, as drawn (an ellipsis included if any). */
const ticks = (page: Page, testId: string, axis: "x" | "y") =>
  page.getByTestId(testId).locator(`.MuiChartsAxis-direction${axis.toUpperCase()} .MuiChartsAxis-tickLabel`).allTextContents();

/** How far the page scrolls sideways (0 when it fits its window). */
const sidewaysScroll = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe("Reports: filters, presets and comparison", () => {
  it("shows All locations, applies presets, compares with the previous period, and draws whole dates", async () => {
    const { owner, today, yesterday } = await seedShop();
    const page = await e2e.page();
    await page.setViewportSize({ width: 1440, height: 900 });
    await openReports(page, owner);

    // No location chosen reads "All locations", not a blank box.
    expect(await page.getByLabel("Location", { exact: true }).textContent()).toBe("All locations");
    // The first period is the last 7 days.
    expect(await page.getByRole("combobox", { name: "Period", exact: true }).textContent()).toBe("Last 7 days");
    await page.getByTestId("sales-revenue").filter({ hasText: exactly("$27.50") }).waitFor();
    expect(await page.getByTestId("sales-orders").textContent()).toBe("3");

    // The date ticks are short and whole; today's bar is told apart.
    const chart = page.getByTestId("sales-chart");
    await expect.poll(() => ticks(page, "sales-chart", "x").then((t) => t.length)).toBe(7);
    const dates = await ticks(page, "sales-chart", "x");
    for (const date of dates) {
      expect(date).not.toMatch(/…$/);
      expect(date).toMatch(/^[A-Z][a-z]{2} \d{1,2}$/); // "Mar 9": the business's locale is en-US
    }
    await chart.getByText("The lighter bar is today so far: the day is not over yet.").waitFor();

    // Compare: each figure with the 7 days before's and the change in percent.
    await page.getByLabel("Compare to previous period").check();
    await page.getByTestId("sales-revenue-previous").filter({ hasText: exactly("$5.00") }).waitFor();
    expect(await page.getByTestId("sales-revenue-change").textContent()).toBe("+450%");
    expect(await page.getByTestId("sales-orders-previous").textContent()).toBe("1");
    expect(await page.getByTestId("sales-orders-change").textContent()).toBe("+200%");
    expect(await page.getByTestId("sales-average-previous").textContent()).toBe("$5.00");
    expect(await page.getByTestId("sales-average-change").textContent()).toBe("+83.4%"); // 9.17 vs 5.00
    const summary = page.getByRole("table", { name: "Sales summary" });
    await summary.getByRole("row").filter({ has: page.getByRole("rowheader", { name: "Net sales" }) }).filter({ hasText: "$27.50$5.00+450%" }).waitFor();

    // A preset sets the dates and the figures follow: Today, then Yesterday (nothing sold).
    await choose(page, "Period", "Today");
    expect(await page.getByLabel("From", { exact: true }).inputValue()).toBe(today);
    expect(await page.getByLabel("To", { exact: true }).inputValue()).toBe(today);
    await page.getByTestId("sales-revenue").filter({ hasText: exactly("$17.50") }).waitFor();
    expect(await page.getByTestId("sales-orders").textContent()).toBe("2");
    await page.getByTestId("sales-revenue-previous").filter({ hasText: exactly("$0.00") }).waitFor();
    expect(await page.getByTestId("sales-revenue-change").textContent()).toBe("—"); // no percent of nothing

    await choose(page, "Period", "Yesterday");
    expect(await page.getByLabel("From", { exact: true }).inputValue()).toBe(yesterday);
    await page.getByTestId("sales-revenue").filter({ hasText: exactly("$0.00") }).waitFor();

    // Editing a date by hand makes the period Custom.
    await page.getByLabel("From", { exact: true }).fill(today);
    await page.getByLabel("To", { exact: true }).fill(today);
    await page.getByTestId("sales-revenue").filter({ hasText: exactly("$17.50") }).waitFor();
    expect(await page.getByRole("combobox", { name: "Period", exact: true }).textContent()).toBe("Custom");

    // Items: every one of the top items is named on the chart.
    await choose(page, "Period", "Last 30 days");
    await page.getByRole("tab", { name: "Items" }).click();
    await expect.poll(() => ticks(page, "items-chart", "y").then((t) => [...t].sort())).toEqual([...ITEMS].sort());
  }, 90_000);

  it("does not scroll sideways at 1440×900 nor at 390×844, and keeps the date ticks whole on a phone", async () => {
    const { owner } = await seedShop();
    await e2e.app.db.owner.query("update app_public.billing_subscriptions set plan_key = 'growth' where tenant_id = $1", [owner.tenantId]);
    const page = await e2e.page();
    await openReports(page, owner);
    for (const [width, height] of [[1440, 900], [390, 844]]) {
      await page.setViewportSize({ width, height });
      await page.getByRole("tab", { name: "Sales" }).click();
      await page.getByLabel("Compare to previous period").check();
      await page.getByTestId("sales-revenue-previous").waitFor();
      await expect.poll(() => ticks(page, "sales-chart", "x").then((t) => t.length)).toBeGreaterThan(0);
      for (const date of await ticks(page, "sales-chart", "x")) expect(date).not.toMatch(/…$/);
      expect(await sidewaysScroll(page), `Sales at ${width}`).toBeLessThanOrEqual(0);
      await page.getByLabel("Compare to previous period").uncheck();

      for (const [tab, ready] of [
        ["Items", page.getByRole("table", { name: "Item sales" })],
        ["Inventory", page.getByRole("table", { name: "Stock levels" })],
        ["Customers", page.getByTestId("customers-visits")],
        ["Drawer", page.getByRole("table", { name: "Cash drawers" })],
        ["Accounts receivable", page.getByRole("table", { name: "Accounts receivable" })],
      ] as const) {
        await page.getByRole("tab", { name: tab }).click();
        await ready.waitFor();
        expect(await sidewaysScroll(page), `${tab} at ${width}`).toBeLessThanOrEqual(0);
      }
      await page.screenshot({ path: `/tmp/reports-${width}.png`, fullPage: true });
    }
  }, 90_000);
});

describe("Reports: the plan's modules", () => {
  it("marks Inventory with the plan that has it and links to billing; shows it once the plan includes inventory", async () => {
    const { owner } = await seedShop();
    const page = await e2e.page();
    await openReports(page, owner);

    // A new business trials the plan without the inventory module.
    const marked = page.getByRole("tab", { name: "Inventory on Growth" });
    await marked.click();
    const offer = page.getByTestId("upgrade-card");
    await offer.getByText("Inventory comes with the Growth plan; your plan does not include it.", { exact: false }).waitFor();
    expect(await offer.getByRole("link", { name: "Upgrade to Growth" }).getAttribute("href")).toBe("/settings/billing");
    expect(await page.getByRole("table", { name: "Stock levels" }).count()).toBe(0);
    // The other tabs are the plan's and carry no mark.
    expect(await page.getByRole("tab").allTextContents()).toEqual(["Sales", "Items", "Inventory on Growth", "Customers", "Drawer", "Accounts receivable"]);

    // On a plan with the inventory module, the tab is a plain one with the stock levels.
    await e2e.app.db.owner.query("update app_public.billing_subscriptions set plan_key = 'growth' where tenant_id = $1", [owner.tenantId]);
    await page.reload();
    await page.getByRole("tab", { name: "Inventory", exact: true }).click();
    await page.getByRole("table", { name: "Stock levels" }).getByRole("row").filter({ hasText: "Cake stock" }).waitFor();
    expect(await page.getByTestId("upgrade-card").count()).toBe(0);
  }, 60_000);
});
