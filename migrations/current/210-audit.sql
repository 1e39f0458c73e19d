-- 210-audit: who changed what. A generic trigger writes one row per change with the actor and
-- a field-by-field diff computed in SQL (app_hidden.jsonb_diff); an update that changes
-- nothing but timestamps writes nothing. Attached to every table whose changes matter.

create table app_public.audit_entries (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  entity text not null,
  entity_id text not null,
  action text not null check (action in ('insert', 'update', 'delete')),
  actor_user_id text references app_public.users on delete set null,
  changes jsonb not null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id)
);
create index audit_entries_entity_idx on app_public.audit_entries (tenant_id, entity, entity_id, created_at);
create index audit_entries_actor_idx on app_public.audit_entries (actor_user_id);
select app_private.secure_table('app_public.audit_entries');
comment on table app_public.audit_entries is E'@unique id\nAudit trail: one row per change of an audited row, with who made it and what changed.';
comment on column app_public.audit_entries.tenant_id is '@behavior -*';
comment on constraint audit_entries_pkey on app_public.audit_entries is '@behavior -single -update -delete';
comment on constraint audit_entries_actor_user_id_fkey on app_public.audit_entries is E'@fieldName actor\n@foreignFieldName auditEntries';
comment on column app_public.audit_entries.entity is 'Table of the changed row, such as customers or tenants.';
comment on column app_public.audit_entries.entity_id is 'Id of the changed row.';
comment on column app_public.audit_entries.changes is 'For each changed field: {"old": …, "new": …}.';
comment on column app_public.audit_entries.actor_user_id is 'Who made the change; null when the system did (worker, webhooks).';

create policy select_with_permission on app_public.audit_entries for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.view'));
grant select on app_public.audit_entries to :DATABASE_VISITOR;

/*
 * Trigger: writes an audit entry. Arguments name fields left out of the diff (timestamps).
 * The tenant is the row's tenant_id, or the row's own id for the tenants table.
 */
create function app_private.tg__audit() returns trigger
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
  insert into app_public.audit_entries (tenant_id, entity, entity_id, action, actor_user_id, changes)
  values (
    case when tg_table_name = 'tenants' then row_data ->> 'id' else row_data ->> 'tenant_id' end,
    tg_table_name,
    row_data ->> 'id',
    lower(tg_op),
    app_hidden.current_user_id(),
    diff
  );
  return null;
end;
$$;
comment on function app_private.tg__audit() is 'Trigger: one audit entry per change, with the field-by-field diff.';

create trigger _500_audit after insert or update on app_public.tenants
  for each row execute function app_private.tg__audit('created_at', 'updated_at');
create trigger _500_audit after insert or update or delete on app_public.locations
  for each row execute function app_private.tg__audit('created_at', 'updated_at');
create trigger _500_audit after insert or update or delete on app_public.memberships
  for each row execute function app_private.tg__audit('created_at', 'updated_at');
