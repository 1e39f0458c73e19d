--! Previous: sha1:e23b957e1f58572e2a7b5e73fce1405739393d35
--! Hash: sha1:9a68ff2cf37b850582ee87f258146db157cb9a75
--! Message: Review of issue 20: erased customers are in no export and nobody's duplicate; one address check; one data bundle at a time

--! split: 1-current.sql
-- Review of issue 20: live customers are active or archived — an erased customer (status erased,
-- named "Erased customer") is nobody's duplicate, so the duplicate search's keys index only
-- those (customers/490-possible-duplicates.sql reads them with the same condition).
drop index if exists app_public.customers_duplicate_phone_idx;
create index customers_duplicate_phone_idx on app_public.customers
  (tenant_id, app_hidden.duplicate_phone_key(phone)) include (id, phone) where status in ('active', 'archived') and phone is not null;
drop index if exists app_public.customers_duplicate_email_idx;
create index customers_duplicate_email_idx on app_public.customers
  (tenant_id, app_hidden.duplicate_email_key(email)) include (id, email) where status in ('active', 'archived') and email is not null;
drop index if exists app_public.customers_duplicate_surname_idx;
create index customers_duplicate_surname_idx on app_public.customers
  (tenant_id, app_hidden.duplicate_surname_key(first_name, last_name)) include (id, first_name, last_name)
  where status in ('active', 'archived') and last_name is not null;
drop index if exists app_public.customers_duplicate_given_name_idx;
create index customers_duplicate_given_name_idx on app_public.customers
  (tenant_id, app_hidden.duplicate_given_name_key(first_name, last_name)) include (id, first_name, last_name)
  where status in ('active', 'archived') and first_name is not null;

-- An address's lines have one check (app_hidden.checked_address_lines), for the trigger and the import.
--! Included customers/410-notes-and-addresses.sql
-- What hangs off a customer — categorised notes with their author, and
-- postal addresses with at most one default per customer (a partial unique index). Both use the
-- generated create/update/delete, guarded by policies (customers.update to write,
-- customers.view to read) and validation triggers that raise coded errors; a merge (merge_customers) moves
-- them to the surviving customer. Changes are audited.

/* Raises NOTFD unless the customer is visible in the tenant, CMRGD when it was merged away, ERASD when its personal data was erased. */
create or replace function app_hidden.assert_live_customer(tenant_id text, customer_id text) returns void
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  found_status text;
  merged_into text;
begin
  select c.status, c.merged_into_id into found_status, merged_into
  from app_public.customers c
  where c.tenant_id = assert_live_customer.tenant_id and c.id = assert_live_customer.customer_id;
  if found_status is null then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.', coalesce(left(customer_id, 40), '(none given)')));
  elsif found_status = 'merged' then
    perform app_hidden.raise_error('CMRGD', 'This customer was merged into another one; use that customer instead.', merged_into);
  elsif found_status = 'erased' then
    perform app_hidden.raise_error('ERASD', 'This customer''s personal data was erased: nothing can be added to it.', customer_id);
  end if;
end;
$$;
comment on function app_hidden.assert_live_customer(text, text) is 'Raises NOTFD for an unknown (or invisible) customer, CMRGD for a merged one and ERASD for an erased one.';

create or replace function app_private.tg_customer_notes__validate() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  new.body := app_hidden.optional_text('Note', new.body, 2000, 'body');
  if new.body is null then
    perform app_hidden.raise_error('BADIN', 'Note is required.', field => 'body');
  end if;
  new.category := coalesce(lower(btrim(new.category)), 'general');
  -- import: the notes a customer file brought (customers/485-import.sql), kept apart from staff's.
  if new.category not in ('general', 'preference', 'issue', 'feedback', 'import') then
    perform app_hidden.raise_error('BADIN', 'Note category must be general, preference, issue, feedback or import.', field => 'category');
  end if;
  if tg_op = 'INSERT' then
    new.author_user_id := app_hidden.change_actor();
  else
    new.author_user_id := old.author_user_id;
  end if;
  if tg_op = 'INSERT' or new.customer_id is distinct from old.customer_id then
    perform app_hidden.assert_live_customer(new.tenant_id, new.customer_id);
  end if;
  return new;
end;
$$;

create or replace trigger _050_validate before insert or update on app_public.customer_notes
  for each row execute function app_private.tg_customer_notes__validate();

create or replace trigger _100_timestamps before insert or update on app_public.customer_notes
  for each row execute function app_private.tg__timestamps();

create or replace trigger _500_audit after insert or update or delete on app_public.customer_notes
  for each row execute function app_private.tg__audit('created_at', 'updated_at');

drop policy if exists select_with_permission on app_public.customer_notes;
create policy select_with_permission on app_public.customer_notes for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.view')));

drop policy if exists insert_with_permission on app_public.customer_notes;
create policy insert_with_permission on app_public.customer_notes for insert to :DATABASE_VISITOR
  with check (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.update')));

drop policy if exists update_with_permission on app_public.customer_notes;
create policy update_with_permission on app_public.customer_notes for update to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.update')));

drop policy if exists delete_with_permission on app_public.customer_notes;
create policy delete_with_permission on app_public.customer_notes for delete to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.update')));

revoke all on app_public.customer_notes from :DATABASE_VISITOR;
grant select, delete on app_public.customer_notes to :DATABASE_VISITOR;
grant insert (customer_id, category, body), update (category, body) on app_public.customer_notes to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Addresses

/* The default country of the current tenant (the default of an address's country). */
create or replace function app_hidden.current_tenant_country() returns text
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select t.default_country from app_public.tenants t where t.id = app_hidden.current_tenant_id();
$$;
comment on function app_hidden.current_tenant_country() is 'ISO country of the current tenant (its default_country).';

/*
 * An address's lines checked and cleaned: line 1 and city required, the others optional, the
 * postal code upper-case, the country a two-letter code (`default_country` when blank). BADIN
 * naming the field. The rule of every address written (the trigger below) and of the addresses a
 * customer import brings (customers/485-import.sql), which checks them before anything is written.
 */
create or replace function app_hidden.checked_address_lines(a app_public.customer_addresses, default_country text)
returns app_public.customer_addresses
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  a.line1 := app_hidden.assert_name('Address line 1', a.line1, 200, 'line1');
  a.line2 := app_hidden.optional_name('Address line 2', a.line2, 200, 'line2');
  a.city := app_hidden.assert_name('City', a.city, 100, 'city');
  a.region := app_hidden.optional_name('Region', a.region, 100, 'region');
  a.postal_code := upper(app_hidden.optional_name('Postal code', a.postal_code, 20, 'postal_code'));
  a.country := upper(coalesce(nullif(btrim(a.country), ''), default_country));
  if a.country is null or a.country !~ '^[A-Z]{2}$' then
    perform app_hidden.raise_error('BADIN', 'Country must be a two-letter ISO code, such as FR or US.', field => 'country');
  end if;
  return a;
end;
$$;
comment on function app_hidden.checked_address_lines(app_public.customer_addresses, text) is 'An address''s lines and country checked and cleaned (BADIN naming the field); the country defaults to the one given.';

create or replace function app_private.tg_customer_addresses__validate() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  new.type := coalesce(lower(btrim(new.type)), 'home');
  if new.type not in ('home', 'work', 'billing', 'shipping', 'other') then
    perform app_hidden.raise_error('BADIN', 'Address type must be home, work, billing, shipping or other.', field => 'type');
  end if;
  new := app_hidden.checked_address_lines(new,
    case when coalesce(btrim(new.country), '') = '' then (select t.default_country from app_public.tenants t where t.id = new.tenant_id) end);
  if (new.latitude is null) <> (new.longitude is null) then
    perform app_hidden.raise_error('BADIN', 'Give both latitude and longitude, or neither.', field => 'latitude');
  elsif new.latitude not between -90 and 90 or new.longitude not between -180 and 180 then
    perform app_hidden.raise_error('BADIN', 'Latitude must be between -90 and 90 and longitude between -180 and 180.');
  end if;
  new.is_default := coalesce(new.is_default, false);
  if tg_op = 'INSERT' or new.customer_id is distinct from old.customer_id then
    perform app_hidden.assert_live_customer(new.tenant_id, new.customer_id);
  end if;
  if tg_op = 'INSERT' and (select count(*) from app_public.customer_addresses a
                           where a.tenant_id = new.tenant_id and a.customer_id = new.customer_id) >= 20 then
    perform app_hidden.raise_error('BADIN', 'A customer can have at most 20 addresses.');
  end if;
  if new.is_default then
    update app_public.customer_addresses a set is_default = false
    where a.tenant_id = new.tenant_id and a.customer_id = new.customer_id and a.is_default and a.id <> new.id;
  end if;
  return new;
end;
$$;

create or replace trigger _050_validate before insert or update on app_public.customer_addresses
  for each row execute function app_private.tg_customer_addresses__validate();

create or replace trigger _100_timestamps before insert or update on app_public.customer_addresses
  for each row execute function app_private.tg__timestamps();

create or replace trigger _500_audit after insert or update or delete on app_public.customer_addresses
  for each row execute function app_private.tg__audit('created_at', 'updated_at');

drop policy if exists select_with_permission on app_public.customer_addresses;
create policy select_with_permission on app_public.customer_addresses for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.view')));

drop policy if exists insert_with_permission on app_public.customer_addresses;
create policy insert_with_permission on app_public.customer_addresses for insert to :DATABASE_VISITOR
  with check (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.update')));

drop policy if exists update_with_permission on app_public.customer_addresses;
create policy update_with_permission on app_public.customer_addresses for update to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.update')));

drop policy if exists delete_with_permission on app_public.customer_addresses;
create policy delete_with_permission on app_public.customer_addresses for delete to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.update')));

revoke all on app_public.customer_addresses from :DATABASE_VISITOR;
grant select, delete on app_public.customer_addresses to :DATABASE_VISITOR;
grant insert (customer_id, type, line1, line2, city, region, postal_code, country, latitude, longitude, is_default),
      update (type, line1, line2, city, region, postal_code, country, latitude, longitude, is_default)
  on app_public.customer_addresses to :DATABASE_VISITOR;
--! EndIncluded customers/410-notes-and-addresses.sql
--! Included customers/485-import.sql
-- Customer import from a CSV file (issue "Customer import and a complete export").
--
-- 1. Upload (web/server/imports.ts, as the member, customers.import): begin_customer_import
--    records the import, write_customer_import_chunk stores the file as ~1 MB chunks, and
--    finish_customer_import_upload queues `customer_import_parse`. One transaction: a broken
--    upload leaves nothing. At most 50 MB (the byte_size check; TOOBG from the server before).
-- 2. Parse (worker/tasks/customer-import-parse.ts, csv-parse): the worker decodes the file (UTF-8
--    with or without BOM, UTF-16 by its BOM, else Windows-1252 when it is not valid UTF-8), finds
--    the delimiter, stages every record's cells in customer_import_rows (stage_customer_import_rows,
--    with the progress), then finish_customer_import_parse proposes a mapping from the header
--    (customer_import_field_for: our export's, Square's and Shopify's names) and classifies.
-- 3. Preview: classify_customer_import checks every row with the rules create_customer uses
--    (app_hidden.optional_email, normalize_phone, optional_name, normalize_tags…), so a row's
--    reason is the same sentence the admin would show, and sorts rows into new, duplicate of an
--    existing customer (same email or phone after normalisation; a row matching two different
--    customers is invalid), duplicate of an earlier row of the file, and invalid. The member may
--    change the mapping and what a duplicate does (set_customer_import_mapping), which
--    classifies again. Nothing is written to customers before commit.
-- 4. Commit (commit_customer_import, then the `customer_import_commit` task calling
--    commit_customer_import_batch until it returns 0): each batch is one transaction that
--    writes customers set-based (numbers reserved at once, customer.created.v1 or
--    customer.updated.v1 per customer, audit entries naming the command import_customers and the
--    file, acting for the member who committed) and marks its rows done in the same
--    transaction — so a worker killed mid-commit resumes at the first row not marked, and never
--    creates a customer twice.
-- 5. Report: the rows that could not be imported, with their cells as in the file and a reason
--    column (customer_import_report_query, streamed by GET /imports/:id/errors.csv), so the
--    member can fix them and import that file again.
-- 6. Kept 30 days: then the import goes with its file and staged rows (the rows hold the file's
--    personal data, of people who may never have become customers), by the nightly cleanup of
--    exports (delete_expired_customer_imports). The file itself goes as soon as the commit ends.
-- Plans limit no number of customers today; were one added, the commit's batches would check it.

------------------------------------------------------------------------------------------------
-- Table rules

create or replace trigger _100_timestamps before insert or update on app_public.customer_imports
  for each row execute function app_private.tg__timestamps();

drop policy if exists select_with_permission on app_public.customer_imports;
create policy select_with_permission on app_public.customer_imports for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.import')));
revoke all on app_public.customer_imports from :DATABASE_VISITOR;
grant select on app_public.customer_imports to :DATABASE_VISITOR;

drop policy if exists select_with_permission on app_public.customer_import_rows;
create policy select_with_permission on app_public.customer_import_rows for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.import')));
revoke all on app_public.customer_import_rows from :DATABASE_VISITOR;
grant select on app_public.customer_import_rows to :DATABASE_VISITOR;

revoke all on app_private.customer_import_chunks from :DATABASE_VISITOR;

comment on table app_public.customer_imports is E'@unique id\n@behavior -query:resource:list\nA customer file being imported: upload it (POST /imports/customers), check the preview (rows), adjust the mapping (setCustomerImportMapping), then commit it (commitCustomerImport) and follow the progress.';
comment on column app_public.customer_imports.tenant_id is '@behavior -*';
comment on constraint customer_imports_pkey on app_public.customer_imports is '@behavior -single -update -delete';
comment on constraint customer_imports_tenant_id_fkey on app_public.customer_imports is '@behavior -*';
comment on constraint customer_imports_created_by_fkey on app_public.customer_imports is E'@fieldName uploadedBy\n@behavior -manyRelation';
comment on constraint customer_imports_committed_by_fkey on app_public.customer_imports is E'@fieldName committer\n@behavior -manyRelation';
comment on column app_public.customer_imports.status is 'uploading, parsing (the worker reads the file: rowsRead), ready (preview; change the mapping or commit), committing (rowsDone of newCount + duplicateCount), done, or failed (errorCode, errorMessage).';
comment on column app_public.customer_imports.header is 'The column names of the file''s first line.';
comment on column app_public.customer_imports.mapping is 'For each column of the header, the field it fills (customerImportFields) or null to ignore it.';
comment on column app_public.customer_imports.on_duplicate is 'What a row does when its email or phone belongs to a customer already: skip it, fill (only the customer''s empty fields) or overwrite (with the file''s non-empty values).';
comment on column app_public.customer_imports.rows_read is 'Data rows read so far (while parsing).';
comment on column app_public.customer_imports.rows_done is 'Rows committed so far (while committing).';
comment on column app_public.customer_imports.new_count is 'Rows that would make a new customer.';
comment on column app_public.customer_imports.duplicate_count is 'Rows whose email or phone belongs to an existing customer.';
comment on column app_public.customer_imports.file_duplicate_count is 'Rows with the email or phone of an earlier row of the file (not imported).';
comment on column app_public.customer_imports.invalid_count is 'Rows that cannot be imported, each with its reason.';
comment on column app_public.customer_imports.failed_count is 'After the commit: rows not imported (invalid, duplicates inside the file, or refused while committing); the error report lists them.';

comment on table app_public.customer_import_rows is E'@behavior -query:resource:list -query:resource:connection\nA data row of an imported file: its cells, the values it would give a customer, and its state.';
comment on column app_public.customer_import_rows.tenant_id is '@behavior -*';
comment on column app_public.customer_import_rows.import_id is '@behavior -*';
comment on constraint customer_import_rows_pkey on app_public.customer_import_rows is '@behavior -*';
comment on constraint customer_import_rows_tenant_id_import_id_fkey on app_public.customer_import_rows is '@behavior -*';
comment on constraint customer_import_rows_tenant_id_customer_id_fkey on app_public.customer_import_rows is E'@fieldName customer\n@behavior -manyRelation';
comment on column app_public.customer_import_rows.row_no is 'The row of the file, as a spreadsheet numbers it (the header is row 1).';
comment on column app_public.customer_import_rows.state is 'new, duplicate (of customerId), file_duplicate, invalid (reason); after the commit created, updated, skipped or failed (reason).';
comment on column app_public.customer_import_rows.reason is 'Why the row cannot be imported, in words.';
comment on table app_private.customer_import_chunks is 'The bytes of uploaded customer files, in order, about 1 MB each.';

------------------------------------------------------------------------------------------------
-- Fields and header names

/* The fields a column can fill, in the order the admin offers them. */
create or replace function app_public.customer_import_fields() returns table (field text, label text)
language sql immutable
set search_path to pg_catalog, public, pg_temp
as $$
  values ('first_name', 'First name'), ('last_name', 'Last name'),
         ('full_name', 'Full name (split at the last space)'),
         ('email', 'Email'), ('phone', 'Phone'), ('tags', 'Tags (separated by commas)'),
         ('note', 'Note (kept as a dated note)'), ('about', 'About this customer'), ('company', 'Company'),
         ('email_consent', 'Accepts email marketing'), ('sms_consent', 'Accepts SMS marketing'),
         ('address_line1', 'Address line 1'), ('address_line2', 'Address line 2'), ('city', 'City'),
         ('region', 'State or region'), ('postal_code', 'Postal code'),
         ('country', 'Country (two-letter code)');
$$;
comment on function app_public.customer_import_fields() is 'The fields a column of an imported file can fill, with their labels.';
grant execute on function app_public.customer_import_fields() to :DATABASE_VISITOR;

/*
 * The field a header name means, and its priority when several columns mean the same field (1
 * wins): our export's names, Square's customer export ("Email Address", "Phone Number", "Street
 * Address 1", "Memo", "Groups", "Email Subscription Status"…) and Shopify's, old and new ("Accepts
 * Marketing", "Accepts Email Marketing", "Default Address Address1", "Province Code"…). Names are
 * compared lower-cased with everything but letters and digits removed, so "E-mail", "e_mail" and
 * "E Mail" are one name. Shopify's "Country" holds names ("Canada") and "Country Code" the code:
 * the code wins when both are there.
 */
create or replace function app_hidden.customer_import_field_for(header text, out field text, out priority int)
language sql immutable
set search_path to pg_catalog, public, pg_temp
as $$
  select k.field, k.priority
  from (values
    ('firstname', 'first_name', 1), ('givenname', 'first_name', 1), ('forename', 'first_name', 1), ('first', 'first_name', 2),
    ('lastname', 'last_name', 1), ('surname', 'last_name', 1), ('familyname', 'last_name', 1), ('last', 'last_name', 2),
    ('name', 'full_name', 2), ('fullname', 'full_name', 1), ('customername', 'full_name', 1), ('contactname', 'full_name', 2),
    ('email', 'email', 1), ('emailaddress', 'email', 1), ('mail', 'email', 2), ('emailaddr', 'email', 1),
    ('phone', 'phone', 1), ('phonenumber', 'phone', 1), ('mobile', 'phone', 2), ('mobilephone', 'phone', 2),
    ('mobilenumber', 'phone', 2), ('cellphone', 'phone', 2), ('telephone', 'phone', 2), ('tel', 'phone', 3),
    ('defaultaddressphone', 'phone', 3), ('addressphone', 'phone', 3),
    ('tags', 'tags', 1), ('tag', 'tags', 1), ('groups', 'tags', 2), ('customergroups', 'tags', 2), ('labels', 'tags', 2),
    ('about', 'about', 1), ('aboutthiscustomer', 'about', 1),
    ('note', 'note', 1), ('notes', 'note', 1), ('memo', 'note', 1), ('comment', 'note', 2), ('comments', 'note', 2),
    ('company', 'company', 1), ('companyname', 'company', 1), ('organization', 'company', 2), ('organisation', 'company', 2),
    ('defaultaddresscompany', 'company', 2),
    ('acceptsemailmarketing', 'email_consent', 1), ('acceptsmarketing', 'email_consent', 1),
    ('emailsubscriptionstatus', 'email_consent', 1), ('emailmarketing', 'email_consent', 2),
    ('marketingconsent', 'email_consent', 2), ('emailoptin', 'email_consent', 2), ('newsletter', 'email_consent', 3),
    ('acceptssmsmarketing', 'sms_consent', 1), ('smsmarketing', 'sms_consent', 2),
    ('smssubscriptionstatus', 'sms_consent', 1), ('smsoptin', 'sms_consent', 2),
    ('addressline1', 'address_line1', 1), ('address1', 'address_line1', 1), ('streetaddress1', 'address_line1', 1),
    ('streetaddress', 'address_line1', 2), ('street', 'address_line1', 2), ('address', 'address_line1', 3),
    ('defaultaddressaddress1', 'address_line1', 1),
    ('addressline2', 'address_line2', 1), ('address2', 'address_line2', 1), ('streetaddress2', 'address_line2', 1),
    ('defaultaddressaddress2', 'address_line2', 1),
    ('city', 'city', 1), ('town', 'city', 2), ('defaultaddresscity', 'city', 1),
    ('region', 'region', 1), ('state', 'region', 1), ('province', 'region', 1), ('county', 'region', 2),
    ('provincecode', 'region', 2), ('statecode', 'region', 2), ('defaultaddressprovincecode', 'region', 1),
    ('postalcode', 'postal_code', 1), ('zip', 'postal_code', 1), ('zipcode', 'postal_code', 1), ('postcode', 'postal_code', 1),
    ('defaultaddresszip', 'postal_code', 1),
    ('countrycode', 'country', 1), ('defaultaddresscountrycode', 'country', 1), ('country', 'country', 2)
  ) as k(name, field, priority)
  where k.name = lower(regexp_replace(header, '[^[:alnum:]]', '', 'g'));
$$;
comment on function app_hidden.customer_import_field_for(text) is 'The field a column of that name fills, and its priority among columns filling the same field (1 first).';

/* For each column of a header, the field it fills: the best-priority column of each field wins, then the first. */
create or replace function app_hidden.customer_import_proposed_mapping(header text[]) returns text[]
language sql immutable
set search_path to pg_catalog, public, pg_temp
as $$
  with known as (
    select h.i, f.field,
           row_number() over (partition by f.field order by f.priority, h.i) as rank
    from unnest(header) with ordinality as h(name, i)
    cross join lateral app_hidden.customer_import_field_for(h.name) as f
    where f.field is not null
  )
  select array(
    select k.field
    from generate_subscripts(header, 1) as g(i)
    left join known k on k.i = g.i and k.rank = 1
    order by g.i);
$$;

------------------------------------------------------------------------------------------------
-- Rows

/* yes or no in the words files use (yes, y, true, 1, x, subscribed, opted in…); null when blank; BADIN otherwise. */
create or replace function app_hidden.import_yes_no(label text, value text, field text) returns boolean
language plpgsql immutable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  v text := lower(regexp_replace(btrim(value), '[\s_-]+', ' ', 'g'));
begin
  if v is null or v = '' then
    return null;
  elsif v in ('yes', 'y', 'true', 't', '1', 'x', 'subscribed', 'opted in', 'optin', 'on', 'confirmed_opt_in') then
    return true;
  elsif v in ('no', 'n', 'false', 'f', '0', 'unsubscribed', 'not subscribed', 'opted out', 'optout', 'off', 'never subscribed') then
    return false;
  end if;
  perform app_hidden.raise_error('BADIN', format('%s: "%s" is neither yes nor no.', label, left(btrim(value), 40)), field => field);
  return null;
end;
$$;

/*
 * A cell as the spreadsheet meant it: the ' an exporter put before a formula-like value to defuse
 * it (ours, app_hidden.csv_text; Shopify's before "+1 613…") is dropped, exactly when csv_text
 * would have added it. So our export imports back unchanged, and the value is stored as text
 * (and defused again on every export).
 */
create or replace function app_hidden.csv_untext(value text) returns text
language sql immutable parallel safe
as $$
  select case when left(value, 1) = '''' and app_hidden.csv_text(substr(value, 2)) = value then substr(value, 2) else value end;
$$;
comment on function app_hidden.csv_untext(text) is 'A cell without the leading '' that defused a formula-like value (the inverse of app_hidden.csv_text).';

/*
 * What one row of a file would make: the values of the fields its columns map to, checked by the
 * same rules as create_customer and the address trigger, or the reason it cannot be imported (the
 * message of the rule it breaks). The first non-blank column of a field wins. A full name is split
 * at its last space unless first or last names are given. An address needs a first line and a
 * city: the other address columns of a row without them are ignored (a country alone is no
 * address). A row with more non-blank cells than the header has columns is refused (the columns
 * would be guessed); fewer is fine (spreadsheets drop empty trailing cells).
 */
create or replace function app_private.customer_import_values(cells text[], mapping text[], country text)
returns app_public.customer_import_rows
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  r app_public.customer_import_rows;
  raw jsonb := '{}';
  width int := cardinality(mapping);
  f text;
  full_name text;
  tag_list text[];
  address app_public.customer_addresses;
begin
  if cardinality(cells) > width and exists (select 1 from unnest(cells[width + 1:]) as c where btrim(c) <> '') then
    r.state := 'invalid';
    r.reason := format('This row has %s cells where the header has %s columns.', cardinality(cells), width);
    return r;
  end if;
  for i in 1 .. least(width, cardinality(cells)) loop
    f := mapping[i];
    if f is not null and btrim(cells[i]) <> '' and not raw ? f then
      raw := raw || jsonb_build_object(f, app_hidden.csv_untext(cells[i]));
    end if;
  end loop;

  begin
    r.first_name := app_hidden.optional_name('First name', raw ->> 'first_name', 100, 'first_name');
    r.last_name := app_hidden.optional_name('Last name', raw ->> 'last_name', 100, 'last_name');
    full_name := app_hidden.trim_blank(raw ->> 'full_name');
    if r.first_name is null and r.last_name is null and full_name <> '' then
      full_name := regexp_replace(full_name, '\s+', ' ', 'g');
      if position(' ' in full_name) > 0 then
        r.first_name := app_hidden.optional_name('First name', regexp_replace(full_name, ' [^ ]*$', ''), 100, 'first_name');
        r.last_name := app_hidden.optional_name('Last name', regexp_replace(full_name, '^.* ', ''), 100, 'last_name');
      else
        r.first_name := app_hidden.optional_name('First name', full_name, 100, 'first_name');
      end if;
    end if;
    r.email := app_hidden.optional_email(raw ->> 'email');
    r.phone := app_hidden.normalize_phone(raw ->> 'phone', country);
    tag_list := array(select t from unnest(string_to_array(raw ->> 'tags', ',')) as t where btrim(t) <> '');
    r.tags := app_hidden.normalize_tags(tag_list);
    r.note := app_hidden.optional_text('Note', raw ->> 'note', 2000, 'note');
    r.about := app_hidden.optional_text('About this customer', raw ->> 'about', 2000, 'notes');
    r.company := app_hidden.optional_name('Company', raw ->> 'company', 200, 'company');
    r.email_consent := app_hidden.import_yes_no('Accepts email marketing', raw ->> 'email_consent', 'email_consent');
    r.sms_consent := app_hidden.import_yes_no('Accepts SMS marketing', raw ->> 'sms_consent', 'sms_consent');
    if btrim(raw ->> 'address_line1') <> '' and btrim(raw ->> 'city') <> '' then
      address.line1 := raw ->> 'address_line1';
      address.line2 := raw ->> 'address_line2';
      address.city := raw ->> 'city';
      address.region := raw ->> 'region';
      address.postal_code := raw ->> 'postal_code';
      address.country := app_hidden.trim_blank(raw ->> 'country');
      address := app_hidden.checked_address_lines(address, country);
      r.address_line1 := address.line1;
      r.address_line2 := address.line2;
      r.city := address.city;
      r.region := address.region;
      r.postal_code := address.postal_code;
      r.country := address.country;
    end if;
    if r.email is null and r.phone is null and r.first_name is null then
      -- the customers_identifiable rule, worded as the commands word it (NOIDN)
      perform app_private.raise_customer_constraint(null, 'customers_identifiable', null, null, null);
    end if;
    r.state := 'new';
  exception when others then
    -- Our rules raise five-letter codes with a sentence for people: that is the row's reason.
    -- Anything else is a bug, not a bad row.
    if sqlstate !~ '^[A-Z]{5}$' then
      raise;
    end if;
    r := null;
    r.state := 'invalid';
    r.reason := sqlerrm;
  end;
  return r;
end;
$$;

/*
 * Sorts the rows of an import not yet committed: the values each would give (above), then, among
 * those that can be imported, a later row with the email or phone of an earlier one is a
 * duplicate inside the file, and a row whose email or phone belongs to a live customer is a
 * duplicate of that customer (invalid when its email is one customer's and its phone another's).
 * Updates the import's counts.
 */
create or replace function app_private.classify_customer_import(tenant_id text, import_id text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  imp app_public.customer_imports;
  tenant_country text;
begin
  select i.* into imp from app_public.customer_imports i
  where i.tenant_id = classify_customer_import.tenant_id and i.id = classify_customer_import.import_id;
  select t.default_country into tenant_country from app_public.tenants t where t.id = imp.tenant_id;
  -- The rows were just staged (and the business may have just grown): without fresh statistics the
  -- planner takes this import for one row and the duplicate searches below for nested loops over
  -- every row, 47 s instead of 0.1 s at 10,000 rows (measured). As after any bulk load.
  analyze app_public.customer_import_rows;
  analyze app_public.customers;

  update app_public.customer_import_rows r set
    (state, reason, email, phone, first_name, last_name, tags, note, about, company, email_consent, sms_consent,
     address_line1, address_line2, city, region, postal_code, country, customer_id) =
    (select v.state, v.reason, v.email, v.phone, v.first_name, v.last_name, v.tags, v.note, v.about, v.company,
            v.email_consent, v.sms_consent, v.address_line1, v.address_line2, v.city, v.region,
            v.postal_code, v.country, null
     from app_private.customer_import_values(r.cells, imp.mapping, tenant_country) as v)
  where r.tenant_id = imp.tenant_id and r.import_id = imp.id
    and r.state in ('read', 'new', 'duplicate', 'file_duplicate', 'invalid');

  with firsts as (
    select r.row_no,
           case when r.email is not null then min(r.row_no) over (partition by r.email) end as email_row,
           case when r.phone is not null then min(r.row_no) over (partition by r.phone) end as phone_row
    from app_public.customer_import_rows r
    where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.state = 'new'
  )
  update app_public.customer_import_rows r set
    state = 'file_duplicate',
    reason = case when f.email_row < f.row_no then format('Same email as row %s of this file.', f.email_row)
                  else format('Same phone number as row %s of this file.', f.phone_row) end
  from firsts f
  where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.row_no = f.row_no
    and (f.email_row < f.row_no or f.phone_row < f.row_no);

  perform app_private.match_existing_customers(imp.tenant_id, imp.id, null, null);

  update app_public.customer_imports i set
    (new_count, duplicate_count, file_duplicate_count, invalid_count) =
    (select count(*) filter (where r.state = 'new'), count(*) filter (where r.state = 'duplicate'),
            count(*) filter (where r.state = 'file_duplicate'), count(*) filter (where r.state = 'invalid')
     from app_public.customer_import_rows r where r.tenant_id = imp.tenant_id and r.import_id = imp.id)
  where i.tenant_id = imp.tenant_id and i.id = imp.id;
end;
$$;

/*
 * Rows (of the import, or of rows from_row..to_row) still marked new whose email or phone belongs
 * to a live customer become duplicates of that customer; a row matching two customers is invalid.
 * Run at preview and again by each commit batch (a customer may have been added since).
 */
create or replace function app_private.match_existing_customers(tenant_id text, import_id text, from_row int, to_row int) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  update app_public.customer_import_rows r set
    state = case when e.id <> p.id then 'invalid' else 'duplicate' end,
    reason = case when e.id <> p.id then format('The email belongs to customer %s and the phone number to customer %s.',
                                                e.customer_number, p.customer_number) end,
    customer_id = case when e.id <> p.id then null else coalesce(e.id, p.id) end
  from app_public.customer_import_rows x
  left join app_public.customers e on e.tenant_id = x.tenant_id and e.email = x.email and e.status <> 'merged'
  left join app_public.customers p on p.tenant_id = x.tenant_id and p.phone = x.phone and p.status <> 'merged'
  where x.tenant_id = match_existing_customers.tenant_id and x.import_id = match_existing_customers.import_id
    and x.state = 'new' and (e.id is not null or p.id is not null)
    and x.row_no between coalesce(from_row, 0) and coalesce(to_row, 2147483647)
    and r.tenant_id = x.tenant_id and r.import_id = x.import_id and r.row_no = x.row_no;
$$;

------------------------------------------------------------------------------------------------
-- Upload (the server, as the member)

/* The import of the caller's business with this id, locked; NOTFD otherwise. */
create or replace function app_private.own_customer_import(tenant_id text, import_id text) returns app_public.customer_imports
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  imp app_public.customer_imports;
begin
  select i.* into imp from app_public.customer_imports i
  where i.tenant_id = own_customer_import.tenant_id and i.id = own_customer_import.import_id
  for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no import %s.', coalesce(left(import_id, 40), '(none given)')));
  end if;
  return imp;
end;
$$;

/* Raises IMPST unless the import is in one of these states, saying what it is doing instead. */
create or replace function app_private.assert_import_status(imp app_public.customer_imports, allowed text[], action text) returns void
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if not imp.status = any(allowed) then
    perform app_hidden.raise_error('IMPST', format('This import cannot be %s: it is %s.', action,
      case imp.status when 'uploading' then 'still being uploaded' when 'parsing' then 'still being read'
                      when 'ready' then 'waiting to be committed' when 'committing' then 'being committed'
                      when 'done' then 'already committed' else 'failed' end), imp.id);
  end if;
end;
$$;

create or replace function app_hidden.begin_customer_import(file_name text) returns text
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.import');
  name text := left(app_hidden.trim_blank(regexp_replace(coalesce(file_name, ''), '[\x00-\x1f\x7f/\\]', '', 'g')), 255);
  id text;
begin
  insert into app_public.customer_imports (tenant_id, file_name, created_by)
  values (tenant, coalesce(nullif(name, ''), 'customers.csv'), app_hidden.current_user_id())
  returning customer_imports.id into id;
  return id;
end;
$$;
comment on function app_hidden.begin_customer_import(text) is 'Starts an upload of a customer file (needs customers.import); returns the import id.';
grant execute on function app_hidden.begin_customer_import(text) to :DATABASE_VISITOR;

/* Appends the next chunk of an upload of the caller's (in order: the upload is one transaction). TOOBG past 50 MB. */
create or replace function app_hidden.write_customer_import_chunk(import_id text, data bytea) returns void
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.import');
  imp app_public.customer_imports := app_private.own_customer_import(tenant, import_id);
begin
  perform app_private.assert_import_status(imp, array['uploading'], 'uploaded to');
  if data is null or octet_length(data) = 0 then
    return;
  end if;
  if imp.byte_size + octet_length(data) > app_hidden.customer_import_max_bytes() then
    perform app_hidden.raise_error('TOOBG', 'The file is larger than 50 MB. Split it into smaller files.');
  end if;
  insert into app_private.customer_import_chunks (tenant_id, import_id, chunk_no, data)
  values (tenant, imp.id, imp.chunk_count, data);
  update app_public.customer_imports i set chunk_count = i.chunk_count + 1, byte_size = i.byte_size + octet_length(data)
  where i.tenant_id = tenant and i.id = imp.id;
end;
$$;
grant execute on function app_hidden.write_customer_import_chunk(text, bytea) to :DATABASE_VISITOR;

/* The largest file an import takes: 50 MB. */
create or replace function app_hidden.customer_import_max_bytes() returns bigint
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$ select 52428800::bigint $$;
grant execute on function app_hidden.customer_import_max_bytes() to :DATABASE_VISITOR;

/* Ends an upload and queues the reading of the file. BADCS for an empty file. */
create or replace function app_hidden.finish_customer_import_upload(import_id text) returns void
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.import');
  imp app_public.customer_imports := app_private.own_customer_import(tenant, import_id);
begin
  perform app_private.assert_import_status(imp, array['uploading'], 'uploaded to');
  if imp.byte_size = 0 then
    perform app_hidden.raise_error('BADCS', 'The file is empty.', field => 'file');
  end if;
  update app_public.customer_imports i set status = 'parsing' where i.tenant_id = tenant and i.id = imp.id;
  perform graphile_worker.add_job('customer_import_parse', json_build_object('tenantId', tenant, 'importId', imp.id),
    max_attempts := 3, job_key := 'customer_import_parse:' || imp.id);
end;
$$;
grant execute on function app_hidden.finish_customer_import_upload(text) to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Parse (the worker)

/* Starts (or starts again) reading an import's file: clears rows staged by an earlier attempt. Null when it is not to be read. */
create or replace function app_private.start_customer_import_parse(tenant_id text, import_id text) returns jsonb
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  imp app_public.customer_imports;
begin
  select i.* into imp from app_public.customer_imports i
  where i.tenant_id = start_customer_import_parse.tenant_id and i.id = start_customer_import_parse.import_id
  for update;
  if not found or imp.status <> 'parsing' then
    return null;
  end if;
  delete from app_public.customer_import_rows r where r.tenant_id = imp.tenant_id and r.import_id = imp.id;
  update app_public.customer_imports i set rows_read = 0, header = null, mapping = null
  where i.tenant_id = imp.tenant_id and i.id = imp.id;
  return jsonb_build_object('chunkCount', imp.chunk_count, 'fileName', imp.file_name);
end;
$$;

/*
 * Stages records read from the file: rows is a JSON array of arrays of cells, the first being the
 * file's row first_row_no. Returns false when the import is no longer being read.
 */
create or replace function app_private.stage_customer_import_rows(tenant_id text, import_id text, first_row_no int, rows jsonb) returns boolean
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  insert into app_public.customer_import_rows (tenant_id, import_id, row_no, cells)
  select stage_customer_import_rows.tenant_id, stage_customer_import_rows.import_id, first_row_no + (r.n - 1)::int,
         array(select jsonb_array_elements_text(r.cells))
  from jsonb_array_elements(rows) with ordinality as r(cells, n);
  update app_public.customer_imports i set rows_read = i.rows_read + jsonb_array_length(rows)
  where i.tenant_id = stage_customer_import_rows.tenant_id and i.id = stage_customer_import_rows.import_id and i.status = 'parsing';
  return found;
end;
$$;

/* The file is read: keeps its header, proposes the mapping, classifies the rows; the import is ready for preview. */
create or replace function app_private.finish_customer_import_parse(tenant_id text, import_id text, header text[], encoding text, delimiter text)
returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  update app_public.customer_imports i set
    header = finish_customer_import_parse.header,
    mapping = app_hidden.customer_import_proposed_mapping(finish_customer_import_parse.header),
    encoding = finish_customer_import_parse.encoding, delimiter = finish_customer_import_parse.delimiter,
    rows_total = i.rows_read, status = 'ready'
  where i.tenant_id = finish_customer_import_parse.tenant_id and i.id = finish_customer_import_parse.import_id
    and i.status = 'parsing';
  if found then
    perform app_private.classify_customer_import(tenant_id, import_id);
  end if;
end;
$$;

/* An import that cannot go on: its code and message for the member; staged rows are dropped. */
create or replace function app_private.fail_customer_import(tenant_id text, import_id text, code text, message text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  update app_public.customer_imports i set status = 'failed', error_code = code, error_message = left(message, 500), finished_at = now()
  where i.tenant_id = fail_customer_import.tenant_id and i.id = fail_customer_import.import_id and i.status in ('parsing', 'committing');
  if not found then
    return;
  end if;
  -- Rows of a failed read are of no use. A failed commit keeps them: the rows it did not reach
  -- are failed, so that the report lists them to import again, and the counts say so.
  delete from app_public.customer_import_rows r
  where r.tenant_id = fail_customer_import.tenant_id and r.import_id = fail_customer_import.import_id
    and exists (select 1 from app_public.customer_imports i where i.tenant_id = r.tenant_id and i.id = r.import_id and i.committed_by is null);
  update app_public.customer_import_rows r set state = 'failed', reason = 'Not imported: the import stopped before this row.'
  where r.tenant_id = fail_customer_import.tenant_id and r.import_id = fail_customer_import.import_id and r.state in ('new', 'duplicate');
  update app_public.customer_imports i set
    (created_count, updated_count, skipped_count, failed_count) =
    (select count(*) filter (where r.state = 'created'), count(*) filter (where r.state = 'updated'),
            count(*) filter (where r.state = 'skipped'), count(*) filter (where r.state in ('failed', 'invalid', 'file_duplicate'))
     from app_public.customer_import_rows r where r.tenant_id = i.tenant_id and r.import_id = i.id)
  where i.tenant_id = fail_customer_import.tenant_id and i.id = fail_customer_import.import_id and i.committed_by is not null;
end;
$$;

------------------------------------------------------------------------------------------------
-- Preview and commit (the member)

/* The rows of the import, in file order; only those in one state when given (new, duplicate, file_duplicate, invalid, created, updated, skipped, failed). */
create or replace function app_public.customer_imports_rows(i app_public.customer_imports, state text default null)
returns setof app_public.customer_import_rows
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select r.* from app_public.customer_import_rows r
  where r.tenant_id = i.tenant_id and r.import_id = i.id and (customer_imports_rows.state is null or r.state = customer_imports_rows.state)
  order by r.row_no;
$$;
comment on function app_public.customer_imports_rows(app_public.customer_imports, text) is 'The rows of the file in order, or only those in one state.';
grant execute on function app_public.customer_imports_rows(app_public.customer_imports, text) to :DATABASE_VISITOR;

/* Where to download the rows that were not imported, with their reason (GET, same site), once the import is done. */
create or replace function app_public.customer_imports_report_url(i app_public.customer_imports) returns text
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select case when (i.status in ('ready', 'done') or (i.status = 'failed' and i.committed_by is not null))
                   and (i.invalid_count + i.file_duplicate_count + i.failed_count) > 0
              then '/imports/' || i.id || '/errors.csv' end;
$$;
comment on function app_public.customer_imports_report_url(app_public.customer_imports) is 'Where to download the rows that cannot be (or were not) imported, each with its reason; null when there are none.';
grant execute on function app_public.customer_imports_report_url(app_public.customer_imports) to :DATABASE_VISITOR;

/* The caller's imports, newest first. */
create or replace function app_public.customer_import_history() returns setof app_public.customer_imports
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select i.* from app_public.customer_imports i
  where i.tenant_id = app_hidden.current_tenant_id()
  order by i.created_at desc, i.id desc;
$$;
comment on function app_public.customer_import_history() is 'The business''s customer imports, newest first (needs customers.import).';
grant execute on function app_public.customer_import_history() to :DATABASE_VISITOR;

create or replace function app_public.set_customer_import_mapping(import_id text, mapping text[], on_duplicate text)
returns app_public.customer_imports
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.import');
  imp app_public.customer_imports := app_private.own_customer_import(tenant, import_id);
  clean text[];
  twice record;
  unknown record;
begin
  perform app_private.assert_import_status(imp, array['ready'], 'changed');
  if mapping is null or cardinality(mapping) <> cardinality(imp.header) then
    perform app_hidden.raise_error('BADIN', format('Give a field (or nothing) for each of the file''s %s columns.', cardinality(imp.header)), field => 'mapping');
  end if;
  clean := array(select nullif(nullif(btrim(m), ''), 'ignore') from unnest(mapping) with ordinality as u(m, n) order by n);
  select u.n, u.m into unknown from unnest(clean) with ordinality as u(m, n)
  where u.m is not null and not exists (select 1 from app_public.customer_import_fields() f where f.field = u.m) limit 1;
  if found then
    perform app_hidden.raise_error('BADIN', format('Column %s ("%s"): "%s" is not a field customers can be imported into.',
      unknown.n, left(imp.header[unknown.n], 40), left(unknown.m, 40)), field => 'mapping');
  end if;
  select u.m, array_agg(u.n order by u.n) as cols into twice from unnest(clean) with ordinality as u(m, n)
  where u.m is not null group by u.m having count(*) > 1 limit 1;
  if found then
    perform app_hidden.raise_error('BADIN', format('%s is filled by two columns (%s): choose one.',
      (select f.label from app_public.customer_import_fields() f where f.field = twice.m), array_to_string(twice.cols, ' and ')), field => 'mapping');
  end if;
  on_duplicate := lower(btrim(coalesce(on_duplicate, imp.on_duplicate)));
  if on_duplicate not in ('skip', 'fill', 'overwrite') then
    perform app_hidden.raise_error('BADIN', 'A duplicate can be skipped, fill the empty fields of the customer (fill) or overwrite them.', field => 'on_duplicate');
  end if;
  update app_public.customer_imports i set mapping = clean, on_duplicate = set_customer_import_mapping.on_duplicate
  where i.tenant_id = tenant and i.id = imp.id;
  perform app_private.classify_customer_import(tenant, imp.id);
  select i.* into imp from app_public.customer_imports i where i.tenant_id = tenant and i.id = imp.id;
  return imp;
end;
$$;
comment on function app_public.set_customer_import_mapping(text, text[], text) is
  E'@resultFieldName customerImport\nChooses the field each column of the file fills (null or "ignore" to leave it out; each field once) and what a duplicate of an existing customer does (skip, fill or overwrite), and checks the rows again (needs customers.import; the import must be ready).';
grant execute on function app_public.set_customer_import_mapping(text, text[], text) to :DATABASE_VISITOR;

create or replace function app_public.commit_customer_import(import_id text) returns app_public.customer_imports
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.import');
  imp app_public.customer_imports := app_private.own_customer_import(tenant, import_id);
begin
  perform app_private.assert_import_status(imp, array['ready'], 'committed');
  if not imp.mapping && array['email', 'phone', 'first_name', 'full_name'] then
    perform app_hidden.raise_error('BADIN', 'Choose the column of the email, the phone number or the first name: a customer needs one of them.', field => 'mapping');
  end if;
  if imp.new_count + imp.duplicate_count = 0 then
    perform app_hidden.raise_error('IMPST', 'Nothing to import: no row of this file can be imported (see the reasons).', imp.id);
  end if;
  update app_public.customer_imports i set status = 'committing', committed_by = app_hidden.current_user_id(), rows_done = 0
  where i.tenant_id = tenant and i.id = imp.id
  returning * into imp;
  perform graphile_worker.add_job('customer_import_commit', json_build_object('tenantId', tenant, 'importId', imp.id),
    max_attempts := 5, job_key := 'customer_import_commit:' || imp.id);
  return imp;
end;
$$;
comment on function app_public.commit_customer_import(text) is
  E'@resultFieldName customerImport\nImports the rows of a ready import into customers, in the worker (needs customers.import): new rows make customers, duplicates of existing customers do what onDuplicate says, the others are reported. Follow status and rowsDone.';
grant execute on function app_public.commit_customer_import(text) to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Commit (the worker)

/*
 * Commits the next `size` rows of a committing import (new and duplicate rows, in file order) in
 * the caller's transaction, and returns how many it handled; 0 when none are left, after
 * marking the import done. Rows are marked in the same transaction as the customers they write,
 * so a crash loses the batch's writes and its marks together, and the next run starts at the
 * same row.
 *
 * New rows: customers inserted set-based with numbers reserved at once, then their event, note
 * (category import), consents (source import) and default address. Duplicates: skipped, or the
 * customer's empty fields filled (fill) or its fields set from the row's non-blank values
 * (overwrite); tags are added to theirs either way; customer.updated.v1 with the changes.
 * Should a customer with a row's email or phone appear between the preview and this batch, the
 * row becomes that customer's duplicate; should a write still break a rule (a race), the batch
 * is written row by row and the rows that break it fail with the reason.
 */
create or replace function app_private.commit_customer_import_batch(tenant_id text, import_id text, size int) returns int
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  imp app_public.customer_imports;
  first_row int;
  last_row int;
  one_row int;
  handled int;
begin
  select i.* into imp from app_public.customer_imports i
  where i.tenant_id = commit_customer_import_batch.tenant_id and i.id = commit_customer_import_batch.import_id
  for update;
  if not found or imp.status <> 'committing' then
    return 0;
  end if;
  -- Statistics of customers as they grow: the lookups by email and phone below must use the
  -- unique keys, and a planner that still believes a new business has no customers with a phone
  -- (no ANALYZE since the import began) scans the business's customers for every row instead,
  -- which makes a large import quadratic (seen at 100,000 rows). Every 20,000 rows, as autovacuum
  -- would, sooner.
  if imp.rows_done % 20000 < size then
    analyze app_public.customers;
  end if;
  perform app_private.act_for(imp.committed_by);
  perform app_private.begin_change('import_customers', format('Imported from %s (import %s)', left(imp.file_name, 200), imp.id));

  select min(r.row_no), max(r.row_no) into first_row, last_row from (
    select r.row_no from app_public.customer_import_rows r
    where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.state in ('new', 'duplicate')
    order by r.row_no limit size) as r;

  if first_row is null then
    update app_public.customer_imports i set status = 'done', finished_at = now(),
      (created_count, updated_count, skipped_count, failed_count) =
      (select count(*) filter (where r.state = 'created'), count(*) filter (where r.state = 'updated'),
              count(*) filter (where r.state = 'skipped'),
              count(*) filter (where r.state in ('failed', 'invalid', 'file_duplicate'))
       from app_public.customer_import_rows r where r.tenant_id = imp.tenant_id and r.import_id = imp.id)
    where i.tenant_id = imp.tenant_id and i.id = imp.id;
    delete from app_private.customer_import_chunks c where c.tenant_id = imp.tenant_id and c.import_id = imp.id;
    perform app_private.end_change();
    return 0;
  end if;

  perform app_private.match_existing_customers(imp.tenant_id, imp.id, first_row, last_row);
  begin
    perform app_private.write_customer_import_rows(imp, first_row, last_row);
  exception when others then
    -- A rule broke for some row of the batch (the whole batch was undone): row by row, so only
    -- the rows that break it fail. Anything but a broken rule is a bug: raised.
    if sqlstate !~ '^[A-Z]{5}$' and sqlstate not in ('23505', '23514', '23502') then
      raise;
    end if;
    for one_row in
      select r.row_no from app_public.customer_import_rows r
      where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.state in ('new', 'duplicate')
        and r.row_no between first_row and last_row
      order by r.row_no
    loop
      begin
        perform app_private.match_existing_customers(imp.tenant_id, imp.id, one_row, one_row);
        perform app_private.write_customer_import_rows(imp, one_row, one_row);
      exception when others then
        if sqlstate !~ '^[A-Z]{5}$' and sqlstate not in ('23505', '23514', '23502') then
          raise;
        end if;
        update app_public.customer_import_rows r set state = 'failed', reason = sqlerrm, customer_id = null
        where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.row_no = one_row;
      end;
    end loop;
  end;

  select count(*) into handled from app_public.customer_import_rows r
  where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.row_no between first_row and last_row
    and r.state in ('created', 'updated', 'skipped', 'failed');
  update app_public.customer_imports i set rows_done = i.rows_done + handled
  where i.tenant_id = imp.tenant_id and i.id = imp.id;
  perform app_private.end_change();
  return greatest(handled, 1);
end;
$$;

/* Writes rows from_row..to_row of an import (those new or duplicate) and marks them; see commit_customer_import_batch. */
create or replace function app_private.write_customer_import_rows(imp app_public.customer_imports, from_row int, to_row int) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  n int;
  last_number bigint;
begin
  -- New customers: ids first, so that the rows know theirs.
  update app_public.customer_import_rows r set customer_id = public.gen_ulid()
  where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.state = 'new' and r.row_no between from_row and to_row;
  get diagnostics n = row_count;
  if n > 0 then
    last_number := app_private.reserve_tenant_numbers(imp.tenant_id, 'customer_number', n);
    insert into app_public.customers (tenant_id, id, customer_number, email, phone, first_name, last_name, notes, tags,
                                      marketing_consent, marketing_consent_updated_at, marketing_consent_source, metadata, created_by)
    select r.tenant_id, r.customer_id,
           app_hidden.format_customer_number(last_number - n + row_number() over (order by r.row_no)),
           r.email, r.phone, r.first_name, r.last_name, r.about, coalesce(r.tags, '[]'),
           r.email_consent, case when r.email_consent is not null then now() end,
           case when r.email_consent is not null then 'import' end,
           case when r.company is not null then jsonb_build_object('company', r.company) else '{}' end,
           imp.committed_by
    from app_public.customer_import_rows r
    where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.state = 'new' and r.row_no between from_row and to_row;

    perform app_private.emit_event(c.tenant_id, 'customer.created.v1', 'customer', c.id, app_private.customer_event_payload(c), imp.committed_by)
    from app_public.customers c
    join app_public.customer_import_rows r on r.tenant_id = c.tenant_id and r.customer_id = c.id
    where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.state = 'new' and r.row_no between from_row and to_row
    order by r.row_no;
  end if;

  -- Duplicates of existing customers.
  if imp.on_duplicate = 'skip' then
    update app_public.customer_import_rows r set state = 'skipped'
    where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.state = 'duplicate' and r.row_no between from_row and to_row;
  else
    perform app_private.update_customers_from_import(imp, from_row, to_row);
  end if;

  -- What new and updated customers take from their row besides the customer itself.
  insert into app_public.customer_notes (tenant_id, customer_id, category, body)
  select r.tenant_id, r.customer_id, 'import', r.note
  from app_public.customer_import_rows r
  where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.row_no between from_row and to_row
    and r.state in ('new', 'duplicate') and r.note is not null
  order by r.row_no;

  insert into app_public.customer_contact_channels as x (tenant_id, customer_id, channel, allowed, source, recorded_at, recorded_by)
  select r.tenant_id, r.customer_id, ch.channel, ch.allowed, 'import', now(), imp.committed_by
  from app_public.customer_import_rows r
  cross join lateral (values ('email', r.email_consent), ('sms', r.sms_consent)) as ch(channel, allowed)
  where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.row_no between from_row and to_row
    and r.state in ('new', 'duplicate') and ch.allowed is not null
    and (r.state = 'new' or imp.on_duplicate = 'overwrite'
         or not exists (select 1 from app_public.customer_contact_channels y
                        where y.tenant_id = r.tenant_id and y.customer_id = r.customer_id and y.channel = ch.channel))
  on conflict (tenant_id, customer_id, channel) do update set
    allowed = excluded.allowed, source = excluded.source, recorded_at = excluded.recorded_at, recorded_by = excluded.recorded_by
  where x.allowed is distinct from excluded.allowed;

  insert into app_public.customer_addresses (tenant_id, customer_id, type, line1, line2, city, region, postal_code, country, is_default)
  select r.tenant_id, r.customer_id, 'home', r.address_line1, r.address_line2, r.city, r.region, r.postal_code, r.country,
         not exists (select 1 from app_public.customer_addresses a where a.tenant_id = r.tenant_id and a.customer_id = r.customer_id and a.is_default)
  from app_public.customer_import_rows r
  where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.row_no between from_row and to_row
    and r.state in ('new', 'duplicate') and r.address_line1 is not null
    -- the same address is not added twice (a file imported again, or a duplicate that has it)
    and not exists (select 1 from app_public.customer_addresses a
                    where a.tenant_id = r.tenant_id and a.customer_id = r.customer_id
                      and lower(a.line1) = lower(r.address_line1) and lower(a.city) = lower(r.city))
  order by r.row_no;

  update app_public.customer_import_rows r set state = case r.state when 'new' then 'created' else 'updated' end
  where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.state in ('new', 'duplicate') and r.row_no between from_row and to_row;
end;
$$;

/*
 * Duplicates that fill or overwrite: each existing customer once per batch (the first row of
 * the batch naming it), changed only where the values differ; customer.updated.v1 with the
 * difference, as update_customer writes it.
 */
create or replace function app_private.update_customers_from_import(imp app_public.customer_imports, from_row int, to_row int) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  fill boolean := imp.on_duplicate = 'fill';
  cur app_public.customers;
  nxt app_public.customers;
  r app_public.customer_import_rows;
begin
  for r in
    select x.* from app_public.customer_import_rows x
    where x.tenant_id = imp.tenant_id and x.import_id = imp.id and x.state = 'duplicate' and x.row_no between from_row and to_row
    order by x.row_no
  loop
    select c.* into cur from app_public.customers c where c.tenant_id = imp.tenant_id and c.id = r.customer_id for update;
    nxt := cur;
    if fill then
      nxt.email := coalesce(cur.email, r.email);
      nxt.phone := coalesce(cur.phone, r.phone);
      nxt.first_name := coalesce(cur.first_name, r.first_name);
      nxt.last_name := coalesce(cur.last_name, r.last_name);
      nxt.notes := coalesce(cur.notes, r.about);
      if cur.marketing_consent is null and r.email_consent is not null then
        nxt.marketing_consent := r.email_consent;
      end if;
      if r.company is not null and not cur.metadata ? 'company' then
        nxt.metadata := cur.metadata || jsonb_build_object('company', r.company);
      end if;
    else
      nxt.email := coalesce(r.email, cur.email);
      nxt.phone := coalesce(r.phone, cur.phone);
      nxt.first_name := coalesce(r.first_name, cur.first_name);
      nxt.last_name := coalesce(r.last_name, cur.last_name);
      nxt.notes := coalesce(r.about, cur.notes);
      nxt.marketing_consent := coalesce(r.email_consent, cur.marketing_consent);
      if r.company is not null then
        nxt.metadata := cur.metadata || jsonb_build_object('company', r.company);
      end if;
    end if;
    nxt.tags := app_hidden.normalize_tags(array(select jsonb_array_elements_text(cur.tags || coalesce(r.tags, '[]'))));
    if nxt.marketing_consent is distinct from cur.marketing_consent then
      nxt.marketing_consent_updated_at := now();
      nxt.marketing_consent_source := 'import';
    end if;
    if (nxt.email, nxt.phone, nxt.first_name, nxt.last_name, nxt.notes, nxt.tags, nxt.metadata, nxt.marketing_consent)
       is distinct from (cur.email, cur.phone, cur.first_name, cur.last_name, cur.notes, cur.tags, cur.metadata, cur.marketing_consent) then
      update app_public.customers c set
        email = nxt.email, phone = nxt.phone, first_name = nxt.first_name, last_name = nxt.last_name,
        notes = nxt.notes, tags = nxt.tags, metadata = nxt.metadata, marketing_consent = nxt.marketing_consent,
        marketing_consent_updated_at = nxt.marketing_consent_updated_at, marketing_consent_source = nxt.marketing_consent_source
      where c.tenant_id = cur.tenant_id and c.id = cur.id
      returning * into nxt;
      perform app_private.emit_event(nxt.tenant_id, 'customer.updated.v1', 'customer', nxt.id,
        jsonb_build_object('customer_id', nxt.id, 'customer_number', nxt.customer_number,
                           'display_name', nxt.display_name, 'status', nxt.status,
                           'changes', app_hidden.jsonb_diff(to_jsonb(cur), to_jsonb(nxt), array['created_at', 'updated_at'])),
        imp.committed_by);
    end if;
  end loop;
end;
$$;

------------------------------------------------------------------------------------------------
-- The error report (the server, as the member)

/*
 * The query (for COPY … TO STDOUT WITH (FORMAT csv, HEADER)) of the rows of an import that were
 * not imported: the row number, the file's cells under its own header, and the reason. Cells
 * and header names are defused like every export (app_hidden.csv_text). Null when the caller may
 * not read the import.
 */
create or replace function app_hidden.customer_import_report_query(import_id text) returns text
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.current_tenant_id();
  imp app_public.customer_imports;
  columns text;
begin
  if tenant is null or not app_hidden.has_permission('customers.import') then
    return null;
  end if;
  select i.* into imp from app_public.customer_imports i where i.tenant_id = tenant and i.id = import_id;
  if not found or app_public.customer_imports_report_url(imp) is null then
    return null;
  end if;
  select string_agg(format('app_hidden.csv_text(r.cells[%s]) as %I', h.n,
                           left(coalesce(nullif(app_hidden.csv_text(h.name), ''), 'column ' || h.n), 60)), ', ' order by h.n)
    into columns
  from unnest(imp.header) with ordinality as h(name, n);
  return format($q$
    select r.row_no as "row", %s, app_hidden.csv_text(r.reason) as reason
    from app_public.customer_import_rows r
    where r.tenant_id = %L and r.import_id = %L and r.state in ('invalid', 'file_duplicate', 'failed')
    order by r.row_no$q$, columns, imp.tenant_id, imp.id);
end;
$$;
comment on function app_hidden.customer_import_report_query(text) is 'The SQL of the rows of an import that were not imported, with their reason, for the caller (null when they may not read it).';
grant execute on function app_hidden.customer_import_report_query(text) to :DATABASE_VISITOR;

/* The file name of an import's error report: the file's name with -errors. */
create or replace function app_hidden.customer_import_report_name(import_id text) returns text
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select regexp_replace(regexp_replace(i.file_name, '\.[^.]*$', ''), '[^A-Za-z0-9._-]+', '-', 'g') || '-errors.csv'
  from app_public.customer_imports i
  where i.tenant_id = app_hidden.current_tenant_id() and i.id = import_id and app_hidden.has_permission('customers.import');
$$;
grant execute on function app_hidden.customer_import_report_name(text) to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Retention

/* Removes imports older than 30 days that are not being read or committed, with their files and staged rows. */
create or replace function app_private.delete_expired_customer_imports() returns int
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  with gone as (
    delete from app_public.customer_imports i
    where i.created_at < now() - interval '30 days' and i.status in ('uploading', 'ready', 'done', 'failed')
    returning 1)
  select count(*)::int from gone;
$$;
comment on function app_private.delete_expired_customer_imports() is 'Removes customer imports (with their files and staged rows) older than 30 days, except those being read or committed.';
--! EndIncluded customers/485-import.sql
--! Included customers/490-possible-duplicates.sql
-- Possible duplicates: two records of the same person. Email and phone are unique among live
-- customers (DUPEM, DUPPH), but a second "Zelda Quimby" with another email, or the same mobile
-- typed once nationally and once with another country code, is a new customer. This file is the
-- one rule that says how alike two customers are; the create forms ask it as the person types
-- (likely_duplicates) and the Possible duplicates page lists the pairs it finds
-- (possible_duplicate_pairs), each opening the merge preview. It never blocks anything.
--
-- The rule (app_hidden.customer_duplicate_score): each reason has a weight, and the score is
-- 1 - the product of (1 - weight) over the reasons found (0 to 1, shown rounded to 2 decimals;
-- two reasons together count for more than either):
--   * "Same email" (0.7): the same address (only for a customer not yet created: two live
--     customers cannot share one);
--   * "Same phone digits" (0.6): the same last 9 digits of the E.164 numbers, all of them when
--     shorter. Phones are stored in E.164, read with the business's country when typed without
--     a country code, so "06 12 34 56 78" typed in a US shop is +10612345678 and the same
--     mobile typed "+33 6 12 34 56 78" is +33612345678: the national number is the end of both.
--     9 digits is the national number of most countries (FR, ES, PT…), the end of it elsewhere;
--   * "Same email name at another domain" (0.5): the part before @ (without a +tag), of at least
--     3 characters and not a shared mailbox (info, contact, hello, admin…): zelda.q@gmail.com and
--     zelda.q@work.example;
--   * "Same name" / "Similar name (0.69)" (0.6 × the similarity): pg_trgm similarity of the
--     lower-cased first and last names, counted from 0.6. At 0.6 a one-letter slip or spelling
--     variant counts (Zelda Quimby / Zelda Quimbey 0.69, Jon / John Smith 0.62, Steven / Stephen
--     Walker 0.61, Katherine / Catherine Brown 0.68) and different people with close names do not
--     (John / Joan Smith 0.57, James / Jane Smith 0.53, Michael / Michelle Brown 0.53, Mary
--     Jones / Mary Johnson 0.41); pg_trgm's default of 0.3 finds all of these.
-- So a pair is listed when it has at least one reason: the same name alone scores 0.6, a similar
-- name with the same phone digits 0.80 and more.
--
-- Which customers are compared (blocking keys): comparing every pair is quadratic (20 billion
-- pairs at 200,000 customers), and a trigram index probe per customer (lower(display_name) %
-- name, threshold 0.6, on customers_search_name_trgm_idx, which holds every tenant's customers)
-- took 11 to 217 ms each in the data set measured below: hours for a tenant. So two customers are
-- compared only when they share a key, each an expression indexed among live customers
-- (customers_duplicate_*_idx, covering: read index-only), and the warning looks its keys up:
--   * app_hidden.duplicate_phone_key: the last 9 digits of the phone;
--   * app_hidden.duplicate_email_key: the email name as above;
--   * app_hidden.duplicate_surname_key: the last name and the first letter of the first name;
--   * app_hidden.duplicate_given_name_key: the first name and the first letter of the last name.
-- A slip in one of the names is found (the other and its first letter are the key); a slip in
-- both, or in a first letter (Katherine / Catherine), is not. A key shared by more than 10 live
-- customers (a common name such as "James Smith" in a large shop, an email name like "sales")
-- is not evidence that any two of them are the same person, and comparing them all would be
-- quadratic again: it is left out, in both the pairs and the warning (the warning leaves out a
-- key that 10 customers already share, which the new one would make 11).
-- The keys are expressions of these functions in indexes: changing one of them changes nothing
-- stored by itself; the migration that changes it must rebuild its index (reindex), or the
-- lookups read stale keys.
--
-- Measured (2026-12-07, the 2-core development machine shared with other test runs, load average
-- 5 to 9; a tenant of 200,000 customers among 500,000, with the bench's skewed first and last
-- names (bench/data.ts), phones and emails, plus 500 planted pairs of each kind; EXPLAIN ANALYZE
-- and psql timings, warm):
--   * the first page of pairs (25): 0.28 to 0.37 s at a load average of 3 (0.26 to 0.6 s at 5 to
--     9; about 1 s for the first call on a new connection), about 0.3 s of it the four index-only scans
--     that count each key (200,000 index entries each); 15,000 candidate name pairs, of which
--     only the page's are scored. Before the indexes were covering (index scans reading the
--     table) it took 6.6 s, and 1.2 s while every name pair was scored. It grows with the
--     tenant's customers (a scan of each key index), not with the pairs;
--   * likely_duplicates (the warning, per pause in the typing): 1 to 30 ms.
--
-- Dismissed pairs (app_private.customer_duplicate_dismissals, smaller id first so that (a, b) is
-- (b, a)) are not listed again; merging a pair leaves one live customer, so the pair goes by
-- itself.

-- A dismissal is a decision about customers, audited like a merge (who, when, which pair).
create or replace trigger _500_audit after insert or delete on app_private.customer_duplicate_dismissals
  for each row execute function app_private.tg__audit('created_at');

/*
 * The blocking keys. Each takes a value as stored (email lower-cased and trimmed, phone in
 * E.164, names trimmed) and is a plain expression, cheap to compute again for every row of an
 * index-only scan (PostgreSQL recomputes an indexed expression from the columns it includes).
 */

/* The last 9 digits of an E.164 phone number (all of it when shorter): what two ways of writing one number share. */
create or replace function app_hidden.duplicate_phone_key(phone text) returns text
language sql immutable parallel safe
as $$
  select right(phone, 9);
$$;
comment on function app_hidden.duplicate_phone_key(text) is 'Possible duplicates: the last 9 digits of an E.164 phone number (customers/490-possible-duplicates.sql).';

/* The name part of an email address: before @, without a +tag. */
create or replace function app_hidden.duplicate_email_key(email text) returns text
language sql immutable parallel safe
as $$
  select split_part(split_part(email, '@', 1), '+', 1);
$$;
comment on function app_hidden.duplicate_email_key(text) is 'Possible duplicates: the name part of an email address (customers/490-possible-duplicates.sql).';

/* The last name and the first letter of the first name, lower case; null without a last name. */
create or replace function app_hidden.duplicate_surname_key(first_name text, last_name text) returns text
language sql immutable parallel safe
as $$
  select lower(last_name || '|' || left(coalesce(first_name, ''), 1));
$$;
comment on function app_hidden.duplicate_surname_key(text, text) is 'Possible duplicates: last name and first initial (customers/490-possible-duplicates.sql).';

/* The first name and the first letter of the last name, lower case; null without a first name. */
create or replace function app_hidden.duplicate_given_name_key(first_name text, last_name text) returns text
language sql immutable parallel safe
as $$
  select lower(first_name || '|' || left(coalesce(last_name, ''), 1));
$$;
comment on function app_hidden.duplicate_given_name_key(text, text) is 'Possible duplicates: first name and last initial (customers/490-possible-duplicates.sql).';

/* First and last name as compared: lower case, one space between; null without either. */
create or replace function app_hidden.duplicate_full_name(first_name text, last_name text) returns text
language sql immutable parallel safe
as $$
  select lower(nullif(btrim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')), ''));
$$;
comment on function app_hidden.duplicate_full_name(text, text) is 'Possible duplicates: the name compared by trigram similarity (customers/490-possible-duplicates.sql).';

/*
 * How likely two customers (names, email and phone as stored) are the same person: the score
 * (0 to 1, not rounded) and the reasons in words, strongest first; no reason, score 0. The rule is in the
 * header of this file: its weights, and the shared mailboxes whose name says nothing.
 */
create or replace function app_hidden.customer_duplicate_score(
  first_name text, last_name text, email text, phone text,
  other_first_name text, other_last_name text, other_email text, other_phone text,
  out score double precision, out reasons text[])
language plpgsql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
declare
  email_name text := app_hidden.duplicate_email_key(email);
  name_similarity real := public.similarity(
    app_hidden.duplicate_full_name(first_name, last_name), app_hidden.duplicate_full_name(other_first_name, other_last_name));
  unlikely numeric := 1;
begin
  reasons := '{}';
  if email = other_email then
    reasons := reasons || 'Same email'::text;
    unlikely := unlikely * (1 - 0.7);
  end if;
  if app_hidden.duplicate_phone_key(phone) = app_hidden.duplicate_phone_key(other_phone) then
    reasons := reasons || 'Same phone digits'::text;
    unlikely := unlikely * (1 - 0.6);
  end if;
  if email <> other_email and email_name = app_hidden.duplicate_email_key(other_email)
     and length(email_name) >= 3 and email_name <> all (array[
       'info', 'contact', 'hello', 'admin', 'office', 'sales', 'shop', 'store', 'support', 'mail', 'email',
       'noreply', 'no-reply', 'team', 'enquiries', 'enquiry', 'bookings', 'booking', 'accounts', 'billing',
       'orders', 'order', 'service', 'reception', 'customer', 'customers', 'test']) then
    reasons := reasons || 'Same email name at another domain'::text;
    unlikely := unlikely * (1 - 0.5);
  end if;
  if name_similarity >= 0.6 then
    reasons := reasons || case when name_similarity = 1 then 'Same name'
                               else format('Similar name (%s)', to_char(name_similarity, 'FM0.00')) end;
    unlikely := unlikely * (1 - 0.6 * name_similarity::numeric);
  end if;
  -- Exact, so that the order of name-only pairs is that of their similarity (callers round it to show it).
  score := (1 - unlikely)::double precision;
end;
$$;
comment on function app_hidden.customer_duplicate_score(text, text, text, text, text, text, text, text) is
  'Possible duplicates: how likely two customers are the same person (0 to 1) and why, in words (customers/490-possible-duplicates.sql).';

/*
 * The Possible duplicates page (needs customers.merge): up to `max_pairs` likely pairs of live
 * customers (1 to 100, default 25) after the first `skip`, best first (score, then the older
 * pair), less the dismissed ones. Paged here rather than by a GraphQL connection: the pairs must
 * all be found and sorted whatever the page, and only the page's customers are then read.
 *
 * How (at 200,000 customers, every step reads an index, never the table):
 *   1. the keys that 2 to 10 live customers share, each counted from its index read index-only
 *      in key order (a count per key, no list: almost every key has one customer);
 *   2. the customers of those keys, by index lookups: the pairs within each key;
 *   3. a pair sharing a phone or email key is read and scored in full; a pair sharing only a name
 *      key is scored from the names its index holds (it shares no phone or email key of 10 or
 *      fewer, so those reasons cannot apply), and only the most similar of them, as many as the
 *      page needs: for them the score grows with the similarity;
 *   4. sorted, paged, and only then the page's customers read for their details.
 * The query is RETURN QUERY of plpgsql (not a SQL function), which may use parallel workers.
 */
create or replace function app_public.possible_duplicate_pairs(max_pairs int default 25, skip int default 0)
returns setof app_public.possible_duplicate_pair
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
-- Compiling this query costs more than running it (0.6 s of JIT at 200,000 customers).
set jit to off
-- Planned for the keys of each call: a generic plan (what plpgsql settles on after 5 calls on a
-- connection) cannot know how few they are, and reads the whole tenant again (1 s, not 0.1 s).
set plan_cache_mode to force_custom_plan
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.merge');
  phone_keys text[];
  email_keys text[];
  surname_keys text[];
  given_name_keys text[];
begin
  if max_pairs is null or max_pairs < 1 or max_pairs > 100 then
    perform app_hidden.raise_error('BADIN', 'Ask for 1 to 100 pairs at a time.', field => 'max_pairs');
  end if;
  if skip is null or skip < 0 then
    perform app_hidden.raise_error('BADIN', 'The pairs to skip must be 0 or more.', field => 'skip');
  end if;
  -- The keys first, each into an array: the planner then knows how few they are (estimated from
  -- a GROUP BY it guessed millions of pairs, and read the whole tenant to fetch a few hundred).
  select coalesce(array_agg(k.key), '{}') into phone_keys from (
    select app_hidden.duplicate_phone_key(c.phone) as key
    from app_public.customers c
    where c.tenant_id = tenant and c.status in ('active', 'archived') and c.phone is not null
    group by 1 having count(*) between 2 and 10) k;
  select coalesce(array_agg(k.key), '{}') into email_keys from (
    select app_hidden.duplicate_email_key(c.email) as key
    from app_public.customers c
    where c.tenant_id = tenant and c.status in ('active', 'archived') and c.email is not null
    group by 1 having count(*) between 2 and 10) k;
  select coalesce(array_agg(k.key), '{}') into surname_keys from (
    select app_hidden.duplicate_surname_key(c.first_name, c.last_name) as key
    from app_public.customers c
    where c.tenant_id = tenant and c.status in ('active', 'archived') and c.last_name is not null
    group by 1 having count(*) between 2 and 10) k;
  select coalesce(array_agg(k.key), '{}') into given_name_keys from (
    select app_hidden.duplicate_given_name_key(c.first_name, c.last_name) as key
    from app_public.customers c
    where c.tenant_id = tenant and c.status in ('active', 'archived') and c.first_name is not null
    group by 1 having count(*) between 2 and 10) k;

  return query
  with contact_members as (
    select 1 as kind, app_hidden.duplicate_phone_key(c.phone) as key, c.id
    from app_public.customers c
    where c.tenant_id = tenant and c.status in ('active', 'archived') and c.phone is not null
      and app_hidden.duplicate_phone_key(c.phone) = any (phone_keys)
    union all
    select 2, app_hidden.duplicate_email_key(c.email), c.id
    from app_public.customers c
    where c.tenant_id = tenant and c.status in ('active', 'archived') and c.email is not null
      and app_hidden.duplicate_email_key(c.email) = any (email_keys)
  ),
  contact_pairs as (
    select distinct a.id as a_id, b.id as b_id
    from contact_members a
    join contact_members b on b.kind = a.kind and b.key = a.key and a.id collate "C" < b.id collate "C"
  ),
  name_members as (
    select 1 as kind, app_hidden.duplicate_surname_key(c.first_name, c.last_name) as key, c.id, c.first_name, c.last_name
    from app_public.customers c
    where c.tenant_id = tenant and c.status in ('active', 'archived') and c.last_name is not null
      and app_hidden.duplicate_surname_key(c.first_name, c.last_name) = any (surname_keys)
    union all
    select 2, app_hidden.duplicate_given_name_key(c.first_name, c.last_name), c.id, c.first_name, c.last_name
    from app_public.customers c
    where c.tenant_id = tenant and c.status in ('active', 'archived') and c.first_name is not null
      and app_hidden.duplicate_given_name_key(c.first_name, c.last_name) = any (given_name_keys)
  ),
  name_pairs as (
    select distinct a.id as a_id, b.id as b_id,
           a.first_name as a_first, a.last_name as a_last, b.first_name as b_first, b.last_name as b_last,
           public.similarity(app_hidden.duplicate_full_name(a.first_name, a.last_name),
                             app_hidden.duplicate_full_name(b.first_name, b.last_name)) as similarity
    from name_members a
    join name_members b on b.kind = a.kind and b.key = a.key and a.id collate "C" < b.id collate "C"
  ),
  -- A pair sharing only a name key scores by its names alone, which the rule makes grow with
  -- their similarity: the best of them by similarity are the best by score, so only as many as
  -- the page could show are scored (there are thousands at 200,000 customers).
  name_only as (
    select x.* from name_pairs x
    where x.similarity >= 0.6
      and not exists (select 1 from contact_pairs y where y.a_id = x.a_id and y.b_id = x.b_id)
      and not exists (
        select 1 from app_private.customer_duplicate_dismissals d
        where d.tenant_id = tenant and d.customer_id = x.a_id and d.other_customer_id = x.b_id)
    order by x.similarity desc, x.a_id, x.b_id
    limit max_pairs + skip
  ),
  scored as (
    -- Each pair's two customers looked up by id (offset 0 keeps it so: with a misestimate of
    -- the pairs, the planner hashed the tenant's every customer to read a few hundred).
    select x.a_id, x.b_id, s.score, s.reasons
    from contact_pairs x
    cross join lateral (
      select t.score, t.reasons
      from app_public.customers a
      join app_public.customers b on b.tenant_id = tenant and b.id = x.b_id
      cross join lateral app_hidden.customer_duplicate_score(
        a.first_name, a.last_name, a.email, a.phone, b.first_name, b.last_name, b.email, b.phone) t
      where a.tenant_id = tenant and a.id = x.a_id
      offset 0) s
    union all
    select x.a_id, x.b_id, s.score, s.reasons
    from name_only x
    cross join lateral app_hidden.customer_duplicate_score(
      x.a_first, x.a_last, null, null, x.b_first, x.b_last, null, null) s
  ),
  page as (
    select x.* from scored x
    where x.score > 0
      and not exists (
        select 1 from app_private.customer_duplicate_dismissals d
        where d.tenant_id = tenant and d.customer_id = x.a_id and d.other_customer_id = x.b_id)
    order by x.score desc, x.a_id, x.b_id
    limit max_pairs offset skip
  )
  select a.id, a.customer_number, a.display_name, a.email, a.phone,
         b.id, b.customer_number, b.display_name, b.email, b.phone,
         round(p.score::numeric, 2)::double precision, p.reasons
  from page p
  join app_public.customers a on a.tenant_id = tenant and a.id = p.a_id
  join app_public.customers b on b.tenant_id = tenant and b.id = p.b_id
  order by p.score desc, p.a_id, p.b_id;
end;
$$;
comment on function app_public.possible_duplicate_pairs(int, int) is
  E'@behavior +list -connection\n@listSuffix omit\nA page of pairs of live customers that are likely the same person (needs customers.merge), best first: same phone digits, same email name at another domain, same or similar names. At most maxPairs (1 to 100, default 25) after the first skip. Dismissed pairs are left out; each pair can be merged (mergeCustomers) or dismissed (dismissPossibleDuplicate).';

/*
 * The live customers (active or archived) that a customer about to be created with these
 * values would likely duplicate, best first, at most 5 (needs customers.view). Called as the
 * person types: the values are read as create_customer would read them (the phone with the
 * business's country), but a value not yet valid (a phone still being typed) is not an error,
 * it is left out. Each candidate comes from the same blocking keys as the pairs, through their
 * indexes, and the exact email and phone through their unique indexes.
 */
create or replace function app_public.likely_duplicates(
  first_name text default null,
  last_name text default null,
  email text default null,
  phone text default null
) returns setof app_public.likely_duplicate
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.view');
  first_clean text := left(nullif(app_hidden.trim_blank(first_name), ''), 100);
  last_clean text := left(nullif(app_hidden.trim_blank(last_name), ''), 100);
  email_clean text;
  e164 text;
  phone_key text;
  email_key text;
  surname_key text;
  given_key text;
begin
  -- The email and phone as create_customer reads them; one still being typed (not valid yet) is
  -- no evidence (before its @, "zelda" would share its name with zelda@…).
  begin
    email_clean := app_hidden.optional_email(email);
  exception when sqlstate 'BADEM' then
    email_clean := null;
  end;
  if nullif(btrim(phone), '') is not null then
    begin
      e164 := app_hidden.normalize_phone(left(phone, 40), (select t.default_country from app_public.tenants t where t.id = tenant));
    exception when sqlstate 'BADPH' then
      e164 := null;
    end;
  end if;
  -- A key that 10 live customers already share says nothing (see the header): it is not used.
  phone_key := app_hidden.duplicate_phone_key(e164);
  if phone_key is not null and (select count(*) from (
      select 1 from app_public.customers c
      where c.tenant_id = tenant and c.status in ('active', 'archived') and c.phone is not null and app_hidden.duplicate_phone_key(c.phone) = phone_key
      limit 10) x) >= 10 then
    phone_key := null;
  end if;
  email_key := app_hidden.duplicate_email_key(email_clean);
  if email_key is not null and (select count(*) from (
      select 1 from app_public.customers c
      where c.tenant_id = tenant and c.status in ('active', 'archived') and c.email is not null and app_hidden.duplicate_email_key(c.email) = email_key
      limit 10) x) >= 10 then
    email_key := null;
  end if;
  surname_key := case when last_clean is not null then app_hidden.duplicate_surname_key(first_clean, last_clean) end;
  if surname_key is not null and (select count(*) from (
      select 1 from app_public.customers c
      where c.tenant_id = tenant and c.status in ('active', 'archived') and c.last_name is not null
        and app_hidden.duplicate_surname_key(c.first_name, c.last_name) = surname_key
      limit 10) x) >= 10 then
    surname_key := null;
  end if;
  given_key := case when first_clean is not null then app_hidden.duplicate_given_name_key(first_clean, last_clean) end;
  if given_key is not null and (select count(*) from (
      select 1 from app_public.customers c
      where c.tenant_id = tenant and c.status in ('active', 'archived') and c.first_name is not null
        and app_hidden.duplicate_given_name_key(c.first_name, c.last_name) = given_key
      limit 10) x) >= 10 then
    given_key := null;
  end if;

  return query
  with candidates as (
    select c.id from app_public.customers c
    where phone_key is not null and c.tenant_id = tenant and c.status in ('active', 'archived') and c.phone is not null
      and app_hidden.duplicate_phone_key(c.phone) = phone_key
    union
    select c.id from app_public.customers c
    where email_key is not null and c.tenant_id = tenant and c.status in ('active', 'archived') and c.email is not null
      and app_hidden.duplicate_email_key(c.email) = email_key
    union
    select c.id from app_public.customers c
    where surname_key is not null and c.tenant_id = tenant and c.status in ('active', 'archived') and c.last_name is not null
      and app_hidden.duplicate_surname_key(c.first_name, c.last_name) = surname_key
    union
    select c.id from app_public.customers c
    where given_key is not null and c.tenant_id = tenant and c.status in ('active', 'archived') and c.first_name is not null
      and app_hidden.duplicate_given_name_key(c.first_name, c.last_name) = given_key
    union
    select c.id from app_public.customers c
    where email_clean is not null and c.tenant_id = tenant and c.status in ('active', 'archived') and c.email = email_clean
    union
    select c.id from app_public.customers c
    where e164 is not null and c.tenant_id = tenant and c.status in ('active', 'archived') and c.phone = e164
  )
  select c.id, c.customer_number, c.display_name, c.email, c.phone, c.status, round(s.score::numeric, 2)::double precision, s.reasons
  from candidates x
  join app_public.customers c on c.tenant_id = tenant and c.id = x.id
  cross join lateral app_hidden.customer_duplicate_score(
    first_clean, last_clean, email_clean, e164, c.first_name, c.last_name, c.email, c.phone) s
  where s.score > 0
  order by s.score desc, c.display_name, c.id
  limit 5;
end;
$$;
comment on function app_public.likely_duplicates(text, text, text, text) is
  E'@behavior +list -connection\n@listSuffix omit\nThe live customers that a customer about to be created with these values would likely duplicate (needs customers.view): at most 5, best first, each with a score (0 to 1) and the reasons in words. Never an error for a value still being typed. Creating the customer is not blocked.';

/*
 * "Not a duplicate": the two live customers are different people, and the Possible duplicates
 * page stops offering the pair (needs customers.merge). Kept once per pair, whichever order the
 * ids come in; dismissing it again changes nothing (false). Audited.
 */
create or replace function app_public.dismiss_possible_duplicate(customer_id text, duplicate_id text) returns boolean
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.merge');
  one app_public.customers;
  other app_public.customers;
  inserted int;
begin
  if customer_id is null or duplicate_id is null then
    perform app_hidden.raise_error('BADIN', 'Choose the two customers that are not the same person.');
  end if;
  if customer_id = duplicate_id then
    perform app_hidden.raise_error('BADIN', 'Choose two different customers.', field => 'duplicate_id');
  end if;
  select c.* into one from app_public.customers c where c.tenant_id = tenant and c.id = dismiss_possible_duplicate.customer_id;
  select c.* into other from app_public.customers c where c.tenant_id = tenant and c.id = dismiss_possible_duplicate.duplicate_id;
  if one.id is null or other.id is null then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.',
      left(case when one.id is null then customer_id else duplicate_id end, 40)));
  end if;
  if one.status = 'merged' or other.status = 'merged' then
    perform app_hidden.raise_error('CMRGD', 'One of these customers was already merged into another customer.',
      case when one.status = 'merged' then one.merged_into_id else other.merged_into_id end);
  end if;
  if one.status = 'erased' or other.status = 'erased' then
    perform app_hidden.raise_error('ERASD', 'One of these customers was erased: it is nobody''s duplicate.',
      case when one.status = 'erased' then one.id else other.id end);
  end if;
  perform app_private.begin_change('dismiss_possible_duplicate', null);
  insert into app_private.customer_duplicate_dismissals (tenant_id, customer_id, other_customer_id, dismissed_by)
  values (tenant,
          least(one.id collate "C", other.id collate "C"),
          greatest(one.id collate "C", other.id collate "C"),
          app_hidden.current_user_id())
  on conflict on constraint customer_duplicate_dismissals_pair_key do nothing;
  get diagnostics inserted = row_count;
  perform app_private.end_change();
  return inserted > 0;
end;
$$;
comment on function app_public.dismiss_possible_duplicate(text, text) is
  'Says that two customers are not the same person (needs customers.merge): the Possible duplicates page no longer lists the pair. True when newly dismissed, false when it already was. NOTFD for an unknown customer, CMRGD for a merged one.';

/*
 * The import's preview warns like the add-customer form: for a row of a customer import that
 * would make a new customer, the live customers it is likely the same person as (the rule above,
 * through likely_duplicates), best first, at most 3. Rows that already match a customer by email
 * or phone are duplicates of it (customers/485-import.sql), not warned about.
 */
create or replace function app_public.customer_import_rows_likely_duplicates(r app_public.customer_import_rows)
returns setof app_public.likely_duplicate
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select d.* from app_public.likely_duplicates(r.first_name, r.last_name, r.email, r.phone) as d
  where r.state = 'new'
  limit 3;
$$;
comment on function app_public.customer_import_rows_likely_duplicates(app_public.customer_import_rows) is
  'For a row that would make a new customer: the customers it is likely the same person as, with why (as the add-customer form warns).';
grant execute on function app_public.customer_import_rows_likely_duplicates(app_public.customer_import_rows) to :DATABASE_VISITOR;
--! EndIncluded customers/490-possible-duplicates.sql
-- One data bundle of a customer at a time.
--! Included customers/495-data-requests.sql
-- A customer's own data request (GDPR articles 15, 17 and 20; CCPA's right to know and to delete),
-- asked in person or by mail and answered by a member with customers.erase (owners by default):
--
-- * Access: request_customer_data(customer, reason) records a customer_data_exports row and queues
--   the worker (worker/tasks/customer-data-export.ts), which writes one zip: customer.json
--   (everything, structured: app_private.customer_data_document) and orders.csv, order-lines.csv,
--   timeline.csv (COPY of app_private.customer_data_csv_query, formulas defused). Stored as chunks
--   in the database like the CSV exports (reporting/650-exports.sql says why), downloaded from
--   GET /customer-data/:id (web/server/customer-data.ts) by members with customers.erase, kept 7
--   days. Its own table rather than reporting.exports: those are readable by anyone with
--   reports.export (managers), and a person's whole file is not a report.
--
-- * Erasure: erase_customer(customer, reason) anonymises the person and keeps the business's
--   records. The customer row stays (orders, counters and read models point at it) as "Erased
--   customer", status erased, with no email, phone, last name, notes, tags, metadata, consent or
--   type; its notes, addresses, preferences, contact channels and favourites are deleted. The same
--   holds for every customer merged into it (the same person). What else held the person is
--   scrubbed in the same transaction: the payloads of its customer.* events (names, email, phone,
--   tags → nothing, the name → "Erased customer", values of changes → "[erased]"; a rebuild of the
--   read models gives what the incremental consumers hold), the audit trail about it (values of
--   diffs and the reasons of earlier changes → "[erased]"), the snapshots of its merges and its
--   data bundles. CSV exports of the customers list made in the last 7 days still name the person
--   until they expire: erasing one person does not delete the business's other files (the dialog
--   says so). Orders, their lines, payments, refunds, the event log's order events (which carry
--   only the customer's id) and every read model stay: the daily sales do not move. The email and
--   phone are free for a new customer; search, merge, the till and every customer command refuse
--   an erased customer (ERASD).
--
-- Both are audited on the customer with the requester and a mandatory reason
-- (app_private.begin_change): commands request_customer_data and erase_customer. The reason of
-- those two is kept by later erasures (it is the record of why); write no personal data in it.

------------------------------------------------------------------------------------------------
-- Access requests: the bundle's row, its download URL, its permission

create or replace trigger _100_timestamps before insert or update on app_public.customer_data_exports
  for each row execute function app_private.tg__timestamps();

drop policy if exists select_with_permission on app_public.customer_data_exports;
create policy select_with_permission on app_public.customer_data_exports for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.erase')));

revoke all on app_public.customer_data_exports from :DATABASE_VISITOR;
grant select on app_public.customer_data_exports to :DATABASE_VISITOR;

/* The path the admin downloads a finished bundle from. */
create or replace function app_public.customer_data_exports_download_url(e app_public.customer_data_exports) returns text
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select case when e.status = 'done' then '/customer-data/' || e.id end;
$$;
comment on function app_public.customer_data_exports_download_url(app_public.customer_data_exports) is 'Where to download the zip (GET, same site) once it is done; null before.';
grant execute on function app_public.customer_data_exports_download_url(app_public.customer_data_exports) to :DATABASE_VISITOR;

/* The customer a data request is about: NOTFD, CMRGD (ask the customer it was merged into, which holds its data) or ERASD. */
create or replace function app_private.customer_for_data_request(tenant_id text, customer_id text) returns app_public.customers
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  cur app_public.customers;
begin
  select c.* into cur from app_public.customers c
  where c.tenant_id = customer_for_data_request.tenant_id and c.id = customer_for_data_request.customer_id
  for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.', coalesce(left(customer_id, 40), '(none given)')));
  elsif cur.status = 'merged' then
    perform app_hidden.raise_error('CMRGD',
      'This customer was merged into another one, which holds its data now: answer the request on that customer.', cur.merged_into_id);
  elsif cur.status = 'erased' then
    perform app_hidden.raise_error('ERASD', 'This customer''s personal data was already erased.', cur.id);
  end if;
  return cur;
end;
$$;

/*
 * Asks the worker for everything held about a customer (needs customers.erase; a reason is
 * required and audited on the customer). Returns the bundle's row: poll it until done.
 */
create or replace function app_public.request_customer_data(customer_id text, reason text) returns app_public.customer_data_exports
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.erase');
  why text := app_private.begin_change('request_customer_data', reason, required => true);
  cur app_public.customers := app_private.customer_for_data_request(tenant, customer_id);
  result app_public.customer_data_exports;
begin
  -- One bundle of a customer at a time: asking again while one is being written answers that one.
  select x.* into result from app_public.customer_data_exports x
  where x.tenant_id = tenant and x.customer_id = cur.id and x.status in ('pending', 'running')
  order by x.created_at desc limit 1;
  if found then
    perform app_private.end_change();
    return result;
  end if;
  insert into app_public.customer_data_exports (tenant_id, customer_id, reason, file_name, requested_by)
  values (tenant, cur.id, why,
          'customer-data_' || lower(cur.customer_number) || '_' || to_char(now() at time zone 'UTC', 'YYYY-MM-DD') || '.zip',
          app_hidden.current_user_id())
  returning * into result;
  perform app_private.audit_customer_change(tenant, cur.id,
    jsonb_build_object('data_access_request', jsonb_build_object('old', null, 'new', result.id)));
  perform graphile_worker.add_job('customer_data_export', json_build_object('tenantId', tenant, 'exportId', result.id), max_attempts := 3);
  perform app_private.end_change();
  return result;
end;
$$;
comment on function app_public.request_customer_data(text, text) is
  E'@resultFieldName dataExport\nAnswers a customer''s request for their data (needs customers.erase): the worker writes a zip of everything held about them (customer.json, orders.csv, order-lines.csv, timeline.csv). The reason is required and kept in the audit log. Poll the returned row until its status is done, then download its downloadUrl (kept 7 days); asked again while one is being written, it answers that one. NOTFD, CMRGD (answer on the customer it was merged into), ERASD.';
grant execute on function app_public.request_customer_data(text, text) to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- What the bundle holds

/* The audit entries about customers (given ids: a customer and those merged into it): changes of their rows, notes, addresses, merges and of which customer an order is for. */
create or replace function app_private.customer_audit_entry_ids(tenant_id text, customer_ids text[]) returns setof text
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  with direct as (
    select a.id, a.entity, a.entity_id from app_public.audit_entries a
    where a.tenant_id = customer_audit_entry_ids.tenant_id
      and ((a.entity = 'customers' and a.entity_id = any(customer_ids))
           -- Notes, addresses, and orders (their sale, a merge moving them) name the customer they belong to.
           or (a.changes -> 'customer_id' ->> 'old' = any(customer_ids) or a.changes -> 'customer_id' ->> 'new' = any(customer_ids))
           or (a.entity = 'customer_merges'
               and (a.changes -> 'primary_id' ->> 'new' = any(customer_ids) or a.changes -> 'duplicate_id' ->> 'new' = any(customer_ids))))
  ),
  -- A note's later edits name only what changed, not its customer: found by the note's id.
  satellites as (
    select d.entity, d.entity_id from direct d where d.entity in ('customer_notes', 'customer_addresses')
    union
    select 'customer_notes', n.id from app_public.customer_notes n
    where n.tenant_id = customer_audit_entry_ids.tenant_id and n.customer_id = any(customer_ids)
    union
    select 'customer_addresses', x.id from app_public.customer_addresses x
    where x.tenant_id = customer_audit_entry_ids.tenant_id and x.customer_id = any(customer_ids)
  )
  select d.id from direct d
  union
  select a.id from satellites s
  join app_public.audit_entries a on a.tenant_id = customer_audit_entry_ids.tenant_id and a.entity = s.entity and a.entity_id = s.entity_id;
$$;
comment on function app_private.customer_audit_entry_ids(text, text[]) is 'Ids of the audit entries about these customers (rows, notes, addresses, merges): what a data bundle lists and an erasure scrubs.';

/*
 * customer.json: everything the business holds about a customer and the customers merged into it
 * (the same person), structured. Amounts are integers in minor units of the currency named at
 * the top; instants are ISO 8601.
 */
create or replace function app_private.customer_data_document(tenant_id text, customer_id text) returns jsonb
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  with c as (
    select x.* from app_public.customers x
    where x.tenant_id = customer_data_document.tenant_id and x.id = customer_data_document.customer_id
  ),
  h as (select app_private.customer_history_ids(c.tenant_id, c.id) as ids from c),
  cur as (select * from app_private.tenant_currency(customer_data_document.tenant_id))
  select jsonb_build_object(
    'format', 'backoffice.customer-data.v1',
    'generated_at', app_hidden.iso_utc(now()),
    'business', (select t.name from app_public.tenants t where t.id = c.tenant_id),
    'currency', jsonb_build_object('code', cur.code, 'minor_units', cur.minor_units,
                                   'note', 'Amounts are whole numbers of the currency''s minor unit (cents for USD).'),
    'customer', (to_jsonb(c) - 'tenant_id' - 'customer_type_id') || jsonb_build_object(
      'type', (select ty.label from app_public.customer_types ty where ty.tenant_id = c.tenant_id and ty.id = c.customer_type_id)),
    'merged_records', (select coalesce(jsonb_agg(to_jsonb(m) - 'tenant_id' order by m.id), '[]')
                       from app_public.customers m where m.tenant_id = c.tenant_id and m.id = any(h.ids) and m.id <> c.id),
    'purchase_history', (select to_jsonb(s) - 'tenant_id' - 'customer_id' - 'recent_visits'
                         from app_public.customer_stats s where s.tenant_id = c.tenant_id and s.customer_id = c.id),
    'notes', (select coalesce(jsonb_agg(jsonb_build_object('id', n.id, 'category', n.category, 'body', n.body,
                                                           'author', u.name, 'created_at', n.created_at, 'updated_at', n.updated_at)
                                        order by n.created_at, n.id), '[]')
              from app_public.customer_notes n left join app_public.users u on u.id = n.author_user_id
              where n.tenant_id = c.tenant_id and n.customer_id = any(h.ids)),
    'addresses', (select coalesce(jsonb_agg(to_jsonb(a) - 'tenant_id' - 'customer_id' order by a.created_at, a.id), '[]')
                  from app_public.customer_addresses a where a.tenant_id = c.tenant_id and a.customer_id = any(h.ids)),
    'consents', jsonb_build_object(
      'marketing', jsonb_build_object('agreed', c.marketing_consent, 'source', c.marketing_consent_source,
                                      'recorded_at', c.marketing_consent_updated_at),
      'contact_channels', (select coalesce(jsonb_agg(jsonb_build_object('channel', x.channel, 'agreed', x.allowed, 'source', x.source,
                                                                        'recorded_at', x.recorded_at) order by x.channel), '[]')
                           from app_public.customer_contact_channels x where x.tenant_id = c.tenant_id and x.customer_id = c.id)),
    'preferences', (select to_jsonb(p) - 'tenant_id' - 'customer_id'
                    from app_public.customer_preferences p where p.tenant_id = c.tenant_id and p.customer_id = c.id),
    'favourite_items', (select coalesce(jsonb_agg(i.name order by i.name), '[]')
                        from app_public.customer_favourite_items f
                        join app_public.catalog_items i on i.tenant_id = f.tenant_id and i.id = f.catalog_item_id
                        where f.tenant_id = c.tenant_id and f.customer_id = c.id),
    'orders', (select coalesce(jsonb_agg(jsonb_build_object(
        'id', o.id, 'location', l.name, 'status', o.status, 'placed_at', o.placed_at, 'business_date', o.business_date,
        'subtotal', o.subtotal, 'discount_total', o.discount_total, 'tax_name', o.tax_name, 'tax_rate_bps', o.tax_rate_bps,
        'tax_inclusive', o.tax_inclusive, 'tax_total', o.tax_total, 'total', o.total, 'paid_total', o.paid_total,
        'refunded_total', o.refunded_total, 'voided_at', o.voided_at, 'void_reason', o.void_reason,
        'cancelled_at', o.cancelled_at, 'cancel_reason', o.cancel_reason, 'created_at', o.created_at,
        'lines', (select coalesce(jsonb_agg(jsonb_build_object('line_no', ol.line_no, 'sku', ol.sku, 'name', ol.name,
                    'quantity', ol.quantity, 'unit_price', ol.unit_price, 'subtotal', ol.subtotal,
                    'discount', ol.line_discount + ol.order_discount_share, 'tax', ol.tax, 'total', ol.total) order by ol.line_no), '[]')
                  from app_public.order_lines ol where ol.tenant_id = o.tenant_id and ol.order_id = o.id),
        'payments', (select coalesce(jsonb_agg(jsonb_build_object('type', t.type, 'amount', t.applied_amount, 'recorded_at', t.created_at)
                       order by t.created_at, t.id), '[]')
                     from app_public.tenders t where t.tenant_id = o.tenant_id and t.order_id = o.id),
        'refunds', (select coalesce(jsonb_agg(jsonb_build_object('id', r.id, 'refunded_at', r.created_at, 'business_date', r.business_date,
                      'reason', r.reason, 'subtotal', r.subtotal, 'discount_total', r.discount_total, 'tax_total', r.tax_total, 'total', r.total,
                      'lines', (select coalesce(jsonb_agg(jsonb_build_object('line_no', ol.line_no, 'name', ol.name, 'quantity', rl.quantity,
                                  'total', rl.total) order by ol.line_no), '[]')
                                from app_public.order_refund_lines rl
                                join app_public.order_lines ol on ol.tenant_id = rl.tenant_id and ol.id = rl.order_line_id
                                where rl.tenant_id = r.tenant_id and rl.order_refund_id = r.id)) order by r.created_at, r.id), '[]')
                    from app_public.order_refunds r where r.tenant_id = o.tenant_id and r.order_id = o.id)
      ) order by o.created_at, o.id), '[]')
      from app_public.orders o left join app_public.locations l on l.tenant_id = o.tenant_id and l.id = o.location_id
      where o.tenant_id = c.tenant_id and o.customer_id = any(h.ids)),
    'timeline', (select coalesce(jsonb_agg(jsonb_build_object('occurred_at', t.occurred_at, 'kind', t.kind, 'summary', t.summary,
                                                              'by', t.actor_name) order by t.n), '[]')
                 from app_private.customer_timeline(c.tenant_id, c.id) with ordinality as t(occurred_at, kind, summary, actor_user_id, actor_name, subject_id, n)),
    'audit_entries', (select coalesce(jsonb_agg(jsonb_build_object('at', a.created_at, 'entity', a.entity, 'action', a.action,
                                                                   'by', u.name, 'command', a.command, 'reason', a.reason, 'changes', a.changes)
                                                order by a.created_at, a.id), '[]')
                      from app_public.audit_entries a left join app_public.users u on u.id = a.actor_user_id
                      where a.tenant_id = c.tenant_id and a.id in (select app_private.customer_audit_entry_ids(c.tenant_id, h.ids)))
  )
  from c, h, cur;
$$;
comment on function app_private.customer_data_document(text, text) is 'customer.json of a data bundle: everything held about a customer (and the customers merged into it), structured.';

/*
 * The query of one CSV file of the bundle (COPY cannot take parameters: values are quoted
 * literals). Text cells defused (app_hidden.csv_text), money in decimals beside the currency.
 */
create or replace function app_private.customer_data_csv_query(tenant_id text, customer_id text, file text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  ids text[] := app_private.customer_history_ids(tenant_id, customer_id);
begin
  case file
  when 'orders.csv' then
    return format($q$
      select o.id as order_id,
             to_char(o.placed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as placed_at, o.business_date,
             app_hidden.csv_text(l.name) as location, o.status, cur.code as currency,
             app_hidden.major_units(o.subtotal, cur.minor_units) as subtotal,
             app_hidden.major_units(o.discount_total, cur.minor_units) as discounts,
             app_hidden.major_units(o.tax_total, cur.minor_units) as tax,
             app_hidden.major_units(o.total, cur.minor_units) as total,
             app_hidden.major_units(o.paid_total, cur.minor_units) as paid,
             app_hidden.major_units(o.refunded_total, cur.minor_units) as refunded,
             to_char(o.voided_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as voided_at
      from app_public.orders o
      cross join app_private.tenant_currency(%1$L) cur
      left join app_public.locations l on l.tenant_id = o.tenant_id and l.id = o.location_id
      where o.tenant_id = %1$L and o.customer_id = any(%2$L::text[])
      order by o.created_at, o.id$q$, tenant_id, ids);
  when 'order-lines.csv' then
    return format($q$
      select ol.order_id, ol.line_no, app_hidden.csv_text(ol.sku) as sku, app_hidden.csv_text(ol.name) as item, ol.quantity,
             cur.code as currency,
             app_hidden.major_units(ol.unit_price, cur.minor_units) as unit_price,
             app_hidden.major_units(ol.subtotal, cur.minor_units) as subtotal,
             app_hidden.major_units(ol.line_discount + ol.order_discount_share, cur.minor_units) as discount,
             app_hidden.major_units(ol.tax, cur.minor_units) as tax,
             app_hidden.major_units(ol.total, cur.minor_units) as total,
             coalesce((select sum(rl.quantity) from app_public.order_refund_lines rl
                       where rl.tenant_id = ol.tenant_id and rl.order_line_id = ol.id), 0) as refunded_quantity
      from app_public.orders o
      join app_public.order_lines ol on ol.tenant_id = o.tenant_id and ol.order_id = o.id
      cross join app_private.tenant_currency(%1$L) cur
      where o.tenant_id = %1$L and o.customer_id = any(%2$L::text[])
      order by o.created_at, o.id, ol.line_no$q$, tenant_id, ids);
  when 'timeline.csv' then
    return format($q$
      select to_char(t.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as occurred_at, t.kind,
             app_hidden.csv_text(t.summary) as summary, app_hidden.csv_text(t.actor_name) as by
      from app_private.customer_timeline(%1$L, %2$L) with ordinality as t(occurred_at, kind, summary, actor_user_id, actor_name, subject_id, n)
      order by t.n$q$, tenant_id, customer_id);
  end case;
  return null;
end;
$$;
comment on function app_private.customer_data_csv_query(text, text, text) is 'The SQL whose rows make orders.csv, order-lines.csv or timeline.csv of a customer''s data bundle (for COPY … TO STDOUT).';

------------------------------------------------------------------------------------------------
-- The worker's side (owner; tenant explicit). Same life as a CSV export: start (old chunks go),
-- chunks with progress, finish once every chunk is stored, fail on the last attempt.

/*
 * Starts (or restarts) a bundle: forgets chunks of an earlier attempt and returns what the job
 * needs: {tenantId, exportId, customerId, fileName, csvFiles: [{name, query}]}. Null when it is
 * gone (the customer was erased meanwhile, or it expired) or already done.
 */
create or replace function app_private.start_customer_data_export(tenant_id text, export_id text) returns jsonb
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  x app_public.customer_data_exports;
begin
  select e.* into x from app_public.customer_data_exports e
  where e.tenant_id = start_customer_data_export.tenant_id and e.id = start_customer_data_export.export_id
  for update;
  if not found or x.status = 'done' then
    return null;
  end if;
  delete from app_private.customer_data_export_chunks c where c.tenant_id = x.tenant_id and c.export_id = x.id;
  update app_public.customer_data_exports e set status = 'running', started_at = now(), finished_at = null, error_message = null,
    files_written = 0, bytes_written = 0, chunk_count = 0
  where e.tenant_id = x.tenant_id and e.id = x.id;
  return jsonb_build_object('tenantId', x.tenant_id, 'exportId', x.id, 'customerId', x.customer_id, 'fileName', x.file_name,
    'csvFiles', (select jsonb_agg(jsonb_build_object('name', f.name, 'query', app_private.customer_data_csv_query(x.tenant_id, x.customer_id, f.name))
                                  order by f.n)
                 from unnest(array['orders.csv', 'order-lines.csv', 'timeline.csv']) with ordinality as f(name, n)));
end;
$$;
comment on function app_private.start_customer_data_export(text, text) is 'Marks a customer data bundle running and returns what the worker writes; null when it is gone or done.';

/* Stores the next chunk of a running bundle and its progress. False when it is no longer running. */
create or replace function app_private.write_customer_data_chunk(tenant_id text, export_id text, chunk_no int, data bytea,
                                                                 files_written int, bytes_written bigint) returns boolean
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  update app_public.customer_data_exports e set files_written = write_customer_data_chunk.files_written,
    bytes_written = write_customer_data_chunk.bytes_written, chunk_count = write_customer_data_chunk.chunk_no + 1
  where e.tenant_id = write_customer_data_chunk.tenant_id and e.id = write_customer_data_chunk.export_id and e.status = 'running';
  if not found then
    return false;
  end if;
  insert into app_private.customer_data_export_chunks (tenant_id, export_id, chunk_no, data)
  values (write_customer_data_chunk.tenant_id, write_customer_data_chunk.export_id, write_customer_data_chunk.chunk_no, write_customer_data_chunk.data);
  return true;
end;
$$;

/* Records how many files of a running bundle are written (progress between chunks). */
create or replace function app_private.customer_data_export_progress(tenant_id text, export_id text, files_written int) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  update app_public.customer_data_exports e set files_written = customer_data_export_progress.files_written
  where e.tenant_id = customer_data_export_progress.tenant_id and e.id = customer_data_export_progress.export_id and e.status = 'running';
$$;

/* Marks a running bundle done (downloadable) once every chunk is stored. */
create or replace function app_private.finish_customer_data_export(tenant_id text, export_id text, chunk_count int, bytes_written bigint)
returns boolean
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if (select count(*) from app_private.customer_data_export_chunks c
      where c.tenant_id = finish_customer_data_export.tenant_id and c.export_id = finish_customer_data_export.export_id)
     <> finish_customer_data_export.chunk_count then
    raise exception 'customer data export % of tenant %: % chunks expected', export_id, tenant_id, chunk_count;
  end if;
  update app_public.customer_data_exports e set status = 'done', finished_at = now(), files_written = e.files_total,
    chunk_count = finish_customer_data_export.chunk_count, bytes_written = finish_customer_data_export.bytes_written
  where e.tenant_id = finish_customer_data_export.tenant_id and e.id = finish_customer_data_export.export_id and e.status = 'running';
  return found;
end;
$$;

/* Marks a bundle failed (the worker gave up on it); its chunks go. */
create or replace function app_private.fail_customer_data_export(tenant_id text, export_id text, message text) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  delete from app_private.customer_data_export_chunks c
  where c.tenant_id = fail_customer_data_export.tenant_id and c.export_id = fail_customer_data_export.export_id;
  update app_public.customer_data_exports e set status = 'failed', finished_at = now(), error_message = left(message, 500)
  where e.tenant_id = fail_customer_data_export.tenant_id and e.id = fail_customer_data_export.export_id and e.status <> 'done';
$$;

/* Bundles older than 7 days go with their files (worker crontab, with the CSV exports). Returns how many. */
create or replace function app_private.delete_expired_customer_data_exports() returns int
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  with gone as (delete from app_public.customer_data_exports e where e.created_at < now() - interval '7 days' returning 1)
  select count(*)::int from gone;
$$;
comment on function app_private.delete_expired_customer_data_exports() is 'Removes customer data bundles (and their files) older than 7 days.';

------------------------------------------------------------------------------------------------
-- Downloading (GET /customer-data/:id as the API role with the session)

/*
 * Name, size and chunk count of a finished bundle of the current business, for a member with
 * customers.erase; no row for anything else (unknown, another business's, not finished, no
 * permission: never told apart). TSUSP when the business is suspended, as everywhere.
 */
create or replace function app_hidden.customer_data_file(export_id text)
returns table (file_name text, byte_size bigint, chunk_count int)
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.current_tenant_id();
begin
  if tenant is null or not app_hidden.has_permission('customers.erase') then
    return;
  end if;
  perform app_hidden.assert_tenant_active();
  return query
    select e.file_name, e.bytes_written, e.chunk_count
    from app_public.customer_data_exports e
    where e.tenant_id = tenant and e.id = customer_data_file.export_id and e.status = 'done';
end;
$$;
comment on function app_hidden.customer_data_file(text) is 'Name, size and chunk count of a finished customer data bundle the signed-in member may download; no row otherwise.';

create or replace function app_hidden.customer_data_chunk(export_id text, chunk_no int) returns bytea
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select c.data
  from app_public.customer_data_exports e
  join app_private.customer_data_export_chunks c on c.tenant_id = e.tenant_id and c.export_id = e.id and c.chunk_no = customer_data_chunk.chunk_no
  where e.tenant_id = app_hidden.current_tenant_id() and app_hidden.has_permission('customers.erase')
    and e.id = customer_data_chunk.export_id and e.status = 'done';
$$;
comment on function app_hidden.customer_data_chunk(text, int) is 'One chunk of a finished customer data bundle the signed-in member may download.';

------------------------------------------------------------------------------------------------
-- Erasure

/*
 * HOOK: refuses to erase a customer who owes the business money or is owed by it (OPBAL). Selling
 * on account (issue 18) does not exist yet, so there is no balance to read and this checks
 * nothing today: when accounts arrive, read the customer's balance here (in the currency's minor
 * units) instead of the constant. Erasing first would leave a debt owed by nobody.
 */
create or replace function app_private.assert_no_open_balance(tenant_id text, customer_id text) returns void
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  balance bigint := 0;  -- issue 18: the customer's account balance
begin
  if balance <> 0 then
    perform app_hidden.raise_error('OPBAL', format(
      'This customer''s account is not settled (%s): settle it before erasing their personal data.',
      app_hidden.format_money(balance, app_private.tenant_currency(tenant_id))), customer_id);
  end if;
end;
$$;
comment on function app_private.assert_no_open_balance(text, text) is 'Hook for selling on account (issue 18): OPBAL while the customer has an open balance. Checks nothing until accounts exist.';

/* Keys of rows and diffs whose values say nothing about the person (ids, states, kinds): an erasure keeps them. */
create or replace function app_hidden.erasure_kept_keys() returns text[]
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select array['id', 'tenant_id', 'customer_id', 'customer_number', 'status', 'merged_into_id', 'customer_type_id',
               'created_by', 'created_at', 'updated_at', 'author_user_id', 'recorded_by', 'recorded_at', 'merged_by_user_id',
               'primary_id', 'duplicate_id', 'merge_id', 'order_id', 'is_default', 'category', 'type', 'channel', 'source',
               'marketing_consent_source', 'marketing_consent_updated_at', 'moved_order_ids', 'moved_note_ids',
               'moved_address_ids', 'notes_note_id', 'data_access_request'];
$$;

/* A JSON row with every value that may be personal replaced by "[erased]" (nulls and kept keys stay). */
create or replace function app_hidden.erased_row(row_data jsonb) returns jsonb
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select case when jsonb_typeof(row_data) = 'object' then
    coalesce((select jsonb_object_agg(e.key, case when e.key = any(app_hidden.erasure_kept_keys()) or e.value = 'null'::jsonb
                                                  then e.value else '"[erased]"'::jsonb end)
              from jsonb_each(row_data) e), '{}'::jsonb)
    else row_data end;
$$;
comment on function app_hidden.erased_row(jsonb) is 'A JSON row (a merge snapshot) with its personal values replaced by "[erased]".';

/* A diff {field: {old, new}} (audit entries, customer.updated.v1) with the old and new personal values replaced by "[erased]". */
create or replace function app_hidden.erased_diff(diff jsonb) returns jsonb
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select case when jsonb_typeof(diff) = 'object' then
    coalesce((select jsonb_object_agg(e.key, case when e.key = any(app_hidden.erasure_kept_keys()) or jsonb_typeof(e.value) <> 'object'
                                                  then e.value else app_hidden.erased_row(e.value) end)
              from jsonb_each(diff) e), '{}'::jsonb)
    else diff end;
$$;
comment on function app_hidden.erased_diff(jsonb) is 'An audit diff with its personal old and new values replaced by "[erased]".';

/*
 * The payload of a customer.* event with the person taken out, keeping its shape: names, email,
 * phone and consent null, tags empty, the name "Erased customer" (what rebuilt read models then
 * show), values of changes "[erased]"; ids, numbers, statuses and counters stay.
 */
create or replace function app_hidden.erased_customer_payload(payload jsonb) returns jsonb
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select payload
    || (select coalesce(jsonb_object_agg(k, case k when 'tags' then '[]'::jsonb else 'null'::jsonb end), '{}'::jsonb)
        from jsonb_object_keys(payload) k where k in ('email', 'phone', 'first_name', 'last_name', 'tags', 'marketing_consent'))
    || case when payload ? 'display_name' then jsonb_build_object('display_name', 'Erased customer') else '{}'::jsonb end
    || case when payload ? 'changes' then jsonb_build_object('changes', app_hidden.erased_diff(payload -> 'changes')) else '{}'::jsonb end;
$$;
comment on function app_hidden.erased_customer_payload(jsonb) is 'A customer.* event payload with its personal data taken out (same keys and types).';

/*
 * Erases a customer's personal data on their request (needs customers.erase; a reason is
 * required and audited). See the top of this file for what goes and what stays. Refuses NOTFD,
 * CMRGD (erase the customer it was merged into: that one holds its data and erases it too), ERASD
 * (already erased) and, once selling on account exists, OPBAL. Returns the erased customer.
 */
create or replace function app_public.erase_customer(customer_id text, reason text) returns app_public.customers
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.erase');
  cur app_public.customers;
  ids text[];
  before_row app_public.customers;
  after_row app_public.customers;
  diff jsonb;
  result app_public.customers;
begin
  perform app_private.begin_change('erase_customer', reason, required => true);
  -- The customer first: once it is locked nothing can be merged into it, so the chain is fixed.
  cur := app_private.customer_for_data_request(tenant, customer_id);
  perform app_private.assert_no_open_balance(tenant, cur.id);
  ids := app_private.customer_history_ids(tenant, cur.id);
  perform 1 from app_public.customers c where c.tenant_id = tenant and c.id = any(ids) order by c.id for update;

  delete from app_public.customer_notes n where n.tenant_id = tenant and n.customer_id = any(ids);
  delete from app_public.customer_addresses a where a.tenant_id = tenant and a.customer_id = any(ids);
  -- The rows of imported files that made or matched them hold the file's cells (customers/485-import.sql).
  delete from app_public.customer_import_rows r where r.tenant_id = tenant and r.customer_id = any(ids);
  delete from app_public.customer_preferences p where p.tenant_id = tenant and p.customer_id = any(ids);
  delete from app_public.customer_contact_channels x where x.tenant_id = tenant and x.customer_id = any(ids);
  delete from app_public.customer_favourite_items f where f.tenant_id = tenant and f.customer_id = any(ids);

  for before_row in select c.* from app_public.customers c where c.tenant_id = tenant and c.id = any(ids) order by c.id loop
    update app_public.customers c set
      email = null, phone = null, first_name = 'Erased customer', last_name = null, notes = null, tags = '[]', metadata = '{}',
      marketing_consent = null, marketing_consent_updated_at = null, marketing_consent_source = null, customer_type_id = null,
      status = case when c.id = cur.id then 'erased' else c.status end
    where c.tenant_id = tenant and c.id = before_row.id
    returning * into after_row;
    diff := app_hidden.jsonb_diff(to_jsonb(before_row), to_jsonb(after_row), array['created_at', 'updated_at']);
    -- The consumers follow (the read models' name becomes "Erased customer"); the diff carries no value of the person.
    if diff <> '{}'::jsonb then
      perform app_private.emit_event(tenant, 'customer.updated.v1', 'customer', after_row.id,
        jsonb_build_object('customer_id', after_row.id, 'customer_number', after_row.customer_number,
                           'display_name', after_row.display_name, 'status', after_row.status,
                           'changes', app_hidden.erased_diff(diff)));
    end if;
    if after_row.id = cur.id then
      result := after_row;
    end if;
  end loop;

  update app_public.customer_merges m set
    primary_snapshot = app_hidden.erased_row(m.primary_snapshot),
    duplicate_snapshot = app_hidden.erased_row(m.duplicate_snapshot),
    result_snapshot = app_hidden.erased_row(m.result_snapshot)
  where m.tenant_id = tenant and (m.primary_id = any(ids) or m.duplicate_id = any(ids));

  perform set_config('app.erasing_customer_events', tenant, true);
  update app_private.events e set payload = app_hidden.erased_customer_payload(e.payload)
  where e.tenant_id = tenant and e.aggregate_type = 'customer' and e.aggregate_id = any(ids);
  perform set_config('app.erasing_customer_events', '', true);

  -- The trail keeps who did what when; the values about the person and the reasons given for
  -- earlier changes go (an order's entries keep their amounts: only which customer it was for
  -- named the person, and that id stays). The reasons of the data requests themselves (this one
  -- included) stay: they are the record.
  update app_public.audit_entries a set
    changes = case when a.entity in ('customers', 'customer_notes', 'customer_addresses', 'customer_merges')
                   then app_hidden.erased_diff(a.changes) else a.changes end,
    reason = case when a.command in ('erase_customer', 'request_customer_data') or a.reason is null then a.reason else '[erased]' end
  where a.tenant_id = tenant and a.id in (select app_private.customer_audit_entry_ids(tenant, ids));

  delete from app_public.customer_data_exports x where x.tenant_id = tenant and x.customer_id = any(ids);

  perform app_private.end_change();
  return result;
end;
$$;
comment on function app_public.erase_customer(text, text) is
  E'Erases a customer''s personal data on their request (needs customers.erase; the reason is required and kept in the audit log). Names, email, phone, notes, addresses, tags, metadata, consents and preferences go, also from the event log, the audit trail and merge records; the customer stays as "Erased customer" (status erased) so that its orders, payments and reports stay exact. The email and phone are free for a new customer. Cannot be undone. NOTFD, CMRGD (erase the customer it was merged into), ERASD (already erased).';
grant execute on function app_public.erase_customer(text, text) to :DATABASE_VISITOR;
--! EndIncluded customers/495-data-requests.sql
-- The customers export holds the customers the list shows (never erased ones); its tag filter reads tags as they are stored.
--! Included reporting/650-exports.sql
-- CSV exports through graphile-worker. request_export() (reports.export)
-- checks the parameters, records an export row and queues an `export_csv` job; the job
-- (worker/tasks/export-csv.ts, as the owner, with the tenant taken from the row) streams
-- COPY (<query of this file>) TO STDOUT WITH (FORMAT csv, HEADER) in constant memory, storing the
-- file as 1 MB chunks in app_private.export_chunks and its progress on the row; GET /exports/:id
-- (web/server/exports.ts) streams the chunks back to members of the tenant with reports.export.
--
-- Where the file lives, and why: in the database (bytea chunks), not on a disk of the worker.
-- The API servers are stateless and may run on other machines than the worker; the file is
-- under the same backups and tenant deletion as everything else; and "no half file" is a status
-- check: a download serves an export only once its row says done, which the worker writes after
-- the last chunk. A worker that dies half way leaves chunks of a running export, which nobody
-- can download; the retry deletes them and starts again. Exports are kept 7 days
-- (app_private.delete_expired_exports, for the worker's crontab).
--
-- Formula injection is defused in the queries: every text cell that starts with =, +, -, @, a tab
-- or a carriage return gets a leading ' (app_hidden.csv_text). Numbers are left as numbers (a
-- leading minus is a sign there, not a formula). Quoting of commas, quotes and line breaks is
-- PostgreSQL's (RFC 4180). Money is in decimals of the business's currency beside a `currency`
-- column, instants in UTC ISO 8601. Every file starts with a UTF-8 byte order mark (EF BB BF),
-- written by the worker before the first row, so that Excel opens it as UTF-8.

create or replace trigger _100_timestamps before insert or update on reporting.exports
  for each row execute function app_private.tg__timestamps();

drop policy if exists select_with_permission on reporting.exports;
create policy select_with_permission on reporting.exports for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('reports.export')));

revoke all on reporting.exports from :DATABASE_VISITOR;
grant select on reporting.exports to :DATABASE_VISITOR;

/* The path the admin downloads a finished export from. */
create or replace function reporting.exports_download_url(e reporting.exports) returns text
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select case when e.status = 'done' then '/exports/' || e.id end;
$$;
comment on function reporting.exports_download_url(reporting.exports) is 'Where to download the file (GET, same site) once it is done; null before.';
grant execute on function reporting.exports_download_url(reporting.exports) to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Cells

/*
 * A text cell with spreadsheet formulas defused: a ' in front of any value whose first visible
 * character is =, +, -, @, a tab or a carriage return. What comes before it does not help: a
 * spreadsheet trims " =1+1" or a no-break space before "+", and ignores invisible characters
 * (U+2060 word joiner, U+200B zero-width space, U+FEFF, bidi marks, variation selectors,
 * Hangul fillers…), and runs the formula (found by test/security/hostile-export.test.ts). So
 * every leading white space and invisible format character is skipped before looking. No SET
 * clause, so that PostgreSQL inlines it into the export queries.
 */
create or replace function app_hidden.csv_text(value text) returns text
language sql immutable parallel safe
as $$
  select case when value ~ '^[ \n\v\f\u0085\u00a0\u00ad\u034f\u061c\u115f\u1160\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\u3164\ufe00-\ufe0f\ufeff\uffa0]*[=+@\t\r-]'
              then '''' || value else value end;
$$;
comment on function app_hidden.csv_text(text) is 'A CSV text cell that a spreadsheet will not run as a formula (a leading '' before =, +, -, @, tab or CR).';
comment on function app_hidden.csv_text(text) is 'A CSV text cell that a spreadsheet will not run as a formula (a leading '' before =, +, -, @, tab or CR, also after leading white space).';

------------------------------------------------------------------------------------------------
-- Parameters and queries
create or replace function app_private.export_date_param(params jsonb, field text) returns date
language plpgsql immutable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  value text := params ->> field;
begin
  if value is null or value !~ '^\d{4}-\d{2}-\d{2}$' then
    perform app_hidden.raise_error('BADIN', format('%s must be a date such as 2025-03-01.', field));
  end if;
  return value::date;
exception when datetime_field_overflow or invalid_datetime_format then
  perform app_hidden.raise_error('BADIN', format('%s must be a date such as 2025-03-01.', field));
  return null;
end;
$$;

/*
 * The customers export's filters, those of the Customers list, checked: {status, tag, search}.
 *   status: active or archived (the list's two views), or all (both; merged and erased customers never).
 *     The default is all: an export asked for with no filter is the whole customer file (a
 *     backup, a move to another system, a round trip through the import); the Customers page
 *     always says which view it shows.
 *   tag: a tag, or a list of tags that every exported customer has (as the list's tag chips:
 *     the same exact-case containment on customers.tags).
 *   search: what the list's search box holds: the customers it finds (name, last name, email,
 *     phone, by app_private.customer_search_predicate), all of them rather than its best 10.
 *     The list searches active and archived customers alike, so the page sends status all with it.
 * Raises BADIN naming the field. Returns {"status", "tag": [..], "search": text or null}.
 */
create or replace function app_private.export_customer_params(p jsonb) returns jsonb
language plpgsql immutable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  status text;
  tags jsonb := '[]'::jsonb;
  search text;
begin
  if p ? 'status' and jsonb_typeof(p -> 'status') <> 'null'
     and (jsonb_typeof(p -> 'status') <> 'string' or p ->> 'status' not in ('active', 'archived', 'all')) then
    perform app_hidden.raise_error('BADIN', 'status must be active, archived or all.', field => 'status');
  end if;
  status := coalesce(p ->> 'status', 'all');

  if p ? 'tag' and jsonb_typeof(p -> 'tag') <> 'null' then
    if jsonb_typeof(p -> 'tag') = 'string' then
      tags := jsonb_build_array(p -> 'tag');
    elsif jsonb_typeof(p -> 'tag') = 'array' then
      tags := p -> 'tag';
    else
      perform app_hidden.raise_error('BADIN', 'tag must be a tag, or a list of tags.', field => 'tag');
    end if;
    if exists (select 1 from jsonb_array_elements(tags) as t where jsonb_typeof(t) <> 'string') then
      perform app_hidden.raise_error('BADIN', 'tag must be a tag, or a list of tags.', field => 'tag');
    end if;
    -- Read as tags are stored (app_hidden.normalize_tags), so that a filter matches what it names;
    -- its complaint is about this parameter.
    begin
      tags := app_hidden.normalize_tags(array(select jsonb_array_elements_text(tags)));
    exception when sqlstate 'BADTG' then
      perform app_hidden.raise_error('BADIN', sqlerrm, field => 'tag');
    end;
  end if;

  if p ? 'search' and jsonb_typeof(p -> 'search') <> 'null' then
    if jsonb_typeof(p -> 'search') <> 'string' or length(p ->> 'search') > 100 then
      perform app_hidden.raise_error('BADIN', 'search must be text of at most 100 characters.', field => 'search');
    end if;
    search := nullif(btrim(regexp_replace(p ->> 'search', '\s+', ' ', 'g')), '');
  end if;
  return jsonb_build_object('status', status, 'tag', tags, 'search', search);
end;
$$;
comment on function app_private.export_customer_params(jsonb) is 'The customers export''s filters checked (status active|archived|all, default all; tag: one or a list; search); BADIN naming the field.';

/*
 * Which customers a customers export holds, as an SQL condition on customers c (for the export
 * query and its row count): the customers the list shows (active and archived: never merged or erased ones), then the checked filters (export_customer_params).
 */
create or replace function app_private.export_customer_filter(tenant_id text, params jsonb) returns text
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select concat_ws(' and ',
    -- the customers the list shows: never merged or erased ones
    'c.status in (''active'', ''archived'')',
    case when coalesce(params ->> 'status', 'all') <> 'all' then format('c.status = %L', params ->> 'status') end,
    case when jsonb_array_length(coalesce(params -> 'tag', '[]')) > 0 then format('c.tags @> %L::jsonb', params -> 'tag') end,
    case when nullif(params ->> 'search', '') is not null then app_private.customer_search_predicate(tenant_id, params ->> 'search') end);
$$;
comment on function app_private.export_customer_filter(text, jsonb) is 'The customers an export of checked params holds, as an SQL condition on customers c.';

/*
 * The parameters of an export checked and completed: dates and location for sales, the order
 * of items, the location and low-only flag of inventory, the Customers list's filters for
 * customers (app_private.export_customer_params). Raises BADIN (naming the field) or NOTFD (a
 * location of another business).
 */
create or replace function app_private.export_params(tenant_id text, kind reporting.export_kind, params jsonb) returns jsonb
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  p jsonb := coalesce(params, '{}'::jsonb);
  allowed text[];
  unknown text;
  from_date date;
  to_date date;
  location text;
begin
  if jsonb_typeof(p) <> 'object' then
    perform app_hidden.raise_error('BADIN', 'The export parameters must be a JSON object.');
  end if;
  allowed := case kind
    when 'daily_sales' then array['from', 'to', 'location_id']
    when 'item_sales' then array['from', 'to', 'location_id', 'order_by']
    when 'inventory' then array['location_id', 'low_only']
    when 'customers' then array['status', 'tag', 'search']
    else array[]::text[] end;
  select k into unknown from jsonb_object_keys(p) as k where not k = any(allowed) limit 1;
  if unknown is not null then
    perform app_hidden.raise_error('BADIN', format('An export of %s takes no parameter "%s" (it takes: %s).',
      replace(kind::text, '_', ' '), left(unknown, 40), coalesce(nullif(array_to_string(allowed, ', '), ''), 'none')));
  end if;
  if p ? 'location_id' and jsonb_typeof(p -> 'location_id') not in ('string', 'null') then
    perform app_hidden.raise_error('BADIN', 'location_id must be a location id.');
  end if;
  location := p ->> 'location_id';

  if kind in ('daily_sales', 'item_sales') then
    from_date := app_private.export_date_param(p, 'from');
    to_date := app_private.export_date_param(p, 'to');
    perform app_private.reporting_check_range(tenant_id, from_date, to_date, location);
    if kind = 'item_sales' then
      if coalesce(p ->> 'order_by', 'revenue') not in ('quantity', 'revenue') then
        perform app_hidden.raise_error('BADIN', 'order_by must be quantity or revenue.');
      end if;
      return jsonb_build_object('from', from_date, 'to', to_date, 'location_id', location,
                                'order_by', coalesce(p ->> 'order_by', 'revenue'));
    end if;
    return jsonb_build_object('from', from_date, 'to', to_date, 'location_id', location);
  elsif kind = 'inventory' then
    perform app_hidden.assert_module('inventory');
    perform app_private.reporting_check_range(tenant_id, current_date, current_date, location);
    if p ? 'low_only' and jsonb_typeof(p -> 'low_only') not in ('boolean', 'null') then
      perform app_hidden.raise_error('BADIN', 'low_only must be true or false.');
    end if;
    return jsonb_build_object('location_id', location, 'low_only', coalesce((p ->> 'low_only')::boolean, false));
  elsif kind = 'customers' then
    return app_private.export_customer_params(p);
  end if;
  return '{}'::jsonb;
end;
$$;

/*
 * A file name's piece of free text: ASCII letters and digits in lower case, every other run as one
 * -, at most 30 characters. ASCII only: the name goes into the download's Content-Disposition
 * header, where Node refuses other characters (a search for "山田" gives no piece at all).
 */
create or replace function app_private.file_name_part(value text) returns text
language sql immutable
set search_path to pg_catalog, public, pg_temp
as $$
  select btrim(left(btrim(regexp_replace(lower(value), '[^a-z0-9]+', '-', 'g'), '-'), 30), '-');
$$;

/*
 * The name a file downloads under, such as daily-sales_2025-03-01_2025-03-07.csv. A customers
 * export says what was filtered: customers-archived_tag-vip_search-smith_2025-03-01.csv (the
 * status unless all, the tags, the search; letters and digits only).
 */
create or replace function app_private.export_file_name(kind reporting.export_kind, params jsonb) returns text
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select replace(kind::text, '_', '-')
         || case when kind = 'customers' then
                   case when coalesce(params ->> 'status', 'all') <> 'all' then '-' || (params ->> 'status') else '' end
                   || coalesce('_tag-' || nullif((select string_agg(app_private.file_name_part(t), '-' order by t)
                                                  from jsonb_array_elements_text(coalesce(params -> 'tag', '[]')) as t), ''), '')
                   || coalesce('_search-' || nullif(app_private.file_name_part(params ->> 'search'), ''), '')
                 else '' end
         || case when kind in ('daily_sales', 'item_sales') then '_' || (params ->> 'from') || '_' || (params ->> 'to')
                 else '_' || to_char(now() at time zone 'UTC', 'YYYY-MM-DD') end
         || '.csv';
$$;

/*
 * The query whose rows make the file (COPY cannot take parameters: values are quoted literals).
 * It reads the tenant's read models through the exact reporting functions (app_private.reporting_daily_sales and the others).
 */
create or replace function app_private.export_query(tenant_id text, kind reporting.export_kind, params jsonb) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  case kind
  when 'daily_sales' then
    return format($q$
      select d.business_date, app_hidden.csv_text(coalesce(l.name, 'All locations')) as location,
             d.order_count as orders,
             cur.code as currency,
             app_hidden.major_units(d.gross_sales, cur.minor_units) as gross_sales,
             app_hidden.major_units(d.discount_total, cur.minor_units) as discounts,
             app_hidden.major_units(d.tax_total, cur.minor_units) as tax,
             d.refund_count as refunds,
             app_hidden.major_units(d.refund_total, cur.minor_units) as refunded,
             app_hidden.major_units(d.net_sales, cur.minor_units) as net_sales,
             app_hidden.major_units(d.total_collected, cur.minor_units) as total_collected,
             app_hidden.major_units(d.tender_cash, cur.minor_units) as cash,
             app_hidden.major_units(d.tender_card, cur.minor_units) as card,
             app_hidden.major_units(d.avg_order_value, cur.minor_units) as avg_order_value
      from app_private.reporting_daily_sales(%1$L, %2$L::date, %3$L::date, %4$L) with ordinality as d
      cross join app_private.tenant_currency(%1$L) cur
      left join app_public.locations l on l.tenant_id = %1$L and l.id = d.location_id
      order by d.ordinality$q$, tenant_id, params ->> 'from', params ->> 'to', params ->> 'location_id');
  when 'item_sales' then
    return format($q$
      select app_hidden.csv_text(i.catalog_item_name) as item, app_hidden.csv_text(c.sku) as sku,
             i.quantity_sold,
             cur.code as currency,
             app_hidden.major_units(i.gross_revenue, cur.minor_units) as gross_revenue,
             app_hidden.major_units(i.net_revenue, cur.minor_units) as net_revenue,
             app_hidden.major_units(i.avg_unit_price, cur.minor_units) as avg_unit_price
      from app_private.reporting_item_sales(%1$L, %2$L::date, %3$L::date, %4$L, %5$L::reporting.item_sales_order) with ordinality as i
      cross join app_private.tenant_currency(%1$L) cur
      left join app_public.catalog_items c on c.tenant_id = %1$L and c.id = i.catalog_item_id
      order by i.ordinality$q$, tenant_id, params ->> 'from', params ->> 'to', params ->> 'location_id', params ->> 'order_by');
  when 'inventory' then
    return format($q$
      select app_hidden.csv_text(s.location_name) as location, app_hidden.csv_text(s.item_name) as item,
             s.on_hand, s.low_stock_threshold, case when s.is_below_threshold then 'low' else 'ok' end as status
      from app_private.reporting_inventory_summary(%1$L, %2$L, %3$L::boolean) with ordinality as s
      order by s.ordinality$q$, tenant_id, params ->> 'location_id', coalesce(params ->> 'low_only', 'false'));
  when 'customers' then
    -- Every profile column a shop needs, in the order (and with the names) the customer import
    -- reads back. What each holds:
    --   phone: E.164 as stored. Not through csv_text: its check constraint admits a + and digits
    --     only, nothing a spreadsheet could run, and a leading ' would make it unreadable to an import.
    --   tags: the customer's tags in their order, joined with ", " (Shopify's convention; the
    --     import splits on commas). A tag containing a comma would not round-trip.
    --   about: the profile's "About this customer" (customers.notes; the import reads it back there,
    --     while a file's "note" column becomes a dated note).
    --   accepts_email_marketing / accepts_sms_marketing: the customer's answer for that contact
    --     channel (app_public.customer_contact_channels, channel email / sms: the Preferences
    --     card) as yes or no, empty when never asked; *_marketing_source where they said so (pos,
    --     admin, online, import, other) and *_marketing_updated_at when. (customers.marketing_consent,
    --     the profile's channel-less "Marketing", has no column here.)
    --   address_*, city, region, postal_code, country (ISO alpha-2): the default address, else empty.
    --   status: active or archived (merged customers are never exported).
    --   visits, total_spend (decimals of `currency`), last_visit_at: the activity read model.
    --   may_email / may_sms: the contact rule now (consent, the detail known, active, not
    --     do-not-contact: app_hidden.contact_allowed, as everywhere), not a consent of its own.
    return format($q$
      select app_hidden.csv_text(c.customer_number) as customer_number,
             app_hidden.csv_text(c.first_name) as first_name, app_hidden.csv_text(c.last_name) as last_name,
             app_hidden.csv_text(c.email) as email, c.phone,
             -- (a customer without tags skips the per-row subquery)
             case when c.tags <> '[]'::jsonb then
               app_hidden.csv_text((select string_agg(t.tag, ', ' order by t.n)
                                    from jsonb_array_elements_text(c.tags) with ordinality as t(tag, n))) end as tags,
             app_hidden.csv_text(c.notes) as about,
             case e.allowed when true then 'yes' when false then 'no' end as accepts_email_marketing,
             e.source as email_marketing_source,
             to_char(e.recorded_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as email_marketing_updated_at,
             case m.allowed when true then 'yes' when false then 'no' end as accepts_sms_marketing,
             m.source as sms_marketing_source,
             to_char(m.recorded_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as sms_marketing_updated_at,
             app_hidden.csv_text(ad.line1) as address_line1, app_hidden.csv_text(ad.line2) as address_line2,
             app_hidden.csv_text(ad.city) as city, app_hidden.csv_text(ad.region) as region,
             app_hidden.csv_text(ad.postal_code) as postal_code, ad.country,
             c.status,
             a.total_visits as visits,
             cur.code as currency,
             app_hidden.major_units(a.total_spend, cur.minor_units) as total_spend,
             to_char(a.last_visit_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as last_visit_at,
             to_char(c.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as created_at,
             app_hidden.loyalty_class(s.visits, s.last_visit_at, s.recent_visits,
               l.regular_min_visits, l.regular_window_days, l.lapsed_after_days, now()) as loyalty_class,
             case when app_hidden.contact_allowed(p.do_not_contact, e.allowed, c.email is not null, c.status) then 'yes' else 'no' end as may_email,
             case when app_hidden.contact_allowed(p.do_not_contact, m.allowed, c.phone is not null, c.status) then 'yes' else 'no' end as may_sms
      from reporting.rm_customer_activity a
      join app_public.customers c on c.tenant_id = a.tenant_id and c.id = a.customer_id
      join app_public.customer_stats s on s.tenant_id = c.tenant_id and s.customer_id = c.id
      join app_public.loyalty_settings l on l.tenant_id = c.tenant_id
      cross join app_private.tenant_currency(%1$L) cur
      left join app_public.customer_preferences p on p.tenant_id = c.tenant_id and p.customer_id = c.id
      left join app_public.customer_contact_channels e on e.tenant_id = c.tenant_id and e.customer_id = c.id and e.channel = 'email'
      left join app_public.customer_contact_channels m on m.tenant_id = c.tenant_id and m.customer_id = c.id and m.channel = 'sms'
      left join app_public.customer_addresses ad on ad.tenant_id = c.tenant_id and ad.customer_id = c.id and ad.is_default
      where a.tenant_id = %1$L and a.merged_into_id is null and %2$s
      order by a.tenant_id, a.customer_id$q$, tenant_id, app_private.export_customer_filter(tenant_id, params));
  end case;
  return null;
end;
$$;
comment on function app_private.export_query(text, reporting.export_kind, jsonb) is 'The SQL whose rows make an export of a tenant (for COPY … TO STDOUT).';

------------------------------------------------------------------------------------------------
-- Requesting
create or replace function reporting.request_export(kind reporting.export_kind, params jsonb default '{}') returns reporting.exports
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_reports_permission('reports.export');
  checked jsonb;
  result reporting.exports;
begin
  if kind is null then
    perform app_hidden.raise_error('BADIN', 'Say what to export: daily_sales, item_sales, inventory or customers.');
  end if;
  checked := app_private.export_params(tenant, kind, params);
  insert into reporting.exports (tenant_id, kind, params, file_name, requested_by)
  values (tenant, kind, checked, app_private.export_file_name(kind, checked), app_hidden.current_user_id())
  returning * into result;
  perform graphile_worker.add_job('export_csv', json_build_object('tenantId', tenant, 'exportId', result.id), max_attempts := 3);
  return result;
end;
$$;
comment on function reporting.request_export(reporting.export_kind, jsonb) is
  E'@name request_export\n@resultFieldName export\nAsks the worker for a CSV file (needs reports.export). params: daily_sales and item_sales take {"from": "2025-03-01", "to": "2025-03-07", "location_id"?} (item_sales also "order_by": "quantity" or "revenue"); inventory takes {"location_id"?, "low_only"?}; customers takes the Customers list''s filters {"status"?: "active", "archived" or "all" (the default), "tag"?: a tag or a list of tags, "search"?: the search box''s text}. Poll the returned export until its status is done, then download its downloadUrl.';
grant execute on function reporting.request_export(reporting.export_kind, jsonb) to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- The worker's side (owner; tenant explicit)

/*
 * Starts (or restarts) an export: forgets chunks of an earlier attempt, counts the rows it will
 * have, and returns what the job needs: {tenantId, exportId, query, fileName, rowsTotal}. Null
 * when the export is gone or already done.
 */
--
-- The row count of a customers export counts the activity rows that are not merged instead of
-- running the export query twice: every activity row has its customer (composite foreign key), so
-- the number is the same, from the partial index alone (300,000 customers: 116–132 ms against
-- 930 ms). A filtered one counts the same rows joined to their customers under the export's
-- filter (app_private.export_customer_filter) and nothing else. Other kinds are small (days,
-- items, stock rows) and keep the generic count.
create or replace function app_private.start_export(tenant_id text, export_id text) returns jsonb
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  x reporting.exports;
  q text;
  filter text;
  total bigint;
begin
  select e.* into x from reporting.exports e
  where e.tenant_id = start_export.tenant_id and e.id = start_export.export_id
  for update;
  if not found or x.status = 'done' then
    return null;
  end if;
  delete from app_private.export_chunks c where c.tenant_id = x.tenant_id and c.export_id = x.id;
  q := app_private.export_query(x.tenant_id, x.kind, x.params);
  if x.kind = 'customers' then
    filter := app_private.export_customer_filter(x.tenant_id, x.params);
  end if;
  if x.kind = 'customers' then
    execute format('select count(*) from reporting.rm_customer_activity a
                    join app_public.customers c on c.tenant_id = a.tenant_id and c.id = a.customer_id
                    where a.tenant_id = %L and a.merged_into_id is null and %s', x.tenant_id, filter) into total;
  else
    execute 'select count(*) from (' || q || ') as rows' into total;
  end if;
  update reporting.exports e set status = 'running', started_at = now(), finished_at = null, error_message = null,
    rows_total = total, rows_written = 0, bytes_written = 0, chunk_count = 0
  where e.tenant_id = x.tenant_id and e.id = x.id;
  return jsonb_build_object('tenantId', x.tenant_id, 'exportId', x.id, 'query', q, 'fileName', x.file_name, 'rowsTotal', total);
end;
$$;
comment on function app_private.start_export(text, text) is 'Marks an export running and returns its query (worker); null when it is gone or done.';

/* Stores the next chunk of a running export and its progress. False when it is no longer running. */
create or replace function app_private.write_export_chunk(tenant_id text, export_id text, chunk_no int, data bytea,
                                               rows_written bigint, bytes_written bigint) returns boolean
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  update reporting.exports e set rows_written = write_export_chunk.rows_written, bytes_written = write_export_chunk.bytes_written,
    chunk_count = write_export_chunk.chunk_no + 1
  where e.tenant_id = write_export_chunk.tenant_id and e.id = write_export_chunk.export_id and e.status = 'running';
  if not found then
    return false;
  end if;
  insert into app_private.export_chunks (tenant_id, export_id, chunk_no, data)
  values (write_export_chunk.tenant_id, write_export_chunk.export_id, write_export_chunk.chunk_no, write_export_chunk.data);
  return true;
end;
$$;

/* Marks a running export done (downloadable) once every chunk is stored. */
create or replace function app_private.finish_export(tenant_id text, export_id text, chunk_count int, rows_written bigint, bytes_written bigint)
returns boolean
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if (select count(*) from app_private.export_chunks c
      where c.tenant_id = finish_export.tenant_id and c.export_id = finish_export.export_id) <> finish_export.chunk_count then
    raise exception 'export % of tenant %: % chunks expected', finish_export.export_id, finish_export.tenant_id, finish_export.chunk_count;
  end if;
  update reporting.exports e set status = 'done', finished_at = now(), chunk_count = finish_export.chunk_count,
    rows_written = finish_export.rows_written, bytes_written = finish_export.bytes_written
  where e.tenant_id = finish_export.tenant_id and e.id = finish_export.export_id and e.status = 'running';
  return found;
end;
$$;

/* Marks an export failed (the worker gave up on it); its chunks go. */
create or replace function app_private.fail_export(tenant_id text, export_id text, message text) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  delete from app_private.export_chunks c where c.tenant_id = fail_export.tenant_id and c.export_id = fail_export.export_id;
  update reporting.exports e set status = 'failed', finished_at = now(), error_message = left(message, 500)
  where e.tenant_id = fail_export.tenant_id and e.id = fail_export.export_id and e.status <> 'done';
$$;

/* Exports older than 7 days go with their files (worker crontab). Returns how many. */
create or replace function app_private.delete_expired_exports() returns int
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  with gone as (delete from reporting.exports e where e.created_at < now() - interval '7 days' returning 1)
  select count(*)::int from gone;
$$;
comment on function app_private.delete_expired_exports() is 'Removes exports (and their files) older than 7 days.';

------------------------------------------------------------------------------------------------
-- Downloading (GET /exports/:id as the API role with the session)

/* Whether the signed-in user may download the exports of this tenant: a member with reports.export. */
create or replace function app_hidden.may_download_exports_of(tenant_id text) returns boolean
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select exists (select 1 from app_public.memberships m
                 join app_public.roles r on r.tenant_id = m.tenant_id and r.id = m.role_id
                 where m.tenant_id = may_download_exports_of.tenant_id and m.user_id = app_hidden.current_user_id()
                   and 'reports.export' = any(r.permissions));
$$;

/* The finished export with this id that the signed-in user may download, of an active business. */
create or replace function app_hidden.downloadable_export(export_id text) returns reporting.exports
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select e.*
  from reporting.exports e
  join app_public.tenants t on t.id = e.tenant_id and t.status = 'active'
  where e.id = downloadable_export.export_id and e.status = 'done'
    and app_hidden.may_download_exports_of(e.tenant_id)
  limit 1;
$$;

/*
 * Name, size and chunk count of a finished export the signed-in user may download; no row for
 * anything else (unknown, another business's, not finished, no reports.export: never told
 * apart). Someone who may download it, of a business that is suspended or closed, is told so
 * (TSUSP) rather than "not found", as everywhere else.
 */
create or replace function app_hidden.export_file(export_id text)
returns table (file_name text, byte_size bigint, chunk_count int)
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if exists (select 1 from reporting.exports e join app_public.tenants t on t.id = e.tenant_id and t.status <> 'active'
             where e.id = export_file.export_id and app_hidden.may_download_exports_of(e.tenant_id)) then
    perform app_hidden.raise_error('TSUSP',
      'This business is suspended or closed: its exports cannot be downloaded. Open Settings → Billing to reactivate it.');
  end if;
  return query
    select e.file_name, e.bytes_written, e.chunk_count
    from app_hidden.downloadable_export(export_file.export_id) e
    where e.id is not null;
end;
$$;
comment on function app_hidden.export_file(text) is 'Name, size and chunk count of a finished export the signed-in user may download; no row otherwise; TSUSP when its business is suspended.';

create or replace function app_hidden.export_chunk(export_id text, chunk_no int) returns bytea
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select c.data
  from app_hidden.downloadable_export(export_chunk.export_id) e
  join app_private.export_chunks c on c.tenant_id = e.tenant_id and c.export_id = e.id and c.chunk_no = export_chunk.chunk_no;
$$;
comment on function app_hidden.export_chunk(text, int) is 'One chunk of a finished export the signed-in user may download.';
--! EndIncluded reporting/650-exports.sql
