-- The read models of one batch, as the consumers of reporting/610 leave them after every event:
-- sales by business date (voids as refunds on the day of the void, db/REPORTING.md), items sold,
-- customers' visits and activity, stock on hand. The rebuild benchmark checks them: the
-- product's reporting.rebuild of the largest tenant must reproduce them exactly.

-- name: daily sales
-- Square's definitions: a sale on its business date; its void a refund on the day of the void
-- (net amount, tax and the money handed back taken out).
insert into reporting.rm_daily_sales (tenant_id, location_id, business_date, order_count, gross_sales, discount_total, tax_total,
  net_sales, tender_cash, tender_card, refund_count, refund_total, updated_at)
select f.tenant_id, f.location_id, f.bd, sum(f.sales), sum(f.gross), sum(f.disc), sum(f.tax), sum(f.net), sum(f.cash), sum(f.card),
       sum(f.refunds), sum(f.refunded), max(f.at)
from (
  select g.tenant_id, g.location_id, g.bd, 1 as sales, g.subtotal as gross, g.disc_total as disc, g.tax_total as tax,
         g.subtotal - g.disc_total as net, case when g.card then 0 else g.total end as cash, case when g.card then g.total else 0 end as card,
         0 as refunds, 0 as refunded, g.tender_at as at
  from g_orders g
  union all
  select g.tenant_id, g.location_id, app_hidden.business_date(g.void_at, g.tz), 0, 0, 0, -g.tax_total, -(g.subtotal - g.disc_total),
         case when g.card then 0 else -g.total end, case when g.card then -g.total else 0 end, 1, g.subtotal - g.disc_total, g.void_at
  from g_orders g where g.voided
) f
group by f.tenant_id, f.location_id, f.bd
order by f.tenant_id, f.location_id, f.bd;

-- name: item sales
-- name_seq: the seq of the last order.placed.v1 that named the item on that day. A void takes
-- the units and net revenue back out on the day of the void.
insert into reporting.rm_item_sales (tenant_id, location_id, business_date, catalog_item_id, catalog_item_name, name_seq,
  quantity_sold, gross_revenue, net_revenue, updated_at)
select f.tenant_id, f.location_id, f.bd, f.item_id, min(f.item_name), max(f.name_seq), sum(f.q), sum(f.gross), sum(f.net), max(f.at)
from (
  select l.tenant_id, l.location_id, l.bd, l.item_id, l.item_name, bench_gen.seq(l.ms, l.n, 0) as name_seq,
         l.q, l.p * l.q as gross, l.net, l.placed_at as at
  from g_lines l
  union all
  select l.tenant_id, l.location_id, app_hidden.business_date(l.void_at, l.tz), l.item_id, l.item_name, 0, -l.q, 0, -l.net, l.void_at
  from g_lines l
  where l.voided
) f
group by f.tenant_id, f.location_id, f.bd, f.item_id
order by f.tenant_id, f.location_id, f.bd, f.item_id;

-- name: customer visits
insert into reporting.rm_customer_visits (tenant_id, order_id, customer_id, placed_at, total, is_voided, location_id, business_date)
select g.tenant_id, g.order_id, g.cust_id, g.placed_at, g.total, g.voided, g.location_id, g.bd from g_orders g where g.ck is not null;

-- name: customer activity
-- The customer's name and counters as customers and customer_stats have them (write.sql), last
-- changed at its latest visit; name_seq: the seq of its customer.created.v1.
insert into reporting.rm_customer_activity (tenant_id, customer_id, customer_name, total_visits, total_spend, last_visit_at,
  name_seq, updated_at)
select x.tenant_id, x.id, x.display_name, s.visits, s.spend, s.last_visit_at, bench_gen.seq(c.ms, c.n, 63), s.updated_at
from g_customers c
join app_public.customers x on x.tenant_id = c.tenant_id and x.id = c.id
join app_public.customer_stats s on s.tenant_id = x.tenant_id and s.customer_id = x.id
order by x.tenant_id, x.id;

-- name: last visit days
-- The dashboard's per-day histogram of last visits (reporting/615), as the triggers on
-- rm_customer_activity (off here) would have kept it: one row per tenant and UTC day.
insert into app_private.last_visit_days (tenant_id, visit_day, customers)
select a.tenant_id, (a.last_visit_at at time zone 'UTC')::date, count(*)::int
from g_customers c
join reporting.rm_customer_activity a on a.tenant_id = c.tenant_id and a.customer_id = c.id
where a.last_visit_at is not null and a.merged_into_id is null
group by 1, 2;

-- name: stock on hand
-- Deliveries less what was sold, per item and location.
insert into reporting.rm_inventory_on_hand (tenant_id, location_id, inventory_item_id, item_name, on_hand, low_stock_threshold, updated_at)
select r.tenant_id, r.location_id, r.inv_id, r.inv_name, sum(r.qty) - min(r.sold), min(r.thr), (select at from bench_gen.anchor)
from g_receipts r
group by r.tenant_id, r.location_id, r.inv_id, r.inv_name;
