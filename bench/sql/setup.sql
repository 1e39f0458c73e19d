-- Tenants, owners and cashiers, roles, locations, the plan, catalog and inventory items, with
-- every trigger on (validation, audit, the trial row of billing), as onboarding and the admin
-- would write them; created two years before the anchor. One transaction (data.ts).
-- Parameters: :tenants and :locations (JSON lists from the plan in data.ts), :catalog and
-- :stocked (JSON lists of the catalog and of its stocked items).

-- name: plan of the tenants
-- Ids, owner and cashiers of each tenant; its customers are spread from t0 (two years ago) to yesterday.
insert into bench_gen.g_tenants (tix, tenant_id, name, country, tax, n_cust, cust_off, owner_id, cashier_ids, t0_ms, span_ms)
select x.tix, bench_gen.id(bench_gen.tp(a.ms), 1, x.tix), x.name, x.country, x.tax, x.n_cust, x.cust_off,
       bench_gen.id(bench_gen.tp(a.ms), 2, x.tix * 100),
       array(select bench_gen.id(bench_gen.tp(a.ms), 2, x.tix * 100 + k) from generate_series(1, x.cashiers) k),
       a.ms, bench_gen.ms(an.at - interval '1 day') - a.ms
from jsonb_to_recordset(:tenants::jsonb) as x(tix int, name text, country text, tax int, n_cust int, cust_off bigint, cashiers int)
cross join bench_gen.anchor an
cross join lateral (select bench_gen.ms(an.at - interval '730 days') as ms) a;

-- name: plan of the locations
insert into bench_gen.g_locations (lix, tix, tenant_id, location_id, name, tz, n_orders, order_off, today, now_local)
select x.lix, x.tix, t.tenant_id, bench_gen.id(bench_gen.tp(t.t0_ms), 4, x.lix), x.name, x.tz, x.n_orders, x.order_off,
       (an.at at time zone x.tz)::date, an.at at time zone x.tz
from jsonb_to_recordset(:locations::jsonb) as x(lix int, tix int, name text, tz text, n_orders int, order_off bigint)
join bench_gen.g_tenants t on t.tix = x.tix cross join bench_gen.anchor an;

-- name: users
-- What app_hidden.onboard and create_tenant_for write, without a bcrypt hash per owner.
insert into app_public.users (id, email, name)
select t.owner_id, 'owner' || t.tix || '@bench.backoffice.test', 'Owner ' || t.tix from bench_gen.g_tenants t
union all
select u.id, 'cashier' || t.tix || '-' || u.k || '@bench.backoffice.test', 'Cashier ' || t.tix || '-' || u.k
from bench_gen.g_tenants t cross join lateral unnest(t.cashier_ids) with ordinality as u(id, k);

-- name: passwords
-- One bcrypt hash for everybody (computed once: the CTE is materialized).
with h as materialized (select public.crypt('bench password 1', public.gen_salt('bf', 10)) as hash)
insert into app_private.user_secrets (user_id, password_hash)
select u.id, h.hash from app_public.users u cross join h;

-- name: tenants
insert into app_public.tenants (id, name, default_country, tax_rate_bps, billing_customer_id)
select t.tenant_id, t.name, t.country, t.tax, 'cus_bench' || t.tix from bench_gen.g_tenants t order by t.tix;

-- name: roles
insert into app_public.roles (tenant_id, id, key, name, permissions)
select t.tenant_id, bench_gen.id(bench_gen.tp(t.t0_ms), 3, t.tix * 4 + r.k), r.key, r.name, r.permissions
from bench_gen.g_tenants t
cross join (values (1, 'owner', 'Owner', app_hidden.all_permissions()),
                   (2, 'manager', 'Manager', array(select p from unnest(app_hidden.all_permissions()) as p where p <> 'settings.update')),
                   (3, 'cashier', 'Cashier', array['customers.view', 'customers.create', 'sales.sell'])) as r(k, key, name, permissions);

-- name: customer types and loyalty thresholds
-- The four customer types and the default thresholds create_tenant_for gives every business.
select app_private.seed_tenant_customer_types(t.tenant_id) from bench_gen.g_tenants t order by t.tix;
insert into app_public.loyalty_settings (tenant_id) select t.tenant_id from bench_gen.g_tenants t order by t.tix;

-- name: subscriptions
-- A year in: on the Growth plan (ten locations, every module), paid up.
update app_public.billing_subscriptions s set plan_key = 'growth', status = 'active', stripe_customer_id = 'cus_bench' || t.tix,
  stripe_subscription_id = 'sub_bench' || t.tix, trial_ends_at = null,
  current_period_start = date_trunc('second', an.at) - interval '10 days', current_period_end = date_trunc('second', an.at) + interval '20 days'
from bench_gen.g_tenants t cross join bench_gen.anchor an where s.tenant_id = t.tenant_id;

-- name: locations
-- The validation trigger reads pg_timezone_names for every row (100 ms each on a busy machine):
-- the zones are checked once here instead, and the names are distinct by construction.
select app_hidden.assert_valid_timezone(z.tz) from (select distinct tz from bench_gen.g_locations) z;
alter table app_public.locations disable trigger _050_validate;
insert into app_public.locations (tenant_id, id, name, timezone)
select l.tenant_id, l.location_id, l.name, l.tz from bench_gen.g_locations l order by l.lix;
alter table app_public.locations enable trigger _050_validate;

-- name: memberships
-- The owner with the owner role, the cashiers with the cashier role.
insert into app_public.memberships (tenant_id, id, user_id, role_id)
select t.tenant_id, bench_gen.id(bench_gen.tp(t.t0_ms), 5, t.tix * 100), t.owner_id, bench_gen.id(bench_gen.tp(t.t0_ms), 3, t.tix * 4 + 1)
from bench_gen.g_tenants t
union all
select t.tenant_id, bench_gen.id(bench_gen.tp(t.t0_ms), 5, t.tix * 100 + u.k), u.id, bench_gen.id(bench_gen.tp(t.t0_ms), 3, t.tix * 4 + 3)
from bench_gen.g_tenants t cross join lateral unnest(t.cashier_ids) with ordinality as u(id, k);

-- name: catalog items
insert into app_public.catalog_items (tenant_id, id, name, sku, price)
select t.tenant_id, bench_gen.id(bench_gen.tp(t.t0_ms), 6, t.tix * 100 + x.k), x.name, 'SKU-' || lpad(x.k::text, 3, '0'), x.price
from bench_gen.g_tenants t cross join jsonb_to_recordset(:catalog::jsonb) as x(k int, name text, price int);

-- name: inventory items
insert into app_public.inventory_items (tenant_id, id, catalog_item_id, name, low_stock_threshold)
select t.tenant_id, bench_gen.id(bench_gen.tp(t.t0_ms), 7, t.tix * 100 + x.k), bench_gen.id(bench_gen.tp(t.t0_ms), 6, t.tix * 100 + x.k),
       x.name, x.thr
from bench_gen.g_tenants t cross join jsonb_to_recordset(:stocked::jsonb) as x(k int, name text, thr int);

-- name: plan of the items
-- The catalog of each tenant by position, and the prices the orders are staged with.
insert into bench_gen.g_items (tix, it, id, sku, name, price, inv_id, inv_name, thr)
select t.tix, row_number() over (partition by t.tix order by c.sku), c.id, c.sku, c.name, c.price, i.id, i.name, i.low_stock_threshold
from bench_gen.g_tenants t
join app_public.catalog_items c on c.tenant_id = t.tenant_id
left join app_public.inventory_items i on i.tenant_id = c.tenant_id and i.catalog_item_id = c.id;
update bench_gen.g_tenants t set item_prices = (select array_agg(i.price order by i.it) from bench_gen.g_items i where i.tix = t.tix);

-- name: created two years ago
-- The triggers stamped every row with now(); set it back to the tenant's start.
set session_replication_role = replica;
do $$
declare
  tbl text;
begin
  update app_public.tenants x set created_at = to_timestamp(t.t0_ms / 1000.0), updated_at = to_timestamp(t.t0_ms / 1000.0)
  from bench_gen.g_tenants t where x.id = t.tenant_id;
  update app_public.users x set created_at = to_timestamp(t.t0_ms / 1000.0), updated_at = to_timestamp(t.t0_ms / 1000.0)
  from bench_gen.g_tenants t where x.id = t.owner_id or x.id = any(t.cashier_ids);
  foreach tbl in array array['roles', 'customer_types', 'locations', 'memberships', 'billing_subscriptions', 'catalog_items', 'inventory_items'] loop
    execute format('update app_public.%I x set created_at = to_timestamp(t.t0_ms / 1000.0), updated_at = to_timestamp(t.t0_ms / 1000.0)
                    from bench_gen.g_tenants t where x.tenant_id = t.tenant_id', tbl);
  end loop;
end
$$;
set session_replication_role = origin;
