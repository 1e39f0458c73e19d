// Phone verification in the browser, offline: a manager opens a stub's profile, sends a code
// (the worker sends it through the Twilio SDK to the local stand-in), reads it on the
// development "Messages sent" page, types a wrong code first (refused in words, tries left), then
// the right one: the profile shows the phone verified.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { LOCAL_TWILIO, twilioProvider } from "../../worker/sms/provider.ts";
import { makeTaskList } from "../../worker/tasks/index.ts";
import { startTestWorker, type TestWorker } from "../helpers/worker.ts";
import { useE2E } from "./helpers/e2e.ts";
import { signIn } from "./helpers/ui.ts";

const e2e = useE2E({ smsLocal: true });

async function signedIn(member: { email: string; password: string }, path: string): Promise<Page> {
  const page = await e2e.page();
  await page.goto("/login");
  await signIn(page, member.email, member.password);
  await page.getByRole("link", { name: "Customers" }).waitFor();
  await page.goto(path);
  return page;
}

describe("verifying a customer's phone", () => {
  it("sends a code, reads it from Messages sent, refuses a wrong one, verifies with the right one", async () => {
    const owner = await e2e.app.db.onboard({ company: "Verified Bakes" });
    const manager = await e2e.app.db.asUser(owner.tenantId, "manager");
    const { rows } = await manager.query(
      "select id from app_public.create_customer(first_name => 'Vera', last_name => 'Phone', phone => '+96891234567')",
    );
    const customerId = rows[0].id as string;
    const sms = twilioProvider({ ...LOCAL_TWILIO, baseUrl: e2e.app.sms!.url });
    const tasks = makeTaskList({ sms: () => sms });
    let worker: TestWorker | undefined;
    try {
      worker = await startTestWorker(e2e.app.db, { taskList: { send_sms: tasks.send_sms }, concurrency: 1, pollInterval: 100, noHandleSignals: true });
      const page = await signedIn(manager, `/customers/${customerId}`);
      await page.getByRole("heading", { name: "Vera Phone", level: 1 }).waitFor();
      await page.getByRole("button", { name: "Verify phone" }).click();
      const dialog = page.getByRole("dialog", { name: "Verify phone" });
      await dialog.getByRole("button", { name: "Send code" }).click();
      await dialog.getByRole("textbox", { name: "Code" }).waitFor();
      // Another code must wait for the 60 seconds.
      expect(await dialog.getByRole("button", { name: /^Resend in \d+ s$/ }).isDisabled()).toBe(true);

      // The text, on the development page (another tab).
      const outbox = await e2e.page();
      await outbox.goto("/login");
      await signIn(outbox, manager.email, manager.password);
      await outbox.getByRole("link", { name: "Customers" }).waitFor();
      await outbox.goto("/dev/messages");
      const row = outbox.getByTestId("sent-message").filter({ hasText: "Vera Phone" });
      await row.waitFor({ timeout: 20_000 });
      const text = await row.innerText();
      expect(text).toContain("Verified Bakes: your verification code is");
      const code = /\b(\d{6})\b/.exec(text)![1];
      expect(e2e.app.sms!.outbox()).toHaveLength(1);

      const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, "0");
      await dialog.getByRole("textbox", { name: "Code" }).fill(wrong);
      await dialog.getByRole("button", { name: "Verify" }).click();
      await dialog.getByRole("alert").filter({ hasText: "Wrong code: 2 tries left." }).waitFor();
      await dialog.getByRole("textbox", { name: "Code" }).fill(code);
      await dialog.getByRole("button", { name: "Verify" }).click();
      await dialog.getByTestId("verify-phone-done").filter({ hasText: "Phone +96891234567 verified." }).waitFor();
      await dialog.getByRole("button", { name: "Done" }).click();
      await page.getByTestId("phone-verified").waitFor();
      expect(await page.getByRole("button", { name: "Verify phone" }).count()).toBe(0);
      const { rows: after } = await e2e.app.db.owner.query("select phone_verified_at from app_public.customers where id = $1", [customerId]);
      expect(after[0].phone_verified_at).not.toBeNull();
    } finally {
      await worker?.stop();
    }
  }, 120_000);
});
