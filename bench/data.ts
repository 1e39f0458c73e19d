// The shared data set of the read-path benchmarks (search, dashboard, rebuild, api): 100 tenants
// with 1,000,000 customers (one tenant with 200,000), 5,000,000 orders over the last year at 109
// locations (the largest tenant has ten in six time zones and 1,000,000 of the orders; every other
// tenant sells at the main store onboarding made, in one of ten countries), and the events of all
// of them. 60% of orders name a customer, 0.5% are voided, 1 to 3 lines, one tender each; 15 of
// the 60 catalog items are stocked and delivered weekly. The state is what the product would have
// reached by selling them one by one:
//   * tenants, users, roles, locations, catalog and inventory items are written with every
//     trigger on (validation, audit, the billing trial row), as onboarding would;
//   * customers, orders, lines, tenders, stock movements, the event log (with the payloads of
//     db/EVENTS.md, in time order by seq), processed_events of every consumer, the customer
//     counters and every read model are written set-based as the superuser with triggers off
//     (session_replication_role = replica; calling place_order 5 million times would take
//     hours). They are computed from the same staged values, with the rules of 320/450/610/620
//     (per-line tax rounded half up, voids taken out on the date of the sale, tenders kept).
//     The rebuild benchmark checks that reporting.rebuild of the largest tenant reproduces the
//     read models exactly, which checks this generator against the product.
//   Left out: the audit rows of bulk-created customers (no figure reads them).
// Deterministic: every value is a hash of (row number, salt) — no random() — anchored at the
// time of the run (dates end today, so the dashboard has a "today"). Ids are ULID-shaped: the
// time of the row, then a kind and a counter.
//
// Built once per `npm run bench` (the first case that asks builds it; the others reuse it).
// Size: full = 1.0; --quick = 0.01; BENCH_SCALE=0.1 overrides either (development);
// BENCH_KEEP_DATA=name keeps a copy of the database (and the generator's staging) to explore.
import pg from "pg";
import type { BenchContext, BenchDatabase } from "./context.ts";
import { roles } from "../db/config.ts";

export interface BenchData {
  db: BenchDatabase;
  scale: number;
  /** The 200,000-customer tenant, which also has the most orders and locations. */
  bigTenantId: string;
  /** A session of the big tenant's owner (every permission): the bo_session cookie / app.session_id. */
  sessionId: string;
  counts: Record<string, number>;
  buildSeconds: number;
}

let building: Promise<BenchData> | undefined;

/** The data set of this run, built by the first caller (in a database of its own). */
export function benchData(ctx: BenchContext): Promise<BenchData> {
  building ??= build(ctx);
  return building;
}

/** A connection as the API role with the given session (session-level settings: one round trip per query). */
export async function visitorClient(data: BenchData): Promise<pg.Client> {
  const c = new pg.Client(data.db.authUrl);
  await c.connect();
  await c.query("select set_config('role', $1, false), set_config('app.session_id', $2, false)", [roles.visitor, data.sessionId]);
  return c;
}

export function benchScale(ctx: BenchContext): number {
  const env = Number(process.env.BENCH_SCALE);
  return Number.isFinite(env) && env > 0 ? env : ctx.quick ? 0.01 : 1;
}

// ------------------------------------------------------------------------------------------------
// What the businesses look like

const TENANTS = 100;
const BIG_CUSTOMER_SHARE = 0.2; // 200,000 of 1,000,000
const BIG_ORDER_SHARE = 0.2; // 1,000,000 of 5,000,000: the most orders of any tenant
const CATALOG_SIZE = 60;

/** Country, main time zone and sales tax (basis points) of the other tenants, in turn. */
const REGIONS = [
  { country: "US", tz: "America/New_York", tax: 888 },
  { country: "GB", tz: "Europe/London", tax: 2000 },
  { country: "FR", tz: "Europe/Paris", tax: 2000 },
  { country: "DE", tz: "Europe/Berlin", tax: 1900 },
  { country: "US", tz: "America/Chicago", tax: 1025 },
  { country: "US", tz: "America/Los_Angeles", tax: 950 },
  { country: "AU", tz: "Australia/Sydney", tax: 1000 },
  { country: "CA", tz: "America/Toronto", tax: 1300 },
  { country: "JP", tz: "Asia/Tokyo", tax: 1000 },
  { country: "US", tz: "America/Denver", tax: 775 },
];

/** The big tenant: ten shops in six time zones (the Growth plan's limit), with their share of its orders. */
const BIG_LOCATIONS = [
  { name: "Main store", tz: "America/New_York", weight: 16 },
  { name: "Brooklyn", tz: "America/New_York", weight: 12 },
  { name: "Boston", tz: "America/New_York", weight: 10 },
  { name: "Chicago Loop", tz: "America/Chicago", weight: 12 },
  { name: "Austin", tz: "America/Chicago", weight: 8 },
  { name: "Denver", tz: "America/Denver", weight: 8 },
  { name: "Phoenix", tz: "America/Phoenix", weight: 6 },
  { name: "Los Angeles", tz: "America/Los_Angeles", weight: 12 },
  { name: "Seattle", tz: "America/Los_Angeles", weight: 10 },
  { name: "Honolulu", tz: "Pacific/Honolulu", weight: 6 },
];

const NAME_WORDS_A = ["Blue", "Golden", "Little", "Corner", "Harbor", "Maple", "Urban", "Copper", "Olive", "Northern"];
const NAME_WORDS_B = ["Bean", "Bakery", "Market", "Pantry", "Roasters", "Deli", "Goods", "Kitchen", "Grocer", "Café"];

// Common given names and surnames (so that type-ahead prefixes hit the way they do in a real shop).
const FIRST_NAMES = `James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan
Joseph Jessica Thomas Sarah Christopher Karen Charles Lisa Daniel Nancy Matthew Betty Anthony Sandra Mark Margaret Donald
Ashley Steven Kimberly Andrew Emily Paul Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa George Deborah
Timothy Stephanie Ronald Rebecca Jason Sharon Edward Laura Jeffrey Cynthia Ryan Dorothy Jacob Amy Gary Kathleen Nicholas
Angela Eric Shirley Jonathan Emma Stephen Brenda Larry Pamela Justin Nicole Scott Anna Brandon Samantha Benjamin Katherine
Samuel Christine Gregory Debra Alexander Rachel Patrick Carolyn Frank Janet Raymond Maria Jack Olivia Dennis Heather Jerry
Helen Tyler Catherine Aaron Diane Jose Julie Adam Victoria Nathan Joyce Henry Lauren Zachary Kelly Douglas Christina Peter
Ruth Kyle Joan Noah Virginia Ethan Judith Jeremy Evelyn Christian Hannah Walter Andrea Keith Megan Austin Cheryl Roger
Jacqueline Terry Madison Sean Teresa Gerald Abigail Carl Sophia Dylan Martha Harold Sara Jordan Gloria Jesse Janice Bryan
Kathryn Lawrence Ann Arthur Isabella Gabriel Judy Bruce Charlotte Logan Julia Billy Grace Joe Amber Alan Alice Juan Jean
Elijah Denise Willie Frances Albert Danielle Wayne Marilyn Randy Natalie Mason Beverly Vincent Diana Liam Brittany Roy
Theresa Bobby Kayla Caleb Alexis Bradley Doris Russell Lori Lucas Tiffany`.split(/\s+/);

const LAST_NAMES = `Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez
Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson
Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell
Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers
Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood
James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins
Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson
Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar
Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen
Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz
Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels
Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce Vazquez Hansen
Peters Santos Hart Bradley Knight Elliott Cunningham Duncan Armstrong Hudson Carroll Lane Riley Andrews Alvarado Ray
Delgado Berry Perkins Hoffman Johnston Matthews Pena Richards Montgomery Willis Johns Chapman O'Brien Dubois Muller
Schneider Lefebvre Tanaka Suzuki Sato Watanabe Novak Rossi Bianchi Larsen`.split(/\s+/);

const EMAIL_DOMAINS = ["gmail.com", "gmail.com", "gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "aol.com", "proton.me", "mail.com"];

/** Catalog of every tenant: name, price in cents, stocked (an inventory item with a low-stock threshold). */
const CATALOG: { name: string; price: number; stock?: number }[] = [
  ["Latte", 475], ["Flat White", 450], ["Cappuccino", 450], ["Americano", 350], ["Butter Croissant", 375, 12],
  ["Espresso", 300], ["Cold Brew", 450], ["Iced Latte", 500], ["Pain au Chocolat", 425, 10], ["Mocha", 525],
  ["Chai Latte", 475], ["Hot Chocolate", 425], ["Blueberry Muffin", 350, 8], ["Pot of Tea", 350], ["Matcha Latte", 525],
  ["Banana Bread", 395, 6], ["Extra Shot", 75], ["Oat Milk", 60], ["Sparkling Water", 250], ["Orange Juice", 425, 12],
  ["Cortado", 400], ["Macchiato", 375], ["Ham & Cheese Toastie", 825, 6], ["Avocado Toast", 950], ["Granola Bowl", 750, 5],
  ["Iced Tea", 375], ["Lemonade", 400], ["Almond Croissant", 450, 8], ["Cinnamon Roll", 425], ["Bagel", 300, 15],
  ["Cream Cheese", 150], ["Chocolate Chip Cookie", 250, 20], ["Brownie", 350], ["Carrot Cake", 495], ["Cheesecake Slice", 550, 4],
  ["Quiche Lorraine", 795], ["Soup of the Day", 650], ["Caesar Salad", 1150, 4], ["Club Sandwich", 1095], ["BLT", 895],
  ["Tuna Melt", 925, 5], ["Veggie Wrap", 850], ["Fruit Cup", 450], ["Yogurt Parfait", 525, 6], ["Smoothie", 650],
  ["House Blend Beans 250g", 1400], ["Single Origin Beans 250g", 1800, 6], ["Reusable Cup", 1500, 10], ["Gift Card Sleeve", 100], ["Tote Bag", 1200],
  ["Decaf Latte", 475], ["Affogato", 550], ["Scone", 325], ["Jam", 75], ["Madeleine", 225, 12],
  ["Kombucha", 475], ["Ginger Shot", 300], ["Breakfast Burrito", 895, 5], ["Porridge", 550], ["Sourdough Loaf", 750, 6],
].map(([name, price, stock]) => ({ name: name as string, price: price as number, stock: stock as number | undefined }));

const VOID_REASONS = ["Customer changed their mind", "Rang up the wrong item", "Duplicate order", "Payment declined", "Test order"];

// ------------------------------------------------------------------------------------------------

function tenantPlan(scale: number) {
  const customers = Math.round(1_000_000 * scale);
  const orders = Math.round(5_000_000 * scale);
  const bigCustomers = Math.round(customers * BIG_CUSTOMER_SHARE);
  const bigOrders = Math.round(orders * BIG_ORDER_SHARE);
  // The others differ in size (0.5× to 1.5× the mean), deterministically.
  const weights = Array.from({ length: TENANTS - 1 }, (_, i) => 0.5 + ((i * 37) % 99) / 98);
  const wsum = weights.reduce((a, b) => a + b, 0);
  const share = (total: number) => {
    const parts = weights.map((w) => Math.max(1, Math.floor((total * w) / wsum)));
    parts[0] += total - parts.reduce((a, b) => a + b, 0);
    return parts;
  };
  const cust = [bigCustomers, ...share(customers - bigCustomers)];
  const ord = [bigOrders, ...share(orders - bigOrders)];
  return Array.from({ length: TENANTS }, (_, tix) => {
    const region = tix === 0 ? REGIONS[0] : REGIONS[(tix - 1) % REGIONS.length];
    const name = tix === 0 ? "Harbor Coffee Co." : `${NAME_WORDS_A[tix % 10]} ${NAME_WORDS_B[Math.floor(tix / 10) % 10]} ${tix}`;
    const locations =
      tix === 0
        ? BIG_LOCATIONS.map((l) => ({ name: l.name, tz: l.tz, weight: l.weight }))
        : [{ name: "Main store", tz: region.tz, weight: 1 }];
    const wl = locations.reduce((a, l) => a + l.weight, 0);
    let left = ord[tix];
    const locs = locations.map((l, i) => {
      const n = i === locations.length - 1 ? left : Math.floor((ord[tix] * l.weight) / wl);
      left -= n;
      return { name: l.name, tz: l.tz, orders: n };
    });
    return { tix, name, country: region.country, tax: region.tax, customers: cust[tix], cashiers: tix === 0 ? 12 : 2, locations: locs };
  });
}

// ------------------------------------------------------------------------------------------------
// SQL

/** Helpers of the generator, in a schema of their own (dropped at the end). */
const HELPERS = `
create schema bench_gen;
-- A uniform number in [0, 1) from a row number and a salt (deterministic, order-independent).
create function bench_gen.u(n bigint, salt int) returns float8 language sql immutable parallel safe as
$$ select ((hashint8extended(n, salt) >> 11) & 9007199254740991)::float8 / 9007199254740992.0 $$;
create function bench_gen.ms(ts timestamptz) returns bigint language sql immutable parallel safe as
$$ select floor(date_part('epoch', ts) * 1000)::bigint $$;
-- The 10 time characters of a ULID (Crockford base32 of the milliseconds). Give it a column or a
-- constant: the argument is evaluated once per character.
create function bench_gen.tp(ms bigint) returns text language sql immutable parallel safe as $$ select
  ${Array.from({ length: 10 }, (_, i) => `substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ((ms >> ${45 - i * 5}) & 31)::int + 1, 1)`).join(" || ")} $$;
-- A ULID-shaped id: the time characters, then a kind (which table) and a counter in hexadecimal.
create function bench_gen.id(tp text, kind int, n bigint) returns text language sql immutable parallel safe as
$$ select tp || upper(lpad(to_hex((kind::bigint << 52) | n), 16, '0')) $$;
-- seq of an event: its time first (the log is in time order), then the row and the step.
create function bench_gen.seq(ms bigint, n bigint, sub int) returns bigint language sql immutable parallel safe as
$$ select (ms - 1500000000000) * 16777216 + (n & 262143) * 64 + sub $$;

create table bench_gen.anchor as select now() as at;
create table bench_gen.g_tenants (
  tix int primary key, tenant_id text, name text, country text, tax int, n_cust int, cust_off bigint,
  owner_id text, cashier_ids text[], t0_ms bigint, span_ms bigint,
  item_prices int[]
);
-- The catalog of each tenant by position (1..${CATALOG_SIZE}), and its stocked items.
create table bench_gen.g_items (
  tix int, it int, id text, sku text, name text, price int, inv_id text, inv_name text, thr int, primary key (tix, it)
);
create table bench_gen.g_locations (
  lix int primary key, tix int, tenant_id text, location_id text, name text, tz text, n_orders int, order_off bigint,
  today date, now_local timestamp
);
-- Templates of the staging tables: each worker stages into temporary copies (g_orders, g_customers).
create unlogged table bench_gen.g_orders (
  tix int, lix int, tenant_id text, location_id text, tz text, n bigint, order_id text, tp text, ms bigint,
  placed_at timestamptz, bd date, ck int, cust_id text, cashier text, owner_id text, tax int, nl int,
  it1 int, it2 int, it3 int, q1 int, q2 int, q3 int, p1 int, p2 int, p3 int, ld1 int, ld2 int, ld3 int, od int,
  net1 int, net2 int, net3 int, tax1 int, tax2 int, tax3 int,
  subtotal int, disc_total int, tax_total int, total int, item_count int,
  voided boolean, void_at timestamptz, void_reason text, card boolean, amount int, change int, tender_at timestamptz,
  void_ms bigint, void_tp text, tender_ms bigint, tender_tp text
);
create unlogged table bench_gen.g_customers (
  tix int, tenant_id text, k int, n bigint, id text, created_at timestamptz, ms bigint, number text,
  first_name text, last_name text, email text, phone text, tags jsonb, consent boolean, created_by text
);
`;

/** The lines of a staged order g (with its tenant t), as rows of (j, it, q, p, ld, od, net, tax). */
const LINES = `(values (1, g.it1, g.q1, g.p1, g.ld1, g.od, g.net1, g.tax1), (2, g.it2, g.q2, g.p2, g.ld2, 0, g.net2, g.tax2),
                        (3, g.it3, g.q3, g.p3, g.ld3, 0, g.net3, g.tax3)) as v(j, it, q, p, ld, od, net, tax)`;

/** A staged order g with the catalog items of its three possible lines (i1, i2, i3). */
const ORDER_ITEMS = `g_orders g
  join bench_gen.g_items i1 on i1.tix = g.tix and i1.it = g.it1
  join bench_gen.g_items i2 on i2.tix = g.tix and i2.it = g.it2
  join bench_gen.g_items i3 on i3.tix = g.tix and i3.it = g.it3`;

const lineObject = (j: number) => `jsonb_build_object(
    'line_id', bench_gen.id(g.tp, 10, g.n * 4 + ${j}), 'line_no', ${j}, 'catalog_item_id', i${j}.id, 'sku', i${j}.sku, 'name', i${j}.name,
    'quantity', g.q${j}, 'unit_price', g.p${j}, 'subtotal', g.p${j} * g.q${j}, 'discount', g.ld${j}${j === 1 ? " + g.od" : ""},
    'revenue', g.net${j}, 'tax', g.tax${j}, 'total', g.net${j} + g.tax${j})`;

/** order_event_payload of 320 for a staged order (from ORDER_ITEMS). */
const ORDER_PAYLOAD = `jsonb_build_object(
    'order_id', g.order_id, 'location_id', g.location_id, 'business_date', to_char(g.bd, 'YYYY-MM-DD'),
    'placed_at', app_hidden.iso_utc(g.placed_at), 'customer_id', g.cust_id, 'placed_by_user_id', g.cashier,
    'tax_rate_bps', g.tax, 'subtotal', g.subtotal, 'order_discount', g.od, 'discount_total', g.disc_total,
    'tax_total', g.tax_total, 'total', g.total, 'item_count', g.item_count,
    'lines', case g.nl when 1 then jsonb_build_array(${lineObject(1)})
                       when 2 then jsonb_build_array(${lineObject(1)}, ${lineObject(2)})
                       else jsonb_build_array(${lineObject(1)}, ${lineObject(2)}, ${lineObject(3)}) end)`;

/** Inserts events from a select (columns of app_private.events) and marks them processed by the given consumers. */
function eventsWith(select: string, consumers: string[]): string {
  return `with ev as (
    insert into app_private.events (tenant_id, id, seq, type, aggregate_type, aggregate_id, payload, actor_user_id, occurred_at)
    overriding system value
    ${select}
    returning tenant_id, id, occurred_at)
  insert into app_private.processed_events (tenant_id, event_id, consumer, processed_at)
  select ev.tenant_id, ev.id, c.consumer, ev.occurred_at from ev
  cross join (values ${consumers.map((c) => `('${c}')`).join(", ")}) as c(consumer)`;
}

/** Stages the orders of some tenants ($1: tenant indexes). */
const STAGE_ORDERS = `
insert into g_orders
select l.tix, l.lix, l.tenant_id, l.location_id, l.tz, o.n, bench_gen.id(bench_gen.tp(a.ms), 9, o.n), bench_gen.tp(a.ms), a.ms,
       a.placed_at, (a.placed_at at time zone l.tz)::date, c.ck,
       case when c.ck is not null then bench_gen.id(bench_gen.tp(t.t0_ms + floor((c.ck - 1)::float8 * t.span_ms / t.n_cust)::bigint), 8, t.cust_off + c.ck) end,
       t.cashier_ids[1 + (o.n % cardinality(t.cashier_ids))::int], t.owner_id, t.tax, x.nl,
       x.it1, x.it2, x.it3, x.q1, x.q2, x.q3, p.p1, p.p2, p.p3, p.ld1, p.ld2, p.ld3, p.od,
       m.net1, m.net2, m.net3, m.tax1, m.tax2, m.tax3,
       s.subtotal, s.disc_total, s.tax_total, s.total, s.item_count,
       v.voided, case when v.voided then v.void_at end, case when v.voided then (array[${VOID_REASONS.map((r) => `'${r}'`).join(", ")}])[1 + (o.n % ${VOID_REASONS.length})::int] end,
       y.card, y.amount, y.amount - s.total, y.tender_at,
       case when v.voided then bench_gen.ms(v.void_at) end, case when v.voided then bench_gen.tp(bench_gen.ms(v.void_at)) end,
       bench_gen.ms(y.tender_at), bench_gen.tp(bench_gen.ms(y.tender_at))
from bench_gen.g_locations l
join bench_gen.g_tenants t on t.tix = l.tix
cross join bench_gen.anchor an
cross join lateral generate_series(l.order_off + 1, l.order_off + l.n_orders) as o(n)
-- Business hours (8:00 to 20:00 on the shop's clock) on one of the last 365 days; not after now.
cross join lateral (select (l.today - floor(bench_gen.u(o.n, 1) * 365)::int)::timestamp
                           + make_interval(secs => 28800 + floor(bench_gen.u(o.n, 2) * 43200000) / 1000.0) as lt offset 0) lt
cross join lateral (select p.placed_at, bench_gen.ms(p.placed_at) as ms
                    from (select (case when lt.lt > l.now_local then lt.lt - interval '365 days' else lt.lt end) at time zone l.tz as placed_at offset 0) p offset 0) a
-- 60% of the orders name a customer who existed by then, the older (regular) ones more often.
cross join lateral (select case when bench_gen.u(o.n, 3) < 0.6 then
                      1 + floor(greatest(1, least(t.n_cust, floor(t.n_cust * (a.ms - t.t0_ms)::float8 / t.span_ms)))
                                * power(bench_gen.u(o.n, 4), 1.7))::int end as ck offset 0) c
-- 1 to 3 lines, popular items more often, mostly one of each; 5% of lines get 10% off; 3% of
-- one-line orders get 1.00 off the order.
cross join lateral (select 1 + (bench_gen.u(o.n, 5) > 0.5)::int + (bench_gen.u(o.n, 5) > 0.85)::int as nl,
                           ${[1, 2, 3].map((j) => `1 + floor(${CATALOG_SIZE} * power(bench_gen.u(o.n, ${10 + j}), 2))::int as it${j}`).join(", ")},
                           ${[1, 2, 3].map((j) => `1 + (bench_gen.u(o.n, ${13 + j}) > 0.8)::int + (bench_gen.u(o.n, ${13 + j}) > 0.95)::int as q${j}`).join(", ")} offset 0) x
cross join lateral (select q.*, case when x.nl = 1 and bench_gen.u(o.n, 6) < 0.03 and q.p1 * x.q1 - q.ld1 >= 300 then 100 else 0 end as od
                    from (select ${[1, 2, 3].map((j) => `t.item_prices[x.it${j}] as p${j}, case when bench_gen.u(o.n, ${16 + j}) < 0.05 then t.item_prices[x.it${j}] * x.q${j} / 10 else 0 end as ld${j}`).join(", ")} offset 0) q offset 0) p
cross join lateral (select n.*, ${[1, 2, 3].map((j) => `(n.net${j} * t.tax + 5000) / 10000 as tax${j}`).join(", ")}
                    from (select p.p1 * x.q1 - p.ld1 - p.od as net1, p.p2 * x.q2 - p.ld2 as net2, p.p3 * x.q3 - p.ld3 as net3 offset 0) n offset 0) m
cross join lateral (select ${(() => {
  const sum = (f: (j: number) => string) => `(${f(1)} + case when x.nl >= 2 then ${f(2)} else 0 end + case when x.nl >= 3 then ${f(3)} else 0 end)`;
  return [
    `${sum((j) => `p.p${j} * x.q${j}`)} as subtotal`,
    `${sum((j) => `p.ld${j}`)} + p.od as disc_total`,
    `${sum((j) => `m.tax${j}`)} as tax_total`,
    `${sum((j) => `m.net${j} + m.tax${j}`)} as total`,
    `${sum((j) => `x.q${j}`)} as item_count`,
  ].join(", ");
})()} offset 0) s
-- 0.5% voided 2 to 30 minutes later (by the owner); paid at once: 70% card, else cash rounded up to 5.00.
cross join lateral (select bench_gen.u(o.n, 7) < 0.005 and a.placed_at + make_interval(secs => 120 + bench_gen.u(o.n, 8) * 1680) <= an.at as voided,
                           a.placed_at + make_interval(secs => 120 + floor(bench_gen.u(o.n, 8) * 1680000) / 1000.0) as void_at offset 0) v
cross join lateral (select bench_gen.u(o.n, 9) < 0.7 as card,
                           case when bench_gen.u(o.n, 9) < 0.7 then s.total else (s.total + 499) / 500 * 500 end as amount,
                           least(a.placed_at + make_interval(secs => 15 + floor(bench_gen.u(o.n, 21) * 60000) / 1000.0), an.at) as tender_at offset 0) y
where l.tix = any($1::int[])
-- In id order, so that every table's primary key (the tenant, then a time-ordered id) is appended to
-- rather than written all over: the statements below read g_orders in this order.
order by l.tenant_id, a.ms, o.n`;

/** Stages the customers of some tenants ($1), with names, emails and phones of their country. */
function stageCustomers(): string {
  const first = `(array[${FIRST_NAMES.map((n) => `'${n.replace(/'/g, "''")}'`).join(",")}])`;
  const last = `(array[${LAST_NAMES.map((n) => `'${n.replace(/'/g, "''")}'`).join(",")}])`;
  const domains = `(array[${EMAIL_DOMAINS.map((d) => `'${d}'`).join(",")}])`;
  // Unique per tenant: the national number is a bijection of the customer number (gcd(7919, 10) = 1).
  const phone = `case t.country
      when 'US' then '+1' || (array['212','646','718','917','312','773','213','310','415','512','602','206','303','808','617'])[1 + (c.n % 15)::int]
                      || (2000000 + (c.k::bigint * 7919) % 8000000)::text
      when 'CA' then '+1' || (array['416','647','437','905'])[1 + (c.n % 4)::int] || (2000000 + (c.k::bigint * 7919) % 8000000)::text
      when 'GB' then '+447' || lpad(((c.k::bigint * 7919) % 1000000000)::text, 9, '0')
      when 'FR' then '+33' || (6 + (c.n % 2)::int)::text || lpad(((c.k::bigint * 7919) % 100000000)::text, 8, '0')
      when 'DE' then '+4915' || (1 + (c.n % 9)::int)::text || lpad(((c.k::bigint * 7919) % 100000000)::text, 8, '0')
      when 'AU' then '+614' || lpad(((c.k::bigint * 7919) % 100000000)::text, 8, '0')
      when 'JP' then '+81' || (array['90','80','70'])[1 + (c.n % 3)::int] || lpad(((c.k::bigint * 7919) % 100000000)::text, 8, '0')
    end`;
  return `
insert into g_customers
select c.tix, c.tenant_id, c.k, c.n, bench_gen.id(bench_gen.tp(c.ms), 8, c.n), c.created_at, c.ms, app_hidden.format_customer_number(c.k),
       c.first_name, c.last_name,
       case when c.has_email then
         lower(regexp_replace(case (c.n % 4)
           when 0 then coalesce(c.first_name || '.', '') || coalesce(c.last_name, 'customer')
           when 1 then coalesce(c.first_name, '') || coalesce(c.last_name, 'customer')
           when 2 then coalesce(left(c.first_name, 1), '') || coalesce(c.last_name, 'customer')
           else coalesce(c.last_name || '.', '') || coalesce(c.first_name, 'customer') end, '[^A-Za-z.]', '', 'g'))
         || c.k || '@' || ${domains}[1 + floor(bench_gen.u(c.n, 34) * ${EMAIL_DOMAINS.length})::int] end,
       case when c.has_phone then ${phone} end,
       case when bench_gen.u(c.n, 35) < 0.08 then '["VIP"]'::jsonb when bench_gen.u(c.n, 35) < 0.12 then '["Wholesale"]'::jsonb
            when bench_gen.u(c.n, 35) < 0.15 then '["Staff"]'::jsonb else '[]'::jsonb end,
       case when bench_gen.u(c.n, 36) < 0.3 then true when bench_gen.u(c.n, 36) < 0.45 then false end,
       t.cashier_ids[1 + (c.n % cardinality(t.cashier_ids))::int]
from (
  select t.tix, t.tenant_id, k.k, t.cust_off + k.k as n, to_timestamp(cm.ms / 1000.0) as created_at, cm.ms,
         case when bench_gen.u(t.cust_off + k.k, 30) >= 0.03 then ${first}[1 + floor(${FIRST_NAMES.length} * power(bench_gen.u(t.cust_off + k.k, 31), 1.6))::int] end as first_name,
         case when bench_gen.u(t.cust_off + k.k, 30) >= 0.03 then ${last}[1 + floor(${LAST_NAMES.length} * power(bench_gen.u(t.cust_off + k.k, 32), 1.6))::int] end as last_name,
         bench_gen.u(t.cust_off + k.k, 30) < 0.03 or bench_gen.u(t.cust_off + k.k, 33) < 0.75 as has_email,
         bench_gen.u(t.cust_off + k.k, 33) >= 0.75 or bench_gen.u(t.cust_off + k.k, 37) < 0.8 as has_phone
  from bench_gen.g_tenants t
  cross join lateral generate_series(1, t.n_cust) as k(k)
  cross join lateral (select t.t0_ms + floor((k.k - 1)::float8 * t.span_ms / t.n_cust)::bigint as ms) cm
  where t.tix = any($1::int[])
) c
join bench_gen.g_tenants t on t.tix = c.tix
order by c.tenant_id, c.k`;
}

/** Everything written from the staged orders and customers of a batch, in order. */
const WRITE_BATCH: [string, string][] = [
  [
    "orders",
    `insert into app_public.orders (tenant_id, id, location_id, customer_id, status, subtotal, order_discount, discount_total,
       tax_rate_bps, tax_total, total, paid_total, placed_at, business_date, placed_by_user_id, voided_at, void_reason,
       voided_by_user_id, created_at, updated_at)
     select g.tenant_id, g.order_id, g.location_id, g.cust_id, case when g.voided then 'voided' else 'placed' end, g.subtotal, g.od,
            g.disc_total, g.tax, g.tax_total, g.total, g.total, g.placed_at, g.bd, g.cashier, g.void_at, g.void_reason,
            case when g.voided then g.owner_id end, g.placed_at, coalesce(g.void_at, g.tender_at)
     from g_orders g`,
  ],
  [
    "order lines",
    `insert into app_public.order_lines (tenant_id, id, order_id, line_no, catalog_item_id, sku, name, unit_price, quantity,
       subtotal, line_discount, order_discount_share, net_total, tax, total)
     select g.tenant_id, bench_gen.id(g.tp, 10, g.n * 4 + v.j), g.order_id, v.j, i.id, i.sku, i.name,
            v.p, v.q, v.p * v.q, v.ld, v.od, v.net, v.tax, v.net + v.tax
     from g_orders g cross join lateral ${LINES} join bench_gen.g_items i on i.tix = g.tix and i.it = v.it
     where v.j <= g.nl`,
  ],
  [
    "tenders",
    `insert into app_public.tenders (tenant_id, id, order_id, type, amount, change_given, recorded_by_user_id, created_at)
     select g.tenant_id, bench_gen.id(g.tp, 11, g.n), g.order_id, case when g.card then 'card' else 'cash' end, g.amount, g.change,
            g.cashier, g.tender_at
     from g_orders g`,
  ],
  [
    "stock movements",
    `insert into app_public.inventory_movements (tenant_id, id, location_id, inventory_item_id, quantity, reason, note, order_id,
       order_line_id, actor_user_id, occurred_at, created_at)
     select g.tenant_id, bench_gen.id(g.tp, 12, g.n * 4 + v.j), g.location_id, i.inv_id, -v.q, 'sale', null, g.order_id,
            bench_gen.id(g.tp, 10, g.n * 4 + v.j), g.cashier, g.placed_at, g.placed_at
     from g_orders g cross join lateral ${LINES} join bench_gen.g_items i on i.tix = g.tix and i.it = v.it
     where v.j <= g.nl and i.inv_id is not null
     union all
     select g.tenant_id, bench_gen.id(g.void_tp, 13, g.n * 4 + v.j), g.location_id, i.inv_id, v.q,
            'sale', 'Void of order ' || g.order_id, g.order_id, bench_gen.id(g.tp, 10, g.n * 4 + v.j), g.owner_id, g.void_at, g.void_at
     from g_orders g cross join lateral ${LINES} join bench_gen.g_items i on i.tix = g.tix and i.it = v.it
     where g.voided and v.j <= g.nl and i.inv_id is not null`,
  ],
  [
    "order events",
    eventsWith(
      `select g.tenant_id, bench_gen.id(g.tp, 15, g.n), bench_gen.seq(g.ms, g.n, 0), 'order.placed.v1', 'order', g.order_id,
              ${ORDER_PAYLOAD}, g.cashier, g.placed_at
       from ${ORDER_ITEMS}`,
      ["customer_counters", "reporting_customers", "reporting_sales"],
    ),
  ],
  [
    "void events",
    eventsWith(
      `select g.tenant_id, bench_gen.id(g.void_tp, 18, g.n), bench_gen.seq(g.void_ms, g.n, 8),
              'order.voided.v1', 'order', g.order_id,
              ${ORDER_PAYLOAD} || jsonb_build_object('voided_at', app_hidden.iso_utc(g.void_at),
                'voided_business_date', to_char((g.void_at at time zone g.tz)::date, 'YYYY-MM-DD'), 'void_reason', g.void_reason,
                'voided_by_user_id', g.owner_id, 'paid_total', g.total),
              g.owner_id, g.void_at
       from ${ORDER_ITEMS} where g.voided`,
      ["customer_counters", "reporting_customers", "reporting_sales"],
    ),
  ],
  [
    "tender events",
    eventsWith(
      `select g.tenant_id, bench_gen.id(g.tender_tp, 16, g.n), bench_gen.seq(g.tender_ms, g.n, 4),
              'tender.recorded.v1', 'order', g.order_id,
              jsonb_build_object('tender_id', bench_gen.id(g.tp, 11, g.n), 'order_id', g.order_id, 'location_id', g.location_id,
                'business_date', to_char(g.bd, 'YYYY-MM-DD'), 'customer_id', g.cust_id, 'type', case when g.card then 'card' else 'cash' end,
                'amount', g.amount, 'change_given', g.change, 'applied_amount', g.total, 'order_total', g.total, 'paid_total', g.total,
                'amount_due', 0, 'recorded_at', app_hidden.iso_utc(g.tender_at), 'recorded_by_user_id', g.cashier),
              g.cashier, g.tender_at
       from g_orders g`,
      ["reporting_sales"],
    ),
  ],
  [
    "stock events",
    eventsWith(
      `select g.tenant_id, bench_gen.id(g.tp, 17, g.n * 4 + v.j), bench_gen.seq(g.ms, g.n, v.j), 'inventory.movement.created.v1',
              'inventory_item', i.inv_id,
              jsonb_build_object('movement_id', bench_gen.id(g.tp, 12, g.n * 4 + v.j), 'location_id', g.location_id,
                'inventory_item_id', i.inv_id, 'inventory_item_name', i.inv_name, 'catalog_item_id', i.id,
                'quantity', -v.q, 'reason', 'sale', 'note', null, 'order_id', g.order_id,
                'order_line_id', bench_gen.id(g.tp, 10, g.n * 4 + v.j), 'occurred_at', app_hidden.iso_utc(g.placed_at),
                'business_date', g.bd, 'actor_user_id', g.cashier),
              g.cashier, g.placed_at
       from g_orders g cross join lateral ${LINES} join bench_gen.g_items i on i.tix = g.tix and i.it = v.it
       where v.j <= g.nl and i.inv_id is not null
       union all
       select g.tenant_id, bench_gen.id(g.void_tp, 19, g.n * 4 + v.j), bench_gen.seq(g.void_ms, g.n, 8 + v.j),
              'inventory.movement.created.v1', 'inventory_item', i.inv_id,
              jsonb_build_object('movement_id', bench_gen.id(g.void_tp, 13, g.n * 4 + v.j), 'location_id', g.location_id,
                'inventory_item_id', i.inv_id, 'inventory_item_name', i.inv_name, 'catalog_item_id', i.id,
                'quantity', v.q, 'reason', 'sale', 'note', 'Void of order ' || g.order_id, 'order_id', g.order_id,
                'order_line_id', bench_gen.id(g.tp, 10, g.n * 4 + v.j), 'occurred_at', app_hidden.iso_utc(g.void_at),
                'business_date', (g.void_at at time zone g.tz)::date, 'actor_user_id', g.owner_id),
              g.owner_id, g.void_at
       from g_orders g cross join lateral ${LINES} join bench_gen.g_items i on i.tix = g.tix and i.it = v.it
       where g.voided and v.j <= g.nl and i.inv_id is not null`,
      ["reporting_sales"],
    ),
  ],
  [
    "customers",
    `insert into app_public.customers (tenant_id, id, customer_number, email, phone, first_name, last_name, tags, marketing_consent,
       marketing_consent_updated_at, marketing_consent_source, total_visits, total_spend, last_visit_at, status, created_by,
       created_at, updated_at)
     select c.tenant_id, c.id, c.number, c.email, c.phone, c.first_name, c.last_name, c.tags, c.consent,
            case when c.consent is not null then c.created_at end, case when c.consent is not null then 'pos' end,
            coalesce(a.visits, 0), coalesce(a.spend, 0), a.last_visit, 'active', c.created_by, c.created_at,
            greatest(c.created_at, a.last_visit)
     from g_customers c
     left join (select g.tix, g.ck, count(*) as visits, sum(g.total) as spend, max(g.placed_at) as last_visit
                from g_orders g where g.ck is not null and not g.voided group by g.tix, g.ck) a
       on a.tix = c.tix and a.ck = c.k
     order by c.tenant_id, c.id`,
  ],
  [
    "customer events",
    eventsWith(
      `select c.tenant_id, bench_gen.id(bench_gen.tp(c.ms), 20, c.n), bench_gen.seq(c.ms, c.n, 63), 'customer.created.v1', 'customer', c.id,
              jsonb_build_object('customer_id', c.id, 'customer_number', c.number,
                'display_name', coalesce(nullif(btrim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')), ''), c.email, c.phone),
                'email', c.email, 'phone', c.phone, 'first_name', c.first_name, 'last_name', c.last_name, 'tags', c.tags,
                'marketing_consent', c.consent, 'status', 'active', 'created_by', c.created_by, 'created_at', app_hidden.iso_utc(c.created_at)),
              c.created_by, c.created_at
       from g_customers c`,
      ["reporting_customers"],
    ),
  ],
  [
    "customer numbers",
    `insert into app_private.tenant_counters (tenant_id, name, value)
     select t.tenant_id, 'customer_number', t.n_cust from bench_gen.g_tenants t where t.tix in (select distinct c.tix from g_customers c)`,
  ],
  [
    "daily sales",
    `insert into reporting.rm_daily_sales (tenant_id, location_id, business_date, order_count, gross_sales, discount_total, tax_total,
       net_sales, tender_cash, tender_card, void_count, void_total, updated_at)
     select g.tenant_id, g.location_id, g.bd, count(*) filter (where not g.voided),
            coalesce(sum(g.subtotal) filter (where not g.voided), 0), coalesce(sum(g.disc_total) filter (where not g.voided), 0),
            coalesce(sum(g.tax_total) filter (where not g.voided), 0), coalesce(sum(g.total) filter (where not g.voided), 0),
            coalesce(sum(g.total) filter (where not g.card), 0), coalesce(sum(g.total) filter (where g.card), 0),
            count(*) filter (where g.voided), coalesce(sum(g.total) filter (where g.voided), 0),
            max(greatest(g.tender_at, g.void_at))
     from g_orders g group by g.tenant_id, g.location_id, g.bd
     order by g.tenant_id, g.location_id, g.bd`,
  ],
  [
    "item sales",
    `insert into reporting.rm_item_sales (tenant_id, location_id, business_date, catalog_item_id, catalog_item_name, name_seq,
       quantity_sold, gross_revenue, net_revenue, updated_at)
     select g.tenant_id, g.location_id, g.bd, i.id, min(i.name), max(bench_gen.seq(g.ms, g.n, 0)),
            coalesce(sum(v.q) filter (where not g.voided), 0), coalesce(sum(v.p * v.q) filter (where not g.voided), 0),
            coalesce(sum(v.net) filter (where not g.voided), 0), max(g.placed_at)
     from g_orders g cross join lateral ${LINES} join bench_gen.g_items i on i.tix = g.tix and i.it = v.it
     where v.j <= g.nl
     group by g.tenant_id, g.location_id, g.bd, i.id
     order by g.tenant_id, g.location_id, g.bd, i.id`,
  ],
  [
    "customer visits",
    `insert into reporting.rm_customer_visits (tenant_id, order_id, customer_id, placed_at, total, is_voided)
     select g.tenant_id, g.order_id, g.cust_id, g.placed_at, g.total, g.voided from g_orders g where g.ck is not null`,
  ],
  [
    "customer activity",
    `insert into reporting.rm_customer_activity (tenant_id, customer_id, customer_name, total_visits, total_spend, last_visit_at,
       name_seq, updated_at)
     select c.tenant_id, c.id, coalesce(nullif(btrim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')), ''), c.email, c.phone),
            coalesce(a.visits, 0), coalesce(a.spend, 0), a.last_visit, bench_gen.seq(c.ms, c.n, 63), greatest(c.created_at, a.last_visit)
     from g_customers c
     left join (select g.tix, g.ck, count(*) as visits, sum(g.total) as spend, max(g.placed_at) as last_visit
                from g_orders g where g.ck is not null and not g.voided group by g.tix, g.ck) a
       on a.tix = c.tix and a.ck = c.k
     order by c.tenant_id, c.id`,
  ],
];

/**
 * Deliveries: every stocked item that sold at a location is received there weekly over the year,
 * enough to end at 0.3 to 2.8 times its low-stock threshold (so some are low, most are not).
 * Then the on-hand read model from all the movements. $1: tenant indexes.
 */
const STOCK: string[] = [
`
create temp table g_receipts on commit drop as
select s.tenant_id, s.location_id, s.tz, s.inv_id, s.inv_name, s.catalog_item_id, s.owner_id, s.thr, s.sold, w.w,
       ((s.sold + floor(s.thr * (0.3 + 2.5 * bench_gen.u(s.h, 40)))::int + s.deliveries - 1) / s.deliveries) as qty,
       (((select at from bench_gen.anchor) at time zone s.tz)::date - 3 - (w.w * 364 / s.deliveries) + time '07:00') at time zone s.tz as at,
       s.h * 64 + w.w as n
from (
  select s.*, least(52, greatest(1, s.sold / 20))::int as deliveries
  from (
    select g.tenant_id, g.location_id, g.tz, i.inv_id as inv_id, i.inv_name as inv_name, i.id as catalog_item_id,
           i.thr as thr, g.owner_id, coalesce(sum(v.q) filter (where not g.voided), 0) as sold, min(g.lix) * 1000 + v.it as h
    from g_orders g cross join lateral ${LINES} join bench_gen.g_items i on i.tix = g.tix and i.it = v.it
    where v.j <= g.nl and i.inv_id is not null
    group by g.tenant_id, g.location_id, g.tz, i.inv_id, i.inv_name, i.id, i.thr, g.owner_id, v.it
  ) s
) s
cross join lateral generate_series(0, s.deliveries - 1) as w(w)
`,
`
insert into app_public.inventory_movements (tenant_id, id, location_id, inventory_item_id, quantity, reason, order_id, order_line_id,
  actor_user_id, occurred_at, created_at)
select r.tenant_id, bench_gen.id(bench_gen.tp(bench_gen.ms(r.at)), 14, r.n), r.location_id, r.inv_id, r.qty, 'receive', null, null, r.owner_id, r.at, r.at
from g_receipts r where r.qty > 0
`,
`
${eventsWith(
  `select r.tenant_id, bench_gen.id(bench_gen.tp(bench_gen.ms(r.at)), 21, r.n), bench_gen.seq(bench_gen.ms(r.at), r.n, 62),
          'inventory.movement.created.v1', 'inventory_item', r.inv_id,
          jsonb_build_object('movement_id', bench_gen.id(bench_gen.tp(bench_gen.ms(r.at)), 14, r.n), 'location_id', r.location_id,
            'inventory_item_id', r.inv_id, 'inventory_item_name', r.inv_name, 'catalog_item_id', r.catalog_item_id, 'quantity', r.qty,
            'reason', 'receive', 'note', null, 'order_id', null, 'order_line_id', null, 'occurred_at', app_hidden.iso_utc(r.at),
            'business_date', (r.at at time zone r.tz)::date, 'actor_user_id', r.owner_id),
          r.owner_id, r.at
   from g_receipts r where r.qty > 0`,
  ["reporting_sales"],
)}
`,
`
insert into reporting.rm_inventory_on_hand (tenant_id, location_id, inventory_item_id, item_name, on_hand, low_stock_threshold, updated_at)
select r.tenant_id, r.location_id, r.inv_id, r.inv_name, sum(r.qty) - min(r.sold), min(r.thr), (select at from bench_gen.anchor)
from g_receipts r
group by r.tenant_id, r.location_id, r.inv_id, r.inv_name
`,
];

/** Tables loaded in bulk: their secondary indexes are dropped first and built again at the end (much faster). */
const BULK_TABLES = [
  "app_public.customers",
  "app_public.orders",
  "app_public.order_lines",
  "app_public.tenders",
  "app_public.inventory_movements",
  "app_private.events",
  "app_private.processed_events",
  "reporting.rm_daily_sales",
  "reporting.rm_item_sales",
  "reporting.rm_inventory_on_hand",
  "reporting.rm_customer_activity",
  "reporting.rm_customer_visits",
];

// ------------------------------------------------------------------------------------------------

async function build(ctx: BenchContext): Promise<BenchData> {
  const started = Date.now();
  const scale = benchScale(ctx);
  const plan = tenantPlan(scale);
  const db = await ctx.createDatabase("data");
  const c = new pg.Client(db.rootUrl);
  await c.connect();
  try {
    const total = (k: "customers" | "orders") =>
      plan.reduce((a, t) => a + (k === "customers" ? t.customers : t.locations.reduce((b, l) => b + l.orders, 0)), 0);
    ctx.log(`data: building ${TENANTS} tenants, ${total("customers").toLocaleString("en-US")} customers, ${total("orders").toLocaleString("en-US")} orders (scale ${scale}) in ${db.name}`);
    await c.query("set jit = off; set work_mem = '256MB'; set maintenance_work_mem = '1GB'; set synchronous_commit = off");
    await c.query(HELPERS);
    let t0 = Date.now();
    await setup(c, plan);
    ctx.log(`data: tenants, locations, catalog in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const { rows: big } = await c.query("select tenant_id from bench_gen.g_tenants where tix = 0");
    const bigTenantId: string = big[0].tenant_id;

    // Bulk: triggers (and foreign-key checks) off, secondary indexes built at the end.
    const { rows: indexes } = await c.query(
      `select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def
       from pg_index i
       where i.indrelid = any($1::regclass[]) and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)`,
      [BULK_TABLES],
    );
    for (const ix of indexes) await c.query(`drop index ${ix.name}`);

    // Two workers (connections) take batches of tenants in turn: the largest tenant alone first.
    const batches: number[][] = [[0]];
    for (let i = 1; i < TENANTS; i += 11) batches.push(Array.from({ length: Math.min(11, TENANTS - i) }, (_, k) => i + k));
    let next = 0;
    const worker = async () => {
      const w = new pg.Client(db.rootUrl);
      await w.connect();
      try {
        await w.query(`set temp_buffers = '256MB'; set jit = off; set work_mem = '256MB'; set synchronous_commit = off;
                       set session_replication_role = replica;
                       create temp table g_orders (like bench_gen.g_orders); create temp table g_customers (like bench_gen.g_customers)`);
        while (next < batches.length) {
          const bi = next++;
          const batch = batches[bi];
          const t = Date.now();
          const times: string[] = [];
          const run = async (label: string, sql: string, params: unknown[] = []) => {
            const s = Date.now();
            const r = await w.query(sql, params);
            times.push(`${label} ${Date.now() - s}`);
            return r;
          };
          await w.query("begin");
          await w.query("truncate g_orders, g_customers");
          const staged = await run("stage", STAGE_ORDERS, [batch]);
          await run("stage customers", stageCustomers(), [batch]);
          await w.query("analyze g_orders; analyze g_customers");
          for (const [label, sql] of WRITE_BATCH) await run(label, sql);
          for (const sql of STOCK) await run("stock", sql, sql.includes("$1") ? [batch] : []);
          await w.query("commit");
          ctx.log(
            `data: batch ${bi + 1}/${batches.length} (${batch.length === 1 ? "largest tenant" : `tenants ${batch[0]}–${batch.at(-1)}`}): ` +
              `${(staged.rowCount ?? 0).toLocaleString("en-US")} orders in ${((Date.now() - t) / 1000).toFixed(1)} s [ms: ${times.join(", ")}]`,
          );
        }
      } finally {
        await w.end();
      }
    };
    await Promise.all([worker(), worker()]);
    await c.query("select setval(pg_get_serial_sequence('app_private.events', 'seq'), (select max(seq) from app_private.events))");

    let t = Date.now();
    // Largest first, two at a time.
    await inParallel(db.rootUrl, [...indexes].reverse(), (w, ix) => w.query(ix.def), "set maintenance_work_mem = '512MB'");
    ctx.log(`data: ${indexes.length} indexes built in ${((Date.now() - t) / 1000).toFixed(0)} s`);
    t = Date.now();
    // BENCH_KEEP_DATA=name (development): keep the generator's staging and a copy of the database.
    if (!process.env.BENCH_KEEP_DATA) await c.query("drop schema bench_gen cascade");
    // Index-only scans need the visibility map; the planner needs statistics.
    await inParallel(db.rootUrl, BULK_TABLES, (w, table) => w.query(`vacuum (analyze) ${table}`));
    await c.query("analyze");
    ctx.log(`data: vacuum and analyze in ${((Date.now() - t) / 1000).toFixed(0)} s`);

    const { rows: sid } = await c.query(
      `insert into app_private.sessions (user_id, active_tenant_id)
       select m.user_id, m.tenant_id from app_public.memberships m join app_public.roles r on r.tenant_id = m.tenant_id and r.id = m.role_id
       where m.tenant_id = $1 and r.key = 'owner' limit 1
       returning id::text`,
      [bigTenantId],
    );
    const { rows: cnt } = await c.query(
      `select (select count(*) from app_public.tenants)::int as tenants, (select count(*) from app_public.locations)::int as locations,
              (select count(*) from app_public.customers)::int as customers,
              (select count(*) from app_public.customers where tenant_id = $1)::int as big_customers,
              (select count(*) from app_public.orders)::int as orders,
              (select count(*) from app_public.orders where tenant_id = $1)::int as big_orders,
              (select count(*) from app_private.events)::int as events,
              (select count(*) from app_private.events where tenant_id = $1)::int as big_events,
              (select count(*) from app_private.processed_events)::int as processed_events,
              pg_database_size(current_database())::bigint / 1048576 as size_mb`,
      [bigTenantId],
    );
    const buildSeconds = (Date.now() - started) / 1000;
    const counts = Object.fromEntries(Object.entries(cnt[0]).map(([k, v]) => [k, Number(v)]));
    if (process.env.BENCH_KEEP_DATA) {
      await c.query(`drop database if exists "${process.env.BENCH_KEEP_DATA}"`);
      await c.query(`create database "${process.env.BENCH_KEEP_DATA}" template "${db.name}"`);
    }
    ctx.log(`data: ready in ${buildSeconds.toFixed(0)} s: ${Object.entries(counts).map(([k, v]) => `${k} ${v.toLocaleString("en-US")}`).join(", ")}`);
    return { db, scale, bigTenantId, sessionId: sid[0].id, counts, buildSeconds };
  } finally {
    await c.end();
  }
}

/** Runs fn over the items from two connections (each taking the next item when it is free). */
async function inParallel<T>(url: string, items: T[], fn: (c: pg.Client, item: T) => Promise<unknown>, init?: string): Promise<void> {
  let next = 0;
  await Promise.all(
    [0, 1].map(async () => {
      const w = new pg.Client(url);
      await w.connect();
      try {
        if (init) await w.query(init);
        while (next < items.length) await fn(w, items[next++]);
      } finally {
        await w.end();
      }
    }),
  );
}

/**
 * Tenants, owners and cashiers, roles, locations, the plan, catalog and inventory items, with
 * every trigger on (validation, audit, the trial row of billing), as onboarding and the admin
 * would write them; created two years before the anchor.
 */
async function setup(c: pg.Client, plan: ReturnType<typeof tenantPlan>): Promise<void> {
  let custOff = 0;
  let orderOff = 0;
  let lix = 0;
  const tenants = plan.map((t) => {
    const r = { tix: t.tix, name: t.name, country: t.country, tax: t.tax, n_cust: t.customers, cust_off: custOff, cashiers: t.cashiers };
    custOff += t.customers;
    return r;
  });
  const locations = plan.flatMap((t) =>
    t.locations.map((l) => {
      const r = { lix: lix++, tix: t.tix, name: l.name, tz: l.tz, n_orders: l.orders, order_off: orderOff };
      orderOff += l.orders;
      return r;
    }),
  );
  const { rows: hash } = await c.query("select public.crypt('bench password 1', public.gen_salt('bf', 10)) as h");
  await c.query("begin");
  await c.query(
    `insert into bench_gen.g_tenants (tix, tenant_id, name, country, tax, n_cust, cust_off, owner_id, cashier_ids, t0_ms, span_ms)
     select x.tix, bench_gen.id(bench_gen.tp(a.ms), 1, x.tix), x.name, x.country, x.tax, x.n_cust, x.cust_off,
            bench_gen.id(bench_gen.tp(a.ms), 2, x.tix * 100),
            array(select bench_gen.id(bench_gen.tp(a.ms), 2, x.tix * 100 + k) from generate_series(1, x.cashiers) k),
            a.ms, bench_gen.ms(an.at - interval '1 day') - a.ms
     from jsonb_to_recordset($1) as x(tix int, name text, country text, tax int, n_cust int, cust_off bigint, cashiers int)
     cross join bench_gen.anchor an
     cross join lateral (select bench_gen.ms(an.at - interval '730 days') as ms) a`,
    [JSON.stringify(tenants)],
  );
  await c.query(
    `insert into bench_gen.g_locations (lix, tix, tenant_id, location_id, name, tz, n_orders, order_off, today, now_local)
     select x.lix, x.tix, t.tenant_id, bench_gen.id(bench_gen.tp(t.t0_ms), 4, x.lix), x.name, x.tz, x.n_orders, x.order_off,
            (an.at at time zone x.tz)::date, an.at at time zone x.tz
     from jsonb_to_recordset($1) as x(lix int, tix int, name text, tz text, n_orders int, order_off bigint)
     join bench_gen.g_tenants t on t.tix = x.tix cross join bench_gen.anchor an`,
    [JSON.stringify(locations)],
  );
  // What app_hidden.onboard and create_tenant_for write, without a bcrypt hash per owner.
  await c.query(
    `insert into app_public.users (id, email, name)
     select t.owner_id, 'owner' || t.tix || '@bench.backoffice.test', 'Owner ' || t.tix from bench_gen.g_tenants t
     union all
     select u.id, 'cashier' || t.tix || '-' || u.k || '@bench.backoffice.test', 'Cashier ' || t.tix || '-' || u.k
     from bench_gen.g_tenants t cross join lateral unnest(t.cashier_ids) with ordinality as u(id, k)`,
  );
  await c.query(`insert into app_private.user_secrets (user_id, password_hash) select u.id, $1 from app_public.users u`, [hash[0].h]);
  await c.query(
    `insert into app_public.tenants (id, name, default_country, tax_rate_bps, billing_customer_id)
     select t.tenant_id, t.name, t.country, t.tax, 'cus_bench' || t.tix from bench_gen.g_tenants t order by t.tix`,
  );
  await c.query(
    `insert into app_public.roles (tenant_id, id, key, name, permissions)
     select t.tenant_id, bench_gen.id(bench_gen.tp(t.t0_ms), 3, t.tix * 4 + r.k), r.key, r.name, r.permissions
     from bench_gen.g_tenants t
     cross join (values (1, 'owner', 'Owner', app_hidden.all_permissions()),
                        (2, 'manager', 'Manager', array(select p from unnest(app_hidden.all_permissions()) as p where p <> 'settings.update')),
                        (3, 'cashier', 'Cashier', array['customers.view', 'customers.create', 'sales.sell'])) as r(k, key, name, permissions)`,
  );
  // A year in: on the Growth plan (ten locations, every module), paid up.
  await c.query(
    `update app_public.billing_subscriptions s set plan_key = 'growth', status = 'active', stripe_customer_id = 'cus_bench' || t.tix,
       stripe_subscription_id = 'sub_bench' || t.tix, trial_ends_at = null,
       current_period_start = date_trunc('second', an.at) - interval '10 days', current_period_end = date_trunc('second', an.at) + interval '20 days'
     from bench_gen.g_tenants t cross join bench_gen.anchor an where s.tenant_id = t.tenant_id`,
  );
  // The validation trigger reads pg_timezone_names for every row (100 ms each on a busy machine):
  // the zones are checked once here instead, and the names are distinct by construction.
  await c.query("select app_hidden.assert_valid_timezone(z.tz) from (select distinct tz from bench_gen.g_locations) z");
  await c.query("alter table app_public.locations disable trigger _050_validate");
  await c.query(
    `insert into app_public.locations (tenant_id, id, name, timezone)
     select l.tenant_id, l.location_id, l.name, l.tz from bench_gen.g_locations l order by l.lix`,
  );
  await c.query("alter table app_public.locations enable trigger _050_validate");
  await c.query(
    `insert into app_public.memberships (tenant_id, id, user_id, role_id)
     select t.tenant_id, bench_gen.id(bench_gen.tp(t.t0_ms), 5, t.tix * 100), t.owner_id, bench_gen.id(bench_gen.tp(t.t0_ms), 3, t.tix * 4 + 1)
     from bench_gen.g_tenants t
     union all
     select t.tenant_id, bench_gen.id(bench_gen.tp(t.t0_ms), 5, t.tix * 100 + u.k), u.id, bench_gen.id(bench_gen.tp(t.t0_ms), 3, t.tix * 4 + 3)
     from bench_gen.g_tenants t cross join lateral unnest(t.cashier_ids) with ordinality as u(id, k)`,
  );
  await c.query(
    `insert into app_public.catalog_items (tenant_id, id, name, sku, price)
     select t.tenant_id, bench_gen.id(bench_gen.tp(t.t0_ms), 6, t.tix * 100 + x.k), x.name, 'SKU-' || lpad(x.k::text, 3, '0'), x.price
     from bench_gen.g_tenants t cross join jsonb_to_recordset($1) as x(k int, name text, price int)`,
    [JSON.stringify(CATALOG.map((i, k) => ({ k: k + 1, name: i.name, price: i.price })))],
  );
  await c.query(
    `insert into app_public.inventory_items (tenant_id, id, catalog_item_id, name, low_stock_threshold)
     select t.tenant_id, bench_gen.id(bench_gen.tp(t.t0_ms), 7, t.tix * 100 + x.k), bench_gen.id(bench_gen.tp(t.t0_ms), 6, t.tix * 100 + x.k),
            x.name, x.thr
     from bench_gen.g_tenants t cross join jsonb_to_recordset($1) as x(k int, name text, thr int)`,
    [JSON.stringify(CATALOG.flatMap((i, k) => (i.stock ? [{ k: k + 1, name: i.name, thr: i.stock }] : [])))],
  );
  await c.query(
    `insert into bench_gen.g_items (tix, it, id, sku, name, price, inv_id, inv_name, thr)
     select t.tix, row_number() over (partition by t.tix order by c.sku), c.id, c.sku, c.name, c.price, i.id, i.name, i.low_stock_threshold
     from bench_gen.g_tenants t
     join app_public.catalog_items c on c.tenant_id = t.tenant_id
     left join app_public.inventory_items i on i.tenant_id = c.tenant_id and i.catalog_item_id = c.id`,
  );
  await c.query(
    `update bench_gen.g_tenants t set item_prices = (select array_agg(i.price order by i.it) from bench_gen.g_items i where i.tix = t.tix)`,
  );
  // Created two years ago (the trigger stamped them now).
  await c.query("set session_replication_role = replica");
  const owned: [string, string][] = [
    ["app_public.tenants", "x.id = t.tenant_id"],
    ["app_public.users", "(x.id = t.owner_id or x.id = any(t.cashier_ids))"],
    ...["roles", "locations", "memberships", "billing_subscriptions", "catalog_items", "inventory_items"].map(
      (name): [string, string] => [`app_public.${name}`, "x.tenant_id = t.tenant_id"],
    ),
  ];
  for (const [table, match] of owned) {
    await c.query(`update ${table} x set created_at = to_timestamp(t.t0_ms / 1000.0), updated_at = to_timestamp(t.t0_ms / 1000.0)
                   from bench_gen.g_tenants t where ${match}`);
  }
  await c.query("set session_replication_role = origin");
  await c.query("commit");
}

// ------------------------------------------------------------------------------------------------
// Helpers of the cases that read this data

export interface Api {
  url: string;
  /** POSTs a GraphQL operation with the owner's session cookie; throws on GraphQL errors. */
  graphql(query: string, variables?: Record<string, unknown>): Promise<unknown>;
  close(): Promise<void>;
}

/** The real server (createApp, as `npm start` runs it) on a free port, over the data set. */
export async function startApi(data: BenchData): Promise<Api> {
  // One log line per request is production behaviour, but it would flood the table on stdout.
  const { logger } = await import("../web/server/logger.ts");
  logger.level = process.env.LOG_LEVEL ?? "warn";
  const { createApp } = await import("../web/server/app.ts");
  const http = await import("node:http");
  const app = await createApp({ authUrl: data.db.authUrl, development: false });
  const server = http.createServer(app.handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as import("node:net").AddressInfo).port}/graphql`;
  const headers = { "content-type": "application/json", cookie: `bo_session=${data.sessionId}` };
  return {
    url,
    async graphql(query, variables = {}) {
      const res = await fetch(url, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
      const body = (await res.json()) as { data?: unknown; errors?: { message: string }[] };
      if (body.errors?.length) throw new Error(`GraphQL: ${body.errors[0].message}`);
      return body.data;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await app.close();
    },
  };
}

/** Runs fn once per item, one at a time (a person waiting for each answer); latencies in ms, sorted. */
export async function sequential<T>(items: T[], fn: (item: T) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (const item of items) {
    const t = performance.now();
    await fn(item);
    out.push(performance.now() - t);
  }
  return out.sort((a, b) => a - b);
}
