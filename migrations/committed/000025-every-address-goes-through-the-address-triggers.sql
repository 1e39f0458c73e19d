--! Previous: sha1:b8a3b3df136dff88a5e708088e5770d42e7d628c
--! Hash: sha1:7c46654047fd9e978524ae2a0ecc0a08ea897deb
--! Message: Every address goes through the address triggers

--! split: 1-current.sql
-- Every address goes through the address triggers again: the import's switch that skipped them
-- for the customers it creates (app.addresses_checked) was a second way to write an address, for
-- about 4% of an import's time.
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
 * customer import brings (customers/485-import.sql), which checks them before anything is
 * written, set-based: checked_address gives the cleaned lines or the first problem and its field.
 */
create or replace function app_hidden.checked_address(
  line1 text, line2 text, city text, region text, postal_code text, country text, default_country text)
returns table (line1 text, line2 text, city text, region text, postal_code text, country text, problem text, field text)
language sql stable parallel safe rows 1
as $$
  select nullif(app_hidden.trim_blank($1), ''), nullif(app_hidden.trim_blank($2), ''), nullif(app_hidden.trim_blank($3), ''),
         nullif(app_hidden.trim_blank($4), ''), upper(nullif(app_hidden.trim_blank($5), '')), c.code,
         coalesce(p.line1, p.line2, p.city, p.region, p.postal_code, p.country),
         case when p.line1 is not null then 'line1' when p.line2 is not null then 'line2' when p.city is not null then 'city'
              when p.region is not null then 'region' when p.postal_code is not null then 'postal_code'
              when p.country is not null then 'country' end
  from (select upper(coalesce(nullif(btrim($6), ''), $7)) as code offset 0) c
  cross join lateral (
    select app_hidden.name_problem('Address line 1', $1, 200) as line1, app_hidden.optional_name_problem('Address line 2', $2, 200) as line2,
           app_hidden.name_problem('City', $3, 100) as city, app_hidden.optional_name_problem('Region', $4, 100) as region,
           app_hidden.optional_name_problem('Postal code', $5, 20) as postal_code,
           case when c.code is null or c.code !~ '^[A-Z]{2}$' then 'Country must be a two-letter ISO code, such as FR or US.' end as country
    offset 0) p;
$$;
comment on function app_hidden.checked_address(text, text, text, text, text, text, text) is 'An address''s lines cleaned, or the first problem and the field it is in (see checked_address_lines).';

create or replace function app_hidden.checked_address_lines(a app_public.customer_addresses, default_country text)
returns app_public.customer_addresses
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  c record;
begin
  select * into c from app_hidden.checked_address(a.line1, a.line2, a.city, a.region, a.postal_code, a.country, default_country);
  if c.problem is not null then
    perform app_hidden.raise_error('BADIN', c.problem, field => c.field);
  end if;
  a.line1 := c.line1;
  a.line2 := c.line2;
  a.city := c.city;
  a.region := c.region;
  a.postal_code := c.postal_code;
  a.country := c.country;
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

-- Inserts are audited per statement (an import adds thousands at once), changes per row.
create or replace trigger _500_audit after update or delete on app_public.customer_addresses
  for each row execute function app_private.tg__audit('created_at', 'updated_at');
create or replace trigger _500_audit_inserts after insert on app_public.customer_addresses
  referencing new table as inserted
  for each statement execute function app_private.tg__audit_inserts('created_at', 'updated_at');

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
--! Included customers/412-address-distance.sql
-- Delivery details of an address (building, floor, notes for the driver) and how far it is from
-- the business's locations (issue 17): the great-circle distance by the Haversine formula, from
-- the address's optional coordinates to each open location that has coordinates.

/* The great-circle distance in kilometres between two points (Haversine, mean Earth radius 6371.0088 km); null when a coordinate is missing. */
create or replace function app_hidden.haversine_km(lat1 numeric, lon1 numeric, lat2 numeric, lon2 numeric) returns double precision
language sql immutable strict parallel safe
as $$
  select 2 * 6371.0088 * asin(least(1, sqrt(
    power(sin(radians((lat2 - lat1)::double precision) / 2), 2)
    + cos(radians(lat1::double precision)) * cos(radians(lat2::double precision))
      * power(sin(radians((lon2 - lon1)::double precision) / 2), 2))));
$$;
comment on function app_hidden.haversine_km(numeric, numeric, numeric, numeric) is
  'Great-circle distance in km between two latitude/longitude points (Haversine, mean Earth radius); null when a coordinate is missing.';

/* Delivery details cleaned: trimmed, blank is none, bounded (BADIN naming the field). */
create or replace function app_private.tg_customer_addresses__delivery() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  new.building := app_hidden.optional_name('Building', new.building, 100, 'building');
  new.floor := app_hidden.optional_name('Floor', new.floor, 20, 'floor');
  new.delivery_notes := app_hidden.optional_text('Delivery notes', new.delivery_notes, 500, 'delivery_notes');
  return new;
end;
$$;
comment on function app_private.tg_customer_addresses__delivery() is 'Cleans an address''s building, floor and delivery notes (BADIN naming the field).';

create or replace trigger _055_delivery before insert or update on app_public.customer_addresses
  for each row execute function app_private.tg_customer_addresses__delivery();

grant insert (building, floor, delivery_notes), update (building, floor, delivery_notes)
  on app_public.customer_addresses to :DATABASE_VISITOR;

/* A location's coordinates: both or neither, in range (BADIN). */
create or replace function app_private.tg_locations__coordinates() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if (new.latitude is null) <> (new.longitude is null) then
    perform app_hidden.raise_error('BADIN', 'Give both latitude and longitude, or neither.', field => 'latitude');
  elsif new.latitude not between -90 and 90 then
    perform app_hidden.raise_error('BADIN', 'Latitude must be between -90 and 90.', field => 'latitude');
  elsif new.longitude not between -180 and 180 then
    perform app_hidden.raise_error('BADIN', 'Longitude must be between -180 and 180.', field => 'longitude');
  end if;
  return new;
end;
$$;
comment on function app_private.tg_locations__coordinates() is 'Checks a location''s coordinates: both or neither, in range (BADIN).';

create or replace trigger _055_coordinates before insert or update on app_public.locations
  for each row execute function app_private.tg_locations__coordinates();

grant insert (latitude, longitude), update (latitude, longitude) on app_public.locations to :DATABASE_VISITOR;

/* How far an address is from one location, in km (null when either has no coordinates or the location is not the business's). */
create or replace function app_public.customer_addresses_distance_from(a app_public.customer_addresses, location_id text)
returns double precision
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select round(app_hidden.haversine_km(a.latitude, a.longitude, l.latitude, l.longitude)::numeric, 1)::double precision
  from app_public.locations l
  where l.tenant_id = a.tenant_id and l.id = customer_addresses_distance_from.location_id;
$$;
comment on function app_public.customer_addresses_distance_from(app_public.customer_addresses, text) is
  'Distance in km (one decimal, straight line by the Haversine formula) from this address to the location; null when either has no coordinates.';

/* The nearest open location with coordinates and the distance to it. */
do $$
begin
  if not exists (select 1 from pg_type t join pg_namespace n on n.oid = t.typnamespace
                 where n.nspname = 'app_public' and t.typname = 'location_distance') then
    create type app_public.location_distance as (location_id text, location_name text, distance_km double precision);
  end if;
end $$;
comment on type app_public.location_distance is 'A location and how far something is from it, in km (straight line, one decimal).';

create or replace function app_public.customer_addresses_nearest_location(a app_public.customer_addresses)
returns app_public.location_distance
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select row(l.id, l.name, round(d.km::numeric, 1)::double precision)::app_public.location_distance
  from app_public.locations l
  cross join lateral (select app_hidden.haversine_km(a.latitude, a.longitude, l.latitude, l.longitude) as km) d
  where l.tenant_id = a.tenant_id and l.closed_at is null and d.km is not null
  order by d.km, l.name
  limit 1;
$$;
comment on function app_public.customer_addresses_nearest_location(app_public.customer_addresses) is
  'The nearest open location with coordinates, and the straight-line distance to it in km (one decimal); null when the address or no location has coordinates.';
--! EndIncluded customers/412-address-distance.sql
--! Included customers/485-import.sql
-- Customer import from a CSV file (issue "Customer import and a complete export").
--
-- 1. Upload (web/server/imports.ts, as the member, customers.import): begin_customer_import
--    records the import, write_customer_import_chunk stores the file as ~1 MB chunks, and
--    finish_customer_import_upload queues `customer_import_parse`. One transaction: a broken
--    upload leaves nothing. At most 50 MB (the byte_size check; TOOBG from the server before).
-- 2. Parse (worker/tasks/customer-import-parse.ts, csv-parse): the worker decodes the file (UTF-8
--    with or without BOM, UTF-16 by its BOM, else Windows-1252 when it is not valid UTF-8), finds
--    the delimiter, proposes a mapping from the header (set_customer_import_header;
--    customer_import_field_for: our export's, Square's and Shopify's names), streams the records
--    by COPY and stages them in customer_import_rows, each checked as it is written
--    (stage_customer_import_copied, with the progress), then finish_customer_import_parse
--    sorts out the duplicates.
-- 3. Preview: every row is checked with the rules create_customer uses, set-based (as it is
--    staged, and again over all the rows by classify_customer_import when the mapping changes;
--    customer_import_values: the rules' expression forms
--    app_hidden.optional_name_problem, email_problem, checked_phone, checked_tags, text_problem,
--    checked_address, which the raising helpers call too), so a row's reason is the same
--    sentence the admin would show, and sorts rows into new, duplicate of an
--    existing customer (same email or phone after normalisation; a row matching two different
--    customers is invalid), duplicate of an earlier row of the file, and invalid. The member may
--    change the mapping and what a duplicate does (set_customer_import_mapping), which
--    classifies again. Nothing is written to customers before commit.
-- 4. Commit (commit_customer_import, then the `customer_import_commit` task calling
--    commit_customer_import_batch until it returns 0): each batch is one transaction that
--    writes customers set-based (numbers reserved at once, their customer.created.v1 appended
--    in one statement and applied to the read models by app_private.dispatch_events,
--    customer.updated.v1 per updated customer, audit entries naming the command import_customers and the
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

/* yes or no in the words files use (yes, y, true, 1, x, subscribed, opted in…); null when blank; otherwise why it is neither. */
create or replace function app_hidden.checked_yes_no(label text, value text) returns table (answer boolean, problem text)
language sql stable parallel safe rows 1
as $$
  select case when v.v in ('yes', 'y', 'true', 't', '1', 'x', 'subscribed', 'opted in', 'optin', 'on', 'confirmed_opt_in') then true
              when v.v in ('no', 'n', 'false', 'f', '0', 'unsubscribed', 'not subscribed', 'opted out', 'optout', 'off', 'never subscribed') then false end,
         case when v.v is null or v.v = '' then null
              when v.v in ('yes', 'y', 'true', 't', '1', 'x', 'subscribed', 'opted in', 'optin', 'on', 'confirmed_opt_in',
                           'no', 'n', 'false', 'f', '0', 'unsubscribed', 'not subscribed', 'opted out', 'optout', 'off', 'never subscribed') then null
              else format('%s: "%s" is neither yes nor no.', label, left(btrim(value), 40)) end
  from (select lower(regexp_replace(btrim(value), '[\s_-]+', ' ', 'g')) as v) v;
$$;
comment on function app_hidden.checked_yes_no(text, text) is 'A yes/no cell of an imported file read as a boolean (null when blank), or why it is neither.';

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

/* The cell of the column mapped to a field (csv_untext), null when blank or when no column is. */
create or replace function app_private.import_cell(cells text[], mapping text[], field text) returns text
language sql immutable parallel safe
as $$
  select case when btrim(cells[array_position(mapping, field)]) <> '' then app_hidden.csv_untext(cells[array_position(mapping, field)]) end;
$$;

/*
 * What one row of a file would make: the values of the fields its columns map to, checked by the
 * same rules as create_customer and the address trigger (their *_problem / checked_* forms:
 * app_hidden.optional_name_problem, email_problem, checked_phone, checked_tags, text_problem,
 * checked_address, unidentifiable_customer_message), or the reason it cannot be imported (the
 * message of the first rule it breaks, in the order create_customer checks them). The first
 * non-blank column of a field wins. A full name is split at its last space unless first or last
 * names are given. An address needs a first line and a city: the other address columns of a row
 * without them are ignored (a country alone is no address). A row with more non-blank cells than
 * the header has columns is refused (the columns would be guessed); fewer is fine (spreadsheets
 * drop empty trailing cells).
 *
 * An SQL function of one SELECT, with no search_path of its own: PostgreSQL inlines it into the
 * statement that classifies every row of an import at once (classify_customer_import), so the
 * checks run as expressions over the staged rows — no function call, no subtransaction per row
 * (which cost 0.19 ms a row). Its steps are subqueries fenced with OFFSET 0, each computed once
 * per row: pulled up, every step would be copied into each later one that reads it (the reason
 * into all eighteen columns), and planning took 35 s.
 */
create or replace function app_private.customer_import_values(cells text[], mapping text[], country text)
returns table (state text, reason text, email text, phone text, first_name text, last_name text, tags jsonb, note text,
               about text, company text, email_consent boolean, sms_consent boolean, address_line1 text,
               address_line2 text, city text, region text, postal_code text, country text)
language sql stable rows 1
as $$
  select case when p.reason is null then 'new' else 'invalid' end, p.reason,
         -- an invalid row keeps no values
         case when p.reason is null then v.email end, case when p.reason is null then ph.e164 end,
         case when p.reason is null then v.first_name end, case when p.reason is null then v.last_name end,
         case when p.reason is null then tg.tags_json end,
         case when p.reason is null then nullif(app_hidden.trim_blank(raw.j ->> 'note'), '') end,
         case when p.reason is null then nullif(app_hidden.trim_blank(raw.j ->> 'about'), '') end,
         case when p.reason is null then nullif(app_hidden.trim_blank(raw.j ->> 'company'), '') end,
         case when p.reason is null then ec.answer end, case when p.reason is null then sc.answer end,
         case when p.reason is null then ad0.line1 end, case when p.reason is null then ad0.line2 end,
         case when p.reason is null then ad0.city end, case when p.reason is null then ad0.region end,
         case when p.reason is null then ad0.postal_code end, case when p.reason is null then ad0.country end
  -- each field's cell (a field has at most one column: the proposed mapping gives each one
  -- column, set_customer_import_mapping refuses two), blank as null
  from (select c.*,
               array(select t from unnest(string_to_array(c.j ->> 'tags', ',')) as t where btrim(t) <> '') as tag_list,
               case when cardinality(cells) > cardinality(mapping)
                         and exists (select 1 from unnest(cells[cardinality(mapping) + 1:]) as x where btrim(x) <> '')
                    then format('This row has %s cells where the header has %s columns.', cardinality(cells), cardinality(mapping)) end as too_wide
        from (select jsonb_strip_nulls(jsonb_build_object(
                'first_name', app_private.import_cell(cells, mapping, 'first_name'),
                'last_name', app_private.import_cell(cells, mapping, 'last_name'),
                'full_name', app_private.import_cell(cells, mapping, 'full_name'),
                'email', app_private.import_cell(cells, mapping, 'email'),
                'phone', app_private.import_cell(cells, mapping, 'phone'),
                'tags', app_private.import_cell(cells, mapping, 'tags'),
                'note', app_private.import_cell(cells, mapping, 'note'),
                'about', app_private.import_cell(cells, mapping, 'about'),
                'company', app_private.import_cell(cells, mapping, 'company'),
                'email_consent', app_private.import_cell(cells, mapping, 'email_consent'),
                'sms_consent', app_private.import_cell(cells, mapping, 'sms_consent'),
                'address_line1', app_private.import_cell(cells, mapping, 'address_line1'),
                'address_line2', app_private.import_cell(cells, mapping, 'address_line2'),
                'city', app_private.import_cell(cells, mapping, 'city'),
                'region', app_private.import_cell(cells, mapping, 'region'),
                'postal_code', app_private.import_cell(cells, mapping, 'postal_code'),
                'country', app_private.import_cell(cells, mapping, 'country'))) as j
              offset 0) c
        offset 0) raw
  -- names: first and last as given, else the full name split at its last space
  cross join lateral (
    select nullif(app_hidden.trim_blank(raw.j ->> 'first_name'), '') as first_name,
           nullif(app_hidden.trim_blank(raw.j ->> 'last_name'), '') as last_name,
           regexp_replace(app_hidden.trim_blank(raw.j ->> 'full_name'), '\s+', ' ', 'g') as full_name offset 0) n0
  cross join lateral (
    select n0.first_name is null and n0.last_name is null and n0.full_name <> '' as split,
           case when position(' ' in n0.full_name) > 0 then regexp_replace(n0.full_name, ' [^ ]*$', '') else n0.full_name end as first_part,
           case when position(' ' in n0.full_name) > 0 then regexp_replace(n0.full_name, '^.* ', '') end as last_part offset 0) n1
  cross join lateral app_hidden.checked_phone(raw.j ->> 'phone', country) ph
  cross join lateral app_hidden.checked_tags(raw.tag_list) tg
  cross join lateral app_hidden.checked_yes_no('Accepts email marketing', raw.j ->> 'email_consent') ec
  cross join lateral app_hidden.checked_yes_no('Accepts SMS marketing', raw.j ->> 'sms_consent') sc
  left join lateral (
    select a.* from app_hidden.checked_address(raw.j ->> 'address_line1', raw.j ->> 'address_line2', raw.j ->> 'city',
                                               raw.j ->> 'region', raw.j ->> 'postal_code',
                                               app_hidden.trim_blank(raw.j ->> 'country'), country) a
    where btrim(raw.j ->> 'address_line1') <> '' and btrim(raw.j ->> 'city') <> '') ad0 on true
  cross join lateral (
    select case when n1.split then nullif(app_hidden.trim_blank(n1.first_part), '') else n0.first_name end as first_name,
           case when n1.split then nullif(app_hidden.trim_blank(n1.last_part), '') else n0.last_name end as last_name,
           case when nullif(app_hidden.trim_blank(raw.j ->> 'email'), '') is not null then lower(app_hidden.trim_blank(raw.j ->> 'email')) end as email
    offset 0) v
  cross join lateral (
    select coalesce(
      raw.too_wide,
      app_hidden.optional_name_problem('First name', raw.j ->> 'first_name', 100),
      app_hidden.optional_name_problem('Last name', raw.j ->> 'last_name', 100),
      case when n1.split then app_hidden.optional_name_problem('First name', n1.first_part, 100) end,
      case when n1.split then app_hidden.optional_name_problem('Last name', n1.last_part, 100) end,
      case when v.email is not null then app_hidden.email_problem(raw.j ->> 'email') end,
      ph.problem,
      tg.problem,
      app_hidden.text_problem('Note', raw.j ->> 'note', 2000),
      app_hidden.text_problem('About this customer', raw.j ->> 'about', 2000),
      app_hidden.optional_name_problem('Company', raw.j ->> 'company', 200),
      ec.problem,
      sc.problem,
      ad0.problem,
      case when v.email is null and ph.e164 is null and v.first_name is null then app_hidden.unidentifiable_customer_message() end
    ) as reason offset 0) p;
$$;
comment on function app_private.customer_import_values(text[], text[], text) is 'The values one row of an imported file would give a customer (state new), or why it cannot be imported (state invalid, reason): every check of create_customer, as expressions.';

/*
 * Sorts the rows of an import not yet committed: the values each would give (above), then, among
 * those that can be imported, a later row with the email or phone of an earlier one is a
 * duplicate inside the file, and a row whose email or phone belongs to a live customer is a
 * duplicate of that customer (invalid when its email is one customer's and its phone another's).
 * Updates the import's counts. With recheck false, only rows not checked yet (state read) get
 * their values (the others were checked with the same mapping as they were staged).
 */
create or replace function app_private.classify_customer_import(tenant_id text, import_id text, recheck boolean default true) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
set jit to off -- see stage_customer_import_copied
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
    and (r.state = 'read' or (recheck and r.state in ('new', 'duplicate', 'file_duplicate', 'invalid')));

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
-- An email's equality can also be answered by the trigram index of the search (a bitmap scan),
-- which the planner takes for cheaper than the unique key: 35 ms a row instead of a few µs
-- (measured). Without bitmap scans only the unique keys serve.
set enable_bitmapscan to off
as $$
  update app_public.customer_import_rows r set
    state = case when e.id <> p.id then 'invalid' else 'duplicate' end,
    reason = case when e.id <> p.id then format('The email belongs to customer %s and the phone number to customer %s.',
                                                e.customer_number, p.customer_number) end,
    customer_id = case when e.id <> p.id then null else coalesce(e.id, p.id) end
  -- Lookups per row (lateral), each by its unique key (tenant_id, email / phone).
  from app_public.customer_import_rows x
  left join lateral (select c.id, c.customer_number from app_public.customers c
                     where c.tenant_id = x.tenant_id and c.email = x.email and c.status <> 'merged') e on true
  left join lateral (select c.id, c.customer_number from app_public.customers c
                     where c.tenant_id = x.tenant_id and c.phone = x.phone and c.status <> 'merged') p on true
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
 * The file's header, read before its rows: kept with the mapping proposed for it, so that each
 * row is checked as it is staged (stage_customer_import_copied) rather than written twice.
 * Returns false when the import is no longer being read.
 */
create or replace function app_private.set_customer_import_header(tenant_id text, import_id text, header text[]) returns boolean
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  with changed as (
    update app_public.customer_imports i set
      header = set_customer_import_header.header,
      mapping = app_hidden.customer_import_proposed_mapping(set_customer_import_header.header)
    where i.tenant_id = set_customer_import_header.tenant_id and i.id = set_customer_import_header.import_id and i.status = 'parsing'
    returning 1)
  select exists (select 1 from changed);
$$;

/*
 * Where the worker's COPY puts the records it reads (row number, cells as a JSON array), in its own
 * session: COPY cannot write customer_import_rows (row-level security), and streaming the
 * records holds none of them in the worker's memory. Emptied by each stage_customer_import_copied.
 */
create or replace function app_private.prepare_customer_import_copy() returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
set client_min_messages to warning
as $$
begin
  create temp table if not exists customer_import_copied (row_no int not null, cells jsonb not null);
  delete from pg_temp.customer_import_copied;
end;
$$;

/*
 * Stages the records copied into pg_temp.customer_import_copied (prepare_customer_import_copy)
 * and empties it. Each row is checked against the proposed mapping in the same statement
 * (customer_import_values, inlined; state new or invalid), so the preview's classification does
 * not write every row a second time; a row staged before the mapping is known stays 'read' and
 * is checked by classify_customer_import. Returns false when the import is no longer being read.
 */
create or replace function app_private.stage_customer_import_copied(tenant_id text, import_id text) returns boolean
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
-- The checks are one large expression: compiling it (JIT, chosen by the row estimate of the copy
-- table) took 1.4 s a batch of 2,000 rows where running it takes 0.25 s (measured, load 15).
set jit to off
as $$
declare
  imp_mapping text[];
  tenant_country text;
  n int;
begin
  select i.mapping, t.default_country into imp_mapping, tenant_country
  from app_public.customer_imports i join app_public.tenants t on t.id = i.tenant_id
  where i.tenant_id = stage_customer_import_copied.tenant_id and i.id = stage_customer_import_copied.import_id;
  if imp_mapping is null then
    insert into app_public.customer_import_rows (tenant_id, import_id, row_no, cells)
    select stage_customer_import_copied.tenant_id, stage_customer_import_copied.import_id, c.row_no,
           array(select jsonb_array_elements_text(c.cells))
    from pg_temp.customer_import_copied c;
  else
    insert into app_public.customer_import_rows (tenant_id, import_id, row_no, cells, state, reason, email, phone, first_name,
      last_name, tags, note, about, company, email_consent, sms_consent, address_line1, address_line2, city, region,
      postal_code, country)
    select stage_customer_import_copied.tenant_id, stage_customer_import_copied.import_id, r.row_no, r.cells,
           v.state, v.reason, v.email, v.phone, v.first_name, v.last_name, v.tags, v.note, v.about, v.company,
           v.email_consent, v.sms_consent, v.address_line1, v.address_line2, v.city, v.region, v.postal_code, v.country
    from (select c.row_no, array(select jsonb_array_elements_text(c.cells)) as cells from pg_temp.customer_import_copied c offset 0) r
    cross join lateral app_private.customer_import_values(r.cells, imp_mapping, tenant_country) v;
  end if;
  get diagnostics n = row_count;
  delete from pg_temp.customer_import_copied;
  update app_public.customer_imports i set rows_read = i.rows_read + n
  where i.tenant_id = stage_customer_import_copied.tenant_id and i.id = stage_customer_import_copied.import_id and i.status = 'parsing';
  return found;
end;
$$;

/*
 * Stages records given as a JSON array of arrays of cells, the first being the file's row
 * first_row_no (as stage_customer_import_copied; for tests and small files). Returns false when
 * the import is no longer being read.
 */
create or replace function app_private.stage_customer_import_rows(tenant_id text, import_id text, first_row_no int, rows jsonb) returns boolean
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform app_private.prepare_customer_import_copy();
  insert into pg_temp.customer_import_copied (row_no, cells)
  select first_row_no + (r.n - 1)::int, r.cells from jsonb_array_elements(rows) with ordinality as r(cells, n);
  return app_private.stage_customer_import_copied(tenant_id, import_id);
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
    -- the rows were checked as they were staged, with this mapping
    perform app_private.classify_customer_import(tenant_id, import_id, recheck => false);
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

  -- The next `size` rows to write: the first of each state's index range, merged (one range of
  -- both states would be read whole and sorted, every batch: quadratic over a large file).
  select min(u.row_no), max(u.row_no) into first_row, last_row from (
    select x.row_no from (
      (select r.row_no from app_public.customer_import_rows r
       where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.state = 'new' order by r.row_no limit size)
      union all
      (select r.row_no from app_public.customer_import_rows r
       where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.state = 'duplicate' order by r.row_no limit size)
    ) x order by x.row_no limit size) as u;

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
  created app_private.events[];
begin
  -- New customers: ids first, so that the rows know theirs, and marked created at once (one
  -- write of each staged row, not two; the batch's rows are told apart by their range).
  update app_public.customer_import_rows r set customer_id = public.gen_ulid(), state = 'created'
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
    where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.state = 'created' and r.row_no between from_row and to_row;

    -- Their customer.created.v1, appended in one statement (in file order) and applied to the
    -- inline consumers as a batch: what emit_event does per customer, 0.24 ms a row less.
    with appended as (
      insert into app_private.events (tenant_id, type, aggregate_type, aggregate_id, payload, actor_user_id)
      select c.tenant_id, 'customer.created.v1', 'customer', c.id, app_private.customer_event_payload(c), imp.committed_by
      from app_public.customers c
      join app_public.customer_import_rows r on r.tenant_id = c.tenant_id and r.customer_id = c.id
      where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.state = 'created' and r.row_no between from_row and to_row
      order by r.row_no
      returning *)
    select array_agg(e order by e.seq) into created from appended e;
    perform app_private.dispatch_events(created);
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
    and r.state in ('created', 'duplicate') and r.note is not null
  order by r.row_no;

  insert into app_public.customer_contact_channels as x (tenant_id, customer_id, channel, allowed, source, recorded_at, recorded_by)
  select r.tenant_id, r.customer_id, ch.channel, ch.allowed, 'import', now(), imp.committed_by
  from app_public.customer_import_rows r
  cross join lateral (values ('email', r.email_consent), ('sms', r.sms_consent)) as ch(channel, allowed)
  where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.row_no between from_row and to_row
    and r.state in ('created', 'duplicate') and ch.allowed is not null
    and (r.state = 'created' or imp.on_duplicate = 'overwrite'
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
    and r.state in ('created', 'duplicate') and r.address_line1 is not null
    -- the same address is not added twice (a file imported again, or a duplicate that has it)
    and not exists (select 1 from app_public.customer_addresses a
                    where a.tenant_id = r.tenant_id and a.customer_id = r.customer_id
                      and lower(a.line1) = lower(r.address_line1) and lower(a.city) = lower(r.city))
  order by r.row_no;

  update app_public.customer_import_rows r set state = 'updated'
  where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.state = 'duplicate' and r.row_no between from_row and to_row;
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
