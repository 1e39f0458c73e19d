-- 220-auth: creating a business, signing in and out, and moving between tenants.
-- onboard/login/logout live in app_hidden: the server calls them and keeps the session secret
-- in an HttpOnly cookie, so the secret never reaches GraphQL or the browser's scripts.

create function app_hidden.assert_valid_email(email text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  cleaned text := lower(btrim(email));
begin
  if cleaned is null or cleaned = '' then
    perform app_hidden.raise_error('BADEM', 'An email address is required.');
  end if;
  if length(cleaned) > 254 or cleaned !~ '^[a-z0-9.!#$%&''*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$' then
    perform app_hidden.raise_error('BADEM', format('"%s" is not a valid email address.', left(btrim(email), 100)));
  end if;
  return cleaned;
end;
$$;
comment on function app_hidden.assert_valid_email(text) is 'The email trimmed and lower-cased; raises BADEM when it is not a valid address.';

create function app_hidden.assert_strong_password(password text) returns void
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if password is null or length(password) < 10 then
    perform app_hidden.raise_error('WEAKP', 'Choose a password of at least 10 characters.');
  elsif octet_length(password) > 72 then
    perform app_hidden.raise_error('WEAKP', 'Passwords can be at most 72 bytes long.');
  elsif password !~ '[A-Za-z]' or password !~ '[^A-Za-z]' then
    perform app_hidden.raise_error('WEAKP', 'Use letters and at least one digit or symbol in your password.');
  elsif password ~ '^(.)\1*$' or lower(password) in ('password12', 'password123', 'password1234', 'qwerty12345', '1234567890a') then
    perform app_hidden.raise_error('WEAKP', 'That password is too easy to guess.');
  end if;
end;
$$;
comment on function app_hidden.assert_strong_password(text) is 'Raises WEAKP unless the password is long and mixed enough.';

/* The three roles every tenant starts with. */
create function app_private.seed_tenant_roles(tenant text) returns void
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
create function app_private.create_tenant_for(owner_user_id text, company_name text, timezone text) returns text
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text;
begin
  company_name := app_hidden.assert_name('Business name', company_name);
  perform app_hidden.assert_valid_timezone(timezone);
  insert into app_public.tenants (name) values (company_name) returning id into tenant;
  perform app_private.seed_tenant_roles(tenant);
  insert into app_public.locations (tenant_id, name, timezone) values (tenant, 'Main store', timezone);
  insert into app_public.memberships (tenant_id, user_id, role_id)
    select tenant, owner_user_id, r.id from app_public.roles r where r.tenant_id = tenant and r.key = 'owner';
  return tenant;
end;
$$;

create function app_hidden.onboard(company_name text, owner_name text, email text, password text, timezone text)
returns uuid
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  clean_email text := app_hidden.assert_valid_email(email);
  new_user text;
  tenant text;
  new_session uuid;
begin
  company_name := app_hidden.assert_name('Business name', company_name);
  owner_name := app_hidden.assert_name('Your name', owner_name);
  perform app_hidden.assert_strong_password(password);
  perform app_hidden.assert_valid_timezone(timezone);
  begin
    insert into app_public.users (email, name) values (clean_email, owner_name) returning id into new_user;
  exception when unique_violation then
    perform app_hidden.raise_error('EMTKN', 'An account with this email already exists; sign in instead.');
  end;
  insert into app_private.user_secrets (user_id, password_hash)
    values (new_user, public.crypt(password, public.gen_salt('bf', 10)));
  tenant := app_private.create_tenant_for(new_user, company_name, timezone);
  insert into app_private.sessions (user_id, active_tenant_id) values (new_user, tenant) returning id into new_session;
  return new_session;
end;
$$;
comment on function app_hidden.onboard(text, text, text, text, text) is 'Creates a business, its first location and roles, and its owner; returns a new session id.';

create function app_hidden.login(email text, password text) returns uuid
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  found_user app_public.users;
  secret app_private.user_secrets;
  tenant text;
  new_session uuid;
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
    insert into app_private.sessions (user_id, active_tenant_id) values (found_user.id, tenant) returning id into new_session;
    return new_session;
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
comment on function app_hidden.login(text, text) is 'A new session id for the right email and password; null when they are wrong (counted: 5 failures in 15 minutes lock the account for 15 minutes).';

create function app_hidden.logout() returns void
language sql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
  delete from app_private.sessions where id = app_hidden.current_session_id();
$$;
comment on function app_hidden.logout() is 'Ends the current session.';

create function app_public.current_user() returns app_public.users
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select u.* from app_public.users u where u.id = app_hidden.current_user_id();
$$;
comment on function app_public.current_user() is 'The signed-in user, or null.';

create function app_public.current_tenant() returns app_public.tenants
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select t.* from app_public.tenants t where t.id = app_hidden.current_tenant_id();
$$;
comment on function app_public.current_tenant() is 'The tenant the signed-in user is working in, or null.';

create function app_public.current_permissions() returns text[]
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select app_hidden.current_permissions();
$$;
comment on function app_public.current_permissions() is 'What the signed-in user may do in the current tenant.';

create function app_public.switch_tenant(tenant_id text) returns app_public.tenants
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

create function app_public.create_business(name text, timezone text) returns app_public.tenants
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
  tenant := app_private.create_tenant_for(me, name, timezone);
  update app_private.sessions s set active_tenant_id = tenant where s.id = app_hidden.current_session_id();
  select t.* into result from app_public.tenants t where t.id = tenant;
  return result;
end;
$$;
comment on function app_public.create_business(text, text) is 'Creates another business owned by the signed-in user and switches to it.';

create function app_private.delete_expired_sessions() returns int
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  with gone as (delete from app_private.sessions where expires_at < now() - interval '1 day' returning 1)
  select count(*)::int from gone;
$$;
comment on function app_private.delete_expired_sessions() is 'Removes sessions that expired more than a day ago (worker crontab).';
