// Issue 18's "done when", in SQL as the real roles: a company buys on account three times, is
// invoiced by the monthly run (run twice: one invoice), pays part then the rest, and at each step
// the statement's closing balance, the receivables by age and the ledger agree to the cent. Then
// the rules around it: the credit limit, suspension with its typed reason, voids credited back,
// the action log, who may see and do what.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.ts";
import { line, openShop, placeOrder, type Shop } from "../sales/shop.ts";

let db: TestDatabase;
let shop: Shop;
beforeAll(async () => {
  db = await createTestDatabase();
  shop = await openShop(db, { taxRateBps: 1000, timezone: "UTC", items: [{ sku: "TRAY", name: "Pastry tray", price: 4500 }] });
});
afterAll(() => db?.drop());

const today = () => new Date().toISOString().slice(0, 10);
/** A day of the previous month (UTC), at noon. */
const lastMonth = (day: number) => {
  const d = new Date();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, day, 12)).toISOString();
};

async function company(name: string) {
  return (await shop.manager.query("select * from app_public.create_customer(kind => 'company', company_name => $1)", [name])).rows[0];
}

async function openAccount(customerId: string, limit: number, terms = 30) {
  return (await shop.manager.query("select * from app_public.open_customer_account($1, $2, $3, 'Monthly supply contract')",
    [customerId, limit, terms])).rows[0];
}

/** A sale at the till charged to the customer's account; placedAt makes it a sale of that day. */
async function sellOnAccount(customerId: string, quantity: number, placedAt?: string) {
  // Only an owner records a sale of a past day.
  const order = await placeOrder(placedAt ? shop.owner : shop.cashier, shop.locationId, [line(shop.item.TRAY, quantity)], { customerId, open: true, placedAt });
  await shop.cashier.query("select app_public.record_tender($1, 'account', $2)", [order.id, order.total - order.paid_total]);
  return (await shop.cashier.query("select * from app_public.orders where id = $1", [order.id])).rows[0];
}

async function balance(customerId: string) {
  return Number((await shop.manager.query(
    "select app_public.customer_accounts_balance(a) as b from app_public.customer_accounts a where customer_id = $1", [customerId])).rows[0].b);
}

async function statement(customerId: string, from: string, until: string) {
  const { rows } = await shop.manager.query("select * from app_public.account_statement($1, $2, $3)", [customerId, from, until]);
  return rows.map((r) => ({ ...r, debit: r.debit === null ? null : Number(r.debit), credit: r.credit === null ? null : Number(r.credit), balance: Number(r.balance) }));
}

async function aging(customerId: string) {
  const { rows } = await shop.manager.query("select * from app_public.receivables_aging() where customer_id = $1", [customerId]);
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "string" && /^-?\d+$/.test(v) ? Number(v) : v])))[0];
}

describe("a company buys on account, is invoiced and pays", () => {
  it("three sales on account, one monthly invoice however often the run goes, a partial then a full payment; statement, receivables and ledger agree to the cent", async () => {
    const acme = await company("Acme Offices");
    const account = await openAccount(acme.id, 100000); // 1,000.00 limit
    expect(account.account_number).toMatch(new RegExp(`^CT-${new Date().getUTCFullYear()}-00001$`));

    // Three sales of last month: 2, 1 and 3 trays at 45.00 + 10 % tax.
    const sales = [await sellOnAccount(acme.id, 2, lastMonth(5)), await sellOnAccount(acme.id, 1, lastMonth(12)), await sellOnAccount(acme.id, 3, lastMonth(20))];
    expect(sales.map((s) => [s.status, s.total, s.paid_total])).toEqual([["placed", 9900, 9900], ["placed", 4950, 4950], ["placed", 14850, 14850]]);
    expect(await balance(acme.id)).toBe(29700);

    // The monthly run (the worker's hourly task): one invoice; run again, none more.
    expect((await db.owner.query("select app_private.run_monthly_invoicing() as n")).rows[0].n).toBe(1);
    expect((await db.owner.query("select app_private.run_monthly_invoicing() as n")).rows[0].n).toBe(0);
    const { rows: invoices } = await shop.manager.query(
      "select i.*, app_public.account_invoices_state(i) as state, app_public.account_invoices_amount_due(i) as due from app_public.account_invoices i where customer_id = $1", [acme.id]);
    expect(invoices).toHaveLength(1);
    const inv = invoices[0];
    expect(inv.invoice_number).toMatch(new RegExp(`^INV-${new Date().getUTCFullYear()}-00001$`));
    expect([Number(inv.net_total), Number(inv.tax_total), Number(inv.total), inv.status, inv.state, inv.source]).toEqual([27000, 2700, 29700, "open", "open", "monthly"]);
    expect(inv.issued_on.toISOString().slice(0, 10)).toBe(today());
    expect((inv.due_on - inv.issued_on) / 86_400_000).toBe(30);
    const { rows: lines } = await shop.manager.query(
      "select line_no, description, net_amount::int as net, tax_amount::int as tax, tax_rate_bps as rate, amount::int from app_public.account_invoice_lines where invoice_id = $1 order by line_no", [inv.id]);
    expect(lines.map((l) => [l.net, l.tax, l.rate, l.amount])).toEqual([[9000, 900, 1000, 9900], [4500, 450, 1000, 4950], [13500, 1350, 1000, 14850]]);
    expect(lines[0].description).toMatch(/^Sale \d{4}-\d{2}-05 · Main store$/);
    const { rows: taxes } = await shop.manager.query("select * from app_public.account_invoices_taxes((select i from app_public.account_invoices i where id = $1))", [inv.id]);
    expect(taxes.map((t) => [t.tax_rate_bps, Number(t.net_amount), Number(t.tax_amount)])).toEqual([[1000, 27000, 2700]]);

    const from = lastMonth(1).slice(0, 10);
    const agree = async (owed: number) => {
      const s = await statement(acme.id, from, today());
      const closing = s[s.length - 1];
      expect(closing).toMatchObject({ kind: "closing", balance: owed });
      expect(await balance(acme.id)).toBe(owed);
      const a = await aging(acme.id);
      if (owed === 0) expect(a).toBeUndefined();
      else expect(a.total).toBe(owed);
      return { s, a };
    };

    // Part: 100.00 by bank transfer. The invoice stays open with 197.00 due.
    await shop.manager.query("select app_public.record_account_payment($1, 10000, 'bank_transfer', 'TRX-1')", [acme.id]);
    const { s, a } = await agree(19700);
    expect(a).toMatchObject({ account_number: account.account_number, customer_name: "Acme Offices", current: 19700, days_1_to_30: 0, days_90_plus: 0 });
    expect(s.map((l) => [l.kind, l.reference, l.debit, l.credit, l.balance])).toEqual([
      ["opening", null, null, null, 0],
      ["sale", inv.invoice_number, 9900, null, 9900],
      ["sale", inv.invoice_number, 4950, null, 14850],
      ["sale", inv.invoice_number, 14850, null, 29700],
      ["payment", "TRX-1", null, 10000, 19700],
      ["closing", null, null, null, 19700],
    ]);
    let after = (await shop.manager.query("select status, amount_paid::int from app_public.account_invoices where id = $1", [inv.id])).rows[0];
    expect(after).toEqual({ status: "open", amount_paid: 10000 });

    // The rest: the invoice is paid, nothing is owed, the account drops out of the receivables.
    await shop.manager.query("select app_public.record_account_payment($1, 19700, 'cash')", [acme.id]);
    await agree(0);
    after = (await shop.manager.query("select status, amount_paid::int from app_public.account_invoices where id = $1", [inv.id])).rows[0];
    expect(after).toEqual({ status: "paid", amount_paid: 29700 });

    // The company's own data request carries its account.
    const doc = (await db.owner.query("select app_private.customer_data_document($1, $2) as d", [shop.tenantId, acme.id])).rows[0].d;
    expect(doc.account).toMatchObject({ account_number: account.account_number, balance: 0 });
    expect(doc.account.invoices.map((i: { invoice_number: string; status: string }) => [i.invoice_number, i.status])).toEqual([[inv.invoice_number, "paid"]]);
    expect(doc.account.payments.map((p: { method: string; amount: number }) => [p.method, p.amount])).toEqual([["bank_transfer", 10000], ["cash", 19700]]);
    expect(doc.account.actions.map((a: { action: string; reason: string }) => [a.action, a.reason])).toEqual([["open", "Monthly supply contract"]]);
  });

  it("an invoice past its due date is overdue and ages by days past due; the statement still agrees with the receivables", async () => {
    const late = await company("Late Payers Ltd");
    await openAccount(late.id, 100000, 0); // due on the day it is issued
    await sellOnAccount(late.id, 2, lastMonth(3));
    // Invoiced 45 days ago (a moved clock for the run), due that day.
    const at = new Date(Date.now() - 45 * 86_400_000).toISOString();
    const { rows: [inv] } = await db.owner.query(
      "select * from app_private.issue_account_invoice($1, $2, $3::date, 'on_demand', $4)", [shop.tenantId, late.id, today(), at]);
    expect(inv.invoice_number).toMatch(/^INV-\d{4}-\d{5}$/);
    const { rows: [seen] } = await shop.manager.query(
      "select app_public.account_invoices_state(i) as state, app_public.account_invoices_days_overdue(i) as days from app_public.account_invoices i where id = $1", [inv.id]);
    expect(seen).toEqual({ state: "overdue", days: 45 });
    const { rows: [acct] } = await shop.manager.query(
      "select app_public.customer_accounts_overdue_total(a)::int as overdue from app_public.customer_accounts a where customer_id = $1", [late.id]);
    expect(acct.overdue).toBe(9900);
    // The Invoices page's list: overdue first, then the others newest first; a state filters by the same rule.
    const { rows: listed } = await shop.manager.query(
      "select invoice_number, app_public.account_invoices_state(i) as state from app_public.account_invoices_in_state() i");
    expect(listed[0]).toEqual({ invoice_number: inv.invoice_number, state: "overdue" });
    expect(listed.slice(1).map((r) => r.state)).not.toContain("overdue");
    const { rows: overdueOnly } = await shop.manager.query("select invoice_number from app_public.account_invoices_in_state('overdue')");
    expect(overdueOnly).toEqual([{ invoice_number: inv.invoice_number }]);
    expect((await shop.cashier.query("select count(*)::int as n from app_public.account_invoices_in_state()")).rows[0].n).toBe(0);
    await expect(shop.manager.query("select * from app_public.account_invoices_in_state('late')")).rejects.toMatchObject({ code: "BADIN" });
    // A sale not invoiced yet is current; the invoice is 31–60 days past due.
    await sellOnAccount(late.id, 1);
    expect(await aging(late.id)).toMatchObject({ current: 4950, days_1_to_30: 0, days_31_to_60: 9900, total: 14850 });
    const s = await statement(late.id, lastMonth(1).slice(0, 10), today());
    expect(s[s.length - 1].balance).toBe(14850);
    // Aged 30 days from now, the invoice is 61–90 days past due and the sale still current; a past day is refused.
    const later = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const { rows: [ahead] } = await shop.manager.query("select * from app_public.receivables_aging($1) where customer_id = $2", [later, late.id]);
    expect([Number(ahead.current), Number(ahead.days_61_to_90), Number(ahead.total)]).toEqual([4950, 9900, 14850]);
    await expect(shop.manager.query("select * from app_public.receivables_aging(current_date - 1)")).rejects.toMatchObject({ code: "BADIN" });
    // The report's totals row is every account's column added up in the database.
    const { rows: all } = await shop.manager.query("select * from app_public.receivables_aging($1)", [later]);
    const { rows: [totals] } = await shop.manager.query("select * from app_public.receivables_aging_totals($1)", [later]);
    for (const column of ["current", "days_1_to_30", "days_31_to_60", "days_61_to_90", "days_90_plus", "total"]) {
      expect(Number(totals[column])).toBe(all.reduce((sum, r) => sum + Number(r[column]), 0));
    }
    expect(Number(totals.days_61_to_90)).toBeGreaterThanOrEqual(9900);
    await expect(shop.cashier.query("select * from app_public.receivables_aging_totals()")).rejects.toMatchObject({ code: "DNIED" });
  });
});

describe("the till's account tender", () => {
  it("refuses a customer erased after their order was opened with ERASD, not as a suspended account", async () => {
    const dee = (await shop.manager.query("select * from app_public.create_customer(first_name => 'Dee', email => 'dee@example.com')")).rows[0];
    await openAccount(dee.id, 10000);
    const order = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.TRAY, 1)], { customerId: dee.id, open: true });
    await shop.owner.query("select app_public.erase_customer($1, 'Asked in the shop')", [dee.id]);
    await expect(shop.cashier.query("select app_public.record_tender($1, 'account', $2)", [order.id, order.total]))
      .rejects.toMatchObject({ code: "ERASD", message: expect.stringContaining("erased") });
    expect(await balance(dee.id)).toBe(0);
  });


  it("refuses a sale over the credit limit, on a suspended account, without an account or a customer, and for less than the amount due", async () => {
    const cafe = await company("Corner Cafe");
    await openAccount(cafe.id, 10000); // 100.00
    await sellOnAccount(cafe.id, 2); // 99.00
    const order = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.TRAY, 1)], { customerId: cafe.id, open: true });
    await expect(shop.cashier.query("select app_public.record_tender($1, 'account', $2)", [order.id, order.total]))
      .rejects.toMatchObject({ code: "CRLIM", message: expect.stringContaining("1.00 USD available") });
    await expect(shop.cashier.query("select app_public.record_tender($1, 'account', 100)", [order.id]))
      .rejects.toMatchObject({ code: "BADAM" });

    await shop.manager.query("select app_public.suspend_customer_account($1, 'non_payment', 'Cheque bounced')", [cafe.id]);
    await shop.manager.query("select app_public.set_customer_account_terms($1, 50000, 30, 'Raised after review')", [cafe.id]);
    await expect(shop.cashier.query("select app_public.record_tender($1, 'account', $2)", [order.id, order.total]))
      .rejects.toMatchObject({ code: "ACSUS", message: expect.stringContaining("Cheque bounced") });
    await expect(shop.manager.query("select app_public.suspend_customer_account($1, 'fraud', 'Again')", [cafe.id])).rejects.toMatchObject({ code: "ACSUS" });
    await expect(shop.manager.query("select app_public.suspend_customer_account($1, 'whim', 'x')", [(await company("Other")).id]))
      .rejects.toMatchObject({ code: "NOACC" });
    await shop.manager.query("select app_public.reactivate_customer_account($1, 'Paid by transfer')", [cafe.id]);
    await shop.cashier.query("select app_public.record_tender($1, 'account', $2)", [order.id, order.total]);
    await expect(shop.manager.query("select app_public.reactivate_customer_account($1, 'again')", [cafe.id])).rejects.toMatchObject({ code: "ACNSP" });

    const walkIn = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.TRAY, 1)], { open: true });
    await expect(shop.cashier.query("select app_public.record_tender($1, 'account', $2)", [walkIn.id, walkIn.total])).rejects.toMatchObject({ code: "NOACC" });
    const stranger = await company("No Account Inc");
    const theirs = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.TRAY, 1)], { customerId: stranger.id, open: true });
    await expect(shop.cashier.query("select app_public.record_tender($1, 'account', $2)", [theirs.id, theirs.total])).rejects.toMatchObject({ code: "NOACC" });

    // The history of the suspension and the action log, each with its reason and the account before and after.
    const { rows: suspensions } = await shop.manager.query(
      "select type, reason, reactivation_reason, suspended_by_user_id = $2 as by_manager from app_public.account_suspensions where customer_id = $1", [cafe.id, shop.manager.userId]);
    expect(suspensions).toEqual([{ type: "non_payment", reason: "Cheque bounced", reactivation_reason: "Paid by transfer", by_manager: true }]);
    const { rows: actions } = await shop.manager.query(
      "select action, reason, before, after from app_public.account_actions where customer_id = $1 order by created_at, id", [cafe.id]);
    expect(actions.map((a) => [a.action, a.reason])).toEqual([
      ["open", "Monthly supply contract"], ["suspend", "Cheque bounced"], ["terms_change", "Raised after review"], ["reactivate", "Paid by transfer"],
    ]);
    expect(actions[2].before).toMatchObject({ credit_limit: 10000, balance: 9900, account_status: "suspended" });
    expect(actions[2].after).toMatchObject({ credit_limit: 50000 });
  });

  it("a void or a refund of a sale on account is a credit note on the account; after the sale was invoiced it pays that invoice down", async () => {
    const bakery = await company("Bakery Bros");
    await openAccount(bakery.id, 100000);
    const voided = await sellOnAccount(bakery.id, 1);
    await shop.manager.query("select app_public.void_order($1, 'Wrong customer')", [voided.id]);
    expect(await balance(bakery.id)).toBe(0);

    const sale = await sellOnAccount(bakery.id, 2);
    const { rows: [inv] } = await shop.manager.query("select * from app_public.invoice_customer_account($1)", [bakery.id]);
    // The voided sale and its credit note netted on this invoice; only the live sale is owed.
    expect(Number(inv.total)).toBe(9900);
    const { rows: lines } = await shop.manager.query("select amount::int from app_public.account_invoice_lines where invoice_id = $1 order by line_no", [inv.id]);
    expect(lines.map((l) => l.amount)).toEqual([4950, -4950, 9900]);
    await expect(shop.manager.query("select app_public.invoice_customer_account($1)", [bakery.id])).rejects.toMatchObject({ code: "NOINV" });

    // One tray of the invoiced sale refunded: a credit note that pays the invoice down by 49.50.
    const { rows: [saleLine] } = await shop.manager.query("select id from app_public.order_lines where order_id = $1", [sale.id]);
    await shop.manager.query("select app_public.refund_order_lines($1, $2::jsonb, 'One tray damaged')",
      [sale.id, JSON.stringify([{ order_line_id: saleLine.id, quantity: 1 }])]);
    expect(await balance(bakery.id)).toBe(4950);
    const { rows: [now] } = await shop.manager.query("select status, amount_paid::int from app_public.account_invoices where id = $1", [inv.id]);
    expect(now).toEqual({ status: "open", amount_paid: 4950 });
    expect(await aging(bakery.id)).toMatchObject({ current: 4950, total: 4950 });
    const { rows: entries } = await shop.manager.query(
      "select kind, amount::int, net_amount::int as net, tax_amount::int as tax from app_public.account_entries where customer_id = $1 order by created_at, id", [bakery.id]);
    expect(entries).toEqual([
      { kind: "sale", amount: 4950, net: 4500, tax: 450 }, { kind: "credit_note", amount: -4950, net: -4500, tax: -450 },
      { kind: "sale", amount: 9900, net: 9000, tax: 900 }, { kind: "credit_note", amount: -4950, net: -4500, tax: -450 },
    ]);

    // Voiding the invoice lets its sales go to the next one; the refund's credit then goes with its sale.
    await shop.manager.query("select app_public.void_account_invoice($1, 'Sent to the wrong address')", [inv.id]);
    const { rows: [next] } = await shop.manager.query("select * from app_public.invoice_customer_account($1)", [bakery.id]);
    expect([Number(next.total), next.status]).toEqual([4950, "open"]);
    expect(await aging(bakery.id)).toMatchObject({ total: 4950 });
  });
});

describe("settling and the monthly run's once a month", () => {
  it("an account in credit is settled by paying the credit back, after which the customer can be erased", async () => {
    const shopper = await company("Overpaid Partners");
    await openAccount(shopper.id, 100000);
    const sale = await sellOnAccount(shopper.id, 2);
    await shop.manager.query("select app_public.invoice_customer_account($1)", [shopper.id]);
    await shop.manager.query("select app_public.record_account_payment($1, 9900, 'bank_transfer', 'TRX-9')", [shopper.id]);
    // The paid sale is voided: the account is 99.00 in credit, which no invoice uses.
    await shop.manager.query("select app_public.void_order($1, 'Returned the trays')", [sale.id]);
    expect(await balance(shopper.id)).toBe(-9900);
    const unused = async () => Number((await shop.manager.query(
      "select app_public.customer_accounts_unused_credit(a) as u from app_public.customer_accounts a where customer_id = $1", [shopper.id])).rows[0].u);
    expect(await unused()).toBe(9900);
    await expect(shop.owner.query("select app_public.erase_customer($1, 'Asked by mail')", [shopper.id])).rejects.toMatchObject({ code: "OPBAL" });
    await expect(shop.manager.query("select app_public.refund_account_credit($1, 9901, 'bank_transfer', 'Too much')", [shopper.id]))
      .rejects.toMatchObject({ code: "BADAM" });

    await shop.manager.query("select app_public.refund_account_credit($1, 9900, 'bank_transfer', 'Trays returned')", [shopper.id]);
    expect([await balance(shopper.id), await unused()]).toEqual([0, 0]);
    const s = await statement(shopper.id, today(), today());
    expect(s.slice(-2).map((l) => [l.kind, l.description, l.debit, l.balance])).toEqual([
      ["refund", "Credit paid back by bank transfer: Trays returned", 9900, 0], ["closing", "Closing balance", null, 0],
    ]);
    // Paid back credit is never used by a later invoice.
    await sellOnAccount(shopper.id, 1);
    const { rows: [later] } = await shop.manager.query("select * from app_public.invoice_customer_account($1)", [shopper.id]);
    expect([Number(later.total), Number(later.amount_paid), later.status]).toEqual([4950, 0, "open"]);
    await shop.manager.query("select app_public.record_account_payment($1, 4950, 'cash')", [shopper.id]);
    await shop.manager.query("select app_public.suspend_customer_account($1, 'customer_request', 'Mr Overpaid is moving to Lisbon')", [shopper.id]);
    await shop.manager.query("select app_public.reactivate_customer_account($1, 'Back from Lisbon')", [shopper.id]);
    await shop.owner.query("select app_public.erase_customer($1, 'Asked by mail')", [shopper.id]);

    // The erasure blanks the reasons the account kept; every amount, kind and number stays.
    const { rows: actions } = await shop.manager.query(
      "select action, reason, before, after from app_public.account_actions where customer_id = $1 order by created_at, id", [shopper.id]);
    expect(actions.map((a) => a.action)).toEqual(["open", "credit_refund", "suspend", "reactivate"]);
    expect(new Set(actions.map((a) => a.reason))).toEqual(new Set(["[erased]"]));
    expect(JSON.stringify(actions)).not.toMatch(/Lisbon|Trays returned|supply contract/);
    const { rows: suspensions } = await shop.manager.query(
      "select type, reason, reactivation_reason from app_public.account_suspensions where customer_id = $1", [shopper.id]);
    expect(suspensions).toEqual([{ type: "customer_request", reason: "[erased]", reactivation_reason: "[erased]" }]);
    const { rows: ledger } = await shop.manager.query(
      "select kind, amount::int, memo from app_public.account_entries where customer_id = $1 and kind = 'refund'", [shopper.id]);
    expect(ledger).toEqual([{ kind: "refund", amount: 9900, memo: "[erased]" }]);
    expect(await balance(shopper.id)).toBe(0);
    const { rows: [inv] } = await shop.manager.query("select count(*)::int as n, sum(total)::int as total from app_public.account_invoices where customer_id = $1", [shopper.id]);
    expect(inv).toEqual({ n: 2, total: 9900 + 4950 });
  });

  it("the monthly run invoices a month once: a voided monthly invoice's sales wait for an invoice on demand or next month", async () => {
    const monthly = await company("Once A Month Co");
    await openAccount(monthly.id, 100000);
    await sellOnAccount(monthly.id, 1, lastMonth(2));
    expect((await db.owner.query("select count(*)::int as n from app_private.monthly_invoicing_due() where customer_id = $1", [monthly.id])).rows[0].n).toBe(1);
    await db.owner.query("select app_private.run_monthly_invoicing()");
    const { rows: [inv] } = await shop.manager.query("select id from app_public.account_invoices where customer_id = $1", [monthly.id]);
    await shop.manager.query("select app_public.void_account_invoice($1, 'Wrong terms')", [inv.id]);
    // A late sale of last month (imported) and the voided invoice's sale: not invoiced again by the run.
    await sellOnAccount(monthly.id, 2, lastMonth(27));
    expect((await db.owner.query("select app_private.run_monthly_invoicing() as n")).rows[0].n).toBe(0);
    const { rows: [again] } = await shop.manager.query("select * from app_public.invoice_customer_account($1)", [monthly.id]);
    expect([Number(again.total), again.source]).toEqual([4950 + 9900, "on_demand"]);
  });

  it("the overdue sweep leaves alone an account a member reactivated after it was suspended", async () => {
    const promised = await company("Promised To Pay");
    await openAccount(promised.id, 100000, 0);
    await sellOnAccount(promised.id, 1, lastMonth(4));
    await db.owner.query("select app_private.issue_account_invoice($1, $2, current_date, 'on_demand', now() - interval '20 days')", [shop.tenantId, promised.id]);
    await shop.owner.query("update app_public.tenants set account_overdue_suspend_days = 14");
    try {
      expect((await db.owner.query("select app_private.suspend_overdue_accounts() as n")).rows[0].n).toBeGreaterThanOrEqual(1);
      await shop.manager.query("select app_public.reactivate_customer_account($1, 'Promised to pay on Friday')", [promised.id]);
      expect((await db.owner.query("select count(*)::int as n from app_private.overdue_accounts_to_suspend() where customer_id = $1", [promised.id])).rows[0].n).toBe(0);
      await db.owner.query("select app_private.suspend_overdue_accounts()");
      const { rows: [c] } = await shop.manager.query("select account_status from app_public.customers where id = $1", [promised.id]);
      expect(c.account_status).toBe("active");
    } finally {
      await shop.owner.query("update app_public.tenants set account_overdue_suspend_days = null");
    }
  });
});

describe("who may see and do what", () => {
  it("cashiers sell on account and see the available credit but not the account; managers act; commands need a reason; another business sees nothing", async () => {
    const firm = await company("Firm & Co");
    await expect(shop.cashier.query("select app_public.open_customer_account($1, 1000, 30, 'x')", [firm.id])).rejects.toMatchObject({ code: "DNIED" });
    await expect(shop.manager.query("select app_public.open_customer_account($1, 1000, 30, '')", [firm.id])).rejects.toMatchObject({ code: "BADIN" });
    await expect(shop.manager.query("select app_public.open_customer_account($1, -1, 30, 'ok')", [firm.id])).rejects.toMatchObject({ code: "BADIN" });
    await openAccount(firm.id, 20000);
    await expect(openAccount(firm.id, 20000)).rejects.toMatchObject({ code: "ACEXS" });
    await sellOnAccount(firm.id, 1);

    const { rows: [c] } = await shop.cashier.query(
      "select app_public.customers_account_available_credit(c) as available, app_public.customers_account_number(c) as number from app_public.customers c where id = $1", [firm.id]);
    expect(c).toEqual({ available: String(20000 - 4950), number: expect.stringMatching(/^CT-/) });
    expect((await shop.cashier.query("select count(*)::int as n from app_public.customer_accounts")).rows[0].n).toBe(0);
    expect((await shop.cashier.query("select count(*)::int as n from app_public.account_entries")).rows[0].n).toBe(0);
    await expect(shop.cashier.query("select * from app_public.account_statement($1, current_date, current_date)", [firm.id])).rejects.toMatchObject({ code: "DNIED" });
    await expect(shop.cashier.query("select app_public.record_account_payment($1, 100, 'cash')", [firm.id])).rejects.toMatchObject({ code: "DNIED" });

    // The customer form cannot change what the account's commands own.
    await expect(shop.manager.query(
      "select app_public.update_customer($1, jsonb_populate_record(null::app_public.customer_changes, $2::jsonb))", [firm.id, JSON.stringify({ credit_limit: 999999 })])).rejects.toMatchObject({ code: "ACCMD" });
    // A person's account is allowed too, and the person keeps being editable.
    const { rows: [pat] } = await shop.manager.query("select * from app_public.create_customer(first_name => 'Pat', last_name => 'Regular')");
    await openAccount(pat.id, 5000);
    await shop.manager.query(
      "select app_public.update_customer($1, jsonb_populate_record(null::app_public.customer_changes, $2::jsonb))", [pat.id, JSON.stringify({ first_name: "Patricia" })]);
    // A customer with an account is not merged into another one.
    await expect(shop.manager.query("select app_public.merge_customers($1, $2)", [firm.id, pat.id])).rejects.toMatchObject({ code: "ACMRG" });
    // Nor erased while it owes.
    await expect(shop.owner.query("select app_public.erase_customer($1, 'Asked by mail')", [firm.id])).rejects.toMatchObject({ code: "OPBAL" });

    const other = await db.onboard();
    expect((await other.query("select count(*)::int as n from app_public.customer_accounts")).rows[0].n).toBe(0);
    expect((await other.query("select count(*)::int as n from app_public.receivables_aging()")).rows[0].n).toBe(0);
    expect(Number((await other.query("select total from app_public.receivables_aging_totals()")).rows[0].total)).toBe(0);
    await expect(other.query("select app_public.record_account_payment($1, 100, 'cash')", [firm.id])).rejects.toMatchObject({ code: "NOACC" });
    await expect(other.query("select * from app_public.account_statement($1, current_date, current_date)", [firm.id])).rejects.toMatchObject({ code: "NOACC" });
  });
});

describe("concurrency", () => {
  it("20 concurrent sales on one account: exactly those within the credit limit succeed, the others get CRLIM", async () => {
    const { terminal } = await import("../sales/shop.ts");
    const busy = await company("Busy Office");
    await openAccount(busy.id, 4950 * 7); // room for exactly 7 one-tray sales
    const orders = [];
    for (let i = 0; i < 20; i++) orders.push(await placeOrder(shop.cashier, shop.locationId, [line(shop.item.TRAY, 1)], { customerId: busy.id, open: true }));
    const tills = await Promise.all(orders.map(() => terminal(db, shop.cashier)));
    try {
      const results = await Promise.allSettled(orders.map((o, i) => tills[i].query("select app_public.record_tender($1, 'account', $2)", [o.id, o.total])));
      const failures = results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason.code);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(7);
      expect(failures).toEqual(Array(13).fill("CRLIM"));
    } finally {
      await Promise.all(tills.map((t) => t.end()));
    }
    expect(await balance(busy.id)).toBe(4950 * 7);
  });

  it("accounts opened at once get consecutive numbers of the year, without gaps", async () => {
    const { terminal } = await import("../sales/shop.ts");
    const firms = [];
    for (let i = 0; i < 8; i++) firms.push(await company(`Parallel ${i}`));
    const before = (await shop.manager.query("select count(*)::int as n from app_public.customer_accounts")).rows[0].n;
    const desks = await Promise.all(firms.map(() => terminal(db, shop.manager)));
    try {
      await Promise.all(firms.map((f, i) => desks[i].query("select app_public.open_customer_account($1, 1000, 30, 'Opened together')", [f.id])));
    } finally {
      await Promise.all(desks.map((d) => d.end()));
    }
    const { rows } = await shop.manager.query("select account_number from app_public.customer_accounts order by account_number");
    const year = new Date().getUTCFullYear();
    expect(rows.map((r) => r.account_number)).toEqual(Array.from({ length: before + 8 }, (_, i) => `CT-${year}-${String(i + 1).padStart(5, "0")}`));
  });

  it("the monthly run twice at once makes one invoice per account", async () => {
    const twin = await company("Twin Runs Ltd");
    await openAccount(twin.id, 100000);
    await sellOnAccount(twin.id, 1, lastMonth(8));
    const [a, b] = await Promise.all([
      db.owner.query("select app_private.run_monthly_invoicing() as n"),
      db.owner.query("select app_private.run_monthly_invoicing() as n"),
    ]);
    expect(a.rows[0].n + b.rows[0].n).toBeGreaterThanOrEqual(1);
    const { rows } = await shop.manager.query("select count(*)::int as n from app_public.account_invoices where customer_id = $1", [twin.id]);
    expect(rows[0].n).toBe(1);
  });
});
