--! Previous: sha1:9a68ff2cf37b850582ee87f258146db157cb9a75
--! Hash: sha1:050afe16f10328422fbe1ff6c027abf37eec4b39
--! Message: The customers export counts its rows on the customers table alone

--! split: 1-current.sql
-- The customers export counts its rows on the customers table alone (reporting/650-exports.sql, start_export).
--! Included reporting/650-exports.sql
-- CSV exports through graphile-worker. request_export() (reports.export)
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
-- PostgreSQL's (RFC 4180). Money is in decimals of the business's currency beside a `currency`
-- column, instants in UTC ISO 8601. Every file starts with a UTF-8 byte order mark (EF BB BF),
-- written by the worker before the first row, so that Excel opens it as UTF-8.

create or replace trigger _100_timestamps before insert or update on reporting.exports
  for each row execute function app_private.tg__timestamps();

drop policy if exists select_with_permission on reporting.exports;
create policy select_with_permission on reporting.exports for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('reports.export')));

revoke all on reporting.exports from :DATABASE_VISITOR;
grant select on reporting.exports to :DATABASE_VISITOR;

/* The path the admin downloads a finished export from. */
create or replace function reporting.exports_download_url(e reporting.exports) returns text
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select case when e.status = 'done' then '/exports/' || e.id end;
$$;
comment on function reporting.exports_download_url(reporting.exports) is 'Where to download the file (GET, same site) once it is done; null before.';
grant execute on function reporting.exports_download_url(reporting.exports) to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Cells

/*
 * A text cell with spreadsheet formulas defused: a ' in front of any value whose first visible
 * character is =, +, -, @, a tab or a carriage return. What comes before it does not help: a
 * spreadsheet trims " =1+1" or a no-break space before "+", and ignores invisible characters
 * (U+2060 word joiner, U+200B zero-width space, U+FEFF, bidi marks, variation selectors,
 * Hangul fillers…), and runs the formula (found by test/security/hostile-export.test.ts). So
 * every leading white space and invisible format character is skipped before looking. No SET
 * clause, so that PostgreSQL inlines it into the export queries.
 */
create or replace function app_hidden.csv_text(value text) returns text
language sql immutable parallel safe
as $$
  select case when value ~ '^[ \n\v\f\u0085\u00a0\u00ad\u034f\u061c\u115f\u1160\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\u3164\ufe00-\ufe0f\ufeff\uffa0]*[=+@\t\r-]'
              then '''' || value else value end;
$$;
comment on function app_hidden.csv_text(text) is 'A CSV text cell that a spreadsheet will not run as a formula (a leading '' before =, +, -, @, tab or CR).';
comment on function app_hidden.csv_text(text) is 'A CSV text cell that a spreadsheet will not run as a formula (a leading '' before =, +, -, @, tab or CR, also after leading white space).';

------------------------------------------------------------------------------------------------
-- Parameters and queries
create or replace function app_private.export_date_param(params jsonb, field text) returns date
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
 * The customers export's filters, those of the Customers list, checked: {status, tag, search}.
 *   status: active or archived (the list's two views), or all (both; merged and erased customers never).
 *     The default is all: an export asked for with no filter is the whole customer file (a
 *     backup, a move to another system, a round trip through the import); the Customers page
 *     always says which view it shows.
 *   tag: a tag, or a list of tags that every exported customer has (as the list's tag chips:
 *     the same exact-case containment on customers.tags).
 *   search: what the list's search box holds: the customers it finds (name, last name, email,
 *     phone, by app_private.customer_search_predicate), all of them rather than its best 10.
 *     The list searches active and archived customers alike, so the page sends status all with it.
 * Raises BADIN naming the field. Returns {"status", "tag": [..], "search": text or null}.
 */
create or replace function app_private.export_customer_params(p jsonb) returns jsonb
language plpgsql immutable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  status text;
  tags jsonb := '[]'::jsonb;
  search text;
begin
  if p ? 'status' and jsonb_typeof(p -> 'status') <> 'null'
     and (jsonb_typeof(p -> 'status') <> 'string' or p ->> 'status' not in ('active', 'archived', 'all')) then
    perform app_hidden.raise_error('BADIN', 'status must be active, archived or all.', field => 'status');
  end if;
  status := coalesce(p ->> 'status', 'all');

  if p ? 'tag' and jsonb_typeof(p -> 'tag') <> 'null' then
    if jsonb_typeof(p -> 'tag') = 'string' then
      tags := jsonb_build_array(p -> 'tag');
    elsif jsonb_typeof(p -> 'tag') = 'array' then
      tags := p -> 'tag';
    else
      perform app_hidden.raise_error('BADIN', 'tag must be a tag, or a list of tags.', field => 'tag');
    end if;
    if exists (select 1 from jsonb_array_elements(tags) as t where jsonb_typeof(t) <> 'string') then
      perform app_hidden.raise_error('BADIN', 'tag must be a tag, or a list of tags.', field => 'tag');
    end if;
    -- Read as tags are stored (app_hidden.normalize_tags), so that a filter matches what it names;
    -- its complaint is about this parameter.
    begin
      tags := app_hidden.normalize_tags(array(select jsonb_array_elements_text(tags)));
    exception when sqlstate 'BADTG' then
      perform app_hidden.raise_error('BADIN', sqlerrm, field => 'tag');
    end;
  end if;

  if p ? 'search' and jsonb_typeof(p -> 'search') <> 'null' then
    if jsonb_typeof(p -> 'search') <> 'string' or length(p ->> 'search') > 100 then
      perform app_hidden.raise_error('BADIN', 'search must be text of at most 100 characters.', field => 'search');
    end if;
    search := nullif(btrim(regexp_replace(p ->> 'search', '\s+', ' ', 'g')), '');
  end if;
  return jsonb_build_object('status', status, 'tag', tags, 'search', search);
end;
$$;
comment on function app_private.export_customer_params(jsonb) is 'The customers export''s filters checked (status active|archived|all, default all; tag: one or a list; search); BADIN naming the field.';

/*
 * Which customers a customers export holds, as an SQL condition on customers c (for the export
 * query and its row count): the customers the list shows (active and archived: never merged or erased ones), then the checked filters (export_customer_params).
 */
create or replace function app_private.export_customer_filter(tenant_id text, params jsonb) returns text
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select concat_ws(' and ',
    -- the customers the list shows: never merged or erased ones
    'c.status in (''active'', ''archived'')',
    case when coalesce(params ->> 'status', 'all') <> 'all' then format('c.status = %L', params ->> 'status') end,
    case when jsonb_array_length(coalesce(params -> 'tag', '[]')) > 0 then format('c.tags @> %L::jsonb', params -> 'tag') end,
    case when nullif(params ->> 'search', '') is not null then app_private.customer_search_predicate(tenant_id, params ->> 'search') end);
$$;
comment on function app_private.export_customer_filter(text, jsonb) is 'The customers an export of checked params holds, as an SQL condition on customers c.';

/*
 * The parameters of an export checked and completed: dates and location for sales, the order
 * of items, the location and low-only flag of inventory, the Customers list's filters for
 * customers (app_private.export_customer_params). Raises BADIN (naming the field) or NOTFD (a
 * location of another business).
 */
create or replace function app_private.export_params(tenant_id text, kind reporting.export_kind, params jsonb) returns jsonb
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
    when 'customers' then array['status', 'tag', 'search']
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
    perform app_hidden.assert_module('inventory');
    perform app_private.reporting_check_range(tenant_id, current_date, current_date, location);
    if p ? 'low_only' and jsonb_typeof(p -> 'low_only') not in ('boolean', 'null') then
      perform app_hidden.raise_error('BADIN', 'low_only must be true or false.');
    end if;
    return jsonb_build_object('location_id', location, 'low_only', coalesce((p ->> 'low_only')::boolean, false));
  elsif kind = 'customers' then
    return app_private.export_customer_params(p);
  end if;
  return '{}'::jsonb;
end;
$$;

/*
 * A file name's piece of free text: ASCII letters and digits in lower case, every other run as one
 * -, at most 30 characters. ASCII only: the name goes into the download's Content-Disposition
 * header, where Node refuses other characters (a search for "山田" gives no piece at all).
 */
create or replace function app_private.file_name_part(value text) returns text
language sql immutable
set search_path to pg_catalog, public, pg_temp
as $$
  select btrim(left(btrim(regexp_replace(lower(value), '[^a-z0-9]+', '-', 'g'), '-'), 30), '-');
$$;

/*
 * The name a file downloads under, such as daily-sales_2025-03-01_2025-03-07.csv. A customers
 * export says what was filtered: customers-archived_tag-vip_search-smith_2025-03-01.csv (the
 * status unless all, the tags, the search; letters and digits only).
 */
create or replace function app_private.export_file_name(kind reporting.export_kind, params jsonb) returns text
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select replace(kind::text, '_', '-')
         || case when kind = 'customers' then
                   case when coalesce(params ->> 'status', 'all') <> 'all' then '-' || (params ->> 'status') else '' end
                   || coalesce('_tag-' || nullif((select string_agg(app_private.file_name_part(t), '-' order by t)
                                                  from jsonb_array_elements_text(coalesce(params -> 'tag', '[]')) as t), ''), '')
                   || coalesce('_search-' || nullif(app_private.file_name_part(params ->> 'search'), ''), '')
                 else '' end
         || case when kind in ('daily_sales', 'item_sales') then '_' || (params ->> 'from') || '_' || (params ->> 'to')
                 else '_' || to_char(now() at time zone 'UTC', 'YYYY-MM-DD') end
         || '.csv';
$$;

/*
 * The query whose rows make the file (COPY cannot take parameters: values are quoted literals).
 * It reads the tenant's read models through the exact reporting functions (app_private.reporting_daily_sales and the others).
 */
create or replace function app_private.export_query(tenant_id text, kind reporting.export_kind, params jsonb) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  case kind
  when 'daily_sales' then
    return format($q$
      select d.business_date, app_hidden.csv_text(coalesce(l.name, 'All locations')) as location,
             d.order_count as orders,
             cur.code as currency,
             app_hidden.major_units(d.gross_sales, cur.minor_units) as gross_sales,
             app_hidden.major_units(d.discount_total, cur.minor_units) as discounts,
             app_hidden.major_units(d.tax_total, cur.minor_units) as tax,
             d.refund_count as refunds,
             app_hidden.major_units(d.refund_total, cur.minor_units) as refunded,
             app_hidden.major_units(d.net_sales, cur.minor_units) as net_sales,
             app_hidden.major_units(d.total_collected, cur.minor_units) as total_collected,
             app_hidden.major_units(d.tender_cash, cur.minor_units) as cash,
             app_hidden.major_units(d.tender_card, cur.minor_units) as card,
             app_hidden.major_units(d.avg_order_value, cur.minor_units) as avg_order_value
      from app_private.reporting_daily_sales(%1$L, %2$L::date, %3$L::date, %4$L) with ordinality as d
      cross join app_private.tenant_currency(%1$L) cur
      left join app_public.locations l on l.tenant_id = %1$L and l.id = d.location_id
      order by d.ordinality$q$, tenant_id, params ->> 'from', params ->> 'to', params ->> 'location_id');
  when 'item_sales' then
    return format($q$
      select app_hidden.csv_text(i.catalog_item_name) as item, app_hidden.csv_text(c.sku) as sku,
             i.quantity_sold,
             cur.code as currency,
             app_hidden.major_units(i.gross_revenue, cur.minor_units) as gross_revenue,
             app_hidden.major_units(i.net_revenue, cur.minor_units) as net_revenue,
             app_hidden.major_units(i.avg_unit_price, cur.minor_units) as avg_unit_price
      from app_private.reporting_item_sales(%1$L, %2$L::date, %3$L::date, %4$L, %5$L::reporting.item_sales_order) with ordinality as i
      cross join app_private.tenant_currency(%1$L) cur
      left join app_public.catalog_items c on c.tenant_id = %1$L and c.id = i.catalog_item_id
      order by i.ordinality$q$, tenant_id, params ->> 'from', params ->> 'to', params ->> 'location_id', params ->> 'order_by');
  when 'inventory' then
    return format($q$
      select app_hidden.csv_text(s.location_name) as location, app_hidden.csv_text(s.item_name) as item,
             s.on_hand, s.low_stock_threshold, case when s.is_below_threshold then 'low' else 'ok' end as status
      from app_private.reporting_inventory_summary(%1$L, %2$L, %3$L::boolean) with ordinality as s
      order by s.ordinality$q$, tenant_id, params ->> 'location_id', coalesce(params ->> 'low_only', 'false'));
  when 'customers' then
    -- Every profile column a shop needs, in the order (and with the names) the customer import
    -- reads back. What each holds:
    --   phone: E.164 as stored. Not through csv_text: its check constraint admits a + and digits
    --     only, nothing a spreadsheet could run, and a leading ' would make it unreadable to an import.
    --   tags: the customer's tags in their order, joined with ", " (Shopify's convention; the
    --     import splits on commas). A tag containing a comma would not round-trip.
    --   about: the profile's "About this customer" (customers.notes; the import reads it back there,
    --     while a file's "note" column becomes a dated note).
    --   accepts_email_marketing / accepts_sms_marketing: the customer's answer for that contact
    --     channel (app_public.customer_contact_channels, channel email / sms: the Preferences
    --     card) as yes or no, empty when never asked; *_marketing_source where they said so (pos,
    --     admin, online, import, other) and *_marketing_updated_at when. (customers.marketing_consent,
    --     the profile's channel-less "Marketing", has no column here.)
    --   address_*, city, region, postal_code, country (ISO alpha-2): the default address, else empty.
    --   status: active or archived (merged customers are never exported).
    --   visits, total_spend (decimals of `currency`), last_visit_at: the activity read model.
    --   may_email / may_sms: the contact rule now (consent, the detail known, active, not
    --     do-not-contact: app_hidden.contact_allowed, as everywhere), not a consent of its own.
    return format($q$
      select app_hidden.csv_text(c.customer_number) as customer_number,
             app_hidden.csv_text(c.first_name) as first_name, app_hidden.csv_text(c.last_name) as last_name,
             app_hidden.csv_text(c.email) as email, c.phone,
             -- (a customer without tags skips the per-row subquery)
             case when c.tags <> '[]'::jsonb then
               app_hidden.csv_text((select string_agg(t.tag, ', ' order by t.n)
                                    from jsonb_array_elements_text(c.tags) with ordinality as t(tag, n))) end as tags,
             app_hidden.csv_text(c.notes) as about,
             case e.allowed when true then 'yes' when false then 'no' end as accepts_email_marketing,
             e.source as email_marketing_source,
             to_char(e.recorded_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as email_marketing_updated_at,
             case m.allowed when true then 'yes' when false then 'no' end as accepts_sms_marketing,
             m.source as sms_marketing_source,
             to_char(m.recorded_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as sms_marketing_updated_at,
             app_hidden.csv_text(ad.line1) as address_line1, app_hidden.csv_text(ad.line2) as address_line2,
             app_hidden.csv_text(ad.city) as city, app_hidden.csv_text(ad.region) as region,
             app_hidden.csv_text(ad.postal_code) as postal_code, ad.country,
             c.status,
             a.total_visits as visits,
             cur.code as currency,
             app_hidden.major_units(a.total_spend, cur.minor_units) as total_spend,
             to_char(a.last_visit_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as last_visit_at,
             to_char(c.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as created_at,
             app_hidden.loyalty_class(s.visits, s.last_visit_at, s.recent_visits,
               l.regular_min_visits, l.regular_window_days, l.lapsed_after_days, now()) as loyalty_class,
             case when app_hidden.contact_allowed(p.do_not_contact, e.allowed, c.email is not null, c.status) then 'yes' else 'no' end as may_email,
             case when app_hidden.contact_allowed(p.do_not_contact, m.allowed, c.phone is not null, c.status) then 'yes' else 'no' end as may_sms
      from reporting.rm_customer_activity a
      join app_public.customers c on c.tenant_id = a.tenant_id and c.id = a.customer_id
      join app_public.customer_stats s on s.tenant_id = c.tenant_id and s.customer_id = c.id
      join app_public.loyalty_settings l on l.tenant_id = c.tenant_id
      cross join app_private.tenant_currency(%1$L) cur
      left join app_public.customer_preferences p on p.tenant_id = c.tenant_id and p.customer_id = c.id
      left join app_public.customer_contact_channels e on e.tenant_id = c.tenant_id and e.customer_id = c.id and e.channel = 'email'
      left join app_public.customer_contact_channels m on m.tenant_id = c.tenant_id and m.customer_id = c.id and m.channel = 'sms'
      left join app_public.customer_addresses ad on ad.tenant_id = c.tenant_id and ad.customer_id = c.id and ad.is_default
      where a.tenant_id = %1$L and a.merged_into_id is null and %2$s
      order by a.tenant_id, a.customer_id$q$, tenant_id, app_private.export_customer_filter(tenant_id, params));
  end case;
  return null;
end;
$$;
comment on function app_private.export_query(text, reporting.export_kind, jsonb) is 'The SQL whose rows make an export of a tenant (for COPY … TO STDOUT).';

------------------------------------------------------------------------------------------------
-- Requesting
create or replace function reporting.request_export(kind reporting.export_kind, params jsonb default '{}') returns reporting.exports
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
  E'@name request_export\n@resultFieldName export\nAsks the worker for a CSV file (needs reports.export). params: daily_sales and item_sales take {"from": "2025-03-01", "to": "2025-03-07", "location_id"?} (item_sales also "order_by": "quantity" or "revenue"); inventory takes {"location_id"?, "low_only"?}; customers takes the Customers list''s filters {"status"?: "active", "archived" or "all" (the default), "tag"?: a tag or a list of tags, "search"?: the search box''s text}. Poll the returned export until its status is done, then download its downloadUrl.';
grant execute on function reporting.request_export(reporting.export_kind, jsonb) to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- The worker's side (owner; tenant explicit)

/*
 * Starts (or restarts) an export: forgets chunks of an earlier attempt, counts the rows it will
 * have, and returns what the job needs: {tenantId, exportId, query, fileName, rowsTotal}. Null
 * when the export is gone or already done.
 */
--
-- The row count of a customers export counts the activity rows that are not merged instead of
-- running the export query twice: every activity row has its customer (composite foreign key), so
-- the number is the same, from the partial index alone (300,000 customers: 116–132 ms against
-- 930 ms). A filtered one counts the same rows joined to their customers under the export's
-- filter (app_private.export_customer_filter) and nothing else. Other kinds are small (days,
-- items, stock rows) and keep the generic count.
create or replace function app_private.start_export(tenant_id text, export_id text) returns jsonb
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  x reporting.exports;
  q text;
  filter text;
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
    filter := app_private.export_customer_filter(x.tenant_id, x.params);
  end if;
  if x.kind = 'customers' then
    -- The customers the filter holds, counted on their own table: each has its activity and stats
    -- rows (their consumers make them with the customer), so this is the export's row count,
    -- without the join that, planned over a business bulk-loaded before any ANALYZE, ran as
    -- nested loops (50 s instead of 0.1 s at 30,000 customers, test/security/crash-worker.test.ts).
    execute format('select count(*) from app_public.customers c where c.tenant_id = %L and %s', x.tenant_id, filter) into total;
  else
    execute 'select count(*) from (' || q || ') as rows' into total;
  end if;
  update reporting.exports e set status = 'running', started_at = now(), finished_at = null, error_message = null,
    rows_total = total, rows_written = 0, bytes_written = 0, chunk_count = 0
  where e.tenant_id = x.tenant_id and e.id = x.id;
  return jsonb_build_object('tenantId', x.tenant_id, 'exportId', x.id, 'query', q, 'fileName', x.file_name, 'rowsTotal', total);
end;
$$;
comment on function app_private.start_export(text, text) is 'Marks an export running and returns its query (worker); null when it is gone or done.';

/* Stores the next chunk of a running export and its progress. False when it is no longer running. */
create or replace function app_private.write_export_chunk(tenant_id text, export_id text, chunk_no int, data bytea,
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
create or replace function app_private.finish_export(tenant_id text, export_id text, chunk_count int, rows_written bigint, bytes_written bigint)
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
create or replace function app_private.fail_export(tenant_id text, export_id text, message text) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  delete from app_private.export_chunks c where c.tenant_id = fail_export.tenant_id and c.export_id = fail_export.export_id;
  update reporting.exports e set status = 'failed', finished_at = now(), error_message = left(message, 500)
  where e.tenant_id = fail_export.tenant_id and e.id = fail_export.export_id and e.status <> 'done';
$$;

/* Exports older than 7 days go with their files (worker crontab). Returns how many. */
create or replace function app_private.delete_expired_exports() returns int
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  with gone as (delete from reporting.exports e where e.created_at < now() - interval '7 days' returning 1)
  select count(*)::int from gone;
$$;
comment on function app_private.delete_expired_exports() is 'Removes exports (and their files) older than 7 days.';

------------------------------------------------------------------------------------------------
-- Downloading (GET /exports/:id as the API role with the session)

/* Whether the signed-in user may download the exports of this tenant: a member with reports.export. */
create or replace function app_hidden.may_download_exports_of(tenant_id text) returns boolean
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select exists (select 1 from app_public.memberships m
                 join app_public.roles r on r.tenant_id = m.tenant_id and r.id = m.role_id
                 where m.tenant_id = may_download_exports_of.tenant_id and m.user_id = app_hidden.current_user_id()
                   and 'reports.export' = any(r.permissions));
$$;

/* The finished export with this id that the signed-in user may download, of an active business. */
create or replace function app_hidden.downloadable_export(export_id text) returns reporting.exports
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select e.*
  from reporting.exports e
  join app_public.tenants t on t.id = e.tenant_id and t.status = 'active'
  where e.id = downloadable_export.export_id and e.status = 'done'
    and app_hidden.may_download_exports_of(e.tenant_id)
  limit 1;
$$;

/*
 * Name, size and chunk count of a finished export the signed-in user may download; no row for
 * anything else (unknown, another business's, not finished, no reports.export: never told
 * apart). Someone who may download it, of a business that is suspended or closed, is told so
 * (TSUSP) rather than "not found", as everywhere else.
 */
create or replace function app_hidden.export_file(export_id text)
returns table (file_name text, byte_size bigint, chunk_count int)
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if exists (select 1 from reporting.exports e join app_public.tenants t on t.id = e.tenant_id and t.status <> 'active'
             where e.id = export_file.export_id and app_hidden.may_download_exports_of(e.tenant_id)) then
    perform app_hidden.raise_error('TSUSP',
      'This business is suspended or closed: its exports cannot be downloaded. Open Settings → Billing to reactivate it.');
  end if;
  return query
    select e.file_name, e.bytes_written, e.chunk_count
    from app_hidden.downloadable_export(export_file.export_id) e
    where e.id is not null;
end;
$$;
comment on function app_hidden.export_file(text) is 'Name, size and chunk count of a finished export the signed-in user may download; no row otherwise; TSUSP when its business is suspended.';

create or replace function app_hidden.export_chunk(export_id text, chunk_no int) returns bytea
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select c.data
  from app_hidden.downloadable_export(export_chunk.export_id) e
  join app_private.export_chunks c on c.tenant_id = e.tenant_id and c.export_id = e.id and c.chunk_no = export_chunk.chunk_no;
$$;
comment on function app_hidden.export_chunk(text, int) is 'One chunk of a finished export the signed-in user may download.';
--! EndIncluded reporting/650-exports.sql
