--! Previous: sha1:6787fe8acf3960b252f99d0f086af3ee738b7b92
--! Hash: sha1:55bf55f4ed026e10ace47daafda1db7a72471dcb
--! Message: Holes closed, run log, audit reasons, suspension history

--! split: 1-sessions-and-signatures.sql
-- Sessions are stored by the SHA-256 of their secret, not the secret (identity/200-current-session
-- .sql). Existing sessions keep working: their hash is the hash of their old id, and the id
-- becomes a new random handle, so the secret is no longer anywhere in the table.
alter table app_private.sessions add column if not exists secret_hash bytea;
update app_private.sessions set secret_hash = sha256(convert_to(id::text, 'UTF8')), id = gen_random_uuid()
where secret_hash is null;
alter table app_private.sessions alter column secret_hash set not null;
create unique index if not exists sessions_secret_hash_key on app_private.sessions (secret_hash);
comment on table app_private.sessions is 'Signed-in sessions, found by the SHA-256 of the secret in the session cookie (never stored); active_tenant_id is the tenant the user works in.';
comment on column app_private.sessions.id is 'A handle for the session row; not the secret.';
comment on column app_private.sessions.secret_hash is 'SHA-256 of the session secret (app_hidden.session_secret_hash).';
-- Commands that now take a reason (kept in the audit log): the old signatures go before the
-- fixtures create the new ones.
drop function if exists app_public.archive_customer(text);
drop function if exists app_public.restore_customer(text);
drop function if exists app_public.merge_customers(text, text);
drop function if exists app_public.change_plan(text);

--! split: 2-customer-order-queue.sql
-- Order events of a customer are applied to the per-customer consumers at commit, customers
-- locked in one order (app_private.apply_customer_orders says why: deadlocks between
-- transactions placing orders for customers in opposite orders).
create table if not exists app_private.customer_order_queue (
  tenant_id text not null references app_public.tenants on delete cascade,
  consumer text not null check (consumer in ('customer_counters', 'reporting_customers')),
  event_id text not null,
  seq bigint not null,
  primary key (tenant_id, consumer, event_id)
);
do $$
begin
  if not exists (select 1 from pg_policy where polrelid = 'app_private.customer_order_queue'::regclass) then
    perform app_private.secure_table('app_private.customer_order_queue');
  end if;
end;
$$;
comment on table app_private.customer_order_queue is 'Order events with a customer that this transaction''s per-customer consumers will apply at its commit (app_private.apply_customer_orders); empty outside a writing transaction.';

--! split: 3-operations.sql
-- Operations you can see: the run log of background jobs, reasons on sensitive actions in the
-- audit trail, the suspension history of a business, and when a subscription fell past due.

-- Every run of a worker task (platform/160-job-runs.sql writes and reads it).
create table if not exists app_private.job_runs (
  id text primary key default public.gen_ulid(),
  task text not null,
  job_id bigint,
  attempt int not null default 1,
  tenant_id text references app_public.tenants on delete cascade,
  pool_id text,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  outcome text not null default 'running' check (outcome in ('running', 'succeeded', 'failed', 'crashed')),
  rows_affected bigint,
  error_code text,
  error_message text check (length(error_message) <= 2000),
  check ((outcome = 'running') = (finished_at is null))
);
create index if not exists job_runs_tenant_idx on app_private.job_runs (tenant_id, started_at desc) where tenant_id is not null;
create index if not exists job_runs_task_idx on app_private.job_runs (task, started_at desc);
create index if not exists job_runs_running_idx on app_private.job_runs (pool_id) where outcome = 'running';
create index if not exists job_runs_started_idx on app_private.job_runs (started_at);
do $$
begin
  if not exists (select 1 from pg_policy where polrelid = 'app_private.job_runs'::regclass) then
    perform app_private.secure_table('app_private.job_runs');
  end if;
end;
$$;
comment on table app_private.job_runs is 'One row per run of a worker task (cron and queued): when, how long, what it did, how it ended. Platform runs have no tenant. Kept 90 days.';

-- Why a sensitive change was made, and which command made it, next to the diff.
alter table app_public.audit_entries
  add column if not exists command text,
  add column if not exists reason text check (length(reason) between 1 and 500);
comment on column app_public.audit_entries.command is E'@behavior +filterBy +orderBy\nThe command that made the change (merge_customers, archive_customer, void_order, change_plan, suspend_tenant…); null for plain edits.';
comment on column app_public.audit_entries.reason is 'Why, as the person who made the change wrote it (mandatory for suspensions).';
comment on column app_public.audit_entries.entity is E'@behavior +filterBy\nTable of the changed row, such as customers or tenants.';
comment on column app_public.audit_entries.actor_user_id is E'@behavior +filterBy\nWho made the change; null when the system did (worker, webhooks).';
comment on column app_public.audit_entries.created_at is E'@behavior +filterBy +orderBy\nWhen the change was made.';
create index if not exists audit_entries_created_idx on app_public.audit_entries (tenant_id, created_at desc, id);
create index if not exists audit_entries_actor_created_idx on app_public.audit_entries (tenant_id, actor_user_id, created_at desc);
create index if not exists audit_entries_command_idx on app_public.audit_entries (tenant_id, command, created_at desc);

-- Every suspension of a business and its end (billing/590-suspension.sql). The tenant row keeps
-- the current state (status, suspension_reason, suspended_at); this keeps the story.
create table if not exists app_public.tenant_suspensions (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  type text not null check (type in ('nonpayment', 'canceled', 'fraud', 'manual', 'technical')),
  reason text not null check (length(reason) between 1 and 500),
  suspended_at timestamptz not null default now(),
  suspended_by text references app_public.users on delete set null,
  ended_at timestamptz,
  ended_by text references app_public.users on delete set null,
  end_reason text check (length(end_reason) between 1 and 500),
  primary key (tenant_id, id),
  check ((ended_at is null) = (end_reason is null))
);
create unique index if not exists tenant_suspensions_open_key on app_public.tenant_suspensions (tenant_id) where ended_at is null;
create index if not exists tenant_suspensions_suspended_idx on app_public.tenant_suspensions (tenant_id, suspended_at desc);
create index if not exists tenant_suspensions_suspended_by_idx on app_public.tenant_suspensions (suspended_by);
create index if not exists tenant_suspensions_ended_by_idx on app_public.tenant_suspensions (ended_by);
do $$
begin
  if not exists (select 1 from pg_policy where polrelid = 'app_public.tenant_suspensions'::regclass) then
    perform app_private.secure_table('app_public.tenant_suspensions');
  end if;
end;
$$;
comment on table app_public.tenant_suspensions is E'@unique id\n@behavior -insert -update -delete\nEvery suspension of the business and its end: type, reason, when and by whom.';
comment on column app_public.tenant_suspensions.tenant_id is '@behavior -*';
comment on constraint tenant_suspensions_pkey on app_public.tenant_suspensions is '@behavior -single -update -delete';
comment on constraint tenant_suspensions_tenant_id_fkey on app_public.tenant_suspensions is E'@fieldName tenant\n@foreignFieldName suspensions';
comment on constraint tenant_suspensions_suspended_by_fkey on app_public.tenant_suspensions is E'@fieldName suspendedByUser\n@foreignFieldName tenantSuspensionsMade';
comment on constraint tenant_suspensions_ended_by_fkey on app_public.tenant_suspensions is E'@fieldName endedByUser\n@foreignFieldName tenantSuspensionsEnded';
comment on column app_public.tenant_suspensions.type is 'nonpayment, canceled (the subscription ended), fraud, manual or technical.';
comment on column app_public.tenant_suspensions.reason is 'Why the business was suspended.';
comment on column app_public.tenant_suspensions.suspended_by is 'Who suspended it; null when billing did.';
comment on column app_public.tenant_suspensions.ended_at is 'When it was reactivated; null while it lasts.';
comment on column app_public.tenant_suspensions.end_reason is 'Why it was reactivated.';
-- The suspension a business is in now, for those made before the history existed.
insert into app_public.tenant_suspensions (tenant_id, type, reason, suspended_at)
select t.id, t.suspension_reason,
       case t.suspension_reason when 'canceled' then 'The subscription ended.' else 'Payment failed.' end,
       coalesce(t.suspended_at, t.updated_at)
from app_public.tenants t
where t.status = 'suspended' and t.suspension_reason is not null
  and not exists (select 1 from app_public.tenant_suspensions s where s.tenant_id = t.id and s.ended_at is null);

alter table app_public.tenants drop constraint if exists tenants_suspension_reason_check;
alter table app_public.tenants add constraint tenants_suspension_reason_check
  check (suspension_reason in ('nonpayment', 'canceled', 'fraud', 'manual', 'technical'));
comment on column app_public.tenants.suspension_reason is 'Why the business is suspended now: nonpayment, canceled, fraud, manual or technical (the whole story is in tenant_suspensions).';

-- Since when a subscription is past due: the daily sweep suspends it after the grace period
-- even when Stripe sends nothing more.
alter table app_public.billing_subscriptions add column if not exists past_due_since timestamptz;
update app_public.billing_subscriptions set past_due_since = updated_at where status = 'past_due' and past_due_since is null;
comment on column app_public.billing_subscriptions.past_due_since is 'When the subscription fell past due (null unless past due); after 14 days the business is suspended.';

-- What app_public.background_jobs returns to a business.
do $$
begin
  if to_regtype('app_public.background_job') is null then
    create type app_public.background_job as (
      id text,
      task text,
      label text,
      attempt int,
      started_at timestamptz,
      finished_at timestamptz,
      duration_ms bigint,
      rows_affected bigint,
      outcome text,
      error_message text
    );
  end if;
end;
$$;
comment on type app_public.background_job is 'A run of a background job of the business.';
comment on column app_public.background_job.label is 'What the job does, in words (CSV export, Plan change…).';
comment on column app_public.background_job.outcome is 'running, succeeded, failed or crashed (the worker died; the job runs again).';
comment on column app_public.background_job.error_message is 'Why it failed, in words; null when it did not.';

-- The audit trail is exempt from suspension (app_private.suspension_exempt_tables says why).
drop policy if exists active_tenant_only on app_public.audit_entries;
drop policy if exists active_tenant_insert on app_public.audit_entries;
drop policy if exists active_tenant_update on app_public.audit_entries;
drop policy if exists active_tenant_delete on app_public.audit_entries;

--! split: 5-fixtures.sql
-- The SQL sources this change edits, in domain order.
--! Included platform/110-input.sql
-- Text input as every command reads it: names, optional names and notes, email addresses. Each
-- helper raises a coded error naming the field, so the admin can say what to fix.
--
-- Blank means blank in any script. btrim() removes ASCII spaces only, so a name, note or tag made
-- of other white space (U+3000 ideographic space, U+00A0 no-break space, U+2028 line separator,
-- U+200B zero-width space…) used to be stored: a customer whose only identifier was an invisible
-- first name, a display name that shows nothing, a tag " ". Every helper trims with trim_blank,
-- so such input is blank: required fields answer BADIN, optional ones are left empty, tags BADTG
-- (found by test/security/hostile-input.test.ts).

/* The text without the white space at both ends: ASCII and Unicode white space, zero-width space and BOM. */
create or replace function app_hidden.trim_blank(value text) returns text
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select regexp_replace(value,
    '^[ \t\n\v\f\r\u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+|[ \t\n\v\f\r\u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+$',
    '', 'g');
$$;
comment on function app_hidden.trim_blank(text) is 'The text without white space (ASCII and Unicode, zero-width space, BOM) at either end; '''' when that is all it holds.';

/*
 * Raises BADIN with a message naming the field unless the text is 1..max_length characters after
 * trimming. `field` is the label people read ("First name"); `column_name` the input it is for
 * (first_name), which the error carries so the client can point at it.
 */
create or replace function app_hidden.assert_name(field text, value text, max_length int default 200, column_name text default null)
returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  trimmed text := app_hidden.trim_blank(value);
begin
  if trimmed is null or trimmed = '' then
    perform app_hidden.raise_error('BADIN', format('%s is required.', field), field => column_name);
  elsif length(trimmed) > max_length then
    perform app_hidden.raise_error('BADIN', format('%s must be at most %s characters.', field, max_length), field => column_name);
  elsif value ~ '[\x01-\x1f\x7f]' then
    perform app_hidden.raise_error('BADIN', format('%s must not contain control characters.', field), field => column_name);
  end if;
  return trimmed;
end;
$$;

/*
 * An email address, trimmed, checked, then lower-cased (BADEM). It is checked as given, ASCII
 * letters of either case: lower() maps some non-ASCII letters to ASCII ones (U+0130 "İ" → "i",
 * U+212A Kelvin sign → "k"), so lower-casing first accepted "İnfo@example.com" as
 * "info@example.com", another person's mailbox.
 */
create or replace function app_hidden.assert_valid_email(email text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  cleaned text := app_hidden.trim_blank(email);
begin
  if cleaned is null or cleaned = '' then
    perform app_hidden.raise_error('BADEM', 'An email address is required.', field => 'email');
  end if;
  -- Checked before lower-casing: lower() turns some non-ASCII letters into ASCII ones.
  if length(cleaned) > 254 or cleaned !~ '^[A-Za-z0-9.!#$%&''*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$' then
    perform app_hidden.raise_error('BADEM', format('"%s" is not a valid email address.', left(cleaned, 100)), field => 'email');
  end if;
  return lower(cleaned);
end;
$$;
comment on function app_hidden.assert_valid_email(text) is 'The email trimmed and lower-cased; raises BADEM when it is not a valid address.';

/* An optional name: null for null or blank, else trimmed and checked like app_hidden.assert_name (BADIN naming the field). */
create or replace function app_hidden.optional_name(field text, value text, max_length int, column_name text default null)
returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if value is null or app_hidden.trim_blank(value) = '' then
    return null;
  end if;
  return app_hidden.assert_name(field, value, max_length, column_name);
end;
$$;
comment on function app_hidden.optional_name(text, text, int, text) is 'Null for blank input, else the trimmed value; raises BADIN when too long or with control characters.';

/* Optional free text (notes): null for blank; line breaks and tabs allowed, other control characters not (BADIN). */
create or replace function app_hidden.optional_text(field text, value text, max_length int, column_name text default null)
returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  value := app_hidden.trim_blank(value);
  if value is null or value = '' then
    return null;
  end if;
  if length(value) > max_length then
    perform app_hidden.raise_error('BADIN', format('%s must be at most %s characters.', field, max_length), field => column_name);
  elsif value ~ '[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]' then
    perform app_hidden.raise_error('BADIN', format('%s must not contain control characters.', field), field => column_name);
  end if;
  return value;
end;
$$;
comment on function app_hidden.optional_text(text, text, int, text) is 'Null for blank input, else the trimmed text; raises BADIN when too long or with control characters other than line breaks and tabs.';

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
comment on function app_hidden.optional_email(text) is 'Null for blank input, else the email trimmed and lower-cased; raises BADEM when invalid.';

/*
 * A time something happened that the caller backdates (an import of past sales or stock
 * changes): not in the future (5 minutes of clock difference allowed), and not before
 * 2000-01-01. The floor catches a wrong year (0001, 1025), and keeps the business dates that
 * events and read models derive from it in the years every client writes the same way: a date
 * before year 1 printed as text lost its BC and landed in AD ("0001-12-31").
 */
create or replace function app_hidden.assert_recorded_time(what text, instant timestamptz, column_name text default null)
returns timestamptz
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if instant > now() + interval '5 minutes' then
    perform app_hidden.raise_error('BADIN', format('%s cannot be in the future.', what), field => column_name);
  elsif instant < timestamptz '2000-01-01 00:00:00+00' then
    perform app_hidden.raise_error('BADIN', format('%s cannot be before 2000-01-01; check the year.', what), field => column_name);
  end if;
  return instant;
end;
$$;
comment on function app_hidden.assert_recorded_time(text, timestamptz, text) is 'A backdated time, checked: not in the future and not before 2000-01-01 (BADIN naming the field).';
--! EndIncluded platform/110-input.sql
--! Included platform/150-worker-recovery.sql
-- Worker crash recovery: jobs of a worker process that died (SIGKILL, OOM, lost machine) run again
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

/* The first key of the advisory locks that worker processes hold while alive ("bowr"). */
create or replace function app_private.worker_lock_ns() returns int
language sql immutable parallel safe
as $$
  select 1651472242;
$$;

/*
 * Whether a worker process is alive: a session of the worker's own role, named as that
 * process's liveness connection (application_name backoffice-worker-alive:<key>), holds its
 * liveness lock. A lock key alone is not proof: anyone who could take advisory locks could
 * queue on a live worker's key (read from pg_locks) and hold it when that worker dies, and the
 * dead pool's jobs would never be recovered. The advisory-lock functions are revoked from
 * PUBLIC in our databases (migrations/afterReset.sql), and the holder must be the worker.
 */
create or replace function app_private.worker_process_alive(process_key int) returns boolean
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select exists (
    select 1 from pg_locks l join pg_stat_activity a on a.pid = l.pid
    where l.locktype = 'advisory' and l.granted and l.objsubid = 2
      and l.database = (select d.oid from pg_database d where d.datname = current_database())
      and l.classid = app_private.worker_lock_ns()::oid and l.objid = worker_process_alive.process_key::oid
      and a.usename = current_user
      and a.application_name = 'backoffice-worker-alive:' || worker_process_alive.process_key);
$$;

/*
 * Records that a pool belongs to the process whose liveness connection is the calling session:
 * it holds the liveness lock and is named for it (raises otherwise: an unproven registration
 * would make a live pool look dead).
 */
create or replace function app_private.register_worker_pool(pool_id text, process_key int, hostname text, pid int) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if not exists (select 1 from pg_locks l
                 where l.locktype = 'advisory' and l.granted and l.objsubid = 2 and l.pid = pg_backend_pid()
                   and l.classid = app_private.worker_lock_ns()::oid and l.objid = register_worker_pool.process_key::oid)
     or current_setting('application_name') <> 'backoffice-worker-alive:' || register_worker_pool.process_key then
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
set lock_timeout to '10s'
as $$
declare
  dead text[];
  dead_keys int[];
begin
  -- One recovery at a time (workers starting together). Never waits long (lock_timeout): the
  -- next run, a minute later, tries again.
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
  perform app_private.mark_crashed_runs(dead);
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
--! EndIncluded platform/150-worker-recovery.sql
--! Included platform/160-job-runs.sql
-- The run log of background work. Every run of a worker task — cron (session cleanup, the fold,
-- export cleanup, the overdue sweep) and queued jobs (exports, Stripe, imports, invoices) — is
-- recorded by one wrapper around the task list (worker/tasks/index.ts): when it started and
-- ended, how many rows it affected, how it ended and the error. A worker that died mid-run has
-- its runs marked crashed by the crash recovery (app_private.recover_crashed_workers). A tenant's
-- members with settings.view see their own business's runs (app_public.background_jobs);
-- operators see everything (app_private.job_health, `npm run ops:jobs`). Kept 90 days.

/* A run begins: returns its id for app_private.job_run_finished. */
create or replace function app_private.job_run_started(task text, job_id bigint, attempt int, tenant_id text, pool_id text)
returns text
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  insert into app_private.job_runs (task, job_id, attempt, tenant_id, pool_id)
  -- A tenant id that is not one (a malformed payload) is not a reason to lose the run.
  select job_run_started.task, job_run_started.job_id, coalesce(job_run_started.attempt, 1),
         (select t.id from app_public.tenants t where t.id = job_run_started.tenant_id), job_run_started.pool_id
  returning id;
$$;
comment on function app_private.job_run_started(text, bigint, int, text, text) is 'Records the start of a worker task run (worker); returns the run id.';

/* A run ends: succeeded (with the rows it affected, when it says) or failed (with the error). */
create or replace function app_private.job_run_finished(run_id text, outcome text, rows_affected bigint, error_code text, error_message text)
returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  update app_private.job_runs r set
    finished_at = now(),
    outcome = job_run_finished.outcome,
    rows_affected = job_run_finished.rows_affected,
    error_code = job_run_finished.error_code,
    error_message = left(job_run_finished.error_message, 2000)
  where r.id = job_run_finished.run_id and r.outcome = 'running';
$$;
comment on function app_private.job_run_finished(text, text, bigint, text, text) is 'Records the end of a worker task run (worker).';

/* Runs still "running" of worker pools that died: crashed (called by the crash recovery). */
create or replace function app_private.mark_crashed_runs(pool_ids text[]) returns int
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  with marked as (
    update app_private.job_runs r set finished_at = now(), outcome = 'crashed',
      error_message = 'The worker running it stopped (crashed or was killed); the job is run again.'
    where r.outcome = 'running' and r.pool_id = any(pool_ids)
    returning 1
  )
  select count(*)::int from marked;
$$;

/* Forgets runs older than `keep` (daily cron cleanup_job_runs). */
create or replace function app_private.delete_old_job_runs(keep interval default '90 days') returns int
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  with gone as (delete from app_private.job_runs r where r.started_at < now() - keep returning 1)
  select count(*)::int from gone;
$$;
comment on function app_private.delete_old_job_runs(interval) is 'Removes job runs older than 90 days (worker crontab).';

/* The tasks a business recognises, in words. */
create or replace function app_hidden.job_task_label(task text) returns text
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select case task
    when 'export_csv' then 'CSV export'
    when 'stripe_create_customer' then 'Billing account setup'
    when 'stripe_create_subscription' then 'Subscription setup'
    when 'stripe_apply_event' then 'Billing update from Stripe'
    when 'stripe_billing_portal' then 'Billing portal'
    when 'stripe_change_plan' then 'Plan change'
    else initcap(replace(task, '_', ' '))
  end;
$$;

/*
 * The background jobs of the current business, newest first (members with settings.view): what
 * ran, when, for how long, how it ended, and the error in words — our coded errors as they
 * were raised, anything else as a sentence (its text can hold SQL or another system's words).
 */
create or replace function app_public.background_jobs() returns setof app_public.background_job
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.current_tenant_id();
begin
  if tenant is null or not app_hidden.has_permission('settings.view') then
    return;
  end if;
  return query
    select r.id, r.task, app_hidden.job_task_label(r.task), r.attempt, r.started_at, r.finished_at,
           (extract(epoch from coalesce(r.finished_at, now()) - r.started_at) * 1000)::bigint,
           r.rows_affected, r.outcome,
           case
             when r.outcome = 'succeeded' or r.outcome = 'running' then null
             when r.outcome = 'crashed' then r.error_message
             when r.error_code ~ '^[A-Z]{5}$' then r.error_message
             else 'It failed on our side; it is retried automatically, and we have been told.'
           end
    from app_private.job_runs r
    where r.tenant_id = tenant
    order by r.started_at desc, r.id desc;
end;
$$;
comment on function app_public.background_jobs() is E'@behavior +connection -list\nBackground jobs of the business (exports, billing, imports), newest first: state, duration and error (needs settings.view).';

/*
 * For operators: every task's last run and outcome, its failures and crashes in the last day,
 * and the oldest job still waiting for it in the queue.
 */
create or replace view app_private.job_health as
  with tasks as (
    select r.task from app_private.job_runs r
    union
    select t.identifier from graphile_worker._private_tasks t
  ), last_run as (
    select distinct on (r.task) r.task, r.started_at, r.finished_at, r.outcome, r.error_message
    from app_private.job_runs r
    order by r.task, r.started_at desc
  )
  select t.task,
         l.started_at as last_started_at,
         l.outcome as last_outcome,
         round(extract(epoch from l.finished_at - l.started_at)::numeric, 3) as last_seconds,
         l.error_message as last_error,
         (select count(*) from app_private.job_runs r
          where r.task = t.task and r.started_at > now() - interval '1 day' and r.outcome in ('failed', 'crashed')) as failures_last_day,
         (select count(*) from app_private.job_runs r where r.task = t.task and r.started_at > now() - interval '1 day') as runs_last_day,
         (select min(j.run_at) from graphile_worker._private_jobs j join graphile_worker._private_tasks x on x.id = j.task_id
          where x.identifier = t.task and j.locked_at is null and j.run_at <= now()) as oldest_queued_at
  from tasks t
  left join last_run l on l.task = t.task
  order by t.task;
comment on view app_private.job_health is 'Operators: each worker task''s last run, failures in the last day and the oldest job waiting (npm run ops:jobs).';
--! EndIncluded platform/160-job-runs.sql
--! Included identity/200-current-session.sql
-- Who is asking: the helpers every policy and command uses. Sessions are rows with a secret id;
-- the server puts only that secret in the request settings (app.session_id) and everything else
-- (user, tenant, permissions) is derived here, never taken from the client.
--
-- Why PL/pgSQL for one-statement helpers: as LANGUAGE sql with a SET clause they are never
-- inlined, and PostgreSQL parses and plans the body of a non-inlined SQL function again at every
-- call. The restrictive active_tenant_* policies evaluate current_suspended_tenant_id() (→
-- current_tenant_id() → current_session_id()) once per statement on every tenant table, about 15
-- times per placed order: 0.53 ms a call as SQL, 0.03 ms in PL/pgSQL, which keeps the plans of its
-- queries for the session (measured by bench/cases/ingestion.ts: the ratio of orders/s with the
-- consumers on to off went from 0.56 to 0.70). current_permissions() (0.9 ms a call as SQL) and
-- has_permission() are the same case for reads.

/* The permissions a tenant role may carry. */
create or replace function app_hidden.all_permissions() returns text[]
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select array[
    'customers.view', 'customers.create', 'customers.update', 'customers.merge',
    'sales.sell', 'sales.void', 'catalog.manage', 'inventory.manage',
    'reports.view', 'reports.export',
    'settings.view', 'settings.update'
  ]::text[];
$$;
comment on function app_hidden.all_permissions() is 'Every permission a tenant role can carry.';

/*
 * Sessions are found by the SHA-256 of their secret: the secret itself (the cookie value, which
 * the server puts in app.session_id) is never stored, so a backup, a replica or a log of the
 * sessions table cannot be replayed as someone's cookie. A uuid from gen_random_uuid() has 122
 * random bits, so a fast hash is enough (nothing to guess, unlike a password).
 */
create or replace function app_hidden.session_secret_hash(secret uuid) returns bytea
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select sha256(convert_to(secret::text, 'UTF8'));
$$;
comment on function app_hidden.session_secret_hash(uuid) is 'The SHA-256 under which the session with this secret is stored.';

/* The hash of the session secret in the request settings, or null when absent or malformed. */
create or replace function app_hidden.current_session_hash() returns bytea
language plpgsql stable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
declare
  s text := current_setting('app.session_id', true);
begin
  if s ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then
    return app_hidden.session_secret_hash(s::uuid);
  end if;
  return null;
end;
$$;
comment on function app_hidden.current_session_hash() is 'The SHA-256 of the session secret of this request, if any.';

/* The id of this request's session (not its secret), or null. */
create or replace function app_hidden.current_session_id() returns uuid
language plpgsql stable security definer parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
begin
  return (select s.id from app_private.sessions s where s.secret_hash = app_hidden.current_session_hash());
end;
$$;
comment on function app_hidden.current_session_id() is 'The id of the session of this request (a row id, not the secret), if any.';

/*
 * A new session of a user in a tenant: stores the hash of a new secret and returns the secret,
 * which only the caller (the server, for the cookie) ever sees.
 */
create or replace function app_private.new_session(user_id text, tenant_id text) returns uuid
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  secret uuid := gen_random_uuid();
begin
  insert into app_private.sessions (user_id, active_tenant_id, secret_hash)
  values (new_session.user_id, new_session.tenant_id, app_hidden.session_secret_hash(secret));
  return secret;
end;
$$;
comment on function app_private.new_session(text, text) is 'Starts a session; returns its secret (the cookie value), of which only the hash is stored.';

/* The signed-in user, from an unexpired session. */
create or replace function app_hidden.current_user_id() returns text
language plpgsql stable security definer parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
begin
  return (select s.user_id from app_private.sessions s
          where s.secret_hash = app_hidden.current_session_hash() and s.expires_at > now());
end;
$$;
comment on function app_hidden.current_user_id() is 'The signed-in user, from an unexpired session.';

/* The session's active tenant, only while the user is still a member of it. */
create or replace function app_hidden.current_tenant_id() returns text
language plpgsql stable security definer parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
begin
  return (select s.active_tenant_id
          from app_private.sessions s
          join app_public.memberships m on m.tenant_id = s.active_tenant_id and m.user_id = s.user_id
          where s.secret_hash = app_hidden.current_session_hash() and s.expires_at > now());
end;
$$;
comment on function app_hidden.current_tenant_id() is 'The tenant the signed-in user works in, while they are still a member of it.';

/* The permissions of the user's role in the current tenant (empty when none). */
create or replace function app_hidden.current_permissions() returns text[]
language plpgsql stable security definer parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
begin
  return (select coalesce(r.permissions, '{}')
          from app_private.sessions s
          join app_public.memberships m on m.tenant_id = s.active_tenant_id and m.user_id = s.user_id
          join app_public.roles r on r.tenant_id = m.tenant_id and r.id = m.role_id
          where s.secret_hash = app_hidden.current_session_hash() and s.expires_at > now());
end;
$$;
comment on function app_hidden.current_permissions() is 'Permissions of the signed-in user in the current tenant.';

create or replace function app_hidden.has_permission(permission text) returns boolean
language plpgsql stable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
begin
  return coalesce(has_permission.permission = any(app_hidden.current_permissions()), false);
end;
$$;
comment on function app_hidden.has_permission(text) is 'Whether the signed-in user holds this permission in the current tenant.';

/* Raises LOGIN without a session in a tenant, TSUSP when it is suspended, DNIED without the permission; returns the tenant id. */
create or replace function app_hidden.assert_permission(permission text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.current_tenant_id();
begin
  if tenant is null then
    perform app_hidden.raise_error('LOGIN', 'Please sign in to continue.');
  end if;
  -- A suspended business may only read and pay (TSUSP; app_hidden.assert_tenant_active).
  perform app_hidden.assert_tenant_active();
  if not app_hidden.has_permission(permission) then
    perform app_hidden.raise_error('DNIED', format('Your role does not allow this (it needs the %s permission).', permission));
  end if;
  return tenant;
end;
$$;

/* Tenants the signed-in user belongs to (for the tenant switcher). */
create or replace function app_hidden.current_user_tenant_ids() returns setof text
language sql stable security definer parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select m.tenant_id from app_public.memberships m where m.user_id = app_hidden.current_user_id();
$$;

/* (tenant, role) of each membership of the signed-in user. */
create or replace function app_hidden.current_user_roles() returns table (tenant_id text, role_id text)
language sql stable security definer parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select m.tenant_id, m.role_id from app_public.memberships m where m.user_id = app_hidden.current_user_id();
$$;
--! EndIncluded identity/200-current-session.sql
--! Included identity/210-audit.sql
-- Who changed what. A generic trigger writes one row per change with the actor and
-- a field-by-field diff computed in SQL (app_hidden.jsonb_diff); an update that changes
-- nothing but timestamps writes nothing. Attached to every table whose changes matter.

drop policy if exists select_with_permission on app_public.audit_entries;
create policy select_with_permission on app_public.audit_entries for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.view'));

revoke all on app_public.audit_entries from :DATABASE_VISITOR;
grant select on app_public.audit_entries to :DATABASE_VISITOR;

/*
 * Why a change is made. A sensitive command (merge, archive, restore, void, plan change,
 * suspension) names itself and the reason its caller gave, for the rest of the transaction:
 * every audit entry written meanwhile carries them (a merge moves notes and addresses too, and
 * each of those entries says "merge_customers" and why). The command clears them when done, so
 * a later statement of the same transaction (two mutations in one GraphQL request) is not
 * mistaken for it. Returns the reason, trimmed and checked (BADIN, field reason; required when
 * `required`).
 */
create or replace function app_private.begin_change(command text, reason text, required boolean default false) returns text
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  why text := case when required then app_hidden.assert_name('The reason', reason, 500, 'reason')
                   else app_hidden.optional_name('The reason', reason, 500, 'reason') end;
begin
  perform set_config('app.change_command', coalesce(command, ''), true);
  perform set_config('app.change_reason', coalesce(why, ''), true);
  return why;
end;
$$;
comment on function app_private.begin_change(text, text, boolean) is 'Names the command and the reason the audit entries of this transaction carry, until app_private.end_change().';

/* Ends what app_private.begin_change started. */
create or replace function app_private.end_change() returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  select set_config('app.change_command', '', true), set_config('app.change_reason', '', true);
$$;

/*
 * Trigger: writes an audit entry. Arguments name fields left out of the diff (timestamps).
 * The tenant is the row's tenant_id, or the row's own id for the tenants table. The command and
 * reason are those app_private.begin_change set, if any.
 */
create or replace function app_private.tg__audit() returns trigger
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  old_row jsonb := case when tg_op in ('UPDATE', 'DELETE') then to_jsonb(old) end;
  new_row jsonb := case when tg_op in ('INSERT', 'UPDATE') then to_jsonb(new) end;
  row_data jsonb := coalesce(new_row, old_row);
  diff jsonb := app_hidden.jsonb_diff(old_row, new_row, coalesce(tg_argv, '{}'::text[]));
begin
  if tg_op = 'UPDATE' and diff = '{}'::jsonb then
    return null;
  end if;
  -- Rows removed because their whole tenant is being deleted leave no trail (nor could they:
  -- the trail belongs to that tenant).
  if tg_op = 'DELETE' and not exists (
    select 1 from app_public.tenants t
    where t.id = case when tg_table_name = 'tenants' then row_data ->> 'id' else row_data ->> 'tenant_id' end) then
    return null;
  end if;
  insert into app_public.audit_entries (tenant_id, entity, entity_id, action, actor_user_id, changes, command, reason)
  values (
    case when tg_table_name = 'tenants' then row_data ->> 'id' else row_data ->> 'tenant_id' end,
    tg_table_name,
    row_data ->> 'id',
    lower(tg_op),
    app_hidden.current_user_id(),
    diff,
    nullif(current_setting('app.change_command', true), ''),
    nullif(current_setting('app.change_reason', true), '')
  );
  return null;
end;
$$;
comment on function app_private.tg__audit() is 'Trigger: one audit entry per change, with the field-by-field diff.';

create or replace trigger _500_audit after insert or update on app_public.tenants
  for each row execute function app_private.tg__audit('created_at', 'updated_at');

create or replace trigger _500_audit after insert or update or delete on app_public.locations
  for each row execute function app_private.tg__audit('created_at', 'updated_at');

create or replace trigger _500_audit after insert or update or delete on app_public.memberships
  for each row execute function app_private.tg__audit('created_at', 'updated_at');
--! EndIncluded identity/210-audit.sql
--! Included identity/220-auth.sql
-- Creating a business, signing in and out, and moving between tenants.
-- onboard/login/logout live in app_hidden: the server calls them and keeps the session secret
-- in an HttpOnly cookie, so the secret never reaches GraphQL or the browser's scripts.

create or replace function app_hidden.assert_strong_password(password text) returns void
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if password is null or length(password) < 10 then
    perform app_hidden.raise_error('WEAKP', 'Choose a password of at least 10 characters.', field => 'password');
  elsif octet_length(password) > 72 then
    perform app_hidden.raise_error('WEAKP', 'Passwords can be at most 72 bytes long.', field => 'password');
  elsif password !~ '[A-Za-z]' or password !~ '[^A-Za-z]' then
    perform app_hidden.raise_error('WEAKP', 'Use letters and at least one digit or symbol in your password.', field => 'password');
  elsif password ~ '^(.)\1*$' or lower(password) in ('password12', 'password123', 'password1234', 'qwerty12345', '1234567890a') then
    perform app_hidden.raise_error('WEAKP', 'That password is too easy to guess.', field => 'password');
  end if;
end;
$$;
comment on function app_hidden.assert_strong_password(text) is 'Raises WEAKP unless the password is long and mixed enough.';

/* The three roles every tenant starts with. */
create or replace function app_private.seed_tenant_roles(tenant text) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  insert into app_public.roles (tenant_id, key, name, permissions) values
    (tenant, 'owner', 'Owner', app_hidden.all_permissions()),
    (tenant, 'manager', 'Manager', array(
      select p from unnest(app_hidden.all_permissions()) as p where p <> 'settings.update')),
    (tenant, 'cashier', 'Cashier', array['customers.view', 'customers.create', 'sales.sell']);
$$;

/* A new tenant with its first location, roles and the given user as owner. Returns the tenant id. */
create or replace function app_private.create_tenant_for(owner_user_id text, company_name text, timezone text) returns text
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text;
begin
  company_name := app_hidden.assert_name('Business name', company_name, 200, 'name');
  perform app_hidden.assert_valid_timezone(timezone);
  insert into app_public.tenants (name) values (company_name) returning id into tenant;
  perform app_private.seed_tenant_roles(tenant);
  insert into app_public.locations (tenant_id, name, timezone) values (tenant, 'Main store', timezone);
  insert into app_public.memberships (tenant_id, user_id, role_id)
    select tenant, owner_user_id, r.id from app_public.roles r where r.tenant_id = tenant and r.key = 'owner';
  return tenant;
end;
$$;

create or replace function app_hidden.onboard(company_name text, owner_name text, email text, password text, timezone text)
returns uuid
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  clean_email text := app_hidden.assert_valid_email(email);
  new_user text;
  tenant text;
begin
  company_name := app_hidden.assert_name('Business name', company_name, 200, 'company_name');
  owner_name := app_hidden.assert_name('Your name', owner_name, 200, 'owner_name');
  perform app_hidden.assert_strong_password(password);
  perform app_hidden.assert_valid_timezone(timezone);
  begin
    insert into app_public.users (email, name) values (clean_email, owner_name) returning id into new_user;
  exception when unique_violation then
    perform app_hidden.raise_error('EMTKN', 'An account with this email already exists; sign in instead.', field => 'email');
  end;
  insert into app_private.user_secrets (user_id, password_hash)
    values (new_user, public.crypt(password, public.gen_salt('bf', 10)));
  tenant := app_private.create_tenant_for(new_user, company_name, timezone);
  return app_private.new_session(new_user, tenant);
end;
$$;
comment on function app_hidden.onboard(text, text, text, text, text) is 'Creates a business, its first location and roles, and its owner; returns the secret of a new session (for the cookie).';

create or replace function app_hidden.login(email text, password text) returns uuid
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  found_user app_public.users;
  secret app_private.user_secrets;
  tenant text;
begin
  select u.* into found_user from app_public.users u where u.email = lower(btrim(login.email));
  if found_user.id is null then
    -- Spend the time of a real check so response times do not reveal which emails exist.
    perform public.crypt(coalesce(password, ''), public.gen_salt('bf', 10));
    return null;
  end if;
  select s.* into secret from app_private.user_secrets s where s.user_id = found_user.id for update;
  if secret.locked_until > now() then
    perform app_hidden.raise_error('LOCKD', format(
      'Too many failed sign-in attempts. Try again in %s minutes.',
      ceil(extract(epoch from secret.locked_until - now()) / 60)::int));
  end if;
  if secret.password_hash = public.crypt(coalesce(password, ''), secret.password_hash) then
    update app_private.user_secrets
      set failed_login_attempts = 0, first_failed_login_at = null, locked_until = null
      where user_id = found_user.id;
    -- Work in the tenant of the latest session, else the first membership.
    select m.tenant_id into tenant
    from app_public.memberships m
    left join lateral (
      select max(s.created_at) as last_used from app_private.sessions s
      where s.user_id = m.user_id and s.active_tenant_id = m.tenant_id
    ) recent on true
    where m.user_id = found_user.id
    order by recent.last_used desc nulls last, m.created_at
    limit 1;
    return app_private.new_session(found_user.id, tenant);
  end if;
  -- Wrong password: count it (the count must commit, so no exception here; the caller reports it).
  update app_private.user_secrets set
    failed_login_attempts = case when first_failed_login_at is null or first_failed_login_at < now() - interval '15 minutes'
                                 then 1 else failed_login_attempts + 1 end,
    first_failed_login_at = case when first_failed_login_at is null or first_failed_login_at < now() - interval '15 minutes'
                                 then now() else first_failed_login_at end
    where user_id = found_user.id
    returning * into secret;
  if secret.failed_login_attempts >= 5 then
    update app_private.user_secrets set locked_until = now() + interval '15 minutes', failed_login_attempts = 0,
      first_failed_login_at = null where user_id = found_user.id;
  end if;
  return null;
end;
$$;
comment on function app_hidden.login(text, text) is 'The secret of a new session for the right email and password; null when they are wrong (counted: 5 failures in 15 minutes lock the account for 15 minutes).';

create or replace function app_hidden.logout() returns void
language sql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
  delete from app_private.sessions where id = app_hidden.current_session_id();
$$;
comment on function app_hidden.logout() is 'Ends the current session.';

create or replace function app_public.current_user() returns app_public.users
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select u.* from app_public.users u where u.id = app_hidden.current_user_id();
$$;
comment on function app_public.current_user() is 'The signed-in user, or null.';

create or replace function app_public.current_tenant() returns app_public.tenants
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select t.* from app_public.tenants t where t.id = app_hidden.current_tenant_id();
$$;
comment on function app_public.current_tenant() is 'The tenant the signed-in user is working in, or null.';

create or replace function app_public.current_permissions() returns text[]
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select app_hidden.current_permissions();
$$;
comment on function app_public.current_permissions() is 'What the signed-in user may do in the current tenant.';

create or replace function app_public.switch_tenant(tenant_id text) returns app_public.tenants
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  result app_public.tenants;
begin
  if app_hidden.current_user_id() is null then
    perform app_hidden.raise_error('LOGIN', 'Please sign in to continue.');
  end if;
  if not exists (select 1 from app_public.memberships m
                 where m.tenant_id = switch_tenant.tenant_id and m.user_id = app_hidden.current_user_id()) then
    perform app_hidden.raise_error('NOTMB', 'You are not a member of that business.');
  end if;
  update app_private.sessions s set active_tenant_id = switch_tenant.tenant_id
    where s.id = app_hidden.current_session_id();
  select t.* into result from app_public.tenants t where t.id = switch_tenant.tenant_id;
  return result;
end;
$$;
comment on function app_public.switch_tenant(text) is 'Work in another business you are a member of.';

/*
 * How many businesses one person may create: 5 within 24 hours and 10 owned that are not
 * closed. Every business brings rows, a trial subscription at Stripe and up to 20 analyst logins
 * (cluster roles with connections of their own), so an account, even a cashier's, must not be
 * able to make them without end. Serialised per person, so parallel requests cannot slip past.
 */
create or replace function app_private.assert_may_create_business(user_id text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  recent int;
  owned int;
begin
  perform pg_advisory_xact_lock(hashtext('app.create_business'), hashtext(assert_may_create_business.user_id));
  select count(*) filter (where m.created_at > now() - interval '24 hours'),
         count(*) filter (where t.status <> 'closed')
    into recent, owned
  from app_public.memberships m
  join app_public.roles r on r.tenant_id = m.tenant_id and r.id = m.role_id and r.key = 'owner'
  join app_public.tenants t on t.id = m.tenant_id
  where m.user_id = assert_may_create_business.user_id;
  if owned >= 10 then
    perform app_hidden.raise_error('BZLIM', 'You own 10 businesses, the most one person may have; close one first or ask us.');
  elsif recent >= 5 then
    perform app_hidden.raise_error('BZLIM', 'You have created 5 businesses in the last 24 hours; try again tomorrow.');
  end if;
end;
$$;
comment on function app_private.assert_may_create_business(text) is 'Raises BZLIM when the user created 5 businesses in 24 hours or owns 10.';

create or replace function app_public.create_business(name text, timezone text) returns app_public.tenants
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  me text := app_hidden.current_user_id();
  tenant text;
  result app_public.tenants;
begin
  if me is null then
    perform app_hidden.raise_error('LOGIN', 'Please sign in to continue.');
  end if;
  perform app_private.assert_may_create_business(me);
  tenant := app_private.create_tenant_for(me, name, timezone);
  update app_private.sessions s set active_tenant_id = tenant where s.id = app_hidden.current_session_id();
  select t.* into result from app_public.tenants t where t.id = tenant;
  return result;
end;
$$;
comment on function app_public.create_business(text, text) is 'Creates another business owned by the signed-in user and switches to it.';

create or replace function app_private.delete_expired_sessions() returns int
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  with gone as (delete from app_private.sessions where expires_at < now() - interval '1 day' returning 1)
  select count(*)::int from gone;
$$;
comment on function app_private.delete_expired_sessions() is 'Removes sessions that expired more than a day ago (worker crontab).';
--! EndIncluded identity/220-auth.sql
--! Included identity/221-sign-in-limit.sql
-- Sign-in is rate-limited per client IP address, in the database so that every
-- API process (and every machine) shares the count. The per-account lockout of app_hidden.login
-- stops guessing one account's password; this stops one address from spraying many accounts.
-- Only failed attempts count (a successful sign-in gives its attempt back), so an office behind
-- one address is not locked out by its own staff signing in every morning.

/*
 * Sign-in from a client address: refuses with RATEL (detail: seconds until the window ends) once
 * the address has 20 failed attempts in its 15-minute window, before any password is checked;
 * otherwise app_hidden.login. The attempt is counted first (atomically, so parallel requests
 * cannot slip past the limit) and given back when the sign-in succeeds.
 */
create or replace function app_hidden.login_from(ip text, email text, password text) returns uuid
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
-- The caller says which address is signing in, so only the server may call it: as the
-- authenticator role itself (its login), never as the API role, whose SQL could claim a fresh
-- address for every attempt. app_hidden.login, which counts nothing per address, is the same.
revoke all on function app_hidden.login_from(text, text, text) from public, :DATABASE_VISITOR;
grant execute on function app_hidden.login_from(text, text, text) to :DATABASE_AUTHENTICATOR;
revoke all on function app_hidden.login(text, text) from public, :DATABASE_VISITOR;
--! EndIncluded identity/221-sign-in-limit.sql
--! Included sales/310-catalog-inventory.sql
-- What a tenant sells (catalog items, priced in cents), what it stocks
-- (inventory items) and the stock ledger (inventory movements), plus the tenant's tax rate.
-- On-hand is never stored: it is the sum of the movements of an item at a location, and
-- movements are append-only, so it cannot drift from its history. Sales may take on-hand below
-- zero (the goods are in the customer's hands; the count was wrong, and the negative number
-- shows it); manual outflows (waste, transfer out, negative adjustments) may not, and are
-- refused with NOSTK. Catalog and inventory items use the generated CRUD, guarded by policies
-- (catalog.manage, inventory.manage) and validation triggers; movements are written only by
-- functions.

create or replace function app_private.tg_tenants__validate_tax_rate() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if new.tax_rate_bps is null or new.tax_rate_bps not between 0 and 10000 then
    perform app_hidden.raise_error('BADIN', 'The tax rate must be between 0 and 10000 basis points (0% to 100%).', field => 'tax_rate_bps');
  end if;
  return new;
end;
$$;

create or replace trigger _050_validate_tax_rate before insert or update of tax_rate_bps on app_public.tenants
  for each row execute function app_private.tg_tenants__validate_tax_rate();

create or replace function app_private.tg_catalog_items__validate() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  new.name := app_hidden.assert_name('Item name', new.name, 200, 'name');
  new.sku := upper(btrim(coalesce(new.sku, '')));
  if new.sku !~ '^[A-Z0-9][A-Z0-9._-]{0,39}$' then
    perform app_hidden.raise_error('BADIN', 'A SKU is 1 to 40 letters, digits, dots, dashes or underscores, starting with a letter or digit.', field => 'sku');
  end if;
  if new.price is null or new.price not between 0 and 10000000 then
    perform app_hidden.raise_error('BADAM', 'The price must be between 0 and 10000000 cents.', field => 'price');
  end if;
  if new.active is null then
    new.active := true;
  end if;
  if exists (select 1 from app_public.catalog_items c
             where c.tenant_id = new.tenant_id and c.sku = new.sku and c.id <> new.id) then
    perform app_hidden.raise_error('DUSKU', format('Another item already has the SKU %s.', new.sku), field => 'sku');
  end if;
  return new;
end;
$$;

create or replace trigger _050_validate before insert or update on app_public.catalog_items
  for each row execute function app_private.tg_catalog_items__validate();

create or replace trigger _100_timestamps before insert or update on app_public.catalog_items
  for each row execute function app_private.tg__timestamps();

create or replace trigger _500_audit after insert or update on app_public.catalog_items
  for each row execute function app_private.tg__audit('created_at', 'updated_at');

drop policy if exists select_own_tenant on app_public.catalog_items;
create policy select_own_tenant on app_public.catalog_items for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));

drop policy if exists insert_with_permission on app_public.catalog_items;
create policy insert_with_permission on app_public.catalog_items for insert to :DATABASE_VISITOR
  with check (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('catalog.manage'));

drop policy if exists update_with_permission on app_public.catalog_items;
create policy update_with_permission on app_public.catalog_items for update to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('catalog.manage'));

revoke all on app_public.catalog_items from :DATABASE_VISITOR;
grant select on app_public.catalog_items to :DATABASE_VISITOR;
grant insert (name, sku, price, active), update (name, sku, price, active) on app_public.catalog_items to :DATABASE_VISITOR;

create or replace function app_private.tg_inventory_items__validate() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  new.name := app_hidden.assert_name('Inventory item name', new.name, 200, 'name');
  if new.low_stock_threshold is null or new.low_stock_threshold not between 0 and 1000000 then
    perform app_hidden.raise_error('BADQT', 'The low-stock threshold must be a whole number from 0 to 1000000.', field => 'low_stock_threshold');
  end if;
  if new.catalog_item_id is not null then
    if not exists (select 1 from app_public.catalog_items c
                   where c.tenant_id = new.tenant_id and c.id = new.catalog_item_id) then
      perform app_hidden.raise_error('NOTFD', format('There is no catalog item %s.', new.catalog_item_id));
    end if;
    if exists (select 1 from app_public.inventory_items i
               where i.tenant_id = new.tenant_id and i.catalog_item_id = new.catalog_item_id and i.id <> new.id) then
      perform app_hidden.raise_error('DUSTK', 'That catalog item is already linked to another inventory item.', field => 'catalog_item_id');
    end if;
  end if;
  return new;
end;
$$;

create or replace trigger _050_validate before insert or update on app_public.inventory_items
  for each row execute function app_private.tg_inventory_items__validate();

create or replace trigger _100_timestamps before insert or update on app_public.inventory_items
  for each row execute function app_private.tg__timestamps();

create or replace trigger _500_audit after insert or update on app_public.inventory_items
  for each row execute function app_private.tg__audit('created_at', 'updated_at');

drop policy if exists select_own_tenant on app_public.inventory_items;
create policy select_own_tenant on app_public.inventory_items for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));

drop policy if exists insert_with_permission on app_public.inventory_items;
create policy insert_with_permission on app_public.inventory_items for insert to :DATABASE_VISITOR
  with check (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('inventory.manage'));

drop policy if exists update_with_permission on app_public.inventory_items;
create policy update_with_permission on app_public.inventory_items for update to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('inventory.manage'));

revoke all on app_public.inventory_items from :DATABASE_VISITOR;
grant select on app_public.inventory_items to :DATABASE_VISITOR;
grant insert (name, catalog_item_id, low_stock_threshold), update (name, catalog_item_id, low_stock_threshold)
  on app_public.inventory_items to :DATABASE_VISITOR;

create or replace trigger _010_append_only before update or delete on app_public.inventory_movements
  for each row execute function app_private.tg__append_only();

drop policy if exists select_own_tenant on app_public.inventory_movements;
create policy select_own_tenant on app_public.inventory_movements for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));

revoke all on app_public.inventory_movements from :DATABASE_VISITOR;
grant select on app_public.inventory_movements to :DATABASE_VISITOR;

/* Trigger: every movement, however written, emits exactly one inventory.movement.created.v1. */
/* What inventory.movement.created.v1 says (m the movement, item its inventory item, loc its location); inlinable, as the other payload functions. */
create or replace function app_private.inventory_movement_event_payload(
  m app_public.inventory_movements, item app_public.inventory_items, loc app_public.locations
) returns jsonb
language sql stable
as $$
  select pg_catalog.jsonb_build_object(
    'movement_id', m.id,
    'location_id', m.location_id,
    'inventory_item_id', m.inventory_item_id,
    'inventory_item_name', item.name,
    'catalog_item_id', item.catalog_item_id,
    'quantity', m.quantity,
    'reason', m.reason,
    'note', m.note,
    'order_id', m.order_id,
    'order_line_id', m.order_line_id,
    'occurred_at', app_hidden.iso_utc(m.occurred_at),
    'business_date', app_hidden.business_date(m.occurred_at, loc.timezone),
    'actor_user_id', m.actor_user_id);
$$;

create or replace function app_private.tg_inventory_movements__emit_event() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  loc app_public.locations;
  item app_public.inventory_items;
begin
  select l.* into loc from app_public.locations l where l.tenant_id = new.tenant_id and l.id = new.location_id;
  select i.* into item from app_public.inventory_items i where i.tenant_id = new.tenant_id and i.id = new.inventory_item_id;
  perform app_private.emit_event(new.tenant_id, 'inventory.movement.created.v1', 'inventory_item', new.inventory_item_id,
    app_private.inventory_movement_event_payload(new, item, loc), new.actor_user_id);
  return null;
end;
$$;

create or replace trigger _900_emit_event after insert on app_public.inventory_movements
  for each row execute function app_private.tg_inventory_movements__emit_event();

/* On-hand of an item at a location: the sum of its movements. */
create or replace function app_private.on_hand(tenant_id text, location_id text, inventory_item_id text) returns int
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(sum(m.quantity), 0)::int
  from app_public.inventory_movements m
  where m.tenant_id = on_hand.tenant_id and m.inventory_item_id = on_hand.inventory_item_id
    and m.location_id = on_hand.location_id;
$$;

create or replace function app_public.inventory_items_on_hand(item app_public.inventory_items, location_id text default null) returns int
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(sum(m.quantity), 0)::int
  from app_public.inventory_movements m
  where m.tenant_id = item.tenant_id and m.inventory_item_id = item.id
    and (inventory_items_on_hand.location_id is null or m.location_id = inventory_items_on_hand.location_id);
$$;
comment on function app_public.inventory_items_on_hand(app_public.inventory_items, text) is 'Units on hand: the sum of the movements, at one location or (without a location) at all of them. Can be negative when more was sold than was recorded as received.';

create or replace function app_public.inventory_items_is_low_stock(item app_public.inventory_items, location_id text default null) returns boolean
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select app_public.inventory_items_on_hand(item, location_id) <= item.low_stock_threshold;
$$;
comment on function app_public.inventory_items_is_low_stock(app_public.inventory_items, text) is 'Whether on-hand (at one location, or at all of them) is at or below the low-stock threshold.';

/*
 * Records a stock change other than a sale. quantity is the signed change of on-hand and must
 * agree with the reason: receive and transfer_in add (> 0), waste and transfer_out remove (< 0),
 * adjustment either way (≠ 0). An outflow that would take on-hand at the location below zero is
 * refused (NOSTK); outflows of the same item are serialised by a lock on the item so that two
 * of them cannot both pass the check. occurred_at (past only) is for imports and needs
 * settings.update.
 */
create or replace function app_public.record_inventory_movement(
  location_id text, inventory_item_id text, quantity int, reason text, note text default null,
  occurred_at timestamptz default null
) returns app_public.inventory_movements
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('inventory.manage');
  result app_public.inventory_movements;
  available int;
begin
  if occurred_at is not null then
    if not app_hidden.has_permission('settings.update') then
      perform app_hidden.raise_error('DNIED', 'Only an owner (settings.update) can record stock changes with a past date.');
    end if;
    perform app_hidden.assert_recorded_time('The time of a stock change', occurred_at, 'occurred_at');
  end if;
  if not exists (select 1 from app_public.locations l
                 where l.tenant_id = tenant and l.id = record_inventory_movement.location_id) then
    perform app_hidden.raise_error('NOTFD', format('There is no location %s.', record_inventory_movement.location_id));
  end if;
  -- Locks the item against other outflows (not against sales, whose foreign keys take KEY SHARE).
  perform 1 from app_public.inventory_items i
    where i.tenant_id = tenant and i.id = record_inventory_movement.inventory_item_id
    for no key update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no inventory item %s.', record_inventory_movement.inventory_item_id));
  end if;
  if reason is null or reason not in ('receive', 'adjustment', 'waste', 'transfer_in', 'transfer_out') then
    perform app_hidden.raise_error('BADIN', case when reason = 'sale'
      then 'Sales take stock out by themselves when an order is placed.'
      else 'The reason must be receive, adjustment, waste, transfer_in or transfer_out.' end);
  end if;
  if quantity is null or quantity = 0 or abs(quantity) > 1000000 then
    perform app_hidden.raise_error('BADQT', 'The quantity must be a whole number of units, not zero, at most 1000000 either way.');
  elsif reason in ('receive', 'transfer_in') and quantity < 0 then
    perform app_hidden.raise_error('BADQT', format('A %s adds stock: give a positive quantity.', replace(reason, '_', ' ')));
  elsif reason in ('waste', 'transfer_out') and quantity > 0 then
    perform app_hidden.raise_error('BADQT', format('A %s removes stock: give a negative quantity.', replace(reason, '_', ' ')));
  end if;
  if note is not null then
    note := nullif(btrim(note), '');
    if length(note) > 500 then
      perform app_hidden.raise_error('BADIN', 'The note must be at most 500 characters.', field => 'note');
    end if;
  end if;
  if quantity < 0 then
    available := app_private.on_hand(tenant, record_inventory_movement.location_id, record_inventory_movement.inventory_item_id);
    if available + quantity < 0 then
      perform app_hidden.raise_error('NOSTK', format(
        'Only %s on hand at this location; cannot take out %s.', greatest(available, 0), -quantity));
    end if;
  end if;
  insert into app_public.inventory_movements
    (tenant_id, location_id, inventory_item_id, quantity, reason, note, actor_user_id, occurred_at)
  values
    (tenant, record_inventory_movement.location_id, record_inventory_movement.inventory_item_id,
     record_inventory_movement.quantity, record_inventory_movement.reason, record_inventory_movement.note,
     app_hidden.current_user_id(), coalesce(record_inventory_movement.occurred_at, now()))
  returning * into result;
  return result;
end;
$$;
comment on function app_public.record_inventory_movement(text, text, int, text, text, timestamptz) is
  E'@resultFieldName inventoryMovement\nRecords a stock change other than a sale (needs inventory.manage). quantity is the signed change: receive and transfer_in positive, waste and transfer_out negative, adjustment either. Outflows cannot take on-hand below zero. occurredAt backdates an import (owners only).';
--! EndIncluded sales/310-catalog-inventory.sql
--! Included sales/320-orders.sql
-- Orders, their lines and tenders, and the functions that are the only way to write
-- them (place_order, record_tender, void_order; quote_order prices a cart without writing).
-- The API role has no insert, update or delete grant on these tables, so PostGraphile generates
-- no CRUD for them. Every total is computed here from catalog prices and the tenant's tax rate.
--
-- Pricing and rounding (db/EVENTS.md repeats it):
--   * prices are tax-exclusive integer cents; a line's subtotal is unit price × quantity;
--   * a line discount is cents off that line (0 ≤ discount ≤ line subtotal);
--   * the order discount is cents off the whole order (0 ≤ discount ≤ sum of lines after their
--     own discounts); it is spread over the lines in proportion to their amounts after line
--     discounts, rounding down, and the cents left over go one each to the lines with the largest
--     remainders (ties: the earlier line), so the shares add up to the order discount exactly;
--   * tax is computed per line on the line's net amount (after both discounts) and rounded
--     half up to the cent: tax = floor((net × tax_rate_bps + 5000) / 10000);
--   * order tax_total is the sum of the line taxes (so it can differ by a cent or so from
--     rounding the tax of the whole order once); total = subtotal − discount_total + tax_total.

create or replace trigger _100_timestamps before insert or update on app_public.orders
  for each row execute function app_private.tg__timestamps();

-- Voids are in the audit log, with their reason (orders change only when voided; placing one
-- writes no audit row: the order and its event are the record).
create or replace trigger _500_audit after update on app_public.orders
  for each row execute function app_private.tg__audit('created_at', 'updated_at');

drop policy if exists select_own_tenant on app_public.orders;
create policy select_own_tenant on app_public.orders for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));

revoke all on app_public.orders from :DATABASE_VISITOR;
grant select on app_public.orders to :DATABASE_VISITOR;

create or replace trigger _010_append_only before update or delete on app_public.order_lines
  for each row execute function app_private.tg__append_only();

drop policy if exists select_own_tenant on app_public.order_lines;
create policy select_own_tenant on app_public.order_lines for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));

revoke all on app_public.order_lines from :DATABASE_VISITOR;
grant select on app_public.order_lines to :DATABASE_VISITOR;

create or replace trigger _010_append_only before update or delete on app_public.tenders
  for each row execute function app_private.tg__append_only();

drop policy if exists select_own_tenant on app_public.tenders;
create policy select_own_tenant on app_public.tenders for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));

revoke all on app_public.tenders from :DATABASE_VISITOR;
grant select on app_public.tenders to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Event payloads

/*
 * The order as consumers need it: where, when, who, the amounts, and the lines. PL/pgSQL rather
 * than SQL so that its plan is cached (it runs on every order).
 */
create or replace function app_private.order_event_payload(o app_public.orders) returns jsonb
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  return (select jsonb_build_object(
    'order_id', o.id,
    'location_id', o.location_id,
    'business_date', to_char(o.business_date, 'YYYY-MM-DD'),
    'placed_at', app_hidden.iso_utc(o.placed_at),
    'customer_id', o.customer_id,
    'placed_by_user_id', o.placed_by_user_id,
    'tax_rate_bps', o.tax_rate_bps,
    'subtotal', o.subtotal,
    'order_discount', o.order_discount,
    'discount_total', o.discount_total,
    'tax_total', o.tax_total,
    'total', o.total,
    'item_count', coalesce(sum(l.quantity), 0),
    'lines', coalesce(jsonb_agg(jsonb_build_object(
        'line_id', l.id,
        'line_no', l.line_no,
        'catalog_item_id', l.catalog_item_id,
        'sku', l.sku,
        'name', l.name,
        'quantity', l.quantity,
        'unit_price', l.unit_price,
        'subtotal', l.subtotal,
        'discount', l.line_discount + l.order_discount_share,
        'revenue', l.net_total,
        'tax', l.tax,
        'total', l.total) order by l.line_no) filter (where l.id is not null), '[]'::jsonb))
  from (select 1) as one
  left join app_public.order_lines l on l.tenant_id = o.tenant_id and l.order_id = o.id);
end;
$$;

/*
 * What tender.recorded.v1 says (db/EVENTS.md): the tender, and its order as it stands after the
 * payment. Like the other payload functions, no SET clause (it names only qualified objects), so
 * PostgreSQL inlines it into a bulk insert (the benchmark's data set is built with it).
 */
create or replace function app_private.tender_event_payload(t app_public.tenders, o app_public.orders) returns jsonb
language sql stable
as $$
  select pg_catalog.jsonb_build_object(
    'tender_id', t.id,
    'order_id', t.order_id,
    'location_id', o.location_id,
    'business_date', pg_catalog.to_char(o.business_date, 'YYYY-MM-DD'),
    'customer_id', o.customer_id,
    'type', t.type,
    'amount', t.amount,
    'change_given', t.change_given,
    'applied_amount', t.applied_amount,
    'order_total', o.total,
    'paid_total', o.paid_total,
    'amount_due', o.amount_due,
    'recorded_at', app_hidden.iso_utc(t.created_at),
    'recorded_by_user_id', t.recorded_by_user_id);
$$;

/* What order.voided.v1 says: the order's payload and the void (o is the voided order, loc its location). */
create or replace function app_private.order_voided_event_payload(o app_public.orders, loc app_public.locations) returns jsonb
language sql stable
as $$
  select app_private.order_event_payload(o) operator(pg_catalog.||) pg_catalog.jsonb_build_object(
    'voided_at', app_hidden.iso_utc(o.voided_at),
    'voided_business_date', pg_catalog.to_char(app_hidden.business_date(o.voided_at, loc.timezone), 'YYYY-MM-DD'),
    'void_reason', o.void_reason,
    'voided_by_user_id', o.voided_by_user_id,
    'paid_total', o.paid_total);
$$;

create or replace function app_private.tg_tenders__emit_event() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  o app_public.orders;
begin
  select * into o from app_public.orders x where x.tenant_id = new.tenant_id and x.id = new.order_id;
  perform app_private.emit_event(new.tenant_id, 'tender.recorded.v1', 'order', new.order_id,
    app_private.tender_event_payload(new, o), new.recorded_by_user_id);
  return null;
end;
$$;

create or replace trigger _900_emit_event after insert on app_public.tenders
  for each row execute function app_private.tg_tenders__emit_event();

/*
 * Validates the lines of a cart and prices them (rules at the top of this file). lines is a JSON
 * array of {"catalog_item_id": text, "quantity": whole number 1..10000, "discount"?: cents}.
 * Raises BADIN (malformed), EMPTY, BADQT, BADDS, NOTFD (not an item of this tenant), INACT,
 * BADAM (order too large).
 */
create or replace function app_private.price_lines(tenant_id text, lines jsonb, order_discount int, tax_rate_bps int)
returns setof app_private.priced_line
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  elem jsonb;
  n int;
  unknown_key text;
  qty numeric;
  disc numeric;
  item record;
  line_subtotal bigint;
  order_subtotal bigint := 0;
  total_net bigint := 0;
  a_item text[] := '{}';
  a_sku text[] := '{}';
  a_name text[] := '{}';
  a_price int[] := '{}';
  a_qty int[] := '{}';
  a_disc int[] := '{}';
  a_stock text[] := '{}';
begin
  if lines is null or jsonb_typeof(lines) <> 'array' then
    perform app_hidden.raise_error('BADIN', 'The lines must be a list such as [{"catalog_item_id": "…", "quantity": 1}].');
  end if;
  if jsonb_array_length(lines) = 0 then
    perform app_hidden.raise_error('EMPTY', 'An order needs at least one line.');
  end if;
  if jsonb_array_length(lines) > 200 then
    perform app_hidden.raise_error('BADIN', 'An order can have at most 200 lines.');
  end if;
  if order_discount is null or order_discount < 0 then
    perform app_hidden.raise_error('BADDS', 'The order discount must be a whole number of cents, not negative.');
  end if;

  for elem, n in select e.value, e.ordinality from jsonb_array_elements(lines) with ordinality as e order by e.ordinality loop
    if jsonb_typeof(elem) <> 'object' then
      perform app_hidden.raise_error('BADIN', format('Line %s must be an object such as {"catalog_item_id": "…", "quantity": 1}.', n));
    end if;
    select k into unknown_key from jsonb_object_keys(elem) as k
      where k not in ('catalog_item_id', 'quantity', 'discount') order by k limit 1;
    if unknown_key is not null then
      perform app_hidden.raise_error('BADIN', format('Line %s: unknown field "%s" (use catalog_item_id, quantity and discount).', n, left(unknown_key, 40)));
    end if;
    if jsonb_typeof(elem -> 'catalog_item_id') is distinct from 'string' then
      perform app_hidden.raise_error('BADIN', format('Line %s: catalog_item_id is required.', n));
    end if;
    if jsonb_typeof(elem -> 'quantity') is distinct from 'number' then
      perform app_hidden.raise_error('BADQT', format('Line %s: the quantity must be a whole number from 1 to 10000.', n));
    end if;
    qty := (elem ->> 'quantity')::numeric;
    if qty <> trunc(qty) or qty < 1 or qty > 10000 then
      perform app_hidden.raise_error('BADQT', format('Line %s: the quantity must be a whole number from 1 to 10000.', n));
    end if;
    if coalesce(jsonb_typeof(elem -> 'discount'), 'null') = 'null' then
      disc := 0;
    elsif jsonb_typeof(elem -> 'discount') <> 'number' then
      perform app_hidden.raise_error('BADDS', format('Line %s: the discount must be a whole number of cents.', n));
    else
      disc := (elem ->> 'discount')::numeric;
      if disc <> trunc(disc) or disc < 0 then
        perform app_hidden.raise_error('BADDS', format('Line %s: the discount must be a whole number of cents, not negative.', n));
      end if;
    end if;

    select c.id, c.sku, c.name, c.price, c.active, i.id as inventory_item_id into item
    from app_public.catalog_items c
    left join app_public.inventory_items i on i.tenant_id = c.tenant_id and i.catalog_item_id = c.id
    where c.tenant_id = price_lines.tenant_id and c.id = elem ->> 'catalog_item_id';
    if not found then
      perform app_hidden.raise_error('NOTFD', format('Line %s: there is no catalog item %s.', n, left(elem ->> 'catalog_item_id', 40)));
    end if;
    if not item.active then
      perform app_hidden.raise_error('INACT', format('Line %s: %s is not for sale (inactive).', n, item.name));
    end if;

    line_subtotal := item.price::bigint * qty::bigint;
    if disc > line_subtotal then
      perform app_hidden.raise_error('BADDS', format('Line %s: the discount (%s) is more than the line amount (%s).', n, disc, line_subtotal));
    end if;
    order_subtotal := order_subtotal + line_subtotal;
    if order_subtotal > 1000000000 then
      perform app_hidden.raise_error('BADAM', 'This order is too large: its subtotal cannot exceed 1000000000 cents.');
    end if;
    total_net := total_net + line_subtotal - disc::bigint;
    a_item := a_item || item.id;
    a_sku := a_sku || item.sku;
    a_name := a_name || item.name;
    a_price := a_price || item.price;
    a_qty := a_qty || qty::int;
    a_disc := a_disc || disc::int;
    a_stock := a_stock || item.inventory_item_id;
  end loop;

  if order_discount > total_net then
    perform app_hidden.raise_error('BADDS', format(
      'The order discount (%s) is more than the order amount after line discounts (%s).', order_discount, total_net));
  end if;

  return query
  with l as (
    select u.line_no::int as line_no, u.catalog_item_id, u.sku, u.name, u.unit_price, u.quantity, u.line_discount,
           u.inventory_item_id, u.unit_price::bigint * u.quantity as subtotal,
           u.unit_price::bigint * u.quantity - u.line_discount as net
    from unnest(a_item, a_sku, a_name, a_price, a_qty, a_disc, a_stock)
      with ordinality as u(catalog_item_id, sku, name, unit_price, quantity, line_discount, inventory_item_id, line_no)
  ), alloc as (
    select l.*,
           case when total_net = 0 then 0 else (order_discount::bigint * l.net) / total_net end as floor_share,
           case when total_net = 0 then 0 else (order_discount::bigint * l.net) % total_net end as remainder
    from l
  ), ranked as (
    select a.*,
           row_number() over (order by a.remainder desc, a.line_no) as rank,
           sum(a.floor_share) over () as floor_sum
    from alloc a
  ), shared as (
    select r.*, r.floor_share + case when r.rank <= order_discount - r.floor_sum then 1 else 0 end as share
    from ranked r
  ), taxed as (
    select s.*, s.net - s.share as net_total,
           ((s.net - s.share) * tax_rate_bps + 5000) / 10000 as tax
    from shared s
  )
  select t.line_no, t.catalog_item_id, t.sku, t.name, t.unit_price, t.quantity, t.subtotal::int, t.line_discount,
         t.share::int, t.net_total::int, t.tax::int, (t.net_total + t.tax)::int, t.inventory_item_id
  from taxed t
  order by t.line_no;
end;
$$;

/*
 * The customer id an order of the tenant records for the given one (null for none): an order may
 * only name a customer of the tenant (NOTFD), and an order for a customer that was merged is
 * recorded for the customer it was merged into.
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

create or replace function app_public.quote_order(lines jsonb, discount int default 0) returns app_public.order_quote
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('sales.sell');
  rate int;
  result app_public.order_quote;
begin
  select t.tax_rate_bps into rate from app_public.tenants t where t.id = tenant;
  select sum(p.subtotal)::int, (sum(p.line_discount) + coalesce(quote_order.discount, 0))::int, rate,
         sum(p.tax)::int, sum(p.total)::int,
         jsonb_agg(to_jsonb(p) - 'inventory_item_id' order by p.line_no)
    into result
  from app_private.price_lines(tenant, quote_order.lines, coalesce(quote_order.discount, 0), rate) p;
  return result;
end;
$$;
comment on function app_public.quote_order(jsonb, int) is
  E'Prices a cart without placing it (needs sales.sell): the same validation, totals and rounding as placeOrder. lines is a JSON list of {"catalog_item_id", "quantity", "discount"?}; discount is cents off the whole order.';

------------------------------------------------------------------------------------------------
-- Writing orders

/*
 * Places an order at a location (needs sales.sell): validates and prices the lines (see the top
 * of this file), writes the order and its lines, a sale movement for each line whose catalog
 * item is stocked, and the events order.placed.v1 then inventory.movement.created.v1 per
 * movement, all in the caller's transaction. Stock is not checked: a sale may take on-hand below
 * zero. placed_at (past only) is for imports and tests and needs settings.update.
 */
create or replace function app_public.place_order(
  location_id text, lines jsonb, customer_id text default null, discount int default 0,
  placed_at timestamptz default null
) returns app_public.orders
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('sales.sell');
  me text := app_hidden.current_user_id();
  loc app_public.locations;
  rate int;
  placed_time timestamptz := coalesce(place_order.placed_at, now());
  order_discount int := coalesce(place_order.discount, 0);
  customer text;
  priced app_private.priced_line[];
  result app_public.orders;
begin
  if place_order.placed_at is not null then
    if not app_hidden.has_permission('settings.update') then
      perform app_hidden.raise_error('DNIED', 'Only an owner (settings.update) can record orders with a past date.');
    end if;
    perform app_hidden.assert_recorded_time('The time of an order', place_order.placed_at, 'placed_at');
  end if;
  select l.* into loc from app_public.locations l where l.tenant_id = tenant and l.id = place_order.location_id;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no location %s.', left(place_order.location_id, 40)));
  end if;
  customer := app_private.order_customer_id(tenant, place_order.customer_id);
  select t.tax_rate_bps into rate from app_public.tenants t where t.id = tenant;
  select array_agg(p order by p.line_no) into priced
  from app_private.price_lines(tenant, place_order.lines, order_discount, rate) p;

  insert into app_public.orders (tenant_id, location_id, customer_id, status, subtotal, order_discount, discount_total,
                                 tax_rate_bps, tax_total, total, placed_at, business_date, placed_by_user_id)
  select tenant, loc.id, customer, 'placed', sum(p.subtotal), order_discount,
         sum(p.line_discount) + order_discount, rate, sum(p.tax), sum(p.total), placed_time,
         app_hidden.business_date(placed_time, loc.timezone), me
  from unnest(priced) p
  returning * into result;

  insert into app_public.order_lines (tenant_id, order_id, line_no, catalog_item_id, sku, name, unit_price, quantity,
                                      subtotal, line_discount, order_discount_share, net_total, tax, total)
  select tenant, result.id, p.line_no, p.catalog_item_id, p.sku, p.name, p.unit_price, p.quantity,
         p.subtotal, p.line_discount, p.order_discount_share, p.net_total, p.tax, p.total
  from unnest(priced) p
  order by p.line_no;

  perform app_private.emit_event(tenant, 'order.placed.v1', 'order', result.id, app_private.order_event_payload(result), me);

  insert into app_public.inventory_movements (tenant_id, location_id, inventory_item_id, quantity, reason,
                                              order_id, order_line_id, actor_user_id, occurred_at)
  select tenant, loc.id, p.inventory_item_id, -p.quantity, 'sale', result.id, ol.id, me, placed_time
  from unnest(priced) p
  join app_public.order_lines ol on ol.tenant_id = tenant and ol.order_id = result.id and ol.line_no = p.line_no
  where p.inventory_item_id is not null
  order by p.line_no;

  return result;
end;
$$;
comment on function app_public.place_order(text, jsonb, text, int, timestamptz) is
  E'@resultFieldName order\nPlaces an order (needs sales.sell). lines is a JSON list of {"catalog_item_id": "…", "quantity": 1, "discount": 0} (discount in cents off that line); discount is cents off the whole order. Totals are computed from catalog prices and the tax rate: tax per line on the discounted amount, rounded half up. Stocked items are taken out of stock at the location. placedAt backdates an import (owners only).';

/*
 * Records a payment towards an order (needs sales.sell). Cash may exceed the amount due: the
 * difference is change given back. Card may not exceed it. Nothing can be tendered to a voided
 * or fully paid order. The order row is locked, so concurrent tenders cannot over-pay it.
 */
create or replace function app_public.record_tender(order_id text, type text, amount int) returns app_public.tenders
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('sales.sell');
  o app_public.orders;
  due int;
  change int := 0;
  result app_public.tenders;
begin
  select x.* into o from app_public.orders x where x.tenant_id = tenant and x.id = record_tender.order_id for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no order %s.', left(record_tender.order_id, 40)));
  end if;
  if o.status = 'voided' then
    perform app_hidden.raise_error('VOIDD', 'This order was voided; it cannot take payments.');
  end if;
  if o.status <> 'placed' then
    perform app_hidden.raise_error('BADIN', 'Only a placed order can take payments.');
  end if;
  if record_tender.type is null or record_tender.type not in ('cash', 'card') then
    perform app_hidden.raise_error('BADIN', 'The tender type must be cash or card.');
  end if;
  if record_tender.amount is null or record_tender.amount <= 0 or record_tender.amount > 100000000 then
    perform app_hidden.raise_error('BADAM', 'The amount must be a positive number of cents (at most 100000000).');
  end if;
  due := o.total - o.paid_total;
  if due <= 0 then
    perform app_hidden.raise_error('OVRTN', 'This order is already paid in full.');
  end if;
  if record_tender.amount > due then
    if record_tender.type = 'card' then
      perform app_hidden.raise_error('OVRTN', format('A card payment cannot exceed the amount due (%s cents).', due));
    end if;
    change := record_tender.amount - due;
  end if;
  update app_public.orders x set paid_total = x.paid_total + (record_tender.amount - change)
    where x.tenant_id = tenant and x.id = o.id;
  insert into app_public.tenders (tenant_id, order_id, type, amount, change_given, recorded_by_user_id)
    values (tenant, o.id, record_tender.type, record_tender.amount, change, app_hidden.current_user_id())
    returning * into result;
  return result;
end;
$$;
comment on function app_public.record_tender(text, text, int) is
  E'@resultFieldName tender\nRecords a payment towards an order (needs sales.sell). type is cash or card; amount in cents. Cash above the amount due gives change (changeGiven); card cannot exceed the amount due; voided or fully paid orders take no payment.';

/*
 * Voids a placed order once (needs sales.void): marks it voided with the reason, keeps its lines
 * and tenders, writes the opposite sale movement for each of its sale movements, and emits
 * order.voided.v1 (with the amounts to take back) then the movement events.
 */
create or replace function app_public.void_order(order_id text, reason text) returns app_public.orders
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('sales.void');
  me text := app_hidden.current_user_id();
  why text;
  o app_public.orders;
  loc app_public.locations;
begin
  why := app_hidden.assert_name('The reason for the void', void_order.reason, 500, 'reason');
  perform app_private.begin_change('void_order', why);
  select x.* into o from app_public.orders x where x.tenant_id = tenant and x.id = void_order.order_id for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no order %s.', left(void_order.order_id, 40)));
  end if;
  if o.status = 'voided' then
    perform app_hidden.raise_error('VOIDD', 'This order is already voided.');
  end if;
  if o.status <> 'placed' then
    perform app_hidden.raise_error('BADIN', 'Only a placed order can be voided.');
  end if;
  select l.* into loc from app_public.locations l where l.tenant_id = tenant and l.id = o.location_id;

  update app_public.orders x
    set status = 'voided', voided_at = now(), void_reason = why, voided_by_user_id = me
    where x.tenant_id = tenant and x.id = o.id
    returning * into o;

  perform app_private.emit_event(tenant, 'order.voided.v1', 'order', o.id, app_private.order_voided_event_payload(o, loc), me);

  insert into app_public.inventory_movements (tenant_id, location_id, inventory_item_id, quantity, reason, note,
                                              order_id, order_line_id, actor_user_id)
  select m.tenant_id, m.location_id, m.inventory_item_id, -m.quantity, 'sale', 'Void of order ' || o.id,
         m.order_id, m.order_line_id, me
  from app_public.inventory_movements m
  where m.tenant_id = tenant and m.order_id = o.id and m.reason = 'sale' and m.quantity < 0
  order by m.id;

  perform app_private.end_change();
  return o;
end;
$$;
comment on function app_public.void_order(text, text) is
  E'@resultFieldName order\nVoids a placed order, once (needs sales.void). The order keeps its lines and tenders; stock sold is put back; the paid amount is what to hand back.';
--! EndIncluded sales/320-orders.sql
--! Included customers/420-commands.sql
-- The only ways a customer is written from outside — create, update,
-- archive and restore (merge is merge_customers). Each is a security definer function that checks the
-- permission (and, once billing adds it, the customers entitlement), validates every field with
-- an error code naming it, writes nothing on failure, emits customer.created.v1 or
-- customer.updated.v1 in the same transaction, and leaves an audit row (the _500_audit trigger of customers).

/* The source of a consent change: pos, admin, online, import or other; admin when not given. Raises BADIN. */
create or replace function app_hidden.assert_consent_source(source text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  cleaned text := lower(btrim(source));
begin
  if cleaned is null or cleaned = '' then
    return 'admin';
  end if;
  if cleaned not in ('pos', 'admin', 'online', 'import', 'other') then
    perform app_hidden.raise_error('BADIN', 'Marketing consent source must be pos, admin, online, import or other.', field => 'marketing_consent_source');
  end if;
  return cleaned;
end;
$$;
comment on function app_hidden.assert_consent_source(text) is 'A valid marketing consent source (admin when not given); raises BADIN.';

/* What events say about a customer (db/EVENTS.md). */
create or replace function app_private.customer_event_payload(c app_public.customers) returns jsonb
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select jsonb_build_object(
    'customer_id', c.id,
    'customer_number', c.customer_number,
    'display_name', c.display_name,
    'email', c.email,
    'phone', c.phone,
    'first_name', c.first_name,
    'last_name', c.last_name,
    'tags', c.tags,
    'marketing_consent', c.marketing_consent,
    'status', c.status,
    'created_by', c.created_by,
    'created_at', app_hidden.iso_utc(c.created_at));
$$;

/*
 * Turns a constraint of the customers table that the input broke into our error: the unique
 * email or phone among live customers (DUPEM, DUPPH: the field, and the id of the customer who
 * already has the value as the detail, so the admin can open or merge it), or the rule that a
 * customer needs an email, a phone or a first name (the customers_identifiable check: NOIDN; the
 * rule is the constraint, the commands only word it). Such a customer has no display name
 * either, and PostgreSQL checks NOT NULL before CHECK constraints, so what it reports first is
 * display_name being null: that is the same broken rule. Returns quietly for other constraints
 * (the caller re-raises).
 */
create or replace function app_private.raise_customer_constraint(tenant_id text, constraint_name text, column_name text, email text, phone text)
returns void
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  other app_public.customers;
begin
  if constraint_name = 'customers_email_key' then
    select c.* into other from app_public.customers c
    where c.tenant_id = raise_customer_constraint.tenant_id and c.email = raise_customer_constraint.email and c.status <> 'merged';
    perform app_hidden.raise_error('DUPEM', format('Email: %s is already the email of customer %s (%s).',
      raise_customer_constraint.email, other.customer_number, other.display_name), other.id, 'email');
  elsif constraint_name = 'customers_phone_key' then
    select c.* into other from app_public.customers c
    where c.tenant_id = raise_customer_constraint.tenant_id and c.phone = raise_customer_constraint.phone and c.status <> 'merged';
    perform app_hidden.raise_error('DUPPH', format('Phone: %s is already the phone number of customer %s (%s).',
      raise_customer_constraint.phone, other.customer_number, other.display_name), other.id, 'phone');
  elsif constraint_name = 'customers_identifiable' or raise_customer_constraint.column_name = 'display_name' then
    perform app_hidden.raise_error('NOIDN', 'A customer needs at least an email, a phone number or a first name.');
  end if;
end;
$$;

------------------------------------------------------------------------------------------------
create or replace function app_public.create_customer(
  email text default null,
  phone text default null,
  first_name text default null,
  last_name text default null,
  notes text default null,
  tags text[] default null,
  marketing_consent boolean default null,
  marketing_consent_source text default null,
  metadata jsonb default null
) returns app_public.customers
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.create');
  country text;
  clean_tags jsonb;
  source text;
  violated text;
  violated_column text;
  result app_public.customers;
begin
  select t.default_country into country from app_public.tenants t where t.id = tenant;
  email := app_hidden.optional_email(email);
  phone := app_hidden.normalize_phone(phone, country);
  first_name := app_hidden.optional_name('First name', first_name, 100, 'first_name');
  last_name := app_hidden.optional_name('Last name', last_name, 100, 'last_name');
  notes := app_hidden.optional_text('Notes', notes, 2000, 'notes');
  clean_tags := app_hidden.normalize_tags(tags);
  metadata := app_hidden.assert_customer_metadata(metadata);
  source := case when marketing_consent is not null then app_hidden.assert_consent_source(marketing_consent_source) end;

  begin
    insert into app_public.customers as c (
      tenant_id, customer_number, email, phone, first_name, last_name, notes, tags,
      marketing_consent, marketing_consent_updated_at, marketing_consent_source, metadata, created_by)
    values (
      tenant, app_hidden.format_customer_number(app_private.next_tenant_number(tenant, 'customer_number')),
      create_customer.email, create_customer.phone, create_customer.first_name, create_customer.last_name,
      create_customer.notes, clean_tags, create_customer.marketing_consent,
      case when create_customer.marketing_consent is not null then now() end, source,
      create_customer.metadata, app_hidden.current_user_id())
    returning * into result;
  exception when unique_violation or check_violation or not_null_violation then
    get stacked diagnostics violated = constraint_name, violated_column = column_name;
    perform app_private.raise_customer_constraint(tenant, violated, violated_column, create_customer.email, create_customer.phone);
    raise;
  end;

  perform app_private.emit_event(tenant, 'customer.created.v1', 'customer', result.id,
    app_private.customer_event_payload(result));
  return result;
end;
$$;
comment on function app_public.create_customer(text, text, text, text, text, text[], boolean, text, jsonb) is
  E'Adds a customer (needs customers.create). Give at least an email, a phone or a first name. The email is lower-cased; the phone is stored in E.164, read with the business''s country unless it starts with + or 00. Email and phone must not belong to another customer (DUPEM, DUPPH). The customer gets the next number (CUST-00042).';

/*
 * Applies changes to a customer (needs customers.update): see app_public.customer_changes.
 * Nothing is written when nothing changes; otherwise the audit row lists exactly the changed
 * fields and customer.updated.v1 carries the same difference.
 */
create or replace function app_public.update_customer(customer_id text, patch app_public.customer_changes)
returns app_public.customers
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.update');
  country text;
  cur app_public.customers;
  nxt app_public.customers;
  violated text;
  violated_column text;
  changes jsonb;
  result app_public.customers;
begin
  select c.* into cur from app_public.customers c
  where c.tenant_id = tenant and c.id = update_customer.customer_id
  for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.', coalesce(left(update_customer.customer_id, 40), '(none given)')));
  end if;
  if cur.status = 'merged' then
    perform app_hidden.raise_error('CMRGD', 'This customer was merged into another one; change that customer instead.', cur.merged_into_id);
  end if;
  if patch is null then
    return cur;
  end if;
  select t.default_country into country from app_public.tenants t where t.id = tenant;

  nxt := cur;
  if patch.email is not null then
    nxt.email := app_hidden.optional_email(patch.email);
  end if;
  if patch.phone is not null then
    nxt.phone := app_hidden.normalize_phone(patch.phone, country);
  end if;
  if patch.first_name is not null then
    nxt.first_name := app_hidden.optional_name('First name', patch.first_name, 100, 'first_name');
  end if;
  if patch.last_name is not null then
    nxt.last_name := app_hidden.optional_name('Last name', patch.last_name, 100, 'last_name');
  end if;
  if patch.notes is not null then
    nxt.notes := app_hidden.optional_text('Notes', patch.notes, 2000, 'notes');
  end if;
  if patch.tags is not null then
    nxt.tags := app_hidden.normalize_tags(patch.tags);
  end if;
  if patch.metadata is not null then
    nxt.metadata := app_hidden.assert_customer_metadata(patch.metadata);
  end if;
  if patch.marketing_consent is not null and patch.marketing_consent is distinct from cur.marketing_consent then
    nxt.marketing_consent := patch.marketing_consent;
    nxt.marketing_consent_updated_at := now();
    nxt.marketing_consent_source := app_hidden.assert_consent_source(patch.marketing_consent_source);
  end if;

  if (nxt.email, nxt.phone, nxt.first_name, nxt.last_name, nxt.notes, nxt.tags, nxt.metadata,
      nxt.marketing_consent, nxt.marketing_consent_source)
     is not distinct from
     (cur.email, cur.phone, cur.first_name, cur.last_name, cur.notes, cur.tags, cur.metadata,
      cur.marketing_consent, cur.marketing_consent_source)
     and nxt.marketing_consent_updated_at is not distinct from cur.marketing_consent_updated_at then
    return cur;
  end if;

  begin
    update app_public.customers c set
      email = nxt.email, phone = nxt.phone, first_name = nxt.first_name, last_name = nxt.last_name,
      notes = nxt.notes, tags = nxt.tags, metadata = nxt.metadata,
      marketing_consent = nxt.marketing_consent, marketing_consent_updated_at = nxt.marketing_consent_updated_at,
      marketing_consent_source = nxt.marketing_consent_source
    where c.tenant_id = tenant and c.id = cur.id
    returning * into result;
  exception when unique_violation or check_violation or not_null_violation then
    get stacked diagnostics violated = constraint_name, violated_column = column_name;
    perform app_private.raise_customer_constraint(tenant, violated, violated_column, nxt.email, nxt.phone);
    raise;
  end;

  changes := app_hidden.jsonb_diff(to_jsonb(cur), to_jsonb(result),
    array['created_at', 'updated_at', 'total_visits', 'total_spend', 'last_visit_at']);
  perform app_private.emit_event(tenant, 'customer.updated.v1', 'customer', result.id,
    jsonb_build_object('customer_id', result.id, 'customer_number', result.customer_number,
                       'display_name', result.display_name, 'status', result.status, 'changes', changes));
  return result;
end;
$$;
comment on function app_public.update_customer(text, app_public.customer_changes) is
  E'Changes a customer (needs customers.update). Fields left out stay as they are; an empty string clears email, phone, names or notes; tags and metadata are replaced. The display name follows. Email and phone must stay unique (DUPEM, DUPPH) and at least one of email, phone or first name must remain (NOIDN).';

/* Sets the status of a live customer (archive/restore) and tells everyone. */
create or replace function app_private.set_customer_status(tenant_id text, customer_id text, new_status text)
returns app_public.customers
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  cur app_public.customers;
  result app_public.customers;
begin
  select c.* into cur from app_public.customers c
  where c.tenant_id = set_customer_status.tenant_id and c.id = set_customer_status.customer_id
  for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.', coalesce(left(set_customer_status.customer_id, 40), '(none given)')));
  end if;
  if cur.status = 'merged' then
    perform app_hidden.raise_error('CMRGD', 'This customer was merged into another one.', cur.merged_into_id);
  end if;
  if cur.status = new_status then
    return cur;
  end if;
  update app_public.customers c set status = new_status
  where c.tenant_id = cur.tenant_id and c.id = cur.id
  returning * into result;
  perform app_private.emit_event(cur.tenant_id, 'customer.updated.v1', 'customer', result.id,
    jsonb_build_object('customer_id', result.id, 'customer_number', result.customer_number,
                       'display_name', result.display_name, 'status', result.status,
                       'changes', jsonb_build_object('status', jsonb_build_object('old', cur.status, 'new', result.status))));
  return result;
end;
$$;

/* archive_customer and restore_customer: the permission, the reason for the audit log, the status. */
create or replace function app_private.customer_status_command(command text, customer_id text, new_status text, reason text)
returns app_public.customers
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.update');
  result app_public.customers;
begin
  perform app_private.begin_change(command, reason);
  result := app_private.set_customer_status(tenant, customer_id, new_status);
  perform app_private.end_change();
  return result;
end;
$$;

create or replace function app_public.archive_customer(customer_id text, reason text default null) returns app_public.customers
language sql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select * from app_private.customer_status_command('archive_customer', customer_id, 'archived', reason);
$$;
comment on function app_public.archive_customer(text, text) is
  'Archives a customer instead of deleting it (needs customers.update): its orders and history stay, it keeps its email and phone, and restoreCustomer brings it back. The reason, if given, is kept in the audit log.';

create or replace function app_public.restore_customer(customer_id text, reason text default null) returns app_public.customers
language sql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select * from app_private.customer_status_command('restore_customer', customer_id, 'active', reason);
$$;
comment on function app_public.restore_customer(text, text) is 'Makes an archived customer active again (needs customers.update). The reason, if given, is kept in the audit log.';
--! EndIncluded customers/420-commands.sql
--! Included customers/430-merge.sql
-- Two records of the same person become one. The duplicate's orders, notes
-- and addresses move to the primary, its counters are added to the primary's, and it stays as
-- status = merged with merged_into_id (never deleted, so old references still resolve). A
-- customer_merges row keeps both snapshots and the moved ids so that a merge can be explained
-- later; customer.merged.v1 tells the consumers. Both customer rows are locked in id order (and
-- the duplicate's orders before them, in the order sales lock orders then customers), so two
-- merges that cross, or a merge and a void, wait for each other instead of deadlocking.

create or replace trigger _500_audit after insert on app_public.customer_merges
  for each row execute function app_private.tg__audit('created_at', 'primary_snapshot', 'duplicate_snapshot', 'result_snapshot');

drop policy if exists select_with_permission on app_public.customer_merges;
create policy select_with_permission on app_public.customer_merges for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.view')));

revoke all on app_public.customer_merges from :DATABASE_VISITOR;
grant select on app_public.customer_merges to :DATABASE_VISITOR;

/*
 * The primary as it will be after absorbing the duplicate (nothing is written): each field is
 * the primary's unless null, then the duplicate's (marketing consent with its time and source);
 * tags are the primary's then the duplicate's others (ignoring case, at most 50); notes are
 * joined when both fit in 2000 characters (else the primary's stay and the merge turns the
 * duplicate's into a note); metadata keys of the primary win; visits and spend are summed and
 * the last visit is the later one.
 */
create or replace function app_hidden.merged_customer(p app_public.customers, d app_public.customers) returns app_public.customers
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  result app_public.customers := p;
  combined_notes text;
  merged_metadata jsonb;
begin
  result.email := coalesce(p.email, d.email);
  result.phone := coalesce(p.phone, d.phone);
  result.first_name := coalesce(p.first_name, d.first_name);
  result.last_name := coalesce(p.last_name, d.last_name);
  result.display_name := app_hidden.customer_display_name(result.first_name, result.last_name, result.email, result.phone);
  if p.marketing_consent is null and d.marketing_consent is not null then
    result.marketing_consent := d.marketing_consent;
    result.marketing_consent_updated_at := d.marketing_consent_updated_at;
    result.marketing_consent_source := d.marketing_consent_source;
  end if;
  select coalesce(jsonb_agg(t.tag order by t.ord), '[]'::jsonb) into result.tags
  from (
    select distinct on (lower(x.tag)) x.tag, x.ord
    from (
      select e.tag, e.ord from jsonb_array_elements_text(p.tags) with ordinality as e(tag, ord)
      union all
      select e.tag, 1000 + e.ord from jsonb_array_elements_text(d.tags) with ordinality as e(tag, ord)
    ) x
    order by lower(x.tag), x.ord
  ) t;
  if jsonb_array_length(result.tags) > 50 then
    select jsonb_agg(e.tag order by e.ord) into result.tags
    from jsonb_array_elements(result.tags) with ordinality as e(tag, ord) where e.ord <= 50;
  end if;
  combined_notes := case
    when p.notes is null then d.notes
    when d.notes is null then p.notes
    else p.notes || E'\n\n' || d.notes end;
  result.notes := case when length(combined_notes) <= 2000 then combined_notes else p.notes end;
  merged_metadata := d.metadata || p.metadata;
  result.metadata := case when octet_length(merged_metadata::text) <= 65536 then merged_metadata else p.metadata end;
  result.total_visits := p.total_visits + d.total_visits;
  result.total_spend := p.total_spend + d.total_spend;
  result.last_visit_at := case
    when p.last_visit_at is null then d.last_visit_at
    when d.last_visit_at is null then p.last_visit_at
    else greatest(p.last_visit_at, d.last_visit_at) end;
  return result;
end;
$$;
comment on function app_hidden.merged_customer(app_public.customers, app_public.customers) is 'The primary customer as a merge with the duplicate would leave it (computes, writes nothing).';

/* Locks two customers of a tenant in id order; raises BADIN, MRGSM, NOTFD or CMRGD. */
create or replace function app_private.lock_customers_for_merge(tenant_id text, primary_id text, duplicate_id text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  locked_id text;
  row_found app_public.customers;
begin
  if primary_id is null or duplicate_id is null then
    perform app_hidden.raise_error('BADIN', 'Choose the customer to keep and the duplicate to merge into it.');
  end if;
  if primary_id = duplicate_id then
    perform app_hidden.raise_error('MRGSM', 'A customer cannot be merged with itself; choose two different customers.');
  end if;
  for locked_id in select x from unnest(array[primary_id, duplicate_id]) as x order by x collate "C" loop
    select c.* into row_found from app_public.customers c
    where c.tenant_id = lock_customers_for_merge.tenant_id and c.id = locked_id
    for update;
    if not found then
      perform app_hidden.raise_error('NOTFD', format('There is no customer %s.', left(locked_id, 40)));
    end if;
    if row_found.status = 'merged' then
      perform app_hidden.raise_error('CMRGD', format('Customer %s (%s) was already merged into another customer.',
        row_found.customer_number, row_found.display_name), row_found.merged_into_id);
    end if;
  end loop;
end;
$$;

create or replace function app_public.merge_customers(primary_id text, duplicate_id text, reason text default null) returns app_public.customers
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.merge');
  me text := app_hidden.current_user_id();
  p app_public.customers;
  d app_public.customers;
  m app_public.customers;
  result app_public.customers;
  order_ids text[];
  note_ids text[];
  address_ids text[];
  notes_note text;
  merge_row app_public.customer_merges;
begin
  perform app_private.begin_change('merge_customers', reason);
  -- Sales lock an order, then its customer: take the duplicate's orders first, then the customers.
  perform 1 from app_public.orders o
  where o.tenant_id = tenant and o.customer_id = merge_customers.duplicate_id
  order by o.id
  for update;
  perform app_private.lock_customers_for_merge(tenant, merge_customers.primary_id, merge_customers.duplicate_id);
  select c.* into p from app_public.customers c where c.tenant_id = tenant and c.id = merge_customers.primary_id;
  select c.* into d from app_public.customers c where c.tenant_id = tenant and c.id = merge_customers.duplicate_id;
  m := app_hidden.merged_customer(p, d);

  with moved as (
    update app_public.orders o set customer_id = p.id
    where o.tenant_id = tenant and o.customer_id = d.id
    returning o.id)
  select coalesce(array_agg(moved.id order by moved.id), '{}') into order_ids from moved;

  with moved as (
    update app_public.customer_notes n set customer_id = p.id
    where n.tenant_id = tenant and n.customer_id = d.id
    returning n.id)
  select coalesce(array_agg(moved.id order by moved.id), '{}') into note_ids from moved;

  with moved as (
    update app_public.customer_addresses a
      set customer_id = p.id,
          is_default = a.is_default and not exists (
            select 1 from app_public.customer_addresses pa
            where pa.tenant_id = tenant and pa.customer_id = p.id and pa.is_default)
    where a.tenant_id = tenant and a.customer_id = d.id
    returning a.id)
  select coalesce(array_agg(moved.id order by moved.id), '{}') into address_ids from moved;

  -- Notes that do not fit together: the duplicate's become a note on the primary.
  if d.notes is not null and m.notes is not distinct from p.notes and p.notes is not null then
    insert into app_public.customer_notes (tenant_id, customer_id, category, body)
    values (tenant, p.id, 'general', d.notes)
    returning id into notes_note;
  end if;

  -- Customers merged earlier into the duplicate now point at the primary.
  update app_public.customers c set merged_into_id = p.id
  where c.tenant_id = tenant and c.merged_into_id = d.id;

  -- The duplicate first, so that its email and phone leave the uniqueness of live customers.
  update app_public.customers c
    set status = 'merged', merged_into_id = p.id, total_visits = 0, total_spend = 0, last_visit_at = null
  where c.tenant_id = tenant and c.id = d.id;

  update app_public.customers c set
    email = m.email, phone = m.phone, first_name = m.first_name, last_name = m.last_name, notes = m.notes,
    tags = m.tags, metadata = m.metadata, marketing_consent = m.marketing_consent,
    marketing_consent_updated_at = m.marketing_consent_updated_at, marketing_consent_source = m.marketing_consent_source,
    total_visits = m.total_visits, total_spend = m.total_spend, last_visit_at = m.last_visit_at
  where c.tenant_id = tenant and c.id = p.id
  returning * into result;

  insert into app_public.customer_merges (tenant_id, primary_id, duplicate_id, primary_snapshot, duplicate_snapshot,
    result_snapshot, moved_order_ids, moved_note_ids, moved_address_ids, notes_note_id, merged_by_user_id)
  values (tenant, p.id, d.id, to_jsonb(p), to_jsonb(d), to_jsonb(result), order_ids, note_ids, address_ids, notes_note, me)
  returning * into merge_row;

  perform app_private.emit_event(tenant, 'customer.merged.v1', 'customer', p.id, jsonb_build_object(
    'merge_id', merge_row.id,
    'primary_id', p.id,
    'duplicate_id', d.id,
    'primary_customer_number', p.customer_number,
    'duplicate_customer_number', d.customer_number,
    'display_name', result.display_name,
    'moved_order_ids', to_jsonb(order_ids),
    'moved_note_ids', to_jsonb(note_ids),
    'moved_address_ids', to_jsonb(address_ids),
    'added_visits', d.total_visits,
    'added_spend', d.total_spend,
    'total_visits', result.total_visits,
    'total_spend', result.total_spend,
    'last_visit_at', app_hidden.iso_utc(result.last_visit_at)));
  perform app_private.end_change();
  return result;
end;
$$;
comment on function app_public.merge_customers(text, text, text) is
  E'Merges a duplicate customer into a primary one (needs customers.merge). The primary keeps its values and takes the duplicate''s where it has none; tags and notes are combined; visits and spend are added up; orders, notes and addresses move to the primary. The duplicate stays with status merged. Both must be live and different (NOTFD, CMRGD, MRGSM). The reason, if given, is kept in the audit log.';

create or replace function app_public.preview_customer_merge(primary_id text, duplicate_id text) returns app_public.customer_merge_preview
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.merge');
  p app_public.customers;
  d app_public.customers;
  m app_public.customers;
  result app_public.customer_merge_preview;
begin
  if primary_id is null or duplicate_id is null then
    perform app_hidden.raise_error('BADIN', 'Choose the customer to keep and the duplicate to merge into it.');
  end if;
  if primary_id = duplicate_id then
    perform app_hidden.raise_error('MRGSM', 'A customer cannot be merged with itself; choose two different customers.');
  end if;
  select c.* into p from app_public.customers c where c.tenant_id = tenant and c.id = preview_customer_merge.primary_id;
  select c.* into d from app_public.customers c where c.tenant_id = tenant and c.id = preview_customer_merge.duplicate_id;
  if p.id is null or d.id is null then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.',
      left(case when p.id is null then primary_id else duplicate_id end, 40)));
  end if;
  if p.status = 'merged' or d.status = 'merged' then
    perform app_hidden.raise_error('CMRGD', 'One of these customers was already merged into another customer.');
  end if;
  m := app_hidden.merged_customer(p, d);
  result := row(m.display_name, m.email, m.phone, m.first_name, m.last_name, m.notes, m.tags, m.marketing_consent,
                m.total_visits, m.total_spend, m.last_visit_at,
                (select count(*) from app_public.orders o where o.tenant_id = tenant and o.customer_id = d.id),
                (select count(*) from app_public.customer_notes n where n.tenant_id = tenant and n.customer_id = d.id),
                (select count(*) from app_public.customer_addresses a where a.tenant_id = tenant and a.customer_id = d.id));
  return result;
end;
$$;
comment on function app_public.preview_customer_merge(text, text) is
  'Shows what mergeCustomers would make of the two customers, without changing anything (needs customers.merge).';
--! EndIncluded customers/430-merge.sql
--! Included customers/450-counters.sql
-- Customers and sales. Orders point at customers (composite foreign key;
-- place_order refuses ids that are not customers of the tenant), and a consumer of the event
-- log keeps each customer's total_visits, total_spend and last_visit_at exact: an
-- order.placed.v1 with a customer adds one visit and the order total, an order.voided.v1 takes
-- them back out. The dispatcher (app_private.dispatch) applies each event at most once (processed_events), so
-- replays never double-count, and an order of a merged customer counts for the customer it was
-- merged into. rebuild_customer_counters recomputes everything from the log.

------------------------------------------------------------------------------------------------
-- The consumer

/*
 * Locks and returns the live customer an order event counts for: the payload's customer, or the
 * customer it was merged into (the lock is taken before status is read, so a merge committing
 * meanwhile is seen). Null when the order has no customer.
 */
create or replace function app_private.lock_counted_customer(evt app_private.events) returns app_public.customers
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

create or replace function app_private.customer_counters__order_placed(evt app_private.events) returns void
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

create or replace function app_private.customer_counters__order_voided(evt app_private.events) returns void
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

------------------------------------------------------------------------------------------------
-- Applied at commit, customers in a fixed order
--
-- A sale locks its customer's row to count it (and the row of rm_customer_activity). Applied at
-- once, two transactions that each place several orders, for customers A and B in opposite
-- orders, locked A then B and B then A: a deadlock (40P01), one of them lost. So the two
-- per-customer consumers of order events (customer_counters, reporting_customers) only queue
-- the event (customer_order_queue); at commit the transaction applies its own queue with the
-- customers locked in one order for everybody (by id, collation "C", as merge_customers locks
-- them). Two such transactions then wait for each other instead of deadlocking. Nobody reads a
-- half-applied state: the queue holds only the writer's own, uncommitted rows.

/* Queues an order event with a customer for `consumer`, for app_private.apply_customer_orders at commit. */
create or replace function app_private.queue_customer_order(evt app_private.events, consumer text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if evt.payload ->> 'customer_id' is not null then
    insert into app_private.customer_order_queue (tenant_id, consumer, event_id, seq)
    values (evt.tenant_id, queue_customer_order.consumer, evt.id, evt.seq);
  end if;
end;
$$;

/* Consumer customer_counters (order events): queues the order for the application at commit. */
create or replace function app_private.customer_counters__enqueue(evt app_private.events) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  select app_private.queue_customer_order(evt, 'customer_counters');
$$;
comment on function app_private.customer_counters__enqueue(app_private.events) is 'Consumer customer_counters: queues an order event with a customer for app_private.apply_customer_orders at commit.';

/*
 * Applies the queued order events of a tenant that this transaction can see (its own), then
 * empties the queue: the counters with the customers locked in id order, then the customer
 * activity read model in one batch (its statements go by customer id). Returns how many events.
 */
create or replace function app_private.apply_customer_orders(tenant_id text) returns int
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant constant text := apply_customer_orders.tenant_id;
  counter_ids text[];
  reporting_ids text[];
  reporting_events app_private.events[];
  queued record;
begin
  with taken as (
    delete from app_private.customer_order_queue q where q.tenant_id = tenant
    returning q.consumer, q.event_id
  )
  select array_agg(t.event_id) filter (where t.consumer = 'customer_counters'),
         array_agg(t.event_id) filter (where t.consumer = 'reporting_customers')
  into counter_ids, reporting_ids
  from taken t;

  -- The counters, each order's customer (after merges) locked in one order for everybody.
  for queued in
    select q.evt from (
      select e as evt, e.seq, app_private.live_customer_id(tenant, e.payload ->> 'customer_id') as target
      from app_private.events e
      where e.tenant_id = tenant and e.id = any(counter_ids)
    ) q
    order by q.target collate "C", q.seq
  loop
    if (queued.evt).type = 'order.placed.v1' then
      perform app_private.customer_counters__order_placed(queued.evt);
    else
      perform app_private.customer_counters__order_voided(queued.evt);
    end if;
  end loop;

  select array_agg(e order by e.seq) into reporting_events
  from app_private.events e where e.tenant_id = tenant and e.id = any(reporting_ids);
  perform app_private.reporting_apply_customers(tenant, reporting_events);
  return coalesce(cardinality(counter_ids), 0) + coalesce(cardinality(reporting_ids), 0);
end;
$$;
comment on function app_private.apply_customer_orders(text) is 'Applies the tenant''s queued order events to customer counters and rm_customer_activity, customers locked in id order (at commit).';

/*
 * Deferred trigger: at commit, the first queued row applies the whole queue of its tenant; the
 * later ones find theirs gone. Runs as the owner (the commit happens outside the security
 * definer function that placed the order).
 */
create or replace function app_private.tg_customer_order_queue__apply() returns trigger
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if exists (select 1 from app_private.customer_order_queue q
             where q.tenant_id = new.tenant_id and q.consumer = new.consumer and q.event_id = new.event_id) then
    perform app_private.apply_customer_orders(new.tenant_id);
  end if;
  return null;
end;
$$;

drop trigger if exists _900_apply_at_commit on app_private.customer_order_queue;
create constraint trigger _900_apply_at_commit after insert on app_private.customer_order_queue
  deferrable initially deferred
  for each row execute function app_private.tg_customer_order_queue__apply();

/*
 * Recomputes the counters of a tenant's customers from the event log: zeroes them, forgets
 * what the consumer applied and replays every order event in log order. Returns how many events
 * were applied. The result equals what incremental consumption produced.
 */
create or replace function app_private.rebuild_customer_counters(tenant_id text) returns int
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
create or replace function app_public.customers_recent_orders(c app_public.customers) returns setof app_public.orders
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
--! EndIncluded customers/450-counters.sql
--! Included billing/510-subscriptions.sql
-- Each tenant's subscription (one row, mirrored from Stripe), its invoices and the
-- notices billing leaves for the owner. A new tenant starts on Starter, trialing for 14 days
-- with no card; a trigger queues the worker jobs that create its Stripe customer and then its
-- trial subscription (Stripe is never called from a transaction). From then on Stripe is the
-- source of truth: its events (app_private.apply_stripe_event) update these rows, and the tenant's
-- status follows (suspended for non-payment or cancellation, reactivated when paid).
-- db/BILLING.md tells the whole story.

create or replace trigger _100_timestamps before insert or update on app_public.billing_subscriptions
  for each row execute function app_private.tg__timestamps();

create or replace trigger _500_audit after insert or update or delete on app_public.billing_subscriptions
  for each row execute function app_private.tg__audit('created_at', 'updated_at', 'last_stripe_event_at');

drop policy if exists select_with_permission on app_public.billing_subscriptions;
create policy select_with_permission on app_public.billing_subscriptions for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.view'));

revoke all on app_public.billing_subscriptions from :DATABASE_VISITOR;
grant select on app_public.billing_subscriptions to :DATABASE_VISITOR;

create or replace trigger _100_timestamps before insert or update on app_public.billing_invoices
  for each row execute function app_private.tg__timestamps();

drop policy if exists select_with_permission on app_public.billing_invoices;
create policy select_with_permission on app_public.billing_invoices for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.view'));

revoke all on app_public.billing_invoices from :DATABASE_VISITOR;
grant select on app_public.billing_invoices to :DATABASE_VISITOR;

drop policy if exists select_with_permission on app_public.billing_notices;
create policy select_with_permission on app_public.billing_notices for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.update'));

revoke all on app_public.billing_notices from :DATABASE_VISITOR;
grant select on app_public.billing_notices to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Permissions for billing operations, entitlements

/*
 * Like app_hidden.assert_permission, for the operations a suspended business may still perform
 * (opening the billing portal, changing plan): raises LOGIN or DNIED, never TSUSP.
 */
create or replace function app_hidden.assert_billing_permission(permission text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.current_tenant_id();
begin
  if tenant is null then
    perform app_hidden.raise_error('LOGIN', 'Please sign in to continue.');
  end if;
  if not app_hidden.has_permission(permission) then
    perform app_hidden.raise_error('DNIED', format('Your role does not allow this (it needs the %s permission).', permission));
  end if;
  return tenant;
end;
$$;
comment on function app_hidden.assert_billing_permission(text) is 'The current tenant when the user holds the permission (LOGIN, DNIED); does not refuse suspended businesses.';

/* The plan of a tenant (Starter when it has no subscription row). */
create or replace function app_private.tenant_plan(tenant text) returns app_public.plans
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select p.* from app_public.plans p
  where p.key = coalesce((select s.plan_key from app_public.billing_subscriptions s where s.tenant_id = tenant), 'starter');
$$;
comment on function app_private.tenant_plan(text) is 'The plan whose modules and limits apply to the tenant.';

/* The plan of the current tenant (null without one). */
create or replace function app_hidden.current_plan() returns app_public.plans
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select p.* from app_private.tenant_plan(app_hidden.current_tenant_id()) p where app_hidden.current_tenant_id() is not null;
$$;
comment on function app_hidden.current_plan() is 'The plan of the current tenant: its modules and limits.';

create or replace function app_hidden.has_module(module text) returns boolean
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(module = any((app_hidden.current_plan()).modules), false);
$$;
comment on function app_hidden.has_module(text) is 'Whether the plan of the current tenant includes the module (customers, reporting, inventory…).';

/* Raises NOMOD unless the current tenant's plan includes the module. */
create or replace function app_hidden.assert_module(module text) returns void
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if not app_hidden.has_module(module) then
    perform app_hidden.raise_error('NOMOD', format(
      'Your %s plan does not include %s. Upgrade under Settings → Billing to use it.',
      coalesce((app_hidden.current_plan()).name, 'current'), replace(module, '_', ' ')));
  end if;
end;
$$;
comment on function app_hidden.assert_module(text) is 'Raises NOMOD unless the plan of the current tenant includes the module.';

create or replace function app_public.current_billing_subscription() returns app_public.billing_subscriptions
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select s.* from app_public.billing_subscriptions s where s.tenant_id = app_hidden.current_tenant_id();
$$;
comment on function app_public.current_billing_subscription() is 'The subscription of the current business (needs settings.view).';

------------------------------------------------------------------------------------------------
-- Tenant status follows billing

/* Suspends the tenant for a billing reason (app_private.suspend_tenant: a cancellation replaces a non-payment, not the reverse). */
create or replace function app_private.suspend_tenant_for_billing(tenant text, reason text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform app_private.suspend_tenant(tenant, reason,
    case reason when 'canceled' then 'The subscription ended.' else 'Payment failed.' end);
end;
$$;
comment on function app_private.suspend_tenant_for_billing(text, text) is 'Suspends the tenant (nonpayment or canceled).';

/* Lifts a suspension billing made; suspensions for other reasons are left alone. */
create or replace function app_private.reactivate_tenant_for_billing(tenant text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform app_private.reactivate_tenant(tenant, array['nonpayment', 'canceled'], 'Billing is in order again.');
end;
$$;
comment on function app_private.reactivate_tenant_for_billing(text) is 'Reactivates a tenant that billing suspended.';

/* Trigger: past_due_since follows the status (set when it falls past due, cleared when it leaves). */
create or replace function app_private.tg_billing_subscriptions__past_due_since() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if new.status = 'past_due' then
    new.past_due_since := case when tg_op = 'UPDATE' and old.status = 'past_due' then old.past_due_since else now() end;
  else
    new.past_due_since := null;
  end if;
  return new;
end;
$$;

create or replace trigger _050_past_due_since before insert or update of status on app_public.billing_subscriptions
  for each row execute function app_private.tg_billing_subscriptions__past_due_since();

------------------------------------------------------------------------------------------------
-- Onboarding: the trial row, then the worker creates the Stripe customer and subscription
create or replace function app_private.tg_tenants__start_trial() returns trigger
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  trial_end timestamptz := date_trunc('second', now()) + interval '14 days';
begin
  insert into app_public.billing_subscriptions (tenant_id, plan_key, status, trial_ends_at, current_period_start, current_period_end)
  values (new.id, 'starter', 'trialing', trial_end, date_trunc('second', now()), trial_end);
  -- 12 attempts: every retry falls within Stripe's 24 hours of idempotency-key memory.
  perform graphile_worker.add_job('stripe_create_customer', json_build_object('tenantId', new.id),
    max_attempts := 12, job_key := 'stripe_create_customer:' || new.id);
  return null;
end;
$$;
comment on function app_private.tg_tenants__start_trial() is 'Trigger: a new tenant starts a 14-day Starter trial; queues the creation of its Stripe customer.';

create or replace trigger _600_start_trial after insert on app_public.tenants
  for each row execute function app_private.tg_tenants__start_trial();

/* What the worker sends to Stripe for the tenant's customer; null when the tenant is gone. */
create or replace function app_private.stripe_customer_params(tenant text) returns jsonb
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select jsonb_build_object(
    'tenantId', t.id,
    'name', t.name,
    'customerId', t.billing_customer_id,
    'email', (select u.email::text from app_public.memberships m
              join app_public.roles r on r.tenant_id = m.tenant_id and r.id = m.role_id
              join app_public.users u on u.id = m.user_id
              where m.tenant_id = t.id and r.key = 'owner'
              order by m.created_at, m.id limit 1))
  from app_public.tenants t where t.id = tenant;
$$;
comment on function app_private.stripe_customer_params(text) is 'Name, owner email and Stripe customer id of a tenant (worker); null when the tenant is gone.';

/*
 * Stores the Stripe customer the worker created for the tenant and queues the creation of its
 * subscription. Returns false when the tenant is gone or already has another customer.
 */
create or replace function app_private.store_stripe_customer(tenant text, customer_id text) returns boolean
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  existing text;
begin
  select t.billing_customer_id into existing from app_public.tenants t where t.id = tenant for update;
  if not found or (existing is not null and existing <> customer_id) then
    return false;
  end if;
  if existing is null then
    update app_public.tenants set billing_customer_id = customer_id where id = tenant;
  end if;
  update app_public.billing_subscriptions s set stripe_customer_id = customer_id
    where s.tenant_id = tenant and s.stripe_customer_id is distinct from customer_id;
  if exists (select 1 from app_public.billing_subscriptions s where s.tenant_id = tenant and s.stripe_subscription_id is null) then
    perform graphile_worker.add_job('stripe_create_subscription', json_build_object('tenantId', tenant),
      max_attempts := 12, job_key := 'stripe_create_subscription:' || tenant);
  end if;
  return true;
end;
$$;
comment on function app_private.store_stripe_customer(text, text) is 'Records the Stripe customer of a tenant and queues its subscription (worker).';

/* What the worker needs to create the tenant's first subscription; null when the tenant is gone. */
create or replace function app_private.stripe_subscription_params(tenant text) returns jsonb
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select jsonb_build_object(
    'tenantId', s.tenant_id,
    'customerId', t.billing_customer_id,
    'subscriptionId', s.stripe_subscription_id,
    'status', s.status,
    'planKey', s.plan_key,
    'priceId', p.stripe_price_id,
    'trialEnd', case when s.status = 'trialing' and s.trial_ends_at is not null
                     then floor(extract(epoch from s.trial_ends_at))::bigint end)
  from app_public.billing_subscriptions s
  join app_public.tenants t on t.id = s.tenant_id
  join app_public.plans p on p.key = s.plan_key
  where s.tenant_id = tenant;
$$;
comment on function app_private.stripe_subscription_params(text) is 'Customer, plan, price and trial end of the tenant''s subscription (worker); null when gone.';

------------------------------------------------------------------------------------------------
-- Applying Stripe objects (called by the event job and by the jobs that create subscriptions)

/* A Stripe timestamp (unix seconds, possibly JSON null) as timestamptz. */
create or replace function app_private.stripe_time(value jsonb) returns timestamptz
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select case when jsonb_typeof(value) = 'number' then to_timestamp((value #>> '{}')::double precision) end;
$$;

/* Our status for a Stripe subscription status. */
create or replace function app_private.billing_status_of(stripe_status text) returns text
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select case stripe_status
    when 'trialing' then 'trialing'
    when 'active' then 'active'
    when 'past_due' then 'past_due'
    when 'unpaid' then 'unpaid'
    when 'canceled' then 'canceled'
    when 'incomplete_expired' then 'canceled'
    when 'incomplete' then 'past_due'
    when 'paused' then 'past_due'
  end;
$$;
comment on function app_private.billing_status_of(text) is 'Maps Stripe subscription statuses to ours (incomplete and paused → past_due, incomplete_expired → canceled).';

/* After the subscription status changed: suspend or reactivate the tenant. */
create or replace function app_private.sync_tenant_with_subscription(tenant text, status text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if status = 'canceled' then
    perform app_private.suspend_tenant_for_billing(tenant, 'canceled');
  elsif status = 'unpaid' then
    perform app_private.suspend_tenant_for_billing(tenant, 'nonpayment');
  elsif status in ('active', 'trialing') then
    perform app_private.reactivate_tenant_for_billing(tenant);
  end if;
end;
$$;

/*
 * Applies a Stripe subscription object to the tenant's row.
 *   source 'event': `at` is the created time of the event carrying it; an event older than the
 *     newest one applied is stale and changes nothing; a subscription that ended (canceled) is
 *     never revived by a later event about it; an event about an older subscription of the
 *     customer is ignored; a newer subscription replaces the stored one (reactivation).
 *   source 'api': the object a create call returned; it only fills in a subscription the row
 *     does not know yet (events about it may have been applied first).
 * `deleted` marks customer.subscription.deleted. Returns what happened, for the event log.
 */
create or replace function app_private.apply_stripe_subscription(tenant text, sub jsonb, at timestamptz, source text default 'event', deleted boolean default false)
returns text
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  cur app_public.billing_subscriptions;
  sub_id text := sub ->> 'id';
  sub_created timestamptz := app_private.stripe_time(sub -> 'created');
  item jsonb := sub -> 'items' -> 'data' -> 0;
  new_status text := case when deleted then 'canceled' else app_private.billing_status_of(sub ->> 'status') end;
  ended timestamptz;
  new_plan text;
begin
  if sub_id is null or new_status is null then
    return 'not a subscription';
  end if;
  select s.* into cur from app_public.billing_subscriptions s where s.tenant_id = tenant for update;
  if not found then
    return 'tenant has no subscription row';
  end if;
  if cur.stripe_subscription_id is distinct from sub_id then
    -- (Created in the same second: a live one replaces an ended one, not the reverse.)
    if cur.stripe_subscription_id is not null and cur.stripe_subscription_created_at is not null
       and (sub_created < cur.stripe_subscription_created_at
            or (sub_created = cur.stripe_subscription_created_at and not (cur.status = 'canceled' and new_status <> 'canceled'))) then
      return 'older subscription of the customer';
    end if;
    -- A subscription the row does not know yet, newer than the stored one: it takes over.
  elsif source = 'api' then
    return 'already known';
  elsif cur.status = 'canceled' then
    return 'subscription already ended';
  elsif cur.last_stripe_event_at is not null and at < cur.last_stripe_event_at then
    return 'stale';
  end if;

  new_plan := coalesce(app_private.plan_for_stripe_price(item -> 'price'), cur.plan_key);
  ended := case when new_status = 'canceled'
                then coalesce(app_private.stripe_time(sub -> 'ended_at'), app_private.stripe_time(sub -> 'canceled_at'), at) end;
  update app_public.billing_subscriptions s set
    stripe_subscription_id = sub_id,
    stripe_subscription_created_at = sub_created,
    stripe_customer_id = coalesce(case when jsonb_typeof(sub -> 'customer') = 'string' then sub ->> 'customer' end, s.stripe_customer_id),
    plan_key = new_plan,
    status = new_status,
    current_period_start = coalesce(app_private.stripe_time(item -> 'current_period_start'), s.current_period_start),
    current_period_end = coalesce(app_private.stripe_time(item -> 'current_period_end'), s.current_period_end),
    trial_ends_at = app_private.stripe_time(sub -> 'trial_end'),
    cancel_at_period_end = coalesce((sub ->> 'cancel_at_period_end')::boolean, false),
    canceled_at = ended,
    grace_ends_at = ended + interval '30 days',
    last_stripe_event_at = greatest(s.last_stripe_event_at, at)
  where s.tenant_id = tenant;
  perform app_private.sync_tenant_with_subscription(tenant, new_status);
  return format('subscription %s: %s', sub_id, new_status);
end;
$$;
comment on function app_private.apply_stripe_subscription(text, jsonb, timestamptz, text, boolean) is 'Applies a Stripe subscription to the tenant''s row (stale, ended and older subscriptions change nothing).';

/* Upserts the mirror of a Stripe invoice; an event older than the one applied changes nothing. */
create or replace function app_private.upsert_stripe_invoice(tenant text, inv jsonb, at timestamptz) returns boolean
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  line jsonb;
  rank_of constant jsonb := '{"draft": 0, "open": 1, "paid": 2, "void": 2, "uncollectible": 2}';
  changed int;
begin
  -- The service period is on the subscription's (non-proration) line; Stripe's invoice period is the one before.
  select l into line from jsonb_array_elements(coalesce(inv -> 'lines' -> 'data', '[]'::jsonb)) as l
  where coalesce((l -> 'parent' -> 'subscription_item_details' ->> 'proration')::boolean, false) = false
  order by (l -> 'period' ->> 'end')::bigint desc nulls last limit 1;
  insert into app_public.billing_invoices as b (
    tenant_id, stripe_invoice_id, stripe_subscription_id, number, status, billing_reason, currency,
    amount_due, amount_paid, attempt_count, next_payment_attempt, period_start, period_end,
    hosted_invoice_url, invoiced_at, paid_at, last_stripe_event_at)
  values (
    tenant, inv ->> 'id',
    coalesce(inv -> 'parent' -> 'subscription_details' ->> 'subscription', inv ->> 'subscription'),
    inv ->> 'number', inv ->> 'status', inv ->> 'billing_reason', coalesce(inv ->> 'currency', 'usd'),
    coalesce((inv ->> 'amount_due')::int, 0), coalesce((inv ->> 'amount_paid')::int, 0),
    coalesce((inv ->> 'attempt_count')::int, 0), app_private.stripe_time(inv -> 'next_payment_attempt'),
    coalesce(app_private.stripe_time(line -> 'period' -> 'start'), app_private.stripe_time(inv -> 'period_start')),
    coalesce(app_private.stripe_time(line -> 'period' -> 'end'), app_private.stripe_time(inv -> 'period_end')),
    inv ->> 'hosted_invoice_url', coalesce(app_private.stripe_time(inv -> 'created'), at),
    app_private.stripe_time(inv -> 'status_transitions' -> 'paid_at'), at)
  on conflict (tenant_id, stripe_invoice_id) do update set
    number = coalesce(excluded.number, b.number),
    status = excluded.status,
    amount_due = excluded.amount_due,
    amount_paid = excluded.amount_paid,
    attempt_count = greatest(excluded.attempt_count, b.attempt_count),
    next_payment_attempt = excluded.next_payment_attempt,
    period_start = excluded.period_start,
    period_end = excluded.period_end,
    hosted_invoice_url = coalesce(excluded.hosted_invoice_url, b.hosted_invoice_url),
    paid_at = coalesce(excluded.paid_at, b.paid_at),
    last_stripe_event_at = excluded.last_stripe_event_at
  where excluded.last_stripe_event_at > b.last_stripe_event_at
     or (excluded.last_stripe_event_at = b.last_stripe_event_at
         and (rank_of ->> excluded.status)::int >= (rank_of ->> b.status)::int);
  get diagnostics changed = row_count;
  return changed > 0;
end;
$$;
comment on function app_private.upsert_stripe_invoice(text, jsonb, timestamptz) is 'Mirrors a Stripe invoice (older events, and same-second events moving the status backwards, change nothing).';

/*
 * invoice.paid and invoice.payment_failed change the subscription too:
 *   paid   → active with the paid service period, and a tenant suspended for non-payment is
 *            reactivated (a $0 invoice during the trial changes nothing);
 *   failed → past_due, and the tenant is suspended when Stripe will not retry
 *            (next_payment_attempt null) or after 3 failed attempts.
 * Only for the subscription the row holds, unless it ended, and not from a stale event.
 */
create or replace function app_private.apply_stripe_invoice(tenant text, inv jsonb, event_type text, at timestamptz) returns text
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  cur app_public.billing_subscriptions;
  sub_id text := coalesce(inv -> 'parent' -> 'subscription_details' ->> 'subscription', inv ->> 'subscription');
  mirrored boolean := app_private.upsert_stripe_invoice(tenant, inv, at);
  line jsonb;
  period_start timestamptz;
  period_end timestamptz;
begin
  if event_type not in ('invoice.paid', 'invoice.payment_failed') then
    return case when mirrored then 'invoice mirrored' else 'invoice unchanged (stale)' end;
  end if;
  select s.* into cur from app_public.billing_subscriptions s where s.tenant_id = tenant for update;
  if not found or sub_id is null or cur.stripe_subscription_id is distinct from sub_id then
    return 'invoice of another subscription';
  elsif cur.status = 'canceled' then
    return 'subscription already ended';
  elsif cur.last_stripe_event_at is not null and at < cur.last_stripe_event_at then
    return 'stale';
  end if;

  if event_type = 'invoice.paid' then
    if cur.status = 'trialing' and coalesce((inv ->> 'amount_paid')::int, 0) = 0 then
      update app_public.billing_subscriptions s set last_stripe_event_at = greatest(s.last_stripe_event_at, at)
        where s.tenant_id = tenant;
      return 'trial invoice';
    end if;
    -- Like Stripe: while another invoice of the subscription is still failing, it stays past due.
    if exists (select 1 from app_public.billing_invoices b
               where b.tenant_id = tenant and b.stripe_subscription_id = sub_id and b.stripe_invoice_id <> inv ->> 'id'
                 and b.status = 'open' and b.attempt_count > 0) then
      update app_public.billing_subscriptions s set last_stripe_event_at = greatest(s.last_stripe_event_at, at)
        where s.tenant_id = tenant;
      return 'paid, another invoice still unpaid';
    end if;
    select l into line from jsonb_array_elements(coalesce(inv -> 'lines' -> 'data', '[]'::jsonb)) as l
    where coalesce((l -> 'parent' -> 'subscription_item_details' ->> 'proration')::boolean, false) = false
    order by (l -> 'period' ->> 'end')::bigint desc nulls last limit 1;
    period_start := app_private.stripe_time(line -> 'period' -> 'start');
    period_end := app_private.stripe_time(line -> 'period' -> 'end');
    update app_public.billing_subscriptions s set
      status = 'active',
      current_period_start = case when period_end >= coalesce(s.current_period_end, '-infinity') then period_start else s.current_period_start end,
      current_period_end = case when period_end >= coalesce(s.current_period_end, '-infinity') then period_end else s.current_period_end end,
      last_stripe_event_at = greatest(s.last_stripe_event_at, at)
    where s.tenant_id = tenant;
    perform app_private.reactivate_tenant_for_billing(tenant);
    return 'paid: active';
  end if;

  update app_public.billing_subscriptions s set
    status = case when s.status = 'unpaid' then 'unpaid' else 'past_due' end,
    last_stripe_event_at = greatest(s.last_stripe_event_at, at)
  where s.tenant_id = tenant;
  if jsonb_typeof(inv -> 'next_payment_attempt') is distinct from 'number'
     or coalesce((inv ->> 'attempt_count')::int, 0) >= 3 then
    perform app_private.suspend_tenant_for_billing(tenant, 'nonpayment');
    return 'payment failed: past_due, suspended';
  end if;
  return 'payment failed: past_due';
end;
$$;
comment on function app_private.apply_stripe_invoice(text, jsonb, text, timestamptz) is 'Mirrors an invoice; invoice.paid and invoice.payment_failed also move the subscription and the tenant.';

/* A notice for the owner, once per Stripe event. */
create or replace function app_private.add_billing_notice(tenant text, kind text, message text, stripe_event_id text) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  insert into app_public.billing_notices (tenant_id, kind, message, stripe_event_id)
  values (tenant, kind, message, stripe_event_id)
  on conflict (tenant_id, stripe_event_id) do nothing;
$$;

create or replace function app_public.dismiss_billing_notice(id text) returns app_public.billing_notices
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_billing_permission('settings.update');
  result app_public.billing_notices;
begin
  update app_public.billing_notices n set dismissed_at = coalesce(n.dismissed_at, now())
  where n.tenant_id = tenant and n.id = dismiss_billing_notice.id
  returning n.* into result;
  if result.id is null then
    perform app_hidden.raise_error('NOTFD', 'That notice does not exist.');
  end if;
  return result;
end;
$$;
comment on function app_public.dismiss_billing_notice(text) is E'@resultFieldName billingNotice\nHides a billing notice (owner).';
--! EndIncluded billing/510-subscriptions.sql
--! Included billing/520-stripe-events.sql
-- Stripe's webhooks, stored once and applied by a job. The web server
-- verifies the signature, then calls app_hidden.receive_stripe_event as the authenticator role
-- (the only role allowed to; GraphQL requests run as the visitor and cannot): in one transaction
-- the event is stored (unique by Stripe's event id, so a duplicate delivery adds nothing) and a
-- `stripe_apply_event` job is queued. The job calls app_private.apply_stripe_event, which finds
-- the tenant by its Stripe customer and applies the subscription rules (app_private.apply_stripe_subscription, apply_stripe_invoice). An event about a
-- customer we have not stored yet fails with NOCUS, so graphile-worker retries it later.
--
-- The table is global: when an event arrives its tenant may not be known yet (the customer id
-- may not be stored), and Stripe's event ids are unique across all tenants.

/* Event types the apply job acts on; the others are stored and acknowledged only. */
create or replace function app_private.stripe_event_is_handled(type text) returns boolean
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select type in (
    'customer.subscription.created', 'customer.subscription.updated', 'customer.subscription.deleted',
    'customer.subscription.trial_will_end',
    'invoice.created', 'invoice.finalized', 'invoice.paid', 'invoice.payment_failed',
    'invoice.payment_succeeded', 'invoice.voided', 'invoice.marked_uncollectible', 'invoice.updated');
$$;

/*
 * Applies one stored event (the `stripe_apply_event` job). Locks the event row, so a second job
 * for the same event waits and then finds it applied. Returns the outcome; raises NOCUS (the
 * job retries) when the event is about a customer not stored yet.
 */
create or replace function app_private.apply_stripe_event(event_id text) returns text
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  evt app_private.stripe_events;
  obj jsonb;
  tenant text;
  hint text;
  result text;
begin
  select e.* into evt from app_private.stripe_events e where e.id = event_id for update;
  if not found then
    return 'gone';
  elsif evt.status <> 'pending' then
    return 'already ' || evt.status;
  end if;
  obj := evt.payload -> 'data' -> 'object';

  if not app_private.stripe_event_is_handled(evt.type) then
    result := 'type not used';
  else
    select t.id into tenant from app_public.tenants t where t.billing_customer_id = evt.customer_id;
    if tenant is null then
      hint := coalesce(obj -> 'metadata' ->> 'tenant_id',
                       obj -> 'parent' -> 'subscription_details' -> 'metadata' ->> 'tenant_id');
      if evt.customer_id is null
         or (hint is not null and not exists (select 1 from app_public.tenants t where t.id = hint)) then
        update app_private.stripe_events e set status = 'ignored', outcome = 'not about one of our customers', applied_at = now()
          where e.id = evt.id;
        return 'not about one of our customers';
      end if;
      perform app_hidden.raise_error('NOCUS', format(
        'Stripe event %s is about customer %s, which is not stored yet; it will be retried.', evt.id, evt.customer_id));
    end if;

    if evt.type like 'customer.subscription.%' then
      result := app_private.apply_stripe_subscription(tenant, obj, evt.stripe_created_at, 'event',
                                                      evt.type = 'customer.subscription.deleted');
      if evt.type = 'customer.subscription.trial_will_end' and obj ->> 'status' = 'trialing' then
        perform app_private.add_billing_notice(tenant, 'trial_will_end', format(
          'Your free trial ends on %s. Add a payment method under Settings → Billing to keep using Backoffice.',
          to_char(app_private.stripe_time(obj -> 'trial_end') at time zone 'UTC', 'FMMonth FMDD, YYYY')), evt.id);
      elsif evt.type = 'customer.subscription.deleted' and result not in ('stale', 'older subscription of the customer', 'subscription already ended') then
        perform app_private.add_billing_notice(tenant, 'subscription_canceled',
          'Your subscription has ended and your account is suspended. Choose a plan under Settings → Billing within 30 days to reactivate it; your data is kept until then.', evt.id);
      end if;
    else
      result := app_private.apply_stripe_invoice(tenant, obj, evt.type, evt.stripe_created_at);
      -- Every failed charge is told, whatever the order events were applied in (a stale one
      -- changes no state, but the charge still failed): one notice per event.
      if evt.type = 'invoice.payment_failed' then
        perform app_private.add_billing_notice(tenant, 'payment_failed', format(
          'We could not charge %s for invoice %s. Update your payment method under Settings → Billing.',
          to_char(coalesce((obj ->> 'amount_due')::numeric, 0) / 100, 'FM999G999G990D00') || ' ' || upper(coalesce(obj ->> 'currency', 'usd')),
          coalesce(obj ->> 'number', obj ->> 'id')), evt.id);
      end if;
    end if;
  end if;

  update app_private.stripe_events e set
    status = case when app_private.stripe_event_is_handled(evt.type) then 'applied' else 'ignored' end,
    outcome = result, applied_at = now()
  where e.id = evt.id;
  return result;
end;
$$;
comment on function app_private.apply_stripe_event(text) is 'Applies a stored Stripe event once (worker); raises NOCUS while its customer is not stored, so the job retries.';

/*
 * Stores verified Stripe events and queues the jobs that apply them, in one transaction: the
 * webhook route's group commit (web/server/stripe-inbox.ts) passes the deliveries that arrive
 * together. An event is stored once (unique by Stripe's event id); a duplicate delivery adds
 * nothing. Refuses the whole batch with BADIN when one is not a Stripe event (an evt_ id, a type,
 * a numeric created, an object in data.object). Returns, for each input in order, true when it
 * was stored now and false for a duplicate (already stored, or an earlier copy in the batch).
 * Set based: graphile_worker.add_job costs ≈ 1.5 ms a call (add_jobs for 200 specs ≈ 19 ms in
 * all), and every transaction that queues a job also notifies, which PostgreSQL commits one at a
 * time (measured: 164–186 events/s one by one, 1,293 together).
 */
create or replace function app_hidden.receive_stripe_events(events jsonb[]) returns boolean[]
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  new_ids text[];
  pending_ids text[];
  tolerance constant interval := coalesce(nullif(current_setting('backoffice.stripe_created_tolerance', true), '')::interval, interval '5 minutes');
begin
  -- What a Stripe event is. The id must be one the stripe_apply_event job accepts (letters,
  -- digits and _, at most 64 characters), or the event would be stored and its job fail for
  -- ever. `created` may not be more than 5 minutes ahead of our clock: an event "from the
  -- future" would make every real event after it look stale and freeze the subscription. (The
  -- database setting backoffice.stripe_created_tolerance widens that for a local Stripe whose
  -- test clock is moved days ahead, as the billing tests do; never set it in production.)
  if exists (
    select 1 from unnest(events) e
    where coalesce(e ->> 'id', '') !~ '^evt_[0-9A-Za-z_]{1,60}$' or e ->> 'type' is null
       or case when jsonb_typeof(e -> 'created') = 'number'
               then (e ->> 'created')::numeric > extract(epoch from now() + tolerance)
               else true end
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

  -- The events of one Stripe customer are applied one at a time, oldest first: their jobs share
  -- a graphile-worker queue (jobs of a queue run in turn). Applied by several workers at once,
  -- the same history gave different outcomes from run to run (which notice, which state won).
  if cardinality(pending_ids) > 0 then
    perform graphile_worker.add_jobs(array(
      select row('stripe_apply_event', json_build_object('eventId', e.id),
                 case when e.customer_id is not null then 'stripe:' || e.customer_id end,
                 null, 15, null, null, null)::graphile_worker.job_spec
      from app_private.stripe_events e
      where e.id = any(pending_ids)
      order by e.stripe_created_at, e.id
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

/* One event: the batch of one (app_hidden.receive_stripe_events holds the rules). */
create or replace function app_hidden.receive_stripe_event(event jsonb) returns boolean
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  select (app_hidden.receive_stripe_events(array[event]))[1];
$$;
comment on function app_hidden.receive_stripe_event(jsonb) is 'Stores a verified Stripe event once and queues the job applying it; false for a duplicate. Executable by the authenticator role only.';
revoke execute on function app_hidden.receive_stripe_event(jsonb) from public;
revoke execute on function app_hidden.receive_stripe_event(jsonb) from :DATABASE_VISITOR;
grant execute on function app_hidden.receive_stripe_event(jsonb) to :DATABASE_AUTHENTICATOR;
--! EndIncluded billing/520-stripe-events.sql
--! Included billing/540-billing-requests.sql
-- What the owner asks of Stripe from the admin: a billing portal session,
-- a plan change. Stripe is never called from a request: request_billing_portal() and
-- change_plan() record a billing_requests row and queue a job; the job stores the outcome (the
-- portal URL, or the error) on the row, which the admin polls through GraphQL. Both work while
-- the business is suspended: they are how it gets out of suspension.

create or replace trigger _100_timestamps before insert or update on app_public.billing_requests
  for each row execute function app_private.tg__timestamps();

-- A portal URL opens the business's billing: only the person who asked sees it.
drop policy if exists select_own_requests on app_public.billing_requests;
create policy select_own_requests on app_public.billing_requests for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and requested_by = (select app_hidden.current_user_id()));

revoke all on app_public.billing_requests from :DATABASE_VISITOR;
grant select on app_public.billing_requests to :DATABASE_VISITOR;

create or replace function app_public.request_billing_portal() returns app_public.billing_requests
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_billing_permission('settings.update');
  result app_public.billing_requests;
begin
  insert into app_public.billing_requests (tenant_id, kind, requested_by)
  values (tenant, 'portal', app_hidden.current_user_id())
  returning * into result;
  perform graphile_worker.add_job('stripe_billing_portal',
    json_build_object('tenantId', tenant, 'requestId', result.id), max_attempts := 12);
  return result;
end;
$$;
comment on function app_public.request_billing_portal() is E'@resultFieldName billingRequest\nAsks for a Stripe billing portal session (settings.update); poll the returned request for its url.';

create or replace function app_public.change_plan(plan_key text, reason text default null) returns app_public.billing_requests
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_billing_permission('settings.update');
  target app_public.plans;
  cur app_public.billing_subscriptions;
  problem text;
  result app_public.billing_requests;
begin
  select p.* into target from app_public.plans p where p.key = change_plan.plan_key;
  if not found then
    perform app_hidden.raise_error('BADPL', format('There is no plan named "%s".', left(coalesce(change_plan.plan_key, ''), 50)));
  end if;
  select s.* into cur from app_public.billing_subscriptions s where s.tenant_id = tenant;
  if cur.status = 'canceled' and cur.grace_ends_at < now() then
    perform app_hidden.raise_error('GRACE', 'Your subscription ended more than 30 days ago, so it can no longer be reactivated here. Please contact support.');
  end if;
  if cur.status is distinct from 'canceled' and cur.plan_key = target.key then
    perform app_hidden.raise_error('BADPL', format('You are already on the %s plan.', target.name));
  end if;
  problem := app_private.plan_change_problem(tenant, target.key);
  if problem is not null then
    perform app_hidden.raise_error('DOWNG', problem);
  end if;
  perform app_private.begin_change('change_plan', reason);
  insert into app_public.billing_requests (tenant_id, kind, plan_key, requested_by)
  values (tenant, 'change_plan', target.key, app_hidden.current_user_id())
  returning * into result;
  perform app_private.end_change();
  perform graphile_worker.add_job('stripe_change_plan',
    json_build_object('tenantId', tenant, 'requestId', result.id), max_attempts := 12);
  return result;
end;
$$;
comment on function app_public.change_plan(text, text) is E'@resultFieldName billingRequest\nMoves the business to another plan (settings.update), or reactivates a canceled subscription within its 30-day grace period. Refused with DOWNG when current usage exceeds the plan''s limits. Poll the returned request. The reason, if given, is kept in the audit log.';

/* What the job needs for a request; null when the request is gone. */
create or replace function app_private.billing_request_params(tenant text, request_id text) returns jsonb
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select jsonb_build_object(
    'id', r.id,
    'tenantId', r.tenant_id,
    'kind', r.kind,
    'status', r.status,
    'planKey', r.plan_key,
    'priceId', p.stripe_price_id,
    'customerId', t.billing_customer_id,
    'subscriptionId', s.stripe_subscription_id,
    'subscriptionStatus', s.status,
    'problem', case when r.kind = 'change_plan' then app_private.plan_change_problem(r.tenant_id, r.plan_key) end)
  from app_public.billing_requests r
  join app_public.tenants t on t.id = r.tenant_id
  left join app_public.plans p on p.key = r.plan_key
  left join app_public.billing_subscriptions s on s.tenant_id = r.tenant_id
  where r.tenant_id = tenant and r.id = request_id;
$$;
comment on function app_private.billing_request_params(text, text) is 'A billing request with the Stripe ids its job needs (worker).';

/* The job's outcome; a request that is no longer pending is left alone. */
create or replace function app_private.finish_billing_request(tenant text, request_id text, status text, url text default null, error_message text default null)
returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  update app_public.billing_requests r set
    status = finish_billing_request.status,
    url = finish_billing_request.url,
    error_message = finish_billing_request.error_message,
    finished_at = now()
  where r.tenant_id = tenant and r.id = request_id and r.status = 'pending';
$$;
comment on function app_private.finish_billing_request(text, text, text, text, text) is 'Marks a billing request done (with its url) or failed (with a message for the user) (worker).';

-- The requests (plan changes, portal sessions) are in the audit log, with the reason given.
create or replace trigger _500_audit after insert on app_public.billing_requests
  for each row execute function app_private.tg__audit('created_at', 'updated_at');
--! EndIncluded billing/540-billing-requests.sql
--! Included billing/590-suspension.sql
-- A suspended (or closed) business keeps its sessions, but its work is refused
-- with TSUSP. Every tenant-owned table (app_public, reporting) except identity and billing state
-- gets restrictive policies, ANDed with the permissive ones, whose check raises TSUSP on a row of
-- the current tenant while that tenant is not active:
--   active_tenant_only   (API role, all commands) reads and writes through GraphQL fail with our
--                        code instead of silently finding nothing;
--   active_tenant_insert/update/delete (owner role) writes made by security definer functions on
--                        behalf of a suspended tenant's session fail too. The owner's reads stay
--                        allowed (usage counts on the billing page), and without a session (the
--                        worker, migrations) nothing changes.
-- Exempt: memberships, roles, the tenant row for reading, billing subscriptions, invoices, notices
-- and requests, so that the admin can show the suspended page, open the billing portal and change
-- plan; signing in and out and switching business touch none of the others. Security definer
-- functions that read business data are covered by app_hidden.assert_permission calling
-- app_hidden.assert_tenant_active() (db/BILLING.md). This file runs last among the 5xx files so
-- that it covers every table created before it; a later table calls
-- app_private.enforce_active_tenant(table) itself (test/db/billing/suspension.test.ts checks).

/* True when the current tenant is active (or there is none); raises TSUSP otherwise. */
create or replace function app_hidden.assert_tenant_active() returns boolean
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant_status text;
begin
  select t.status into tenant_status from app_public.tenants t where t.id = app_hidden.current_tenant_id();
  if tenant_status = 'suspended' then
    perform app_hidden.raise_error('TSUSP',
      'Your account has been suspended. Open Settings → Billing to update your payment details or choose a plan, and it will be reactivated.');
  elsif tenant_status = 'closed' then
    perform app_hidden.raise_error('TSUSP', 'This business has been closed.');
  end if;
  return true;
end;
$$;
comment on function app_hidden.assert_tenant_active() is 'Raises TSUSP when the current tenant is suspended or closed; true otherwise.';

/* The current tenant when it is suspended or closed; null when it is active or there is none. */
create or replace function app_hidden.current_suspended_tenant_id() returns text
language plpgsql stable security definer parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
begin
  return (select t.id from app_public.tenants t where t.id = app_hidden.current_tenant_id() and t.status <> 'active');
end;
$$;
comment on function app_hidden.current_suspended_tenant_id() is 'The current tenant while it is suspended or closed, else null.';

/* Policy helper: raises TSUSP (volatile, so that the planner never evaluates it ahead of a row). */
create or replace function app_hidden.tenant_suspended_error() returns boolean
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  return app_hidden.assert_tenant_active();
end;
$$;

/*
 * Gives a tenant-owned table the restrictive policies that refuse the rows of a suspended current
 * tenant with TSUSP: all commands for the API role, writes for the owner role.
 */
create or replace function app_private.enforce_active_tenant(tbl regclass) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  ok constant text := 'case when tenant_id is distinct from (select app_hidden.current_suspended_tenant_id()) then true '
                      'else app_hidden.tenant_suspended_error() end';
begin
  execute format('create policy active_tenant_only on %s as restrictive for all to :DATABASE_VISITOR using (%s) with check (%s)', tbl, ok, ok);
  execute format('create policy active_tenant_insert on %s as restrictive for insert to :DATABASE_OWNER with check (%s)', tbl, ok);
  execute format('create policy active_tenant_update on %s as restrictive for update to :DATABASE_OWNER using (%s) with check (%s)', tbl, ok, ok);
  execute format('create policy active_tenant_delete on %s as restrictive for delete to :DATABASE_OWNER using (%s)', tbl, ok);
end;
$$;
comment on function app_private.enforce_active_tenant(regclass) is 'Adds the active_tenant_* policies (TSUSP for the rows of a suspended current tenant) to a tenant-owned table.';

/*
 * Tenant-owned tables a suspended business may still read: identity and billing state, and the
 * audit trail, which is only ever written as a side effect of a change the rules already allowed
 * (a suspended business's plan change is audited) and never by the API.
 */
create or replace function app_private.suspension_exempt_tables() returns regclass[]
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select array[
    'app_public.memberships', 'app_public.roles',
    'app_public.billing_subscriptions', 'app_public.billing_invoices',
    'app_public.billing_notices', 'app_public.billing_requests', 'app_public.tenant_suspensions',
    'app_public.audit_entries'
  ]::regclass[];
$$;

-- The tenant row stays readable (the admin shows the suspended page from it), not writable.
drop policy if exists active_tenant_only on app_public.tenants;
create policy active_tenant_only on app_public.tenants as restrictive for update to :DATABASE_VISITOR
  using (case when id is distinct from (select app_hidden.current_suspended_tenant_id()) then true
              else app_hidden.tenant_suspended_error() end);

------------------------------------------------------------------------------------------------
-- Suspending and reactivating, with the story kept (app_public.tenant_suspensions)
--
-- The tenant row says what is true now (status, suspension_reason, suspended_at); each
-- suspension and its end is a row of tenant_suspensions, with its type, its reason, when and by
-- whom. Billing suspends for nonpayment or canceled (app_private.suspend_tenant_for_billing);
-- the platform suspends for fraud, manual or technical reasons, always with a written reason,
-- and only the platform lifts those (billing's reactivation leaves them alone).

/* The members with settings.view read their business's suspensions, also while it is suspended. */
drop policy if exists select_with_permission on app_public.tenant_suspensions;
create policy select_with_permission on app_public.tenant_suspensions for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.view'));
revoke all on app_public.tenant_suspensions from :DATABASE_VISITOR;
grant select on app_public.tenant_suspensions to :DATABASE_VISITOR;

/*
 * Suspends a business: the tenant row becomes suspended with this type, and a suspension row
 * records type, reason and actor. When it is already suspended: a cancellation replaces a
 * non-payment (the subscription ended since), and any platform type (fraud, manual, technical)
 * replaces a billing one; otherwise the current suspension stands and nothing changes. A closed
 * business stays closed. The reason is required (BADIN, field reason).
 */
create or replace function app_private.suspend_tenant(tenant text, type text, reason text, actor text default null)
returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  why text := app_hidden.assert_name('The reason for a suspension', suspend_tenant.reason, 500, 'reason');
  t app_public.tenants;
  open_one app_public.tenant_suspensions;
begin
  if suspend_tenant.type not in ('nonpayment', 'canceled', 'fraud', 'manual', 'technical') then
    perform app_hidden.raise_error('BADIN', 'A suspension is nonpayment, canceled, fraud, manual or technical.', field => 'type');
  end if;
  select x.* into t from app_public.tenants x where x.id = tenant for update;
  if not found or t.status = 'closed' then
    return;
  end if;
  select s.* into open_one from app_public.tenant_suspensions s where s.tenant_id = tenant and s.ended_at is null;
  if open_one.id is not null then
    if open_one.type = suspend_tenant.type
       or not ((open_one.type = 'nonpayment' and suspend_tenant.type = 'canceled')
               or (open_one.type in ('nonpayment', 'canceled') and suspend_tenant.type in ('fraud', 'manual', 'technical'))) then
      return;
    end if;
    update app_public.tenant_suspensions s set ended_at = now(), ended_by = actor,
      end_reason = format('Replaced by a %s suspension.', suspend_tenant.type)
    where s.tenant_id = tenant and s.id = open_one.id;
  end if;
  insert into app_public.tenant_suspensions (tenant_id, type, reason, suspended_by)
  values (tenant, suspend_tenant.type, why, actor);
  update app_public.tenants x set status = 'suspended', suspension_reason = suspend_tenant.type,
    suspended_at = coalesce(x.suspended_at, now())
  where x.id = tenant;
end;
$$;
comment on function app_private.suspend_tenant(text, text, text, text) is 'Suspends a business (nonpayment, canceled, fraud, manual, technical) with a reason, keeping the history; platform and billing only.';

/*
 * Ends the current suspension of a business when its type is one of `types`, with a reason
 * (required) and the actor, and makes the business active again. Returns whether it did.
 */
create or replace function app_private.reactivate_tenant(tenant text, types text[], reason text, actor text default null)
returns boolean
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  why text := app_hidden.assert_name('The reason for a reactivation', reactivate_tenant.reason, 500, 'reason');
  ended int;
begin
  update app_public.tenant_suspensions s set ended_at = now(), ended_by = actor, end_reason = why
  where s.tenant_id = tenant and s.ended_at is null and s.type = any(types);
  get diagnostics ended = row_count;
  update app_public.tenants x set status = 'active', suspension_reason = null, suspended_at = null
  where x.id = tenant and x.status = 'suspended' and x.suspension_reason = any(types);
  return ended > 0;
end;
$$;
comment on function app_private.reactivate_tenant(text, text[], text, text) is 'Ends a suspension of one of the given types, with a reason, keeping the history (platform and billing only).';

/*
 * Suspends the businesses whose subscription has been past due for longer than `grace`: Stripe
 * may stop sending events (no further retries configured, a webhook lost), and a business must
 * not stay past due for ever. Daily cron (suspend_overdue_tenants). Returns how many.
 */
create or replace function app_private.suspend_overdue_tenants(grace interval default '14 days') returns int
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text;
  n int := 0;
begin
  for tenant in
    select s.tenant_id from app_public.billing_subscriptions s
    join app_public.tenants t on t.id = s.tenant_id and t.status = 'active'
    where s.status = 'past_due' and s.past_due_since < now() - grace
    order by s.tenant_id
  loop
    perform app_private.suspend_tenant(tenant, 'nonpayment',
      format('The subscription has been past due for more than %s days.', extract(day from grace)::int));
    n := n + 1;
  end loop;
  return n;
end;
$$;
comment on function app_private.suspend_overdue_tenants(interval) is 'Suspends businesses past due for longer than the grace period (14 days); daily cron.';
--! EndIncluded billing/590-suspension.sql
--! Included reporting/610-consumers.sql
-- How events reach the read models (rm_*) (db/REPORTING.md, "Consumers,
-- and the hot row").
--
-- Two consumers, each subscribed by rows of app_private.event_subscriptions and applied at most
-- once per event through processed_events (app_private.dispatch):
--
--   reporting_customers (inline): order.placed/voided and customer.created/updated/merged →
--     rm_customer_activity. One row per customer is not a hot row (the customer counters (app_private.customer_counters__order_placed)
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
-- Readers that must be exact (the admin's reporting.* queries, the analysts' views, exports)
-- add what the queued events add (reporting_pending_*, the same facts the fold uses), so a
-- figure is exact the moment its order commits, whether or not it was folded yet. GraphQL reads
-- of the rm_* tables (and their aggregates) see folded rows only.
--
-- The arithmetic of the sales read models lives once, in the *_facts views (what each event adds
-- per read-model key; sums commute and names go to the highest seq, so the order in which events
-- are folded does not matter): the fold groups them over the queued events it takes, the exact
-- readers over the events still queued, and reporting.rebuild over the whole log of a tenant.

------------------------------------------------------------------------------------------------
-- Facts: what each sales event adds, one row per event (or per order line). The arithmetic of
-- the sales read models lives here only; the fold, the exact readers and the rebuild group these
-- rows over different sets of events (the queue, or the whole log of a tenant).

/* What each order and tender event adds to rm_daily_sales, on the business date of the sale. */
create or replace view app_private.reporting_daily_facts as
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
create or replace view app_private.reporting_item_facts as
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
create or replace view app_private.reporting_stock_facts as
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
create or replace function app_private.reporting_apply_sales(tenant_id text, event_ids text[]) returns void
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
create or replace function app_private.reporting_pending_daily(tenant_id text)
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

create or replace function app_private.reporting_pending_items(tenant_id text)
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

create or replace function app_private.reporting_pending_stock(tenant_id text)
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
create or replace function app_private.reporting_lock_key(tenant_id text) returns bigint
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select hashtextextended('reporting.fold:' || tenant_id, 0);
$$;

/*
 * Consumer reporting_sales: queues the event; the fold at commit (or later) applies it.
 * PL/pgSQL rather than SQL, like reporting_customer_orders: a SQL function with a SET clause is
 * planned again at every call, and this runs for every sales event.
 */
create or replace function app_private.reporting_sales__enqueue(evt app_private.events) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  insert into app_private.reporting_queue (tenant_id, event_id, seq) values (evt.tenant_id, evt.id, evt.seq);
end;
$$;
comment on function app_private.reporting_sales__enqueue(app_private.events) is 'Consumer reporting_sales: queues a sales event for the fold into the sales read models.';

/*
 * Folds the tenant's queued events (those this transaction can see: committed or its own) into
 * the sales read models and empties those queue rows. The caller holds the tenant's fold lock.
 * Returns how many events were folded.
 */
create or replace function app_private.reporting_fold_locked(tenant_id text) returns int
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
create or replace function app_private.reporting_fold(tenant_id text) returns int
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
create or replace function app_private.reporting_fold_all() returns int
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
create or replace function app_private.tg_reporting_queue__fold() returns trigger
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

drop trigger if exists _900_fold_at_commit on app_private.reporting_queue;
create constraint trigger _900_fold_at_commit after insert on app_private.reporting_queue
  deferrable initially deferred
  for each row execute function app_private.tg_reporting_queue__fold();

/*
 * Trigger: the name and threshold of an inventory item follow into rm_inventory_on_hand (they are
 * configuration, not events). Takes the tenant's fold lock first, so that it never waits on a
 * folder that waits on it.
 */
create or replace function app_private.tg_inventory_items__reporting() returns trigger
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

create or replace trigger _600_reporting after update of name, low_stock_threshold on app_public.inventory_items
  for each row when (old.name is distinct from new.name or old.low_stock_threshold is distinct from new.low_stock_threshold)
  execute function app_private.tg_inventory_items__reporting();

------------------------------------------------------------------------------------------------
-- Customer activity (inline)

/* The order events of a batch that name a customer, with the customer they count for (after merges). */
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

/*
 * Applies a batch of customer and order events (in log order) to a tenant's customer activity.
 * Renames: the name of the latest (highest seq) created/updated/merged event wins. Merges, in
 * log order: the duplicate's visits and spend move to the primary, the duplicate points at the
 * primary (and so do customers merged into it before). Orders count for the customer their
 * customer was merged into; a void takes its visit and total back out and, when it was the
 * latest visit, last_visit_at falls back to the latest order that still stands.
 */
--
-- The void statements run only when the batch has a void: most batches are one placed order,
-- and they were ~1.4 ms of the ~5 ms this took for one placed order with a customer.
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
comment on function app_private.reporting_apply_customers(text, app_private.events[]) is 'Applies a batch of customer and order events of a tenant, in log order, to rm_customer_activity (inline consumer and rebuild).';

/*
 * Consumer reporting_customers, order events: queued and applied at commit with the customer
 * counters, customers in a fixed order (app_private.apply_customer_orders, which says why).
 */
create or replace function app_private.reporting_customers__enqueue(evt app_private.events) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  select app_private.queue_customer_order(evt, 'reporting_customers');
$$;
comment on function app_private.reporting_customers__enqueue(app_private.events) is 'Consumer reporting_customers: queues an order event with a customer for app_private.apply_customer_orders at commit.';

/* Consumer reporting_customers, customer events: applied at once, in the writer's transaction. */
create or replace function app_private.reporting_customers__apply(evt app_private.events) returns void
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
--! EndIncluded reporting/610-consumers.sql
--! Included reporting/620-rebuild.sql
-- Every read model of a tenant recomputed from its event log, set-based
-- (a few statements over the log instead of one dispatch per event), so a large tenant rebuilds
-- at tens of thousands of events per second.
--
-- The sales read models group the same *_facts views the fold uses (app_private.reporting_apply_sales): one arithmetic. The
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
create or replace function reporting.rebuild(tenant_id text) returns bigint
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
  delete from app_private.customer_order_queue q where q.tenant_id = tenant and q.consumer = 'reporting_customers';
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
--! EndIncluded reporting/620-rebuild.sql
--! Included reporting/640-analysts.sql
-- Plain SQL for a tenant's analysts (psql, Metabase, a notebook).
--
-- An owner creates a login (reporting.create_analyst_login): a real PostgreSQL LOGIN role named
-- bo_analyst_<label>_<random>, member of the analyst group role (:DATABASE_ANALYST), mapped to the
-- tenant in app_private.analyst_logins; the password is returned once and never stored by us
-- (PostgreSQL keeps its SCRAM hash). The group may only SELECT the views below and use the
-- reporting schema; it has no privilege on app_public, app_hidden, app_private or
-- graphile_worker, and no write privilege anywhere.
--
-- Scoping without settings: the views are owned by the owner (so they can join location, item
-- and customer names the group cannot read), and every read-model table carries a restrictive
-- row-level security policy for the owner role that, when the query runs for anybody but the
-- owner itself (current_user is the analyst login when it reads through a view), keeps only the
-- rows of the tenant the login is mapped to. So a login sees its tenant's rows and nothing else,
-- and a login whose mapping is gone (or whose tenant is suspended or lacks the reporting module)
-- sees nothing. The views are security barriers, so that no function in an analyst's WHERE
-- clause runs on rows before that filter. Queued sales events (app_hidden.analyst_pending_*) are added in, so figures are
-- exact. db/REPORTING.md has example queries.

/*
 * The tenant of the analyst login this connection signed in with (session_user), while that
 * tenant is active and its plan includes reporting; null for any other connection.
 */
create or replace function app_hidden.analyst_tenant_id() returns text
language sql stable security definer parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select a.tenant_id
  from app_private.analyst_logins a
  join app_public.tenants t on t.id = a.tenant_id
  where a.role_name = session_user::text
    and t.status = 'active'
    and 'reporting' = any((app_private.tenant_plan(a.tenant_id)).modules);
$$;
comment on function app_hidden.analyst_tenant_id() is 'The tenant of the signed-in analyst login (session_user), or null.';
grant execute on function app_hidden.analyst_tenant_id(), app_hidden.analyst_pending_daily(),
  app_hidden.analyst_pending_items(), app_hidden.analyst_pending_stock() to :DATABASE_ANALYST;

/* What the queued sales events of the analyst's tenant add (the views add it to the folded rows). */
create or replace function app_hidden.analyst_pending_daily()
returns table (location_id text, business_date date, order_count bigint, gross_sales bigint, discount_total bigint,
               tax_total bigint, net_sales bigint, tender_cash bigint, tender_card bigint, void_count bigint, void_total bigint)
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select d.* from app_hidden.analyst_tenant_id() t, app_private.reporting_pending_daily(t) d where t is not null;
$$;

create or replace function app_hidden.analyst_pending_items()
returns table (location_id text, business_date date, catalog_item_id text, catalog_item_name text, name_seq bigint,
               quantity_sold bigint, gross_revenue bigint, net_revenue bigint)
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select d.* from app_hidden.analyst_tenant_id() t, app_private.reporting_pending_items(t) d where t is not null;
$$;

create or replace function app_hidden.analyst_pending_stock()
returns table (location_id text, inventory_item_id text, on_hand bigint)
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select d.* from app_hidden.analyst_tenant_id() t, app_private.reporting_pending_stock(t) d where t is not null;
$$;

-- The owner itself (worker, security definer functions, migrations) reads every row; anybody
-- reading through the owner's views reads its own tenant's rows only.
drop policy if exists analyst_own_tenant on reporting.rm_daily_sales;
create policy analyst_own_tenant on reporting.rm_daily_sales as restrictive for select to :DATABASE_OWNER
  using (current_user = ':DATABASE_OWNER' or tenant_id = (select app_hidden.analyst_tenant_id()));

drop policy if exists analyst_own_tenant on reporting.rm_item_sales;
create policy analyst_own_tenant on reporting.rm_item_sales as restrictive for select to :DATABASE_OWNER
  using (current_user = ':DATABASE_OWNER' or tenant_id = (select app_hidden.analyst_tenant_id()));

drop policy if exists analyst_own_tenant on reporting.rm_inventory_on_hand;
create policy analyst_own_tenant on reporting.rm_inventory_on_hand as restrictive for select to :DATABASE_OWNER
  using (current_user = ':DATABASE_OWNER' or tenant_id = (select app_hidden.analyst_tenant_id()));

drop policy if exists analyst_own_tenant on reporting.rm_customer_activity;
create policy analyst_own_tenant on reporting.rm_customer_activity as restrictive for select to :DATABASE_OWNER
  using (current_user = ':DATABASE_OWNER' or tenant_id = (select app_hidden.analyst_tenant_id()));

------------------------------------------------------------------------------------------------
-- The views: dollars as numeric, names joined, one row per natural grain.
create or replace view reporting.sales_by_day with (security_barrier) as
select s.business_date,
       s.location_id,
       l.name as location_name,
       s.order_count as orders,
       (s.gross_sales / 100.0)::numeric(14, 2) as gross_sales,
       (s.discount_total / 100.0)::numeric(14, 2) as discounts,
       (s.tax_total / 100.0)::numeric(14, 2) as tax,
       (s.net_sales / 100.0)::numeric(14, 2) as net_sales,
       (s.tender_cash / 100.0)::numeric(14, 2) as cash,
       (s.tender_card / 100.0)::numeric(14, 2) as card,
       s.void_count as voids,
       (s.void_total / 100.0)::numeric(14, 2) as voided_total,
       (case when s.order_count > 0 then round(s.net_sales::numeric / s.order_count) else 0 end / 100.0)::numeric(14, 2) as avg_order_value
from (
  select f.tenant_id, f.location_id, f.business_date,
         sum(f.order_count)::bigint as order_count, sum(f.gross_sales)::bigint as gross_sales,
         sum(f.discount_total)::bigint as discount_total, sum(f.tax_total)::bigint as tax_total,
         sum(f.net_sales)::bigint as net_sales, sum(f.tender_cash)::bigint as tender_cash,
         sum(f.tender_card)::bigint as tender_card, sum(f.void_count)::bigint as void_count,
         sum(f.void_total)::bigint as void_total
  from (
    select r.tenant_id, r.location_id, r.business_date, r.order_count::bigint as order_count, r.gross_sales, r.discount_total,
           r.tax_total, r.net_sales, r.tender_cash, r.tender_card, r.void_count::bigint as void_count, r.void_total
    from reporting.rm_daily_sales r
    union all
    select app_hidden.analyst_tenant_id(), d.location_id, d.business_date, d.order_count, d.gross_sales, d.discount_total,
           d.tax_total, d.net_sales, d.tender_cash, d.tender_card, d.void_count, d.void_total
    from app_hidden.analyst_pending_daily() d
  ) f
  group by f.tenant_id, f.location_id, f.business_date
) s
join app_public.locations l on l.tenant_id = s.tenant_id and l.id = s.location_id;
comment on view reporting.sales_by_day is 'Sales per location and business date (the location''s own date), in dollars. Voided orders are taken out of the date they were placed and counted in voids / voided_total. net_sales = gross_sales − discounts + tax; avg_order_value = net_sales / orders.';

create or replace view reporting.item_sales_by_day with (security_barrier) as
select s.business_date,
       s.location_id,
       l.name as location_name,
       s.catalog_item_id,
       s.item_name,
       c.sku,
       s.quantity_sold,
       (s.gross_revenue / 100.0)::numeric(14, 2) as gross_revenue,
       (s.net_revenue / 100.0)::numeric(14, 2) as net_revenue
from (
  select f.tenant_id, f.location_id, f.business_date, f.catalog_item_id,
         (array_agg(f.catalog_item_name order by f.name_seq desc, f.catalog_item_name))[1] as item_name,
         sum(f.quantity_sold)::bigint as quantity_sold, sum(f.gross_revenue)::bigint as gross_revenue,
         sum(f.net_revenue)::bigint as net_revenue
  from (
    select r.tenant_id, r.location_id, r.business_date, r.catalog_item_id, r.catalog_item_name, r.name_seq,
           r.quantity_sold::bigint as quantity_sold, r.gross_revenue, r.net_revenue
    from reporting.rm_item_sales r
    union all
    select app_hidden.analyst_tenant_id(), d.location_id, d.business_date, d.catalog_item_id, d.catalog_item_name, d.name_seq,
           d.quantity_sold, d.gross_revenue, d.net_revenue
    from app_hidden.analyst_pending_items() d
  ) f
  group by f.tenant_id, f.location_id, f.business_date, f.catalog_item_id
) s
join app_public.locations l on l.tenant_id = s.tenant_id and l.id = s.location_id
join app_public.catalog_items c on c.tenant_id = s.tenant_id and c.id = s.catalog_item_id;
comment on view reporting.item_sales_by_day is 'What each catalog item sold per location and business date, in dollars (voided orders taken out). gross_revenue is before discounts, net_revenue after discounts; both before tax. item_name is the name on its latest sale of the day; sku is the current one.';

create or replace view reporting.stock_levels with (security_barrier) as
select s.location_id,
       l.name as location_name,
       s.inventory_item_id,
       i.name as item_name,
       s.on_hand,
       i.low_stock_threshold,
       s.on_hand <= i.low_stock_threshold as is_low_stock
from (
  select f.tenant_id, f.location_id, f.inventory_item_id, sum(f.on_hand)::int as on_hand
  from (
    select r.tenant_id, r.location_id, r.inventory_item_id, r.on_hand::bigint as on_hand
    from reporting.rm_inventory_on_hand r
    union all
    select app_hidden.analyst_tenant_id(), d.location_id, d.inventory_item_id, d.on_hand
    from app_hidden.analyst_pending_stock() d
  ) f
  group by f.tenant_id, f.location_id, f.inventory_item_id
) s
join app_public.locations l on l.tenant_id = s.tenant_id and l.id = s.location_id
join app_public.inventory_items i on i.tenant_id = s.tenant_id and i.id = s.inventory_item_id;
comment on view reporting.stock_levels is 'Units on hand per location and inventory item; is_low_stock when at or below the item''s threshold.';

create or replace view reporting.customer_activity with (security_barrier) as
select a.customer_id,
       c.customer_number,
       a.customer_name,
       a.total_visits,
       (a.total_spend / 100.0)::numeric(14, 2) as total_spend,
       (case when a.total_visits > 0 then round(a.total_spend::numeric / a.total_visits) else 0 end / 100.0)::numeric(14, 2) as avg_spend,
       a.last_visit_at
from reporting.rm_customer_activity a
join app_public.customers c on c.tenant_id = a.tenant_id and c.id = a.customer_id
where a.merged_into_id is null;
comment on view reporting.customer_activity is 'Visits (orders not voided) and spend (tax included, in dollars) of each customer; customers merged into another one are counted in that one.';

revoke all on all tables in schema reporting from :DATABASE_ANALYST;

revoke all on schema app_public, app_hidden, app_private from :DATABASE_ANALYST;
grant select on reporting.sales_by_day, reporting.item_sales_by_day, reporting.stock_levels, reporting.customer_activity
  to :DATABASE_ANALYST;

------------------------------------------------------------------------------------------------
-- Logins

/* Raises LOGIN/DNIED unless the signed-in user is an owner of the current tenant; returns it. */
create or replace function app_hidden.assert_tenant_owner() returns text
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
begin
  perform app_hidden.assert_tenant_active();
  if not exists (select 1 from app_public.memberships m
                 join app_public.roles r on r.tenant_id = m.tenant_id and r.id = m.role_id
                 where m.tenant_id = tenant and m.user_id = app_hidden.current_user_id() and r.key = 'owner') then
    perform app_hidden.raise_error('DNIED', 'Only an owner of the business can manage analyst logins.');
  end if;
  return tenant;
end;
$$;
comment on function app_hidden.assert_tenant_owner() is 'Raises LOGIN, DNIED or TSUSP unless the signed-in user is an owner (with settings.update) of the current tenant; returns the tenant.';

/*
 * Creates a PostgreSQL login for the tenant's analysts and returns its password, once. The role
 * is a member of the analyst group only, reads the reporting views of this database with
 * search_path reporting and a 60 s statement timeout, and at most 5 connections.
 */
create or replace function reporting.create_analyst_login(name text) returns reporting.analyst_credentials
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_tenant_owner();
  label text := app_hidden.assert_name('The login''s name', create_analyst_login.name, 60, 'name');
  -- An opaque name: every login of the cluster can read pg_roles, so the name must not carry
  -- what the owner called it (that stays in analyst_logins.label).
  login text := ':DATABASE_ANALYST' || '_' || encode(public.gen_random_bytes(8), 'hex');
  secret text := translate(encode(public.gen_random_bytes(24), 'base64'), '+/', '-_');
  me text := app_hidden.current_user_id();
begin
  -- Logins are cluster roles with connections of their own: bounded per business and per person
  -- (one person may own many businesses), so nobody can create roles or take connections
  -- without end.
  perform pg_advisory_xact_lock(hashtext('app.analyst_logins'), hashtext(me));
  if (select count(*) from app_private.analyst_logins a where a.tenant_id = tenant) >= 20 then
    perform app_hidden.raise_error('ANLIM', 'A business can have at most 20 analyst logins; remove one first.');
  end if;
  if (select count(*) from app_private.analyst_logins a where a.created_by = me) >= 20 then
    perform app_hidden.raise_error('ANLIM', 'You have created 20 analyst logins across your businesses, the most one person may have; remove one first.');
  end if;
  begin
    execute format('create role %I with login nosuperuser nocreatedb nocreaterole noreplication nobypassrls inherit connection limit 2 password %L',
                   login, secret);
    execute format('grant %I to %I', ':DATABASE_ANALYST', login);
    execute format('alter role %I in database %I set search_path to reporting', login, current_database());
    -- Defaults only (a session can change them): app_private.enforce_analyst_limits, run by the
    -- worker every few seconds, is what holds them.
    execute format('alter role %I in database %I set statement_timeout to %L', login, current_database(), '60s');
    execute format('alter role %I in database %I set idle_in_transaction_session_timeout to %L', login, current_database(), '60s');
  exception when insufficient_privilege then
    perform app_hidden.raise_error('ANSET', 'Analyst logins cannot be created on this server: the database owner role needs CREATEROLE and the right to grant the analyst group (see db/REPORTING.md).');
  end;
  insert into app_private.analyst_logins (tenant_id, role_name, label, created_by)
  values (tenant, login, label, app_hidden.current_user_id());
  return row(login, secret, current_database())::reporting.analyst_credentials;
end;
$$;
comment on function reporting.create_analyst_login(text) is
  E'@name create_analyst_login\n@resultFieldName credentials\nCreates a PostgreSQL login with which analysts read this business''s reporting views (sales_by_day, item_sales_by_day, stock_levels, customer_activity) with psql, Metabase or a notebook. Owners only. The password is shown once. At most 20 per business, and 20 per person across businesses.';
grant execute on function reporting.create_analyst_login(text), reporting.analyst_logins(),
  reporting.drop_analyst_login(text) to :DATABASE_VISITOR;

create or replace function reporting.analyst_logins() returns setof reporting.analyst_login
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_tenant_owner();
begin
  return query select a.role_name, a.label, a.created_at from app_private.analyst_logins a
    where a.tenant_id = tenant order by a.created_at, a.role_name;
end;
$$;
comment on function reporting.analyst_logins() is E'@name analyst_logins\n@behavior -connection +list\n@listSuffix omit\nThe analyst logins of the business (owners only).';

/* Removes an analyst login of the tenant: the mapping goes and the role is dropped. */
create or replace function reporting.drop_analyst_login(username text) returns boolean
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_tenant_owner();
begin
  delete from app_private.analyst_logins a where a.tenant_id = tenant and a.role_name = drop_analyst_login.username;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no analyst login %s.', left(coalesce(username, ''), 63)));
  end if;
  -- Its open connections end now (from the mapping's removal they read nothing anyway), then
  -- the role goes.
  perform pg_terminate_backend(a.pid) from pg_stat_activity a where a.usename = drop_analyst_login.username;
  if exists (select 1 from pg_catalog.pg_roles r where r.rolname = drop_analyst_login.username) then
    execute format('drop role %I', drop_analyst_login.username);
  end if;
  return true;
end;
$$;
comment on function reporting.drop_analyst_login(text) is E'@name drop_analyst_login\nRemoves an analyst login of the business (owners only): its open connections end and it can no longer connect.';

/*
 * Holds the analysts' limits where a login cannot undo them: statement_timeout and
 * idle_in_transaction_session_timeout are only defaults of the role, which any session can
 * `set` to 0. Cancels analyst statements running longer than `statement_limit` and ends analyst
 * sessions idle in a transaction longer than `idle_limit` (one open transaction holds locks on
 * the read models and the tables behind the views, and stalls migrations). The worker calls it
 * every few seconds (ANALYST_WATCH_INTERVAL_MS). Returns what it did.
 */
create or replace function app_private.enforce_analyst_limits(statement_limit interval default '60 seconds', idle_limit interval default '60 seconds')
returns table (pid int, role_name text, action text)
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- The sessions first (materialized), the signals after: PostgreSQL may evaluate a WHERE
  -- clause's parts in any order, and a signal is not something to send before the filters ran.
  return query
    with over as materialized (
      select a.pid, a.usename::text as role_name, case when a.state = 'active' then 'cancelled' else 'terminated' end as action
      from pg_stat_activity a
      where a.datname = current_database()
        and a.usename in (select l.role_name from app_private.analyst_logins l)
        and ((a.state = 'active' and a.query_start < now() - statement_limit)
          or (a.state in ('idle in transaction', 'idle in transaction (aborted)') and a.state_change < now() - idle_limit))
    )
    select o.pid, o.role_name, o.action from over o
    where case when o.action = 'cancelled' then pg_cancel_backend(o.pid) else pg_terminate_backend(o.pid) end;
end;
$$;
comment on function app_private.enforce_analyst_limits(interval, interval) is 'Cancels analyst statements over the time limit and ends analyst sessions idle in a transaction too long (worker, every few seconds).';
--! EndIncluded reporting/640-analysts.sql
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
-- PostgreSQL's (RFC 4180). Money is in dollars with two decimals, instants in UTC ISO 8601.

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
 * The parameters of an export checked and completed: dates and location for sales, the order
 * of items, the location and low-only flag of inventory. Raises BADIN (naming the field) or
 * NOTFD (a location of another business).
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
create or replace function app_private.export_file_name(kind reporting.export_kind, params jsonb) returns text
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
 * It reads the tenant's read models through the exact reporting functions (app_private.reporting_daily_sales and the others).
 */
create or replace function app_private.export_query(tenant_id text, kind reporting.export_kind, params jsonb) returns text
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
  E'@name request_export\n@resultFieldName export\nAsks the worker for a CSV file (needs reports.export). params: daily_sales and item_sales take {"from": "2025-03-01", "to": "2025-03-07", "location_id"?} (item_sales also "order_by": "quantity" or "revenue"); inventory takes {"location_id"?, "low_only"?}; customers takes nothing. Poll the returned export until its status is done, then download its downloadUrl.';
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
-- 930 ms). Other kinds are small (days, items, stock rows) and keep the generic count.
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

--! split: 8-subscriptions.sql
-- The per-customer consumers queue order events for the application at commit (after the
-- fixtures: the handlers must exist).
update app_private.event_subscriptions set handler = 'app_private.customer_counters__enqueue(app_private.events)'
where consumer = 'customer_counters' and event_type in ('order.placed.v1', 'order.voided.v1');
update app_private.event_subscriptions set handler = 'app_private.reporting_customers__enqueue(app_private.events)'
where consumer = 'reporting_customers' and event_type in ('order.placed.v1', 'order.voided.v1');
