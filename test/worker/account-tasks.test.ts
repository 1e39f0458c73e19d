// The worker's account tasks, as graphile-worker runs them from the crontab: the monthly invoices
// (queued twice: one invoice) and the overdue sweep of a business that chose to suspend accounts
// whose invoices are overdue.
import { afterAll, beforeAll, expect, it } from "vitest";
import { taskList } from "../../worker/tasks/index.ts";
import { line, openShop, placeOrder, type Shop } from "../db/sales/shop.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/db.ts";
import { runJobsOnce } from "../helpers/worker.ts";

let db: TestDatabase;
let shop: Shop;
beforeAll(async () => {
  db = await createTestDatabase();
  shop = await openShop(db, { timezone: "Asia/Muscat", items: [{ sku: "BOX", name: "Lunch box", price: 2500 }] });
});
afterAll(() => db?.drop());

const lastMonthNoon = () => {
  const d = new Date();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 10, 8)).toISOString();
};

async function accountWithSaleLastMonth(name: string, terms: number) {
  const { rows: [c] } = await shop.manager.query("select * from app_public.create_customer(kind => 'company', company_name => $1)", [name]);
  await shop.manager.query("select app_public.open_customer_account($1, 100000, $2, 'Catering contract')", [c.id, terms]);
  const order = await placeOrder(shop.owner, shop.locationId, [line(shop.item.BOX, 4)], { customerId: c.id, open: true, placedAt: lastMonthNoon() });
  await shop.cashier.query("select app_public.record_tender($1, 'account', $2)", [order.id, order.total]);
  return c;
}

it("invoice_accounts, queued twice, makes one invoice per account for last month's sales", async () => {
  const office = await accountWithSaleLastMonth("Tower Offices", 30);
  await db.owner.query("select graphile_worker.add_job('invoice_accounts', '{}'::json)");
  await db.owner.query("select graphile_worker.add_job('invoice_accounts', '{}'::json)");
  await runJobsOnce(db, { invoice_accounts: taskList.invoice_accounts });
  await runJobsOnce(db, { invoice_accounts: taskList.invoice_accounts });
  const { rows } = await shop.manager.query(
    "select invoice_number, total::int, source, app_public.account_invoices_state(i) as state from app_public.account_invoices i where customer_id = $1", [office.id]);
  expect(rows).toEqual([{ invoice_number: expect.stringMatching(/^INV-\d{4}-\d{5}$/), total: 10000, source: "monthly", state: "open" }]);
  // Both runs are in the run log, the first with one invoice made.
  const { rows: runs } = await db.owner.query(
    "select outcome, rows_affected as rows from app_private.job_runs where task = 'invoice_accounts' order by started_at");
  expect(runs.map((r) => [r.outcome, Number(r.rows)])).toEqual([["succeeded", 1], ["succeeded", 0]]);
});

it("suspend_overdue_accounts suspends for non-payment the accounts overdue past the business's setting, once", async () => {
  const late = await accountWithSaleLastMonth("Slow Payers LLC", 0);
  // Invoiced 20 days ago, due the same day; the business suspends after 14 days overdue.
  await db.owner.query("select app_private.issue_account_invoice($1, $2, app_hidden.tenant_today($1), 'on_demand', now() - interval '20 days')", [shop.tenantId, late.id]);
  await shop.owner.query("update app_public.tenants set account_overdue_suspend_days = 14");
  await db.owner.query("select graphile_worker.add_job('suspend_overdue_accounts', '{}'::json)");
  await runJobsOnce(db, { suspend_overdue_accounts: taskList.suspend_overdue_accounts });
  await db.owner.query("select graphile_worker.add_job('suspend_overdue_accounts', '{}'::json)");
  await runJobsOnce(db, { suspend_overdue_accounts: taskList.suspend_overdue_accounts });

  const { rows } = await shop.manager.query(
    "select type, reason, suspended_by_user_id from app_public.account_suspensions where customer_id = $1", [late.id]);
  expect(rows).toEqual([{ type: "non_payment", reason: expect.stringMatching(/^Invoice INV-\d{4}-\d{5} overdue by 20 days \(automatic\)\.$/), suspended_by_user_id: null }]);
  const { rows: [c] } = await shop.manager.query("select account_status from app_public.customers where id = $1", [late.id]);
  expect(c.account_status).toBe("suspended");
  const { rows: actions } = await shop.manager.query("select action, actor_user_id from app_public.account_actions where customer_id = $1 and action = 'suspend'", [late.id]);
  expect(actions).toEqual([{ action: "suspend", actor_user_id: null }]);
});
