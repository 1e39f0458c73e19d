// The demo data `npm start` creates on a new database: made through the product's own
// functions, and signed in to with the credentials the start-up prints.
import { afterAll, beforeAll, expect, it } from "vitest";
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
  await seedDemo(db.authUrl);
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
    `select count(*)::int as customers, count(*) filter (where total_visits > 0)::int as with_visits from ${customersWithStats} x`,
  );
  expect(regulars.rows[0].customers).toBe(60);
  expect(regulars.rows[0].with_visits).toBeGreaterThan(30);
  const events = await db.owner.query("select count(*)::int as n from app_private.events where type = 'order.placed.v1'");
  expect(events.rows[0].n).toBe(sales.rows[0].orders);
});
