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

--!include identity/201-tenants-users-locations.sql
--!include sales/305-tax-rates.sql
--!include sales/320-orders.sql
--!include sales/340-refunds.sql
--!include customers/420-commands.sql
--!include customers/450-purchase-history.sql
--!include customers/460-timeline.sql

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

--!include reporting/610-consumers.sql
--!include reporting/630-queries.sql
