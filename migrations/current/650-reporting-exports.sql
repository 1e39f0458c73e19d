-- 650-reporting-exports: CSV exports through graphile-worker. request_export() (reports.export)
-- checks the parameters, records an export row and queues an `export_csv` job; the job
-- (worker/tasks/export-csv.ts, as the owner, with the tenant taken from the row) streams
-- COPY (<query of this file>) TO STDOUT WITH (FORMAT csv, HEADER) in constant memory, storing the
-- file as 1 MB chunks in app_private.export_chunks and its progress on the row; GET /exports/:id
-- (web/server/exports.ts) streams the chunks back to members of the tenant with reports.export.
--
-- Where the file lives, and why: in the database (bytea chunks), not on a disk of the worker.
-- The API servers are stateless and may run on other machines than the worker; the file is
-- under the same backups and tenant deletion as everything else; and "no half file" is a status
-- check: a download serves an export only once its row says done, which the worker writes after
-- the last chunk. A worker that dies half way leaves chunks of a running export, which nobody
-- can download; the retry deletes them and starts again. Exports are kept 7 days
-- (app_private.delete_expired_exports, for the worker's crontab).
--
-- Formula injection is defused in the queries: every text cell that starts with =, +, -, @, a tab
-- or a carriage return gets a leading ' (app_hidden.csv_text). Numbers are left as numbers (a
-- leading minus is a sign there, not a formula). Quoting of commas, quotes and line breaks is
-- PostgreSQL's (RFC 4180). Money is in dollars with two decimals, instants in UTC ISO 8601.

create type reporting.export_kind as enum ('daily_sales', 'item_sales', 'inventory', 'customers');
comment on type reporting.export_kind is E'@name export_kind\nWhat an export contains: daily sales, item sales, inventory or customers.';

create table reporting.exports (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  kind reporting.export_kind not null,
  params jsonb not null default '{}',
  status text not null default 'pending' check (status in ('pending', 'running', 'done', 'failed')),
  file_name text not null check (file_name ~ '^[a-z0-9][a-z0-9._-]{0,120}\.csv$'),
  rows_total bigint,
  rows_written bigint not null default 0,
  bytes_written bigint not null default 0,
  chunk_count int not null default 0,
  error_message text,
  requested_by text references app_public.users on delete set null,
  started_at timestamptz,
  finished_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id)
);
create index exports_id_idx on reporting.exports (id);
create index exports_created_at_idx on reporting.exports (tenant_id, created_at);
create index exports_requested_by_idx on reporting.exports (requested_by);
select app_private.secure_table('reporting.exports');
comment on table reporting.exports is E'@name exports\n@unique id\nA CSV export: requested with requestExport, written by the worker; poll status and rowsWritten, then download it from downloadUrl.';
comment on column reporting.exports.tenant_id is '@behavior -*';
comment on constraint exports_pkey on reporting.exports is '@behavior -single -update -delete';
comment on constraint exports_tenant_id_fkey on reporting.exports is '@behavior -*';
comment on constraint exports_requested_by_fkey on reporting.exports is E'@fieldName requester\n@foreignFieldName exports';
comment on column reporting.exports.kind is 'What it contains.';
comment on column reporting.exports.params is 'The parameters it was asked with, checked and completed (from, to, location_id, order_by, low_only).';
comment on column reporting.exports.status is 'pending (queued), running, done (downloadable) or failed (see errorMessage).';
comment on column reporting.exports.file_name is 'The name the file downloads under.';
comment on column reporting.exports.rows_total is 'Rows the file will have (known once the worker starts).';
comment on column reporting.exports.rows_written is 'Rows written so far (the header not counted).';
comment on column reporting.exports.bytes_written is 'Bytes written so far.';
comment on column reporting.exports.chunk_count is '@behavior -*';
comment on column reporting.exports.error_message is 'Why it failed.';
comment on column reporting.exports.started_at is 'When the worker started it (last attempt).';
comment on column reporting.exports.finished_at is 'When it became done or failed.';
create trigger _100_timestamps before insert or update on reporting.exports
  for each row execute function app_private.tg__timestamps();

create policy select_with_permission on reporting.exports for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('reports.export')));
grant select on reporting.exports to :DATABASE_VISITOR;
select app_private.enforce_active_tenant('reporting.exports');

create table app_private.export_chunks (
  tenant_id text not null,
  export_id text not null,
  chunk_no int not null check (chunk_no >= 0),
  data bytea not null,
  primary key (tenant_id, export_id, chunk_no),
  foreign key (tenant_id, export_id) references reporting.exports (tenant_id, id) on delete cascade
);
select app_private.secure_table('app_private.export_chunks');
comment on table app_private.export_chunks is 'The bytes of export files, in order, about 1 MB each.';

/* The path the admin downloads a finished export from. */
create function reporting.exports_download_url(e reporting.exports) returns text
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select case when e.status = 'done' then '/exports/' || e.id end;
$$;
comment on function reporting.exports_download_url(reporting.exports) is 'Where to download the file (GET, same site) once it is done; null before.';
grant execute on function reporting.exports_download_url(reporting.exports) to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Cells

/* A text cell with spreadsheet formulas defused: a leading ' before =, +, -, @, tab or carriage return. */
create function app_hidden.csv_text(value text) returns text
language sql immutable parallel safe
as $$
  select case when value ~ '^[=+@\t\r-]' then '''' || value else value end;
$$;
comment on function app_hidden.csv_text(text) is 'A CSV text cell that a spreadsheet will not run as a formula (a leading '' before =, +, -, @, tab or CR).';

------------------------------------------------------------------------------------------------
-- Parameters and queries

create function app_private.export_date_param(params jsonb, field text) returns date
language plpgsql immutable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  value text := params ->> field;
begin
  if value is null or value !~ '^\d{4}-\d{2}-\d{2}$' then
    perform app_hidden.raise_error('BADIN', format('%s must be a date such as 2025-03-01.', field));
  end if;
  return value::date;
exception when datetime_field_overflow or invalid_datetime_format then
  perform app_hidden.raise_error('BADIN', format('%s must be a date such as 2025-03-01.', field));
  return null;
end;
$$;

/*
 * The parameters of an export checked and completed: dates and location for sales, the order
 * of items, the location and low-only flag of inventory. Raises BADIN (naming the field) or
 * NOTFD (a location of another business).
 */
create function app_private.export_params(tenant_id text, kind reporting.export_kind, params jsonb) returns jsonb
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  p jsonb := coalesce(params, '{}'::jsonb);
  allowed text[];
  unknown text;
  from_date date;
  to_date date;
  location text;
begin
  if jsonb_typeof(p) <> 'object' then
    perform app_hidden.raise_error('BADIN', 'The export parameters must be a JSON object.');
  end if;
  allowed := case kind
    when 'daily_sales' then array['from', 'to', 'location_id']
    when 'item_sales' then array['from', 'to', 'location_id', 'order_by']
    when 'inventory' then array['location_id', 'low_only']
    else array[]::text[] end;
  select k into unknown from jsonb_object_keys(p) as k where not k = any(allowed) limit 1;
  if unknown is not null then
    perform app_hidden.raise_error('BADIN', format('An export of %s takes no parameter "%s" (it takes: %s).',
      replace(kind::text, '_', ' '), left(unknown, 40), coalesce(nullif(array_to_string(allowed, ', '), ''), 'none')));
  end if;
  if p ? 'location_id' and jsonb_typeof(p -> 'location_id') not in ('string', 'null') then
    perform app_hidden.raise_error('BADIN', 'location_id must be a location id.');
  end if;
  location := p ->> 'location_id';

  if kind in ('daily_sales', 'item_sales') then
    from_date := app_private.export_date_param(p, 'from');
    to_date := app_private.export_date_param(p, 'to');
    perform app_private.reporting_check_range(tenant_id, from_date, to_date, location);
    if kind = 'item_sales' then
      if coalesce(p ->> 'order_by', 'revenue') not in ('quantity', 'revenue') then
        perform app_hidden.raise_error('BADIN', 'order_by must be quantity or revenue.');
      end if;
      return jsonb_build_object('from', from_date, 'to', to_date, 'location_id', location,
                                'order_by', coalesce(p ->> 'order_by', 'revenue'));
    end if;
    return jsonb_build_object('from', from_date, 'to', to_date, 'location_id', location);
  elsif kind = 'inventory' then
    perform app_private.reporting_check_range(tenant_id, current_date, current_date, location);
    if p ? 'low_only' and jsonb_typeof(p -> 'low_only') not in ('boolean', 'null') then
      perform app_hidden.raise_error('BADIN', 'low_only must be true or false.');
    end if;
    return jsonb_build_object('location_id', location, 'low_only', coalesce((p ->> 'low_only')::boolean, false));
  end if;
  return '{}'::jsonb;
end;
$$;

/* The name a file downloads under, such as daily-sales_2025-03-01_2025-03-07.csv. */
create function app_private.export_file_name(kind reporting.export_kind, params jsonb) returns text
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select replace(kind::text, '_', '-')
         || case when kind in ('daily_sales', 'item_sales') then '_' || (params ->> 'from') || '_' || (params ->> 'to')
                 else '_' || to_char(now() at time zone 'UTC', 'YYYY-MM-DD') end
         || '.csv';
$$;

/*
 * The query whose rows make the file (COPY cannot take parameters: values are quoted literals).
 * It reads the tenant's read models through the exact reporting functions of 630.
 */
create function app_private.export_query(tenant_id text, kind reporting.export_kind, params jsonb) returns text
language plpgsql immutable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  case kind
  when 'daily_sales' then
    return format($q$
      select d.business_date, app_hidden.csv_text(coalesce(l.name, 'All locations')) as location,
             d.order_count as orders,
             (d.gross_sales / 100.0)::numeric(14, 2) as gross_sales,
             (d.discount_total / 100.0)::numeric(14, 2) as discounts,
             (d.tax_total / 100.0)::numeric(14, 2) as tax,
             (d.net_sales / 100.0)::numeric(14, 2) as net_sales,
             (d.tender_cash / 100.0)::numeric(14, 2) as cash,
             (d.tender_card / 100.0)::numeric(14, 2) as card,
             d.void_count as voids,
             (d.void_total / 100.0)::numeric(14, 2) as voided_total,
             (d.avg_order_value / 100.0)::numeric(14, 2) as avg_order_value
      from app_private.reporting_daily_sales(%1$L, %2$L::date, %3$L::date, %4$L) with ordinality as d
      left join app_public.locations l on l.tenant_id = %1$L and l.id = d.location_id
      order by d.ordinality$q$, tenant_id, params ->> 'from', params ->> 'to', params ->> 'location_id');
  when 'item_sales' then
    return format($q$
      select app_hidden.csv_text(i.catalog_item_name) as item, app_hidden.csv_text(c.sku) as sku,
             i.quantity_sold,
             (i.gross_revenue / 100.0)::numeric(14, 2) as gross_revenue,
             (i.net_revenue / 100.0)::numeric(14, 2) as net_revenue,
             (i.avg_unit_price / 100.0)::numeric(14, 2) as avg_unit_price
      from app_private.reporting_item_sales(%1$L, %2$L::date, %3$L::date, %4$L, %5$L::reporting.item_sales_order) with ordinality as i
      left join app_public.catalog_items c on c.tenant_id = %1$L and c.id = i.catalog_item_id
      order by i.ordinality$q$, tenant_id, params ->> 'from', params ->> 'to', params ->> 'location_id', params ->> 'order_by');
  when 'inventory' then
    return format($q$
      select app_hidden.csv_text(s.location_name) as location, app_hidden.csv_text(s.item_name) as item,
             s.on_hand, s.low_stock_threshold, case when s.is_below_threshold then 'low' else 'ok' end as status
      from app_private.reporting_inventory_summary(%1$L, %2$L, %3$L::boolean) with ordinality as s
      order by s.ordinality$q$, tenant_id, params ->> 'location_id', coalesce(params ->> 'low_only', 'false'));
  when 'customers' then
    return format($q$
      select c.customer_number, app_hidden.csv_text(a.customer_name) as name, a.total_visits as visits,
             (a.total_spend / 100.0)::numeric(14, 2) as total_spend,
             to_char(a.last_visit_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as last_visit_at
      from reporting.rm_customer_activity a
      join app_public.customers c on c.tenant_id = a.tenant_id and c.id = a.customer_id
      where a.tenant_id = %1$L and a.merged_into_id is null
      order by a.tenant_id, a.customer_id$q$, tenant_id);
  end case;
  return null;
end;
$$;
comment on function app_private.export_query(text, reporting.export_kind, jsonb) is 'The SQL whose rows make an export of a tenant (for COPY … TO STDOUT).';

------------------------------------------------------------------------------------------------
-- Requesting

create function reporting.request_export(kind reporting.export_kind, params jsonb default '{}') returns reporting.exports
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_reports_permission('reports.export');
  checked jsonb;
  result reporting.exports;
begin
  if kind is null then
    perform app_hidden.raise_error('BADIN', 'Say what to export: daily_sales, item_sales, inventory or customers.');
  end if;
  checked := app_private.export_params(tenant, kind, params);
  insert into reporting.exports (tenant_id, kind, params, file_name, requested_by)
  values (tenant, kind, checked, app_private.export_file_name(kind, checked), app_hidden.current_user_id())
  returning * into result;
  perform graphile_worker.add_job('export_csv', json_build_object('tenantId', tenant, 'exportId', result.id), max_attempts := 3);
  return result;
end;
$$;
comment on function reporting.request_export(reporting.export_kind, jsonb) is
  E'@name request_export\n@resultFieldName export\nAsks the worker for a CSV file (needs reports.export). params: daily_sales and item_sales take {"from": "2025-03-01", "to": "2025-03-07", "location_id"?} (item_sales also "order_by": "quantity" or "revenue"); inventory takes {"location_id"?, "low_only"?}; customers takes nothing. Poll the returned export until its status is done, then download its downloadUrl.';
grant execute on function reporting.request_export(reporting.export_kind, jsonb) to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- The worker's side (owner; tenant explicit)

/*
 * Starts (or restarts) an export: forgets chunks of an earlier attempt, counts the rows it will
 * have, and returns what the job needs: {tenantId, exportId, query, fileName, rowsTotal}. Null
 * when the export is gone or already done.
 */
create function app_private.start_export(tenant_id text, export_id text) returns jsonb
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
  execute 'select count(*) from (' || q || ') as rows' into total;
  update reporting.exports e set status = 'running', started_at = now(), finished_at = null, error_message = null,
    rows_total = total, rows_written = 0, bytes_written = 0, chunk_count = 0
  where e.tenant_id = x.tenant_id and e.id = x.id;
  return jsonb_build_object('tenantId', x.tenant_id, 'exportId', x.id, 'query', q, 'fileName', x.file_name, 'rowsTotal', total);
end;
$$;
comment on function app_private.start_export(text, text) is 'Marks an export running and returns its query (worker); null when it is gone or done.';

/* Stores the next chunk of a running export and its progress. False when it is no longer running. */
create function app_private.write_export_chunk(tenant_id text, export_id text, chunk_no int, data bytea,
                                               rows_written bigint, bytes_written bigint) returns boolean
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  update reporting.exports e set rows_written = write_export_chunk.rows_written, bytes_written = write_export_chunk.bytes_written,
    chunk_count = write_export_chunk.chunk_no + 1
  where e.tenant_id = write_export_chunk.tenant_id and e.id = write_export_chunk.export_id and e.status = 'running';
  if not found then
    return false;
  end if;
  insert into app_private.export_chunks (tenant_id, export_id, chunk_no, data)
  values (write_export_chunk.tenant_id, write_export_chunk.export_id, write_export_chunk.chunk_no, write_export_chunk.data);
  return true;
end;
$$;

/* Marks a running export done (downloadable) once every chunk is stored. */
create function app_private.finish_export(tenant_id text, export_id text, chunk_count int, rows_written bigint, bytes_written bigint)
returns boolean
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if (select count(*) from app_private.export_chunks c
      where c.tenant_id = finish_export.tenant_id and c.export_id = finish_export.export_id) <> finish_export.chunk_count then
    raise exception 'export % of tenant %: % chunks expected', finish_export.export_id, finish_export.tenant_id, finish_export.chunk_count;
  end if;
  update reporting.exports e set status = 'done', finished_at = now(), chunk_count = finish_export.chunk_count,
    rows_written = finish_export.rows_written, bytes_written = finish_export.bytes_written
  where e.tenant_id = finish_export.tenant_id and e.id = finish_export.export_id and e.status = 'running';
  return found;
end;
$$;

/* Marks an export failed (the worker gave up on it); its chunks go. */
create function app_private.fail_export(tenant_id text, export_id text, message text) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  delete from app_private.export_chunks c where c.tenant_id = fail_export.tenant_id and c.export_id = fail_export.export_id;
  update reporting.exports e set status = 'failed', finished_at = now(), error_message = left(message, 500)
  where e.tenant_id = fail_export.tenant_id and e.id = fail_export.export_id and e.status <> 'done';
$$;

/* Exports older than 7 days go with their files (worker crontab). Returns how many. */
create function app_private.delete_expired_exports() returns int
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  with gone as (delete from reporting.exports e where e.created_at < now() - interval '7 days' returning 1)
  select count(*)::int from gone;
$$;
comment on function app_private.delete_expired_exports() is 'Removes exports (and their files) older than 7 days.';

------------------------------------------------------------------------------------------------
-- Downloading (GET /exports/:id as the API role with the session)

/* The finished export with this id that the signed-in user may download: a member of its tenant with reports.export. */
create function app_hidden.downloadable_export(export_id text) returns reporting.exports
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select e.*
  from reporting.exports e
  join app_public.tenants t on t.id = e.tenant_id and t.status = 'active'
  where e.id = downloadable_export.export_id and e.status = 'done'
    and exists (select 1 from app_public.memberships m
                join app_public.roles r on r.tenant_id = m.tenant_id and r.id = m.role_id
                where m.tenant_id = e.tenant_id and m.user_id = app_hidden.current_user_id()
                  and 'reports.export' = any(r.permissions))
  limit 1;
$$;

create function app_hidden.export_file(export_id text)
returns table (file_name text, byte_size bigint, chunk_count int)
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select e.file_name, e.bytes_written, e.chunk_count
  from app_hidden.downloadable_export(export_file.export_id) e
  where e.id is not null;
$$;
comment on function app_hidden.export_file(text) is 'Name, size and chunk count of a finished export the signed-in user may download; no row otherwise.';

create function app_hidden.export_chunk(export_id text, chunk_no int) returns bytea
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select c.data
  from app_hidden.downloadable_export(export_chunk.export_id) e
  join app_private.export_chunks c on c.tenant_id = e.tenant_id and c.export_id = e.id and c.chunk_no = export_chunk.chunk_no;
$$;
comment on function app_hidden.export_chunk(text, int) is 'One chunk of a finished export the signed-in user may download.';
