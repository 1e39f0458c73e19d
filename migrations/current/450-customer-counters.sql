-- 450-customer-counters: customers and sales. Orders point at customers (composite foreign key;
-- place_order refuses ids that are not customers of the tenant), and a consumer of the event
-- log keeps each customer's total_visits, total_spend and last_visit_at exact: an
-- order.placed.v1 with a customer adds one visit and the order total, an order.voided.v1 takes
-- them back out. The dispatcher of 300 applies each event at most once (processed_events), so
-- replays never double-count, and an order of a merged customer counts for the customer it was
-- merged into. rebuild_customer_counters recomputes everything from the log.

alter table app_public.orders
  add constraint orders_customer_fkey foreign key (tenant_id, customer_id) references app_public.customers (tenant_id, id);
-- Covered by orders_customer_idx (tenant_id, customer_id, placed_at) of 320.
comment on constraint orders_customer_fkey on app_public.orders is E'@fieldName customer\n@foreignFieldName orders';

/*
 * Replaces the placeholder of 320: an order may only name a customer of the tenant (NOTFD), and
 * an order for a customer that was merged is recorded for the customer it was merged into.
 */
create or replace function app_private.order_customer_id(tenant_id text, customer_id text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  live text;
begin
  if customer_id is null or btrim(customer_id) = '' then
    return null;
  end if;
  live := app_private.live_customer_id(order_customer_id.tenant_id, btrim(order_customer_id.customer_id));
  if live is null then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.', left(btrim(customer_id), 40)));
  end if;
  return live;
end;
$$;

------------------------------------------------------------------------------------------------
-- The consumer

/*
 * Locks and returns the live customer an order event counts for: the payload's customer, or the
 * customer it was merged into (the lock is taken before status is read, so a merge committing
 * meanwhile is seen). Null when the order has no customer.
 */
create function app_private.lock_counted_customer(evt app_private.events) returns app_public.customers
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  target text := evt.payload ->> 'customer_id';
  c app_public.customers;
begin
  for hop in 1..100 loop
    exit when target is null;
    select x.* into c from app_public.customers x
    where x.tenant_id = evt.tenant_id and x.id = target
    for no key update;
    if not found or c.status <> 'merged' then
      return c;
    end if;
    target := c.merged_into_id;
  end loop;
  return null;
end;
$$;

create function app_private.customer_counters__order_placed(evt app_private.events) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  c app_public.customers := app_private.lock_counted_customer(evt);
begin
  if c.id is null then
    return;
  end if;
  update app_public.customers x set
    total_visits = x.total_visits + 1,
    total_spend = x.total_spend + (evt.payload ->> 'total')::bigint,
    last_visit_at = greatest(x.last_visit_at, (evt.payload ->> 'placed_at')::timestamptz)
  where x.tenant_id = c.tenant_id and x.id = c.id;
end;
$$;
comment on function app_private.customer_counters__order_placed(app_private.events) is 'Consumer customer_counters: a placed order adds a visit and its total to its customer.';

create function app_private.customer_counters__order_voided(evt app_private.events) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  c app_public.customers := app_private.lock_counted_customer(evt);
  placed timestamptz := (evt.payload ->> 'placed_at')::timestamptz;
  latest timestamptz;
begin
  if c.id is null then
    return;
  end if;
  latest := c.last_visit_at;
  if latest is null or latest <= placed then
    -- The voided order may have been the latest visit: the latest of the others that still stand.
    select max(o.placed_at) into latest from app_public.orders o
    where o.tenant_id = c.tenant_id
      and o.customer_id = any(app_private.customer_history_ids(c.tenant_id, c.id))
      and o.status = 'placed' and o.id <> evt.aggregate_id;
  end if;
  update app_public.customers x set
    total_visits = x.total_visits - 1,
    total_spend = x.total_spend - (evt.payload ->> 'total')::bigint,
    last_visit_at = latest
  where x.tenant_id = c.tenant_id and x.id = c.id;
end;
$$;
comment on function app_private.customer_counters__order_voided(app_private.events) is 'Consumer customer_counters: a voided order takes its visit and total back out of its customer.';

insert into app_private.event_subscriptions (consumer, event_type, handler) values
  ('customer_counters', 'order.placed.v1', 'app_private.customer_counters__order_placed(app_private.events)'),
  ('customer_counters', 'order.voided.v1', 'app_private.customer_counters__order_voided(app_private.events)');

/*
 * Recomputes the counters of a tenant's customers from the event log: zeroes them, forgets
 * what the consumer applied and replays every order event in log order. Returns how many events
 * were applied. The result equals what incremental consumption produced.
 */
create function app_private.rebuild_customer_counters(tenant_id text) returns int
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  update app_public.customers c set total_visits = 0, total_spend = 0, last_visit_at = null
  where c.tenant_id = rebuild_customer_counters.tenant_id
    and (c.total_visits <> 0 or c.total_spend <> 0 or c.last_visit_at is not null);
  perform app_private.reset_consumer('customer_counters', rebuild_customer_counters.tenant_id);
  return app_private.replay('customer_counters', rebuild_customer_counters.tenant_id);
end;
$$;
comment on function app_private.rebuild_customer_counters(text) is 'Recomputes total_visits, total_spend and last_visit_at of a tenant''s customers from the event log.';

------------------------------------------------------------------------------------------------
-- Orders on the customer page

create function app_public.customers_recent_orders(c app_public.customers) returns setof app_public.orders
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select o.* from app_public.orders o
  where o.tenant_id = c.tenant_id
    and o.customer_id in (
      select c.id
      union all
      select m.id from app_public.customers m where m.tenant_id = c.tenant_id and m.merged_into_id = c.id)
  order by o.placed_at desc nulls last, o.id desc
  limit 10;
$$;
comment on function app_public.customers_recent_orders(app_public.customers) is
  E'@behavior +list -connection\n@listSuffix omit\nThe customer''s 10 latest orders (voided ones included), newest first.';
