// Profile stages in the browser (issue 17): the stage filter on the Customers list and the chip
// on the profile; upgrading a guest to a stub, and an upgrade whose phone is already another
// customer's, which writes nothing and offers the merge review with that customer kept; the
// address card's delivery details and distance from the nearest location.
import { describe, expect, it } from "vitest";
import type { Member } from "../helpers/db.ts";
import { useE2E } from "./helpers/e2e.ts";
import { signIn } from "./helpers/ui.ts";

const e2e = useE2E();
const FLOW_MS = 120_000;
const eventually = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000 });

async function signedIn(member: Member) {
  const page = await e2e.page();
  await page.goto("/login");
  await signIn(page, member.email, member.password);
  await page.getByRole("link", { name: "Customers" }).first().waitFor();
  return page;
}

describe("customer stages", () => {
  it("filters the list by stage, shows the chip, upgrades a guest, and offers the merge for a phone already taken", async () => {
    const owner = await e2e.app.db.onboard({ company: "Stage Coffee" });
    const one = async (sql: string, params: unknown[] = []) => (await owner.query(sql, params)).rows[0];
    const ann = await one("select id, customer_number from app_public.create_customer(first_name => 'Ann', last_name => 'Lee', phone => '+1 312 555 0101')");
    await one("select id from app_public.create_customer(email => 'only-email@example.com')");
    const walkIn = await one("select id, customer_number from app_public.create_walk_in_customer()");
    const other = await one("select id, customer_number from app_public.create_walk_in_customer()");

    const page = await signedIn(owner);
    await page.getByRole("link", { name: "Customers" }).first().click();
    const rows = page.getByRole("table").getByRole("row");
    await rows.filter({ hasText: "Ann Lee" }).waitFor();
    const stage = page.getByRole("group", { name: "Stage" });
    await stage.getByRole("button", { name: "Guest" }).click();
    // Guests: the two walk-ins and the customer known by email only.
    await eventually(async () => (await page.getByRole("table").getByRole("link").allTextContents()).sort()).toEqual([
      "Walk-in",
      "Walk-in",
      "only-email@example.com",
    ]);
    await stage.getByRole("button", { name: "Stub" }).click();
    await eventually(() => page.getByRole("table").getByRole("link").allTextContents()).toEqual(["Ann Lee"]);

    // A walk-in's page: a guest, with Upgrade.
    await page.goto(`/customers/${walkIn.id}`);
    await page.getByRole("heading", { name: "Walk-in", level: 1 }).waitFor();
    expect(await page.getByTestId("customer-stage").textContent()).toBe("Guest");
    await page.getByRole("button", { name: "Upgrade" }).click();
    const dialog = page.getByRole("dialog", { name: "Upgrade to a stub" });
    await dialog.getByLabel("First name").fill("Maya");
    await dialog.getByLabel("Phone").fill("(312) 555-0188");
    await dialog.getByRole("button", { name: "Upgrade" }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.getByRole("heading", { name: "Maya", level: 1 }).waitFor();
    await eventually(() => page.getByTestId("customer-stage").textContent()).toBe("Stub");

    // Another walk-in given Ann's phone: nothing written, the merge offered with Ann kept.
    await page.goto(`/customers/${other.id}`);
    await page.getByRole("button", { name: "Upgrade" }).click();
    await dialog.getByLabel("First name").fill("Annie");
    await dialog.getByLabel("Phone").fill("312 555 0101");
    await dialog.getByRole("button", { name: "Upgrade" }).click();
    const offer = dialog.getByTestId("upgrade-duplicate");
    await eventually(() => offer.textContent()).toBe(`This phone belongs to ${ann.customer_number} Ann Lee — merge this customer into them?Merge`);
    expect((await one("select first_name, stage from app_public.customers where id = $1", [other.id]))).toEqual({ first_name: null, stage: "guest" });
    await offer.getByRole("button", { name: "Merge" }).click();
    const review = page.getByRole("dialog", { name: "Review the merge" });
    await review.getByText(`Ann Lee (${ann.customer_number}) is kept.`, { exact: false }).waitFor();
    await review.getByRole("button", { name: "Merge customers" }).click();
    await page.getByRole("heading", { name: "Ann Lee", level: 1 }).waitFor();
    expect(await one("select status, merged_into_id from app_public.customers where id = $1", [other.id])).toEqual({ status: "merged", merged_into_id: ann.id });
  }, FLOW_MS);

  it("shows an address's delivery details and its distance from the nearest location", async () => {
    const owner = await e2e.app.db.onboard({ company: "Muscat Deliveries" });
    await owner.query("update app_public.locations set name = 'Main Street store', latitude = 23.5880, longitude = 58.3829");
    const c = (await owner.query("select id from app_public.create_customer(first_name => 'Nasser', phone => '+968 9123 4567')")).rows[0];

    const page = await signedIn(owner);
    await page.goto(`/customers/${c.id}`);
    await page.getByRole("button", { name: "Add address" }).click();
    const dialog = page.getByRole("dialog", { name: "Add address" });
    await dialog.getByLabel("Address line 1").fill("Way 3017");
    await dialog.getByLabel("City").fill("Muscat");
    await dialog.getByLabel("Country").fill("OM");
    await dialog.getByLabel("Building").fill("Al Noor Tower");
    await dialog.getByLabel("Floor").fill("4");
    await dialog.getByLabel("Delivery notes").fill("Ring twice");
    await dialog.getByLabel("Latitude").fill("23.6100");
    await dialog.getByLabel("Longitude").fill("58.5400");
    await dialog.getByRole("button", { name: "Add address" }).click();
    await dialog.waitFor({ state: "hidden" });
    const card = page.getByRole("list", { name: "Addresses" });
    await card.getByText("Al Noor Tower, Floor 4").waitFor();
    await card.getByText("Ring twice").waitFor();
    expect(await card.getByTestId("address-distance").textContent()).toBe("16.2 km from Main Street store");
  }, FLOW_MS);
});
