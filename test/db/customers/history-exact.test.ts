// The purchase history is exact: whatever the interleaving of sales, voids and merges, a
// customer's stats (visits, spend, items bought, first, last and recent visits), units per item,
// counted visits and loyalty class equal what the orders that still stand say — recomputed here,
// in TypeScript, from the orders table and from what the test placed, never from the counters.
// A rebuild from the event log and a second dispatch of every event change nothing, and a merge
// combines two histories as one person's (its favourite items recomputed over both).
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type Member, type TestDatabase } from "../../helpers/db.ts";
import { createCustomer, mergeCustomers, openShop, outcome, terminal, voidOrder, type Shop } from "./helpers.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** A small seeded generator (mulberry32): the same data on every run. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)];
  const shuffle = <T>(xs: T[]) => {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [xs[i], xs[j]] = [xs[j], xs[i]];
    }
    return xs;
  };
  return { next, int, pick, shuffle };
}
type Random = ReturnType<typeof random>;

/**
 * An instant `days` days and some hours before `base`: 3 to 21 hours off a whole number of days,
 * so that no visit sits near a boundary of the loyalty windows (whole days from the time of
 * asking, even across a daylight-saving change of the session's time zone).
 */
const before = (base: number, days: number, r: Random) => new Date(base - days * DAY - r.int(3 * 60, 21 * 60) * 60_000).toISOString();

// ----------------------------------------------------------------------------------------------
// The loyalty class, written again from its definition (db/REPORTING.md), with the default
// thresholds: 5 visits in 90 days for regular, 60 days without a visit for lapsed / one_time.

function loyaltyClass(visits: number[], at: number, t = { min: 5, window: 90, lapsed: 60 }): string | null {
  if (visits.length === 0) return null;
  const last = Math.max(...visits);
  if (last < at - t.lapsed * DAY) return visits.length === 1 ? "one_time" : "lapsed";
  if (visits.filter((v) => v > at - t.window * DAY && v <= at).length >= t.min) return "regular";
  return visits.length === 1 ? "new" : "returning";
}

// ----------------------------------------------------------------------------------------------
// What the counters hold, and what they should hold according to the orders.

const iso = (v: Date | null) => (v === null ? null : v.toISOString());
const byKey = <T>(key: (x: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

interface History {
  stats: { customer_id: string; visits: number; spend: number; items_bought: number; first_visit_at: string | null; last_visit_at: string | null; recent_visits: string[] }[];
  items: { customer_id: string; catalog_item_id: string; quantity: number }[];
  visits: { order_id: string; customer_id: string; placed_at: string; total: number; item_count: number; is_voided: boolean }[];
}

/** customer_stats, customer_item_stats and app_private.customer_visits of a tenant, row for row (updated_at left out). */
async function counted(tenantId: string): Promise<History> {
  const q = (sql: string) => db.owner.query(sql, [tenantId]).then((r) => r.rows);
  const stats = (
    await q(
      `select customer_id, visits, spend::bigint::text as spend, items_bought::text, first_visit_at, last_visit_at, recent_visits
       from app_public.customer_stats where tenant_id = $1`,
    )
  ).map((r) => ({
    customer_id: r.customer_id as string,
    visits: r.visits as number,
    spend: Number(r.spend),
    items_bought: Number(r.items_bought),
    first_visit_at: iso(r.first_visit_at),
    last_visit_at: iso(r.last_visit_at),
    recent_visits: (r.recent_visits as Date[]).map((d) => d.toISOString()),
  }));
  const items = (await q("select customer_id, catalog_item_id, quantity::text from app_public.customer_item_stats where tenant_id = $1")).map((r) => ({
    customer_id: r.customer_id as string,
    catalog_item_id: r.catalog_item_id as string,
    quantity: Number(r.quantity),
  }));
  const visits = (
    await q("select order_id, customer_id, placed_at, total::text, item_count, is_voided from app_private.customer_visits where tenant_id = $1")
  ).map((r) => ({
    order_id: r.order_id as string,
    customer_id: r.customer_id as string,
    placed_at: (r.placed_at as Date).toISOString(),
    total: Number(r.total),
    item_count: r.item_count as number,
    is_voided: r.is_voided as boolean,
  }));
  return {
    stats: stats.sort(byKey((s) => s.customer_id)),
    items: items.sort(byKey((i) => `${i.customer_id}/${i.catalog_item_id}`)),
    visits: visits.sort(byKey((v) => v.order_id)),
  };
}

interface OrderFact {
  id: string;
  customer_id: string | null;
  status: string;
  total: number;
  placed_at: string;
  lines: { catalog_item_id: string; quantity: number }[];
}

/** The tenant's orders with their lines, as the sales tables have them. */
async function ordersOf(tenantId: string): Promise<OrderFact[]> {
  const orders = await db.owner.query(
    "select id, customer_id, status, total::text, placed_at from app_public.orders where tenant_id = $1 order by id",
    [tenantId],
  );
  const lines = await db.owner.query(
    "select order_id, catalog_item_id, quantity from app_public.order_lines where tenant_id = $1 order by order_id, line_no",
    [tenantId],
  );
  const byOrder = new Map<string, OrderFact>();
  for (const o of orders.rows) {
    byOrder.set(o.id, { id: o.id, customer_id: o.customer_id, status: o.status, total: Number(o.total), placed_at: o.placed_at.toISOString(), lines: [] });
  }
  for (const l of lines.rows) byOrder.get(l.order_id)!.lines.push({ catalog_item_id: l.catalog_item_id, quantity: l.quantity });
  return [...byOrder.values()];
}

/** The live customer each customer id of the tenant stands for (following merges), computed here. */
async function liveCustomers(tenantId: string): Promise<Map<string, string>> {
  const { rows } = await db.owner.query("select id, merged_into_id from app_public.customers where tenant_id = $1", [tenantId]);
  const into = new Map<string, string | null>(rows.map((r) => [r.id, r.merged_into_id]));
  const live = new Map<string, string>();
  for (const id of into.keys()) {
    let at = id;
    for (let hops = 0; into.get(at); hops++) {
      if (hops > 100) throw new Error(`merge cycle at ${id}`);
      at = into.get(at)!;
    }
    live.set(id, at);
  }
  return live;
}

/** The history every customer of the tenant should have: from its orders that still stand (after merges). */
async function expectedHistory(tenantId: string): Promise<History> {
  const live = await liveCustomers(tenantId);
  const orders = (await ordersOf(tenantId)).filter((o) => o.customer_id !== null);
  const stats: History["stats"] = [];
  const items: History["items"] = [];
  for (const id of live.keys()) {
    const mine = orders.filter((o) => live.get(o.customer_id!) === id && o.status === "placed");
    const times = mine.map((o) => o.placed_at).sort();
    stats.push({
      customer_id: id,
      visits: mine.length,
      spend: mine.reduce((s, o) => s + o.total, 0),
      items_bought: mine.reduce((s, o) => s + o.lines.reduce((n, l) => n + l.quantity, 0), 0),
      first_visit_at: times[0] ?? null,
      last_visit_at: times.at(-1) ?? null,
      recent_visits: [...times].reverse().slice(0, 20),
    });
    const units = new Map<string, number>();
    for (const o of mine) for (const l of o.lines) units.set(l.catalog_item_id, (units.get(l.catalog_item_id) ?? 0) + l.quantity);
    for (const [catalog_item_id, quantity] of units) items.push({ customer_id: id, catalog_item_id, quantity });
  }
  const visits = orders.map((o) => ({
    order_id: o.id,
    customer_id: live.get(o.customer_id!)!,
    placed_at: o.placed_at,
    total: o.total,
    item_count: o.lines.reduce((n, l) => n + l.quantity, 0),
    is_voided: o.status === "voided",
  }));
  return {
    stats: stats.sort(byKey((s) => s.customer_id)),
    items: items.sort(byKey((i) => `${i.customer_id}/${i.catalog_item_id}`)),
    visits: visits.sort(byKey((v) => v.order_id)),
  };
}

/** The class the API gives a customer at each of `ats`, and what the customers list says now (with that now). */
async function classesOf(reader: Member, customerId: string, ats: number[]) {
  const at = [];
  for (const t of ats) {
    const { rows } = await reader.query(
      "select app_public.customer_stats_loyalty_class(s, $2::timestamptz) as class from app_public.customer_stats s where s.customer_id = $1",
      [customerId, new Date(t).toISOString()],
    );
    at.push(rows[0].class as string | null);
  }
  const list = await reader.query("select loyalty_class, now() as now from app_public.customer_rows where id = $1", [customerId]);
  return { at, list: list.rows[0].loyalty_class as string | null, now: (list.rows[0].now as Date).getTime() };
}

/** A catalog of five items (one of them stocked, so that sales also move stock), and the tax rate. */
async function openStore(): Promise<{ shop: Shop; items: string[]; prices: number[] }> {
  const shop = await openShop(db);
  await shop.owner.query("update app_public.tenants set tax_rate_bps = 825");
  const prices = [1000, 250, 390, 75, 1234];
  const items = [shop.itemId];
  for (const [i, price] of prices.slice(1).entries()) {
    const { rows } = await shop.manager.query("insert into app_public.catalog_items (name, sku, price) values ($1, $1, $2) returning id", [
      `ITEM-${i + 1}`,
      price,
    ]);
    items.push(rows[0].id);
  }
  const inv = await shop.manager.query(
    "insert into app_public.inventory_items (name, catalog_item_id, low_stock_threshold) values ('Beans', $1, 2) returning id",
    [items[1]],
  );
  await shop.manager.query("select app_public.record_inventory_movement($1, $2, 500, 'receive')", [shop.locationId, inv.rows[0].id]);
  return { shop, items, prices };
}

interface Cart {
  lines: { catalog_item_id: string; quantity: number; discount: number }[];
  discount: number;
}

/** 1 to 3 lines (sometimes the same item twice), 1 to 4 units, some line and order discounts. */
function cart(r: Random, items: string[], prices: number[]): Cart {
  const lines = [];
  for (let n = r.int(1, 3); n > 0; n--) {
    const k = r.int(0, items.length - 1);
    const quantity = r.int(1, 4);
    lines.push({ catalog_item_id: items[k], quantity, discount: r.next() < 0.3 ? Math.floor(prices[k] * quantity * r.next() * 0.3) : 0 });
  }
  const net = lines.reduce((s, l) => s + prices[items.indexOf(l.catalog_item_id)] * l.quantity - l.discount, 0);
  return { lines, discount: r.next() < 0.25 ? Math.floor(net * r.next() * 0.2) : 0 };
}

const placeSql = "select id, total::int, customer_id from app_public.place_order($1, $2::jsonb, $3, $4, $5)";

async function inTransaction<T>(client: pg.Client, fn: () => Promise<T>): Promise<T> {
  await client.query("begin");
  try {
    const result = await fn();
    await client.query("commit");
    return result;
  } catch (e) {
    await client.query("rollback").catch(() => {});
    throw e;
  }
}

const codeOf = (e: unknown) => (e as { code?: string }).code ?? String(e);

// ----------------------------------------------------------------------------------------------

describe("100 concurrent sales and voids on one customer", () => {
  const SEED = 0x15_0a;

  it("leave stats, units per item, counted visits and the loyalty class equal to the orders that stand", { timeout: 120_000 }, async () => {
    const r = random(SEED);
    const where = `(seed ${SEED})`;
    const { shop, items, prices } = await openStore();
    const ann = await createCustomer(shop.manager, { first_name: "Ann", last_name: "Regular" });
    const bob = await createCustomer(shop.manager, { first_name: "Bob" });
    const base = Date.now();

    interface Sale extends Cart {
      customer: string | null;
      placedAt: string;
      id?: string;
      total?: number;
      voided: boolean;
      committed: Promise<void>;
      settle: (error?: unknown) => void;
    }
    const sale = (customer: string | null, placedAt: string): Sale => {
      let settle!: (error?: unknown) => void;
      const committed = new Promise<void>((resolve, reject) => {
        settle = (error) => (error === undefined ? resolve() : reject(error));
      });
      committed.catch(() => {}); // a failed sale is reported with the sales' outcomes
      return { ...cart(r, items, prices), customer, placedAt, voided: false, committed, settle };
    };

    // Ann: 8 visits in the last 90 days (days 2 … 80) and 92 older ones (95 to 700 days ago).
    const recentDays = [2, 9, 17, 26, 38, 51, 66, 80];
    const annSales = [
      ...recentDays.map((d) => sale(ann.id, before(base, d, r))),
      ...Array.from({ length: 92 }, () => sale(ann.id, before(base, r.int(95, 700), r))),
    ];
    const bobSales = Array.from({ length: 12 }, () => sale(bob.id, before(base, r.int(1, 400), r)));
    const anonymous = Array.from({ length: 5 }, () => sale(null, before(base, r.int(1, 100), r)));

    // What to void. The latest visit and three other recent ones (so 4 of the 8 stand: returning,
    // not regular), the earliest visit, visits among the latest 20 (recent_visits must be filled
    // again from older ones), and others at random; three of them by two tills at once.
    const byTime = [...annSales].sort(byKey((s) => s.placedAt));
    const toVoid = new Set<Sale>([annSales[0], annSales[2], annSales[4], annSales[6], byTime[0]]);
    const newest = [...byTime].reverse();
    for (const k of [8, 9, 11, 14, 18, 21]) toVoid.add(newest[k]);
    while (toVoid.size < 30) toVoid.add(r.pick(annSales.slice(8)));
    // Two sales placed and voided in one transaction, not among the above.
    const placeAndVoid = r.shuffle(annSales.slice(8).filter((s) => !toVoid.has(s))).slice(0, 2);
    const doubles = new Set([...toVoid].filter((s) => annSales.indexOf(s) >= 8).slice(0, 3));

    // Jobs for the selling tills: single orders, and transactions selling to Ann and Bob in
    // either order (one till Ann then Bob, another Bob then Ann).
    type Job = { sales: Sale[]; voidInside?: Sale };
    const annLeft = annSales.filter((s) => !placeAndVoid.includes(s));
    const jobs: Job[] = [];
    for (let k = 0; k < 6; k++) {
      const a = annLeft.splice(r.int(8, annLeft.length - 1), r.int(1, 2));
      const b = bobSales.slice(2 * k, 2 * k + 2);
      jobs.push({ sales: k % 2 === 0 ? [a[0], b[0], ...a.slice(1), b[1]] : [b[0], a[0], b[1], ...a.slice(1)] });
    }
    for (const s of placeAndVoid) jobs.push({ sales: [s], voidInside: s });
    for (const s of [...annLeft, ...anonymous]) jobs.push({ sales: [s] });
    r.shuffle(jobs);
    expect(jobs.reduce((n, j) => n + j.sales.filter((s) => s.customer === ann.id).length, 0)).toBe(100);

    const sellers = await Promise.all([0, 1, 2, 3].map(() => terminal(db, shop.owner)));
    const voiders = await Promise.all([0, 1].map(() => terminal(db, shop.manager)));
    try {
      let next = 0;
      const saleOutcomes: string[] = [];
      const sell = async (till: pg.Client) => {
        for (let job = jobs[next++]; job; job = jobs[next++]) {
          try {
            await inTransaction(till, async () => {
              for (const s of job.sales) {
                const { rows } = await till.query(placeSql, [shop.locationId, JSON.stringify(s.lines), s.customer, s.discount, s.placedAt]);
                s.id = rows[0].id;
                s.total = rows[0].total;
              }
              if (job.voidInside) {
                await till.query("select app_public.void_order($1, 'Placed by mistake')", [job.voidInside.id]);
                job.voidInside.voided = true;
              }
            });
            job.sales.forEach((s) => s.settle());
            saleOutcomes.push("ok");
          } catch (e) {
            for (const s of job.sales) {
              s.id = undefined;
              s.voided = false;
              s.settle(e);
            }
            saleOutcomes.push(codeOf(e));
          }
        }
      };
      // The voids, in the order their sales are placed, on two other tills while the selling
      // goes on; a doubled void goes to both tills next to each other.
      const position = new Map(jobs.flatMap((j, i) => j.sales.map((s) => [s, i] as const)));
      const voidQueue = [...toVoid].sort((a, b) => position.get(a)! - position.get(b)!).flatMap((s) => (doubles.has(s) ? [s, s] : [s]));
      const voidOutcomes = new Map<Sale, string[]>();
      const voidAll = async (till: pg.Client, parity: number) => {
        for (const [k, s] of voidQueue.entries()) {
          if (k % 2 !== parity) continue;
          const result = await s.committed.then(
            () => outcome(till.query("select app_public.void_order($1, 'Returned')", [s.id])),
            () => "sale failed",
          );
          voidOutcomes.set(s, [...(voidOutcomes.get(s) ?? []), result]);
        }
      };
      await Promise.all([...sellers.map(sell), ...voiders.map((v, i) => voidAll(v, i))]);

      // Every sale committed (none deadlocked: 40P01), every void applied once.
      expect(saleOutcomes.filter((o) => o !== "ok"), `failed sales ${where}`).toEqual([]);
      for (const [s, results] of voidOutcomes) {
        expect(results.sort(), `void of ${s.id} ${where}`).toEqual(doubles.has(s) ? ["VOIDD", "ok"] : ["ok"]);
        s.voided = true;
      }
    } finally {
      await Promise.all([...sellers, ...voiders].map((c) => c.end()));
    }

    // The orders table says what the test did.
    const all = [...annSales, ...bobSales, ...anonymous];
    const orders = new Map((await ordersOf(shop.tenantId)).map((o) => [o.id, o]));
    expect(orders.size).toBe(all.length);
    for (const s of all) {
      expect(orders.get(s.id!), where).toMatchObject({
        customer_id: s.customer,
        status: s.voided ? "voided" : "placed",
        total: s.total,
        placed_at: new Date(s.placedAt).toISOString(),
      });
    }

    // Ann's history, computed from what was placed and what was voided.
    const standing = annSales.filter((s) => !s.voided);
    expect(standing).toHaveLength(100 - 30 - 2);
    const times = standing.map((s) => new Date(s.placedAt).toISOString()).sort();
    const units = new Map<string, number>();
    for (const s of standing) for (const l of s.lines) units.set(l.catalog_item_id, (units.get(l.catalog_item_id) ?? 0) + l.quantity);
    const history = await counted(shop.tenantId);
    expect(history.stats.find((x) => x.customer_id === ann.id), `Ann's stats ${where}`).toEqual({
      customer_id: ann.id,
      visits: standing.length,
      spend: standing.reduce((n, s) => n + s.total!, 0),
      items_bought: standing.reduce((n, s) => n + s.lines.reduce((m, l) => m + l.quantity, 0), 0),
      first_visit_at: times[0],
      last_visit_at: times.at(-1),
      recent_visits: [...times].reverse().slice(0, 20),
    });
    expect(
      history.items.filter((i) => i.customer_id === ann.id).map(({ catalog_item_id, quantity }) => ({ catalog_item_id, quantity })),
      `Ann's units per item ${where}`,
    ).toEqual([...units].map(([catalog_item_id, quantity]) => ({ catalog_item_id, quantity })).sort(byKey((i) => i.catalog_item_id)));
    expect(
      history.visits.filter((v) => v.customer_id === ann.id),
      `Ann's counted visits ${where}`,
    ).toEqual(
      annSales
        .map((s) => ({
          order_id: s.id!,
          customer_id: ann.id,
          placed_at: new Date(s.placedAt).toISOString(),
          total: s.total!,
          item_count: s.lines.reduce((m, l) => m + l.quantity, 0),
          is_voided: s.voided,
        }))
        .sort(byKey((v) => v.order_id)),
    );
    // Every customer's history (Ann's and Bob's) equals the orders table's, row for row.
    expect(history, `every customer's history ${where}`).toEqual(await expectedHistory(shop.tenantId));
    expect((await db.owner.query("select count(*)::int as n from app_private.customer_order_queue")).rows[0].n).toBe(0);

    // The loyalty class: 4 of the 8 recent visits stand, so Ann is returning today (regular had
    // the voided visits been left in recent_visits), then lapsed and so on as days pass.
    const visitTimes = standing.map((s) => new Date(s.placedAt).getTime());
    const ats = [0, 20, 55, 70, 100, 400].map((d) => base + d * DAY);
    const classes = await classesOf(shop.manager, ann.id, ats);
    expect(loyaltyClass(visitTimes, base), where).toBe("returning");
    expect(loyaltyClass(annSales.map((s) => new Date(s.placedAt).getTime()), base), where).toBe("regular");
    expect(classes.at, `Ann's class at +0, +20, +55, +70, +100, +400 days ${where}`).toEqual(ats.map((t) => loyaltyClass(visitTimes, t)));
    expect(new Set(classes.at).size).toBeGreaterThanOrEqual(2);
    expect(classes.list, `Ann's class in the customers list ${where}`).toBe(loyaltyClass(visitTimes, classes.now));
    const bobTimes = bobSales.map((s) => new Date(s.placedAt).getTime());
    expect((await classesOf(shop.manager, bob.id, ats)).at, where).toEqual(ats.map((t) => loyaltyClass(bobTimes, t)));
  });
});

// ----------------------------------------------------------------------------------------------

describe("replaying the log", () => {
  const SEED = 0x15_0b;

  it("after sales, voids and merges (one racing sales and voids), a rebuild and a second dispatch change nothing", { timeout: 120_000 }, async () => {
    const r = random(SEED);
    const where = `(seed ${SEED})`;
    const { shop, items, prices } = await openStore();
    const people: string[] = [];
    for (let i = 0; i < 6; i++) people.push((await createCustomer(shop.manager, { first_name: `Pat ${i}` })).id);
    const base = Date.now();
    const orders: { id: string; customer: string | null }[] = [];
    const place = async (customer: string | null, run: (sql: string, params: unknown[]) => Promise<pg.QueryResult> = (s, p) => shop.owner.query(s, p)) => {
      const c = cart(r, items, prices);
      const { rows } = await run(placeSql, [shop.locationId, JSON.stringify(c.lines), customer, c.discount, before(base, r.int(0, 200), r)]);
      orders.push({ id: rows[0].id, customer });
      return rows[0].id as string;
    };

    // 40 sales one after the other, for the six customers or nobody, and a few voids.
    for (let i = 0; i < 40; i++) await place(r.next() < 0.1 ? null : r.pick(people));
    for (const o of r.shuffle([...orders]).slice(0, 8)) await voidOrder(shop.manager, o.id);

    // Then tills keep selling to people[1] and people[2] and voiding their earlier orders while
    // a manager merges people[1] into people[0].
    const [t1, t2, t3, t4] = [await terminal(db, shop.owner), await terminal(db, shop.owner), await terminal(db, shop.manager), await terminal(db, shop.manager)];
    try {
      const earlier = orders.filter((o) => o.customer === people[1] || o.customer === people[2]);
      const voided = await db.owner.query("select id from app_public.orders where tenant_id = $1 and status = 'voided'", [shop.tenantId]);
      const voidable = earlier.filter((o) => !voided.rows.some((v) => v.id === o.id)).slice(0, 4);
      const selling = (till: pg.Client, who: string) => async () => {
        const results = [];
        for (let i = 0; i < 6; i++) results.push(await outcome(place(who, (s, p) => till.query(s, p))));
        return results;
      };
      const results = await Promise.all([
        selling(t1, people[1])(),
        selling(t2, people[2])(),
        (async () => [await outcome(t3.query("select app_public.merge_customers($1, $2)", [people[0], people[1]]))])(),
        (async () => {
          const out = [];
          for (const o of voidable) out.push(await outcome(t4.query("select app_public.void_order($1, 'Returned')", [o.id])));
          return out;
        })(),
      ]);
      expect(results.flat().filter((x) => x !== "ok"), `concurrent sales, merge and voids ${where}`).toEqual([]);
    } finally {
      await Promise.all([t1, t2, t3, t4].map((c) => c.end()));
    }

    // A chain: people[0] (with people[1]'s history) into people[3]; sales and a void naming the
    // merged customers afterwards count for people[3].
    await mergeCustomers(shop.manager, people[3], people[0]);
    await place(people[1]);
    await place(people[0]);
    const standing = await db.owner.query("select id from app_public.orders where tenant_id = $1 and status = 'placed'", [shop.tenantId]);
    const moved = orders.find((o) => o.customer === people[1] && standing.rows.some((s) => s.id === o.id))!;
    await voidOrder(shop.manager, moved.id);
    // One transaction that sells to people[5], voids one of its orders, merges it into
    // people[4], sells to it again and voids one of people[4]'s: counted at its commit.
    const ofFive = await db.owner.query("select id from app_public.orders where tenant_id = $1 and customer_id = $2 and status = 'placed' order by id", [
      shop.tenantId,
      people[5],
    ]);
    const ofFour = await db.owner.query("select id from app_public.orders where tenant_id = $1 and customer_id = $2 and status = 'placed' order by id", [
      shop.tenantId,
      people[4],
    ]);
    expect([ofFive.rows.length > 0, ofFour.rows.length > 0], where).toEqual([true, true]);
    await shop.owner.transaction(async (c) => {
      const run = (sql: string, params: unknown[]) => c.query(sql, params);
      await place(people[5], run);
      await c.query("select app_public.void_order($1, 'Returned')", [ofFive.rows[0].id]);
      await c.query("select app_public.merge_customers($1, $2)", [people[4], people[5]]);
      await place(people[5], run);
      await c.query("select app_public.void_order($1, 'Returned')", [ofFour.rows[0].id]);
    });

    const incremental = await counted(shop.tenantId);
    expect(incremental, `incremental history against the orders ${where}`).toEqual(await expectedHistory(shop.tenantId));
    expect(incremental.stats.find((s) => s.customer_id === people[1])).toMatchObject({ visits: 0, spend: 0, last_visit_at: null, recent_visits: [] });

    // The rebuild replays every order event and lands on the same rows.
    const events = await db.owner.query(
      "select count(*)::int as n from app_private.events where tenant_id = $1 and type in ('order.placed.v1', 'order.voided.v1')",
      [shop.tenantId],
    );
    const rebuilt = await db.owner.query("select app_private.rebuild_customer_counters($1) as n", [shop.tenantId]);
    expect(rebuilt.rows[0].n).toBe(events.rows[0].n);
    expect(await counted(shop.tenantId), `history after rebuild_customer_counters ${where}`).toEqual(incremental);

    // Dispatching every order event again, or replaying, applies nothing and changes nothing.
    const again = await db.owner.query(
      `select coalesce(sum(app_private.dispatch(e, 'customer_counters')), 0)::int as n from app_private.events e
       where e.tenant_id = $1 and e.type in ('order.placed.v1', 'order.voided.v1')`,
      [shop.tenantId],
    );
    expect(again.rows[0].n).toBe(0);
    const replayed = await db.owner.query("select app_private.replay('customer_counters', $1) as n", [shop.tenantId]);
    expect(replayed.rows[0].n).toBe(0);
    expect(await counted(shop.tenantId), `history after a second dispatch ${where}`).toEqual(incremental);

    // Twice in a row is the same as once.
    await db.owner.query("select app_private.rebuild_customer_counters($1)", [shop.tenantId]);
    expect(await counted(shop.tenantId), `history after a second rebuild ${where}`).toEqual(incremental);
  });

  it("a rebuild repairs counters that drifted, including those of a customer with no visit left", async () => {
    const { shop, items } = await openStore();
    const [kept, allVoided, never] = [
      await createCustomer(shop.manager, { first_name: "Kept" }),
      await createCustomer(shop.manager, { first_name: "Voided" }),
      await createCustomer(shop.manager, { first_name: "Never" }),
    ];
    const r = random(0x15_0d);
    const base = Date.now();
    const sell = async (customerId: string, quantity: number) =>
      (
        await shop.owner.query(placeSql, [
          shop.locationId,
          JSON.stringify([{ catalog_item_id: items[0], quantity }, { catalog_item_id: items[2], quantity: 1 }]),
          customerId,
          0,
          before(base, r.int(1, 100), r),
        ])
      ).rows[0].id as string;
    await sell(kept.id, 2);
    await sell(kept.id, 1);
    const v1 = await sell(allVoided.id, 3);
    const v2 = await sell(allVoided.id, 1);
    await voidOrder(shop.manager, v1);
    await voidOrder(shop.manager, v2);
    const right = await expectedHistory(shop.tenantId);
    expect(await counted(shop.tenantId)).toEqual(right);
    expect(right.stats.find((s) => s.customer_id === allVoided.id)).toMatchObject({ visits: 0, items_bought: 0, recent_visits: [] });

    // Drift, as a past bug or a bad import would leave it: wrong totals for a customer with
    // visits, and for the customer whose orders were all voided and the one who never bought an
    // items-bought figure and a recent visit that no order stands for (visits, spend and last
    // visit are right: zero, null). A phantom recent visit would count in the loyalty window at
    // the customer's next sale; items bought shows on the profile.
    const stale = new Date(base - 5 * DAY).toISOString();
    await db.owner.query(
      `update app_public.customer_stats set visits = visits + 3, spend = spend + 999, items_bought = items_bought + 7
       where tenant_id = $1 and customer_id = $2`,
      [shop.tenantId, kept.id],
    );
    await db.owner.query(
      "update app_public.customer_stats set items_bought = 4, recent_visits = array[$3::timestamptz] where tenant_id = $1 and customer_id = any($2)",
      [shop.tenantId, [allVoided.id, never.id], stale],
    );
    await db.owner.query("update app_public.customer_item_stats set quantity = quantity + 5 where tenant_id = $1 and customer_id = $2", [
      shop.tenantId,
      kept.id,
    ]);
    expect(await counted(shop.tenantId)).not.toEqual(right);

    await db.owner.query("select app_private.rebuild_customer_counters($1)", [shop.tenantId]);
    const repaired = await counted(shop.tenantId);
    const named = (h: History) => h.stats.map((x) => ({ who: x.customer_id === kept.id ? "kept" : x.customer_id === never.id ? "never bought" : "all voided", ...x }));
    expect(named(repaired), "customer_stats after rebuild_customer_counters").toEqual(named(right));
    expect(repaired).toEqual(right);
  });
});

// ----------------------------------------------------------------------------------------------

describe("a merge combines two histories", () => {
  it("first visit the earlier, last the later, counters summed, favourite items and class recomputed over both", async () => {
    const { shop, items } = await openStore();
    const [X, Y, Z, W, V] = items;
    const p = await createCustomer(shop.manager, { first_name: "Paula" });
    const d = await createCustomer(shop.manager, { first_name: "Paula", last_name: "Dupe" });
    const base = Date.now();
    const r = random(0x15_0c);
    const sell = async (customerId: string, daysAgo: number, lines: [string, number][]) =>
      (
        await shop.owner.query(placeSql, [
          shop.locationId,
          JSON.stringify(lines.map(([catalog_item_id, quantity]) => ({ catalog_item_id, quantity }))),
          customerId,
          0,
          before(base, daysAgo, r),
        ])
      ).rows[0] as { id: string; total: number };

    // Paula: X 10, Y 9, Z 8, W 4; first visit 150 days ago, last 10 days ago; 3 visits in 90 days.
    // Her duplicate: W 7, V 6 (and a voided order of Z 20); first 300 days ago, last 40 days ago;
    // 2 visits in 90 days. Together: W 11, X 10, Y 9 — neither one's own top three.
    await sell(p.id, 150, [[X, 4], [Y, 3]]);
    await sell(p.id, 120, [[X, 3], [Z, 4], [W, 1]]);
    await sell(p.id, 70, [[Y, 6], [Z, 4]]);
    await sell(p.id, 30, [[X, 2], [W, 3]]);
    await sell(p.id, 10, [[X, 1]]);
    await sell(d.id, 300, [[V, 4], [W, 2]]);
    const dW = await sell(d.id, 80, [[W, 5]]);
    const dVoided = await sell(d.id, 60, [[Z, 20]]);
    await sell(d.id, 40, [[V, 2]]);
    await voidOrder(shop.manager, dVoided.id);

    const top = async (id: string) =>
      (
        await shop.manager.query(
          `select t.catalog_item_id, t.quantity::int from app_public.customer_stats s
           cross join lateral app_public.customer_stats_top_items(s) with ordinality t
           where s.customer_id = $1 order by t.ordinality`,
          [id],
        )
      ).rows;
    expect(await top(p.id)).toEqual([
      { catalog_item_id: X, quantity: 10 },
      { catalog_item_id: Y, quantity: 9 },
      { catalog_item_id: Z, quantity: 8 },
    ]);
    expect(await top(d.id)).toEqual([
      { catalog_item_id: W, quantity: 7 },
      { catalog_item_id: V, quantity: 6 },
    ]);
    const stats = async (id: string) => (await counted(shop.tenantId)).stats.find((s) => s.customer_id === id)!;
    const [ps, ds] = [await stats(p.id), await stats(d.id)];
    expect([ps.visits, ds.visits]).toEqual([5, 3]);
    const ats = [0, 25, 45, 65].map((k) => base + k * DAY);
    const classes = async (id: string) => (await classesOf(shop.manager, id, ats)).at;
    const times = (s: typeof ps) => s.recent_visits.map((t) => new Date(t).getTime());
    expect(await classes(p.id)).toEqual(ats.map((t) => loyaltyClass(times(ps), t)));
    expect((await classes(p.id))[0]).toBe("returning"); // 3 visits in 90 days

    await mergeCustomers(shop.manager, p.id, d.id);

    const merged = await stats(p.id);
    expect(merged).toEqual({
      customer_id: p.id,
      visits: ps.visits + ds.visits,
      spend: ps.spend + ds.spend,
      items_bought: ps.items_bought + ds.items_bought,
      first_visit_at: ds.first_visit_at, // the duplicate's, 300 days ago
      last_visit_at: ps.last_visit_at, // Paula's, 10 days ago
      recent_visits: [...ps.recent_visits, ...ds.recent_visits].sort().reverse(),
    });
    expect(await stats(d.id)).toEqual({ customer_id: d.id, visits: 0, spend: 0, items_bought: 0, first_visit_at: null, last_visit_at: null, recent_visits: [] });
    expect(await top(p.id)).toEqual([
      { catalog_item_id: W, quantity: 11 },
      { catalog_item_id: X, quantity: 10 },
      { catalog_item_id: Y, quantity: 9 },
    ]);
    expect(await top(d.id)).toEqual([]);
    // 3 + 2 visits in 90 days make a regular; the class follows the combined history.
    const combined = await classes(p.id);
    expect(combined[0]).toBe("regular");
    expect(combined).toEqual(ats.map((t) => loyaltyClass(times(merged), t)));
    expect(await counted(shop.tenantId)).toEqual(await expectedHistory(shop.tenantId));

    // A void after the merge of an order the duplicate placed takes it out of the combined
    // history: its units (W 11 → 6: no longer a favourite), and its visit from the window
    // (regular → returning).
    await voidOrder(shop.manager, dW.id);
    expect(await top(p.id)).toEqual([
      { catalog_item_id: X, quantity: 10 },
      { catalog_item_id: Y, quantity: 9 },
      { catalog_item_id: Z, quantity: 8 },
    ]);
    expect((await stats(p.id)).visits).toBe(7);
    expect((await classes(p.id))[0]).toBe("returning");
    expect(await counted(shop.tenantId)).toEqual(await expectedHistory(shop.tenantId));
    const rebuiltBefore = await counted(shop.tenantId);
    await db.owner.query("select app_private.rebuild_customer_counters($1)", [shop.tenantId]);
    expect(await counted(shop.tenantId)).toEqual(rebuiltBefore);
  });
});
