// Shared by the reporting tests: a shop with locations in several time zones, the sales and
// customer commands as SQL, draining the fold queue, snapshots of the read models, and the same
// figures computed directly from the sales tables (the ground truth the read models must equal).
import pg from "pg";
import type { Actor, Member, TestDatabase } from "../../helpers/db.ts";
import { line, openShop, placeOrder, type ItemSpec, type Shop } from "../sales/shop.ts";

export { line, placeOrder };
export type { Shop };

export interface ReportingShop extends Shop {
  /** Location ids: the main one first, then one per extra time zone. */
  locations: string[];
}

export async function openReportingShop(
  db: TestDatabase,
  opts: { taxRateBps?: number; timezone?: string; extraTimezones?: string[]; items?: ItemSpec[] } = {},
): Promise<ReportingShop> {
  const shop = await openShop(db, { taxRateBps: opts.taxRateBps, timezone: opts.timezone, items: opts.items });
  const locations = [shop.locationId];
  if ((opts.extraTimezones ?? []).length > 1 || (opts.items ?? []).some((i) => i.stock !== undefined)) {
    // More than the Starter plan's two locations, or stock (the inventory module): Growth.
    await db.owner.query("update app_public.billing_subscriptions set plan_key = 'growth' where tenant_id = $1", [shop.tenantId]);
  }
  for (const [i, tz] of (opts.extraTimezones ?? []).entries()) {
    const { rows } = await shop.owner.query(
      "insert into app_public.locations (name, timezone) values ($1, $2) returning id",
      [`Shop ${i + 2} (${tz})`, tz],
    );
    locations.push(rows[0].id);
  }
  return { ...shop, locations };
}

export const tender = (actor: Actor, orderId: string, type: "cash" | "card", amount: number) =>
  actor.query("select * from app_public.record_tender($1, $2, $3)", [orderId, type, amount]).then((r) => r.rows[0]);

export const voidOrder = (actor: Actor, orderId: string, reason = "Wrong order") =>
  actor.query("select * from app_public.void_order($1, $2)", [orderId, reason]).then((r) => r.rows[0]);

export const recordMovement = (actor: Actor, locationId: string, inventoryItemId: string, quantity: number, reason: string) =>
  actor
    .query("select * from app_public.record_inventory_movement($1, $2, $3, $4)", [locationId, inventoryItemId, quantity, reason])
    .then((r) => r.rows[0]);

export const createCustomer = (actor: Actor, firstName: string, lastName?: string) =>
  actor
    .query("select * from app_public.create_customer(first_name => $1, last_name => $2)", [firstName, lastName ?? null])
    .then((r) => r.rows[0]);

export const renameCustomer = (actor: Actor, customerId: string, firstName: string) =>
  actor
    .query(
      "select * from app_public.update_customer($1, jsonb_populate_record(null::app_public.customer_changes, $2::jsonb))",
      [customerId, JSON.stringify({ first_name: firstName })],
    )
    .then((r) => r.rows[0]);

export const mergeCustomers = (actor: Actor, primaryId: string, duplicateId: string) =>
  actor.query("select * from app_public.merge_customers($1, $2)", [primaryId, duplicateId]).then((r) => r.rows[0]);

/** Folds the tenant's queued sales events into the read models (waits for the fold lock). */
export async function fold(db: TestDatabase, tenantId: string): Promise<number> {
  const { rows } = await db.owner.query("select app_private.reporting_fold($1) as n", [tenantId]);
  return rows[0].n;
}

export async function queued(db: TestDatabase, tenantId: string): Promise<number> {
  const { rows } = await db.owner.query("select count(*)::int as n from app_private.reporting_queue where tenant_id = $1", [tenantId]);
  return rows[0].n;
}

/**
 * Holds a tenant's fold lock on a connection of its own (as a till in the middle of its commit
 * would), so that commits meanwhile leave their events queued. Release with `release()`.
 */
export async function holdFoldLock(db: TestDatabase, tenantId: string): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client(db.ownerUrl);
  await client.connect();
  await client.query("select pg_advisory_lock(app_private.reporting_lock_key($1))", [tenantId]);
  return {
    async release() {
      await client.query("select pg_advisory_unlock(app_private.reporting_lock_key($1))", [tenantId]);
      await client.end();
    },
  };
}

const num = (v: unknown) => (v === null || v === undefined ? v : Number(v));

/** Every read-model row of a tenant, as the owner sees the tables (updated_at left out), in a stable order. */
export async function readModels(db: TestDatabase, tenantId: string) {
  const q = (sql: string) => db.owner.query(sql, [tenantId]).then((r) => r.rows);
  return {
    daily: await q(
      `select location_id, business_date::text, order_count, gross_sales::int, discount_total::int, tax_total::int, net_sales::int,
              tender_cash::int, tender_card::int, refund_count, refund_total::int, total_collected::int, avg_order_value::int
       from reporting.rm_daily_sales where tenant_id = $1 order by location_id, business_date`,
    ),
    items: await q(
      `select location_id, business_date::text, catalog_item_id, catalog_item_name, name_seq::text, quantity_sold,
              gross_revenue::int, net_revenue::int
       from reporting.rm_item_sales where tenant_id = $1 order by location_id, business_date, catalog_item_id`,
    ),
    stock: await q(
      `select location_id, inventory_item_id, item_name, on_hand, low_stock_threshold, is_below_threshold
       from reporting.rm_inventory_on_hand where tenant_id = $1 order by location_id, inventory_item_id`,
    ),
    customers: await q(
      `select customer_id, customer_name, name_seq::text, total_visits, total_spend::int, last_visit_at, merged_into_id
       from reporting.rm_customer_activity where tenant_id = $1 order by customer_id`,
    ),
    visits: await q(
      `select order_id, customer_id, placed_at, total::int, is_voided
       from reporting.rm_customer_visits where tenant_id = $1 order by order_id`,
    ),
  };
}

/** The sales read models computed directly from the sales tables (names of items left out). */
export async function groundTruth(db: TestDatabase, tenantId: string) {
  const q = (sql: string) => db.owner.query(sql, [tenantId]).then((r) => r.rows);
  // Square's definitions (db/REPORTING.md): sales on their business date, voids as refunds on
  // the date of the void at the location, refunds of some lines on theirs, tenders on the day they
  // were taken, money handed back on the refund's date; open and cancelled orders are no sale.
  // A customer's spend is what the sales took less what refunds took back.
  const daily = await q(
    `with o as (
       select o.*, app_hidden.business_date(o.voided_at, l.timezone) as refund_date
       from app_public.orders o join app_public.locations l on l.tenant_id = o.tenant_id and l.id = o.location_id
       where o.tenant_id = $1 and o.status in ('placed', 'voided')),
     f as (
       select location_id, business_date, 1 as sales, subtotal as gross, discount_total as disc, tax_total as tax,
              subtotal - discount_total as net, 0 as cash, 0 as card, 0 as refunds, 0 as refunded
       from o
       union all
       select location_id, refund_date, 0, 0, 0, -tax_total, -(subtotal - discount_total), 0, 0, 1, subtotal - discount_total
       from o where status = 'voided'
       union all
       -- Refunds of some lines, on their day.
       select a.location_id, r.business_date, 0, 0, 0, -r.tax_total, -(r.subtotal - r.discount_total), 0, 0, 1, r.subtotal - r.discount_total
       from app_public.order_refunds r join app_public.orders a on a.tenant_id = r.tenant_id and a.id = r.order_id
       where r.tenant_id = $1
       union all
       -- Payments on the day they were taken (whatever the order became), money handed back on its day.
       select a.location_id, coalesce(x.business_date, a.business_date), 0, 0, 0, 0, 0,
              case when x.type = 'cash' then x.applied_amount else 0 end, case when x.type = 'card' then x.applied_amount else 0 end, 0, 0
       from app_public.tenders x join app_public.orders a on a.tenant_id = x.tenant_id and a.id = x.order_id
       where x.tenant_id = $1
       union all
       select a.location_id, r.business_date, 0, 0, 0, 0, 0,
              case when r.type = 'cash' then -r.amount else 0 end, case when r.type = 'card' then -r.amount else 0 end, 0, 0
       from app_public.refund_tenders r join app_public.orders a on a.tenant_id = r.tenant_id and a.id = r.order_id
       where r.tenant_id = $1)
     select location_id, business_date::text,
            sum(sales)::int as order_count, sum(gross)::int as gross_sales, sum(disc)::int as discount_total,
            sum(tax)::int as tax_total, sum(net)::int as net_sales, sum(cash)::int as tender_cash, sum(card)::int as tender_card,
            sum(refunds)::int as refund_count, sum(refunded)::int as refund_total, (sum(net) + sum(tax))::int as total_collected,
            case when sum(sales) > 0 then round(sum(net)::numeric / sum(sales)) else 0 end::int as avg_order_value
     from f group by 1, 2 order by 1, 2`,
  );
  const items = await q(
    `with o as (
       select o.*, app_hidden.business_date(o.voided_at, l.timezone) as refund_date
       from app_public.orders o join app_public.locations l on l.tenant_id = o.tenant_id and l.id = o.location_id
       where o.tenant_id = $1 and o.status in ('placed', 'voided')),
     f as (
       select o.location_id, o.business_date, l.catalog_item_id, l.quantity as q, l.subtotal as gross, l.net_total as net
       from app_public.order_lines l join o on o.id = l.order_id
       union all
       select o.location_id, o.refund_date, l.catalog_item_id, -l.quantity, 0, -l.net_total
       from app_public.order_lines l join o on o.id = l.order_id where o.status = 'voided'
       union all
       select o.location_id, r.business_date, l.catalog_item_id, -rl.quantity, 0, -(rl.subtotal - rl.discount)
       from app_public.order_refund_lines rl
       join app_public.order_refunds r on r.tenant_id = rl.tenant_id and r.id = rl.order_refund_id
       join app_public.order_lines l on l.tenant_id = rl.tenant_id and l.id = rl.order_line_id
       join o on o.id = r.order_id)
     select location_id, business_date::text, catalog_item_id,
            sum(q)::int as quantity_sold, sum(gross)::int as gross_revenue, sum(net)::int as net_revenue
     from f group by 1, 2, 3 order by 1, 2, 3`,
  );
  const stock = await q(
    `select m.location_id, m.inventory_item_id, i.name as item_name, sum(m.quantity)::int as on_hand, i.low_stock_threshold,
            sum(m.quantity) <= i.low_stock_threshold as is_below_threshold
     from app_public.inventory_movements m join app_public.inventory_items i on i.tenant_id = m.tenant_id and i.id = m.inventory_item_id
     where m.tenant_id = $1 group by 1, 2, 3, 5 order by 1, 2`,
  );
  const customers = await q(
    `select c.id as customer_id, c.display_name as customer_name,
            count(o.id) filter (where o.status = 'placed')::int as total_visits,
            coalesce(sum(o.total - o.refunded_total) filter (where o.status = 'placed'), 0)::int as total_spend,
            max(o.placed_at) filter (where o.status = 'placed') as last_visit_at
     from app_public.customers c
     left join app_public.orders o on o.tenant_id = c.tenant_id and o.customer_id = c.id
     where c.tenant_id = $1 and c.status <> 'merged'
     group by c.id, c.display_name order by c.id`,
  );
  return { daily, items, stock, customers };
}

/** The read models in the shape of groundTruth (after a fold). */
export async function readModelsAsTruth(db: TestDatabase, tenantId: string) {
  const rm = await readModels(db, tenantId);
  return {
    daily: rm.daily,
    items: rm.items.map(({ catalog_item_name: _n, name_seq: _s, ...rest }) => rest),
    stock: rm.stock,
    customers: rm.customers
      .filter((c) => c.merged_into_id === null)
      .map(({ name_seq: _s, merged_into_id: _m, ...rest }) => rest),
  };
}

/** Sums of the exact admin query over all dates and locations, for comparing with a ground truth. */
export async function exactDailyTotals(actor: Member, from: string, to: string) {
  const { rows } = await actor.query(
    `select sum(order_count)::int as orders, sum(net_sales)::int as net, sum(refund_count)::int as refunds,
            sum(tender_cash + tender_card)::int as tenders
     from reporting.daily_sales($1::date, $2::date)`,
    [from, to],
  );
  return rows[0];
}

export { num };

/**
 * The days on which app_private.last_visit_days (the dashboard's active-customer histogram, added
 * up per day) disagrees with a recount of rm_customer_activity's last visits: [] when it is exact.
 */
export async function lastVisitDaysDrift(db: TestDatabase, tenantId: string) {
  const { rows } = await db.owner.query(
    `with kept as (
       select visit_day, sum(customers)::int as n from app_private.last_visit_days where tenant_id = $1 group by 1 having sum(customers) <> 0
     ), recount as (
       select (last_visit_at at time zone 'UTC')::date as visit_day, count(*)::int as n
       from reporting.rm_customer_activity where tenant_id = $1 and last_visit_at is not null and merged_into_id is null group by 1
     )
     select coalesce(k.visit_day, r.visit_day)::text as day, k.n as kept, r.n as recounted
     from kept k full join recount r on r.visit_day = k.visit_day
     where k.n is distinct from r.n order by 1`,
    [tenantId],
  );
  return rows;
}
