// Customers in the browser: adding one from the list (the server's refusals as it words them: a
// customer with nothing to know them by at the top of the form, a duplicate email under the
// Email field with a link that opens who has it), finding them by partial name and by phone
// digits, the list's pages, sorts and tag/status filters, editing, notes and addresses on their
// page, merging a duplicate after reading the side-by-side preview, and the CustomerPicker (Quick
// find on the list) picking by keyboard and adding on the spot (a name and a phone).
// Cashiers see customers but not the actions their role lacks.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import type { Member } from "../helpers/db.ts";
import { useE2E } from "./helpers/e2e.ts";
import { helpOf, invalidFields, signIn } from "./helpers/ui.ts";

const e2e = useE2E();

/** The server's NOIDN message (db/ERRORS.md), shown as it is. */
const NOIDN = "A customer needs at least an email, a phone number or a first name.";

async function createCustomer(owner: Member, fields: { first?: string; last?: string; email?: string; phone?: string; tags?: string[] }) {
  const { rows } = await owner.query(
    "select id, customer_number from app_public.create_customer(first_name => $1, last_name => $2, email => $3, phone => $4, tags => $5)",
    [fields.first ?? null, fields.last ?? null, fields.email ?? null, fields.phone ?? null, fields.tags ?? null],
  );
  return rows[0] as { id: string; customer_number: string };
}

/** A shop with one catalog item at 10.00; returns a function selling n of them to a customer (paid in full: a sale, a visit). */
async function shopWithCoffee(owner: Member) {
  const location = (await owner.query("select id from app_public.locations limit 1")).rows[0].id as string;
  const item = (await owner.query("insert into app_public.catalog_items (name, sku, price) values ('Coffee', 'COF', 1000) returning id")).rows[0]
    .id as string;
  return async (customerId: string, quantity: number, placedAt: string | null = null) => {
    const placed = await owner.query("select * from app_public.place_order($1, $2::jsonb, $3, 0, $4)", [
      location,
      JSON.stringify([{ catalog_item_id: item, quantity }]),
      customerId,
      placedAt,
    ]);
    const order = placed.rows[0];
    if (order.status === "open") await owner.query("select app_public.record_tender($1, 'card', $2)", [order.id, order.total]);
  };
}

async function signedIn(member: { email: string; password: string }, path = "/customers"): Promise<Page> {
  const page = await e2e.page();
  await page.goto("/login");
  await signIn(page, member.email, member.password);
  await page.getByRole("link", { name: "Customers" }).waitFor();
  if (path !== "/") await page.goto(path);
  return page;
}

/** expect.poll with the patience of a locator (its default second is too short for a busy machine). */
const eventually = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000 });

/** Whole flows through the browser take longer than vitest's default 30 seconds on a busy machine. */
const FLOW_MS = 90_000;

const rowsOf = (page: Page) => page.getByRole("table", { name: "Customers" }).getByTestId("customer-row");

describe("customers", () => {
  it("adds a customer from the list (the server's refusals shown as it words them: the whole form's at the top, a duplicate email under the Email field) and finds them by part of the name and by phone digits", async () => {
    const owner = await e2e.app.db.onboard({ company: "Garcia Grocers", timezone: "America/New_York" });
    const gabriel = await createCustomer(owner, { first: "Gabriel", last: "Garcia", email: "gabo@example.com" });

    const page = await signedIn(owner);
    await page.getByRole("heading", { name: "Customers", level: 1 }).waitFor();
    await rowsOf(page).filter({ hasText: "Gabriel Garcia" }).waitFor();
    await page.getByTestId("customers-summary").filter({ hasText: "1 customer" }).waitFor();

    // Nothing to know them by: the server's NOIDN, at the top of the form (no one field is wrong).
    await page.getByRole("button", { name: "Add customer" }).click();
    const dialog = page.getByRole("dialog", { name: "Add customer" });
    await dialog.getByLabel("Last name").fill("Lee");
    await dialog.getByRole("button", { name: "Add customer" }).click();
    await eventually(() => dialog.getByRole("alert").allTextContents()).toEqual([NOIDN]);
    expect(await invalidFields(dialog)).toEqual([]);

    // The dialog: the database refuses an email another customer has, under the Email field.
    await dialog.getByLabel("First name").fill("Ann");
    expect(await dialog.getByRole("alert").count()).toBe(0); // what the form is about has changed
    await dialog.getByLabel("Email", { exact: true }).fill("GABO@example.com");
    await dialog.getByLabel("Phone").fill("(415) 555-0134");
    await dialog.getByRole("combobox", { name: "Tags" }).fill("vip");
    await dialog.getByRole("combobox", { name: "Tags" }).press("Enter");
    await dialog.getByRole("button", { name: "vip" }).waitFor(); // the tag chip
    await dialog.getByRole("button", { name: "Add customer" }).click();
    await eventually(() => invalidFields(dialog)).toEqual(["Email"]);
    expect(await helpOf(dialog, "Email")).toBe("Email: gabo@example.com is already the email of customer CUST-00001 (Gabriel Garcia). Open that customer");
    expect(await dialog.getByRole("alert").count()).toBe(0);
    expect(await dialog.getByRole("link", { name: "Open that customer" }).getAttribute("href")).toBe(`/customers/${gabriel.id}`);

    // A valid email: the customer is added and listed.
    await dialog.getByLabel("Email", { exact: true }).fill("ann.lee@example.com");
    expect(await helpOf(dialog, "Email")).toBe("");
    expect(await invalidFields(dialog)).toEqual([]);
    await dialog.getByRole("button", { name: "Add customer" }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.getByText("Added Ann Lee (CUST-00002).").waitFor();
    const ann = rowsOf(page).filter({ hasText: "Ann Lee" });
    await ann.waitFor();
    expect(await ann.textContent()).toContain("(415) 555-0134"); // stored in E.164, written as the business's country writes it
    await page.getByTestId("customers-summary").filter({ hasText: "2 customers" }).waitFor();

    // The search box: part of the name, then digits of the phone.
    const search = page.getByLabel("Search customers");
    await search.fill("n le");
    await page.getByText("Best matches for “n le”").waitFor();
    await eventually(() => rowsOf(page).allTextContents()).toEqual([expect.stringContaining("Ann Lee")]);
    await search.fill("555 0134");
    await page.getByText("Best matches for “555 0134”").waitFor();
    await eventually(() => rowsOf(page).allTextContents()).toEqual([expect.stringContaining("Ann Lee")]);
    await search.fill("zzz-nobody");
    await page.getByText("No customer matches “zzz-nobody”.").waitFor();
    await search.fill("gabo");
    await rowsOf(page).filter({ hasText: "Gabriel Garcia" }).waitFor();
    await search.fill("5550134");
    await rowsOf(page).filter({ hasText: "Ann Lee" }).getByRole("link", { name: "Ann Lee" }).click();
    await page.waitForURL(/\/customers\/[0-9A-Z]{26}$/);
    await page.getByRole("heading", { name: "Ann Lee", level: 1 }).waitFor();
  }, FLOW_MS);

  it("links a refused duplicate email to the customer who has it, and the link opens their page", async () => {
    const owner = await e2e.app.db.onboard({ company: "Link Lane", timezone: "Europe/Paris" });
    const iris = await createCustomer(owner, { first: "Iris", last: "Ng", email: "iris@example.com" });
    await createCustomer(owner, { first: "Someone", last: "Else" });

    const page = await signedIn(owner);
    await page.getByRole("button", { name: "Add customer" }).click();
    const dialog = page.getByRole("dialog", { name: "Add customer" });
    await dialog.getByLabel("First name").fill("Irene");
    await dialog.getByLabel("Email", { exact: true }).fill("iris@example.com");
    await dialog.getByRole("button", { name: "Add customer" }).click();
    const email = dialog.getByRole("textbox", { name: "Email" });
    await eventually(() => email.getAttribute("aria-invalid")).toBe("true");
    await dialog.getByRole("link", { name: "Open that customer" }).click();
    await page.waitForURL(`${e2e.app.baseUrl}/customers/${iris.id}`);
    await page.getByRole("heading", { name: "Iris Ng", level: 1 }).waitFor();
    expect(await page.getByTestId("profile-card").getByLabel("Email").textContent()).toBe("iris@example.com");
    expect(await page.getByRole("dialog").count()).toBe(0);
  }, FLOW_MS);

  it("shows a customer's page, saves an edit (the change shows), pins About this customer at the top of Notes, refuses a bad phone, an empty note and an address without its first line under their fields, adds a note and addresses", async () => {
    const owner = await e2e.app.db.onboard({ company: "Lee Lamps", timezone: "America/New_York" });
    const ann = await createCustomer(owner, { first: "Ann", last: "Lee", email: "ann.lee@example.com", phone: "(415) 555-0134", tags: ["vip"] });
    await createCustomer(owner, { first: "Someone", last: "Else" });
    const page = await signedIn(owner);
    await rowsOf(page).filter({ hasText: "Ann Lee" }).click();
    await page.waitForURL(`${e2e.app.baseUrl}/customers/${ann.id}`);

    // The customer's page.
    await page.getByRole("heading", { name: "Ann Lee", level: 1 }).waitFor();
    const profile = page.getByTestId("profile-card");
    expect(await profile.getByLabel("Email").textContent()).toBe("ann.lee@example.com");
    expect(await profile.getByLabel("Tags").textContent()).toBe("vip");
    expect(await page.getByTestId("stat-visits").textContent()).toBe("0");
    expect(await page.getByTestId("customer-status").textContent()).toBe("Active");
    await page.getByRole("list", { name: "Activity" }).getByText("Customer CUST-00001 created").waitFor();

    // Edit: the last name changes, and so does the name everywhere on the page.
    await page.getByRole("button", { name: "Edit" }).click();
    const edit = page.getByRole("dialog", { name: "Edit customer" });
    expect(await edit.getByLabel("Email", { exact: true }).inputValue()).toBe("ann.lee@example.com");
    await edit.getByLabel("Last name").fill("Lee-Smith");
    await edit.getByLabel("Agrees to receive marketing").check();
    await edit.getByRole("button", { name: "Save" }).click();
    await edit.waitFor({ state: "hidden" });
    await page.getByRole("heading", { name: "Ann Lee-Smith", level: 1 }).waitFor();
    expect(await profile.getByLabel("Last name").textContent()).toBe("Lee-Smith");
    expect(await profile.getByLabel("Marketing").textContent()).toMatch(/^Agrees to receive marketing since .+ \(via admin\)$/);
    await page.getByRole("list", { name: "Activity" }).getByText("Changed last name Lee → Lee-Smith, marketing consent, marketing consent source").waitFor();

    // A phone that is not one: refused under the Phone field, nothing saved.
    await page.getByRole("button", { name: "Edit" }).click();
    await edit.getByLabel("Phone").fill("12");
    await edit.getByRole("button", { name: "Save" }).click();
    await eventually(() => helpOf(edit, "Phone")).toMatch(/too short; a phone number has at least 7 digits/);
    await edit.getByRole("button", { name: "Cancel" }).click();
    expect(await profile.getByLabel("Phone").textContent()).toBe("(415) 555-0134");

    // "About this customer", written in the form, is pinned at the top of the Notes card: the
    // profile's one text, not a dated note.
    await page.getByRole("button", { name: "Edit", exact: true }).click();
    expect(await helpOf(edit, "About this customer")).toMatch(/^Pinned at the top of Notes/);
    await edit.getByLabel("About this customer").fill("Allergic to nuts");
    await edit.getByRole("button", { name: "Save" }).click();
    await edit.waitFor({ state: "hidden" });
    await page.getByRole("region", { name: "About this customer" }).getByText("Allergic to nuts").waitFor();
    await page.getByText("No notes yet.").waitFor();

    // An empty note: the server's words under the note.
    const newNote = page.getByRole("form", { name: "Add a note" });
    await page.getByRole("button", { name: "Add note" }).click();
    await eventually(() => helpOf(newNote, "New note")).toBe("Note is required.");
    expect(await invalidFields(newNote)).toEqual(["New note"]);

    // A note with a category.
    await page.getByLabel("New note").fill("Prefers oat milk");
    await page.getByRole("combobox", { name: "Category" }).click();
    await page.getByRole("option", { name: "Preference" }).click();
    await page.getByRole("button", { name: "Add note" }).click();
    const notes = page.getByRole("list", { name: "Notes" });
    await notes.getByText("Prefers oat milk").waitFor();
    await notes.getByText("Preference", { exact: true }).waitFor();
    expect(await page.getByLabel("New note").inputValue()).toBe("");
    await page.getByRole("list", { name: "Activity" }).getByText("Preference note: Prefers oat milk").waitFor();

    // Addresses: the first is the default; making another the default moves the mark.
    await page.getByRole("button", { name: "Add address" }).click();
    const address = page.getByRole("dialog", { name: "Add address" });
    await address.getByLabel("City").fill("Springfield");
    await address.getByRole("button", { name: "Add address" }).click();
    await eventually(() => invalidFields(address)).toEqual(["Address line 1"]);
    expect(await helpOf(address, "Address line 1")).toBe("Address line 1 is required.");
    await address.getByLabel("Address line 1").fill("5 Elm St");
    expect(await invalidFields(address)).toEqual([]);
    await address.getByLabel("Postal code").fill("62701");
    await address.getByRole("button", { name: "Add address" }).click();
    await address.waitFor({ state: "hidden" });
    const addresses = page.getByRole("list", { name: "Addresses" });
    await addresses.getByRole("listitem", { name: "Home address" }).getByText("Default", { exact: true }).waitFor();
    expect(await addresses.getByRole("listitem", { name: "Home address" }).innerText()).toContain("62701 Springfield\nUS");
    await page.getByRole("button", { name: "Add address" }).click();
    await address.getByRole("combobox", { name: "Type" }).click();
    await page.getByRole("option", { name: "Work" }).click();
    await address.getByLabel("Address line 1").fill("1 Main Plaza");
    await address.getByLabel("City").fill("Chicago");
    await address.getByLabel("Country").fill("us");
    await address.getByRole("button", { name: "Add address" }).click();
    await address.waitFor({ state: "hidden" });
    const work = addresses.getByRole("listitem", { name: "Work address" });
    await work.getByRole("button", { name: "Make default" }).click();
    await work.getByText("Default", { exact: true }).waitFor();
    await eventually(() => addresses.getByRole("listitem", { name: "Home address" }).getByText("Default", { exact: true }).count()).toBe(0);
  }, FLOW_MS);

  it("lists customers 25 at a time, by last visit, name or spend, filtered by tag and status", async () => {
    const owner = await e2e.app.db.onboard({ company: "Many Mugs", timezone: "Europe/Paris" });
    const sell = await shopWithCoffee(owner);
    const ids: string[] = [];
    for (let i = 1; i <= 31; i++) {
      const n = String(i).padStart(2, "0");
      ids.push((await createCustomer(owner, { first: "Person", last: n, tags: i % 3 === 0 ? ["vip"] : i % 5 === 0 ? ["local"] : [] })).id);
    }
    await owner.query("select app_public.archive_customer($1)", [ids[30]]); // Person 31
    await sell(ids[4]!, 1, "2025-03-01T10:00:00Z"); // Person 05: 10.00, earliest
    await sell(ids[9]!, 7, "2025-03-03T10:00:00Z"); // Person 10: 70.00, latest
    await sell(ids[19]!, 3, "2025-03-02T10:00:00Z"); // Person 20: 30.00

    const page = await signedIn(owner);
    const summary = page.getByTestId("customers-summary");
    const names = async () => (await rowsOf(page).getByRole("link").allTextContents());

    // Last visit first: those who came, latest first, then the others, newest first.
    await summary.filter({ hasText: "30 customers · showing 28" }).waitFor();
    expect((await names()).slice(0, 5)).toEqual(["Person 10", "Person 20", "Person 05", "Person 30", "Person 29"]);
    const visited = rowsOf(page).filter({ hasText: "Person 10" });
    expect(await visited.getByRole("cell").nth(7).textContent()).toBe("$70.00"); // name, company, email, phone, type, tier, visits, spend
    await page.getByRole("button", { name: "Load more" }).click();
    await summary.filter({ hasText: /^30 customers$/ }).waitFor();
    expect(await rowsOf(page).count()).toBe(30);
    expect(await page.getByRole("button", { name: "Load more" }).count()).toBe(0);

    // By name, 25 then the rest.
    await page.getByRole("combobox", { name: "Sort by" }).click();
    await page.getByRole("option", { name: "Name" }).click();
    await summary.filter({ hasText: "30 customers · showing 25" }).waitFor();
    expect((await names()).slice(0, 3)).toEqual(["Person 01", "Person 02", "Person 03"]);
    await page.getByRole("button", { name: "Load more" }).click();
    await eventually(() => names()).toEqual(Array.from({ length: 30 }, (_, i) => `Person ${String(i + 1).padStart(2, "0")}`));

    // By lifetime spend.
    await page.getByRole("combobox", { name: "Sort by" }).click();
    await page.getByRole("option", { name: "Total spend" }).click();
    await eventually(async () => (await names()).slice(0, 3)).toEqual(["Person 10", "Person 20", "Person 05"]);

    // A tag from the chips of the page, then another typed in: customers with both.
    await page.getByLabel("Tags on this page").getByRole("button", { name: "vip" }).click();
    await summary.filter({ hasText: /^10 customers$/ }).waitFor();
    await page.getByRole("button", { name: "Tag: vip" }).waitFor();
    await eventually(async () => (await names()).slice(0, 2)).toEqual(["Person 03", "Person 06"]); // none spent: by name
    await page.getByRole("combobox", { name: "Filter by tag" }).fill("local");
    await page.getByRole("combobox", { name: "Filter by tag" }).press("Enter");
    await summary.filter({ hasText: /^0 customers$/ }).waitFor();
    await page.getByText("No active customers tagged vip and local.").waitFor();
    await page.getByRole("button", { name: "Tag: vip" }).getByTestId("CancelIcon").click();
    await summary.filter({ hasText: /^4 customers$/ }).waitFor(); // 5, 10, 20, 25
    await eventually(() => names()).toEqual(["Person 10", "Person 20", "Person 05", "Person 25"]);
    await page.getByRole("button", { name: "Tag: local" }).getByTestId("CancelIcon").click();

    // Archived customers on their own.
    await page.getByRole("button", { name: "Archived" }).click();
    await summary.filter({ hasText: /^1 customer$/ }).waitFor();
    await eventually(() => names()).toEqual(["Person 31"]);
    await rowsOf(page).getByText("Archived").waitFor();
    // The choices are in the address: back from a customer, the same list.
    await rowsOf(page).getByRole("link", { name: "Person 31" }).click();
    await page.getByText("Archived: hidden from the till and the active list.").waitFor();
    await page.goBack();
    await summary.filter({ hasText: /^1 customer$/ }).waitFor();
    expect(page.url()).toContain("status=archived");
  }, FLOW_MS);

  it("merges a duplicate after showing the two side by side and the result", async () => {
    const owner = await e2e.app.db.onboard({ company: "Silva Bakery", timezone: "Europe/Lisbon" });
    const sell = await shopWithCoffee(owner);
    const maria = await createCustomer(owner, { first: "Maria", last: "Silva", email: "maria@example.com", tags: ["vip"] });
    const dupe = await createCustomer(owner, { first: "Maria", last: "S.", phone: "+351 912 345 678", tags: ["local", "VIP"] });
    await sell(maria.id, 2); // 20.00
    await sell(dupe.id, 1); // 10.00
    await createCustomer(owner, { first: "Mario", last: "Rossi" });

    const page = await signedIn(owner, `/customers/${maria.id}`);
    await page.getByRole("heading", { name: "Maria Silva", level: 1 }).waitFor();
    expect(await page.getByTestId("stat-spend").textContent()).toBe("$20.00");
    await page.getByRole("table", { name: "Recent orders" }).getByRole("row", { name: /Main store \$20\.00 Paid/ }).waitFor();

    await page.getByRole("button", { name: "Merge duplicate" }).click();
    const dialog = page.getByRole("dialog", { name: "Merge a duplicate into Maria Silva" });
    await dialog.getByLabel("Find the duplicate").fill("mari");
    const hits = dialog.getByRole("listbox", { name: "Matching customers" }).getByRole("option");
    // The customer itself is not offered.
    await eventually(() => hits.allTextContents()).toEqual([expect.stringMatching(/^Maria S\.CUST-00002/), expect.stringMatching(/^Mario Rossi/)]);
    await hits.filter({ hasText: "Maria S." }).click();

    // The preview, before anything changes.
    const review = page.getByRole("dialog", { name: "Review the merge" });
    const table = review.getByRole("table", { name: "Merge preview" });
    await table.getByRole("row", { name: "Name Maria Silva Maria S. Maria Silva" }).waitFor();
    await table.getByRole("row", { name: "Email maria@example.com — maria@example.com" }).waitFor();
    await table.getByRole("row", { name: "Phone — +351 912 345 678 +351 912 345 678" }).waitFor();
    await table.getByRole("row", { name: "Tags vip local VIP vip local" }).waitFor();
    await table.getByRole("row", { name: "Visits 1 1 2" }).waitFor();
    await table.getByRole("row", { name: "Total spend $20.00 $10.00 $30.00" }).waitFor();
    expect(await review.getByTestId("merge-moves").textContent()).toBe("Moves 1 order, 0 notes and 0 addresses to the customer kept.");
    expect(await page.getByTestId("stat-spend").textContent()).toBe("$20.00"); // nothing merged yet

    await review.getByLabel("Reason (optional)").fill("Same person, signed up twice");
    await review.getByRole("button", { name: "Merge customers" }).click();
    await review.waitFor({ state: "hidden" });
    await page.getByText("Merged CUST-00002 into CUST-00001.").waitFor();
    await page.getByTestId("stat-spend").filter({ hasText: "$30.00" }).waitFor();
    expect(await page.getByTestId("stat-visits").textContent()).toBe("2");
    expect(await page.getByTestId("stat-average").textContent()).toBe("$15.00");
    const profile = page.getByTestId("profile-card");
    expect(await profile.getByLabel("Tags").textContent()).toBe("viplocal");
    expect(await profile.getByLabel("Phone").textContent()).toBe("+351 912 345 678"); // another country's: international
    await page.getByRole("list", { name: "Activity" }).getByText("Merged customer CUST-00002 into this one (1 orders, 0 notes, 0 addresses moved)").waitFor();
    expect(await page.getByRole("table", { name: "Recent orders" }).getByRole("row").count()).toBe(3); // header + both orders

    // The reason is in the audit log, on each change the merge made.
    await page.goto("/settings/audit?command=merge_customers&entity=customers");
    const audit = page.getByRole("table", { name: "Audit log" }).getByTestId("audit-row");
    await eventually(() => audit.getByTestId("audit-reason").allInnerTexts()).toEqual([
      "Same person, signed up twice",
      "Same person, signed up twice",
    ]);

    // The duplicate stays, marked merged, pointing at the customer kept.
    await page.goto(`/customers/${dupe.id}`);
    await page.getByRole("heading", { name: "Maria S.", level: 1 }).waitFor();
    const banner = page.getByTestId("merged-banner");
    await banner.getByText("This customer was merged into").waitFor();
    expect(await page.getByTestId("customer-status").textContent()).toBe("Merged");
    expect(await page.getByRole("button", { name: "Edit" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: "Merge duplicate" }).count()).toBe(0);
    await banner.getByRole("link", { name: "Maria Silva (CUST-00001)" }).click();
    await page.getByRole("heading", { name: "Maria Silva", level: 1 }).waitFor();

    // Merging it again is impossible: it is no longer offered, and the list no longer shows it.
    await page.goto("/customers");
    await rowsOf(page).filter({ hasText: "Maria Silva" }).waitFor();
    await page.getByTestId("customers-summary").filter({ hasText: "2 customers" }).waitFor();
    expect(await rowsOf(page).filter({ hasText: "Maria S." }).count()).toBe(0);
  }, FLOW_MS);

  it("Quick find (the CustomerPicker): picks by keyboard, and quick-adds a customer who is not there yet", async () => {
    const owner = await e2e.app.db.onboard({ company: "Quinn Books", timezone: "America/Chicago" });
    const zoe = await createCustomer(owner, { first: "Zoe", last: "Quinn", phone: "(312) 555-0101" });
    const zoey = await createCustomer(owner, { first: "Zoey", last: "Park", email: "zoey@example.com" });

    const page = await signedIn(owner);
    await page.getByRole("button", { name: "Quick find" }).click();
    const picker = page.getByRole("dialog", { name: "Quick find" });
    const box = picker.getByRole("combobox", { name: "Search customers" });
    await eventually(() => box.evaluate((el) => el === document.activeElement)).toBe(true);
    await box.pressSequentially("zoe");
    const hits = picker.getByRole("option");
    await eventually(() => hits.allTextContents()).toEqual([
      expect.stringMatching(/^Zoe QuinnCUST-00001\(312\) 555-0101$/),
      expect.stringMatching(/^Zoey ParkCUST-00002zoey@example\.com$/),
    ]);
    expect(await hits.first().getAttribute("aria-selected")).toBe("true");
    await box.press("ArrowDown");
    expect(await hits.nth(1).getAttribute("aria-selected")).toBe("true");
    await box.press("Enter");
    await page.waitForURL(`${e2e.app.baseUrl}/customers/${zoey.id}`);
    await page.getByRole("heading", { name: "Zoey Park", level: 1 }).waitFor();

    // Enter straight after typing (as a fast typist or a scanner does) picks the best hit once it is in.
    await page.goto("/customers");
    await page.getByRole("button", { name: "Quick find" }).click();
    await picker.getByRole("combobox", { name: "Search customers" }).fill("quinn");
    await picker.getByRole("combobox", { name: "Search customers" }).press("Enter");
    await page.getByRole("heading", { name: "Zoe Quinn", level: 1 }).waitFor();

    // Nobody by that name: quick add carries the text over, then selects the new customer.
    await page.goto("/customers");
    await page.getByRole("button", { name: "Quick find" }).click();
    await picker.getByRole("combobox", { name: "Search customers" }).fill("Nadia Brooks");
    await picker.getByText("No customer matches “Nadia Brooks”.").waitFor();
    await picker.getByRole("button", { name: "Add “Nadia Brooks” as a new customer" }).click();
    const quick = page.getByRole("dialog", { name: "Quick add customer" });
    expect(await quick.getByLabel("Name", { exact: true }).inputValue()).toBe("Nadia Brooks");

    // A phone another customer has: the server's words under Phone, a link to that customer (in a
    // new tab, so what the picker was opened for stays) and the offer to take them instead.
    await quick.getByLabel("Phone").fill("312-555-0101");
    await quick.getByRole("button", { name: "Add and select" }).click();
    await eventually(() => invalidFields(quick)).toEqual(["Phone"]);
    expect(await helpOf(quick, "Phone")).toBe("Phone: +13125550101 is already the phone number of customer CUST-00001 (Zoe Quinn). Open that customer");
    const link = quick.getByRole("link", { name: "Open that customer" });
    expect([await link.getAttribute("href"), await link.getAttribute("target")]).toEqual([`/customers/${zoe.id}`, "_blank"]);
    await quick.getByRole("button", { name: "Use that customer instead" }).waitFor();

    await quick.getByLabel("Phone").fill("312-555-0199");
    await quick.getByRole("button", { name: "Add and select" }).click();
    await page.getByRole("heading", { name: "Nadia Brooks", level: 1 }).waitFor();
    const profile = page.getByTestId("profile-card");
    expect(await profile.getByLabel("First name").textContent()).toBe("Nadia");
    expect(await profile.getByLabel("Last name").textContent()).toBe("Brooks");
    expect(await profile.getByLabel("Phone").textContent()).toBe("(312) 555-0199");
    expect(await page.getByRole("dialog").count()).toBe(0);
  }, FLOW_MS);

  it("shows a cashier customers and lets them add one, without edit, notes, archive or merge", async () => {
    const owner = await e2e.app.db.onboard({ company: "Till Only", timezone: "Europe/Paris" });
    const cashier = await e2e.app.db.asUser(owner.tenantId, "cashier");
    const c = await createCustomer(owner, { first: "Paul", last: "Martin", email: "paul@example.com", tags: ["regular"] });

    const page = await signedIn(cashier);
    await rowsOf(page).filter({ hasText: "Paul Martin" }).waitFor();
    await page.getByRole("button", { name: "Add customer" }).waitFor();
    await rowsOf(page).getByRole("link", { name: "Paul Martin" }).click();
    await page.getByRole("heading", { name: "Paul Martin", level: 1 }).waitFor();
    await page.getByText("No notes yet.").waitFor();
    for (const name of ["Edit", "Archive", "Merge duplicate", "Add note", "Add address"]) {
      expect([name, await page.getByRole("button", { name }).count()]).toEqual([name, 0]);
    }
    expect(page.url()).toBe(`${e2e.app.baseUrl}/customers/${c.id}`);
  }, FLOW_MS);
});
