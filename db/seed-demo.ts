// Demo data for a new database, made through the same SQL functions the product uses (never
// rows inserted behind their back). Later modules add their part in seedDemo.
import pg from "pg";
import { roles } from "./config.ts";
import { seedAccounts } from "./seed-accounts.ts";
import { seedSales } from "./seed-sales.ts";

export const DEMO_LOGIN = { email: "demo@backoffice.test", password: "backoffice-demo-1" };

/** True when the database has no tenant yet. */
export async function isEmpty(ownerUrl: string): Promise<boolean> {
  const client = new pg.Client(ownerUrl);
  await client.connect();
  try {
    const { rows } = await client.query("select not exists (select 1 from app_public.tenants) as empty");
    return rows[0].empty;
  } finally {
    await client.end();
  }
}

/** Seeds the demo business; the owner's connection runs what the worker does (monthly invoicing). */
export async function seedDemo(authUrl: string, ownerUrl: string): Promise<void> {
  const client = new pg.Client(authUrl);
  await client.connect();
  try {
    await client.query("begin");
    await client.query("select set_config('role', $1, true)", [roles.visitor]);
    const { rows } = await client.query("select app_hidden.onboard($1, $2, $3, $4, $5) as sid", [
      "Harbour Coffee Co.",
      "Dana Demo",
      DEMO_LOGIN.email,
      DEMO_LOGIN.password,
      "Europe/Lisbon",
    ]);
    await client.query("select set_config('app.session_id', $1, true)", [rows[0].sid]);
    await client.query("insert into app_public.locations (name, timezone) values ($1, $2)", ["Brooklyn Roastery", "America/New_York"]);
    // Loyalty points on before the sales, so the regulars (stubs: a name and a phone) hold points to redeem.
    await client.query("select app_public.update_loyalty_points_program(enabled => true)");
    await client.query("select app_public.create_loyalty_point_reward('Free coffee', 50, 350)");
    await client.query("commit");
    // A few weeks of sales at both shops, through place_order / record_tender / void_order.
    await seedSales(authUrl, rows[0].sid);
    // A company buying on account: last month's sales, their monthly invoice, part of it paid.
    await seedAccounts(authUrl, ownerUrl, rows[0].sid);
    await client.query("begin");
    await client.query("select set_config('role', $1, true), set_config('app.session_id', $2, true)", [roles.visitor, rows[0].sid]);
    await client.query("select app_hidden.logout()");
    await client.query("commit");
  } catch (e) {
    await client.query("rollback").catch(() => {});
    throw e;
  } finally {
    await client.end();
  }
}
