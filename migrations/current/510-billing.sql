-- 510-billing: each tenant's subscription (one row, mirrored from Stripe), its invoices and the
-- notices billing leaves for the owner. A new tenant starts on Starter, trialing for 14 days
-- with no card; a trigger queues the worker jobs that create its Stripe customer and then its
-- trial subscription (Stripe is never called from a transaction). From then on Stripe is the
-- source of truth: its events (520-stripe-events.sql) update these rows, and the tenant's
-- status follows (suspended for non-payment or cancellation, reactivated when paid).
-- db/BILLING.md tells the whole story.

------------------------------------------------------------------------------------------------
-- Suspension state on the tenant

alter table app_public.tenants
  add column suspension_reason text check (suspension_reason in ('nonpayment', 'canceled')),
  add column suspended_at timestamptz,
  add constraint tenants_suspension_consistent check (suspension_reason is null or status <> 'active');
comment on column app_public.tenants.suspension_reason is 'Why billing suspended the business: nonpayment (payments failed) or canceled (the subscription ended). Null when active.';
comment on column app_public.tenants.suspended_at is 'When the business was suspended; null when active.';

------------------------------------------------------------------------------------------------
-- Subscriptions

create table app_public.billing_subscriptions (
  tenant_id text not null default app_hidden.current_tenant_id() references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  plan_key text not null default 'starter' references app_public.plans (key),
  status text not null default 'trialing' check (status in ('trialing', 'active', 'past_due', 'canceled', 'unpaid')),
  stripe_customer_id text,
  stripe_subscription_id text,
  stripe_subscription_created_at timestamptz,
  current_period_start timestamptz,
  current_period_end timestamptz,
  trial_ends_at timestamptz,
  cancel_at_period_end boolean not null default false,
  canceled_at timestamptz,
  grace_ends_at timestamptz,
  last_stripe_event_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id),
  unique (tenant_id, stripe_subscription_id)
);
create index billing_subscriptions_plan_key_idx on app_public.billing_subscriptions (plan_key);
create index billing_subscriptions_stripe_subscription_idx on app_public.billing_subscriptions (stripe_subscription_id);
select app_private.secure_table('app_public.billing_subscriptions');
comment on table app_public.billing_subscriptions is E'@unique id\nThe subscription of a business (one per business), mirrored from Stripe.';
comment on column app_public.billing_subscriptions.tenant_id is '@behavior -*';
comment on constraint billing_subscriptions_pkey on app_public.billing_subscriptions is '@behavior -single -update -delete';
comment on constraint billing_subscriptions_tenant_id_key on app_public.billing_subscriptions is '@behavior -single -update -delete';
comment on constraint billing_subscriptions_tenant_id_stripe_subscription_id_key on app_public.billing_subscriptions is '@behavior -single -update -delete';
comment on constraint billing_subscriptions_plan_key_fkey on app_public.billing_subscriptions is E'@fieldName plan\n@foreignFieldName billingSubscriptions';
comment on constraint billing_subscriptions_tenant_id_fkey on app_public.billing_subscriptions is E'@fieldName tenant\n@foreignFieldName billingSubscriptions\n@foreignSingleFieldName billingSubscription';
comment on column app_public.billing_subscriptions.plan_key is 'The plan the business is on; its modules and limits apply.';
comment on column app_public.billing_subscriptions.status is 'trialing, active, past_due (a payment failed, Stripe retries), canceled (ended) or unpaid (retries exhausted).';
comment on column app_public.billing_subscriptions.stripe_customer_id is E'@behavior -*\nThe Stripe customer (also on the tenant).';
comment on column app_public.billing_subscriptions.stripe_subscription_id is E'@behavior -*\nThe Stripe subscription; null until the worker has created it.';
comment on column app_public.billing_subscriptions.stripe_subscription_created_at is E'@behavior -*\nCreation time of that Stripe subscription: a newer subscription of the customer replaces an older one, never the reverse.';
comment on column app_public.billing_subscriptions.current_period_start is 'Start of the period paid for (or of the trial).';
comment on column app_public.billing_subscriptions.current_period_end is 'End of the period paid for (or of the trial); the next invoice is made then.';
comment on column app_public.billing_subscriptions.trial_ends_at is 'End of the free trial, if the subscription has or had one.';
comment on column app_public.billing_subscriptions.cancel_at_period_end is 'The subscription was canceled and ends with the current period.';
comment on column app_public.billing_subscriptions.canceled_at is 'When the subscription ended.';
comment on column app_public.billing_subscriptions.grace_ends_at is 'After a cancellation: until then the data stays and choosing a plan reactivates the business.';
comment on column app_public.billing_subscriptions.last_stripe_event_at is E'@behavior -*\nThe created time of the newest Stripe event applied to this row: an older event never overwrites newer state.';

create trigger _100_timestamps before insert or update on app_public.billing_subscriptions
  for each row execute function app_private.tg__timestamps();
create trigger _500_audit after insert or update or delete on app_public.billing_subscriptions
  for each row execute function app_private.tg__audit('created_at', 'updated_at', 'last_stripe_event_at');

create policy select_with_permission on app_public.billing_subscriptions for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.view'));
grant select on app_public.billing_subscriptions to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Invoices mirrored from Stripe

create table app_public.billing_invoices (
  tenant_id text not null default app_hidden.current_tenant_id() references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  stripe_invoice_id text not null,
  stripe_subscription_id text,
  number text,
  status text not null check (status in ('draft', 'open', 'paid', 'uncollectible', 'void')),
  billing_reason text,
  currency text not null,
  amount_due int not null,
  amount_paid int not null,
  attempt_count int not null default 0,
  next_payment_attempt timestamptz,
  period_start timestamptz,
  period_end timestamptz,
  hosted_invoice_url text,
  invoiced_at timestamptz not null,
  paid_at timestamptz,
  last_stripe_event_at timestamptz not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, stripe_invoice_id)
);
create index billing_invoices_invoiced_at_idx on app_public.billing_invoices (tenant_id, invoiced_at);
select app_private.secure_table('app_public.billing_invoices');
comment on table app_public.billing_invoices is E'@unique id\nInvoices of the business for its subscription, mirrored from Stripe.';
comment on column app_public.billing_invoices.tenant_id is '@behavior -*';
comment on constraint billing_invoices_pkey on app_public.billing_invoices is '@behavior -single -update -delete';
comment on constraint billing_invoices_tenant_id_stripe_invoice_id_key on app_public.billing_invoices is '@behavior -single -update -delete';
comment on column app_public.billing_invoices.stripe_invoice_id is E'@behavior -*\nThe Stripe invoice.';
comment on column app_public.billing_invoices.stripe_subscription_id is E'@behavior -*\nThe Stripe subscription the invoice bills.';
comment on column app_public.billing_invoices.number is 'Invoice number, set when the invoice is finalized.';
comment on column app_public.billing_invoices.status is 'draft, open (to be paid), paid, uncollectible or void.';
comment on column app_public.billing_invoices.billing_reason is 'Why Stripe made it: subscription_create, subscription_cycle, subscription_update…';
comment on column app_public.billing_invoices.currency is 'ISO 4217 currency, lower case.';
comment on column app_public.billing_invoices.amount_due is 'Amount to pay, in cents.';
comment on column app_public.billing_invoices.amount_paid is 'Amount paid so far, in cents.';
comment on column app_public.billing_invoices.attempt_count is 'How many times Stripe tried to charge it.';
comment on column app_public.billing_invoices.next_payment_attempt is 'When Stripe tries again; null when it will not.';
comment on column app_public.billing_invoices.period_start is 'Start of the service period billed (from the subscription line).';
comment on column app_public.billing_invoices.period_end is 'End of the service period billed.';
comment on column app_public.billing_invoices.hosted_invoice_url is 'Stripe page where the invoice can be seen and paid.';
comment on column app_public.billing_invoices.invoiced_at is 'When Stripe created the invoice.';
comment on column app_public.billing_invoices.paid_at is 'When it was paid.';
comment on column app_public.billing_invoices.last_stripe_event_at is E'@behavior -*\nCreated time of the newest Stripe event applied to this row.';
create trigger _100_timestamps before insert or update on app_public.billing_invoices
  for each row execute function app_private.tg__timestamps();

create policy select_with_permission on app_public.billing_invoices for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.view'));
grant select on app_public.billing_invoices to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Notices for the owner (an outbox the admin shows; a mailer may send them later)

create table app_public.billing_notices (
  tenant_id text not null default app_hidden.current_tenant_id() references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  kind text not null check (kind in ('trial_will_end', 'payment_failed', 'subscription_canceled')),
  message text not null,
  stripe_event_id text not null,
  dismissed_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, stripe_event_id)
);
create index billing_notices_created_at_idx on app_public.billing_notices (tenant_id, created_at);
select app_private.secure_table('app_public.billing_notices');
comment on table app_public.billing_notices is E'@unique id\nBilling news for the owner of the business (trial ending, failed payment, cancellation).';
comment on column app_public.billing_notices.tenant_id is '@behavior -*';
comment on constraint billing_notices_pkey on app_public.billing_notices is '@behavior -single -update -delete';
comment on constraint billing_notices_tenant_id_stripe_event_id_key on app_public.billing_notices is '@behavior -single -update -delete';
comment on column app_public.billing_notices.kind is 'trial_will_end, payment_failed or subscription_canceled.';
comment on column app_public.billing_notices.message is 'What to tell the owner.';
comment on column app_public.billing_notices.stripe_event_id is E'@behavior -*\nThe Stripe event behind the notice (one notice per event).';
comment on column app_public.billing_notices.dismissed_at is 'When the owner dismissed it; null while it should be shown.';

create policy select_with_permission on app_public.billing_notices for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.update'));
grant select on app_public.billing_notices to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Permissions for billing operations, entitlements

/*
 * Like app_hidden.assert_permission, for the operations a suspended business may still perform
 * (opening the billing portal, changing plan): raises LOGIN or DNIED, never TSUSP.
 */
create function app_hidden.assert_billing_permission(permission text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.current_tenant_id();
begin
  if tenant is null then
    perform app_hidden.raise_error('LOGIN', 'Please sign in to continue.');
  end if;
  if not app_hidden.has_permission(permission) then
    perform app_hidden.raise_error('DNIED', format('Your role does not allow this (it needs the %s permission).', permission));
  end if;
  return tenant;
end;
$$;
comment on function app_hidden.assert_billing_permission(text) is 'The current tenant when the user holds the permission (LOGIN, DNIED); does not refuse suspended businesses.';

/* The plan of a tenant (Starter when it has no subscription row). */
create function app_private.tenant_plan(tenant text) returns app_public.plans
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select p.* from app_public.plans p
  where p.key = coalesce((select s.plan_key from app_public.billing_subscriptions s where s.tenant_id = tenant), 'starter');
$$;
comment on function app_private.tenant_plan(text) is 'The plan whose modules and limits apply to the tenant.';

/* The plan of the current tenant (null without one). */
create function app_hidden.current_plan() returns app_public.plans
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select p.* from app_private.tenant_plan(app_hidden.current_tenant_id()) p where app_hidden.current_tenant_id() is not null;
$$;
comment on function app_hidden.current_plan() is 'The plan of the current tenant: its modules and limits.';

create function app_hidden.has_module(module text) returns boolean
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(module = any((app_hidden.current_plan()).modules), false);
$$;
comment on function app_hidden.has_module(text) is 'Whether the plan of the current tenant includes the module (customers, reporting, inventory…).';

/* Raises NOMOD unless the current tenant's plan includes the module. */
create function app_hidden.assert_module(module text) returns void
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if not app_hidden.has_module(module) then
    perform app_hidden.raise_error('NOMOD', format(
      'Your %s plan does not include %s. Upgrade under Settings → Billing to use it.',
      coalesce((app_hidden.current_plan()).name, 'current'), replace(module, '_', ' ')));
  end if;
end;
$$;
comment on function app_hidden.assert_module(text) is 'Raises NOMOD unless the plan of the current tenant includes the module.';

create function app_public.current_billing_subscription() returns app_public.billing_subscriptions
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select s.* from app_public.billing_subscriptions s where s.tenant_id = app_hidden.current_tenant_id();
$$;
comment on function app_public.current_billing_subscription() is 'The subscription of the current business (needs settings.view).';

------------------------------------------------------------------------------------------------
-- Tenant status follows billing

/* Suspends the tenant for a billing reason (a cancellation replaces a non-payment reason, not the reverse). */
create function app_private.suspend_tenant_for_billing(tenant text, reason text) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  update app_public.tenants t set
    status = 'suspended',
    suspension_reason = case when t.suspension_reason = 'canceled' then 'canceled' else reason end,
    suspended_at = coalesce(t.suspended_at, now())
  where t.id = tenant and t.status <> 'closed';
$$;
comment on function app_private.suspend_tenant_for_billing(text, text) is 'Suspends the tenant (nonpayment or canceled).';

/* Lifts a suspension billing made; suspensions for other reasons are left alone. */
create function app_private.reactivate_tenant_for_billing(tenant text) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  update app_public.tenants t set status = 'active', suspension_reason = null, suspended_at = null
  where t.id = tenant and t.status = 'suspended' and t.suspension_reason in ('nonpayment', 'canceled');
$$;
comment on function app_private.reactivate_tenant_for_billing(text) is 'Reactivates a tenant that billing suspended.';

------------------------------------------------------------------------------------------------
-- Onboarding: the trial row, then the worker creates the Stripe customer and subscription

create function app_private.tg_tenants__start_trial() returns trigger
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  trial_end timestamptz := date_trunc('second', now()) + interval '14 days';
begin
  insert into app_public.billing_subscriptions (tenant_id, plan_key, status, trial_ends_at, current_period_start, current_period_end)
  values (new.id, 'starter', 'trialing', trial_end, date_trunc('second', now()), trial_end);
  -- 12 attempts: every retry falls within Stripe's 24 hours of idempotency-key memory.
  perform graphile_worker.add_job('stripe_create_customer', json_build_object('tenantId', new.id),
    max_attempts := 12, job_key := 'stripe_create_customer:' || new.id);
  return null;
end;
$$;
comment on function app_private.tg_tenants__start_trial() is 'Trigger: a new tenant starts a 14-day Starter trial; queues the creation of its Stripe customer.';
create trigger _600_start_trial after insert on app_public.tenants
  for each row execute function app_private.tg_tenants__start_trial();

/* What the worker sends to Stripe for the tenant's customer; null when the tenant is gone. */
create function app_private.stripe_customer_params(tenant text) returns jsonb
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select jsonb_build_object(
    'tenantId', t.id,
    'name', t.name,
    'customerId', t.billing_customer_id,
    'email', (select u.email::text from app_public.memberships m
              join app_public.roles r on r.tenant_id = m.tenant_id and r.id = m.role_id
              join app_public.users u on u.id = m.user_id
              where m.tenant_id = t.id and r.key = 'owner'
              order by m.created_at, m.id limit 1))
  from app_public.tenants t where t.id = tenant;
$$;
comment on function app_private.stripe_customer_params(text) is 'Name, owner email and Stripe customer id of a tenant (worker); null when the tenant is gone.';

/*
 * Stores the Stripe customer the worker created for the tenant and queues the creation of its
 * subscription. Returns false when the tenant is gone or already has another customer.
 */
create function app_private.store_stripe_customer(tenant text, customer_id text) returns boolean
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  existing text;
begin
  select t.billing_customer_id into existing from app_public.tenants t where t.id = tenant for update;
  if not found or (existing is not null and existing <> customer_id) then
    return false;
  end if;
  if existing is null then
    update app_public.tenants set billing_customer_id = customer_id where id = tenant;
  end if;
  update app_public.billing_subscriptions s set stripe_customer_id = customer_id
    where s.tenant_id = tenant and s.stripe_customer_id is distinct from customer_id;
  if exists (select 1 from app_public.billing_subscriptions s where s.tenant_id = tenant and s.stripe_subscription_id is null) then
    perform graphile_worker.add_job('stripe_create_subscription', json_build_object('tenantId', tenant),
      max_attempts := 12, job_key := 'stripe_create_subscription:' || tenant);
  end if;
  return true;
end;
$$;
comment on function app_private.store_stripe_customer(text, text) is 'Records the Stripe customer of a tenant and queues its subscription (worker).';

/* What the worker needs to create the tenant's first subscription; null when the tenant is gone. */
create function app_private.stripe_subscription_params(tenant text) returns jsonb
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select jsonb_build_object(
    'tenantId', s.tenant_id,
    'customerId', t.billing_customer_id,
    'subscriptionId', s.stripe_subscription_id,
    'status', s.status,
    'planKey', s.plan_key,
    'priceId', p.stripe_price_id,
    'trialEnd', case when s.status = 'trialing' and s.trial_ends_at is not null
                     then floor(extract(epoch from s.trial_ends_at))::bigint end)
  from app_public.billing_subscriptions s
  join app_public.tenants t on t.id = s.tenant_id
  join app_public.plans p on p.key = s.plan_key
  where s.tenant_id = tenant;
$$;
comment on function app_private.stripe_subscription_params(text) is 'Customer, plan, price and trial end of the tenant''s subscription (worker); null when gone.';

------------------------------------------------------------------------------------------------
-- Applying Stripe objects (called by the event job and by the jobs that create subscriptions)

/* A Stripe timestamp (unix seconds, possibly JSON null) as timestamptz. */
create function app_private.stripe_time(value jsonb) returns timestamptz
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select case when jsonb_typeof(value) = 'number' then to_timestamp((value #>> '{}')::double precision) end;
$$;

/* Our status for a Stripe subscription status. */
create function app_private.billing_status_of(stripe_status text) returns text
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select case stripe_status
    when 'trialing' then 'trialing'
    when 'active' then 'active'
    when 'past_due' then 'past_due'
    when 'unpaid' then 'unpaid'
    when 'canceled' then 'canceled'
    when 'incomplete_expired' then 'canceled'
    when 'incomplete' then 'past_due'
    when 'paused' then 'past_due'
  end;
$$;
comment on function app_private.billing_status_of(text) is 'Maps Stripe subscription statuses to ours (incomplete and paused → past_due, incomplete_expired → canceled).';

/* After the subscription status changed: suspend or reactivate the tenant. */
create function app_private.sync_tenant_with_subscription(tenant text, status text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if status = 'canceled' then
    perform app_private.suspend_tenant_for_billing(tenant, 'canceled');
  elsif status = 'unpaid' then
    perform app_private.suspend_tenant_for_billing(tenant, 'nonpayment');
  elsif status in ('active', 'trialing') then
    perform app_private.reactivate_tenant_for_billing(tenant);
  end if;
end;
$$;

/*
 * Applies a Stripe subscription object to the tenant's row.
 *   source 'event': `at` is the created time of the event carrying it; an event older than the
 *     newest one applied is stale and changes nothing; a subscription that ended (canceled) is
 *     never revived by a later event about it; an event about an older subscription of the
 *     customer is ignored; a newer subscription replaces the stored one (reactivation).
 *   source 'api': the object a create call returned; it only fills in a subscription the row
 *     does not know yet (events about it may have been applied first).
 * `deleted` marks customer.subscription.deleted. Returns what happened, for the event log.
 */
create function app_private.apply_stripe_subscription(tenant text, sub jsonb, at timestamptz, source text default 'event', deleted boolean default false)
returns text
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  cur app_public.billing_subscriptions;
  sub_id text := sub ->> 'id';
  sub_created timestamptz := app_private.stripe_time(sub -> 'created');
  item jsonb := sub -> 'items' -> 'data' -> 0;
  new_status text := case when deleted then 'canceled' else app_private.billing_status_of(sub ->> 'status') end;
  ended timestamptz;
  new_plan text;
begin
  if sub_id is null or new_status is null then
    return 'not a subscription';
  end if;
  select s.* into cur from app_public.billing_subscriptions s where s.tenant_id = tenant for update;
  if not found then
    return 'tenant has no subscription row';
  end if;
  if cur.stripe_subscription_id is distinct from sub_id then
    -- (Created in the same second: a live one replaces an ended one, not the reverse.)
    if cur.stripe_subscription_id is not null and cur.stripe_subscription_created_at is not null
       and (sub_created < cur.stripe_subscription_created_at
            or (sub_created = cur.stripe_subscription_created_at and not (cur.status = 'canceled' and new_status <> 'canceled'))) then
      return 'older subscription of the customer';
    end if;
    -- A subscription the row does not know yet, newer than the stored one: it takes over.
  elsif source = 'api' then
    return 'already known';
  elsif cur.status = 'canceled' then
    return 'subscription already ended';
  elsif cur.last_stripe_event_at is not null and at < cur.last_stripe_event_at then
    return 'stale';
  end if;

  new_plan := coalesce(app_private.plan_for_stripe_price(item -> 'price'), cur.plan_key);
  ended := case when new_status = 'canceled'
                then coalesce(app_private.stripe_time(sub -> 'ended_at'), app_private.stripe_time(sub -> 'canceled_at'), at) end;
  update app_public.billing_subscriptions s set
    stripe_subscription_id = sub_id,
    stripe_subscription_created_at = sub_created,
    stripe_customer_id = coalesce(case when jsonb_typeof(sub -> 'customer') = 'string' then sub ->> 'customer' end, s.stripe_customer_id),
    plan_key = new_plan,
    status = new_status,
    current_period_start = coalesce(app_private.stripe_time(item -> 'current_period_start'), s.current_period_start),
    current_period_end = coalesce(app_private.stripe_time(item -> 'current_period_end'), s.current_period_end),
    trial_ends_at = app_private.stripe_time(sub -> 'trial_end'),
    cancel_at_period_end = coalesce((sub ->> 'cancel_at_period_end')::boolean, false),
    canceled_at = ended,
    grace_ends_at = ended + interval '30 days',
    last_stripe_event_at = greatest(s.last_stripe_event_at, at)
  where s.tenant_id = tenant;
  perform app_private.sync_tenant_with_subscription(tenant, new_status);
  return format('subscription %s: %s', sub_id, new_status);
end;
$$;
comment on function app_private.apply_stripe_subscription(text, jsonb, timestamptz, text, boolean) is 'Applies a Stripe subscription to the tenant''s row (stale, ended and older subscriptions change nothing).';

/* Upserts the mirror of a Stripe invoice; an event older than the one applied changes nothing. */
create function app_private.upsert_stripe_invoice(tenant text, inv jsonb, at timestamptz) returns boolean
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  line jsonb;
  rank_of constant jsonb := '{"draft": 0, "open": 1, "paid": 2, "void": 2, "uncollectible": 2}';
  changed int;
begin
  -- The service period is on the subscription's (non-proration) line; Stripe's invoice period is the one before.
  select l into line from jsonb_array_elements(coalesce(inv -> 'lines' -> 'data', '[]'::jsonb)) as l
  where coalesce((l -> 'parent' -> 'subscription_item_details' ->> 'proration')::boolean, false) = false
  order by (l -> 'period' ->> 'end')::bigint desc nulls last limit 1;
  insert into app_public.billing_invoices as b (
    tenant_id, stripe_invoice_id, stripe_subscription_id, number, status, billing_reason, currency,
    amount_due, amount_paid, attempt_count, next_payment_attempt, period_start, period_end,
    hosted_invoice_url, invoiced_at, paid_at, last_stripe_event_at)
  values (
    tenant, inv ->> 'id',
    coalesce(inv -> 'parent' -> 'subscription_details' ->> 'subscription', inv ->> 'subscription'),
    inv ->> 'number', inv ->> 'status', inv ->> 'billing_reason', coalesce(inv ->> 'currency', 'usd'),
    coalesce((inv ->> 'amount_due')::int, 0), coalesce((inv ->> 'amount_paid')::int, 0),
    coalesce((inv ->> 'attempt_count')::int, 0), app_private.stripe_time(inv -> 'next_payment_attempt'),
    coalesce(app_private.stripe_time(line -> 'period' -> 'start'), app_private.stripe_time(inv -> 'period_start')),
    coalesce(app_private.stripe_time(line -> 'period' -> 'end'), app_private.stripe_time(inv -> 'period_end')),
    inv ->> 'hosted_invoice_url', coalesce(app_private.stripe_time(inv -> 'created'), at),
    app_private.stripe_time(inv -> 'status_transitions' -> 'paid_at'), at)
  on conflict (tenant_id, stripe_invoice_id) do update set
    number = coalesce(excluded.number, b.number),
    status = excluded.status,
    amount_due = excluded.amount_due,
    amount_paid = excluded.amount_paid,
    attempt_count = greatest(excluded.attempt_count, b.attempt_count),
    next_payment_attempt = excluded.next_payment_attempt,
    period_start = excluded.period_start,
    period_end = excluded.period_end,
    hosted_invoice_url = coalesce(excluded.hosted_invoice_url, b.hosted_invoice_url),
    paid_at = coalesce(excluded.paid_at, b.paid_at),
    last_stripe_event_at = excluded.last_stripe_event_at
  where excluded.last_stripe_event_at > b.last_stripe_event_at
     or (excluded.last_stripe_event_at = b.last_stripe_event_at
         and (rank_of ->> excluded.status)::int >= (rank_of ->> b.status)::int);
  get diagnostics changed = row_count;
  return changed > 0;
end;
$$;
comment on function app_private.upsert_stripe_invoice(text, jsonb, timestamptz) is 'Mirrors a Stripe invoice (older events, and same-second events moving the status backwards, change nothing).';

/*
 * invoice.paid and invoice.payment_failed change the subscription too:
 *   paid   → active with the paid service period, and a tenant suspended for non-payment is
 *            reactivated (a $0 invoice during the trial changes nothing);
 *   failed → past_due, and the tenant is suspended when Stripe will not retry
 *            (next_payment_attempt null) or after 3 failed attempts.
 * Only for the subscription the row holds, unless it ended, and not from a stale event.
 */
create function app_private.apply_stripe_invoice(tenant text, inv jsonb, event_type text, at timestamptz) returns text
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  cur app_public.billing_subscriptions;
  sub_id text := coalesce(inv -> 'parent' -> 'subscription_details' ->> 'subscription', inv ->> 'subscription');
  mirrored boolean := app_private.upsert_stripe_invoice(tenant, inv, at);
  line jsonb;
  period_start timestamptz;
  period_end timestamptz;
begin
  if event_type not in ('invoice.paid', 'invoice.payment_failed') then
    return case when mirrored then 'invoice mirrored' else 'invoice unchanged (stale)' end;
  end if;
  select s.* into cur from app_public.billing_subscriptions s where s.tenant_id = tenant for update;
  if not found or sub_id is null or cur.stripe_subscription_id is distinct from sub_id then
    return 'invoice of another subscription';
  elsif cur.status = 'canceled' then
    return 'subscription already ended';
  elsif cur.last_stripe_event_at is not null and at < cur.last_stripe_event_at then
    return 'stale';
  end if;

  if event_type = 'invoice.paid' then
    if cur.status = 'trialing' and coalesce((inv ->> 'amount_paid')::int, 0) = 0 then
      update app_public.billing_subscriptions s set last_stripe_event_at = greatest(s.last_stripe_event_at, at)
        where s.tenant_id = tenant;
      return 'trial invoice';
    end if;
    -- Like Stripe: while another invoice of the subscription is still failing, it stays past due.
    if exists (select 1 from app_public.billing_invoices b
               where b.tenant_id = tenant and b.stripe_subscription_id = sub_id and b.stripe_invoice_id <> inv ->> 'id'
                 and b.status = 'open' and b.attempt_count > 0) then
      update app_public.billing_subscriptions s set last_stripe_event_at = greatest(s.last_stripe_event_at, at)
        where s.tenant_id = tenant;
      return 'paid, another invoice still unpaid';
    end if;
    select l into line from jsonb_array_elements(coalesce(inv -> 'lines' -> 'data', '[]'::jsonb)) as l
    where coalesce((l -> 'parent' -> 'subscription_item_details' ->> 'proration')::boolean, false) = false
    order by (l -> 'period' ->> 'end')::bigint desc nulls last limit 1;
    period_start := app_private.stripe_time(line -> 'period' -> 'start');
    period_end := app_private.stripe_time(line -> 'period' -> 'end');
    update app_public.billing_subscriptions s set
      status = 'active',
      current_period_start = case when period_end >= coalesce(s.current_period_end, '-infinity') then period_start else s.current_period_start end,
      current_period_end = case when period_end >= coalesce(s.current_period_end, '-infinity') then period_end else s.current_period_end end,
      last_stripe_event_at = greatest(s.last_stripe_event_at, at)
    where s.tenant_id = tenant;
    perform app_private.reactivate_tenant_for_billing(tenant);
    return 'paid: active';
  end if;

  update app_public.billing_subscriptions s set
    status = case when s.status = 'unpaid' then 'unpaid' else 'past_due' end,
    last_stripe_event_at = greatest(s.last_stripe_event_at, at)
  where s.tenant_id = tenant;
  if jsonb_typeof(inv -> 'next_payment_attempt') is distinct from 'number'
     or coalesce((inv ->> 'attempt_count')::int, 0) >= 3 then
    perform app_private.suspend_tenant_for_billing(tenant, 'nonpayment');
    return 'payment failed: past_due, suspended';
  end if;
  return 'payment failed: past_due';
end;
$$;
comment on function app_private.apply_stripe_invoice(text, jsonb, text, timestamptz) is 'Mirrors an invoice; invoice.paid and invoice.payment_failed also move the subscription and the tenant.';

/* A notice for the owner, once per Stripe event. */
create function app_private.add_billing_notice(tenant text, kind text, message text, stripe_event_id text) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  insert into app_public.billing_notices (tenant_id, kind, message, stripe_event_id)
  values (tenant, kind, message, stripe_event_id)
  on conflict (tenant_id, stripe_event_id) do nothing;
$$;

create function app_public.dismiss_billing_notice(id text) returns app_public.billing_notices
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_billing_permission('settings.update');
  result app_public.billing_notices;
begin
  update app_public.billing_notices n set dismissed_at = coalesce(n.dismissed_at, now())
  where n.tenant_id = tenant and n.id = dismiss_billing_notice.id
  returning n.* into result;
  if result.id is null then
    perform app_hidden.raise_error('NOTFD', 'That notice does not exist.');
  end if;
  return result;
end;
$$;
comment on function app_public.dismiss_billing_notice(text) is E'@resultFieldName billingNotice\nHides a billing notice (owner).';
