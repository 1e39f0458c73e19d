// Demo selling on account (issue 18): one company customer with an account (a credit limit, net
// 30 days), a few office orders of last month charged to it at the till (place_order with the
// past time, record_tender type 'account'), last month's invoice made as the hourly worker task
// makes it (app_private.run_monthly_invoicing), and a bank transfer paying part of it
// (record_account_payment). The member's steps run as the API role with the given (owner's)
// session; the monthly invoicing, a task of no member, runs on the owner's connection as the
// worker does. Deterministic: fixed orders on fixed days of last month, a fixed payment.
import pg from "pg";
import { roles } from "./config.ts";

export const DEMO_ACCOUNT = {
  company: "Dockside Offices Ltd.",
  /** $1,500.00 in cents. */
  creditLimit: 150_000,
  paymentTermsDays: 30,
  /** $100.00 in cents, by bank transfer: less than the invoice's total. */
  payment: 10_000,
};

/** The office's orders: the day of last month (at 10:30 local time) and what it took, by SKU. */
const ORDERS: { day: number; lines: { sku: string; quantity: number }[] }[] = [
  { day: 6, lines: [{ sku: "FLW-01", quantity: 10 }, { sku: "LAT-01", quantity: 6 }] },
  { day: 13, lines: [{ sku: "AME-01", quantity: 12 }, { sku: "CAP-01", quantity: 4 }] },
  { day: 20, lines: [{ sku: "FLW-01", quantity: 8 }, { sku: "CBR-01", quantity: 8 }] },
];

const pad = (n: number) => String(n).padStart(2, "0");

export interface SeedAccountsSummary {
  customerId: string;
  orders: number;
  invoices: number;
}

/** Seeds the demo account; needs seedSales's catalog. Nothing when the company is there already. */
export async function seedAccounts(authUrl: string, ownerUrl: string, sessionId: string): Promise<SeedAccountsSummary | null> {
  const member = new pg.Client(authUrl);
  const owner = new pg.Client(ownerUrl);
  await member.connect();
  await owner.connect();
  const asMember = async () => {
    await member.query("begin");
    await member.query("select set_config('role', $1, true), set_config('app.session_id', $2, true)", [roles.visitor, sessionId]);
  };
  try {
    await asMember();
    const existing = await member.query("select 1 from app_public.customers where company_name = $1", [DEMO_ACCOUNT.company]);
    if (existing.rowCount) {
      await member.query("rollback");
      return null; // already seeded
    }

    // The first location, whose clock monthly invoicing follows, and "last month" as it counts
    // it (the month before the one that began at 02:00 local time).
    const { rows: locations } = await member.query<{ id: string; timezone: string; month: string }>(
      `select id, timezone,
              to_char(date_trunc('month', (now() at time zone timezone) - interval '2 hours') - interval '1 month', 'YYYY-MM') as month
       from app_public.locations order by created_at, id limit 1`,
    );
    const location = locations[0];
    if (!location) throw new Error("seedAccounts: the business has no location");
    const { rows: items } = await member.query<{ id: string; sku: string }>("select id, sku from app_public.catalog_items");
    const itemId = new Map(items.map((i) => [i.sku, i.id]));

    const { rows: created } = await member.query<{ id: string }>(
      `select (app_public.create_customer(kind => 'company', company_name => $1, email => 'accounts@dockside-offices.example.com',
               phone => '+1 212 555 0199', tags => array['wholesale'])).id`,
      [DEMO_ACCOUNT.company],
    );
    const customerId = created[0].id;
    await member.query("select app_public.open_customer_account($1, $2, $3, $4)", [
      customerId,
      DEMO_ACCOUNT.creditLimit,
      DEMO_ACCOUNT.paymentTermsDays,
      "Weekly office coffee, invoiced monthly",
    ]);

    // Sales of last month, each charged in full to the account at the till.
    for (const order of ORDERS) {
      const lines = order.lines.map((l) => {
        const id = itemId.get(l.sku);
        if (!id) throw new Error(`seedAccounts: no catalog item ${l.sku}`);
        return { catalog_item_id: id, quantity: l.quantity };
      });
      await member.query(
        `select app_public.record_tender(o.id, 'account', o.total::int)
         from app_public.place_order($1, $2::jsonb, $3, 0, ($4::timestamp at time zone $5)) o`,
        [location.id, JSON.stringify(lines), customerId, `${location.month}-${pad(order.day)}T10:30:00`, location.timezone],
      );
    }
    await member.query("commit");

    // Last month's invoice, as the worker's hourly task makes it on the 1st.
    const invoiced = await owner.query<{ n: number }>("select app_private.run_monthly_invoicing() as n");

    // Part of it paid by bank transfer today.
    await asMember();
    await member.query("select app_public.record_account_payment($1, $2, 'bank_transfer', $3)", [
      customerId,
      DEMO_ACCOUNT.payment,
      "TRF-DOCKSIDE-001",
    ]);
    await member.query("commit");
    return { customerId, orders: ORDERS.length, invoices: invoiced.rows[0].n };
  } catch (e) {
    await member.query("rollback").catch(() => {});
    throw e;
  } finally {
    await member.end();
    await owner.end();
  }
}
