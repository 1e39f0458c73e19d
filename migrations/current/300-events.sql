-- 300-events: the event log and its delivery. Writes that matter (orders, voids, tenders, stock
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
create function app_hidden.business_date(instant timestamptz, timezone text) returns date
language sql immutable parallel safe
as $$
  select (instant at time zone timezone)::date;
$$;
comment on function app_hidden.business_date(timestamptz, text) is 'The date on the clock of a shop in this IANA time zone at this instant.';

/* An instant as ISO 8601 text in UTC, so event payloads do not depend on the session time zone. */
create function app_hidden.iso_utc(instant timestamptz) returns text
language sql immutable parallel safe
as $$
  select to_char(instant at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
$$;
comment on function app_hidden.iso_utc(timestamptz) is 'An instant as ISO 8601 text in UTC (2025-03-10T07:30:00.000000Z).';

/*
 * Trigger: rows of ledgers (events, stock movements, order lines, tenders) are never changed or
 * deleted; corrections are new rows. The one exception is deleting the tenant itself, whose
 * ON DELETE CASCADE removes its rows after the tenant row is gone.
 */
create function app_private.tg__append_only() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if tg_op = 'DELETE' and not exists (select 1 from app_public.tenants t where t.id = old.tenant_id) then
    return old;
  end if;
  perform app_hidden.raise_error('IMMUT', format(
    'Rows of %s are never changed or deleted; record a correcting entry instead.', tg_table_name));
  return null;
end;
$$;
comment on function app_private.tg__append_only() is 'Trigger: refuses updates and deletes of ledger rows (IMMUT), except when their tenant is deleted.';

------------------------------------------------------------------------------------------------
-- The event log

create table app_private.events (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  -- Strict order of appending (ULIDs made in the same millisecond are not ordered).
  seq bigint generated always as identity,
  type text not null check (type ~ '^[a-z][a-z_]*(\.[a-z][a-z_]*)+\.v[1-9][0-9]*$'),
  aggregate_type text not null check (aggregate_type ~ '^[a-z][a-z_]*$'),
  aggregate_id text not null,
  payload jsonb not null check (jsonb_typeof(payload) = 'object'),
  -- The user behind the change (null for the worker); not a foreign key: events never change.
  actor_user_id text,
  occurred_at timestamptz not null default now(),
  primary key (tenant_id, id)
);
create index events_tenant_seq_idx on app_private.events (tenant_id, seq);
create index events_type_seq_idx on app_private.events (type, seq);
create index events_aggregate_idx on app_private.events (tenant_id, aggregate_type, aggregate_id, seq);
select app_private.secure_table('app_private.events');
comment on table app_private.events is 'Append-only event log: one row per change that matters, written in the same transaction as the change (db/EVENTS.md).';
comment on column app_private.events.seq is 'Order in which events were appended; replays follow it.';
comment on column app_private.events.type is 'Versioned event type, such as order.placed.v1.';
comment on column app_private.events.aggregate_type is 'What the event is about: order, inventory_item, customer…';
comment on column app_private.events.aggregate_id is 'Id of the row the event is about (an order id for order and tender events).';
comment on column app_private.events.payload is 'Everything a consumer needs, so that consumers never read the write-side tables (db/EVENTS.md).';
comment on column app_private.events.occurred_at is 'When the change was recorded (the transaction time).';
create trigger _010_append_only before update or delete on app_private.events
  for each row execute function app_private.tg__append_only();

------------------------------------------------------------------------------------------------
-- Subscriptions: which consumer function handles which event type. Global configuration, the
-- same for every tenant (a reference table under Citus). Subscribing is one insert:
--   insert into app_private.event_subscriptions (consumer, event_type, handler)
--   values ('customer_counters', 'order.placed.v1', 'app_private.customer_counters__order_placed(app_private.events)');

create table app_private.event_subscriptions (
  consumer text not null check (consumer ~ '^[a-z][a-z0-9_]{0,62}$'),
  event_type text not null check (event_type ~ '^[a-z][a-z_]*(\.[a-z][a-z_]*)+\.v[1-9][0-9]*$'),
  handler regprocedure not null,
  delivery text not null default 'inline' check (delivery in ('inline', 'async')),
  created_at timestamptz not null default now(),
  primary key (consumer, event_type)
);
create index event_subscriptions_event_type_idx on app_private.event_subscriptions (event_type);
select app_private.secure_table('app_private.event_subscriptions');
comment on table app_private.event_subscriptions is 'Which SQL consumer function handles which event type. The same for every tenant.';
comment on column app_private.event_subscriptions.consumer is 'Name of the consumer (a read model, a counter…); at most once per event and consumer.';
comment on column app_private.event_subscriptions.handler is 'A function taking one app_private.events row; it runs as the writer of the event (the owner).';
comment on column app_private.event_subscriptions.delivery is 'inline: applied inside the transaction that appends the event; async: applied after commit by app_private.replay (a worker).';

create function app_private.tg_event_subscriptions__validate() returns trigger
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
create trigger _050_validate before insert or update on app_private.event_subscriptions
  for each row execute function app_private.tg_event_subscriptions__validate();

------------------------------------------------------------------------------------------------
-- What each consumer has applied

create table app_private.processed_events (
  tenant_id text not null references app_public.tenants on delete cascade,
  event_id text not null,
  consumer text not null,
  processed_at timestamptz not null default now(),
  primary key (tenant_id, event_id, consumer),
  foreign key (tenant_id, event_id) references app_private.events (tenant_id, id) on delete cascade
);
create index processed_events_consumer_idx on app_private.processed_events (consumer, tenant_id);
select app_private.secure_table('app_private.processed_events');
comment on table app_private.processed_events is 'One row per event a consumer has applied; the row is written in the same transaction as the effect.';

------------------------------------------------------------------------------------------------
-- Delivery

/*
 * Runs every consumer subscribed to the event's type (or only `only_consumer`, or only those of
 * one `delivery`), each at most once: the (event, consumer) row is inserted first and the handler
 * runs only when that insert happened. Both commit or roll back together, and a concurrent
 * dispatch of the same event waits on the first one's row and then skips. Returns how many
 * consumers applied the event.
 */
create function app_private.dispatch(evt app_private.events, only_consumer text default null, delivery text default null) returns int
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
 * place events are written: switching a consumer to after-commit delivery is a change of its
 * subscription row (delivery = async), not of this function or of the consumer. The actor
 * defaults to the signed-in user; callers that already know it pass it (one lookup less).
 */
create function app_private.emit_event(
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
 * Re-feeds stored events to one consumer, oldest first (by seq), for every tenant or one; events
 * the consumer already applied are skipped, so a replay re-applies nothing. Also the catch-up
 * loop of async consumers. Returns how many events were applied.
 */
create function app_private.replay(consumer text, tenant_id text default null) returns int
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
create function app_private.reset_consumer(consumer text, tenant_id text default null) returns int
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
