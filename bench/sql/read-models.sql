-- The read models of one batch, as the consumers of reporting/610 leave them after every event:
-- sales by business date (voids taken out on the date of the sale, tenders kept), items sold,
-- customers' visits and activity, stock on hand. The rebuild benchmark checks them: the
-- product's reporting.rebuild of the largest tenant must reproduce them exactly.

-- name: daily sales
insert into reporting.rm_daily_sales (tenant_id, location_id, business_date, order_count, gross_sales, discount_total, tax_total,
  net_sales, tender_cash, tender_card, void_count, void_total, updated_at)
select g.tenant_id, g.location_id, g.bd, count(*) filter (where not g.voided),
       coalesce(sum(g.subtotal) filter (where not g.voided), 0), coalesce(sum(g.disc_total) filter (where not g.voided), 0),
       coalesce(sum(g.tax_total) filter (where not g.voided), 0), coalesce(sum(g.total) filter (where not g.voided), 0),
       coalesce(sum(g.total) filter (where not g.card), 0), coalesce(sum(g.total) filter (where g.card), 0),
       count(*) filter (where g.voided), coalesce(sum(g.total) filter (where g.voided), 0),
       max(greatest(g.tender_at, g.void_at))
from g_orders g group by g.tenant_id, g.location_id, g.bd
order by g.tenant_id, g.location_id, g.bd;

-- name: item sales
-- name_seq: the seq of the last order.placed.v1 that named the item on that day.
insert into reporting.rm_item_sales (tenant_id, location_id, business_date, catalog_item_id, catalog_item_name, name_seq,
  quantity_sold, gross_revenue, net_revenue, updated_at)
select l.tenant_id, l.location_id, l.bd, l.item_id, min(l.item_name), max(bench_gen.seq(l.ms, l.n, 0)),
       coalesce(sum(l.q) filter (where not l.voided), 0), coalesce(sum(l.p * l.q) filter (where not l.voided), 0),
       coalesce(sum(l.net) filter (where not l.voided), 0), max(l.placed_at)
from g_lines l
group by l.tenant_id, l.location_id, l.bd, l.item_id
order by l.tenant_id, l.location_id, l.bd, l.item_id;

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

-- name: stock on hand
-- Deliveries less what was sold, per item and location.
insert into reporting.rm_inventory_on_hand (tenant_id, location_id, inventory_item_id, item_name, on_hand, low_stock_threshold, updated_at)
select r.tenant_id, r.location_id, r.inv_id, r.inv_name, sum(r.qty) - min(r.sold), min(r.thr), (select at from bench_gen.anchor)
from g_receipts r
group by r.tenant_id, r.location_id, r.inv_id, r.inv_name;
