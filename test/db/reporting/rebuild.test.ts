// reporting.rebuild(tenant) recomputes every read model from the event log, and the result equals
// what incremental consumption produced — checked on random histories (fast-check): orders over
// three time zones and three weeks of dates, with line and order discounts, tenders, voids, refunds of lines, stock
// movements, customers created, renamed and merged, item renames and thresholds, several writes
// in one transaction, and stretches where another transaction holds the fold lock so that events
// stay queued. Along the way the exact readers and, after a fold, the tables must equal the
// figures computed directly from the sales tables.
import fc from "fast-check";
import type pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.ts";
import {
  fold, groundTruth, holdFoldLock, lastVisitDaysDrift, openReportingShop, readModels, readModelsAsTruth, type ReportingShop,
} from "./helpers.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

type Op =
  | { kind: "order"; loc: number; lines: { item: number; qty: number; disc: number }[]; discount: number; customer: number | null; daysAgo: number; minute: number }
  | { kind: "tender"; order: number; type: "cash" | "card"; part: number; extra: number }
  | { kind: "void"; order: number }
  | { kind: "refund"; order: number; line: number; qty: number }
  | { kind: "move"; loc: number; item: number; qty: number; reason: "receive" | "adjustment" }
  | { kind: "newCustomer"; name: string }
  | { kind: "rename"; customer: number; name: string }
  | { kind: "merge"; primary: number; duplicate: number }
  | { kind: "itemChange"; item: number; threshold: number; rename: boolean }
  | { kind: "batch"; ops: Op[] }
  | { kind: "toggleLock" };

const name = fc.constantFrom("Ann", "Bob", "Cid", "Dee", "Eve", "Fay", "Gus", "Hal");
const simple: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({
    kind: fc.constant("order" as const),
    loc: fc.nat(2),
    lines: fc.array(fc.record({ item: fc.nat(3), qty: fc.integer({ min: 1, max: 4 }), disc: fc.double({ min: 0, max: 1, noNaN: true }) }), { minLength: 1, maxLength: 4 }),
    discount: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })),
    customer: fc.option(fc.nat(20), { nil: null }),
    daysAgo: fc.nat(20),
    minute: fc.nat(1439),
  }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("tender" as const), order: fc.nat(1000), type: fc.constantFrom("cash" as const, "card" as const), part: fc.double({ min: 0.1, max: 1, noNaN: true }), extra: fc.nat(500) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("void" as const), order: fc.nat(1000) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("refund" as const), order: fc.nat(1000), line: fc.nat(3), qty: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("move" as const), loc: fc.nat(2), item: fc.nat(2), qty: fc.integer({ min: 1, max: 20 }), reason: fc.constantFrom("receive" as const, "adjustment" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("newCustomer" as const), name }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("rename" as const), customer: fc.nat(20), name }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("merge" as const), primary: fc.nat(20), duplicate: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("itemChange" as const), item: fc.nat(3), threshold: fc.nat(6), rename: fc.boolean() }) },
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 12, arbitrary: simple },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("batch" as const), ops: fc.array(simple, { minLength: 2, maxLength: 5 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("toggleLock" as const) }) },
);

interface World {
  shop: ReportingShop;
  items: string[];
  stocked: string[];
  orders: { id: string; total: number; paid: number; voided: boolean; refunded: boolean }[];
  customers: { id: string; live: boolean }[];
  renames: number;
}

type Run = (sql: string, params?: unknown[]) => Promise<pg.QueryResult>;

async function apply(world: World, run: Run, op: Op): Promise<void> {
  const { shop } = world;
  const live = world.customers.filter((c) => c.live);
  switch (op.kind) {
    case "order": {
      const lines = op.lines.map((l) => {
        const item = world.items[l.item];
        const price = [250, 390, 1000, 75][l.item];
        return { catalog_item_id: item, quantity: l.qty, discount: Math.floor(price * l.qty * l.disc * 0.3) };
      });
      const net = op.lines.reduce((s, l, i) => s + [250, 390, 1000, 75][l.item] * l.qty - lines[i].discount, 0);
      // Sometimes a customer that was merged away (its orders count for the one it was merged into).
      const customer = op.customer === null || world.customers.length === 0 ? null : world.customers[op.customer % world.customers.length].id;
      const placedAt = new Date(Date.now() - op.daysAgo * 86400_000 - op.minute * 60_000).toISOString();
      const { rows } = await run("select id, total from app_public.place_order($1, $2::jsonb, $3, $4, $5)", [
        shop.locations[op.loc], JSON.stringify(lines), customer, Math.floor(net * op.discount * 0.5), placedAt,
      ]);
      world.orders.push({ id: rows[0].id, total: rows[0].total, paid: 0, voided: false, refunded: false });
      return;
    }
    case "tender": {
      const open = world.orders.filter((o) => !o.voided && o.paid < o.total);
      if (!open.length) return;
      const o = open[op.order % open.length];
      const due = o.total - o.paid;
      const amount = op.type === "card" ? Math.max(1, Math.floor(due * op.part)) : Math.max(1, Math.floor(due * op.part)) + (op.part > 0.9 ? op.extra : 0);
      await run("select app_public.record_tender($1, $2, $3)", [o.id, op.type, amount]);
      o.paid += Math.min(amount, due);
      return;
    }
    case "void": {
      // A sale with refunds is not voided (its remaining lines are refunded instead).
      const standing = world.orders.filter((o) => !o.voided && !o.refunded);
      if (!standing.length) return;
      const o = standing[op.order % standing.length];
      await run("select app_public.void_order($1, 'Random void')", [o.id]);
      o.voided = true;
      return;
    }
    case "refund": {
      const standing = world.orders.filter((o) => !o.voided);
      if (!standing.length) return;
      const o = standing[op.order % standing.length];
      const { rows } = await run(
        "select r.order_line_id, r.refundable from app_public.orders x, app_public.orders_refundable_lines(x) r where x.id = $1 and r.refundable > 0",
        [o.id],
      );
      if (!rows.length) return;
      const l = rows[op.line % rows.length];
      await run("select app_public.refund_order_lines($1, $2::jsonb, 'Random refund')", [
        o.id, JSON.stringify([{ order_line_id: l.order_line_id, quantity: Math.min(op.qty, l.refundable) }]),
      ]);
      o.refunded = true;
      return;
    }
    case "move":
      await run("select app_public.record_inventory_movement($1, $2, $3, $4)", [
        shop.locations[op.loc], world.stocked[op.item], op.qty, op.reason,
      ]);
      return;
    case "newCustomer": {
      const { rows } = await run("select id from app_public.create_customer(first_name => $1)", [op.name]);
      world.customers.push({ id: rows[0].id, live: true });
      return;
    }
    case "rename": {
      if (!live.length) return;
      const c = live[op.customer % live.length];
      await run(
        "select app_public.update_customer($1, jsonb_populate_record(null::app_public.customer_changes, $2::jsonb))",
        [c.id, JSON.stringify({ first_name: `${op.name} ${++world.renames}` })],
      );
      return;
    }
    case "merge": {
      if (live.length < 2) return;
      const p = live[op.primary % live.length];
      const d = live[op.duplicate % live.length];
      if (p === d) return;
      await run("select app_public.merge_customers($1, $2)", [p.id, d.id]);
      d.live = false;
      return;
    }
    case "itemChange": {
      const id = world.stocked[op.item % world.stocked.length];
      await run(
        "update app_public.inventory_items set low_stock_threshold = $2, name = case when $3 then name || '+' else name end where id = $1",
        [id, op.threshold, op.rename],
      );
      if (op.rename) {
        await run("update app_public.catalog_items set name = name || '*' where id = $1", [world.items[op.item]]);
      }
      return;
    }
    case "batch":
    case "toggleLock":
      throw new Error("not a simple op");
  }
}

it("rebuild equals incremental consumption on random histories, and both equal the sales tables", { timeout: 600_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 100, maxLength: 300 }), async (ops) => {
      const shop = await openReportingShop(db, {
        taxRateBps: 825,
        timezone: "Pacific/Auckland",
        extraTimezones: ["America/Los_Angeles", "Europe/Paris"],
        items: [
          { sku: "BAGEL", price: 250, stock: 30 },
          { sku: "MUFFIN", price: 390, stock: 5 },
          { sku: "MUG", price: 1000, stock: 2 },
          { sku: "SHOT", price: 75 },
        ],
      });
      const world: World = {
        shop,
        items: ["BAGEL", "MUFFIN", "MUG", "SHOT"].map((s) => shop.item[s]),
        stocked: ["BAGEL", "MUFFIN", "MUG"].map((s) => shop.stock[s]),
        orders: [],
        customers: [],
        renames: 0,
      };
      const owner = shop.owner;
      let lock: { release(): Promise<void> } | null = null;
      // An inventory item change waits for the fold lock (it updates rm_inventory_on_hand itself),
      // so while this test holds that lock it makes none.
      const runnable = (op: Op) => !(lock && (op.kind === "itemChange" || (op.kind === "batch" && op.ops.some((o) => o.kind === "itemChange"))));
      try {
        for (const op of ops) {
          if (!runnable(op)) continue;
          if (op.kind === "toggleLock") {
            if (lock) {
              await lock.release();
              lock = null;
            } else {
              lock = await holdFoldLock(db, shop.tenantId);
            }
          } else if (op.kind === "batch") {
            // Several writes in one transaction: one fold at its commit sees all their events.
            const snapshot = structuredClone({ orders: world.orders, customers: world.customers });
            try {
              await owner.transaction(async (client) => {
                for (const inner of op.ops) await apply(world, (sql, params) => client.query(sql, params as unknown[]), inner);
              });
            } catch (e) {
              Object.assign(world, snapshot);
              throw e;
            }
          } else {
            await apply(world, (sql, params) => owner.query(sql, params), op);
          }
        }

        // Exact readers, with whatever is still queued, equal the sales tables.
        const truth = await groundTruth(db, shop.tenantId);
        const exact = await db.owner.query(
          `select l.id as location_id, d.business_date::text, d.order_count::int, d.gross_sales::int, d.discount_total::int, d.tax_total::int,
                  d.net_sales::int, d.tender_cash::int, d.tender_card::int, d.refund_count::int, d.refund_total::int,
                  d.total_collected::int, d.avg_order_value::int
           from app_public.locations l
           cross join lateral app_private.reporting_daily_sales($1, (now() - interval '25 days')::date, (now() + interval '2 days')::date, l.id) d
           where l.tenant_id = $1 and (d.order_count > 0 or d.refund_count > 0 or d.tender_cash <> 0 or d.tender_card <> 0)
           order by 1, 2`,
          [shop.tenantId],
        );
        const truthDaily = truth.daily.filter((r) => r.order_count > 0 || r.refund_count > 0 || r.tender_cash !== 0 || r.tender_card !== 0);
        expect(exact.rows).toEqual(truthDaily);
        const exactStock = await db.owner.query(
          `select location_id, inventory_item_id, item_name, on_hand, low_stock_threshold, is_below_threshold
           from app_private.reporting_inventory_summary($1) order by 1, 2`,
          [shop.tenantId],
        );
        expect(exactStock.rows).toEqual(truth.stock);
        const dashboard = await db.owner.query("select (app_private.reporting_dashboard_metrics($1)).*", [shop.tenantId]);
        expect(dashboard.rows[0].low_stock_count).toBe(truth.stock.filter((r) => r.is_below_threshold).length);
        // Active customers: the histogram the dashboard sums equals a recount, and so does the figure.
        expect(await lastVisitDaysDrift(db, shop.tenantId)).toEqual([]);
        const active = await db.owner.query(
          `select count(*)::int as n from reporting.rm_customer_activity
           where tenant_id = $1 and merged_into_id is null and last_visit_at >= now() - interval '30 days'`,
          [shop.tenantId],
        );
        expect(dashboard.rows[0].active_customers_30d).toBe(active.rows[0].n);
      } finally {
        if (lock) await lock.release();
      }

      await fold(db, shop.tenantId);
      expect(await readModelsAsTruth(db, shop.tenantId)).toEqual(await groundTruth(db, shop.tenantId));

      const incremental = await readModels(db, shop.tenantId);
      const { rows } = await db.owner.query("select reporting.rebuild($1) as n", [shop.tenantId]);
      expect(Number(rows[0].n)).toBeGreaterThan(ops.length / 2);
      expect(await readModels(db, shop.tenantId)).toEqual(incremental);
      expect(await lastVisitDaysDrift(db, shop.tenantId)).toEqual([]);
      // Nothing left for the consumers to apply after a rebuild.
      const replay = await db.owner.query(
        "select app_private.replay('reporting_sales', $1) + app_private.replay('reporting_customers', $1) as n",
        [shop.tenantId],
      );
      expect(replay.rows[0].n).toBe(0);
    }),
    { numRuns: 5, endOnFailure: true },
  );
});

it("rebuild backfills a log the consumers never saw, and marks it processed", async () => {
  const shop = await openReportingShop(db, { items: [{ sku: "TEA", price: 300, stock: 10 }] });
  // As if the reporting consumers were added after these sales: forget what they applied.
  await shop.owner.query("select app_public.place_order($1, $2::jsonb)", [shop.locationId, JSON.stringify([{ catalog_item_id: shop.item.TEA, quantity: 2 }])]);
  const expected = await readModels(db, shop.tenantId);
  await db.owner.query("delete from app_private.processed_events where tenant_id = $1 and consumer like 'reporting_%'", [shop.tenantId]);
  await db.owner.query("delete from reporting.rm_daily_sales where tenant_id = $1", [shop.tenantId]);
  await db.owner.query("delete from reporting.rm_item_sales where tenant_id = $1", [shop.tenantId]);
  await db.owner.query("delete from reporting.rm_inventory_on_hand where tenant_id = $1", [shop.tenantId]);
  await db.owner.query("select reporting.rebuild($1)", [shop.tenantId]);
  expect(await readModels(db, shop.tenantId)).toEqual(expected);
  const { rows } = await db.owner.query("select app_private.replay('reporting_sales', $1) as n", [shop.tenantId]);
  expect(rows[0].n).toBe(0);
});

it("rebuild is for the owner only", async () => {
  const shop = await openReportingShop(db);
  await expect(shop.owner.query("select reporting.rebuild($1)", [shop.tenantId])).rejects.toMatchObject({ code: "42501" });
});

it("rebuild corrects item rows that drifted: a wrong figure, a wrong name, a row too many, a row missing", async () => {
  const shop = await openReportingShop(db, { items: [{ sku: "TEA", price: 300 }, { sku: "BUN", price: 250 }] });
  const yesterday = new Date(Date.now() - 86400_000).toISOString();
  // Past sales (placedAt): sales at once, on two days.
  const sell = (item: string, quantity: number, at: string) =>
    shop.owner.query("select app_public.place_order($1, $2::jsonb, null, 0, $3)", [
      shop.locationId, JSON.stringify([{ catalog_item_id: item, quantity }]), at,
    ]);
  const now = new Date(Date.now() - 60_000).toISOString();
  await sell(shop.item.TEA, 2, now);
  await sell(shop.item.BUN, 1, now);
  await sell(shop.item.TEA, 3, yesterday);
  const expected = await readModels(db, shop.tenantId);
  expect(expected.items).toHaveLength(3);

  await db.owner.query(
    "update reporting.rm_item_sales set quantity_sold = quantity_sold + 5, catalog_item_name = 'Wrong' where tenant_id = $1 and catalog_item_id = $2 and business_date = (select max(business_date) from reporting.rm_item_sales where tenant_id = $1)",
    [shop.tenantId, shop.item.TEA],
  );
  await db.owner.query("delete from reporting.rm_item_sales where tenant_id = $1 and catalog_item_id = $2", [shop.tenantId, shop.item.BUN]);
  await db.owner.query(
    `insert into reporting.rm_item_sales (tenant_id, location_id, business_date, catalog_item_id, catalog_item_name, name_seq, quantity_sold, gross_revenue, net_revenue)
     select tenant_id, location_id, business_date - 30, catalog_item_id, catalog_item_name, name_seq, 1, 1, 1
     from reporting.rm_item_sales where tenant_id = $1 limit 1`,
    [shop.tenantId],
  );
  expect((await readModels(db, shop.tenantId)).items).not.toEqual(expected.items);

  await db.owner.query("select reporting.rebuild($1)", [shop.tenantId]);
  expect(await readModels(db, shop.tenantId)).toEqual(expected);
});
