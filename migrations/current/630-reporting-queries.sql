-- 630-reporting-queries: what the admin asks (the dashboard, the Sales, Items and Inventory
-- tabs), as GraphQL queries. Each reads the read models of 600 plus the sales events still
-- queued for folding (610), so its figures are exact the moment an order commits, and never
-- aggregates the sales tables. The app_private.reporting_* versions take the tenant explicitly
-- (the export worker uses them); the reporting.* ones check reports.view and the plan's
-- reporting module and serve the caller's tenant.

/* The guard of the reporting queries: LOGIN, DNIED, TSUSP, NOMOD; returns the current tenant. */
create function app_hidden.assert_reports_permission(permission text) returns text
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
create function app_private.reporting_check_range(tenant_id text, from_date date, to_date date, location_id text, max_days int default 1096)
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

------------------------------------------------------------------------------------------------
-- Daily sales

create type reporting.daily_sales_row as (
  business_date date,
  location_id text,
  order_count bigint,
  gross_sales bigint,
  discount_total bigint,
  tax_total bigint,
  net_sales bigint,
  tender_cash bigint,
  tender_card bigint,
  void_count bigint,
  void_total bigint,
  avg_order_value bigint
);
comment on type reporting.daily_sales_row is E'@name daily_sales_row\nSales of one business date, at one location or at all of them. Amounts in cents.';
comment on column reporting.daily_sales_row.business_date is E'@notNull\nThe business date (each location''s own date).';
comment on column reporting.daily_sales_row.location_id is 'The location asked for; null when the figures add up all locations.';
comment on column reporting.daily_sales_row.order_count is E'@notNull\nOrders placed that day and not voided.';
comment on column reporting.daily_sales_row.gross_sales is E'@notNull\nBefore discounts and tax, in cents.';
comment on column reporting.daily_sales_row.discount_total is E'@notNull\nDiscounts, in cents.';
comment on column reporting.daily_sales_row.tax_total is E'@notNull\nTax, in cents.';
comment on column reporting.daily_sales_row.net_sales is E'@notNull\ngross − discounts + tax, in cents (the revenue figure of the dashboard).';
comment on column reporting.daily_sales_row.tender_cash is E'@notNull\nCash taken for orders of that day, in cents.';
comment on column reporting.daily_sales_row.tender_card is E'@notNull\nCard payments for orders of that day, in cents.';
comment on column reporting.daily_sales_row.void_count is E'@notNull\nOrders of that day that were voided.';
comment on column reporting.daily_sales_row.void_total is E'@notNull\nTotals of those voided orders, in cents.';
comment on column reporting.daily_sales_row.avg_order_value is E'@notNull\nnet_sales / order_count rounded half up to the cent; 0 without orders.';

/* Every date of the range (no gaps, for charts), summed over one or all locations. */
create function app_private.reporting_daily_sales(tenant_id text, from_date date, to_date date, location_id text default null)
returns setof reporting.daily_sales_row
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  with figures as (
    select r.business_date, r.order_count::bigint as order_count, r.gross_sales, r.discount_total, r.tax_total, r.net_sales,
           r.tender_cash, r.tender_card, r.void_count::bigint as void_count, r.void_total
    from reporting.rm_daily_sales r
    where r.tenant_id = reporting_daily_sales.tenant_id
      and r.business_date between from_date and to_date
      and (reporting_daily_sales.location_id is null or r.location_id = reporting_daily_sales.location_id)
    union all
    select d.business_date, d.order_count, d.gross_sales, d.discount_total, d.tax_total, d.net_sales,
           d.tender_cash, d.tender_card, d.void_count, d.void_total
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
           coalesce(sum(f.tender_card), 0)::bigint as tender_card, coalesce(sum(f.void_count), 0)::bigint as void_count,
           coalesce(sum(f.void_total), 0)::bigint as void_total
    from days left join figures f on f.business_date = days.business_date
    group by days.business_date
  )
  select s.business_date, reporting_daily_sales.location_id, s.order_count, s.gross_sales, s.discount_total, s.tax_total,
         s.net_sales, s.tender_cash, s.tender_card, s.void_count, s.void_total,
         case when s.order_count > 0 then round(s.net_sales::numeric / s.order_count)::bigint else 0 end
  from summed s
  order by s.business_date;
$$;
comment on function app_private.reporting_daily_sales(text, date, date, text) is 'Daily sales of a tenant over a date range, one row per date, at one location or summed over all (exports, reporting.daily_sales).';

create function reporting.daily_sales(from_date date, to_date date, location_id text default null)
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

------------------------------------------------------------------------------------------------
-- Item sales

create type reporting.item_sales_order as enum ('quantity', 'revenue');
comment on type reporting.item_sales_order is E'@name item_sales_order\nHow top items are ranked: by units sold or by net revenue.';

create type reporting.item_sales_row as (
  catalog_item_id text,
  catalog_item_name text,
  quantity_sold bigint,
  gross_revenue bigint,
  net_revenue bigint,
  avg_unit_price bigint
);
comment on type reporting.item_sales_row is E'@name item_sales_row\nWhat one catalog item sold over a period. Amounts in cents.';
comment on column reporting.item_sales_row.catalog_item_id is E'@notNull\nThe catalog item.';
comment on column reporting.item_sales_row.catalog_item_name is E'@notNull\nIts name on its latest sale of the period.';
comment on column reporting.item_sales_row.quantity_sold is E'@notNull\nUnits sold in orders that were not voided.';
comment on column reporting.item_sales_row.gross_revenue is E'@notNull\nunit price × quantity, before discounts and tax, in cents.';
comment on column reporting.item_sales_row.net_revenue is E'@notNull\nAfter discounts, before tax, in cents: the revenue items are ranked by.';
comment on column reporting.item_sales_row.avg_unit_price is E'@notNull\nnet_revenue / quantity_sold rounded half up to the cent; 0 when none sold.';

create function app_private.reporting_item_sales(tenant_id text, from_date date, to_date date, location_id text default null,
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

create function reporting.item_sales(from_date date, to_date date, location_id text default null,
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
  E'@name item_sales\n@behavior -connection +list\n@listSuffix omit\nTop catalog items from fromDate to toDate (both included), at one location or all: by units sold (quantity) or by net revenue (revenue, the default), best first; ties go to the other figure, then the name. Items whose sales were all voided are left out. Needs reports.view.';

------------------------------------------------------------------------------------------------
-- Inventory

create type reporting.inventory_summary_row as (
  location_id text,
  location_name text,
  inventory_item_id text,
  item_name text,
  on_hand int,
  low_stock_threshold int,
  is_below_threshold boolean
);
comment on type reporting.inventory_summary_row is E'@name inventory_summary_row\nStock of one inventory item at one location.';
comment on column reporting.inventory_summary_row.location_id is E'@notNull\nThe location.';
comment on column reporting.inventory_summary_row.location_name is E'@notNull\nIts name.';
comment on column reporting.inventory_summary_row.inventory_item_id is E'@notNull\nThe inventory item.';
comment on column reporting.inventory_summary_row.item_name is E'@notNull\nIts name.';
comment on column reporting.inventory_summary_row.on_hand is E'@notNull\nUnits on hand (negative when more was sold than received).';
comment on column reporting.inventory_summary_row.low_stock_threshold is E'@notNull\nThe item''s low-stock threshold.';
comment on column reporting.inventory_summary_row.is_below_threshold is E'@notNull\nLow stock: on hand at or below the threshold.';

create function app_private.reporting_inventory_summary(tenant_id text, location_id text default null, low_only boolean default false)
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

create function reporting.inventory_summary(location_id text default null, low_only boolean default false)
returns setof reporting.inventory_summary_row
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_reports_permission('reports.view');
begin
  perform app_private.reporting_check_range(tenant, current_date, current_date, location_id);
  return query select * from app_private.reporting_inventory_summary(tenant, location_id, coalesce(low_only, false));
end;
$$;
comment on function reporting.inventory_summary(text, boolean) is
  E'@name inventory_summary\n@behavior -connection +list\n@listSuffix omit\nStock of every inventory item at one location (or at each location), by location and item name; only the items at or below their low-stock threshold when lowOnly is true. An item appears at a location once stock has moved there. Needs reports.view.';

------------------------------------------------------------------------------------------------
-- Dashboard

create type reporting.dashboard_metrics as (
  sales_today bigint,
  orders_today bigint,
  low_stock_count int,
  active_customers_30d int
);
comment on type reporting.dashboard_metrics is E'@name dashboard_metrics\nThe four figures of the dashboard.';
comment on column reporting.dashboard_metrics.sales_today is E'@notNull\nNet sales (tax included, voids taken out) of today, each location on its own clock, in cents.';
comment on column reporting.dashboard_metrics.orders_today is E'@notNull\nOrders placed today and not voided, each location on its own clock.';
comment on column reporting.dashboard_metrics.low_stock_count is E'@notNull\nInventory items at or below their low-stock threshold, counted once per location.';
comment on column reporting.dashboard_metrics.active_customers_30d is E'@notNull\nCustomers with an order (not voided) placed in the last 30 days (merged customers count once).';

create function app_private.reporting_dashboard_metrics(tenant_id text) returns reporting.dashboard_metrics
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  with today as (
    select l.id as location_id, app_hidden.business_date(now(), l.timezone) as business_date
    from app_public.locations l where l.tenant_id = reporting_dashboard_metrics.tenant_id
  ), sales as (
    select r.order_count::bigint as order_count, r.net_sales
    from reporting.rm_daily_sales r
    join today t on t.location_id = r.location_id and t.business_date = r.business_date
    where r.tenant_id = reporting_dashboard_metrics.tenant_id
    union all
    select d.order_count, d.net_sales
    from app_private.reporting_pending_daily(reporting_dashboard_metrics.tenant_id) d
    join today t on t.location_id = d.location_id and t.business_date = d.business_date
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
    (select coalesce(sum(s.net_sales), 0)::bigint from sales s),
    (select coalesce(sum(s.order_count), 0)::bigint from sales s),
    (select count(*)::int from low),
    (select count(*)::int from reporting.rm_customer_activity c
     where c.tenant_id = reporting_dashboard_metrics.tenant_id and c.merged_into_id is null
       and c.last_visit_at >= now() - interval '30 days')
  )::reporting.dashboard_metrics;
$$;
comment on function app_private.reporting_dashboard_metrics(text) is 'The dashboard figures of a tenant.';

create function reporting.dashboard_metrics() returns reporting.dashboard_metrics
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_reports_permission('reports.view');
begin
  return app_private.reporting_dashboard_metrics(tenant);
end;
$$;
comment on function reporting.dashboard_metrics() is
  E'@name dashboard_metrics\nToday''s net sales and orders (today in each location''s own time zone), the number of low-stock items, and the customers active in the last 30 days. Needs reports.view.';

grant execute on function reporting.daily_sales(date, date, text), reporting.item_sales(date, date, text, reporting.item_sales_order),
  reporting.inventory_summary(text, boolean), reporting.dashboard_metrics() to :DATABASE_VISITOR;
