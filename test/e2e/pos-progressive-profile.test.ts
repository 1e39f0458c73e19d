// Issue 17's "done when", at the till as a cashier: a walk-in becomes a stub in two fields (name
// and phone), the phone is verified with the code the customer receives (read from the local
// SMS outbox the worker sent it to, through the Twilio SDK), an email makes the profile full; the
// sale earns points, the next sale redeems them, voiding it gives them back — and each step is
// in the audit trail.
import { describe, expect, it } from "vitest";
import { LOCAL_TWILIO, twilioProvider } from "../../worker/sms/provider.ts";
import { makeTaskList } from "../../worker/tasks/index.ts";
import { startTestWorker, type TestWorker } from "../helpers/worker.ts";
import { useE2E } from "./helpers/e2e.ts";
import { signIn } from "./helpers/ui.ts";

const e2e = useE2E({ smsLocal: true });
const eventually = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 20_000 });

describe("a walk-in becomes a full profile at the till and collects points", () => {
  it("stub in two fields, phone verified by SMS code, full with an email, earns, redeems, void gives back", { timeout: 180_000 }, async () => {
    const owner = await e2e.app.db.onboard({ company: "Harbour Bakery" });
    await owner.query("update app_public.tenants set tax_rate_bps = 0 where id = $1", [owner.tenantId]);
    await owner.query("insert into app_public.catalog_items (name, sku, price) values ('Loaf', 'LOAF-1', 1000)");
    await owner.query("select app_public.update_loyalty_points_program(enabled => true)"); // 1 point per 1.00
    await owner.query("select app_public.create_loyalty_point_reward('Free croissant', 15, 300)");
    const cashier = await e2e.app.db.asUser(owner.tenantId, "cashier");

    const sms = twilioProvider({ ...LOCAL_TWILIO, baseUrl: e2e.app.sms!.url });
    let worker: TestWorker | undefined;
    try {
      worker = await startTestWorker(e2e.app.db, {
        taskList: { send_sms: makeTaskList({ sms: () => sms }).send_sms },
        concurrency: 1,
        pollInterval: 100,
        noHandleSignals: true,
      });
      const page = await e2e.page();
      await page.goto("/login");
      await signIn(page, cashier.email, cashier.password);
      await page.getByRole("link", { name: "POS" }).click();
      await page.getByRole("heading", { name: "Point of sale" }).waitFor();

      // A stub in two fields.
      await page.getByRole("button", { name: "Customer", exact: true }).click();
      const picker = page.getByRole("dialog", { name: "Attach a customer" });
      await picker.getByRole("combobox", { name: "Search customers" }).fill("Salim Harthy");
      await picker.getByRole("button", { name: "Add “Salim Harthy” as a new customer" }).click();
      const quick = page.getByRole("dialog", { name: "Quick add customer" });
      await quick.getByLabel("Phone").fill("+968 9123 4567");
      await quick.getByRole("button", { name: "Add and select" }).click();
      await page.getByTestId("cart-customer").filter({ hasText: "Salim Harthy" }).waitFor();
      await page.getByTestId("customer-stage").filter({ hasText: "Stub" }).waitFor();
      const { rows: [salim] } = await owner.query("select id, stage from app_public.customers where first_name = 'Salim'");
      expect(salim.stage).toBe("stub");

      // Verify the phone: the code arrives by SMS (the local outbox), the cashier types it.
      await page.getByRole("button", { name: "Verify phone" }).click();
      const verify = page.getByRole("dialog", { name: "Verify phone" });
      await verify.getByRole("button", { name: "Send code" }).click();
      await eventually(() => e2e.app.sms!.outbox().length).toBe(1);
      const message = e2e.app.sms!.outbox()[0]!;
      expect(message.to).toBe("+96891234567");
      const code = /\b(\d{6})\b/.exec(message.body)![1]!;
      await verify.getByRole("textbox", { name: "Code" }).fill(code);
      await verify.getByRole("button", { name: "Verify" }).click();
      await verify.getByTestId("verify-phone-done").waitFor();
      await verify.getByRole("button", { name: "Done" }).click();
      await page.getByTestId("phone-verified").waitFor();

      // An email makes the profile full.
      await page.getByRole("button", { name: "Upgrade" }).click();
      const upgrade = page.getByRole("dialog", { name: "Upgrade to a full profile" });
      await upgrade.getByLabel("Email").fill("salim@example.com");
      await upgrade.getByRole("button", { name: "Upgrade" }).click();
      await upgrade.waitFor({ state: "hidden" });
      await page.getByTestId("customer-stage").filter({ hasText: "Full" }).waitFor();

      const balance = async () =>
        Number((await owner.query("select app_public.customers_loyalty_points(c) as b from app_public.customers c where id = $1", [salim.id])).rows[0].b);
      const items = page.getByRole("list", { name: "Items for sale" });
      const payByCard = async (amount: string) => {
        await page.getByRole("button", { name: new RegExp(`^Charge \\${amount}$`) }).click();
        const payment = page.getByRole("dialog", { name: /Take payment/ });
        await payment.getByRole("button", { name: "Card" }).click();
        await payment.getByRole("button", { name: `Charge ${amount} to card` }).click();
        const done = page.getByRole("dialog", { name: /Sale complete/ });
        await done.getByRole("button", { name: "New sale" }).click();
        await done.waitFor({ state: "hidden" });
      };

      // The sale earns 20 points ($20.00).
      await items.getByRole("button", { name: /Loaf/ }).click();
      await items.getByRole("button", { name: /Loaf/ }).click();
      await payByCard("$20.00");
      await eventually(balance).toBe(20);

      // The next sale redeems 15 of them for $3.00 off and earns 7 on the $7.00 paid.
      await page.getByRole("button", { name: "Customer", exact: true }).click();
      await picker.getByRole("combobox", { name: "Search customers" }).fill("salim");
      await picker.getByRole("option", { name: /Salim Harthy/ }).click();
      await page.getByTestId("pos-points-balance").filter({ hasText: "20 points" }).waitFor();
      await items.getByRole("button", { name: /Loaf/ }).click();
      await page.getByRole("button", { name: /Free croissant/ }).click();
      await page.getByTestId("cart-total").filter({ hasText: "$7.00" }).waitFor();
      await payByCard("$7.00");
      await eventually(balance).toBe(20 - 15 + 7);

      // A manager voids it: the 15 come back and the 7 earned go.
      const { rows: [redeemed] } = await owner.query("select id from app_public.orders where loyalty_reward_id is not null");
      const manager = await e2e.app.db.asUser(owner.tenantId, "manager");
      await manager.query("select app_public.void_order($1, 'Wrong loaf')", [redeemed.id]);
      await eventually(balance).toBe(20);

      // Audited, each step by the cashier: the stub's creation, the code asked, the verification, the email.
      const { rows: audit } = await owner.query(
        `select entity, action, changes, actor_user_id from app_public.audit_entries
         where tenant_id = $1 and ((entity = 'customers' and entity_id = $2) or entity = 'phone_codes') order by created_at, id`,
        [owner.tenantId, salim.id],
      );
      expect(audit.every((a) => a.actor_user_id === cashier.userId)).toBe(true);
      expect(audit.filter((a) => a.entity === "customers").map((a) => [a.action, Object.keys(a.changes).sort()])).toEqual([
        ["insert", expect.any(Array)],
        ["update", ["phone_verified_at"]],
        ["update", ["email", "stage"]],
      ]);
      expect(audit.some((a) => a.entity === "phone_codes")).toBe(true);
      // The points ledger says why each change happened.
      const { rows: entries } = await owner.query("select kind, points from app_public.loyalty_point_entries where customer_id = $1", [salim.id]);
      expect(entries.map((e) => `${e.kind} ${e.points}`).sort()).toEqual(["earn 20", "earn 7", "redeem -15", "reversal 8"]);
    } finally {
      await worker?.stop();
    }
  });
});
