-- COPIES of product rules, kept here and nowhere else in bench/ until the product exposes them.
--
-- The generator builds every event payload with the product's own functions where there is one:
-- app_private.order_event_payload (order.placed.v1, and the order part of order.voided.v1) and
-- app_private.customer_event_payload (customer.created.v1). Three payloads are built only inline,
-- inside a trigger or a command, so they are copied below, each from the place named, with the
-- signature the product function should have. When migrations/fixtures add
--   app_private.order_voided_event_payload(app_public.orders, app_public.locations)
--   app_private.tender_event_payload(app_public.tenders, app_public.orders)
--   app_private.inventory_movement_event_payload(app_public.inventory_movements, app_public.inventory_items, app_public.locations)
-- replace bench_gen. by app_private. in events.sql and delete this file (and its line in data.ts).
-- Until then the rebuild benchmark checks these copies: the read models rebuilt from the payloads
-- must equal the ones the generator wrote.

-- order.voided.v1: from app_public.void_order (sales/320-orders.sql). o is the voided order, loc its location.
create function bench_gen.order_voided_event_payload(o app_public.orders, loc app_public.locations) returns jsonb
language sql stable
as $$
  select app_private.order_event_payload(o) || jsonb_build_object(
    'voided_at', app_hidden.iso_utc(o.voided_at),
    'voided_business_date', to_char(app_hidden.business_date(o.voided_at, loc.timezone), 'YYYY-MM-DD'),
    'void_reason', o.void_reason,
    'voided_by_user_id', o.voided_by_user_id,
    'paid_total', o.paid_total);
$$;

-- tender.recorded.v1: from app_private.tg_tenders__emit_event (sales/320-orders.sql). t is the
-- tender, o its order as it stands after the payment.
create function bench_gen.tender_event_payload(t app_public.tenders, o app_public.orders) returns jsonb
language sql stable
as $$
  select jsonb_build_object(
    'tender_id', t.id,
    'order_id', t.order_id,
    'location_id', o.location_id,
    'business_date', to_char(o.business_date, 'YYYY-MM-DD'),
    'customer_id', o.customer_id,
    'type', t.type,
    'amount', t.amount,
    'change_given', t.change_given,
    'applied_amount', t.applied_amount,
    'order_total', o.total,
    'paid_total', o.paid_total,
    'amount_due', o.amount_due,
    'recorded_at', app_hidden.iso_utc(t.created_at),
    'recorded_by_user_id', t.recorded_by_user_id);
$$;

-- inventory.movement.created.v1: from app_private.tg_inventory_movements__emit_event
-- (sales/310-catalog-inventory.sql). m is the movement, item its inventory item, loc its location.
create function bench_gen.inventory_movement_event_payload(
  m app_public.inventory_movements, item app_public.inventory_items, loc app_public.locations
) returns jsonb
language sql stable
as $$
  select jsonb_build_object(
    'movement_id', m.id,
    'location_id', m.location_id,
    'inventory_item_id', m.inventory_item_id,
    'inventory_item_name', item.name,
    'catalog_item_id', item.catalog_item_id,
    'quantity', m.quantity,
    'reason', m.reason,
    'note', m.note,
    'order_id', m.order_id,
    'order_line_id', m.order_line_id,
    'occurred_at', app_hidden.iso_utc(m.occurred_at),
    'business_date', app_hidden.business_date(m.occurred_at, loc.timezone),
    'actor_user_id', m.actor_user_id);
$$;
