--! Previous: sha1:81785c59e2f23f8cc8407639403f9da19cafc3c7
--! Hash: sha1:46ba15345d7658189f8501e89056cde042ecc3b8
--! Message: The customer timeline tells a sale at the time it was made

--! split: 1-current.sql
-- The customer timeline tells an imported past sale at its own time.
--! Included customers/460-timeline.sql
-- The timeline on the customer page, newest first. It is read from the
-- event log (created, merged, orders placed, voided and refunded), the audit rows (updated, archived,
-- restored, merged away: every change of the row, with the actor, including changes made
-- outside the commands) and the notes. The API role cannot read app_private, so this is a
-- security definer function that serves only the caller's tenant and needs customers.view.

/* A changed field of a customer as the timeline names it ("Changed type, SMS consent"). */
create or replace function app_hidden.customer_field_label(field text) returns text
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select case field
    when 'customer_type_id' then 'type'
    when 'contact_email' then 'email consent'
    when 'contact_sms' then 'SMS consent'
    when 'contact_phone' then 'phone consent'
    when 'contact_email_source' then 'email consent source'
    when 'contact_sms_source' then 'SMS consent source'
    when 'contact_phone_source' then 'phone consent source'
    when 'do_not_contact' then 'do not contact'
    when 'best_contact_time' then 'best time to contact'
    when 'notes' then 'about this customer'
    else replace(field, '_', ' ') end;
$$;
comment on function app_hidden.customer_field_label(text) is 'How the customer timeline names a changed field.';

/* The strings of a JSON array (none for anything else, such as null). */
create or replace function app_hidden.jsonb_strings(value jsonb) returns text[]
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(array_agg(x order by x), '{}')
  from jsonb_array_elements_text(case when jsonb_typeof(value) = 'array' then value else '[]'::jsonb end) x;
$$;

/*
 * What a change of one field did, as the timeline says it: the tags added and removed ("tags
 * +vip −student"), the old and new value of a name, email or phone ("email ann@a.com →
 * ann@b.com", "phone set to +19175550190"), and the field's name alone for the rest (consents,
 * notes, type…).
 */
create or replace function app_hidden.customer_change_text(field text, change jsonb) returns text
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select case
    when field = 'tags' then
      'tags ' || coalesce(nullif(concat_ws(' ',
        (select string_agg('+' || t, ' ' order by t) from unnest(app_hidden.jsonb_strings(change -> 'new')) t
         where not t = any(app_hidden.jsonb_strings(change -> 'old'))),
        (select string_agg('−' || t, ' ' order by t) from unnest(app_hidden.jsonb_strings(change -> 'old')) t
         where not t = any(app_hidden.jsonb_strings(change -> 'new')))), ''), 'reordered')
    when field in ('first_name', 'last_name', 'email', 'phone') then
      case when change ->> 'old' is null then format('%s set to %s', app_hidden.customer_field_label(field), change ->> 'new')
           when change ->> 'new' is null then format('%s %s removed', app_hidden.customer_field_label(field), change ->> 'old')
           else format('%s %s → %s', app_hidden.customer_field_label(field), change ->> 'old', change ->> 'new') end
    else app_hidden.customer_field_label(field) end;
$$;
comment on function app_hidden.customer_change_text(text, jsonb) is 'How the customer timeline says what a change of one field did ("tags +vip −student", "email a → b").';

create or replace function app_public.customers_timeline(c app_public.customers) returns setof app_public.customer_activity
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  with me as (
    select tenant from app_hidden.customers_reader_tenant() as tenant where tenant is not null
  ),
  target as (
    select me.tenant, x.id, x.customer_number, app_private.tenant_currency(me.tenant) as currency
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
             else 'Changed ' || (select string_agg(app_hidden.customer_change_text(k, a.changes -> k), ', ' order by k)
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
    -- Orders of the customer (and of customers merged into it); a sale at the time it was made (an
    -- import of a past sale is recorded now but happened then).
    select case when e.type = 'order.placed.v1' then coalesce((e.payload ->> 'placed_at')::timestamptz, e.occurred_at) else e.occurred_at end,
           case e.type when 'order.placed.v1' then 'order_placed' when 'order.refunded.v1' then 'order_refunded' else 'order_voided' end,
           case e.type
             when 'order.placed.v1' then format('Order of %s placed', app_hidden.format_money((e.payload ->> 'total')::bigint, t.currency))
             when 'order.refunded.v1' then format('%s refunded (%s): %s', app_hidden.format_money((e.payload ->> 'total')::bigint, t.currency),
               (select string_agg(format('%s × %s', l ->> 'quantity', l ->> 'name'), ', ' order by (l ->> 'line_no')::int)
                from jsonb_array_elements(e.payload -> 'lines') l), e.payload ->> 'reason')
             else format('Order of %s voided: %s', app_hidden.format_money((e.payload ->> 'total')::bigint, t.currency), e.payload ->> 'void_reason') end,
           e.actor_user_id,
           e.aggregate_id
    from target t
    join app_public.orders o on o.tenant_id = t.tenant and o.customer_id = any(app_private.customer_history_ids(t.tenant, t.id))
    join app_private.events e on e.tenant_id = t.tenant and e.aggregate_type = 'order' and e.aggregate_id = o.id
    where e.type in ('order.placed.v1', 'order.voided.v1', 'order.refunded.v1')
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
  'What happened to the customer, newest first: created, changed, archived, merged, orders placed, voided and refunded, notes.';
--! EndIncluded customers/460-timeline.sql
