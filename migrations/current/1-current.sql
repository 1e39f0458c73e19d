-- A Stripe event's type is a non-empty string (app_hidden.receive_stripe_events).
--!include billing/520-stripe-events.sql

------------------------------------------------------------------------------------------------
-- Know your regulars: purchase history on narrow tables, loyalty classes, customer types,
-- preferences. (Tables, columns, indexes and data here; every rule in the fixtures included
-- below.)

-- The purchase history of each customer, off the wide customers row (whose 15 indexes every
-- sale rewrote): one narrow row per customer, kept by the customer_counters consumer.
create table if not exists app_public.customer_stats (
  tenant_id text not null references app_public.tenants on delete cascade,
  customer_id text not null,
  visits int not null default 0 check (visits >= 0),
  spend bigint not null default 0,
  items_bought bigint not null default 0 check (items_bought >= 0),
  first_visit_at timestamptz,
  last_visit_at timestamptz,
  -- The latest standing visits, newest first, at most 20 (the largest "regular" threshold):
  -- enough to count the visits of any window the loyalty classes look at, with no other read.
  recent_visits timestamptz[] not null default '{}' check (cardinality(recent_visits) <= 20),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, customer_id),
  foreign key (tenant_id, customer_id) references app_public.customers (tenant_id, id) on delete cascade,
  check ((visits = 0) = (last_visit_at is null)),
  check ((first_visit_at is null) = (last_visit_at is null))
);
create index if not exists customer_stats_last_visit_idx on app_public.customer_stats (tenant_id, last_visit_at desc, customer_id);
create index if not exists customer_stats_spend_idx on app_public.customer_stats (tenant_id, spend desc, customer_id);
comment on table app_public.customer_stats is E'@name customer_stats\nThe purchase history of a customer, kept by the database from the sales events (orders placed and voided, merges).';
comment on constraint customer_stats_pkey on app_public.customer_stats is '@behavior -single -update -delete';
comment on constraint customer_stats_tenant_id_fkey on app_public.customer_stats is '@behavior -*';
comment on constraint customer_stats_tenant_id_customer_id_fkey on app_public.customer_stats is E'@fieldName customer\n@foreignFieldName stats';
comment on column app_public.customer_stats.tenant_id is '@behavior -*';
comment on column app_public.customer_stats.recent_visits is '@behavior -*';
comment on column app_public.customer_stats.visits is 'Orders of the customer that were not voided.';
comment on column app_public.customer_stats.spend is 'Totals of those orders (tax included), in cents.';
comment on column app_public.customer_stats.items_bought is 'Units bought in those orders.';
comment on column app_public.customer_stats.first_visit_at is 'When the earliest of those orders was placed.';
comment on column app_public.customer_stats.last_visit_at is 'When the latest of those orders was placed.';
comment on column app_public.customer_stats.updated_at is 'When this row last changed.';

-- One row per order the consumer counted: what a void or a merge recomputes first and last
-- visit from (only what the consumer has seen, so a replay stays exact).
create table if not exists app_private.customer_visits (
  tenant_id text not null references app_public.tenants on delete cascade,
  order_id text not null,
  customer_id text not null,
  placed_at timestamptz not null,
  total bigint not null,
  item_count int not null,
  is_voided boolean not null default false,
  primary key (tenant_id, order_id),
  foreign key (tenant_id, customer_id) references app_public.customers (tenant_id, id) on delete cascade
);
create index if not exists customer_visits_customer_idx on app_private.customer_visits (tenant_id, customer_id, placed_at);
comment on table app_private.customer_visits is 'Internal to the customer_counters consumer: each counted order, so that a void or merge can recompute first and last visit.';

-- Units of each catalog item a customer bought (orders not voided): their most bought items.
create table if not exists app_public.customer_item_stats (
  tenant_id text not null references app_public.tenants on delete cascade,
  customer_id text not null,
  catalog_item_id text not null,
  quantity bigint not null check (quantity > 0),
  primary key (tenant_id, customer_id, catalog_item_id),
  foreign key (tenant_id, customer_id) references app_public.customers (tenant_id, id) on delete cascade,
  foreign key (tenant_id, catalog_item_id) references app_public.catalog_items (tenant_id, id)
);
create index if not exists customer_item_stats_item_idx on app_public.customer_item_stats (tenant_id, catalog_item_id);
comment on table app_public.customer_item_stats is E'@name customer_item_stats\n@behavior -query:resource:list -query:resource:connection\nUnits of a catalog item a customer bought in orders that were not voided.';
comment on constraint customer_item_stats_pkey on app_public.customer_item_stats is '@behavior -single -update -delete';
comment on constraint customer_item_stats_tenant_id_fkey on app_public.customer_item_stats is '@behavior -*';
comment on constraint customer_item_stats_tenant_id_customer_id_fkey on app_public.customer_item_stats is '@behavior -*';
comment on constraint customer_item_stats_tenant_id_catalog_item_id_fkey on app_public.customer_item_stats is E'@fieldName catalogItem\n@behavior -manyRelation:resource:list -manyRelation:resource:connection';
comment on column app_public.customer_item_stats.tenant_id is '@behavior -*';
comment on column app_public.customer_item_stats.customer_id is '@behavior -*';
comment on column app_public.customer_item_stats.quantity is 'Units bought.';

-- The thresholds of the loyalty classes, one row per tenant.
create table if not exists app_public.loyalty_settings (
  tenant_id text primary key references app_public.tenants on delete cascade,
  regular_min_visits int not null default 5 check (regular_min_visits between 2 and 20),
  regular_window_days int not null default 90 check (regular_window_days between 7 and 730),
  lapsed_after_days int not null default 60 check (lapsed_after_days between 7 and 730),
  updated_at timestamptz not null default now()
);
insert into app_public.loyalty_settings (tenant_id) select t.id from app_public.tenants t on conflict do nothing;
comment on table app_public.loyalty_settings is E'@name loyalty_settings\nWhen a customer counts as regular or lapsed (see loyaltyClass).';
comment on constraint loyalty_settings_pkey on app_public.loyalty_settings is '@behavior -update -delete';
comment on constraint loyalty_settings_tenant_id_fkey on app_public.loyalty_settings is '@behavior -*';
comment on column app_public.loyalty_settings.tenant_id is '@behavior -*';
comment on column app_public.loyalty_settings.regular_min_visits is 'Visits within regularWindowDays that make a customer regular (2 to 20; default 5).';
comment on column app_public.loyalty_settings.regular_window_days is 'The window those visits are counted in, in days (default 90).';
comment on column app_public.loyalty_settings.lapsed_after_days is 'Days without a visit after which a returning or regular customer is lapsed, and a single visit is one-time (default 60).';
comment on column app_public.loyalty_settings.updated_at is 'When the thresholds last changed.';

do $$ begin
  if not exists (select 1 from pg_type where typname = 'loyalty_class' and typnamespace = 'app_public'::regnamespace) then
    create type app_public.loyalty_class as enum ('new', 'returning', 'regular', 'lapsed', 'one_time');
  end if;
end $$;
comment on type app_public.loyalty_class is 'How often a customer comes: new (first visit recently), returning, regular, lapsed (returning or regular, then gone), one_time (a single visit long ago).';

-- Customer types: four to start with, labels the tenant may rename; types in use stay.
create table if not exists app_public.customer_types (
  tenant_id text not null default app_hidden.current_tenant_id() references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  key text check (key in ('walk_in', 'regular', 'vip', 'wholesale')),
  label text not null check (label = btrim(label) and length(label) between 1 and 40),
  position int not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, key)
);
create unique index if not exists customer_types_label_key on app_public.customer_types (tenant_id, lower(label));
insert into app_public.customer_types (tenant_id, key, label, position)
select t.id, k.key, k.label, k.position
from app_public.tenants t
cross join (values ('walk_in', 'Walk-in', 1), ('regular', 'Regular', 2), ('vip', 'VIP', 3), ('wholesale', 'Wholesale', 4)) k(key, label, position)
on conflict do nothing;
comment on table app_public.customer_types is E'@name customer_types\nKinds of customers a business tells apart (walk-in, regular, VIP, wholesale, or its own).';
comment on constraint customer_types_pkey on app_public.customer_types is '@behavior -update -delete';
comment on constraint customer_types_tenant_id_fkey on app_public.customer_types is '@behavior -*';
comment on constraint customer_types_tenant_id_key_key on app_public.customer_types is '@behavior -*';
comment on column app_public.customer_types.tenant_id is '@behavior -*';
comment on column app_public.customer_types.key is 'walk_in, regular, vip or wholesale for the four every business starts with; null for its own.';
comment on column app_public.customer_types.label is E'@behavior +orderBy\nThe name shown (the business may rename it).';
comment on column app_public.customer_types.position is E'@behavior +orderBy\nOrder in lists.';

alter table app_public.customers add column if not exists customer_type_id text;
do $$ begin
  if not exists (select 1 from pg_constraint where conname = 'customers_customer_type_fkey') then
    alter table app_public.customers add constraint customers_customer_type_fkey
      foreign key (tenant_id, customer_type_id) references app_public.customer_types (tenant_id, id);
  end if;
end $$;
-- A merged customer's type went to the customer it was merged into (merge_customers).
update app_public.customers c set customer_type_id = null where c.status = 'merged' and c.customer_type_id is not null;
alter table app_public.customers drop constraint if exists customers_merged_without_type;
alter table app_public.customers add constraint customers_merged_without_type check (status <> 'merged' or customer_type_id is null);
create index if not exists customers_customer_type_idx on app_public.customers (tenant_id, customer_type_id);
comment on column app_public.customers.customer_type_id is 'The customer''s type (setCustomerType), if any.';
comment on constraint customers_customer_type_fkey on app_public.customers is E'@fieldName customerType\n@behavior -manyRelation:resource:list -manyRelation:resource:connection';

-- Preferences: how the customer likes to be contacted and served.
create table if not exists app_public.customer_preferences (
  tenant_id text not null references app_public.tenants on delete cascade,
  customer_id text not null,
  do_not_contact boolean not null default false,
  preferred_payment text check (preferred_payment in ('cash', 'card')),
  best_contact_time text check (best_contact_time in ('morning', 'afternoon', 'evening', 'anytime')),
  language text check (language ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$' and length(language) <= 35),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, customer_id),
  foreign key (tenant_id, customer_id) references app_public.customers (tenant_id, id) on delete cascade
);
comment on table app_public.customer_preferences is E'@name customer_preferences\nHow a customer likes to be contacted and served (setCustomerPreferences).';
comment on constraint customer_preferences_pkey on app_public.customer_preferences is '@behavior -single -update -delete';
comment on constraint customer_preferences_tenant_id_fkey on app_public.customer_preferences is '@behavior -*';
comment on constraint customer_preferences_tenant_id_customer_id_fkey on app_public.customer_preferences is E'@fieldName customer\n@foreignFieldName preferences';
comment on column app_public.customer_preferences.tenant_id is '@behavior -*';
comment on column app_public.customer_preferences.do_not_contact is 'Never contact this customer, whatever the channels say (exports and campaign lists leave them out).';
comment on column app_public.customer_preferences.preferred_payment is 'cash or card.';
comment on column app_public.customer_preferences.best_contact_time is 'morning, afternoon, evening or anytime.';
comment on column app_public.customer_preferences.language is 'The language to speak or write in, as a BCP 47 tag such as en, fr or ar-OM.';

-- Each contact channel the customer agreed to or refused, with where and when that was said.
create table if not exists app_public.customer_contact_channels (
  tenant_id text not null references app_public.tenants on delete cascade,
  customer_id text not null,
  channel text not null check (channel in ('email', 'sms', 'phone')),
  allowed boolean not null,
  source text not null check (source in ('pos', 'admin', 'online', 'import', 'merge', 'other')),
  recorded_at timestamptz not null default now(),
  recorded_by text references app_public.users on delete set null,
  primary key (tenant_id, customer_id, channel),
  foreign key (tenant_id, customer_id) references app_public.customers (tenant_id, id) on delete cascade
);
create index if not exists customer_contact_channels_recorded_by_idx on app_public.customer_contact_channels (recorded_by);
comment on table app_public.customer_contact_channels is E'@name customer_contact_channels\n@behavior -query:resource:list -query:resource:connection\nA contact channel (email, sms, phone) the customer agreed to or refused, with the source and time of that consent.';
comment on constraint customer_contact_channels_pkey on app_public.customer_contact_channels is '@behavior -single -update -delete';
comment on constraint customer_contact_channels_tenant_id_fkey on app_public.customer_contact_channels is '@behavior -*';
comment on constraint customer_contact_channels_tenant_id_customer_id_fkey on app_public.customer_contact_channels is E'@fieldName customer\n@foreignFieldName contactChannels';
comment on constraint customer_contact_channels_recorded_by_fkey on app_public.customer_contact_channels is E'@fieldName recordedByUser\n@behavior -manyRelation:resource:list -manyRelation:resource:connection';
comment on column app_public.customer_contact_channels.tenant_id is '@behavior -*';
comment on column app_public.customer_contact_channels.channel is 'email, sms or phone.';
comment on column app_public.customer_contact_channels.allowed is 'Whether the customer agreed to be contacted this way.';
comment on column app_public.customer_contact_channels.source is 'Where the customer said so: pos, admin, online, import, merge or other.';
comment on column app_public.customer_contact_channels.recorded_at is 'When it was recorded.';

-- Catalog items the customer asked us to remember as their favourites.
create table if not exists app_public.customer_favourite_items (
  tenant_id text not null references app_public.tenants on delete cascade,
  customer_id text not null,
  catalog_item_id text not null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, customer_id, catalog_item_id),
  foreign key (tenant_id, customer_id) references app_public.customers (tenant_id, id) on delete cascade,
  foreign key (tenant_id, catalog_item_id) references app_public.catalog_items (tenant_id, id)
);
create index if not exists customer_favourite_items_item_idx on app_public.customer_favourite_items (tenant_id, catalog_item_id);
comment on table app_public.customer_favourite_items is E'@name customer_favourite_items\n@behavior -query:resource:list -query:resource:connection\nA catalog item the customer told us is a favourite.';
comment on constraint customer_favourite_items_pkey on app_public.customer_favourite_items is '@behavior -single -update -delete';
comment on constraint customer_favourite_items_tenant_id_fkey on app_public.customer_favourite_items is '@behavior -*';
comment on constraint customer_favourite_items_tenant_id_customer_id_fkey on app_public.customer_favourite_items is E'@fieldName customer\n@foreignFieldName favouriteItems';
comment on constraint customer_favourite_items_tenant_id_catalog_item_id_fkey on app_public.customer_favourite_items is E'@fieldName catalogItem\n@behavior -manyRelation:resource:list -manyRelation:resource:connection';
comment on column app_public.customer_favourite_items.tenant_id is '@behavior -*';
comment on column app_public.customer_favourite_items.customer_id is '@behavior -*';
comment on column app_public.customer_favourite_items.created_at is 'When it was added.';

-- The customer-visits read model learns where and on which business date each visit was,
-- for the new-vs-returning report.
alter table reporting.rm_customer_visits add column if not exists location_id text;
alter table reporting.rm_customer_visits add column if not exists business_date date;
update reporting.rm_customer_visits v set location_id = o.location_id, business_date = o.business_date
from app_public.orders o
where o.tenant_id = v.tenant_id and o.id = v.order_id and v.business_date is null;
alter table reporting.rm_customer_visits alter column location_id set not null;
alter table reporting.rm_customer_visits alter column business_date set not null;
create index if not exists rm_customer_visits_date_idx on reporting.rm_customer_visits (tenant_id, business_date) where not is_voided;

-- Row-level security on every new table, and a suspended business writes none of them (TSUSP),
-- like every tenant-owned table.
do $$
declare t regclass;
begin
  perform app_private.secure_table('app_private.customer_visits')
  where not exists (select 1 from pg_policy where polrelid = 'app_private.customer_visits'::regclass and polname = 'all_for_owner');
  foreach t in array array['app_public.customer_stats', 'app_public.customer_item_stats', 'app_public.loyalty_settings',
                           'app_public.customer_types', 'app_public.customer_preferences',
                           'app_public.customer_contact_channels', 'app_public.customer_favourite_items']::regclass[] loop
    if not exists (select 1 from pg_policy where polrelid = t and polname = 'all_for_owner') then
      perform app_private.secure_table(t);
    end if;
    if not exists (select 1 from pg_policy where polrelid = t and polname = 'active_tenant_only') then
      perform app_private.enforce_active_tenant(t);
    end if;
  end loop;
end $$;

-- What the Customers tab of Reports reads.
do $$ begin
  if not exists (select 1 from pg_type where typname = 'customer_loyalty_day_row' and typnamespace = 'reporting'::regnamespace) then
    create type reporting.customer_loyalty_day_row as (
      business_date date, location_id text, customers int, new_customers int, returning_customers int, repeat_rate numeric);
  end if;
  if not exists (select 1 from pg_type where typname = 'customer_class_row' and typnamespace = 'reporting'::regnamespace) then
    create type reporting.customer_class_row as (loyalty_class app_public.loyalty_class, customers int);
  end if;
end $$;
comment on type reporting.customer_loyalty_day_row is E'@name customer_loyalty_day_row\nCustomers of one business date: new, returning, and the repeat rate.';
comment on column reporting.customer_loyalty_day_row.business_date is E'@notNull\nThe business date (each location''s own date).';
comment on column reporting.customer_loyalty_day_row.location_id is 'The location, or null for all locations.';
comment on column reporting.customer_loyalty_day_row.customers is E'@notNull\nDistinct customers with an order (not voided) that day.';
comment on column reporting.customer_loyalty_day_row.new_customers is E'@notNull\nThose whose first order ever was that day.';
comment on column reporting.customer_loyalty_day_row.returning_customers is E'@notNull\nThose with an order on an earlier day.';
comment on column reporting.customer_loyalty_day_row.repeat_rate is E'@notNull\nReturning customers divided by customers (0 to 1).';
comment on type reporting.customer_class_row is E'@name customer_class_row\nHow many active customers are in a loyalty class.';
comment on column reporting.customer_class_row.loyalty_class is 'The class; null for customers with no visit yet.';
comment on column reporting.customer_class_row.customers is E'@notNull\nActive customers in it.';

-- The rules (functions, views, policies, grants) of the above.
-- (assert_consent_source learnt which field it answers for: its one-argument form goes.)
drop function if exists app_hidden.assert_consent_source(text);
--!include customers/450-purchase-history.sql
--!include customers/470-loyalty-classes.sql
--!include customers/480-types-and-preferences.sql
--!include customers/460-timeline.sql
--!include customers/400-customers.sql
--!include customers/420-commands.sql
--!include customers/430-merge.sql
--!include identity/220-auth.sql
--!include reporting/610-consumers.sql
--!include reporting/620-rebuild.sql
--!include reporting/640-analysts.sql
--!include reporting/650-exports.sql
--!include reporting/660-customer-loyalty.sql

-- The counters move: every customer gets its stats row, filled by replaying its tenant's log
-- (the same code as incremental consumption), then the old columns go.
insert into app_public.customer_stats (tenant_id, customer_id)
select c.tenant_id, c.id from app_public.customers c on conflict do nothing;
do $$
declare t text;
begin
  if exists (select 1 from information_schema.columns
             where table_schema = 'app_public' and table_name = 'customers' and column_name = 'total_visits') then
    for t in select id from app_public.tenants order by id loop
      perform app_private.rebuild_customer_counters(t);
    end loop;
  end if;
end $$;
drop index if exists app_public.customers_last_visit_idx;
drop index if exists app_public.customers_total_spend_idx;
alter table app_public.customers drop column if exists total_visits;
alter table app_public.customers drop column if exists total_spend;
alter table app_public.customers drop column if exists last_visit_at;
