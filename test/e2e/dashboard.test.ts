// The home page in the browser: today's figures against the same weekday last week, the 14 days'
// bars, today's top item, low stock, new and returning customers and the latest sales, with no
// sideways scrolling on a laptop or a phone; a cashier gets the latest sales without figures.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import type { Member } from "../helpers/db.ts";
import { useE2E } from "./helpers/e2e.ts";
import { signIn } from "./helpers/ui.ts";

const e2e = useE2E();

const exactly = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);

/** Today's weekday in Paris, where the shops and the browser are: the day last week compared with. */
const weekday = () => new Intl.DateTimeFormat("en", { weekday: "long", timeZone: "Europe/Paris" }).format(new Date());

interface Shop {
  owner: Member;
  locationId: string;
  id: Record<string, string>;
  /** A sale now, paid in cash at the till. */
  sell(lines: Record<string, number>, customerId?: string | null): Promise<void>;
}

/**
 * A Paris bakery without tax selling Tea (2.00) and Cake (5.00); Cake is stocked, 3 in, reorder at 2.
 * `growth`: on the plan with the inventory module (a new business trials the one without).
 */
async function openShop(company: string, { growth = true } = {}): Promise<Shop> {
  const owner = await e2e.app.db.onboard({ company, timezone: "Europe/Paris" });
  if (growth) await e2e.app.db.owner.query("update app_public.billing_subscriptions set plan_key = 'growth' where tenant_id = $1", [owner.tenantId]);
  await owner.query("update app_public.tenants set tax_rate_bps = 0 where id = $1", [owner.tenantId]);
  const locationId = (await owner.query("select id from app_public.locations")).rows[0].id as string;
  const items = await owner.query(
    "insert into app_public.catalog_items (name, sku, price) values ('Tea', 'TEA', 200), ('Cake', 'CAKE', 500) returning id, sku",
  );
  const id = Object.fromEntries(items.rows.map((r) => [r.sku, r.id as string]));
  const inv = await owner.query(
    "insert into app_public.inventory_items (name, catalog_item_id, low_stock_threshold) values ('Cake stock', $1, 2) returning id",
    [id.CAKE],
  );
  await owner.query("select app_public.record_inventory_movement($1, $2, 3, 'receive')", [locationId, inv.rows[0].id]);
  const lines = (l: Record<string, number>) => JSON.stringify(Object.entries(l).map(([sku, quantity]) => ({ catalog_item_id: id[sku], quantity })));
  return {
    owner,
    locationId,
    id,
    async sell(l, customerId = null) {
      const { rows } = await owner.query("select * from app_public.place_order($1, $2::jsonb, $3, 0, null)", [locationId, lines(l), customerId]);
      await owner.query("select * from app_public.record_tender($1, 'cash', $2)", [rows[0].id, rows[0].total]);
    },
  };
}

/** An import (an owner's sale with a past time) at noon in Paris on the same weekday last week. */
async function soldLastWeek(shop: Shop, l: Record<string, number>, customerId: string | null) {
  const lines = JSON.stringify(Object.entries(l).map(([sku, quantity]) => ({ catalog_item_id: shop.id[sku], quantity })));
  await shop.owner.query(
    `select * from app_public.place_order($1, $2::jsonb, $3, 0,
       (((now() at time zone 'Europe/Paris')::date - 7) + time '12:00') at time zone 'Europe/Paris')`,
    [shop.locationId, lines, customerId],
  );
}

async function customer(owner: Member, first: string): Promise<string> {
  const { rows } = await owner.query("select id from app_public.create_customer(first_name => $1, last_name => 'Doe')", [first]);
  return rows[0].id;
}

async function expectNoSidewaysScroll(page: Page, width: number, height: number) {
  await page.setViewportSize({ width, height });
  // The chart measures its box again after a resize.
  await page.waitForTimeout(300);
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  expect(scroll, `no horizontal scroll at ${width}×${height}`).toBeLessThanOrEqual(client);
}

describe("the home page", () => {
  it("compares today with the same weekday last week and shows the top item, low stock and no sideways scroll", async () => {
    const shop = await openShop("Comparing Bakery");
    const ann = await customer(shop.owner, "Ann");
    const ben = await customer(shop.owner, "Ben");
    // Last week: one sale of 10.00 (Ann). Today: 14.00 in two sales, Ann's second visit and Ben's first.
    await soldLastWeek(shop, { TEA: 5 }, ann);
    await shop.sell({ CAKE: 2 }, ann);
    await shop.sell({ TEA: 2 }, ben);

    const page = await e2e.page();
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto("/login");
    await signIn(page, shop.owner.email, shop.owner.password);
    const day = weekday();

    // Net sales 14.00 vs 10.00, sales 2 vs 1, average sale 7.00 vs 10.00.
    await page.getByTestId("metric-sales-today").filter({ hasText: exactly("$14.00") }).waitFor();
    await page.getByTestId("metric-sales-today-change").filter({ hasText: exactly(`+40% vs last ${day}`) }).waitFor();
    await page.getByTestId("metric-orders-today").filter({ hasText: exactly("2") }).waitFor();
    await page.getByTestId("metric-orders-today-change").filter({ hasText: exactly(`+100% vs last ${day}`) }).waitFor();
    await page.getByTestId("metric-average-today").filter({ hasText: exactly("$7.00") }).waitFor();
    await page.getByTestId("metric-average-today-change").filter({ hasText: new RegExp(`^[-−]30% vs last ${day}$`) }).waitFor();
    // Each figure opens its report.
    const netSales = page.getByRole("link", { name: /^Net sales today/ });
    expect(await netSales.getAttribute("href")).toBe("/reports?tab=sales");

    // The 14 days as bars, today's lighter than the others (the day is not over) and said so.
    const bars = page.getByTestId("sales-chart").locator("svg rect.MuiBarChart-element");
    await expect.poll(() => bars.count()).toBe(14);
    const fills = await bars.evaluateAll((els) => els.map((el) => el.getAttribute("fill")));
    expect(fills[13]).not.toBe(fills[6]);
    expect(new Set(fills.slice(0, 13)).size).toBe(1);
    await page.getByTestId("sales-chart-today").waitFor();

    // Today's best seller first, with its units and net sales.
    const top = page.getByRole("table", { name: "Top items today" });
    await top.getByRole("row").nth(1).filter({ hasText: /^Cake\s*2\s*\$10\.00$/ }).waitFor();
    await top.getByRole("row", { name: "Tea 2 $4.00" }).waitFor();
    expect(await page.getByRole("link", { name: "All items" }).getAttribute("href")).toBe("/reports?tab=items");

    // Cake stock went 3 → 1 with today's two cakes: at or below its threshold of 2.
    await page.getByTestId("metric-low-stock").filter({ hasText: exactly("1") }).waitFor();
    await page.getByRole("table", { name: "Low stock" }).getByRole("row", { name: "Cake stock Main store 1 2" }).waitFor();
    expect(await page.getByRole("link", { name: "Stock levels" }).getAttribute("href")).toBe("/reports?tab=inventory");

    // Ben came for the first time, Ann came back.
    await page.getByTestId("customers-new-today").filter({ hasText: exactly("1") }).waitFor();
    await page.getByTestId("customers-returning-today").filter({ hasText: exactly("1") }).waitFor();
    await page.getByTestId("metric-active-customers").filter({ hasText: exactly("2") }).waitFor();

    // The latest sales, newest first: today's two, then last week's.
    const recent = page.getByRole("table", { name: "Recent sales" });
    await recent.getByRole("row").nth(3).waitFor();
    expect(await recent.getByRole("row").count()).toBe(4);
    await recent.getByRole("row").nth(1).filter({ hasText: "$4.00" }).waitFor();
    await recent.getByRole("row").nth(3).filter({ hasText: "$10.00" }).waitFor();

    await expectNoSidewaysScroll(page, 1440, 900);
    await expectNoSidewaysScroll(page, 390, 844);
    // Still all there on the phone.
    await page.getByTestId("metric-sales-today-change").filter({ hasText: exactly(`+40% vs last ${day}`) }).waitFor();
    await page.getByRole("table", { name: "Low stock" }).waitFor();
  }, 60_000);

  it("says — when last week had no sales, leaves stock out of a plan without inventory, and gives a cashier the latest sales only", async () => {
    const shop = await openShop("First Week Bakery", { growth: false });
    await shop.sell({ TEA: 1 });
    const page = await e2e.page();
    await page.goto("/login");
    await signIn(page, shop.owner.email, shop.owner.password);
    const day = weekday();
    await page.getByTestId("metric-sales-today").filter({ hasText: exactly("$2.00") }).waitFor();
    await page.getByTestId("metric-sales-today-change").filter({ hasText: exactly(`— vs last ${day}`) }).waitFor();
    await page.getByTestId("metric-orders-today-change").filter({ hasText: exactly(`— vs last ${day}`) }).waitFor();
    // The trial plan has no inventory module: no low stock (the Reports page offers its Inventory tab "on Growth").
    await page.getByRole("table", { name: "Top items today" }).getByRole("row", { name: "Tea 1 $2.00" }).waitFor();
    expect(await page.getByRole("region", { name: "Low stock" }).count()).toBe(0);

    const cashier = await e2e.app.db.asUser(shop.owner.tenantId, "cashier");
    const till = await e2e.page();
    await till.goto("/login");
    await signIn(till, cashier.email, cashier.password);
    await till.getByText("Sales figures are shown to roles with access to reports.").waitFor();
    await till.getByRole("table", { name: "Recent sales" }).getByRole("row", { name: /\$2\.00 Paid$/ }).waitFor();
    expect(await till.getByRole("link", { name: "Open the till" }).getAttribute("href")).toBe("/pos");
    await till.getByRole("region", { name: "Locations" }).getByText("Main store").waitFor();
    expect(await till.getByTestId("metric-sales-today").count()).toBe(0);
    expect(await till.getByRole("table", { name: "Low stock" }).count()).toBe(0);
    // Nothing on the page asked for what the role may not see.
    expect(await till.getByRole("alert").filter({ hasText: /allow|permission/i }).count()).toBe(0);
    await expectNoSidewaysScroll(till, 390, 844);
  }, 60_000);
});
