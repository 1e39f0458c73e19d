-- 590-suspension: a suspended (or closed) business keeps its sessions, but its work is refused
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
create function app_hidden.assert_tenant_active() returns boolean
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
create function app_hidden.current_suspended_tenant_id() returns text
language sql stable security definer parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select t.id from app_public.tenants t where t.id = app_hidden.current_tenant_id() and t.status <> 'active';
$$;
comment on function app_hidden.current_suspended_tenant_id() is 'The current tenant while it is suspended or closed, else null.';

/* Policy helper: raises TSUSP (volatile, so that the planner never evaluates it ahead of a row). */
create function app_hidden.tenant_suspended_error() returns boolean
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
create function app_private.enforce_active_tenant(tbl regclass) returns void
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

/* Tenant-owned tables a suspended business may still read: identity and billing state. */
create function app_private.suspension_exempt_tables() returns regclass[]
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select array[
    'app_public.memberships', 'app_public.roles',
    'app_public.billing_subscriptions', 'app_public.billing_invoices',
    'app_public.billing_notices', 'app_public.billing_requests'
  ]::regclass[];
$$;

do $$
declare
  tbl regclass;
begin
  for tbl in
    select c.oid::regclass
    from pg_catalog.pg_class c
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where n.nspname in ('app_public', 'reporting') and c.relkind in ('r', 'p')
      and exists (select 1 from pg_catalog.pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped)
      and not c.oid::regclass = any(app_private.suspension_exempt_tables())
    order by 1
  loop
    perform app_private.enforce_active_tenant(tbl);
  end loop;
end;
$$;

-- The tenant row stays readable (the admin shows the suspended page from it), not writable.
create policy active_tenant_only on app_public.tenants as restrictive for update to :DATABASE_VISITOR
  using (case when id is distinct from (select app_hidden.current_suspended_tenant_id()) then true
              else app_hidden.tenant_suspended_error() end);
