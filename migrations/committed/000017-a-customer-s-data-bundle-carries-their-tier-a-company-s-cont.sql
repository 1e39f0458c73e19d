--! Previous: sha1:fec42c6cce3f6b1504a2f62a1007bed65949aadb
--! Hash: sha1:4cc59e2ffd51b6ff728015d5e7f4ba20fc6ca3af
--! Message: A customer's data bundle carries their tier, a company's contacts and the calls, emails and meetings logged with them

--! split: 1-current.sql
-- Enter migration here
--! Included customers/495-data-requests.sql
-- A customer's own data request (GDPR articles 15, 17 and 20; CCPA's right to know and to delete),
-- asked in person or by mail and answered by a member with customers.erase (owners by default):
--
-- * Access: request_customer_data(customer, reason) records a customer_data_exports row and queues
--   the worker (worker/tasks/customer-data-export.ts), which writes one zip: customer.json
--   (everything, structured: app_private.customer_data_document) and orders.csv, order-lines.csv,
--   timeline.csv (COPY of app_private.customer_data_csv_query, formulas defused). Stored as chunks
--   in the database like the CSV exports (reporting/650-exports.sql says why), downloaded from
--   GET /customer-data/:id (web/server/customer-data.ts) by members with customers.erase, kept 7
--   days. Its own table rather than reporting.exports: those are readable by anyone with
--   reports.export (managers), and a person's whole file is not a report.
--
-- * Erasure: erase_customer(customer, reason) anonymises the person and keeps the business's
--   records. The customer row stays (orders, counters and read models point at it) as "Erased
--   customer", status erased, with no email, phone, last name, notes, tags, metadata, consent or
--   type; its notes, addresses, preferences, contact channels and favourites are deleted. The same
--   holds for every customer merged into it (the same person). What else held the person is
--   scrubbed in the same transaction: the payloads of its customer.* events (names, email, phone,
--   tags → nothing, the name → "Erased customer", values of changes → "[erased]"; a rebuild of the
--   read models gives what the incremental consumers hold), the audit trail about it (values of
--   diffs and the reasons of earlier changes → "[erased]"), the snapshots of its merges and its
--   data bundles. CSV exports of the customers list made in the last 7 days still name the person
--   until they expire: erasing one person does not delete the business's other files (the dialog
--   says so). Orders, their lines, payments, refunds, the event log's order events (which carry
--   only the customer's id) and every read model stay: the daily sales do not move. The email and
--   phone are free for a new customer; search, merge, the till and every customer command refuse
--   an erased customer (ERASD).
--
-- Both are audited on the customer with the requester and a mandatory reason
-- (app_private.begin_change): commands request_customer_data and erase_customer. The reason of
-- those two is kept by later erasures (it is the record of why); write no personal data in it.

------------------------------------------------------------------------------------------------
-- Access requests: the bundle's row, its download URL, its permission

create or replace trigger _100_timestamps before insert or update on app_public.customer_data_exports
  for each row execute function app_private.tg__timestamps();

drop policy if exists select_with_permission on app_public.customer_data_exports;
create policy select_with_permission on app_public.customer_data_exports for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.erase')));

revoke all on app_public.customer_data_exports from :DATABASE_VISITOR;
grant select on app_public.customer_data_exports to :DATABASE_VISITOR;

/* The path the admin downloads a finished bundle from. */
create or replace function app_public.customer_data_exports_download_url(e app_public.customer_data_exports) returns text
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select case when e.status = 'done' then '/customer-data/' || e.id end;
$$;
comment on function app_public.customer_data_exports_download_url(app_public.customer_data_exports) is 'Where to download the zip (GET, same site) once it is done; null before.';
grant execute on function app_public.customer_data_exports_download_url(app_public.customer_data_exports) to :DATABASE_VISITOR;

/* The customer a data request is about: NOTFD, CMRGD (ask the customer it was merged into, which holds its data) or ERASD. */
create or replace function app_private.customer_for_data_request(tenant_id text, customer_id text) returns app_public.customers
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  cur app_public.customers;
begin
  select c.* into cur from app_public.customers c
  where c.tenant_id = customer_for_data_request.tenant_id and c.id = customer_for_data_request.customer_id
  for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.', coalesce(left(customer_id, 40), '(none given)')));
  elsif cur.status = 'merged' then
    perform app_hidden.raise_error('CMRGD',
      'This customer was merged into another one, which holds its data now: answer the request on that customer.', cur.merged_into_id);
  elsif cur.status = 'erased' then
    perform app_hidden.raise_error('ERASD', 'This customer''s personal data was already erased.', cur.id);
  end if;
  return cur;
end;
$$;

/*
 * Asks the worker for everything held about a customer (needs customers.erase; a reason is
 * required and audited on the customer). Returns the bundle's row: poll it until done.
 */
create or replace function app_public.request_customer_data(customer_id text, reason text) returns app_public.customer_data_exports
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.erase');
  why text := app_private.begin_change('request_customer_data', reason, required => true);
  cur app_public.customers := app_private.customer_for_data_request(tenant, customer_id);
  result app_public.customer_data_exports;
begin
  -- One bundle of a customer at a time: asking again while one is being written answers that one.
  select x.* into result from app_public.customer_data_exports x
  where x.tenant_id = tenant and x.customer_id = cur.id and x.status in ('pending', 'running')
  order by x.created_at desc limit 1;
  if found then
    perform app_private.end_change();
    return result;
  end if;
  insert into app_public.customer_data_exports (tenant_id, customer_id, reason, file_name, requested_by)
  values (tenant, cur.id, why,
          'customer-data_' || lower(cur.customer_number) || '_' || to_char(now() at time zone 'UTC', 'YYYY-MM-DD') || '.zip',
          app_hidden.current_user_id())
  returning * into result;
  perform app_private.audit_customer_change(tenant, cur.id,
    jsonb_build_object('data_access_request', jsonb_build_object('old', null, 'new', result.id)));
  perform graphile_worker.add_job('customer_data_export', json_build_object('tenantId', tenant, 'exportId', result.id), max_attempts := 3);
  perform app_private.end_change();
  return result;
end;
$$;
comment on function app_public.request_customer_data(text, text) is
  E'@resultFieldName dataExport\nAnswers a customer''s request for their data (needs customers.erase): the worker writes a zip of everything held about them (customer.json, orders.csv, order-lines.csv, timeline.csv). The reason is required and kept in the audit log. Poll the returned row until its status is done, then download its downloadUrl (kept 7 days); asked again while one is being written, it answers that one. NOTFD, CMRGD (answer on the customer it was merged into), ERASD.';
grant execute on function app_public.request_customer_data(text, text) to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- What the bundle holds

/* The audit entries about customers (given ids: a customer and those merged into it): changes of their rows, notes, addresses, merges and of which customer an order is for. */
create or replace function app_private.customer_audit_entry_ids(tenant_id text, customer_ids text[]) returns setof text
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  with direct as (
    select a.id, a.entity, a.entity_id from app_public.audit_entries a
    where a.tenant_id = customer_audit_entry_ids.tenant_id
      and ((a.entity = 'customers' and a.entity_id = any(customer_ids))
           -- Notes, addresses, and orders (their sale, a merge moving them) name the customer they belong to.
           or (a.changes -> 'customer_id' ->> 'old' = any(customer_ids) or a.changes -> 'customer_id' ->> 'new' = any(customer_ids))
           or (a.entity = 'customer_merges'
               and (a.changes -> 'primary_id' ->> 'new' = any(customer_ids) or a.changes -> 'duplicate_id' ->> 'new' = any(customer_ids))))
  ),
  -- A note's later edits name only what changed, not its customer: found by the note's id.
  satellites as (
    select d.entity, d.entity_id from direct d where d.entity in ('customer_notes', 'customer_addresses')
    union
    select 'customer_notes', n.id from app_public.customer_notes n
    where n.tenant_id = customer_audit_entry_ids.tenant_id and n.customer_id = any(customer_ids)
    union
    select 'customer_addresses', x.id from app_public.customer_addresses x
    where x.tenant_id = customer_audit_entry_ids.tenant_id and x.customer_id = any(customer_ids)
  )
  select d.id from direct d
  union
  select a.id from satellites s
  join app_public.audit_entries a on a.tenant_id = customer_audit_entry_ids.tenant_id and a.entity = s.entity and a.entity_id = s.entity_id;
$$;
comment on function app_private.customer_audit_entry_ids(text, text[]) is 'Ids of the audit entries about these customers (rows, notes, addresses, merges): what a data bundle lists and an erasure scrubs.';

/*
 * customer.json: everything the business holds about a customer and the customers merged into it
 * (the same person), structured. Amounts are integers in minor units of the currency named at
 * the top; instants are ISO 8601.
 */
create or replace function app_private.customer_data_document(tenant_id text, customer_id text) returns jsonb
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  with c as (
    select x.* from app_public.customers x
    where x.tenant_id = customer_data_document.tenant_id and x.id = customer_data_document.customer_id
  ),
  h as (select app_private.customer_history_ids(c.tenant_id, c.id) as ids from c),
  cur as (select * from app_private.tenant_currency(customer_data_document.tenant_id))
  select jsonb_build_object(
    'format', 'backoffice.customer-data.v1',
    'generated_at', app_hidden.iso_utc(now()),
    'business', (select t.name from app_public.tenants t where t.id = c.tenant_id),
    'currency', jsonb_build_object('code', cur.code, 'minor_units', cur.minor_units,
                                   'note', 'Amounts are whole numbers of the currency''s minor unit (cents for USD).'),
    'customer', (to_jsonb(c) - 'tenant_id' - 'customer_type_id' - 'tier_id') || jsonb_build_object(
      'type', (select ty.label from app_public.customer_types ty where ty.tenant_id = c.tenant_id and ty.id = c.customer_type_id),
      'tier', (select t.name from app_public.customer_tiers t where t.tenant_id = c.tenant_id and t.id = c.tier_id)),
    'merged_records', (select coalesce(jsonb_agg(to_jsonb(m) - 'tenant_id' order by m.id), '[]')
                       from app_public.customers m where m.tenant_id = c.tenant_id and m.id = any(h.ids) and m.id <> c.id),
    'purchase_history', (select to_jsonb(s) - 'tenant_id' - 'customer_id' - 'recent_visits'
                         from app_public.customer_stats s where s.tenant_id = c.tenant_id and s.customer_id = c.id),
    'notes', (select coalesce(jsonb_agg(jsonb_build_object('id', n.id, 'category', n.category, 'body', n.body,
                                                           'author', u.name, 'created_at', n.created_at, 'updated_at', n.updated_at)
                                        order by n.created_at, n.id), '[]')
              from app_public.customer_notes n left join app_public.users u on u.id = n.author_user_id
              where n.tenant_id = c.tenant_id and n.customer_id = any(h.ids)),
    'addresses', (select coalesce(jsonb_agg(to_jsonb(a) - 'tenant_id' - 'customer_id' order by a.created_at, a.id), '[]')
                  from app_public.customer_addresses a where a.tenant_id = c.tenant_id and a.customer_id = any(h.ids)),
    -- A company's contacts, and the calls, emails and meetings staff logged with the customer.
    'contacts', (select coalesce(jsonb_agg(to_jsonb(k) - 'tenant_id' - 'customer_id' order by k.created_at, k.id), '[]')
                 from app_public.customer_contacts k where k.tenant_id = c.tenant_id and k.customer_id = any(h.ids)),
    'interactions', (select coalesce(jsonb_agg(jsonb_build_object('id', i.id, 'kind', i.kind, 'note', i.note, 'occurred_at', i.occurred_at,
                                                                  'by', u.name) order by i.occurred_at, i.id), '[]')
                     from app_public.customer_interactions i left join app_public.users u on u.id = i.author_user_id
                     where i.tenant_id = c.tenant_id and i.customer_id = any(h.ids)),
    'consents', jsonb_build_object(
      'marketing', jsonb_build_object('agreed', c.marketing_consent, 'source', c.marketing_consent_source,
                                      'recorded_at', c.marketing_consent_updated_at),
      'contact_channels', (select coalesce(jsonb_agg(jsonb_build_object('channel', x.channel, 'agreed', x.allowed, 'source', x.source,
                                                                        'recorded_at', x.recorded_at) order by x.channel), '[]')
                           from app_public.customer_contact_channels x where x.tenant_id = c.tenant_id and x.customer_id = c.id)),
    'preferences', (select to_jsonb(p) - 'tenant_id' - 'customer_id'
                    from app_public.customer_preferences p where p.tenant_id = c.tenant_id and p.customer_id = c.id),
    'favourite_items', (select coalesce(jsonb_agg(i.name order by i.name), '[]')
                        from app_public.customer_favourite_items f
                        join app_public.catalog_items i on i.tenant_id = f.tenant_id and i.id = f.catalog_item_id
                        where f.tenant_id = c.tenant_id and f.customer_id = c.id),
    'orders', (select coalesce(jsonb_agg(jsonb_build_object(
        'id', o.id, 'location', l.name, 'status', o.status, 'placed_at', o.placed_at, 'business_date', o.business_date,
        'subtotal', o.subtotal, 'discount_total', o.discount_total, 'tax_name', o.tax_name, 'tax_rate_bps', o.tax_rate_bps,
        'tax_inclusive', o.tax_inclusive, 'tax_total', o.tax_total, 'total', o.total, 'paid_total', o.paid_total,
        'refunded_total', o.refunded_total, 'voided_at', o.voided_at, 'void_reason', o.void_reason,
        'cancelled_at', o.cancelled_at, 'cancel_reason', o.cancel_reason, 'created_at', o.created_at,
        'lines', (select coalesce(jsonb_agg(jsonb_build_object('line_no', ol.line_no, 'sku', ol.sku, 'name', ol.name,
                    'quantity', ol.quantity, 'unit_price', ol.unit_price, 'subtotal', ol.subtotal,
                    'discount', ol.line_discount + ol.order_discount_share, 'tax', ol.tax, 'total', ol.total) order by ol.line_no), '[]')
                  from app_public.order_lines ol where ol.tenant_id = o.tenant_id and ol.order_id = o.id),
        'payments', (select coalesce(jsonb_agg(jsonb_build_object('type', t.type, 'amount', t.applied_amount, 'recorded_at', t.created_at)
                       order by t.created_at, t.id), '[]')
                     from app_public.tenders t where t.tenant_id = o.tenant_id and t.order_id = o.id),
        'refunds', (select coalesce(jsonb_agg(jsonb_build_object('id', r.id, 'refunded_at', r.created_at, 'business_date', r.business_date,
                      'reason', r.reason, 'subtotal', r.subtotal, 'discount_total', r.discount_total, 'tax_total', r.tax_total, 'total', r.total,
                      'lines', (select coalesce(jsonb_agg(jsonb_build_object('line_no', ol.line_no, 'name', ol.name, 'quantity', rl.quantity,
                                  'total', rl.total) order by ol.line_no), '[]')
                                from app_public.order_refund_lines rl
                                join app_public.order_lines ol on ol.tenant_id = rl.tenant_id and ol.id = rl.order_line_id
                                where rl.tenant_id = r.tenant_id and rl.order_refund_id = r.id)) order by r.created_at, r.id), '[]')
                    from app_public.order_refunds r where r.tenant_id = o.tenant_id and r.order_id = o.id)
      ) order by o.created_at, o.id), '[]')
      from app_public.orders o left join app_public.locations l on l.tenant_id = o.tenant_id and l.id = o.location_id
      where o.tenant_id = c.tenant_id and o.customer_id = any(h.ids)),
    'timeline', (select coalesce(jsonb_agg(jsonb_build_object('occurred_at', t.occurred_at, 'kind', t.kind, 'summary', t.summary,
                                                              'by', t.actor_name) order by t.n), '[]')
                 from app_private.customer_timeline(c.tenant_id, c.id) with ordinality as t(occurred_at, kind, summary, actor_user_id, actor_name, subject_id, n)),
    'audit_entries', (select coalesce(jsonb_agg(jsonb_build_object('at', a.created_at, 'entity', a.entity, 'action', a.action,
                                                                   'by', u.name, 'command', a.command, 'reason', a.reason, 'changes', a.changes)
                                                order by a.created_at, a.id), '[]')
                      from app_public.audit_entries a left join app_public.users u on u.id = a.actor_user_id
                      where a.tenant_id = c.tenant_id and a.id in (select app_private.customer_audit_entry_ids(c.tenant_id, h.ids)))
  )
  from c, h, cur;
$$;
comment on function app_private.customer_data_document(text, text) is 'customer.json of a data bundle: everything held about a customer (and the customers merged into it), structured.';

/*
 * The query of one CSV file of the bundle (COPY cannot take parameters: values are quoted
 * literals). Text cells defused (app_hidden.csv_text), money in decimals beside the currency.
 */
create or replace function app_private.customer_data_csv_query(tenant_id text, customer_id text, file text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  ids text[] := app_private.customer_history_ids(tenant_id, customer_id);
begin
  case file
  when 'orders.csv' then
    return format($q$
      select o.id as order_id,
             to_char(o.placed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as placed_at, o.business_date,
             app_hidden.csv_text(l.name) as location, o.status, cur.code as currency,
             app_hidden.major_units(o.subtotal, cur.minor_units) as subtotal,
             app_hidden.major_units(o.discount_total, cur.minor_units) as discounts,
             app_hidden.major_units(o.tax_total, cur.minor_units) as tax,
             app_hidden.major_units(o.total, cur.minor_units) as total,
             app_hidden.major_units(o.paid_total, cur.minor_units) as paid,
             app_hidden.major_units(o.refunded_total, cur.minor_units) as refunded,
             to_char(o.voided_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as voided_at
      from app_public.orders o
      cross join app_private.tenant_currency(%1$L) cur
      left join app_public.locations l on l.tenant_id = o.tenant_id and l.id = o.location_id
      where o.tenant_id = %1$L and o.customer_id = any(%2$L::text[])
      order by o.created_at, o.id$q$, tenant_id, ids);
  when 'order-lines.csv' then
    return format($q$
      select ol.order_id, ol.line_no, app_hidden.csv_text(ol.sku) as sku, app_hidden.csv_text(ol.name) as item, ol.quantity,
             cur.code as currency,
             app_hidden.major_units(ol.unit_price, cur.minor_units) as unit_price,
             app_hidden.major_units(ol.subtotal, cur.minor_units) as subtotal,
             app_hidden.major_units(ol.line_discount + ol.order_discount_share, cur.minor_units) as discount,
             app_hidden.major_units(ol.tax, cur.minor_units) as tax,
             app_hidden.major_units(ol.total, cur.minor_units) as total,
             coalesce((select sum(rl.quantity) from app_public.order_refund_lines rl
                       where rl.tenant_id = ol.tenant_id and rl.order_line_id = ol.id), 0) as refunded_quantity
      from app_public.orders o
      join app_public.order_lines ol on ol.tenant_id = o.tenant_id and ol.order_id = o.id
      cross join app_private.tenant_currency(%1$L) cur
      where o.tenant_id = %1$L and o.customer_id = any(%2$L::text[])
      order by o.created_at, o.id, ol.line_no$q$, tenant_id, ids);
  when 'timeline.csv' then
    return format($q$
      select to_char(t.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as occurred_at, t.kind,
             app_hidden.csv_text(t.summary) as summary, app_hidden.csv_text(t.actor_name) as by
      from app_private.customer_timeline(%1$L, %2$L) with ordinality as t(occurred_at, kind, summary, actor_user_id, actor_name, subject_id, n)
      order by t.n$q$, tenant_id, customer_id);
  end case;
  return null;
end;
$$;
comment on function app_private.customer_data_csv_query(text, text, text) is 'The SQL whose rows make orders.csv, order-lines.csv or timeline.csv of a customer''s data bundle (for COPY … TO STDOUT).';

------------------------------------------------------------------------------------------------
-- The worker's side (owner; tenant explicit). Same life as a CSV export: start (old chunks go),
-- chunks with progress, finish once every chunk is stored, fail on the last attempt.

/*
 * Starts (or restarts) a bundle: forgets chunks of an earlier attempt and returns what the job
 * needs: {tenantId, exportId, customerId, fileName, csvFiles: [{name, query}]}. Null when it is
 * gone (the customer was erased meanwhile, or it expired) or already done.
 */
create or replace function app_private.start_customer_data_export(tenant_id text, export_id text) returns jsonb
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  x app_public.customer_data_exports;
begin
  select e.* into x from app_public.customer_data_exports e
  where e.tenant_id = start_customer_data_export.tenant_id and e.id = start_customer_data_export.export_id
  for update;
  if not found or x.status = 'done' then
    return null;
  end if;
  delete from app_private.customer_data_export_chunks c where c.tenant_id = x.tenant_id and c.export_id = x.id;
  update app_public.customer_data_exports e set status = 'running', started_at = now(), finished_at = null, error_message = null,
    files_written = 0, bytes_written = 0, chunk_count = 0
  where e.tenant_id = x.tenant_id and e.id = x.id;
  return jsonb_build_object('tenantId', x.tenant_id, 'exportId', x.id, 'customerId', x.customer_id, 'fileName', x.file_name,
    'csvFiles', (select jsonb_agg(jsonb_build_object('name', f.name, 'query', app_private.customer_data_csv_query(x.tenant_id, x.customer_id, f.name))
                                  order by f.n)
                 from unnest(array['orders.csv', 'order-lines.csv', 'timeline.csv']) with ordinality as f(name, n)));
end;
$$;
comment on function app_private.start_customer_data_export(text, text) is 'Marks a customer data bundle running and returns what the worker writes; null when it is gone or done.';

/* Stores the next chunk of a running bundle and its progress. False when it is no longer running. */
create or replace function app_private.write_customer_data_chunk(tenant_id text, export_id text, chunk_no int, data bytea,
                                                                 files_written int, bytes_written bigint) returns boolean
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  update app_public.customer_data_exports e set files_written = write_customer_data_chunk.files_written,
    bytes_written = write_customer_data_chunk.bytes_written, chunk_count = write_customer_data_chunk.chunk_no + 1
  where e.tenant_id = write_customer_data_chunk.tenant_id and e.id = write_customer_data_chunk.export_id and e.status = 'running';
  if not found then
    return false;
  end if;
  insert into app_private.customer_data_export_chunks (tenant_id, export_id, chunk_no, data)
  values (write_customer_data_chunk.tenant_id, write_customer_data_chunk.export_id, write_customer_data_chunk.chunk_no, write_customer_data_chunk.data);
  return true;
end;
$$;

/* Records how many files of a running bundle are written (progress between chunks). */
create or replace function app_private.customer_data_export_progress(tenant_id text, export_id text, files_written int) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  update app_public.customer_data_exports e set files_written = customer_data_export_progress.files_written
  where e.tenant_id = customer_data_export_progress.tenant_id and e.id = customer_data_export_progress.export_id and e.status = 'running';
$$;

/* Marks a running bundle done (downloadable) once every chunk is stored. */
create or replace function app_private.finish_customer_data_export(tenant_id text, export_id text, chunk_count int, bytes_written bigint)
returns boolean
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if (select count(*) from app_private.customer_data_export_chunks c
      where c.tenant_id = finish_customer_data_export.tenant_id and c.export_id = finish_customer_data_export.export_id)
     <> finish_customer_data_export.chunk_count then
    raise exception 'customer data export % of tenant %: % chunks expected', export_id, tenant_id, chunk_count;
  end if;
  update app_public.customer_data_exports e set status = 'done', finished_at = now(), files_written = e.files_total,
    chunk_count = finish_customer_data_export.chunk_count, bytes_written = finish_customer_data_export.bytes_written
  where e.tenant_id = finish_customer_data_export.tenant_id and e.id = finish_customer_data_export.export_id and e.status = 'running';
  return found;
end;
$$;

/* Marks a bundle failed (the worker gave up on it); its chunks go. */
create or replace function app_private.fail_customer_data_export(tenant_id text, export_id text, message text) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  delete from app_private.customer_data_export_chunks c
  where c.tenant_id = fail_customer_data_export.tenant_id and c.export_id = fail_customer_data_export.export_id;
  update app_public.customer_data_exports e set status = 'failed', finished_at = now(), error_message = left(message, 500)
  where e.tenant_id = fail_customer_data_export.tenant_id and e.id = fail_customer_data_export.export_id and e.status <> 'done';
$$;

/* Bundles older than 7 days go with their files (worker crontab, with the CSV exports). Returns how many. */
create or replace function app_private.delete_expired_customer_data_exports() returns int
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  with gone as (delete from app_public.customer_data_exports e where e.created_at < now() - interval '7 days' returning 1)
  select count(*)::int from gone;
$$;
comment on function app_private.delete_expired_customer_data_exports() is 'Removes customer data bundles (and their files) older than 7 days.';

------------------------------------------------------------------------------------------------
-- Downloading (GET /customer-data/:id as the API role with the session)

/*
 * Name, size and chunk count of a finished bundle of the current business, for a member with
 * customers.erase; no row for anything else (unknown, another business's, not finished, no
 * permission: never told apart). TSUSP when the business is suspended, as everywhere.
 */
create or replace function app_hidden.customer_data_file(export_id text)
returns table (file_name text, byte_size bigint, chunk_count int)
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.current_tenant_id();
begin
  if tenant is null or not app_hidden.has_permission('customers.erase') then
    return;
  end if;
  perform app_hidden.assert_tenant_active();
  return query
    select e.file_name, e.bytes_written, e.chunk_count
    from app_public.customer_data_exports e
    where e.tenant_id = tenant and e.id = customer_data_file.export_id and e.status = 'done';
end;
$$;
comment on function app_hidden.customer_data_file(text) is 'Name, size and chunk count of a finished customer data bundle the signed-in member may download; no row otherwise.';

create or replace function app_hidden.customer_data_chunk(export_id text, chunk_no int) returns bytea
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select c.data
  from app_public.customer_data_exports e
  join app_private.customer_data_export_chunks c on c.tenant_id = e.tenant_id and c.export_id = e.id and c.chunk_no = customer_data_chunk.chunk_no
  where e.tenant_id = app_hidden.current_tenant_id() and app_hidden.has_permission('customers.erase')
    and e.id = customer_data_chunk.export_id and e.status = 'done';
$$;
comment on function app_hidden.customer_data_chunk(text, int) is 'One chunk of a finished customer data bundle the signed-in member may download.';

------------------------------------------------------------------------------------------------
-- Erasure

/*
 * HOOK: refuses to erase a customer who owes the business money or is owed by it (OPBAL). Selling
 * on account (issue 18) does not exist yet, so there is no balance to read and this checks
 * nothing today: when accounts arrive, read the customer's balance here (in the currency's minor
 * units) instead of the constant. Erasing first would leave a debt owed by nobody.
 */
create or replace function app_private.assert_no_open_balance(tenant_id text, customer_id text) returns void
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  balance bigint := 0;  -- issue 18: the customer's account balance
begin
  if balance <> 0 then
    perform app_hidden.raise_error('OPBAL', format(
      'This customer''s account is not settled (%s): settle it before erasing their personal data.',
      app_hidden.format_money(balance, app_private.tenant_currency(tenant_id))), customer_id);
  end if;
end;
$$;
comment on function app_private.assert_no_open_balance(text, text) is 'Hook for selling on account (issue 18): OPBAL while the customer has an open balance. Checks nothing until accounts exist.';

/* Keys of rows and diffs whose values say nothing about the person (ids, states, kinds): an erasure keeps them. */
create or replace function app_hidden.erasure_kept_keys() returns text[]
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select array['id', 'tenant_id', 'customer_id', 'customer_number', 'status', 'merged_into_id', 'customer_type_id',
               'created_by', 'created_at', 'updated_at', 'author_user_id', 'recorded_by', 'recorded_at', 'merged_by_user_id',
               'primary_id', 'duplicate_id', 'merge_id', 'order_id', 'is_default', 'category', 'type', 'channel', 'source',
               'marketing_consent_source', 'marketing_consent_updated_at', 'moved_order_ids', 'moved_note_ids',
               'moved_address_ids', 'notes_note_id', 'data_access_request'];
$$;

/* A JSON row with every value that may be personal replaced by "[erased]" (nulls and kept keys stay). */
create or replace function app_hidden.erased_row(row_data jsonb) returns jsonb
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select case when jsonb_typeof(row_data) = 'object' then
    coalesce((select jsonb_object_agg(e.key, case when e.key = any(app_hidden.erasure_kept_keys()) or e.value = 'null'::jsonb
                                                  then e.value else '"[erased]"'::jsonb end)
              from jsonb_each(row_data) e), '{}'::jsonb)
    else row_data end;
$$;
comment on function app_hidden.erased_row(jsonb) is 'A JSON row (a merge snapshot) with its personal values replaced by "[erased]".';

/* A diff {field: {old, new}} (audit entries, customer.updated.v1) with the old and new personal values replaced by "[erased]". */
create or replace function app_hidden.erased_diff(diff jsonb) returns jsonb
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select case when jsonb_typeof(diff) = 'object' then
    coalesce((select jsonb_object_agg(e.key, case when e.key = any(app_hidden.erasure_kept_keys()) or jsonb_typeof(e.value) <> 'object'
                                                  then e.value else app_hidden.erased_row(e.value) end)
              from jsonb_each(diff) e), '{}'::jsonb)
    else diff end;
$$;
comment on function app_hidden.erased_diff(jsonb) is 'An audit diff with its personal old and new values replaced by "[erased]".';

/*
 * The payload of a customer.* event with the person taken out, keeping its shape: names, email,
 * phone and consent null, tags empty, the name "Erased customer" (what rebuilt read models then
 * show), values of changes "[erased]"; ids, numbers, statuses and counters stay.
 */
create or replace function app_hidden.erased_customer_payload(payload jsonb) returns jsonb
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select payload
    || (select coalesce(jsonb_object_agg(k, case k when 'tags' then '[]'::jsonb else 'null'::jsonb end), '{}'::jsonb)
        from jsonb_object_keys(payload) k where k in ('email', 'phone', 'first_name', 'last_name', 'tags', 'marketing_consent'))
    || case when payload ? 'display_name' then jsonb_build_object('display_name', 'Erased customer') else '{}'::jsonb end
    || case when payload ? 'changes' then jsonb_build_object('changes', app_hidden.erased_diff(payload -> 'changes')) else '{}'::jsonb end;
$$;
comment on function app_hidden.erased_customer_payload(jsonb) is 'A customer.* event payload with its personal data taken out (same keys and types).';

/*
 * Erases a customer's personal data on their request (needs customers.erase; a reason is
 * required and audited). See the top of this file for what goes and what stays. Refuses NOTFD,
 * CMRGD (erase the customer it was merged into: that one holds its data and erases it too), ERASD
 * (already erased) and, once selling on account exists, OPBAL. Returns the erased customer.
 */
create or replace function app_public.erase_customer(customer_id text, reason text) returns app_public.customers
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.erase');
  cur app_public.customers;
  ids text[];
  before_row app_public.customers;
  after_row app_public.customers;
  diff jsonb;
  result app_public.customers;
begin
  perform app_private.begin_change('erase_customer', reason, required => true);
  -- The customer first: once it is locked nothing can be merged into it, so the chain is fixed.
  cur := app_private.customer_for_data_request(tenant, customer_id);
  perform app_private.assert_no_open_balance(tenant, cur.id);
  ids := app_private.customer_history_ids(tenant, cur.id);
  perform 1 from app_public.customers c where c.tenant_id = tenant and c.id = any(ids) order by c.id for update;

  delete from app_public.customer_notes n where n.tenant_id = tenant and n.customer_id = any(ids);
  -- Calls, emails and meetings logged with them (customers/455-interactions.sql): their notes are about the person.
  delete from app_public.customer_interactions i where i.tenant_id = tenant and i.customer_id = any(ids);
  delete from app_public.customer_addresses a where a.tenant_id = tenant and a.customer_id = any(ids);
  -- The rows of imported files that made or matched them hold the file's cells (customers/485-import.sql).
  delete from app_public.customer_import_rows r where r.tenant_id = tenant and r.customer_id = any(ids);
  delete from app_public.customer_preferences p where p.tenant_id = tenant and p.customer_id = any(ids);
  delete from app_public.customer_contact_channels x where x.tenant_id = tenant and x.customer_id = any(ids);
  delete from app_public.customer_favourite_items f where f.tenant_id = tenant and f.customer_id = any(ids);

  for before_row in select c.* from app_public.customers c where c.tenant_id = tenant and c.id = any(ids) order by c.id loop
    update app_public.customers c set
      email = null, phone = null, first_name = 'Erased customer', last_name = null, notes = null, tags = '[]', metadata = '{}',
      marketing_consent = null, marketing_consent_updated_at = null, marketing_consent_source = null, customer_type_id = null,
      status = case when c.id = cur.id then 'erased' else c.status end
    where c.tenant_id = tenant and c.id = before_row.id
    returning * into after_row;
    diff := app_hidden.jsonb_diff(to_jsonb(before_row), to_jsonb(after_row), array['created_at', 'updated_at']);
    -- The consumers follow (the read models' name becomes "Erased customer"); the diff carries no value of the person.
    if diff <> '{}'::jsonb then
      perform app_private.emit_event(tenant, 'customer.updated.v1', 'customer', after_row.id,
        jsonb_build_object('customer_id', after_row.id, 'customer_number', after_row.customer_number,
                           'display_name', after_row.display_name, 'status', after_row.status,
                           'changes', app_hidden.erased_diff(diff)));
    end if;
    if after_row.id = cur.id then
      result := after_row;
    end if;
  end loop;

  update app_public.customer_merges m set
    primary_snapshot = app_hidden.erased_row(m.primary_snapshot),
    duplicate_snapshot = app_hidden.erased_row(m.duplicate_snapshot),
    result_snapshot = app_hidden.erased_row(m.result_snapshot)
  where m.tenant_id = tenant and (m.primary_id = any(ids) or m.duplicate_id = any(ids));

  perform set_config('app.erasing_customer_events', tenant, true);
  update app_private.events e set payload = app_hidden.erased_customer_payload(e.payload)
  where e.tenant_id = tenant and e.aggregate_type = 'customer' and e.aggregate_id = any(ids);
  perform set_config('app.erasing_customer_events', '', true);

  -- The trail keeps who did what when; the values about the person and the reasons given for
  -- earlier changes go (an order's entries keep their amounts: only which customer it was for
  -- named the person, and that id stays). The reasons of the data requests themselves (this one
  -- included) stay: they are the record.
  update app_public.audit_entries a set
    changes = case when a.entity in ('customers', 'customer_notes', 'customer_addresses', 'customer_merges', 'customer_interactions')
                   then app_hidden.erased_diff(a.changes) else a.changes end,
    reason = case when a.command in ('erase_customer', 'request_customer_data') or a.reason is null then a.reason else '[erased]' end
  where a.tenant_id = tenant and a.id in (select app_private.customer_audit_entry_ids(tenant, ids));

  delete from app_public.customer_data_exports x where x.tenant_id = tenant and x.customer_id = any(ids);

  perform app_private.end_change();
  return result;
end;
$$;
comment on function app_public.erase_customer(text, text) is
  E'Erases a customer''s personal data on their request (needs customers.erase; the reason is required and kept in the audit log). Names, email, phone, notes, addresses, tags, metadata, consents and preferences go, also from the event log, the audit trail and merge records; the customer stays as "Erased customer" (status erased) so that its orders, payments and reports stay exact. The email and phone are free for a new customer. Cannot be undone. NOTFD, CMRGD (erase the customer it was merged into), ERASD (already erased).';
grant execute on function app_public.erase_customer(text, text) to :DATABASE_VISITOR;
--! EndIncluded customers/495-data-requests.sql
