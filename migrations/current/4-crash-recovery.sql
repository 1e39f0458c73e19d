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
