-- Enter migration here
--!include customers/450-purchase-history.sql

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

--!include reporting/630-queries.sql
