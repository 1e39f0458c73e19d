// The local Stripe's test clock is moved days ahead in the billing tests, so its events come
// "from the future" for our database, which refuses events created more than 5 minutes ahead
// (app_hidden.receive_stripe_events). This lets one test database take them. Call it before the
// app connects: a setting of the database reaches new connections only. A setting of our own
// namespace, so a superuser's to set.
import pg from "pg";
import { testRootUrl } from "./env.ts";

export async function acceptStripeTestClock(database: string): Promise<void> {
  const root = new pg.Client(testRootUrl);
  await root.connect();
  try {
    await root.query(`alter database "${database.replace(/"/g, '""')}" set backoffice.stripe_created_tolerance = '3650 days'`);
  } finally {
    await root.end();
  }
}
