// Demo sales for a freshly onboarded tenant: a coffee-shop catalog, stocked items, deliveries,
// and a few weeks of orders at each of the tenant's locations (each in its own time zone), with
// cash and card tenders, a few voids, waste and stock-count adjustments. Everything goes through
// the product's SQL functions as the API role with the given (owner's) session — never rows
// inserted behind their back. Deterministic: a fixed faker seed; only "today" is cut at the
// current time of day.
import { en, Faker } from "@faker-js/faker";
import pg from "pg";
import { roles } from "./config.ts";

export interface SeedSalesOptions {
  /** How many days of history, ending today (default 21). */
  days?: number;
  /** Average weekday orders at the first location; later ones get 70% (default 24). */
  ordersPerDay?: number;
  /** Faker seed (default 20250301). */
  seed?: number;
  /** How many customers to create; about a third of the orders are theirs (default 60). */
  customers?: number;
  /** Nothing is placed after this instant (default: now); the history ends on its local dates. */
  until?: Date;
}

export interface SeedSalesSummary {
  catalogItems: number;
  orders: number;
  voids: number;
  tenders: number;
  movements: number;
}

interface CatalogEntry {
  sku: string;
  name: string;
  price: number;
  /** Relative popularity. */
  weight: number;
  /** Stocked items: low-stock threshold, and a delivery every so many days topping stock up. */
  stock?: { threshold: number; everyDays: number };
}

const CATALOG: CatalogEntry[] = [
  { sku: "ESP-01", name: "Espresso", price: 300, weight: 6 },
  { sku: "AME-01", name: "Americano", price: 350, weight: 10 },
  { sku: "FLW-01", name: "Flat White", price: 450, weight: 14 },
  { sku: "CAP-01", name: "Cappuccino", price: 450, weight: 12 },
  { sku: "LAT-01", name: "Latte", price: 475, weight: 16 },
  { sku: "MOC-01", name: "Mocha", price: 525, weight: 5 },
  { sku: "CHA-01", name: "Chai Latte", price: 475, weight: 5 },
  { sku: "HOT-01", name: "Hot Chocolate", price: 425, weight: 4 },
  { sku: "CBR-01", name: "Cold Brew", price: 450, weight: 5 },
  { sku: "ICL-01", name: "Iced Latte", price: 500, weight: 5 },
  { sku: "MAT-01", name: "Matcha Latte", price: 525, weight: 3 },
  { sku: "TEA-01", name: "Pot of Tea", price: 350, weight: 4 },
  { sku: "XSH-01", name: "Extra Shot", price: 75, weight: 4 },
  { sku: "CRO-01", name: "Butter Croissant", price: 375, weight: 9, stock: { threshold: 10, everyDays: 1 } },
  { sku: "PAC-01", name: "Pain au Chocolat", price: 425, weight: 6, stock: { threshold: 8, everyDays: 1 } },
  { sku: "MUF-01", name: "Blueberry Muffin", price: 350, weight: 5, stock: { threshold: 6, everyDays: 1 } },
  { sku: "BAN-01", name: "Banana Bread", price: 395, weight: 4, stock: { threshold: 5, everyDays: 3 } },
  { sku: "TOS-01", name: "Ham & Cheese Toastie", price: 825, weight: 4, stock: { threshold: 6, everyDays: 4 } },
  { sku: "WAT-01", name: "Still Water 500ml", price: 250, weight: 3, stock: { threshold: 24, everyDays: 7 } },
  { sku: "OJU-01", name: "Fresh Orange Juice", price: 450, weight: 3, stock: { threshold: 10, everyDays: 3 } },
  { sku: "BEA-01", name: "House Blend Beans 250g", price: 1600, weight: 1, stock: { threshold: 12, everyDays: 7 } },
  // Retired: shows an inactive item in the admin; never sold.
  { sku: "PUM-01", name: "Pumpkin Spice Latte", price: 550, weight: 0 },
];

const VOID_REASONS = [
  "Rang up the wrong item",
  "Customer changed their mind",
  "Duplicate order",
  "Card declined after printing",
  "Training transaction",
];

/** Local hour of an order, weighted towards the morning rush and lunch. */
const HOURS = [
  { value: 7, weight: 9 }, { value: 8, weight: 14 }, { value: 9, weight: 11 }, { value: 10, weight: 8 },
  { value: 11, weight: 7 }, { value: 12, weight: 9 }, { value: 13, weight: 7 }, { value: 14, weight: 5 },
  { value: 15, weight: 5 }, { value: 16, weight: 4 }, { value: 17, weight: 3 },
];

const pad = (n: number) => String(n).padStart(2, "0");

/** yyyy-mm-dd of a date `offset` days from `isoDate` (calendar arithmetic, no time zone). */
function addDays(isoDate: string, offset: number): string {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + offset);
  return d.toISOString().slice(0, 10);
}

export async function seedSales(authUrl: string, sessionId: string, options: SeedSalesOptions = {}): Promise<SeedSalesSummary> {
  const days = options.days ?? 21;
  const ordersPerDay = options.ordersPerDay ?? 24;
  const faker = new Faker({ locale: [en] });
  faker.seed(options.seed ?? 20250301);
  const summary: SeedSalesSummary = { catalogItems: 0, orders: 0, voids: 0, tenders: 0, movements: 0 };

  const client = new pg.Client(authUrl);
  await client.connect();
  try {
    await client.query("begin");
    await client.query("select set_config('role', $1, true), set_config('app.session_id', $2, true)", [roles.visitor, sessionId]);

    const existing = await client.query("select count(*)::int as n from app_public.catalog_items");
    if (existing.rows[0].n > 0) {
      await client.query("rollback");
      return summary; // already seeded
    }

    const tenant = await client.query("select tax_rate_bps from app_public.current_tenant()");
    if (!tenant.rowCount) throw new Error("seedSales: the session is not signed in to a tenant");
    if (tenant.rows[0].tax_rate_bps === 0) {
      await client.query("update app_public.tenants set tax_rate_bps = 800 where id = app_hidden.current_tenant_id()");
    }

    // Locations, each with its own "today" and current local time.
    const { rows: locations } = await client.query<{ id: string; name: string; timezone: string; today: string; now_local: string }>(
      `select id, name, timezone,
              to_char((until at time zone timezone)::date, 'YYYY-MM-DD') as today,
              to_char(until at time zone timezone, 'YYYY-MM-DD"T"HH24:MI:SS') as now_local
       from app_public.locations, least(coalesce($1::timestamptz, now()), now()) as until
       order by created_at, id`,
      [options.until?.toISOString() ?? null],
    );

    // Regular customers, through create_customer; a separate seeded faker picks who buys what,
    // so the sales themselves stay the same sequence as without customers.
    const people = new Faker({ locale: [en] });
    people.seed((options.seed ?? 20250301) + 1);
    const customerIds: string[] = [];
    for (let i = 0; i < (options.customers ?? 60); i++) {
      const first = people.person.firstName();
      const last = people.person.lastName();
      const { rows } = await client.query(
        `select (app_public.create_customer(email => $1, phone => $2, first_name => $3, last_name => $4,
                 tags => $5::text[], marketing_consent => $6, marketing_consent_source => 'pos')).id`,
        [
          i % 5 === 4 ? null : `${first}.${last}.${i}@example.com`.toLowerCase().replace(/[^a-z0-9.@]/g, ""),
          i % 3 === 2 ? null : `+1 212 555 ${String(1000 + i).slice(-4)}`,
          first,
          last,
          people.helpers.arrayElements(["regular", "vip", "wholesale", "student", "staff"], { min: 0, max: 2 }),
          people.datatype.boolean(),
        ],
      );
      customerIds.push(rows[0].id);
    }

    // Catalog and inventory.
    const itemIds = new Map<string, string>();
    const stockIds = new Map<string, string>();
    for (const entry of CATALOG) {
      const { rows } = await client.query(
        "insert into app_public.catalog_items (name, sku, price, active) values ($1, $2, $3, $4) returning id",
        [entry.name, entry.sku, entry.price, entry.weight > 0],
      );
      itemIds.set(entry.sku, rows[0].id);
      summary.catalogItems++;
      if (entry.stock) {
        const inv = await client.query(
          "insert into app_public.inventory_items (name, catalog_item_id, low_stock_threshold) values ($1, $2, $3) returning id",
          [entry.name, rows[0].id, entry.stock.threshold],
        );
        stockIds.set(entry.sku, inv.rows[0].id);
      }
    }
    const sellable = CATALOG.filter((c) => c.weight > 0).map((c) => ({ value: c, weight: c.weight }));
    const priceOf = new Map(CATALOG.map((c) => [c.sku, c.price]));
    const totalWeight = CATALOG.reduce((sum, c) => sum + c.weight, 0);
    // Units sold per day: orders × lines per order (1.73 on average) × units per line (1.18).
    const unitsPerDay = ordersPerDay * 1.05 * 1.73 * 1.18;

    // On-hand per location and stocked SKU, tracked here so that waste never exceeds stock.
    const onHand = new Map<string, number>();
    const key = (locationId: string, sku: string) => `${locationId}/${sku}`;

    const movement = async (locationId: string, tz: string, sku: string, quantity: number, reason: string, note: string | null, localTime: string) => {
      await client.query(
        `select app_public.record_inventory_movement($1, $2, $3, $4, $5, ($6::timestamp at time zone $7))`,
        [locationId, stockIds.get(sku), quantity, reason, note, localTime, tz],
      );
      onHand.set(key(locationId, sku), (onHand.get(key(locationId, sku)) ?? 0) + quantity);
      summary.movements++;
    };

    for (const [index, location] of locations.entries()) {
      const scale = index === 0 ? 1 : 0.7;
      const firstDay = addDays(location.today, -(days - 1));
      for (let d = 0; d < days; d++) {
        const date = addDays(firstDay, d);
        const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
        const weekend = weekday === 0 || weekday === 6;
        const isPast = (localTime: string) => localTime <= location.now_local;

        // Morning deliveries top stock up to a little more than the expected sales until the next one.
        for (const entry of CATALOG) {
          if (!entry.stock || d % entry.stock.everyDays !== 0) continue;
          const expected = unitsPerDay * scale * (entry.weight / totalWeight) * entry.stock.everyDays;
          const target = Math.ceil(expected * faker.number.float({ min: 1.05, max: 1.4 })) + entry.stock.threshold;
          const quantity = target - Math.max(onHand.get(key(location.id, entry.sku)) ?? 0, 0);
          const at = `${date}T06:${pad(faker.number.int({ min: 15, max: 55 }))}:00`;
          if (quantity > 0 && isPast(at)) await movement(location.id, location.timezone, entry.sku, quantity, "receive", `Delivery ${date}`, at);
        }

        // Orders through the day.
        const count = Math.round(ordersPerDay * scale * (weekend ? 1.25 : 1) * faker.number.float({ min: 0.8, max: 1.2 }));
        for (let o = 0; o < count; o++) {
          const hour = faker.helpers.weightedArrayElement(HOURS);
          const at = `${date}T${pad(hour)}:${pad(faker.number.int({ min: 0, max: 59 }))}:${pad(faker.number.int({ min: 0, max: 59 }))}`;
          const lineCount = faker.helpers.weightedArrayElement([
            { value: 1, weight: 50 }, { value: 2, weight: 32 }, { value: 3, weight: 13 }, { value: 4, weight: 5 },
          ]);
          const lines: { catalog_item_id: string; quantity: number; discount?: number }[] = [];
          const skus: string[] = [];
          let net = 0;
          for (let l = 0; l < lineCount; l++) {
            const entry = faker.helpers.weightedArrayElement(sellable);
            const quantity = faker.helpers.weightedArrayElement([{ value: 1, weight: 85 }, { value: 2, weight: 12 }, { value: 3, weight: 3 }]);
            const line: (typeof lines)[number] = { catalog_item_id: itemIds.get(entry.sku)!, quantity };
            if (faker.number.int({ min: 1, max: 40 }) === 1) line.discount = Math.min(50, entry.price * quantity); // staff coffee
            lines.push(line);
            skus.push(entry.sku);
            net += priceOf.get(entry.sku)! * quantity - (line.discount ?? 0);
          }
          const orderDiscount = faker.number.int({ min: 1, max: 30 }) === 1 ? Math.floor(net / 10) : 0; // loyalty 10%
          const tender = faker.helpers.weightedArrayElement([
            { value: "card", weight: 63 }, { value: "cash", weight: 34 }, { value: "split", weight: 3 },
          ]);
          const cashRounding = faker.helpers.arrayElement([1, 100, 500, 1000]);
          const voidIt = faker.number.int({ min: 1, max: 70 }) === 1;
          const voidReason = faker.helpers.arrayElement(VOID_REASONS);
          if (!isPast(at)) continue; // later today: keep the random sequence, skip the order

          // One round trip: place the order, then pay it in full by card or cash (cash rounded up
          // to a note, change given) in the same statement; split payments after.
          const payNow = tender === "card" || tender === "cash" ? tender : null;
          const placed = await client.query<{ id: string; total: number; tender_id: string | null }>(
            `select o.id, o.total,
                    case when $6::text is not null and o.total > 0 then
                      (select (app_public.record_tender(o.id, $6::text,
                         case when $6::text = 'card' then o.total else ((o.total + $7::int - 1) / $7::int) * $7::int end)).id)
                    end as tender_id
             from app_public.place_order($1, $2::jsonb, $8, $3, ($4::timestamp at time zone $5)) o`,
            [location.id, JSON.stringify(lines), orderDiscount, at, location.timezone, payNow, cashRounding,
             customerIds.length && people.number.int({ min: 1, max: 100 }) <= 35 ? people.helpers.arrayElement(customerIds) : null],
          );
          const order = placed.rows[0];
          summary.orders++;
          if (order.tender_id) summary.tenders++;
          for (const [i, sku] of skus.entries()) {
            if (stockIds.has(sku)) onHand.set(key(location.id, sku), (onHand.get(key(location.id, sku)) ?? 0) - lines[i].quantity);
          }
          if (tender === "split" && order.total > 0) {
            const cash = Math.min(order.total - 1, 500);
            if (cash > 0) {
              await client.query("select app_public.record_tender($1, 'cash', $2)", [order.id, cash]);
              summary.tenders++;
            }
            await client.query("select app_public.record_tender($1, 'card', $2)", [order.id, order.total - cash]);
            summary.tenders++;
          }
          if (voidIt) {
            await client.query("select app_public.void_order($1, $2)", [order.id, voidReason]);
            summary.voids++;
            for (const [i, sku] of skus.entries()) {
              if (stockIds.has(sku)) onHand.set(key(location.id, sku), (onHand.get(key(location.id, sku)) ?? 0) + lines[i].quantity);
            }
          }
        }

        // Closing: unsold pastries go to waste; a weekly stock count corrects the beans.
        const closing = `${date}T18:30:00`;
        if (!isPast(closing)) continue;
        for (const sku of ["CRO-01", "PAC-01", "MUF-01"]) {
          const left = onHand.get(key(location.id, sku)) ?? 0;
          const wasted = Math.min(left, faker.number.int({ min: 0, max: 2 }));
          if (wasted > 0) await movement(location.id, location.timezone, sku, -wasted, "waste", "Unsold at closing", closing);
        }
        if (weekday === 0) {
          const left = onHand.get(key(location.id, "BEA-01")) ?? 0;
          const delta = faker.helpers.arrayElement([-2, -1, 1]);
          if (left + delta >= 0) await movement(location.id, location.timezone, "BEA-01", delta, "adjustment", "Weekly stock count", closing);
        }
      }
    }

    await client.query("commit");
    return summary;
  } catch (e) {
    await client.query("rollback").catch(() => {});
    throw e;
  } finally {
    await client.end();
  }
}
