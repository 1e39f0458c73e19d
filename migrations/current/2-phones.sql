-- Phone numbers for the world, masked phones, names in two scripts (issue 17, items 4 and 5).

------------------------------------------------------------------------------------------------
-- Every country's calling code, trunk prefix and possible national number lengths, generated from
-- libphonenumber-js's metadata by db/phone-countries.ts into customers/402-phone-countries.sql:
-- the database reads national numbers with the business's country and checks their length.
-- Global reference data (the same for every tenant; a reference table under Citus).
create table if not exists app_public.phone_countries (
  country text primary key check (country ~ '^[A-Z]{2}$'),
  name text not null check (length(name) between 1 and 80),
  calling_code text not null check (calling_code ~ '^[1-9][0-9]{0,2}$'),
  national_prefix text check (national_prefix ~ '^[0-9]{1,4}$'),
  possible_lengths int[] not null check (cardinality(possible_lengths) > 0)
);
create index if not exists phone_countries_calling_code_idx on app_public.phone_countries (calling_code);
do $$ begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.phone_countries'::regclass) then
    perform app_private.secure_table('app_public.phone_countries');
  end if;
end $$;
comment on table app_public.phone_countries is E'@behavior -insert -update -delete\nThe countries phone numbers are read for (from libphonenumber''s metadata): calling code, trunk prefix and the possible lengths of a national number.';
comment on column app_public.phone_countries.country is 'ISO 3166 alpha-2 code (and AC, TA, XK, which libphonenumber also knows).';
comment on column app_public.phone_countries.name is 'English name of the country.';
comment on column app_public.phone_countries.calling_code is 'International calling code, without the + (968 for Oman, 1 for the United States).';
comment on column app_public.phone_countries.national_prefix is 'Trunk prefix dialled before a national number inside the country (0 in the UK, 1 in the US, 8 in Russia), or null (Oman, Italy).';
comment on column app_public.phone_countries.possible_lengths is 'How many digits a national number may have (after the calling code).';

--!include customers/402-phone-countries.sql

------------------------------------------------------------------------------------------------
-- Names in two scripts: a second name (e.g. Arabic beside Latin), searched by the type-ahead.
alter table app_public.customers add column if not exists alt_name text;
alter table app_public.customers drop constraint if exists customers_alt_name_check;
alter table app_public.customers add constraint customers_alt_name_check check (alt_name is null or (length(alt_name) between 1 and 200 and alt_name = btrim(alt_name)));
comment on column app_public.customers.alt_name is 'The customer''s name in a second script (such as Arabic beside Latin), as they write it; found by the search.';
create index if not exists customers_search_alt_name_prefix_idx on app_public.customers (tenant_id, lower(alt_name) text_pattern_ops) where alt_name is not null;
create index if not exists customers_search_alt_name_trgm_idx on app_public.customers using gin (lower(alt_name) gin_trgm_ops);

do $$ begin
  if not exists (select 1 from pg_attribute a where a.attrelid = 'app_public.customer_changes'::regclass
                 and a.attname = 'alt_name' and not a.attisdropped) then
    alter type app_public.customer_changes add attribute alt_name text;
  end if;
end $$;
comment on column app_public.customer_changes.alt_name is 'New name in a second script ("" clears it).';

-- create_customer takes alt_name (its last parameter, defaulted: existing callers are unchanged).
drop function if exists app_public.create_customer(text, text, text, text, text, text[], boolean, text, jsonb, text, text, text, text, bigint, int, text, text);

------------------------------------------------------------------------------------------------
-- Masked phones: a new permission, customers.view_contact (owners and managers), without which
-- a customer's phone reads +968 •••• 3456. The API gives the phone through the computed column
-- app_public.customers_phone (GraphQL "phone"); the stored column is left out of the API.
--!include identity/200-current-session.sql
update app_public.roles r set permissions = r.permissions || array['customers.view_contact']
where r.key in ('owner', 'manager') and not 'customers.view_contact' = any(r.permissions);
comment on column app_public.customers.phone is E'@behavior -*\nPhone number in E.164 (+33612345678); unique among the live customers of the business. The API gives it as phone (customers_phone), masked without customers.view_contact.';

comment on column app_public.customer_contacts.phone is E'@behavior -*\nThe contact''s phone in E.164 (the API gives it as phone: customer_contacts_phone).';
comment on column app_public.customer_contacts.mobile is E'@behavior -*\nThe contact''s mobile in E.164 (the API gives it as mobile: customer_contacts_mobile).';

--!include customers/400-customers.sql
--!include customers/404-phones.sql
--!include customers/420-commands.sql
-- The search's patterns say whether the term is a phone number and which whole number it is.
drop function if exists app_private.customer_search_patterns(text, text);
--!include customers/440-search.sql
--!include customers/430-merge.sql
--!include customers/470-loyalty-classes.sql
--!include customers/490-possible-duplicates.sql
--!include identity/220-auth.sql
--!include reporting/650-exports.sql
