// The demo data `npm start` creates on a new database: made through the product's own
// functions, and signed in to with the credentials the start-up prints.
import { afterAll, beforeAll, expect, it } from "vitest";
import { DEMO_ACCOUNT } from "../../../db/seed-accounts.ts";
import { DEMO_LOGIN, isEmpty, seedDemo } from "../../../db/seed-demo.ts";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.ts";
import { customersWithStats } from "../customers/helpers.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

it("seeds a demo business whose printed sign-in works", { timeout: 120_000 }, async () => {
  expect(await isEmpty(db.ownerUrl)).toBe(true);
  await seedDemo(db.authUrl, db.ownerUrl);
  expect(await isEmpty(db.ownerUrl)).toBe(false);
  const demo = db.asSession(await db.signIn(DEMO_LOGIN.email, DEMO_LOGIN.password));
  const locations = await demo.query("select name, timezone from app_public.locations order by name");
  expect(locations.rows.length).toBe(2);
  expect(new Set(locations.rows.map((r) => r.timezone)).size).toBe(2);
  // Weeks of sales at both shops, with tenders and voids, made through the sales functions.
  const sales = await demo.query(
    "select count(distinct location_id)::int as shops, count(*)::int as orders, count(*) filter (where status = 'voided')::int as voids from app_public.orders",
  );
  expect(sales.rows[0].shops).toBe(2);
  expect(sales.rows[0].orders).toBeGreaterThan(300);
  expect(sales.rows[0].voids).toBeGreaterThan(0);
  // Regular customers whose visits and spend come from those sales.
  const regulars = await demo.query(
    `select count(*)::int as customers, count(*) filter (where total_visits > 0)::int as with_visits from ${customersWithStats} x where kind = 'person'`,
  );
  expect(regulars.rows[0].customers).toBe(60);
  expect(regulars.rows[0].with_visits).toBeGreaterThan(30);
  const events = await db.owner.query("select count(*)::int as n from app_private.events where type = 'order.placed.v1'");
  expect(events.rows[0].n).toBe(sales.rows[0].orders);

  // One company buying on account: last month's sales on its account, invoiced by the monthly
  // run, and a bank transfer paying part of that open invoice.
  const accounts = await demo.query(
    `select c.company_name, c.credit_limit, c.payment_terms_days, app_public.customer_accounts_balance(a) as balance
     from app_public.customer_accounts a join app_public.customers c on c.id = a.customer_id`,
  );
  expect(accounts.rows).toHaveLength(1);
  expect(accounts.rows[0]).toMatchObject({ company_name: DEMO_ACCOUNT.company, credit_limit: String(DEMO_ACCOUNT.creditLimit), payment_terms_days: 30 });
  const invoices = await demo.query(
    `select i.source, i.status, i.total::int, i.amount_paid::int as paid, app_public.account_invoices_amount_due(i)::int as due,
            i.due_on - i.issued_on as terms, i.period_end < date_trunc('month', i.issued_on) as last_month,
            (select count(*)::int from app_public.account_invoice_lines l where l.invoice_id = i.id) as lines
     from app_public.account_invoices i`,
  );
  expect(invoices.rows).toHaveLength(1);
  const invoice = invoices.rows[0];
  expect(invoice).toMatchObject({ source: "monthly", status: "open", paid: DEMO_ACCOUNT.payment, terms: 30, last_month: true, lines: 3 });
  expect(invoice.due).toBe(invoice.total - DEMO_ACCOUNT.payment);
  expect(invoice.due).toBeGreaterThan(0);
  expect(Number(accounts.rows[0].balance)).toBe(invoice.due);

  // Loyalty points are on with a reward to redeem; the regulars are stubs, who earn as the worker folds the sales.
  const points = await db.owner.query(
    `select p.enabled, (select count(*)::int from app_public.loyalty_point_rewards r where r.tenant_id = p.tenant_id and r.active) as rewards
     from app_public.loyalty_point_programs p`);
  expect(points.rows).toEqual([{ enabled: true, rewards: 1 }]);
  const stages = await db.owner.query("select count(*)::int as stubs from app_public.customers where stage = 'stub'");
  expect(stages.rows[0].stubs).toBeGreaterThan(30);
});
