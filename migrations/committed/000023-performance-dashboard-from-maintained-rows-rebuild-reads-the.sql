--! Previous: sha1:3682c2ee48b29c7dfa17e2b787dca886fabe32eb
--! Hash: sha1:76a577476509a324a2bde0a0523186d3205b7351
--! Message: Performance: dashboard from maintained rows, rebuild reads the log once, import staging by COPY

--! split: 1-current.sql
-- Enter migration here

--! split: 2-i20import.sql
-- Customer import throughput (issue 20, item 9): rows checked as they are staged; the addresses
-- of the customers an import creates checked set-based.
drop function if exists app_private.classify_customer_import(text, text);
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

-- Every address written is checked here, row by row, except those of the customers a customer
-- import has just created (customers/485-import.sql, write_customer_import_rows): checked
-- set-based with the file (checked_address) and inserted by one statement that names itself with
-- app.addresses_checked for its duration, for customers made live in the same transaction with
-- no address yet, so that this trigger's lookups (live customer, at most 20, one default) hold by
-- construction. They cost about half of that insert. The setting counts only for the owner (the
-- worker's import): any role can set an app.* setting, so for any other role every row is checked.
create or replace trigger _050_validate before insert or update on app_public.customer_addresses
  for each row when (current_setting('app.addresses_checked', true) is distinct from 'on' or current_user <> ':DATABASE_OWNER')
  execute function app_private.tg_customer_addresses__validate();

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

-- Skipped like _050_validate for an import's new customers (their addresses have no delivery details).
create or replace trigger _055_delivery before insert or update on app_public.customer_addresses
  for each row when (current_setting('app.addresses_checked', true) is distinct from 'on' or current_user <> ':DATABASE_OWNER')
  execute function app_private.tg_customer_addresses__delivery();

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

  -- The addresses of the customers just created: their lines were checked with the file
  -- (checked_address, the trigger's own rule, at the preview), and each customer is live and
  -- has no address yet, so the address trigger's row-by-row lookups are skipped for this one
  -- statement (app.addresses_checked, see customers/410-notes-and-addresses.sql).
  perform set_config('app.addresses_checked', 'on', true);
  insert into app_public.customer_addresses (tenant_id, customer_id, type, line1, line2, city, region, postal_code, country, is_default)
  select r.tenant_id, r.customer_id, 'home', r.address_line1, r.address_line2, r.city, r.region, r.postal_code, r.country, true
  from app_public.customer_import_rows r
  where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.row_no between from_row and to_row
    and r.state = 'created' and r.address_line1 is not null
  order by r.row_no;
  perform set_config('app.addresses_checked', '', true);

  -- Those of existing customers, through the trigger.
  insert into app_public.customer_addresses (tenant_id, customer_id, type, line1, line2, city, region, postal_code, country, is_default)
  select r.tenant_id, r.customer_id, 'home', r.address_line1, r.address_line2, r.city, r.region, r.postal_code, r.country,
         not exists (select 1 from app_public.customer_addresses a where a.tenant_id = r.tenant_id and a.customer_id = r.customer_id and a.is_default)
  from app_public.customer_import_rows r
  where r.tenant_id = imp.tenant_id and r.import_id = imp.id and r.row_no between from_row and to_row
    and r.state = 'duplicate' and r.address_line1 is not null
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

--! split: 192-i19dash.sql
-- Issue 19, item 2: the dashboard from maintained rows (db/REPORTING.md "The dashboard's plan").

-- Last visits per tenant and UTC day (app_private, never granted: the dashboard's count reads it
-- through app_private.active_customers_since). No primary key: a day may have several rows, which
-- readers add up (migrations/fixtures/reporting/615-active-customers.sql says why). No foreign
-- key to the tenant either: a tenant's deletion cascades to rm_customer_activity, whose trigger
-- then writes what leaves (the tenant row already gone).
create table if not exists app_private.last_visit_days (
  tenant_id text not null,
  visit_day date not null,
  customers int not null
);
comment on table app_private.last_visit_days is 'Customers (not merged away) per tenant and UTC day of their last visit, as changes added up (kept by triggers on reporting.rm_customer_activity).';
create index if not exists last_visit_days_tenant_day_idx on app_private.last_visit_days (tenant_id, visit_day) include (customers);

--! Included billing/510-subscriptions.sql
-- Each tenant's subscription (one row, mirrored from Stripe), its invoices and the
-- notices billing leaves for the owner. A new tenant starts on Starter, trialing for 14 days
-- with no card; a trigger queues the worker jobs that create its Stripe customer and then its
-- trial subscription (Stripe is never called from a transaction). From then on Stripe is the
-- source of truth: its events (app_private.apply_stripe_event) update these rows, and the tenant's
-- status follows (suspended for non-payment or cancellation, reactivated when paid).
-- db/BILLING.md tells the whole story.

create or replace trigger _100_timestamps before insert or update on app_public.billing_subscriptions
  for each row execute function app_private.tg__timestamps();

create or replace trigger _500_audit after insert or update or delete on app_public.billing_subscriptions
  for each row execute function app_private.tg__audit('created_at', 'updated_at', 'last_stripe_event_at');

drop policy if exists select_with_permission on app_public.billing_subscriptions;
create policy select_with_permission on app_public.billing_subscriptions for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.view'));

revoke all on app_public.billing_subscriptions from :DATABASE_VISITOR;
grant select on app_public.billing_subscriptions to :DATABASE_VISITOR;

create or replace trigger _100_timestamps before insert or update on app_public.billing_invoices
  for each row execute function app_private.tg__timestamps();

drop policy if exists select_with_permission on app_public.billing_invoices;
create policy select_with_permission on app_public.billing_invoices for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.view'));

revoke all on app_public.billing_invoices from :DATABASE_VISITOR;
grant select on app_public.billing_invoices to :DATABASE_VISITOR;

drop policy if exists select_with_permission on app_public.billing_notices;
create policy select_with_permission on app_public.billing_notices for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.update'));

revoke all on app_public.billing_notices from :DATABASE_VISITOR;
grant select on app_public.billing_notices to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Permissions for billing operations, entitlements

/*
 * Like app_hidden.assert_permission, for the operations a suspended business may still perform
 * (opening the billing portal, changing plan): raises LOGIN or DNIED, never TSUSP.
 */
create or replace function app_hidden.assert_billing_permission(permission text) returns text
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
create or replace function app_private.tenant_plan(tenant text) returns app_public.plans
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select p.* from app_public.plans p
  where p.key = coalesce((select s.plan_key from app_public.billing_subscriptions s where s.tenant_id = tenant), 'starter');
$$;
comment on function app_private.tenant_plan(text) is 'The plan whose modules and limits apply to the tenant.';

/* The plan of the current tenant (null without one). */
create or replace function app_hidden.current_plan() returns app_public.plans
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select p.* from app_private.tenant_plan(app_hidden.current_tenant_id()) p where app_hidden.current_tenant_id() is not null;
$$;
comment on function app_hidden.current_plan() is 'The plan of the current tenant: its modules and limits.';

/* Whether a tenant's plan includes the module: the rule, for code that already knows the tenant (the reports' guard, the dashboard). */
create or replace function app_private.tenant_has_module(tenant text, module text) returns boolean
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(module = any((app_private.tenant_plan(tenant)).modules), false);
$$;
comment on function app_private.tenant_has_module(text, text) is 'Whether the plan of the tenant includes the module (has_module for a tenant already known, without looking the session up again).';

create or replace function app_hidden.has_module(module text) returns boolean
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(module = any((app_hidden.current_plan()).modules), false);
$$;
comment on function app_hidden.has_module(text) is 'Whether the plan of the current tenant includes the module (customers, reporting, inventory…).';

/* The modules of the current tenant's plan, for every member: screens follow the same rule as has_module. */
create or replace function app_public.current_plan_modules() returns text[]
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select (app_hidden.current_plan()).modules;
$$;
comment on function app_public.current_plan_modules() is 'The modules of the business''s plan (customers, reporting, inventory…), readable by every member: a screen of a module the plan lacks is hidden or offers the upgrade.';

/* Raises NOMOD unless the current tenant's plan includes the module. */
create or replace function app_hidden.assert_module(module text) returns void
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

create or replace function app_public.current_billing_subscription() returns app_public.billing_subscriptions
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select s.* from app_public.billing_subscriptions s where s.tenant_id = app_hidden.current_tenant_id();
$$;
comment on function app_public.current_billing_subscription() is 'The subscription of the current business (needs settings.view).';

------------------------------------------------------------------------------------------------
-- Tenant status follows billing

/* Suspends the tenant for a billing reason (app_private.suspend_tenant: a cancellation replaces a non-payment, not the reverse). */
create or replace function app_private.suspend_tenant_for_billing(tenant text, reason text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform app_private.suspend_tenant(tenant, reason,
    case reason when 'canceled' then 'The subscription ended.' else 'Payment failed.' end);
end;
$$;
comment on function app_private.suspend_tenant_for_billing(text, text) is 'Suspends the tenant (nonpayment or canceled).';

/* Lifts a suspension billing made; suspensions for other reasons are left alone. */
create or replace function app_private.reactivate_tenant_for_billing(tenant text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform app_private.reactivate_tenant(tenant, array['nonpayment', 'canceled'], 'Billing is in order again.');
end;
$$;
comment on function app_private.reactivate_tenant_for_billing(text) is 'Reactivates a tenant that billing suspended.';

/* Trigger: past_due_since follows the status (set when it falls past due, cleared when it leaves). */
create or replace function app_private.tg_billing_subscriptions__past_due_since() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if new.status = 'past_due' then
    new.past_due_since := case when tg_op = 'UPDATE' and old.status = 'past_due' then old.past_due_since else now() end;
  else
    new.past_due_since := null;
  end if;
  return new;
end;
$$;

create or replace trigger _050_past_due_since before insert or update of status on app_public.billing_subscriptions
  for each row execute function app_private.tg_billing_subscriptions__past_due_since();

------------------------------------------------------------------------------------------------
-- Onboarding: the trial row, then the worker creates the Stripe customer and subscription
create or replace function app_private.tg_tenants__start_trial() returns trigger
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

create or replace trigger _600_start_trial after insert on app_public.tenants
  for each row execute function app_private.tg_tenants__start_trial();

/* What the worker sends to Stripe for the tenant's customer; null when the tenant is gone. */
create or replace function app_private.stripe_customer_params(tenant text) returns jsonb
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
create or replace function app_private.store_stripe_customer(tenant text, customer_id text) returns boolean
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
create or replace function app_private.stripe_subscription_params(tenant text) returns jsonb
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
create or replace function app_private.stripe_time(value jsonb) returns timestamptz
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select case when jsonb_typeof(value) = 'number' then to_timestamp((value #>> '{}')::double precision) end;
$$;

/* Our status for a Stripe subscription status. */
create or replace function app_private.billing_status_of(stripe_status text) returns text
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
create or replace function app_private.sync_tenant_with_subscription(tenant text, status text) returns void
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
create or replace function app_private.apply_stripe_subscription(tenant text, sub jsonb, at timestamptz, source text default 'event', deleted boolean default false)
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
create or replace function app_private.upsert_stripe_invoice(tenant text, inv jsonb, at timestamptz) returns boolean
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
create or replace function app_private.apply_stripe_invoice(tenant text, inv jsonb, event_type text, at timestamptz) returns text
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
create or replace function app_private.add_billing_notice(tenant text, kind text, message text, stripe_event_id text) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  insert into app_public.billing_notices (tenant_id, kind, message, stripe_event_id)
  values (tenant, kind, message, stripe_event_id)
  on conflict (tenant_id, stripe_event_id) do nothing;
$$;

create or replace function app_public.dismiss_billing_notice(id text) returns app_public.billing_notices
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
--! EndIncluded billing/510-subscriptions.sql
--! Included reporting/615-active-customers.sql
-- Customers active in the last 30 days, for the dashboard, without counting them one by one.
--
-- app_private.last_visit_days holds, per tenant and UTC day, how many customers (not merged
-- away) have their last visit on that day. It is a pure function of reporting.rm_customer_activity,
-- kept by statement-level triggers with transition tables on that table, so every writer — the
-- consumer at commit, merges, a rebuild, a tenant's deletion, a TRUNCATE — keeps it exact
-- without knowing it exists.
--
-- Insert-only, never a hot row: each statement that moves last visits appends one row per
-- (tenant, day) it changes, with the change (+1 for the day a customer's last visit moved to, −1
-- for the day it left). Updating one counter row per day instead would make every till of a shop
-- wait for the others' commits on today's row (the problem the sales queue exists to avoid,
-- db/REPORTING.md). The writer that gets the tenant's compaction lock without waiting then folds
-- the rows of the days it touched into one per day; the others leave theirs for the next one.
-- Readers sum whatever rows a day has.

/* The key of a tenant's compaction lock (transaction-level advisory lock, tried, never waited for). */
create or replace function app_private.last_visit_days_lock_key(tenant_id text) returns bigint
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select hashtextextended('reporting.last_visit_days:' || tenant_id, 0);
$$;

/* The statement trigger of rm_customer_activity: what the statement changed, per tenant and day. */
create or replace function app_private.tg_rm_customer_activity__last_visit_days() returns trigger
language plpgsql
set search_path to pg_catalog, public, pg_temp
as $$
declare
  changes app_private.last_visit_days[];
  tenant text;
begin
  if tg_op = 'TRUNCATE' then
    -- TRUNCATE empties every tenant's activity at once.
    truncate app_private.last_visit_days;
    return null;
  end if;

  -- Only rows that count: a last visit, and not merged into another customer.
  if tg_op = 'INSERT' then
    select array_agg(row(d.tenant_id, d.visit_day, d.customers)::app_private.last_visit_days) into changes
    from (select n.tenant_id, (n.last_visit_at at time zone 'UTC')::date as visit_day, count(*)::int as customers
          from new_rows n where n.last_visit_at is not null and n.merged_into_id is null
          group by 1, 2) d;
  elsif tg_op = 'DELETE' then
    select array_agg(row(d.tenant_id, d.visit_day, d.customers)::app_private.last_visit_days) into changes
    from (select o.tenant_id, (o.last_visit_at at time zone 'UTC')::date as visit_day, -count(*)::int as customers
          from old_rows o where o.last_visit_at is not null and o.merged_into_id is null
          group by 1, 2) d;
  else
    select array_agg(row(d.tenant_id, d.visit_day, d.customers)::app_private.last_visit_days) into changes
    from (select c.tenant_id, c.visit_day, sum(c.n)::int as customers
          from (select n.tenant_id, (n.last_visit_at at time zone 'UTC')::date as visit_day, 1 as n
                from new_rows n where n.last_visit_at is not null and n.merged_into_id is null
                union all
                select o.tenant_id, (o.last_visit_at at time zone 'UTC')::date, -1
                from old_rows o where o.last_visit_at is not null and o.merged_into_id is null) c
          group by 1, 2
          having sum(c.n) <> 0) d;
  end if;
  if changes is null then
    return null;
  end if;

  insert into app_private.last_visit_days (tenant_id, visit_day, customers)
  select c.tenant_id, c.visit_day, c.customers from unnest(changes) c;

  -- Compact the days just touched, if no other transaction of the tenant is compacting (it would
  -- hold its rows until it commits). Under READ COMMITTED only: a snapshot older than the lock
  -- could still see rows a compaction that has since committed deleted.
  if current_setting('transaction_isolation') = 'read committed' then
    for tenant in select distinct c.tenant_id from unnest(changes) c loop
      continue when not pg_try_advisory_xact_lock(app_private.last_visit_days_lock_key(tenant));
      with gone as (
        delete from app_private.last_visit_days h
        where h.tenant_id = tenant
          and h.visit_day in (select c.visit_day from unnest(changes) c where c.tenant_id = tenant)
        returning h.visit_day, h.customers
      )
      insert into app_private.last_visit_days (tenant_id, visit_day, customers)
      select tenant, g.visit_day, sum(g.customers)::int from gone g group by g.visit_day having sum(g.customers) <> 0;
    end loop;
  end if;
  return null;
end;
$$;
comment on function app_private.tg_rm_customer_activity__last_visit_days() is 'Keeps app_private.last_visit_days equal to the last visits of rm_customer_activity (statement trigger, transition tables).';

-- One trigger per event (a trigger with transition tables may have only one event, and no column
-- list: a rename fires it too, and finds nothing to change).
drop trigger if exists _500_last_visit_days_insert on reporting.rm_customer_activity;
create trigger _500_last_visit_days_insert after insert on reporting.rm_customer_activity
  referencing new table as new_rows
  for each statement execute function app_private.tg_rm_customer_activity__last_visit_days();
drop trigger if exists _500_last_visit_days_update on reporting.rm_customer_activity;
create trigger _500_last_visit_days_update after update on reporting.rm_customer_activity
  referencing old table as old_rows new table as new_rows
  for each statement execute function app_private.tg_rm_customer_activity__last_visit_days();
drop trigger if exists _500_last_visit_days_delete on reporting.rm_customer_activity;
create trigger _500_last_visit_days_delete after delete on reporting.rm_customer_activity
  referencing old table as old_rows
  for each statement execute function app_private.tg_rm_customer_activity__last_visit_days();
drop trigger if exists _500_last_visit_days_truncate on reporting.rm_customer_activity;
create trigger _500_last_visit_days_truncate after truncate on reporting.rm_customer_activity
  for each statement execute function app_private.tg_rm_customer_activity__last_visit_days();

/*
 * Customers of a tenant (not merged away) whose last visit is at or after `since`: the whole UTC
 * days after since's day from last_visit_days, plus since's own day counted row by row from
 * rm_customer_activity (its partial index on (tenant_id, last_visit_at)) from since to that day's
 * end. Reads at most a day's last visits, however many customers are active. PL/pgSQL so that
 * its plan is kept for the session (a SQL function with sub-selects is neither inlined nor
 * cached: it would be planned at every call).
 */
create or replace function app_private.active_customers_since(tenant_id text, since timestamptz) returns bigint
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  first_day constant date := (since at time zone 'UTC')::date;
begin
  return coalesce((select sum(h.customers)
                   from app_private.last_visit_days h
                   where h.tenant_id = active_customers_since.tenant_id and h.visit_day > first_day), 0)::bigint
       + (select count(*)
          from reporting.rm_customer_activity c
          where c.tenant_id = active_customers_since.tenant_id and c.merged_into_id is null
            and c.last_visit_at >= since and c.last_visit_at < ((first_day + 1)::timestamp at time zone 'UTC'));
end;
$$;
comment on function app_private.active_customers_since(text, timestamptz) is 'Customers of the tenant (merged ones excluded) whose last visit is at or after since: whole days from last_visit_days, the first day counted.';
--! EndIncluded reporting/615-active-customers.sql
--! Included reporting/630-queries.sql
-- What the admin asks (the dashboard, the Sales, Items and Inventory
-- tabs), as GraphQL queries. Each reads the read models plus the sales events still
-- queued for folding (app_private.reporting_pending_*), so its figures are exact the moment an order commits, and never
-- aggregates the sales tables. The app_private.reporting_* versions take the tenant explicitly
-- (the export worker uses them); the reporting.* ones check reports.view and the plan's
-- reporting module and serve the caller's tenant.

/* The guard of the reporting queries: LOGIN, DNIED, TSUSP, NOMOD; returns the current tenant. */
create or replace function app_hidden.assert_reports_permission(permission text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  -- LOGIN, TSUSP (assert_permission checks the tenant is active) and DNIED.
  tenant text := app_hidden.assert_permission(permission);
begin
  -- The module from the tenant's plan (as has_module reads it, without looking the session up
  -- twice more); assert_module raises NOMOD with the plan's name.
  if not app_private.tenant_has_module(tenant, 'reporting') then
    perform app_hidden.assert_module('reporting');
  end if;
  return tenant;
end;
$$;
comment on function app_hidden.assert_reports_permission(text) is 'Raises LOGIN, DNIED, TSUSP or NOMOD unless the caller may use reports with this permission; returns the tenant.';

/* Raises BADIN unless from..to is a range of at most max_days days; NOTFD for a location of another tenant. */
create or replace function app_private.reporting_check_range(tenant_id text, from_date date, to_date date, location_id text, max_days int default 1096)
returns void
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if from_date is null or to_date is null then
    perform app_hidden.raise_error('BADIN', 'Give both the first and the last date of the period.');
  elsif from_date > to_date then
    perform app_hidden.raise_error('BADIN', 'The first date of the period must not be after the last one.');
  elsif to_date - from_date >= max_days then
    perform app_hidden.raise_error('BADIN', format('A period can be at most %s days long.', max_days));
  end if;
  if location_id is not null and not exists (
      select 1 from app_public.locations l where l.tenant_id = reporting_check_range.tenant_id and l.id = reporting_check_range.location_id) then
    perform app_hidden.raise_error('NOTFD', format('There is no location %s.', left(location_id, 40)));
  end if;
end;
$$;

/*
 * The average sale (db/REPORTING.md): net sales / sales, rounded half up, 0 without sales. (No
 * SET clause, so a query inlines it.)
 */
create or replace function app_private.reporting_average_sale(net_sales bigint, order_count bigint) returns bigint
language sql immutable parallel safe
as $$
  select case when order_count > 0 then round(net_sales::numeric / order_count)::bigint else 0 end;
$$;
comment on function app_private.reporting_average_sale(bigint, bigint) is 'Net sales / sales in minor units, rounded half up; 0 without sales (the average sale of a day, or of days added up).';

/*
 * A figure against the one it is compared with, in percent with one decimal (12.5 is +12.5%),
 * over the absolute value of the earlier one (net sales can be negative on a day of refunds), so
 * that up is always more. Null when the earlier figure is 0: no percent of nothing, even
 * against nothing now. (No SET clause, so a query inlines it.)
 */
create or replace function app_private.reporting_percent_change(current_value bigint, previous_value bigint) returns numeric
language sql immutable parallel safe
as $$
  select case when previous_value <> 0 then round(100.0 * (current_value - previous_value) / abs(previous_value), 1) end;
$$;
comment on function app_private.reporting_percent_change(bigint, bigint) is 'current against previous in percent, one decimal, over |previous|; null when previous is 0 (or either is null).';

/* Every date of the range (no gaps, for charts), summed over one or all locations. */
create or replace function app_private.reporting_daily_sales(tenant_id text, from_date date, to_date date, location_id text default null)
returns setof reporting.daily_sales_row
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  with figures as (
    select r.business_date, r.order_count::bigint as order_count, r.gross_sales, r.discount_total, r.tax_total, r.net_sales,
           r.tender_cash, r.tender_card, r.refund_count::bigint as refund_count, r.refund_total
    from reporting.rm_daily_sales r
    where r.tenant_id = reporting_daily_sales.tenant_id
      and r.business_date between from_date and to_date
      and (reporting_daily_sales.location_id is null or r.location_id = reporting_daily_sales.location_id)
    union all
    select d.business_date, d.order_count, d.gross_sales, d.discount_total, d.tax_total, d.net_sales,
           d.tender_cash, d.tender_card, d.refund_count, d.refund_total
    from app_private.reporting_pending_daily(reporting_daily_sales.tenant_id) d
    where d.business_date between from_date and to_date
      and (reporting_daily_sales.location_id is null or d.location_id = reporting_daily_sales.location_id)
  ), days as (
    select g::date as business_date from generate_series(from_date::timestamp, to_date::timestamp, interval '1 day') g
  ), summed as (
    select days.business_date,
           coalesce(sum(f.order_count), 0)::bigint as order_count, coalesce(sum(f.gross_sales), 0)::bigint as gross_sales,
           coalesce(sum(f.discount_total), 0)::bigint as discount_total, coalesce(sum(f.tax_total), 0)::bigint as tax_total,
           coalesce(sum(f.net_sales), 0)::bigint as net_sales, coalesce(sum(f.tender_cash), 0)::bigint as tender_cash,
           coalesce(sum(f.tender_card), 0)::bigint as tender_card, coalesce(sum(f.refund_count), 0)::bigint as refund_count,
           coalesce(sum(f.refund_total), 0)::bigint as refund_total
    from days left join figures f on f.business_date = days.business_date
    group by days.business_date
  )
  select s.business_date, reporting_daily_sales.location_id, s.order_count, s.gross_sales, s.discount_total, s.tax_total,
         s.net_sales, s.tender_cash, s.tender_card, s.refund_count, s.refund_total,
         app_private.reporting_average_sale(s.net_sales, s.order_count),
         s.net_sales + s.tax_total
  from summed s
  order by s.business_date;
$$;
comment on function app_private.reporting_daily_sales(text, date, date, text) is 'Daily sales of a tenant over a date range, one row per date, at one location or summed over all (exports, reporting.daily_sales).';

create or replace function reporting.daily_sales(from_date date, to_date date, location_id text default null)
returns setof reporting.daily_sales_row
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_reports_permission('reports.view');
begin
  perform app_private.reporting_check_range(tenant, from_date, to_date, location_id);
  return query select * from app_private.reporting_daily_sales(tenant, from_date, to_date, location_id);
end;
$$;
comment on function reporting.daily_sales(date, date, text) is
  E'@name daily_sales\n@behavior -connection +list\n@listSuffix omit\nSales per business date from fromDate to toDate (both included, at most 1096 days), one row per date even without sales; at one location, or added up over all locations when locationId is not given (each location''s own dates). Needs reports.view.';
grant execute on function reporting.daily_sales(date, date, text), reporting.item_sales(date, date, text, reporting.item_sales_order),
  reporting.inventory_summary(text, boolean), reporting.dashboard_metrics() to :DATABASE_VISITOR;

create or replace function app_private.reporting_item_sales(tenant_id text, from_date date, to_date date, location_id text default null,
                                                 order_by reporting.item_sales_order default 'revenue')
returns setof reporting.item_sales_row
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  with figures as (
    select r.catalog_item_id, r.catalog_item_name, r.name_seq, r.quantity_sold::bigint as quantity_sold, r.gross_revenue, r.net_revenue
    from reporting.rm_item_sales r
    where r.tenant_id = reporting_item_sales.tenant_id
      and r.business_date between from_date and to_date
      and (reporting_item_sales.location_id is null or r.location_id = reporting_item_sales.location_id)
    union all
    select d.catalog_item_id, d.catalog_item_name, d.name_seq, d.quantity_sold, d.gross_revenue, d.net_revenue
    from app_private.reporting_pending_items(reporting_item_sales.tenant_id) d
    where d.business_date between from_date and to_date
      and (reporting_item_sales.location_id is null or d.location_id = reporting_item_sales.location_id)
  ), summed as (
    select f.catalog_item_id, (array_agg(f.catalog_item_name order by f.name_seq desc, f.catalog_item_name))[1] as catalog_item_name,
           sum(f.quantity_sold)::bigint as quantity_sold, sum(f.gross_revenue)::bigint as gross_revenue,
           sum(f.net_revenue)::bigint as net_revenue
    from figures f
    group by f.catalog_item_id
  )
  select s.catalog_item_id, s.catalog_item_name, s.quantity_sold, s.gross_revenue, s.net_revenue,
         case when s.quantity_sold > 0 then round(s.net_revenue::numeric / s.quantity_sold)::bigint else 0 end
  from summed s
  where s.quantity_sold <> 0 or s.net_revenue <> 0
  order by case when order_by = 'quantity' then s.quantity_sold else s.net_revenue end desc,
           case when order_by = 'quantity' then s.net_revenue else s.quantity_sold end desc,
           s.catalog_item_name, s.catalog_item_id;
$$;
comment on function app_private.reporting_item_sales(text, date, date, text, reporting.item_sales_order) is 'Sales per catalog item of a tenant over a date range, best first (exports, reporting.item_sales).';

create or replace function reporting.item_sales(from_date date, to_date date, location_id text default null,
                                     order_by reporting.item_sales_order default 'revenue')
returns setof reporting.item_sales_row
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_reports_permission('reports.view');
begin
  perform app_private.reporting_check_range(tenant, from_date, to_date, location_id);
  return query select * from app_private.reporting_item_sales(tenant, from_date, to_date, location_id, coalesce(order_by, 'revenue'));
end;
$$;
comment on function reporting.item_sales(date, date, text, reporting.item_sales_order) is
  E'@name item_sales\n@behavior -connection +list\n@listSuffix omit\nTop catalog items from fromDate to toDate (both included), at one location or all: by units sold (quantity) or by net revenue (revenue, the default), best first; ties go to the other figure, then the name. Items with no units and no net revenue left after refunds are left out. Needs reports.view.';

create or replace function app_private.reporting_inventory_summary(tenant_id text, location_id text default null, low_only boolean default false)
returns setof reporting.inventory_summary_row
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  with figures as (
    select r.location_id, r.inventory_item_id, r.on_hand::bigint as on_hand
    from reporting.rm_inventory_on_hand r
    where r.tenant_id = reporting_inventory_summary.tenant_id
      and (reporting_inventory_summary.location_id is null or r.location_id = reporting_inventory_summary.location_id)
    union all
    select d.location_id, d.inventory_item_id, d.on_hand
    from app_private.reporting_pending_stock(reporting_inventory_summary.tenant_id) d
    where reporting_inventory_summary.location_id is null or d.location_id = reporting_inventory_summary.location_id
  ), summed as (
    select f.location_id, f.inventory_item_id, sum(f.on_hand)::int as on_hand
    from figures f
    group by f.location_id, f.inventory_item_id
  )
  select s.location_id, l.name, s.inventory_item_id, i.name, s.on_hand, i.low_stock_threshold, s.on_hand <= i.low_stock_threshold
  from summed s
  join app_public.locations l on l.tenant_id = reporting_inventory_summary.tenant_id and l.id = s.location_id
  join app_public.inventory_items i on i.tenant_id = reporting_inventory_summary.tenant_id and i.id = s.inventory_item_id
  where not coalesce(low_only, false) or s.on_hand <= i.low_stock_threshold
  order by l.name, i.name, s.inventory_item_id;
$$;
comment on function app_private.reporting_inventory_summary(text, text, boolean) is 'Stock per location and inventory item of a tenant (exports, reporting.inventory_summary).';

create or replace function reporting.inventory_summary(location_id text default null, low_only boolean default false)
returns setof reporting.inventory_summary_row
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_reports_permission('reports.view');
begin
  -- Stock levels are the inventory module's (NOMOD on a plan without it).
  perform app_hidden.assert_module('inventory');
  perform app_private.reporting_check_range(tenant, current_date, current_date, location_id);
  return query select * from app_private.reporting_inventory_summary(tenant, location_id, coalesce(low_only, false));
end;
$$;
comment on function reporting.inventory_summary(text, boolean) is
  E'@name inventory_summary\n@behavior -connection +list\n@listSuffix omit\nStock of every inventory item at one location (or at each location), by location and item name; only the items at or below their low-stock threshold when lowOnly is true. An item appears at a location once stock has moved there. Needs reports.view and the inventory module.';

/*
 * The dashboard's figures. Sales: today and the same weekday a week ago, each location on its own
 * clock (its today and its today − 7), so a business across time zones compares each shop's day
 * with that shop's day a week before. They read the rm_daily_sales rows of those two dates per
 * location (keys of its primary key) plus what the tenant's queued events add to those dates, as
 * the other exact readers do, so the figures are exact before the fold. The average sale and the
 * percent changes are computed from the sums (never averaged). Active customers: whole days from
 * app_private.last_visit_days plus the first day of the window counted
 * (app_private.active_customers_since, 615-active-customers.sql).
 *
 * One probe of the queue for the whole dashboard: while nothing is queued (the usual case) the
 * pending helpers are not called at all (a false one-time filter skips them). PL/pgSQL so that the
 * statement's plan is kept for the session (a SQL function with a SET clause is planned at every
 * call). db/REPORTING.md "The dashboard's plan" explains each part.
 */
create or replace function app_private.reporting_dashboard_metrics(tenant_id text) returns reporting.dashboard_metrics
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
declare
  tenant constant text := reporting_dashboard_metrics.tenant_id;
  queued constant boolean := exists (select 1 from app_private.reporting_queue q where q.tenant_id = reporting_dashboard_metrics.tenant_id);
  metrics reporting.dashboard_metrics;
begin
  with today as (
    select l.id as location_id, app_hidden.business_date(now(), l.timezone) as business_date
    from app_public.locations l where l.tenant_id = tenant
  ), days as (
    select t.location_id, t.business_date, true as is_today from today t
    union all
    select t.location_id, t.business_date - 7, false from today t
  ), sales as (
    select d.is_today, r.order_count::bigint as order_count, r.net_sales
    from reporting.rm_daily_sales r
    join days d on d.location_id = r.location_id and d.business_date = r.business_date
    where r.tenant_id = tenant
    union all
    select d.is_today, p.order_count, p.net_sales
    from app_private.reporting_pending_daily(tenant) p
    join days d on d.location_id = p.location_id and d.business_date = p.business_date
    where queued
  ), totals as (
    select coalesce(sum(s.net_sales) filter (where s.is_today), 0)::bigint as sales_today,
           coalesce(sum(s.order_count) filter (where s.is_today), 0)::bigint as orders_today,
           coalesce(sum(s.net_sales) filter (where not s.is_today), 0)::bigint as sales_week_ago,
           coalesce(sum(s.order_count) filter (where not s.is_today), 0)::bigint as orders_week_ago
    from sales s
  ), figures as (
    select t.*, app_private.reporting_average_sale(t.sales_today, t.orders_today) as average_today,
           app_private.reporting_average_sale(t.sales_week_ago, t.orders_week_ago) as average_week_ago
    from totals t
  ), pending_stock as (
    select * from app_private.reporting_pending_stock(tenant) where queued
  ), low as (
    -- Folded rows flagged low (a partial index) that no queued movement touches …
    select 1
    from reporting.rm_inventory_on_hand r
    where r.tenant_id = tenant and r.is_below_threshold
      and not exists (select 1 from pending_stock p where p.location_id = r.location_id and p.inventory_item_id = r.inventory_item_id)
    union all
    -- … and the rows queued movements touch, with those movements added.
    select 1
    from pending_stock p
    join app_public.inventory_items i on i.tenant_id = tenant and i.id = p.inventory_item_id
    left join reporting.rm_inventory_on_hand r
      on r.tenant_id = tenant and r.location_id = p.location_id and r.inventory_item_id = p.inventory_item_id
    where coalesce(r.on_hand, 0) + p.on_hand <= i.low_stock_threshold
  )
  -- Into the fields of metrics, in the order of reporting.dashboard_metrics.
  select
    f.sales_today,
    f.orders_today,
    (select count(*)::int from low),
    app_private.active_customers_since(tenant, now() - interval '30 days')::int,
    f.average_today,
    f.sales_week_ago,
    f.orders_week_ago,
    f.average_week_ago,
    app_private.reporting_percent_change(f.sales_today, f.sales_week_ago),
    app_private.reporting_percent_change(f.orders_today, f.orders_week_ago),
    app_private.reporting_percent_change(f.average_today, f.average_week_ago),
    (select t.currency from app_public.tenants t where t.id = tenant)
  into metrics
  from figures f;
  return metrics;
end;
$$;
comment on function app_private.reporting_dashboard_metrics(text) is 'The dashboard figures of a tenant: today''s sales against the same weekday a week ago (each location on its own clock), low stock, active customers.';

create or replace function reporting.dashboard_metrics() returns reporting.dashboard_metrics
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_reports_permission('reports.view');
  metrics reporting.dashboard_metrics := app_private.reporting_dashboard_metrics(tenant);
begin
  -- Low stock is the inventory module's: a plan without it counts none. (The tenant's plan read
  -- directly: app_hidden.has_module would look the session up twice more.)
  if not app_private.tenant_has_module(tenant, 'inventory') then
    metrics.low_stock_count := 0;
  end if;
  return metrics;
end;
$$;
comment on function reporting.dashboard_metrics() is
  E'@name dashboard_metrics\nToday''s net sales (tax excluded, refunds taken out), sales and average sale against the same weekday a week ago, with the change in percent (null when a week ago had nothing), today and a week ago in each location''s own time zone; the number of low-stock items (0 on a plan without the inventory module), and the customers active in the last 30 days. Amounts in minor units of currency. Needs reports.view.';
--! EndIncluded reporting/630-queries.sql

-- Backfill (and re-derive on every re-run of this migration): one row per tenant and day.
truncate app_private.last_visit_days;
insert into app_private.last_visit_days (tenant_id, visit_day, customers)
select a.tenant_id, (a.last_visit_at at time zone 'UTC')::date, count(*)::int
from reporting.rm_customer_activity a
where a.last_visit_at is not null and a.merged_into_id is null
group by 1, 2;

--! split: 193-i19rebuild.sql
-- Issue 19: the rebuild reads a tenant's log once; the sales facts are functions of one event (inlined),
-- so the views, the fold and the rebuild share one arithmetic.
--! Included reporting/610-consumers.sql
-- How events reach the read models (rm_*) (db/REPORTING.md, "Consumers,
-- and the hot row").
--
-- Two consumers, each subscribed by rows of app_private.event_subscriptions and applied at most
-- once per event through processed_events (app_private.dispatch):
--
--   reporting_customers (inline): order.placed/voided/refunded and customer.created/updated/merged →
--     rm_customer_activity. One row per customer is not a hot row (the customer counters (app_private.customer_counters__order_placed)
--     already lock that customer in the same transaction), so it is applied at once, in the
--     writer's transaction.
--
--   reporting_sales (inline, queued): order.placed/voided/refunded/cancelled, tender.recorded and
--     inventory.movement.created → rm_daily_sales, rm_item_sales, rm_inventory_on_hand. These are
--     hot rows: every order of a location and day adds to the same daily row, and an upsert holds
--     that row's lock until the writer commits, so concurrent tills at one shop would queue behind
--     each other (measured: 0.26 of the throughput without consumers at 8 clients). So the
--     consumer only appends the event to app_private.reporting_queue (an insert: no shared row),
--     and a deferred trigger folds the tenant's queue into the read models at commit, if — and
--     only if — it gets the tenant's fold lock without waiting (pg_try_advisory_xact_lock). One
--     writer folds for everyone at a time; the others never wait: their events stay queued until
--     the next fold (the next commit of the tenant, app_private.reporting_fold_all() from the
--     worker, or a rebuild).
--
-- Readers that must be exact (the admin's reporting.* queries, the analysts' views, exports)
-- add what the queued events add (reporting_pending_*, the same facts the fold uses), so a
-- figure is exact the moment its order commits, whether or not it was folded yet. GraphQL reads
-- of the rm_* tables (and their aggregates) see folded rows only.
--
-- The arithmetic of the sales read models lives once, in the *_fact functions that the *_facts
-- views apply to the log (what each event adds per read-model key; sums commute and names go to
-- the highest seq, so the order in which events are folded does not matter): the fold groups
-- them over the queued events it takes, the exact readers over the events still queued, and
-- reporting.rebuild over the whole log of a tenant, read once.

------------------------------------------------------------------------------------------------
-- Facts: what each sales event adds, one row per event (or per order line). The arithmetic of
-- the sales read models lives here only, in three functions of one event; the views apply them
-- to the log, and the fold, the exact readers and the rebuild group their rows over different
-- sets of events (the queue, or a tenant's log, which the rebuild reads once into a temp table
-- and hands to the same functions).
--
-- Stable, non-strict SQL without a SET clause so that PostgreSQL inlines them: a view or a query
-- over them plans as if the expressions were written in it (no call per event). They name
-- nothing a search_path could redirect.

/*
 * What an order or tender event adds to rm_daily_sales (db/REPORTING.md, "Sales
 * definitions"): a sale adds itself to its business date; a void (or a refund of some lines,
 * with the amounts of those lines) is a refund on the day it was made (voided_business_date,
 * refund_business_date): it takes its net amount out of net sales, its tax out of tax and
 * the money handed back out of the tenders, and counts one refund; a tender adds what went
 * towards its order on the day it was taken; a cancelled open order (never a sale) takes out of
 * the tenders only what was handed back, on the day of the cancellation. Other events add nothing
 * (no row).
 */
create or replace function app_private.reporting_daily_fact(event_type text, payload jsonb)
returns table (location_id text, business_date date, order_count integer, gross_sales bigint, discount_total bigint,
               tax_total bigint, net_sales bigint, tender_cash numeric, tender_card numeric, refund_count integer, refund_total bigint)
language sql stable parallel safe
as $$
  select payload ->> 'location_id',
         case when event_type = 'order.refunded.v1' then (payload ->> 'refund_business_date')::date
              when x.refund = 1 then coalesce((payload ->> 'voided_business_date')::date, (payload ->> 'business_date')::date)
              when event_type = 'order.cancelled.v1' then (payload ->> 'cancelled_business_date')::date
              else (payload ->> 'business_date')::date end,
         x.sale,
         x.sale * x.gross,
         x.sale * x.discounts,
         (x.sale - x.refund) * x.tax,
         (x.sale - x.refund) * (x.gross - x.discounts),
         case when x.tender = 'cash' then (payload ->> 'applied_amount')::bigint else 0 end - x.cash_back,
         case when x.tender = 'card' then (payload ->> 'applied_amount')::bigint else 0 end - x.card_back,
         x.refund,
         x.refund * (x.gross - x.discounts)
  from (select
      case when event_type = 'order.placed.v1' then 1 else 0 end as sale,
      -- A refund of some lines carries the amounts it takes back as a void carries the order's.
      case when event_type in ('order.voided.v1', 'order.refunded.v1') then 1 else 0 end as refund,
      coalesce((payload ->> 'subtotal')::bigint, 0) as gross,
      coalesce((payload ->> 'discount_total')::bigint, 0) as discounts,
      coalesce((payload ->> 'tax_total')::bigint, 0) as tax,
      case when event_type = 'tender.recorded.v1' then payload ->> 'type' end as tender,
      -- Only voids, refunds and cancellations are read for money handed back (a case, so other events
      -- skip the subquery). Voids written before refund tenders existed carry none: their money is in no till.
      case when event_type in ('order.voided.v1', 'order.refunded.v1', 'order.cancelled.v1') then coalesce((select sum((r ->> 'amount')::bigint)
        from jsonb_array_elements(payload -> 'refund_tenders') r where r ->> 'type' = 'cash'), 0) else 0 end as cash_back,
      case when event_type in ('order.voided.v1', 'order.refunded.v1', 'order.cancelled.v1') then coalesce((select sum((r ->> 'amount')::bigint)
        from jsonb_array_elements(payload -> 'refund_tenders') r where r ->> 'type' = 'card'), 0) else 0 end as card_back) as x
  where event_type in ('order.placed.v1', 'order.voided.v1', 'order.refunded.v1', 'order.cancelled.v1', 'tender.recorded.v1');
$$;
comment on function app_private.reporting_daily_fact(text, jsonb) is 'What an order or tender event adds to rm_daily_sales (no row for other events).';

create or replace view app_private.reporting_daily_facts as
select e.tenant_id, e.id as event_id, e.seq, f.location_id, f.business_date, f.order_count, f.gross_sales, f.discount_total,
       f.tax_total, f.net_sales, f.tender_cash, f.tender_card, f.refund_count, f.refund_total
from app_private.events e
cross join lateral app_private.reporting_daily_fact(e.type, e.payload) f;
comment on view app_private.reporting_daily_facts is 'What each order or tender event adds to rm_daily_sales: a sale adds the order on its date; a void, or a refund of some lines, is a refund on the day it was made (net amount, tax and the money handed back taken out, one refund counted); a tender adds what went towards the order on the day it was taken; a cancelled open order takes back only the money handed back.';

/*
 * What each line of an order event adds to rm_item_sales: a sale adds its units, gross and net
 * revenue on its date; a void (or a refund of some lines: those lines) takes the units and the
 * net revenue back out on the day of the refund (gross revenue, like gross sales, stays with the sale).
 */
create or replace function app_private.reporting_item_fact(event_type text, seq bigint, payload jsonb)
returns table (location_id text, business_date date, catalog_item_id text, catalog_item_name text, name_seq bigint,
               quantity_sold bigint, gross_revenue bigint, net_revenue bigint)
language sql stable parallel safe
as $$
  select payload ->> 'location_id',
         case when event_type = 'order.voided.v1' then coalesce((payload ->> 'voided_business_date')::date, (payload ->> 'business_date')::date)
              when event_type = 'order.refunded.v1' then (payload ->> 'refund_business_date')::date
              else (payload ->> 'business_date')::date end,
         l.catalog_item_id,
         l.name,
         -- Names come from sales (a void or a refund repeats the old name): the latest sale by seq names the row.
         case when event_type = 'order.placed.v1' then seq else 0 end,
         case when event_type = 'order.placed.v1' then l.quantity else -l.quantity end,
         case when event_type = 'order.placed.v1' then l.subtotal else 0 end,
         case when event_type = 'order.placed.v1' then l.revenue else -l.revenue end
  from jsonb_to_recordset(payload -> 'lines') as l(catalog_item_id text, name text, quantity bigint, subtotal bigint, revenue bigint)
  where event_type in ('order.placed.v1', 'order.voided.v1', 'order.refunded.v1');
$$;
comment on function app_private.reporting_item_fact(text, bigint, jsonb) is 'What each line of an order event adds to rm_item_sales (no row for other events).';

create or replace view app_private.reporting_item_facts as
select e.tenant_id, e.id as event_id, e.seq, f.location_id, f.business_date, f.catalog_item_id, f.catalog_item_name, f.name_seq,
       f.quantity_sold, f.gross_revenue, f.net_revenue
from app_private.events e
cross join lateral app_private.reporting_item_fact(e.type, e.seq, e.payload) f;
comment on view app_private.reporting_item_facts is 'What each line of an order event adds to rm_item_sales (a void, or a refund of some lines, takes its units and net revenue back out on the day of the refund).';

/* What a stock movement event adds to rm_inventory_on_hand. */
create or replace function app_private.reporting_stock_fact(event_type text, payload jsonb)
returns table (location_id text, inventory_item_id text, on_hand bigint)
language sql stable parallel safe
as $$
  select payload ->> 'location_id', payload ->> 'inventory_item_id', (payload ->> 'quantity')::bigint
  where event_type = 'inventory.movement.created.v1';
$$;
comment on function app_private.reporting_stock_fact(text, jsonb) is 'What a stock movement event adds to rm_inventory_on_hand (no row for other events).';

create or replace view app_private.reporting_stock_facts as
select e.tenant_id, e.id as event_id, e.seq, f.location_id, f.inventory_item_id, f.on_hand
from app_private.events e
cross join lateral app_private.reporting_stock_fact(e.type, e.payload) f;
comment on view app_private.reporting_stock_facts is 'What each stock movement event adds to rm_inventory_on_hand.';

------------------------------------------------------------------------------------------------
-- Applying queued sales events (the fold)

/*
 * Adds sales events of a tenant (given by id, in any order) to the sales read models. Names and
 * thresholds of inventory items are configuration, not events: they are taken from the inventory
 * item when its row is created here and kept current by the trigger below.
 */
create or replace function app_private.reporting_apply_sales(tenant_id text, event_ids text[]) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
declare
  tenant constant text := reporting_apply_sales.tenant_id;
begin
  if event_ids is null or cardinality(event_ids) = 0 then
    return;
  end if;

  insert into reporting.rm_daily_sales as r (tenant_id, location_id, business_date, order_count, gross_sales, discount_total,
                                             tax_total, net_sales, tender_cash, tender_card, refund_count, refund_total)
  select tenant, f.location_id, f.business_date, sum(f.order_count), sum(f.gross_sales), sum(f.discount_total), sum(f.tax_total),
         sum(f.net_sales), sum(f.tender_cash), sum(f.tender_card), sum(f.refund_count), sum(f.refund_total)
  from app_private.reporting_daily_facts f
  where f.tenant_id = tenant and f.event_id = any(event_ids)
  group by f.location_id, f.business_date
  order by f.location_id, f.business_date
  on conflict (tenant_id, location_id, business_date) do update set
    order_count = r.order_count + excluded.order_count,
    gross_sales = r.gross_sales + excluded.gross_sales,
    discount_total = r.discount_total + excluded.discount_total,
    tax_total = r.tax_total + excluded.tax_total,
    net_sales = r.net_sales + excluded.net_sales,
    tender_cash = r.tender_cash + excluded.tender_cash,
    tender_card = r.tender_card + excluded.tender_card,
    refund_count = r.refund_count + excluded.refund_count,
    refund_total = r.refund_total + excluded.refund_total,
    updated_at = now();

  insert into reporting.rm_item_sales as r (tenant_id, location_id, business_date, catalog_item_id, catalog_item_name, name_seq,
                                            quantity_sold, gross_revenue, net_revenue)
  select tenant, f.location_id, f.business_date, f.catalog_item_id,
         (array_agg(f.catalog_item_name order by f.name_seq desc, f.catalog_item_name))[1], max(f.name_seq),
         sum(f.quantity_sold), sum(f.gross_revenue), sum(f.net_revenue)
  from app_private.reporting_item_facts f
  where f.tenant_id = tenant and f.event_id = any(event_ids)
  group by f.location_id, f.business_date, f.catalog_item_id
  order by f.location_id, f.business_date, f.catalog_item_id
  on conflict (tenant_id, location_id, business_date, catalog_item_id) do update set
    -- The latest sale names the row; among names of equal rank (refunds only: name_seq 0) the
    -- smallest, so that the order events are folded in changes nothing (rebuild takes min()).
    catalog_item_name = case when excluded.name_seq > r.name_seq
                               or (excluded.name_seq = r.name_seq and excluded.catalog_item_name < r.catalog_item_name)
                             then excluded.catalog_item_name else r.catalog_item_name end,
    name_seq = greatest(r.name_seq, excluded.name_seq),
    quantity_sold = r.quantity_sold + excluded.quantity_sold,
    gross_revenue = r.gross_revenue + excluded.gross_revenue,
    net_revenue = r.net_revenue + excluded.net_revenue,
    updated_at = now();

  insert into reporting.rm_inventory_on_hand as r (tenant_id, location_id, inventory_item_id, item_name, on_hand, low_stock_threshold)
  select tenant, f.location_id, f.inventory_item_id, i.name, f.on_hand, i.low_stock_threshold
  from (select f.location_id, f.inventory_item_id, sum(f.on_hand) as on_hand
        from app_private.reporting_stock_facts f
        where f.tenant_id = tenant and f.event_id = any(event_ids)
        group by f.location_id, f.inventory_item_id) f
  join app_public.inventory_items i on i.tenant_id = tenant and i.id = f.inventory_item_id
  order by f.location_id, f.inventory_item_id
  on conflict (tenant_id, location_id, inventory_item_id) do update set
    on_hand = r.on_hand + excluded.on_hand,
    updated_at = now();
end;
$$;
comment on function app_private.reporting_apply_sales(text, text[]) is 'Adds sales events of a tenant (by id) to rm_daily_sales, rm_item_sales and rm_inventory_on_hand (the fold).';

------------------------------------------------------------------------------------------------
-- What is still queued, per read-model key (the exact readers add it to the folded rows)
create or replace function app_private.reporting_pending_daily(tenant_id text)
returns table (location_id text, business_date date, order_count bigint, gross_sales bigint, discount_total bigint,
               tax_total bigint, net_sales bigint, tender_cash bigint, tender_card bigint, refund_count bigint, refund_total bigint)
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- The queue is empty most of the time: then one index probe, not a plan over the tenant's events.
  if not exists (select 1 from app_private.reporting_queue q where q.tenant_id = reporting_pending_daily.tenant_id) then
    return;
  end if;
  return query
  select f.location_id, f.business_date, sum(f.order_count)::bigint, sum(f.gross_sales)::bigint, sum(f.discount_total)::bigint,
           sum(f.tax_total)::bigint, sum(f.net_sales)::bigint, sum(f.tender_cash)::bigint, sum(f.tender_card)::bigint,
           sum(f.refund_count)::bigint, sum(f.refund_total)::bigint
    from app_private.reporting_queue q
    join app_private.reporting_daily_facts f on f.tenant_id = q.tenant_id and f.event_id = q.event_id
    where q.tenant_id = reporting_pending_daily.tenant_id
    group by f.location_id, f.business_date;
end;
$$;
comment on function app_private.reporting_pending_daily(text) is 'What the tenant''s queued events add to rm_daily_sales, per location and date.';

create or replace function app_private.reporting_pending_items(tenant_id text)
returns table (location_id text, business_date date, catalog_item_id text, catalog_item_name text, name_seq bigint,
               quantity_sold bigint, gross_revenue bigint, net_revenue bigint)
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- The queue is empty most of the time: then one index probe, not a plan over the tenant's events.
  if not exists (select 1 from app_private.reporting_queue q where q.tenant_id = reporting_pending_items.tenant_id) then
    return;
  end if;
  return query
  select f.location_id, f.business_date, f.catalog_item_id, (array_agg(f.catalog_item_name order by f.name_seq desc, f.catalog_item_name))[1],
           max(f.name_seq), sum(f.quantity_sold)::bigint, sum(f.gross_revenue)::bigint, sum(f.net_revenue)::bigint
    from app_private.reporting_queue q
    join app_private.reporting_item_facts f on f.tenant_id = q.tenant_id and f.event_id = q.event_id
    where q.tenant_id = reporting_pending_items.tenant_id
    group by f.location_id, f.business_date, f.catalog_item_id;
end;
$$;
comment on function app_private.reporting_pending_items(text) is 'What the tenant''s queued events add to rm_item_sales, per location, date and item.';

create or replace function app_private.reporting_pending_stock(tenant_id text)
returns table (location_id text, inventory_item_id text, on_hand bigint)
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- The queue is empty most of the time: then one index probe, not a plan over the tenant's events.
  if not exists (select 1 from app_private.reporting_queue q where q.tenant_id = reporting_pending_stock.tenant_id) then
    return;
  end if;
  return query
  select f.location_id, f.inventory_item_id, sum(f.on_hand)::bigint
    from app_private.reporting_queue q
    join app_private.reporting_stock_facts f on f.tenant_id = q.tenant_id and f.event_id = q.event_id
    where q.tenant_id = reporting_pending_stock.tenant_id
    group by f.location_id, f.inventory_item_id;
end;
$$;
comment on function app_private.reporting_pending_stock(text) is 'What the tenant''s queued events add to rm_inventory_on_hand, per location and item.';

------------------------------------------------------------------------------------------------
-- The queue and the fold

/* The advisory lock that makes one transaction at a time write a tenant's sales read models. */
create or replace function app_private.reporting_lock_key(tenant_id text) returns bigint
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select hashtextextended('reporting.fold:' || tenant_id, 0);
$$;

/*
 * Consumer reporting_sales: queues the event; the fold at commit (or later) applies it.
 * PL/pgSQL rather than SQL, like reporting_customer_orders: a SQL function with a SET clause is
 * planned again at every call, and this runs for every sales event.
 */
create or replace function app_private.reporting_sales__enqueue(evt app_private.events) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  insert into app_private.reporting_queue (tenant_id, event_id, seq) values (evt.tenant_id, evt.id, evt.seq);
end;
$$;
comment on function app_private.reporting_sales__enqueue(app_private.events) is 'Consumer reporting_sales: queues a sales event for the fold into the sales read models.';

/*
 * Folds the tenant's queued events (those this transaction can see: committed or its own) into
 * the sales read models and empties those queue rows. The caller holds the tenant's fold lock.
 * Returns how many events were folded.
 */
create or replace function app_private.reporting_fold_locked(tenant_id text) returns int
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant constant text := reporting_fold_locked.tenant_id;
  taken_ids text[];
begin
  with taken as (
    delete from app_private.reporting_queue q where q.tenant_id = tenant returning q.event_id
  )
  select array_agg(taken.event_id) into taken_ids from taken;
  perform app_private.reporting_apply_sales(tenant, taken_ids);
  return coalesce(cardinality(taken_ids), 0);
end;
$$;

/*
 * Folds a tenant's queue now, waiting for the fold lock (worker, tests). Returns how many
 * events were folded.
 */
create or replace function app_private.reporting_fold(tenant_id text) returns int
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform pg_advisory_xact_lock(app_private.reporting_lock_key(reporting_fold.tenant_id));
  return app_private.reporting_fold_locked(reporting_fold.tenant_id);
end;
$$;
comment on function app_private.reporting_fold(text) is 'Folds a tenant''s queued sales events into the sales read models (waits for the fold lock); returns how many.';

/*
 * Folds the queue of every tenant that has one, skipping tenants whose fold lock is held (their
 * holder folds). For a periodic worker job. Returns how many events were folded.
 */
create or replace function app_private.reporting_fold_all() returns int
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text;
  folded int := 0;
begin
  for tenant in select distinct q.tenant_id from app_private.reporting_queue q order by 1 loop
    if pg_try_advisory_xact_lock(app_private.reporting_lock_key(tenant)) then
      folded := folded + app_private.reporting_fold_locked(tenant);
    end if;
  end loop;
  return folded;
end;
$$;
comment on function app_private.reporting_fold_all() is 'Folds the queued sales events of every tenant whose fold lock is free; returns how many (worker).';

/*
 * Deferred trigger: at commit, the writer folds its tenant's queue if it gets the fold lock
 * without waiting; otherwise its events stay queued for the next fold. Runs as the owner (the
 * commit happens outside the security definer function that wrote the event).
 */
create or replace function app_private.tg_reporting_queue__fold() returns trigger
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- An earlier firing of this transaction already folded this row.
  if not exists (select 1 from app_private.reporting_queue q where q.tenant_id = new.tenant_id and q.event_id = new.event_id) then
    return null;
  end if;
  if pg_try_advisory_xact_lock(app_private.reporting_lock_key(new.tenant_id)) then
    perform app_private.reporting_fold_locked(new.tenant_id);
  end if;
  return null;
end;
$$;

drop trigger if exists _900_fold_at_commit on app_private.reporting_queue;
create constraint trigger _900_fold_at_commit after insert on app_private.reporting_queue
  deferrable initially deferred
  for each row execute function app_private.tg_reporting_queue__fold();

/*
 * Trigger: the name and threshold of an inventory item follow into rm_inventory_on_hand (they are
 * configuration, not events). Takes the tenant's fold lock first, so that it never waits on a
 * folder that waits on it.
 */
create or replace function app_private.tg_inventory_items__reporting() returns trigger
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform pg_advisory_xact_lock(app_private.reporting_lock_key(new.tenant_id));
  update reporting.rm_inventory_on_hand r
    set item_name = new.name, low_stock_threshold = new.low_stock_threshold, updated_at = now()
    where r.tenant_id = new.tenant_id and r.inventory_item_id = new.id;
  return null;
end;
$$;

create or replace trigger _600_reporting after update of name, low_stock_threshold on app_public.inventory_items
  for each row when (old.name is distinct from new.name or old.low_stock_threshold is distinct from new.low_stock_threshold)
  execute function app_private.tg_inventory_items__reporting();

------------------------------------------------------------------------------------------------
-- Customer activity (inline)

/* The order events of a batch that name a customer, with the customer they count for (after merges). */
drop function if exists app_private.reporting_customer_orders(text, app_private.events[]);
create function app_private.reporting_customer_orders(tenant_id text, evts app_private.events[])
returns table (kind text, seq bigint, order_id text, customer_id text, placed_at timestamptz, total bigint,
               location_id text, business_date date)
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
begin
  return query
  select case e.type when 'order.placed.v1' then 'placed' when 'order.refunded.v1' then 'refunded' else 'voided' end,
         e.seq, e.payload ->> 'order_id',
         coalesce(a.merged_into_id, e.payload ->> 'customer_id'),
         (e.payload ->> 'placed_at')::timestamptz, (e.payload ->> 'total')::bigint,
         e.payload ->> 'location_id', (e.payload ->> 'business_date')::date
  from unnest(evts) e
  left join reporting.rm_customer_activity a
    on a.tenant_id = reporting_customer_orders.tenant_id and a.customer_id = e.payload ->> 'customer_id'
  where e.type in ('order.placed.v1', 'order.voided.v1', 'order.refunded.v1') and e.payload ->> 'customer_id' is not null;
end;
$$;

/*
 * Applies a batch of customer and order events (in log order) to a tenant's customer activity.
 * Renames: the name of the latest (highest seq) created/updated/merged event wins. Merges, in
 * log order: the duplicate's visits and spend move to the primary, the duplicate points at the
 * primary (and so do customers merged into it before). Orders count for the customer their
 * customer was merged into; a void takes its visit and total back out and, when it was the
 * latest visit, last_visit_at falls back to the latest order that still stands; a refund of some
 * lines takes its total out of the visit and the spend (the visit stays).
 */
--
-- The void statements run only when the batch has a void: most batches are one placed order,
-- and they were ~1.4 ms of the ~5 ms this took for one placed order with a customer.
create or replace function app_private.reporting_apply_customers(tenant_id text, evts app_private.events[]) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
declare
  tenant constant text := reporting_apply_customers.tenant_id;
  m record;
begin
  if evts is null or cardinality(evts) = 0 then
    return;
  end if;

  -- Names.
  insert into reporting.rm_customer_activity as r (tenant_id, customer_id, customer_name, name_seq)
  select distinct on (n.customer_id) tenant, n.customer_id, n.name, n.seq
  from (
    select e.payload ->> 'customer_id' as customer_id, e.payload ->> 'display_name' as name, e.seq
    from unnest(evts) e where e.type in ('customer.created.v1', 'customer.updated.v1')
    union all
    select e.payload ->> 'primary_id', e.payload ->> 'display_name', e.seq
    from unnest(evts) e where e.type = 'customer.merged.v1'
  ) n
  where n.customer_id is not null
  order by n.customer_id, n.seq desc
  on conflict (tenant_id, customer_id) do update set
    customer_name = case when excluded.name_seq > r.name_seq then excluded.customer_name else r.customer_name end,
    name_seq = greatest(r.name_seq, excluded.name_seq),
    updated_at = now();

  -- Merges, in log order.
  for m in
    select e.payload ->> 'primary_id' as primary_id, e.payload ->> 'duplicate_id' as duplicate_id
    from unnest(evts) e where e.type = 'customer.merged.v1' order by e.seq
  loop
    insert into reporting.rm_customer_activity (tenant_id, customer_id)
      values (tenant, m.primary_id), (tenant, m.duplicate_id)
      on conflict do nothing;
    update reporting.rm_customer_activity p set
      total_visits = p.total_visits + d.total_visits,
      total_spend = p.total_spend + d.total_spend,
      last_visit_at = greatest(p.last_visit_at, d.last_visit_at),
      updated_at = now()
    from reporting.rm_customer_activity d
    where p.tenant_id = tenant and p.customer_id = m.primary_id
      and d.tenant_id = tenant and d.customer_id = m.duplicate_id;
    update reporting.rm_customer_activity d set
      total_visits = 0, total_spend = 0, last_visit_at = null, merged_into_id = m.primary_id, updated_at = now()
    where d.tenant_id = tenant and d.customer_id = m.duplicate_id;
    update reporting.rm_customer_activity x set merged_into_id = m.primary_id, updated_at = now()
    where x.tenant_id = tenant and x.merged_into_id = m.duplicate_id;
    update reporting.rm_customer_visits v set customer_id = m.primary_id
    where v.tenant_id = tenant and v.customer_id = m.duplicate_id;
  end loop;

  if not exists (select 1 from unnest(evts) e
                 where e.type in ('order.placed.v1', 'order.voided.v1', 'order.refunded.v1') and e.payload ->> 'customer_id' is not null) then
    return;
  end if;

  -- Orders: each counts for its customer, or the customer that one was merged into.
  insert into reporting.rm_customer_visits (tenant_id, order_id, customer_id, placed_at, total, location_id, business_date)
  select tenant, o.order_id, o.customer_id, o.placed_at, o.total, o.location_id, o.business_date
  from app_private.reporting_customer_orders(tenant, evts) o where o.kind = 'placed'
  order by o.order_id
  on conflict do nothing;
  -- The void statements only when the batch has a void (most batches are one placed order).
  if exists (select 1 from unnest(evts) e where e.type = 'order.voided.v1') then
    update reporting.rm_customer_visits v set is_voided = true
  from app_private.reporting_customer_orders(tenant, evts) o
    where o.kind = 'voided' and v.tenant_id = tenant and v.order_id = o.order_id;
  end if;
  -- A refund of some lines takes its total off the visit's (several refunds of one order may come in one batch).
  if exists (select 1 from unnest(evts) e where e.type = 'order.refunded.v1') then
    update reporting.rm_customer_visits v set total = v.total - r.total
    from (select o.order_id, sum(o.total) as total from app_private.reporting_customer_orders(tenant, evts) o
          where o.kind = 'refunded' group by o.order_id) r
    where v.tenant_id = tenant and v.order_id = r.order_id;
  end if;

  insert into reporting.rm_customer_activity as r (tenant_id, customer_id, total_visits, total_spend, last_visit_at)
  select tenant, o.customer_id,
         sum(case o.kind when 'placed' then 1 when 'voided' then -1 else 0 end),
         sum(case o.kind when 'placed' then o.total else -o.total end),
         max(o.placed_at) filter (where o.kind = 'placed')
  from app_private.reporting_customer_orders(tenant, evts) o
  group by o.customer_id
  order by o.customer_id
  on conflict (tenant_id, customer_id) do update set
    total_visits = r.total_visits + excluded.total_visits,
    total_spend = r.total_spend + excluded.total_spend,
    last_visit_at = greatest(r.last_visit_at, excluded.last_visit_at),
    updated_at = now();

  -- A void may have taken the latest visit away.
  if not exists (select 1 from unnest(evts) e where e.type = 'order.voided.v1') then
    return;
  end if;
  update reporting.rm_customer_activity r set
    last_visit_at = (select max(v.placed_at) from reporting.rm_customer_visits v
                     where v.tenant_id = tenant and v.customer_id = r.customer_id and not v.is_voided)
  where r.tenant_id = tenant
    and r.customer_id in (select o.customer_id from app_private.reporting_customer_orders(tenant, evts) o where o.kind = 'voided');
end;
$$;
comment on function app_private.reporting_apply_customers(text, app_private.events[]) is 'Applies a batch of customer and order events of a tenant, in log order, to rm_customer_activity (inline consumer and rebuild).';

/*
 * Consumer reporting_customers, order events: queued and applied at commit with the customer
 * counters, customers in a fixed order (app_private.apply_customer_orders, which says why).
 */
create or replace function app_private.reporting_customers__enqueue(evt app_private.events) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  select app_private.queue_customer_order(evt, 'reporting_customers');
$$;
comment on function app_private.reporting_customers__enqueue(app_private.events) is 'Consumer reporting_customers: queues an order event with a customer for app_private.apply_customer_orders at commit.';

/* Consumer reporting_customers, customer events: applied at once, in the writer's transaction. */
create or replace function app_private.reporting_customers__apply(evt app_private.events) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if evt.type in ('order.placed.v1', 'order.voided.v1', 'order.refunded.v1') and evt.payload ->> 'customer_id' is null then
    return;
  end if;
  perform app_private.reporting_apply_customers(evt.tenant_id, array[evt]);
end;
$$;
comment on function app_private.reporting_customers__apply(app_private.events) is 'Consumer reporting_customers: applies a customer or order event to rm_customer_activity.';

/* The same for events of one tenant appended together (app_private.dispatch_events: a customer import's customer.created.v1), in one call. */
create or replace function app_private.reporting_customers__apply(evts app_private.events[]) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  select app_private.reporting_apply_customers(min(e.tenant_id),
    array_agg(e order by e.seq) filter (where not (e.type in ('order.placed.v1', 'order.voided.v1', 'order.refunded.v1') and e.payload ->> 'customer_id' is null)))
  from unnest(evts) e;
$$;
comment on function app_private.reporting_customers__apply(app_private.events[]) is 'Consumer reporting_customers: applies events of one tenant in log order to rm_customer_activity, in one call (app_private.dispatch_events).';
--! EndIncluded reporting/610-consumers.sql
--! Included reporting/620-rebuild.sql
-- Every read model of a tenant recomputed from its event log, set-based
-- (a few statements over the log instead of one dispatch per event), so a large tenant rebuilds
-- at tens of thousands of events per second.
--
-- The tenant's events are read once, through the log's (tenant_id, seq) index, and each
-- consumer's part of them is written in that same statement: the sales facts (the fold's own
-- functions, app_private.reporting_daily_fact, reporting_item_fact, reporting_stock_fact: one
-- arithmetic) and the customer fields to narrow temp tables, analyzed before they are grouped,
-- so that the planner knows how few keys there are (a location and day has thousands of events:
-- grouped straight from the log, it expected one group per event and sorted every payload on disk).
-- The customer activity is computed here directly from the log — final merge chains, then every
-- order counted for the customer it ended with — which is a second, independent derivation of
-- what the inline consumer does event by event; test/db/reporting/rebuild.test.ts checks on
-- random histories that both give exactly the same rows.

/*
 * Recomputes rm_daily_sales, rm_item_sales, rm_inventory_on_hand and rm_customer_activity of a
 * tenant from its event log (owner only: the worker, psql). While it runs, the tenant's writes
 * wait: it takes the tenant's fold lock and then locks the tenant row FOR UPDATE, which every
 * write of the tenant needs in KEY SHARE mode (its events reference the tenant), so no event of
 * the tenant commits in between and the queue can be emptied with the rest. Events that no
 * consumer saw yet (a log older than the reporting consumers) are marked processed, so a later
 * replay does not count them twice. Returns how many events it read.
 *
 * Read models are written with DML (delete, insert), never TRUNCATE: they hold every tenant, and
 * statement triggers on rm_customer_activity keep figures derived from it exact.
 */
create or replace function reporting.rebuild(tenant_id text) returns bigint
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
-- Big one-off statements: aggregate in memory rather than sort on disk, and do not spend longer
-- compiling them (JIT) than running them.
set work_mem to '64MB'
set jit to off
as $$
#variable_conflict use_column
declare
  tenant constant text := rebuild.tenant_id;
  sales_types constant text[] := array['order.placed.v1', 'order.voided.v1', 'order.refunded.v1', 'order.cancelled.v1', 'tender.recorded.v1',
                                       'inventory.movement.created.v1'];
  customer_types constant text[] := array['order.placed.v1', 'order.voided.v1', 'order.refunded.v1', 'customer.created.v1',
                                          'customer.updated.v1', 'customer.merged.v1'];
  seen bigint;
begin
  perform pg_advisory_xact_lock(app_private.reporting_lock_key(tenant));
  perform 1 from app_public.tenants t where t.id = tenant for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no business %s.', left(coalesce(tenant, ''), 40)));
  end if;

  delete from app_private.reporting_queue q where q.tenant_id = tenant;
  delete from app_private.customer_order_queue q where q.tenant_id = tenant and q.consumer = 'reporting_customers';
  delete from reporting.rm_daily_sales r where r.tenant_id = tenant;
  delete from reporting.rm_inventory_on_hand r where r.tenant_id = tenant;
  delete from reporting.rm_customer_visits r where r.tenant_id = tenant;
  delete from reporting.rm_customer_activity r where r.tenant_id = tenant;

  -- The tenant's log, read once, in one statement: a large tenant is a fifth of a log shared with
  -- every other tenant, and reading its range of the (tenant_id, seq) index touches its pages
  -- only, where a sequential scan reads everyone's (the plan it got: five scans of the whole log).
  -- Its events are held once (a CTE) and each consumer's part is written from them: the sales
  -- facts of each event (the fold's functions) to narrow temp tables, grouped below; the stock
  -- on hand at once (a few hundred keys); the fields the customer activity needs; and the
  -- processed marks of events no consumer saw, found by one anti-join with the tenant's marks
  -- (usually none). How many events it read comes from the same pass (no second count).
  drop table if exists reporting_rebuild_daily;
  create temp table reporting_rebuild_daily on commit drop as
  select f.* from app_private.reporting_daily_fact(null, null) f with no data;
  drop table if exists reporting_rebuild_items;
  create temp table reporting_rebuild_items on commit drop as
  select f.* from app_private.reporting_item_fact(null, null, null) f with no data;
  drop table if exists reporting_rebuild_customer_events;
  create temp table reporting_rebuild_customer_events (
    seq bigint not null, type text not null, order_id text not null, customer_id text, display_name text, primary_id text,
    duplicate_id text, placed_at timestamptz, total bigint, location_id text, business_date date
  ) on commit drop;

  with events as materialized (
    select e.id, e.seq, e.type, e.aggregate_id, e.payload
    from app_private.events e
    where e.tenant_id = tenant and e.type = any(sales_types || customer_types)
  ), daily as (
    insert into reporting_rebuild_daily
    select f.* from events e cross join lateral app_private.reporting_daily_fact(e.type, e.payload) f
  ), items as (
    insert into reporting_rebuild_items
    select f.* from events e cross join lateral app_private.reporting_item_fact(e.type, e.seq, e.payload) f
  ), stock as (
    insert into reporting.rm_inventory_on_hand (tenant_id, location_id, inventory_item_id, item_name, on_hand, low_stock_threshold)
    select tenant, f.location_id, f.inventory_item_id, i.name, f.on_hand, i.low_stock_threshold
    from (select f.location_id, f.inventory_item_id, sum(f.on_hand) as on_hand
          from events e cross join lateral app_private.reporting_stock_fact(e.type, e.payload) f
          group by f.location_id, f.inventory_item_id) f
    join app_public.inventory_items i on i.tenant_id = tenant and i.id = f.inventory_item_id
  ), customer_events as (
    insert into reporting_rebuild_customer_events
    select e.seq, e.type, e.aggregate_id, e.payload ->> 'customer_id', e.payload ->> 'display_name', e.payload ->> 'primary_id',
           e.payload ->> 'duplicate_id', (e.payload ->> 'placed_at')::timestamptz, (e.payload ->> 'total')::bigint,
           e.payload ->> 'location_id', (e.payload ->> 'business_date')::date
    from events e
    where e.type = any(customer_types)
  ), marks as (
    insert into app_private.processed_events (tenant_id, event_id, consumer)
    select tenant, e.id, c.consumer
    from events e
    cross join lateral (values ('reporting_sales', e.type = any(sales_types)),
                               ('reporting_customers', e.type = any(customer_types))) as c(consumer, subscribed)
    where c.subscribed
      and not exists (select 1 from app_private.processed_events p
                      where p.tenant_id = tenant and p.event_id = e.id and p.consumer = c.consumer
                        -- Spelled out so that only these consumers' marks are hashed, not every consumer's.
                        and p.consumer in ('reporting_sales', 'reporting_customers'))
  )
  select count(*) into seen from events;

  -- Sales, grouped by key with estimates from the analyzed facts: a hash of a few thousand keys
  -- rather than a sort of every event.
  analyze reporting_rebuild_daily (location_id, business_date);
  insert into reporting.rm_daily_sales (tenant_id, location_id, business_date, order_count, gross_sales, discount_total,
                                        tax_total, net_sales, tender_cash, tender_card, refund_count, refund_total)
  select tenant, f.location_id, f.business_date, sum(f.order_count), sum(f.gross_sales), sum(f.discount_total), sum(f.tax_total),
         sum(f.net_sales), sum(f.tender_cash), sum(f.tender_card), sum(f.refund_count), sum(f.refund_total)
  from reporting_rebuild_daily f
  group by f.location_id, f.business_date
  order by f.location_id, f.business_date;

  analyze reporting_rebuild_items (location_id, business_date, catalog_item_id);
  -- The name is the fold's: that of the latest sale (highest name_seq), the smallest among equals.
  -- One min() over "inverted seq, zero-padded" || name gives it without sorting each key's lines
  -- (an ordered aggregate cannot be hashed).
  drop table if exists reporting_rebuild_item_rows;
  create temp table reporting_rebuild_item_rows on commit drop as
  select f.location_id, f.business_date, f.catalog_item_id,
         substr(min(lpad((9223372036854775807 - f.name_seq)::text, 19, '0') || f.catalog_item_name), 20) as catalog_item_name,
         max(f.name_seq) as name_seq, sum(f.quantity_sold) as quantity_sold, sum(f.gross_revenue) as gross_revenue,
         sum(f.net_revenue) as net_revenue
  from reporting_rebuild_items f
  group by f.location_id, f.business_date, f.catalog_item_id;
  analyze reporting_rebuild_item_rows;
  -- The largest read model (a row per location, day and item) is corrected rather than rewritten:
  -- only rows that differ are deleted, updated or inserted. Writing a row costs a heap and three
  -- index entries and three foreign-key checks; comparing it costs a hash probe, and after a
  -- rebuild that finds nothing wrong none is written.
  delete from reporting.rm_item_sales r
  where r.tenant_id = tenant
    and not exists (select 1 from reporting_rebuild_item_rows n
                    where n.location_id = r.location_id and n.business_date = r.business_date and n.catalog_item_id = r.catalog_item_id);
  update reporting.rm_item_sales r set
    catalog_item_name = n.catalog_item_name, name_seq = n.name_seq, quantity_sold = n.quantity_sold,
    gross_revenue = n.gross_revenue, net_revenue = n.net_revenue, updated_at = now()
  from reporting_rebuild_item_rows n
  where r.tenant_id = tenant
    and n.location_id = r.location_id and n.business_date = r.business_date and n.catalog_item_id = r.catalog_item_id
    and (r.catalog_item_name, r.name_seq, r.quantity_sold, r.gross_revenue, r.net_revenue)
        is distinct from (n.catalog_item_name, n.name_seq, n.quantity_sold, n.gross_revenue, n.net_revenue);
  insert into reporting.rm_item_sales (tenant_id, location_id, business_date, catalog_item_id, catalog_item_name, name_seq,
                                       quantity_sold, gross_revenue, net_revenue)
  select tenant, n.location_id, n.business_date, n.catalog_item_id, n.catalog_item_name, n.name_seq,
         n.quantity_sold, n.gross_revenue, n.net_revenue
  from reporting_rebuild_item_rows n
  where not exists (select 1 from reporting.rm_item_sales r
                    where r.tenant_id = tenant and r.location_id = n.location_id and r.business_date = n.business_date
                      and r.catalog_item_id = n.catalog_item_id)
  -- In key order, so that the index entries go in next to each other.
  order by n.location_id, n.business_date, n.catalog_item_id;

  analyze reporting_rebuild_customer_events;

  -- Where each merged customer ended up (merges chain: a customer merged into one that was merged later).
  drop table if exists reporting_rebuild_merged;
  create temp table reporting_rebuild_merged (customer_id text primary key, merged_into_id text not null) on commit drop;
  insert into reporting_rebuild_merged
  with recursive merges as (
    select e.duplicate_id, e.primary_id
    from reporting_rebuild_customer_events e
    where e.type = 'customer.merged.v1'
  ), chain (customer_id, merged_into_id, depth) as (
    select m.duplicate_id, m.primary_id, 1 from merges m
    union all
    select c.customer_id, m.primary_id, c.depth + 1 from chain c join merges m on m.duplicate_id = c.merged_into_id
    where c.depth < 1000
  )
  select distinct on (c.customer_id) c.customer_id, c.merged_into_id from chain c order by c.customer_id, c.depth desc;
  analyze reporting_rebuild_merged;

  -- Customers, in one statement: every order with a customer, counted for the customer it ended
  -- with, voided or not, its total less what refunds of some of its lines took back (the visits);
  -- then each customer's row: its latest name (created, updated, or the result of a merge into
  -- it), where it was merged, and its visits, spend and latest visit that stand.
  with names as (
    select distinct on (n.customer_id) n.customer_id, n.name, n.seq
    from (
      select e.customer_id, e.display_name as name, e.seq
      from reporting_rebuild_customer_events e
      where e.type in ('customer.created.v1', 'customer.updated.v1')
      union all
      select e.primary_id, e.display_name, e.seq
      from reporting_rebuild_customer_events e
      where e.type = 'customer.merged.v1'
    ) n
    where n.customer_id is not null
    order by n.customer_id, n.seq desc
  ), visits as (
    insert into reporting.rm_customer_visits (tenant_id, order_id, customer_id, placed_at, total, is_voided, location_id, business_date)
    select tenant, e.order_id, coalesce(m.merged_into_id, e.customer_id), e.placed_at, e.total - coalesce(r.total, 0), v.order_id is not null,
           e.location_id, e.business_date
    from reporting_rebuild_customer_events e
    left join reporting_rebuild_merged m on m.customer_id = e.customer_id
    left join (select distinct x.order_id from reporting_rebuild_customer_events x
               where x.type = 'order.voided.v1') v on v.order_id = e.order_id
    left join (select x.order_id, sum(x.total) as total from reporting_rebuild_customer_events x
               where x.type = 'order.refunded.v1' group by x.order_id) r on r.order_id = e.order_id
    where e.type = 'order.placed.v1' and e.customer_id is not null
    order by e.order_id
    returning customer_id, total, is_voided, placed_at
  ), spent as (
    select v.customer_id, count(*) filter (where not v.is_voided) as visits, coalesce(sum(v.total) filter (where not v.is_voided), 0) as spend,
           max(v.placed_at) filter (where not v.is_voided) as last_visit_at
    from visits v
    group by v.customer_id
  )
  insert into reporting.rm_customer_activity (tenant_id, customer_id, customer_name, name_seq, merged_into_id, total_visits, total_spend,
                                              last_visit_at)
  select tenant, k.customer_id, n.name, coalesce(n.seq, 0), m.merged_into_id, coalesce(s.visits, 0), coalesce(s.spend, 0), s.last_visit_at
  from (select n.customer_id from names n
        union select m.customer_id from reporting_rebuild_merged m
        union select m.merged_into_id from reporting_rebuild_merged m
        union select s.customer_id from spent s) k
  left join names n on n.customer_id = k.customer_id
  left join reporting_rebuild_merged m on m.customer_id = k.customer_id
  left join spent s on s.customer_id = k.customer_id
  order by k.customer_id;

  return seen;
end;
$$;
comment on function reporting.rebuild(text) is 'Recomputes every read model of a tenant from its event log (owner only); returns how many events it read. The tenant''s writes wait while it runs.';
--! EndIncluded reporting/620-rebuild.sql
