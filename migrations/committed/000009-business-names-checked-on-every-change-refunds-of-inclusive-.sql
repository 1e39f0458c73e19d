--! Previous: sha1:ba11b49ab97ddfcfaddb6b2017eef3592582deca
--! Hash: sha1:81785c59e2f23f8cc8407639403f9da19cafc3c7
--! Message: Business names checked on every change; refunds of inclusive lines never negative; tax_inclusive on order lines; tax column meanings

--! split: 1-current.sql
-- A business's name is checked and trimmed when it changes, not only at sign-up (a rename to
-- spaces was accepted; a blank one failed a check that names no input).
--! Included identity/201-tenants-users-locations.sql
-- Tenants, their users, roles, memberships and locations: what each may see and change. A
-- member reads their tenant, their colleagues and the tenant's roles and locations; owners and
-- managers (settings.update) rename the business and manage locations. The tables themselves
-- are in the migrations; their policies, grants and triggers are here.

/* Raises BADTZ unless the name is an IANA time zone PostgreSQL knows. */
create or replace function app_hidden.assert_valid_timezone(tz text) returns void
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if tz is null or not exists (select 1 from pg_catalog.pg_timezone_names where name = tz) then
    perform app_hidden.raise_error('BADTZ', format('"%s" is not a time zone we know; use an IANA name such as Europe/Paris or America/New_York.', coalesce(tz, '')), field => 'timezone');
  end if;
end;
$$;

create or replace trigger _100_timestamps before insert or update on app_public.tenants
  for each row execute function app_private.tg__timestamps();

create or replace trigger _100_timestamps before insert or update on app_public.users
  for each row execute function app_private.tg__timestamps();

create or replace trigger _100_timestamps before insert or update on app_public.roles
  for each row execute function app_private.tg__timestamps();

create or replace trigger _100_timestamps before insert or update on app_public.memberships
  for each row execute function app_private.tg__timestamps();

create or replace function app_private.tg_locations__validate() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  new.name := app_hidden.assert_name('Location name', new.name, 200, 'name');
  perform app_hidden.assert_valid_timezone(new.timezone);
  if exists (select 1 from app_public.locations l
             where l.tenant_id = new.tenant_id and l.name = new.name and l.id <> new.id) then
    perform app_hidden.raise_error('DUPNM', format('There is already a location named "%s".', new.name), field => 'name');
  end if;
  -- Its orders are dated on its clock: once it has any, the time zone is part of their record.
  if tg_op = 'UPDATE' and new.timezone is distinct from old.timezone
     and exists (select 1 from app_public.orders o where o.tenant_id = new.tenant_id and o.location_id = new.id) then
    perform app_hidden.raise_error('TZFIX',
      format('%s has sales dated on its clock (%s): its time zone cannot change. Open a new location for another time zone.', old.name, old.timezone),
      field => 'timezone');
  end if;
  return new;
end;
$$;

create or replace trigger _050_validate before insert or update on app_public.locations
  for each row execute function app_private.tg_locations__validate();

create or replace trigger _100_timestamps before insert or update on app_public.locations
  for each row execute function app_private.tg__timestamps();

/* The business's name as stored: trimmed, 1 to 200 characters, no control characters (BADIN naming it). */
create or replace function app_private.tg_tenants__validate_name() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  new.name := app_hidden.assert_name('Business name', new.name, 200, 'name');
  return new;
end;
$$;

create or replace trigger _050_validate_name before insert or update of name on app_public.tenants
  for each row execute function app_private.tg_tenants__validate_name();

/* The receipt's address and footer: trimmed, blank is none, at most 500 characters each. */
create or replace function app_private.tg_tenants__validate_receipt() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  new.receipt_address := nullif(btrim(new.receipt_address), '');
  new.receipt_footer := nullif(btrim(new.receipt_footer), '');
  if length(new.receipt_address) > 500 then
    perform app_hidden.raise_error('BADIN', 'The receipt address can have at most 500 characters.', field => 'receiptAddress');
  end if;
  if length(new.receipt_footer) > 500 then
    perform app_hidden.raise_error('BADIN', 'The receipt footer can have at most 500 characters.', field => 'receiptFooter');
  end if;
  return new;
end;
$$;

create or replace trigger _050_validate_receipt before insert or update of receipt_address, receipt_footer on app_public.tenants
  for each row execute function app_private.tg_tenants__validate_receipt();

------------------------------------------------------------------------------------------------
-- Policies and grants
drop policy if exists select_member on app_public.tenants;
create policy select_member on app_public.tenants for select to :DATABASE_VISITOR
  using (id in (select app_hidden.current_user_tenant_ids()));

drop policy if exists update_with_permission on app_public.tenants;
create policy update_with_permission on app_public.tenants for update to :DATABASE_VISITOR
  using (id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.update'));

revoke all on app_public.tenants from :DATABASE_VISITOR;
grant select on app_public.tenants to :DATABASE_VISITOR;
-- (tax_rate_bps is checked by the _050_validate_tax_rate trigger of app_private.tg_tenants__validate_tax_rate;
-- currency and locale by _050_validate_money, sales/301-money.sql.)
grant update (name, default_country, tax_rate_bps, currency, locale, receipt_address, receipt_footer) on app_public.tenants to :DATABASE_VISITOR;

drop policy if exists select_self_and_colleagues on app_public.users;
create policy select_self_and_colleagues on app_public.users for select to :DATABASE_VISITOR
  using (id = (select app_hidden.current_user_id())
         or id in (select m.user_id from app_public.memberships m where m.tenant_id = (select app_hidden.current_tenant_id())));

drop policy if exists update_self on app_public.users;
create policy update_self on app_public.users for update to :DATABASE_VISITOR
  using (id = (select app_hidden.current_user_id()));

revoke all on app_public.users from :DATABASE_VISITOR;
grant select on app_public.users to :DATABASE_VISITOR;
grant update (name) on app_public.users to :DATABASE_VISITOR;

drop policy if exists select_own_tenant on app_public.roles;
create policy select_own_tenant on app_public.roles for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));

-- The user's own role in each of their businesses (the tenant switcher shows it).
drop policy if exists select_own_memberships on app_public.roles;
create policy select_own_memberships on app_public.roles for select to :DATABASE_VISITOR
  using ((tenant_id, id) in (select * from app_hidden.current_user_roles()));

revoke all on app_public.roles from :DATABASE_VISITOR;
grant select on app_public.roles to :DATABASE_VISITOR;

drop policy if exists select_own_and_tenant on app_public.memberships;
create policy select_own_and_tenant on app_public.memberships for select to :DATABASE_VISITOR
  using (user_id = (select app_hidden.current_user_id()) or tenant_id = (select app_hidden.current_tenant_id()));

revoke all on app_public.memberships from :DATABASE_VISITOR;
grant select on app_public.memberships to :DATABASE_VISITOR;

drop policy if exists select_own_tenant on app_public.locations;
create policy select_own_tenant on app_public.locations for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));

drop policy if exists insert_with_permission on app_public.locations;
create policy insert_with_permission on app_public.locations for insert to :DATABASE_VISITOR
  with check (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.update'));

drop policy if exists update_with_permission on app_public.locations;
create policy update_with_permission on app_public.locations for update to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.update'));

revoke all on app_public.locations from :DATABASE_VISITOR;
grant select on app_public.locations to :DATABASE_VISITOR;
grant insert (name, timezone), update (name, timezone) on app_public.locations to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Closing and reopening a location

/*
 * Closes a location (needs settings.update): it sells nothing more and drops out of the pickers;
 * its orders, stock and reports stay. Refused while it has a cash drawer or orders open (close or
 * finish them first), and for the business's last open location.
 */
create or replace function app_public.close_location(location_id text) returns app_public.locations
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  loc app_public.locations;
begin
  -- The tenant's locations are locked together, so two closes at once cannot close the last two.
  perform 1 from app_public.locations l where l.tenant_id = tenant order by l.id for update;
  select l.* into loc from app_public.locations l where l.tenant_id = tenant and l.id = close_location.location_id;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no location %s.', left(close_location.location_id, 40)));
  end if;
  if loc.closed_at is not null then
    return loc;
  end if;
  if not exists (select 1 from app_public.locations l where l.tenant_id = tenant and l.id <> loc.id and l.closed_at is null) then
    perform app_hidden.raise_error('BADIN', format('%s is the business''s only open location: open another before closing it.', loc.name));
  end if;
  if exists (select 1 from app_public.cash_drawers d where d.tenant_id = tenant and d.location_id = loc.id and d.closed_at is null) then
    perform app_hidden.raise_error('BADIN', format('The cash drawer of %s is open: count and close it first.', loc.name));
  end if;
  if exists (select 1 from app_public.orders o where o.tenant_id = tenant and o.location_id = loc.id and o.status = 'open') then
    perform app_hidden.raise_error('BADIN', format('%s has open orders: take their payment or cancel them first.', loc.name));
  end if;
  update app_public.locations l set closed_at = now() where l.tenant_id = tenant and l.id = loc.id returning * into loc;
  return loc;
end;
$$;
comment on function app_public.close_location(text) is
  E'@resultFieldName location\nCloses a location (needs settings.update): it sells nothing more and leaves the pickers; its history stays. Refused while its cash drawer or orders are open, and for the only open location.';

/* Reopens a closed location (needs settings.update); LIMIT when the plan's open locations are all taken. */
create or replace function app_public.reopen_location(location_id text) returns app_public.locations
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  loc app_public.locations;
begin
  select l.* into loc from app_public.locations l where l.tenant_id = tenant and l.id = reopen_location.location_id for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no location %s.', left(reopen_location.location_id, 40)));
  end if;
  if loc.closed_at is null then
    return loc;
  end if;
  -- An open location takes a place of the plan's (a closed one does not).
  perform app_private.assert_within_plan_limit(tenant, 'locations');
  update app_public.locations l set closed_at = null where l.tenant_id = tenant and l.id = loc.id returning * into loc;
  return loc;
end;
$$;
comment on function app_public.reopen_location(text) is E'@resultFieldName location\nOpens a closed location again (needs settings.update).';

/* The location, if it is open; LCLSD when it is closed (selling and opening a drawer need an open location). */
create or replace function app_private.assert_location_open(loc app_public.locations) returns void
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if loc.closed_at is not null then
    perform app_hidden.raise_error('LCLSD', format('%s is closed: reopen it in Settings to sell there.', loc.name), field => 'locationId');
  end if;
end;
$$;
--! EndIncluded identity/201-tenants-users-locations.sql

-- A refund never takes back less than nothing (refund_order_lines shares an inclusive line's net
-- amount and discount separately so that it cannot: sales/340-refunds.sql).
do $$
begin
  if not exists (select 1 from pg_catalog.pg_constraint where conname = 'order_refund_lines_amounts_check') then
    alter table app_public.order_refund_lines add constraint order_refund_lines_amounts_check check (subtotal >= discount and total >= 0);
    alter table app_public.order_refunds add constraint order_refunds_amounts_check check (subtotal >= discount_total and total >= 0);
  end if;
end;
$$;

-- A line knows whether its order's prices included the tax, so that its subtotal is checked
-- exactly (unit price × quantity) on every other line, as before tax rates. Lines never change
-- (append-only trigger): the lines of orders priced with tax included are marked with it off.
alter table app_public.order_lines add column if not exists tax_inclusive boolean not null default false;
do $$
begin
  if not exists (select 1 from pg_catalog.pg_constraint where conname = 'order_lines_subtotal_exact_check') then
    alter table app_public.order_lines disable trigger _010_append_only;
    update app_public.order_lines l set tax_inclusive = true
    from app_public.orders o
    where o.tenant_id = l.tenant_id and o.id = l.order_id and o.tax_inclusive and not l.tax_inclusive;
    alter table app_public.order_lines enable trigger _010_append_only;
    alter table app_public.order_lines add constraint order_lines_subtotal_exact_check
      check (tax_inclusive or subtotal = unit_price::bigint * quantity);
  end if;
end;
$$;
comment on column app_public.order_lines.tax_inclusive is 'Whether the order''s prices included its tax: then the subtotal is unit price × quantity less the tax it held, else exactly unit price × quantity.';

-- What the tax columns mean now that a location charges its own rate, added or included.
comment on column app_public.tenants.tax_rate_bps is 'The default tax rate, added to prices, of locations without a tax rate of their own, in basis points (825 = 8.25%).';
comment on column app_public.orders.tax_rate_bps is 'The rate the order was priced with (its location''s, else the business''s default), in basis points.';
comment on column app_public.order_lines.line_discount is 'Cents taken off this line (without tax when the order''s prices included it).';
comment on column app_public.order_lines.tax is 'The line''s tax, rounded half up: on net_total when added to prices; the part of what the customer paid for the line when the prices included it.';

--! Included sales/305-tax-rates.sql
-- Tax rates per location. A business names its rates ("Sales tax 8.25%", "VAT 20% included"):
-- a percent in basis points (0–10000) and whether shelf prices include it. Each location charges
-- one of them, or, when it names none, the business's default rate (tenants.tax_rate_bps, added
-- to prices, named "Tax"). app_private.location_tax is the one place that decides; quote_order and
-- place_order price with it and an order keeps the rate's name, percent and kind, so changing or
-- deleting a rate never changes a past sale. Any member reads the rates (the till shows them);
-- owners and managers (settings.update) change them.

create or replace trigger _100_timestamps before insert or update on app_public.tax_rates
  for each row execute function app_private.tg__timestamps();
create or replace trigger _500_audit after insert or update or delete on app_public.tax_rates
  for each row execute function app_private.tg__audit('created_at', 'updated_at');

drop policy if exists select_own_tenant on app_public.tax_rates;
create policy select_own_tenant on app_public.tax_rates for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));
revoke all on app_public.tax_rates from :DATABASE_VISITOR;
grant select on app_public.tax_rates to :DATABASE_VISITOR;

comment on table app_public.tax_rates is E'@unique id\nA tax rate of the business that locations charge (createTaxRate, updateTaxRate, deleteTaxRate; setLocationTaxRate gives a location its rate).';
comment on column app_public.tax_rates.tenant_id is '@behavior -*';
comment on constraint tax_rates_pkey on app_public.tax_rates is '@behavior -single -update -delete';
comment on constraint tax_rates_tenant_id_fkey on app_public.tax_rates is E'@fieldName tenant\n@foreignFieldName taxRates\n@behavior -manyRelation:resource:connection';
comment on column app_public.tax_rates.name is 'What receipts call it ("Sales tax", "VAT"): 1 to 60 characters, unique in the business ignoring case.';
comment on column app_public.tax_rates.rate_bps is 'The rate in basis points: 825 is 8.25%.';
comment on column app_public.tax_rates.inclusive is 'True when shelf prices include the tax (VAT style): the customer pays the price and the tax is the part of it; false when it is added to prices.';
comment on column app_public.locations.tax_rate_id is 'The tax rate the location charges; null: the business''s default rate (tenant taxRateBps, added to prices).';
comment on constraint locations_tax_rate_fkey on app_public.locations is E'@fieldName taxRate\n@foreignFieldName locations\n@behavior -manyRelation:resource:connection';
comment on column app_public.orders.tax_name is 'The name of the tax rate the order was priced with.';
comment on column app_public.orders.tax_inclusive is 'Whether the order''s prices included its tax (then each line''s amounts are kept without it: see placeOrder).';

/* The rate a location charges: its own, else the business's default (added to prices, "Tax"). */
create or replace function app_private.location_tax(tenant_id text, location_id text,
  out name text, out rate_bps int, out inclusive boolean)
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(r.name, 'Tax'), coalesce(r.rate_bps, t.tax_rate_bps), coalesce(r.inclusive, false)
  from app_public.tenants t
  left join app_public.locations l on l.tenant_id = t.id and l.id = location_tax.location_id
  left join app_public.tax_rates r on r.tenant_id = t.id and r.id = l.tax_rate_id
  where t.id = location_tax.tenant_id;
$$;

/* A rate as stored: its name trimmed, 1 to 60 characters, unique in the business (DUPLI); the percent 0–100% (BADIN). */
create or replace function app_private.assert_tax_rate(tenant_id text, name text, rate_bps int, except_id text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  clean text := app_hidden.assert_name('The tax rate''s name', name, 60, 'name');
begin
  if rate_bps is null or rate_bps not between 0 and 10000 then
    perform app_hidden.raise_error('BADIN', 'The rate must be from 0% to 100% (0 to 10000 basis points).', field => 'rate_bps');
  end if;
  if exists (select 1 from app_public.tax_rates r
             where r.tenant_id = assert_tax_rate.tenant_id and lower(r.name) = lower(clean) and r.id is distinct from except_id) then
    perform app_hidden.raise_error('DUPLI', format('There is already a tax rate called "%s".', clean), field => 'name');
  end if;
  return clean;
end;
$$;

create or replace function app_public.create_tax_rate(name text, rate_bps int, inclusive boolean default false) returns app_public.tax_rates
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  result app_public.tax_rates;
begin
  insert into app_public.tax_rates (tenant_id, name, rate_bps, inclusive)
  values (tenant, app_private.assert_tax_rate(tenant, create_tax_rate.name, create_tax_rate.rate_bps, null),
          create_tax_rate.rate_bps, coalesce(create_tax_rate.inclusive, false))
  returning * into result;
  return result;
end;
$$;
comment on function app_public.create_tax_rate(text, int, boolean) is
  E'@resultFieldName taxRate\nAdds a tax rate (needs settings.update): a name unique in the business (DUPLI), rateBps 0–10000 (825 = 8.25%), inclusive when shelf prices include it. No location charges it until setLocationTaxRate.';

create or replace function app_public.update_tax_rate(id text, name text, rate_bps int, inclusive boolean) returns app_public.tax_rates
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  result app_public.tax_rates;
begin
  update app_public.tax_rates r
  set name = app_private.assert_tax_rate(tenant, update_tax_rate.name, update_tax_rate.rate_bps, update_tax_rate.id),
      rate_bps = update_tax_rate.rate_bps,
      inclusive = coalesce(update_tax_rate.inclusive, r.inclusive)
  where r.tenant_id = tenant and r.id = update_tax_rate.id
  returning * into result;
  if result.id is null then
    perform app_hidden.raise_error('NOTFD', format('There is no tax rate %s.', coalesce(left(update_tax_rate.id, 40), '(none given)')));
  end if;
  return result;
end;
$$;
comment on function app_public.update_tax_rate(text, text, int, boolean) is
  E'@resultFieldName taxRate\nChanges a tax rate (needs settings.update); inclusive left out keeps what it was. Orders from now on are priced with it; past orders keep the rate they were priced with.';

create or replace function app_public.delete_tax_rate(id text) returns app_public.tax_rates
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  result app_public.tax_rates;
begin
  -- Its locations go back to the business's default rate (the foreign key sets them to null).
  delete from app_public.tax_rates r where r.tenant_id = tenant and r.id = delete_tax_rate.id
  returning * into result;
  if result.id is null then
    perform app_hidden.raise_error('NOTFD', format('There is no tax rate %s.', coalesce(left(delete_tax_rate.id, 40), '(none given)')));
  end if;
  return result;
end;
$$;
comment on function app_public.delete_tax_rate(text) is
  E'@resultFieldName taxRate\nDeletes a tax rate (needs settings.update); the locations that charged it charge the business''s default rate again. Past orders keep the rate they were priced with.';

create or replace function app_public.set_location_tax_rate(location_id text, tax_rate_id text) returns app_public.locations
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  rate text := nullif(btrim(set_location_tax_rate.tax_rate_id), '');
  result app_public.locations;
begin
  if rate is not null and not exists (select 1 from app_public.tax_rates r where r.tenant_id = tenant and r.id = rate) then
    perform app_hidden.raise_error('NOTFD', format('There is no tax rate %s.', left(rate, 40)), field => 'tax_rate_id');
  end if;
  update app_public.locations l set tax_rate_id = rate
  where l.tenant_id = tenant and l.id = set_location_tax_rate.location_id
  returning * into result;
  if result.id is null then
    perform app_hidden.raise_error('NOTFD', format('There is no location %s.', coalesce(left(set_location_tax_rate.location_id, 40), '(none given)')));
  end if;
  return result;
end;
$$;
comment on function app_public.set_location_tax_rate(text, text) is
  E'@resultFieldName location\nGives a location the tax rate it charges (needs settings.update); null: the business''s default rate. Orders placed from now on are priced with it.';
--! EndIncluded sales/305-tax-rates.sql
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
--! Included sales/340-refunds.sql
-- Refunding some lines of a sale ("refund one coffee"): refund_order_lines takes back units of
-- a sale's lines, each with its share of the line's discount and tax, hands the money back and
-- puts stocked units back, and emits order.refunded.v1. A refund is counted on the day it is
-- made (db/REPORTING.md): it takes its net amount out of net sales, its tax out of tax and the
-- money handed back out of the tenders. A voided sale takes no refund, and a sale with refunds
-- is not voided (its remaining lines are refunded instead), so a unit is never taken back twice.
--
-- Amounts, so that refunding a line in any number of steps takes back exactly the line:
--   * the discount and the tax of q units, when d units of the line's n were refunded before,
--     are share(x, d + q, n) − share(x, d, n), where share(x, k, n) = x × k / n rounded half up
--     (x: the line's discount, or its tax): every step rounds the running total, never a part;
--   * the subtotal of q units is unit price × q; on an order whose prices included its tax (its
--     lines are kept without tax, sales/320-orders.sql, so the subtotal is no multiple of the
--     units) it is the share of the line's net amount plus the share of its discount, so that no
--     step takes back less than nothing (two separate roundings of subtotal and discount could
--     differ by a cent the wrong way);
--   * a refund line's total = subtotal − discount + tax; the refund's totals are their sums.
-- Money goes back card first (to the card, up to what the cards paid and was not yet handed
-- back), then cash (from the location's open drawer), never more than was paid: a refund of an
-- imported sale that was never paid hands nothing back.

-- Refunds and their lines are written only by refund_order_lines and never change.
create or replace trigger _010_append_only before update or delete on app_public.order_refunds
  for each row execute function app_private.tg__append_only();
create or replace trigger _010_append_only before update or delete on app_public.order_refund_lines
  for each row execute function app_private.tg__append_only();

drop policy if exists select_own_tenant on app_public.order_refunds;
create policy select_own_tenant on app_public.order_refunds for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));
revoke all on app_public.order_refunds from :DATABASE_VISITOR;
grant select on app_public.order_refunds to :DATABASE_VISITOR;

drop policy if exists select_own_tenant on app_public.order_refund_lines;
create policy select_own_tenant on app_public.order_refund_lines for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));
revoke all on app_public.order_refund_lines from :DATABASE_VISITOR;
grant select on app_public.order_refund_lines to :DATABASE_VISITOR;

comment on table app_public.order_refunds is E'@unique id\nA refund of some lines of a sale, with its reason and what it took back (discounts and tax in proportion). Written by refundOrderLines; never changed.';
comment on column app_public.order_refunds.tenant_id is '@behavior -*';
comment on constraint order_refunds_pkey on app_public.order_refunds is '@behavior -single -update -delete';
comment on constraint order_refunds_tenant_id_fkey on app_public.order_refunds is E'@fieldName tenant\n@foreignFieldName orderRefunds\n@behavior -manyRelation:resource:list -manyRelation:resource:connection';
comment on constraint order_refunds_tenant_id_order_id_fkey on app_public.order_refunds is E'@fieldName order\n@foreignFieldName refunds';
comment on column app_public.order_refunds.reason is 'Why the lines were refunded.';
comment on column app_public.order_refunds.business_date is 'The day of the refund at the order''s location (the day it counts in the reports).';
comment on column app_public.order_refunds.subtotal is 'The subtotal of the units refunded (unit price × quantity, without tax when prices included it), in minor units.';
comment on column app_public.order_refunds.discount_total is 'The share of the discounts those units had.';
comment on column app_public.order_refunds.tax_total is 'The share of the tax those units had.';
comment on column app_public.order_refunds.total is 'What the refund took back: subtotal − discounts + tax.';
comment on column app_public.order_refunds.refunded_by_user_id is 'Who refunded (a user id kept as it was).';
comment on column app_public.order_refunds.created_at is 'When the refund was made.';

comment on table app_public.order_refund_lines is E'@unique id\nThe units of one order line a refund took back, with their share of discount and tax.';
comment on column app_public.order_refund_lines.tenant_id is '@behavior -*';
comment on constraint order_refund_lines_pkey on app_public.order_refund_lines is '@behavior -single -update -delete';
comment on constraint order_refund_lines_tenant_id_fkey on app_public.order_refund_lines is E'@fieldName tenant\n@foreignFieldName orderRefundLines\n@behavior -manyRelation:resource:list -manyRelation:resource:connection';
comment on constraint order_refund_lines_tenant_id_order_refund_id_fkey on app_public.order_refund_lines is E'@fieldName refund\n@foreignFieldName lines';
comment on constraint order_refund_lines_tenant_id_order_line_id_fkey on app_public.order_refund_lines is E'@fieldName orderLine\n@foreignFieldName refundLines\n@behavior -manyRelation:resource:list -manyRelation:resource:connection';
comment on column app_public.order_refund_lines.quantity is 'Units refunded.';
comment on column app_public.order_refund_lines.subtotal is 'Their share of the line''s subtotal: unit price × quantity (without tax when prices included it).';
comment on column app_public.order_refund_lines.discount is 'Their share of the line''s discounts (order discount included).';
comment on column app_public.order_refund_lines.tax is 'Their share of the line''s tax.';
comment on column app_public.order_refund_lines.total is 'subtotal − discount + tax.';

comment on column app_public.refund_tenders.order_refund_id is 'The refund of lines that handed this back (null for a void or a cancel).';
comment on constraint refund_tenders_order_refund_fkey on app_public.refund_tenders is E'@fieldName refund\n@foreignFieldName refundTenders';
comment on column app_public.orders.refunded_total is 'What refunds of some of its lines took back so far (tax included), in minor units.';

/* x × k / n rounded half up, for x, k ≥ 0 and n > 0: the share of x that k units of n carry. */
create or replace function app_hidden.unit_share(x bigint, k bigint, n bigint) returns bigint
language sql immutable strict parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select (2 * x * k + n) / (2 * n);
$$;
comment on function app_hidden.unit_share(bigint, bigint, bigint) is 'x × k / n rounded half up (x, k ≥ 0, n > 0): the share of a line''s subtotal, discount or tax that k of its n units carry.';

/* The units of each line of an order refunded so far and those that can still be (none unless it is a sale: an open order is cancelled, a voided one was refunded whole). */
create or replace function app_public.orders_refundable_lines(o app_public.orders)
returns table (order_line_id text, line_no int, name text, unit_price int, quantity int, refunded int, refundable int, total int)
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select l.id, l.line_no, l.name, l.unit_price, l.quantity, coalesce(r.refunded, 0)::int,
         case when o.status = 'placed' then (l.quantity - coalesce(r.refunded, 0))::int else 0 end, l.total
  from app_public.order_lines l
  left join (select rl.order_line_id, sum(rl.quantity) as refunded
             from app_public.order_refund_lines rl
             join app_public.order_refunds f on f.tenant_id = rl.tenant_id and f.id = rl.order_refund_id
             where f.tenant_id = o.tenant_id and f.order_id = o.id
             group by rl.order_line_id) r on r.order_line_id = l.id
  where l.tenant_id = o.tenant_id and l.order_id = o.id
  order by l.line_no;
$$;
comment on function app_public.orders_refundable_lines(app_public.orders) is
  E'@behavior -connection +list\n@notNull\nEach line of the order with the units already refunded and the units that can still be (a sale''s; an open or voided order takes no refund).';

/* What order.refunded.v1 says: the sale (where, when, who), the refund (when, why, by whom, amounts), its lines and the money handed back. */
create or replace function app_private.order_refunded_event_payload(o app_public.orders, f app_public.order_refunds) returns jsonb
language sql stable
as $$
  select pg_catalog.jsonb_build_object(
    'order_id', o.id,
    'refund_id', f.id,
    'location_id', o.location_id,
    'business_date', pg_catalog.to_char(o.business_date, 'YYYY-MM-DD'),
    'placed_at', app_hidden.iso_utc(o.placed_at),
    'customer_id', o.customer_id,
    'refunded_at', app_hidden.iso_utc(f.created_at),
    'refund_business_date', pg_catalog.to_char(f.business_date, 'YYYY-MM-DD'),
    'reason', f.reason,
    'refunded_by_user_id', f.refunded_by_user_id,
    'subtotal', f.subtotal,
    'discount_total', f.discount_total,
    'tax_total', f.tax_total,
    'total', f.total,
    'item_count', (select coalesce(pg_catalog.sum(rl.quantity), 0) from app_public.order_refund_lines rl
                   where rl.tenant_id operator(pg_catalog.=) f.tenant_id and rl.order_refund_id operator(pg_catalog.=) f.id),
    'lines', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'line_id', l.id,
                'line_no', l.line_no,
                'catalog_item_id', l.catalog_item_id,
                'sku', l.sku,
                'name', l.name,
                'quantity', rl.quantity,
                'unit_price', l.unit_price,
                'subtotal', rl.subtotal,
                'discount', rl.discount,
                'revenue', rl.subtotal operator(pg_catalog.-) rl.discount,
                'tax', rl.tax,
                'total', rl.total) order by l.line_no), '[]'::jsonb)
              from app_public.order_refund_lines rl
              join app_public.order_lines l on l.tenant_id operator(pg_catalog.=) rl.tenant_id and l.id operator(pg_catalog.=) rl.order_line_id
              where rl.tenant_id operator(pg_catalog.=) f.tenant_id and rl.order_refund_id operator(pg_catalog.=) f.id),
    'refund_tenders', coalesce((
      select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('type', r.type, 'amount', r.amount) order by r.type)
      from app_public.refund_tenders r
      where r.tenant_id operator(pg_catalog.=) f.tenant_id and r.order_refund_id operator(pg_catalog.=) f.id), '[]'::jsonb));
$$;

/*
 * Refunds units of some lines of a sale (needs sales.void, like a void). lines is a JSON array of
 * {"order_line_id": text, "quantity": whole number ≥ 1}, each line at most once and never more
 * units than are left to refund. Raises BADIN (malformed, a line twice, an order that is not a
 * sale), NOTFD (no such order, or a line not of this order), VOIDD, BADQT (a quantity out of
 * range or above what is left) and the reason's errors. Returns the refund.
 */
create or replace function app_public.refund_order_lines(order_id text, lines jsonb, reason text) returns app_public.order_refunds
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('sales.void');
  me text := app_hidden.current_user_id();
  why text;
  o app_public.orders;
  loc app_public.locations;
  refund app_public.order_refunds;
  elem jsonb;
  n int;
  unknown_key text;
  qty numeric;
  line_ids text[] := '{}';
  qtys int[] := '{}';
  over record;
  left_to_give bigint;
begin
  why := app_hidden.assert_name('The reason for the refund', refund_order_lines.reason, 500, 'reason');
  perform app_private.begin_change('refund_order_lines', why);
  select x.* into o from app_public.orders x where x.tenant_id = tenant and x.id = refund_order_lines.order_id for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no order %s.', left(refund_order_lines.order_id, 40)));
  end if;
  if o.status = 'voided' then
    perform app_hidden.raise_error('VOIDD', 'This order was voided: everything on it was refunded already.');
  end if;
  if o.status <> 'placed' then
    perform app_hidden.raise_error('BADIN', 'Only a sale can be refunded (an open order is cancelled instead).');
  end if;

  if lines is null or jsonb_typeof(lines) <> 'array' or jsonb_array_length(lines) = 0 then
    perform app_hidden.raise_error('BADIN', 'Say what to refund: a list such as [{"order_line_id": "…", "quantity": 1}].');
  end if;
  if jsonb_array_length(lines) > 200 then
    perform app_hidden.raise_error('BADIN', 'A refund can have at most 200 lines.');
  end if;
  for elem, n in select e.value, e.ordinality from jsonb_array_elements(lines) with ordinality as e order by e.ordinality loop
    if jsonb_typeof(elem) <> 'object' then
      perform app_hidden.raise_error('BADIN', format('Line %s must be an object such as {"order_line_id": "…", "quantity": 1}.', n));
    end if;
    select k into unknown_key from jsonb_object_keys(elem) as k where k not in ('order_line_id', 'quantity') order by k limit 1;
    if unknown_key is not null then
      perform app_hidden.raise_error('BADIN', format('Line %s: unknown field "%s" (use order_line_id and quantity).', n, left(unknown_key, 40)));
    end if;
    if jsonb_typeof(elem -> 'order_line_id') is distinct from 'string' then
      perform app_hidden.raise_error('BADIN', format('Line %s: order_line_id is required.', n));
    end if;
    if (elem ->> 'order_line_id') = any(line_ids) then
      perform app_hidden.raise_error('BADIN', format('Line %s: that order line is already in this refund.', n));
    end if;
    if jsonb_typeof(elem -> 'quantity') is distinct from 'number' then
      perform app_hidden.raise_error('BADQT', format('Line %s: the quantity must be a whole number from 1 to 10000.', n));
    end if;
    qty := (elem ->> 'quantity')::numeric;
    if qty <> trunc(qty) or qty < 1 or qty > 10000 then
      perform app_hidden.raise_error('BADQT', format('Line %s: the quantity must be a whole number from 1 to 10000.', n));
    end if;
    line_ids := line_ids || (elem ->> 'order_line_id');
    qtys := qtys || qty::int;
  end loop;

  -- Every line is one of this order's, and no more units than are left to refund (the order's
  -- row lock makes concurrent refunds of one sale take turns).
  select r.ord, r.line_id into over
  from unnest(line_ids) with ordinality as r(line_id, ord)
  where not exists (select 1 from app_public.order_lines l where l.tenant_id = tenant and l.order_id = o.id and l.id = r.line_id)
  order by r.ord limit 1;
  if found then
    perform app_hidden.raise_error('NOTFD', format('Line %s: there is no line %s on this order.', over.ord, left(over.line_id, 40)));
  end if;
  select r.ord, r.qty, x.refundable, x.quantity, x.name into over
  from unnest(line_ids, qtys) with ordinality as r(line_id, qty, ord)
  join app_public.orders_refundable_lines(o) x on x.order_line_id = r.line_id
  where r.qty > x.refundable
  order by r.ord limit 1;
  if found then
    perform app_hidden.raise_error('BADQT', case when over.refundable = 0
      then format('Line %s: all %s of %s were refunded already.', over.ord, over.quantity, over.name)
      else format('Line %s: only %s of %s can still be refunded.', over.ord, over.refundable, over.name) end);
  end if;

  select l.* into loc from app_public.locations l where l.tenant_id = tenant and l.id = o.location_id;

  -- The refund and its lines in one statement (the lines' foreign key is checked at its end).
  with wanted as (
    select x.order_line_id, r.qty, x.refunded, x.quantity as units, l.unit_price, l.net_total::bigint as net,
           (l.line_discount + l.order_discount_share)::bigint as discount, l.tax::bigint as tax, l.line_no
    from unnest(line_ids, qtys) as r(line_id, qty)
    join app_public.orders_refundable_lines(o) x on x.order_line_id = r.line_id
    join app_public.order_lines l on l.tenant_id = tenant and l.id = r.line_id
  ), shares as (
    select w.order_line_id, w.qty, w.line_no, w.unit_price,
           app_hidden.unit_share(w.net, w.refunded + w.qty, w.units) - app_hidden.unit_share(w.net, w.refunded, w.units) as net,
           app_hidden.unit_share(w.discount, w.refunded + w.qty, w.units) - app_hidden.unit_share(w.discount, w.refunded, w.units) as discount,
           app_hidden.unit_share(w.tax, w.refunded + w.qty, w.units) - app_hidden.unit_share(w.tax, w.refunded, w.units) as tax
    from wanted w
  ), priced as (
    select s.order_line_id, s.qty, s.line_no, s.discount, s.tax,
           case when o.tax_inclusive then s.net + s.discount else s.unit_price::bigint * s.qty end as subtotal
    from shares s
  ), head as (
    insert into app_public.order_refunds (tenant_id, order_id, reason, business_date, subtotal, discount_total, tax_total, total, refunded_by_user_id)
    select tenant, o.id, why, app_hidden.business_date(now(), loc.timezone), sum(p.subtotal), sum(p.discount), sum(p.tax),
           sum(p.subtotal - p.discount + p.tax), me
    from priced p
    returning *
  ), body as (
    insert into app_public.order_refund_lines (tenant_id, order_refund_id, order_line_id, quantity, subtotal, discount, tax, total)
    select tenant, h.id, p.order_line_id, p.qty, p.subtotal, p.discount, p.tax, p.subtotal - p.discount + p.tax
    from priced p cross join head h
    order by p.line_no
  )
  select h.* into refund from head h;

  update app_public.orders x set refunded_total = x.refunded_total + refund.total
    where x.tenant_id = tenant and x.id = o.id
    returning * into o;

  -- The money: back to the cards first, then cash from the drawer, never more than was paid and not yet handed back.
  left_to_give := refund.total;
  for over in
    select p.type, p.paid - coalesce(b.back, 0) as available
    from (select t.type, sum(t.applied_amount) as paid from app_public.tenders t
          where t.tenant_id = tenant and t.order_id = o.id group by t.type) p
    left join (select r.type, sum(r.amount) as back from app_public.refund_tenders r
               where r.tenant_id = tenant and r.order_id = o.id group by r.type) b on b.type = p.type
    order by p.type = 'card' desc, p.type
  loop
    exit when left_to_give = 0;
    continue when over.available <= 0;
    insert into app_public.refund_tenders (tenant_id, order_id, order_refund_id, type, amount, reason, business_date, refunded_by_user_id, cash_drawer_id)
    values (tenant, o.id, refund.id, over.type, least(left_to_give, over.available), why, refund.business_date, me,
            -- Cash comes out of the location's open drawer (330-cash-drawers.sql).
            case when over.type = 'cash' then app_private.open_cash_drawer_id(tenant, o.location_id) end);
    left_to_give := left_to_give - least(left_to_give, over.available);
  end loop;

  perform app_private.emit_event(tenant, 'order.refunded.v1', 'order', o.id, app_private.order_refunded_event_payload(o, refund), me);

  -- Units the sale took out of stock go back on the shelf, each line with its movement (and its event).
  insert into app_public.inventory_movements (tenant_id, location_id, inventory_item_id, quantity, reason, note,
                                              order_id, order_line_id, actor_user_id)
  select tenant, m.location_id, m.inventory_item_id, rl.quantity, 'sale', 'Refund on order ' || o.id, o.id, rl.order_line_id, me
  from app_public.order_refund_lines rl
  join app_public.inventory_movements m
    on m.tenant_id = rl.tenant_id and m.order_id = o.id and m.order_line_id = rl.order_line_id and m.reason = 'sale' and m.quantity < 0
  where rl.tenant_id = tenant and rl.order_refund_id = refund.id
  order by m.id;

  perform app_private.end_change();
  return refund;
end;
$$;
comment on function app_public.refund_order_lines(text, jsonb, text) is
  E'@resultFieldName refund\nRefunds units of some lines of a sale (needs sales.void): lines is a list of {"order_line_id", "quantity"}, never more units than are left to refund. Each unit takes back its share of the line''s discount and tax; the money goes back card first, then cash from the drawer (refundTenders), and counts as a refund today; stocked units go back on the shelf. A voided sale takes no refund, and a sale with refunds is not voided.';
--! EndIncluded sales/340-refunds.sql
