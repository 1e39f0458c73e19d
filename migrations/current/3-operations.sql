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
