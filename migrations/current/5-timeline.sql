-- Issue 16, items 6 and 7: the customer timeline pages (cursor, filters) and shows staff-logged
-- calls, emails and meetings; customers, notes and addresses notify live subscribers.

-- Calls, emails and meetings with a customer, logged by staff (customers/455-interactions.sql).
-- (Interactions: reporting.rm_customer_activity is the read model of a customer's visits.)
create table if not exists app_public.customer_interactions (
  tenant_id text not null default app_hidden.current_tenant_id() references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  customer_id text not null,
  kind text not null check (kind in ('call', 'email', 'meeting')),
  note text not null check (length(note) between 1 and 2000),
  occurred_at timestamptz not null default now(),
  author_user_id text references app_public.users on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, customer_id) references app_public.customers (tenant_id, id)
);
-- The timeline's order and cursor: newest first within a customer.
create index if not exists customer_interactions_customer_idx on app_public.customer_interactions (tenant_id, customer_id, occurred_at desc, id desc);
create index if not exists customer_interactions_author_idx on app_public.customer_interactions (author_user_id);
do $$
begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.customer_interactions'::regclass) then
    perform app_private.secure_table('app_public.customer_interactions');
    perform app_private.enforce_active_tenant('app_public.customer_interactions');
  end if;
end $$;
comment on table app_public.customer_interactions is E'@unique id\nA call, email or meeting with a customer, logged by a member of staff; shown on the timeline at the time it happened.';
comment on column app_public.customer_interactions.tenant_id is '@behavior -*';
comment on constraint customer_interactions_pkey on app_public.customer_interactions is '@behavior -single -update -delete';
comment on constraint customer_interactions_tenant_id_fkey on app_public.customer_interactions is E'@fieldName tenant\n@foreignFieldName customerInteractions';
comment on constraint customer_interactions_tenant_id_customer_id_fkey on app_public.customer_interactions is E'@fieldName customer\n@foreignFieldName interactions';
comment on constraint customer_interactions_author_user_id_fkey on app_public.customer_interactions is E'@fieldName author\n@foreignFieldName authoredCustomerInteractions';
comment on column app_public.customer_interactions.customer_id is 'The customer it was with (fixed once logged).';
comment on column app_public.customer_interactions.kind is 'call, email or meeting.';
comment on column app_public.customer_interactions.note is 'What was said or agreed (1 to 2000 characters).';
comment on column app_public.customer_interactions.occurred_at is 'When it happened (now unless given; not in the future).';
comment on column app_public.customer_interactions.author_user_id is 'Who logged it (set by the database).';

-- The timeline's entries by the time things happened: orders by placed_at and voided_at.
create index if not exists orders_customer_voided_idx on app_public.orders (tenant_id, customer_id, voided_at) where voided_at is not null;

-- The API's timeline entry carries its cursor (the customer_activity type stays the data bundle's).
do $$
begin
  if to_regtype('app_public.customer_timeline_entry') is null then
    create type app_public.customer_timeline_entry as (
      occurred_at timestamptz, kind text, summary text, actor_user_id text, actor_name text, subject_id text, cursor text);
  end if;
end $$;
comment on type app_public.customer_timeline_entry is 'One entry of a customer''s timeline, with the cursor of the next older page.';
comment on column app_public.customer_timeline_entry.occurred_at is 'When it happened (an order when it was placed, a call when it was made), not when it was recorded.';
comment on column app_public.customer_timeline_entry.kind is 'created, updated, archived, restored, merged, merged_into, erased, data_requested, order_placed, order_voided, order_refunded, note, call, email or meeting.';
comment on column app_public.customer_timeline_entry.summary is 'What happened, in a sentence.';
comment on column app_public.customer_timeline_entry.actor_user_id is 'Who did it (null for the system).';
comment on column app_public.customer_timeline_entry.actor_name is 'Name of who did it.';
comment on column app_public.customer_timeline_entry.subject_id is 'The row it is about (the customer, order, note, interaction or merge).';
comment on column app_public.customer_timeline_entry.cursor is 'Pass as olderThan to get the entries after this one.';

drop function if exists app_public.customers_timeline(app_public.customers);

--!include customers/455-interactions.sql
--!include customers/460-timeline.sql
--!include customers/465-live-updates.sql
--!include customers/495-data-requests.sql
