// The dashboard's active customers (last visit in the last 30 days, merged ones excluded) come
// from app_private.last_visit_days, a per-day histogram kept by statement triggers on
// rm_customer_activity, plus a count of the window's first day. Each writer of that table — the
// consumer (orders, voids), merges, the rebuild, TRUNCATE — must leave the histogram equal to a
// recount (lastVisitDaysDrift = []), and the count must be exact to the instant at the window's start.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.ts";
import {
  createCustomer, lastVisitDaysDrift, line, mergeCustomers, openReportingShop, placeOrder, voidOrder, type ReportingShop,
} from "./helpers.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

const ago = (days: number, hours = 0) => new Date(Date.now() - days * 86400_000 - hours * 3600_000).toISOString();

async function shopWithCustomers(names: string[]) {
  const shop = await openReportingShop(db, { items: [{ sku: "TEA", price: 300 }] });
  const customers: Record<string, string> = {};
  for (const n of names) customers[n] = (await createCustomer(shop.cashier, n)).id;
  const visit = (s: ReportingShop, who: string, placedAt?: string) =>
    placeOrder(s.owner, s.locationId, [line(s.item.TEA)], { customerId: customers[who], placedAt: placedAt ?? null });
  return { shop, customers, visit: (who: string, placedAt?: string) => visit(shop, who, placedAt) };
}

/** What the dashboard shows. */
const dashboardActive = async (shop: ReportingShop) =>
  (await shop.manager.query("select active_customers_30d from reporting.dashboard_metrics()")).rows[0].active_customers_30d as number;

/** Customers whose last visit is at or after `since`, counted one by one (what the histogram must equal). */
const recount = async (tenantId: string, since: string) =>
  (await db.owner.query(
    `select count(*)::int as n from reporting.rm_customer_activity
     where tenant_id = $1 and merged_into_id is null and last_visit_at >= $2`,
    [tenantId, since],
  )).rows[0].n as number;

const activeSince = async (tenantId: string, since: string) =>
  (await db.owner.query("select app_private.active_customers_since($1, $2)::int as n", [tenantId, since])).rows[0].n as number;

const rowsPerDay = async (tenantId: string) =>
  (await db.owner.query(
    "select visit_day::text as day, count(*)::int as n from app_private.last_visit_days where tenant_id = $1 group by 1 order by 1",
    [tenantId],
  )).rows as { day: string; n: number }[];

describe("active customers in 30 days", () => {
  it("follows the consumer: orders move a customer's last visit from day to day, a void moves it back", async () => {
    const { shop, visit } = await shopWithCustomers(["Ann", "Bob", "Cid", "Dee", "Eve"]);
    await visit("Ann", ago(29, 23)); // just inside the window
    await visit("Bob", ago(30, 1)); // just outside
    const cids = await visit("Cid", ago(5));
    await voidOrder(shop.manager, cids.id); // no visit left
    await visit("Dee", ago(40));
    const dees = await visit("Dee"); // now: Dee leaves the day 40 days ago
    // Eve never came.
    expect(await dashboardActive(shop)).toBe(2);
    expect(await lastVisitDaysDrift(db, shop.tenantId)).toEqual([]);

    await visit("Bob");
    expect(await dashboardActive(shop)).toBe(3);
    await voidOrder(shop.manager, dees.id); // Dee's last visit falls back to 40 days ago
    expect(await dashboardActive(shop)).toBe(2);
    expect(await lastVisitDaysDrift(db, shop.tenantId)).toEqual([]);
    expect(await dashboardActive(shop)).toBe(await recount(shop.tenantId, ago(30)));
  });

  it("counts the window's first day to the instant, on both sides of a UTC midnight", async () => {
    const { shop, visit } = await shopWithCustomers(["A", "B", "C", "D", "E"]);
    await visit("A", "2025-03-10T00:00:00.000Z");
    await visit("B", "2025-03-10T12:00:00.000Z");
    await visit("C", "2025-03-10T23:59:59.999Z");
    await visit("D", "2025-03-11T00:00:00.000Z");
    await visit("E", "2025-03-12T08:00:00.000Z");
    const expected: [string, number][] = [
      ["2025-03-09T12:00:00.000Z", 5],
      ["2025-03-10T00:00:00.000Z", 5], // at the instant of a visit: counted
      ["2025-03-10T00:00:00.001Z", 4],
      ["2025-03-10T12:00:00.000Z", 4],
      ["2025-03-10T23:59:59.999Z", 3],
      ["2025-03-11T00:00:00.000Z", 2],
      ["2025-03-11T00:00:00.001Z", 1],
      ["2025-03-12T08:00:00.000Z", 1],
      ["2025-03-12T08:00:00.001Z", 0],
    ];
    for (const [since, n] of expected) {
      expect([since, await activeSince(shop.tenantId, since)]).toEqual([since, n]);
      expect(await recount(shop.tenantId, since)).toBe(n);
    }
  });

  it("leaves merged customers out: the duplicate's last visit moves to the one it was merged into", async () => {
    const { shop, customers, visit } = await shopWithCustomers(["Pat", "Dup", "Quin", "Rae"]);
    await visit("Pat", ago(50));
    await visit("Dup", ago(2));
    await visit("Quin", ago(3));
    await visit("Rae", ago(1));
    expect(await dashboardActive(shop)).toBe(3);
    await mergeCustomers(shop.manager, customers.Pat, customers.Dup); // Pat now last came 2 days ago
    expect(await dashboardActive(shop)).toBe(3);
    await mergeCustomers(shop.manager, customers.Quin, customers.Rae);
    expect(await dashboardActive(shop)).toBe(2);
    expect(await lastVisitDaysDrift(db, shop.tenantId)).toEqual([]);
  });

  it("is the same after a rebuild, one row per day", async () => {
    const { shop, customers, visit } = await shopWithCustomers(["Ann", "Bob", "Cid", "Dee"]);
    await visit("Ann", ago(3));
    await visit("Bob", ago(3, 2));
    await visit("Cid", ago(12));
    const v = await visit("Cid", ago(1));
    await voidOrder(shop.manager, v.id);
    await visit("Dee", ago(45));
    await mergeCustomers(shop.manager, customers.Ann, customers.Dee);
    const before = await dashboardActive(shop);
    expect(before).toBe(3);
    await db.owner.query("select reporting.rebuild($1)", [shop.tenantId]);
    expect(await dashboardActive(shop)).toBe(before);
    expect(await lastVisitDaysDrift(db, shop.tenantId)).toEqual([]);
    expect((await rowsPerDay(shop.tenantId)).filter((d) => d.n !== 1)).toEqual([]);
  });

  it("stays exact while another transaction holds the compaction lock, and compacts the day afterwards", async () => {
    const { shop, visit } = await shopWithCustomers(["Ann", "Bob", "Cid"]);
    const holder = new pg.Client(db.ownerUrl);
    await holder.connect();
    try {
      await holder.query("select pg_advisory_lock(app_private.last_visit_days_lock_key($1))", [shop.tenantId]);
      await visit("Ann");
      await visit("Bob");
      const today = new Date().toISOString().slice(0, 10);
      const crowded = (await rowsPerDay(shop.tenantId)).find((d) => d.day === today);
      expect(crowded?.n).toBeGreaterThan(1); // changes appended, not compacted
      expect(await dashboardActive(shop)).toBe(2);
      expect(await lastVisitDaysDrift(db, shop.tenantId)).toEqual([]);
      await holder.query("select pg_advisory_unlock(app_private.last_visit_days_lock_key($1))", [shop.tenantId]);
      await visit("Cid");
      expect((await rowsPerDay(shop.tenantId)).find((d) => d.day === new Date().toISOString().slice(0, 10))?.n).toBe(1);
      expect(await dashboardActive(shop)).toBe(3);
    } finally {
      await holder.end();
    }
  });

  it("empties with a TRUNCATE of the activity table", async () => {
    const { shop, visit } = await shopWithCustomers(["Ann"]);
    await visit("Ann");
    const client = await db.owner.connect();
    try {
      await client.query("begin");
      await client.query("truncate reporting.rm_customer_activity");
      const { rows } = await client.query("select count(*)::int as n from app_private.last_visit_days");
      expect(rows[0].n).toBe(0);
      const { rows: m } = await client.query("select (app_private.reporting_dashboard_metrics($1)).active_customers_30d as n", [shop.tenantId]);
      expect(m[0].n).toBe(0);
    } finally {
      await client.query("rollback");
      client.release();
    }
    expect(await dashboardActive(shop)).toBe(1);
  });
});
