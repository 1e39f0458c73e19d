// Reporting in the browser (tests 11 and 12 of the reporting issue): the dashboard shows today's
// figures with low stock in red; the Reports Sales tab draws its chart and totals, and "Export
// CSV" goes through the real worker and downloads the file.
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { taskList } from "../../worker/tasks/index.ts";
import type { Member } from "../helpers/db.ts";
import { startTestWorker, type TestWorker } from "../helpers/worker.ts";
import { useE2E } from "./helpers/e2e.ts";
import { signIn } from "./helpers/ui.ts";
import { withoutBom } from "../worker/reporting/csv.ts";

const e2e = useE2E();

const exactly = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);

/** A business in Paris with today's orders: Tea 2 × 2.00 and Cake 2 × 5.00 (Cake stock 3 → 1, threshold 2). */
async function seedShop(): Promise<Member> {
  const owner = await e2e.app.db.onboard({ company: "Report Bakery", timezone: "Europe/Paris" });
  // On the plan with the inventory module: the Inventory tab is the plan's (reports-polish.test.ts has the other case).
  await e2e.app.db.owner.query("update app_public.billing_subscriptions set plan_key = 'growth' where tenant_id = $1", [owner.tenantId]);
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
  const place = async (lines: { catalog_item_id: string; quantity: number }[]) => {
    const { rows } = await owner.query("select * from app_public.place_order($1, $2::jsonb, null, 0, null)", [
      locationId,
      JSON.stringify(lines),
    ]);
    await owner.query("select * from app_public.record_tender($1, 'cash', $2)", [rows[0].id, rows[0].total]);
  };
  await place([{ catalog_item_id: id.TEA, quantity: 2 }]);
  await place([{ catalog_item_id: id.CAKE, quantity: 2 }]);
  return owner;
}

describe("Reports in the browser", () => {
  it("the dashboard shows today's sales, orders, active customers and low stock in red", async () => {
    const owner = await seedShop();
    const page = await e2e.page();
    await page.goto("/login");
    await signIn(page, owner.email, owner.password);

    await page.getByTestId("metric-sales-today").filter({ hasText: exactly("$14.00") }).waitFor();
    await page.getByTestId("metric-orders-today").filter({ hasText: exactly("2") }).waitFor();
    await page.getByTestId("metric-active-customers").filter({ hasText: exactly("0") }).waitFor();
    const low = page.getByTestId("metric-low-stock");
    await low.filter({ hasText: exactly("1") }).waitFor();
    const color = await low.evaluate((el) => getComputedStyle(el).color);
    const [r, g, b] = color.match(/\d+/g)!.map(Number);
    expect(r).toBeGreaterThan(150);
    expect(r).toBeGreaterThan(g + 60);
    expect(r).toBeGreaterThan(b + 60);
    // A figure that is not alarming is not red.
    const orders = await page.getByTestId("metric-orders-today").evaluate((el) => getComputedStyle(el).color);
    expect(orders).not.toBe(color);
  });

  it("the Sales tab draws the chart and totals, and Export CSV downloads the file the worker wrote", async () => {
    const owner = await seedShop();
    let worker: TestWorker | undefined;
    try {
      worker = await startTestWorker(e2e.app.db, {
        taskList: { export_csv: taskList.export_csv },
        concurrency: 1,
        pollInterval: 200,
        noHandleSignals: true,
      });
      const page = await e2e.page();
      await page.goto("/login");
      await signIn(page, owner.email, owner.password);
      await page.getByTestId("metric-orders-today").waitFor();
      await page.getByRole("link", { name: "Reports", exact: true }).click();
      await page.getByRole("heading", { name: "Reports" }).waitFor();
      await page.getByRole("tab", { name: "Sales", selected: true }).waitFor();

      // Default range: the last 7 days, today included.
      const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Paris" }).format(new Date());
      expect(await page.getByLabel("To", { exact: true }).inputValue()).toBe(today);

      await page.getByTestId("sales-revenue").filter({ hasText: exactly("$14.00") }).waitFor();
      await page.getByTestId("sales-orders").filter({ hasText: exactly("2") }).waitFor();
      await page.getByTestId("sales-average").filter({ hasText: exactly("$7.00") }).waitFor();
      await page.getByTestId("sales-discounts").filter({ hasText: exactly("$0.00") }).waitFor();
      // The summary a shop reconciles: net sales (tax excluded), total collected, and the tills.
      const summary = page.getByRole("table", { name: "Sales summary" });
      for (const [label, amount] of [["Gross sales", "$14.00"], ["Refunds (0)", "$0.00"], ["Net sales", "$14.00"], ["Total collected", "$14.00"], ["Cash", "$14.00"]]) {
        await summary.getByRole("row").filter({ has: page.getByRole("rowheader", { name: label }) }).filter({ hasText: amount }).waitFor();
      }

      const chart = page.getByTestId("sales-chart");
      await chart.locator("svg").first().waitFor();
      await expect.poll(() => chart.locator("svg rect").count()).toBeGreaterThan(0); // a bar per day

      const downloading = page.waitForEvent("download", { timeout: 20_000 });
      await page.getByRole("button", { name: "Export CSV" }).click();
      const download = await downloading.catch(async (e) => {
        console.log("PAGE:", await page.locator("main").innerText().catch(() => "?"));
        throw e;
      });
      expect(download.suggestedFilename()).toMatch(/\.csv$/);
      // One UTF-8 byte order mark, then the header (withoutBom throws otherwise).
      const csv = withoutBom(await readFile((await download.path())!));
      const lines = csv.trim().split(/\r?\n/);
      expect(lines[0]).toBe(
        "business_date,location,orders,currency,gross_sales,discounts,tax,refunds,refunded,net_sales,total_collected,cash,card,avg_order_value",
      );
      expect(lines).toHaveLength(8); // one row per day of the range
      expect(lines).toContain(`${today},All locations,2,USD,14.00,0.00,0.00,0,0.00,14.00,14.00,14.00,0.00,7.00`);
      await page.getByText(`Downloaded ${download.suggestedFilename()}`).waitFor();

      // Items: the top-items bar chart and the ranking; Inventory: the low-stock badge.
      await page.getByRole("tab", { name: "Items" }).click();
      await page.getByTestId("items-chart").locator("svg rect").first().waitFor();
      const items = page.getByRole("table", { name: "Item sales" });
      await items.getByRole("row", { name: "Cake 2 $10.00 $5.00" }).waitFor();
      await items.getByRole("row", { name: "Tea 2 $4.00 $2.00" }).waitFor();
      await page.getByRole("tab", { name: "Inventory", exact: true }).click();
      await page.getByRole("table", { name: "Stock levels" }).getByRole("row", { name: "Main store Cake stock 1 2 Low stock" }).waitFor();
    } finally {
      await worker?.stop();
    }
  }, 90_000);
});
