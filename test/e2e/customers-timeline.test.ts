// The customer's activity timeline in the browser: 50 entries a page with "Load more", the type
// filter, logging a call (shown at the top with its note); and live updates: two members of
// staff on the same customer, one adds a note and the other's profile shows it without a reload,
// and the customers list shows a renamed customer.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import type { Member } from "../helpers/db.ts";
import { useE2E } from "./helpers/e2e.ts";
import { signIn } from "./helpers/ui.ts";

const e2e = useE2E();

async function signedIn(member: { email: string; password: string }, path: string): Promise<Page> {
  const page = await e2e.page();
  await page.goto("/login");
  await signIn(page, member.email, member.password);
  await page.getByRole("link", { name: "Customers" }).waitFor();
  await page.goto(path);
  return page;
}

async function customer(owner: Member, first: string, last: string) {
  const { rows } = await owner.query("select id, customer_number from app_public.create_customer(first_name => $1, last_name => $2)", [first, last]);
  return rows[0] as { id: string; customer_number: string };
}

describe("the activity timeline", () => {
  it("pages 50 at a time, filters by type, and logs a call", async () => {
    const owner = await e2e.app.db.onboard({ company: "Timeline Tea" });
    const tina = await customer(owner, "Tina", "Timeline");
    // 60 emails over the past days, the newest an hour ago.
    await owner.query(
      `insert into app_public.customer_interactions (customer_id, kind, note, occurred_at)
       select $1, 'email', 'Newsletter reply ' || g, now() - g * interval '1 hour' from generate_series(1, 60) g`,
      [tina.id],
    );
    const page = await signedIn(owner, `/customers/${tina.id}`);
    await page.getByRole("heading", { name: "Tina Timeline", level: 1 }).waitFor();
    const activity = page.getByRole("list", { name: "Activity" });
    const entries = activity.getByRole("listitem").filter({ hasNotText: "Load more" });
    await activity.getByText("Email: Newsletter reply 1", { exact: true }).waitFor();
    await expect.poll(() => entries.count()).toBe(50);
    await activity.getByRole("button", { name: "Load more" }).click();
    // The rest: 10 more emails and "created" (recorded now, so first on the first page).
    await activity.getByText("Email: Newsletter reply 60", { exact: true }).waitFor();
    await expect.poll(() => entries.count()).toBe(61);
    expect(await activity.getByRole("button", { name: "Load more" }).count()).toBe(0);

    // Only profile changes: the creation alone.
    await page.getByRole("combobox", { name: "Show" }).click();
    await page.getByRole("option", { name: "Profile changes" }).click();
    await activity.getByText(`Customer ${tina.customer_number} created`).waitFor();
    await expect.poll(() => entries.count()).toBe(1);

    // Log a call made this morning; it shows among calls, emails and meetings, newest first.
    await page.getByRole("combobox", { name: "Show" }).click();
    await page.getByRole("option", { name: "Calls, emails and meetings" }).click();
    await page.getByRole("button", { name: "Log a call, email or meeting" }).click();
    const dialog = page.getByRole("dialog", { name: "Log a call, email or meeting" });
    await dialog.getByLabel("Note").fill("Asked about catering for 40");
    await dialog.getByRole("button", { name: "Log it" }).click();
    await dialog.waitFor({ state: "detached" });
    await expect.poll(() => entries.first().textContent()).toContain("Call: Asked about catering for 40");
    await expect.poll(() => entries.count()).toBe(50);
  });
});

describe("live updates", () => {
  it("a note added on one page shows on the other's profile, a rename in the other's list, without a reload", async () => {
    const owner = await e2e.app.db.onboard({ company: "Live Lattes" });
    const manager = await e2e.app.db.asUser(owner.tenantId, "manager");
    const leo = await customer(owner, "Leo", "Live");
    const mine = await signedIn(owner, `/customers/${leo.id}`);
    const theirs = await signedIn(manager, `/customers/${leo.id}`);
    await mine.getByRole("heading", { name: "Leo Live", level: 1 }).waitFor();
    await theirs.getByRole("heading", { name: "Leo Live", level: 1 }).waitFor();
    await theirs.getByText("No notes yet.").waitFor();
    // The other page's socket is listening before the change.
    await new Promise((r) => setTimeout(r, 1000));

    await mine.getByLabel("New note").fill("Wants a call back on Friday");
    await mine.getByRole("button", { name: "Add note" }).click();
    await mine.getByRole("list", { name: "Notes" }).getByText("Wants a call back on Friday").waitFor();

    // The manager's page, untouched, shows the note and its timeline entry.
    await theirs.getByRole("list", { name: "Notes" }).getByText("Wants a call back on Friday").waitFor({ timeout: 10_000 });
    await theirs.getByRole("list", { name: "Activity" }).getByText("General note: Wants a call back on Friday").waitFor();

    // The list: renamed elsewhere, the row changes in place.
    await theirs.goto("/customers");
    await theirs.getByRole("link", { name: "Leo Live" }).first().waitFor();
    await new Promise((r) => setTimeout(r, 1000));
    await owner.query("select app_public.update_customer($1, jsonb_populate_record(null::app_public.customer_changes, $2::jsonb))", [
      leo.id,
      JSON.stringify({ last_name: "Lively" }),
    ]);
    await theirs.getByText("Leo Lively").first().waitFor({ timeout: 10_000 });
  }, 60_000);
});
