// The demo sales seed: weeks of consistent sales at two locations in different time zones,
// made through the product's functions, deterministic, and quick enough for start-up.
import { afterAll, beforeAll, expect, it } from "vitest";
import { seedSales, type SeedSalesSummary } from "../../../db/seed-sales.ts";
import { createTestDatabase, type Member, type TestDatabase } from "../../helpers/db.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

async function demoTenant(): Promise<Member> {
  const owner = await db.onboard({ company: "Harbour Coffee Co.", timezone: "Europe/Lisbon" });
  await owner.query("insert into app_public.locations (name, timezone) values ('Brooklyn Roastery', 'America/New_York')");
  return owner;
}

let owner: Member;
let summary: SeedSalesSummary;
const until = new Date(); // both seeded tenants stop at the same instant
let elapsed: number;

it("seeds weeks of sales at both locations in seconds", { timeout: 120_000 }, async () => {
  owner = await demoTenant();
  const started = Date.now();
  summary = await seedSales(db.authUrl, owner.sessionId!, { until });
  elapsed = Date.now() - started;
  // About 5 s on an idle developer machine. Wall-clock bounds are flaky on a shared runner, so
  // this only guards against accidental quadratic work.
  expect(elapsed).toBeLessThan(60_000);
  expect(summary.catalogItems).toBeGreaterThanOrEqual(20);
  expect(summary.orders).toBeGreaterThan(500);
  expect(summary.voids).toBeGreaterThan(0);

  const perLocation = await owner.query(
    `select l.timezone, count(*)::int as orders, count(distinct o.business_date)::int as days,
            max(o.business_date) <= (now() at time zone l.timezone)::date as not_future
     from app_public.orders o join app_public.locations l on l.id = o.location_id
     group by l.timezone order by l.timezone`,
  );
  expect(perLocation.rows.map((r) => r.timezone)).toEqual(["America/New_York", "Europe/Lisbon"]);
  for (const r of perLocation.rows) {
    expect(r.orders).toBeGreaterThan(100);
    expect(r.days).toBeGreaterThanOrEqual(20);
    expect(r.not_future).toBe(true);
  }
  // Opening hours are local: every order between 07:00 and 18:00 on the shop's clock.
  const hours = await owner.query(
    `select min(extract(hour from o.placed_at at time zone l.timezone))::int as first, max(extract(hour from o.placed_at at time zone l.timezone))::int as last
     from app_public.orders o join app_public.locations l on l.id = o.location_id`,
  );
  expect(hours.rows[0]).toEqual({ first: 7, last: 17 });
});

it("is consistent: totals add up, placed orders are paid, events match the rows", async () => {
  const checks = await db.owner.query(
    `select
       (select count(*)::int from app_public.orders o where o.tenant_id = $1 and o.total <>
          (select sum(l.total) from app_public.order_lines l where l.tenant_id = o.tenant_id and l.order_id = o.id)) as bad_totals,
       (select count(*)::int from app_public.orders o where o.tenant_id = $1 and o.paid_total <>
          (select coalesce(sum(t.applied_amount), 0) from app_public.tenders t where t.tenant_id = o.tenant_id and t.order_id = o.id)) as bad_paid,
       (select count(*)::int from app_public.orders o where o.tenant_id = $1 and o.status = 'placed' and o.amount_due <> 0) as unpaid,
       (select count(*)::int from app_public.orders where tenant_id = $1 and status = 'voided') as voided,
       (select count(*)::int from app_private.events where tenant_id = $1 and type = 'order.placed.v1') as placed_events,
       (select count(*)::int from app_private.events where tenant_id = $1 and type = 'order.voided.v1') as voided_events,
       (select count(*)::int from app_private.events where tenant_id = $1 and type = 'tender.recorded.v1') as tender_events,
       (select count(*)::int from app_private.events where tenant_id = $1 and type = 'inventory.movement.created.v1') as movement_events,
       (select count(*)::int from app_public.tenders where tenant_id = $1) as tenders,
       (select count(*)::int from app_public.inventory_movements where tenant_id = $1) as movements,
       (select array_agg(distinct reason order by reason) from app_public.inventory_movements where tenant_id = $1) as reasons,
       (select array_agg(distinct type order by type) from app_public.tenders where tenant_id = $1) as tender_types,
       (select count(*)::int from app_public.tenders where tenant_id = $1 and change_given > 0) as with_change,
       (select count(*)::int from app_public.catalog_items where tenant_id = $1 and not active) as inactive`,
    [owner.tenantId],
  );
  const c = checks.rows[0];
  expect(c).toMatchObject({ bad_totals: 0, bad_paid: 0, unpaid: 0, voided: summary.voids, placed_events: summary.orders, voided_events: summary.voids, tenders: summary.tenders, inactive: 1 });
  expect(c.tender_events).toBe(c.tenders);
  expect(c.movement_events).toBe(c.movements);
  expect(c.reasons).toEqual(["adjustment", "receive", "sale", "waste"]);
  expect(c.tender_types).toEqual(["card", "cash"]);
  expect(c.with_change).toBeGreaterThan(0);
});

it("is deterministic: another tenant seeded the same way gets the same sales", { timeout: 120_000 }, async () => {
  const again = await demoTenant();
  expect(await seedSales(db.authUrl, again.sessionId!, { until })).toEqual(summary);
  const revenue = async (m: Member) =>
    (await m.query("select l.timezone, sum(o.total)::int as total from app_public.orders o join app_public.locations l on l.id = o.location_id group by 1 order by 1")).rows;
  expect(await revenue(again)).toEqual(await revenue(owner));
  // Seeding twice does nothing the second time.
  expect(await seedSales(db.authUrl, again.sessionId!)).toEqual({ catalogItems: 0, orders: 0, voids: 0, tenders: 0, movements: 0 });
});
