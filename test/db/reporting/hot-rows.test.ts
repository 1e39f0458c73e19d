// The one-hot-row-per-day problem (db/REPORTING.md): every till of a shop adds to the same daily
// row, and a plain upsert would hold that row until its transaction commits, so tills would wait
// for each other. The sales consumer only queues its events and the fold at commit never waits,
// so a till never waits for another till's open sale; figures stay exact throughout.
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.ts";
import { terminal } from "../sales/shop.ts";
import {
  exactDailyTotals, fold, groundTruth, holdFoldLock, line, openReportingShop, queued, readModelsAsTruth, type ReportingShop,
} from "./helpers.ts";

let db: TestDatabase;
let shop: ReportingShop;
beforeAll(async () => {
  db = await createTestDatabase();
  shop = await openReportingShop(db, {
    taxRateBps: 825,
    items: [{ sku: "LATTE", price: 475 }, { sku: "CROISSANT", price: 375, stock: 500 }],
  });
});
afterAll(() => db?.drop());

/** A sale at the till: the order and the payment that completes it, in one statement (one transaction). */
const sell = (client: pg.Client, qty = 1, type: "cash" | "card" = "card") =>
  client.query("select o.id, o.total from app_public.place_order($1, $2::jsonb) o, lateral app_public.record_tender(o.id, $3, o.total) t", [
    shop.locationId,
    JSON.stringify([line(shop.item.LATTE, qty), line(shop.item.CROISSANT)]),
    type,
  ]).then((r) => r.rows[0]);

const range = () => {
  const d = new Date();
  return [new Date(d.getTime() - 2 * 86400_000).toISOString().slice(0, 10), new Date(d.getTime() + 2 * 86400_000).toISOString().slice(0, 10)];
};

describe("hot rows", () => {
  it("a till never waits for another till's open sale at the same shop on the same day", async () => {
    const [a, b] = [await terminal(db, shop.cashier), await terminal(db, shop.cashier)];
    try {
      await a.query("begin");
      await sell(a); // A's sale is open: the daily row would be locked until A commits.
      await b.query("set lock_timeout = '2s'");
      const started = Date.now();
      await b.query("begin");
      await sell(b);
      await b.query("commit"); // B folds at commit; A's events are not visible to it yet.
      expect(Date.now() - started).toBeLessThan(1500);
      await a.query("commit");
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
    expect(await queued(db, shop.tenantId)).toBe(0);
    expect(await readModelsAsTruth(db, shop.tenantId)).toEqual(await groundTruth(db, shop.tenantId));
  });

  it("eight tills selling at once at one shop: exact while events are queued, and exact once folded", { timeout: 60_000 }, async () => {
    const tills = await Promise.all(Array.from({ length: 8 }, () => terminal(db, shop.cashier)));
    try {
      await Promise.all(tills.map(async (t, i) => {
        for (let n = 0; n < 15; n++) {
          await sell(t, 1 + ((i + n) % 3), n % 2 ? "cash" : "card");
        }
      }));
    } finally {
      await Promise.all(tills.map((t) => t.end()));
    }
    const truth = await groundTruth(db, shop.tenantId);
    const [from, to] = range();
    const exact = await exactDailyTotals(shop.manager, from, to);
    const orders = truth.daily.reduce((s, r) => s + r.order_count, 0);
    expect(exact).toEqual({
      orders,
      net: truth.daily.reduce((s, r) => s + r.net_sales, 0),
      refunds: 0,
      tenders: truth.daily.reduce((s, r) => s + r.tender_cash + r.tender_card, 0),
    });
    expect(orders).toBe(2 + 8 * 15);
    await fold(db, shop.tenantId);
    expect(await queued(db, shop.tenantId)).toBe(0);
    expect(await readModelsAsTruth(db, shop.tenantId)).toEqual(truth);
  });

  it("events left queued while another transaction folds are folded by the next commit, or by the worker's sweep", async () => {
    const other = await openReportingShop(db, { items: [{ sku: "TEA", price: 300 }] });
    const lockA = await holdFoldLock(db, shop.tenantId);
    const lockB = await holdFoldLock(db, other.tenantId);
    try {
      const c = await terminal(db, shop.cashier);
      await sell(c);
      await c.end();
      await other.owner.query("select app_public.record_tender(o.id, 'cash', o.total) from app_public.place_order($1, $2::jsonb) o", [
        other.locationId, JSON.stringify([line(other.item.TEA)])]);
      expect(await queued(db, shop.tenantId)).toBeGreaterThan(0);
      expect(await queued(db, other.tenantId)).toBeGreaterThan(0);
    } finally {
      await lockA.release();
      await lockB.release();
    }
    // The next sale of the shop folds everything queued for it.
    const c = await terminal(db, shop.cashier);
    await sell(c);
    await c.end();
    expect(await queued(db, shop.tenantId)).toBe(0);
    // The other tenant is idle: app_private.reporting_fold_all() (a periodic worker job) folds it.
    const { rows } = await db.owner.query("select app_private.reporting_fold_all() as n");
    expect(rows[0].n).toBeGreaterThan(0);
    expect(await queued(db, other.tenantId)).toBe(0);
    expect(await readModelsAsTruth(db, other.tenantId)).toEqual(await groundTruth(db, other.tenantId));
  });
});
