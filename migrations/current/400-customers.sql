-- 400-customers: the people a business sells to. One row per customer with a per-tenant number
-- (CUST-00001), contact details normalised by the database (email lower-cased, phone in E.164
-- read with the tenant's default country), a display name the database computes, tags, consent,
-- and lifetime counters kept by the sales consumer (450). Clients never write the table: the API
-- role has SELECT only, and every change goes through the commands of 420 and 430, which check
-- permissions, emit events and leave an audit row. "Live" customers are those not merged
-- (active or archived); email and phone are unique among them.

------------------------------------------------------------------------------------------------
-- Input helpers shared by the customer files

/* The international calling code of a country (ISO 3166 alpha-2), for common countries; null when unknown. */
create function app_hidden.country_calling_code(country text) returns text
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select case upper(country)
    when 'US' then '1' when 'CA' then '1' when 'PR' then '1'
    when 'GB' then '44' when 'IE' then '353' when 'FR' then '33' when 'DE' then '49' when 'ES' then '34'
    when 'IT' then '39' when 'PT' then '351' when 'NL' then '31' when 'BE' then '32' when 'LU' then '352'
    when 'CH' then '41' when 'AT' then '43' when 'DK' then '45' when 'SE' then '46' when 'NO' then '47'
    when 'FI' then '358' when 'IS' then '354' when 'PL' then '48' when 'CZ' then '420' when 'SK' then '421'
    when 'HU' then '36' when 'RO' then '40' when 'BG' then '359' when 'GR' then '30' when 'HR' then '385'
    when 'SI' then '386' when 'EE' then '372' when 'LV' then '371' when 'LT' then '370' when 'UA' then '380'
    when 'TR' then '90' when 'IL' then '972' when 'AE' then '971' when 'SA' then '966' when 'EG' then '20'
    when 'MA' then '212' when 'ZA' then '27' when 'NG' then '234' when 'KE' then '254'
    when 'IN' then '91' when 'PK' then '92' when 'CN' then '86' when 'HK' then '852' when 'TW' then '886'
    when 'JP' then '81' when 'KR' then '82' when 'SG' then '65' when 'MY' then '60' when 'TH' then '66'
    when 'VN' then '84' when 'PH' then '63' when 'ID' then '62' when 'AU' then '61' when 'NZ' then '64'
    when 'MX' then '52' when 'BR' then '55' when 'AR' then '54' when 'CL' then '56' when 'CO' then '57'
    when 'PE' then '51'
  end;
$$;
comment on function app_hidden.country_calling_code(text) is 'International calling code of a country (ISO 3166 alpha-2) for the common ones; null when unknown.';

/*
 * A phone number in E.164 (+ and 7 to 15 digits), or null for null/blank input. Spaces, dashes,
 * dots, slashes and parentheses are dropped; a leading + or 00 means the country code is written
 * (an "(0)" after it is dropped);
 * otherwise the number is national: its trunk prefix (a leading 0; a leading 1 for North America;
 * Italy keeps its 0) is dropped and the calling code of `country` is put in front. Raises BADPH.
 */
create function app_hidden.normalize_phone(phone text, country text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  raw text := btrim(phone);
  digits text;
  calling_code text;
  national text;
  e164 text;
begin
  if raw is null or raw = '' then
    return null;
  end if;
  if length(raw) > 40 or raw !~ '^\+?[0-9 ().\-/]+$' then
    perform app_hidden.raise_error('BADPH', format(
      'Phone: "%s" is not a phone number; use digits, spaces, dashes, dots, parentheses and a leading +.', left(raw, 40)));
  end if;
  -- "+33 (0)6 …": the (0) is the national trunk prefix, not part of an international number.
  if raw ~ '^(\+|00)' then
    raw := replace(raw, '(0)', '');
  end if;
  digits := regexp_replace(raw, '[^0-9]', '', 'g');
  if length(digits) < 7 then
    perform app_hidden.raise_error('BADPH', format('Phone: "%s" is too short; a phone number has at least 7 digits.', raw));
  end if;
  if left(raw, 1) = '+' then
    e164 := digits;
  elsif left(digits, 2) = '00' then
    e164 := substr(digits, 3);
  else
    calling_code := app_hidden.country_calling_code(country);
    if calling_code is null then
      perform app_hidden.raise_error('BADPH', format(
        'Phone: write "%s" with its country code, such as +44 20 7946 0958.', raw));
    end if;
    national := digits;
    if calling_code = '1' then
      if length(national) = 11 and left(national, 1) = '1' then
        national := substr(national, 2);
      end if;
    elsif calling_code <> '39' and left(national, 1) = '0' then
      national := substr(national, 2);
    end if;
    e164 := calling_code || national;
  end if;
  if left(e164, 1) = '0' or length(e164) < 7 or length(e164) > 15 then
    perform app_hidden.raise_error('BADPH', format(
      'Phone: "%s" is not a valid international number (a country code, then at most 15 digits in all).', raw));
  end if;
  return '+' || e164;
end;
$$;
comment on function app_hidden.normalize_phone(text, text) is 'A phone number in E.164, reading national numbers with the given country; raises BADPH.';

/* An optional name: null for null or blank, else trimmed and checked like app_hidden.assert_name (BADIN naming the field). */
create function app_hidden.optional_name(field text, value text, max_length int) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if value is null or btrim(value) = '' then
    return null;
  end if;
  return app_hidden.assert_name(field, value, max_length);
end;
$$;
comment on function app_hidden.optional_name(text, text, int) is 'Null for blank input, else the trimmed value; raises BADIN when too long or with control characters.';

/* Optional free text (notes): null for blank; line breaks and tabs allowed, other control characters not (BADIN). */
create function app_hidden.optional_text(field text, value text, max_length int) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if value is null or btrim(value) = '' then
    return null;
  end if;
  value := btrim(value);
  if length(value) > max_length then
    perform app_hidden.raise_error('BADIN', format('%s must be at most %s characters.', field, max_length));
  elsif value ~ '[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]' then
    perform app_hidden.raise_error('BADIN', format('%s must not contain control characters.', field));
  end if;
  return value;
end;
$$;
comment on function app_hidden.optional_text(text, text, int) is 'Null for blank input, else the trimmed text; raises BADIN when too long or with control characters other than line breaks and tabs.';

/* Optional email: null for null or blank, else app_hidden.assert_valid_email (BADEM). */
create function app_hidden.optional_email(email text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if email is null or btrim(email) = '' then
    return null;
  end if;
  return app_hidden.assert_valid_email(email);
end;
$$;
comment on function app_hidden.optional_email(text) is 'Null for blank input, else the email trimmed and lower-cased; raises BADEM when invalid.';

/*
 * Customer tags as stored: a JSON array of distinct strings. Each tag is trimmed with inner
 * white space collapsed, 1 to 40 characters; duplicates (ignoring case) are dropped, the first
 * spelling kept; at most 20 tags. Raises BADTG.
 */
create function app_hidden.normalize_tags(tags text[]) returns jsonb
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  result text[] := '{}';
  seen text[] := '{}';
  tag text;
begin
  if tags is null then
    return '[]'::jsonb;
  end if;
  if cardinality(tags) > 200 then
    perform app_hidden.raise_error('BADTG', 'Tags: a customer can have at most 20 tags.');
  end if;
  foreach tag in array tags loop
    if tag ~ '[\x01-\x1f\x7f]' then
      perform app_hidden.raise_error('BADTG', 'Tags must not contain control characters or line breaks.');
    end if;
    tag := regexp_replace(btrim(tag), '\s+', ' ', 'g');
    if tag is null or tag = '' then
      perform app_hidden.raise_error('BADTG', 'Tags cannot be empty.');
    elsif length(tag) > 40 then
      perform app_hidden.raise_error('BADTG', format('Tags: "%s…" is longer than 40 characters.', left(tag, 40)));
    end if;
    if not lower(tag) = any(seen) then
      result := result || tag;
      seen := seen || lower(tag);
    end if;
  end loop;
  if cardinality(result) > 20 then
    perform app_hidden.raise_error('BADTG', 'Tags: a customer can have at most 20 tags.');
  end if;
  return to_jsonb(result);
end;
$$;
comment on function app_hidden.normalize_tags(text[]) is 'Tags as stored (trimmed, distinct ignoring case, at most 20 of at most 40 characters); raises BADTG.';

/* Customer metadata: a JSON object of at most 8 kB; null means {}. Raises BADIN. */
create function app_hidden.assert_customer_metadata(metadata jsonb) returns jsonb
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if metadata is null then
    return '{}'::jsonb;
  end if;
  if jsonb_typeof(metadata) <> 'object' then
    perform app_hidden.raise_error('BADIN', 'Metadata must be a JSON object.');
  elsif octet_length(metadata::text) > 8192 then
    perform app_hidden.raise_error('BADIN', 'Metadata must be at most 8 kB of JSON.');
  end if;
  return metadata;
end;
$$;
comment on function app_hidden.assert_customer_metadata(jsonb) is 'The metadata object ({} for null); raises BADIN unless it is a JSON object of at most 8 kB.';

/*
 * The guard of every customer command and reader: raises LOGIN/DNIED (and whatever else
 * app_hidden.assert_permission checks, such as a suspended tenant) and returns the current
 * tenant. The `customers` entitlement (plan modules) belongs here: once the entitlement check of
 * billing is settled (app_hidden.assert_entitled(module text) was agreed; 510-billing currently
 * has app_hidden.assert_module(module text), raising NOMOD), add after the permission check
 *   perform app_hidden.assert_entitled('customers');
 * and the select policies of the customer tables can use the boolean form the same way.
 */
create function app_hidden.assert_customers_permission(permission text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission(permission);
begin
  -- The plan must include the customers module (NOMOD otherwise; 510-billing.sql).
  perform app_hidden.assert_module('customers');
  return tenant;
end;
$$;
comment on function app_hidden.assert_customers_permission(text) is 'Raises LOGIN, DNIED, TSUSP or NOMOD unless the caller may do this to customers; returns the tenant.';

/*
 * The tenant whose customers the caller may read, for security definer readers (search,
 * timeline): null when not signed in or without customers.view (they then return nothing, as
 * row-level security would); otherwise the guard above runs, so its other checks apply too.
 */
create function app_hidden.customers_reader_tenant() returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if app_hidden.current_tenant_id() is null or not app_hidden.has_permission('customers.view') then
    return null;
  end if;
  return app_hidden.assert_customers_permission('customers.view');
end;
$$;
comment on function app_hidden.customers_reader_tenant() is 'The current tenant when the caller may read customers, else null.';

------------------------------------------------------------------------------------------------
-- Per-tenant counters (customer numbers; later other human-readable numbers)

create table app_private.tenant_counters (
  tenant_id text not null references app_public.tenants on delete cascade,
  name text not null check (name ~ '^[a-z][a-z0-9_]{0,62}$'),
  value bigint not null check (value >= 0),
  primary key (tenant_id, name)
);
select app_private.secure_table('app_private.tenant_counters');
comment on table app_private.tenant_counters is 'Per-tenant sequences without gaps: the last number handed out under each name.';

/*
 * The next number of a tenant's counter. The row stays locked until the caller's transaction
 * ends, so concurrent callers get distinct, consecutive numbers, and a rolled-back caller gives
 * its number back (no gaps).
 */
create function app_private.next_tenant_number(tenant_id text, name text) returns bigint
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  insert into app_private.tenant_counters as c (tenant_id, name, value)
  values (next_tenant_number.tenant_id, next_tenant_number.name, 1)
  on conflict (tenant_id, name) do update set value = c.value + 1
  returning c.value;
$$;
comment on function app_private.next_tenant_number(text, text) is 'Hands out the next number of a per-tenant counter (atomic, gap-free).';

/* CUST-00001 … CUST-99999, then CUST-100000 and on (never truncated). */
create function app_hidden.format_customer_number(n bigint) returns text
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select 'CUST-' || case when n < 100000 then lpad(n::text, 5, '0') else n::text end;
$$;
comment on function app_hidden.format_customer_number(bigint) is 'A customer number as shown: CUST-00001.';

------------------------------------------------------------------------------------------------
-- Customers

create table app_public.customers (
  tenant_id text not null default app_hidden.current_tenant_id() references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  customer_number text not null check (customer_number ~ '^CUST-[0-9]{5,}$'),
  email text check (email = lower(btrim(email)) and length(email) between 3 and 254),
  phone text check (phone ~ '^\+[1-9][0-9]{6,14}$'),
  first_name text check (first_name = btrim(first_name) and length(first_name) between 1 and 100),
  last_name text check (last_name = btrim(last_name) and length(last_name) between 1 and 100),
  display_name text not null generated always as (
    coalesce(nullif(btrim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')), ''), email, phone)
  ) stored,
  notes text check (length(notes) between 1 and 2000),
  tags jsonb not null default '[]' check (jsonb_typeof(tags) = 'array' and jsonb_array_length(tags) <= 50),
  marketing_consent boolean,
  marketing_consent_updated_at timestamptz,
  marketing_consent_source text check (marketing_consent_source in ('pos', 'admin', 'online', 'import', 'merge', 'other')),
  total_visits int not null default 0,
  total_spend bigint not null default 0,
  last_visit_at timestamptz,
  metadata jsonb not null default '{}' check (jsonb_typeof(metadata) = 'object' and octet_length(metadata::text) <= 65536),
  status text not null default 'active' check (status in ('active', 'archived', 'merged')),
  merged_into_id text,
  created_by text references app_public.users on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, customer_number),
  foreign key (tenant_id, merged_into_id) references app_public.customers (tenant_id, id),
  check (email is not null or phone is not null or first_name is not null),
  check ((status = 'merged') = (merged_into_id is not null)),
  check (merged_into_id <> id),
  check ((marketing_consent is null) = (marketing_consent_updated_at is null))
);
select app_private.secure_table('app_public.customers');

-- Uniqueness among live customers (merged ones keep their details but do not count).
create unique index customers_email_key on app_public.customers (tenant_id, email)
  where email is not null and status <> 'merged';
create unique index customers_phone_key on app_public.customers (tenant_id, phone)
  where phone is not null and status <> 'merged';
-- List orderings (PostGraphile appends the primary key as the tie-break).
create index customers_display_name_idx on app_public.customers (tenant_id, display_name, id);
create index customers_last_visit_idx on app_public.customers (tenant_id, last_visit_at desc, id);
create index customers_total_spend_idx on app_public.customers (tenant_id, total_spend desc, id);
create index customers_status_idx on app_public.customers (tenant_id, status);
create index customers_tags_idx on app_public.customers using gin (tags jsonb_path_ops);
create index customers_merged_into_idx on app_public.customers (tenant_id, merged_into_id);
create index customers_created_by_idx on app_public.customers (created_by);
-- Type-ahead (440): prefixes through btree pattern indexes (tenant first, read in order),
-- substrings through trigram indexes. The GIN indexes deliberately leave tenant_id out: a
-- btree_gin tenant key makes every lookup walk the tenant's whole posting tree (5-60 ms at
-- 200,000 customers, against 0.2-16 ms without); the tenant is checked on the heap rows.
create index customers_search_name_prefix_idx on app_public.customers (tenant_id, lower(display_name) text_pattern_ops);
create index customers_search_last_name_prefix_idx on app_public.customers (tenant_id, lower(last_name) text_pattern_ops);
create index customers_search_email_prefix_idx on app_public.customers (tenant_id, email text_pattern_ops);
create index customers_search_phone_prefix_idx on app_public.customers (tenant_id, phone text_pattern_ops);
create index customers_search_name_trgm_idx on app_public.customers using gin (lower(display_name) gin_trgm_ops);
create index customers_search_email_trgm_idx on app_public.customers using gin (email gin_trgm_ops);
create index customers_search_phone_trgm_idx on app_public.customers using gin (phone gin_trgm_ops);

comment on table app_public.customers is E'@unique id\n@behavior -insert -update -delete\nA customer of the business. Written only by createCustomer, updateCustomer, archiveCustomer, restoreCustomer and mergeCustomers; never deleted.';
comment on column app_public.customers.tenant_id is '@behavior -*';
comment on constraint customers_pkey on app_public.customers is '@behavior -single -update -delete';
comment on constraint customers_tenant_id_customer_number_key on app_public.customers is '@behavior -single -update -delete';
comment on constraint customers_tenant_id_fkey on app_public.customers is E'@fieldName tenant\n@foreignFieldName customers';
comment on constraint customers_tenant_id_merged_into_id_fkey on app_public.customers is E'@fieldName mergedInto\n@foreignFieldName mergedCustomers';
comment on constraint customers_created_by_fkey on app_public.customers is E'@fieldName creator\n@foreignFieldName createdCustomers';
comment on column app_public.customers.customer_number is 'Number of the customer in the business, such as CUST-00001; handed out in order, never reused.';
comment on column app_public.customers.email is 'Email address, trimmed and lower-cased; unique among the live customers of the business.';
comment on column app_public.customers.phone is 'Phone number in E.164 (+33612345678); unique among the live customers of the business.';
comment on column app_public.customers.first_name is 'First name (at most 100 characters).';
comment on column app_public.customers.last_name is 'Last name (at most 100 characters).';
comment on column app_public.customers.display_name is E'@behavior +filterBy +orderBy\nName to show: first and last name, else the email, else the phone. Computed by the database.';
comment on column app_public.customers.notes is 'Free notes about the customer (at most 2000 characters).';
comment on column app_public.customers.tags is E'@behavior +filterBy\nTags, a JSON array of distinct strings; filter with contains (["vip"]).';
comment on column app_public.customers.marketing_consent is 'Whether the customer agreed to receive marketing; null when never asked.';
comment on column app_public.customers.marketing_consent_updated_at is 'When the marketing consent last changed.';
comment on column app_public.customers.marketing_consent_source is 'Where the marketing consent last changed: pos, admin, online, import, merge or other.';
comment on column app_public.customers.total_visits is 'Placed orders attributed to the customer (voided ones are taken back out).';
comment on column app_public.customers.total_spend is E'@behavior +orderBy\nLifetime total of the customer''s placed orders, in cents, tax included (voided ones are taken back out).';
comment on column app_public.customers.last_visit_at is E'@behavior +orderBy\nWhen the customer''s latest placed (not voided) order was placed.';
comment on column app_public.customers.metadata is 'Free JSON object for integrations (at most 8 kB).';
comment on column app_public.customers.status is E'@behavior +filterBy\nactive, archived (kept for history, hidden from the till) or merged (into mergedInto).';
comment on column app_public.customers.merged_into_id is 'The customer this one was merged into (status merged).';
comment on column app_public.customers.created_by is 'The user who created the customer.';

create trigger _100_timestamps before insert or update on app_public.customers
  for each row execute function app_private.tg__timestamps();
-- Counters and timestamps are left out of the audit diff: the counters change with every sale.
create trigger _500_audit after insert or update on app_public.customers
  for each row execute function app_private.tg__audit('created_at', 'updated_at', 'total_visits', 'total_spend', 'last_visit_at');

create policy select_with_permission on app_public.customers for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.view')));
grant select on app_public.customers to :DATABASE_VISITOR;

/* The customer an id stands for now: itself, or (for a merged one) the live customer it was merged into. */
create function app_private.live_customer_id(tenant_id text, customer_id text) returns text
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  with recursive chain(id, merged_into_id, depth) as (
    select c.id, c.merged_into_id, 0 from app_public.customers c
    where c.tenant_id = live_customer_id.tenant_id and c.id = live_customer_id.customer_id
    union all
    select c.id, c.merged_into_id, chain.depth + 1 from chain
    join app_public.customers c on c.tenant_id = live_customer_id.tenant_id and c.id = chain.merged_into_id
    where chain.depth < 100
  )
  select chain.id from chain where chain.merged_into_id is null;
$$;
comment on function app_private.live_customer_id(text, text) is 'The live customer an id stands for (following merges); null for an unknown id.';

/* Ids a customer's history is filed under: its own and those of every customer merged into it. */
create function app_private.customer_history_ids(tenant_id text, customer_id text) returns text[]
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  with recursive ids(id, depth) as (
    select customer_history_ids.customer_id, 0
    union all
    select c.id, ids.depth + 1 from ids
    join app_public.customers c on c.tenant_id = customer_history_ids.tenant_id and c.merged_into_id = ids.id
    where ids.depth < 100
  )
  select array_agg(distinct ids.id) from ids;
$$;
comment on function app_private.customer_history_ids(text, text) is 'A customer''s id and the ids of the customers merged into it.';
