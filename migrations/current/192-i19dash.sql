-- Issue 19, item 2: the dashboard from maintained rows (db/REPORTING.md "The dashboard's plan").

-- Last visits per tenant and UTC day (app_private, never granted: the dashboard's count reads it
-- through app_private.active_customers_since). No primary key: a day may have several rows, which
-- readers add up (migrations/fixtures/reporting/615-active-customers.sql says why). No foreign
-- key to the tenant either: a tenant's deletion cascades to rm_customer_activity, whose trigger
-- then writes what leaves (the tenant row already gone).
create table if not exists app_private.last_visit_days (
  tenant_id text not null,
  visit_day date not null,
  customers int not null
);
comment on table app_private.last_visit_days is 'Customers (not merged away) per tenant and UTC day of their last visit, as changes added up (kept by triggers on reporting.rm_customer_activity).';
create index if not exists last_visit_days_tenant_day_idx on app_private.last_visit_days (tenant_id, visit_day) include (customers);

--!include billing/510-subscriptions.sql
--!include reporting/615-active-customers.sql
--!include reporting/630-queries.sql

-- Backfill (and re-derive on every re-run of this migration): one row per tenant and day.
truncate app_private.last_visit_days;
insert into app_private.last_visit_days (tenant_id, visit_day, customers)
select a.tenant_id, (a.last_visit_at at time zone 'UTC')::date, count(*)::int
from reporting.rm_customer_activity a
where a.last_visit_at is not null and a.merged_into_id is null
group by 1, 2;
