// The Customers tab of Reports: new and returning customers per business date (stacked bars, a
// table of the days, the period's totals and repeat rate), at all locations or one, and the
// active customers per loyalty class.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import type { Member } from "../helpers/db.ts";
import { useE2E } from "./helpers/e2e.ts";
import { signIn } from "./helpers/ui.ts";

const e2e = useE2E();

const exactly = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);

interface Shop {
  owner: Member;
  today: string;
  threeDaysAgo: string;
}

/**
 * A business in Paris with two locations and, on Paris business dates:
 *   3 days ago, Main store: Ben and Cleo (both their first order: new)
 *   today, Main store:      Ben again (returning)
 *   today, Harbour:         Ana (her first order: new)
 * and, long before the report's week: Eve once 100 days ago (one-time), Finn 110 and 100 days
 * ago (lapsed); Dan has never bought (no visits yet); Gus bought once 3 days ago but that order
 * was voided (no visit).
 */
async function seedShop(): Promise<Shop> {
  const owner = await e2e.app.db.onboard({ company: "Regulars Café", timezone: "Europe/Paris" });
  const main = (await owner.query("select id from app_public.locations")).rows[0].id as string;
  const harbour = (
    await owner.query("insert into app_public.locations (name, timezone) values ('Harbour', 'Europe/Paris') returning id")
  ).rows[0].id as string;
  const tea = (await owner.query("insert into app_public.catalog_items (name, sku, price) values ('Tea', 'TEA', 200) returning id"))
    .rows[0].id as string;
  const customer = async (first: string) =>
    (await owner.query("select (app_public.create_customer(first_name => $1, last_name => 'Test')).id", [first])).rows[0].id as string;
  const [ana, ben, cleo, eve, finn, gus] = [
    await customer("Ana"), await customer("Ben"), await customer("Cleo"), await customer("Eve"), await customer("Finn"), await customer("Gus"),
  ];
  await customer("Dan");
  /** A sale of one tea; `daysAgo` at noon on the Paris calendar (recorded as an import), or now (paid in cash). */
  const order = async (location: string, customerId: string, daysAgo: number | null) => {
    const { rows } = await owner.query(
      `select * from app_public.place_order($1, $2::jsonb, $3, 0,
         case when $4::int is null then null
              else (((now() at time zone 'Europe/Paris')::date - $4::int) + time '12:00') at time zone 'Europe/Paris' end)`,
      [location, JSON.stringify([{ catalog_item_id: tea, quantity: 1 }]), customerId, daysAgo],
    );
    if (rows[0].status === "open") await owner.query("select app_public.record_tender($1, 'cash', $2)", [rows[0].id, rows[0].total]);
    return rows[0].id as string;
  };
  await order(main, ben, 3);
  await order(main, cleo, 3);
  await order(main, ben, null);
  await order(harbour, ana, null);
  await order(main, eve, 100);
  await order(main, finn, 110);
  await order(main, finn, 100);
  const voided = await order(main, gus, 3);
  await owner.query("select app_public.void_order($1, 'Rang up by mistake')", [voided]);

  const { rows } = await owner.query(
    "select (now() at time zone 'Europe/Paris')::date::text as today, ((now() at time zone 'Europe/Paris')::date - 3)::text as three",
  );
  return { owner, today: rows[0].today, threeDaysAgo: rows[0].three };
}

async function openCustomersTab(page: Page, owner: Member) {
  await page.goto("/login");
  await signIn(page, owner.email, owner.password);
  await page.getByRole("link", { name: "Reports", exact: true }).click();
  await page.getByRole("heading", { name: "Reports" }).waitFor();
  await page.getByRole("tab", { name: "Customers" }).click();
  await page.getByRole("tab", { name: "Customers", selected: true }).waitFor();
}

/** The rows of a table as the texts of their cells. */
const tableRows = (page: Page, name: string) =>
  page
    .getByRole("table", { name })
    .locator("tbody tr")
    .evaluateAll((rows) => rows.map((row) => Array.from(row.querySelectorAll("td"), (td) => td.textContent?.trim())));

describe("Reports: the Customers tab", () => {
  it("shows new and returning customers per day, the totals, one location's, and the loyalty classes", async () => {
    const { owner, today, threeDaysAgo } = await seedShop();
    const page = await e2e.page();
    await openCustomersTab(page, owner);

    // The last 7 days at all locations: 3 days ago Ben and Cleo were new; today Ana is new and
    // Ben is back. Gus's only order was voided: he counts nowhere.
    await page.getByTestId("customers-new").filter({ hasText: exactly("3") }).waitFor();
    expect(await page.getByTestId("customers-returning").textContent()).toBe("1");
    expect(await page.getByTestId("customers-visits").textContent()).toBe("4");
    expect(await page.getByTestId("customers-repeat-rate").textContent()).toBe("25%");
    expect(await tableRows(page, "Customers per day")).toEqual([
      [threeDaysAgo, "2", "0", "2", "0%"],
      [today, "1", "1", "2", "50%"],
    ]);

    // The chart: one bar per day and series, stacked, with its legend.
    const chart = page.getByTestId("customers-chart");
    await expect.poll(() => chart.locator("svg rect").count()).toBeGreaterThan(0);
    await chart.getByText("New", { exact: true }).waitFor();
    await chart.getByText("Returning", { exact: true }).waitFor();
    expect(await chart.getAttribute("aria-label")).toBe("New and returning customers per day chart");

    // The classes now, with the default thresholds; every class listed, zeros included.
    await expect.poll(() => tableRows(page, "Customers by loyalty class")).toEqual([
      ["New", "2"], // Ana, Cleo
      ["Returning", "1"], // Ben
      ["Regular", "0"],
      ["Lapsed", "1"], // Finn
      ["One-time", "1"], // Eve
      ["No visits yet", "2"], // Dan, Gus (voided)
    ]);
    await page.getByTestId("customer-classes-chart").locator("svg rect").first().waitFor();

    // One location: Ana bought at the Harbour, so the Main store had no new customer today.
    await page.getByLabel("Location", { exact: true }).click();
    await page.getByRole("option", { name: "Main store" }).click();
    await page.getByTestId("customers-new").filter({ hasText: exactly("2") }).waitFor();
    expect(await page.getByTestId("customers-returning").textContent()).toBe("1");
    expect(await page.getByTestId("customers-repeat-rate").textContent()).toBe("33.3%");
    expect(await tableRows(page, "Customers per day")).toEqual([
      [threeDaysAgo, "2", "0", "2", "0%"],
      [today, "0", "1", "1", "100%"],
    ]);

    // A period without customers says so.
    await page.getByLabel("From", { exact: true }).fill("2025-01-01");
    await page.getByLabel("To", { exact: true }).fill("2025-01-31");
    await page.getByText("No customer bought in this period.").waitFor();
    expect(await page.getByTestId("customers-new").textContent()).toBe("0");
    expect(await page.getByRole("table", { name: "Customers per day" }).count()).toBe(0);
  }, 90_000);
});
