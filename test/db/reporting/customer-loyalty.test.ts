// The Customers tab of Reports is exact: on random histories (fast-check, fixed seed) — orders
// over three time zones and four months of dates, voids, customers created, merged (chains
// included) and archived, several writes in one transaction — reporting.customer_loyalty_days
// (new and returning customers and the repeat rate per business date, at each location and all)
// and reporting.customer_class_counts (active customers per loyalty class) equal the same
// figures recomputed here, in TypeScript, from the orders table; both as the writes left them
// and after reporting.rebuild.
import fc from "fast-check";
import type pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.ts";
import { openReportingShop, type ReportingShop } from "./helpers.ts";

const SEED = 15_2026;
const DAY = 86_400_000;

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

type Op =
  | { kind: "order"; loc: number; customer: number | null; daysAgo: number; minute: number; item: number; qty: number }
  | { kind: "void"; order: number }
  | { kind: "newCustomer" }
  | { kind: "merge"; primary: number; duplicate: number }
  | { kind: "archive"; customer: number }
  | { kind: "batch"; ops: Op[] };

const simple: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant("order" as const),
      loc: fc.nat(2),
      customer: fc.option(fc.nat(30), { nil: null, freq: 8 }),
      // Mostly the last three weeks (the same customers come back on the same days and the
      // next), sometimes up to four months ago.
      daysAgo: fc.oneof({ weight: 4, arbitrary: fc.nat(20) }, { weight: 1, arbitrary: fc.integer({ min: 21, max: 120 }) }),
      // 3 to 21 hours before a whole number of days: no visit near the edge of a loyalty window.
      minute: fc.integer({ min: 180, max: 1260 }),
      item: fc.nat(1),
      qty: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("void" as const), order: fc.nat(1000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("newCustomer" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("merge" as const), primary: fc.nat(30), duplicate: fc.nat(30) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("archive" as const), customer: fc.nat(30) }) },
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: simple },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("batch" as const), ops: fc.array(simple, { minLength: 2, maxLength: 5 }) }) },
);

interface World {
  shop: ReportingShop;
  items: string[];
  orders: { id: string; voided: boolean }[];
  customers: { id: string; live: boolean }[];
}

type Run = (sql: string, params?: unknown[]) => Promise<pg.QueryResult>;

async function apply(world: World, run: Run, op: Op): Promise<void> {
  const live = world.customers.filter((c) => c.live);
  switch (op.kind) {
    case "order": {
      // Sometimes a customer that was merged away: the order counts for the one it went into.
      const k = op.customer === null ? null : op.customer % world.customers.length;
      const customer = k === null ? null : world.customers[k].id;
      // Every fourth customer came only long ago (one-time and lapsed customers).
      const daysAgo = k !== null && k % 4 === 3 ? 61 + (op.daysAgo % 60) : op.daysAgo;
      const placedAt = new Date(Date.now() - daysAgo * DAY - op.minute * 60_000).toISOString();
      const { rows } = await run("select id from app_public.place_order($1, $2::jsonb, $3, 0, $4)", [
        world.shop.locations[op.loc],
        JSON.stringify([{ catalog_item_id: world.items[op.item], quantity: op.qty }]),
        customer,
        placedAt,
      ]);
      world.orders.push({ id: rows[0].id, voided: false });
      return;
    }
    case "void": {
      const standing = world.orders.filter((o) => !o.voided);
      if (!standing.length) return;
      const o = standing[op.order % standing.length];
      await run("select app_public.void_order($1, 'Random void')", [o.id]);
      o.voided = true;
      return;
    }
    case "newCustomer": {
      const { rows } = await run("select id from app_public.create_customer(first_name => $1)", [`Cus ${world.customers.length}`]);
      world.customers.push({ id: rows[0].id, live: true });
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
    case "archive": {
      if (!live.length) return;
      // Archived customers keep their history (and may still buy); the class counts leave them out.
      await run("select app_public.archive_customer($1)", [live[op.customer % live.length].id]);
      return;
    }
    case "batch":
      throw new Error("not a simple op");
  }
}

// ----------------------------------------------------------------------------------------------
// The figures, recomputed from the orders.

const businessDate = (instant: Date, timeZone: string) =>
  new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(instant);
const addDays = (date: string, n: number) => new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);

/** The loyalty class from its definition (db/REPORTING.md), default thresholds: 5 in 90 days, lapsed after 60. */
function loyaltyClass(visits: number[], at: number): string | null {
  if (visits.length === 0) return null;
  if (Math.max(...visits) < at - 60 * DAY) return visits.length === 1 ? "one_time" : "lapsed";
  if (visits.filter((v) => v > at - 90 * DAY && v <= at).length >= 5) return "regular";
  return visits.length === 1 ? "new" : "returning";
}

interface Visit {
  customer: string;
  location: string;
  date: string;
  placedAt: number;
  voided: boolean;
}

/** Every order with a customer: the live customer it counts for, where, its business date on that location's clock. */
async function visitsFromOrders(tenantId: string) {
  const q = (sql: string) => db.owner.query(sql, [tenantId]).then((r) => r.rows);
  const customers = await q("select id, status, merged_into_id from app_public.customers where tenant_id = $1");
  const zones = new Map((await q("select id, timezone from app_public.locations where tenant_id = $1")).map((l) => [l.id as string, l.timezone as string]));
  const orders = await q("select customer_id, location_id, placed_at, status from app_public.orders where tenant_id = $1 and customer_id is not null");
  const into = new Map<string, string | null>(customers.map((c) => [c.id, c.merged_into_id]));
  const liveOf = (id: string) => {
    let at = id;
    for (let hops = 0; into.get(at); hops++) {
      if (hops > 100) throw new Error(`merge cycle at ${id}`);
      at = into.get(at)!;
    }
    return at;
  };
  const visits: Visit[] = orders.map((o) => ({
    customer: liveOf(o.customer_id),
    location: o.location_id,
    date: businessDate(o.placed_at, zones.get(o.location_id)!),
    placedAt: (o.placed_at as Date).getTime(),
    voided: o.status === "voided",
  }));
  return { visits, locations: [...zones.keys()].sort(), active: customers.filter((c) => c.status === "active").map((c) => c.id as string) };
}

interface LoyaltyDay {
  business_date: string;
  location_id: string | null;
  customers: number;
  new_customers: number;
  returning_customers: number;
  repeat_rate: string;
}

/** New and returning customers per date of [from, to] at `location` (null: all), from the standing visits. */
function expectedDays(visits: Visit[], from: string, to: string, location: string | null): LoyaltyDay[] {
  const standing = visits.filter((v) => !v.voided);
  const first = new Map<string, string>();
  for (const v of standing) if (!first.has(v.customer) || v.date < first.get(v.customer)!) first.set(v.customer, v.date);
  const rows: LoyaltyDay[] = [];
  for (let date = from; date <= to; date = addDays(date, 1)) {
    const who = new Set(standing.filter((v) => v.date === date && (location === null || v.location === location)).map((v) => v.customer));
    const fresh = [...who].filter((c) => first.get(c) === date).length;
    const returning = [...who].filter((c) => first.get(c)! < date).length;
    // Returning ÷ customers rounded half up to 4 decimals, in integers (0 on a day without customers).
    const rate = who.size ? Math.floor((2 * returning * 10_000 + who.size) / (2 * who.size)) : 0;
    rows.push({
      business_date: date,
      location_id: location,
      customers: who.size,
      new_customers: fresh,
      returning_customers: returning,
      repeat_rate: (rate / 10_000).toFixed(4),
    });
  }
  return rows;
}

const CLASSES = ["new", "returning", "regular", "lapsed", "one_time", null];

async function check(shop: ReportingShop, when: string) {
  const { visits, locations, active } = await visitsFromOrders(shop.tenantId);
  const dates = visits.map((v) => v.date).sort();
  const [from, to] = dates.length ? [addDays(dates[0], -1), addDays(dates.at(-1)!, 1)] : ["2026-01-01", "2026-01-02"];
  for (const location of [null, ...locations]) {
    const { rows } = await shop.owner.query(
      `select business_date::text, location_id, customers, new_customers, returning_customers, repeat_rate
       from reporting.customer_loyalty_days($1::date, $2::date, $3)`,
      [from, to, location],
    );
    const actual = rows.map((r) => ({ ...r, repeat_rate: Number(r.repeat_rate).toFixed(4) }));
    expect(actual, `customer_loyalty_days ${when}, location ${location ?? "all"} (seed ${SEED})`).toEqual(expectedDays(visits, from, to, location));
    // Every customer of a day is either new or returning (the chart's bars add up).
    expect(actual.filter((d) => d.new_customers + d.returning_customers !== d.customers)).toEqual([]);
  }

  // The classes now (the time of the reading transaction), every class listed.
  const read = await shop.owner.transaction(async (c) => ({
    now: (await c.query("select now() as now")).rows[0].now as Date,
    rows: (await c.query("select loyalty_class, customers from reporting.customer_class_counts()")).rows,
  }));
  const counts = new Map<string | null, number>(CLASSES.map((k) => [k, 0]));
  for (const id of active) {
    const mine = visits.filter((v) => v.customer === id && !v.voided).map((v) => v.placedAt);
    const k = loyaltyClass(mine, read.now.getTime());
    counts.set(k, counts.get(k)! + 1);
  }
  expect(read.rows, `customer_class_counts ${when} (seed ${SEED})`).toEqual(CLASSES.map((k) => ({ loyalty_class: k, customers: counts.get(k) })));
}

it("new vs returning customers per day and the class counts equal the orders, live and after a rebuild", { timeout: 300_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 80, maxLength: 160 }), async (ops) => {
      const shop = await openReportingShop(db, {
        timezone: "Pacific/Auckland",
        extraTimezones: ["America/Los_Angeles", "Europe/Paris"],
        items: [
          { sku: "TEA", price: 300 },
          { sku: "CAKE", price: 450, stock: 1000 },
        ],
      });
      const world: World = { shop, items: [shop.item.TEA, shop.item.CAKE], orders: [], customers: [] };
      for (let i = 0; i < 12; i++) await apply(world, (sql, params) => shop.owner.query(sql, params), { kind: "newCustomer" });
      for (const op of ops) {
        if (op.kind === "batch") {
          const snapshot = structuredClone({ orders: world.orders, customers: world.customers });
          try {
            await shop.owner.transaction(async (client) => {
              for (const inner of op.ops) await apply(world, (sql, params) => client.query(sql, params as unknown[]), inner);
            });
          } catch (e) {
            Object.assign(world, snapshot);
            throw e;
          }
        } else {
          await apply(world, (sql, params) => shop.owner.query(sql, params), op);
        }
      }

      await check(shop, "after live ingestion");
      const visitsBefore = await db.owner.query(
        "select order_id, customer_id, location_id, business_date::text, is_voided from reporting.rm_customer_visits where tenant_id = $1 order by order_id",
        [shop.tenantId],
      );
      await db.owner.query("select reporting.rebuild($1)", [shop.tenantId]);
      const visitsAfter = await db.owner.query(
        "select order_id, customer_id, location_id, business_date::text, is_voided from reporting.rm_customer_visits where tenant_id = $1 order by order_id",
        [shop.tenantId],
      );
      expect(visitsAfter.rows, `rm_customer_visits after reporting.rebuild (seed ${SEED})`).toEqual(visitsBefore.rows);
      await check(shop, "after reporting.rebuild");
    }),
    { seed: SEED, numRuns: 5, endOnFailure: true },
  );
});
