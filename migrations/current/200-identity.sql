-- 200-identity: tenants, their locations and roles, users, memberships and sessions, and the
-- helpers every policy uses to know who is asking. Sessions are rows with a secret id; the
-- server puts only that secret in the request settings (app.session_id) and everything else
-- (user, tenant, permissions) is derived here, never taken from the client.

/* The permissions a tenant role may carry. */
create function app_hidden.all_permissions() returns text[]
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

/* Raises BADTZ unless the name is an IANA time zone PostgreSQL knows. */
create function app_hidden.assert_valid_timezone(tz text) returns void
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if tz is null or not exists (select 1 from pg_catalog.pg_timezone_names where name = tz) then
    perform app_hidden.raise_error('BADTZ', format('"%s" is not a time zone we know; use an IANA name such as Europe/Paris or America/New_York.', coalesce(tz, '')));
  end if;
end;
$$;

/* Raises BADIN with a message naming the field unless the text is 1..max_length characters after trimming. */
create function app_hidden.assert_name(field text, value text, max_length int default 200) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if value is null or btrim(value) = '' then
    perform app_hidden.raise_error('BADIN', format('%s is required.', field));
  elsif length(btrim(value)) > max_length then
    perform app_hidden.raise_error('BADIN', format('%s must be at most %s characters.', field, max_length));
  elsif value ~ '[\x01-\x1f\x7f]' then
    perform app_hidden.raise_error('BADIN', format('%s must not contain control characters.', field));
  end if;
  return btrim(value);
end;
$$;

------------------------------------------------------------------------------------------------
-- Tenants

create table app_public.tenants (
  id text primary key default public.gen_ulid(),
  name text not null check (length(name) between 1 and 200),
  status text not null default 'active' check (status in ('active', 'suspended', 'closed')),
  billing_customer_id text unique,
  default_country text not null default 'US' check (default_country ~ '^[A-Z]{2}$'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
select app_private.secure_table('app_public.tenants');
comment on table app_public.tenants is 'A business using Backoffice. Every tenant-owned row belongs to exactly one tenant.';
comment on column app_public.tenants.name is 'The business name shown in the admin.';
comment on column app_public.tenants.status is 'active, suspended (unpaid: read-only billing access) or closed.';
comment on column app_public.tenants.billing_customer_id is 'The Stripe customer id of this tenant.';
comment on column app_public.tenants.default_country is 'ISO 3166 country used to read phone numbers written without a country code.';
create trigger _100_timestamps before insert or update on app_public.tenants
  for each row execute function app_private.tg__timestamps();

------------------------------------------------------------------------------------------------
-- Users: global (one person may work for several tenants). Secrets live in app_private.

create table app_public.users (
  id text primary key default public.gen_ulid(),
  email citext not null unique check (email ~ '^[^\s@]+@[^\s@]+\.[^\s@]+$' and length(email) <= 254),
  name text not null check (length(name) between 1 and 200),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
select app_private.secure_table('app_public.users');
comment on table app_public.users is 'A person who signs in to the admin.';
comment on column app_public.users.email is 'Sign-in email, unique across Backoffice.';
create trigger _100_timestamps before insert or update on app_public.users
  for each row execute function app_private.tg__timestamps();

create table app_private.user_secrets (
  user_id text primary key references app_public.users on delete cascade,
  password_hash text not null,
  failed_login_attempts int not null default 0,
  first_failed_login_at timestamptz,
  locked_until timestamptz
);
select app_private.secure_table('app_private.user_secrets');
comment on table app_private.user_secrets is 'Password hash (bcrypt) and the failed sign-in counter behind the lockout.';

------------------------------------------------------------------------------------------------
-- Roles and memberships

create table app_public.roles (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  key text not null check (key ~ '^[a-z][a-z0-9_]{0,39}$'),
  name text not null check (length(name) between 1 and 100),
  permissions text[] not null default '{}' check (permissions <@ app_hidden.all_permissions()),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, key)
);
select app_private.secure_table('app_public.roles');
comment on table app_public.roles is 'A role inside a tenant (owner, manager, cashier) and the permissions it carries.';
comment on column app_public.roles.permissions is 'Permissions such as customers.merge or reports.export.';
create trigger _100_timestamps before insert or update on app_public.roles
  for each row execute function app_private.tg__timestamps();

create table app_public.memberships (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  user_id text not null references app_public.users on delete cascade,
  role_id text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, user_id),
  foreign key (tenant_id, role_id) references app_public.roles (tenant_id, id)
);
create index memberships_user_id_idx on app_public.memberships (user_id);
create index memberships_role_idx on app_public.memberships (tenant_id, role_id);
select app_private.secure_table('app_public.memberships');
comment on table app_public.memberships is 'A user working for a tenant, with one role there.';
create trigger _100_timestamps before insert or update on app_public.memberships
  for each row execute function app_private.tg__timestamps();

------------------------------------------------------------------------------------------------
-- Sessions

create table app_private.sessions (
  id uuid primary key default gen_random_uuid(),
  user_id text not null references app_public.users on delete cascade,
  active_tenant_id text references app_public.tenants on delete set null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null default now() + interval '14 days'
);
create index sessions_user_id_idx on app_private.sessions (user_id);
create index sessions_active_tenant_id_idx on app_private.sessions (active_tenant_id);
select app_private.secure_table('app_private.sessions');
comment on table app_private.sessions is 'Signed-in sessions. The id is the secret in the session cookie; active_tenant_id is the tenant the user works in.';

------------------------------------------------------------------------------------------------
-- Who is asking. Everything is derived from the secret session id in the request settings.

/* The session id from the request settings, or null when absent or malformed. */
create function app_hidden.current_session_id() returns uuid
language sql stable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select case when s ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
              then s::uuid end
  from (select current_setting('app.session_id', true) as s) as setting;
$$;
comment on function app_hidden.current_session_id() is 'The secret session id of this request, if any.';

create function app_hidden.current_user_id() returns text
language sql stable security definer parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select s.user_id from app_private.sessions s
  where s.id = app_hidden.current_session_id() and s.expires_at > now();
$$;
comment on function app_hidden.current_user_id() is 'The signed-in user, from an unexpired session.';

create function app_hidden.current_tenant_id() returns text
language sql stable security definer parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select s.active_tenant_id
  from app_private.sessions s
  join app_public.memberships m on m.tenant_id = s.active_tenant_id and m.user_id = s.user_id
  where s.id = app_hidden.current_session_id() and s.expires_at > now();
$$;
comment on function app_hidden.current_tenant_id() is 'The tenant the signed-in user works in, while they are still a member of it.';

create function app_hidden.current_permissions() returns text[]
language sql stable security definer parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(r.permissions, '{}')
  from app_private.sessions s
  join app_public.memberships m on m.tenant_id = s.active_tenant_id and m.user_id = s.user_id
  join app_public.roles r on r.tenant_id = m.tenant_id and r.id = m.role_id
  where s.id = app_hidden.current_session_id() and s.expires_at > now();
$$;
comment on function app_hidden.current_permissions() is 'Permissions of the signed-in user in the current tenant.';

create function app_hidden.has_permission(permission text) returns boolean
language sql stable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(permission = any(app_hidden.current_permissions()), false);
$$;
comment on function app_hidden.has_permission(text) is 'Whether the signed-in user holds this permission in the current tenant.';

/* Raises LOGIN without a session in a tenant, TSUSP when it is suspended, DNIED without the permission; returns the tenant id. */
create function app_hidden.assert_permission(permission text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.current_tenant_id();
begin
  if tenant is null then
    perform app_hidden.raise_error('LOGIN', 'Please sign in to continue.');
  end if;
  -- A suspended business may only read and pay (TSUSP; 590-suspension.sql).
  perform app_hidden.assert_tenant_active();
  if not app_hidden.has_permission(permission) then
    perform app_hidden.raise_error('DNIED', format('Your role does not allow this (it needs the %s permission).', permission));
  end if;
  return tenant;
end;
$$;

/* Tenants the signed-in user belongs to (for the tenant switcher). */
create function app_hidden.current_user_tenant_ids() returns setof text
language sql stable security definer parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select m.tenant_id from app_public.memberships m where m.user_id = app_hidden.current_user_id();
$$;

/* (tenant, role) of each membership of the signed-in user. */
create function app_hidden.current_user_roles() returns table (tenant_id text, role_id text)
language sql stable security definer parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select m.tenant_id, m.role_id from app_public.memberships m where m.user_id = app_hidden.current_user_id();
$$;

------------------------------------------------------------------------------------------------
-- Locations

create table app_public.locations (
  tenant_id text not null default app_hidden.current_tenant_id() references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  name text not null check (length(name) between 1 and 200),
  timezone text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, name)
);
select app_private.secure_table('app_public.locations');
comment on table app_public.locations is E'@unique id\nA shop of the tenant. Business dates are dates in its time zone.';
comment on column app_public.locations.tenant_id is '@behavior -*';
comment on constraint locations_pkey on app_public.locations is '@behavior -single -update -delete';
comment on column app_public.locations.name is 'Name of the shop, unique in the tenant.';
comment on column app_public.locations.timezone is 'IANA time zone of the shop, such as Europe/Paris.';

create function app_private.tg_locations__validate() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  new.name := app_hidden.assert_name('Location name', new.name);
  perform app_hidden.assert_valid_timezone(new.timezone);
  if exists (select 1 from app_public.locations l
             where l.tenant_id = new.tenant_id and l.name = new.name and l.id <> new.id) then
    perform app_hidden.raise_error('DUPNM', format('There is already a location named "%s".', new.name));
  end if;
  return new;
end;
$$;
create trigger _050_validate before insert or update on app_public.locations
  for each row execute function app_private.tg_locations__validate();
create trigger _100_timestamps before insert or update on app_public.locations
  for each row execute function app_private.tg__timestamps();

------------------------------------------------------------------------------------------------
-- Policies and grants

create policy select_member on app_public.tenants for select to :DATABASE_VISITOR
  using (id in (select app_hidden.current_user_tenant_ids()));
create policy update_with_permission on app_public.tenants for update to :DATABASE_VISITOR
  using (id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.update'));
grant select on app_public.tenants to :DATABASE_VISITOR;
grant update (name, default_country) on app_public.tenants to :DATABASE_VISITOR;

create policy select_self_and_colleagues on app_public.users for select to :DATABASE_VISITOR
  using (id = (select app_hidden.current_user_id())
         or id in (select m.user_id from app_public.memberships m where m.tenant_id = (select app_hidden.current_tenant_id())));
create policy update_self on app_public.users for update to :DATABASE_VISITOR
  using (id = (select app_hidden.current_user_id()));
grant select on app_public.users to :DATABASE_VISITOR;
grant update (name) on app_public.users to :DATABASE_VISITOR;

create policy select_own_tenant on app_public.roles for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));
-- The user's own role in each of their businesses (the tenant switcher shows it).
create policy select_own_memberships on app_public.roles for select to :DATABASE_VISITOR
  using ((tenant_id, id) in (select * from app_hidden.current_user_roles()));
grant select on app_public.roles to :DATABASE_VISITOR;

create policy select_own_and_tenant on app_public.memberships for select to :DATABASE_VISITOR
  using (user_id = (select app_hidden.current_user_id()) or tenant_id = (select app_hidden.current_tenant_id()));
grant select on app_public.memberships to :DATABASE_VISITOR;

create policy select_own_tenant on app_public.locations for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));
create policy insert_with_permission on app_public.locations for insert to :DATABASE_VISITOR
  with check (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.update'));
create policy update_with_permission on app_public.locations for update to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.update'));
grant select on app_public.locations to :DATABASE_VISITOR;
grant insert (name, timezone), update (name, timezone) on app_public.locations to :DATABASE_VISITOR;

-- Smart tags that shape the API (grants and RLS above are the security).
comment on column app_public.roles.tenant_id is '@behavior -*';
comment on constraint roles_pkey on app_public.roles is '@behavior -single -update -delete';
comment on table app_public.roles is E'@unique id\nA role inside a tenant (owner, manager, cashier) and the permissions it carries.';
comment on column app_public.memberships.tenant_id is E'@behavior -filterBy -orderBy -insert -update';
comment on constraint memberships_pkey on app_public.memberships is '@behavior -single -update -delete';
comment on table app_public.memberships is E'@unique id\nA user working for a tenant, with one role there.';
comment on constraint memberships_tenant_id_fkey on app_public.memberships is E'@fieldName tenant\n@foreignFieldName memberships';
comment on constraint memberships_tenant_id_role_id_fkey on app_public.memberships is E'@fieldName role\n@foreignFieldName memberships';
comment on constraint memberships_user_id_fkey on app_public.memberships is E'@fieldName user\n@foreignFieldName memberships';
comment on constraint locations_tenant_id_name_key on app_public.locations is '@behavior -single -update -delete';
comment on constraint tenants_billing_customer_id_key on app_public.tenants is '@behavior -single -update -delete';
comment on constraint users_email_key on app_public.users is '@behavior -single -update -delete';
comment on constraint roles_tenant_id_key_key on app_public.roles is '@behavior -single -update -delete';
comment on constraint memberships_tenant_id_user_id_key on app_public.memberships is '@behavior -single -update -delete';
