-- Loyalty points (issue 17, item 6; Square Loyalty is the anchor). Not the loyalty CLASSES of
-- customers/470 (new, regular, lapsed… derived from visits): points are earned on sales, kept in an
-- append-only ledger whose sum is a customer's balance, and redeemed for rewards at the till.
-- The rules are in migrations/fixtures/customers/477-loyalty-points.sql.

-- The program of a business: off until an owner turns it on. A business without a row has the
-- defaults (off, 1 point per 1.00).
create table if not exists app_public.loyalty_point_programs (
  tenant_id text not null references app_public.tenants on delete cascade,
  enabled boolean not null default false,
  -- amount: points_per_unit points for every whole unit_amount cents of what the customer paid
  -- before tax and after every discount; visit: points_per_visit points for every sale.
  earn_mode text not null default 'amount' check (earn_mode in ('amount', 'visit')),
  points_per_unit int not null default 1 check (points_per_unit between 1 and 1000),
  unit_amount int not null default 100 check (unit_amount between 1 and 10000000),
  points_per_visit int not null default 1 check (points_per_visit between 1 and 100000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id)
);
comment on table app_public.loyalty_point_programs is E'@behavior -insert -update -delete\nThe loyalty points program of a business (currentLoyaltyPointsProgram, updateLoyaltyPointsProgram).';
comment on constraint loyalty_point_programs_pkey on app_public.loyalty_point_programs is '@behavior -*';
comment on constraint loyalty_point_programs_tenant_id_fkey on app_public.loyalty_point_programs is '@behavior -*';
comment on column app_public.loyalty_point_programs.tenant_id is '@behavior -*';
comment on column app_public.loyalty_point_programs.enabled is 'Whether sales earn points and rewards can be redeemed.';
comment on column app_public.loyalty_point_programs.earn_mode is 'amount: pointsPerUnit points for every whole unitAmount cents paid (after discounts, before tax); visit: pointsPerVisit points per sale.';
comment on column app_public.loyalty_point_programs.points_per_unit is 'Points for every whole unitAmount (earn mode amount).';
comment on column app_public.loyalty_point_programs.unit_amount is 'The amount, in cents of the business''s currency, that earns pointsPerUnit points (100 = 1.00).';
comment on column app_public.loyalty_point_programs.points_per_visit is 'Points for every sale (earn mode visit).';

-- The rewards: "N points = X off". A reward once redeemed stays (its ledger entries and orders
-- name it): it is turned off (active = false), not deleted.
create table if not exists app_public.loyalty_point_rewards (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  name text not null check (name = btrim(name) and length(name) between 1 and 60),
  points int not null check (points between 1 and 10000000),
  amount int not null check (amount between 1 and 100000000),
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id)
);
comment on table app_public.loyalty_point_rewards is E'@behavior -insert -update -delete\nRewards of the loyalty points program: so many points for so much off a sale.';
comment on constraint loyalty_point_rewards_pkey on app_public.loyalty_point_rewards is '@behavior -update -delete';
comment on constraint loyalty_point_rewards_tenant_id_fkey on app_public.loyalty_point_rewards is '@behavior -*';
comment on column app_public.loyalty_point_rewards.tenant_id is '@behavior -*';
comment on column app_public.loyalty_point_rewards.points is E'@behavior +orderBy\nThe points it costs.';
comment on column app_public.loyalty_point_rewards.amount is 'What it takes off a sale, in cents of the business''s currency.';
comment on column app_public.loyalty_point_rewards.active is 'Offered at the till; a reward turned off stays in the history.';

-- The ledger. Its sum per customer is the balance (never stored). Written by the database only.
create table if not exists app_public.loyalty_point_entries (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  customer_id text not null,
  kind text not null check (kind in ('earn', 'redeem', 'reversal', 'adjustment', 'merge')),
  points int not null check (points <> 0),
  reason text not null check (length(reason) between 1 and 500),
  order_id text,
  reward_id text,
  merge_id text,
  staff_user_id text references app_public.users on delete set null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, customer_id) references app_public.customers (tenant_id, id),
  foreign key (tenant_id, order_id) references app_public.orders (tenant_id, id),
  foreign key (tenant_id, reward_id) references app_public.loyalty_point_rewards (tenant_id, id),
  check (kind not in ('earn', 'redeem', 'reversal') or order_id is not null),
  check ((kind = 'earn') <= (points > 0)),
  check ((kind = 'redeem') = (reward_id is not null)),
  check ((kind = 'redeem') <= (points < 0)),
  check ((kind = 'merge') = (merge_id is not null))
);
-- One earn, one redemption and one reversal per order: a replayed event writes nothing twice.
create unique index if not exists loyalty_point_entries_order_kind_key on app_public.loyalty_point_entries (tenant_id, order_id, kind)
  where order_id is not null;
create index if not exists loyalty_point_entries_customer_idx on app_public.loyalty_point_entries (tenant_id, customer_id) include (points);
create index if not exists loyalty_point_entries_reward_idx on app_public.loyalty_point_entries (tenant_id, reward_id) where reward_id is not null;
create index if not exists loyalty_point_entries_staff_idx on app_public.loyalty_point_entries (staff_user_id);
comment on table app_public.loyalty_point_entries is E'@behavior -insert -update -delete\nThe loyalty points ledger: points earned on a sale, redeemed for a reward, given back or taken back by a void, adjusted by an owner, moved by a merge. A customer''s balance is the sum of its entries. Never changed.';
comment on constraint loyalty_point_entries_pkey on app_public.loyalty_point_entries is '@behavior -single -update -delete';
comment on constraint loyalty_point_entries_tenant_id_fkey on app_public.loyalty_point_entries is '@behavior -*';
comment on constraint loyalty_point_entries_tenant_id_customer_id_fkey on app_public.loyalty_point_entries is E'@fieldName customer\n@foreignFieldName loyaltyPointEntries';
comment on constraint loyalty_point_entries_tenant_id_order_id_fkey on app_public.loyalty_point_entries is E'@fieldName order\n@foreignFieldName loyaltyPointEntries';
comment on constraint loyalty_point_entries_tenant_id_reward_id_fkey on app_public.loyalty_point_entries is E'@fieldName reward\n@foreignFieldName entries';
comment on constraint loyalty_point_entries_staff_user_id_fkey on app_public.loyalty_point_entries is E'@fieldName staffUser\n@foreignFieldName loyaltyPointEntriesMade';
comment on column app_public.loyalty_point_entries.tenant_id is '@behavior -*';
comment on column app_public.loyalty_point_entries.kind is 'earn (a sale), redeem (a reward on a sale), reversal (a void or cancellation taking back what its order earned and giving back what it redeemed), adjustment (by an owner), merge (a merge moving a duplicate''s balance).';
comment on column app_public.loyalty_point_entries.points is E'@behavior +orderBy\nPositive adds to the balance, negative takes off.';
comment on column app_public.loyalty_point_entries.merge_id is 'The customer merge that moved these points (customerMerges).';
comment on column app_public.loyalty_point_entries.created_at is E'@behavior +orderBy';

do $$
begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.loyalty_point_programs'::regclass) then
    perform app_private.secure_table('app_public.loyalty_point_programs');
    perform app_private.enforce_active_tenant('app_public.loyalty_point_programs');
  end if;
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.loyalty_point_rewards'::regclass) then
    perform app_private.secure_table('app_public.loyalty_point_rewards');
    perform app_private.enforce_active_tenant('app_public.loyalty_point_rewards');
  end if;
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.loyalty_point_entries'::regclass) then
    perform app_private.secure_table('app_public.loyalty_point_entries');
    perform app_private.enforce_active_tenant('app_public.loyalty_point_entries');
  end if;
end $$;

-- What an order took from a reward, frozen at placement (the ledger has the points).
alter table app_public.orders add column if not exists loyalty_reward_id text;
alter table app_public.orders add column if not exists loyalty_discount int not null default 0;
do $$ begin
  if not exists (select 1 from pg_constraint where conname = 'orders_loyalty_reward_fkey') then
    alter table app_public.orders add constraint orders_loyalty_reward_fkey
      foreign key (tenant_id, loyalty_reward_id) references app_public.loyalty_point_rewards (tenant_id, id);
  end if;
end $$;
alter table app_public.orders drop constraint if exists orders_loyalty_discount_check;
alter table app_public.orders add constraint orders_loyalty_discount_check
  check (loyalty_discount >= 0 and (loyalty_reward_id is null) = (loyalty_discount = 0));
create index if not exists orders_loyalty_reward_idx on app_public.orders (tenant_id, loyalty_reward_id) where loyalty_reward_id is not null;
comment on column app_public.orders.loyalty_reward_id is 'The loyalty reward redeemed on this order, if any.';
comment on column app_public.orders.loyalty_discount is 'What that reward took off, in cents (part of orderDiscount and discountTotal).';
comment on constraint orders_loyalty_reward_fkey on app_public.orders is E'@fieldName loyaltyReward\n@foreignFieldName orders';

-- A merge records the points it moved.
alter table app_public.customer_merges add column if not exists moved_points int not null default 0;
comment on column app_public.customer_merges.moved_points is 'The duplicate''s loyalty points balance, moved to the primary.';

-- place_order and quote_order take the reward to redeem.
drop function if exists app_public.place_order(text, jsonb, text, int, timestamptz);
drop function if exists app_public.quote_order(jsonb, int, text, text);

--!include customers/477-loyalty-points.sql
--!include sales/320-orders.sql

insert into app_private.event_subscriptions (consumer, event_type, handler) values
  ('loyalty_points', 'order.placed.v1', 'app_private.loyalty_points__apply(app_private.events)'),
  ('loyalty_points', 'order.voided.v1', 'app_private.loyalty_points__apply(app_private.events)'),
  ('loyalty_points', 'order.cancelled.v1', 'app_private.loyalty_points__apply(app_private.events)')
on conflict do nothing;

--!include reporting/670-loyalty-ledger.sql

-- Erasing a customer blanks the reasons of its points adjustments (the ledger's one exception).
--!include sales/300-events.sql
--!include customers/495-data-requests.sql
