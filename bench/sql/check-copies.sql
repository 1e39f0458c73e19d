-- Checks that the copies of payloads-copied-from-product.sql still say what the product says:
-- a tender and a stock movement of :tenant are written with the product's triggers on, and the
-- payloads its triggers emitted are compared with the copies applied to the same rows. Run in a
-- transaction that data.ts rolls back. (order.voided.v1 needs a signed-in void_order; the
-- rebuild benchmark checks the fields its consumers read.)

-- name: triggers on
set local session_replication_role = origin;

-- name: write through the product
with o as (select * from app_public.orders where tenant_id = :tenant and status = 'placed' order by id limit 1),
     t as (insert into app_public.tenders (tenant_id, order_id, type, amount, change_given, recorded_by_user_id)
           select o.tenant_id, o.id, 'cash', 100, 0, o.placed_by_user_id from o returning 1),
     m as (insert into app_public.inventory_movements (tenant_id, location_id, inventory_item_id, quantity, reason, note, actor_user_id)
           select i.tenant_id, l.id, i.id, 5, 'receive', 'check', null
           from app_public.inventory_items i join app_public.locations l on l.tenant_id = i.tenant_id
           where i.tenant_id = :tenant order by i.id, l.id limit 1 returning 1)
select (select count(*) from t) + (select count(*) from m) as written;

-- name: compare
-- The two events the triggers just emitted: the last of the tenant's log.
select e.type, e.payload as product, c.copy
from (select * from app_private.events where tenant_id = :tenant order by seq desc limit 2) e
cross join lateral (
  select bench_gen.tender_event_payload(t, o) as copy
  from app_public.tenders t join app_public.orders o on o.tenant_id = t.tenant_id and o.id = t.order_id
  where e.type = 'tender.recorded.v1' and t.tenant_id = e.tenant_id and t.id = e.payload ->> 'tender_id'
  union all
  select bench_gen.inventory_movement_event_payload(m, i, l)
  from app_public.inventory_movements m
  join app_public.inventory_items i on i.tenant_id = m.tenant_id and i.id = m.inventory_item_id
  join app_public.locations l on l.tenant_id = m.tenant_id and l.id = m.location_id
  where e.type = 'inventory.movement.created.v1' and m.tenant_id = e.tenant_id and m.id = e.payload ->> 'movement_id'
) c;
