-- 610-reporting-consumers: how events reach the read models of 600 (db/REPORTING.md, "Consumers,
-- and the hot row").
--
-- Two consumers, each subscribed by rows of app_private.event_subscriptions and applied at most
-- once per event through processed_events (300):
--
--   reporting_customers (inline): order.placed/voided and customer.created/updated/merged →
--     rm_customer_activity. One row per customer is not a hot row (the customer counters of 450
--     already lock that customer in the same transaction), so it is applied at once, in the
--     writer's transaction.
--
--   reporting_sales (inline, queued): order.placed/voided, tender.recorded and
--     inventory.movement.created → rm_daily_sales, rm_item_sales, rm_inventory_on_hand. These are
--     hot rows: every order of a location and day adds to the same daily row, and an upsert holds
--     that row's lock until the writer commits, so concurrent tills at one shop would queue behind
--     each other (measured: 0.26 of the throughput without consumers at 8 clients). So the
--     consumer only appends the event to app_private.reporting_queue (an insert: no shared row),
--     and a deferred trigger folds the tenant's queue into the read models at commit, if — and
--     only if — it gets the tenant's fold lock without waiting (pg_try_advisory_xact_lock). One
--     writer folds for everyone at a time; the others never wait: their events stay queued until
--     the next fold (the next commit of the tenant, app_private.reporting_fold_all() from the
--     worker, or a rebuild).
--
-- Readers that must be exact (the admin queries of 630, the analysts' views of 640, exports)
-- add what the queued events add (reporting_pending_*, the same facts the fold uses), so a
-- figure is exact the moment its order commits, whether or not it was folded yet. GraphQL reads
-- of the rm_* tables (and their aggregates) see folded rows only.
--
-- The arithmetic of the sales read models lives once, in the *_facts views (what each event adds
-- per read-model key; sums commute and names go to the highest seq, so the order in which events
-- are folded does not matter): the fold groups them over the queued events it takes, the exact
-- readers over the events still queued, and the rebuild (620) over the whole log of a tenant.

------------------------------------------------------------------------------------------------
-- Facts: what each sales event adds, one row per event (or per order line). The arithmetic of
-- the sales read models lives here only; the fold, the exact readers and the rebuild group these
-- rows over different sets of events (the queue, or the whole log of a tenant).

/* What each order and tender event adds to rm_daily_sales, on the business date of the sale. */
create view app_private.reporting_daily_facts as
select e.tenant_id, e.id as event_id, e.seq,
       e.payload ->> 'location_id' as location_id,
       (e.payload ->> 'business_date')::date as business_date,
       x.sign as order_count,
       x.sign * coalesce((e.payload ->> 'subtotal')::bigint, 0) as gross_sales,
       x.sign * coalesce((e.payload ->> 'discount_total')::bigint, 0) as discount_total,
       x.sign * coalesce((e.payload ->> 'tax_total')::bigint, 0) as tax_total,
       x.sign * coalesce((e.payload ->> 'total')::bigint, 0) as net_sales,
       case when x.tender = 'cash' then (e.payload ->> 'applied_amount')::bigint else 0 end as tender_cash,
       case when x.tender = 'card' then (e.payload ->> 'applied_amount')::bigint else 0 end as tender_card,
       case when e.type = 'order.voided.v1' then 1 else 0 end as void_count,
       case when e.type = 'order.voided.v1' then (e.payload ->> 'total')::bigint else 0 end as void_total
from app_private.events e
cross join lateral (select
    case e.type when 'order.placed.v1' then 1 when 'order.voided.v1' then -1 else 0 end as sign,
    case when e.type = 'tender.recorded.v1' then e.payload ->> 'type' end as tender) as x
where e.type in ('order.placed.v1', 'order.voided.v1', 'tender.recorded.v1');
comment on view app_private.reporting_daily_facts is 'What each order or tender event adds to rm_daily_sales: a sale adds the order, its void takes it out again on the same (original) date and counts the void; a tender adds what went towards the order.';

/* What each line of an order event adds to rm_item_sales. */
create view app_private.reporting_item_facts as
select e.tenant_id, e.id as event_id, e.seq,
       e.payload ->> 'location_id' as location_id,
       (e.payload ->> 'business_date')::date as business_date,
       l.catalog_item_id,
       l.name as catalog_item_name,
       -- Names come from sales (a void repeats the old name): the latest sale by seq names the row.
       case when e.type = 'order.placed.v1' then e.seq else 0 end as name_seq,
       x.sign * l.quantity as quantity_sold,
       x.sign * l.subtotal as gross_revenue,
       x.sign * l.revenue as net_revenue
from app_private.events e
cross join lateral jsonb_to_recordset(e.payload -> 'lines') as l(catalog_item_id text, name text, quantity bigint, subtotal bigint, revenue bigint)
cross join lateral (select case e.type when 'order.placed.v1' then 1 else -1 end as sign) as x
where e.type in ('order.placed.v1', 'order.voided.v1');
comment on view app_private.reporting_item_facts is 'What each line of an order event adds to rm_item_sales (a void takes the line back out on the original date).';

/* What each stock movement event adds to rm_inventory_on_hand. */
create view app_private.reporting_stock_facts as
select e.tenant_id, e.id as event_id, e.seq,
       e.payload ->> 'location_id' as location_id,
       e.payload ->> 'inventory_item_id' as inventory_item_id,
       (e.payload ->> 'quantity')::bigint as on_hand
from app_private.events e
where e.type = 'inventory.movement.created.v1';
comment on view app_private.reporting_stock_facts is 'What each stock movement event adds to rm_inventory_on_hand.';

------------------------------------------------------------------------------------------------
-- Applying queued sales events (the fold)

/*
 * Adds sales events of a tenant (given by id, in any order) to the sales read models. Names and
 * thresholds of inventory items are configuration, not events: they are taken from the inventory
 * item when its row is created here and kept current by the trigger below.
 */
create function app_private.reporting_apply_sales(tenant_id text, event_ids text[]) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
declare
  tenant constant text := reporting_apply_sales.tenant_id;
begin
  if event_ids is null or cardinality(event_ids) = 0 then
    return;
  end if;

  insert into reporting.rm_daily_sales as r (tenant_id, location_id, business_date, order_count, gross_sales, discount_total,
                                             tax_total, net_sales, tender_cash, tender_card, void_count, void_total)
  select tenant, f.location_id, f.business_date, sum(f.order_count), sum(f.gross_sales), sum(f.discount_total), sum(f.tax_total),
         sum(f.net_sales), sum(f.tender_cash), sum(f.tender_card), sum(f.void_count), sum(f.void_total)
  from app_private.reporting_daily_facts f
  where f.tenant_id = tenant and f.event_id = any(event_ids)
  group by f.location_id, f.business_date
  order by f.location_id, f.business_date
  on conflict (tenant_id, location_id, business_date) do update set
    order_count = r.order_count + excluded.order_count,
    gross_sales = r.gross_sales + excluded.gross_sales,
    discount_total = r.discount_total + excluded.discount_total,
    tax_total = r.tax_total + excluded.tax_total,
    net_sales = r.net_sales + excluded.net_sales,
    tender_cash = r.tender_cash + excluded.tender_cash,
    tender_card = r.tender_card + excluded.tender_card,
    void_count = r.void_count + excluded.void_count,
    void_total = r.void_total + excluded.void_total,
    updated_at = now();

  insert into reporting.rm_item_sales as r (tenant_id, location_id, business_date, catalog_item_id, catalog_item_name, name_seq,
                                            quantity_sold, gross_revenue, net_revenue)
  select tenant, f.location_id, f.business_date, f.catalog_item_id,
         (array_agg(f.catalog_item_name order by f.name_seq desc, f.catalog_item_name))[1], max(f.name_seq),
         sum(f.quantity_sold), sum(f.gross_revenue), sum(f.net_revenue)
  from app_private.reporting_item_facts f
  where f.tenant_id = tenant and f.event_id = any(event_ids)
  group by f.location_id, f.business_date, f.catalog_item_id
  order by f.location_id, f.business_date, f.catalog_item_id
  on conflict (tenant_id, location_id, business_date, catalog_item_id) do update set
    catalog_item_name = case when excluded.name_seq > r.name_seq then excluded.catalog_item_name else r.catalog_item_name end,
    name_seq = greatest(r.name_seq, excluded.name_seq),
    quantity_sold = r.quantity_sold + excluded.quantity_sold,
    gross_revenue = r.gross_revenue + excluded.gross_revenue,
    net_revenue = r.net_revenue + excluded.net_revenue,
    updated_at = now();

  insert into reporting.rm_inventory_on_hand as r (tenant_id, location_id, inventory_item_id, item_name, on_hand, low_stock_threshold)
  select tenant, f.location_id, f.inventory_item_id, i.name, f.on_hand, i.low_stock_threshold
  from (select f.location_id, f.inventory_item_id, sum(f.on_hand) as on_hand
        from app_private.reporting_stock_facts f
        where f.tenant_id = tenant and f.event_id = any(event_ids)
        group by f.location_id, f.inventory_item_id) f
  join app_public.inventory_items i on i.tenant_id = tenant and i.id = f.inventory_item_id
  order by f.location_id, f.inventory_item_id
  on conflict (tenant_id, location_id, inventory_item_id) do update set
    on_hand = r.on_hand + excluded.on_hand,
    updated_at = now();
end;
$$;
comment on function app_private.reporting_apply_sales(text, text[]) is 'Adds sales events of a tenant (by id) to rm_daily_sales, rm_item_sales and rm_inventory_on_hand (the fold).';

------------------------------------------------------------------------------------------------
-- What is still queued, per read-model key (the exact readers add it to the folded rows)

create function app_private.reporting_pending_daily(tenant_id text)
returns table (location_id text, business_date date, order_count bigint, gross_sales bigint, discount_total bigint,
               tax_total bigint, net_sales bigint, tender_cash bigint, tender_card bigint, void_count bigint, void_total bigint)
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select f.location_id, f.business_date, sum(f.order_count)::bigint, sum(f.gross_sales)::bigint, sum(f.discount_total)::bigint,
         sum(f.tax_total)::bigint, sum(f.net_sales)::bigint, sum(f.tender_cash)::bigint, sum(f.tender_card)::bigint,
         sum(f.void_count)::bigint, sum(f.void_total)::bigint
  from app_private.reporting_queue q
  join app_private.reporting_daily_facts f on f.tenant_id = q.tenant_id and f.event_id = q.event_id
  where q.tenant_id = reporting_pending_daily.tenant_id
  group by f.location_id, f.business_date;
$$;
comment on function app_private.reporting_pending_daily(text) is 'What the tenant''s queued events add to rm_daily_sales, per location and date.';

create function app_private.reporting_pending_items(tenant_id text)
returns table (location_id text, business_date date, catalog_item_id text, catalog_item_name text, name_seq bigint,
               quantity_sold bigint, gross_revenue bigint, net_revenue bigint)
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select f.location_id, f.business_date, f.catalog_item_id, (array_agg(f.catalog_item_name order by f.name_seq desc, f.catalog_item_name))[1],
         max(f.name_seq), sum(f.quantity_sold)::bigint, sum(f.gross_revenue)::bigint, sum(f.net_revenue)::bigint
  from app_private.reporting_queue q
  join app_private.reporting_item_facts f on f.tenant_id = q.tenant_id and f.event_id = q.event_id
  where q.tenant_id = reporting_pending_items.tenant_id
  group by f.location_id, f.business_date, f.catalog_item_id;
$$;
comment on function app_private.reporting_pending_items(text) is 'What the tenant''s queued events add to rm_item_sales, per location, date and item.';

create function app_private.reporting_pending_stock(tenant_id text)
returns table (location_id text, inventory_item_id text, on_hand bigint)
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select f.location_id, f.inventory_item_id, sum(f.on_hand)::bigint
  from app_private.reporting_queue q
  join app_private.reporting_stock_facts f on f.tenant_id = q.tenant_id and f.event_id = q.event_id
  where q.tenant_id = reporting_pending_stock.tenant_id
  group by f.location_id, f.inventory_item_id;
$$;
comment on function app_private.reporting_pending_stock(text) is 'What the tenant''s queued events add to rm_inventory_on_hand, per location and item.';

------------------------------------------------------------------------------------------------
-- The queue and the fold

/* The advisory lock that makes one transaction at a time write a tenant's sales read models. */
create function app_private.reporting_lock_key(tenant_id text) returns bigint
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select hashtextextended('reporting.fold:' || tenant_id, 0);
$$;

/* Consumer reporting_sales: queues the event; the fold at commit (or later) applies it. */
create function app_private.reporting_sales__enqueue(evt app_private.events) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  insert into app_private.reporting_queue (tenant_id, event_id, seq) values (evt.tenant_id, evt.id, evt.seq);
$$;
comment on function app_private.reporting_sales__enqueue(app_private.events) is 'Consumer reporting_sales: queues a sales event for the fold into the sales read models.';

/*
 * Folds the tenant's queued events (those this transaction can see: committed or its own) into
 * the sales read models and empties those queue rows. The caller holds the tenant's fold lock.
 * Returns how many events were folded.
 */
create function app_private.reporting_fold_locked(tenant_id text) returns int
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant constant text := reporting_fold_locked.tenant_id;
  taken_ids text[];
begin
  with taken as (
    delete from app_private.reporting_queue q where q.tenant_id = tenant returning q.event_id
  )
  select array_agg(taken.event_id) into taken_ids from taken;
  perform app_private.reporting_apply_sales(tenant, taken_ids);
  return coalesce(cardinality(taken_ids), 0);
end;
$$;

/*
 * Folds a tenant's queue now, waiting for the fold lock (worker, tests). Returns how many
 * events were folded.
 */
create function app_private.reporting_fold(tenant_id text) returns int
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform pg_advisory_xact_lock(app_private.reporting_lock_key(reporting_fold.tenant_id));
  return app_private.reporting_fold_locked(reporting_fold.tenant_id);
end;
$$;
comment on function app_private.reporting_fold(text) is 'Folds a tenant''s queued sales events into the sales read models (waits for the fold lock); returns how many.';

/*
 * Folds the queue of every tenant that has one, skipping tenants whose fold lock is held (their
 * holder folds). For a periodic worker job. Returns how many events were folded.
 */
create function app_private.reporting_fold_all() returns int
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text;
  folded int := 0;
begin
  for tenant in select distinct q.tenant_id from app_private.reporting_queue q order by 1 loop
    if pg_try_advisory_xact_lock(app_private.reporting_lock_key(tenant)) then
      folded := folded + app_private.reporting_fold_locked(tenant);
    end if;
  end loop;
  return folded;
end;
$$;
comment on function app_private.reporting_fold_all() is 'Folds the queued sales events of every tenant whose fold lock is free; returns how many (worker).';

/*
 * Deferred trigger: at commit, the writer folds its tenant's queue if it gets the fold lock
 * without waiting; otherwise its events stay queued for the next fold. Runs as the owner (the
 * commit happens outside the security definer function that wrote the event).
 */
create function app_private.tg_reporting_queue__fold() returns trigger
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- An earlier firing of this transaction already folded this row.
  if not exists (select 1 from app_private.reporting_queue q where q.tenant_id = new.tenant_id and q.event_id = new.event_id) then
    return null;
  end if;
  if pg_try_advisory_xact_lock(app_private.reporting_lock_key(new.tenant_id)) then
    perform app_private.reporting_fold_locked(new.tenant_id);
  end if;
  return null;
end;
$$;
create constraint trigger _900_fold_at_commit after insert on app_private.reporting_queue
  deferrable initially deferred
  for each row execute function app_private.tg_reporting_queue__fold();

/*
 * Trigger: the name and threshold of an inventory item follow into rm_inventory_on_hand (they are
 * configuration, not events). Takes the tenant's fold lock first, so that it never waits on a
 * folder that waits on it.
 */
create function app_private.tg_inventory_items__reporting() returns trigger
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform pg_advisory_xact_lock(app_private.reporting_lock_key(new.tenant_id));
  update reporting.rm_inventory_on_hand r
    set item_name = new.name, low_stock_threshold = new.low_stock_threshold, updated_at = now()
    where r.tenant_id = new.tenant_id and r.inventory_item_id = new.id;
  return null;
end;
$$;
create trigger _600_reporting after update of name, low_stock_threshold on app_public.inventory_items
  for each row when (old.name is distinct from new.name or old.low_stock_threshold is distinct from new.low_stock_threshold)
  execute function app_private.tg_inventory_items__reporting();

------------------------------------------------------------------------------------------------
-- Customer activity (inline)

/* The order events of a batch that name a customer, with the customer they count for (after merges). */
create function app_private.reporting_customer_orders(tenant_id text, evts app_private.events[])
returns table (kind text, seq bigint, order_id text, customer_id text, placed_at timestamptz, total bigint)
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select case e.type when 'order.placed.v1' then 'placed' else 'voided' end, e.seq, e.payload ->> 'order_id',
         coalesce(a.merged_into_id, e.payload ->> 'customer_id'),
         (e.payload ->> 'placed_at')::timestamptz, (e.payload ->> 'total')::bigint
  from unnest(evts) e
  left join reporting.rm_customer_activity a
    on a.tenant_id = reporting_customer_orders.tenant_id and a.customer_id = e.payload ->> 'customer_id'
  where e.type in ('order.placed.v1', 'order.voided.v1') and e.payload ->> 'customer_id' is not null;
$$;

/*
 * Applies a batch of customer and order events (in log order) to a tenant's customer activity.
 * Renames: the name of the latest (highest seq) created/updated/merged event wins. Merges, in
 * log order: the duplicate's visits and spend move to the primary, the duplicate points at the
 * primary (and so do customers merged into it before). Orders count for the customer their
 * customer was merged into; a void takes its visit and total back out and, when it was the
 * latest visit, last_visit_at falls back to the latest order that still stands.
 */
create function app_private.reporting_apply_customers(tenant_id text, evts app_private.events[]) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
declare
  tenant constant text := reporting_apply_customers.tenant_id;
  m record;
begin
  if evts is null or cardinality(evts) = 0 then
    return;
  end if;

  -- Names.
  insert into reporting.rm_customer_activity as r (tenant_id, customer_id, customer_name, name_seq)
  select distinct on (n.customer_id) tenant, n.customer_id, n.name, n.seq
  from (
    select e.payload ->> 'customer_id' as customer_id, e.payload ->> 'display_name' as name, e.seq
    from unnest(evts) e where e.type in ('customer.created.v1', 'customer.updated.v1')
    union all
    select e.payload ->> 'primary_id', e.payload ->> 'display_name', e.seq
    from unnest(evts) e where e.type = 'customer.merged.v1'
  ) n
  where n.customer_id is not null
  order by n.customer_id, n.seq desc
  on conflict (tenant_id, customer_id) do update set
    customer_name = case when excluded.name_seq > r.name_seq then excluded.customer_name else r.customer_name end,
    name_seq = greatest(r.name_seq, excluded.name_seq),
    updated_at = now();

  -- Merges, in log order.
  for m in
    select e.payload ->> 'primary_id' as primary_id, e.payload ->> 'duplicate_id' as duplicate_id
    from unnest(evts) e where e.type = 'customer.merged.v1' order by e.seq
  loop
    insert into reporting.rm_customer_activity (tenant_id, customer_id)
      values (tenant, m.primary_id), (tenant, m.duplicate_id)
      on conflict do nothing;
    update reporting.rm_customer_activity p set
      total_visits = p.total_visits + d.total_visits,
      total_spend = p.total_spend + d.total_spend,
      last_visit_at = greatest(p.last_visit_at, d.last_visit_at),
      updated_at = now()
    from reporting.rm_customer_activity d
    where p.tenant_id = tenant and p.customer_id = m.primary_id
      and d.tenant_id = tenant and d.customer_id = m.duplicate_id;
    update reporting.rm_customer_activity d set
      total_visits = 0, total_spend = 0, last_visit_at = null, merged_into_id = m.primary_id, updated_at = now()
    where d.tenant_id = tenant and d.customer_id = m.duplicate_id;
    update reporting.rm_customer_activity x set merged_into_id = m.primary_id, updated_at = now()
    where x.tenant_id = tenant and x.merged_into_id = m.duplicate_id;
    update reporting.rm_customer_visits v set customer_id = m.primary_id
    where v.tenant_id = tenant and v.customer_id = m.duplicate_id;
  end loop;

  if not exists (select 1 from unnest(evts) e
                 where e.type in ('order.placed.v1', 'order.voided.v1') and e.payload ->> 'customer_id' is not null) then
    return;
  end if;

  -- Orders: each counts for its customer, or the customer that one was merged into.
  insert into reporting.rm_customer_visits (tenant_id, order_id, customer_id, placed_at, total)
  select tenant, o.order_id, o.customer_id, o.placed_at, o.total
  from app_private.reporting_customer_orders(tenant, evts) o where o.kind = 'placed'
  order by o.order_id
  on conflict do nothing;
  update reporting.rm_customer_visits v set is_voided = true
  from app_private.reporting_customer_orders(tenant, evts) o
  where o.kind = 'voided' and v.tenant_id = tenant and v.order_id = o.order_id;

  insert into reporting.rm_customer_activity as r (tenant_id, customer_id, total_visits, total_spend, last_visit_at)
  select tenant, o.customer_id,
         sum(case o.kind when 'placed' then 1 else -1 end),
         sum(case o.kind when 'placed' then o.total else -o.total end),
         max(o.placed_at) filter (where o.kind = 'placed')
  from app_private.reporting_customer_orders(tenant, evts) o
  group by o.customer_id
  order by o.customer_id
  on conflict (tenant_id, customer_id) do update set
    total_visits = r.total_visits + excluded.total_visits,
    total_spend = r.total_spend + excluded.total_spend,
    last_visit_at = greatest(r.last_visit_at, excluded.last_visit_at),
    updated_at = now();

  -- A void may have taken the latest visit away.
  update reporting.rm_customer_activity r set
    last_visit_at = (select max(v.placed_at) from reporting.rm_customer_visits v
                     where v.tenant_id = tenant and v.customer_id = r.customer_id and not v.is_voided)
  where r.tenant_id = tenant
    and r.customer_id in (select o.customer_id from app_private.reporting_customer_orders(tenant, evts) o where o.kind = 'voided');
end;
$$;
comment on function app_private.reporting_apply_customers(text, app_private.events[]) is 'Applies a batch of customer and order events of a tenant, in log order, to rm_customer_activity (inline consumer and rebuild).';

/* Consumer reporting_customers: applies one event at once, in the writer's transaction. */
create function app_private.reporting_customers__apply(evt app_private.events) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if evt.type in ('order.placed.v1', 'order.voided.v1') and evt.payload ->> 'customer_id' is null then
    return;
  end if;
  perform app_private.reporting_apply_customers(evt.tenant_id, array[evt]);
end;
$$;
comment on function app_private.reporting_customers__apply(app_private.events) is 'Consumer reporting_customers: applies a customer or order event to rm_customer_activity.';

------------------------------------------------------------------------------------------------
-- Subscriptions

insert into app_private.event_subscriptions (consumer, event_type, handler) values
  ('reporting_sales', 'order.placed.v1', 'app_private.reporting_sales__enqueue(app_private.events)'),
  ('reporting_sales', 'order.voided.v1', 'app_private.reporting_sales__enqueue(app_private.events)'),
  ('reporting_sales', 'tender.recorded.v1', 'app_private.reporting_sales__enqueue(app_private.events)'),
  ('reporting_sales', 'inventory.movement.created.v1', 'app_private.reporting_sales__enqueue(app_private.events)'),
  ('reporting_customers', 'order.placed.v1', 'app_private.reporting_customers__apply(app_private.events)'),
  ('reporting_customers', 'order.voided.v1', 'app_private.reporting_customers__apply(app_private.events)'),
  ('reporting_customers', 'customer.created.v1', 'app_private.reporting_customers__apply(app_private.events)'),
  ('reporting_customers', 'customer.updated.v1', 'app_private.reporting_customers__apply(app_private.events)'),
  ('reporting_customers', 'customer.merged.v1', 'app_private.reporting_customers__apply(app_private.events)');
