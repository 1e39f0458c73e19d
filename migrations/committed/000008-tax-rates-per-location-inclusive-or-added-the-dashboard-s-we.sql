--! Previous: sha1:8f95dd4e85ff76c8d68eff5feba289acb679d425
--! Hash: sha1:ba11b49ab97ddfcfaddb6b2017eef3592582deca
--! Message: Tax rates per location, inclusive or added; the dashboard's week-ago comparison in SQL; the exact readers skip an empty queue; About this customer

--! split: 1-current.sql
------------------------------------------------------------------------------------------------
-- The admin a shop owner prefers to Square's, 4: tax rates per location. A business names its
-- rates (name, percent, whether prices include it); each location charges one, or the business's
-- default rate (tenants.tax_rate_bps, added to prices) when it names none. An order records the
-- rate it was priced with. (Tables here; the rules in the fixtures included below.)

create table if not exists app_public.tax_rates (
  tenant_id text not null default app_hidden.current_tenant_id() references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  name text not null check (name = btrim(name) and length(name) between 1 and 60),
  rate_bps int not null check (rate_bps between 0 and 10000),
  inclusive boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id)
);
create unique index if not exists tax_rates_name_key on app_public.tax_rates (tenant_id, lower(name));
do $$ begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.tax_rates'::regclass) then
    perform app_private.secure_table('app_public.tax_rates');
    perform app_private.enforce_active_tenant('app_public.tax_rates');
  end if;
end $$;

alter table app_public.locations add column if not exists tax_rate_id text;
do $$
begin
  if not exists (select 1 from pg_catalog.pg_constraint where conname = 'locations_tax_rate_fkey') then
    -- Deleting a rate gives its locations back the business's default rate.
    alter table app_public.locations add constraint locations_tax_rate_fkey
      foreign key (tenant_id, tax_rate_id) references app_public.tax_rates (tenant_id, id) on delete set null (tax_rate_id);
  end if;
end;
$$;
create index if not exists locations_tax_rate_idx on app_public.locations (tenant_id, tax_rate_id) where tax_rate_id is not null;

-- The rate an order was priced with: its name and whether its prices included it.
alter table app_public.orders add column if not exists tax_name text not null default 'Tax' check (length(tax_name) between 1 and 60);
alter table app_public.orders add column if not exists tax_inclusive boolean not null default false;

-- With a rate included in prices, a line's amounts are kept without tax like every other line
-- (subtotal − discounts = net, net + tax = total), so its subtotal is the shelf price × quantity
-- less the tax in it, no longer unit price × quantity (sales/320-orders.sql says how each is
-- computed).
alter table app_public.order_lines drop constraint if exists order_lines_check;
alter table app_public.order_lines drop constraint if exists order_lines_subtotal_check;
alter table app_public.order_lines add constraint order_lines_subtotal_check check (subtotal between 0 and unit_price::bigint * quantity);
comment on column app_public.orders.subtotal is 'Sum of the lines'' subtotals, in cents, before discounts and without tax.';
comment on column app_public.orders.order_discount is 'Cents taken off the whole order (spread over the lines; without tax when the prices included it); part of discount_total.';
comment on column app_public.order_lines.unit_price is 'Price of one unit when it was sold, in cents: the shelf price, which holds the tax when the order''s prices included it.';
comment on column app_public.order_lines.subtotal is 'unit_price × quantity in cents, less the tax that amount holds when the order''s prices included it.';

-- A quote says which rate it used.
do $$
begin
  if not exists (select 1 from pg_catalog.pg_attribute a join pg_catalog.pg_type t on t.typrelid = a.attrelid
                 where t.oid = 'app_public.order_quote'::regtype and a.attname = 'tax_name') then
    alter type app_public.order_quote add attribute tax_name text, add attribute tax_inclusive boolean;
  end if;
end;
$$;
comment on column app_public.order_quote.tax_rate_bps is 'The rate the location charges (the business''s default without one), in basis points.';
comment on column app_public.order_quote.tax_name is 'The name of that rate ("Tax" for the business''s default).';
comment on column app_public.order_quote.tax_inclusive is 'True when the prices include the tax: the total is then what the shelf prices add up to, and the tax is the part of it.';
comment on column app_public.order_quote.subtotal is 'Sum of the lines'' subtotals, without tax, in cents (unit price × quantity unless the prices include the tax).';

-- Pricing takes the rate's kind, and a quote the location (sales/320-orders.sql).
drop function if exists app_private.price_lines(text, jsonb, int, int);
drop function if exists app_public.quote_order(jsonb, int);

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
      inclusive = coalesce(update_tax_rate.inclusive, false)
  where r.tenant_id = tenant and r.id = update_tax_rate.id
  returning * into result;
  if result.id is null then
    perform app_hidden.raise_error('NOTFD', format('There is no tax rate %s.', coalesce(left(update_tax_rate.id, 40), '(none given)')));
  end if;
  return result;
end;
$$;
comment on function app_public.update_tax_rate(text, text, int, boolean) is
  E'@resultFieldName taxRate\nChanges a tax rate (needs settings.update). Orders from now on are priced with it; past orders keep the rate they were priced with.';

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
                                      subtotal, line_discount, order_discount_share, net_total, tax, total)
  select tenant, result.id, p.line_no, p.catalog_item_id, p.sku, p.name, p.unit_price, p.quantity,
         p.subtotal, p.line_discount, p.order_discount_share, p.net_total, p.tax, p.total
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
--   * the subtotal, the discount and the tax of q units, when d units of the line's n were
--     refunded before, are share(x, d + q, n) − share(x, d, n), where share(x, k, n) = x × k / n
--     rounded half up (x: the line's subtotal, its discount, or its tax): every step rounds the
--     running total, never a part. A subtotal's share is unit price × q, except on an order whose
--     prices included its tax (its lines are kept without tax: sales/320-orders.sql);
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
    select x.order_line_id, r.qty, x.refunded, x.quantity as units, l.subtotal::bigint as subtotal,
           (l.line_discount + l.order_discount_share)::bigint as discount, l.tax::bigint as tax, l.line_no
    from unnest(line_ids, qtys) as r(line_id, qty)
    join app_public.orders_refundable_lines(o) x on x.order_line_id = r.line_id
    join app_public.order_lines l on l.tenant_id = tenant and l.id = r.line_id
  ), priced as (
    select w.order_line_id, w.qty, w.line_no,
           app_hidden.unit_share(w.subtotal, w.refunded + w.qty, w.units) - app_hidden.unit_share(w.subtotal, w.refunded, w.units) as subtotal,
           app_hidden.unit_share(w.discount, w.refunded + w.qty, w.units) - app_hidden.unit_share(w.discount, w.refunded, w.units) as discount,
           app_hidden.unit_share(w.tax, w.refunded + w.qty, w.units) - app_hidden.unit_share(w.tax, w.refunded, w.units) as tax
    from wanted w
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
--! Included customers/450-purchase-history.sql
-- Purchase history. Orders point at customers (composite foreign key; place_order refuses ids
-- that are not customers of the tenant), and the customer_counters consumer of the event log
-- keeps each customer's history in narrow tables off the wide, heavily indexed customers row:
-- customer_stats (visits, spend, items bought, first and last visit, the latest 20 visits),
-- customer_item_stats (units per catalog item) and, internal to it, app_private.customer_visits
-- (each counted order). An order.placed.v1 with a customer adds, an order.voided.v1 takes back
-- out, an order.refunded.v1 takes out the spend and the units of the lines it refunded (the visit
-- stays). The dispatcher (app_private.dispatch) applies each event at most once
-- (processed_events), so replays never double-count, and an order of a merged customer counts
-- for the customer it was merged into. rebuild_customer_counters recomputes everything from the
-- log. The API reads them as customer.stats and customer.totalVisits/totalSpend/lastVisitAt.

/* Every customer has its stats row from the start (zeros): readers and the list join it. */
create or replace function app_private.tg_customers__create_stats() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  insert into app_public.customer_stats (tenant_id, customer_id) values (new.tenant_id, new.id);
  return null;
end;
$$;

create or replace trigger _200_create_stats after insert on app_public.customers
  for each row execute function app_private.tg_customers__create_stats();

/* The latest 20 of some visits, newest first (what customer_stats.recent_visits keeps). */
create or replace function app_hidden.latest_visits(visits timestamptz[]) returns timestamptz[]
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(array_agg(v order by v desc), '{}')
  from (select v from unnest(visits) v where v is not null order by v desc limit 20) latest;
$$;
comment on function app_hidden.latest_visits(timestamptz[]) is 'The latest 20 of the given visit times, newest first.';

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
  placed timestamptz := (evt.payload ->> 'placed_at')::timestamptz;
  total bigint := (evt.payload ->> 'total')::bigint;
  items int := (evt.payload ->> 'item_count')::int;
begin
  if c.id is null then
    return;
  end if;
  insert into app_private.customer_visits (tenant_id, order_id, customer_id, placed_at, total, item_count)
  values (c.tenant_id, evt.payload ->> 'order_id', c.id, placed, total, items)
  on conflict do nothing;
  if not found then
    return;
  end if;
  update app_public.customer_stats s set
    visits = s.visits + 1,
    spend = s.spend + total,
    items_bought = s.items_bought + items,
    first_visit_at = least(s.first_visit_at, placed),
    last_visit_at = greatest(s.last_visit_at, placed),
    recent_visits = app_hidden.latest_visits(s.recent_visits || placed),
    updated_at = now()
  where s.tenant_id = c.tenant_id and s.customer_id = c.id;
  insert into app_public.customer_item_stats as i (tenant_id, customer_id, catalog_item_id, quantity)
  select c.tenant_id, c.id, l ->> 'catalog_item_id', sum((l ->> 'quantity')::int)
  from jsonb_array_elements(evt.payload -> 'lines') l
  group by l ->> 'catalog_item_id'
  order by l ->> 'catalog_item_id'
  on conflict (tenant_id, customer_id, catalog_item_id) do update set quantity = i.quantity + excluded.quantity;
end;
$$;
comment on function app_private.customer_counters__order_placed(app_private.events) is 'Consumer customer_counters: a placed order adds a visit, its total and its items to its customer''s history.';

/*
 * Takes the units of order lines (an event's `lines`) back out of a customer's items bought, for
 * a void or a refund: items with no unit left go; the others lose the units. The delete comes
 * first: after the update, an item bought 2 and taken back 1 would be at 1 and match the delete too.
 */
create or replace function app_private.take_back_items(tenant_id text, customer_id text, lines jsonb) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  delete from app_public.customer_item_stats i
  using (select l ->> 'catalog_item_id' as catalog_item_id, sum((l ->> 'quantity')::int) as quantity
         from jsonb_array_elements(take_back_items.lines) l group by 1) l
  where i.tenant_id = take_back_items.tenant_id and i.customer_id = take_back_items.customer_id
    and i.catalog_item_id = l.catalog_item_id and i.quantity <= l.quantity;
  update app_public.customer_item_stats i set quantity = i.quantity - l.quantity
  from (select l ->> 'catalog_item_id' as catalog_item_id, sum((l ->> 'quantity')::int) as quantity
        from jsonb_array_elements(take_back_items.lines) l group by 1) l
  where i.tenant_id = take_back_items.tenant_id and i.customer_id = take_back_items.customer_id
    and i.catalog_item_id = l.catalog_item_id and i.quantity > l.quantity;
$$;
comment on function app_private.take_back_items(text, text, jsonb) is 'Takes the units of order lines back out of a customer''s items bought (a void, a refund of lines).';

create or replace function app_private.customer_counters__order_voided(evt app_private.events) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  c app_public.customers := app_private.lock_counted_customer(evt);
  visit app_private.customer_visits;
begin
  if c.id is null then
    return;
  end if;
  update app_private.customer_visits v set is_voided = true
  where v.tenant_id = c.tenant_id and v.order_id = evt.payload ->> 'order_id' and not v.is_voided
  returning v.* into visit;
  if visit.order_id is null then
    return;
  end if;
  -- The voided order may have been the first, the latest or one of the recent visits: those
  -- come again from the visits still standing.
  update app_public.customer_stats s set
    visits = s.visits - 1,
    spend = s.spend - visit.total,
    items_bought = s.items_bought - visit.item_count,
    first_visit_at = standing.first_at,
    last_visit_at = standing.last_at,
    recent_visits = coalesce(standing.recent, '{}'),
    updated_at = now()
  from (
    select min(x.placed_at) as first_at, max(x.placed_at) as last_at,
           (select array_agg(r.placed_at order by r.placed_at desc) from (
              select y.placed_at from app_private.customer_visits y
              where y.tenant_id = c.tenant_id and y.customer_id = visit.customer_id and not y.is_voided
              order by y.placed_at desc limit 20) r) as recent
    from app_private.customer_visits x
    where x.tenant_id = c.tenant_id and x.customer_id = visit.customer_id and not x.is_voided
  ) standing
  where s.tenant_id = c.tenant_id and s.customer_id = visit.customer_id;
  perform app_private.take_back_items(c.tenant_id, visit.customer_id, evt.payload -> 'lines');
end;
$$;
comment on function app_private.customer_counters__order_voided(app_private.events) is 'Consumer customer_counters: a voided order takes its visit, total and items back out of its customer''s history.';

/*
 * A refund of some lines of a sale takes their total out of the visit and the spend, and their
 * units out of the items bought; the visit stays (the customer came).
 */
create or replace function app_private.customer_counters__order_refunded(evt app_private.events) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  c app_public.customers := app_private.lock_counted_customer(evt);
  refunded_total bigint := (evt.payload ->> 'total')::bigint;
  refunded_items int := (evt.payload ->> 'item_count')::int;
  visit app_private.customer_visits;
begin
  if c.id is null then
    return;
  end if;
  update app_private.customer_visits v set total = v.total - refunded_total, item_count = v.item_count - refunded_items
  where v.tenant_id = c.tenant_id and v.order_id = evt.payload ->> 'order_id' and not v.is_voided
  returning v.* into visit;
  if visit.order_id is null then
    return;
  end if;
  update app_public.customer_stats s set
    spend = s.spend - refunded_total,
    items_bought = s.items_bought - refunded_items,
    updated_at = now()
  where s.tenant_id = c.tenant_id and s.customer_id = visit.customer_id;
  perform app_private.take_back_items(c.tenant_id, visit.customer_id, evt.payload -> 'lines');
end;
$$;
comment on function app_private.customer_counters__order_refunded(app_private.events) is 'Consumer customer_counters: a refund of some lines takes their total and units out of the customer''s history (the visit stays).';

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
    elsif (queued.evt).type = 'order.refunded.v1' then
      perform app_private.customer_counters__order_refunded(queued.evt);
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
  update app_public.customer_stats s set
    visits = 0, spend = 0, items_bought = 0, first_visit_at = null, last_visit_at = null, recent_visits = '{}', updated_at = now()
  -- Every field that can drift, so a row with no visit left is cleaned too (only changed rows are written).
  where s.tenant_id = rebuild_customer_counters.tenant_id
    and (s.visits, s.spend, s.items_bought, s.first_visit_at, s.last_visit_at, s.recent_visits)
        is distinct from (0, 0::bigint, 0::bigint, null::timestamptz, null::timestamptz, '{}'::timestamptz[]);
  delete from app_private.customer_visits v where v.tenant_id = rebuild_customer_counters.tenant_id;
  delete from app_public.customer_item_stats i where i.tenant_id = rebuild_customer_counters.tenant_id;
  perform app_private.reset_consumer('customer_counters', rebuild_customer_counters.tenant_id);
  return app_private.replay('customer_counters', rebuild_customer_counters.tenant_id);
end;
$$;
comment on function app_private.rebuild_customer_counters(text) is 'Recomputes the purchase history (customer_stats, customer_item_stats) of a tenant''s customers from the event log.';

------------------------------------------------------------------------------------------------
-- What the API reads

drop policy if exists select_with_permission on app_public.customer_stats;
create policy select_with_permission on app_public.customer_stats for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.view')));
revoke all on app_public.customer_stats from :DATABASE_VISITOR;
grant select on app_public.customer_stats to :DATABASE_VISITOR;

drop policy if exists select_with_permission on app_public.customer_item_stats;
create policy select_with_permission on app_public.customer_item_stats for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.view')));
revoke all on app_public.customer_item_stats from :DATABASE_VISITOR;
grant select on app_public.customer_item_stats to :DATABASE_VISITOR;

-- The counters the API has always shown on a customer, now read from customer_stats.
create or replace function app_public.customers_total_visits(c app_public.customers) returns int
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select s.visits from app_public.customer_stats s where s.tenant_id = c.tenant_id and s.customer_id = c.id;
$$;
comment on function app_public.customers_total_visits(app_public.customers) is E'@notNull\nOrders attributed to the customer that were not voided (stats.visits).';

create or replace function app_public.customers_total_spend(c app_public.customers) returns bigint
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select s.spend from app_public.customer_stats s where s.tenant_id = c.tenant_id and s.customer_id = c.id;
$$;
comment on function app_public.customers_total_spend(app_public.customers) is E'@notNull\nTotals of those orders (tax included), in cents (stats.spend).';

create or replace function app_public.customers_last_visit_at(c app_public.customers) returns timestamptz
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select s.last_visit_at from app_public.customer_stats s where s.tenant_id = c.tenant_id and s.customer_id = c.id;
$$;
comment on function app_public.customers_last_visit_at(app_public.customers) is 'When the latest of those orders was placed (stats.lastVisitAt).';

/* Average order value: spend / visits, rounded to the cent; 0 without visits. */
create or replace function app_public.customer_stats_average_order_value(s app_public.customer_stats) returns bigint
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select case when s.visits > 0 then round(s.spend::numeric / s.visits)::bigint else 0 end;
$$;
comment on function app_public.customer_stats_average_order_value(app_public.customer_stats) is E'@notNull\nSpend divided by visits, in cents (0 without visits).';

create or replace function app_public.customer_stats_days_since_last_visit(s app_public.customer_stats, at timestamptz default null) returns int
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select floor(extract(epoch from coalesce(at, now()) - s.last_visit_at) / 86400)::int;
$$;
comment on function app_public.customer_stats_days_since_last_visit(app_public.customer_stats, timestamptz) is 'Whole days since the latest visit (at `at`, default now); null without visits.';

create or replace function app_public.customer_stats_is_repeat(s app_public.customer_stats) returns boolean
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select s.visits >= 2;
$$;
comment on function app_public.customer_stats_is_repeat(app_public.customer_stats) is E'@notNull\nA repeat customer: two visits or more.';

/* The three catalog items the customer bought most units of (ties: the item id). */
create or replace function app_public.customer_stats_top_items(s app_public.customer_stats) returns setof app_public.customer_item_stats
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select i.* from app_public.customer_item_stats i
  where i.tenant_id = s.tenant_id and i.customer_id = s.customer_id
  order by i.quantity desc, i.catalog_item_id
  limit 3;
$$;
comment on function app_public.customer_stats_top_items(app_public.customer_stats) is E'@behavior +list -connection\n@listSuffix omit\nThe three items the customer bought most units of, most first.';

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
--! EndIncluded customers/450-purchase-history.sql
--! Included customers/460-timeline.sql
-- The timeline on the customer page, newest first. It is read from the
-- event log (created, merged, orders placed, voided and refunded), the audit rows (updated, archived,
-- restored, merged away: every change of the row, with the actor, including changes made
-- outside the commands) and the notes. The API role cannot read app_private, so this is a
-- security definer function that serves only the caller's tenant and needs customers.view.

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

create or replace function app_public.customers_timeline(c app_public.customers) returns setof app_public.customer_activity
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  with me as (
    select tenant from app_hidden.customers_reader_tenant() as tenant where tenant is not null
  ),
  target as (
    select me.tenant, x.id, x.customer_number, app_private.tenant_currency(me.tenant) as currency
    from me join app_public.customers x on x.tenant_id = me.tenant and x.id = c.id
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
             when a.changes ? 'status' and a.changes -> 'status' ->> 'new' = 'archived' then 'archived'
             when a.changes ? 'status' and a.changes -> 'status' ->> 'new' = 'merged' then 'merged_into'
             when a.changes ? 'status' and a.changes -> 'status' ->> 'old' = 'archived' then 'restored'
             else 'updated' end,
           case
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
    -- Orders of the customer (and of customers merged into it).
    select e.occurred_at,
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
comment on function app_public.customers_timeline(app_public.customers) is
  'What happened to the customer, newest first: created, changed, archived, merged, orders placed, voided and refunded, notes.';
--! EndIncluded customers/460-timeline.sql

-- The dashboard's today against the same weekday a week ago is computed in SQL
-- (app_private.reporting_dashboard_metrics), not added up by the admin from daily rows: each
-- location's own today and the day a week before it, the average sale and the percent changes.
-- New attributes at the end of the type (alter, not drop and create: the functions that return
-- it, and their grants, stay; the fixture included below replaces their bodies).
do $$
begin
  if not exists (select 1 from pg_attribute
                 where attrelid = 'reporting.dashboard_metrics'::regclass and attname = 'currency' and not attisdropped) then
    alter type reporting.dashboard_metrics
      add attribute average_today bigint,
      add attribute sales_week_ago bigint,
      add attribute orders_week_ago bigint,
      add attribute average_week_ago bigint,
      add attribute sales_change_percent numeric,
      add attribute orders_change_percent numeric,
      add attribute average_change_percent numeric,
      add attribute currency text;
  end if;
end $$;
comment on type reporting.dashboard_metrics is E'@name dashboard_metrics\nThe figures of the dashboard: today''s sales against the same weekday a week ago, low stock and active customers.';
comment on column reporting.dashboard_metrics.average_today is E'@notNull\nToday''s average sale: salesToday / ordersToday, rounded half up; 0 without sales.';
comment on column reporting.dashboard_metrics.sales_week_ago is E'@notNull\nNet sales (tax excluded, refunds of that day taken out) on the same weekday a week ago: each location''s today − 7 days on its own clock.';
comment on column reporting.dashboard_metrics.orders_week_ago is E'@notNull\nSales made on the same weekday a week ago, each location on its own clock.';
comment on column reporting.dashboard_metrics.average_week_ago is E'@notNull\nThe average sale of the same weekday a week ago: salesWeekAgo / ordersWeekAgo, rounded half up; 0 without sales.';
comment on column reporting.dashboard_metrics.sales_change_percent is 'salesToday against salesWeekAgo in percent, one decimal (12.5 is +12.5%, −30.0 is −30%; over the absolute value when a week ago was negative); null when a week ago had no net sales (0).';
comment on column reporting.dashboard_metrics.orders_change_percent is 'ordersToday against ordersWeekAgo in percent, one decimal; null when a week ago had no sales.';
comment on column reporting.dashboard_metrics.average_change_percent is 'averageToday against averageWeekAgo in percent, one decimal; null when a week ago''s average sale was 0.';
comment on column reporting.dashboard_metrics.currency is E'@notNull\nThe currency (ISO 4217) of the amounts, which are in its minor units (cents for USD).';

--! Included reporting/610-consumers.sql
-- How events reach the read models (rm_*) (db/REPORTING.md, "Consumers,
-- and the hot row").
--
-- Two consumers, each subscribed by rows of app_private.event_subscriptions and applied at most
-- once per event through processed_events (app_private.dispatch):
--
--   reporting_customers (inline): order.placed/voided/refunded and customer.created/updated/merged →
--     rm_customer_activity. One row per customer is not a hot row (the customer counters (app_private.customer_counters__order_placed)
--     already lock that customer in the same transaction), so it is applied at once, in the
--     writer's transaction.
--
--   reporting_sales (inline, queued): order.placed/voided/refunded/cancelled, tender.recorded and
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

/*
 * What each order and tender event adds to rm_daily_sales (db/REPORTING.md, "Sales
 * definitions"): a sale adds itself to its business date; a void (or a refund of some lines,
 * with the amounts of those lines) is a refund on the day it was made (voided_business_date,
 * refund_business_date): it takes its net amount out of net sales, its tax out of tax and
 * the money handed back out of the tenders, and counts one refund; a tender adds what went
 * towards its order on the day it was taken; a cancelled open order (never a sale) takes out of
 * the tenders only what was handed back, on the day of the cancellation.
 */
create or replace view app_private.reporting_daily_facts as
select e.tenant_id, e.id as event_id, e.seq,
       e.payload ->> 'location_id' as location_id,
       case when e.type = 'order.refunded.v1' then (e.payload ->> 'refund_business_date')::date
            when x.refund = 1 then coalesce((e.payload ->> 'voided_business_date')::date, (e.payload ->> 'business_date')::date)
            when e.type = 'order.cancelled.v1' then (e.payload ->> 'cancelled_business_date')::date
            else (e.payload ->> 'business_date')::date end as business_date,
       x.sale as order_count,
       x.sale * x.gross as gross_sales,
       x.sale * x.discounts as discount_total,
       (x.sale - x.refund) * x.tax as tax_total,
       (x.sale - x.refund) * (x.gross - x.discounts) as net_sales,
       case when x.tender = 'cash' then (e.payload ->> 'applied_amount')::bigint else 0 end - x.cash_back as tender_cash,
       case when x.tender = 'card' then (e.payload ->> 'applied_amount')::bigint else 0 end - x.card_back as tender_card,
       x.refund as refund_count,
       x.refund * (x.gross - x.discounts) as refund_total
from app_private.events e
cross join lateral (select
    case when e.type = 'order.placed.v1' then 1 else 0 end as sale,
    -- A refund of some lines carries the amounts it takes back as a void carries the order's.
    case when e.type in ('order.voided.v1', 'order.refunded.v1') then 1 else 0 end as refund,
    coalesce((e.payload ->> 'subtotal')::bigint, 0) as gross,
    coalesce((e.payload ->> 'discount_total')::bigint, 0) as discounts,
    coalesce((e.payload ->> 'tax_total')::bigint, 0) as tax,
    case when e.type = 'tender.recorded.v1' then e.payload ->> 'type' end as tender,
    -- Only voids, refunds and cancellations are read for money handed back (a case, so other events
    -- skip the subquery). Voids written before refund tenders existed carry none: their money is in no till.
    case when e.type in ('order.voided.v1', 'order.refunded.v1', 'order.cancelled.v1') then coalesce((select sum((r ->> 'amount')::bigint)
      from jsonb_array_elements(e.payload -> 'refund_tenders') r where r ->> 'type' = 'cash'), 0) else 0 end as cash_back,
    case when e.type in ('order.voided.v1', 'order.refunded.v1', 'order.cancelled.v1') then coalesce((select sum((r ->> 'amount')::bigint)
      from jsonb_array_elements(e.payload -> 'refund_tenders') r where r ->> 'type' = 'card'), 0) else 0 end as card_back) as x
where e.type in ('order.placed.v1', 'order.voided.v1', 'order.refunded.v1', 'order.cancelled.v1', 'tender.recorded.v1');
comment on view app_private.reporting_daily_facts is 'What each order or tender event adds to rm_daily_sales: a sale adds the order on its date; a void, or a refund of some lines, is a refund on the day it was made (net amount, tax and the money handed back taken out, one refund counted); a tender adds what went towards the order on the day it was taken; a cancelled open order takes back only the money handed back.';

/*
 * What each line of an order event adds to rm_item_sales: a sale adds its units, gross and net
 * revenue on its date; a void (or a refund of some lines: those lines) takes the units and the
 * net revenue back out on the day of the refund (gross revenue, like gross sales, stays with the sale).
 */
create or replace view app_private.reporting_item_facts as
select e.tenant_id, e.id as event_id, e.seq,
       e.payload ->> 'location_id' as location_id,
       case when e.type = 'order.voided.v1' then coalesce((e.payload ->> 'voided_business_date')::date, (e.payload ->> 'business_date')::date)
            when e.type = 'order.refunded.v1' then (e.payload ->> 'refund_business_date')::date
            else (e.payload ->> 'business_date')::date end as business_date,
       l.catalog_item_id,
       l.name as catalog_item_name,
       -- Names come from sales (a void or a refund repeats the old name): the latest sale by seq names the row.
       case when e.type = 'order.placed.v1' then e.seq else 0 end as name_seq,
       x.sign * l.quantity as quantity_sold,
       case when e.type = 'order.placed.v1' then l.subtotal else 0 end as gross_revenue,
       x.sign * l.revenue as net_revenue
from app_private.events e
cross join lateral jsonb_to_recordset(e.payload -> 'lines') as l(catalog_item_id text, name text, quantity bigint, subtotal bigint, revenue bigint)
cross join lateral (select case e.type when 'order.placed.v1' then 1 else -1 end as sign) as x
where e.type in ('order.placed.v1', 'order.voided.v1', 'order.refunded.v1');
comment on view app_private.reporting_item_facts is 'What each line of an order event adds to rm_item_sales (a void, or a refund of some lines, takes its units and net revenue back out on the day of the refund).';

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
                                             tax_total, net_sales, tender_cash, tender_card, refund_count, refund_total)
  select tenant, f.location_id, f.business_date, sum(f.order_count), sum(f.gross_sales), sum(f.discount_total), sum(f.tax_total),
         sum(f.net_sales), sum(f.tender_cash), sum(f.tender_card), sum(f.refund_count), sum(f.refund_total)
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
    refund_count = r.refund_count + excluded.refund_count,
    refund_total = r.refund_total + excluded.refund_total,
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
    -- The latest sale names the row; among names of equal rank (refunds only: name_seq 0) the
    -- smallest, so that the order events are folded in changes nothing (rebuild takes min()).
    catalog_item_name = case when excluded.name_seq > r.name_seq
                               or (excluded.name_seq = r.name_seq and excluded.catalog_item_name < r.catalog_item_name)
                             then excluded.catalog_item_name else r.catalog_item_name end,
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
               tax_total bigint, net_sales bigint, tender_cash bigint, tender_card bigint, refund_count bigint, refund_total bigint)
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- The queue is empty most of the time: then one index probe, not a plan over the tenant's events.
  if not exists (select 1 from app_private.reporting_queue q where q.tenant_id = reporting_pending_daily.tenant_id) then
    return;
  end if;
  return query
  select f.location_id, f.business_date, sum(f.order_count)::bigint, sum(f.gross_sales)::bigint, sum(f.discount_total)::bigint,
           sum(f.tax_total)::bigint, sum(f.net_sales)::bigint, sum(f.tender_cash)::bigint, sum(f.tender_card)::bigint,
           sum(f.refund_count)::bigint, sum(f.refund_total)::bigint
    from app_private.reporting_queue q
    join app_private.reporting_daily_facts f on f.tenant_id = q.tenant_id and f.event_id = q.event_id
    where q.tenant_id = reporting_pending_daily.tenant_id
    group by f.location_id, f.business_date;
end;
$$;
comment on function app_private.reporting_pending_daily(text) is 'What the tenant''s queued events add to rm_daily_sales, per location and date.';

create or replace function app_private.reporting_pending_items(tenant_id text)
returns table (location_id text, business_date date, catalog_item_id text, catalog_item_name text, name_seq bigint,
               quantity_sold bigint, gross_revenue bigint, net_revenue bigint)
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- The queue is empty most of the time: then one index probe, not a plan over the tenant's events.
  if not exists (select 1 from app_private.reporting_queue q where q.tenant_id = reporting_pending_items.tenant_id) then
    return;
  end if;
  return query
  select f.location_id, f.business_date, f.catalog_item_id, (array_agg(f.catalog_item_name order by f.name_seq desc, f.catalog_item_name))[1],
           max(f.name_seq), sum(f.quantity_sold)::bigint, sum(f.gross_revenue)::bigint, sum(f.net_revenue)::bigint
    from app_private.reporting_queue q
    join app_private.reporting_item_facts f on f.tenant_id = q.tenant_id and f.event_id = q.event_id
    where q.tenant_id = reporting_pending_items.tenant_id
    group by f.location_id, f.business_date, f.catalog_item_id;
end;
$$;
comment on function app_private.reporting_pending_items(text) is 'What the tenant''s queued events add to rm_item_sales, per location, date and item.';

create or replace function app_private.reporting_pending_stock(tenant_id text)
returns table (location_id text, inventory_item_id text, on_hand bigint)
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- The queue is empty most of the time: then one index probe, not a plan over the tenant's events.
  if not exists (select 1 from app_private.reporting_queue q where q.tenant_id = reporting_pending_stock.tenant_id) then
    return;
  end if;
  return query
  select f.location_id, f.inventory_item_id, sum(f.on_hand)::bigint
    from app_private.reporting_queue q
    join app_private.reporting_stock_facts f on f.tenant_id = q.tenant_id and f.event_id = q.event_id
    where q.tenant_id = reporting_pending_stock.tenant_id
    group by f.location_id, f.inventory_item_id;
end;
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
drop function if exists app_private.reporting_customer_orders(text, app_private.events[]);
create function app_private.reporting_customer_orders(tenant_id text, evts app_private.events[])
returns table (kind text, seq bigint, order_id text, customer_id text, placed_at timestamptz, total bigint,
               location_id text, business_date date)
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
begin
  return query
  select case e.type when 'order.placed.v1' then 'placed' when 'order.refunded.v1' then 'refunded' else 'voided' end,
         e.seq, e.payload ->> 'order_id',
         coalesce(a.merged_into_id, e.payload ->> 'customer_id'),
         (e.payload ->> 'placed_at')::timestamptz, (e.payload ->> 'total')::bigint,
         e.payload ->> 'location_id', (e.payload ->> 'business_date')::date
  from unnest(evts) e
  left join reporting.rm_customer_activity a
    on a.tenant_id = reporting_customer_orders.tenant_id and a.customer_id = e.payload ->> 'customer_id'
  where e.type in ('order.placed.v1', 'order.voided.v1', 'order.refunded.v1') and e.payload ->> 'customer_id' is not null;
end;
$$;

/*
 * Applies a batch of customer and order events (in log order) to a tenant's customer activity.
 * Renames: the name of the latest (highest seq) created/updated/merged event wins. Merges, in
 * log order: the duplicate's visits and spend move to the primary, the duplicate points at the
 * primary (and so do customers merged into it before). Orders count for the customer their
 * customer was merged into; a void takes its visit and total back out and, when it was the
 * latest visit, last_visit_at falls back to the latest order that still stands; a refund of some
 * lines takes its total out of the visit and the spend (the visit stays).
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
                 where e.type in ('order.placed.v1', 'order.voided.v1', 'order.refunded.v1') and e.payload ->> 'customer_id' is not null) then
    return;
  end if;

  -- Orders: each counts for its customer, or the customer that one was merged into.
  insert into reporting.rm_customer_visits (tenant_id, order_id, customer_id, placed_at, total, location_id, business_date)
  select tenant, o.order_id, o.customer_id, o.placed_at, o.total, o.location_id, o.business_date
  from app_private.reporting_customer_orders(tenant, evts) o where o.kind = 'placed'
  order by o.order_id
  on conflict do nothing;
  -- The void statements only when the batch has a void (most batches are one placed order).
  if exists (select 1 from unnest(evts) e where e.type = 'order.voided.v1') then
    update reporting.rm_customer_visits v set is_voided = true
  from app_private.reporting_customer_orders(tenant, evts) o
    where o.kind = 'voided' and v.tenant_id = tenant and v.order_id = o.order_id;
  end if;
  -- A refund of some lines takes its total off the visit's (several refunds of one order may come in one batch).
  if exists (select 1 from unnest(evts) e where e.type = 'order.refunded.v1') then
    update reporting.rm_customer_visits v set total = v.total - r.total
    from (select o.order_id, sum(o.total) as total from app_private.reporting_customer_orders(tenant, evts) o
          where o.kind = 'refunded' group by o.order_id) r
    where v.tenant_id = tenant and v.order_id = r.order_id;
  end if;

  insert into reporting.rm_customer_activity as r (tenant_id, customer_id, total_visits, total_spend, last_visit_at)
  select tenant, o.customer_id,
         sum(case o.kind when 'placed' then 1 when 'voided' then -1 else 0 end),
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
  if evt.type in ('order.placed.v1', 'order.voided.v1', 'order.refunded.v1') and evt.payload ->> 'customer_id' is null then
    return;
  end if;
  perform app_private.reporting_apply_customers(evt.tenant_id, array[evt]);
end;
$$;
comment on function app_private.reporting_customers__apply(app_private.events) is 'Consumer reporting_customers: applies a customer or order event to rm_customer_activity.';
--! EndIncluded reporting/610-consumers.sql
--! Included reporting/630-queries.sql
-- What the admin asks (the dashboard, the Sales, Items and Inventory
-- tabs), as GraphQL queries. Each reads the read models plus the sales events still
-- queued for folding (app_private.reporting_pending_*), so its figures are exact the moment an order commits, and never
-- aggregates the sales tables. The app_private.reporting_* versions take the tenant explicitly
-- (the export worker uses them); the reporting.* ones check reports.view and the plan's
-- reporting module and serve the caller's tenant.

/* The guard of the reporting queries: LOGIN, DNIED, TSUSP, NOMOD; returns the current tenant. */
create or replace function app_hidden.assert_reports_permission(permission text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission(permission);
begin
  perform app_hidden.assert_tenant_active();
  perform app_hidden.assert_module('reporting');
  return tenant;
end;
$$;
comment on function app_hidden.assert_reports_permission(text) is 'Raises LOGIN, DNIED, TSUSP or NOMOD unless the caller may use reports with this permission; returns the tenant.';

/* Raises BADIN unless from..to is a range of at most max_days days; NOTFD for a location of another tenant. */
create or replace function app_private.reporting_check_range(tenant_id text, from_date date, to_date date, location_id text, max_days int default 1096)
returns void
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if from_date is null or to_date is null then
    perform app_hidden.raise_error('BADIN', 'Give both the first and the last date of the period.');
  elsif from_date > to_date then
    perform app_hidden.raise_error('BADIN', 'The first date of the period must not be after the last one.');
  elsif to_date - from_date >= max_days then
    perform app_hidden.raise_error('BADIN', format('A period can be at most %s days long.', max_days));
  end if;
  if location_id is not null and not exists (
      select 1 from app_public.locations l where l.tenant_id = reporting_check_range.tenant_id and l.id = reporting_check_range.location_id) then
    perform app_hidden.raise_error('NOTFD', format('There is no location %s.', left(location_id, 40)));
  end if;
end;
$$;

/*
 * The average sale (db/REPORTING.md): net sales / sales, rounded half up, 0 without sales. (No
 * SET clause, so a query inlines it.)
 */
create or replace function app_private.reporting_average_sale(net_sales bigint, order_count bigint) returns bigint
language sql immutable parallel safe
as $$
  select case when order_count > 0 then round(net_sales::numeric / order_count)::bigint else 0 end;
$$;
comment on function app_private.reporting_average_sale(bigint, bigint) is 'Net sales / sales in minor units, rounded half up; 0 without sales (the average sale of a day, or of days added up).';

/*
 * A figure against the one it is compared with, in percent with one decimal (12.5 is +12.5%),
 * over the absolute value of the earlier one (net sales can be negative on a day of refunds), so
 * that up is always more. Null when the earlier figure is 0: no percent of nothing, even
 * against nothing now. (No SET clause, so a query inlines it.)
 */
create or replace function app_private.reporting_percent_change(current_value bigint, previous_value bigint) returns numeric
language sql immutable parallel safe
as $$
  select case when previous_value <> 0 then round(100.0 * (current_value - previous_value) / abs(previous_value), 1) end;
$$;
comment on function app_private.reporting_percent_change(bigint, bigint) is 'current against previous in percent, one decimal, over |previous|; null when previous is 0 (or either is null).';

/* Every date of the range (no gaps, for charts), summed over one or all locations. */
create or replace function app_private.reporting_daily_sales(tenant_id text, from_date date, to_date date, location_id text default null)
returns setof reporting.daily_sales_row
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  with figures as (
    select r.business_date, r.order_count::bigint as order_count, r.gross_sales, r.discount_total, r.tax_total, r.net_sales,
           r.tender_cash, r.tender_card, r.refund_count::bigint as refund_count, r.refund_total
    from reporting.rm_daily_sales r
    where r.tenant_id = reporting_daily_sales.tenant_id
      and r.business_date between from_date and to_date
      and (reporting_daily_sales.location_id is null or r.location_id = reporting_daily_sales.location_id)
    union all
    select d.business_date, d.order_count, d.gross_sales, d.discount_total, d.tax_total, d.net_sales,
           d.tender_cash, d.tender_card, d.refund_count, d.refund_total
    from app_private.reporting_pending_daily(reporting_daily_sales.tenant_id) d
    where d.business_date between from_date and to_date
      and (reporting_daily_sales.location_id is null or d.location_id = reporting_daily_sales.location_id)
  ), days as (
    select g::date as business_date from generate_series(from_date::timestamp, to_date::timestamp, interval '1 day') g
  ), summed as (
    select days.business_date,
           coalesce(sum(f.order_count), 0)::bigint as order_count, coalesce(sum(f.gross_sales), 0)::bigint as gross_sales,
           coalesce(sum(f.discount_total), 0)::bigint as discount_total, coalesce(sum(f.tax_total), 0)::bigint as tax_total,
           coalesce(sum(f.net_sales), 0)::bigint as net_sales, coalesce(sum(f.tender_cash), 0)::bigint as tender_cash,
           coalesce(sum(f.tender_card), 0)::bigint as tender_card, coalesce(sum(f.refund_count), 0)::bigint as refund_count,
           coalesce(sum(f.refund_total), 0)::bigint as refund_total
    from days left join figures f on f.business_date = days.business_date
    group by days.business_date
  )
  select s.business_date, reporting_daily_sales.location_id, s.order_count, s.gross_sales, s.discount_total, s.tax_total,
         s.net_sales, s.tender_cash, s.tender_card, s.refund_count, s.refund_total,
         app_private.reporting_average_sale(s.net_sales, s.order_count),
         s.net_sales + s.tax_total
  from summed s
  order by s.business_date;
$$;
comment on function app_private.reporting_daily_sales(text, date, date, text) is 'Daily sales of a tenant over a date range, one row per date, at one location or summed over all (exports, reporting.daily_sales).';

create or replace function reporting.daily_sales(from_date date, to_date date, location_id text default null)
returns setof reporting.daily_sales_row
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_reports_permission('reports.view');
begin
  perform app_private.reporting_check_range(tenant, from_date, to_date, location_id);
  return query select * from app_private.reporting_daily_sales(tenant, from_date, to_date, location_id);
end;
$$;
comment on function reporting.daily_sales(date, date, text) is
  E'@name daily_sales\n@behavior -connection +list\n@listSuffix omit\nSales per business date from fromDate to toDate (both included, at most 1096 days), one row per date even without sales; at one location, or added up over all locations when locationId is not given (each location''s own dates). Needs reports.view.';
grant execute on function reporting.daily_sales(date, date, text), reporting.item_sales(date, date, text, reporting.item_sales_order),
  reporting.inventory_summary(text, boolean), reporting.dashboard_metrics() to :DATABASE_VISITOR;

create or replace function app_private.reporting_item_sales(tenant_id text, from_date date, to_date date, location_id text default null,
                                                 order_by reporting.item_sales_order default 'revenue')
returns setof reporting.item_sales_row
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  with figures as (
    select r.catalog_item_id, r.catalog_item_name, r.name_seq, r.quantity_sold::bigint as quantity_sold, r.gross_revenue, r.net_revenue
    from reporting.rm_item_sales r
    where r.tenant_id = reporting_item_sales.tenant_id
      and r.business_date between from_date and to_date
      and (reporting_item_sales.location_id is null or r.location_id = reporting_item_sales.location_id)
    union all
    select d.catalog_item_id, d.catalog_item_name, d.name_seq, d.quantity_sold, d.gross_revenue, d.net_revenue
    from app_private.reporting_pending_items(reporting_item_sales.tenant_id) d
    where d.business_date between from_date and to_date
      and (reporting_item_sales.location_id is null or d.location_id = reporting_item_sales.location_id)
  ), summed as (
    select f.catalog_item_id, (array_agg(f.catalog_item_name order by f.name_seq desc, f.catalog_item_name))[1] as catalog_item_name,
           sum(f.quantity_sold)::bigint as quantity_sold, sum(f.gross_revenue)::bigint as gross_revenue,
           sum(f.net_revenue)::bigint as net_revenue
    from figures f
    group by f.catalog_item_id
  )
  select s.catalog_item_id, s.catalog_item_name, s.quantity_sold, s.gross_revenue, s.net_revenue,
         case when s.quantity_sold > 0 then round(s.net_revenue::numeric / s.quantity_sold)::bigint else 0 end
  from summed s
  where s.quantity_sold <> 0 or s.net_revenue <> 0
  order by case when order_by = 'quantity' then s.quantity_sold else s.net_revenue end desc,
           case when order_by = 'quantity' then s.net_revenue else s.quantity_sold end desc,
           s.catalog_item_name, s.catalog_item_id;
$$;
comment on function app_private.reporting_item_sales(text, date, date, text, reporting.item_sales_order) is 'Sales per catalog item of a tenant over a date range, best first (exports, reporting.item_sales).';

create or replace function reporting.item_sales(from_date date, to_date date, location_id text default null,
                                     order_by reporting.item_sales_order default 'revenue')
returns setof reporting.item_sales_row
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_reports_permission('reports.view');
begin
  perform app_private.reporting_check_range(tenant, from_date, to_date, location_id);
  return query select * from app_private.reporting_item_sales(tenant, from_date, to_date, location_id, coalesce(order_by, 'revenue'));
end;
$$;
comment on function reporting.item_sales(date, date, text, reporting.item_sales_order) is
  E'@name item_sales\n@behavior -connection +list\n@listSuffix omit\nTop catalog items from fromDate to toDate (both included), at one location or all: by units sold (quantity) or by net revenue (revenue, the default), best first; ties go to the other figure, then the name. Items with no units and no net revenue left after refunds are left out. Needs reports.view.';

create or replace function app_private.reporting_inventory_summary(tenant_id text, location_id text default null, low_only boolean default false)
returns setof reporting.inventory_summary_row
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  with figures as (
    select r.location_id, r.inventory_item_id, r.on_hand::bigint as on_hand
    from reporting.rm_inventory_on_hand r
    where r.tenant_id = reporting_inventory_summary.tenant_id
      and (reporting_inventory_summary.location_id is null or r.location_id = reporting_inventory_summary.location_id)
    union all
    select d.location_id, d.inventory_item_id, d.on_hand
    from app_private.reporting_pending_stock(reporting_inventory_summary.tenant_id) d
    where reporting_inventory_summary.location_id is null or d.location_id = reporting_inventory_summary.location_id
  ), summed as (
    select f.location_id, f.inventory_item_id, sum(f.on_hand)::int as on_hand
    from figures f
    group by f.location_id, f.inventory_item_id
  )
  select s.location_id, l.name, s.inventory_item_id, i.name, s.on_hand, i.low_stock_threshold, s.on_hand <= i.low_stock_threshold
  from summed s
  join app_public.locations l on l.tenant_id = reporting_inventory_summary.tenant_id and l.id = s.location_id
  join app_public.inventory_items i on i.tenant_id = reporting_inventory_summary.tenant_id and i.id = s.inventory_item_id
  where not coalesce(low_only, false) or s.on_hand <= i.low_stock_threshold
  order by l.name, i.name, s.inventory_item_id;
$$;
comment on function app_private.reporting_inventory_summary(text, text, boolean) is 'Stock per location and inventory item of a tenant (exports, reporting.inventory_summary).';

create or replace function reporting.inventory_summary(location_id text default null, low_only boolean default false)
returns setof reporting.inventory_summary_row
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_reports_permission('reports.view');
begin
  -- Stock levels are the inventory module's (NOMOD on a plan without it).
  perform app_hidden.assert_module('inventory');
  perform app_private.reporting_check_range(tenant, current_date, current_date, location_id);
  return query select * from app_private.reporting_inventory_summary(tenant, location_id, coalesce(low_only, false));
end;
$$;
comment on function reporting.inventory_summary(text, boolean) is
  E'@name inventory_summary\n@behavior -connection +list\n@listSuffix omit\nStock of every inventory item at one location (or at each location), by location and item name; only the items at or below their low-stock threshold when lowOnly is true. An item appears at a location once stock has moved there. Needs reports.view and the inventory module.';

/*
 * The dashboard's figures. Sales: today and the same weekday a week ago, each location on its own
 * clock (its today and its today − 7), so a business across time zones compares each shop's day
 * with that shop's day a week before. They read the rm_daily_sales rows of those two dates per
 * location (keys of its primary key) plus what the tenant's queued events add to those dates, as
 * the other exact readers do, so the figures are exact before the fold. The average sale and the
 * percent changes are computed from the sums (never averaged).
 */
create or replace function app_private.reporting_dashboard_metrics(tenant_id text) returns reporting.dashboard_metrics
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  with today as (
    select l.id as location_id, app_hidden.business_date(now(), l.timezone) as business_date
    from app_public.locations l where l.tenant_id = reporting_dashboard_metrics.tenant_id
  ), days as (
    select t.location_id, t.business_date, true as is_today from today t
    union all
    select t.location_id, t.business_date - 7, false from today t
  ), sales as (
    select d.is_today, r.order_count::bigint as order_count, r.net_sales
    from reporting.rm_daily_sales r
    join days d on d.location_id = r.location_id and d.business_date = r.business_date
    where r.tenant_id = reporting_dashboard_metrics.tenant_id
    union all
    select d.is_today, p.order_count, p.net_sales
    from app_private.reporting_pending_daily(reporting_dashboard_metrics.tenant_id) p
    join days d on d.location_id = p.location_id and d.business_date = p.business_date
  ), totals as (
    select coalesce(sum(s.net_sales) filter (where s.is_today), 0)::bigint as sales_today,
           coalesce(sum(s.order_count) filter (where s.is_today), 0)::bigint as orders_today,
           coalesce(sum(s.net_sales) filter (where not s.is_today), 0)::bigint as sales_week_ago,
           coalesce(sum(s.order_count) filter (where not s.is_today), 0)::bigint as orders_week_ago
    from sales s
  ), figures as (
    select t.*, app_private.reporting_average_sale(t.sales_today, t.orders_today) as average_today,
           app_private.reporting_average_sale(t.sales_week_ago, t.orders_week_ago) as average_week_ago
    from totals t
  ), pending_stock as (
    select * from app_private.reporting_pending_stock(reporting_dashboard_metrics.tenant_id)
  ), low as (
    -- Folded rows flagged low (a partial index) that no queued movement touches …
    select 1
    from reporting.rm_inventory_on_hand r
    where r.tenant_id = reporting_dashboard_metrics.tenant_id and r.is_below_threshold
      and not exists (select 1 from pending_stock p where p.location_id = r.location_id and p.inventory_item_id = r.inventory_item_id)
    union all
    -- … and the rows queued movements touch, with those movements added.
    select 1
    from pending_stock p
    join app_public.inventory_items i on i.tenant_id = reporting_dashboard_metrics.tenant_id and i.id = p.inventory_item_id
    left join reporting.rm_inventory_on_hand r
      on r.tenant_id = reporting_dashboard_metrics.tenant_id and r.location_id = p.location_id and r.inventory_item_id = p.inventory_item_id
    where coalesce(r.on_hand, 0) + p.on_hand <= i.low_stock_threshold
  )
  select row(
    f.sales_today,
    f.orders_today,
    (select count(*)::int from low),
    (select count(*)::int from reporting.rm_customer_activity c
     where c.tenant_id = reporting_dashboard_metrics.tenant_id and c.merged_into_id is null
       and c.last_visit_at >= now() - interval '30 days'),
    f.average_today,
    f.sales_week_ago,
    f.orders_week_ago,
    f.average_week_ago,
    app_private.reporting_percent_change(f.sales_today, f.sales_week_ago),
    app_private.reporting_percent_change(f.orders_today, f.orders_week_ago),
    app_private.reporting_percent_change(f.average_today, f.average_week_ago),
    (select t.currency from app_public.tenants t where t.id = reporting_dashboard_metrics.tenant_id)
  )::reporting.dashboard_metrics
  from figures f;
$$;
comment on function app_private.reporting_dashboard_metrics(text) is 'The dashboard figures of a tenant: today''s sales against the same weekday a week ago (each location on its own clock), low stock, active customers.';

create or replace function reporting.dashboard_metrics() returns reporting.dashboard_metrics
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_reports_permission('reports.view');
  metrics reporting.dashboard_metrics := app_private.reporting_dashboard_metrics(tenant);
begin
  -- Low stock is the inventory module's: a plan without it counts none.
  if not app_hidden.has_module('inventory') then
    metrics.low_stock_count := 0;
  end if;
  return metrics;
end;
$$;
comment on function reporting.dashboard_metrics() is
  E'@name dashboard_metrics\nToday''s net sales (tax excluded, refunds taken out), sales and average sale against the same weekday a week ago, with the change in percent (null when a week ago had nothing), today and a week ago in each location''s own time zone; the number of low-stock items (0 on a plan without the inventory module), and the customers active in the last 30 days. Amounts in minor units of currency. Needs reports.view.';
--! EndIncluded reporting/630-queries.sql
