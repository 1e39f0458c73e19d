-- What each worker connection of the generator sets up once: bulk-load settings (triggers and
-- foreign-key checks off: session_replication_role = replica), its staging tables (one batch of
-- tenants at a time, truncated between batches) and two views over them that the statements of
-- a batch share.

set temp_buffers = '256MB';
set jit = off;
set work_mem = '256MB';
set synchronous_commit = off;
set session_replication_role = replica;

create temp table g_orders (like bench_gen.g_orders);
create temp table g_customers (like bench_gen.g_customers);
create temp table g_receipts (like bench_gen.g_receipts);

-- One row per line of a staged order (1 to 3 each), with its catalog item and, when the item is
-- stocked, its inventory item.
create temp view g_lines as
select g.*, v.j, v.it, v.q, v.p, v.ld, v.line_od, v.net, v.line_tax,
       i.id as item_id, i.sku, i.name as item_name, i.inv_id, i.inv_name, i.thr
from g_orders g
cross join lateral (values (1, g.it1, g.q1, g.p1, g.ld1, g.od, g.net1, g.tax1), (2, g.it2, g.q2, g.p2, g.ld2, 0, g.net2, g.tax2),
                           (3, g.it3, g.q3, g.p3, g.ld3, 0, g.net3, g.tax3)) as v(j, it, q, p, ld, line_od, net, line_tax)
join bench_gen.g_items i on i.tix = g.tix and i.it = v.it
where v.j <= g.nl;

-- Every stock movement of the batch, with the id and seq of the event it emits: the sale of each
-- stocked line, its opposite when the order was voided (as void_order writes it), and the
-- weekly deliveries (g_receipts).
create temp view g_movements as
select l.tenant_id, bench_gen.id(l.tp, 12, l.n * 4 + l.j) as id, bench_gen.id(l.tp, 17, l.n * 4 + l.j) as event_id,
       bench_gen.seq(l.ms, l.n, l.j) as seq, l.location_id, l.inv_id, -l.q as quantity, 'sale' as reason, null as note,
       l.order_id, bench_gen.id(l.tp, 10, l.n * 4 + l.j) as order_line_id, l.cashier as actor_user_id, l.placed_at as occurred_at
from g_lines l where l.inv_id is not null
union all
select l.tenant_id, bench_gen.id(l.void_tp, 13, l.n * 4 + l.j), bench_gen.id(l.void_tp, 19, l.n * 4 + l.j),
       bench_gen.seq(l.void_ms, l.n, 8 + l.j), l.location_id, l.inv_id, l.q, 'sale', 'Void of order ' || l.order_id,
       l.order_id, bench_gen.id(l.tp, 10, l.n * 4 + l.j), l.owner_id, l.void_at
from g_lines l where l.voided and l.inv_id is not null
union all
select r.tenant_id, bench_gen.id(bench_gen.tp(bench_gen.ms(r.at)), 14, r.n), bench_gen.id(bench_gen.tp(bench_gen.ms(r.at)), 21, r.n),
       bench_gen.seq(bench_gen.ms(r.at), r.n, 62), r.location_id, r.inv_id, r.qty, 'receive', null, null, null, r.owner_id, r.at
from g_receipts r where r.qty > 0;
