-- 500-plans: what a tenant can buy. Plans are global (the same price list for every tenant; a
-- reference table under Citus) and readable by everyone, signed in or not. A tenant's plan gives
-- its modules (entitlements) and its limits (seats, locations, POS devices); both are checked in
-- SQL (510-billing.sql, 530-limits.sql). Each plan maps to one recurring Stripe price: its id
-- comes from configuration (STRIPE_PRICE_<PLAN>), else from the price carrying the plan's
-- lookup_key, which the worker creates on the local Stripe server (db/BILLING.md).

create table app_public.plans (
  key text primary key check (key ~ '^[a-z][a-z0-9_]{0,39}$'),
  name text not null check (length(name) between 1 and 100),
  price_cents int not null check (price_cents >= 0),
  currency text not null default 'usd' check (currency ~ '^[a-z]{3}$'),
  billing_interval text not null default 'month' check (billing_interval in ('month', 'year')),
  max_seats int not null check (max_seats > 0),
  max_locations int not null check (max_locations > 0),
  max_devices int not null check (max_devices >= 0),
  modules text[] not null default '{}',
  position int not null default 0,
  stripe_lookup_key text not null unique check (stripe_lookup_key ~ '^[a-z][a-z0-9_]{0,199}$'),
  stripe_price_id text unique,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
select app_private.secure_table('app_public.plans');
comment on table app_public.plans is 'A plan a business can subscribe to: its monthly price, its modules and its limits. The same for every business.';
comment on column app_public.plans.key is 'Stable identifier of the plan: starter or growth.';
comment on column app_public.plans.name is 'Name shown to customers.';
comment on column app_public.plans.price_cents is 'Price per billing interval, in cents.';
comment on column app_public.plans.currency is 'ISO 4217 currency of the price, lower case.';
comment on column app_public.plans.billing_interval is 'How often the price is charged: month or year.';
comment on column app_public.plans.max_seats is 'How many people (memberships) a business on this plan may have.';
comment on column app_public.plans.max_locations is 'How many locations (shops) a business on this plan may have.';
comment on column app_public.plans.max_devices is 'How many POS devices (registers) a business on this plan may have, over all its locations.';
comment on column app_public.plans.modules is 'Modules included in the plan, such as customers, reporting or inventory.';
comment on column app_public.plans.position is 'Order of the plans on the billing page, cheapest first.';
comment on column app_public.plans.stripe_lookup_key is E'@behavior -*\nlookup_key of the Stripe price of this plan.';
comment on column app_public.plans.stripe_price_id is E'@behavior -*\nThe Stripe price id (from configuration or found by lookup key); null until the worker has resolved it.';
comment on constraint plans_stripe_lookup_key_key on app_public.plans is '@behavior -single -update -delete';
comment on constraint plans_stripe_price_id_key on app_public.plans is '@behavior -single -update -delete';
create trigger _100_timestamps before insert or update on app_public.plans
  for each row execute function app_private.tg__timestamps();

insert into app_public.plans (key, name, price_cents, max_seats, max_locations, max_devices, modules, position, stripe_lookup_key) values
  ('starter', 'Starter', 7900, 5, 2, 3,
   array['platform_core', 'catalog', 'pos_retail', 'payments', 'customers', 'reporting'], 1, 'starter_monthly'),
  ('growth', 'Growth', 14900, 25, 10, 10,
   array['platform_core', 'catalog', 'pos_retail', 'payments', 'customers', 'reporting', 'inventory'], 2, 'growth_monthly');

create policy select_all on app_public.plans for select to :DATABASE_VISITOR using (true);
grant select on app_public.plans to :DATABASE_VISITOR;

/* The worker stores the Stripe price id it resolved for a plan. */
create function app_private.store_plan_price(plan_key text, price_id text) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  update app_public.plans p set stripe_price_id = store_plan_price.price_id
  where p.key = store_plan_price.plan_key and p.stripe_price_id is distinct from store_plan_price.price_id;
$$;
comment on function app_private.store_plan_price(text, text) is 'Records the Stripe price id of a plan (worker).';

/* Plans as the worker needs them to find or create their Stripe prices. */
create function app_private.plans_for_stripe() returns jsonb
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(jsonb_agg(jsonb_build_object(
    'key', p.key, 'name', p.name, 'priceCents', p.price_cents, 'currency', p.currency,
    'interval', p.billing_interval, 'lookupKey', p.stripe_lookup_key, 'priceId', p.stripe_price_id)
    order by p.position), '[]'::jsonb)
  from app_public.plans p;
$$;
comment on function app_private.plans_for_stripe() is 'Every plan with its price, lookup key and Stripe price id (worker).';

/* The plan a Stripe price stands for: by price id, then lookup key, then metadata.plan_key. */
create function app_private.plan_for_stripe_price(price jsonb) returns text
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select p.key from app_public.plans p
  where jsonb_typeof(price) = 'object'
    and (p.stripe_price_id = price ->> 'id'
         or p.stripe_lookup_key = price ->> 'lookup_key'
         or p.key = price -> 'metadata' ->> 'plan_key')
  order by (p.stripe_price_id = price ->> 'id') desc nulls last,
           (p.stripe_lookup_key = price ->> 'lookup_key') desc nulls last
  limit 1;
$$;
comment on function app_private.plan_for_stripe_price(jsonb) is 'Key of the plan a Stripe price object belongs to, or null.';
