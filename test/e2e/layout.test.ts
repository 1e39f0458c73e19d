// No page scrolls sideways, on a laptop (1440×900) or a phone (390×844): the Dashboard, every
// Reports tab, the Customers list, one customer's page, a company's with its account, the
// Invoices page, Settings and the till, for a business
// with figures in every block. A table may scroll inside its own box; the page itself may not.
// A failure names the page, the viewport and the widest elements that stick out past the right
// edge, so a person knows what to fix. With SCREENSHOTS_DIR set, each page is also saved there
// as a full-page PNG (<page>-<width>x<height>.png), for a person to look at.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import type { Member } from "../helpers/db.ts";
import { useE2E } from "./helpers/e2e.ts";
import { signIn } from "./helpers/ui.ts";

const e2e = useE2E();

const VIEWPORTS = [
  { name: "laptop", width: 1440, height: 900 },
  { name: "phone", width: 390, height: 844 },
] as const;

/**
 * A Paris bakery on the plan with every report (Growth): a VAT rate, two locations, a manager,
 * six items (Croissant stocked and running low), five customers (one with notes and an address),
 * sales today and on the days before, a closed cash drawer and an open one.
 */
async function seedBusiness(): Promise<{ owner: Member; customerId: string; customerName: string; importId: string; companyId: string }> {
  const { db } = e2e.app;
  const owner = await db.onboard({ company: "Harbourside Bakery & Coffee", timezone: "Europe/Paris" });
  await db.owner.query("update app_public.billing_subscriptions set plan_key = 'growth' where tenant_id = $1", [owner.tenantId]);
  await db.asUser(owner.tenantId, "manager");

  const main = (await owner.query("select id from app_public.locations")).rows[0].id as string;
  await owner.query("insert into app_public.locations (name, timezone) values ('Old Town kiosk', 'Europe/Paris')");
  const vat = (await owner.query("select id from app_public.create_tax_rate('VAT standard rate', 2000, true)")).rows[0].id as string;
  await owner.query("select app_public.set_location_tax_rate($1, $2)", [main, vat]);

  const items = await owner.query(
    `insert into app_public.catalog_items (name, sku, price) values
       ('Sourdough loaf', 'BRD-SOUR', 650), ('Almond croissant', 'PST-ALM', 320), ('Flat white', 'COF-FW', 380),
       ('Oat milk latte (large)', 'COF-OAT-L', 450), ('Cinnamon bun', 'PST-CIN', 350), ('Gift card', 'GIFT-25', 2500)
     returning id, sku`,
  );
  const id = Object.fromEntries(items.rows.map((r) => [r.sku, r.id as string]));
  const stock = await owner.query(
    "insert into app_public.inventory_items (name, catalog_item_id, low_stock_threshold) values ('Almond croissants', $1, 5), ('Sourdough', $2, 3) returning id",
    [id["PST-ALM"], id["BRD-SOUR"]],
  );
  for (const row of stock.rows) await owner.query("select app_public.record_inventory_movement($1, $2, 12, 'receive')", [main, row.id]);

  const customers: string[] = [];
  for (const [first, last, email, phone, tags] of [
    ["Amélie", "Fontaine-Beaumarchais", "amelie.fontaine-beaumarchais@example-longdomain.com", "+33 6 12 34 56 78", ["regular", "wholesale"]],
    ["Ben", "Okafor", "ben@example.com", "+44 7700 900123", ["regular"]],
    ["Chiara", "Rossi", "chiara.rossi@example.it", null, ["newsletter"]],
    ["Dmitri", "Volkov", null, "+33 7 98 76 54 32", []],
    ["Eun-ji", "Park", "eunji.park@example.kr", null, ["staff", "vip"]],
  ] as const) {
    const { rows } = await owner.query(
      "select id from app_public.create_customer(first_name => $1, last_name => $2, email => $3, phone => $4, tags => $5)",
      [first, last, email, phone, tags],
    );
    customers.push(rows[0].id);
  }
  const [amelie] = customers;
  await owner.query(
    "insert into app_public.customer_notes (customer_id, category, body) values ($1, 'preference', 'Takes her flat white with oat milk, extra hot; picks up a sourdough loaf every Friday before nine.')",
    [amelie],
  );
  await owner.query(
    "insert into app_public.customer_addresses (customer_id, type, line1, city, postal_code, is_default) values ($1, 'home', '14 rue des Boulangers-Saint-Germain', 'Paris', '75005', true)",
    [amelie],
  );

  const lines = (l: Record<string, number>) => JSON.stringify(Object.entries(l).map(([sku, quantity]) => ({ catalog_item_id: id[sku], quantity })));
  /** A sale: now at the till (paid in cash or by card), or an import `daysAgo` at noon in Paris. */
  const sell = async (l: Record<string, number>, customerId: string | null, { daysAgo = 0, tender = "cash" } = {}) => {
    const placedAt = daysAgo ? `(((now() at time zone 'Europe/Paris')::date - ${daysAgo}) + time '12:00') at time zone 'Europe/Paris'` : "null";
    const { rows } = await owner.query(`select * from app_public.place_order($1, $2::jsonb, $3, 0, ${placedAt})`, [main, lines(l), customerId]);
    if (rows[0].status === "open") await owner.query("select app_public.record_tender($1, $2, $3)", [rows[0].id, tender, rows[0].total]);
  };
  for (const [daysAgo, customer] of [[6, 1], [5, 0], [3, 2], [2, 0], [1, 3]] as const) {
    await sell({ "BRD-SOUR": 1, "COF-FW": 2 }, customers[customer], { daysAgo });
  }

  // Today: a drawer counted and closed, then one still open.
  const drawer = (await owner.query("select id from app_public.open_cash_drawer($1, 10000)", [main])).rows[0].id as string;
  await sell({ "PST-ALM": 3, "COF-OAT-L": 2 }, amelie);
  await sell({ "GIFT-25": 1 }, customers[1], { tender: "card" });
  await owner.query("select app_public.record_cash_drawer_entry($1, 'out', 1500, 'Milk from the corner shop')", [drawer]);
  await owner.query("select app_public.close_cash_drawer($1, 9800, 'Two euros short')", [drawer]);
  await owner.query("select app_public.open_cash_drawer($1, 10000)", [main]);
  await sell({ "PST-CIN": 2, "COF-FW": 1, "PST-ALM": 5 }, customers[4]);
  await sell({ "BRD-SOUR": 2 }, null);

  // A company buying on account, invoiced, then again (its page shows the account, the Invoices page the invoice).
  const companyId = (
    await owner.query("select id from app_public.create_customer(kind => 'company', company_name => 'Hôtel du Grand Boulevard Saint-Michel SARL')")
  ).rows[0].id as string;
  await owner.query("select app_public.open_customer_account($1, 500000, 30, 'Breakfast pastries for the hotel, invoiced monthly')", [companyId]);
  await sell({ "PST-ALM": 24, "BRD-SOUR": 6 }, companyId, { tender: "account" });
  await owner.query("select app_public.invoice_customer_account($1)", [companyId]);
  await sell({ "PST-CIN": 12 }, companyId, { tender: "account" });

  // A customer file read and waiting for its preview (as the upload route and the worker leave it):
  // long names, a long email and a refused row.
  const header = ["First Name", "Last Name", "Email Address", "Phone Number", "Tags", "Street Address 1", "City", "Postal Code", "Memo"];
  const cells = [
    ["Maximilian-Alexander", "von Hohenberg-Schwarzenfeld", "maximilian.alexander.von.hohenberg@example-bakery-customers.com", "+33 6 12 34 56 78", "Regular, Wholesale, Weekend", "221 boulevard Saint-Germain-des-Prés", "Paris", "75007", "Orders for the office every Monday"],
    ["Zoé", "Martin", "not-an-email", "", "", "", "", "", ""],
  ];
  const importId = (await owner.query("select app_hidden.begin_customer_import('clients-boutique-2026.csv') as id")).rows[0].id as string;
  await owner.query("select app_hidden.write_customer_import_chunk($1, $2)", [importId, Buffer.from([header, ...cells].map((r) => r.join(",")).join("\n"))]);
  await owner.query("select app_hidden.finish_customer_import_upload($1)", [importId]);
  await db.owner.query("select app_private.start_customer_import_parse($1, $2)", [owner.tenantId, importId]);
  await db.owner.query("select app_private.stage_customer_import_rows($1, $2, 2, $3::jsonb)", [owner.tenantId, importId, JSON.stringify(cells)]);
  await db.owner.query("select app_private.finish_customer_import_parse($1, $2, $3, 'utf-8', ',')", [owner.tenantId, importId, header]);

  return { owner, customerId: amelie, customerName: "Amélie Fontaine-Beaumarchais", importId, companyId };
}

interface Screen {
  name: string;
  path: string;
  /** Resolves once the page's main content is on screen. */
  ready(page: Page): Promise<void>;
}

function screens(customerId: string, customerName: string, importId: string, companyId: string): Screen[] {
  const table = (name: string) => (page: Page) => page.getByRole("table", { name }).getByRole("row").nth(1).waitFor();
  const bars = (testId: string) => (page: Page) => page.getByTestId(testId).locator('svg rect:not([height="0"])').first().waitFor();
  return [
    {
      name: "dashboard",
      path: "/",
      ready: async (page) => {
        await page.getByRole("heading", { name: "Welcome, Olive", level: 1 }).waitFor();
        await table("Recent sales")(page);
        await table("Low stock")(page);
        await bars("sales-chart")(page);
      },
    },
    {
      name: "reports-sales",
      path: "/reports?tab=sales",
      ready: async (page) => {
        await table("Sales summary")(page);
        await bars("sales-chart")(page);
      },
    },
    {
      name: "reports-items",
      path: "/reports?tab=items",
      ready: async (page) => {
        await table("Item sales")(page);
        await bars("items-chart")(page);
      },
    },
    { name: "reports-inventory", path: "/reports?tab=inventory", ready: table("Stock levels") },
    { name: "reports-customers", path: "/reports?tab=customers", ready: table("Customers per day") },
    { name: "reports-drawers", path: "/reports?tab=drawers", ready: table("Cash drawers") },
    {
      name: "customers",
      path: "/customers",
      ready: (page) => page.getByRole("table", { name: "Customers" }).getByTestId("customer-row").nth(4).waitFor(),
    },
    {
      name: "customer",
      path: `/customers/${customerId}`,
      ready: async (page) => {
        await page.getByRole("heading", { name: customerName, level: 1 }).waitFor();
        await page.getByText("14 rue des Boulangers-Saint-Germain").first().waitFor();
      },
    },
    {
      name: "company",
      path: `/customers/${companyId}`,
      ready: async (page) => {
        await page.getByRole("heading", { name: "Hôtel du Grand Boulevard Saint-Michel SARL", level: 1 }).waitFor();
        await table("Invoices")(page);
      },
    },
    { name: "invoices", path: "/invoices", ready: table("Invoices") },
    { name: "customer-imports", path: "/customers/imports", ready: table("Customer imports") },
    {
      name: "customer-import",
      path: `/customers/imports/${importId}`,
      ready: async (page) => {
        await table("The first rows, as they will be imported")(page);
        await table("Rows that cannot be imported")(page);
      },
    },
    {
      name: "settings",
      path: "/settings",
      ready: async (page) => {
        await table("Locations")(page);
        await table("Tax rates")(page);
        await table("Members")(page);
      },
    },
    {
      name: "pos",
      path: "/pos",
      ready: async (page) => {
        await page.getByRole("heading", { name: "Point of sale", level: 1 }).waitFor();
        await page.getByRole("list", { name: "Items for sale" }).getByRole("button").first().waitFor();
        await table("Today's sales")(page);
      },
    },
  ];
}

interface Overflow {
  scroll: { html: number; body: number };
  client: { html: number; body: number };
  /** Elements sticking out past the right edge: where it starts (outermost) and what is widest inside (innermost). */
  outermost: string[];
  innermost: string[];
  /** Elements cut off at the right edge of a card (it clips, and nothing in between scrolls). */
  cut: string[];
}

/**
 * How wide the document is against the viewport, and which elements make it so. Also what a card
 * cuts off: a card clips what overflows it (MUI's Paper is overflow: hidden), which keeps the
 * page from scrolling but hides the content, which is no better.
 */
function measure(page: Page): Promise<Overflow> {
  return page.evaluate(() => {
    const html = document.documentElement;
    const body = document.body;
    const SUBPIXEL = 0.5; // rounding is not a scroll bar
    const edge = html.clientWidth + SUBPIXEL;
    const shown = (el: Element) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 || r.height > 0;
    };
    const sticksOut = (el: Element) => shown(el) && el.getBoundingClientRect().right > edge;
    /** The nearest ancestor that does not let overflow show (it clips or scrolls), if any. */
    const container = (el: Element) => {
      for (let a = el.parentElement; a && a !== body; a = a.parentElement) {
        if (getComputedStyle(a).overflowX !== "visible") return a;
      }
      return null;
    };
    const describe = (el: Element) => {
      const r = el.getBoundingClientRect();
      const attrs = ["data-testid", "aria-label", "role", "id"]
        .map((a) => (el.getAttribute(a) ? `${a}="${el.getAttribute(a)}"` : ""))
        .filter(Boolean);
      const classes = [...el.classList].filter((c) => !/^css-/.test(c)).slice(0, 3);
      const around = el.parentElement?.closest("[aria-label], [aria-labelledby], [data-testid], h1, h2, h3");
      const aroundName = around
        ? (around.getAttribute("data-testid") ??
          around.getAttribute("aria-label") ??
          (around.getAttribute("aria-labelledby") ? document.getElementById(around.getAttribute("aria-labelledby")!)?.textContent : null) ??
          around.textContent)
        : null;
      const text = (el.textContent ?? "").replace(/\s+/g, " ").trim().slice(0, 50);
      return [
        `<${el.tagName.toLowerCase()}${attrs.length ? " " + attrs.join(" ") : ""}>`,
        classes.length ? `.${classes.join(".")}` : "",
        `width ${Math.round(r.width)}px, right edge at ${Math.round(r.right)}px`,
        text ? `"${text}"` : "",
        aroundName ? `in "${aroundName.replace(/\s+/g, " ").trim().slice(0, 40)}"` : "",
      ]
        .filter(Boolean)
        .join(" ");
    };
    const widestFirst = (els: Element[]) =>
      els.sort((a, b) => b.getBoundingClientRect().width - a.getBoundingClientRect().width).slice(0, 4).map(describe);

    const all = [...body.querySelectorAll("*")];
    // Inside a box that clips or scrolls (a table in its container), that box is what counts.
    const out = new Set(all.filter((el) => sticksOut(el) && !container(el)));
    const outermost = [...out].filter((el) => !el.parentElement || !out.has(el.parentElement));
    const innermost = [...out].filter((el) => ![...el.children].some((c) => out.has(c)));

    const cut = all.filter((el) => {
      if (!shown(el) || !el.closest("main")) return false;
      const box = container(el);
      if (!box || !box.matches(".MuiPaper-root")) return false; // scrolls, or clips on purpose (ellipsis, tabs)
      const style = getComputedStyle(box).overflowX;
      return (style === "hidden" || style === "clip") && el.getBoundingClientRect().right > box.getBoundingClientRect().right + SUBPIXEL;
    });
    const cutSet = new Set(cut);
    const cutOutermost = cut.filter((el) => !el.parentElement || !cutSet.has(el.parentElement));

    return {
      scroll: { html: html.scrollWidth, body: body.scrollWidth },
      client: { html: html.clientWidth, body: body.clientWidth },
      outermost: widestFirst(outermost),
      innermost: widestFirst(innermost.filter((el) => !outermost.includes(el))),
      cut: widestFirst(cutOutermost),
    };
  });
}

describe("layout", () => {
  it("no page scrolls sideways on a laptop or a phone", async () => {
    const { owner, customerId, customerName, importId, companyId } = await seedBusiness();
    const page = await e2e.page();
    await page.goto("/login");
    await signIn(page, owner.email, owner.password);
    await page.getByRole("heading", { name: "Welcome, Olive", level: 1 }).waitFor();

    const shots = process.env.SCREENSHOTS_DIR;
    if (shots) await mkdir(shots, { recursive: true });
    const failures: string[] = [];
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize({ width: viewport.width, height: viewport.height });
      for (const screen of screens(customerId, customerName, importId, companyId)) {
        await page.goto(screen.path);
        await screen.ready(page);
        // Nothing still loading, and the charts measured their box (a ResizeObserver, a frame later).
        await expect.poll(() => page.locator("main [role=progressbar]").count(), { timeout: 15_000 }).toBe(0);
        await page.waitForTimeout(250);
        const m = await measure(page);
        const where = `${screen.name} (${screen.path}) at ${viewport.width}×${viewport.height} (${viewport.name})`;
        if (m.scroll.html > m.client.html || m.scroll.body > m.client.body) {
          failures.push(
            [
              `${where}: the page scrolls sideways, ${m.scroll.html}px wide in ${m.client.html}px (body ${m.scroll.body}px in ${m.client.body}px)`,
              "  where it starts:",
              ...m.outermost.map((o) => `    ${o}`),
              ...(m.innermost.length ? ["  widest inside:", ...m.innermost.map((o) => `    ${o}`)] : []),
            ].join("\n"),
          );
        }
        if (m.cut.length) failures.push([`${where}: cut off at the right edge of a card`, ...m.cut.map((o) => `    ${o}`)].join("\n"));
        if (shots) await page.screenshot({ path: path.join(shots, `${screen.name}-${viewport.width}x${viewport.height}.png`), fullPage: true });
      }
    }
    if (failures.length) throw new Error(`${failures.length} layout problem(s):\n\n${failures.join("\n\n")}`);
  }, 150_000);
});
