-- 640-reporting-analysts: plain SQL for a tenant's analysts (psql, Metabase, a notebook).
--
-- An owner creates a login (reporting.create_analyst_login): a real PostgreSQL LOGIN role named
-- bo_analyst_<label>_<random>, member of the analyst group role (:DATABASE_ANALYST), mapped to the
-- tenant in app_private.analyst_logins; the password is returned once and never stored by us
-- (PostgreSQL keeps its SCRAM hash). The group may only SELECT the views below and use the
-- reporting schema; it has no privilege on app_public, app_hidden, app_private or
-- graphile_worker, and no write privilege anywhere.
--
-- Scoping without settings: the views are owned by the owner (so they can join location, item
-- and customer names the group cannot read), and every read-model table carries a restrictive
-- row-level security policy for the owner role that, when the query runs for anybody but the
-- owner itself (current_user is the analyst login when it reads through a view), keeps only the
-- rows of the tenant the login is mapped to. So a login sees its tenant's rows and nothing else,
-- and a login whose mapping is gone (or whose tenant is suspended or lacks the reporting module)
-- sees nothing. The views are security barriers, so that no function in an analyst's WHERE
-- clause runs on rows before that filter. Queued sales events (610) are added in, so figures are
-- exact. db/REPORTING.md has example queries.

create table app_private.analyst_logins (
  tenant_id text not null references app_public.tenants on delete cascade,
  role_name text not null,
  label text not null,
  created_by text,
  created_at timestamptz not null default now(),
  primary key (tenant_id, role_name)
);
create index analyst_logins_role_name_idx on app_private.analyst_logins (role_name);
select app_private.secure_table('app_private.analyst_logins');
comment on table app_private.analyst_logins is 'Which tenant each analyst login (a PostgreSQL LOGIN role, member of the analyst group) reads.';
comment on column app_private.analyst_logins.role_name is 'The PostgreSQL role (unique in the cluster).';
comment on column app_private.analyst_logins.label is 'What the owner called it (Metabase, Ann''s notebook…).';

/*
 * The tenant of the analyst login this connection signed in with (session_user), while that
 * tenant is active and its plan includes reporting; null for any other connection.
 */
create function app_hidden.analyst_tenant_id() returns text
language sql stable security definer parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select a.tenant_id
  from app_private.analyst_logins a
  join app_public.tenants t on t.id = a.tenant_id
  where a.role_name = session_user::text
    and t.status = 'active'
    and 'reporting' = any((app_private.tenant_plan(a.tenant_id)).modules);
$$;
comment on function app_hidden.analyst_tenant_id() is 'The tenant of the signed-in analyst login (session_user), or null.';

/* What the queued sales events of the analyst's tenant add (the views add it to the folded rows). */
create function app_hidden.analyst_pending_daily()
returns table (location_id text, business_date date, order_count bigint, gross_sales bigint, discount_total bigint,
               tax_total bigint, net_sales bigint, tender_cash bigint, tender_card bigint, void_count bigint, void_total bigint)
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select d.* from app_hidden.analyst_tenant_id() t, app_private.reporting_pending_daily(t) d where t is not null;
$$;

create function app_hidden.analyst_pending_items()
returns table (location_id text, business_date date, catalog_item_id text, catalog_item_name text, name_seq bigint,
               quantity_sold bigint, gross_revenue bigint, net_revenue bigint)
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select d.* from app_hidden.analyst_tenant_id() t, app_private.reporting_pending_items(t) d where t is not null;
$$;

create function app_hidden.analyst_pending_stock()
returns table (location_id text, inventory_item_id text, on_hand bigint)
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select d.* from app_hidden.analyst_tenant_id() t, app_private.reporting_pending_stock(t) d where t is not null;
$$;

-- The owner itself (worker, security definer functions, migrations) reads every row; anybody
-- reading through the owner's views reads its own tenant's rows only.
create policy analyst_own_tenant on reporting.rm_daily_sales as restrictive for select to :DATABASE_OWNER
  using (current_user = ':DATABASE_OWNER' or tenant_id = (select app_hidden.analyst_tenant_id()));
create policy analyst_own_tenant on reporting.rm_item_sales as restrictive for select to :DATABASE_OWNER
  using (current_user = ':DATABASE_OWNER' or tenant_id = (select app_hidden.analyst_tenant_id()));
create policy analyst_own_tenant on reporting.rm_inventory_on_hand as restrictive for select to :DATABASE_OWNER
  using (current_user = ':DATABASE_OWNER' or tenant_id = (select app_hidden.analyst_tenant_id()));
create policy analyst_own_tenant on reporting.rm_customer_activity as restrictive for select to :DATABASE_OWNER
  using (current_user = ':DATABASE_OWNER' or tenant_id = (select app_hidden.analyst_tenant_id()));

------------------------------------------------------------------------------------------------
-- The views: dollars as numeric, names joined, one row per natural grain.

create view reporting.sales_by_day with (security_barrier) as
select s.business_date,
       s.location_id,
       l.name as location_name,
       s.order_count as orders,
       (s.gross_sales / 100.0)::numeric(14, 2) as gross_sales,
       (s.discount_total / 100.0)::numeric(14, 2) as discounts,
       (s.tax_total / 100.0)::numeric(14, 2) as tax,
       (s.net_sales / 100.0)::numeric(14, 2) as net_sales,
       (s.tender_cash / 100.0)::numeric(14, 2) as cash,
       (s.tender_card / 100.0)::numeric(14, 2) as card,
       s.void_count as voids,
       (s.void_total / 100.0)::numeric(14, 2) as voided_total,
       (case when s.order_count > 0 then round(s.net_sales::numeric / s.order_count) else 0 end / 100.0)::numeric(14, 2) as avg_order_value
from (
  select f.tenant_id, f.location_id, f.business_date,
         sum(f.order_count)::bigint as order_count, sum(f.gross_sales)::bigint as gross_sales,
         sum(f.discount_total)::bigint as discount_total, sum(f.tax_total)::bigint as tax_total,
         sum(f.net_sales)::bigint as net_sales, sum(f.tender_cash)::bigint as tender_cash,
         sum(f.tender_card)::bigint as tender_card, sum(f.void_count)::bigint as void_count,
         sum(f.void_total)::bigint as void_total
  from (
    select r.tenant_id, r.location_id, r.business_date, r.order_count::bigint as order_count, r.gross_sales, r.discount_total,
           r.tax_total, r.net_sales, r.tender_cash, r.tender_card, r.void_count::bigint as void_count, r.void_total
    from reporting.rm_daily_sales r
    union all
    select app_hidden.analyst_tenant_id(), d.location_id, d.business_date, d.order_count, d.gross_sales, d.discount_total,
           d.tax_total, d.net_sales, d.tender_cash, d.tender_card, d.void_count, d.void_total
    from app_hidden.analyst_pending_daily() d
  ) f
  group by f.tenant_id, f.location_id, f.business_date
) s
join app_public.locations l on l.tenant_id = s.tenant_id and l.id = s.location_id;
comment on view reporting.sales_by_day is 'Sales per location and business date (the location''s own date), in dollars. Voided orders are taken out of the date they were placed and counted in voids / voided_total. net_sales = gross_sales − discounts + tax; avg_order_value = net_sales / orders.';

create view reporting.item_sales_by_day with (security_barrier) as
select s.business_date,
       s.location_id,
       l.name as location_name,
       s.catalog_item_id,
       s.item_name,
       c.sku,
       s.quantity_sold,
       (s.gross_revenue / 100.0)::numeric(14, 2) as gross_revenue,
       (s.net_revenue / 100.0)::numeric(14, 2) as net_revenue
from (
  select f.tenant_id, f.location_id, f.business_date, f.catalog_item_id,
         (array_agg(f.catalog_item_name order by f.name_seq desc, f.catalog_item_name))[1] as item_name,
         sum(f.quantity_sold)::bigint as quantity_sold, sum(f.gross_revenue)::bigint as gross_revenue,
         sum(f.net_revenue)::bigint as net_revenue
  from (
    select r.tenant_id, r.location_id, r.business_date, r.catalog_item_id, r.catalog_item_name, r.name_seq,
           r.quantity_sold::bigint as quantity_sold, r.gross_revenue, r.net_revenue
    from reporting.rm_item_sales r
    union all
    select app_hidden.analyst_tenant_id(), d.location_id, d.business_date, d.catalog_item_id, d.catalog_item_name, d.name_seq,
           d.quantity_sold, d.gross_revenue, d.net_revenue
    from app_hidden.analyst_pending_items() d
  ) f
  group by f.tenant_id, f.location_id, f.business_date, f.catalog_item_id
) s
join app_public.locations l on l.tenant_id = s.tenant_id and l.id = s.location_id
join app_public.catalog_items c on c.tenant_id = s.tenant_id and c.id = s.catalog_item_id;
comment on view reporting.item_sales_by_day is 'What each catalog item sold per location and business date, in dollars (voided orders taken out). gross_revenue is before discounts, net_revenue after discounts; both before tax. item_name is the name on its latest sale of the day; sku is the current one.';

create view reporting.stock_levels with (security_barrier) as
select s.location_id,
       l.name as location_name,
       s.inventory_item_id,
       i.name as item_name,
       s.on_hand,
       i.low_stock_threshold,
       s.on_hand <= i.low_stock_threshold as is_low_stock
from (
  select f.tenant_id, f.location_id, f.inventory_item_id, sum(f.on_hand)::int as on_hand
  from (
    select r.tenant_id, r.location_id, r.inventory_item_id, r.on_hand::bigint as on_hand
    from reporting.rm_inventory_on_hand r
    union all
    select app_hidden.analyst_tenant_id(), d.location_id, d.inventory_item_id, d.on_hand
    from app_hidden.analyst_pending_stock() d
  ) f
  group by f.tenant_id, f.location_id, f.inventory_item_id
) s
join app_public.locations l on l.tenant_id = s.tenant_id and l.id = s.location_id
join app_public.inventory_items i on i.tenant_id = s.tenant_id and i.id = s.inventory_item_id;
comment on view reporting.stock_levels is 'Units on hand per location and inventory item; is_low_stock when at or below the item''s threshold.';

create view reporting.customer_activity with (security_barrier) as
select a.customer_id,
       c.customer_number,
       a.customer_name,
       a.total_visits,
       (a.total_spend / 100.0)::numeric(14, 2) as total_spend,
       (case when a.total_visits > 0 then round(a.total_spend::numeric / a.total_visits) else 0 end / 100.0)::numeric(14, 2) as avg_spend,
       a.last_visit_at
from reporting.rm_customer_activity a
join app_public.customers c on c.tenant_id = a.tenant_id and c.id = a.customer_id
where a.merged_into_id is null;
comment on view reporting.customer_activity is 'Visits (orders not voided) and spend (tax included, in dollars) of each customer; customers merged into another one are counted in that one.';

revoke all on all tables in schema reporting from :DATABASE_ANALYST;
revoke all on schema app_public, app_hidden, app_private from :DATABASE_ANALYST;
grant select on reporting.sales_by_day, reporting.item_sales_by_day, reporting.stock_levels, reporting.customer_activity
  to :DATABASE_ANALYST;
grant execute on function app_hidden.analyst_tenant_id(), app_hidden.analyst_pending_daily(),
  app_hidden.analyst_pending_items(), app_hidden.analyst_pending_stock() to :DATABASE_ANALYST;

------------------------------------------------------------------------------------------------
-- Logins

/* Raises LOGIN/DNIED unless the signed-in user is an owner of the current tenant; returns it. */
create function app_hidden.assert_tenant_owner() returns text
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
begin
  perform app_hidden.assert_tenant_active();
  if not exists (select 1 from app_public.memberships m
                 join app_public.roles r on r.tenant_id = m.tenant_id and r.id = m.role_id
                 where m.tenant_id = tenant and m.user_id = app_hidden.current_user_id() and r.key = 'owner') then
    perform app_hidden.raise_error('DNIED', 'Only an owner of the business can manage analyst logins.');
  end if;
  return tenant;
end;
$$;
comment on function app_hidden.assert_tenant_owner() is 'Raises LOGIN, DNIED or TSUSP unless the signed-in user is an owner (with settings.update) of the current tenant; returns the tenant.';

create type reporting.analyst_credentials as (
  username text,
  password text,
  database_name text
);
comment on type reporting.analyst_credentials is E'@name analyst_credentials\nHow an analyst connects: shown once, the password is not kept.';
comment on column reporting.analyst_credentials.username is E'@notNull\nThe PostgreSQL user name.';
comment on column reporting.analyst_credentials.password is E'@notNull\nThe password (shown only now).';
comment on column reporting.analyst_credentials.database_name is E'@notNull\nThe database to connect to.';

create type reporting.analyst_login as (
  username text,
  label text,
  created_at timestamptz
);
comment on type reporting.analyst_login is E'@name analyst_login\nAn analyst login of the business.';
comment on column reporting.analyst_login.username is E'@notNull\nThe PostgreSQL user name.';
comment on column reporting.analyst_login.label is E'@notNull\nWhat it was called when created.';
comment on column reporting.analyst_login.created_at is E'@notNull\nWhen it was created.';

/*
 * Creates a PostgreSQL login for the tenant's analysts and returns its password, once. The role
 * is a member of the analyst group only, reads the reporting views of this database with
 * search_path reporting and a 60 s statement timeout, and at most 5 connections.
 */
create function reporting.create_analyst_login(name text) returns reporting.analyst_credentials
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_tenant_owner();
  label text := app_hidden.assert_name('The login''s name', create_analyst_login.name, 60);
  slug text := left(btrim(regexp_replace(lower(label), '[^a-z0-9]+', '_', 'g'), '_'), 20);
  login text := ':DATABASE_ANALYST' || '_' || coalesce(nullif(slug, ''), 'login') || '_' || encode(public.gen_random_bytes(5), 'hex');
  secret text := translate(encode(public.gen_random_bytes(24), 'base64'), '+/', '-_');
begin
  if (select count(*) from app_private.analyst_logins a where a.tenant_id = tenant) >= 20 then
    perform app_hidden.raise_error('ANLIM', 'A business can have at most 20 analyst logins; remove one first.');
  end if;
  begin
    execute format('create role %I with login nosuperuser nocreatedb nocreaterole noreplication nobypassrls inherit connection limit 5 password %L',
                   login, secret);
    execute format('grant %I to %I', ':DATABASE_ANALYST', login);
    execute format('alter role %I in database %I set search_path to reporting', login, current_database());
    execute format('alter role %I in database %I set statement_timeout to %L', login, current_database(), '60s');
  exception when insufficient_privilege then
    perform app_hidden.raise_error('ANSET', 'Analyst logins cannot be created on this server: the database owner role needs CREATEROLE and the right to grant the analyst group (see db/REPORTING.md).');
  end;
  insert into app_private.analyst_logins (tenant_id, role_name, label, created_by)
  values (tenant, login, label, app_hidden.current_user_id());
  return row(login, secret, current_database())::reporting.analyst_credentials;
end;
$$;
comment on function reporting.create_analyst_login(text) is
  E'@name create_analyst_login\n@resultFieldName credentials\nCreates a PostgreSQL login with which analysts read this business''s reporting views (sales_by_day, item_sales_by_day, stock_levels, customer_activity) with psql, Metabase or a notebook. Owners only. The password is shown once. At most 20 per business.';

create function reporting.analyst_logins() returns setof reporting.analyst_login
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_tenant_owner();
begin
  return query select a.role_name, a.label, a.created_at from app_private.analyst_logins a
    where a.tenant_id = tenant order by a.created_at, a.role_name;
end;
$$;
comment on function reporting.analyst_logins() is E'@name analyst_logins\n@behavior -connection +list\n@listSuffix omit\nThe analyst logins of the business (owners only).';

/* Removes an analyst login of the tenant: the mapping goes and the role is dropped. */
create function reporting.drop_analyst_login(username text) returns boolean
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_tenant_owner();
begin
  delete from app_private.analyst_logins a where a.tenant_id = tenant and a.role_name = drop_analyst_login.username;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no analyst login %s.', left(coalesce(username, ''), 63)));
  end if;
  -- Open connections are not ended (that needs more than the owner's rights); from now on they
  -- read nothing, since the mapping is gone, and they cannot connect again.
  if exists (select 1 from pg_catalog.pg_roles r where r.rolname = drop_analyst_login.username) then
    execute format('drop role %I', drop_analyst_login.username);
  end if;
  return true;
end;
$$;
comment on function reporting.drop_analyst_login(text) is E'@name drop_analyst_login\nRemoves an analyst login of the business (owners only): it can no longer connect, and open connections see nothing.';

grant execute on function reporting.create_analyst_login(text), reporting.analyst_logins(),
  reporting.drop_analyst_login(text) to :DATABASE_VISITOR;
