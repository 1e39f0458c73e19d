-- The event log of one batch, built from the rows write.sql wrote: what emit_event would have
-- appended while the product wrote them. Each payload comes from the product's payload function
-- (app_private.*_payload, as its commands and triggers build them). Ids and seqs are the generator's (helpers.sql):
-- seq puts the log in time order. Each event is marked processed by every consumer the product
-- subscribes to its type (app_private.event_subscriptions), as dispatch records it, since the
-- read models are written complete (read-models.sql).

-- name: events
with ev as (
  insert into app_private.events (tenant_id, id, seq, type, aggregate_type, aggregate_id, payload, actor_user_id, occurred_at)
  overriding system value
  -- order.placed.v1, from place_order
  select o.tenant_id, bench_gen.id(g.tp, 15, g.n), bench_gen.seq(g.ms, g.n, 0), 'order.placed.v1', 'order', o.id,
         app_private.order_event_payload(o), o.placed_by_user_id, o.placed_at
  from g_orders g join app_public.orders o on o.tenant_id = g.tenant_id and o.id = g.order_id
  union all
  -- order.voided.v1, from void_order
  select o.tenant_id, bench_gen.id(g.void_tp, 18, g.n), bench_gen.seq(g.void_ms, g.n, 8), 'order.voided.v1', 'order', o.id,
         app_private.order_voided_event_payload(o, loc), o.voided_by_user_id, o.voided_at
  from g_orders g
  join app_public.orders o on o.tenant_id = g.tenant_id and o.id = g.order_id
  join app_public.locations loc on loc.tenant_id = o.tenant_id and loc.id = o.location_id
  where g.voided
  union all
  -- tender.recorded.v1, from the trigger of tenders
  select t.tenant_id, bench_gen.id(g.tender_tp, 16, g.n), bench_gen.seq(g.tender_ms, g.n, 4), 'tender.recorded.v1', 'order', t.order_id,
         app_private.tender_event_payload(t, o), t.recorded_by_user_id, t.created_at
  from g_orders g
  join app_public.tenders t on t.tenant_id = g.tenant_id and t.id = bench_gen.id(g.tp, 11, g.n)
  join app_public.orders o on o.tenant_id = g.tenant_id and o.id = g.order_id
  union all
  -- inventory.movement.created.v1, from the trigger of inventory_movements
  select m.tenant_id, gm.event_id, gm.seq, 'inventory.movement.created.v1', 'inventory_item', m.inventory_item_id,
         app_private.inventory_movement_event_payload(m, i, loc), m.actor_user_id, m.occurred_at
  from g_movements gm
  join app_public.inventory_movements m on m.tenant_id = gm.tenant_id and m.id = gm.id
  join app_public.inventory_items i on i.tenant_id = m.tenant_id and i.id = m.inventory_item_id
  join app_public.locations loc on loc.tenant_id = m.tenant_id and loc.id = m.location_id
  union all
  -- customer.created.v1, from create_customer
  select x.tenant_id, bench_gen.id(bench_gen.tp(c.ms), 20, c.n), bench_gen.seq(c.ms, c.n, 63), 'customer.created.v1', 'customer', x.id,
         app_private.customer_event_payload(x), x.created_by, x.created_at
  from g_customers c join app_public.customers x on x.tenant_id = c.tenant_id and x.id = c.id
  returning tenant_id, id, type, occurred_at)
insert into app_private.processed_events (tenant_id, event_id, consumer, processed_at)
select ev.tenant_id, ev.id, s.consumer, ev.occurred_at
from ev join app_private.event_subscriptions s on s.event_type = ev.type;
