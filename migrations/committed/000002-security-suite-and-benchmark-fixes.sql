--! Previous: sha1:e5482317536e0f20b39cd7b74cd6ad8daaa6277b
--! Hash: sha1:41387775ff8453fc4a2badd9cedd9377bbdcaeec
--! Message: security suite and benchmark fixes

--! split: 1-current.sql
-- Enter migration here

--! split: 3-hostile-input.sql
-- 3-hostile-input: fixes for what the hostile-input property tests (test/security/hostile-input
-- .test.ts) found in the input helpers every command uses. Idempotent: only `create or replace`.
--
-- 1. Blank-looking text passed as present. btrim() removes ASCII spaces only, so a name, note or
--    tag made of other white space (U+3000 ideographic space, U+00A0 no-break space, U+2028 line
--    separator, U+200B zero-width space…) was stored: a customer whose only identifier was an
--    invisible first name (NOIDN bypassed), a display name that shows nothing, a tag " ". Text is
--    now trimmed of all of them (app_hidden.trim_blank), so such input is blank: required fields
--    answer BADIN, optional ones are left empty, tags BADTG.
-- 2. Emails were lower-cased before being checked, and lower() maps some non-ASCII letters to
--    ASCII ones (U+0130 "İ" → "i", U+212A Kelvin sign → "k"): "İnfo@example.com" was accepted and
--    stored as "info@example.com", another person's mailbox. The address is now checked as given
--    (ASCII letters of either case), then lower-cased.

/* The characters trim_blank removes at both ends: ASCII and Unicode white space, zero-width space and BOM. */
create or replace function app_hidden.trim_blank(value text) returns text
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select regexp_replace(value,
    '^[ \t\n\v\f\r\u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+|[ \t\n\v\f\r\u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+$',
    '', 'g');
$$;
comment on function app_hidden.trim_blank(text) is 'The text without white space (ASCII and Unicode, zero-width space, BOM) at either end; '''' when that is all it holds.';

/* Raises BADIN with a message naming the field unless the text is 1..max_length characters after trimming. */
create or replace function app_hidden.assert_name(field text, value text, max_length int default 200) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  trimmed text := app_hidden.trim_blank(value);
begin
  if trimmed is null or trimmed = '' then
    perform app_hidden.raise_error('BADIN', format('%s is required.', field));
  elsif length(trimmed) > max_length then
    perform app_hidden.raise_error('BADIN', format('%s must be at most %s characters.', field, max_length));
  elsif value ~ '[\x01-\x1f\x7f]' then
    perform app_hidden.raise_error('BADIN', format('%s must not contain control characters.', field));
  end if;
  return trimmed;
end;
$$;

/* An optional name: null for null or blank, else trimmed and checked like app_hidden.assert_name (BADIN naming the field). */
create or replace function app_hidden.optional_name(field text, value text, max_length int) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if value is null or app_hidden.trim_blank(value) = '' then
    return null;
  end if;
  return app_hidden.assert_name(field, value, max_length);
end;
$$;

/* Optional free text (notes): null for blank; line breaks and tabs allowed, other control characters not (BADIN). */
create or replace function app_hidden.optional_text(field text, value text, max_length int) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  value := app_hidden.trim_blank(value);
  if value is null or value = '' then
    return null;
  end if;
  if length(value) > max_length then
    perform app_hidden.raise_error('BADIN', format('%s must be at most %s characters.', field, max_length));
  elsif value ~ '[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]' then
    perform app_hidden.raise_error('BADIN', format('%s must not contain control characters.', field));
  end if;
  return value;
end;
$$;

create or replace function app_hidden.assert_valid_email(email text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  cleaned text := app_hidden.trim_blank(email);
begin
  if cleaned is null or cleaned = '' then
    perform app_hidden.raise_error('BADEM', 'An email address is required.');
  end if;
  -- Checked before lower-casing: lower() turns some non-ASCII letters into ASCII ones.
  if length(cleaned) > 254 or cleaned !~ '^[A-Za-z0-9.!#$%&''*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$' then
    perform app_hidden.raise_error('BADEM', format('"%s" is not a valid email address.', left(cleaned, 100)));
  end if;
  return lower(cleaned);
end;
$$;

/* Optional email: null for null or blank, else app_hidden.assert_valid_email (BADEM). */
create or replace function app_hidden.optional_email(email text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if email is null or app_hidden.trim_blank(email) = '' then
    return null;
  end if;
  return app_hidden.assert_valid_email(email);
end;
$$;

/*
 * Customer tags as stored: a JSON array of distinct strings. Each tag is trimmed with inner
 * white space collapsed, 1 to 40 characters; duplicates (ignoring case) are dropped, the first
 * spelling kept; at most 20 tags. Raises BADTG.
 */
create or replace function app_hidden.normalize_tags(tags text[]) returns jsonb
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  result text[] := '{}';
  seen text[] := '{}';
  tag text;
begin
  if tags is null then
    return '[]'::jsonb;
  end if;
  if cardinality(tags) > 200 then
    perform app_hidden.raise_error('BADTG', 'Tags: a customer can have at most 20 tags.');
  end if;
  foreach tag in array tags loop
    if tag ~ '[\x01-\x1f\x7f]' then
      perform app_hidden.raise_error('BADTG', 'Tags must not contain control characters or line breaks.');
    end if;
    tag := app_hidden.trim_blank(regexp_replace(tag,
      '[ \t\n\v\f\r\u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+', ' ', 'g'));
    if tag is null or tag = '' then
      perform app_hidden.raise_error('BADTG', 'Tags cannot be empty.');
    elsif length(tag) > 40 then
      perform app_hidden.raise_error('BADTG', format('Tags: "%s…" is longer than 40 characters.', left(tag, 40)));
    end if;
    if not lower(tag) = any(seen) then
      result := result || tag;
      seen := seen || lower(tag);
    end if;
  end loop;
  if cardinality(result) > 20 then
    perform app_hidden.raise_error('BADTG', 'Tags: a customer can have at most 20 tags.');
  end if;
  return to_jsonb(result);
end;
$$;

-- 3. CSV cells were defused only when their very first character starts a formula; a value that
--    reaches an export with white space in front (" =1+1", a no-break space before "+": names
--    carried by events of imports, or stored before fix 1) was not. The ' now goes in front of
--    any value whose first non-blank character is =, +, -, @, a tab or a carriage return.
--    (No SET clause, like the original: PostgreSQL inlines it into the export queries.)
create or replace function app_hidden.csv_text(value text) returns text
language sql immutable parallel safe
as $$
  select case when value ~ '^[ \n\v\f\u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]*[=+@\t\r-]'
              then '''' || value else value end;
$$;
comment on function app_hidden.csv_text(text) is 'A CSV text cell that a spreadsheet will not run as a formula (a leading '' before =, +, -, @, tab or CR, also after leading white space).';

--! split: 4-crash-recovery.sql
-- 4-crash-recovery: jobs of a worker process that died (SIGKILL, OOM, lost machine) run again
-- at once instead of staying locked for graphile-worker's 4 hours.
--
-- graphile-worker 0.18 locks a job with the id of the worker pool that took it (locked_by) and
-- only unlocks jobs of a pool that died after 4 hours (its periodic "reset locked" sweep); it
-- offers graphile_worker.force_unlock_workers(ids) for whoever knows a pool is dead. Our worker
-- (worker/runner.ts) makes that knowable:
--   * each process picks a key and holds the session advisory lock (app_private.worker_lock_ns(),
--     key) on a connection of its own for as long as it lives; PostgreSQL drops the lock the
--     moment that connection goes (process killed: the kernel closes the socket);
--   * before its pool takes its first job, it records pool id → key here (register_worker_pool);
--   * its job connections carry application_name 'backoffice-worker:<key>'.
-- recover_crashed_workers() (run by every worker at start and then every minute) finds the
-- registered pools whose process lock is not held, terminates what is left of their
-- connections (a killed client's backend can sit in a lock wait and commit later), unlocks
-- their jobs, and fails exports that can no longer finish. Pools it does not know (runOnce in
-- tests, other tools) are never touched. A crashed attempt counts as an attempt.

create table if not exists app_private.worker_pools (
  pool_id text primary key,
  process_key int not null check (process_key > 0),
  hostname text,
  pid int,
  registered_at timestamptz not null default now(),
  -- Set by the first recovery that saw the process lock missing (periodic recoveries wait a grace
  -- period, so that a worker whose liveness connection is reconnecting is not taken for dead).
  seen_dead_at timestamptz
);
create index if not exists worker_pools_process_key_idx on app_private.worker_pools (process_key);
do $$
begin
  if not exists (select 1 from pg_policy where polrelid = 'app_private.worker_pools'::regclass) then
    perform app_private.secure_table('app_private.worker_pools');
  end if;
end;
$$;
comment on table app_private.worker_pools is 'The graphile-worker pools of live (or crashed) worker processes, with the advisory lock key that proves the process alive.';

/* The first key of the advisory locks that worker processes hold while alive ("bowr"). */
create or replace function app_private.worker_lock_ns() returns int
language sql immutable parallel safe
as $$
  select 1651472242;
$$;

/* Whether some session holds the liveness lock of a worker process. */
create or replace function app_private.worker_process_alive(process_key int) returns boolean
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select exists (
    select 1 from pg_locks l
    where l.locktype = 'advisory' and l.granted and l.objsubid = 2
      and l.database = (select d.oid from pg_database d where d.datname = current_database())
      and l.classid = app_private.worker_lock_ns()::oid and l.objid = worker_process_alive.process_key::oid);
$$;

/*
 * Records that a pool belongs to the process whose liveness lock the calling session holds
 * (raises otherwise: an unproven registration would make a live pool look dead).
 */
create or replace function app_private.register_worker_pool(pool_id text, process_key int, hostname text, pid int) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if not exists (select 1 from pg_locks l
                 where l.locktype = 'advisory' and l.granted and l.objsubid = 2 and l.pid = pg_backend_pid()
                   and l.classid = app_private.worker_lock_ns()::oid and l.objid = register_worker_pool.process_key::oid) then
    raise exception 'register_worker_pool: this session does not hold the liveness lock of process %', process_key;
  end if;
  insert into app_private.worker_pools as w (pool_id, process_key, hostname, pid)
  values (register_worker_pool.pool_id, register_worker_pool.process_key, register_worker_pool.hostname, register_worker_pool.pid)
  on conflict on constraint worker_pools_pkey do update set process_key = excluded.process_key, seen_dead_at = null;
end;
$$;
comment on function app_private.register_worker_pool(text, int, text, int) is 'Records a worker pool of the live process whose liveness lock this session holds (worker).';

/*
 * Unlocks the jobs of worker pools whose process is dead: dead when its liveness lock is not held,
 * for at least `grace` (0 at a worker's start). Terminates the connections the dead process left
 * behind first. Returns the pools recovered and how many jobs they had locked.
 */
create or replace function app_private.recover_crashed_workers(grace interval default '0 seconds')
returns table (pool_id text, jobs_unlocked int)
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  dead text[];
  dead_keys int[];
begin
  -- One recovery at a time (workers starting together).
  perform pg_advisory_xact_lock(app_private.worker_lock_ns(), 0);
  update app_private.worker_pools w set seen_dead_at = null
    where w.seen_dead_at is not null and app_private.worker_process_alive(w.process_key);
  update app_private.worker_pools w set seen_dead_at = now()
    where w.seen_dead_at is null and not app_private.worker_process_alive(w.process_key);
  select array_agg(w.pool_id), array_agg(distinct w.process_key) into dead, dead_keys
  from app_private.worker_pools w
  where w.seen_dead_at <= now() - grace and not app_private.worker_process_alive(w.process_key);
  if dead is null then
    return;
  end if;

  -- A killed client's backend lives on until it next talks to the client: one waiting for a lock
  -- would still write (and commit) when it gets it. pg_terminate_backend waits up to 5 s.
  perform pg_terminate_backend(a.pid, 5000)
  from pg_stat_activity a
  where a.datname = current_database() and a.pid <> pg_backend_pid()
    and a.application_name = any (select 'backoffice-worker:' || k from unnest(dead_keys) k);

  return query
    select d.pool_id, (select count(*)::int from graphile_worker._private_jobs j where j.locked_by = d.pool_id)
    from unnest(dead) as d(pool_id);
  perform graphile_worker.force_unlock_workers(dead);
  delete from app_private.worker_pools w where w.pool_id = any(dead);

  -- An export whose job is gone, or crashed on its last attempt, would say "running" forever.
  perform app_private.fail_export(e.tenant_id, e.id, 'The export could not be written. Please try again.')
  from reporting.exports e
  where e.status in ('pending', 'running')
    and not exists (select 1 from graphile_worker._private_jobs j
                    join graphile_worker._private_tasks t on t.id = j.task_id
                    where t.identifier = 'export_csv' and j.payload ->> 'exportId' = e.id
                      and j.payload ->> 'tenantId' = e.tenant_id
                      and (j.locked_at is not null or j.attempts < j.max_attempts));
end;
$$;
comment on function app_private.recover_crashed_workers(interval) is 'Unlocks the jobs of worker processes that died (worker, at start and every minute); returns the pools recovered.';

--! split: 5-web-security.sql
-- 5-web-security: sign-in is rate-limited per client IP address, in the database so that every
-- API process (and every machine) shares the count. The per-account lockout of app_hidden.login
-- stops guessing one account's password; this stops one address from spraying many accounts.
-- Only failed attempts count (a successful sign-in gives its attempt back), so an office behind
-- one address is not locked out by its own staff signing in every morning.
-- Idempotent: dropped and created again each time graphile-migrate re-runs current files.

drop function if exists app_hidden.login_from(text, text, text);
drop table if exists app_private.login_throttle;

create table app_private.login_throttle (
  ip text primary key,
  window_started_at timestamptz not null default now(),
  attempts int not null default 0
);
comment on table app_private.login_throttle is
  'Sign-in attempts per client IP address in the current 15-minute window (app_hidden.login_from); not tenant-owned: an address is no business''s.';
select app_private.secure_table('app_private.login_throttle');

/*
 * Sign-in from a client address: refuses with RATEL (detail: seconds until the window ends) once
 * the address has 20 failed attempts in its 15-minute window, before any password is checked;
 * otherwise app_hidden.login. The attempt is counted first (atomically, so parallel requests
 * cannot slip past the limit) and given back when the sign-in succeeds.
 */
create function app_hidden.login_from(ip text, email text, password text) returns uuid
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  max_failures constant int := 20;
  window_length constant interval := interval '15 minutes';
  counted app_private.login_throttle;
  new_session uuid;
begin
  if ip is null or length(ip) > 64 then
    perform app_hidden.raise_error('BADIN', 'The client address is missing.');
  end if;
  insert into app_private.login_throttle as t (ip, window_started_at, attempts) values (login_from.ip, now(), 1)
  on conflict on constraint login_throttle_pkey do update set
    window_started_at = case when t.window_started_at <= now() - window_length then now() else t.window_started_at end,
    attempts = case when t.window_started_at <= now() - window_length then 1 else t.attempts + 1 end
  returning * into counted;
  if counted.attempts > max_failures then
    perform app_hidden.raise_error('RATEL',
      format('Too many failed sign-ins from your network. Try again in %s minutes.',
             ceil(extract(epoch from counted.window_started_at + window_length - now()) / 60)::int),
      greatest(1, ceil(extract(epoch from counted.window_started_at + window_length - now())))::int::text);
  end if;
  new_session := app_hidden.login(email, password);
  if new_session is not null then
    update app_private.login_throttle set attempts = greatest(attempts - 1, 0) where login_throttle.ip = login_from.ip;
  end if;
  -- Forget addresses whose window ended long ago, now and then.
  if random() < 0.01 then
    delete from app_private.login_throttle where window_started_at < now() - interval '1 day';
  end if;
  return new_session;
end;
$$;
comment on function app_hidden.login_from(text, text, text) is
  'app_hidden.login, refused with RATEL (detail: seconds to wait) after 20 failed sign-ins from the client address within 15 minutes.';
revoke all on function app_hidden.login_from(text, text, text) from public;
grant execute on function app_hidden.login_from(text, text, text) to :DATABASE_VISITOR;

--! split: 6-bench-read-paths.sql
-- 6-bench-read-paths: what the read-path benchmarks (bench/cases/search, dashboard, rebuild, api)
-- measured and changed.
--
-- The Customers list (web/app/src/customers/CustomersPage.tsx) always filters on status and sorts
-- by last visit, and asks for totalCount. With only (tenant_id, last_visit_at desc, id) the count
-- visited the heap for every customer who came, to read status (API role, 20,000-customer tenant,
-- 15,707 rows: Index Scan using customers_last_visit_idx, Filter status = 'active', 15,878 buffers,
-- 23.3 ms). With status in the key the count is an index-only scan (Heap Fetches: 0, 7.0 ms) and
-- the page reads the index in order (0.25 ms). The count is still proportional to the customers
-- who came; see the benchmark report for the rest.
create index if not exists customers_status_last_visit_idx
  on app_public.customers (tenant_id, status, last_visit_at desc, id);

--! split: 7-bench-write-paths.sql
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

--! split: 8-stripe-inbox-batch.sql
-- 8-stripe-inbox-batch: store several verified Stripe events in one transaction (the webhook
-- route's group commit, web/server/stripe-inbox.ts). Same rules as receive_stripe_event, set
-- based: one insert, and one graphile_worker.add_jobs for all the new events we act on.
-- Why: graphile_worker.add_job costs ≈ 1.5 ms a call (add_jobs for 200 specs ≈ 19 ms in all),
-- and every transaction that queues a job also notifies, which PostgreSQL commits one at a time.
-- Returns, for each input in order, true when it was stored now and false for a duplicate
-- (already stored, or an earlier copy in the same batch).

create or replace function app_hidden.receive_stripe_events(events jsonb[]) returns boolean[]
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  new_ids text[];
  pending_ids text[];
begin
  if exists (
    select 1 from unnest(events) e
    where coalesce(e ->> 'id', '') !~ '^evt_' or e ->> 'type' is null
       or jsonb_typeof(e -> 'created') is distinct from 'number'
       or jsonb_typeof(e -> 'data' -> 'object') is distinct from 'object'
  ) then
    perform app_hidden.raise_error('BADIN', 'This is not a Stripe event.');
  end if;

  with input as (
    -- One row per event id (the first copy), in id order so that two batches lock alike.
    select distinct on (e ->> 'id') e, e ->> 'id' as id, e -> 'data' -> 'object' as obj,
           app_private.stripe_event_is_handled(e ->> 'type') as handled
    from unnest(events) with ordinality as t(e, i)
    order by e ->> 'id', i
  ), stored as (
    insert into app_private.stripe_events (id, type, api_version, livemode, stripe_created_at, customer_id, object_id, payload, status, outcome)
    select id, e ->> 'type', e ->> 'api_version', coalesce((e ->> 'livemode')::boolean, false),
           app_private.stripe_time(e -> 'created'),
           case
             when obj ->> 'object' = 'customer' then obj ->> 'id'
             when jsonb_typeof(obj -> 'customer') = 'string' then obj ->> 'customer'
             when jsonb_typeof(obj -> 'customer') = 'object' then obj -> 'customer' ->> 'id'
           end,
           obj ->> 'id', e,
           case when handled then 'pending' else 'ignored' end,
           case when handled then null else 'type not used' end
    from input
    order by id
    on conflict (id) do nothing
    returning app_private.stripe_events.id, app_private.stripe_events.status
  )
  select coalesce(array_agg(s.id), '{}'), coalesce(array_agg(s.id) filter (where s.status = 'pending'), '{}')
  into new_ids, pending_ids
  from stored s;

  if cardinality(pending_ids) > 0 then
    perform graphile_worker.add_jobs(array(
      select row('stripe_apply_event', json_build_object('eventId', p), null, null, 15, null, null, null)::graphile_worker.job_spec
      from unnest(pending_ids) p
    ));
  end if;

  return array(
    select (e ->> 'id') = any(new_ids) and row_number() over (partition by e ->> 'id' order by i) = 1
    from unnest(events) with ordinality as t(e, i)
    order by i
  );
end;
$$;
comment on function app_hidden.receive_stripe_events(jsonb[]) is 'Stores verified Stripe events once each and queues the jobs applying them, in one transaction; for each input, false when it is a duplicate. Executable by the authenticator role only.';
revoke execute on function app_hidden.receive_stripe_events(jsonb[]) from public;
revoke execute on function app_hidden.receive_stripe_events(jsonb[]) from :DATABASE_VISITOR;
grant execute on function app_hidden.receive_stripe_events(jsonb[]) to :DATABASE_AUTHENTICATOR;

--! split: 9-search-prefix-first.sql
-- 9-search-prefix-first: search_customers skips the substring lookup when the prefix matches
-- already fill the 10 places (they rank first, so the answer is the same).
--
-- Why (bench/cases/search.ts, 100,000 customers in the tenant, 500,000 in the database): p95 of
-- 3- and 5-character queries was 38.7 and 26.9 ms against 3.7 ms for 1-2 characters. auto_explain
-- of 'mar': the trigram lookup took 13.4 of 15.4 ms, because the trigram GIN indexes hold every
-- tenant's customers (tenant_id is left out of them, see 400-customers), so its cost grows with
-- the whole database. Queries people type are mostly prefixes of a name, an email or a phone
-- number; those now cost what 1-2 characters cost. A query that matches fewer than 10 prefixes
-- still gets the substring lookup.
--
-- And the prefix branches run with bitmap scans off. The full-size run showed 3-character p95 at
-- 92 ms although most queries never reached the substring lookup: for a common prefix ('wil')
-- the planner estimated 2 rows and chose the trigram GIN index (every tenant's customers) with a
-- bitmap heap scan and a sort — 3,530 index rows, 2,345 removed by recheck, 6.8 ms at 10% scale
-- — instead of reading the tenant's btree prefix index in order and stopping after 10 (0.04 ms).
-- The substring lookup (customers_containing) needs bitmap scans and turns them back on.

create or replace function app_public.search_customers(q text) returns setof app_public.customers
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
set enable_bitmapscan to off
as $$
declare
  tenant text := app_hidden.customers_reader_tenant();
  term text := lower(btrim(regexp_replace(coalesce(q, ''), '\s+', ' ', 'g')));
  escaped text;
  digits text;
  calling_code text;
  national text;
  phone_prefix text;
  phone_part text;
  branches text[] := '{}';
  prefix_hits int;
  live constant text := 'c.tenant_id = $1 and c.status <> ''merged''';
begin
  if tenant is null or term = '' then
    return;
  end if;
  term := left(term, 100);
  -- chr(92) is the backslash (written out: graphile-migrate's SQL minifier misreads '\').
  escaped := replace(replace(replace(term, chr(92), chr(92) || chr(92)), '%', chr(92) || '%'), '_', chr(92) || '_');

  branches := branches || format(
    '(select c.id, 1 as rank from app_public.customers c
      where %s and lower(c.display_name) like %L order by lower(c.display_name) using ~<~ limit 10)', live, escaped || '%');
  branches := branches || format(
    '(select c.id, 2 from app_public.customers c
      where %s and lower(c.last_name) like %L order by lower(c.last_name) using ~<~ limit 10)', live, escaped || '%');
  branches := branches || format(
    '(select c.id, 2 from app_public.customers c
      where %s and c.email like %L order by c.email using ~<~ limit 10)', live, escaped || '%');

  -- Something that looks like a phone number: match the stored E.164 form.
  if term ~ '^\+?[0-9 ().\-/]+$' then
    digits := regexp_replace(term, '[^0-9]', '', 'g');
    if left(term, 1) = '+' then
      phone_prefix := '+' || digits;
      phone_part := digits;
    elsif left(digits, 2) = '00' then
      phone_prefix := '+' || substr(digits, 3);
      phone_part := substr(digits, 3);
    else
      select app_hidden.country_calling_code(t.default_country) into calling_code
      from app_public.tenants t where t.id = tenant;
      national := case when calling_code = '39' then digits else ltrim(digits, '0') end;
      if calling_code is not null and national <> '' then
        phone_prefix := '+' || calling_code || national;
      end if;
      phone_part := national;
    end if;
    if phone_prefix is not null and length(phone_prefix) > 1 then
      branches := branches || format(
        '(select c.id, 2 from app_public.customers c
          where %s and c.phone like %L order by c.phone using ~<~ limit 10)', live, phone_prefix || '%');
    end if;
  end if;

  -- Substrings rank after every prefix match: when the prefixes alone give 10 customers, the
  -- substring lookup cannot change the answer, so it is skipped (it is the slow path).
  if length(term) >= 3 then
    execute format('select count(distinct h.id) from (%s) h', array_to_string(branches, ' union all '))
      into prefix_hits using tenant;
  end if;
  if length(term) >= 3 and prefix_hits < 10 then
    branches := branches || format(
      '(select x.id, 3 from app_private.customers_containing($1, %L, %L) as x(id))',
      '%' || escaped || '%',
      case when length(phone_part) >= 3 then '%' || phone_part || '%' end);
  end if;

  return query execute format(
    'with hits as (%s),
          best as (select h.id, min(h.rank) as rank from hits h group by h.id)
     select c.* from best join app_public.customers c on c.tenant_id = $1 and c.id = best.id
     order by best.rank, lower(c.display_name) using ~<~, c.id
     limit 10',
    array_to_string(branches, ' union all '))
  using tenant;
end;
$$;

alter function app_private.customers_containing(text, text, text) set enable_bitmapscan to on;
