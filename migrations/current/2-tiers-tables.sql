-- Customer tiers (issue 16, items 3 and 4): a tier per customer whose discount the till applies.

-- The discount is in basis points (1000 = 10.00 %), an int like tax_rate_bps: two decimals exactly,
-- and every amount computed from it stays integer arithmetic (app_private.tier_discount).
create table if not exists app_public.customer_tiers (
  tenant_id text not null default app_hidden.current_tenant_id() references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  name text not null check (name = btrim(name) and length(name) between 1 and 40),
  level int not null check (level between 1 and 1000),
  discount_bps int not null default 0 check (discount_bps between 0 and 10000),
  benefits text check (length(benefits) <= 1000),
  colour text not null default '#9e9e9e' check (colour ~ '^#[0-9a-f]{6}$'),
  min_annual_spend bigint check (min_annual_spend between 1 and 100000000000),
  min_visits int check (min_visits between 1 and 10000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, level)
);
create unique index if not exists customer_tiers_name_key on app_public.customer_tiers (tenant_id, lower(name));
comment on table app_public.customer_tiers is E'@name customer_tiers\nPricing tiers of the business (Gold, Silver…): a customer''s tier takes its discount off every sale to them.';
comment on constraint customer_tiers_pkey on app_public.customer_tiers is '@behavior -update -delete';
comment on constraint customer_tiers_tenant_id_fkey on app_public.customer_tiers is '@behavior -*';
comment on constraint customer_tiers_tenant_id_level_key on app_public.customer_tiers is '@behavior -*';
comment on column app_public.customer_tiers.tenant_id is '@behavior -*';
comment on column app_public.customer_tiers.name is E'@behavior +orderBy\nThe name shown on the chip, the receipt''s discount line and the order (1 to 40 characters, unique in the business).';
comment on column app_public.customer_tiers.level is E'@behavior +orderBy\n1 is the highest tier; unique in the business.';
comment on column app_public.customer_tiers.discount_bps is 'The discount off every sale to a customer of this tier, in basis points (1000 = 10.00 %), 0 to 10000.';
comment on column app_public.customer_tiers.benefits is 'What the tier gives, in words (at most 1000 characters).';
comment on column app_public.customer_tiers.colour is 'The chip''s colour, #rrggbb.';
comment on column app_public.customer_tiers.min_annual_spend is 'Suggest this tier to customers who spent at least this much (cents) in the last 12 months.';
comment on column app_public.customer_tiers.min_visits is 'Suggest this tier to customers with at least this many visits in the last 12 months.';

alter table app_public.customers add column if not exists tier_id text;
do $$ begin
  if not exists (select 1 from pg_constraint where conname = 'customers_tier_fkey') then
    alter table app_public.customers add constraint customers_tier_fkey
      foreign key (tenant_id, tier_id) references app_public.customer_tiers (tenant_id, id);
  end if;
end $$;
create index if not exists customers_tier_idx on app_public.customers (tenant_id, tier_id);
comment on column app_public.customers.tier_id is 'The customer''s pricing tier (setCustomerTier), if any: its discount applies to their sales.';
comment on constraint customers_tier_fkey on app_public.customers is E'@fieldName tier\n@behavior -manyRelation:resource:list -manyRelation:resource:connection';

-- What an order took from the customer's tier, frozen at placement: a later change of the tier or
-- of the customer's tier never changes it.
alter table app_public.orders add column if not exists tier_name text;
alter table app_public.orders add column if not exists tier_discount_bps int;
alter table app_public.orders add column if not exists tier_discount int not null default 0;
alter table app_public.orders drop constraint if exists orders_tier_discount_check;
alter table app_public.orders add constraint orders_tier_discount_check
  check (tier_discount >= 0 and (tier_name is null) = (tier_discount_bps is null) and (tier_name is not null or tier_discount = 0));
comment on column app_public.orders.tier_name is 'The customer''s tier when the order was placed, if any (its name then).';
comment on column app_public.orders.tier_discount_bps is 'That tier''s discount then, in basis points.';
comment on column app_public.orders.tier_discount is 'The tier discount of the order, in cents off the amount paid (part of orderDiscount and discountTotal).';

-- Pricing carries the tier discount of the order (the same on every priced line).
do $$ begin
  if not exists (select 1 from pg_attribute where attrelid = (select typrelid from pg_type where oid = 'app_private.priced_line'::regtype)
                 and attname = 'tier_discount') then
    alter type app_private.priced_line add attribute tier_discount int;
  end if;
  if not exists (select 1 from pg_attribute where attrelid = (select typrelid from pg_type where oid = 'app_public.order_quote'::regtype)
                 and attname = 'tier_discount') then
    alter type app_public.order_quote add attribute tier_name text, add attribute tier_discount_bps int, add attribute tier_discount int;
  end if;
  if not exists (select 1 from pg_type where typname = 'customer_tier_impact' and typnamespace = 'app_public'::regnamespace) then
    create type app_public.customer_tier_impact as (
      example_amount int, example_discount int, current_example_discount int,
      recent_orders int, recent_amount bigint, recent_discount bigint, current_recent_discount bigint);
  end if;
end $$;
comment on column app_public.order_quote.tier_name is 'The attached customer''s tier, if any.';
comment on column app_public.order_quote.tier_discount_bps is 'Its discount, in basis points.';
comment on column app_public.order_quote.tier_discount is 'The tier discount of the cart, in cents (part of discountTotal).';
comment on type app_public.customer_tier_impact is 'What giving a customer a tier would change, before it is given (customerTierImpact).';
comment on column app_public.customer_tier_impact.example_amount is E'@notNull\nThe example basket, in cents.';
comment on column app_public.customer_tier_impact.example_discount is E'@notNull\nThe new tier''s discount on it.';
comment on column app_public.customer_tier_impact.current_example_discount is E'@notNull\nThe current tier''s discount on it.';
comment on column app_public.customer_tier_impact.recent_orders is E'@notNull\nThe customer''s sales of the last 30 days (not voided).';
comment on column app_public.customer_tier_impact.recent_amount is E'@notNull\nWhat they paid for them, in cents.';
comment on column app_public.customer_tier_impact.recent_discount is E'@notNull\nThe new tier''s discount on each of them, summed.';
comment on column app_public.customer_tier_impact.current_recent_discount is E'@notNull\nThe current tier''s discount on each of them, summed.';

do $$
begin
  if not exists (select 1 from pg_policy where polrelid = 'app_public.customer_tiers'::regclass and polname = 'all_for_owner') then
    perform app_private.secure_table('app_public.customer_tiers');
  end if;
  if not exists (select 1 from pg_policy where polrelid = 'app_public.customer_tiers'::regclass and polname = 'active_tenant_only') then
    perform app_private.enforce_active_tenant('app_public.customer_tiers');
  end if;
end $$;

comment on column app_public.customer_activity.kind is 'created, updated, tier_changed, archived, restored, merged, merged_into, erased, data_requested, order_placed, order_voided, order_refunded or note.';

drop function if exists app_private.price_lines(text, jsonb, int, int, boolean);
drop function if exists app_public.quote_order(jsonb, int, text);

