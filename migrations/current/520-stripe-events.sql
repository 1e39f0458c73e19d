-- 520-stripe-events: Stripe's webhooks, stored once and applied by a job. The web server
-- verifies the signature, then calls app_hidden.receive_stripe_event as the authenticator role
-- (the only role allowed to; GraphQL requests run as the visitor and cannot): in one transaction
-- the event is stored (unique by Stripe's event id, so a duplicate delivery adds nothing) and a
-- `stripe_apply_event` job is queued. The job calls app_private.apply_stripe_event, which finds
-- the tenant by its Stripe customer and applies the rules of 510-billing.sql. An event about a
-- customer we have not stored yet fails with NOCUS, so graphile-worker retries it later.
--
-- The table is global: when an event arrives its tenant may not be known yet (the customer id
-- may not be stored), and Stripe's event ids are unique across all tenants.

create table app_private.stripe_events (
  id text primary key check (id ~ '^evt_'),
  type text not null,
  api_version text,
  livemode boolean not null default false,
  stripe_created_at timestamptz not null,
  customer_id text,
  object_id text,
  payload jsonb not null,
  status text not null default 'pending' check (status in ('pending', 'applied', 'ignored')),
  outcome text,
  received_at timestamptz not null default now(),
  applied_at timestamptz
);
create index stripe_events_customer_idx on app_private.stripe_events (customer_id, stripe_created_at);
create index stripe_events_pending_idx on app_private.stripe_events (received_at) where status = 'pending';
select app_private.secure_table('app_private.stripe_events');
comment on table app_private.stripe_events is 'Every Stripe event received (verified), once; global because the tenant is found only when applying.';
comment on column app_private.stripe_events.stripe_created_at is 'The event''s created time: the order in which Stripe''s state changed.';
comment on column app_private.stripe_events.customer_id is 'The Stripe customer the event is about (tenants.billing_customer_id).';
comment on column app_private.stripe_events.status is 'pending (a job will apply it), applied, or ignored (a type we do not use, or not about one of our customers).';
comment on column app_private.stripe_events.outcome is 'What applying it did, for people reading the log.';

/* Event types the apply job acts on; the others are stored and acknowledged only. */
create function app_private.stripe_event_is_handled(type text) returns boolean
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select type in (
    'customer.subscription.created', 'customer.subscription.updated', 'customer.subscription.deleted',
    'customer.subscription.trial_will_end',
    'invoice.created', 'invoice.finalized', 'invoice.paid', 'invoice.payment_failed',
    'invoice.payment_succeeded', 'invoice.voided', 'invoice.marked_uncollectible', 'invoice.updated');
$$;

/*
 * Stores a verified Stripe event and queues its job, in one transaction. Returns true when the
 * event is new, false for a duplicate delivery (nothing is stored or queued again). Only the
 * web server's webhook route calls it, as the authenticator role, after checking the signature.
 */
create function app_hidden.receive_stripe_event(event jsonb) returns boolean
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  obj jsonb := event -> 'data' -> 'object';
  handled boolean := app_private.stripe_event_is_handled(event ->> 'type');
  customer text;
  stored text;
begin
  if coalesce(event ->> 'id', '') !~ '^evt_' or event ->> 'type' is null
     or jsonb_typeof(event -> 'created') is distinct from 'number' or jsonb_typeof(obj) is distinct from 'object' then
    perform app_hidden.raise_error('BADIN', 'This is not a Stripe event.');
  end if;
  customer := case
    when obj ->> 'object' = 'customer' then obj ->> 'id'
    when jsonb_typeof(obj -> 'customer') = 'string' then obj ->> 'customer'
    when jsonb_typeof(obj -> 'customer') = 'object' then obj -> 'customer' ->> 'id'
  end;
  insert into app_private.stripe_events (id, type, api_version, livemode, stripe_created_at, customer_id, object_id, payload, status, outcome)
  values (event ->> 'id', event ->> 'type', event ->> 'api_version', coalesce((event ->> 'livemode')::boolean, false),
          app_private.stripe_time(event -> 'created'), customer, obj ->> 'id', event,
          case when handled then 'pending' else 'ignored' end,
          case when handled then null else 'type not used' end)
  on conflict (id) do nothing
  returning id into stored;
  if stored is null then
    return false;
  end if;
  if handled then
    perform graphile_worker.add_job('stripe_apply_event', json_build_object('eventId', stored), max_attempts := 15);
  end if;
  return true;
end;
$$;
comment on function app_hidden.receive_stripe_event(jsonb) is 'Stores a verified Stripe event once and queues the job applying it; false for a duplicate. Executable by the authenticator role only.';
-- Not for the API role (the default privileges of app_hidden gave it execute): only the
-- authenticator, which the server uses without switching role for this one call.
revoke execute on function app_hidden.receive_stripe_event(jsonb) from :DATABASE_VISITOR;
grant usage on schema app_hidden to :DATABASE_AUTHENTICATOR;
grant execute on function app_hidden.receive_stripe_event(jsonb) to :DATABASE_AUTHENTICATOR;

/*
 * Applies one stored event (the `stripe_apply_event` job). Locks the event row, so a second job
 * for the same event waits and then finds it applied. Returns the outcome; raises NOCUS (the
 * job retries) when the event is about a customer not stored yet.
 */
create function app_private.apply_stripe_event(event_id text) returns text
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  evt app_private.stripe_events;
  obj jsonb;
  tenant text;
  hint text;
  result text;
begin
  select e.* into evt from app_private.stripe_events e where e.id = event_id for update;
  if not found then
    return 'gone';
  elsif evt.status <> 'pending' then
    return 'already ' || evt.status;
  end if;
  obj := evt.payload -> 'data' -> 'object';

  if not app_private.stripe_event_is_handled(evt.type) then
    result := 'type not used';
  else
    select t.id into tenant from app_public.tenants t where t.billing_customer_id = evt.customer_id;
    if tenant is null then
      hint := coalesce(obj -> 'metadata' ->> 'tenant_id',
                       obj -> 'parent' -> 'subscription_details' -> 'metadata' ->> 'tenant_id');
      if evt.customer_id is null
         or (hint is not null and not exists (select 1 from app_public.tenants t where t.id = hint)) then
        update app_private.stripe_events e set status = 'ignored', outcome = 'not about one of our customers', applied_at = now()
          where e.id = evt.id;
        return 'not about one of our customers';
      end if;
      perform app_hidden.raise_error('NOCUS', format(
        'Stripe event %s is about customer %s, which is not stored yet; it will be retried.', evt.id, evt.customer_id));
    end if;

    if evt.type like 'customer.subscription.%' then
      result := app_private.apply_stripe_subscription(tenant, obj, evt.stripe_created_at, 'event',
                                                      evt.type = 'customer.subscription.deleted');
      if evt.type = 'customer.subscription.trial_will_end' and obj ->> 'status' = 'trialing' then
        perform app_private.add_billing_notice(tenant, 'trial_will_end', format(
          'Your free trial ends on %s. Add a payment method under Settings → Billing to keep using Backoffice.',
          to_char(app_private.stripe_time(obj -> 'trial_end') at time zone 'UTC', 'FMMonth FMDD, YYYY')), evt.id);
      elsif evt.type = 'customer.subscription.deleted' and result not in ('stale', 'older subscription of the customer', 'subscription already ended') then
        perform app_private.add_billing_notice(tenant, 'subscription_canceled',
          'Your subscription has ended and your account is suspended. Choose a plan under Settings → Billing within 30 days to reactivate it; your data is kept until then.', evt.id);
      end if;
    else
      result := app_private.apply_stripe_invoice(tenant, obj, evt.type, evt.stripe_created_at);
      if evt.type = 'invoice.payment_failed' and result like 'payment failed%' then
        perform app_private.add_billing_notice(tenant, 'payment_failed', format(
          'We could not charge %s for invoice %s. Update your payment method under Settings → Billing.',
          to_char(coalesce((obj ->> 'amount_due')::numeric, 0) / 100, 'FM999G999G990D00') || ' ' || upper(coalesce(obj ->> 'currency', 'usd')),
          coalesce(obj ->> 'number', obj ->> 'id')), evt.id);
      end if;
    end if;
  end if;

  update app_private.stripe_events e set
    status = case when app_private.stripe_event_is_handled(evt.type) then 'applied' else 'ignored' end,
    outcome = result, applied_at = now()
  where e.id = evt.id;
  return result;
end;
$$;
comment on function app_private.apply_stripe_event(text) is 'Applies a stored Stripe event once (worker); raises NOCUS while its customer is not stored, so the job retries.';
