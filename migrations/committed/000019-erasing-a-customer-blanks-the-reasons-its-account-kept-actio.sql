--! Previous: sha1:fbc0a42b95db168526929f9fd042bde3a51dd4a7
--! Hash: sha1:e10109f8475a03be560d2f67615093cebbe95d33
--! Message: Erasing a customer blanks the reasons its account kept (actions, suspensions, write-offs, credit paid back)

--! split: 1-current.sql
-- Erasing a customer also blanks the reasons kept by its account (issue 18's review).
--! Included sales/300-events.sql
-- The event log and its delivery. Writes that matter (orders, voids, tenders, stock
-- movements, later customers) append a versioned event in the same transaction as the change;
-- consumers are SQL functions subscribed to event types by one row in a registry, and each
-- applies an event at most once (processed_events), so dispatching twice or replaying the log
-- never double-counts. db/EVENTS.md documents the event types, their payloads and these rules.

------------------------------------------------------------------------------------------------
-- Helpers shared by the sales files

/*
 * The business date of an instant at a location: the calendar date on the shop's clock in its
 * IANA time zone (DST included), never the UTC date (DESIGN.md "Business dates").
 * This and iso_utc are one built-in expression each and carry no SET clause on purpose, so that
 * PostgreSQL inlines them into the calling query (a SET clause forbids inlining and costs a plan
 * per call on the order path); they name nothing a search_path could redirect.
 */
create or replace function app_hidden.business_date(instant timestamptz, timezone text) returns date
language sql immutable parallel safe
as $$
  select (instant at time zone timezone)::date;
$$;
comment on function app_hidden.business_date(timestamptz, text) is 'The date on the clock of a shop in this IANA time zone at this instant.';

/* An instant as ISO 8601 text in UTC, so event payloads do not depend on the session time zone. */
create or replace function app_hidden.iso_utc(instant timestamptz) returns text
language sql immutable parallel safe
as $$
  select to_char(instant at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
$$;
comment on function app_hidden.iso_utc(timestamptz) is 'An instant as ISO 8601 text in UTC (2025-03-10T07:30:00.000000Z).';

/*
 * Trigger: rows of ledgers (events, stock movements, order lines, tenders) are never changed or
 * deleted; corrections are new rows. The exceptions: deleting the tenant itself, whose ON DELETE
 * CASCADE removes its rows after the tenant row is gone; and erasing a customer's personal data
 * (app_public.erase_customer), which rewrites the payloads of that customer's customer.* events
 * and nothing else of them: an erase that left the email in the log would be a lie. It says so
 * for its own transaction (app.erasing_customer_events = the tenant); only the owner can write
 * the log at all, so this guards against mistakes, not against the API.
 */
create or replace function app_private.tg__append_only() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if tg_op = 'DELETE' and not exists (select 1 from app_public.tenants t where t.id = old.tenant_id) then
    return old;
  end if;
  if tg_op = 'UPDATE' and tg_table_name = 'events' then
    if current_setting('app.erasing_customer_events', true) = old.tenant_id and old.aggregate_type = 'customer'
       and (to_jsonb(new) - 'payload') = (to_jsonb(old) - 'payload') then
      return new;
    end if;
  end if;
  -- Erasing a customer (customers/495) blanks the reasons in its account's log and ledger; nothing else of them changes.
  if tg_op = 'UPDATE' and tg_table_name in ('account_actions', 'account_entries') then
    if current_setting('app.erasing_customer_account', true) = old.tenant_id
       and (to_jsonb(new) - array['reason', 'before', 'after', 'memo']) = (to_jsonb(old) - array['reason', 'before', 'after', 'memo']) then
      return new;
    end if;
  end if;
  perform app_hidden.raise_error('IMMUT', format(
    'Rows of %s are never changed or deleted; record a correcting entry instead.', tg_table_name));
  return null;
end;
$$;
comment on function app_private.tg__append_only() is 'Trigger: refuses updates and deletes of ledger rows (IMMUT), except when their tenant is deleted, and the erasure of a customer''s personal data (event payloads, the reasons of its account''s log and ledger).';

create or replace trigger _010_append_only before update or delete on app_private.events
  for each row execute function app_private.tg__append_only();

create or replace function app_private.tg_event_subscriptions__validate() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if not exists (select 1 from pg_catalog.pg_proc p
                 where p.oid = new.handler and p.pronargs = 1
                   and p.proargtypes[0] = 'app_private.events'::regtype and p.prokind = 'f') then
    perform app_hidden.raise_error('BADEV', format(
      'The handler %s of consumer %s must be a function taking one app_private.events row.', new.handler, new.consumer));
  end if;
  return new;
end;
$$;

create or replace trigger _050_validate before insert or update on app_private.event_subscriptions
  for each row execute function app_private.tg_event_subscriptions__validate();

------------------------------------------------------------------------------------------------
-- Delivery

/*
 * Runs every consumer subscribed to the event's type (or only `only_consumer`, or only those of
 * one `delivery`), each at most once: the (event, consumer) row is inserted first and the handler
 * runs only when that insert happened. Both commit or roll back together, and a concurrent
 * dispatch of the same event waits on the first one's row and then skips. Returns how many
 * consumers applied the event.
 */
create or replace function app_private.dispatch(evt app_private.events, only_consumer text default null, delivery text default null) returns int
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  sub record;
  applied int := 0;
  inserted int;
begin
  for sub in
    select s.consumer, format('%I.%I', n.nspname, p.proname) as fn
    from app_private.event_subscriptions s
    join pg_catalog.pg_proc p on p.oid = s.handler
    join pg_catalog.pg_namespace n on n.oid = p.pronamespace
    where s.event_type = evt.type
      and (dispatch.only_consumer is null or s.consumer = dispatch.only_consumer)
      and (dispatch.delivery is null or s.delivery = dispatch.delivery)
    order by s.consumer
  loop
    insert into app_private.processed_events (tenant_id, event_id, consumer)
      values (evt.tenant_id, evt.id, sub.consumer)
      on conflict do nothing;
    get diagnostics inserted = row_count;
    if inserted = 1 then
      execute format('select %s($1)', sub.fn) using evt;
      applied := applied + 1;
    end if;
  end loop;
  return applied;
end;
$$;
comment on function app_private.dispatch(app_private.events, text, text) is 'Applies an event to its subscribed consumers, each at most once; returns how many applied it.';

/*
 * Appends an event and delivers it to the inline subscribers in the same transaction. The one
 * place events are written one at a time (many at once: append them in one statement, then
 * dispatch_events below): switching a consumer to after-commit delivery is a change of its
 * subscription row (delivery = async), not of this function or of the consumer. The actor
 * defaults to the signed-in user; callers that already know it pass it (one lookup less).
 */
create or replace function app_private.emit_event(
  tenant_id text, type text, aggregate_type text, aggregate_id text, payload jsonb,
  actor_user_id text default app_hidden.current_user_id(), occurred_at timestamptz default now()
) returns app_private.events
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  evt app_private.events;
begin
  insert into app_private.events (tenant_id, type, aggregate_type, aggregate_id, payload, actor_user_id, occurred_at)
    values (emit_event.tenant_id, emit_event.type, emit_event.aggregate_type, emit_event.aggregate_id,
            emit_event.payload, emit_event.actor_user_id, coalesce(emit_event.occurred_at, now()))
    returning * into evt;
  perform app_private.dispatch(evt, null, 'inline');
  return evt;
end;
$$;
comment on function app_private.emit_event(text, text, text, text, jsonb, text, timestamptz) is 'Appends an event to the log and applies it to the inline consumers, in the caller''s transaction.';

/*
 * Delivers events already appended (emitted set-based, e.g. by a customer import: one INSERT …
 * RETURNING of many events) to their subscribers of one delivery, as dispatch would one by one:
 * each consumer at most once per event (its processed_events rows inserted in one statement), the
 * events in log order. A consumer whose handler has an overload taking app_private.events[] gets
 * the events it has not applied yet in one call per tenant (the same read model as one call per
 * event: such handlers apply a batch in log order); any other handler is called per event.
 * Consumers are taken in name order, each over all the events (dispatch takes all consumers of
 * one event, then the next event: the same result, consumers being independent). Returns how many
 * (event, consumer) pairs applied.
 */
create or replace function app_private.dispatch_events(evts app_private.events[], delivery text default 'inline') returns int
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  sub record;
  todo app_private.events[];
  evt app_private.events;
  tenant text;
  applied int := 0;
begin
  for sub in
    select s.consumer, s.handler, format('%I.%I', n.nspname, p.proname) as fn, array_agg(s.event_type) as types,
           to_regprocedure(format('%I.%I(app_private.events[])', n.nspname, p.proname)) as batch_fn
    from app_private.event_subscriptions s
    join pg_catalog.pg_proc p on p.oid = s.handler
    join pg_catalog.pg_namespace n on n.oid = p.pronamespace
    where s.event_type in (select e.type from unnest(evts) e)
      and (dispatch_events.delivery is null or s.delivery = dispatch_events.delivery)
    group by s.consumer, s.handler, n.nspname, p.proname
    order by s.consumer
  loop
    with done as (
      insert into app_private.processed_events (tenant_id, event_id, consumer)
      select e.tenant_id, e.id, sub.consumer from unnest(evts) e where e.type = any(sub.types) order by e.seq
      on conflict do nothing
      returning tenant_id, event_id)
    select array_agg(e order by e.seq) into todo
    from unnest(evts) e where (e.tenant_id, e.id) in (select d.tenant_id, d.event_id from done d);
    if todo is null then
      continue;
    end if;
    if sub.batch_fn is not null then
      for tenant in select distinct e.tenant_id from unnest(todo) e loop
        execute format('select %s($1)', sub.fn) using array(select e from unnest(todo) e where e.tenant_id = tenant order by e.seq);
      end loop;
    else
      foreach evt in array todo loop
        execute format('select %s($1)', sub.fn) using evt;
      end loop;
    end if;
    applied := applied + cardinality(todo);
  end loop;
  return applied;
end;
$$;
comment on function app_private.dispatch_events(app_private.events[], text) is 'Applies events appended set-based to their consumers of one delivery (inline by default), each at most once, a batch at a time where the handler takes one; returns how many (event, consumer) pairs applied.';

/*
 * Re-feeds stored events to one consumer, oldest first (by seq), for every tenant or one; events
 * the consumer already applied are skipped, so a replay re-applies nothing. Also the catch-up
 * loop of async consumers. Returns how many events were applied.
 */
create or replace function app_private.replay(consumer text, tenant_id text default null) returns int
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  evt app_private.events;
  applied int := 0;
begin
  if not exists (select 1 from app_private.event_subscriptions s where s.consumer = replay.consumer) then
    perform app_hidden.raise_error('BADEV', format('No consumer named %s is subscribed to any event.', replay.consumer));
  end if;
  for evt in
    select e.* from app_private.events e
    where e.type in (select s.event_type from app_private.event_subscriptions s where s.consumer = replay.consumer)
      and (replay.tenant_id is null or e.tenant_id = replay.tenant_id)
      and not exists (select 1 from app_private.processed_events pe
                      where pe.tenant_id = e.tenant_id and pe.event_id = e.id and pe.consumer = replay.consumer)
    order by e.seq
  loop
    applied := applied + app_private.dispatch(evt, replay.consumer);
  end loop;
  return applied;
end;
$$;
comment on function app_private.replay(text, text) is 'Applies to one consumer every stored event of its types it has not applied yet, in log order.';

/*
 * Forgets what a consumer applied (for every tenant or one), so that the next replay feeds it
 * every event again: the way to rebuild a read model after clearing it. Returns rows forgotten.
 */
create or replace function app_private.reset_consumer(consumer text, tenant_id text default null) returns int
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  with gone as (
    delete from app_private.processed_events pe
    where pe.consumer = reset_consumer.consumer
      and (reset_consumer.tenant_id is null or pe.tenant_id = reset_consumer.tenant_id)
    returning 1)
  select count(*)::int from gone;
$$;
comment on function app_private.reset_consumer(text, text) is 'Forgets which events a consumer applied, so that a replay rebuilds it from the log.';
--! EndIncluded sales/300-events.sql
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
    -- Their account (accounts/7xx): number, terms, ledger, invoices, payments, suspensions and actions.
    'account', (select jsonb_build_object(
        'account_number', a.account_number, 'opened_at', a.opened_at, 'credit_limit', c.credit_limit,
        'payment_terms_days', c.payment_terms_days, 'balance', app_hidden.account_balance(a.tenant_id, a.customer_id),
        'ledger', (select coalesce(jsonb_agg(jsonb_build_object('kind', e.kind, 'amount', e.amount, 'business_date', e.business_date,
                     'order_id', e.order_id, 'memo', e.memo) order by e.business_date, e.id), '[]')
                   from app_public.account_entries e where e.tenant_id = a.tenant_id and e.customer_id = a.customer_id),
        'invoices', (select coalesce(jsonb_agg(jsonb_build_object('invoice_number', i.invoice_number, 'issued_on', i.issued_on,
                       'due_on', i.due_on, 'status', i.status, 'total', i.total, 'amount_paid', i.amount_paid) order by i.issued_on, i.id), '[]')
                     from app_public.account_invoices i where i.tenant_id = a.tenant_id and i.customer_id = a.customer_id),
        'payments', (select coalesce(jsonb_agg(jsonb_build_object('amount', p.amount, 'method', p.method, 'reference', p.reference,
                       'received_on', p.received_on) order by p.received_on, p.id), '[]')
                     from app_public.account_payments p where p.tenant_id = a.tenant_id and p.customer_id = a.customer_id),
        'suspensions', (select coalesce(jsonb_agg(jsonb_build_object('type', x.type, 'reason', x.reason, 'suspended_at', x.suspended_at,
                          'reactivated_at', x.reactivated_at, 'reactivation_reason', x.reactivation_reason) order by x.suspended_at, x.id), '[]')
                        from app_public.account_suspensions x where x.tenant_id = a.tenant_id and x.customer_id = a.customer_id),
        'actions', (select coalesce(jsonb_agg(jsonb_build_object('action', x.action, 'reason', x.reason, 'at', x.created_at, 'by', u.name)
                      order by x.created_at, x.id), '[]')
                    from app_public.account_actions x left join app_public.users u on u.id = x.actor_user_id
                    where x.tenant_id = a.tenant_id and x.customer_id = a.customer_id))
      from app_public.customer_accounts a where a.tenant_id = c.tenant_id and a.customer_id = c.id),
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

/* The account's balance must be zero first: app_private.assert_no_open_balance (accounts/710-ledger.sql). */

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

  -- Its account (accounts/7xx) keeps every amount, date, number and kind (the ledger stays exact);
  -- the reasons given for its actions, suspensions and write-offs go, like the audit trail's. A
  -- payment's reference (the bank's) and a credit note's (the sale's refund reason) stay with the
  -- business's records, as the orders do.
  perform set_config('app.erasing_customer_account', tenant, true);
  update app_public.account_actions x
    set reason = case when x.reason is null then null else '[erased]' end,
        before = case when x.before ? 'suspended_reason' and x.before ->> 'suspended_reason' is not null
                      then jsonb_set(x.before, '{suspended_reason}', '"[erased]"') else x.before end,
        after = case when x.after ? 'suspended_reason' and x.after ->> 'suspended_reason' is not null
                     then jsonb_set(x.after, '{suspended_reason}', '"[erased]"') else x.after end
  where x.tenant_id = tenant and x.customer_id = any(ids);
  update app_public.account_entries e set memo = '[erased]'
  where e.tenant_id = tenant and e.customer_id = any(ids) and e.kind in ('write_off', 'refund') and e.memo is not null;
  perform set_config('app.erasing_customer_account', '', true);
  update app_public.account_suspensions s
    set reason = '[erased]', reactivation_reason = case when s.reactivation_reason is not null then '[erased]' end
  where s.tenant_id = tenant and s.customer_id = any(ids);

  delete from app_public.customer_data_exports x where x.tenant_id = tenant and x.customer_id = any(ids);

  perform app_private.end_change();
  return result;
end;
$$;
comment on function app_public.erase_customer(text, text) is
  E'Erases a customer''s personal data on their request (needs customers.erase; the reason is required and kept in the audit log). Names, email, phone, notes, addresses, tags, metadata, consents and preferences go, also from the event log, the audit trail and merge records; the customer stays as "Erased customer" (status erased) so that its orders, payments and reports stay exact. The email and phone are free for a new customer. Cannot be undone. NOTFD, CMRGD (erase the customer it was merged into), ERASD (already erased).';
grant execute on function app_public.erase_customer(text, text) to :DATABASE_VISITOR;
--! EndIncluded customers/495-data-requests.sql
