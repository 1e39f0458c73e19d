-- 460-customer-activity: the timeline on the customer page, newest first. It is read from the
-- event log (created, merged, orders placed and voided), the audit rows (updated, archived,
-- restored, merged away: every change of the row, with the actor, including changes made
-- outside the commands) and the notes. The API role cannot read app_private, so this is a
-- security definer function that serves only the caller's tenant and needs customers.view.

create type app_public.customer_activity as (
  occurred_at timestamptz,
  kind text,
  summary text,
  actor_user_id text,
  actor_name text,
  subject_id text
);
comment on type app_public.customer_activity is 'One entry of a customer''s timeline.';
comment on column app_public.customer_activity.occurred_at is 'When it happened.';
comment on column app_public.customer_activity.kind is 'created, updated, archived, restored, merged, merged_into, order_placed, order_voided or note.';
comment on column app_public.customer_activity.summary is 'What happened, in a sentence.';
comment on column app_public.customer_activity.actor_user_id is 'Who did it (null for the system).';
comment on column app_public.customer_activity.actor_name is 'Name of who did it.';
comment on column app_public.customer_activity.subject_id is 'The row it is about: the order, note, merge or customer id.';

/* Money in cents as text with two decimals (12.30). */
create function app_hidden.format_cents(amount bigint) returns text
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select case when amount < 0 then '-' else '' end || (abs(amount) / 100)::text || '.' || lpad((abs(amount) % 100)::text, 2, '0');
$$;
comment on function app_hidden.format_cents(bigint) is 'An amount in cents as text with two decimals (1230 → 12.30).';

create function app_public.customers_timeline(c app_public.customers) returns setof app_public.customer_activity
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  with me as (
    select tenant from app_hidden.customers_reader_tenant() as tenant where tenant is not null
  ),
  target as (
    select me.tenant, x.id, x.customer_number
    from me join app_public.customers x on x.tenant_id = me.tenant and x.id = c.id
  ),
  entries as (
    -- Lifecycle events of the customer: created, and merges into it.
    select e.occurred_at,
           case e.type when 'customer.created.v1' then 'created' else 'merged' end as kind,
           case e.type
             when 'customer.created.v1' then format('Customer %s created', e.payload ->> 'customer_number')
             else format('Merged customer %s into this one (%s orders, %s notes, %s addresses moved)',
                         e.payload ->> 'duplicate_customer_number',
                         jsonb_array_length(e.payload -> 'moved_order_ids'),
                         jsonb_array_length(e.payload -> 'moved_note_ids'),
                         jsonb_array_length(e.payload -> 'moved_address_ids')) end as summary,
           e.actor_user_id,
           case e.type when 'customer.created.v1' then e.aggregate_id else e.payload ->> 'merge_id' end as subject_id
    from target t
    join app_private.events e on e.tenant_id = t.tenant and e.aggregate_type = 'customer' and e.aggregate_id = t.id
    where e.type in ('customer.created.v1', 'customer.merged.v1')
    union all
    -- Changes of the row, from the audit trail (those made by a merge are told by the merge entry).
    select a.created_at,
           case
             when a.changes ? 'status' and a.changes -> 'status' ->> 'new' = 'archived' then 'archived'
             when a.changes ? 'status' and a.changes -> 'status' ->> 'new' = 'merged' then 'merged_into'
             when a.changes ? 'status' and a.changes -> 'status' ->> 'old' = 'archived' then 'restored'
             else 'updated' end,
           case
             when a.changes ? 'status' and a.changes -> 'status' ->> 'new' = 'archived' then 'Archived'
             when a.changes ? 'status' and a.changes -> 'status' ->> 'new' = 'merged' then
               format('Merged into customer %s', (select p.customer_number from app_public.customers p
                                                  where p.tenant_id = t.tenant and p.id = a.changes -> 'merged_into_id' ->> 'new'))
             when a.changes ? 'status' and a.changes -> 'status' ->> 'old' = 'archived' then 'Restored from the archive'
             else 'Changed ' || (select string_agg(replace(k, '_', ' '), ', ' order by k)
                                 from jsonb_object_keys(a.changes) k where k not in ('display_name', 'marketing_consent_updated_at')) end,
           a.actor_user_id,
           a.entity_id
    from target t
    join app_public.audit_entries a on a.tenant_id = t.tenant and a.entity = 'customers' and a.entity_id = t.id
    where a.action = 'update'
      and not (a.changes ? 'merged_into_id' and not a.changes ? 'status')
      and not exists (select 1 from app_public.customer_merges m
                      where m.tenant_id = t.tenant and m.primary_id = t.id and m.created_at = a.created_at)
    union all
    -- Orders of the customer (and of customers merged into it).
    select e.occurred_at,
           case e.type when 'order.placed.v1' then 'order_placed' else 'order_voided' end,
           case e.type
             when 'order.placed.v1' then format('Order of %s placed', app_hidden.format_cents((e.payload ->> 'total')::bigint))
             else format('Order of %s voided: %s', app_hidden.format_cents((e.payload ->> 'total')::bigint), e.payload ->> 'void_reason') end,
           e.actor_user_id,
           e.aggregate_id
    from target t
    join app_public.orders o on o.tenant_id = t.tenant and o.customer_id = any(app_private.customer_history_ids(t.tenant, t.id))
    join app_private.events e on e.tenant_id = t.tenant and e.aggregate_type = 'order' and e.aggregate_id = o.id
    where e.type in ('order.placed.v1', 'order.voided.v1')
    union all
    -- Notes.
    select n.created_at, 'note',
           format('%s note: %s', initcap(n.category), left(n.body, 200) || case when length(n.body) > 200 then '…' else '' end),
           n.author_user_id, n.id
    from target t
    join app_public.customer_notes n on n.tenant_id = t.tenant and n.customer_id = t.id
  )
  select en.occurred_at, en.kind, en.summary, en.actor_user_id, u.name, en.subject_id
  from entries en
  left join app_public.users u on u.id = en.actor_user_id
  order by en.occurred_at desc, en.kind, en.subject_id desc;
$$;
comment on function app_public.customers_timeline(app_public.customers) is
  'What happened to the customer, newest first: created, changed, archived, merged, orders placed and voided, notes.';
