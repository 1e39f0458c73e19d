-- The rows of the product's tables for one staged batch, as place_order, record_tender,
-- void_order, record_inventory_movement and create_customer would have left them; written
-- set-based with triggers off (session.sql). events.sql then builds the events from these rows.

-- name: orders
-- Placed, paid in full at once; 0.5% voided later by the owner.
insert into app_public.orders (tenant_id, id, location_id, customer_id, status, subtotal, order_discount, discount_total,
  tax_rate_bps, tax_total, total, paid_total, placed_at, business_date, placed_by_user_id, voided_at, void_reason,
  voided_by_user_id, created_at, updated_at)
select g.tenant_id, g.order_id, g.location_id, g.cust_id, case when g.voided then 'voided' else 'placed' end, g.subtotal, g.od,
       g.disc_total, g.tax, g.tax_total, g.total, g.total, g.placed_at, g.bd, g.cashier, g.void_at, g.void_reason,
       case when g.voided then g.owner_id end, g.placed_at, coalesce(g.void_at, g.tender_at)
from g_orders g;

-- name: order lines
insert into app_public.order_lines (tenant_id, id, order_id, line_no, catalog_item_id, sku, name, unit_price, quantity,
  subtotal, line_discount, order_discount_share, net_total, tax, total)
select l.tenant_id, bench_gen.id(l.tp, 10, l.n * 4 + l.j), l.order_id, l.j, l.item_id, l.sku, l.item_name,
       l.p, l.q, l.p * l.q, l.ld, l.line_od, l.net, l.line_tax, l.net + l.line_tax
from g_lines l;

-- name: tenders
-- One per order: card for the total, or cash rounded up to 5.00 with change given; it completes
-- the order, so it is taken on the order's business date.
insert into app_public.tenders (tenant_id, id, order_id, type, amount, change_given, business_date, recorded_by_user_id, created_at)
select g.tenant_id, bench_gen.id(g.tp, 11, g.n), g.order_id, case when g.card then 'card' else 'cash' end, g.amount, g.change,
       g.bd, g.cashier, g.tender_at
from g_orders g;

-- name: refund tenders
-- A void hands back what was paid, the way it was paid, on the day of the void at the location.
insert into app_public.refund_tenders (tenant_id, id, order_id, type, amount, reason, business_date, refunded_by_user_id, created_at)
select g.tenant_id, bench_gen.id(g.void_tp, 22, g.n), g.order_id, case when g.card then 'card' else 'cash' end, g.total, g.void_reason,
       app_hidden.business_date(g.void_at, g.tz), g.owner_id, g.void_at
from g_orders g where g.voided;

-- name: stock movements
-- Sales, their voids and the weekly deliveries (the g_movements view of session.sql).
insert into app_public.inventory_movements (tenant_id, id, location_id, inventory_item_id, quantity, reason, note, order_id,
  order_line_id, actor_user_id, occurred_at, created_at)
select m.tenant_id, m.id, m.location_id, m.inv_id, m.quantity, m.reason, m.note, m.order_id, m.order_line_id, m.actor_user_id,
       m.occurred_at, m.occurred_at
from g_movements m;

-- name: customers
insert into app_public.customers (tenant_id, id, customer_number, email, phone, first_name, last_name, tags, marketing_consent,
  marketing_consent_updated_at, marketing_consent_source, status, created_by, created_at, updated_at)
select c.tenant_id, c.id, c.number, c.email, c.phone, c.first_name, c.last_name, c.tags, c.consent,
       case when c.consent is not null then c.created_at end, case when c.consent is not null then 'pos' end,
       'active', c.created_by, c.created_at, c.created_at
from g_customers c
order by c.tenant_id, c.id;

-- name: customer visits
-- Each order with a customer, as the customer_counters consumer records it (voided ones marked).
insert into app_private.customer_visits (tenant_id, order_id, customer_id, placed_at, total, item_count, is_voided)
select g.tenant_id, g.order_id, g.cust_id, g.placed_at, g.total, g.item_count, g.voided
from g_orders g where g.ck is not null
order by g.tenant_id, g.order_id;

-- name: customer stats
-- The purchase history the consumer keeps, from the visits not voided: counters, first and last
-- visit, the latest 20 visits newest first (every customer has its row, zeros without visits).
insert into app_public.customer_stats (tenant_id, customer_id, visits, spend, items_bought, first_visit_at, last_visit_at,
  recent_visits, updated_at)
select c.tenant_id, c.id, coalesce(a.visits, 0), coalesce(a.spend, 0), coalesce(a.items, 0), a.first_visit, a.last_visit,
       coalesce(a.recent, '{}'), greatest(c.created_at, a.last_visit)
from g_customers c
left join (
  select g.tix, g.ck, count(*) as visits, sum(g.total) as spend, sum(g.item_count) as items, min(g.placed_at) as first_visit,
         max(g.placed_at) as last_visit, (array_agg(g.placed_at order by g.placed_at desc))[1:20] as recent
  from g_orders g where g.ck is not null and not g.voided group by g.tix, g.ck) a
  on a.tix = c.tix and a.ck = c.k
order by c.tenant_id, c.id;

-- name: customer item stats
-- Units of each item a customer bought in orders not voided.
insert into app_public.customer_item_stats (tenant_id, customer_id, catalog_item_id, quantity)
select l.tenant_id, l.cust_id, l.item_id, sum(l.q)
from g_lines l where l.ck is not null and not l.voided
group by l.tenant_id, l.cust_id, l.item_id
order by l.tenant_id, l.cust_id, l.item_id;

-- name: customer numbers
-- The counter create_customer draws the next customer number from.
insert into app_private.tenant_counters (tenant_id, name, value)
select t.tenant_id, 'customer_number', t.n_cust from bench_gen.g_tenants t where t.tix in (select distinct c.tix from g_customers c);
