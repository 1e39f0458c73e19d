-- 430-customer-merge: two records of the same person become one. The duplicate's orders, notes
-- and addresses move to the primary, its counters are added to the primary's, and it stays as
-- status = merged with merged_into_id (never deleted, so old references still resolve). A
-- customer_merges row keeps both snapshots and the moved ids so that a merge can be explained
-- later; customer.merged.v1 tells the consumers. Both customer rows are locked in id order (and
-- the duplicate's orders before them, in the order sales lock orders then customers), so two
-- merges that cross, or a merge and a void, wait for each other instead of deadlocking.

create table app_public.customer_merges (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  primary_id text not null,
  duplicate_id text not null,
  primary_snapshot jsonb not null,
  duplicate_snapshot jsonb not null,
  result_snapshot jsonb not null,
  moved_order_ids text[] not null default '{}',
  moved_note_ids text[] not null default '{}',
  moved_address_ids text[] not null default '{}',
  notes_note_id text,
  merged_by_user_id text references app_public.users on delete set null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, duplicate_id),
  foreign key (tenant_id, primary_id) references app_public.customers (tenant_id, id),
  foreign key (tenant_id, duplicate_id) references app_public.customers (tenant_id, id),
  check (primary_id <> duplicate_id)
);
create index customer_merges_primary_idx on app_public.customer_merges (tenant_id, primary_id, created_at);
create index customer_merges_merged_by_idx on app_public.customer_merges (merged_by_user_id);
select app_private.secure_table('app_public.customer_merges');
comment on table app_public.customer_merges is E'@unique id\nOne merge of a duplicate customer into a primary one: what each looked like before, the result, and what moved.';
comment on column app_public.customer_merges.tenant_id is '@behavior -*';
comment on constraint customer_merges_pkey on app_public.customer_merges is '@behavior -single -update -delete';
comment on constraint customer_merges_tenant_id_duplicate_id_key on app_public.customer_merges is '@behavior -single -update -delete';
comment on constraint customer_merges_tenant_id_fkey on app_public.customer_merges is E'@fieldName tenant\n@foreignFieldName customerMerges';
comment on constraint customer_merges_tenant_id_primary_id_fkey on app_public.customer_merges is E'@fieldName primary\n@foreignFieldName merges';
comment on constraint customer_merges_tenant_id_duplicate_id_fkey on app_public.customer_merges is E'@fieldName duplicate\n@foreignFieldName mergesAsDuplicate\n@foreignSingleFieldName mergeAsDuplicate';
comment on constraint customer_merges_merged_by_user_id_fkey on app_public.customer_merges is E'@fieldName mergedBy\n@foreignFieldName customerMerges';
comment on column app_public.customer_merges.primary_id is 'The customer that remains.';
comment on column app_public.customer_merges.duplicate_id is 'The customer merged away (now status merged).';
comment on column app_public.customer_merges.primary_snapshot is 'The primary customer as it was just before the merge.';
comment on column app_public.customer_merges.duplicate_snapshot is 'The duplicate customer as it was just before the merge.';
comment on column app_public.customer_merges.result_snapshot is 'The primary customer just after the merge.';
comment on column app_public.customer_merges.moved_order_ids is 'Orders moved from the duplicate to the primary.';
comment on column app_public.customer_merges.moved_note_ids is 'Notes moved from the duplicate to the primary.';
comment on column app_public.customer_merges.moved_address_ids is 'Addresses moved from the duplicate to the primary.';
comment on column app_public.customer_merges.notes_note_id is 'When both customers'' notes did not fit in 2000 characters: the note that now holds the duplicate''s notes.';
comment on column app_public.customer_merges.merged_by_user_id is 'Who merged them.';
create trigger _500_audit after insert on app_public.customer_merges
  for each row execute function app_private.tg__audit('created_at', 'primary_snapshot', 'duplicate_snapshot', 'result_snapshot');

create policy select_with_permission on app_public.customer_merges for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.view')));
grant select on app_public.customer_merges to :DATABASE_VISITOR;

/*
 * The primary as it will be after absorbing the duplicate (nothing is written): each field is
 * the primary's unless null, then the duplicate's (marketing consent with its time and source);
 * tags are the primary's then the duplicate's others (ignoring case, at most 50); notes are
 * joined when both fit in 2000 characters (else the primary's stay and the merge turns the
 * duplicate's into a note); metadata keys of the primary win; visits and spend are summed and
 * the last visit is the later one.
 */
create function app_hidden.merged_customer(p app_public.customers, d app_public.customers) returns app_public.customers
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  result app_public.customers := p;
  combined_notes text;
  merged_metadata jsonb;
begin
  result.email := coalesce(p.email, d.email);
  result.phone := coalesce(p.phone, d.phone);
  result.first_name := coalesce(p.first_name, d.first_name);
  result.last_name := coalesce(p.last_name, d.last_name);
  result.display_name := coalesce(
    nullif(btrim(coalesce(result.first_name, '') || ' ' || coalesce(result.last_name, '')), ''), result.email, result.phone);
  if p.marketing_consent is null and d.marketing_consent is not null then
    result.marketing_consent := d.marketing_consent;
    result.marketing_consent_updated_at := d.marketing_consent_updated_at;
    result.marketing_consent_source := d.marketing_consent_source;
  end if;
  select coalesce(jsonb_agg(t.tag order by t.ord), '[]'::jsonb) into result.tags
  from (
    select distinct on (lower(x.tag)) x.tag, x.ord
    from (
      select e.tag, e.ord from jsonb_array_elements_text(p.tags) with ordinality as e(tag, ord)
      union all
      select e.tag, 1000 + e.ord from jsonb_array_elements_text(d.tags) with ordinality as e(tag, ord)
    ) x
    order by lower(x.tag), x.ord
  ) t;
  if jsonb_array_length(result.tags) > 50 then
    select jsonb_agg(e.tag order by e.ord) into result.tags
    from jsonb_array_elements(result.tags) with ordinality as e(tag, ord) where e.ord <= 50;
  end if;
  combined_notes := case
    when p.notes is null then d.notes
    when d.notes is null then p.notes
    else p.notes || E'\n\n' || d.notes end;
  result.notes := case when length(combined_notes) <= 2000 then combined_notes else p.notes end;
  merged_metadata := d.metadata || p.metadata;
  result.metadata := case when octet_length(merged_metadata::text) <= 65536 then merged_metadata else p.metadata end;
  result.total_visits := p.total_visits + d.total_visits;
  result.total_spend := p.total_spend + d.total_spend;
  result.last_visit_at := case
    when p.last_visit_at is null then d.last_visit_at
    when d.last_visit_at is null then p.last_visit_at
    else greatest(p.last_visit_at, d.last_visit_at) end;
  return result;
end;
$$;
comment on function app_hidden.merged_customer(app_public.customers, app_public.customers) is 'The primary customer as a merge with the duplicate would leave it (computes, writes nothing).';

/* Locks two customers of a tenant in id order; raises BADIN, MRGSM, NOTFD or CMRGD. */
create function app_private.lock_customers_for_merge(tenant_id text, primary_id text, duplicate_id text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  locked_id text;
  row_found app_public.customers;
begin
  if primary_id is null or duplicate_id is null then
    perform app_hidden.raise_error('BADIN', 'Choose the customer to keep and the duplicate to merge into it.');
  end if;
  if primary_id = duplicate_id then
    perform app_hidden.raise_error('MRGSM', 'A customer cannot be merged with itself; choose two different customers.');
  end if;
  for locked_id in select x from unnest(array[primary_id, duplicate_id]) as x order by x collate "C" loop
    select c.* into row_found from app_public.customers c
    where c.tenant_id = lock_customers_for_merge.tenant_id and c.id = locked_id
    for update;
    if not found then
      perform app_hidden.raise_error('NOTFD', format('There is no customer %s.', left(locked_id, 40)));
    end if;
    if row_found.status = 'merged' then
      perform app_hidden.raise_error('CMRGD', format('Customer %s (%s) was already merged into another customer.',
        row_found.customer_number, row_found.display_name), row_found.merged_into_id);
    end if;
  end loop;
end;
$$;

create function app_public.merge_customers(primary_id text, duplicate_id text) returns app_public.customers
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.merge');
  me text := app_hidden.current_user_id();
  p app_public.customers;
  d app_public.customers;
  m app_public.customers;
  result app_public.customers;
  order_ids text[];
  note_ids text[];
  address_ids text[];
  notes_note text;
  merge_row app_public.customer_merges;
begin
  -- Sales lock an order, then its customer: take the duplicate's orders first, then the customers.
  perform 1 from app_public.orders o
  where o.tenant_id = tenant and o.customer_id = merge_customers.duplicate_id
  order by o.id
  for update;
  perform app_private.lock_customers_for_merge(tenant, merge_customers.primary_id, merge_customers.duplicate_id);
  select c.* into p from app_public.customers c where c.tenant_id = tenant and c.id = merge_customers.primary_id;
  select c.* into d from app_public.customers c where c.tenant_id = tenant and c.id = merge_customers.duplicate_id;
  m := app_hidden.merged_customer(p, d);

  with moved as (
    update app_public.orders o set customer_id = p.id
    where o.tenant_id = tenant and o.customer_id = d.id
    returning o.id)
  select coalesce(array_agg(moved.id order by moved.id), '{}') into order_ids from moved;

  with moved as (
    update app_public.customer_notes n set customer_id = p.id
    where n.tenant_id = tenant and n.customer_id = d.id
    returning n.id)
  select coalesce(array_agg(moved.id order by moved.id), '{}') into note_ids from moved;

  with moved as (
    update app_public.customer_addresses a
      set customer_id = p.id,
          is_default = a.is_default and not exists (
            select 1 from app_public.customer_addresses pa
            where pa.tenant_id = tenant and pa.customer_id = p.id and pa.is_default)
    where a.tenant_id = tenant and a.customer_id = d.id
    returning a.id)
  select coalesce(array_agg(moved.id order by moved.id), '{}') into address_ids from moved;

  -- Notes that do not fit together: the duplicate's become a note on the primary.
  if d.notes is not null and m.notes is not distinct from p.notes and p.notes is not null then
    insert into app_public.customer_notes (tenant_id, customer_id, category, body)
    values (tenant, p.id, 'general', d.notes)
    returning id into notes_note;
  end if;

  -- Customers merged earlier into the duplicate now point at the primary.
  update app_public.customers c set merged_into_id = p.id
  where c.tenant_id = tenant and c.merged_into_id = d.id;

  -- The duplicate first, so that its email and phone leave the uniqueness of live customers.
  update app_public.customers c
    set status = 'merged', merged_into_id = p.id, total_visits = 0, total_spend = 0, last_visit_at = null
  where c.tenant_id = tenant and c.id = d.id;

  update app_public.customers c set
    email = m.email, phone = m.phone, first_name = m.first_name, last_name = m.last_name, notes = m.notes,
    tags = m.tags, metadata = m.metadata, marketing_consent = m.marketing_consent,
    marketing_consent_updated_at = m.marketing_consent_updated_at, marketing_consent_source = m.marketing_consent_source,
    total_visits = m.total_visits, total_spend = m.total_spend, last_visit_at = m.last_visit_at
  where c.tenant_id = tenant and c.id = p.id
  returning * into result;

  insert into app_public.customer_merges (tenant_id, primary_id, duplicate_id, primary_snapshot, duplicate_snapshot,
    result_snapshot, moved_order_ids, moved_note_ids, moved_address_ids, notes_note_id, merged_by_user_id)
  values (tenant, p.id, d.id, to_jsonb(p), to_jsonb(d), to_jsonb(result), order_ids, note_ids, address_ids, notes_note, me)
  returning * into merge_row;

  perform app_private.emit_event(tenant, 'customer.merged.v1', 'customer', p.id, jsonb_build_object(
    'merge_id', merge_row.id,
    'primary_id', p.id,
    'duplicate_id', d.id,
    'primary_customer_number', p.customer_number,
    'duplicate_customer_number', d.customer_number,
    'display_name', result.display_name,
    'moved_order_ids', to_jsonb(order_ids),
    'moved_note_ids', to_jsonb(note_ids),
    'moved_address_ids', to_jsonb(address_ids),
    'added_visits', d.total_visits,
    'added_spend', d.total_spend,
    'total_visits', result.total_visits,
    'total_spend', result.total_spend,
    'last_visit_at', app_hidden.iso_utc(result.last_visit_at)));
  return result;
end;
$$;
comment on function app_public.merge_customers(text, text) is
  E'Merges a duplicate customer into a primary one (needs customers.merge). The primary keeps its values and takes the duplicate''s where it has none; tags and notes are combined; visits and spend are added up; orders, notes and addresses move to the primary. The duplicate stays with status merged. Both must be live and different (NOTFD, CMRGD, MRGSM).';

/* What previewCustomerMerge returns: the primary as the merge would leave it, and what would move. */
create type app_public.customer_merge_preview as (
  display_name text,
  email text,
  phone text,
  first_name text,
  last_name text,
  notes text,
  tags jsonb,
  marketing_consent boolean,
  total_visits int,
  total_spend bigint,
  last_visit_at timestamptz,
  orders_to_move int,
  notes_to_move int,
  addresses_to_move int
);
comment on type app_public.customer_merge_preview is 'The primary customer as a merge would leave it, and how much would move from the duplicate.';
comment on column app_public.customer_merge_preview.display_name is 'Display name after the merge.';
comment on column app_public.customer_merge_preview.email is 'Email after the merge.';
comment on column app_public.customer_merge_preview.phone is 'Phone after the merge.';
comment on column app_public.customer_merge_preview.first_name is 'First name after the merge.';
comment on column app_public.customer_merge_preview.last_name is 'Last name after the merge.';
comment on column app_public.customer_merge_preview.notes is 'Notes after the merge (when both do not fit, the duplicate''s become a note).';
comment on column app_public.customer_merge_preview.tags is 'Tags after the merge.';
comment on column app_public.customer_merge_preview.marketing_consent is 'Marketing consent after the merge.';
comment on column app_public.customer_merge_preview.total_visits is 'Visits after the merge (both added up).';
comment on column app_public.customer_merge_preview.total_spend is 'Lifetime spend after the merge, in cents (both added up).';
comment on column app_public.customer_merge_preview.last_visit_at is 'The later of the two last visits.';
comment on column app_public.customer_merge_preview.orders_to_move is 'Orders of the duplicate that would move to the primary.';
comment on column app_public.customer_merge_preview.notes_to_move is 'Notes of the duplicate that would move to the primary.';
comment on column app_public.customer_merge_preview.addresses_to_move is 'Addresses of the duplicate that would move to the primary.';

create function app_public.preview_customer_merge(primary_id text, duplicate_id text) returns app_public.customer_merge_preview
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.merge');
  p app_public.customers;
  d app_public.customers;
  m app_public.customers;
  result app_public.customer_merge_preview;
begin
  if primary_id is null or duplicate_id is null then
    perform app_hidden.raise_error('BADIN', 'Choose the customer to keep and the duplicate to merge into it.');
  end if;
  if primary_id = duplicate_id then
    perform app_hidden.raise_error('MRGSM', 'A customer cannot be merged with itself; choose two different customers.');
  end if;
  select c.* into p from app_public.customers c where c.tenant_id = tenant and c.id = preview_customer_merge.primary_id;
  select c.* into d from app_public.customers c where c.tenant_id = tenant and c.id = preview_customer_merge.duplicate_id;
  if p.id is null or d.id is null then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.',
      left(case when p.id is null then primary_id else duplicate_id end, 40)));
  end if;
  if p.status = 'merged' or d.status = 'merged' then
    perform app_hidden.raise_error('CMRGD', 'One of these customers was already merged into another customer.');
  end if;
  m := app_hidden.merged_customer(p, d);
  result := row(m.display_name, m.email, m.phone, m.first_name, m.last_name, m.notes, m.tags, m.marketing_consent,
                m.total_visits, m.total_spend, m.last_visit_at,
                (select count(*) from app_public.orders o where o.tenant_id = tenant and o.customer_id = d.id),
                (select count(*) from app_public.customer_notes n where n.tenant_id = tenant and n.customer_id = d.id),
                (select count(*) from app_public.customer_addresses a where a.tenant_id = tenant and a.customer_id = d.id));
  return result;
end;
$$;
comment on function app_public.preview_customer_merge(text, text) is
  'Shows what mergeCustomers would make of the two customers, without changing anything (needs customers.merge).';
