--! Previous: sha1:76a577476509a324a2bde0a0523186d3205b7351
--! Hash: sha1:b8a3b3df136dff88a5e708088e5770d42e7d628c
--! Message: last_visit_days follows the catalog rules

--! split: 1-current.sql
-- app_private.last_visit_days follows the catalog's rules (test/db/platform/catalog-rules.test.ts):
-- tenant-owned with tenant_id first in its primary key (a day may have several rows, so the key is
-- a ULID like every other table's, so that no tenant's id is a small number that other answers
-- carry by chance), and row-level security enabled and forced with the owner's policy, as every table.
alter table app_private.last_visit_days add column if not exists id text not null default public.gen_ulid();
do $$
begin
  if not exists (select 1 from pg_constraint where conrelid = 'app_private.last_visit_days'::regclass and contype = 'p') then
    alter table app_private.last_visit_days add primary key (tenant_id, id);
  end if;
  if not exists (select 1 from pg_policy where polrelid = 'app_private.last_visit_days'::regclass) then
    perform app_private.secure_table('app_private.last_visit_days');
  end if;
end;
$$;

--! Included reporting/615-active-customers.sql
-- Customers active in the last 30 days, for the dashboard, without counting them one by one.
--
-- app_private.last_visit_days holds, per tenant and UTC day, how many customers (not merged
-- away) have their last visit on that day. It is a pure function of reporting.rm_customer_activity,
-- kept by statement-level triggers with transition tables on that table, so every writer — the
-- consumer at commit, merges, a rebuild, a tenant's deletion, a TRUNCATE — keeps it exact
-- without knowing it exists.
--
-- Insert-only, never a hot row: each statement that moves last visits appends one row per
-- (tenant, day) it changes, with the change (+1 for the day a customer's last visit moved to, −1
-- for the day it left). Updating one counter row per day instead would make every till of a shop
-- wait for the others' commits on today's row (the problem the sales queue exists to avoid,
-- db/REPORTING.md). The writer that gets the tenant's compaction lock without waiting then folds
-- the rows of the days it touched into one per day; the others leave theirs for the next one.
-- Readers sum whatever rows a day has.

/* The key of a tenant's compaction lock (transaction-level advisory lock, tried, never waited for). */
create or replace function app_private.last_visit_days_lock_key(tenant_id text) returns bigint
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select hashtextextended('reporting.last_visit_days:' || tenant_id, 0);
$$;

/* The statement trigger of rm_customer_activity: what the statement changed, per tenant and day. */
create or replace function app_private.tg_rm_customer_activity__last_visit_days() returns trigger
language plpgsql
set search_path to pg_catalog, public, pg_temp
as $$
declare
  changes app_private.last_visit_days[];
  tenant text;
begin
  if tg_op = 'TRUNCATE' then
    -- TRUNCATE empties every tenant's activity at once.
    truncate app_private.last_visit_days;
    return null;
  end if;

  -- Only rows that count: a last visit, and not merged into another customer.
  if tg_op = 'INSERT' then
    select array_agg(row(d.tenant_id, d.visit_day, d.customers, null)::app_private.last_visit_days) into changes
    from (select n.tenant_id, (n.last_visit_at at time zone 'UTC')::date as visit_day, count(*)::int as customers
          from new_rows n where n.last_visit_at is not null and n.merged_into_id is null
          group by 1, 2) d;
  elsif tg_op = 'DELETE' then
    select array_agg(row(d.tenant_id, d.visit_day, d.customers, null)::app_private.last_visit_days) into changes
    from (select o.tenant_id, (o.last_visit_at at time zone 'UTC')::date as visit_day, -count(*)::int as customers
          from old_rows o where o.last_visit_at is not null and o.merged_into_id is null
          group by 1, 2) d;
  else
    select array_agg(row(d.tenant_id, d.visit_day, d.customers, null)::app_private.last_visit_days) into changes
    from (select c.tenant_id, c.visit_day, sum(c.n)::int as customers
          from (select n.tenant_id, (n.last_visit_at at time zone 'UTC')::date as visit_day, 1 as n
                from new_rows n where n.last_visit_at is not null and n.merged_into_id is null
                union all
                select o.tenant_id, (o.last_visit_at at time zone 'UTC')::date, -1
                from old_rows o where o.last_visit_at is not null and o.merged_into_id is null) c
          group by 1, 2
          having sum(c.n) <> 0) d;
  end if;
  if changes is null then
    return null;
  end if;

  insert into app_private.last_visit_days (tenant_id, visit_day, customers)
  select c.tenant_id, c.visit_day, c.customers from unnest(changes) c;

  -- Compact the days just touched, if no other transaction of the tenant is compacting (it would
  -- hold its rows until it commits). Under READ COMMITTED only: a snapshot older than the lock
  -- could still see rows a compaction that has since committed deleted.
  if current_setting('transaction_isolation') = 'read committed' then
    for tenant in select distinct c.tenant_id from unnest(changes) c loop
      continue when not pg_try_advisory_xact_lock(app_private.last_visit_days_lock_key(tenant));
      with gone as (
        delete from app_private.last_visit_days h
        where h.tenant_id = tenant
          and h.visit_day in (select c.visit_day from unnest(changes) c where c.tenant_id = tenant)
        returning h.visit_day, h.customers
      )
      insert into app_private.last_visit_days (tenant_id, visit_day, customers)
      select tenant, g.visit_day, sum(g.customers)::int from gone g group by g.visit_day having sum(g.customers) <> 0;
    end loop;
  end if;
  return null;
end;
$$;
comment on function app_private.tg_rm_customer_activity__last_visit_days() is 'Keeps app_private.last_visit_days equal to the last visits of rm_customer_activity (statement trigger, transition tables).';

-- One trigger per event (a trigger with transition tables may have only one event, and no column
-- list: a rename fires it too, and finds nothing to change).
drop trigger if exists _500_last_visit_days_insert on reporting.rm_customer_activity;
create trigger _500_last_visit_days_insert after insert on reporting.rm_customer_activity
  referencing new table as new_rows
  for each statement execute function app_private.tg_rm_customer_activity__last_visit_days();
drop trigger if exists _500_last_visit_days_update on reporting.rm_customer_activity;
create trigger _500_last_visit_days_update after update on reporting.rm_customer_activity
  referencing old table as old_rows new table as new_rows
  for each statement execute function app_private.tg_rm_customer_activity__last_visit_days();
drop trigger if exists _500_last_visit_days_delete on reporting.rm_customer_activity;
create trigger _500_last_visit_days_delete after delete on reporting.rm_customer_activity
  referencing old table as old_rows
  for each statement execute function app_private.tg_rm_customer_activity__last_visit_days();
drop trigger if exists _500_last_visit_days_truncate on reporting.rm_customer_activity;
create trigger _500_last_visit_days_truncate after truncate on reporting.rm_customer_activity
  for each statement execute function app_private.tg_rm_customer_activity__last_visit_days();

/*
 * Customers of a tenant (not merged away) whose last visit is at or after `since`: the whole UTC
 * days after since's day from last_visit_days, plus since's own day counted row by row from
 * rm_customer_activity (its partial index on (tenant_id, last_visit_at)) from since to that day's
 * end. Reads at most a day's last visits, however many customers are active. PL/pgSQL so that
 * its plan is kept for the session (a SQL function with sub-selects is neither inlined nor
 * cached: it would be planned at every call).
 */
create or replace function app_private.active_customers_since(tenant_id text, since timestamptz) returns bigint
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  first_day constant date := (since at time zone 'UTC')::date;
begin
  return coalesce((select sum(h.customers)
                   from app_private.last_visit_days h
                   where h.tenant_id = active_customers_since.tenant_id and h.visit_day > first_day), 0)::bigint
       + (select count(*)
          from reporting.rm_customer_activity c
          where c.tenant_id = active_customers_since.tenant_id and c.merged_into_id is null
            and c.last_visit_at >= since and c.last_visit_at < ((first_day + 1)::timestamp at time zone 'UTC'));
end;
$$;
comment on function app_private.active_customers_since(text, timestamptz) is 'Customers of the tenant (merged ones excluded) whose last visit is at or after since: whole days from last_visit_days, the first day counted.';
--! EndIncluded reporting/615-active-customers.sql
