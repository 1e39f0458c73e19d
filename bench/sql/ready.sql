-- What the cases are handed once the data set is built (:tenant is the largest tenant).

-- name: session
-- A session of the tenant's owner (every permission), started as sign-in starts one: its secret
-- is the bo_session cookie / app.session_id.
select app_private.new_session(o.user_id, o.tenant_id)::text as id
from (select m.user_id, m.tenant_id
      from app_public.memberships m join app_public.roles r on r.tenant_id = m.tenant_id and r.id = m.role_id
      where m.tenant_id = :tenant and r.key = 'owner' order by m.id limit 1) o;

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
