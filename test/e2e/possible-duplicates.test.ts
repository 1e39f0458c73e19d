// Possible duplicates in the browser: adding a second "Zelda Quimby" (another email) warns, while
// the form is being filled, that she may be the first one, with a link that opens her; adding
// her anyway works. The Possible duplicates page (from the Customers page) then lists the pair,
// opens the merge preview on it, and "Not a duplicate" takes it off the list for good.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import type { Member } from "../helpers/db.ts";
import { useE2E } from "./helpers/e2e.ts";
import { signIn } from "./helpers/ui.ts";

const e2e = useE2E();

async function signedIn(member: { email: string; password: string }): Promise<Page> {
  const page = await e2e.page();
  await page.goto("/login");
  await signIn(page, member.email, member.password);
  await page.getByRole("link", { name: "Customers" }).waitFor();
  await page.goto("/customers");
  return page;
}

async function createCustomer(owner: Member, first: string, last: string, email: string) {
  const { rows } = await owner.query("select id from app_public.create_customer(first_name => $1, last_name => $2, email => $3)", [first, last, email]);
  return rows[0].id as string;
}

const eventually = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000 });
const FLOW_MS = 90_000;

describe("possible duplicates", () => {
  it("warns that a second Zelda Quimby may be the first, opens her, still adds the second; the duplicates page lists the pair, previews the merge, and forgets it once dismissed", async () => {
    const owner = await e2e.app.db.onboard({ company: "Quimby Quilts", timezone: "America/New_York" });
    const zelda = await createCustomer(owner, "Zelda", "Quimby", "zelda@quimby.example");
    await createCustomer(owner, "Bob", "Annan", "bob@annan.example");

    const page = await signedIn(owner);
    await page.getByRole("heading", { name: "Customers", level: 1 }).waitFor();

    // Typing her name: the warning names the first Zelda and why, with a link that opens her.
    await page.getByRole("button", { name: "Add customer" }).click();
    let dialog = page.getByRole("dialog", { name: "Add customer" });
    await dialog.getByLabel("First name").fill("Zelda");
    await dialog.getByLabel("Last name").fill("Quimby");
    const warning = dialog.getByTestId("likely-duplicates");
    await eventually(() => warning.textContent()).toBe("Possibly the same as: Zelda Quimby (CUST-00001; Same name) — Open");
    await warning.getByRole("link", { name: "Open" }).click();
    await page.waitForURL(`**/customers/${zelda}`);
    await page.getByRole("heading", { name: "Zelda Quimby", level: 1 }).waitFor();

    // Another person after all: the warning does not stop the second one being added.
    await page.goto("/customers");
    await page.getByRole("button", { name: "Add customer" }).click();
    dialog = page.getByRole("dialog", { name: "Add customer" });
    await dialog.getByLabel("First name").fill("Zelda");
    await dialog.getByLabel("Last name").fill("Quimby");
    await dialog.getByLabel("Email", { exact: true }).fill("zq@another.example");
    await dialog.getByTestId("likely-duplicates").waitFor();
    await dialog.getByRole("button", { name: "Add customer" }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.getByText("Added Zelda Quimby (CUST-00003).").waitFor();

    // The Possible duplicates page lists the pair (and not Bob).
    await page.getByRole("link", { name: "Possible duplicates" }).click();
    await page.getByRole("heading", { name: "Possible duplicates", level: 1 }).waitFor();
    const pairs = page.getByRole("table", { name: "Possible duplicates" }).getByTestId("duplicate-pair");
    await eventually(() => pairs.count()).toBe(1);
    const pair = pairs.first();
    expect(await pair.textContent()).toContain("Same name");
    expect((await pair.getByRole("link").allTextContents())).toEqual(["Zelda Quimby", "Zelda Quimby"]);
    expect(await pair.textContent()).toContain("60%");

    // Each pair opens the merge preview of the two.
    await pair.getByRole("button", { name: "Review merge" }).click();
    const merge = page.getByRole("dialog", { name: "Review the merge" });
    await merge.getByRole("table", { name: "Merge preview" }).waitFor();
    expect(await merge.textContent()).toContain("CUST-00001");
    expect(await merge.textContent()).toContain("CUST-00003");
    await merge.getByRole("button", { name: "Cancel" }).click();
    await merge.waitFor({ state: "hidden" });

    // Not a duplicate: off the list, and still off it when the page is opened again.
    await pair.getByRole("button", { name: "Not a duplicate" }).click();
    await page.getByText("Zelda Quimby and Zelda Quimby are kept as two customers.").waitFor();
    await page.getByText("No possible duplicates: no two customers look like the same person.").waitFor();
    await page.reload();
    await page.getByText("No possible duplicates: no two customers look like the same person.").waitFor();
    expect(await pairs.count()).toBe(0);
  }, FLOW_MS);
});
