-- 540-billing-requests: what the owner asks of Stripe from the admin: a billing portal session,
-- a plan change. Stripe is never called from a request: request_billing_portal() and
-- change_plan() record a billing_requests row and queue a job; the job stores the outcome (the
-- portal URL, or the error) on the row, which the admin polls through GraphQL. Both work while
-- the business is suspended: they are how it gets out of suspension.

create table app_public.billing_requests (
  tenant_id text not null default app_hidden.current_tenant_id() references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  kind text not null check (kind in ('portal', 'change_plan')),
  plan_key text references app_public.plans (key),
  status text not null default 'pending' check (status in ('pending', 'done', 'failed')),
  url text,
  error_message text,
  requested_by text references app_public.users on delete set null,
  finished_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  check ((kind = 'change_plan') = (plan_key is not null))
);
create index billing_requests_plan_key_idx on app_public.billing_requests (plan_key);
create index billing_requests_requested_by_idx on app_public.billing_requests (requested_by);
create index billing_requests_created_at_idx on app_public.billing_requests (tenant_id, created_at);
select app_private.secure_table('app_public.billing_requests');
comment on table app_public.billing_requests is E'@unique id\nA request to Stripe made from the admin (billing portal, plan change); poll it until it is done or failed.';
comment on column app_public.billing_requests.tenant_id is '@behavior -*';
comment on constraint billing_requests_pkey on app_public.billing_requests is '@behavior -single -update -delete';
comment on constraint billing_requests_plan_key_fkey on app_public.billing_requests is E'@fieldName plan\n@foreignFieldName billingRequests';
comment on constraint billing_requests_requested_by_fkey on app_public.billing_requests is E'@fieldName requester\n@foreignFieldName billingRequests';
comment on column app_public.billing_requests.kind is 'portal (open the Stripe billing portal) or change_plan.';
comment on column app_public.billing_requests.plan_key is 'The plan asked for (change_plan).';
comment on column app_public.billing_requests.status is 'pending while the worker talks to Stripe, then done or failed.';
comment on column app_public.billing_requests.url is 'Where to send the user when done (the billing portal).';
comment on column app_public.billing_requests.error_message is 'Why it failed, for the user.';
comment on column app_public.billing_requests.finished_at is 'When it became done or failed.';
create trigger _100_timestamps before insert or update on app_public.billing_requests
  for each row execute function app_private.tg__timestamps();

-- A portal URL opens the business's billing: only the person who asked sees it.
create policy select_own_requests on app_public.billing_requests for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and requested_by = (select app_hidden.current_user_id()));
grant select on app_public.billing_requests to :DATABASE_VISITOR;

create function app_public.request_billing_portal() returns app_public.billing_requests
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_billing_permission('settings.update');
  result app_public.billing_requests;
begin
  insert into app_public.billing_requests (tenant_id, kind, requested_by)
  values (tenant, 'portal', app_hidden.current_user_id())
  returning * into result;
  perform graphile_worker.add_job('stripe_billing_portal',
    json_build_object('tenantId', tenant, 'requestId', result.id), max_attempts := 12);
  return result;
end;
$$;
comment on function app_public.request_billing_portal() is E'@resultFieldName billingRequest\nAsks for a Stripe billing portal session (settings.update); poll the returned request for its url.';

create function app_public.change_plan(plan_key text) returns app_public.billing_requests
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_billing_permission('settings.update');
  target app_public.plans;
  cur app_public.billing_subscriptions;
  problem text;
  result app_public.billing_requests;
begin
  select p.* into target from app_public.plans p where p.key = change_plan.plan_key;
  if not found then
    perform app_hidden.raise_error('BADPL', format('There is no plan named "%s".', left(coalesce(change_plan.plan_key, ''), 50)));
  end if;
  select s.* into cur from app_public.billing_subscriptions s where s.tenant_id = tenant;
  if cur.status = 'canceled' and cur.grace_ends_at < now() then
    perform app_hidden.raise_error('GRACE', 'Your subscription ended more than 30 days ago, so it can no longer be reactivated here. Please contact support.');
  end if;
  if cur.status is distinct from 'canceled' and cur.plan_key = target.key then
    perform app_hidden.raise_error('BADPL', format('You are already on the %s plan.', target.name));
  end if;
  problem := app_private.plan_change_problem(tenant, target.key);
  if problem is not null then
    perform app_hidden.raise_error('DOWNG', problem);
  end if;
  insert into app_public.billing_requests (tenant_id, kind, plan_key, requested_by)
  values (tenant, 'change_plan', target.key, app_hidden.current_user_id())
  returning * into result;
  perform graphile_worker.add_job('stripe_change_plan',
    json_build_object('tenantId', tenant, 'requestId', result.id), max_attempts := 12);
  return result;
end;
$$;
comment on function app_public.change_plan(text) is E'@resultFieldName billingRequest\nMoves the business to another plan (settings.update), or reactivates a canceled subscription within its 30-day grace period. Refused with DOWNG when current usage exceeds the plan''s limits. Poll the returned request.';

/* What the job needs for a request; null when the request is gone. */
create function app_private.billing_request_params(tenant text, request_id text) returns jsonb
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select jsonb_build_object(
    'id', r.id,
    'tenantId', r.tenant_id,
    'kind', r.kind,
    'status', r.status,
    'planKey', r.plan_key,
    'priceId', p.stripe_price_id,
    'customerId', t.billing_customer_id,
    'subscriptionId', s.stripe_subscription_id,
    'subscriptionStatus', s.status,
    'problem', case when r.kind = 'change_plan' then app_private.plan_change_problem(r.tenant_id, r.plan_key) end)
  from app_public.billing_requests r
  join app_public.tenants t on t.id = r.tenant_id
  left join app_public.plans p on p.key = r.plan_key
  left join app_public.billing_subscriptions s on s.tenant_id = r.tenant_id
  where r.tenant_id = tenant and r.id = request_id;
$$;
comment on function app_private.billing_request_params(text, text) is 'A billing request with the Stripe ids its job needs (worker).';

/* The job's outcome; a request that is no longer pending is left alone. */
create function app_private.finish_billing_request(tenant text, request_id text, status text, url text default null, error_message text default null)
returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  update app_public.billing_requests r set
    status = finish_billing_request.status,
    url = finish_billing_request.url,
    error_message = finish_billing_request.error_message,
    finished_at = now()
  where r.tenant_id = tenant and r.id = request_id and r.status = 'pending';
$$;
comment on function app_private.finish_billing_request(text, text, text, text, text) is 'Marks a billing request done (with its url) or failed (with a message for the user) (worker).';
