-- 600-reporting-read-models: the read side. Reports never aggregate the sales tables: these
-- tables are kept by SQL consumers of the event log (610) and can be rebuilt from it (620), so a
-- dashboard costs the same with ten orders or ten million. db/REPORTING.md tells the whole story:
-- which event changes what, the void and average-order-value rules, and why sales figures go
-- through a queue that is folded at commit (the one-hot-row-per-day problem).
--
-- Rules kept everywhere (read models, admin queries, analysts' views, exports):
--   * money is integer cents (bigint for sums); business dates are the location's dates;
--   * a void takes the order out of every sales figure of the business date of the ORIGINAL
--     sale (orders, gross, discounts, tax, net, item quantities and revenue) and is counted in
--     void_count / void_total on that same date; tenders stay as they were taken;
--   * net_sales = gross_sales − discount_total + tax_total (standing orders, tax included);
--   * avg_order_value = net_sales / order_count, rounded half up to the cent, 0 without orders;
--     across days or locations it is recomputed from the sums, never averaged.
--
-- Read-only to the API role (SELECT grants only, so PostGraphile generates no mutations),
-- readable with reports.view; pg-aggregates gives the admin sums and groupings over them.
-- Foreign keys: to the location, catalog item, inventory item and customer (composite, with the
-- tenant), because they give GraphQL its relations (rmDailySale.location …) and cost nothing on
-- the write path: a consumer's upsert checks them only when it inserts a new row (a new day, a
-- new item), never when it adds to an existing one. rm_customer_visits has none: it is an
-- internal ledger never exposed, and orders are not referenced (they may be imported later).

------------------------------------------------------------------------------------------------
-- Daily sales

create table reporting.rm_daily_sales (
  tenant_id text not null references app_public.tenants on delete cascade,
  location_id text not null,
  business_date date not null,
  order_count int not null default 0,
  gross_sales bigint not null default 0,
  discount_total bigint not null default 0,
  tax_total bigint not null default 0,
  net_sales bigint not null default 0,
  tender_cash bigint not null default 0,
  tender_card bigint not null default 0,
  void_count int not null default 0,
  void_total bigint not null default 0,
  avg_order_value bigint generated always as (
    case when order_count > 0 then round(net_sales::numeric / order_count)::bigint else 0 end) stored,
  updated_at timestamptz not null default now(),
  primary key (tenant_id, location_id, business_date),
  foreign key (tenant_id, location_id) references app_public.locations (tenant_id, id)
);
create index rm_daily_sales_date_idx on reporting.rm_daily_sales (tenant_id, business_date);
select app_private.secure_table('reporting.rm_daily_sales');
comment on table reporting.rm_daily_sales is E'@name rm_daily_sales\nSales of one location on one business date (its own time zone), kept from the event log. Voids are taken out on the date of the original sale.';
comment on column reporting.rm_daily_sales.tenant_id is '@behavior -*';
comment on constraint rm_daily_sales_pkey on reporting.rm_daily_sales is '@behavior -single -update -delete';
comment on constraint rm_daily_sales_tenant_id_fkey on reporting.rm_daily_sales is '@behavior -*';
comment on constraint rm_daily_sales_tenant_id_location_id_fkey on reporting.rm_daily_sales is E'@fieldName location\n@foreignFieldName dailySales';
comment on column reporting.rm_daily_sales.location_id is 'The location.';
comment on column reporting.rm_daily_sales.business_date is 'The date on the location''s clock.';
comment on column reporting.rm_daily_sales.order_count is 'Orders placed that day and not voided.';
comment on column reporting.rm_daily_sales.gross_sales is 'Σ unit price × quantity of those orders, before discounts and tax, in cents.';
comment on column reporting.rm_daily_sales.discount_total is 'Line and order discounts of those orders, in cents.';
comment on column reporting.rm_daily_sales.tax_total is 'Tax of those orders, in cents.';
comment on column reporting.rm_daily_sales.net_sales is 'gross_sales − discount_total + tax_total: what the customers of those orders pay, in cents.';
comment on column reporting.rm_daily_sales.tender_cash is 'Cash applied to orders of that day (handed over minus change), in cents. Tenders of voided orders stay.';
comment on column reporting.rm_daily_sales.tender_card is 'Card payments applied to orders of that day, in cents.';
comment on column reporting.rm_daily_sales.void_count is 'Orders of that day that were voided (whenever the void happened).';
comment on column reporting.rm_daily_sales.void_total is 'Totals of those voided orders, in cents.';
comment on column reporting.rm_daily_sales.avg_order_value is E'@notNull\nnet_sales / order_count rounded half up to the cent; 0 without orders.';
comment on column reporting.rm_daily_sales.updated_at is 'When this row last changed.';

------------------------------------------------------------------------------------------------
-- Item sales

create table reporting.rm_item_sales (
  tenant_id text not null references app_public.tenants on delete cascade,
  location_id text not null,
  business_date date not null,
  catalog_item_id text not null,
  catalog_item_name text not null,
  quantity_sold int not null default 0,
  gross_revenue bigint not null default 0,
  net_revenue bigint not null default 0,
  -- seq of the sale event the name comes from: the latest sale names the row, whatever the
  -- order in which events are folded (so a rebuild gives the same name).
  name_seq bigint not null default 0,
  updated_at timestamptz not null default now(),
  primary key (tenant_id, location_id, business_date, catalog_item_id),
  foreign key (tenant_id, location_id) references app_public.locations (tenant_id, id),
  foreign key (tenant_id, catalog_item_id) references app_public.catalog_items (tenant_id, id)
);
create index rm_item_sales_date_idx on reporting.rm_item_sales (tenant_id, business_date);
create index rm_item_sales_item_idx on reporting.rm_item_sales (tenant_id, catalog_item_id, business_date);
select app_private.secure_table('reporting.rm_item_sales');
comment on table reporting.rm_item_sales is E'@name rm_item_sales\nWhat one catalog item sold at one location on one business date, kept from the event log. Voided orders are taken out.';
comment on column reporting.rm_item_sales.tenant_id is '@behavior -*';
comment on constraint rm_item_sales_pkey on reporting.rm_item_sales is '@behavior -single -update -delete';
comment on constraint rm_item_sales_tenant_id_fkey on reporting.rm_item_sales is '@behavior -*';
comment on constraint rm_item_sales_tenant_id_location_id_fkey on reporting.rm_item_sales is E'@fieldName location\n@foreignFieldName itemSales';
comment on constraint rm_item_sales_tenant_id_catalog_item_id_fkey on reporting.rm_item_sales is E'@fieldName catalogItem\n@foreignFieldName sales';
comment on column reporting.rm_item_sales.catalog_item_name is 'The item''s name on its latest sale of that day.';
comment on column reporting.rm_item_sales.quantity_sold is 'Units sold in orders that were not voided.';
comment on column reporting.rm_item_sales.gross_revenue is 'Σ unit price × quantity, before discounts and tax, in cents.';
comment on column reporting.rm_item_sales.net_revenue is 'gross_revenue minus the line discounts and the lines'' shares of order discounts, before tax, in cents.';
comment on column reporting.rm_item_sales.name_seq is '@behavior -*';
comment on column reporting.rm_item_sales.updated_at is 'When this row last changed.';

------------------------------------------------------------------------------------------------
-- Inventory on hand

create table reporting.rm_inventory_on_hand (
  tenant_id text not null references app_public.tenants on delete cascade,
  location_id text not null,
  inventory_item_id text not null,
  item_name text not null,
  on_hand int not null default 0,
  low_stock_threshold int not null default 0,
  is_below_threshold boolean generated always as (on_hand <= low_stock_threshold) stored,
  updated_at timestamptz not null default now(),
  primary key (tenant_id, location_id, inventory_item_id),
  foreign key (tenant_id, location_id) references app_public.locations (tenant_id, id),
  foreign key (tenant_id, inventory_item_id) references app_public.inventory_items (tenant_id, id)
);
create index rm_inventory_on_hand_item_idx on reporting.rm_inventory_on_hand (tenant_id, inventory_item_id);
create index rm_inventory_on_hand_low_idx on reporting.rm_inventory_on_hand (tenant_id, location_id) where is_below_threshold;
select app_private.secure_table('reporting.rm_inventory_on_hand');
comment on table reporting.rm_inventory_on_hand is E'@name rm_inventory_on_hand\nUnits on hand of a stocked item at a location (the sum of its stock movements), kept from the event log. An item appears at a location once stock has moved there.';
comment on column reporting.rm_inventory_on_hand.tenant_id is '@behavior -*';
comment on constraint rm_inventory_on_hand_pkey on reporting.rm_inventory_on_hand is '@behavior -single -update -delete';
comment on constraint rm_inventory_on_hand_tenant_id_fkey on reporting.rm_inventory_on_hand is '@behavior -*';
comment on constraint rm_inventory_on_hand_tenant_id_location_id_fkey on reporting.rm_inventory_on_hand is E'@fieldName location\n@foreignFieldName stockOnHand';
comment on constraint rm_inventory_on_hand_tenant_id_inventory_item_id_fkey on reporting.rm_inventory_on_hand is E'@fieldName inventoryItem\n@foreignFieldName stockOnHand';
comment on column reporting.rm_inventory_on_hand.item_name is 'Name of the inventory item.';
comment on column reporting.rm_inventory_on_hand.on_hand is 'Units on hand; negative when more was sold than was recorded as received.';
comment on column reporting.rm_inventory_on_hand.low_stock_threshold is 'The item''s low-stock threshold.';
comment on column reporting.rm_inventory_on_hand.is_below_threshold is E'@notNull\n@behavior +filterBy +orderBy\nLow stock: on hand at or below the threshold (the rule of inventory items).';
comment on column reporting.rm_inventory_on_hand.updated_at is 'When this row last changed.';

------------------------------------------------------------------------------------------------
-- Customer activity

create table reporting.rm_customer_activity (
  tenant_id text not null references app_public.tenants on delete cascade,
  customer_id text not null,
  customer_name text,
  total_visits int not null default 0,
  total_spend bigint not null default 0,
  last_visit_at timestamptz,
  -- Set when the customer was merged into another one: its activity moved there, and orders
  -- that still name it count for that one.
  merged_into_id text,
  -- seq of the customer event the name comes from (the latest wins).
  name_seq bigint not null default 0,
  updated_at timestamptz not null default now(),
  primary key (tenant_id, customer_id),
  foreign key (tenant_id, customer_id) references app_public.customers (tenant_id, id)
);
create index rm_customer_activity_last_visit_idx on reporting.rm_customer_activity (tenant_id, last_visit_at)
  where merged_into_id is null;
create index rm_customer_activity_merged_into_idx on reporting.rm_customer_activity (tenant_id, merged_into_id)
  where merged_into_id is not null;
select app_private.secure_table('reporting.rm_customer_activity');
comment on table reporting.rm_customer_activity is E'@name rm_customer_activity\nVisits and spend of each customer, kept from the event log; follows renames and merges (a merged customer''s activity belongs to the one it was merged into).';
comment on column reporting.rm_customer_activity.tenant_id is '@behavior -*';
comment on constraint rm_customer_activity_pkey on reporting.rm_customer_activity is '@behavior -single -update -delete';
comment on constraint rm_customer_activity_tenant_id_fkey on reporting.rm_customer_activity is '@behavior -*';
comment on constraint rm_customer_activity_tenant_id_customer_id_fkey on reporting.rm_customer_activity is E'@fieldName customer\n@foreignFieldName activity';
comment on column reporting.rm_customer_activity.customer_name is 'The customer''s display name, as of their latest change.';
comment on column reporting.rm_customer_activity.total_visits is 'Orders attributed to the customer that were not voided.';
comment on column reporting.rm_customer_activity.total_spend is 'Totals of those orders (tax included), in cents.';
comment on column reporting.rm_customer_activity.last_visit_at is 'When the latest of those orders was placed.';
comment on column reporting.rm_customer_activity.merged_into_id is '@behavior -*';
comment on column reporting.rm_customer_activity.name_seq is '@behavior -*';
comment on column reporting.rm_customer_activity.updated_at is 'When this row last changed.';

/* One row per order with a customer: what last_visit_at is recomputed from after a void. */
create table reporting.rm_customer_visits (
  tenant_id text not null references app_public.tenants on delete cascade,
  order_id text not null,
  customer_id text not null,
  placed_at timestamptz not null,
  total bigint not null,
  is_voided boolean not null default false,
  primary key (tenant_id, order_id)
);
create index rm_customer_visits_customer_idx on reporting.rm_customer_visits (tenant_id, customer_id, placed_at);
select app_private.secure_table('reporting.rm_customer_visits');
comment on table reporting.rm_customer_visits is E'Internal to the customer-activity consumer (not granted to the API): the orders of each customer (after merges), so that voiding the latest visit can find the one before.';

------------------------------------------------------------------------------------------------
-- The queue of sales events waiting to be folded into the sales read models (610 explains).

create table app_private.reporting_queue (
  tenant_id text not null references app_public.tenants on delete cascade,
  event_id text not null,
  seq bigint not null,
  primary key (tenant_id, event_id)
);
create index reporting_queue_seq_idx on app_private.reporting_queue (tenant_id, seq);
select app_private.secure_table('app_private.reporting_queue');
comment on table app_private.reporting_queue is 'Sales events accepted by the reporting_sales consumer and not yet folded into rm_daily_sales, rm_item_sales and rm_inventory_on_hand. Readers add them in (exact figures); folding empties it.';

------------------------------------------------------------------------------------------------
-- Who reads: members with reports.view, through GraphQL (select only). Suspended tenants get
-- TSUSP like everywhere else (590).

create function app_hidden.can_view_reports() returns boolean
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select app_hidden.has_permission('reports.view');
$$;
comment on function app_hidden.can_view_reports() is 'Whether the signed-in user may read the reports of the current tenant.';

create policy select_with_permission on reporting.rm_daily_sales for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.can_view_reports()));
create policy select_with_permission on reporting.rm_item_sales for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.can_view_reports()));
create policy select_with_permission on reporting.rm_inventory_on_hand for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.can_view_reports()));
create policy select_with_permission on reporting.rm_customer_activity for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.can_view_reports())
         and merged_into_id is null);
grant select on reporting.rm_daily_sales, reporting.rm_item_sales, reporting.rm_inventory_on_hand,
  reporting.rm_customer_activity to :DATABASE_VISITOR;

select app_private.enforce_active_tenant('reporting.rm_daily_sales');
select app_private.enforce_active_tenant('reporting.rm_item_sales');
select app_private.enforce_active_tenant('reporting.rm_inventory_on_hand');
select app_private.enforce_active_tenant('reporting.rm_customer_activity');
select app_private.enforce_active_tenant('reporting.rm_customer_visits');
