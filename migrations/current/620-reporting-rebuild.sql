-- 620-reporting-rebuild: every read model of a tenant recomputed from its event log, set-based
-- (a few statements over the log instead of one dispatch per event), so a large tenant rebuilds
-- at tens of thousands of events per second.
--
-- The sales read models group the same *_facts views the fold uses (610): one arithmetic. The
-- customer activity is computed here directly from the log — final merge chains, then every
-- order counted for the customer it ended with — which is a second, independent derivation of
-- what the inline consumer does event by event; test/db/reporting/rebuild.test.ts checks on
-- random histories that both give exactly the same rows.

/*
 * Recomputes rm_daily_sales, rm_item_sales, rm_inventory_on_hand and rm_customer_activity of a
 * tenant from its event log (owner only: the worker, psql). While it runs, the tenant's writes
 * wait: it takes the tenant's fold lock and then locks the tenant row FOR UPDATE, which every
 * write of the tenant needs in KEY SHARE mode (its events reference the tenant), so no event of
 * the tenant commits in between and the queue can be emptied with the rest. Events that no
 * consumer saw yet (a log older than the reporting consumers) are marked processed, so a later
 * replay does not count them twice. Returns how many events it read.
 */
create function reporting.rebuild(tenant_id text) returns bigint
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
-- Big one-off statements: aggregate in memory rather than sort payloads on disk, and do not spend
-- longer compiling them (JIT) than running them.
set work_mem to '64MB'
set jit to off
as $$
#variable_conflict use_column
declare
  tenant constant text := rebuild.tenant_id;
  sales_types constant text[] := array['order.placed.v1', 'order.voided.v1', 'tender.recorded.v1', 'inventory.movement.created.v1'];
  customer_types constant text[] := array['order.placed.v1', 'order.voided.v1', 'customer.created.v1', 'customer.updated.v1', 'customer.merged.v1'];
  seen bigint;
begin
  perform pg_advisory_xact_lock(app_private.reporting_lock_key(tenant));
  perform 1 from app_public.tenants t where t.id = tenant for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no business %s.', left(coalesce(tenant, ''), 40)));
  end if;

  delete from app_private.reporting_queue q where q.tenant_id = tenant;
  delete from reporting.rm_daily_sales r where r.tenant_id = tenant;
  delete from reporting.rm_item_sales r where r.tenant_id = tenant;
  delete from reporting.rm_inventory_on_hand r where r.tenant_id = tenant;
  delete from reporting.rm_customer_visits r where r.tenant_id = tenant;
  delete from reporting.rm_customer_activity r where r.tenant_id = tenant;

  -- Sales.
  insert into reporting.rm_daily_sales (tenant_id, location_id, business_date, order_count, gross_sales, discount_total,
                                        tax_total, net_sales, tender_cash, tender_card, void_count, void_total)
  select tenant, f.location_id, f.business_date, sum(f.order_count), sum(f.gross_sales), sum(f.discount_total), sum(f.tax_total),
         sum(f.net_sales), sum(f.tender_cash), sum(f.tender_card), sum(f.void_count), sum(f.void_total)
  from app_private.reporting_daily_facts f
  where f.tenant_id = tenant
  group by f.location_id, f.business_date;

  -- The name of the latest sale (the highest seq), looked up once per row rather than sorted out of every line.
  insert into reporting.rm_item_sales (tenant_id, location_id, business_date, catalog_item_id, catalog_item_name, name_seq,
                                       quantity_sold, gross_revenue, net_revenue)
  select tenant, g.location_id, g.business_date, g.catalog_item_id,
         coalesce((select l.name
                   from app_private.events e
                   cross join lateral jsonb_to_recordset(e.payload -> 'lines') as l(catalog_item_id text, name text)
                   where g.name_seq > 0 and e.tenant_id = tenant and e.seq = g.name_seq and l.catalog_item_id = g.catalog_item_id
                   limit 1), g.first_name),
         g.name_seq, g.quantity_sold, g.gross_revenue, g.net_revenue
  from (select f.location_id, f.business_date, f.catalog_item_id, max(f.name_seq) as name_seq, min(f.catalog_item_name) as first_name,
               sum(f.quantity_sold) as quantity_sold, sum(f.gross_revenue) as gross_revenue, sum(f.net_revenue) as net_revenue
        from app_private.reporting_item_facts f
        where f.tenant_id = tenant
        group by f.location_id, f.business_date, f.catalog_item_id) g;

  insert into reporting.rm_inventory_on_hand (tenant_id, location_id, inventory_item_id, item_name, on_hand, low_stock_threshold)
  select tenant, f.location_id, f.inventory_item_id, i.name, f.on_hand, i.low_stock_threshold
  from (select f.location_id, f.inventory_item_id, sum(f.on_hand) as on_hand
        from app_private.reporting_stock_facts f
        where f.tenant_id = tenant
        group by f.location_id, f.inventory_item_id) f
  join app_public.inventory_items i on i.tenant_id = tenant and i.id = f.inventory_item_id;

  -- Customers: the latest name of each (created, updated, or the result of a merge into it).
  insert into reporting.rm_customer_activity (tenant_id, customer_id, customer_name, name_seq)
  select distinct on (n.customer_id) tenant, n.customer_id, n.name, n.seq
  from (
    select e.payload ->> 'customer_id' as customer_id, e.payload ->> 'display_name' as name, e.seq
    from app_private.events e
    where e.tenant_id = tenant and e.type in ('customer.created.v1', 'customer.updated.v1')
    union all
    select e.payload ->> 'primary_id', e.payload ->> 'display_name', e.seq
    from app_private.events e
    where e.tenant_id = tenant and e.type = 'customer.merged.v1'
  ) n
  where n.customer_id is not null
  order by n.customer_id, n.seq desc;

  -- Where each merged customer ended up (merges chain: a customer merged into one that was merged later).
  drop table if exists reporting_rebuild_merged;
  create temp table reporting_rebuild_merged (customer_id text primary key, merged_into_id text not null) on commit drop;
  insert into reporting_rebuild_merged
  with recursive merges as (
    select e.payload ->> 'duplicate_id' as duplicate_id, e.payload ->> 'primary_id' as primary_id
    from app_private.events e
    where e.tenant_id = tenant and e.type = 'customer.merged.v1'
  ), chain (customer_id, merged_into_id, depth) as (
    select m.duplicate_id, m.primary_id, 1 from merges m
    union all
    select c.customer_id, m.primary_id, c.depth + 1 from chain c join merges m on m.duplicate_id = c.merged_into_id
    where c.depth < 1000
  )
  select distinct on (c.customer_id) c.customer_id, c.merged_into_id from chain c order by c.customer_id, c.depth desc;

  insert into reporting.rm_customer_activity (tenant_id, customer_id)
  select tenant, m.customer_id from reporting_rebuild_merged m
  union
  select tenant, m.merged_into_id from reporting_rebuild_merged m
  on conflict do nothing;
  update reporting.rm_customer_activity a set merged_into_id = m.merged_into_id
  from reporting_rebuild_merged m
  where a.tenant_id = tenant and a.customer_id = m.customer_id;

  -- Every order with a customer, counted for the customer it ended with; voided or not.
  insert into reporting.rm_customer_visits (tenant_id, order_id, customer_id, placed_at, total, is_voided)
  select tenant, e.payload ->> 'order_id', coalesce(m.merged_into_id, e.payload ->> 'customer_id'),
         (e.payload ->> 'placed_at')::timestamptz, (e.payload ->> 'total')::bigint, v.order_id is not null
  from app_private.events e
  left join reporting_rebuild_merged m on m.customer_id = e.payload ->> 'customer_id'
  left join (select distinct x.aggregate_id as order_id from app_private.events x
             where x.tenant_id = tenant and x.type = 'order.voided.v1') v on v.order_id = e.aggregate_id
  where e.tenant_id = tenant and e.type = 'order.placed.v1' and e.payload ->> 'customer_id' is not null;

  insert into reporting.rm_customer_activity as r (tenant_id, customer_id, total_visits, total_spend, last_visit_at)
  select tenant, v.customer_id, count(*) filter (where not v.is_voided), coalesce(sum(v.total) filter (where not v.is_voided), 0),
         max(v.placed_at) filter (where not v.is_voided)
  from reporting.rm_customer_visits v
  where v.tenant_id = tenant
  group by v.customer_id
  on conflict (tenant_id, customer_id) do update set
    total_visits = excluded.total_visits, total_spend = excluded.total_spend, last_visit_at = excluded.last_visit_at;

  -- Mark what was read as processed by the consumers (only what they never saw costs a write).
  insert into app_private.processed_events (tenant_id, event_id, consumer)
  select tenant, x.event_id, x.consumer
  from (
    select e.id as event_id, c.consumer
    from app_private.events e
    cross join lateral (values ('reporting_sales', e.type = any(sales_types)),
                               ('reporting_customers', e.type = any(customer_types))) as c(consumer, subscribed)
    where e.tenant_id = tenant and e.type = any(sales_types || customer_types) and c.subscribed
    except
    select p.event_id, p.consumer
    from app_private.processed_events p
    where p.tenant_id = tenant and p.consumer in ('reporting_sales', 'reporting_customers')
  ) x;

  select count(*) into seen from app_private.events e where e.tenant_id = tenant and e.type = any(sales_types || customer_types);
  return seen;
end;
$$;
comment on function reporting.rebuild(text) is 'Recomputes every read model of a tenant from its event log (owner only); returns how many events it read. The tenant''s writes wait while it runs.';
