-- 7-bench-write-paths: the identity helpers that every RLS policy and every command evaluates
-- (200-identity, 590-suspension) rewritten in PL/pgSQL, same results, same privileges.
--
-- Why (measured by the ingestion benchmark, bench/cases/ingestion.ts): as LANGUAGE sql with a SET
-- clause these functions are never inlined, and PostgreSQL 15 parses and plans the body of a
-- non-inlined SQL function again at every call site of every statement. The restrictive
-- active_tenant_* policies evaluate current_suspended_tenant_id() (→ current_tenant_id() →
-- current_session_id()) once per statement on every tenant table, about 15 times per placed
-- order with the consumers on: 0.53 ms a call (2,000 calls: 1,064 ms), about 7 ms of the
-- ~12 ms an order cost, which halved the throughput with consumers on (ratio 0.56). PL/pgSQL
-- keeps the plans of its queries for the session: 0.03 ms a call (61 ms for 2,000).
-- current_permissions() (0.9 ms a call) and has_permission() are the same case for reads.

create or replace function app_hidden.current_session_id() returns uuid
language plpgsql stable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
declare
  s text := current_setting('app.session_id', true);
begin
  if s ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then
    return s::uuid;
  end if;
  return null;
end;
$$;

create or replace function app_hidden.current_user_id() returns text
language plpgsql stable security definer parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
begin
  return (select s.user_id from app_private.sessions s
          where s.id = app_hidden.current_session_id() and s.expires_at > now());
end;
$$;

create or replace function app_hidden.current_tenant_id() returns text
language plpgsql stable security definer parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
begin
  return (select s.active_tenant_id
          from app_private.sessions s
          join app_public.memberships m on m.tenant_id = s.active_tenant_id and m.user_id = s.user_id
          where s.id = app_hidden.current_session_id() and s.expires_at > now());
end;
$$;

create or replace function app_hidden.current_permissions() returns text[]
language plpgsql stable security definer parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
begin
  return (select coalesce(r.permissions, '{}')
          from app_private.sessions s
          join app_public.memberships m on m.tenant_id = s.active_tenant_id and m.user_id = s.user_id
          join app_public.roles r on r.tenant_id = m.tenant_id and r.id = m.role_id
          where s.id = app_hidden.current_session_id() and s.expires_at > now());
end;
$$;

create or replace function app_hidden.has_permission(permission text) returns boolean
language plpgsql stable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
begin
  return coalesce(has_permission.permission = any(app_hidden.current_permissions()), false);
end;
$$;

create or replace function app_hidden.current_suspended_tenant_id() returns text
language plpgsql stable security definer parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
begin
  return (select t.id from app_public.tenants t where t.id = app_hidden.current_tenant_id() and t.status <> 'active');
end;
$$;

-- The reporting consumers on the order path (610-reporting-consumers), same reason: the SQL
-- functions below were planned again at every call, several times per placed order.

create or replace function app_private.reporting_sales__enqueue(evt app_private.events) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  insert into app_private.reporting_queue (tenant_id, event_id, seq) values (evt.tenant_id, evt.id, evt.seq);
end;
$$;

create or replace function app_private.reporting_customer_orders(tenant_id text, evts app_private.events[])
returns table (kind text, seq bigint, order_id text, customer_id text, placed_at timestamptz, total bigint)
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
begin
  return query
  select case e.type when 'order.placed.v1' then 'placed' else 'voided' end, e.seq, e.payload ->> 'order_id',
         coalesce(a.merged_into_id, e.payload ->> 'customer_id'),
         (e.payload ->> 'placed_at')::timestamptz, (e.payload ->> 'total')::bigint
  from unnest(evts) e
  left join reporting.rm_customer_activity a
    on a.tenant_id = reporting_customer_orders.tenant_id and a.customer_id = e.payload ->> 'customer_id'
  where e.type in ('order.placed.v1', 'order.voided.v1') and e.payload ->> 'customer_id' is not null;
end;
$$;

-- Unchanged but for the two void statements, which now run only when the batch has a void
-- (measured ~1.4 ms of the ~5 ms this function took for one placed order with a customer).
create or replace function app_private.reporting_apply_customers(tenant_id text, evts app_private.events[]) returns void
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
  -- The void statements only when the batch has a void (most batches are one placed order).
  if exists (select 1 from unnest(evts) e where e.type = 'order.voided.v1') then
    update reporting.rm_customer_visits v set is_voided = true
  from app_private.reporting_customer_orders(tenant, evts) o
    where o.kind = 'voided' and v.tenant_id = tenant and v.order_id = o.order_id;
  end if;

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
  if not exists (select 1 from unnest(evts) e where e.type = 'order.voided.v1') then
    return;
  end if;
  update reporting.rm_customer_activity r set
    last_visit_at = (select max(v.placed_at) from reporting.rm_customer_visits v
                     where v.tenant_id = tenant and v.customer_id = r.customer_id and not v.is_voided)
  where r.tenant_id = tenant
    and r.customer_id in (select o.customer_id from app_private.reporting_customer_orders(tenant, evts) o where o.kind = 'voided');
end;
$$;

-- CSV exports (650-reporting-exports), measured by the export benchmark (bench/cases/export.ts).
--
-- 1. start_export counted the rows of a customers export by running the whole export query
--    (the merge join of rm_customer_activity and customers) once more before the COPY: at
--    300,000 customers 930 ms of count against 1,720 ms for the query itself. Every activity
--    row has its customer (composite foreign key), so counting the activity rows that are not
--    merged gives the same number, from the partial index alone: 116–132 ms. Other kinds are
--    small (days, items, stock rows) and keep the generic count.
create or replace function app_private.start_export(tenant_id text, export_id text) returns jsonb
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  x reporting.exports;
  q text;
  total bigint;
begin
  select e.* into x from reporting.exports e
  where e.tenant_id = start_export.tenant_id and e.id = start_export.export_id
  for update;
  if not found or x.status = 'done' then
    return null;
  end if;
  delete from app_private.export_chunks c where c.tenant_id = x.tenant_id and c.export_id = x.id;
  q := app_private.export_query(x.tenant_id, x.kind, x.params);
  if x.kind = 'customers' then
    select count(*) into total from reporting.rm_customer_activity a
    where a.tenant_id = x.tenant_id and a.merged_into_id is null;
  else
    execute 'select count(*) from (' || q || ') as rows' into total;
  end if;
  update reporting.exports e set status = 'running', started_at = now(), finished_at = null, error_message = null,
    rows_total = total, rows_written = 0, bytes_written = 0, chunk_count = 0
  where e.tenant_id = x.tenant_id and e.id = x.id;
  return jsonb_build_object('tenantId', x.tenant_id, 'exportId', x.id, 'query', q, 'fileName', x.file_name, 'rowsTotal', total);
end;
$$;

-- 2. The stored chunks were compressed with pglz: 44 ms per MB of CSV, against 8 ms with lz4
--    (30 chunks of 0.6 MB: 778 ms against 142 ms; 4.1 MB stored against 4.9 MB). A 1,000,000-row
--    export is 62 MB. Kept as it is where the server was built without lz4.
do $$
begin
  alter table app_private.export_chunks alter column data set compression lz4;
exception when feature_not_supported or invalid_parameter_value then
  null;
end;
$$;
