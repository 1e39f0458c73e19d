--! Previous: sha1:28aa34331e2e72f527a22575b1bdc543551550cc
--! Hash: sha1:e23b957e1f58572e2a7b5e73fce1405739393d35
--! Message: Customer imports are kept 30 days

--! split: 1-current.sql
-- Customer imports are kept 30 days (customers/485-import.sql, section Retention).
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
      r.address_line1 := app_hidden.assert_name('Address line 1', raw ->> 'address_line1', 200, 'line1');
      r.address_line2 := app_hidden.optional_name('Address line 2', raw ->> 'address_line2', 200, 'line2');
      r.city := app_hidden.assert_name('City', raw ->> 'city', 100, 'city');
      r.region := app_hidden.optional_name('Region', raw ->> 'region', 100, 'region');
      r.postal_code := upper(app_hidden.optional_name('Postal code', raw ->> 'postal_code', 20, 'postal_code'));
      r.country := upper(coalesce(app_hidden.trim_blank(raw ->> 'country'), country));
      if r.country !~ '^[A-Z]{2}$' then
        perform app_hidden.raise_error('BADIN', 'Country must be a two-letter ISO code, such as FR or US.', field => 'country');
      end if;
    end if;
    if r.email is null and r.phone is null and r.first_name is null then
      perform app_hidden.raise_error('NOIDN', 'A customer needs at least an email, a phone number or a first name.');
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
