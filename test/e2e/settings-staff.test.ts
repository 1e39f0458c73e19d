// Settings → Staff and Roles: an owner invites a manager by a link shown once; the link, opened
// in another browser, lets the new manager choose a name and a password and lands them in the
// business, where they void but cannot invite; a used link says it no longer works. A custom role
// with reports alone: someone who already has an account signs in to accept it and sees Reports
// but not the POS; the role cannot be deleted while they have it.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { useE2E } from "./helpers/e2e.ts";
import { currentBusiness, helpOf, invalidFields, signIn } from "./helpers/ui.ts";

const e2e = useE2E();

/** Invites `email` with `role` from Settings and returns the link the dialog shows (once). */
async function invite(page: Page, email: string, role: string): Promise<string> {
  await page.getByRole("button", { name: "Invite", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Invite someone" });
  await dialog.getByLabel("Email").fill(email);
  await dialog.getByRole("combobox", { name: "Role" }).click();
  await page.getByRole("option", { name: role, exact: true }).click();
  await dialog.getByRole("button", { name: "Create invitation" }).click();
  const shown = page.getByRole("dialog", { name: "Invitation link" });
  await shown.getByText("This link is shown only once and works for 7 days").waitFor();
  const link = await shown.getByLabel("Invitation link").inputValue();
  await shown.getByRole("button", { name: "Done" }).click();
  await shown.waitFor({ state: "hidden" });
  return link;
}

describe("settings: staff and roles", () => {
  it("invites a manager by link: they join with a name and password, can void, cannot invite", async () => {
    const owner = await e2e.app.db.onboard({ company: "Harbour Books", timezone: "Europe/Lisbon" });
    // A sale today, for the manager to void.
    const item = await owner.query("insert into app_public.catalog_items (name, sku, price) values ('Atlas', 'ATL', 1800) returning id");
    const location = (await owner.query("select id from app_public.locations")).rows[0].id;
    await owner.query("select app_public.record_tender(o.id, 'cash', o.total) from app_public.place_order($1, $2::jsonb) o", [
      location,
      JSON.stringify([{ catalog_item_id: item.rows[0].id, quantity: 1 }]),
    ]);

    const page = await e2e.page();
    await page.goto("/login");
    await signIn(page, owner.email, owner.password);
    await page.getByRole("link", { name: "Settings" }).click();
    const members = page.getByRole("table", { name: "Members" });
    await members.getByRole("row", { name: `Olive Owner (you) ${owner.email} Owner` }).waitFor();
    await page.getByText("No invitation is waiting to be accepted.").waitFor();

    const email = `mo.${Date.now().toString(36)}@example.com`;
    const link = await invite(page, email, "Manager");
    expect(link).toMatch(new RegExp(`^${e2e.app.baseUrl}/invitations/[A-Za-z0-9_-]{20,}$`));
    const pending = page.getByRole("table", { name: "Pending invitations" });
    await pending.getByRole("row", { name: `${email} Manager in 7 days` }).waitFor();

    // The link, in another browser: who invites, as what, for which email.
    const other = await e2e.page();
    await other.goto(link);
    await other.getByRole("heading", { name: "Join Harbour Books as Manager" }).waitFor();
    expect(await other.getByLabel("Email").inputValue()).toBe(email);
    await other.getByLabel("Your name").fill("Mo Manager");
    await other.getByLabel("Password").fill("short");
    await other.getByRole("button", { name: "Join Harbour Books" }).click();
    await expect.poll(() => invalidFields(other), { timeout: 15_000 }).toEqual(["Password"]);
    expect(await helpOf(other, "Password")).toMatch(/10 characters/);
    await other.getByLabel("Password").fill("harbour tides 7");
    await other.getByRole("button", { name: "Join Harbour Books" }).click();
    await other.waitForURL(`${e2e.app.baseUrl}/`);
    await currentBusiness(other).filter({ hasText: "Harbour Books" }).waitFor();

    // A manager: Reports, and Void on today's sale; Settings to read, without the owner's actions.
    const nav = other.getByRole("navigation", { name: "Main" });
    await nav.getByRole("link", { name: "Reports" }).waitFor();
    await nav.getByRole("link", { name: "POS" }).click();
    await other.getByRole("table", { name: "Today's sales" }).getByRole("button", { name: /^Void order #/ }).waitFor();
    await nav.getByRole("link", { name: "Settings" }).click();
    await other.getByRole("table", { name: "Members" }).getByRole("row", { name: /Mo Manager \(you\)/ }).waitFor();
    await other.getByRole("list", { name: "Roles" }).waitFor();
    expect(await other.getByRole("button", { name: "Invite", exact: true }).count()).toBe(0);
    expect(await other.getByRole("button", { name: "New role" }).count()).toBe(0);
    expect(await other.getByRole("button", { name: /^Change the role of/ }).count()).toBe(0);

    // The owner sees the new member; the invitation is no longer pending.
    await page.reload();
    await members.getByRole("row", { name: `Mo Manager ${email} Manager` }).waitFor();
    await page.getByText("No invitation is waiting to be accepted.").waitFor();

    // The link worked once.
    const third = await e2e.page();
    await third.goto(link);
    await third.getByRole("heading", { name: "This invitation link no longer works" }).waitFor();
    await third.getByRole("link", { name: "Sign in" }).click();
    await third.waitForURL(`${e2e.app.baseUrl}/login`);
  }, 120_000);

  it("a custom role with reports only: an account holder signs in to accept, sees Reports and not the POS", async () => {
    const owner = await e2e.app.db.onboard({ company: "Ledger Lane", timezone: "Europe/Paris" });
    // Someone who already has an account (the owner of another business).
    const someone = await e2e.app.db.onboard({ company: "Elsewhere", timezone: "Europe/Paris" });

    const page = await e2e.page();
    await page.goto("/login");
    await signIn(page, owner.email, owner.password);
    await page.getByRole("link", { name: "Settings" }).click();
    const roles = page.getByRole("list", { name: "Roles" });
    await roles.getByRole("listitem", { name: "Manager" }).getByText("Built-in").waitFor();

    // A role needs a permission: the server says so under the checklist.
    await page.getByRole("button", { name: "New role" }).click();
    const dialog = page.getByRole("dialog", { name: "New role" });
    await dialog.getByLabel("Role name").fill("Bookkeeper");
    await dialog.getByRole("button", { name: "Create role" }).click();
    await dialog.getByText("A role needs at least one permission.").waitFor();
    await dialog.getByLabel("View reports").check();
    await dialog.getByRole("button", { name: "Create role" }).click();
    await dialog.waitFor({ state: "hidden" });
    const bookkeeper = roles.getByRole("listitem", { name: "Bookkeeper" });
    await bookkeeper.getByText("0 members").waitFor();
    expect(await bookkeeper.getByRole("list", { name: "What Bookkeeper may do" }).textContent()).toBe("View reports");
    expect(await bookkeeper.getByText("Built-in").count()).toBe(0);

    const link = await invite(page, someone.email, "Bookkeeper");

    // They have an account: password only, "Sign in to accept"; a wrong one is refused.
    const other = await e2e.page();
    await other.goto(link);
    await other.getByRole("heading", { name: "Join Ledger Lane as Bookkeeper" }).waitFor();
    expect(await other.getByLabel("Your name").count()).toBe(0);
    await other.getByLabel("Password").fill("not my password 1");
    await other.getByRole("button", { name: "Sign in to accept" }).click();
    await other.getByText("Incorrect password for this email.").waitFor();
    await other.getByLabel("Password").fill(someone.password);
    await other.getByRole("button", { name: "Sign in to accept" }).click();
    await other.waitForURL(`${e2e.app.baseUrl}/`);
    await currentBusiness(other).filter({ hasText: "Ledger Lane" }).waitFor();

    // Reports, and nothing of the till.
    const nav = other.getByRole("navigation", { name: "Main" });
    await nav.getByRole("link", { name: "Reports" }).click();
    await other.getByRole("heading", { name: "Reports", exact: true }).waitFor();
    expect(await nav.getByRole("link", { name: "POS" }).count()).toBe(0);
    expect(await nav.getByRole("link", { name: "Settings" }).count()).toBe(0);
    await other.goto("/pos");
    await other.getByText("Your role in this business does not include selling at the point of sale.").waitFor();

    // A role someone has stays.
    await page.reload();
    await bookkeeper.getByText("1 member").waitFor();
    await bookkeeper.getByRole("button", { name: "Delete Bookkeeper" }).click();
    const confirm = page.getByRole("dialog", { name: "Delete role" });
    await confirm.getByRole("button", { name: "Delete" }).click();
    await confirm.getByText("1 member(s) have the role Bookkeeper: give them another role first.").waitFor();
  }, 120_000);
});
