-- Issue 17, items 1 and 7: guest walk-ins, upgrading a profile without duplicating anybody, the
-- stage on the Customers list; delivery details and coordinates of addresses, coordinates of
-- locations and the distance between them.

-- A walk-in kept for one sale (create_walk_in_customer) is the only customer allowed to have no
-- identifier at all: it is shown as "Walk-in" (customers/401-display-name.sql) until upgraded.
alter table app_public.customers add column if not exists walk_in boolean not null default false;
comment on column app_public.customers.walk_in is 'Kept at the till as a walk-in (createWalkInCustomer): the only customer that may have no name, phone or email.';
--!include customers/401-display-name.sql
do $$
begin
  if pg_get_constraintdef((select oid from pg_constraint where conrelid = 'app_public.customers'::regclass and conname = 'customers_identifiable')) !~ 'walk_in' then
    alter table app_public.customers drop constraint customers_identifiable;
    alter table app_public.customers add constraint customers_identifiable
      check (email is not null or phone is not null or first_name is not null or company_name is not null or walk_in);
  end if;
end $$;
comment on constraint customers_identifiable on app_public.customers is
  'A customer needs at least an email, a phone number, a first name or (a company) its name (NOIDN); only a walk-in kept for a sale may have none.';

-- The stage filter of the Customers list (customer_rows.stage).
create index if not exists customers_stage_idx on app_public.customers (tenant_id, stage);
--!include customers/470-loyalty-classes.sql
comment on column app_public.customer_rows.stage is E'@notNull\n@behavior +filterBy\nProfile stage: guest, stub or full.';

--!include customers/432-upgrade.sql

-- Addresses: delivery details (coordinates exist since the addresses were made).
alter table app_public.customer_addresses add column if not exists building text;
alter table app_public.customer_addresses add column if not exists floor text;
alter table app_public.customer_addresses add column if not exists delivery_notes text;
alter table app_public.customer_addresses drop constraint if exists customer_addresses_building_check;
alter table app_public.customer_addresses add constraint customer_addresses_building_check check (length(building) between 1 and 100);
alter table app_public.customer_addresses drop constraint if exists customer_addresses_floor_check;
alter table app_public.customer_addresses add constraint customer_addresses_floor_check check (length(floor) between 1 and 20);
alter table app_public.customer_addresses drop constraint if exists customer_addresses_delivery_notes_check;
alter table app_public.customer_addresses add constraint customer_addresses_delivery_notes_check check (length(delivery_notes) between 1 and 500);
comment on column app_public.customer_addresses.building is 'Building name or number (up to 100 characters).';
comment on column app_public.customer_addresses.floor is 'Floor or unit (up to 20 characters).';
comment on column app_public.customer_addresses.delivery_notes is 'Notes for whoever delivers there (up to 500 characters).';

-- Locations may have coordinates, so an address's distance from them can be shown.
alter table app_public.locations add column if not exists latitude numeric(9,6);
alter table app_public.locations add column if not exists longitude numeric(9,6);
alter table app_public.locations drop constraint if exists locations_coordinates_pair;
alter table app_public.locations add constraint locations_coordinates_pair check ((latitude is null) = (longitude is null));
alter table app_public.locations drop constraint if exists locations_latitude_check;
alter table app_public.locations add constraint locations_latitude_check check (latitude between -90 and 90);
alter table app_public.locations drop constraint if exists locations_longitude_check;
alter table app_public.locations add constraint locations_longitude_check check (longitude between -180 and 180);
comment on column app_public.locations.latitude is 'Latitude in degrees (optional, with longitude): for distances to customers'' addresses.';
comment on column app_public.locations.longitude is 'Longitude in degrees (optional, with latitude).';

--!include customers/412-address-distance.sql
