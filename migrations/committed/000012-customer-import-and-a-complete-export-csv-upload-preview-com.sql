--! Previous: sha1:d93f552493c9113e49c006799e88fa64b990d7eb
--! Hash: sha1:28aa34331e2e72f527a22575b1bdc543551550cc
--! Message: Customer import and a complete export: CSV upload, preview, commit in the worker, error report; the customers export with every profile column; possible duplicates; a customer's own data request

--! split: 1-current.sql
-- Customer import (issue "Customer import and a complete export"): an uploaded CSV file, its
-- staged rows, and the permission to import. The rules are in customers/485-import.sql.

-- The file and its state, one row per import.
create table if not exists app_public.customer_imports (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  file_name text not null check (length(file_name) between 1 and 255),
  byte_size bigint not null default 0 check (byte_size between 0 and 52428800),
  chunk_count int not null default 0,
  status text not null default 'uploading'
    check (status in ('uploading', 'parsing', 'ready', 'committing', 'done', 'failed')),
  encoding text check (encoding in ('utf-8', 'utf-16le', 'utf-16be', 'windows-1252')),
  delimiter text check (delimiter in (',', ';', E'\t')),
  header text[],
  mapping text[],
  on_duplicate text not null default 'skip' check (on_duplicate in ('skip', 'fill', 'overwrite')),
  rows_read int not null default 0,
  rows_total int,
  new_count int not null default 0,
  duplicate_count int not null default 0,
  file_duplicate_count int not null default 0,
  invalid_count int not null default 0,
  rows_done int not null default 0,
  created_count int not null default 0,
  updated_count int not null default 0,
  skipped_count int not null default 0,
  failed_count int not null default 0,
  error_code text,
  error_message text,
  created_by text references app_public.users on delete set null,
  committed_by text references app_public.users on delete set null,
  finished_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  check ((mapping is null) or (header is not null and cardinality(mapping) = cardinality(header)))
);
create index if not exists customer_imports_id_idx on app_public.customer_imports (id);
create index if not exists customer_imports_created_at_idx on app_public.customer_imports (tenant_id, created_at);
create index if not exists customer_imports_created_by_idx on app_public.customer_imports (created_by);
create index if not exists customer_imports_committed_by_idx on app_public.customer_imports (committed_by);

-- The bytes of the uploaded file, in order, about 1 MB each (like export files).
create table if not exists app_private.customer_import_chunks (
  tenant_id text not null,
  import_id text not null,
  chunk_no int not null check (chunk_no >= 0),
  data bytea not null,
  primary key (tenant_id, import_id, chunk_no),
  foreign key (tenant_id, import_id) references app_public.customer_imports (tenant_id, id) on delete cascade
);

-- The rows of the file as read (cells), then as they would be imported (the checked values,
-- their state and the reason a row cannot be imported), then what became of them.
create table if not exists app_public.customer_import_rows (
  tenant_id text not null,
  import_id text not null,
  row_no int not null check (row_no >= 2),
  cells text[] not null,
  state text not null default 'read'
    check (state in ('read', 'new', 'duplicate', 'file_duplicate', 'invalid', 'created', 'updated', 'skipped', 'failed')),
  reason text,
  email text,
  phone text,
  first_name text,
  last_name text,
  tags jsonb,
  note text,
  about text,
  company text,
  email_consent boolean,
  sms_consent boolean,
  address_line1 text,
  address_line2 text,
  city text,
  region text,
  postal_code text,
  country text,
  customer_id text,
  primary key (tenant_id, import_id, row_no),
  foreign key (tenant_id, import_id) references app_public.customer_imports (tenant_id, id) on delete cascade,
  -- deferred: a commit names a row's new customer just before inserting it
  foreign key (tenant_id, customer_id) references app_public.customers (tenant_id, id) on delete set null (customer_id)
    deferrable initially deferred
);
create index if not exists customer_import_rows_state_idx on app_public.customer_import_rows (tenant_id, import_id, state, row_no);
create index if not exists customer_import_rows_customer_idx on app_public.customer_import_rows (tenant_id, customer_id) where customer_id is not null;

do $$ begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.customer_imports'::regclass) then
    perform app_private.secure_table('app_public.customer_imports');
    perform app_private.enforce_active_tenant('app_public.customer_imports');
  end if;
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_private.customer_import_chunks'::regclass) then
    perform app_private.secure_table('app_private.customer_import_chunks');
  end if;
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.customer_import_rows'::regclass) then
    perform app_private.secure_table('app_public.customer_import_rows');
    perform app_private.enforce_active_tenant('app_public.customer_import_rows');
  end if;
end $$;

-- Notes a file brings are kept apart from staff's own, under their own category.
alter table app_public.customer_notes drop constraint if exists customer_notes_category_check;
alter table app_public.customer_notes add constraint customer_notes_category_check
  check (category in ('general', 'preference', 'issue', 'feedback', 'import'));

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
-- their jobs, and fails exports (and customers' data bundles) that can no longer finish. Pools it does not know (runOnce in
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

  -- So would a customer import being read or committed (customers/485-import.sql).
  perform app_private.fail_customer_import(i.tenant_id, i.id, 'IMPFL',
    case i.status when 'parsing' then 'The file could not be read. Please upload it again.'
         else 'The import stopped before the end: the rows not yet imported are listed in the error report.' end)
  from app_public.customer_imports i
  where i.status in ('parsing', 'committing')
    and not exists (select 1 from graphile_worker._private_jobs j
                    join graphile_worker._private_tasks t on t.id = j.task_id
                    where t.identifier in ('customer_import_parse', 'customer_import_commit') and j.payload ->> 'importId' = i.id
                      and j.payload ->> 'tenantId' = i.tenant_id
                      and (j.locked_at is not null or j.attempts < j.max_attempts));

  -- So would a customer's data bundle (customers/495-data-requests.sql).
  perform app_private.fail_customer_data_export(e.tenant_id, e.id, 'The file could not be written. Please try again.')
  from app_public.customer_data_exports e
  where e.status in ('pending', 'running')
    and not exists (select 1 from graphile_worker._private_jobs j
                    join graphile_worker._private_tasks t on t.id = j.task_id
                    where t.identifier = 'customer_data_export' and j.payload ->> 'exportId' = e.id
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
    when 'customer_import_parse' then 'Customer import: reading the file'
    when 'customer_import_commit' then 'Customer import'
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

/*
 * The permissions a tenant role may carry. customers.erase answers a customer's own data request
 * (download everything held about them, erase their personal data: customers/495-data-requests.sql);
 * only owners have it by default.
 */
create or replace function app_hidden.all_permissions() returns text[]
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select array[
    'customers.view', 'customers.create', 'customers.update', 'customers.merge', 'customers.import', 'customers.erase',
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
 * Who a change is made by: the signed-in user, else the member a worker task acts for
 * (app_private.act_for: an import commits the rows its member asked for, in the worker, with no
 * session). Only code running as the owner role can name one (app_private is not the API's),
 * and a session's own user always wins.
 */
create or replace function app_hidden.change_actor() returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  return coalesce(app_hidden.current_user_id(), nullif(current_setting('app.change_actor', true), ''));
end;
$$;
comment on function app_hidden.change_actor() is 'The user a change is made by: the session''s, else the one a worker task acts for (app_private.act_for).';

/* A worker task acts for this member until the end of the transaction (audit entries, notes' author). */
create or replace function app_private.act_for(user_id text) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  select set_config('app.change_actor', coalesce(user_id, ''), true);
$$;
comment on function app_private.act_for(text) is 'Names the member a worker task acts for, for the rest of the transaction (app_hidden.change_actor).';

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
    app_hidden.change_actor(),
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
--! Included customers/400-customers.sql
-- The people a business sells to. One row per customer with a per-tenant number
-- (CUST-00001), contact details normalised by the database (email lower-cased, phone in E.164
-- read with the tenant's default country), a display name the database computes, tags, consent,
-- a type; the purchase history lives beside it in customer_stats. Clients never write the table: the API
-- role has SELECT only, and every change goes through the commands (create_customer, update_customer, archive/restore_customer, merge_customers), which check
-- permissions, emit events and leave an audit row. "Live" customers are those not merged
-- (active or archived); email and phone are unique among them.

------------------------------------------------------------------------------------------------
-- Input helpers shared by the customer files

/* The international calling code of a country (ISO 3166 alpha-2), for common countries; null when unknown. */
create or replace function app_hidden.country_calling_code(country text) returns text
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select case upper(country)
    when 'US' then '1' when 'CA' then '1' when 'PR' then '1'
    when 'GB' then '44' when 'IE' then '353' when 'FR' then '33' when 'DE' then '49' when 'ES' then '34'
    when 'IT' then '39' when 'PT' then '351' when 'NL' then '31' when 'BE' then '32' when 'LU' then '352'
    when 'CH' then '41' when 'AT' then '43' when 'DK' then '45' when 'SE' then '46' when 'NO' then '47'
    when 'FI' then '358' when 'IS' then '354' when 'PL' then '48' when 'CZ' then '420' when 'SK' then '421'
    when 'HU' then '36' when 'RO' then '40' when 'BG' then '359' when 'GR' then '30' when 'HR' then '385'
    when 'SI' then '386' when 'EE' then '372' when 'LV' then '371' when 'LT' then '370' when 'UA' then '380'
    when 'TR' then '90' when 'IL' then '972' when 'AE' then '971' when 'SA' then '966' when 'EG' then '20'
    when 'MA' then '212' when 'ZA' then '27' when 'NG' then '234' when 'KE' then '254'
    when 'IN' then '91' when 'PK' then '92' when 'CN' then '86' when 'HK' then '852' when 'TW' then '886'
    when 'JP' then '81' when 'KR' then '82' when 'SG' then '65' when 'MY' then '60' when 'TH' then '66'
    when 'VN' then '84' when 'PH' then '63' when 'ID' then '62' when 'AU' then '61' when 'NZ' then '64'
    when 'MX' then '52' when 'BR' then '55' when 'AR' then '54' when 'CL' then '56' when 'CO' then '57'
    when 'PE' then '51'
  end;
$$;
comment on function app_hidden.country_calling_code(text) is 'International calling code of a country (ISO 3166 alpha-2) for the common ones; null when unknown.';

/*
 * A phone number in E.164 (+ and 7 to 15 digits), or null for null/blank input. Spaces, dashes,
 * dots, slashes and parentheses are dropped; a leading + or 00 means the country code is written
 * (an "(0)" after it is dropped);
 * otherwise the number is national: its trunk prefix (a leading 0; a leading 1 for North America;
 * Italy keeps its 0) is dropped and the calling code of `country` is put in front. Raises BADPH.
 */
create or replace function app_hidden.normalize_phone(phone text, country text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  raw text := btrim(phone);
  digits text;
  calling_code text;
  national text;
  e164 text;
begin
  if raw is null or raw = '' then
    return null;
  end if;
  if length(raw) > 40 or raw !~ '^\+?[0-9 ().\-/]+$' then
    perform app_hidden.raise_error('BADPH', format(
      'Phone: "%s" is not a phone number; use digits, spaces, dashes, dots, parentheses and a leading +.', left(raw, 40)), field => 'phone');
  end if;
  -- "+33 (0)6 …": the (0) is the national trunk prefix, not part of an international number.
  if raw ~ '^(\+|00)' then
    raw := replace(raw, '(0)', '');
  end if;
  digits := regexp_replace(raw, '[^0-9]', '', 'g');
  if length(digits) < 7 then
    perform app_hidden.raise_error('BADPH', format('Phone: "%s" is too short; a phone number has at least 7 digits.', raw), field => 'phone');
  end if;
  if left(raw, 1) = '+' then
    e164 := digits;
  elsif left(digits, 2) = '00' then
    e164 := substr(digits, 3);
  else
    calling_code := app_hidden.country_calling_code(country);
    if calling_code is null then
      perform app_hidden.raise_error('BADPH', format(
        'Phone: write "%s" with its country code, such as +44 20 7946 0958.', raw), field => 'phone');
    end if;
    national := digits;
    if calling_code = '1' then
      if length(national) = 11 and left(national, 1) = '1' then
        national := substr(national, 2);
      end if;
    elsif calling_code <> '39' and left(national, 1) = '0' then
      national := substr(national, 2);
    end if;
    e164 := calling_code || national;
  end if;
  if left(e164, 1) = '0' or length(e164) < 7 or length(e164) > 15 then
    perform app_hidden.raise_error('BADPH', format(
      'Phone: "%s" is not a valid international number (a country code, then at most 15 digits in all).', raw), field => 'phone');
  end if;
  return '+' || e164;
end;
$$;
comment on function app_hidden.normalize_phone(text, text) is 'A phone number in E.164, reading national numbers with the given country; raises BADPH.';

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
    perform app_hidden.raise_error('BADTG', 'Tags: a customer can have at most 20 tags.', field => 'tags');
  end if;
  foreach tag in array tags loop
    if tag ~ '[\x01-\x1f\x7f]' then
      perform app_hidden.raise_error('BADTG', 'Tags must not contain control characters or line breaks.', field => 'tags');
    end if;
    tag := app_hidden.trim_blank(regexp_replace(tag,
      '[ \t\n\v\f\r\u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+', ' ', 'g'));
    if tag is null or tag = '' then
      perform app_hidden.raise_error('BADTG', 'Tags cannot be empty.', field => 'tags');
    elsif length(tag) > 40 then
      perform app_hidden.raise_error('BADTG', format('Tags: "%s…" is longer than 40 characters.', left(tag, 40)), field => 'tags');
    end if;
    if not lower(tag) = any(seen) then
      result := result || tag;
      seen := seen || lower(tag);
    end if;
  end loop;
  if cardinality(result) > 20 then
    perform app_hidden.raise_error('BADTG', 'Tags: a customer can have at most 20 tags.', field => 'tags');
  end if;
  return to_jsonb(result);
end;
$$;
comment on function app_hidden.normalize_tags(text[]) is 'Tags as stored (trimmed, distinct ignoring case, at most 20 of at most 40 characters); raises BADTG.';

/* Customer metadata: a JSON object of at most 8 kB; null means {}. Raises BADIN. */
create or replace function app_hidden.assert_customer_metadata(metadata jsonb) returns jsonb
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if metadata is null then
    return '{}'::jsonb;
  end if;
  if jsonb_typeof(metadata) <> 'object' then
    perform app_hidden.raise_error('BADIN', 'Metadata must be a JSON object.', field => 'metadata');
  elsif octet_length(metadata::text) > 8192 then
    perform app_hidden.raise_error('BADIN', 'Metadata must be at most 8 kB of JSON.', field => 'metadata');
  end if;
  return metadata;
end;
$$;
comment on function app_hidden.assert_customer_metadata(jsonb) is 'The metadata object ({} for null); raises BADIN unless it is a JSON object of at most 8 kB.';

/*
 * The guard of every customer command and reader: raises LOGIN/DNIED (and whatever else
 * app_hidden.assert_permission checks, such as a suspended tenant), then NOMOD when the plan
 * lacks the customers module, and returns the current tenant.
 */
create or replace function app_hidden.assert_customers_permission(permission text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission(permission);
begin
  -- The plan must include the customers module (NOMOD otherwise; app_hidden.assert_module).
  perform app_hidden.assert_module('customers');
  return tenant;
end;
$$;
comment on function app_hidden.assert_customers_permission(text) is 'Raises LOGIN, DNIED, TSUSP or NOMOD unless the caller may do this to customers; returns the tenant.';

/*
 * The tenant whose customers the caller may read, for security definer readers (search,
 * timeline): null when not signed in or without customers.view (they then return nothing, as
 * row-level security would); otherwise the guard above runs, so its other checks apply too.
 */
create or replace function app_hidden.customers_reader_tenant() returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if app_hidden.current_tenant_id() is null or not app_hidden.has_permission('customers.view') then
    return null;
  end if;
  return app_hidden.assert_customers_permission('customers.view');
end;
$$;
comment on function app_hidden.customers_reader_tenant() is 'The current tenant when the caller may read customers, else null.';

/*
 * The next number of a tenant's counter. The row stays locked until the caller's transaction
 * ends, so concurrent callers get distinct, consecutive numbers, and a rolled-back caller gives
 * its number back (no gaps).
 */
create or replace function app_private.next_tenant_number(tenant_id text, name text) returns bigint
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  insert into app_private.tenant_counters as c (tenant_id, name, value)
  values (next_tenant_number.tenant_id, next_tenant_number.name, 1)
  on conflict (tenant_id, name) do update set value = c.value + 1
  returning c.value;
$$;
comment on function app_private.next_tenant_number(text, text) is 'Hands out the next number of a per-tenant counter (atomic, gap-free).';

/*
 * The next `n` numbers of a tenant's counter at once, for set-based writers (an import's batch):
 * returns the last of them, so they are last - n + 1 … last. Same lock, same no-gap rule as
 * next_tenant_number.
 */
create or replace function app_private.reserve_tenant_numbers(tenant_id text, name text, n int) returns bigint
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  insert into app_private.tenant_counters as c (tenant_id, name, value)
  values (reserve_tenant_numbers.tenant_id, reserve_tenant_numbers.name, reserve_tenant_numbers.n)
  on conflict (tenant_id, name) do update set value = c.value + reserve_tenant_numbers.n
  returning c.value;
$$;
comment on function app_private.reserve_tenant_numbers(text, text, int) is 'Hands out the next n numbers of a per-tenant counter and returns the last (atomic, gap-free).';

/* CUST-00001 … CUST-99999, then CUST-100000 and on (never truncated). */
create or replace function app_hidden.format_customer_number(n bigint) returns text
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select 'CUST-' || case when n < 100000 then lpad(n::text, 5, '0') else n::text end;
$$;
comment on function app_hidden.format_customer_number(bigint) is 'A customer number as shown: CUST-00001.';

create or replace trigger _100_timestamps before insert or update on app_public.customers
  for each row execute function app_private.tg__timestamps();

-- Timestamps are left out of the audit diff.
create or replace trigger _500_audit after insert or update on app_public.customers
  for each row execute function app_private.tg__audit('created_at', 'updated_at');

drop policy if exists select_with_permission on app_public.customers;
create policy select_with_permission on app_public.customers for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.view')));

revoke all on app_public.customers from :DATABASE_VISITOR;
grant select on app_public.customers to :DATABASE_VISITOR;

/* The customer an id stands for now: itself, or (for a merged one) the live customer it was merged into. */
create or replace function app_private.live_customer_id(tenant_id text, customer_id text) returns text
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  with recursive chain(id, merged_into_id, depth) as (
    select c.id, c.merged_into_id, 0 from app_public.customers c
    where c.tenant_id = live_customer_id.tenant_id and c.id = live_customer_id.customer_id
    union all
    select c.id, c.merged_into_id, chain.depth + 1 from chain
    join app_public.customers c on c.tenant_id = live_customer_id.tenant_id and c.id = chain.merged_into_id
    where chain.depth < 100
  )
  select chain.id from chain where chain.merged_into_id is null;
$$;
comment on function app_private.live_customer_id(text, text) is 'The live customer an id stands for (following merges); null for an unknown id.';

/* Ids a customer's history is filed under: its own and those of every customer merged into it. */
create or replace function app_private.customer_history_ids(tenant_id text, customer_id text) returns text[]
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  with recursive ids(id, depth) as (
    select customer_history_ids.customer_id, 0
    union all
    select c.id, ids.depth + 1 from ids
    join app_public.customers c on c.tenant_id = customer_history_ids.tenant_id and c.merged_into_id = ids.id
    where ids.depth < 100
  )
  select array_agg(distinct ids.id) from ids;
$$;
comment on function app_private.customer_history_ids(text, text) is 'A customer''s id and the ids of the customers merged into it.';
--! EndIncluded customers/400-customers.sql
--! Included customers/410-notes-and-addresses.sql
-- What hangs off a customer — categorised notes with their author, and
-- postal addresses with at most one default per customer (a partial unique index). Both use the
-- generated create/update/delete, guarded by policies (customers.update to write,
-- customers.view to read) and validation triggers that raise coded errors; a merge (merge_customers) moves
-- them to the surviving customer. Changes are audited.

/* Raises NOTFD unless the customer is visible in the tenant, CMRGD when it was merged away, ERASD when its personal data was erased. */
create or replace function app_hidden.assert_live_customer(tenant_id text, customer_id text) returns void
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  found_status text;
  merged_into text;
begin
  select c.status, c.merged_into_id into found_status, merged_into
  from app_public.customers c
  where c.tenant_id = assert_live_customer.tenant_id and c.id = assert_live_customer.customer_id;
  if found_status is null then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.', coalesce(left(customer_id, 40), '(none given)')));
  elsif found_status = 'merged' then
    perform app_hidden.raise_error('CMRGD', 'This customer was merged into another one; use that customer instead.', merged_into);
  elsif found_status = 'erased' then
    perform app_hidden.raise_error('ERASD', 'This customer''s personal data was erased: nothing can be added to it.', customer_id);
  end if;
end;
$$;
comment on function app_hidden.assert_live_customer(text, text) is 'Raises NOTFD for an unknown (or invisible) customer, CMRGD for a merged one and ERASD for an erased one.';

create or replace function app_private.tg_customer_notes__validate() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  new.body := app_hidden.optional_text('Note', new.body, 2000, 'body');
  if new.body is null then
    perform app_hidden.raise_error('BADIN', 'Note is required.', field => 'body');
  end if;
  new.category := coalesce(lower(btrim(new.category)), 'general');
  -- import: the notes a customer file brought (customers/485-import.sql), kept apart from staff's.
  if new.category not in ('general', 'preference', 'issue', 'feedback', 'import') then
    perform app_hidden.raise_error('BADIN', 'Note category must be general, preference, issue, feedback or import.', field => 'category');
  end if;
  if tg_op = 'INSERT' then
    new.author_user_id := app_hidden.change_actor();
  else
    new.author_user_id := old.author_user_id;
  end if;
  if tg_op = 'INSERT' or new.customer_id is distinct from old.customer_id then
    perform app_hidden.assert_live_customer(new.tenant_id, new.customer_id);
  end if;
  return new;
end;
$$;

create or replace trigger _050_validate before insert or update on app_public.customer_notes
  for each row execute function app_private.tg_customer_notes__validate();

create or replace trigger _100_timestamps before insert or update on app_public.customer_notes
  for each row execute function app_private.tg__timestamps();

create or replace trigger _500_audit after insert or update or delete on app_public.customer_notes
  for each row execute function app_private.tg__audit('created_at', 'updated_at');

drop policy if exists select_with_permission on app_public.customer_notes;
create policy select_with_permission on app_public.customer_notes for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.view')));

drop policy if exists insert_with_permission on app_public.customer_notes;
create policy insert_with_permission on app_public.customer_notes for insert to :DATABASE_VISITOR
  with check (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.update')));

drop policy if exists update_with_permission on app_public.customer_notes;
create policy update_with_permission on app_public.customer_notes for update to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.update')));

drop policy if exists delete_with_permission on app_public.customer_notes;
create policy delete_with_permission on app_public.customer_notes for delete to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.update')));

revoke all on app_public.customer_notes from :DATABASE_VISITOR;
grant select, delete on app_public.customer_notes to :DATABASE_VISITOR;
grant insert (customer_id, category, body), update (category, body) on app_public.customer_notes to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Addresses

/* The default country of the current tenant (the default of an address's country). */
create or replace function app_hidden.current_tenant_country() returns text
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select t.default_country from app_public.tenants t where t.id = app_hidden.current_tenant_id();
$$;
comment on function app_hidden.current_tenant_country() is 'ISO country of the current tenant (its default_country).';

create or replace function app_private.tg_customer_addresses__validate() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  new.type := coalesce(lower(btrim(new.type)), 'home');
  if new.type not in ('home', 'work', 'billing', 'shipping', 'other') then
    perform app_hidden.raise_error('BADIN', 'Address type must be home, work, billing, shipping or other.', field => 'type');
  end if;
  new.line1 := app_hidden.assert_name('Address line 1', new.line1, 200, 'line1');
  new.line2 := app_hidden.optional_name('Address line 2', new.line2, 200, 'line2');
  new.city := app_hidden.assert_name('City', new.city, 100, 'city');
  new.region := app_hidden.optional_name('Region', new.region, 100, 'region');
  new.postal_code := upper(app_hidden.optional_name('Postal code', new.postal_code, 20, 'postal_code'));
  if new.country is null or btrim(new.country) = '' then
    select t.default_country into new.country from app_public.tenants t where t.id = new.tenant_id;
  end if;
  new.country := upper(btrim(new.country));
  if new.country !~ '^[A-Z]{2}$' then
    perform app_hidden.raise_error('BADIN', 'Country must be a two-letter ISO code, such as FR or US.', field => 'country');
  end if;
  if (new.latitude is null) <> (new.longitude is null) then
    perform app_hidden.raise_error('BADIN', 'Give both latitude and longitude, or neither.', field => 'latitude');
  elsif new.latitude not between -90 and 90 or new.longitude not between -180 and 180 then
    perform app_hidden.raise_error('BADIN', 'Latitude must be between -90 and 90 and longitude between -180 and 180.');
  end if;
  new.is_default := coalesce(new.is_default, false);
  if tg_op = 'INSERT' or new.customer_id is distinct from old.customer_id then
    perform app_hidden.assert_live_customer(new.tenant_id, new.customer_id);
  end if;
  if tg_op = 'INSERT' and (select count(*) from app_public.customer_addresses a
                           where a.tenant_id = new.tenant_id and a.customer_id = new.customer_id) >= 20 then
    perform app_hidden.raise_error('BADIN', 'A customer can have at most 20 addresses.');
  end if;
  if new.is_default then
    update app_public.customer_addresses a set is_default = false
    where a.tenant_id = new.tenant_id and a.customer_id = new.customer_id and a.is_default and a.id <> new.id;
  end if;
  return new;
end;
$$;

create or replace trigger _050_validate before insert or update on app_public.customer_addresses
  for each row execute function app_private.tg_customer_addresses__validate();

create or replace trigger _100_timestamps before insert or update on app_public.customer_addresses
  for each row execute function app_private.tg__timestamps();

create or replace trigger _500_audit after insert or update or delete on app_public.customer_addresses
  for each row execute function app_private.tg__audit('created_at', 'updated_at');

drop policy if exists select_with_permission on app_public.customer_addresses;
create policy select_with_permission on app_public.customer_addresses for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.view')));

drop policy if exists insert_with_permission on app_public.customer_addresses;
create policy insert_with_permission on app_public.customer_addresses for insert to :DATABASE_VISITOR
  with check (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.update')));

drop policy if exists update_with_permission on app_public.customer_addresses;
create policy update_with_permission on app_public.customer_addresses for update to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.update')));

drop policy if exists delete_with_permission on app_public.customer_addresses;
create policy delete_with_permission on app_public.customer_addresses for delete to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.update')));

revoke all on app_public.customer_addresses from :DATABASE_VISITOR;
grant select, delete on app_public.customer_addresses to :DATABASE_VISITOR;
grant insert (customer_id, type, line1, line2, city, region, postal_code, country, latitude, longitude, is_default),
      update (type, line1, line2, city, region, postal_code, country, latitude, longitude, is_default)
  on app_public.customer_addresses to :DATABASE_VISITOR;
--! EndIncluded customers/410-notes-and-addresses.sql
--! Included customers/485-import.sql
-- Customer import from a CSV file (issue "Customer import and a complete export").
--
-- 1. Upload (web/server/imports.ts, as the member, customers.import): begin_customer_import
--    records the import, write_customer_import_chunk stores the file as ~1 MB chunks, and
--    finish_customer_import_upload queues `customer_import_parse`. One transaction: a broken
--    upload leaves nothing. At most 50 MB (the byte_size check; TOOBG from the server before).
-- 2. Parse (worker/tasks/customer-import-parse.ts, csv-parse): the worker decodes the file (UTF-8
--    with or without BOM, UTF-16 by its BOM, else Windows-1252 when it is not valid UTF-8), finds
--    the delimiter, stages every record's cells in customer_import_rows (stage_customer_import_rows,
--    with the progress), then finish_customer_import_parse proposes a mapping from the header
--    (customer_import_field_for: our export's, Square's and Shopify's names) and classifies.
-- 3. Preview: classify_customer_import checks every row with the rules create_customer uses
--    (app_hidden.optional_email, normalize_phone, optional_name, normalize_tags…), so a row's
--    reason is the same sentence the admin would show, and sorts rows into new, duplicate of an
--    existing customer (same email or phone after normalisation; a row matching two different
--    customers is invalid), duplicate of an earlier row of the file, and invalid. The member may
--    change the mapping and what a duplicate does (set_customer_import_mapping), which
--    classifies again. Nothing is written to customers before commit.
-- 4. Commit (commit_customer_import, then the `customer_import_commit` task calling
--    commit_customer_import_batch until it returns 0): each batch is one transaction that
--    writes customers set-based (numbers reserved at once, customer.created.v1 or
--    customer.updated.v1 per customer, audit entries naming the command import_customers and the
--    file, acting for the member who committed) and marks its rows done in the same
--    transaction — so a worker killed mid-commit resumes at the first row not marked, and never
--    creates a customer twice.
-- 5. Report: the rows that could not be imported, with their cells as in the file and a reason
--    column (customer_import_report_query, streamed by GET /imports/:id/errors.csv), so the
--    member can fix them and import that file again.

------------------------------------------------------------------------------------------------
-- Table rules

create or replace trigger _100_timestamps before insert or update on app_public.customer_imports
  for each row execute function app_private.tg__timestamps();

drop policy if exists select_with_permission on app_public.customer_imports;
create policy select_with_permission on app_public.customer_imports for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.import')));
revoke all on app_public.customer_imports from :DATABASE_VISITOR;
grant select on app_public.customer_imports to :DATABASE_VISITOR;

drop policy if exists select_with_permission on app_public.customer_import_rows;
create policy select_with_permission on app_public.customer_import_rows for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.import')));
revoke all on app_public.customer_import_rows from :DATABASE_VISITOR;
grant select on app_public.customer_import_rows to :DATABASE_VISITOR;

revoke all on app_private.customer_import_chunks from :DATABASE_VISITOR;

comment on table app_public.customer_imports is E'@unique id\n@behavior -query:resource:list\nA customer file being imported: upload it (POST /imports/customers), check the preview (rows), adjust the mapping (setCustomerImportMapping), then commit it (commitCustomerImport) and follow the progress.';
comment on column app_public.customer_imports.tenant_id is '@behavior -*';
comment on constraint customer_imports_pkey on app_public.customer_imports is '@behavior -single -update -delete';
comment on constraint customer_imports_tenant_id_fkey on app_public.customer_imports is '@behavior -*';
comment on constraint customer_imports_created_by_fkey on app_public.customer_imports is E'@fieldName uploadedBy\n@behavior -manyRelation';
comment on constraint customer_imports_committed_by_fkey on app_public.customer_imports is E'@fieldName committer\n@behavior -manyRelation';
comment on column app_public.customer_imports.status is 'uploading, parsing (the worker reads the file: rowsRead), ready (preview; change the mapping or commit), committing (rowsDone of newCount + duplicateCount), done, or failed (errorCode, errorMessage).';
comment on column app_public.customer_imports.header is 'The column names of the file''s first line.';
comment on column app_public.customer_imports.mapping is 'For each column of the header, the field it fills (customerImportFields) or null to ignore it.';
comment on column app_public.customer_imports.on_duplicate is 'What a row does when its email or phone belongs to a customer already: skip it, fill (only the customer''s empty fields) or overwrite (with the file''s non-empty values).';
comment on column app_public.customer_imports.rows_read is 'Data rows read so far (while parsing).';
comment on column app_public.customer_imports.rows_done is 'Rows committed so far (while committing).';
comment on column app_public.customer_imports.new_count is 'Rows that would make a new customer.';
comment on column app_public.customer_imports.duplicate_count is 'Rows whose email or phone belongs to an existing customer.';
comment on column app_public.customer_imports.file_duplicate_count is 'Rows with the email or phone of an earlier row of the file (not imported).';
comment on column app_public.customer_imports.invalid_count is 'Rows that cannot be imported, each with its reason.';
comment on column app_public.customer_imports.failed_count is 'After the commit: rows not imported (invalid, duplicates inside the file, or refused while committing); the error report lists them.';

comment on table app_public.customer_import_rows is E'@behavior -query:resource:list -query:resource:connection\nA data row of an imported file: its cells, the values it would give a customer, and its state.';
comment on column app_public.customer_import_rows.tenant_id is '@behavior -*';
comment on column app_public.customer_import_rows.import_id is '@behavior -*';
comment on constraint customer_import_rows_pkey on app_public.customer_import_rows is '@behavior -*';
comment on constraint customer_import_rows_tenant_id_import_id_fkey on app_public.customer_import_rows is '@behavior -*';
comment on constraint customer_import_rows_tenant_id_customer_id_fkey on app_public.customer_import_rows is E'@fieldName customer\n@behavior -manyRelation';
comment on column app_public.customer_import_rows.row_no is 'The row of the file, as a spreadsheet numbers it (the header is row 1).';
comment on column app_public.customer_import_rows.state is 'new, duplicate (of customerId), file_duplicate, invalid (reason); after the commit created, updated, skipped or failed (reason).';
comment on column app_public.customer_import_rows.reason is 'Why the row cannot be imported, in words.';
comment on table app_private.customer_import_chunks is 'The bytes of uploaded customer files, in order, about 1 MB each.';

------------------------------------------------------------------------------------------------
-- Fields and header names

/* The fields a column can fill, in the order the admin offers them. */
create or replace function app_public.customer_import_fields() returns table (field text, label text)
language sql immutable
set search_path to pg_catalog, public, pg_temp
as $$
  values ('first_name', 'First name'), ('last_name', 'Last name'),
         ('full_name', 'Full name (split at the last space)'),
         ('email', 'Email'), ('phone', 'Phone'), ('tags', 'Tags (separated by commas)'),
         ('note', 'Note (kept as a dated note)'), ('about', 'About this customer'), ('company', 'Company'),
         ('email_consent', 'Accepts email marketing'), ('sms_consent', 'Accepts SMS marketing'),
         ('address_line1', 'Address line 1'), ('address_line2', 'Address line 2'), ('city', 'City'),
         ('region', 'State or region'), ('postal_code', 'Postal code'),
         ('country', 'Country (two-letter code)');
$$;
comment on function app_public.customer_import_fields() is 'The fields a column of an imported file can fill, with their labels.';
grant execute on function app_public.customer_import_fields() to :DATABASE_VISITOR;

/*
 * The field a header name means, and its priority when several columns mean the same field (1
 * wins): our export's names, Square's customer export ("Email Address", "Phone Number", "Street
 * Address 1", "Memo", "Groups", "Email Subscription Status"…) and Shopify's, old and new ("Accepts
 * Marketing", "Accepts Email Marketing", "Default Address Address1", "Province Code"…). Names are
 * compared lower-cased with everything but letters and digits removed, so "E-mail", "e_mail" and
 * "E Mail" are one name. Shopify's "Country" holds names ("Canada") and "Country Code" the code:
 * the code wins when both are there.
 */
create or replace function app_hidden.customer_import_field_for(header text, out field text, out priority int)
language sql immutable
set search_path to pg_catalog, public, pg_temp
as $$
  select k.field, k.priority
  from (values
    ('firstname', 'first_name', 1), ('givenname', 'first_name', 1), ('forename', 'first_name', 1), ('first', 'first_name', 2),
    ('lastname', 'last_name', 1), ('surname', 'last_name', 1), ('familyname', 'last_name', 1), ('last', 'last_name', 2),
    ('name', 'full_name', 2), ('fullname', 'full_name', 1), ('customername', 'full_name', 1), ('contactname', 'full_name', 2),
    ('email', 'email', 1), ('emailaddress', 'email', 1), ('mail', 'email', 2), ('emailaddr', 'email', 1),
    ('phone', 'phone', 1), ('phonenumber', 'phone', 1), ('mobile', 'phone', 2), ('mobilephone', 'phone', 2),
    ('mobilenumber', 'phone', 2), ('cellphone', 'phone', 2), ('telephone', 'phone', 2), ('tel', 'phone', 3),
    ('defaultaddressphone', 'phone', 3), ('addressphone', 'phone', 3),
    ('tags', 'tags', 1), ('tag', 'tags', 1), ('groups', 'tags', 2), ('customergroups', 'tags', 2), ('labels', 'tags', 2),
    ('about', 'about', 1), ('aboutthiscustomer', 'about', 1),
    ('note', 'note', 1), ('notes', 'note', 1), ('memo', 'note', 1), ('comment', 'note', 2), ('comments', 'note', 2),
    ('company', 'company', 1), ('companyname', 'company', 1), ('organization', 'company', 2), ('organisation', 'company', 2),
    ('defaultaddresscompany', 'company', 2),
    ('acceptsemailmarketing', 'email_consent', 1), ('acceptsmarketing', 'email_consent', 1),
    ('emailsubscriptionstatus', 'email_consent', 1), ('emailmarketing', 'email_consent', 2),
    ('marketingconsent', 'email_consent', 2), ('emailoptin', 'email_consent', 2), ('newsletter', 'email_consent', 3),
    ('acceptssmsmarketing', 'sms_consent', 1), ('smsmarketing', 'sms_consent', 2),
    ('smssubscriptionstatus', 'sms_consent', 1), ('smsoptin', 'sms_consent', 2),
    ('addressline1', 'address_line1', 1), ('address1', 'address_line1', 1), ('streetaddress1', 'address_line1', 1),
    ('streetaddress', 'address_line1', 2), ('street', 'address_line1', 2), ('address', 'address_line1', 3),
    ('defaultaddressaddress1', 'address_line1', 1),
    ('addressline2', 'address_line2', 1), ('address2', 'address_line2', 1), ('streetaddress2', 'address_line2', 1),
    ('defaultaddressaddress2', 'address_line2', 1),
    ('city', 'city', 1), ('town', 'city', 2), ('defaultaddresscity', 'city', 1),
    ('region', 'region', 1), ('state', 'region', 1), ('province', 'region', 1), ('county', 'region', 2),
    ('provincecode', 'region', 2), ('statecode', 'region', 2), ('defaultaddressprovincecode', 'region', 1),
    ('postalcode', 'postal_code', 1), ('zip', 'postal_code', 1), ('zipcode', 'postal_code', 1), ('postcode', 'postal_code', 1),
    ('defaultaddresszip', 'postal_code', 1),
    ('countrycode', 'country', 1), ('defaultaddresscountrycode', 'country', 1), ('country', 'country', 2)
  ) as k(name, field, priority)
  where k.name = lower(regexp_replace(header, '[^[:alnum:]]', '', 'g'));
$$;
comment on function app_hidden.customer_import_field_for(text) is 'The field a column of that name fills, and its priority among columns filling the same field (1 first).';

/* For each column of a header, the field it fills: the best-priority column of each field wins, then the first. */
create or replace function app_hidden.customer_import_proposed_mapping(header text[]) returns text[]
language sql immutable
set search_path to pg_catalog, public, pg_temp
as $$
  with known as (
    select h.i, f.field,
           row_number() over (partition by f.field order by f.priority, h.i) as rank
    from unnest(header) with ordinality as h(name, i)
    cross join lateral app_hidden.customer_import_field_for(h.name) as f
    where f.field is not null
  )
  select array(
    select k.field
    from generate_subscripts(header, 1) as g(i)
    left join known k on k.i = g.i and k.rank = 1
    order by g.i);
$$;

------------------------------------------------------------------------------------------------
-- Rows

/* yes or no in the words files use (yes, y, true, 1, x, subscribed, opted in…); null when blank; BADIN otherwise. */
create or replace function app_hidden.import_yes_no(label text, value text, field text) returns boolean
language plpgsql immutable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  v text := lower(regexp_replace(btrim(value), '[\s_-]+', ' ', 'g'));
begin
  if v is null or v = '' then
    return null;
  elsif v in ('yes', 'y', 'true', 't', '1', 'x', 'subscribed', 'opted in', 'optin', 'on', 'confirmed_opt_in') then
    return true;
  elsif v in ('no', 'n', 'false', 'f', '0', 'unsubscribed', 'not subscribed', 'opted out', 'optout', 'off', 'never subscribed') then
    return false;
  end if;
  perform app_hidden.raise_error('BADIN', format('%s: "%s" is neither yes nor no.', label, left(btrim(value), 40)), field => field);
  return null;
end;
$$;

/*
 * A cell as the spreadsheet meant it: the ' an exporter put before a formula-like value to defuse
 * it (ours, app_hidden.csv_text; Shopify's before "+1 613…") is dropped, exactly when csv_text
 * would have added it. So our export imports back unchanged, and the value is stored as text
 * (and defused again on every export).
 */
create or replace function app_hidden.csv_untext(value text) returns text
language sql immutable parallel safe
as $$
  select case when left(value, 1) = '''' and app_hidden.csv_text(substr(value, 2)) = value then substr(value, 2) else value end;
$$;
comment on function app_hidden.csv_untext(text) is 'A cell without the leading '' that defused a formula-like value (the inverse of app_hidden.csv_text).';

/*
 * What one row of a file would make: the values of the fields its columns map to, checked by the
 * same rules as create_customer and the address trigger, or the reason it cannot be imported (the
 * message of the rule it breaks). The first non-blank column of a field wins. A full name is split
 * at its last space unless first or last names are given. An address needs a first line and a
 * city: the other address columns of a row without them are ignored (a country alone is no
 * address). A row with more non-blank cells than the header has columns is refused (the columns
 * would be guessed); fewer is fine (spreadsheets drop empty trailing cells).
 */
create or replace function app_private.customer_import_values(cells text[], mapping text[], country text)
returns app_public.customer_import_rows
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  r app_public.customer_import_rows;
  raw jsonb := '{}';
  width int := cardinality(mapping);
  f text;
  full_name text;
  tag_list text[];
begin
  if cardinality(cells) > width and exists (select 1 from unnest(cells[width + 1:]) as c where btrim(c) <> '') then
    r.state := 'invalid';
    r.reason := format('This row has %s cells where the header has %s columns.', cardinality(cells), width);
    return r;
  end if;
  for i in 1 .. least(width, cardinality(cells)) loop
    f := mapping[i];
    if f is not null and btrim(cells[i]) <> '' and not raw ? f then
      raw := raw || jsonb_build_object(f, app_hidden.csv_untext(cells[i]));
    end if;
  end loop;

  begin
    r.first_name := app_hidden.optional_name('First name', raw ->> 'first_name', 100, 'first_name');
    r.last_name := app_hidden.optional_name('Last name', raw ->> 'last_name', 100, 'last_name');
    full_name := app_hidden.trim_blank(raw ->> 'full_name');
    if r.first_name is null and r.last_name is null and full_name <> '' then
      full_name := regexp_replace(full_name, '\s+', ' ', 'g');
      if position(' ' in full_name) > 0 then
        r.first_name := app_hidden.optional_name('First name', regexp_replace(full_name, ' [^ ]*$', ''), 100, 'first_name');
        r.last_name := app_hidden.optional_name('Last name', regexp_replace(full_name, '^.* ', ''), 100, 'last_name');
      else
        r.first_name := app_hidden.optional_name('First name', full_name, 100, 'first_name');
      end if;
    end if;
    r.email := app_hidden.optional_email(raw ->> 'email');
    r.phone := app_hidden.normalize_phone(raw ->> 'phone', country);
    tag_list := array(select t from unnest(string_to_array(raw ->> 'tags', ',')) as t where btrim(t) <> '');
    r.tags := app_hidden.normalize_tags(tag_list);
    r.note := app_hidden.optional_text('Note', raw ->> 'note', 2000, 'note');
    r.about := app_hidden.optional_text('About this customer', raw ->> 'about', 2000, 'notes');
    r.company := app_hidden.optional_name('Company', raw ->> 'company', 200, 'company');
    r.email_consent := app_hidden.import_yes_no('Accepts email marketing', raw ->> 'email_consent', 'email_consent');
    r.sms_consent := app_hidden.import_yes_no('Accepts SMS marketing', raw ->> 'sms_consent', 'sms_consent');
    if btrim(raw ->> 'address_line1') <> '' and btrim(raw ->> 'city') <> '' then
      r.address_line1 := app_hidden.assert_name('Address line 1', raw ->> 'address_line1', 200, 'line1');
      r.address_line2 := app_hidden.optional_name('Address line 2', raw ->> 'address_line2', 200, 'line2');
      r.city := app_hidden.assert_name('City', raw ->> 'city', 100, 'city');
      r.region := app_hidden.optional_name('Region', raw ->> 'region', 100, 'region');
      r.postal_code := upper(app_hidden.optional_name('Postal code', raw ->> 'postal_code', 20, 'postal_code'));
      r.country := upper(coalesce(app_hidden.trim_blank(raw ->> 'country'), country));
      if r.country !~ '^[A-Z]{2}$' then
        perform app_hidden.raise_error('BADIN', 'Country must be a two-letter ISO code, such as FR or US.', field => 'country');
      end if;
    end if;
    if r.email is null and r.phone is null and r.first_name is null then
      perform app_hidden.raise_error('NOIDN', 'A customer needs at least an email, a phone number or a first name.');
    end if;
    r.state := 'new';
  exception when others then
    -- Our rules raise five-letter codes with a sentence for people: that is the row's reason.
    -- Anything else is a bug, not a bad row.
    if sqlstate !~ '^[A-Z]{5}$' then
      raise;
    end if;
    r := null;
    r.state := 'invalid';
    r.reason := sqlerrm;
  end;
  return r;
end;
$$;

/*
 * Sorts the rows of an import not yet committed: the values each would give (above), then, among
 * those that can be imported, a later row with the email or phone of an earlier one is a
 * duplicate inside the file, and a row whose email or phone belongs to a live customer is a
 * duplicate of that customer (invalid when its email is one customer's and its phone another's).
 * Updates the import's counts.
 */
create or replace function app_private.classify_customer_import(tenant_id text, import_id text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  imp app_public.customer_imports;
  tenant_country text;
begin
  select i.* into imp from app_public.customer_imports i
  where i.tenant_id = classify_customer_import.tenant_id and i.id = classify_customer_import.import_id;
  select t.default_country into tenant_country from app_public.tenants t where t.id = imp.tenant_id;
  -- The rows were just staged (and the business may have just grown): without fresh statistics the
  -- planner takes this import for one row and the duplicate searches below for nested loops over
  -- every row, 47 s instead of 0.1 s at 10,000 rows (measured). As after any bulk load.
  analyze app_public.customer_import_rows;
  analyze app_public.customers;

  update app_public.customer_import_rows r set
    (state, reason, email, phone, first_name, last_name, tags, note, about, company, email_consent, sms_consent,
     address_line1, address_line2, city, region, postal_code, country, customer_id) =
    (select v.state, v.reason, v.email, v.phone, v.first_name, v.last_name, v.tags, v.note, v.about, v.company,
            v.email_consent, v.sms_consent, v.address_line1, v.address_line2, v.city, v.region,
            v.postal_code, v.country, null
     from app_private.customer_import_values(r.cells, imp.mapping, tenant_country) as v)
  where r.tenant_id = imp.tenant_id and r.import_id = imp.id
    and r.state in ('read', 'new', 'duplicate', 'file_duplicate', 'invalid');

  with firsts as (
    select r.row_no,
           case when r.email is not null then min(r.row_no) over (partition by r.email) end as email_row,
           case when r.phone is not null then min(r.row_no) over (partition by r.phone) end as phone_row
    from app_public.customer_import_rows r
    where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.state = 'new'
  )
  update app_public.customer_import_rows r set
    state = 'file_duplicate',
    reason = case when f.email_row < f.row_no then format('Same email as row %s of this file.', f.email_row)
                  else format('Same phone number as row %s of this file.', f.phone_row) end
  from firsts f
  where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.row_no = f.row_no
    and (f.email_row < f.row_no or f.phone_row < f.row_no);

  perform app_private.match_existing_customers(imp.tenant_id, imp.id, null, null);

  update app_public.customer_imports i set
    (new_count, duplicate_count, file_duplicate_count, invalid_count) =
    (select count(*) filter (where r.state = 'new'), count(*) filter (where r.state = 'duplicate'),
            count(*) filter (where r.state = 'file_duplicate'), count(*) filter (where r.state = 'invalid')
     from app_public.customer_import_rows r where r.tenant_id = imp.tenant_id and r.import_id = imp.id)
  where i.tenant_id = imp.tenant_id and i.id = imp.id;
end;
$$;

/*
 * Rows (of the import, or of rows from_row..to_row) still marked new whose email or phone belongs
 * to a live customer become duplicates of that customer; a row matching two customers is invalid.
 * Run at preview and again by each commit batch (a customer may have been added since).
 */
create or replace function app_private.match_existing_customers(tenant_id text, import_id text, from_row int, to_row int) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  update app_public.customer_import_rows r set
    state = case when e.id <> p.id then 'invalid' else 'duplicate' end,
    reason = case when e.id <> p.id then format('The email belongs to customer %s and the phone number to customer %s.',
                                                e.customer_number, p.customer_number) end,
    customer_id = case when e.id <> p.id then null else coalesce(e.id, p.id) end
  from app_public.customer_import_rows x
  left join app_public.customers e on e.tenant_id = x.tenant_id and e.email = x.email and e.status <> 'merged'
  left join app_public.customers p on p.tenant_id = x.tenant_id and p.phone = x.phone and p.status <> 'merged'
  where x.tenant_id = match_existing_customers.tenant_id and x.import_id = match_existing_customers.import_id
    and x.state = 'new' and (e.id is not null or p.id is not null)
    and x.row_no between coalesce(from_row, 0) and coalesce(to_row, 2147483647)
    and r.tenant_id = x.tenant_id and r.import_id = x.import_id and r.row_no = x.row_no;
$$;

------------------------------------------------------------------------------------------------
-- Upload (the server, as the member)

/* The import of the caller's business with this id, locked; NOTFD otherwise. */
create or replace function app_private.own_customer_import(tenant_id text, import_id text) returns app_public.customer_imports
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  imp app_public.customer_imports;
begin
  select i.* into imp from app_public.customer_imports i
  where i.tenant_id = own_customer_import.tenant_id and i.id = own_customer_import.import_id
  for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no import %s.', coalesce(left(import_id, 40), '(none given)')));
  end if;
  return imp;
end;
$$;

/* Raises IMPST unless the import is in one of these states, saying what it is doing instead. */
create or replace function app_private.assert_import_status(imp app_public.customer_imports, allowed text[], action text) returns void
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if not imp.status = any(allowed) then
    perform app_hidden.raise_error('IMPST', format('This import cannot be %s: it is %s.', action,
      case imp.status when 'uploading' then 'still being uploaded' when 'parsing' then 'still being read'
                      when 'ready' then 'waiting to be committed' when 'committing' then 'being committed'
                      when 'done' then 'already committed' else 'failed' end), imp.id);
  end if;
end;
$$;

create or replace function app_hidden.begin_customer_import(file_name text) returns text
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.import');
  name text := left(app_hidden.trim_blank(regexp_replace(coalesce(file_name, ''), '[\x00-\x1f\x7f/\\]', '', 'g')), 255);
  id text;
begin
  insert into app_public.customer_imports (tenant_id, file_name, created_by)
  values (tenant, coalesce(nullif(name, ''), 'customers.csv'), app_hidden.current_user_id())
  returning customer_imports.id into id;
  return id;
end;
$$;
comment on function app_hidden.begin_customer_import(text) is 'Starts an upload of a customer file (needs customers.import); returns the import id.';
grant execute on function app_hidden.begin_customer_import(text) to :DATABASE_VISITOR;

/* Appends the next chunk of an upload of the caller's (in order: the upload is one transaction). TOOBG past 50 MB. */
create or replace function app_hidden.write_customer_import_chunk(import_id text, data bytea) returns void
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.import');
  imp app_public.customer_imports := app_private.own_customer_import(tenant, import_id);
begin
  perform app_private.assert_import_status(imp, array['uploading'], 'uploaded to');
  if data is null or octet_length(data) = 0 then
    return;
  end if;
  if imp.byte_size + octet_length(data) > app_hidden.customer_import_max_bytes() then
    perform app_hidden.raise_error('TOOBG', 'The file is larger than 50 MB. Split it into smaller files.');
  end if;
  insert into app_private.customer_import_chunks (tenant_id, import_id, chunk_no, data)
  values (tenant, imp.id, imp.chunk_count, data);
  update app_public.customer_imports i set chunk_count = i.chunk_count + 1, byte_size = i.byte_size + octet_length(data)
  where i.tenant_id = tenant and i.id = imp.id;
end;
$$;
grant execute on function app_hidden.write_customer_import_chunk(text, bytea) to :DATABASE_VISITOR;

/* The largest file an import takes: 50 MB. */
create or replace function app_hidden.customer_import_max_bytes() returns bigint
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$ select 52428800::bigint $$;
grant execute on function app_hidden.customer_import_max_bytes() to :DATABASE_VISITOR;

/* Ends an upload and queues the reading of the file. BADCS for an empty file. */
create or replace function app_hidden.finish_customer_import_upload(import_id text) returns void
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.import');
  imp app_public.customer_imports := app_private.own_customer_import(tenant, import_id);
begin
  perform app_private.assert_import_status(imp, array['uploading'], 'uploaded to');
  if imp.byte_size = 0 then
    perform app_hidden.raise_error('BADCS', 'The file is empty.', field => 'file');
  end if;
  update app_public.customer_imports i set status = 'parsing' where i.tenant_id = tenant and i.id = imp.id;
  perform graphile_worker.add_job('customer_import_parse', json_build_object('tenantId', tenant, 'importId', imp.id),
    max_attempts := 3, job_key := 'customer_import_parse:' || imp.id);
end;
$$;
grant execute on function app_hidden.finish_customer_import_upload(text) to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Parse (the worker)

/* Starts (or starts again) reading an import's file: clears rows staged by an earlier attempt. Null when it is not to be read. */
create or replace function app_private.start_customer_import_parse(tenant_id text, import_id text) returns jsonb
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  imp app_public.customer_imports;
begin
  select i.* into imp from app_public.customer_imports i
  where i.tenant_id = start_customer_import_parse.tenant_id and i.id = start_customer_import_parse.import_id
  for update;
  if not found or imp.status <> 'parsing' then
    return null;
  end if;
  delete from app_public.customer_import_rows r where r.tenant_id = imp.tenant_id and r.import_id = imp.id;
  update app_public.customer_imports i set rows_read = 0, header = null, mapping = null
  where i.tenant_id = imp.tenant_id and i.id = imp.id;
  return jsonb_build_object('chunkCount', imp.chunk_count, 'fileName', imp.file_name);
end;
$$;

/*
 * Stages records read from the file: rows is a JSON array of arrays of cells, the first being the
 * file's row first_row_no. Returns false when the import is no longer being read.
 */
create or replace function app_private.stage_customer_import_rows(tenant_id text, import_id text, first_row_no int, rows jsonb) returns boolean
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  insert into app_public.customer_import_rows (tenant_id, import_id, row_no, cells)
  select stage_customer_import_rows.tenant_id, stage_customer_import_rows.import_id, first_row_no + (r.n - 1)::int,
         array(select jsonb_array_elements_text(r.cells))
  from jsonb_array_elements(rows) with ordinality as r(cells, n);
  update app_public.customer_imports i set rows_read = i.rows_read + jsonb_array_length(rows)
  where i.tenant_id = stage_customer_import_rows.tenant_id and i.id = stage_customer_import_rows.import_id and i.status = 'parsing';
  return found;
end;
$$;

/* The file is read: keeps its header, proposes the mapping, classifies the rows; the import is ready for preview. */
create or replace function app_private.finish_customer_import_parse(tenant_id text, import_id text, header text[], encoding text, delimiter text)
returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  update app_public.customer_imports i set
    header = finish_customer_import_parse.header,
    mapping = app_hidden.customer_import_proposed_mapping(finish_customer_import_parse.header),
    encoding = finish_customer_import_parse.encoding, delimiter = finish_customer_import_parse.delimiter,
    rows_total = i.rows_read, status = 'ready'
  where i.tenant_id = finish_customer_import_parse.tenant_id and i.id = finish_customer_import_parse.import_id
    and i.status = 'parsing';
  if found then
    perform app_private.classify_customer_import(tenant_id, import_id);
  end if;
end;
$$;

/* An import that cannot go on: its code and message for the member; staged rows are dropped. */
create or replace function app_private.fail_customer_import(tenant_id text, import_id text, code text, message text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  update app_public.customer_imports i set status = 'failed', error_code = code, error_message = left(message, 500), finished_at = now()
  where i.tenant_id = fail_customer_import.tenant_id and i.id = fail_customer_import.import_id and i.status in ('parsing', 'committing');
  if not found then
    return;
  end if;
  -- Rows of a failed read are of no use. A failed commit keeps them: the rows it did not reach
  -- are failed, so that the report lists them to import again, and the counts say so.
  delete from app_public.customer_import_rows r
  where r.tenant_id = fail_customer_import.tenant_id and r.import_id = fail_customer_import.import_id
    and exists (select 1 from app_public.customer_imports i where i.tenant_id = r.tenant_id and i.id = r.import_id and i.committed_by is null);
  update app_public.customer_import_rows r set state = 'failed', reason = 'Not imported: the import stopped before this row.'
  where r.tenant_id = fail_customer_import.tenant_id and r.import_id = fail_customer_import.import_id and r.state in ('new', 'duplicate');
  update app_public.customer_imports i set
    (created_count, updated_count, skipped_count, failed_count) =
    (select count(*) filter (where r.state = 'created'), count(*) filter (where r.state = 'updated'),
            count(*) filter (where r.state = 'skipped'), count(*) filter (where r.state in ('failed', 'invalid', 'file_duplicate'))
     from app_public.customer_import_rows r where r.tenant_id = i.tenant_id and r.import_id = i.id)
  where i.tenant_id = fail_customer_import.tenant_id and i.id = fail_customer_import.import_id and i.committed_by is not null;
end;
$$;

------------------------------------------------------------------------------------------------
-- Preview and commit (the member)

/* The rows of the import, in file order; only those in one state when given (new, duplicate, file_duplicate, invalid, created, updated, skipped, failed). */
create or replace function app_public.customer_imports_rows(i app_public.customer_imports, state text default null)
returns setof app_public.customer_import_rows
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select r.* from app_public.customer_import_rows r
  where r.tenant_id = i.tenant_id and r.import_id = i.id and (customer_imports_rows.state is null or r.state = customer_imports_rows.state)
  order by r.row_no;
$$;
comment on function app_public.customer_imports_rows(app_public.customer_imports, text) is 'The rows of the file in order, or only those in one state.';
grant execute on function app_public.customer_imports_rows(app_public.customer_imports, text) to :DATABASE_VISITOR;

/* Where to download the rows that were not imported, with their reason (GET, same site), once the import is done. */
create or replace function app_public.customer_imports_report_url(i app_public.customer_imports) returns text
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select case when (i.status in ('ready', 'done') or (i.status = 'failed' and i.committed_by is not null))
                   and (i.invalid_count + i.file_duplicate_count + i.failed_count) > 0
              then '/imports/' || i.id || '/errors.csv' end;
$$;
comment on function app_public.customer_imports_report_url(app_public.customer_imports) is 'Where to download the rows that cannot be (or were not) imported, each with its reason; null when there are none.';
grant execute on function app_public.customer_imports_report_url(app_public.customer_imports) to :DATABASE_VISITOR;

/* The caller's imports, newest first. */
create or replace function app_public.customer_import_history() returns setof app_public.customer_imports
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select i.* from app_public.customer_imports i
  where i.tenant_id = app_hidden.current_tenant_id()
  order by i.created_at desc, i.id desc;
$$;
comment on function app_public.customer_import_history() is 'The business''s customer imports, newest first (needs customers.import).';
grant execute on function app_public.customer_import_history() to :DATABASE_VISITOR;

create or replace function app_public.set_customer_import_mapping(import_id text, mapping text[], on_duplicate text)
returns app_public.customer_imports
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.import');
  imp app_public.customer_imports := app_private.own_customer_import(tenant, import_id);
  clean text[];
  twice record;
  unknown record;
begin
  perform app_private.assert_import_status(imp, array['ready'], 'changed');
  if mapping is null or cardinality(mapping) <> cardinality(imp.header) then
    perform app_hidden.raise_error('BADIN', format('Give a field (or nothing) for each of the file''s %s columns.', cardinality(imp.header)), field => 'mapping');
  end if;
  clean := array(select nullif(nullif(btrim(m), ''), 'ignore') from unnest(mapping) with ordinality as u(m, n) order by n);
  select u.n, u.m into unknown from unnest(clean) with ordinality as u(m, n)
  where u.m is not null and not exists (select 1 from app_public.customer_import_fields() f where f.field = u.m) limit 1;
  if found then
    perform app_hidden.raise_error('BADIN', format('Column %s ("%s"): "%s" is not a field customers can be imported into.',
      unknown.n, left(imp.header[unknown.n], 40), left(unknown.m, 40)), field => 'mapping');
  end if;
  select u.m, array_agg(u.n order by u.n) as cols into twice from unnest(clean) with ordinality as u(m, n)
  where u.m is not null group by u.m having count(*) > 1 limit 1;
  if found then
    perform app_hidden.raise_error('BADIN', format('%s is filled by two columns (%s): choose one.',
      (select f.label from app_public.customer_import_fields() f where f.field = twice.m), array_to_string(twice.cols, ' and ')), field => 'mapping');
  end if;
  on_duplicate := lower(btrim(coalesce(on_duplicate, imp.on_duplicate)));
  if on_duplicate not in ('skip', 'fill', 'overwrite') then
    perform app_hidden.raise_error('BADIN', 'A duplicate can be skipped, fill the empty fields of the customer (fill) or overwrite them.', field => 'on_duplicate');
  end if;
  update app_public.customer_imports i set mapping = clean, on_duplicate = set_customer_import_mapping.on_duplicate
  where i.tenant_id = tenant and i.id = imp.id;
  perform app_private.classify_customer_import(tenant, imp.id);
  select i.* into imp from app_public.customer_imports i where i.tenant_id = tenant and i.id = imp.id;
  return imp;
end;
$$;
comment on function app_public.set_customer_import_mapping(text, text[], text) is
  E'@resultFieldName customerImport\nChooses the field each column of the file fills (null or "ignore" to leave it out; each field once) and what a duplicate of an existing customer does (skip, fill or overwrite), and checks the rows again (needs customers.import; the import must be ready).';
grant execute on function app_public.set_customer_import_mapping(text, text[], text) to :DATABASE_VISITOR;

create or replace function app_public.commit_customer_import(import_id text) returns app_public.customer_imports
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.import');
  imp app_public.customer_imports := app_private.own_customer_import(tenant, import_id);
begin
  perform app_private.assert_import_status(imp, array['ready'], 'committed');
  if not imp.mapping && array['email', 'phone', 'first_name', 'full_name'] then
    perform app_hidden.raise_error('BADIN', 'Choose the column of the email, the phone number or the first name: a customer needs one of them.', field => 'mapping');
  end if;
  if imp.new_count + imp.duplicate_count = 0 then
    perform app_hidden.raise_error('IMPST', 'Nothing to import: no row of this file can be imported (see the reasons).', imp.id);
  end if;
  update app_public.customer_imports i set status = 'committing', committed_by = app_hidden.current_user_id(), rows_done = 0
  where i.tenant_id = tenant and i.id = imp.id
  returning * into imp;
  perform graphile_worker.add_job('customer_import_commit', json_build_object('tenantId', tenant, 'importId', imp.id),
    max_attempts := 5, job_key := 'customer_import_commit:' || imp.id);
  return imp;
end;
$$;
comment on function app_public.commit_customer_import(text) is
  E'@resultFieldName customerImport\nImports the rows of a ready import into customers, in the worker (needs customers.import): new rows make customers, duplicates of existing customers do what onDuplicate says, the others are reported. Follow status and rowsDone.';
grant execute on function app_public.commit_customer_import(text) to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Commit (the worker)

/*
 * Commits the next `size` rows of a committing import (new and duplicate rows, in file order) in
 * the caller's transaction, and returns how many it handled; 0 when none are left, after
 * marking the import done. Rows are marked in the same transaction as the customers they write,
 * so a crash loses the batch's writes and its marks together, and the next run starts at the
 * same row.
 *
 * New rows: customers inserted set-based with numbers reserved at once, then their event, note
 * (category import), consents (source import) and default address. Duplicates: skipped, or the
 * customer's empty fields filled (fill) or its fields set from the row's non-blank values
 * (overwrite); tags are added to theirs either way; customer.updated.v1 with the changes.
 * Should a customer with a row's email or phone appear between the preview and this batch, the
 * row becomes that customer's duplicate; should a write still break a rule (a race), the batch
 * is written row by row and the rows that break it fail with the reason.
 */
create or replace function app_private.commit_customer_import_batch(tenant_id text, import_id text, size int) returns int
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  imp app_public.customer_imports;
  first_row int;
  last_row int;
  one_row int;
  handled int;
begin
  select i.* into imp from app_public.customer_imports i
  where i.tenant_id = commit_customer_import_batch.tenant_id and i.id = commit_customer_import_batch.import_id
  for update;
  if not found or imp.status <> 'committing' then
    return 0;
  end if;
  -- Statistics of customers as they grow: the lookups by email and phone below must use the
  -- unique keys, and a planner that still believes a new business has no customers with a phone
  -- (no ANALYZE since the import began) scans the business's customers for every row instead,
  -- which makes a large import quadratic (seen at 100,000 rows). Every 20,000 rows, as autovacuum
  -- would, sooner.
  if imp.rows_done % 20000 < size then
    analyze app_public.customers;
  end if;
  perform app_private.act_for(imp.committed_by);
  perform app_private.begin_change('import_customers', format('Imported from %s (import %s)', left(imp.file_name, 200), imp.id));

  select min(r.row_no), max(r.row_no) into first_row, last_row from (
    select r.row_no from app_public.customer_import_rows r
    where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.state in ('new', 'duplicate')
    order by r.row_no limit size) as r;

  if first_row is null then
    update app_public.customer_imports i set status = 'done', finished_at = now(),
      (created_count, updated_count, skipped_count, failed_count) =
      (select count(*) filter (where r.state = 'created'), count(*) filter (where r.state = 'updated'),
              count(*) filter (where r.state = 'skipped'),
              count(*) filter (where r.state in ('failed', 'invalid', 'file_duplicate'))
       from app_public.customer_import_rows r where r.tenant_id = imp.tenant_id and r.import_id = imp.id)
    where i.tenant_id = imp.tenant_id and i.id = imp.id;
    delete from app_private.customer_import_chunks c where c.tenant_id = imp.tenant_id and c.import_id = imp.id;
    perform app_private.end_change();
    return 0;
  end if;

  perform app_private.match_existing_customers(imp.tenant_id, imp.id, first_row, last_row);
  begin
    perform app_private.write_customer_import_rows(imp, first_row, last_row);
  exception when others then
    -- A rule broke for some row of the batch (the whole batch was undone): row by row, so only
    -- the rows that break it fail. Anything but a broken rule is a bug: raised.
    if sqlstate !~ '^[A-Z]{5}$' and sqlstate not in ('23505', '23514', '23502') then
      raise;
    end if;
    for one_row in
      select r.row_no from app_public.customer_import_rows r
      where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.state in ('new', 'duplicate')
        and r.row_no between first_row and last_row
      order by r.row_no
    loop
      begin
        perform app_private.match_existing_customers(imp.tenant_id, imp.id, one_row, one_row);
        perform app_private.write_customer_import_rows(imp, one_row, one_row);
      exception when others then
        if sqlstate !~ '^[A-Z]{5}$' and sqlstate not in ('23505', '23514', '23502') then
          raise;
        end if;
        update app_public.customer_import_rows r set state = 'failed', reason = sqlerrm, customer_id = null
        where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.row_no = one_row;
      end;
    end loop;
  end;

  select count(*) into handled from app_public.customer_import_rows r
  where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.row_no between first_row and last_row
    and r.state in ('created', 'updated', 'skipped', 'failed');
  update app_public.customer_imports i set rows_done = i.rows_done + handled
  where i.tenant_id = imp.tenant_id and i.id = imp.id;
  perform app_private.end_change();
  return greatest(handled, 1);
end;
$$;

/* Writes rows from_row..to_row of an import (those new or duplicate) and marks them; see commit_customer_import_batch. */
create or replace function app_private.write_customer_import_rows(imp app_public.customer_imports, from_row int, to_row int) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  n int;
  last_number bigint;
begin
  -- New customers: ids first, so that the rows know theirs.
  update app_public.customer_import_rows r set customer_id = public.gen_ulid()
  where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.state = 'new' and r.row_no between from_row and to_row;
  get diagnostics n = row_count;
  if n > 0 then
    last_number := app_private.reserve_tenant_numbers(imp.tenant_id, 'customer_number', n);
    insert into app_public.customers (tenant_id, id, customer_number, email, phone, first_name, last_name, notes, tags,
                                      marketing_consent, marketing_consent_updated_at, marketing_consent_source, metadata, created_by)
    select r.tenant_id, r.customer_id,
           app_hidden.format_customer_number(last_number - n + row_number() over (order by r.row_no)),
           r.email, r.phone, r.first_name, r.last_name, r.about, coalesce(r.tags, '[]'),
           r.email_consent, case when r.email_consent is not null then now() end,
           case when r.email_consent is not null then 'import' end,
           case when r.company is not null then jsonb_build_object('company', r.company) else '{}' end,
           imp.committed_by
    from app_public.customer_import_rows r
    where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.state = 'new' and r.row_no between from_row and to_row;

    perform app_private.emit_event(c.tenant_id, 'customer.created.v1', 'customer', c.id, app_private.customer_event_payload(c), imp.committed_by)
    from app_public.customers c
    join app_public.customer_import_rows r on r.tenant_id = c.tenant_id and r.customer_id = c.id
    where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.state = 'new' and r.row_no between from_row and to_row
    order by r.row_no;
  end if;

  -- Duplicates of existing customers.
  if imp.on_duplicate = 'skip' then
    update app_public.customer_import_rows r set state = 'skipped'
    where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.state = 'duplicate' and r.row_no between from_row and to_row;
  else
    perform app_private.update_customers_from_import(imp, from_row, to_row);
  end if;

  -- What new and updated customers take from their row besides the customer itself.
  insert into app_public.customer_notes (tenant_id, customer_id, category, body)
  select r.tenant_id, r.customer_id, 'import', r.note
  from app_public.customer_import_rows r
  where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.row_no between from_row and to_row
    and r.state in ('new', 'duplicate') and r.note is not null
  order by r.row_no;

  insert into app_public.customer_contact_channels as x (tenant_id, customer_id, channel, allowed, source, recorded_at, recorded_by)
  select r.tenant_id, r.customer_id, ch.channel, ch.allowed, 'import', now(), imp.committed_by
  from app_public.customer_import_rows r
  cross join lateral (values ('email', r.email_consent), ('sms', r.sms_consent)) as ch(channel, allowed)
  where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.row_no between from_row and to_row
    and r.state in ('new', 'duplicate') and ch.allowed is not null
    and (r.state = 'new' or imp.on_duplicate = 'overwrite'
         or not exists (select 1 from app_public.customer_contact_channels y
                        where y.tenant_id = r.tenant_id and y.customer_id = r.customer_id and y.channel = ch.channel))
  on conflict (tenant_id, customer_id, channel) do update set
    allowed = excluded.allowed, source = excluded.source, recorded_at = excluded.recorded_at, recorded_by = excluded.recorded_by
  where x.allowed is distinct from excluded.allowed;

  insert into app_public.customer_addresses (tenant_id, customer_id, type, line1, line2, city, region, postal_code, country, is_default)
  select r.tenant_id, r.customer_id, 'home', r.address_line1, r.address_line2, r.city, r.region, r.postal_code, r.country,
         not exists (select 1 from app_public.customer_addresses a where a.tenant_id = r.tenant_id and a.customer_id = r.customer_id and a.is_default)
  from app_public.customer_import_rows r
  where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.row_no between from_row and to_row
    and r.state in ('new', 'duplicate') and r.address_line1 is not null
    -- the same address is not added twice (a file imported again, or a duplicate that has it)
    and not exists (select 1 from app_public.customer_addresses a
                    where a.tenant_id = r.tenant_id and a.customer_id = r.customer_id
                      and lower(a.line1) = lower(r.address_line1) and lower(a.city) = lower(r.city))
  order by r.row_no;

  update app_public.customer_import_rows r set state = case r.state when 'new' then 'created' else 'updated' end
  where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.state in ('new', 'duplicate') and r.row_no between from_row and to_row;
end;
$$;

/*
 * Duplicates that fill or overwrite: each existing customer once per batch (the first row of
 * the batch naming it), changed only where the values differ; customer.updated.v1 with the
 * difference, as update_customer writes it.
 */
create or replace function app_private.update_customers_from_import(imp app_public.customer_imports, from_row int, to_row int) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  fill boolean := imp.on_duplicate = 'fill';
  cur app_public.customers;
  nxt app_public.customers;
  r app_public.customer_import_rows;
begin
  for r in
    select x.* from app_public.customer_import_rows x
    where x.tenant_id = imp.tenant_id and x.import_id = imp.id and x.state = 'duplicate' and x.row_no between from_row and to_row
    order by x.row_no
  loop
    select c.* into cur from app_public.customers c where c.tenant_id = imp.tenant_id and c.id = r.customer_id for update;
    nxt := cur;
    if fill then
      nxt.email := coalesce(cur.email, r.email);
      nxt.phone := coalesce(cur.phone, r.phone);
      nxt.first_name := coalesce(cur.first_name, r.first_name);
      nxt.last_name := coalesce(cur.last_name, r.last_name);
      nxt.notes := coalesce(cur.notes, r.about);
      if cur.marketing_consent is null and r.email_consent is not null then
        nxt.marketing_consent := r.email_consent;
      end if;
      if r.company is not null and not cur.metadata ? 'company' then
        nxt.metadata := cur.metadata || jsonb_build_object('company', r.company);
      end if;
    else
      nxt.email := coalesce(r.email, cur.email);
      nxt.phone := coalesce(r.phone, cur.phone);
      nxt.first_name := coalesce(r.first_name, cur.first_name);
      nxt.last_name := coalesce(r.last_name, cur.last_name);
      nxt.notes := coalesce(r.about, cur.notes);
      nxt.marketing_consent := coalesce(r.email_consent, cur.marketing_consent);
      if r.company is not null then
        nxt.metadata := cur.metadata || jsonb_build_object('company', r.company);
      end if;
    end if;
    nxt.tags := app_hidden.normalize_tags(array(select jsonb_array_elements_text(cur.tags || coalesce(r.tags, '[]'))));
    if nxt.marketing_consent is distinct from cur.marketing_consent then
      nxt.marketing_consent_updated_at := now();
      nxt.marketing_consent_source := 'import';
    end if;
    if (nxt.email, nxt.phone, nxt.first_name, nxt.last_name, nxt.notes, nxt.tags, nxt.metadata, nxt.marketing_consent)
       is distinct from (cur.email, cur.phone, cur.first_name, cur.last_name, cur.notes, cur.tags, cur.metadata, cur.marketing_consent) then
      update app_public.customers c set
        email = nxt.email, phone = nxt.phone, first_name = nxt.first_name, last_name = nxt.last_name,
        notes = nxt.notes, tags = nxt.tags, metadata = nxt.metadata, marketing_consent = nxt.marketing_consent,
        marketing_consent_updated_at = nxt.marketing_consent_updated_at, marketing_consent_source = nxt.marketing_consent_source
      where c.tenant_id = cur.tenant_id and c.id = cur.id
      returning * into nxt;
      perform app_private.emit_event(nxt.tenant_id, 'customer.updated.v1', 'customer', nxt.id,
        jsonb_build_object('customer_id', nxt.id, 'customer_number', nxt.customer_number,
                           'display_name', nxt.display_name, 'status', nxt.status,
                           'changes', app_hidden.jsonb_diff(to_jsonb(cur), to_jsonb(nxt), array['created_at', 'updated_at'])),
        imp.committed_by);
    end if;
  end loop;
end;
$$;

------------------------------------------------------------------------------------------------
-- The error report (the server, as the member)

/*
 * The query (for COPY … TO STDOUT WITH (FORMAT csv, HEADER)) of the rows of an import that were
 * not imported: the row number, the file's cells under its own header, and the reason. Cells
 * and header names are defused like every export (app_hidden.csv_text). Null when the caller may
 * not read the import.
 */
create or replace function app_hidden.customer_import_report_query(import_id text) returns text
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.current_tenant_id();
  imp app_public.customer_imports;
  columns text;
begin
  if tenant is null or not app_hidden.has_permission('customers.import') then
    return null;
  end if;
  select i.* into imp from app_public.customer_imports i where i.tenant_id = tenant and i.id = import_id;
  if not found or app_public.customer_imports_report_url(imp) is null then
    return null;
  end if;
  select string_agg(format('app_hidden.csv_text(r.cells[%s]) as %I', h.n,
                           left(coalesce(nullif(app_hidden.csv_text(h.name), ''), 'column ' || h.n), 60)), ', ' order by h.n)
    into columns
  from unnest(imp.header) with ordinality as h(name, n);
  return format($q$
    select r.row_no as "row", %s, app_hidden.csv_text(r.reason) as reason
    from app_public.customer_import_rows r
    where r.tenant_id = %L and r.import_id = %L and r.state in ('invalid', 'file_duplicate', 'failed')
    order by r.row_no$q$, columns, imp.tenant_id, imp.id);
end;
$$;
comment on function app_hidden.customer_import_report_query(text) is 'The SQL of the rows of an import that were not imported, with their reason, for the caller (null when they may not read it).';
grant execute on function app_hidden.customer_import_report_query(text) to :DATABASE_VISITOR;

/* The file name of an import's error report: the file's name with -errors. */
create or replace function app_hidden.customer_import_report_name(import_id text) returns text
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select regexp_replace(regexp_replace(i.file_name, '\.[^.]*$', ''), '[^A-Za-z0-9._-]+', '-', 'g') || '-errors.csv'
  from app_public.customer_imports i
  where i.tenant_id = app_hidden.current_tenant_id() and i.id = import_id and app_hidden.has_permission('customers.import');
$$;
grant execute on function app_hidden.customer_import_report_name(text) to :DATABASE_VISITOR;
--! EndIncluded customers/485-import.sql

-- Owners and managers of existing businesses may import (new businesses get it from all_permissions).
update app_public.roles r set permissions = r.permissions || array['customers.import']
where r.key in ('owner', 'manager') and not 'customers.import' = any(r.permissions);

--! split: 2-customers-export.sql
-- The complete customers export (issue 20, item 6): every profile column, the Customers list's
-- filters (status, tag, search) as parameters, a UTF-8 BOM on every file (worker). The customer
-- search's patterns move to one function that the type-ahead and the export share.
--! Included customers/440-search.sql
-- The type-ahead behind the POS customer button and the admin search box.
-- It must answer in a few milliseconds with 200,000 customers in a tenant, so every path is an
-- index scan of the customers_search_* indexes:
--   * prefixes (any length): btree text_pattern_ops on lower(display_name), lower(last_name),
--     email and phone, each read in pattern order (ORDER BY … USING ~<~) and stopped after 10;
--   * substrings (3 characters or more): the trigram GIN indexes, at most 10 rows.
-- Prefix matches rank first, then the rest, each by display name.
--
-- Why it is built the way it is (measured with 200,000 customers in one tenant):
--   * security definer: under row-level security PostgreSQL may not use LIKE (not leakproof) as
--     an index condition, so as the API role every query became a scan of the tenant's rows;
--   * the query text carries the patterns as literals (format %L): a LIKE with a parameter
--     cannot use a btree index;
--   * the substring lookup runs with sequential and plain index scans disabled: row-level
--     security (forced on the owner too) also hides the column statistics from the planner for
--     non-leakproof operators, so it guesses that thousands of rows match any pattern and scans
--     the table "until 10 are found" — 250 ms for a pattern that matches nothing.
-- It serves only the caller's tenant, and nothing without customers.view. Merged and erased
-- customers are never found (an erased one has no name, email or phone left to find it by).

/* Ids of up to 10 live customers of the tenant whose name or email contains `pattern`, or phone contains `phone_pattern`. */
create or replace function app_private.customers_containing(tenant_id text, pattern text, phone_pattern text)
returns setof text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
set enable_seqscan to off
set enable_indexscan to off
set enable_bitmapscan to on
as $$
begin
  return query execute format(
    'select c.id from app_public.customers c
     where c.tenant_id = $1 and c.status not in (''merged'', ''erased'')
       and (lower(c.display_name) like %L or c.email like %L%s)
     limit 10',
    pattern, pattern,
    case when phone_pattern is not null then format(' or c.phone like %L', phone_pattern) else '' end)
  using tenant_id;
end;
$$;
comment on function app_private.customers_containing(text, text, text) is 'Substring lookup of search_customers through the trigram indexes (LIKE patterns given escaped).';

/*
 * What a search for q matches, as LIKE patterns (escaped): the one reading of the search box,
 * shared by the type-ahead (search_customers: its best 10) and the customers export filtered by
 * a search (app_private.customer_search_predicate: every match). The term is trimmed, its white
 * space collapsed and lowered, at most 100 characters. prefix: the name, last name or email
 * starts with it; contains (from 3 characters): the name or email contains it. A term that looks
 * like a phone number also matches the stored E.164 form by its start (phone_prefix: "+…",
 * "00…", or a national number read with the business's calling code) and, from 3 characters and
 * 3 digits, anywhere (phone_contains). All null for an empty term.
 */
create or replace function app_private.customer_search_patterns(tenant_id text, q text,
  out prefix text, out contains text, out phone_prefix text, out phone_contains text)
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  term text := left(lower(btrim(regexp_replace(coalesce(q, ''), '\s+', ' ', 'g'))), 100);
  escaped text;
  digits text;
  calling_code text;
  national text;
  phone_part text;
begin
  if term = '' then
    return;
  end if;
  -- chr(92) is the backslash (written out: graphile-migrate's SQL minifier misreads '\').
  escaped := replace(replace(replace(term, chr(92), chr(92) || chr(92)), '%', chr(92) || '%'), '_', chr(92) || '_');
  prefix := escaped || '%';
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
      from app_public.tenants t where t.id = customer_search_patterns.tenant_id;
      national := case when calling_code = '39' then digits else ltrim(digits, '0') end;
      if calling_code is not null and national <> '' then
        phone_prefix := '+' || calling_code || national;
      end if;
      phone_part := national;
    end if;
    if length(phone_prefix) <= 1 then
      phone_prefix := null;
    end if;
  end if;
  if length(term) >= 3 then
    contains := '%' || escaped || '%';
    phone_contains := case when length(phone_part) >= 3 then '%' || phone_part || '%' end;
  end if;
end;
$$;
comment on function app_private.customer_search_patterns(text, text) is 'The LIKE patterns a customer search for q matches (prefix, contains, phone_prefix, phone_contains): shared by search_customers and the customers export.';

/*
 * The search. Prefix branches first, each reading its btree index in order and stopping at 10;
 * the substring lookup only from 3 characters and only when the prefixes found fewer than 10
 * customers (they rank first, so then the answer cannot change, and the substring lookup is the
 * slow path: the trigram indexes hold every tenant's customers, so its cost grows with the
 * whole database — 13.4 of 15.4 ms for 'mar' with 500,000 customers).
 *
 * Bitmap scans are off for the prefix branches: for a common prefix ('wil') the planner
 * estimated 2 rows and chose the trigram GIN index with a bitmap heap scan and a sort (3,530
 * index rows, 2,345 removed by recheck, 6.8 ms with 100,000 customers) instead of reading the
 * tenant's btree prefix index in order and stopping after 10 (0.04 ms). customers_containing
 * needs bitmap scans and turns them back on.
 */
create or replace function app_public.search_customers(q text) returns setof app_public.customers
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
set enable_bitmapscan to off
as $$
declare
  tenant text := app_hidden.customers_reader_tenant();
  p record;
  branches text[] := '{}';
  prefix_hits int;
  live constant text := 'c.tenant_id = $1 and c.status not in (''merged'', ''erased'')';
begin
  if tenant is null then
    return;
  end if;
  p := app_private.customer_search_patterns(tenant, q);
  if p.prefix is null then
    return;
  end if;

  branches := branches || format(
    '(select c.id, 1 as rank from app_public.customers c
      where %s and lower(c.display_name) like %L order by lower(c.display_name) using ~<~ limit 10)', live, p.prefix);
  branches := branches || format(
    '(select c.id, 2 from app_public.customers c
      where %s and lower(c.last_name) like %L order by lower(c.last_name) using ~<~ limit 10)', live, p.prefix);
  branches := branches || format(
    '(select c.id, 2 from app_public.customers c
      where %s and c.email like %L order by c.email using ~<~ limit 10)', live, p.prefix);

  -- Something that looks like a phone number: match the stored E.164 form.
  if p.phone_prefix is not null then
    branches := branches || format(
      '(select c.id, 2 from app_public.customers c
        where %s and c.phone like %L order by c.phone using ~<~ limit 10)', live, p.phone_prefix);
  end if;

  -- Substrings rank after every prefix match: when the prefixes alone give 10 customers, the
  -- substring lookup cannot change the answer, so it is skipped (it is the slow path).
  if p.contains is not null then
    execute format('select count(distinct h.id) from (%s) h', array_to_string(branches, ' union all '))
      into prefix_hits using tenant;
    if prefix_hits < 10 then
      branches := branches || format(
        '(select x.id, 3 from app_private.customers_containing($1, %L, %L) as x(id))', p.contains, p.phone_contains);
    end if;
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
comment on function app_public.search_customers(text) is
  E'@behavior +list -connection\n@listSuffix omit\nType-ahead search of the live customers (needs customers.view): at most 10 whose name, last name, email or phone starts with q, then (from 3 characters) those that contain it anywhere; case does not matter, and phone numbers match however they are typed (national or international).';

/*
 * The search as a condition on a customers row aliased c, for a set-based query that wants every
 * customer the search box finds (the customers export), not the type-ahead's best 10: the same
 * patterns (app_private.customer_search_patterns) on the same columns as search_customers and
 * customers_containing. 'true' for an empty q. The patterns are quoted literals, so that the
 * text can go into a COPY query (which takes no parameters).
 */
create or replace function app_private.customer_search_predicate(tenant_id text, q text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  p record := app_private.customer_search_patterns(tenant_id, q);
  parts text[];
begin
  if p.prefix is null then
    return 'true';
  end if;
  parts := array[format('lower(c.display_name) like %L', p.prefix), format('lower(c.last_name) like %L', p.prefix),
                 format('c.email like %L', p.prefix)];
  if p.phone_prefix is not null then
    parts := parts || format('c.phone like %L', p.phone_prefix);
  end if;
  if p.contains is not null then
    parts := parts || format('lower(c.display_name) like %L', p.contains) || format('c.email like %L', p.contains);
    if p.phone_contains is not null then
      parts := parts || format('c.phone like %L', p.phone_contains);
    end if;
  end if;
  return '(' || array_to_string(parts, ' or ') || ')';
end;
$$;
comment on function app_private.customer_search_predicate(text, text) is 'The customer search for q as an SQL condition on customers c (every match, not the best 10); ''true'' for an empty q.';
--! EndIncluded customers/440-search.sql
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
 *   status: active or archived (the list's two views), or all (both; merged customers never).
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
  tag jsonb;
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
    if jsonb_array_length(tags) > 20 then
      perform app_hidden.raise_error('BADIN', 'tag: at most 20 tags.', field => 'tag');
    end if;
    for tag in select value from jsonb_array_elements(tags) loop
      if jsonb_typeof(tag) <> 'string' or btrim(tag #>> '{}') = '' or length(tag #>> '{}') > 40 then
        perform app_hidden.raise_error('BADIN', 'tag must be a tag of 1 to 40 characters, or a list of them.', field => 'tag');
      end if;
    end loop;
    select coalesce(jsonb_agg(distinct to_jsonb(btrim(t))), '[]'::jsonb) into tags from jsonb_array_elements_text(tags) as t;
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
 * query and its row count): never merged ones, then the checked filters (export_customer_params).
 */
create or replace function app_private.export_customer_filter(tenant_id text, params jsonb) returns text
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select concat_ws(' and ',
    'c.status <> ''merged''',
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
  if x.kind = 'customers' and filter = app_private.export_customer_filter(x.tenant_id, '{}') then  -- no filter
    select count(*) into total from reporting.rm_customer_activity a
    where a.tenant_id = x.tenant_id and a.merged_into_id is null;
  elsif x.kind = 'customers' then
    execute format('select count(*) from reporting.rm_customer_activity a
                    join app_public.customers c on c.tenant_id = a.tenant_id and c.id = a.customer_id
                    where a.tenant_id = %L and a.merged_into_id is null and %s', x.tenant_id, filter) into total;
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

--! split: 3-possible-duplicates.sql
-- Possible duplicate customers (issue 20, item 7): a customer about to be created that looks like
-- one already there is pointed out, and the Possible duplicates page lists the likely pairs of
-- live customers, each opening the merge preview. The rule (what makes two customers look alike,
-- the keys it compares, its score) is in customers/490-possible-duplicates.sql.

-- The pairs a person has said are two different people ("Not a duplicate"), kept so that the
-- list does not offer them again. One row per pair, stored with the smaller id first (in the "C"
-- collation, as merges lock customers), so that (a, b) and (b, a) are the same row.
create table if not exists app_private.customer_duplicate_dismissals (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  customer_id text not null,
  other_customer_id text not null,
  dismissed_by text references app_public.users on delete set null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint customer_duplicate_dismissals_pair_key unique (tenant_id, customer_id, other_customer_id),
  foreign key (tenant_id, customer_id) references app_public.customers (tenant_id, id) on delete cascade,
  foreign key (tenant_id, other_customer_id) references app_public.customers (tenant_id, id) on delete cascade,
  constraint customer_duplicate_dismissals_canonical check (customer_id collate "C" < other_customer_id collate "C")
);
create index if not exists customer_duplicate_dismissals_other_idx
  on app_private.customer_duplicate_dismissals (tenant_id, other_customer_id);
create index if not exists customer_duplicate_dismissals_dismissed_by_idx
  on app_private.customer_duplicate_dismissals (dismissed_by);
comment on table app_private.customer_duplicate_dismissals is
  'Pairs of customers a person said are not the same person (dismissed from Possible duplicates); the smaller id first.';

do $$
begin
  if not (select relrowsecurity from pg_class where oid = 'app_private.customer_duplicate_dismissals'::regclass) then
    perform app_private.secure_table('app_private.customer_duplicate_dismissals');
    perform app_private.enforce_active_tenant('app_private.customer_duplicate_dismissals');
  end if;
end $$;

-- What likely_duplicates and possible_duplicate_pairs answer.
do $$
begin
  if not exists (select 1 from pg_type where typname = 'likely_duplicate' and typnamespace = 'app_public'::regnamespace) then
    create type app_public.likely_duplicate as (
      customer_id text, customer_number text, display_name text, email text, phone text, status text,
      score double precision, reasons text[]);
  end if;
  if not exists (select 1 from pg_type where typname = 'possible_duplicate_pair' and typnamespace = 'app_public'::regnamespace) then
    create type app_public.possible_duplicate_pair as (
      customer_id text, customer_number text, display_name text, email text, phone text,
      other_customer_id text, other_customer_number text, other_display_name text, other_email text, other_phone text,
      score double precision, reasons text[]);
  end if;
end $$;
comment on type app_public.likely_duplicate is 'A live customer that a customer about to be created would likely duplicate, with why.';
comment on column app_public.likely_duplicate.customer_id is E'@notNull\nThe existing customer (its row id).';
comment on column app_public.likely_duplicate.customer_number is E'@notNull\nIts number, such as CUST-00042.';
comment on column app_public.likely_duplicate.display_name is E'@notNull\nIts display name.';
comment on column app_public.likely_duplicate.email is 'Its email.';
comment on column app_public.likely_duplicate.phone is 'Its phone number (E.164).';
comment on column app_public.likely_duplicate.status is E'@notNull\nactive or archived.';
comment on column app_public.likely_duplicate.score is E'@notNull\nHow likely the two are the same person, 0 to 1 (customers/490-possible-duplicates.sql).';
comment on column app_public.likely_duplicate.reasons is E'@notNull\nWhy, in words: "Same phone digits", "Similar name (0.82)", "Same email name at another domain"…';
comment on type app_public.possible_duplicate_pair is 'Two live customers that are likely the same person, with why.';
comment on column app_public.possible_duplicate_pair.customer_id is E'@notNull\nOne customer of the pair (the smaller id).';
comment on column app_public.possible_duplicate_pair.customer_number is E'@notNull\nIts number.';
comment on column app_public.possible_duplicate_pair.display_name is E'@notNull\nIts display name.';
comment on column app_public.possible_duplicate_pair.email is 'Its email.';
comment on column app_public.possible_duplicate_pair.phone is 'Its phone number (E.164).';
comment on column app_public.possible_duplicate_pair.other_customer_id is E'@notNull\nThe other customer of the pair.';
comment on column app_public.possible_duplicate_pair.other_customer_number is E'@notNull\nIts number.';
comment on column app_public.possible_duplicate_pair.other_display_name is E'@notNull\nIts display name.';
comment on column app_public.possible_duplicate_pair.other_email is 'Its email.';
comment on column app_public.possible_duplicate_pair.other_phone is 'Its phone number (E.164).';
comment on column app_public.possible_duplicate_pair.score is E'@notNull\nHow likely the two are the same person, 0 to 1.';
comment on column app_public.possible_duplicate_pair.reasons is E'@notNull\nWhy, in words.';

-- The rule and its functions (after the table and types they read, before the indexes on its keys).
--! Included customers/490-possible-duplicates.sql
-- Possible duplicates: two records of the same person. Email and phone are unique among live
-- customers (DUPEM, DUPPH), but a second "Zelda Quimby" with another email, or the same mobile
-- typed once nationally and once with another country code, is a new customer. This file is the
-- one rule that says how alike two customers are; the create forms ask it as the person types
-- (likely_duplicates) and the Possible duplicates page lists the pairs it finds
-- (possible_duplicate_pairs), each opening the merge preview. It never blocks anything.
--
-- The rule (app_hidden.customer_duplicate_score): each reason has a weight, and the score is
-- 1 - the product of (1 - weight) over the reasons found (0 to 1, shown rounded to 2 decimals;
-- two reasons together count for more than either):
--   * "Same email" (0.7): the same address (only for a customer not yet created: two live
--     customers cannot share one);
--   * "Same phone digits" (0.6): the same last 9 digits of the E.164 numbers, all of them when
--     shorter. Phones are stored in E.164, read with the business's country when typed without
--     a country code, so "06 12 34 56 78" typed in a US shop is +10612345678 and the same
--     mobile typed "+33 6 12 34 56 78" is +33612345678: the national number is the end of both.
--     9 digits is the national number of most countries (FR, ES, PT…), the end of it elsewhere;
--   * "Same email name at another domain" (0.5): the part before @ (without a +tag), of at least
--     3 characters and not a shared mailbox (info, contact, hello, admin…): zelda.q@gmail.com and
--     zelda.q@work.example;
--   * "Same name" / "Similar name (0.69)" (0.6 × the similarity): pg_trgm similarity of the
--     lower-cased first and last names, counted from 0.6. At 0.6 a one-letter slip or spelling
--     variant counts (Zelda Quimby / Zelda Quimbey 0.69, Jon / John Smith 0.62, Steven / Stephen
--     Walker 0.61, Katherine / Catherine Brown 0.68) and different people with close names do not
--     (John / Joan Smith 0.57, James / Jane Smith 0.53, Michael / Michelle Brown 0.53, Mary
--     Jones / Mary Johnson 0.41); pg_trgm's default of 0.3 finds all of these.
-- So a pair is listed when it has at least one reason: the same name alone scores 0.6, a similar
-- name with the same phone digits 0.80 and more.
--
-- Which customers are compared (blocking keys): comparing every pair is quadratic (20 billion
-- pairs at 200,000 customers), and a trigram index probe per customer (lower(display_name) %
-- name, threshold 0.6, on customers_search_name_trgm_idx, which holds every tenant's customers)
-- took 11 to 217 ms each in the data set measured below: hours for a tenant. So two customers are
-- compared only when they share a key, each an expression indexed among live customers
-- (customers_duplicate_*_idx, covering: read index-only), and the warning looks its keys up:
--   * app_hidden.duplicate_phone_key: the last 9 digits of the phone;
--   * app_hidden.duplicate_email_key: the email name as above;
--   * app_hidden.duplicate_surname_key: the last name and the first letter of the first name;
--   * app_hidden.duplicate_given_name_key: the first name and the first letter of the last name.
-- A slip in one of the names is found (the other and its first letter are the key); a slip in
-- both, or in a first letter (Katherine / Catherine), is not. A key shared by more than 10 live
-- customers (a common name such as "James Smith" in a large shop, an email name like "sales")
-- is not evidence that any two of them are the same person, and comparing them all would be
-- quadratic again: it is left out, in both the pairs and the warning (the warning leaves out a
-- key that 10 customers already share, which the new one would make 11).
-- The keys are expressions of these functions in indexes: changing one of them changes nothing
-- stored by itself; the migration that changes it must rebuild its index (reindex), or the
-- lookups read stale keys.
--
-- Measured (2026-12-07, the 2-core development machine shared with other test runs, load average
-- 5 to 9; a tenant of 200,000 customers among 500,000, with the bench's skewed first and last
-- names (bench/data.ts), phones and emails, plus 500 planted pairs of each kind; EXPLAIN ANALYZE
-- and psql timings, warm):
--   * the first page of pairs (25): 0.28 to 0.37 s at a load average of 3 (0.26 to 0.6 s at 5 to
--     9; about 1 s for the first call on a new connection), about 0.3 s of it the four index-only scans
--     that count each key (200,000 index entries each); 15,000 candidate name pairs, of which
--     only the page's are scored. Before the indexes were covering (index scans reading the
--     table) it took 6.6 s, and 1.2 s while every name pair was scored. It grows with the
--     tenant's customers (a scan of each key index), not with the pairs;
--   * likely_duplicates (the warning, per pause in the typing): 1 to 30 ms.
--
-- Dismissed pairs (app_private.customer_duplicate_dismissals, smaller id first so that (a, b) is
-- (b, a)) are not listed again; merging a pair leaves one live customer, so the pair goes by
-- itself.

-- A dismissal is a decision about customers, audited like a merge (who, when, which pair).
create or replace trigger _500_audit after insert or delete on app_private.customer_duplicate_dismissals
  for each row execute function app_private.tg__audit('created_at');

/*
 * The blocking keys. Each takes a value as stored (email lower-cased and trimmed, phone in
 * E.164, names trimmed) and is a plain expression, cheap to compute again for every row of an
 * index-only scan (PostgreSQL recomputes an indexed expression from the columns it includes).
 */

/* The last 9 digits of an E.164 phone number (all of it when shorter): what two ways of writing one number share. */
create or replace function app_hidden.duplicate_phone_key(phone text) returns text
language sql immutable parallel safe
as $$
  select right(phone, 9);
$$;
comment on function app_hidden.duplicate_phone_key(text) is 'Possible duplicates: the last 9 digits of an E.164 phone number (customers/490-possible-duplicates.sql).';

/* The name part of an email address: before @, without a +tag. */
create or replace function app_hidden.duplicate_email_key(email text) returns text
language sql immutable parallel safe
as $$
  select split_part(split_part(email, '@', 1), '+', 1);
$$;
comment on function app_hidden.duplicate_email_key(text) is 'Possible duplicates: the name part of an email address (customers/490-possible-duplicates.sql).';

/* The last name and the first letter of the first name, lower case; null without a last name. */
create or replace function app_hidden.duplicate_surname_key(first_name text, last_name text) returns text
language sql immutable parallel safe
as $$
  select lower(last_name || '|' || left(coalesce(first_name, ''), 1));
$$;
comment on function app_hidden.duplicate_surname_key(text, text) is 'Possible duplicates: last name and first initial (customers/490-possible-duplicates.sql).';

/* The first name and the first letter of the last name, lower case; null without a first name. */
create or replace function app_hidden.duplicate_given_name_key(first_name text, last_name text) returns text
language sql immutable parallel safe
as $$
  select lower(first_name || '|' || left(coalesce(last_name, ''), 1));
$$;
comment on function app_hidden.duplicate_given_name_key(text, text) is 'Possible duplicates: first name and last initial (customers/490-possible-duplicates.sql).';

/* First and last name as compared: lower case, one space between; null without either. */
create or replace function app_hidden.duplicate_full_name(first_name text, last_name text) returns text
language sql immutable parallel safe
as $$
  select lower(nullif(btrim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')), ''));
$$;
comment on function app_hidden.duplicate_full_name(text, text) is 'Possible duplicates: the name compared by trigram similarity (customers/490-possible-duplicates.sql).';

/*
 * How likely two customers (names, email and phone as stored) are the same person: the score
 * (0 to 1, not rounded) and the reasons in words, strongest first; no reason, score 0. The rule is in the
 * header of this file: its weights, and the shared mailboxes whose name says nothing.
 */
create or replace function app_hidden.customer_duplicate_score(
  first_name text, last_name text, email text, phone text,
  other_first_name text, other_last_name text, other_email text, other_phone text,
  out score double precision, out reasons text[])
language plpgsql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
declare
  email_name text := app_hidden.duplicate_email_key(email);
  name_similarity real := public.similarity(
    app_hidden.duplicate_full_name(first_name, last_name), app_hidden.duplicate_full_name(other_first_name, other_last_name));
  unlikely numeric := 1;
begin
  reasons := '{}';
  if email = other_email then
    reasons := reasons || 'Same email'::text;
    unlikely := unlikely * (1 - 0.7);
  end if;
  if app_hidden.duplicate_phone_key(phone) = app_hidden.duplicate_phone_key(other_phone) then
    reasons := reasons || 'Same phone digits'::text;
    unlikely := unlikely * (1 - 0.6);
  end if;
  if email <> other_email and email_name = app_hidden.duplicate_email_key(other_email)
     and length(email_name) >= 3 and email_name <> all (array[
       'info', 'contact', 'hello', 'admin', 'office', 'sales', 'shop', 'store', 'support', 'mail', 'email',
       'noreply', 'no-reply', 'team', 'enquiries', 'enquiry', 'bookings', 'booking', 'accounts', 'billing',
       'orders', 'order', 'service', 'reception', 'customer', 'customers', 'test']) then
    reasons := reasons || 'Same email name at another domain'::text;
    unlikely := unlikely * (1 - 0.5);
  end if;
  if name_similarity >= 0.6 then
    reasons := reasons || case when name_similarity = 1 then 'Same name'
                               else format('Similar name (%s)', to_char(name_similarity, 'FM0.00')) end;
    unlikely := unlikely * (1 - 0.6 * name_similarity::numeric);
  end if;
  -- Exact, so that the order of name-only pairs is that of their similarity (callers round it to show it).
  score := (1 - unlikely)::double precision;
end;
$$;
comment on function app_hidden.customer_duplicate_score(text, text, text, text, text, text, text, text) is
  'Possible duplicates: how likely two customers are the same person (0 to 1) and why, in words (customers/490-possible-duplicates.sql).';

/*
 * The Possible duplicates page (needs customers.merge): up to `max_pairs` likely pairs of live
 * customers (1 to 100, default 25) after the first `skip`, best first (score, then the older
 * pair), less the dismissed ones. Paged here rather than by a GraphQL connection: the pairs must
 * all be found and sorted whatever the page, and only the page's customers are then read.
 *
 * How (at 200,000 customers, every step reads an index, never the table):
 *   1. the keys that 2 to 10 live customers share, each counted from its index read index-only
 *      in key order (a count per key, no list: almost every key has one customer);
 *   2. the customers of those keys, by index lookups: the pairs within each key;
 *   3. a pair sharing a phone or email key is read and scored in full; a pair sharing only a name
 *      key is scored from the names its index holds (it shares no phone or email key of 10 or
 *      fewer, so those reasons cannot apply), and only the most similar of them, as many as the
 *      page needs: for them the score grows with the similarity;
 *   4. sorted, paged, and only then the page's customers read for their details.
 * The query is RETURN QUERY of plpgsql (not a SQL function), which may use parallel workers.
 */
create or replace function app_public.possible_duplicate_pairs(max_pairs int default 25, skip int default 0)
returns setof app_public.possible_duplicate_pair
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
-- Compiling this query costs more than running it (0.6 s of JIT at 200,000 customers).
set jit to off
-- Planned for the keys of each call: a generic plan (what plpgsql settles on after 5 calls on a
-- connection) cannot know how few they are, and reads the whole tenant again (1 s, not 0.1 s).
set plan_cache_mode to force_custom_plan
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.merge');
  phone_keys text[];
  email_keys text[];
  surname_keys text[];
  given_name_keys text[];
begin
  if max_pairs is null or max_pairs < 1 or max_pairs > 100 then
    perform app_hidden.raise_error('BADIN', 'Ask for 1 to 100 pairs at a time.', field => 'max_pairs');
  end if;
  if skip is null or skip < 0 then
    perform app_hidden.raise_error('BADIN', 'The pairs to skip must be 0 or more.', field => 'skip');
  end if;
  -- The keys first, each into an array: the planner then knows how few they are (estimated from
  -- a GROUP BY it guessed millions of pairs, and read the whole tenant to fetch a few hundred).
  select coalesce(array_agg(k.key), '{}') into phone_keys from (
    select app_hidden.duplicate_phone_key(c.phone) as key
    from app_public.customers c
    where c.tenant_id = tenant and c.status <> 'merged' and c.phone is not null
    group by 1 having count(*) between 2 and 10) k;
  select coalesce(array_agg(k.key), '{}') into email_keys from (
    select app_hidden.duplicate_email_key(c.email) as key
    from app_public.customers c
    where c.tenant_id = tenant and c.status <> 'merged' and c.email is not null
    group by 1 having count(*) between 2 and 10) k;
  select coalesce(array_agg(k.key), '{}') into surname_keys from (
    select app_hidden.duplicate_surname_key(c.first_name, c.last_name) as key
    from app_public.customers c
    where c.tenant_id = tenant and c.status <> 'merged' and c.last_name is not null
    group by 1 having count(*) between 2 and 10) k;
  select coalesce(array_agg(k.key), '{}') into given_name_keys from (
    select app_hidden.duplicate_given_name_key(c.first_name, c.last_name) as key
    from app_public.customers c
    where c.tenant_id = tenant and c.status <> 'merged' and c.first_name is not null
    group by 1 having count(*) between 2 and 10) k;

  return query
  with contact_members as (
    select 1 as kind, app_hidden.duplicate_phone_key(c.phone) as key, c.id
    from app_public.customers c
    where c.tenant_id = tenant and c.status <> 'merged' and c.phone is not null
      and app_hidden.duplicate_phone_key(c.phone) = any (phone_keys)
    union all
    select 2, app_hidden.duplicate_email_key(c.email), c.id
    from app_public.customers c
    where c.tenant_id = tenant and c.status <> 'merged' and c.email is not null
      and app_hidden.duplicate_email_key(c.email) = any (email_keys)
  ),
  contact_pairs as (
    select distinct a.id as a_id, b.id as b_id
    from contact_members a
    join contact_members b on b.kind = a.kind and b.key = a.key and a.id collate "C" < b.id collate "C"
  ),
  name_members as (
    select 1 as kind, app_hidden.duplicate_surname_key(c.first_name, c.last_name) as key, c.id, c.first_name, c.last_name
    from app_public.customers c
    where c.tenant_id = tenant and c.status <> 'merged' and c.last_name is not null
      and app_hidden.duplicate_surname_key(c.first_name, c.last_name) = any (surname_keys)
    union all
    select 2, app_hidden.duplicate_given_name_key(c.first_name, c.last_name), c.id, c.first_name, c.last_name
    from app_public.customers c
    where c.tenant_id = tenant and c.status <> 'merged' and c.first_name is not null
      and app_hidden.duplicate_given_name_key(c.first_name, c.last_name) = any (given_name_keys)
  ),
  name_pairs as (
    select distinct a.id as a_id, b.id as b_id,
           a.first_name as a_first, a.last_name as a_last, b.first_name as b_first, b.last_name as b_last,
           public.similarity(app_hidden.duplicate_full_name(a.first_name, a.last_name),
                             app_hidden.duplicate_full_name(b.first_name, b.last_name)) as similarity
    from name_members a
    join name_members b on b.kind = a.kind and b.key = a.key and a.id collate "C" < b.id collate "C"
  ),
  -- A pair sharing only a name key scores by its names alone, which the rule makes grow with
  -- their similarity: the best of them by similarity are the best by score, so only as many as
  -- the page could show are scored (there are thousands at 200,000 customers).
  name_only as (
    select x.* from name_pairs x
    where x.similarity >= 0.6
      and not exists (select 1 from contact_pairs y where y.a_id = x.a_id and y.b_id = x.b_id)
      and not exists (
        select 1 from app_private.customer_duplicate_dismissals d
        where d.tenant_id = tenant and d.customer_id = x.a_id and d.other_customer_id = x.b_id)
    order by x.similarity desc, x.a_id, x.b_id
    limit max_pairs + skip
  ),
  scored as (
    -- Each pair's two customers looked up by id (offset 0 keeps it so: with a misestimate of
    -- the pairs, the planner hashed the tenant's every customer to read a few hundred).
    select x.a_id, x.b_id, s.score, s.reasons
    from contact_pairs x
    cross join lateral (
      select t.score, t.reasons
      from app_public.customers a
      join app_public.customers b on b.tenant_id = tenant and b.id = x.b_id
      cross join lateral app_hidden.customer_duplicate_score(
        a.first_name, a.last_name, a.email, a.phone, b.first_name, b.last_name, b.email, b.phone) t
      where a.tenant_id = tenant and a.id = x.a_id
      offset 0) s
    union all
    select x.a_id, x.b_id, s.score, s.reasons
    from name_only x
    cross join lateral app_hidden.customer_duplicate_score(
      x.a_first, x.a_last, null, null, x.b_first, x.b_last, null, null) s
  ),
  page as (
    select x.* from scored x
    where x.score > 0
      and not exists (
        select 1 from app_private.customer_duplicate_dismissals d
        where d.tenant_id = tenant and d.customer_id = x.a_id and d.other_customer_id = x.b_id)
    order by x.score desc, x.a_id, x.b_id
    limit max_pairs offset skip
  )
  select a.id, a.customer_number, a.display_name, a.email, a.phone,
         b.id, b.customer_number, b.display_name, b.email, b.phone,
         round(p.score::numeric, 2)::double precision, p.reasons
  from page p
  join app_public.customers a on a.tenant_id = tenant and a.id = p.a_id
  join app_public.customers b on b.tenant_id = tenant and b.id = p.b_id
  order by p.score desc, p.a_id, p.b_id;
end;
$$;
comment on function app_public.possible_duplicate_pairs(int, int) is
  E'@behavior +list -connection\n@listSuffix omit\nA page of pairs of live customers that are likely the same person (needs customers.merge), best first: same phone digits, same email name at another domain, same or similar names. At most maxPairs (1 to 100, default 25) after the first skip. Dismissed pairs are left out; each pair can be merged (mergeCustomers) or dismissed (dismissPossibleDuplicate).';

/*
 * The live customers (active or archived) that a customer about to be created with these
 * values would likely duplicate, best first, at most 5 (needs customers.view). Called as the
 * person types: the values are read as create_customer would read them (the phone with the
 * business's country), but a value not yet valid (a phone still being typed) is not an error,
 * it is left out. Each candidate comes from the same blocking keys as the pairs, through their
 * indexes, and the exact email and phone through their unique indexes.
 */
create or replace function app_public.likely_duplicates(
  first_name text default null,
  last_name text default null,
  email text default null,
  phone text default null
) returns setof app_public.likely_duplicate
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.view');
  first_clean text := left(nullif(btrim(first_name), ''), 100);
  last_clean text := left(nullif(btrim(last_name), ''), 100);
  -- An email counts from its @ on (before it, "zelda" would share its name with zelda@…).
  email_clean text := case when lower(btrim(email)) ~ '^[^@[:space:]]+@[^@[:space:]]+$' then left(lower(btrim(email)), 254) end;
  e164 text;
  phone_key text;
  email_key text;
  surname_key text;
  given_key text;
begin
  if nullif(btrim(phone), '') is not null then
    begin
      e164 := app_hidden.normalize_phone(left(phone, 40), (select t.default_country from app_public.tenants t where t.id = tenant));
    exception when sqlstate 'BADPH' then
      e164 := null;
    end;
  end if;
  -- A key that 10 live customers already share says nothing (see the header): it is not used.
  phone_key := app_hidden.duplicate_phone_key(e164);
  if phone_key is not null and (select count(*) from (
      select 1 from app_public.customers c
      where c.tenant_id = tenant and c.status <> 'merged' and c.phone is not null and app_hidden.duplicate_phone_key(c.phone) = phone_key
      limit 10) x) >= 10 then
    phone_key := null;
  end if;
  email_key := app_hidden.duplicate_email_key(email_clean);
  if email_key is not null and (select count(*) from (
      select 1 from app_public.customers c
      where c.tenant_id = tenant and c.status <> 'merged' and c.email is not null and app_hidden.duplicate_email_key(c.email) = email_key
      limit 10) x) >= 10 then
    email_key := null;
  end if;
  surname_key := case when last_clean is not null then app_hidden.duplicate_surname_key(first_clean, last_clean) end;
  if surname_key is not null and (select count(*) from (
      select 1 from app_public.customers c
      where c.tenant_id = tenant and c.status <> 'merged' and c.last_name is not null
        and app_hidden.duplicate_surname_key(c.first_name, c.last_name) = surname_key
      limit 10) x) >= 10 then
    surname_key := null;
  end if;
  given_key := case when first_clean is not null then app_hidden.duplicate_given_name_key(first_clean, last_clean) end;
  if given_key is not null and (select count(*) from (
      select 1 from app_public.customers c
      where c.tenant_id = tenant and c.status <> 'merged' and c.first_name is not null
        and app_hidden.duplicate_given_name_key(c.first_name, c.last_name) = given_key
      limit 10) x) >= 10 then
    given_key := null;
  end if;

  return query
  with candidates as (
    select c.id from app_public.customers c
    where phone_key is not null and c.tenant_id = tenant and c.status <> 'merged' and c.phone is not null
      and app_hidden.duplicate_phone_key(c.phone) = phone_key
    union
    select c.id from app_public.customers c
    where email_key is not null and c.tenant_id = tenant and c.status <> 'merged' and c.email is not null
      and app_hidden.duplicate_email_key(c.email) = email_key
    union
    select c.id from app_public.customers c
    where surname_key is not null and c.tenant_id = tenant and c.status <> 'merged' and c.last_name is not null
      and app_hidden.duplicate_surname_key(c.first_name, c.last_name) = surname_key
    union
    select c.id from app_public.customers c
    where given_key is not null and c.tenant_id = tenant and c.status <> 'merged' and c.first_name is not null
      and app_hidden.duplicate_given_name_key(c.first_name, c.last_name) = given_key
    union
    select c.id from app_public.customers c
    where email_clean is not null and c.tenant_id = tenant and c.status <> 'merged' and c.email = email_clean
    union
    select c.id from app_public.customers c
    where e164 is not null and c.tenant_id = tenant and c.status <> 'merged' and c.phone = e164
  )
  select c.id, c.customer_number, c.display_name, c.email, c.phone, c.status, round(s.score::numeric, 2)::double precision, s.reasons
  from candidates x
  join app_public.customers c on c.tenant_id = tenant and c.id = x.id
  cross join lateral app_hidden.customer_duplicate_score(
    first_clean, last_clean, email_clean, e164, c.first_name, c.last_name, c.email, c.phone) s
  where s.score > 0
  order by s.score desc, c.display_name, c.id
  limit 5;
end;
$$;
comment on function app_public.likely_duplicates(text, text, text, text) is
  E'@behavior +list -connection\n@listSuffix omit\nThe live customers that a customer about to be created with these values would likely duplicate (needs customers.view): at most 5, best first, each with a score (0 to 1) and the reasons in words. Never an error for a value still being typed. Creating the customer is not blocked.';

/*
 * "Not a duplicate": the two live customers are different people, and the Possible duplicates
 * page stops offering the pair (needs customers.merge). Kept once per pair, whichever order the
 * ids come in; dismissing it again changes nothing (false). Audited.
 */
create or replace function app_public.dismiss_possible_duplicate(customer_id text, duplicate_id text) returns boolean
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.merge');
  one app_public.customers;
  other app_public.customers;
  inserted int;
begin
  if customer_id is null or duplicate_id is null then
    perform app_hidden.raise_error('BADIN', 'Choose the two customers that are not the same person.');
  end if;
  if customer_id = duplicate_id then
    perform app_hidden.raise_error('BADIN', 'Choose two different customers.', field => 'duplicate_id');
  end if;
  select c.* into one from app_public.customers c where c.tenant_id = tenant and c.id = dismiss_possible_duplicate.customer_id;
  select c.* into other from app_public.customers c where c.tenant_id = tenant and c.id = dismiss_possible_duplicate.duplicate_id;
  if one.id is null or other.id is null then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.',
      left(case when one.id is null then customer_id else duplicate_id end, 40)));
  end if;
  if one.status = 'merged' or other.status = 'merged' then
    perform app_hidden.raise_error('CMRGD', 'One of these customers was already merged into another customer.',
      case when one.status = 'merged' then one.merged_into_id else other.merged_into_id end);
  end if;
  perform app_private.begin_change('dismiss_possible_duplicate', null);
  insert into app_private.customer_duplicate_dismissals (tenant_id, customer_id, other_customer_id, dismissed_by)
  values (tenant,
          least(one.id collate "C", other.id collate "C"),
          greatest(one.id collate "C", other.id collate "C"),
          app_hidden.current_user_id())
  on conflict on constraint customer_duplicate_dismissals_pair_key do nothing;
  get diagnostics inserted = row_count;
  perform app_private.end_change();
  return inserted > 0;
end;
$$;
comment on function app_public.dismiss_possible_duplicate(text, text) is
  'Says that two customers are not the same person (needs customers.merge): the Possible duplicates page no longer lists the pair. True when newly dismissed, false when it already was. NOTFD for an unknown customer, CMRGD for a merged one.';

/*
 * The import's preview warns like the add-customer form: for a row of a customer import that
 * would make a new customer, the live customers it is likely the same person as (the rule above,
 * through likely_duplicates), best first, at most 3. Rows that already match a customer by email
 * or phone are duplicates of it (customers/485-import.sql), not warned about.
 */
create or replace function app_public.customer_import_rows_likely_duplicates(r app_public.customer_import_rows)
returns setof app_public.likely_duplicate
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select d.* from app_public.likely_duplicates(r.first_name, r.last_name, r.email, r.phone) as d
  where r.state = 'new'
  limit 3;
$$;
comment on function app_public.customer_import_rows_likely_duplicates(app_public.customer_import_rows) is
  'For a row that would make a new customer: the customers it is likely the same person as, with why (as the add-customer form warns).';
grant execute on function app_public.customer_import_rows_likely_duplicates(app_public.customer_import_rows) to :DATABASE_VISITOR;
--! EndIncluded customers/490-possible-duplicates.sql

-- The blocking keys of live customers (490 says why each one), each with the columns it is
-- computed from, so that the pairs are grouped from an index-only scan in key order and the
-- warning finds a key's customers with one index lookup. tenant_id first, so that a tenant's keys
-- are one range; partial on live customers, like the uniqueness of email and phone.
create index if not exists customers_duplicate_phone_idx on app_public.customers
  (tenant_id, app_hidden.duplicate_phone_key(phone)) include (id, phone) where status <> 'merged' and phone is not null;
create index if not exists customers_duplicate_email_idx on app_public.customers
  (tenant_id, app_hidden.duplicate_email_key(email)) include (id, email) where status <> 'merged' and email is not null;
create index if not exists customers_duplicate_surname_idx on app_public.customers
  (tenant_id, app_hidden.duplicate_surname_key(first_name, last_name)) include (id, first_name, last_name)
  where status <> 'merged' and last_name is not null;
create index if not exists customers_duplicate_given_name_idx on app_public.customers
  (tenant_id, app_hidden.duplicate_given_name_key(first_name, last_name)) include (id, first_name, last_name)
  where status <> 'merged' and first_name is not null;

--! split: 4-data-requests.sql
------------------------------------------------------------------------------------------------
-- A customer's own data request (GDPR/CCPA, issue 20 item 10): "send me everything you hold about
-- me" (a zip written by the worker, downloadable by members with customers.erase, kept 7 days) and
-- "erase me" (the profile anonymised, orders and read models kept and detached from a person).
-- Tables and data changes here; the rules in customers/495-data-requests.sql and the fixtures
-- included below.

-- An erased customer keeps its row (orders and counters point at it) as "Erased customer".
alter table app_public.customers drop constraint if exists customers_status_check;
alter table app_public.customers add constraint customers_status_check
  check (status in ('active', 'archived', 'merged', 'erased'));
comment on column app_public.customers.status is E'@behavior +filterBy\nactive, archived (kept for history, hidden from the till), merged (into mergedInto) or erased (its personal data was erased on request: eraseCustomer; it stays as "Erased customer" for its orders).';

-- A bundle of everything held about one customer (customer.json and CSV files, zipped).
create table if not exists app_public.customer_data_exports (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  customer_id text not null,
  reason text not null check (length(reason) between 1 and 500),
  status text not null default 'pending' check (status in ('pending', 'running', 'done', 'failed')),
  file_name text not null check (file_name ~ '^[a-z0-9][a-z0-9._-]{0,120}\.zip$'),
  files_written int not null default 0 check (files_written >= 0),
  files_total int not null default 4 check (files_total > 0),
  bytes_written bigint not null default 0,
  chunk_count int not null default 0,
  error_message text,
  requested_by text references app_public.users on delete set null,
  started_at timestamptz,
  finished_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, customer_id) references app_public.customers (tenant_id, id) on delete cascade
);
create index if not exists customer_data_exports_id_idx on app_public.customer_data_exports (id);
create index if not exists customer_data_exports_customer_idx on app_public.customer_data_exports (tenant_id, customer_id, created_at);
create index if not exists customer_data_exports_requested_by_idx on app_public.customer_data_exports (requested_by);
create index if not exists customer_data_exports_created_at_idx on app_public.customer_data_exports (created_at);
do $$ begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.customer_data_exports'::regclass) then
    perform app_private.secure_table('app_public.customer_data_exports');
    perform app_private.enforce_active_tenant('app_public.customer_data_exports');
  end if;
end $$;
comment on table app_public.customer_data_exports is E'@unique id\n@behavior -insert -update -delete\nEverything the business holds about one customer, asked for by the customer (requestCustomerData, needs customers.erase): a zip written by the worker; poll status and filesWritten, then download it from downloadUrl. Kept 7 days.';
comment on column app_public.customer_data_exports.tenant_id is '@behavior -*';
comment on constraint customer_data_exports_pkey on app_public.customer_data_exports is '@behavior -single -update -delete';
comment on constraint customer_data_exports_tenant_id_fkey on app_public.customer_data_exports is '@behavior -*';
comment on constraint customer_data_exports_tenant_id_customer_id_fkey on app_public.customer_data_exports is E'@fieldName customer\n@foreignFieldName dataExports';
comment on constraint customer_data_exports_requested_by_fkey on app_public.customer_data_exports is E'@fieldName requester\n@foreignFieldName customerDataExports';
comment on column app_public.customer_data_exports.reason is 'Why it was asked for (kept in the audit log too).';
comment on column app_public.customer_data_exports.status is 'pending (queued), running, done (downloadable) or failed (see errorMessage).';
comment on column app_public.customer_data_exports.file_name is 'The name the zip downloads under.';
comment on column app_public.customer_data_exports.files_written is 'Files of the zip written so far.';
comment on column app_public.customer_data_exports.files_total is 'Files the zip holds: customer.json, orders.csv, order-lines.csv, timeline.csv.';
comment on column app_public.customer_data_exports.bytes_written is 'Bytes of the zip written so far.';
comment on column app_public.customer_data_exports.chunk_count is '@behavior -*';
comment on column app_public.customer_data_exports.error_message is 'Why it failed.';
comment on column app_public.customer_data_exports.started_at is 'When the worker started it (last attempt).';
comment on column app_public.customer_data_exports.finished_at is 'When it became done or failed.';

create table if not exists app_private.customer_data_export_chunks (
  tenant_id text not null,
  export_id text not null,
  chunk_no int not null check (chunk_no >= 0),
  data bytea not null,
  primary key (tenant_id, export_id, chunk_no),
  foreign key (tenant_id, export_id) references app_public.customer_data_exports (tenant_id, id) on delete cascade
);
do $$ begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_private.customer_data_export_chunks'::regclass) then
    perform app_private.secure_table('app_private.customer_data_export_chunks');
  end if;
end $$;
comment on table app_private.customer_data_export_chunks is 'The bytes of customer data bundles (zip), in order, about 1 MB each.';

comment on column app_public.customer_activity.kind is 'created, updated, archived, restored, merged, merged_into, erased, data_requested, order_placed, order_voided, order_refunded or note.';

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
-- their jobs, and fails exports (and customers' data bundles) that can no longer finish. Pools it does not know (runOnce in
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

  -- So would a customer import being read or committed (customers/485-import.sql).
  perform app_private.fail_customer_import(i.tenant_id, i.id, 'IMPFL',
    case i.status when 'parsing' then 'The file could not be read. Please upload it again.'
         else 'The import stopped before the end: the rows not yet imported are listed in the error report.' end)
  from app_public.customer_imports i
  where i.status in ('parsing', 'committing')
    and not exists (select 1 from graphile_worker._private_jobs j
                    join graphile_worker._private_tasks t on t.id = j.task_id
                    where t.identifier in ('customer_import_parse', 'customer_import_commit') and j.payload ->> 'importId' = i.id
                      and j.payload ->> 'tenantId' = i.tenant_id
                      and (j.locked_at is not null or j.attempts < j.max_attempts));

  -- So would a customer's data bundle (customers/495-data-requests.sql).
  perform app_private.fail_customer_data_export(e.tenant_id, e.id, 'The file could not be written. Please try again.')
  from app_public.customer_data_exports e
  where e.status in ('pending', 'running')
    and not exists (select 1 from graphile_worker._private_jobs j
                    join graphile_worker._private_tasks t on t.id = j.task_id
                    where t.identifier = 'customer_data_export' and j.payload ->> 'exportId' = e.id
                      and j.payload ->> 'tenantId' = e.tenant_id
                      and (j.locked_at is not null or j.attempts < j.max_attempts));
end;
$$;
comment on function app_private.recover_crashed_workers(interval) is 'Unlocks the jobs of worker processes that died (worker, at start and every minute); returns the pools recovered.';
--! EndIncluded platform/150-worker-recovery.sql
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

/*
 * The permissions a tenant role may carry. customers.erase answers a customer's own data request
 * (download everything held about them, erase their personal data: customers/495-data-requests.sql);
 * only owners have it by default.
 */
create or replace function app_hidden.all_permissions() returns text[]
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select array[
    'customers.view', 'customers.create', 'customers.update', 'customers.merge', 'customers.import', 'customers.erase',
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
    -- Managers: everything but the settings and a customer's data requests (erasing is final).
    (tenant, 'manager', 'Manager', array(
      select p from unnest(app_hidden.all_permissions()) as p where p not in ('settings.update', 'customers.erase'))),
    (tenant, 'cashier', 'Cashier', array['customers.view', 'customers.create', 'sales.sell']);
$$;

/* A new tenant with its first location, roles and the given user as owner. Returns the tenant id. */
create or replace function app_private.create_tenant_for(owner_user_id text, company_name text, timezone text, currency text, locale text) returns text
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text;
begin
  company_name := app_hidden.assert_name('Business name', company_name, 200, 'name');
  perform app_hidden.assert_valid_timezone(timezone);
  -- US dollars and en-US unless said (the product's defaults, as for the businesses made before currencies).
  insert into app_public.tenants (name, currency, locale)
  values (company_name, coalesce(currency, 'USD'), coalesce(locale, 'en-US')) returning id into tenant;
  perform app_private.seed_tenant_roles(tenant);
  perform app_private.seed_tenant_customer_types(tenant);
  insert into app_public.loyalty_settings (tenant_id) values (tenant);
  insert into app_public.locations (tenant_id, name, timezone) values (tenant, 'Main store', timezone);
  insert into app_public.memberships (tenant_id, user_id, role_id)
    select tenant, owner_user_id, r.id from app_public.roles r where r.tenant_id = tenant and r.key = 'owner';
  return tenant;
end;
$$;

create or replace function app_hidden.onboard(company_name text, owner_name text, email text, password text, timezone text,
                                              currency text default null, locale text default null)
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
  tenant := app_private.create_tenant_for(new_user, company_name, timezone, currency, locale);
  return app_private.new_session(new_user, tenant);
end;
$$;
comment on function app_hidden.onboard(text, text, text, text, text, text, text) is 'Creates a business (in its currency and locale), its first location and roles, and its owner; returns the secret of a new session (for the cookie).';

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

create or replace function app_public.create_business(name text, timezone text, currency text default null, locale text default null)
returns app_public.tenants
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
  -- Another shop of the same owner sells in the same currency unless told otherwise.
  tenant := app_private.create_tenant_for(me, name, timezone,
    coalesce(currency, (select t.currency from app_public.tenants t where t.id = app_hidden.current_tenant_id())),
    coalesce(locale, (select t.locale from app_public.tenants t where t.id = app_hidden.current_tenant_id())));
  update app_private.sessions s set active_tenant_id = tenant where s.id = app_hidden.current_session_id();
  select t.* into result from app_public.tenants t where t.id = tenant;
  return result;
end;
$$;
comment on function app_public.create_business(text, text, text, text) is 'Creates another business owned by the signed-in user and switches to it; its currency and locale are those of the current business unless given.';

create or replace function app_private.delete_expired_sessions() returns int
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  with gone as (delete from app_private.sessions where expires_at < now() - interval '1 day' returning 1)
  select count(*)::int from gone;
$$;
comment on function app_private.delete_expired_sessions() is 'Removes sessions that expired more than a day ago (worker crontab).';
--! EndIncluded identity/220-auth.sql

-- Owners of existing businesses get the new permission (a new business's owner has every one).
update app_public.roles r set permissions = r.permissions || array['customers.erase']
where r.key = 'owner' and not 'customers.erase' = any(r.permissions);

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
  perform app_hidden.raise_error('IMMUT', format(
    'Rows of %s are never changed or deleted; record a correcting entry instead.', tg_table_name));
  return null;
end;
$$;
comment on function app_private.tg__append_only() is 'Trigger: refuses updates and deletes of ledger rows (IMMUT), except when their tenant is deleted.';

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
 * place events are written: switching a consumer to after-commit delivery is a change of its
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
--! Included sales/320-orders.sql
-- Orders, their lines and tenders, and the functions that are the only way to write
-- them (place_order, record_tender, void_order, cancel_order; quote_order prices a cart without
-- writing).
--
-- An order is OPEN until it is paid in full; the payment that completes it makes it a sale
-- (status placed, placed_at and business_date of that moment — an order paid after midnight is a
-- sale of the new day, as in Square — then order.placed.v1 and the stock taken). Nothing counts an
-- open order: no visit, no spend, no sales figure, no stock. An open order given up is cancelled
-- (what was paid on it goes back); a sale taken back is voided. An import (place_order with a
-- past placed_at) and an order with nothing to pay are sales at once.
-- The API role has no insert, update or delete grant on these tables, so PostGraphile generates
-- no CRUD for them. Every total is computed here from catalog prices and the tax rate the
-- location charges (sales/305-tax-rates.sql: app_private.location_tax).
--
-- Pricing and rounding (db/EVENTS.md repeats it):
--   * prices are integer cents; a line's subtotal is unit price × quantity;
--   * a line discount is cents off that line (0 ≤ discount ≤ line subtotal);
--   * the order discount is cents off the whole order (0 ≤ discount ≤ sum of lines after their
--     own discounts); it is spread over the lines in proportion to their amounts after line
--     discounts, rounding down, and the cents left over go one each to the lines with the largest
--     remainders (ties: the earlier line), so the shares add up to the order discount exactly;
--   * tax is computed per line on the line's net amount (after both discounts) and rounded
--     half up to the cent: tax = floor((net × tax_rate_bps + 5000) / 10000);
--   * order tax_total is the sum of the line taxes (so it can differ by a cent or so from
--     rounding the tax of the whole order once); total = subtotal − discount_total + tax_total.
-- When the rate is included in prices (tax_inclusive), the customer pays the shelf amounts and
-- the tax is the part of them, and the line is then kept without tax like any other, so that
-- reports read every order alike (gross and net sales never include tax):
--   * a line's amount A = unit price × quantity − its discount − its share of the order discount
--     (shared as above); total = A; tax = A × rate / (10000 + rate) rounded half up; net = A − tax;
--   * subtotal = unit price × quantity less the tax that amount holds (same rounding), and the
--     discounts are what is left, subtotal − net, split between the line's own discount and its
--     share of the order's in proportion (the line's own part rounded down); order_discount
--     records the order's part, so again total = subtotal − discount_total + tax_total.

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

create or replace trigger _010_append_only before update or delete on app_public.refund_tenders
  for each row execute function app_private.tg__append_only();

drop policy if exists select_own_tenant on app_public.refund_tenders;
create policy select_own_tenant on app_public.refund_tenders for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));

revoke all on app_public.refund_tenders from :DATABASE_VISITOR;
grant select on app_public.refund_tenders to :DATABASE_VISITOR;

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
    'tax_inclusive', o.tax_inclusive,
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
 * What tender.recorded.v1 says (db/EVENTS.md): the tender (on the day it was taken; tenders from
 * before that date was kept, on their order's date), and its order as it stands after the
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
    'business_date', pg_catalog.to_char(coalesce(t.business_date, o.business_date), 'YYYY-MM-DD'),
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

/*
 * What order.voided.v1 says: the order's payload and the void (o is the voided order, loc its
 * location), with the money handed back per tender type (the refund tenders the void wrote).
 */
create or replace function app_private.order_voided_event_payload(o app_public.orders, loc app_public.locations) returns jsonb
language sql stable
as $$
  select app_private.order_event_payload(o) operator(pg_catalog.||) pg_catalog.jsonb_build_object(
    'voided_at', app_hidden.iso_utc(o.voided_at),
    'voided_business_date', pg_catalog.to_char(app_hidden.business_date(o.voided_at, loc.timezone), 'YYYY-MM-DD'),
    'void_reason', o.void_reason,
    'voided_by_user_id', o.voided_by_user_id,
    'paid_total', o.paid_total,
    'refund_tenders', coalesce((
      select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('type', r.type, 'amount', r.amount) order by r.type)
      from app_public.refund_tenders r
      where r.tenant_id operator(pg_catalog.=) o.tenant_id and r.order_id operator(pg_catalog.=) o.id), '[]'::jsonb));
$$;

/* What order.cancelled.v1 says: which open order was given up, why, and what went back (per tender type). */
create or replace function app_private.order_cancelled_event_payload(o app_public.orders, loc app_public.locations) returns jsonb
language sql stable
as $$
  select pg_catalog.jsonb_build_object(
    'order_id', o.id,
    'location_id', o.location_id,
    'customer_id', o.customer_id,
    'total', o.total,
    'paid_total', o.paid_total,
    'opened_at', app_hidden.iso_utc(o.created_at),
    'cancelled_at', app_hidden.iso_utc(o.cancelled_at),
    'cancelled_business_date', pg_catalog.to_char(app_hidden.business_date(o.cancelled_at, loc.timezone), 'YYYY-MM-DD'),
    'cancel_reason', o.cancel_reason,
    'cancelled_by_user_id', o.cancelled_by_user_id,
    'refund_tenders', coalesce((
      select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('type', r.type, 'amount', r.amount) order by r.type)
      from app_public.refund_tenders r
      where r.tenant_id operator(pg_catalog.=) o.tenant_id and r.order_id operator(pg_catalog.=) o.id), '[]'::jsonb));
$$;

/*
 * Hands back what was paid on an order, the way it was paid: one refund tender per tender type
 * (cash from the drawer, card back to the card), dated today at the location. Used by void and
 * cancel.
 */
create or replace function app_private.refund_payments(o app_public.orders, loc app_public.locations, reason text, actor text)
returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  insert into app_public.refund_tenders (tenant_id, order_id, type, amount, reason, business_date, refunded_by_user_id, cash_drawer_id)
  select o.tenant_id, o.id, t.type, sum(t.applied_amount), reason, app_hidden.business_date(now(), loc.timezone), actor,
         -- Cash comes out of the location's open drawer (330-cash-drawers.sql).
         case when t.type = 'cash' then app_private.open_cash_drawer_id(o.tenant_id, o.location_id) end
  from app_public.tenders t
  where t.tenant_id = o.tenant_id and t.order_id = o.id
  group by t.type
  having sum(t.applied_amount) > 0
  order by t.type;
end;
$$;

/*
 * An order has just become a sale (its row says placed, with placed_at and business_date): emits
 * order.placed.v1, then takes its stocked items out of stock at the location (a sale may take
 * on-hand below zero), each movement with its event.
 */
create or replace function app_private.record_sale(o app_public.orders, actor text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform app_private.emit_event(o.tenant_id, 'order.placed.v1', 'order', o.id, app_private.order_event_payload(o), actor);
  insert into app_public.inventory_movements (tenant_id, location_id, inventory_item_id, quantity, reason,
                                              order_id, order_line_id, actor_user_id, occurred_at)
  select o.tenant_id, o.location_id, i.id, -ol.quantity, 'sale', o.id, ol.id, actor, o.placed_at
  from app_public.order_lines ol
  join app_public.inventory_items i on i.tenant_id = ol.tenant_id and i.catalog_item_id = ol.catalog_item_id
  where ol.tenant_id = o.tenant_id and ol.order_id = o.id
  order by ol.line_no;
end;
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
create or replace function app_private.price_lines(tenant_id text, lines jsonb, order_discount int, tax_rate_bps int, tax_inclusive boolean)
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
    -- amount: what the line costs after both discounts, with its tax when prices include it.
    select s.*, s.net - s.share as amount,
           case when tax_inclusive
             then (2 * (s.net - s.share) * tax_rate_bps + 10000 + tax_rate_bps) / (2 * (10000 + tax_rate_bps))
             else ((s.net - s.share) * tax_rate_bps + 5000) / 10000 end as tax,
           case when tax_inclusive
             then s.subtotal - (2 * s.subtotal * tax_rate_bps + 10000 + tax_rate_bps) / (2 * (10000 + tax_rate_bps))
             else s.subtotal end as subtotal_ex
    from shared s
  ), kept as (
    -- Without tax: net, and the discounts as what the subtotal loses on the way to it.
    select t.*, case when tax_inclusive then t.amount - t.tax else t.amount end as net_total,
           case when tax_inclusive and t.line_discount + t.share > 0
             then (t.subtotal_ex - (t.amount - t.tax)) * t.line_discount / (t.line_discount + t.share)
             else t.line_discount end as line_discount_ex
    from taxed t
  )
  select k.line_no, k.catalog_item_id, k.sku, k.name, k.unit_price, k.quantity, k.subtotal_ex::int, k.line_discount_ex::int,
         (k.subtotal_ex - k.line_discount_ex - k.net_total)::int, k.net_total::int, k.tax::int, (k.net_total + k.tax)::int,
         k.inventory_item_id
  from kept k
  order by k.line_no;
end;
$$;

/*
 * The customer id an order of the tenant records for the given one (null for none): an order may
 * only name a customer of the tenant (NOTFD), and an order for a customer that was merged is
 * recorded for the customer it was merged into; an erased customer takes no new order (ERASD).
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
  -- An erased customer is nobody any more: a new sale is not filed under them.
  if exists (select 1 from app_public.customers c where c.tenant_id = order_customer_id.tenant_id and c.id = live and c.status = 'erased') then
    perform app_hidden.raise_error('ERASD', 'This customer''s personal data was erased: sell without a customer, or add them again as a new customer.', live, 'customer_id');
  end if;
  return live;
end;
$$;

create or replace function app_public.quote_order(lines jsonb, discount int default 0, location_id text default null) returns app_public.order_quote
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('sales.sell');
  tax record;
  result app_public.order_quote;
begin
  if quote_order.location_id is not null
     and not exists (select 1 from app_public.locations l where l.tenant_id = tenant and l.id = quote_order.location_id) then
    perform app_hidden.raise_error('NOTFD', format('There is no location %s.', left(quote_order.location_id, 40)));
  end if;
  tax := app_private.location_tax(tenant, quote_order.location_id);
  select sum(p.subtotal)::int, (sum(p.line_discount) + sum(p.order_discount_share))::int, tax.rate_bps,
         sum(p.tax)::int, sum(p.total)::int,
         jsonb_agg(to_jsonb(p) - 'inventory_item_id' order by p.line_no), tax.name, tax.inclusive
    into result
  from app_private.price_lines(tenant, quote_order.lines, coalesce(quote_order.discount, 0), tax.rate_bps, tax.inclusive) p;
  return result;
end;
$$;
comment on function app_public.quote_order(jsonb, int, text) is
  E'Prices a cart without placing it (needs sales.sell): the same validation, totals and rounding as placeOrder, with the tax rate the location charges (the business''s default rate without a location). lines is a JSON list of {"catalog_item_id", "quantity", "discount"?}; discount is cents off the whole order.';

------------------------------------------------------------------------------------------------
-- Writing orders

/*
 * Opens an order at a location (needs sales.sell): validates and prices the lines (see the top
 * of this file) and writes the order and its lines. It is open — not a sale — until payments cover
 * its total (record_tender). An order with nothing to pay, and an import (placed_at, past only,
 * needs settings.update), are sales at once: order.placed.v1 and the stock movements, in the
 * caller's transaction.
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
  tax record;
  order_discount int := coalesce(place_order.discount, 0);
  customer text;
  priced app_private.priced_line[];
  total bigint;
  sale_time timestamptz;
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
  -- A closed location sells nothing (an import of its past sales is still recorded).
  if place_order.placed_at is null then
    perform app_private.assert_location_open(loc);
  end if;
  customer := app_private.order_customer_id(tenant, place_order.customer_id);
  tax := app_private.location_tax(tenant, loc.id);
  select array_agg(p order by p.line_no), sum(p.total) into priced, total
  from app_private.price_lines(tenant, place_order.lines, order_discount, tax.rate_bps, tax.inclusive) p;
  -- An import is a sale of its time; an order with nothing to pay is a sale now; others are open.
  sale_time := case when place_order.placed_at is not null then place_order.placed_at when total = 0 then now() end;

  insert into app_public.orders (tenant_id, location_id, customer_id, status, subtotal, order_discount, discount_total,
                                 tax_rate_bps, tax_name, tax_inclusive, tax_total, total, placed_at, business_date, placed_by_user_id)
  select tenant, loc.id, customer, case when sale_time is null then 'open' else 'placed' end, sum(p.subtotal),
         sum(p.order_discount_share), sum(p.line_discount) + sum(p.order_discount_share), tax.rate_bps, tax.name, tax.inclusive,
         sum(p.tax), sum(p.total), sale_time, app_hidden.business_date(sale_time, loc.timezone), me
  from unnest(priced) p
  returning * into result;

  insert into app_public.order_lines (tenant_id, order_id, line_no, catalog_item_id, sku, name, unit_price, quantity,
                                      subtotal, line_discount, order_discount_share, net_total, tax, total, tax_inclusive)
  select tenant, result.id, p.line_no, p.catalog_item_id, p.sku, p.name, p.unit_price, p.quantity,
         p.subtotal, p.line_discount, p.order_discount_share, p.net_total, p.tax, p.total, tax.inclusive
  from unnest(priced) p
  order by p.line_no;

  if result.status = 'placed' then
    perform app_private.record_sale(result, me);
  end if;
  return result;
end;
$$;
comment on function app_public.place_order(text, jsonb, text, int, timestamptz) is
  E'@resultFieldName order\nOpens an order (needs sales.sell). lines is a JSON list of {"catalog_item_id": "…", "quantity": 1, "discount": 0} (discount in minor units off that line); discount is off the whole order. Totals are computed from catalog prices and the tax rate the location charges: tax per line on the discounted amount, rounded half up (with a rate included in prices, the part of the amount that is tax; the lines are then kept without tax). The order is open — not a sale, no stock taken — until payments (recordTender) cover its total; an order with nothing to pay is a sale at once. placedAt records a past sale (an import, owners only): a sale at once.';

/*
 * Records a payment towards an order (needs sales.sell), on the day it is taken at the order's
 * location. Cash may exceed the amount due: the difference is change given back. Card may not
 * exceed it. The payment that covers an open order's total makes it a sale (record_sale). Nothing
 * can be tendered to a voided, cancelled or fully paid order. The order row is locked, so
 * concurrent tenders cannot over-pay it.
 */
create or replace function app_public.record_tender(order_id text, type text, amount int) returns app_public.tenders
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('sales.sell');
  me text := app_hidden.current_user_id();
  o app_public.orders;
  loc app_public.locations;
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
  if o.status = 'cancelled' then
    perform app_hidden.raise_error('BADIN', 'This order was cancelled; it cannot take payments.');
  end if;
  if record_tender.type is null or record_tender.type not in ('cash', 'card') then
    perform app_hidden.raise_error('BADIN', 'The tender type must be cash or card.');
  end if;
  if record_tender.amount is null or record_tender.amount <= 0 or record_tender.amount > 100000000 then
    perform app_hidden.raise_error('BADAM', 'The amount must be a positive number of minor units (at most 100000000).');
  end if;
  due := o.total - o.paid_total;
  if due <= 0 then
    perform app_hidden.raise_error('OVRTN', 'This order is already paid in full.');
  end if;
  if record_tender.amount > due then
    if record_tender.type = 'card' then
      perform app_hidden.raise_error('OVRTN', format('A card payment cannot exceed the amount due (%s).', due));
    end if;
    change := record_tender.amount - due;
  end if;
  select l.* into loc from app_public.locations l where l.tenant_id = tenant and l.id = o.location_id;
  update app_public.orders x set paid_total = x.paid_total + (record_tender.amount - change)
    where x.tenant_id = tenant and x.id = o.id
    returning * into o;
  insert into app_public.tenders (tenant_id, order_id, type, amount, change_given, recorded_by_user_id, business_date, cash_drawer_id)
    values (tenant, o.id, record_tender.type, record_tender.amount, change, me,
            -- A payment on an imported sale counts on the sale's date; any other on the day it is taken.
            case when o.status = 'placed' then o.business_date else app_hidden.business_date(now(), loc.timezone) end,
            -- Cash goes into the location's open drawer (330-cash-drawers.sql).
            case when record_tender.type = 'cash' then app_private.open_cash_drawer_id(tenant, o.location_id) end)
    returning * into result;
  if o.status = 'open' and o.paid_total = o.total then
    update app_public.orders x set status = 'placed', placed_at = now(), business_date = app_hidden.business_date(now(), loc.timezone)
      where x.tenant_id = tenant and x.id = o.id
      returning * into o;
    perform app_private.record_sale(o, me);
  end if;
  return result;
end;
$$;
comment on function app_public.record_tender(text, text, int) is
  E'@resultFieldName tender\nRecords a payment towards an order (needs sales.sell). type is cash or card; amount in minor units of the business''s currency. Cash above the amount due gives change (changeGiven); card cannot exceed the amount due. The payment that covers an open order''s total makes it a sale (status placed, placedAt now). Voided, cancelled or fully paid orders take no payment.';

/*
 * Voids a placed order once (needs sales.void): marks it voided with the reason, keeps its lines
 * and tenders, hands back what was paid by the way it was paid (a refund tender per type: cash
 * from the drawer, card back to the card, on today's date at the location), writes the opposite
 * sale movement for each of its sale movements, and emits order.voided.v1 (with the amounts to
 * take back and the refund tenders) then the movement events.
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
  if o.status = 'open' then
    perform app_hidden.raise_error('BADIN', 'This order is open, not a sale yet: cancel it instead.');
  end if;
  if o.status <> 'placed' then
    perform app_hidden.raise_error('BADIN', 'Only a sale can be voided.');
  end if;
  -- A void takes back the whole sale: after a refund of some lines, the rest is refunded instead (340-refunds.sql).
  if exists (select 1 from app_public.order_refunds f where f.tenant_id = tenant and f.order_id = o.id) then
    perform app_hidden.raise_error('BADIN', 'This sale has refunds: refund its remaining lines instead of voiding it.');
  end if;
  select l.* into loc from app_public.locations l where l.tenant_id = tenant and l.id = o.location_id;

  update app_public.orders x
    set status = 'voided', voided_at = now(), void_reason = why, voided_by_user_id = me
    where x.tenant_id = tenant and x.id = o.id
    returning * into o;

  perform app_private.refund_payments(o, loc, why, me);

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
  E'@resultFieldName order\nVoids a placed order, once (needs sales.void). The order keeps its lines and tenders; what was paid is handed back the way it was paid (refundTenders: cash from the drawer, card back to the card), counted as a refund today; stock sold is put back.';

/*
 * Cancels an open order (needs sales.sell): a charge given up at the till. It never was a sale,
 * so nothing counts it; what was paid on it goes back the way it was paid (refund tenders, today)
 * and order.cancelled.v1 says so. A sale is voided instead (void_order).
 */
create or replace function app_public.cancel_order(order_id text, reason text) returns app_public.orders
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('sales.sell');
  me text := app_hidden.current_user_id();
  why text;
  o app_public.orders;
  loc app_public.locations;
begin
  why := app_hidden.assert_name('The reason for cancelling', cancel_order.reason, 500, 'reason');
  perform app_private.begin_change('cancel_order', why);
  select x.* into o from app_public.orders x where x.tenant_id = tenant and x.id = cancel_order.order_id for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no order %s.', left(cancel_order.order_id, 40)));
  end if;
  if o.status = 'cancelled' then
    perform app_hidden.raise_error('BADIN', 'This order is already cancelled.');
  end if;
  if o.status = 'voided' then
    perform app_hidden.raise_error('VOIDD', 'This order was voided.');
  end if;
  if o.status <> 'open' then
    perform app_hidden.raise_error('BADIN', 'This order is a sale (paid in full): void it instead.');
  end if;
  select l.* into loc from app_public.locations l where l.tenant_id = tenant and l.id = o.location_id;

  update app_public.orders x
    set status = 'cancelled', cancelled_at = now(), cancel_reason = why, cancelled_by_user_id = me
    where x.tenant_id = tenant and x.id = o.id
    returning * into o;
  perform app_private.refund_payments(o, loc, why, me);
  perform app_private.emit_event(tenant, 'order.cancelled.v1', 'order', o.id, app_private.order_cancelled_event_payload(o, loc), me);

  perform app_private.end_change();
  return o;
end;
$$;
comment on function app_public.cancel_order(text, text) is
  E'@resultFieldName order\nCancels an open order (needs sales.sell): a charge given up. It never was a sale and counts nowhere; what was paid on it goes back the way it was paid (refundTenders). A sale is voided instead (voidOrder).';

/* The open orders of a location, newest first: the till's "resume or cancel" list. */
create or replace function app_public.open_orders(location_id text) returns setof app_public.orders
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select o.* from app_public.orders o
  where o.tenant_id = (select app_hidden.current_tenant_id()) and o.location_id = open_orders.location_id and o.status = 'open'
  order by o.created_at desc, o.id desc;
$$;
comment on function app_public.open_orders(text) is E'@behavior -connection +list\nThe open orders (not paid in full yet) of a location, newest first: to resume their payment or cancel them.';
--! EndIncluded sales/320-orders.sql
--! Included customers/410-notes-and-addresses.sql
-- What hangs off a customer — categorised notes with their author, and
-- postal addresses with at most one default per customer (a partial unique index). Both use the
-- generated create/update/delete, guarded by policies (customers.update to write,
-- customers.view to read) and validation triggers that raise coded errors; a merge (merge_customers) moves
-- them to the surviving customer. Changes are audited.

/* Raises NOTFD unless the customer is visible in the tenant, CMRGD when it was merged away, ERASD when its personal data was erased. */
create or replace function app_hidden.assert_live_customer(tenant_id text, customer_id text) returns void
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  found_status text;
  merged_into text;
begin
  select c.status, c.merged_into_id into found_status, merged_into
  from app_public.customers c
  where c.tenant_id = assert_live_customer.tenant_id and c.id = assert_live_customer.customer_id;
  if found_status is null then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.', coalesce(left(customer_id, 40), '(none given)')));
  elsif found_status = 'merged' then
    perform app_hidden.raise_error('CMRGD', 'This customer was merged into another one; use that customer instead.', merged_into);
  elsif found_status = 'erased' then
    perform app_hidden.raise_error('ERASD', 'This customer''s personal data was erased: nothing can be added to it.', customer_id);
  end if;
end;
$$;
comment on function app_hidden.assert_live_customer(text, text) is 'Raises NOTFD for an unknown (or invisible) customer, CMRGD for a merged one and ERASD for an erased one.';

create or replace function app_private.tg_customer_notes__validate() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  new.body := app_hidden.optional_text('Note', new.body, 2000, 'body');
  if new.body is null then
    perform app_hidden.raise_error('BADIN', 'Note is required.', field => 'body');
  end if;
  new.category := coalesce(lower(btrim(new.category)), 'general');
  -- import: the notes a customer file brought (customers/485-import.sql), kept apart from staff's.
  if new.category not in ('general', 'preference', 'issue', 'feedback', 'import') then
    perform app_hidden.raise_error('BADIN', 'Note category must be general, preference, issue, feedback or import.', field => 'category');
  end if;
  if tg_op = 'INSERT' then
    new.author_user_id := app_hidden.change_actor();
  else
    new.author_user_id := old.author_user_id;
  end if;
  if tg_op = 'INSERT' or new.customer_id is distinct from old.customer_id then
    perform app_hidden.assert_live_customer(new.tenant_id, new.customer_id);
  end if;
  return new;
end;
$$;

create or replace trigger _050_validate before insert or update on app_public.customer_notes
  for each row execute function app_private.tg_customer_notes__validate();

create or replace trigger _100_timestamps before insert or update on app_public.customer_notes
  for each row execute function app_private.tg__timestamps();

create or replace trigger _500_audit after insert or update or delete on app_public.customer_notes
  for each row execute function app_private.tg__audit('created_at', 'updated_at');

drop policy if exists select_with_permission on app_public.customer_notes;
create policy select_with_permission on app_public.customer_notes for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.view')));

drop policy if exists insert_with_permission on app_public.customer_notes;
create policy insert_with_permission on app_public.customer_notes for insert to :DATABASE_VISITOR
  with check (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.update')));

drop policy if exists update_with_permission on app_public.customer_notes;
create policy update_with_permission on app_public.customer_notes for update to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.update')));

drop policy if exists delete_with_permission on app_public.customer_notes;
create policy delete_with_permission on app_public.customer_notes for delete to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.update')));

revoke all on app_public.customer_notes from :DATABASE_VISITOR;
grant select, delete on app_public.customer_notes to :DATABASE_VISITOR;
grant insert (customer_id, category, body), update (category, body) on app_public.customer_notes to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Addresses

/* The default country of the current tenant (the default of an address's country). */
create or replace function app_hidden.current_tenant_country() returns text
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select t.default_country from app_public.tenants t where t.id = app_hidden.current_tenant_id();
$$;
comment on function app_hidden.current_tenant_country() is 'ISO country of the current tenant (its default_country).';

create or replace function app_private.tg_customer_addresses__validate() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  new.type := coalesce(lower(btrim(new.type)), 'home');
  if new.type not in ('home', 'work', 'billing', 'shipping', 'other') then
    perform app_hidden.raise_error('BADIN', 'Address type must be home, work, billing, shipping or other.', field => 'type');
  end if;
  new.line1 := app_hidden.assert_name('Address line 1', new.line1, 200, 'line1');
  new.line2 := app_hidden.optional_name('Address line 2', new.line2, 200, 'line2');
  new.city := app_hidden.assert_name('City', new.city, 100, 'city');
  new.region := app_hidden.optional_name('Region', new.region, 100, 'region');
  new.postal_code := upper(app_hidden.optional_name('Postal code', new.postal_code, 20, 'postal_code'));
  if new.country is null or btrim(new.country) = '' then
    select t.default_country into new.country from app_public.tenants t where t.id = new.tenant_id;
  end if;
  new.country := upper(btrim(new.country));
  if new.country !~ '^[A-Z]{2}$' then
    perform app_hidden.raise_error('BADIN', 'Country must be a two-letter ISO code, such as FR or US.', field => 'country');
  end if;
  if (new.latitude is null) <> (new.longitude is null) then
    perform app_hidden.raise_error('BADIN', 'Give both latitude and longitude, or neither.', field => 'latitude');
  elsif new.latitude not between -90 and 90 or new.longitude not between -180 and 180 then
    perform app_hidden.raise_error('BADIN', 'Latitude must be between -90 and 90 and longitude between -180 and 180.');
  end if;
  new.is_default := coalesce(new.is_default, false);
  if tg_op = 'INSERT' or new.customer_id is distinct from old.customer_id then
    perform app_hidden.assert_live_customer(new.tenant_id, new.customer_id);
  end if;
  if tg_op = 'INSERT' and (select count(*) from app_public.customer_addresses a
                           where a.tenant_id = new.tenant_id and a.customer_id = new.customer_id) >= 20 then
    perform app_hidden.raise_error('BADIN', 'A customer can have at most 20 addresses.');
  end if;
  if new.is_default then
    update app_public.customer_addresses a set is_default = false
    where a.tenant_id = new.tenant_id and a.customer_id = new.customer_id and a.is_default and a.id <> new.id;
  end if;
  return new;
end;
$$;

create or replace trigger _050_validate before insert or update on app_public.customer_addresses
  for each row execute function app_private.tg_customer_addresses__validate();

create or replace trigger _100_timestamps before insert or update on app_public.customer_addresses
  for each row execute function app_private.tg__timestamps();

create or replace trigger _500_audit after insert or update or delete on app_public.customer_addresses
  for each row execute function app_private.tg__audit('created_at', 'updated_at');

drop policy if exists select_with_permission on app_public.customer_addresses;
create policy select_with_permission on app_public.customer_addresses for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.view')));

drop policy if exists insert_with_permission on app_public.customer_addresses;
create policy insert_with_permission on app_public.customer_addresses for insert to :DATABASE_VISITOR
  with check (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.update')));

drop policy if exists update_with_permission on app_public.customer_addresses;
create policy update_with_permission on app_public.customer_addresses for update to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.update')));

drop policy if exists delete_with_permission on app_public.customer_addresses;
create policy delete_with_permission on app_public.customer_addresses for delete to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.update')));

revoke all on app_public.customer_addresses from :DATABASE_VISITOR;
grant select, delete on app_public.customer_addresses to :DATABASE_VISITOR;
grant insert (customer_id, type, line1, line2, city, region, postal_code, country, latitude, longitude, is_default),
      update (type, line1, line2, city, region, postal_code, country, latitude, longitude, is_default)
  on app_public.customer_addresses to :DATABASE_VISITOR;
--! EndIncluded customers/410-notes-and-addresses.sql
--! Included customers/420-commands.sql
-- The only ways a customer is written from outside — create, update,
-- archive and restore (merge is merge_customers). Each is a security definer function that checks the
-- permission (and, once billing adds it, the customers entitlement), validates every field with
-- an error code naming it, writes nothing on failure, emits customer.created.v1 or
-- customer.updated.v1 in the same transaction, and leaves an audit row (the _500_audit trigger of customers).

/* The source of a consent change: pos, admin, online, import or other; admin when not given. Raises BADIN. */
create or replace function app_hidden.assert_consent_source(source text, field text default 'marketing_consent_source') returns text
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
    perform app_hidden.raise_error('BADIN', 'The consent source must be pos, admin, online, import or other.', field => assert_consent_source.field);
  end if;
  return cleaned;
end;
$$;
comment on function app_hidden.assert_consent_source(text, text) is 'A valid consent source (admin when not given); raises BADIN for the given input field.';

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
  notes := app_hidden.optional_text('About this customer', notes, 2000, 'notes');
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
  elsif cur.status = 'erased' then
    perform app_hidden.raise_error('ERASD', 'This customer''s personal data was erased: it cannot be changed. Add the person again as a new customer.', cur.id);
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
    nxt.notes := app_hidden.optional_text('About this customer', patch.notes, 2000, 'notes');
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
    array['created_at', 'updated_at']);
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
  elsif cur.status = 'erased' then
    perform app_hidden.raise_error('ERASD', 'This customer''s personal data was erased: it can be neither archived nor restored.', cur.id);
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
-- and addresses move to the primary, its purchase history joins the primary's, and it stays as
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
 * duplicate's into a note); metadata keys of the primary win; the type is the primary's, else
 * the duplicate's. (The purchase history is combined by app_private.merge_customer_history.)
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
  result.customer_type_id := coalesce(p.customer_type_id, d.customer_type_id);
  return result;
end;
$$;
comment on function app_hidden.merged_customer(app_public.customers, app_public.customers) is 'The primary customer as a merge with the duplicate would leave it (computes, writes nothing).';

/* Locks two customers of a tenant in id order; raises BADIN, MRGSM, NOTFD, CMRGD or ERASD (an erased customer is nobody to merge). */
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
    elsif row_found.status = 'erased' then
      perform app_hidden.raise_error('ERASD', format('Customer %s was erased: it cannot be merged.', row_found.customer_number), row_found.id);
    end if;
  end loop;
end;
$$;

/*
 * Moves a duplicate's purchase history to the primary: visits and spend added up, the earlier
 * first visit, the later last visit, the latest 20 of both, units per item added up (so the
 * most bought items are recomputed over both); the duplicate's counted orders now count for
 * the primary (a later void finds them there) and its own history is zero. Preferences, contact
 * channels and favourite items: the primary's stand, the duplicate's fill what the primary lacks.
 */
create or replace function app_private.merge_customer_history(tenant_id text, primary_id text, duplicate_id text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
declare
  tenant constant text := merge_customer_history.tenant_id;
  d app_public.customer_stats;
begin
  select s.* into d from app_public.customer_stats s where s.tenant_id = tenant and s.customer_id = duplicate_id;
  update app_public.customer_stats s set
    visits = s.visits + d.visits,
    spend = s.spend + d.spend,
    items_bought = s.items_bought + d.items_bought,
    first_visit_at = least(s.first_visit_at, d.first_visit_at),
    last_visit_at = greatest(s.last_visit_at, d.last_visit_at),
    recent_visits = app_hidden.latest_visits(s.recent_visits || d.recent_visits),
    updated_at = now()
  where s.tenant_id = tenant and s.customer_id = primary_id;
  update app_public.customer_stats s set
    visits = 0, spend = 0, items_bought = 0, first_visit_at = null, last_visit_at = null, recent_visits = '{}', updated_at = now()
  where s.tenant_id = tenant and s.customer_id = duplicate_id;
  update app_private.customer_visits v set customer_id = primary_id
  where v.tenant_id = tenant and v.customer_id = duplicate_id;

  insert into app_public.customer_item_stats as i (tenant_id, customer_id, catalog_item_id, quantity)
  select tenant, primary_id, x.catalog_item_id, x.quantity
  from app_public.customer_item_stats x where x.tenant_id = tenant and x.customer_id = duplicate_id
  order by x.catalog_item_id
  on conflict (tenant_id, customer_id, catalog_item_id) do update set quantity = i.quantity + excluded.quantity;
  delete from app_public.customer_item_stats x where x.tenant_id = tenant and x.customer_id = duplicate_id;

  insert into app_public.customer_preferences as p (tenant_id, customer_id, do_not_contact, preferred_payment, best_contact_time, language)
  select tenant, primary_id, x.do_not_contact, x.preferred_payment, x.best_contact_time, x.language
  from app_public.customer_preferences x where x.tenant_id = tenant and x.customer_id = duplicate_id
  on conflict (tenant_id, customer_id) do update set
    -- Either one asking not to be contacted is the person asking.
    do_not_contact = p.do_not_contact or excluded.do_not_contact,
    preferred_payment = coalesce(p.preferred_payment, excluded.preferred_payment),
    best_contact_time = coalesce(p.best_contact_time, excluded.best_contact_time),
    language = coalesce(p.language, excluded.language);
  insert into app_public.customer_contact_channels (tenant_id, customer_id, channel, allowed, source, recorded_at, recorded_by)
  select tenant, primary_id, x.channel, x.allowed, x.source, x.recorded_at, x.recorded_by
  from app_public.customer_contact_channels x where x.tenant_id = tenant and x.customer_id = duplicate_id
  on conflict do nothing;
  insert into app_public.customer_favourite_items (tenant_id, customer_id, catalog_item_id, created_at)
  select tenant, primary_id, x.catalog_item_id, x.created_at
  from app_public.customer_favourite_items x where x.tenant_id = tenant and x.customer_id = duplicate_id
  on conflict do nothing;
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
  p_stats app_public.customer_stats;
  d_stats app_public.customer_stats;
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
  select s.* into d_stats from app_public.customer_stats s where s.tenant_id = tenant and s.customer_id = d.id;

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
  -- Its type went to the primary (a merged customer has none: customers_merged_without_type).
  update app_public.customers c
    set status = 'merged', merged_into_id = p.id, customer_type_id = null
  where c.tenant_id = tenant and c.id = d.id;

  update app_public.customers c set
    email = m.email, phone = m.phone, first_name = m.first_name, last_name = m.last_name, notes = m.notes,
    tags = m.tags, metadata = m.metadata, marketing_consent = m.marketing_consent,
    marketing_consent_updated_at = m.marketing_consent_updated_at, marketing_consent_source = m.marketing_consent_source,
    customer_type_id = m.customer_type_id
  where c.tenant_id = tenant and c.id = p.id
  returning * into result;

  perform app_private.merge_customer_history(tenant, p.id, d.id);
  select s.* into p_stats from app_public.customer_stats s where s.tenant_id = tenant and s.customer_id = p.id;

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
    'added_visits', d_stats.visits,
    'added_spend', d_stats.spend,
    'total_visits', p_stats.visits,
    'total_spend', p_stats.spend,
    'last_visit_at', app_hidden.iso_utc(p_stats.last_visit_at)));
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
  elsif p.status = 'erased' or d.status = 'erased' then
    perform app_hidden.raise_error('ERASD', 'One of these customers was erased: it cannot be merged.');
  end if;
  m := app_hidden.merged_customer(p, d);
  result := row(m.display_name, m.email, m.phone, m.first_name, m.last_name, m.notes, m.tags, m.marketing_consent,
                (select sum(s.visits) from app_public.customer_stats s where s.tenant_id = tenant and s.customer_id in (p.id, d.id)),
                (select sum(s.spend) from app_public.customer_stats s where s.tenant_id = tenant and s.customer_id in (p.id, d.id)),
                (select max(s.last_visit_at) from app_public.customer_stats s where s.tenant_id = tenant and s.customer_id in (p.id, d.id)),
                (select count(*) from app_public.orders o where o.tenant_id = tenant and o.customer_id = d.id),
                (select count(*) from app_public.customer_notes n where n.tenant_id = tenant and n.customer_id = d.id),
                (select count(*) from app_public.customer_addresses a where a.tenant_id = tenant and a.customer_id = d.id));
  return result;
end;
$$;
comment on function app_public.preview_customer_merge(text, text) is
  'Shows what mergeCustomers would make of the two customers, without changing anything (needs customers.merge).';
--! EndIncluded customers/430-merge.sql
--! Included customers/440-search.sql
-- The type-ahead behind the POS customer button and the admin search box.
-- It must answer in a few milliseconds with 200,000 customers in a tenant, so every path is an
-- index scan of the customers_search_* indexes:
--   * prefixes (any length): btree text_pattern_ops on lower(display_name), lower(last_name),
--     email and phone, each read in pattern order (ORDER BY … USING ~<~) and stopped after 10;
--   * substrings (3 characters or more): the trigram GIN indexes, at most 10 rows.
-- Prefix matches rank first, then the rest, each by display name.
--
-- Why it is built the way it is (measured with 200,000 customers in one tenant):
--   * security definer: under row-level security PostgreSQL may not use LIKE (not leakproof) as
--     an index condition, so as the API role every query became a scan of the tenant's rows;
--   * the query text carries the patterns as literals (format %L): a LIKE with a parameter
--     cannot use a btree index;
--   * the substring lookup runs with sequential and plain index scans disabled: row-level
--     security (forced on the owner too) also hides the column statistics from the planner for
--     non-leakproof operators, so it guesses that thousands of rows match any pattern and scans
--     the table "until 10 are found" — 250 ms for a pattern that matches nothing.
-- It serves only the caller's tenant, and nothing without customers.view. Merged and erased
-- customers are never found (an erased one has no name, email or phone left to find it by).

/* Ids of up to 10 live customers of the tenant whose name or email contains `pattern`, or phone contains `phone_pattern`. */
create or replace function app_private.customers_containing(tenant_id text, pattern text, phone_pattern text)
returns setof text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
set enable_seqscan to off
set enable_indexscan to off
set enable_bitmapscan to on
as $$
begin
  return query execute format(
    'select c.id from app_public.customers c
     where c.tenant_id = $1 and c.status not in (''merged'', ''erased'')
       and (lower(c.display_name) like %L or c.email like %L%s)
     limit 10',
    pattern, pattern,
    case when phone_pattern is not null then format(' or c.phone like %L', phone_pattern) else '' end)
  using tenant_id;
end;
$$;
comment on function app_private.customers_containing(text, text, text) is 'Substring lookup of search_customers through the trigram indexes (LIKE patterns given escaped).';

/*
 * What a search for q matches, as LIKE patterns (escaped): the one reading of the search box,
 * shared by the type-ahead (search_customers: its best 10) and the customers export filtered by
 * a search (app_private.customer_search_predicate: every match). The term is trimmed, its white
 * space collapsed and lowered, at most 100 characters. prefix: the name, last name or email
 * starts with it; contains (from 3 characters): the name or email contains it. A term that looks
 * like a phone number also matches the stored E.164 form by its start (phone_prefix: "+…",
 * "00…", or a national number read with the business's calling code) and, from 3 characters and
 * 3 digits, anywhere (phone_contains). All null for an empty term.
 */
create or replace function app_private.customer_search_patterns(tenant_id text, q text,
  out prefix text, out contains text, out phone_prefix text, out phone_contains text)
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  term text := left(lower(btrim(regexp_replace(coalesce(q, ''), '\s+', ' ', 'g'))), 100);
  escaped text;
  digits text;
  calling_code text;
  national text;
  phone_part text;
begin
  if term = '' then
    return;
  end if;
  -- chr(92) is the backslash (written out: graphile-migrate's SQL minifier misreads '\').
  escaped := replace(replace(replace(term, chr(92), chr(92) || chr(92)), '%', chr(92) || '%'), '_', chr(92) || '_');
  prefix := escaped || '%';
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
      from app_public.tenants t where t.id = customer_search_patterns.tenant_id;
      national := case when calling_code = '39' then digits else ltrim(digits, '0') end;
      if calling_code is not null and national <> '' then
        phone_prefix := '+' || calling_code || national;
      end if;
      phone_part := national;
    end if;
    if length(phone_prefix) <= 1 then
      phone_prefix := null;
    end if;
  end if;
  if length(term) >= 3 then
    contains := '%' || escaped || '%';
    phone_contains := case when length(phone_part) >= 3 then '%' || phone_part || '%' end;
  end if;
end;
$$;
comment on function app_private.customer_search_patterns(text, text) is 'The LIKE patterns a customer search for q matches (prefix, contains, phone_prefix, phone_contains): shared by search_customers and the customers export.';

/*
 * The search. Prefix branches first, each reading its btree index in order and stopping at 10;
 * the substring lookup only from 3 characters and only when the prefixes found fewer than 10
 * customers (they rank first, so then the answer cannot change, and the substring lookup is the
 * slow path: the trigram indexes hold every tenant's customers, so its cost grows with the
 * whole database — 13.4 of 15.4 ms for 'mar' with 500,000 customers).
 *
 * Bitmap scans are off for the prefix branches: for a common prefix ('wil') the planner
 * estimated 2 rows and chose the trigram GIN index with a bitmap heap scan and a sort (3,530
 * index rows, 2,345 removed by recheck, 6.8 ms with 100,000 customers) instead of reading the
 * tenant's btree prefix index in order and stopping after 10 (0.04 ms). customers_containing
 * needs bitmap scans and turns them back on.
 */
create or replace function app_public.search_customers(q text) returns setof app_public.customers
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
set enable_bitmapscan to off
as $$
declare
  tenant text := app_hidden.customers_reader_tenant();
  p record;
  branches text[] := '{}';
  prefix_hits int;
  live constant text := 'c.tenant_id = $1 and c.status not in (''merged'', ''erased'')';
begin
  if tenant is null then
    return;
  end if;
  p := app_private.customer_search_patterns(tenant, q);
  if p.prefix is null then
    return;
  end if;

  branches := branches || format(
    '(select c.id, 1 as rank from app_public.customers c
      where %s and lower(c.display_name) like %L order by lower(c.display_name) using ~<~ limit 10)', live, p.prefix);
  branches := branches || format(
    '(select c.id, 2 from app_public.customers c
      where %s and lower(c.last_name) like %L order by lower(c.last_name) using ~<~ limit 10)', live, p.prefix);
  branches := branches || format(
    '(select c.id, 2 from app_public.customers c
      where %s and c.email like %L order by c.email using ~<~ limit 10)', live, p.prefix);

  -- Something that looks like a phone number: match the stored E.164 form.
  if p.phone_prefix is not null then
    branches := branches || format(
      '(select c.id, 2 from app_public.customers c
        where %s and c.phone like %L order by c.phone using ~<~ limit 10)', live, p.phone_prefix);
  end if;

  -- Substrings rank after every prefix match: when the prefixes alone give 10 customers, the
  -- substring lookup cannot change the answer, so it is skipped (it is the slow path).
  if p.contains is not null then
    execute format('select count(distinct h.id) from (%s) h', array_to_string(branches, ' union all '))
      into prefix_hits using tenant;
    if prefix_hits < 10 then
      branches := branches || format(
        '(select x.id, 3 from app_private.customers_containing($1, %L, %L) as x(id))', p.contains, p.phone_contains);
    end if;
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
comment on function app_public.search_customers(text) is
  E'@behavior +list -connection\n@listSuffix omit\nType-ahead search of the live customers (needs customers.view): at most 10 whose name, last name, email or phone starts with q, then (from 3 characters) those that contain it anywhere; case does not matter, and phone numbers match however they are typed (national or international).';

/*
 * The search as a condition on a customers row aliased c, for a set-based query that wants every
 * customer the search box finds (the customers export), not the type-ahead's best 10: the same
 * patterns (app_private.customer_search_patterns) on the same columns as search_customers and
 * customers_containing. 'true' for an empty q. The patterns are quoted literals, so that the
 * text can go into a COPY query (which takes no parameters).
 */
create or replace function app_private.customer_search_predicate(tenant_id text, q text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  p record := app_private.customer_search_patterns(tenant_id, q);
  parts text[];
begin
  if p.prefix is null then
    return 'true';
  end if;
  parts := array[format('lower(c.display_name) like %L', p.prefix), format('lower(c.last_name) like %L', p.prefix),
                 format('c.email like %L', p.prefix)];
  if p.phone_prefix is not null then
    parts := parts || format('c.phone like %L', p.phone_prefix);
  end if;
  if p.contains is not null then
    parts := parts || format('lower(c.display_name) like %L', p.contains) || format('c.email like %L', p.contains);
    if p.phone_contains is not null then
      parts := parts || format('c.phone like %L', p.phone_contains);
    end if;
  end if;
  return '(' || array_to_string(parts, ' or ') || ')';
end;
$$;
comment on function app_private.customer_search_predicate(text, text) is 'The customer search for q as an SQL condition on customers c (every match, not the best 10); ''true'' for an empty q.';
--! EndIncluded customers/440-search.sql
--! Included customers/460-timeline.sql
-- The timeline on the customer page, newest first. It is read from the
-- event log (created, merged, orders placed, voided and refunded), the audit rows (updated, archived,
-- restored, merged away: every change of the row, with the actor, including changes made
-- outside the commands) and the notes. The API role cannot read app_private, so this is a
-- security definer function that serves only the caller's tenant and needs customers.view; the
-- timeline itself is app_private.customer_timeline, with the tenant explicit, which the worker
-- also writes into a customer's data bundle (customers/495-data-requests.sql).

/* A changed field of a customer as the timeline names it ("Changed type, SMS consent"). */
create or replace function app_hidden.customer_field_label(field text) returns text
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select case field
    when 'customer_type_id' then 'type'
    when 'contact_email' then 'email consent'
    when 'contact_sms' then 'SMS consent'
    when 'contact_phone' then 'phone consent'
    when 'contact_email_source' then 'email consent source'
    when 'contact_sms_source' then 'SMS consent source'
    when 'contact_phone_source' then 'phone consent source'
    when 'do_not_contact' then 'do not contact'
    when 'best_contact_time' then 'best time to contact'
    when 'notes' then 'about this customer'
    else replace(field, '_', ' ') end;
$$;
comment on function app_hidden.customer_field_label(text) is 'How the customer timeline names a changed field.';

/* The strings of a JSON array (none for anything else, such as null). */
create or replace function app_hidden.jsonb_strings(value jsonb) returns text[]
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(array_agg(x order by x), '{}')
  from jsonb_array_elements_text(case when jsonb_typeof(value) = 'array' then value else '[]'::jsonb end) x;
$$;

/*
 * What a change of one field did, as the timeline says it: the tags added and removed ("tags
 * +vip −student"), the old and new value of a name, email or phone ("email ann@a.com →
 * ann@b.com", "phone set to +19175550190"), and the field's name alone for the rest (consents,
 * notes, type…).
 */
create or replace function app_hidden.customer_change_text(field text, change jsonb) returns text
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select case
    when field = 'tags' then
      'tags ' || coalesce(nullif(concat_ws(' ',
        (select string_agg('+' || t, ' ' order by t) from unnest(app_hidden.jsonb_strings(change -> 'new')) t
         where not t = any(app_hidden.jsonb_strings(change -> 'old'))),
        (select string_agg('−' || t, ' ' order by t) from unnest(app_hidden.jsonb_strings(change -> 'old')) t
         where not t = any(app_hidden.jsonb_strings(change -> 'new')))), ''), 'reordered')
    when field in ('first_name', 'last_name', 'email', 'phone') then
      case when change ->> 'old' is null then format('%s set to %s', app_hidden.customer_field_label(field), change ->> 'new')
           when change ->> 'new' is null then format('%s %s removed', app_hidden.customer_field_label(field), change ->> 'old')
           else format('%s %s → %s', app_hidden.customer_field_label(field), change ->> 'old', change ->> 'new') end
    else app_hidden.customer_field_label(field) end;
$$;
comment on function app_hidden.customer_change_text(text, jsonb) is 'How the customer timeline says what a change of one field did ("tags +vip −student", "email a → b").';

/* The timeline of a customer of a tenant, newest first (nothing for a null tenant). */
create or replace function app_private.customer_timeline(tenant_id text, customer_id text) returns setof app_public.customer_activity
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  with target as (
    select x.tenant_id as tenant, x.id, x.customer_number, app_private.tenant_currency(x.tenant_id) as currency
    from app_public.customers x where x.tenant_id = customer_timeline.tenant_id and x.id = customer_timeline.customer_id
  ),
  entries as (
    -- Lifecycle events of the customer: created, and merges into it.
    select e.occurred_at,
           case e.type when 'customer.created.v1' then 'created' else 'merged' end as kind,
           case e.type
             when 'customer.created.v1' then format('Customer %s created', e.payload ->> 'customer_number')
             else format('Merged customer %s into this one (%s orders, %s notes, %s addresses moved)',
                         e.payload ->> 'duplicate_customer_number',
                         jsonb_array_length(e.payload -> 'moved_order_ids'),
                         jsonb_array_length(e.payload -> 'moved_note_ids'),
                         jsonb_array_length(e.payload -> 'moved_address_ids')) end as summary,
           e.actor_user_id,
           case e.type when 'customer.created.v1' then e.aggregate_id else e.payload ->> 'merge_id' end as subject_id
    from target t
    join app_private.events e on e.tenant_id = t.tenant and e.aggregate_type = 'customer' and e.aggregate_id = t.id
    where e.type in ('customer.created.v1', 'customer.merged.v1')
    union all
    -- Changes of the row, from the audit trail (those made by a merge are told by the merge entry).
    select a.created_at,
           case
             when a.changes ? 'status' and a.changes -> 'status' ->> 'new' = 'erased' then 'erased'
             when a.changes ? 'data_access_request' then 'data_requested'
             when a.changes ? 'status' and a.changes -> 'status' ->> 'new' = 'archived' then 'archived'
             when a.changes ? 'status' and a.changes -> 'status' ->> 'new' = 'merged' then 'merged_into'
             when a.changes ? 'status' and a.changes -> 'status' ->> 'old' = 'archived' then 'restored'
             else 'updated' end,
           case
             when a.changes ? 'status' and a.changes -> 'status' ->> 'new' = 'erased' then 'Personal data erased on request'
             when a.changes ? 'data_access_request' then 'Their data was exported for them on request'
             when a.changes ? 'status' and a.changes -> 'status' ->> 'new' = 'archived' then 'Archived'
             when a.changes ? 'status' and a.changes -> 'status' ->> 'new' = 'merged' then
               format('Merged into customer %s', (select p.customer_number from app_public.customers p
                                                  where p.tenant_id = t.tenant and p.id = a.changes -> 'merged_into_id' ->> 'new'))
             when a.changes ? 'status' and a.changes -> 'status' ->> 'old' = 'archived' then 'Restored from the archive'
             else 'Changed ' || (select string_agg(app_hidden.customer_change_text(k, a.changes -> k), ', ' order by k)
                                 from jsonb_object_keys(a.changes) k where k not in ('display_name', 'marketing_consent_updated_at')) end,
           a.actor_user_id,
           a.entity_id
    from target t
    join app_public.audit_entries a on a.tenant_id = t.tenant and a.entity = 'customers' and a.entity_id = t.id
    where a.action = 'update'
      and not (a.changes ? 'merged_into_id' and not a.changes ? 'status')
      and not exists (select 1 from app_public.customer_merges m
                      where m.tenant_id = t.tenant and m.primary_id = t.id and m.created_at = a.created_at)
    union all
    -- Orders of the customer (and of customers merged into it); a sale at the time it was made (an
    -- import of a past sale is recorded now but happened then).
    select case when e.type = 'order.placed.v1' then coalesce((e.payload ->> 'placed_at')::timestamptz, e.occurred_at) else e.occurred_at end,
           case e.type when 'order.placed.v1' then 'order_placed' when 'order.refunded.v1' then 'order_refunded' else 'order_voided' end,
           case e.type
             when 'order.placed.v1' then format('Order of %s placed', app_hidden.format_money((e.payload ->> 'total')::bigint, t.currency))
             when 'order.refunded.v1' then format('%s refunded (%s): %s', app_hidden.format_money((e.payload ->> 'total')::bigint, t.currency),
               (select string_agg(format('%s × %s', l ->> 'quantity', l ->> 'name'), ', ' order by (l ->> 'line_no')::int)
                from jsonb_array_elements(e.payload -> 'lines') l), e.payload ->> 'reason')
             else format('Order of %s voided: %s', app_hidden.format_money((e.payload ->> 'total')::bigint, t.currency), e.payload ->> 'void_reason') end,
           e.actor_user_id,
           e.aggregate_id
    from target t
    join app_public.orders o on o.tenant_id = t.tenant and o.customer_id = any(app_private.customer_history_ids(t.tenant, t.id))
    join app_private.events e on e.tenant_id = t.tenant and e.aggregate_type = 'order' and e.aggregate_id = o.id
    where e.type in ('order.placed.v1', 'order.voided.v1', 'order.refunded.v1')
    union all
    -- Notes.
    select n.created_at, 'note',
           format('%s note: %s', initcap(n.category), left(n.body, 200) || case when length(n.body) > 200 then '…' else '' end),
           n.author_user_id, n.id
    from target t
    join app_public.customer_notes n on n.tenant_id = t.tenant and n.customer_id = t.id
  )
  select en.occurred_at, en.kind, en.summary, en.actor_user_id, u.name, en.subject_id
  from entries en
  left join app_public.users u on u.id = en.actor_user_id
  order by en.occurred_at desc, en.kind, en.subject_id desc;
$$;
comment on function app_private.customer_timeline(text, text) is 'The timeline of a customer of a tenant, newest first (customers_timeline for the API; the data bundle for the worker).';

create or replace function app_public.customers_timeline(c app_public.customers) returns setof app_public.customer_activity
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select * from app_private.customer_timeline(app_hidden.customers_reader_tenant(), c.id);
$$;
comment on function app_public.customers_timeline(app_public.customers) is
  'What happened to the customer, newest first: created, changed, archived, merged, erased, data exported on request, orders placed, voided and refunded, notes.';
--! EndIncluded customers/460-timeline.sql
--! Included customers/480-types-and-preferences.sql
-- Customer types and preferences. Types are rows of the tenant (walk-in, regular, VIP,
-- wholesale to start with, seeded by app_private.seed_tenant_customer_types): the business
-- renames them, adds its own, and deletes only those no customer has (TYPIU). Preferences say how
-- a customer likes to be contacted and served; do_not_contact overrides every channel, and
-- app_hidden.may_contact is the one answer exports and any campaign list ask. Every change is
-- audited on the customer (app_private.audit_customer_change), with the command that made it.

------------------------------------------------------------------------------------------------
-- Types

/* The four types every business starts with. */
create or replace function app_private.seed_tenant_customer_types(tenant text) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  insert into app_public.customer_types (tenant_id, key, label, position)
  values (tenant, 'walk_in', 'Walk-in', 1), (tenant, 'regular', 'Regular', 2),
         (tenant, 'vip', 'VIP', 3), (tenant, 'wholesale', 'Wholesale', 4)
  on conflict do nothing;
$$;

drop policy if exists select_with_permission on app_public.customer_types;
create policy select_with_permission on app_public.customer_types for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.view')));
revoke all on app_public.customer_types from :DATABASE_VISITOR;
grant select on app_public.customer_types to :DATABASE_VISITOR;

create or replace trigger _100_timestamps before insert or update on app_public.customer_types
  for each row execute function app_private.tg__timestamps();
create or replace trigger _500_audit after insert or update or delete on app_public.customer_types
  for each row execute function app_private.tg__audit('created_at', 'updated_at');

/* A type's label as stored: trimmed, 1 to 40 characters, unique in the business ignoring case (DUPLI). */
create or replace function app_private.assert_customer_type_label(tenant_id text, label text, except_id text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  clean text := app_hidden.assert_name('The type''s name', label, 40, 'label');
begin
  if exists (select 1 from app_public.customer_types t
             where t.tenant_id = assert_customer_type_label.tenant_id and lower(t.label) = lower(clean)
               and t.id is distinct from except_id) then
    perform app_hidden.raise_error('DUPLI', format('There is already a customer type called "%s".', clean), field => 'label');
  end if;
  return clean;
end;
$$;

create or replace function app_public.create_customer_type(label text) returns app_public.customer_types
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  result app_public.customer_types;
begin
  insert into app_public.customer_types (tenant_id, label, position)
  values (tenant, app_private.assert_customer_type_label(tenant, label, null),
          (select coalesce(max(t.position), 0) + 1 from app_public.customer_types t where t.tenant_id = tenant))
  returning * into result;
  return result;
end;
$$;
comment on function app_public.create_customer_type(text) is 'Adds a customer type (needs settings.update); names are unique in the business (DUPLI).';

create or replace function app_public.rename_customer_type(id text, label text) returns app_public.customer_types
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  result app_public.customer_types;
begin
  update app_public.customer_types t set label = app_private.assert_customer_type_label(tenant, rename_customer_type.label, rename_customer_type.id)
  where t.tenant_id = tenant and t.id = rename_customer_type.id
  returning * into result;
  if result.id is null then
    perform app_hidden.raise_error('NOTFD', format('There is no customer type %s.', coalesce(left(rename_customer_type.id, 40), '(none given)')));
  end if;
  return result;
end;
$$;
comment on function app_public.rename_customer_type(text, text) is 'Renames a customer type (needs settings.update); customers keep it.';

create or replace function app_public.delete_customer_type(id text) returns app_public.customer_types
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  used int;
  result app_public.customer_types;
begin
  select t.* into result from app_public.customer_types t
  where t.tenant_id = tenant and t.id = delete_customer_type.id
  for update;
  if result.id is null then
    perform app_hidden.raise_error('NOTFD', format('There is no customer type %s.', coalesce(left(delete_customer_type.id, 40), '(none given)')));
  end if;
  -- Archived customers keep their type; merged ones have none (their survivor took it).
  select count(*) into used from app_public.customers c where c.tenant_id = tenant and c.customer_type_id = result.id;
  if used > 0 then
    perform app_hidden.raise_error('TYPIU', format('"%s" is the type of %s customer%s; give them another type first, or rename it.',
      result.label, used, case when used = 1 then '' else 's' end), result.id);
  end if;
  delete from app_public.customer_types t where t.tenant_id = tenant and t.id = result.id;
  return result;
end;
$$;
comment on function app_public.delete_customer_type(text) is 'Deletes a customer type no customer has (needs settings.update; TYPIU while in use).';

/* Sets or clears (null) a customer's type (needs customers.update); audited on the customer. */
create or replace function app_public.set_customer_type(customer_id text, customer_type_id text) returns app_public.customers
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.update');
  cur app_public.customers := app_private.live_customer_for_change(tenant, customer_id);
  result app_public.customers;
begin
  if customer_type_id is not null and not exists (
      select 1 from app_public.customer_types t where t.tenant_id = tenant and t.id = set_customer_type.customer_type_id) then
    perform app_hidden.raise_error('NOTFD', format('There is no customer type %s.', left(customer_type_id, 40)), field => 'customer_type_id');
  end if;
  if cur.customer_type_id is not distinct from customer_type_id then
    return cur;
  end if;
  update app_public.customers c set customer_type_id = set_customer_type.customer_type_id
  where c.tenant_id = tenant and c.id = cur.id
  returning * into result;
  return result;
end;
$$;
comment on function app_public.set_customer_type(text, text) is 'Gives a customer a type, or none with null (needs customers.update).';

/* The live customer a command changes, locked; NOTFD, CMRGD or ERASD otherwise. */
create or replace function app_private.live_customer_for_change(tenant_id text, customer_id text) returns app_public.customers
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  cur app_public.customers;
begin
  select c.* into cur from app_public.customers c
  where c.tenant_id = live_customer_for_change.tenant_id and c.id = live_customer_for_change.customer_id
  for no key update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.', coalesce(left(customer_id, 40), '(none given)')));
  end if;
  if cur.status = 'merged' then
    perform app_hidden.raise_error('CMRGD', 'This customer was merged into another one; change that customer instead.', cur.merged_into_id);
  elsif cur.status = 'erased' then
    perform app_hidden.raise_error('ERASD', 'This customer''s personal data was erased: it cannot be changed.', cur.id);
  end if;
  return cur;
end;
$$;

------------------------------------------------------------------------------------------------
-- Preferences

/* An audit entry on the customer for a change kept in another table (preferences, channels, favourites). */
create or replace function app_private.audit_customer_change(tenant_id text, customer_id text, changes jsonb) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  insert into app_public.audit_entries (tenant_id, entity, entity_id, action, actor_user_id, changes, command, reason)
  select audit_customer_change.tenant_id, 'customers', audit_customer_change.customer_id, 'update',
         app_hidden.current_user_id(), changes,
         nullif(current_setting('app.change_command', true), ''), nullif(current_setting('app.change_reason', true), '')
  where changes <> '{}'::jsonb;
$$;

drop policy if exists select_with_permission on app_public.customer_preferences;
create policy select_with_permission on app_public.customer_preferences for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.view')));
revoke all on app_public.customer_preferences from :DATABASE_VISITOR;
grant select on app_public.customer_preferences to :DATABASE_VISITOR;

drop policy if exists select_with_permission on app_public.customer_contact_channels;
create policy select_with_permission on app_public.customer_contact_channels for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.view')));
revoke all on app_public.customer_contact_channels from :DATABASE_VISITOR;
grant select on app_public.customer_contact_channels to :DATABASE_VISITOR;

drop policy if exists select_with_permission on app_public.customer_favourite_items;
create policy select_with_permission on app_public.customer_favourite_items for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.view')));
revoke all on app_public.customer_favourite_items from :DATABASE_VISITOR;
grant select on app_public.customer_favourite_items to :DATABASE_VISITOR;

create or replace trigger _100_timestamps before insert or update on app_public.customer_preferences
  for each row execute function app_private.tg__timestamps();

/*
 * Sets a customer's preferences (needs customers.update). Null leaves a field as it is; an
 * empty string clears preferredPayment, bestContactTime or language. BADIN with the field for
 * a value not offered. Audited on the customer with exactly what changed.
 */
create or replace function app_public.set_customer_preferences(
  customer_id text, do_not_contact boolean default null, preferred_payment text default null,
  best_contact_time text default null, language text default null)
returns app_public.customer_preferences
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.update');
  c app_public.customers := app_private.live_customer_for_change(tenant, customer_id);
  cur app_public.customer_preferences;
  nxt app_public.customer_preferences;
  result app_public.customer_preferences;
begin
  insert into app_public.customer_preferences (tenant_id, customer_id) values (tenant, c.id) on conflict do nothing;
  select p.* into cur from app_public.customer_preferences p where p.tenant_id = tenant and p.customer_id = c.id for update;
  nxt := cur;
  nxt.do_not_contact := coalesce(set_customer_preferences.do_not_contact, cur.do_not_contact);
  if preferred_payment is not null then
    nxt.preferred_payment := nullif(btrim(lower(preferred_payment)), '');
    if nxt.preferred_payment not in ('cash', 'card') then
      perform app_hidden.raise_error('BADIN', 'Preferred payment: cash or card.', field => 'preferred_payment');
    end if;
  end if;
  if best_contact_time is not null then
    nxt.best_contact_time := nullif(btrim(lower(best_contact_time)), '');
    if nxt.best_contact_time not in ('morning', 'afternoon', 'evening', 'anytime') then
      perform app_hidden.raise_error('BADIN', 'Best time to contact: morning, afternoon, evening or anytime.', field => 'best_contact_time');
    end if;
  end if;
  if language is not null then
    nxt.language := app_hidden.language_tag('Language', language, 'language');
  end if;
  if (nxt.do_not_contact, nxt.preferred_payment, nxt.best_contact_time, nxt.language)
     is not distinct from (cur.do_not_contact, cur.preferred_payment, cur.best_contact_time, cur.language) then
    return cur;  -- nothing changed: nothing written, updated_at kept
  end if;
  update app_public.customer_preferences p set
    do_not_contact = nxt.do_not_contact, preferred_payment = nxt.preferred_payment,
    best_contact_time = nxt.best_contact_time, language = nxt.language
  where p.tenant_id = tenant and p.customer_id = c.id
  returning * into result;
  perform app_private.audit_customer_change(tenant, c.id,
    app_hidden.jsonb_diff(to_jsonb(cur), to_jsonb(result), array['tenant_id', 'customer_id', 'created_at', 'updated_at']));
  return result;
end;
$$;
comment on function app_public.set_customer_preferences(text, boolean, text, text, text) is
  'Sets how a customer likes to be contacted and served (needs customers.update): doNotContact, preferredPayment (cash, card), bestContactTime (morning, afternoon, evening, anytime), language (a BCP 47 tag). Null leaves a field; an empty string clears it.';

/*
 * Records that the customer agreed to (allowed) or refused a contact channel — email, sms or
 * phone — with where they said so (source: pos, admin, online, import, other) and now as the
 * time (needs customers.update). Audited on the customer.
 */
create or replace function app_public.set_customer_contact_channel(customer_id text, channel text, allowed boolean, source text default 'admin')
returns app_public.customer_contact_channels
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
declare
  tenant text := app_hidden.assert_customers_permission('customers.update');
  c app_public.customers := app_private.live_customer_for_change(tenant, set_customer_contact_channel.customer_id);
  cur app_public.customer_contact_channels;
  result app_public.customer_contact_channels;
begin
  channel := lower(btrim(channel));
  if channel is null or channel not in ('email', 'sms', 'phone') then
    perform app_hidden.raise_error('BADIN', 'Channel: email, sms or phone.', field => 'channel');
  elsif allowed is null then
    perform app_hidden.raise_error('BADIN', 'Say whether the customer agreed to this channel.', field => 'allowed');
  end if;
  source := app_hidden.assert_consent_source(coalesce(source, 'admin'), field => 'source');
  select x.* into cur from app_public.customer_contact_channels x
  where x.tenant_id = tenant and x.customer_id = c.id and x.channel = set_customer_contact_channel.channel;
  if cur.allowed is not distinct from allowed and cur.source is not distinct from source then
    return cur;
  end if;
  insert into app_public.customer_contact_channels as x (tenant_id, customer_id, channel, allowed, source, recorded_at, recorded_by)
  values (tenant, c.id, channel, allowed, source, now(), app_hidden.current_user_id())
  on conflict (tenant_id, customer_id, channel) do update set
    allowed = excluded.allowed, source = excluded.source, recorded_at = excluded.recorded_at, recorded_by = excluded.recorded_by
  returning * into result;
  -- Only what changed, named per channel (an SMS source change is not an email one).
  perform app_private.audit_customer_change(tenant, c.id, app_hidden.jsonb_diff(
    jsonb_build_object('contact_' || channel, cur.allowed, 'contact_' || channel || '_source', cur.source),
    jsonb_build_object('contact_' || channel, result.allowed, 'contact_' || channel || '_source', result.source)));
  return result;
end;
$$;
comment on function app_public.set_customer_contact_channel(text, text, boolean, text) is
  'Records that a customer agreed to or refused being contacted by email, sms or phone, and where they said so (needs customers.update).';

/* Adds a catalog item to a customer's favourites (needs customers.update; at most 20). */
create or replace function app_public.add_customer_favourite_item(customer_id text, catalog_item_id text)
returns app_public.customer_favourite_items
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.update');
  c app_public.customers := app_private.live_customer_for_change(tenant, customer_id);
  item app_public.catalog_items;
  result app_public.customer_favourite_items;
begin
  select i.* into item from app_public.catalog_items i where i.tenant_id = tenant and i.id = add_customer_favourite_item.catalog_item_id;
  if item.id is null then
    perform app_hidden.raise_error('NOTFD', format('There is no catalog item %s.', coalesce(left(catalog_item_id, 40), '(none given)')), field => 'catalog_item_id');
  end if;
  select f.* into result from app_public.customer_favourite_items f
  where f.tenant_id = tenant and f.customer_id = c.id and f.catalog_item_id = item.id;
  if found then
    return result;
  end if;
  if (select count(*) from app_public.customer_favourite_items f where f.tenant_id = tenant and f.customer_id = c.id) >= 20 then
    perform app_hidden.raise_error('BADIN', 'A customer can have at most 20 favourite items.', field => 'catalog_item_id');
  end if;
  insert into app_public.customer_favourite_items (tenant_id, customer_id, catalog_item_id)
  values (tenant, c.id, item.id)
  returning * into result;
  perform app_private.audit_customer_change(tenant, c.id,
    jsonb_build_object('favourite_items', jsonb_build_object('old', null, 'new', '+' || item.name)));
  return result;
end;
$$;
comment on function app_public.add_customer_favourite_item(text, text) is 'Adds a catalog item to a customer''s favourites (needs customers.update; at most 20).';

create or replace function app_public.remove_customer_favourite_item(customer_id text, catalog_item_id text)
returns app_public.customer_favourite_items
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.update');
  c app_public.customers := app_private.live_customer_for_change(tenant, customer_id);
  result app_public.customer_favourite_items;
begin
  delete from app_public.customer_favourite_items f
  where f.tenant_id = tenant and f.customer_id = c.id and f.catalog_item_id = remove_customer_favourite_item.catalog_item_id
  returning * into result;
  if result.catalog_item_id is null then
    perform app_hidden.raise_error('NOTFD', 'That item is not one of this customer''s favourites.', field => 'catalog_item_id');
  end if;
  perform app_private.audit_customer_change(tenant, c.id, jsonb_build_object('favourite_items', jsonb_build_object('old',
    '−' || (select i.name from app_public.catalog_items i where i.tenant_id = tenant and i.id = result.catalog_item_id), 'new', null)));
  return result;
end;
$$;
comment on function app_public.remove_customer_favourite_item(text, text) is 'Removes a catalog item from a customer''s favourites (needs customers.update).';

------------------------------------------------------------------------------------------------
-- Who may be contacted

/*
 * Whether the business may contact a customer by a channel: never when do_not_contact; else
 * only when the customer agreed to that channel (consent is asked, not assumed) and has the
 * detail it needs (an email for email, a phone for sms and phone). The one rule exports and
 * campaign lists use.
 */
create or replace function app_hidden.contact_allowed(do_not_contact boolean, channel_allowed boolean, has_detail boolean, status text)
returns boolean
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select not coalesce(do_not_contact, false) and coalesce(channel_allowed, false) and coalesce(has_detail, false)
     and status = 'active';
$$;
comment on function app_hidden.contact_allowed(boolean, boolean, boolean, text) is 'The contact rule on its inputs (app_hidden.may_contact reads them; exports join them set-based).';

create or replace function app_hidden.may_contact(tenant_id text, customer_id text, channel text) returns boolean
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce((
    select app_hidden.contact_allowed(p.do_not_contact, x.allowed,
             case may_contact.channel when 'email' then c.email is not null else c.phone is not null end, c.status)
    from app_public.customers c
    left join app_public.customer_preferences p on p.tenant_id = c.tenant_id and p.customer_id = c.id
    left join app_public.customer_contact_channels x
      on x.tenant_id = c.tenant_id and x.customer_id = c.id and x.channel = may_contact.channel
    where c.tenant_id = may_contact.tenant_id and c.id = may_contact.customer_id), false);
$$;
comment on function app_hidden.may_contact(text, text, text) is 'Whether a customer may be contacted by email, sms or phone: agreed to, has the detail, active, and not do-not-contact.';

create or replace function app_public.customers_may_contact(c app_public.customers, channel text) returns boolean
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select app_hidden.may_contact(c.tenant_id, c.id, channel);
$$;
comment on function app_public.customers_may_contact(app_public.customers, text) is
  E'@notNull\nWhether the business may contact the customer by this channel (email, sms or phone) now: agreed to, has the detail, and not do-not-contact.';
--! EndIncluded customers/480-types-and-preferences.sql
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
  E'@resultFieldName dataExport\nAnswers a customer''s request for their data (needs customers.erase): the worker writes a zip of everything held about them (customer.json, orders.csv, order-lines.csv, timeline.csv). The reason is required and kept in the audit log. Poll the returned row until its status is done, then download its downloadUrl (kept 7 days). NOTFD, CMRGD (answer on the customer it was merged into), ERASD.';
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
    'customer', (to_jsonb(c) - 'tenant_id' - 'customer_type_id') || jsonb_build_object(
      'type', (select ty.label from app_public.customer_types ty where ty.tenant_id = c.tenant_id and ty.id = c.customer_type_id)),
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
    changes = case when a.entity in ('customers', 'customer_notes', 'customer_addresses', 'customer_merges')
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
