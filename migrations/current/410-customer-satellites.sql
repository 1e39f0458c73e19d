-- 410-customer-satellites: what hangs off a customer — categorised notes with their author, and
-- postal addresses with at most one default per customer (a partial unique index). Both use the
-- generated create/update/delete, guarded by policies (customers.update to write,
-- customers.view to read) and validation triggers that raise coded errors; a merge (430) moves
-- them to the surviving customer. Changes are audited.

/* Raises NOTFD unless the customer is visible in the tenant, CMRGD when it was merged away. */
create function app_hidden.assert_live_customer(tenant_id text, customer_id text) returns void
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
  end if;
end;
$$;
comment on function app_hidden.assert_live_customer(text, text) is 'Raises NOTFD for an unknown (or invisible) customer and CMRGD for a merged one.';

------------------------------------------------------------------------------------------------
-- Notes

create table app_public.customer_notes (
  tenant_id text not null default app_hidden.current_tenant_id() references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  customer_id text not null,
  category text not null default 'general' check (category in ('general', 'preference', 'issue', 'feedback')),
  body text not null check (length(body) between 1 and 2000),
  author_user_id text references app_public.users on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, customer_id) references app_public.customers (tenant_id, id)
);
create index customer_notes_customer_idx on app_public.customer_notes (tenant_id, customer_id, created_at desc);
create index customer_notes_author_idx on app_public.customer_notes (author_user_id);
select app_private.secure_table('app_public.customer_notes');
comment on table app_public.customer_notes is E'@unique id\nA dated note about a customer, by a member of staff.';
comment on column app_public.customer_notes.tenant_id is '@behavior -*';
comment on constraint customer_notes_pkey on app_public.customer_notes is '@behavior -single -update -delete';
comment on constraint customer_notes_tenant_id_fkey on app_public.customer_notes is E'@fieldName tenant\n@foreignFieldName customerNotes';
comment on constraint customer_notes_tenant_id_customer_id_fkey on app_public.customer_notes is E'@fieldName customer\n@foreignFieldName customerNotes';
comment on constraint customer_notes_author_user_id_fkey on app_public.customer_notes is E'@fieldName author\n@foreignFieldName authoredCustomerNotes';
comment on column app_public.customer_notes.customer_id is 'The customer the note is about (fixed once written).';
comment on column app_public.customer_notes.category is E'@behavior +filterBy\ngeneral, preference, issue or feedback.';
comment on column app_public.customer_notes.body is 'The note (1 to 2000 characters; line breaks allowed).';
comment on column app_public.customer_notes.author_user_id is 'Who wrote the note (set by the database).';

create function app_private.tg_customer_notes__validate() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  new.body := app_hidden.optional_text('Note', new.body, 2000);
  if new.body is null then
    perform app_hidden.raise_error('BADIN', 'Note is required.');
  end if;
  new.category := coalesce(lower(btrim(new.category)), 'general');
  if new.category not in ('general', 'preference', 'issue', 'feedback') then
    perform app_hidden.raise_error('BADIN', 'Note category must be general, preference, issue or feedback.');
  end if;
  if tg_op = 'INSERT' then
    new.author_user_id := app_hidden.current_user_id();
  else
    new.author_user_id := old.author_user_id;
  end if;
  if tg_op = 'INSERT' or new.customer_id is distinct from old.customer_id then
    perform app_hidden.assert_live_customer(new.tenant_id, new.customer_id);
  end if;
  return new;
end;
$$;
create trigger _050_validate before insert or update on app_public.customer_notes
  for each row execute function app_private.tg_customer_notes__validate();
create trigger _100_timestamps before insert or update on app_public.customer_notes
  for each row execute function app_private.tg__timestamps();
create trigger _500_audit after insert or update or delete on app_public.customer_notes
  for each row execute function app_private.tg__audit('created_at', 'updated_at');

create policy select_with_permission on app_public.customer_notes for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.view')));
create policy insert_with_permission on app_public.customer_notes for insert to :DATABASE_VISITOR
  with check (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.update')));
create policy update_with_permission on app_public.customer_notes for update to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.update')));
create policy delete_with_permission on app_public.customer_notes for delete to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.update')));
grant select, delete on app_public.customer_notes to :DATABASE_VISITOR;
grant insert (customer_id, category, body), update (category, body) on app_public.customer_notes to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Addresses

/* The default country of the current tenant (the default of an address's country). */
create function app_hidden.current_tenant_country() returns text
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select t.default_country from app_public.tenants t where t.id = app_hidden.current_tenant_id();
$$;
comment on function app_hidden.current_tenant_country() is 'ISO country of the current tenant (its default_country).';

create table app_public.customer_addresses (
  tenant_id text not null default app_hidden.current_tenant_id() references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  customer_id text not null,
  type text not null default 'home' check (type in ('home', 'work', 'billing', 'shipping', 'other')),
  line1 text not null check (length(line1) between 1 and 200),
  line2 text check (length(line2) between 1 and 200),
  city text not null check (length(city) between 1 and 100),
  region text check (length(region) between 1 and 100),
  postal_code text check (length(postal_code) between 1 and 20),
  country text not null default app_hidden.current_tenant_country() check (country ~ '^[A-Z]{2}$'),
  latitude numeric(9, 6) check (latitude between -90 and 90),
  longitude numeric(9, 6) check (longitude between -180 and 180),
  is_default boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, customer_id) references app_public.customers (tenant_id, id),
  check ((latitude is null) = (longitude is null))
);
create index customer_addresses_customer_idx on app_public.customer_addresses (tenant_id, customer_id);
-- At most one default address per customer.
create unique index customer_addresses_default_key on app_public.customer_addresses (tenant_id, customer_id) where is_default;
select app_private.secure_table('app_public.customer_addresses');
comment on table app_public.customer_addresses is E'@unique id\nA postal address of a customer. At most one per customer is the default; making another the default unsets the previous one.';
comment on column app_public.customer_addresses.tenant_id is '@behavior -*';
comment on constraint customer_addresses_pkey on app_public.customer_addresses is '@behavior -single -update -delete';
comment on constraint customer_addresses_tenant_id_fkey on app_public.customer_addresses is E'@fieldName tenant\n@foreignFieldName customerAddresses';
comment on constraint customer_addresses_tenant_id_customer_id_fkey on app_public.customer_addresses is E'@fieldName customer\n@foreignFieldName addresses';
comment on column app_public.customer_addresses.customer_id is 'The customer (fixed once written).';
comment on column app_public.customer_addresses.type is 'home, work, billing, shipping or other.';
comment on column app_public.customer_addresses.line1 is 'First address line (street and number).';
comment on column app_public.customer_addresses.line2 is 'Second address line (building, floor…).';
comment on column app_public.customer_addresses.city is 'City or town.';
comment on column app_public.customer_addresses.region is 'State, province or region.';
comment on column app_public.customer_addresses.postal_code is 'Postal or ZIP code (upper-cased).';
comment on column app_public.customer_addresses.country is 'ISO 3166 country code (two letters); defaults to the business''s country.';
comment on column app_public.customer_addresses.latitude is 'Latitude in degrees (with longitude, or neither).';
comment on column app_public.customer_addresses.longitude is 'Longitude in degrees (with latitude, or neither).';
comment on column app_public.customer_addresses.is_default is 'Whether this is the customer''s default address (at most one).';

create function app_private.tg_customer_addresses__validate() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  new.type := coalesce(lower(btrim(new.type)), 'home');
  if new.type not in ('home', 'work', 'billing', 'shipping', 'other') then
    perform app_hidden.raise_error('BADIN', 'Address type must be home, work, billing, shipping or other.');
  end if;
  new.line1 := app_hidden.assert_name('Address line 1', new.line1, 200);
  new.line2 := app_hidden.optional_name('Address line 2', new.line2, 200);
  new.city := app_hidden.assert_name('City', new.city, 100);
  new.region := app_hidden.optional_name('Region', new.region, 100);
  new.postal_code := upper(app_hidden.optional_name('Postal code', new.postal_code, 20));
  if new.country is null or btrim(new.country) = '' then
    select t.default_country into new.country from app_public.tenants t where t.id = new.tenant_id;
  end if;
  new.country := upper(btrim(new.country));
  if new.country !~ '^[A-Z]{2}$' then
    perform app_hidden.raise_error('BADIN', 'Country must be a two-letter ISO code, such as FR or US.');
  end if;
  if (new.latitude is null) <> (new.longitude is null) then
    perform app_hidden.raise_error('BADIN', 'Give both latitude and longitude, or neither.');
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
create trigger _050_validate before insert or update on app_public.customer_addresses
  for each row execute function app_private.tg_customer_addresses__validate();
create trigger _100_timestamps before insert or update on app_public.customer_addresses
  for each row execute function app_private.tg__timestamps();
create trigger _500_audit after insert or update or delete on app_public.customer_addresses
  for each row execute function app_private.tg__audit('created_at', 'updated_at');

create policy select_with_permission on app_public.customer_addresses for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.view')));
create policy insert_with_permission on app_public.customer_addresses for insert to :DATABASE_VISITOR
  with check (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.update')));
create policy update_with_permission on app_public.customer_addresses for update to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.update')));
create policy delete_with_permission on app_public.customer_addresses for delete to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.update')));
grant select, delete on app_public.customer_addresses to :DATABASE_VISITOR;
grant insert (customer_id, type, line1, line2, city, region, postal_code, country, latitude, longitude, is_default),
      update (type, line1, line2, city, region, postal_code, country, latitude, longitude, is_default)
  on app_public.customer_addresses to :DATABASE_VISITOR;
