// Knowing your regulars, in the browser: a customer's loyalty class and why (a regular with five
// visits in the last 90 days) on their page and in the list; the purchase history card (visits,
// spend, average order, units, the most bought items); the list filtered by class (and "no
// visits yet"), by customer type and to repeat customers, kept in the address; setting a type and
// editing preferences (do not contact over every channel, a channel's consent with its source,
// preferred payment, language, a favourite item), the server's refusal under the field it names,
// all still there after a reload. A cashier sees them without the means to change them.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import type { Member } from "../helpers/db.ts";
import { useE2E } from "./helpers/e2e.ts";
import { helpOf, signIn } from "./helpers/ui.ts";

const e2e = useE2E();

const DAY_MS = 86_400_000;
/** A moment `days` whole days and an hour before now (so "days since" is exactly `days`). */
const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS - 3_600_000);

/** The browser's way of writing a date (the e2e context is en-GB in Europe/Paris). */
const shownDate = (d: Date) => new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "Europe/Paris" }).format(d);

async function createCustomer(owner: Member, first: string, last: string) {
  const { rows } = await owner.query("select id from app_public.create_customer(first_name => $1, last_name => $2)", [first, last]);
  return rows[0].id as string;
}

/** A shop with four items; returns a function placing an order of some of them for a customer, at a time. */
async function cafe(owner: Member) {
  const location = (await owner.query("select id from app_public.locations limit 1")).rows[0].id as string;
  const items: Record<string, string> = {};
  for (const [name, sku, price] of [
    ["Coffee", "COF", 350],
    ["Croissant", "CRO", 225],
    ["Sandwich", "SAN", 600],
    ["Tea", "TEA", 200],
  ] as const) {
    items[name] = (await owner.query("insert into app_public.catalog_items (name, sku, price) values ($1, $2, $3) returning id", [name, sku, price]))
      .rows[0].id as string;
  }
  const sell = (customerId: string, at: Date, lines: Record<string, number>) =>
    owner.query("select * from app_public.place_order($1, $2::jsonb, $3, 0, $4)", [
      location,
      JSON.stringify(Object.entries(lines).map(([name, quantity]) => ({ catalog_item_id: items[name], quantity }))),
      customerId,
      at.toISOString(),
    ]);
  return { sell, items };
}

/** One customer of each class, and one who never came. */
async function regularsAndOthers(owner: Member) {
  const { sell, items } = await cafe(owner);
  const rania = await createCustomer(owner, "Rania", "Haddad");
  const [raniaFirst, raniaLast] = [daysAgo(80), daysAgo(2)];
  // Five visits in the last 90 days: a regular. 47.50 in all, 14 units: 7 coffees, 4 croissants,
  // 2 sandwiches, 1 tea.
  await sell(rania, raniaFirst, { Coffee: 2, Croissant: 1 }); // 9.25
  await sell(rania, daysAgo(60), { Coffee: 1, Sandwich: 1 }); // 9.50
  await sell(rania, daysAgo(40), { Coffee: 2, Croissant: 2 }); // 11.50
  await sell(rania, daysAgo(20), { Coffee: 1, Tea: 1, Croissant: 1 }); // 7.75
  await sell(rania, raniaLast, { Coffee: 1, Sandwich: 1 }); // 9.50
  const omar = await createCustomer(owner, "Omar", "Nasser"); // one visit, recent: new
  await sell(omar, daysAgo(3), { Tea: 1 });
  const lina = await createCustomer(owner, "Lina", "Saleh"); // two visits, the latest recent: returning
  await sell(lina, daysAgo(100), { Coffee: 1 });
  await sell(lina, daysAgo(10), { Coffee: 1 });
  const leo = await createCustomer(owner, "Leo", "Marsh"); // two visits, none for 70 days: lapsed
  await sell(leo, daysAgo(120), { Tea: 1 });
  await sell(leo, daysAgo(70), { Tea: 1 });
  const olga = await createCustomer(owner, "Olga", "Petrov"); // a single visit long ago: one-time
  await sell(olga, daysAgo(150), { Sandwich: 1 });
  const sam = await createCustomer(owner, "Sam", "Quiet"); // never came
  return { rania, raniaFirst, raniaLast, omar, lina, leo, olga, sam, items };
}

async function setType(owner: Member, customerId: string, key: string) {
  await owner.query(
    "select app_public.set_customer_type($1, (select id from app_public.customer_types where key = $2))",
    [customerId, key],
  );
}

async function signedIn(member: { email: string; password: string }, path: string): Promise<Page> {
  const page = await e2e.page();
  await page.goto("/login");
  await signIn(page, member.email, member.password);
  await page.getByRole("link", { name: "Customers" }).waitFor();
  await page.goto(path);
  return page;
}

/** expect.poll with the patience of a locator (its default second is too short for a busy machine). */
const eventually = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000 });

/** Whole flows through the browser take longer than vitest's default 30 seconds on a busy machine. */
const FLOW_MS = 120_000;

const rowsOf = (page: Page) => page.getByRole("table", { name: "Customers" }).getByTestId("customer-row");
const names = async (page: Page) => (await rowsOf(page).getByRole("link").allTextContents()).sort();

async function choose(page: Page, combobox: string, option: string) {
  await page.getByRole("combobox", { name: combobox, exact: true }).click();
  await page.getByRole("listbox").getByRole("option", { name: option, exact: true }).click();
}

describe("customers: knowing your regulars", () => {
  it("shows a regular's class with its reason and purchase history on their page, and the class in the list", async () => {
    const owner = await e2e.app.db.onboard({ company: "Haddad Coffee", timezone: "Europe/Paris" });
    const { rania, raniaFirst, raniaLast, sam } = await regularsAndOthers(owner);

    const page = await signedIn(owner, `/customers/${rania}`);
    await page.getByRole("heading", { name: "Rania Haddad", level: 1 }).waitFor();
    expect(await page.getByTestId("loyalty-class").textContent()).toBe("Regular");
    expect(await page.getByTestId("loyalty-reason").textContent()).toBe("5 visits in the last 90 days");

    const history = page.getByTestId("purchase-history");
    expect(await history.getByTestId("stat-visits").textContent()).toBe("5");
    expect(await history.getByTestId("stat-spend").textContent()).toBe("$47.50");
    expect(await history.getByTestId("stat-average").textContent()).toBe("$9.50");
    expect(await history.getByTestId("stat-items").textContent()).toBe("14");
    expect(await history.getByTestId("stat-first-visit").textContent()).toBe(shownDate(raniaFirst));
    expect(await history.getByTestId("stat-last-visit").textContent()).toBe(shownDate(raniaLast));
    expect(await history.getByTestId("stat-last-visit-ago").textContent()).toBe("2 days ago");
    expect(await history.getByRole("list", { name: "Most bought" }).getByRole("listitem").allInnerTexts()).toEqual([
      "Coffee × 7",
      "Croissant × 4",
      "Sandwich × 2",
    ]);

    // Someone who never came: no class, and the page says so.
    await page.goto(`/customers/${sam}`);
    await page.getByRole("heading", { name: "Sam Quiet", level: 1 }).waitFor();
    expect(await page.getByTestId("loyalty-reason").textContent()).toBe("No visits yet");
    expect(await page.getByTestId("loyalty-class").count()).toBe(0);
    expect(await page.getByTestId("stat-visits").textContent()).toBe("0");
    expect(await page.getByTestId("stat-average").textContent()).toBe("–");
    await page.getByTestId("purchase-history").getByText("Nothing bought yet.").waitFor();

    // The list: each customer's class beside the name.
    await page.goto("/customers");
    await page.getByTestId("customers-summary").filter({ hasText: /^6 customers$/ }).waitFor();
    await eventually(() => rowsOf(page).count()).toBe(6);
    const classOf = async (name: string) => {
      const chip = rowsOf(page).filter({ hasText: name }).getByTestId("loyalty-class");
      return (await chip.count()) ? chip.textContent() : null;
    };
    expect(await classOf("Rania Haddad")).toBe("Regular");
    expect(await classOf("Omar Nasser")).toBe("New");
    expect(await classOf("Lina Saleh")).toBe("Returning");
    expect(await classOf("Leo Marsh")).toBe("Lapsed");
    expect(await classOf("Olga Petrov")).toBe("One-time");
    expect(await classOf("Sam Quiet")).toBe(null);
  }, FLOW_MS);

  it("filters the list by loyalty class, by customer type and to repeat customers, and keeps the filters in the address", async () => {
    const owner = await e2e.app.db.onboard({ company: "Filter Cafe", timezone: "Europe/Paris" });
    const { rania, omar, lina } = await regularsAndOthers(owner);
    await setType(owner, rania, "vip");
    await setType(owner, omar, "vip");
    await setType(owner, lina, "wholesale");

    const page = await signedIn(owner, "/customers");
    const summary = page.getByTestId("customers-summary");
    await summary.filter({ hasText: /^6 customers$/ }).waitFor();
    expect(await rowsOf(page).filter({ hasText: "Rania Haddad" }).getByTestId("customer-type").textContent()).toBe("VIP");
    expect(await rowsOf(page).filter({ hasText: "Sam Quiet" }).getByTestId("customer-type").textContent()).toBe("—");

    // By class.
    await choose(page, "Loyalty", "Regular");
    await summary.filter({ hasText: /^1 customer$/ }).waitFor();
    await eventually(() => names(page)).toEqual(["Rania Haddad"]);
    await choose(page, "Loyalty", "Lapsed");
    await eventually(() => names(page)).toEqual(["Leo Marsh"]);
    await choose(page, "Loyalty", "No visits yet");
    await eventually(() => names(page)).toEqual(["Sam Quiet"]);
    expect(page.url()).toContain("class=none");
    await choose(page, "Loyalty", "All classes");
    await summary.filter({ hasText: /^6 customers$/ }).waitFor();

    // Sorted by class: regulars first, then returning, new, lapsed, one-time, and those who never came.
    const inOrder = async () => rowsOf(page).getByRole("link").allTextContents();
    await choose(page, "Sort by", "Loyalty class");
    await eventually(inOrder).toEqual(["Rania Haddad", "Lina Saleh", "Omar Nasser", "Leo Marsh", "Olga Petrov", "Sam Quiet"]);
    expect(page.url()).toContain("sort=class");
    // With a class chosen too, only that class.
    await choose(page, "Loyalty", "Lapsed");
    await eventually(inOrder).toEqual(["Leo Marsh"]);
    await choose(page, "Loyalty", "All classes");
    await choose(page, "Sort by", "Last visit");
    await summary.filter({ hasText: /^6 customers$/ }).waitFor();

    // By type.
    await choose(page, "Customer type", "VIP");
    await summary.filter({ hasText: /^2 customers$/ }).waitFor();
    await eventually(() => names(page)).toEqual(["Omar Nasser", "Rania Haddad"]);
    await choose(page, "Customer type", "No type");
    await summary.filter({ hasText: /^3 customers$/ }).waitFor();
    await eventually(() => names(page)).toEqual(["Leo Marsh", "Olga Petrov", "Sam Quiet"]);
    await choose(page, "Customer type", "All types");
    await summary.filter({ hasText: /^6 customers$/ }).waitFor();

    // Repeat customers: two visits or more, whatever their class.
    await page.getByLabel("Repeat customers only").click();
    await summary.filter({ hasText: /^3 customers$/ }).waitFor();
    await eventually(() => names(page)).toEqual(["Leo Marsh", "Lina Saleh", "Rania Haddad"]);

    // With a type too; then from the address alone, after a reload.
    await choose(page, "Customer type", "VIP");
    await summary.filter({ hasText: /^1 customer$/ }).waitFor();
    await eventually(() => names(page)).toEqual(["Rania Haddad"]);
    await choose(page, "Loyalty", "New");
    await page.getByText("No active customers match these filters.").waitFor();
    await choose(page, "Loyalty", "Regular");
    await summary.filter({ hasText: /^1 customer$/ }).waitFor();
    await page.reload();
    await summary.filter({ hasText: /^1 customer$/ }).waitFor();
    await eventually(() => names(page)).toEqual(["Rania Haddad"]);
    expect(await page.getByLabel("Repeat customers only").isChecked()).toBe(true);
    await eventually(() => page.getByRole("combobox", { name: "Customer type" }).textContent()).toBe("VIP"); // once the types are in
    expect(await page.getByRole("combobox", { name: "Loyalty" }).textContent()).toBe("Regular");
  }, FLOW_MS);

  it("sets the type and edits preferences (the server's refusal under its field); everything is still there after a reload", async () => {
    const owner = await e2e.app.db.onboard({ company: "Prefs Bakery", timezone: "Europe/Paris" });
    const { rania } = await regularsAndOthers(owner);

    const page = await signedIn(owner, `/customers/${rania}`);
    await page.getByRole("heading", { name: "Rania Haddad", level: 1 }).waitFor();
    const profile = page.getByTestId("profile-card");
    const card = page.getByTestId("preferences-card");
    expect(await card.getByLabel("Email").textContent()).toBe("Not asked yet");

    // The type, picked on the profile.
    await choose(page, "Customer type", "VIP");
    await eventually(() => profile.getByRole("combobox", { name: "Customer type" }).textContent()).toBe("VIP"); // what the server has

    // Preferences: a language that is not one is refused under Language, nothing saved.
    await page.getByRole("button", { name: "Change preferences" }).click();
    const dialog = page.getByRole("dialog", { name: "Preferences of Rania Haddad" });
    await dialog.getByLabel("Do not contact").check();
    await dialog.getByText("Overrides every channel").waitFor();
    await choose(page, "Email consent", "Agreed");
    await choose(page, "Email consent source", "At the till");
    await choose(page, "Preferred payment", "Card");
    // (With a region: set_customer_preferences reads a tag without one, "en" as much as "english!",
    // as null and clears the language instead of keeping or refusing it.)
    await dialog.getByLabel("Language").fill("english-us");
    await dialog.getByRole("combobox", { name: "Add a favourite item" }).fill("croi");
    await page.getByRole("option", { name: /Croissant/ }).click();
    await dialog.getByRole("group", { name: "Chosen favourite items" }).getByText("Croissant").waitFor();
    await dialog.getByRole("button", { name: "Save" }).click();
    await eventually(() => helpOf(dialog, "Language")).toBe('Language: "english-us" is not a language tag such as en, fr or ar-OM.');
    expect(await dialog.getByLabel("Language").getAttribute("aria-invalid")).toBe("true");

    // A language tag as people type it: stored as ar-OM.
    await dialog.getByLabel("Language").fill("ar-om");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "hidden" });
    await card.getByText("Preferences saved.").waitFor();

    await page.reload();
    await page.getByRole("heading", { name: "Rania Haddad", level: 1 }).waitFor();
    expect(await profile.getByRole("combobox", { name: "Customer type" }).textContent()).toBe("VIP");
    await card.getByTestId("do-not-contact").getByText("This overrides every channel below").waitFor();
    expect(await card.getByLabel("Email").textContent()).toMatch(/^Agreed · At the till · .+ by .+\(overridden\)$/);
    expect(await card.getByLabel("SMS").textContent()).toBe("Not asked yet(overridden)");
    expect(await card.getByLabel("Preferred payment").textContent()).toBe("Card");
    expect(await card.getByLabel("Language").textContent()).toMatch(/ar-OM/);
    expect(await card.getByLabel("Favourite items").textContent()).toBe("Croissant");

    // The list shows the type set here.
    await page.goto("/customers");
    expect(await rowsOf(page).filter({ hasText: "Rania Haddad" }).getByTestId("customer-type").textContent()).toBe("VIP");
  }, FLOW_MS);

  it("opens the preferences dialog with what is saved, and records another change", async () => {
    const owner = await e2e.app.db.onboard({ company: "Prefs Again", timezone: "Europe/Paris" });
    const { items } = await cafe(owner);
    const rania = await createCustomer(owner, "Rania", "Haddad");
    await owner.query("select app_public.set_customer_preferences($1, do_not_contact => true, language => 'ar-OM')", [rania]);
    await owner.query("select app_public.add_customer_favourite_item($1, $2)", [rania, items.Coffee]);
    await owner.query("select app_public.add_customer_favourite_item($1, $2)", [rania, items.Tea]);
    await owner.query("select app_public.set_customer_contact_channel($1, 'email', true, 'pos')", [rania]);

    const page = await signedIn(owner, `/customers/${rania}`);
    await page.getByRole("heading", { name: "Rania Haddad", level: 1 }).waitFor();
    const card = page.getByTestId("preferences-card");
    await card.getByTestId("do-not-contact").waitFor();

    // Turning do-not-contact off, recording that SMS was refused online, and Coffee is no longer a favourite.
    await page.getByRole("button", { name: "Change preferences" }).click();
    const dialog = page.getByRole("dialog", { name: "Preferences of Rania Haddad" });
    expect(await dialog.getByRole("combobox", { name: "SMS consent", exact: true }).textContent()).toBe("Not asked yet");
    expect(await dialog.getByLabel("Do not contact").isChecked()).toBe(true);
    expect(await dialog.getByRole("combobox", { name: "Email consent source" }).textContent()).toBe("At the till");
    expect(await dialog.getByLabel("Language").inputValue()).toBe("ar-OM");
    await dialog.getByLabel("Do not contact").uncheck();
    await choose(page, "SMS consent", "Refused");
    await choose(page, "SMS consent source", "Online");
    const chosen = dialog.getByRole("group", { name: "Chosen favourite items" });
    expect(await chosen.getByRole("button").allTextContents()).toEqual(["Coffee", "Tea"]);
    await chosen.getByRole("button", { name: "Coffee" }).getByTestId("CancelIcon").click();
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.reload();
    await page.getByRole("heading", { name: "Rania Haddad", level: 1 }).waitFor();
    await card.getByLabel("SMS").filter({ hasText: /^Refused · Online · / }).waitFor();
    expect(await card.getByTestId("do-not-contact").count()).toBe(0);
    expect(await card.getByLabel("Email").textContent()).toMatch(/^Agreed · At the till · /);
    expect(await card.getByLabel("Favourite items").textContent()).toBe("Tea");
    expect(await card.getByLabel("Language").textContent()).toMatch(/ar-OM/);
    // The activity tells the SMS change in words, apart from the email consent recorded before.
    const activity = page.getByRole("list", { name: "Activity" });
    await activity.getByText("Changed SMS consent, SMS consent source").waitFor();
    await activity.getByText("Changed email consent, email consent source").waitFor();
  }, FLOW_MS);

  it("shows a cashier the class, type and preferences without the means to change them", async () => {
    const owner = await e2e.app.db.onboard({ company: "Till Cafe", timezone: "Europe/Paris" });
    const { rania } = await regularsAndOthers(owner);
    await setType(owner, rania, "vip");
    await owner.query("select app_public.set_customer_preferences($1, preferred_payment => 'cash')", [rania]);
    const cashier = await e2e.app.db.asUser(owner.tenantId, "cashier");

    const page = await signedIn(cashier, `/customers/${rania}`);
    await page.getByRole("heading", { name: "Rania Haddad", level: 1 }).waitFor();
    expect(await page.getByTestId("loyalty-class").textContent()).toBe("Regular");
    expect(await page.getByTestId("profile-card").getByLabel("Type").textContent()).toBe("VIP");
    expect(await page.getByTestId("preferences-card").getByLabel("Preferred payment").textContent()).toBe("Cash");
    expect(await page.getByRole("button", { name: "Change preferences" }).count()).toBe(0);
    expect(await page.getByRole("combobox", { name: "Customer type" }).count()).toBe(0);
  }, FLOW_MS);
});
