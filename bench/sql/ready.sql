-- What the cases are handed once the data set is built (:tenant is the largest tenant).

-- name: session
-- A session of the tenant's owner (every permission): the bo_session cookie / app.session_id.
insert into app_private.sessions (user_id, active_tenant_id)
select m.user_id, m.tenant_id from app_public.memberships m join app_public.roles r on r.tenant_id = m.tenant_id and r.id = m.role_id
where m.tenant_id = :tenant and r.key = 'owner' limit 1
returning id::text;

-- name: counts
-- The size of the data set, for the log and the results.
select (select count(*) from app_public.tenants)::int as tenants, (select count(*) from app_public.locations)::int as locations,
       (select count(*) from app_public.customers)::int as customers,
       (select count(*) from app_public.customers where tenant_id = :tenant)::int as big_customers,
       (select count(*) from app_public.orders)::int as orders,
       (select count(*) from app_public.orders where tenant_id = :tenant)::int as big_orders,
       (select count(*) from app_private.events)::int as events,
       (select count(*) from app_private.events where tenant_id = :tenant)::int as big_events,
       (select count(*) from app_private.processed_events)::int as processed_events,
       pg_database_size(current_database())::bigint / 1048576 as size_mb;
