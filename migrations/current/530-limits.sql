-- 530-limits: POS devices, and the plan limits on seats (memberships), locations and devices.
-- A row beyond the limit of the tenant's plan is refused with LIMIT, whoever inserts it (GraphQL,
-- SQL, the worker, onboarding). Checks of one tenant are serialised by a transaction advisory
-- lock, so two concurrent inserts cannot both take the last place.

------------------------------------------------------------------------------------------------
-- Devices

create table app_public.devices (
  tenant_id text not null default app_hidden.current_tenant_id() references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  location_id text not null,
  name text not null check (length(name) between 1 and 100),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, location_id, name),
  foreign key (tenant_id, location_id) references app_public.locations (tenant_id, id) on delete cascade
);
select app_private.secure_table('app_public.devices');
comment on table app_public.devices is E'@unique id\nA POS device (register) of a location. The plan limits how many a business may have.';
comment on column app_public.devices.tenant_id is '@behavior -*';
comment on constraint devices_pkey on app_public.devices is '@behavior -single -update -delete';
comment on constraint devices_tenant_id_location_id_name_key on app_public.devices is '@behavior -single -update -delete';
comment on constraint devices_tenant_id_location_id_fkey on app_public.devices is E'@fieldName location\n@foreignFieldName devices';
comment on column app_public.devices.location_id is 'The location where the device is.';
comment on column app_public.devices.name is 'Name of the device, unique at its location (such as Register 1).';

create function app_private.tg_devices__validate() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  new.name := app_hidden.assert_name('Device name', new.name, 100);
  if exists (select 1 from app_public.devices d
             where d.tenant_id = new.tenant_id and d.location_id = new.location_id and d.name = new.name and d.id <> new.id) then
    perform app_hidden.raise_error('DUPLI', format('There is already a device named "%s" at this location.', new.name));
  end if;
  return new;
end;
$$;
create trigger _050_validate before insert or update on app_public.devices
  for each row execute function app_private.tg_devices__validate();
create trigger _100_timestamps before insert or update on app_public.devices
  for each row execute function app_private.tg__timestamps();
create trigger _500_audit after insert or update or delete on app_public.devices
  for each row execute function app_private.tg__audit('created_at', 'updated_at');

create policy select_own_tenant on app_public.devices for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));
create policy insert_with_permission on app_public.devices for insert to :DATABASE_VISITOR
  with check (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.update'));
create policy update_with_permission on app_public.devices for update to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.update'));
create policy delete_with_permission on app_public.devices for delete to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.update'));
grant select, delete on app_public.devices to :DATABASE_VISITOR;
grant insert (location_id, name), update (location_id, name) on app_public.devices to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Usage and limits

/* What the tenant uses of each limit. */
create function app_private.tenant_usage(tenant text, out seats int, out locations int, out devices int)
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select (select count(*)::int from app_public.memberships m where m.tenant_id = tenant),
         (select count(*)::int from app_public.locations l where l.tenant_id = tenant),
         (select count(*)::int from app_public.devices d where d.tenant_id = tenant);
$$;
comment on function app_private.tenant_usage(text) is 'Seats (memberships), locations and devices the tenant has.';

/*
 * Why the tenant cannot move to the plan (usage above its limits), or null when it can.
 * Used by change_plan and again by its job.
 */
create function app_private.plan_change_problem(tenant text, target_plan text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  plan app_public.plans;
  usage record;
  problems text[] := '{}';
begin
  select p.* into plan from app_public.plans p where p.key = target_plan;
  select u.* into usage from app_private.tenant_usage(tenant) u;
  if usage.seats > plan.max_seats then
    problems := problems || format('%s users (it allows %s; remove %s)', usage.seats, plan.max_seats, usage.seats - plan.max_seats);
  end if;
  if usage.locations > plan.max_locations then
    problems := problems || format('%s locations (it allows %s; remove %s)', usage.locations, plan.max_locations, usage.locations - plan.max_locations);
  end if;
  if usage.devices > plan.max_devices then
    problems := problems || format('%s devices (it allows %s; remove %s)', usage.devices, plan.max_devices, usage.devices - plan.max_devices);
  end if;
  if cardinality(problems) = 0 then
    return null;
  end if;
  return format('You cannot move to the %s plan: you have %s.', plan.name, array_to_string(problems, ', '));
end;
$$;
comment on function app_private.plan_change_problem(text, text) is 'The reason usage does not fit the plan''s limits, or null.';

/* Raises LIMIT when the tenant already uses all of `what` (seats, locations, devices) its plan allows. */
create function app_private.assert_within_plan_limit(tenant text, what text) returns void
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  plan app_public.plans := app_private.tenant_plan(tenant);
  usage record;
  allowed int;
  used int;
  noun text;
begin
  if plan.key is null then
    return;
  end if;
  -- One check at a time per tenant: the count below sees the rows of transactions that committed before.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('app.plan_limits'), pg_catalog.hashtext(tenant));
  select u.* into usage from app_private.tenant_usage(tenant) u;
  case what
    when 'seats' then allowed := plan.max_seats; used := usage.seats; noun := 'users';
    when 'locations' then allowed := plan.max_locations; used := usage.locations; noun := 'locations';
    when 'devices' then allowed := plan.max_devices; used := usage.devices; noun := 'POS devices';
  end case;
  if used >= allowed then
    perform app_hidden.raise_error('LIMIT', format(
      'Your %s plan allows %s %s (max_%s) and you have %s. Upgrade under Settings → Billing to add more.',
      plan.name, allowed, noun, what, used));
  end if;
end;
$$;
comment on function app_private.assert_within_plan_limit(text, text) is 'Raises LIMIT when one more seat, location or device would exceed the plan.';

/* Trigger: refuses a row beyond the plan's limit; the argument says which limit. */
create function app_private.tg__plan_limit() returns trigger
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform app_private.assert_within_plan_limit(new.tenant_id, tg_argv[0]);
  return new;
end;
$$;
comment on function app_private.tg__plan_limit() is 'Trigger: LIMIT when the insert would exceed the plan (argument: seats, locations or devices).';

create trigger _060_plan_limit before insert on app_public.memberships
  for each row execute function app_private.tg__plan_limit('seats');
create trigger _060_plan_limit before insert on app_public.locations
  for each row execute function app_private.tg__plan_limit('locations');
create trigger _060_plan_limit before insert on app_public.devices
  for each row execute function app_private.tg__plan_limit('devices');

-- Usage next to the limits, for the billing page.
create function app_public.billing_subscriptions_seats_used(s app_public.billing_subscriptions) returns int
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select (app_private.tenant_usage(s.tenant_id)).seats where s.tenant_id = app_hidden.current_tenant_id();
$$;
comment on function app_public.billing_subscriptions_seats_used(app_public.billing_subscriptions) is 'Users (memberships) the business has, against the plan''s maxSeats.';

create function app_public.billing_subscriptions_locations_used(s app_public.billing_subscriptions) returns int
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select (app_private.tenant_usage(s.tenant_id)).locations where s.tenant_id = app_hidden.current_tenant_id();
$$;
comment on function app_public.billing_subscriptions_locations_used(app_public.billing_subscriptions) is 'Locations the business has, against the plan''s maxLocations.';

create function app_public.billing_subscriptions_devices_used(s app_public.billing_subscriptions) returns int
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select (app_private.tenant_usage(s.tenant_id)).devices where s.tenant_id = app_hidden.current_tenant_id();
$$;
comment on function app_public.billing_subscriptions_devices_used(app_public.billing_subscriptions) is 'POS devices the business has, against the plan''s maxDevices.';
