-- 420-customer-commands: the only ways a customer is written from outside — create, update,
-- archive and restore (merge is 430). Each is a security definer function that checks the
-- permission (and, once billing adds it, the customers entitlement), validates every field with
-- an error code naming it, writes nothing on failure, emits customer.created.v1 or
-- customer.updated.v1 in the same transaction, and leaves an audit row (trigger of 400).

/* What update_customer may change. A null field is left as it is; an empty string clears a text field. */
create type app_public.customer_changes as (
  email text,
  phone text,
  first_name text,
  last_name text,
  notes text,
  tags text[],
  marketing_consent boolean,
  marketing_consent_source text,
  metadata jsonb
);
comment on type app_public.customer_changes is 'Changes to a customer: a field left out (null) stays as it is; an empty string clears email, phone, names or notes.';
comment on column app_public.customer_changes.email is 'New email ("" clears it).';
comment on column app_public.customer_changes.phone is 'New phone, read with the business''s country unless it starts with + or 00 ("" clears it).';
comment on column app_public.customer_changes.first_name is 'New first name ("" clears it).';
comment on column app_public.customer_changes.last_name is 'New last name ("" clears it).';
comment on column app_public.customer_changes.notes is 'New notes ("" clears them).';
comment on column app_public.customer_changes.tags is 'The new list of tags (replaces the old one; [] clears it).';
comment on column app_public.customer_changes.marketing_consent is 'Whether the customer now agrees to receive marketing.';
comment on column app_public.customer_changes.marketing_consent_source is 'Where the consent was given or withdrawn: pos, admin, online, import or other (default admin).';
comment on column app_public.customer_changes.metadata is 'The new metadata object (replaces the old one).';

/* The source of a consent change: pos, admin, online, import or other; admin when not given. Raises BADIN. */
create function app_hidden.assert_consent_source(source text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  cleaned text := lower(btrim(source));
begin
  if cleaned is null or cleaned = '' then
    return 'admin';
  end if;
  if cleaned not in ('pos', 'admin', 'online', 'import', 'other') then
    perform app_hidden.raise_error('BADIN', 'Marketing consent source must be pos, admin, online, import or other.');
  end if;
  return cleaned;
end;
$$;
comment on function app_hidden.assert_consent_source(text) is 'A valid marketing consent source (admin when not given); raises BADIN.';

/* What events say about a customer (db/EVENTS.md). */
create function app_private.customer_event_payload(c app_public.customers) returns jsonb
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select jsonb_build_object(
    'customer_id', c.id,
    'customer_number', c.customer_number,
    'display_name', c.display_name,
    'email', c.email,
    'phone', c.phone,
    'first_name', c.first_name,
    'last_name', c.last_name,
    'tags', c.tags,
    'marketing_consent', c.marketing_consent,
    'status', c.status,
    'created_by', c.created_by,
    'created_at', app_hidden.iso_utc(c.created_at));
$$;

/*
 * Turns a unique violation on customers into DUPEM or DUPPH naming the field and the customer
 * who already has the value (its id in the detail, so the admin can offer to open or merge it).
 * Returns quietly for other constraints (the caller re-raises).
 */
create function app_private.raise_customer_duplicate(tenant_id text, constraint_name text, email text, phone text)
returns void
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  other app_public.customers;
begin
  if constraint_name = 'customers_email_key' then
    select c.* into other from app_public.customers c
    where c.tenant_id = raise_customer_duplicate.tenant_id and c.email = raise_customer_duplicate.email and c.status <> 'merged';
    perform app_hidden.raise_error('DUPEM', format('Email: %s is already the email of customer %s (%s).',
      raise_customer_duplicate.email, other.customer_number, other.display_name), other.id);
  elsif constraint_name = 'customers_phone_key' then
    select c.* into other from app_public.customers c
    where c.tenant_id = raise_customer_duplicate.tenant_id and c.phone = raise_customer_duplicate.phone and c.status <> 'merged';
    perform app_hidden.raise_error('DUPPH', format('Phone: %s is already the phone number of customer %s (%s).',
      raise_customer_duplicate.phone, other.customer_number, other.display_name), other.id);
  end if;
end;
$$;

------------------------------------------------------------------------------------------------

create function app_public.create_customer(
  email text default null,
  phone text default null,
  first_name text default null,
  last_name text default null,
  notes text default null,
  tags text[] default null,
  marketing_consent boolean default null,
  marketing_consent_source text default null,
  metadata jsonb default null
) returns app_public.customers
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.create');
  country text;
  clean_tags jsonb;
  source text;
  violated text;
  result app_public.customers;
begin
  select t.default_country into country from app_public.tenants t where t.id = tenant;
  email := app_hidden.optional_email(email);
  phone := app_hidden.normalize_phone(phone, country);
  first_name := app_hidden.optional_name('First name', first_name, 100);
  last_name := app_hidden.optional_name('Last name', last_name, 100);
  if email is null and phone is null and first_name is null then
    perform app_hidden.raise_error('NOIDN', 'Give at least an email, a phone number or a first name.');
  end if;
  notes := app_hidden.optional_text('Notes', notes, 2000);
  clean_tags := app_hidden.normalize_tags(tags);
  metadata := app_hidden.assert_customer_metadata(metadata);
  source := case when marketing_consent is not null then app_hidden.assert_consent_source(marketing_consent_source) end;

  begin
    insert into app_public.customers as c (
      tenant_id, customer_number, email, phone, first_name, last_name, notes, tags,
      marketing_consent, marketing_consent_updated_at, marketing_consent_source, metadata, created_by)
    values (
      tenant, app_hidden.format_customer_number(app_private.next_tenant_number(tenant, 'customer_number')),
      create_customer.email, create_customer.phone, create_customer.first_name, create_customer.last_name,
      create_customer.notes, clean_tags, create_customer.marketing_consent,
      case when create_customer.marketing_consent is not null then now() end, source,
      create_customer.metadata, app_hidden.current_user_id())
    returning * into result;
  exception when unique_violation then
    get stacked diagnostics violated = constraint_name;
    perform app_private.raise_customer_duplicate(tenant, violated, create_customer.email, create_customer.phone);
    raise;
  end;

  perform app_private.emit_event(tenant, 'customer.created.v1', 'customer', result.id,
    app_private.customer_event_payload(result));
  return result;
end;
$$;
comment on function app_public.create_customer(text, text, text, text, text, text[], boolean, text, jsonb) is
  E'Adds a customer (needs customers.create). Give at least an email, a phone or a first name. The email is lower-cased; the phone is stored in E.164, read with the business''s country unless it starts with + or 00. Email and phone must not belong to another customer (DUPEM, DUPPH). The customer gets the next number (CUST-00042).';

/*
 * Applies changes to a customer (needs customers.update): see app_public.customer_changes.
 * Nothing is written when nothing changes; otherwise the audit row lists exactly the changed
 * fields and customer.updated.v1 carries the same difference.
 */
create function app_public.update_customer(customer_id text, patch app_public.customer_changes)
returns app_public.customers
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.update');
  country text;
  cur app_public.customers;
  nxt app_public.customers;
  violated text;
  changes jsonb;
  result app_public.customers;
begin
  select c.* into cur from app_public.customers c
  where c.tenant_id = tenant and c.id = update_customer.customer_id
  for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.', coalesce(left(update_customer.customer_id, 40), '(none given)')));
  end if;
  if cur.status = 'merged' then
    perform app_hidden.raise_error('CMRGD', 'This customer was merged into another one; change that customer instead.', cur.merged_into_id);
  end if;
  if patch is null then
    return cur;
  end if;
  select t.default_country into country from app_public.tenants t where t.id = tenant;

  nxt := cur;
  if patch.email is not null then
    nxt.email := app_hidden.optional_email(patch.email);
  end if;
  if patch.phone is not null then
    nxt.phone := app_hidden.normalize_phone(patch.phone, country);
  end if;
  if patch.first_name is not null then
    nxt.first_name := app_hidden.optional_name('First name', patch.first_name, 100);
  end if;
  if patch.last_name is not null then
    nxt.last_name := app_hidden.optional_name('Last name', patch.last_name, 100);
  end if;
  if nxt.email is null and nxt.phone is null and nxt.first_name is null then
    perform app_hidden.raise_error('NOIDN', 'A customer needs at least an email, a phone number or a first name.');
  end if;
  if patch.notes is not null then
    nxt.notes := app_hidden.optional_text('Notes', patch.notes, 2000);
  end if;
  if patch.tags is not null then
    nxt.tags := app_hidden.normalize_tags(patch.tags);
  end if;
  if patch.metadata is not null then
    nxt.metadata := app_hidden.assert_customer_metadata(patch.metadata);
  end if;
  if patch.marketing_consent is not null and patch.marketing_consent is distinct from cur.marketing_consent then
    nxt.marketing_consent := patch.marketing_consent;
    nxt.marketing_consent_updated_at := now();
    nxt.marketing_consent_source := app_hidden.assert_consent_source(patch.marketing_consent_source);
  end if;

  if (nxt.email, nxt.phone, nxt.first_name, nxt.last_name, nxt.notes, nxt.tags, nxt.metadata,
      nxt.marketing_consent, nxt.marketing_consent_source)
     is not distinct from
     (cur.email, cur.phone, cur.first_name, cur.last_name, cur.notes, cur.tags, cur.metadata,
      cur.marketing_consent, cur.marketing_consent_source)
     and nxt.marketing_consent_updated_at is not distinct from cur.marketing_consent_updated_at then
    return cur;
  end if;

  begin
    update app_public.customers c set
      email = nxt.email, phone = nxt.phone, first_name = nxt.first_name, last_name = nxt.last_name,
      notes = nxt.notes, tags = nxt.tags, metadata = nxt.metadata,
      marketing_consent = nxt.marketing_consent, marketing_consent_updated_at = nxt.marketing_consent_updated_at,
      marketing_consent_source = nxt.marketing_consent_source
    where c.tenant_id = tenant and c.id = cur.id
    returning * into result;
  exception when unique_violation then
    get stacked diagnostics violated = constraint_name;
    perform app_private.raise_customer_duplicate(tenant, violated, nxt.email, nxt.phone);
    raise;
  end;

  changes := app_hidden.jsonb_diff(to_jsonb(cur), to_jsonb(result),
    array['created_at', 'updated_at', 'total_visits', 'total_spend', 'last_visit_at']);
  perform app_private.emit_event(tenant, 'customer.updated.v1', 'customer', result.id,
    jsonb_build_object('customer_id', result.id, 'customer_number', result.customer_number,
                       'display_name', result.display_name, 'status', result.status, 'changes', changes));
  return result;
end;
$$;
comment on function app_public.update_customer(text, app_public.customer_changes) is
  E'Changes a customer (needs customers.update). Fields left out stay as they are; an empty string clears email, phone, names or notes; tags and metadata are replaced. The display name follows. Email and phone must stay unique (DUPEM, DUPPH) and at least one of email, phone or first name must remain (NOIDN).';

/* Sets the status of a live customer (archive/restore) and tells everyone. */
create function app_private.set_customer_status(tenant_id text, customer_id text, new_status text)
returns app_public.customers
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  cur app_public.customers;
  result app_public.customers;
begin
  select c.* into cur from app_public.customers c
  where c.tenant_id = set_customer_status.tenant_id and c.id = set_customer_status.customer_id
  for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.', coalesce(left(set_customer_status.customer_id, 40), '(none given)')));
  end if;
  if cur.status = 'merged' then
    perform app_hidden.raise_error('CMRGD', 'This customer was merged into another one.', cur.merged_into_id);
  end if;
  if cur.status = new_status then
    return cur;
  end if;
  update app_public.customers c set status = new_status
  where c.tenant_id = cur.tenant_id and c.id = cur.id
  returning * into result;
  perform app_private.emit_event(cur.tenant_id, 'customer.updated.v1', 'customer', result.id,
    jsonb_build_object('customer_id', result.id, 'customer_number', result.customer_number,
                       'display_name', result.display_name, 'status', result.status,
                       'changes', jsonb_build_object('status', jsonb_build_object('old', cur.status, 'new', result.status))));
  return result;
end;
$$;

create function app_public.archive_customer(customer_id text) returns app_public.customers
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.update');
begin
  return app_private.set_customer_status(tenant, archive_customer.customer_id, 'archived');
end;
$$;
comment on function app_public.archive_customer(text) is
  'Archives a customer instead of deleting it (needs customers.update): its orders and history stay, it keeps its email and phone, and restoreCustomer brings it back.';

create function app_public.restore_customer(customer_id text) returns app_public.customers
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.update');
begin
  return app_private.set_customer_status(tenant, restore_customer.customer_id, 'active');
end;
$$;
comment on function app_public.restore_customer(text) is 'Makes an archived customer active again (needs customers.update).';
