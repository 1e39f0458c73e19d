--! Previous: sha1:486a050d9b88160575411c8d4337c3c8597cc6dc
--! Hash: sha1:9252dfb5ea913969f8461412b6af0d12da71db33
--! Message: Money a shop can reconcile: currency, Square's sales definitions, refunds that leave the till, open orders, cash drawer, refunds of lines

--! split: 1-current.sql
------------------------------------------------------------------------------------------------
-- Money a shop can reconcile, 1: every business has a currency (ISO 4217) and a locale, and
-- amounts are counted in its minor units (cents; yen; fils). (Tables and data here; the rules in
-- the fixtures included below.)

-- ISO 4217's current currencies with their minor units (the exponent: JPY 0, USD 2, KWD 3).
create table if not exists app_public.currencies (
  code text primary key check (code ~ '^[A-Z]{3}$'),
  name text not null check (length(name) between 1 and 80),
  minor_units int not null check (minor_units between 0 and 4)
);
insert into app_public.currencies (code, name, minor_units) values
  ('AED', 'United Arab Emirates Dirham', 2),
  ('AFN', 'Afghan Afghani', 2),
  ('ALL', 'Albanian Lek', 2),
  ('AMD', 'Armenian Dram', 2),
  ('AOA', 'Angolan Kwanza', 2),
  ('ARS', 'Argentine Peso', 2),
  ('AUD', 'Australian Dollar', 2),
  ('AWG', 'Aruban Florin', 2),
  ('AZN', 'Azerbaijani Manat', 2),
  ('BAM', 'Bosnia-Herzegovina Convertible Mark', 2),
  ('BBD', 'Barbadian Dollar', 2),
  ('BDT', 'Bangladeshi Taka', 2),
  ('BGN', 'Bulgarian Lev', 2),
  ('BHD', 'Bahraini Dinar', 3),
  ('BIF', 'Burundian Franc', 0),
  ('BMD', 'Bermudan Dollar', 2),
  ('BND', 'Brunei Dollar', 2),
  ('BOB', 'Bolivian Boliviano', 2),
  ('BRL', 'Brazilian Real', 2),
  ('BSD', 'Bahamian Dollar', 2),
  ('BTN', 'Bhutanese Ngultrum', 2),
  ('BWP', 'Botswanan Pula', 2),
  ('BYN', 'Belarusian Ruble', 2),
  ('BZD', 'Belize Dollar', 2),
  ('CAD', 'Canadian Dollar', 2),
  ('CDF', 'Congolese Franc', 2),
  ('CHF', 'Swiss Franc', 2),
  ('CLP', 'Chilean Peso', 0),
  ('CNY', 'Chinese Yuan', 2),
  ('COP', 'Colombian Peso', 2),
  ('CRC', 'Costa Rican Colón', 2),
  ('CUP', 'Cuban Peso', 2),
  ('CVE', 'Cape Verdean Escudo', 2),
  ('CZK', 'Czech Koruna', 2),
  ('DJF', 'Djiboutian Franc', 0),
  ('DKK', 'Danish Krone', 2),
  ('DOP', 'Dominican Peso', 2),
  ('DZD', 'Algerian Dinar', 2),
  ('EGP', 'Egyptian Pound', 2),
  ('ERN', 'Eritrean Nakfa', 2),
  ('ETB', 'Ethiopian Birr', 2),
  ('EUR', 'Euro', 2),
  ('FJD', 'Fijian Dollar', 2),
  ('FKP', 'Falkland Islands Pound', 2),
  ('GBP', 'British Pound', 2),
  ('GEL', 'Georgian Lari', 2),
  ('GHS', 'Ghanaian Cedi', 2),
  ('GIP', 'Gibraltar Pound', 2),
  ('GMD', 'Gambian Dalasi', 2),
  ('GNF', 'Guinean Franc', 0),
  ('GTQ', 'Guatemalan Quetzal', 2),
  ('GYD', 'Guyanaese Dollar', 2),
  ('HKD', 'Hong Kong Dollar', 2),
  ('HNL', 'Honduran Lempira', 2),
  ('HTG', 'Haitian Gourde', 2),
  ('HUF', 'Hungarian Forint', 2),
  ('IDR', 'Indonesian Rupiah', 2),
  ('ILS', 'Israeli New Shekel', 2),
  ('INR', 'Indian Rupee', 2),
  ('IQD', 'Iraqi Dinar', 3),
  ('IRR', 'Iranian Rial', 2),
  ('ISK', 'Icelandic Króna', 0),
  ('JMD', 'Jamaican Dollar', 2),
  ('JOD', 'Jordanian Dinar', 3),
  ('JPY', 'Japanese Yen', 0),
  ('KES', 'Kenyan Shilling', 2),
  ('KGS', 'Kyrgyz Som', 2),
  ('KHR', 'Cambodian Riel', 2),
  ('KMF', 'Comorian Franc', 0),
  ('KPW', 'North Korean Won', 2),
  ('KRW', 'South Korean Won', 0),
  ('KWD', 'Kuwaiti Dinar', 3),
  ('KYD', 'Cayman Islands Dollar', 2),
  ('KZT', 'Kazakhstani Tenge', 2),
  ('LAK', 'Laotian Kip', 2),
  ('LBP', 'Lebanese Pound', 2),
  ('LKR', 'Sri Lankan Rupee', 2),
  ('LRD', 'Liberian Dollar', 2),
  ('LSL', 'Lesotho Loti', 2),
  ('LYD', 'Libyan Dinar', 3),
  ('MAD', 'Moroccan Dirham', 2),
  ('MDL', 'Moldovan Leu', 2),
  ('MGA', 'Malagasy Ariary', 2),
  ('MKD', 'Macedonian Denar', 2),
  ('MMK', 'Myanmar Kyat', 2),
  ('MNT', 'Mongolian Tugrik', 2),
  ('MOP', 'Macanese Pataca', 2),
  ('MRU', 'Mauritanian Ouguiya', 2),
  ('MUR', 'Mauritian Rupee', 2),
  ('MVR', 'Maldivian Rufiyaa', 2),
  ('MWK', 'Malawian Kwacha', 2),
  ('MXN', 'Mexican Peso', 2),
  ('MYR', 'Malaysian Ringgit', 2),
  ('MZN', 'Mozambican Metical', 2),
  ('NAD', 'Namibian Dollar', 2),
  ('NGN', 'Nigerian Naira', 2),
  ('NIO', 'Nicaraguan Córdoba', 2),
  ('NOK', 'Norwegian Krone', 2),
  ('NPR', 'Nepalese Rupee', 2),
  ('NZD', 'New Zealand Dollar', 2),
  ('OMR', 'Omani Rial', 3),
  ('PAB', 'Panamanian Balboa', 2),
  ('PEN', 'Peruvian Sol', 2),
  ('PGK', 'Papua New Guinean Kina', 2),
  ('PHP', 'Philippine Peso', 2),
  ('PKR', 'Pakistani Rupee', 2),
  ('PLN', 'Polish Zloty', 2),
  ('PYG', 'Paraguayan Guarani', 0),
  ('QAR', 'Qatari Riyal', 2),
  ('RON', 'Romanian Leu', 2),
  ('RSD', 'Serbian Dinar', 2),
  ('RUB', 'Russian Ruble', 2),
  ('RWF', 'Rwandan Franc', 0),
  ('SAR', 'Saudi Riyal', 2),
  ('SBD', 'Solomon Islands Dollar', 2),
  ('SCR', 'Seychellois Rupee', 2),
  ('SDG', 'Sudanese Pound', 2),
  ('SEK', 'Swedish Krona', 2),
  ('SGD', 'Singapore Dollar', 2),
  ('SHP', 'St. Helena Pound', 2),
  ('SLE', 'Sierra Leonean Leone', 2),
  ('SOS', 'Somali Shilling', 2),
  ('SRD', 'Surinamese Dollar', 2),
  ('SSP', 'South Sudanese Pound', 2),
  ('STN', 'São Tomé & Príncipe Dobra', 2),
  ('SVC', 'Salvadoran Colón', 2),
  ('SYP', 'Syrian Pound', 2),
  ('SZL', 'Swazi Lilangeni', 2),
  ('THB', 'Thai Baht', 2),
  ('TJS', 'Tajikistani Somoni', 2),
  ('TMT', 'Turkmenistani Manat', 2),
  ('TND', 'Tunisian Dinar', 3),
  ('TOP', 'Tongan Paʻanga', 2),
  ('TRY', 'Turkish Lira', 2),
  ('TTD', 'Trinidad & Tobago Dollar', 2),
  ('TWD', 'New Taiwan Dollar', 2),
  ('TZS', 'Tanzanian Shilling', 2),
  ('UAH', 'Ukrainian Hryvnia', 2),
  ('UGX', 'Ugandan Shilling', 0),
  ('USD', 'US Dollar', 2),
  ('UYU', 'Uruguayan Peso', 2),
  ('UZS', 'Uzbekistani Som', 2),
  ('VES', 'Venezuelan Bolívar', 2),
  ('VND', 'Vietnamese Dong', 0),
  ('VUV', 'Vanuatu Vatu', 0),
  ('WST', 'Samoan Tala', 2),
  ('XAF', 'Central African CFA Franc', 0),
  ('XCD', 'East Caribbean Dollar', 2),
  ('XCG', 'Caribbean guilder', 2),
  ('XOF', 'West African CFA Franc', 0),
  ('XPF', 'CFP Franc', 0),
  ('YER', 'Yemeni Rial', 2),
  ('ZAR', 'South African Rand', 2),
  ('ZMW', 'Zambian Kwacha', 2),
  ('ZWG', 'Zimbabwean Gold', 2)
on conflict (code) do update set name = excluded.name, minor_units = excluded.minor_units;
do $$ begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.currencies'::regclass) then
    perform app_private.secure_table('app_public.currencies');
  end if;
end $$;
comment on table app_public.currencies is E'@behavior -insert -update -delete\nThe currencies a business may count in (ISO 4217), with their minor units.';
comment on column app_public.currencies.code is 'ISO 4217 code, such as USD, EUR or JPY.';
comment on column app_public.currencies.name is 'English name, such as US Dollar.';
comment on column app_public.currencies.minor_units is 'Digits after the decimal mark: amounts are stored in 1/10^minorUnits of the currency (USD 2: cents; JPY 0; KWD 3).';

-- Existing businesses counted in dollars (the amounts keep their meaning: cents).
alter table app_public.tenants add column if not exists currency text not null default 'USD' references app_public.currencies (code);
create index if not exists tenants_currency_idx on app_public.tenants (currency);
alter table app_public.tenants add column if not exists locale text not null default 'en-US' check (length(locale) between 2 and 35);
comment on column app_public.tenants.currency is E'The currency the business sells in (ISO 4217). Every amount of the business is in its minor units. Changes only while the business has no sale (CURFX).';
comment on column app_public.tenants.locale is 'How numbers, amounts and dates are written for the business (a BCP 47 tag such as en-US, fr-FR or ar-OM).';
comment on constraint tenants_currency_fkey on app_public.tenants is E'@fieldName currencyInfo\n@behavior -manyRelation:resource:list -manyRelation:resource:connection';

drop function if exists app_hidden.onboard(text, text, text, text, text);
drop function if exists app_private.create_tenant_for(text, text, text);
drop function if exists app_public.create_business(text, text);
--! Included platform/110-input.sql
-- Text input as every command reads it: names, optional names and notes, email addresses. Each
-- helper raises a coded error naming the field, so the admin can say what to fix.
--
-- Blank means blank in any script. btrim() removes ASCII spaces only, so a name, note or tag made
-- of other white space (U+3000 ideographic space, U+00A0 no-break space, U+2028 line separator,
-- U+200B zero-width space…) used to be stored: a customer whose only identifier was an invisible
-- first name, a display name that shows nothing, a tag " ". Every helper trims with trim_blank,
-- so such input is blank: required fields answer BADIN, optional ones are left empty, tags BADTG
-- (found by test/security/hostile-input.test.ts).

/* The text without the white space at both ends: ASCII and Unicode white space, zero-width space and BOM. */
create or replace function app_hidden.trim_blank(value text) returns text
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select regexp_replace(value,
    '^[ \t\n\v\f\r\u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+|[ \t\n\v\f\r\u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+$',
    '', 'g');
$$;
comment on function app_hidden.trim_blank(text) is 'The text without white space (ASCII and Unicode, zero-width space, BOM) at either end; '''' when that is all it holds.';

/*
 * Raises BADIN with a message naming the field unless the text is 1..max_length characters after
 * trimming. `field` is the label people read ("First name"); `column_name` the input it is for
 * (first_name), which the error carries so the client can point at it.
 */
create or replace function app_hidden.assert_name(field text, value text, max_length int default 200, column_name text default null)
returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  trimmed text := app_hidden.trim_blank(value);
begin
  if trimmed is null or trimmed = '' then
    perform app_hidden.raise_error('BADIN', format('%s is required.', field), field => column_name);
  elsif length(trimmed) > max_length then
    perform app_hidden.raise_error('BADIN', format('%s must be at most %s characters.', field, max_length), field => column_name);
  elsif value ~ '[\x01-\x1f\x7f]' then
    perform app_hidden.raise_error('BADIN', format('%s must not contain control characters.', field), field => column_name);
  end if;
  return trimmed;
end;
$$;

/*
 * An email address, trimmed, checked, then lower-cased (BADEM). It is checked as given, ASCII
 * letters of either case: lower() maps some non-ASCII letters to ASCII ones (U+0130 "İ" → "i",
 * U+212A Kelvin sign → "k"), so lower-casing first accepted "İnfo@example.com" as
 * "info@example.com", another person's mailbox.
 */
create or replace function app_hidden.assert_valid_email(email text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  cleaned text := app_hidden.trim_blank(email);
begin
  if cleaned is null or cleaned = '' then
    perform app_hidden.raise_error('BADEM', 'An email address is required.', field => 'email');
  end if;
  -- Checked before lower-casing: lower() turns some non-ASCII letters into ASCII ones.
  if length(cleaned) > 254 or cleaned !~ '^[A-Za-z0-9.!#$%&''*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$' then
    perform app_hidden.raise_error('BADEM', format('"%s" is not a valid email address.', left(cleaned, 100)), field => 'email');
  end if;
  return lower(cleaned);
end;
$$;
comment on function app_hidden.assert_valid_email(text) is 'The email trimmed and lower-cased; raises BADEM when it is not a valid address.';

/* An optional name: null for null or blank, else trimmed and checked like app_hidden.assert_name (BADIN naming the field). */
create or replace function app_hidden.optional_name(field text, value text, max_length int, column_name text default null)
returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if value is null or app_hidden.trim_blank(value) = '' then
    return null;
  end if;
  return app_hidden.assert_name(field, value, max_length, column_name);
end;
$$;
comment on function app_hidden.optional_name(text, text, int, text) is 'Null for blank input, else the trimmed value; raises BADIN when too long or with control characters.';

/* Optional free text (notes): null for blank; line breaks and tabs allowed, other control characters not (BADIN). */
create or replace function app_hidden.optional_text(field text, value text, max_length int, column_name text default null)
returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  value := app_hidden.trim_blank(value);
  if value is null or value = '' then
    return null;
  end if;
  if length(value) > max_length then
    perform app_hidden.raise_error('BADIN', format('%s must be at most %s characters.', field, max_length), field => column_name);
  elsif value ~ '[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]' then
    perform app_hidden.raise_error('BADIN', format('%s must not contain control characters.', field), field => column_name);
  end if;
  return value;
end;
$$;
comment on function app_hidden.optional_text(text, text, int, text) is 'Null for blank input, else the trimmed text; raises BADIN when too long or with control characters other than line breaks and tabs.';

/* Optional email: null for null or blank, else app_hidden.assert_valid_email (BADEM). */
create or replace function app_hidden.optional_email(email text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if email is null or app_hidden.trim_blank(email) = '' then
    return null;
  end if;
  return app_hidden.assert_valid_email(email);
end;
$$;
comment on function app_hidden.optional_email(text) is 'Null for blank input, else the email trimmed and lower-cased; raises BADEM when invalid.';

/*
 * A time something happened that the caller backdates (an import of past sales or stock
 * changes): not in the future (5 minutes of clock difference allowed), and not before
 * 2000-01-01. The floor catches a wrong year (0001, 1025), and keeps the business dates that
 * events and read models derive from it in the years every client writes the same way: a date
 * before year 1 printed as text lost its BC and landed in AD ("0001-12-31").
 */
create or replace function app_hidden.assert_recorded_time(what text, instant timestamptz, column_name text default null)
returns timestamptz
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if instant > now() + interval '5 minutes' then
    perform app_hidden.raise_error('BADIN', format('%s cannot be in the future.', what), field => column_name);
  elsif instant < timestamptz '2000-01-01 00:00:00+00' then
    perform app_hidden.raise_error('BADIN', format('%s cannot be before 2000-01-01; check the year.', what), field => column_name);
  end if;
  return instant;
end;
$$;
comment on function app_hidden.assert_recorded_time(text, timestamptz, text) is 'A backdated time, checked: not in the future and not before 2000-01-01 (BADIN naming the field).';

/*
 * A language tag (BCP 47) in its usual case whatever people type: "pt-br" is pt-BR, "zh-hant-tw"
 * zh-Hant-TW, "EN" en — the language lower-case, a script (4 letters) title-case, a region
 * (2 letters) upper-case. Null for null or blank; BADIN naming the field for what is not a tag.
 */
create or replace function app_hidden.language_tag(what text, tag text, column_name text) returns text
language plpgsql immutable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  clean text := nullif(btrim(tag), '');
begin
  if clean is null then
    return null;
  end if;
  clean := (
    select string_agg(case when t.i = 1 then lower(t.part)
                           when t.part ~ '^[A-Za-z]{4}$' then initcap(t.part)
                           when t.part ~ '^[A-Za-z]{2}$' then upper(t.part)
                           else lower(t.part) end, '-' order by t.i)
    from unnest(string_to_array(clean, '-')) with ordinality as t(part, i));
  if clean !~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$' or length(clean) > 35 then
    perform app_hidden.raise_error('BADIN', format('%s: "%s" is not a language tag such as en, fr or ar-OM.', what, left(tag, 40)), field => column_name);
  end if;
  return clean;
end;
$$;
comment on function app_hidden.language_tag(text, text, text) is 'A BCP 47 language tag in its usual case (null for blank); BADIN for the named field otherwise.';
--! EndIncluded platform/110-input.sql
--! Included sales/301-money.sql
-- Money: the business's currency and locale. Every amount of a business (prices, orders,
-- tenders, read models, exports) is an integer in its currency's minor units (cents for USD, yen
-- for JPY, fils for KWD: app_public.currencies.minor_units). The currency is chosen at onboarding
-- and may change only while the business has no sale (CURFX): after that its amounts are a record
-- in that currency. The locale says how the admin writes amounts and dates for the business.

drop policy if exists select_all on app_public.currencies;
create policy select_all on app_public.currencies for select to :DATABASE_VISITOR using (true);
revoke all on app_public.currencies from :DATABASE_VISITOR;
grant select on app_public.currencies to :DATABASE_VISITOR;

/*
 * An amount in minor units as a decimal of its currency, with as many decimals as the currency
 * has: 123456 cents is 1234.56, 1235 yen is 1235, 1235 fils is 1.235. What exports and analysts'
 * views show. (No SET clause, so a query inlines it.)
 */
create or replace function app_hidden.major_units(amount numeric, minor_units int) returns numeric
language sql immutable parallel safe
as $$
  select round(amount / (10::numeric ^ minor_units), minor_units);
$$;
comment on function app_hidden.major_units(numeric, int) is 'Minor units (cents) as a decimal of the currency with its number of decimals (12.35 USD, 1235 JPY, 1.235 KWD).';

/* The tenant's currency: its code and minor units (what exports write amounts in). */
create or replace function app_private.tenant_currency(tenant_id text) returns app_public.currencies
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select c.* from app_public.tenants t join app_public.currencies c on c.code = t.currency where t.id = tenant_currency.tenant_id;
$$;

/* An amount in minor units as text with its currency, as the database writes it in sentences (9.35 USD, 935 JPY, 0.935 KWD). */
create or replace function app_hidden.format_money(amount bigint, currency app_public.currencies) returns text
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select app_hidden.major_units(amount, currency.minor_units)::text || ' ' || currency.code;
$$;
comment on function app_hidden.format_money(bigint, app_public.currencies) is 'An amount in minor units with its currency code, for sentences written by the database (9.35 USD, 935 JPY, 0.935 KWD).';

/* A currency we know, as its ISO 4217 code ("eur " is EUR); BADIN for the field otherwise. */
create or replace function app_hidden.currency_code(code text, column_name text default 'currency') returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  clean text := upper(btrim(coalesce(code, '')));
begin
  if not exists (select 1 from app_public.currencies c where c.code = clean) then
    perform app_hidden.raise_error('BADIN',
      format('Currency: "%s" is not a currency we know; use an ISO 4217 code such as USD, EUR or JPY.', left(coalesce(code, ''), 40)),
      field => column_name);
  end if;
  return clean;
end;
$$;
comment on function app_hidden.currency_code(text, text) is 'An ISO 4217 code of app_public.currencies, upper-cased; BADIN for the named field otherwise.';

/*
 * The business's currency and locale, written as stored (EUR, fr-FR); the currency changes only
 * while the business has no order, voided ones included (CURFX). Before the first sale, a change
 * of currency keeps the catalog's prices as they read ("4.50" in dollars is "4.50" in euros,
 * "5" in yen: they are rescaled to the new minor units, rounded half up).
 */
create or replace function app_private.tg_tenants__validate_money() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  new.currency := app_hidden.currency_code(new.currency);
  new.locale := app_hidden.language_tag('Locale', new.locale, 'locale');
  if new.locale is null then
    perform app_hidden.raise_error('BADIN', 'Locale: say how amounts are written, such as en-US or fr-FR.', field => 'locale');
  end if;
  if tg_op = 'UPDATE' and new.currency is distinct from old.currency
     and exists (select 1 from app_public.orders o where o.tenant_id = new.id) then
    perform app_hidden.raise_error('CURFX',
      format('The currency stays %s: the business has sales recorded in it.', old.currency), field => 'currency');
  end if;
  return new;
end;
$$;

create or replace trigger _050_validate_money before insert or update of currency, locale on app_public.tenants
  for each row execute function app_private.tg_tenants__validate_money();

create or replace function app_private.tg_tenants__rescale_prices() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  shift int := (select n.minor_units from app_public.currencies n where n.code = new.currency)
             - (select o.minor_units from app_public.currencies o where o.code = old.currency);
begin
  if shift <> 0 then
    update app_public.catalog_items i set price = round(i.price * power(10::numeric, shift))::int
    where i.tenant_id = new.id;
  end if;
  return null;
end;
$$;

create or replace trigger _200_rescale_prices after update of currency on app_public.tenants
  for each row when (new.currency is distinct from old.currency)
  execute function app_private.tg_tenants__rescale_prices();
--! EndIncluded sales/301-money.sql
--! Included identity/201-tenants-users-locations.sql
-- Tenants, their users, roles, memberships and locations: what each may see and change. A
-- member reads their tenant, their colleagues and the tenant's roles and locations; owners and
-- managers (settings.update) rename the business and manage locations. The tables themselves
-- are in the migrations; their policies, grants and triggers are here.

/* Raises BADTZ unless the name is an IANA time zone PostgreSQL knows. */
create or replace function app_hidden.assert_valid_timezone(tz text) returns void
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if tz is null or not exists (select 1 from pg_catalog.pg_timezone_names where name = tz) then
    perform app_hidden.raise_error('BADTZ', format('"%s" is not a time zone we know; use an IANA name such as Europe/Paris or America/New_York.', coalesce(tz, '')), field => 'timezone');
  end if;
end;
$$;

create or replace trigger _100_timestamps before insert or update on app_public.tenants
  for each row execute function app_private.tg__timestamps();

create or replace trigger _100_timestamps before insert or update on app_public.users
  for each row execute function app_private.tg__timestamps();

create or replace trigger _100_timestamps before insert or update on app_public.roles
  for each row execute function app_private.tg__timestamps();

create or replace trigger _100_timestamps before insert or update on app_public.memberships
  for each row execute function app_private.tg__timestamps();

create or replace function app_private.tg_locations__validate() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  new.name := app_hidden.assert_name('Location name', new.name, 200, 'name');
  perform app_hidden.assert_valid_timezone(new.timezone);
  if exists (select 1 from app_public.locations l
             where l.tenant_id = new.tenant_id and l.name = new.name and l.id <> new.id) then
    perform app_hidden.raise_error('DUPNM', format('There is already a location named "%s".', new.name), field => 'name');
  end if;
  return new;
end;
$$;

create or replace trigger _050_validate before insert or update on app_public.locations
  for each row execute function app_private.tg_locations__validate();

create or replace trigger _100_timestamps before insert or update on app_public.locations
  for each row execute function app_private.tg__timestamps();

------------------------------------------------------------------------------------------------
-- Policies and grants
drop policy if exists select_member on app_public.tenants;
create policy select_member on app_public.tenants for select to :DATABASE_VISITOR
  using (id in (select app_hidden.current_user_tenant_ids()));

drop policy if exists update_with_permission on app_public.tenants;
create policy update_with_permission on app_public.tenants for update to :DATABASE_VISITOR
  using (id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.update'));

revoke all on app_public.tenants from :DATABASE_VISITOR;
grant select on app_public.tenants to :DATABASE_VISITOR;
-- (tax_rate_bps is checked by the _050_validate_tax_rate trigger of app_private.tg_tenants__validate_tax_rate;
-- currency and locale by _050_validate_money, sales/301-money.sql.)
grant update (name, default_country, tax_rate_bps, currency, locale) on app_public.tenants to :DATABASE_VISITOR;

drop policy if exists select_self_and_colleagues on app_public.users;
create policy select_self_and_colleagues on app_public.users for select to :DATABASE_VISITOR
  using (id = (select app_hidden.current_user_id())
         or id in (select m.user_id from app_public.memberships m where m.tenant_id = (select app_hidden.current_tenant_id())));

drop policy if exists update_self on app_public.users;
create policy update_self on app_public.users for update to :DATABASE_VISITOR
  using (id = (select app_hidden.current_user_id()));

revoke all on app_public.users from :DATABASE_VISITOR;
grant select on app_public.users to :DATABASE_VISITOR;
grant update (name) on app_public.users to :DATABASE_VISITOR;

drop policy if exists select_own_tenant on app_public.roles;
create policy select_own_tenant on app_public.roles for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));

-- The user's own role in each of their businesses (the tenant switcher shows it).
drop policy if exists select_own_memberships on app_public.roles;
create policy select_own_memberships on app_public.roles for select to :DATABASE_VISITOR
  using ((tenant_id, id) in (select * from app_hidden.current_user_roles()));

revoke all on app_public.roles from :DATABASE_VISITOR;
grant select on app_public.roles to :DATABASE_VISITOR;

drop policy if exists select_own_and_tenant on app_public.memberships;
create policy select_own_and_tenant on app_public.memberships for select to :DATABASE_VISITOR
  using (user_id = (select app_hidden.current_user_id()) or tenant_id = (select app_hidden.current_tenant_id()));

revoke all on app_public.memberships from :DATABASE_VISITOR;
grant select on app_public.memberships to :DATABASE_VISITOR;

drop policy if exists select_own_tenant on app_public.locations;
create policy select_own_tenant on app_public.locations for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));

drop policy if exists insert_with_permission on app_public.locations;
create policy insert_with_permission on app_public.locations for insert to :DATABASE_VISITOR
  with check (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.update'));

drop policy if exists update_with_permission on app_public.locations;
create policy update_with_permission on app_public.locations for update to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('settings.update'));

revoke all on app_public.locations from :DATABASE_VISITOR;
grant select on app_public.locations to :DATABASE_VISITOR;
grant insert (name, timezone), update (name, timezone) on app_public.locations to :DATABASE_VISITOR;
--! EndIncluded identity/201-tenants-users-locations.sql
--! Included identity/220-auth.sql
-- Creating a business, signing in and out, and moving between tenants.
-- onboard/login/logout live in app_hidden: the server calls them and keeps the session secret
-- in an HttpOnly cookie, so the secret never reaches GraphQL or the browser's scripts.

create or replace function app_hidden.assert_strong_password(password text) returns void
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if password is null or length(password) < 10 then
    perform app_hidden.raise_error('WEAKP', 'Choose a password of at least 10 characters.', field => 'password');
  elsif octet_length(password) > 72 then
    perform app_hidden.raise_error('WEAKP', 'Passwords can be at most 72 bytes long.', field => 'password');
  elsif password !~ '[A-Za-z]' or password !~ '[^A-Za-z]' then
    perform app_hidden.raise_error('WEAKP', 'Use letters and at least one digit or symbol in your password.', field => 'password');
  elsif password ~ '^(.)\1*$' or lower(password) in ('password12', 'password123', 'password1234', 'qwerty12345', '1234567890a') then
    perform app_hidden.raise_error('WEAKP', 'That password is too easy to guess.', field => 'password');
  end if;
end;
$$;
comment on function app_hidden.assert_strong_password(text) is 'Raises WEAKP unless the password is long and mixed enough.';

/* The three roles every tenant starts with. */
create or replace function app_private.seed_tenant_roles(tenant text) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  insert into app_public.roles (tenant_id, key, name, permissions) values
    (tenant, 'owner', 'Owner', app_hidden.all_permissions()),
    (tenant, 'manager', 'Manager', array(
      select p from unnest(app_hidden.all_permissions()) as p where p <> 'settings.update')),
    (tenant, 'cashier', 'Cashier', array['customers.view', 'customers.create', 'sales.sell']);
$$;

/* A new tenant with its first location, roles and the given user as owner. Returns the tenant id. */
create or replace function app_private.create_tenant_for(owner_user_id text, company_name text, timezone text, currency text, locale text) returns text
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text;
begin
  company_name := app_hidden.assert_name('Business name', company_name, 200, 'name');
  perform app_hidden.assert_valid_timezone(timezone);
  -- US dollars and en-US unless said (the product's defaults, as for the businesses made before currencies).
  insert into app_public.tenants (name, currency, locale)
  values (company_name, coalesce(currency, 'USD'), coalesce(locale, 'en-US')) returning id into tenant;
  perform app_private.seed_tenant_roles(tenant);
  perform app_private.seed_tenant_customer_types(tenant);
  insert into app_public.loyalty_settings (tenant_id) values (tenant);
  insert into app_public.locations (tenant_id, name, timezone) values (tenant, 'Main store', timezone);
  insert into app_public.memberships (tenant_id, user_id, role_id)
    select tenant, owner_user_id, r.id from app_public.roles r where r.tenant_id = tenant and r.key = 'owner';
  return tenant;
end;
$$;

create or replace function app_hidden.onboard(company_name text, owner_name text, email text, password text, timezone text,
                                              currency text default null, locale text default null)
returns uuid
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  clean_email text := app_hidden.assert_valid_email(email);
  new_user text;
  tenant text;
begin
  company_name := app_hidden.assert_name('Business name', company_name, 200, 'company_name');
  owner_name := app_hidden.assert_name('Your name', owner_name, 200, 'owner_name');
  perform app_hidden.assert_strong_password(password);
  perform app_hidden.assert_valid_timezone(timezone);
  begin
    insert into app_public.users (email, name) values (clean_email, owner_name) returning id into new_user;
  exception when unique_violation then
    perform app_hidden.raise_error('EMTKN', 'An account with this email already exists; sign in instead.', field => 'email');
  end;
  insert into app_private.user_secrets (user_id, password_hash)
    values (new_user, public.crypt(password, public.gen_salt('bf', 10)));
  tenant := app_private.create_tenant_for(new_user, company_name, timezone, currency, locale);
  return app_private.new_session(new_user, tenant);
end;
$$;
comment on function app_hidden.onboard(text, text, text, text, text, text, text) is 'Creates a business (in its currency and locale), its first location and roles, and its owner; returns the secret of a new session (for the cookie).';

create or replace function app_hidden.login(email text, password text) returns uuid
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  found_user app_public.users;
  secret app_private.user_secrets;
  tenant text;
begin
  select u.* into found_user from app_public.users u where u.email = lower(btrim(login.email));
  if found_user.id is null then
    -- Spend the time of a real check so response times do not reveal which emails exist.
    perform public.crypt(coalesce(password, ''), public.gen_salt('bf', 10));
    return null;
  end if;
  select s.* into secret from app_private.user_secrets s where s.user_id = found_user.id for update;
  if secret.locked_until > now() then
    perform app_hidden.raise_error('LOCKD', format(
      'Too many failed sign-in attempts. Try again in %s minutes.',
      ceil(extract(epoch from secret.locked_until - now()) / 60)::int));
  end if;
  if secret.password_hash = public.crypt(coalesce(password, ''), secret.password_hash) then
    update app_private.user_secrets
      set failed_login_attempts = 0, first_failed_login_at = null, locked_until = null
      where user_id = found_user.id;
    -- Work in the tenant of the latest session, else the first membership.
    select m.tenant_id into tenant
    from app_public.memberships m
    left join lateral (
      select max(s.created_at) as last_used from app_private.sessions s
      where s.user_id = m.user_id and s.active_tenant_id = m.tenant_id
    ) recent on true
    where m.user_id = found_user.id
    order by recent.last_used desc nulls last, m.created_at
    limit 1;
    return app_private.new_session(found_user.id, tenant);
  end if;
  -- Wrong password: count it (the count must commit, so no exception here; the caller reports it).
  update app_private.user_secrets set
    failed_login_attempts = case when first_failed_login_at is null or first_failed_login_at < now() - interval '15 minutes'
                                 then 1 else failed_login_attempts + 1 end,
    first_failed_login_at = case when first_failed_login_at is null or first_failed_login_at < now() - interval '15 minutes'
                                 then now() else first_failed_login_at end
    where user_id = found_user.id
    returning * into secret;
  if secret.failed_login_attempts >= 5 then
    update app_private.user_secrets set locked_until = now() + interval '15 minutes', failed_login_attempts = 0,
      first_failed_login_at = null where user_id = found_user.id;
  end if;
  return null;
end;
$$;
comment on function app_hidden.login(text, text) is 'The secret of a new session for the right email and password; null when they are wrong (counted: 5 failures in 15 minutes lock the account for 15 minutes).';

create or replace function app_hidden.logout() returns void
language sql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
  delete from app_private.sessions where id = app_hidden.current_session_id();
$$;
comment on function app_hidden.logout() is 'Ends the current session.';

create or replace function app_public.current_user() returns app_public.users
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select u.* from app_public.users u where u.id = app_hidden.current_user_id();
$$;
comment on function app_public.current_user() is 'The signed-in user, or null.';

create or replace function app_public.current_tenant() returns app_public.tenants
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select t.* from app_public.tenants t where t.id = app_hidden.current_tenant_id();
$$;
comment on function app_public.current_tenant() is 'The tenant the signed-in user is working in, or null.';

create or replace function app_public.current_permissions() returns text[]
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select app_hidden.current_permissions();
$$;
comment on function app_public.current_permissions() is 'What the signed-in user may do in the current tenant.';

create or replace function app_public.switch_tenant(tenant_id text) returns app_public.tenants
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  result app_public.tenants;
begin
  if app_hidden.current_user_id() is null then
    perform app_hidden.raise_error('LOGIN', 'Please sign in to continue.');
  end if;
  if not exists (select 1 from app_public.memberships m
                 where m.tenant_id = switch_tenant.tenant_id and m.user_id = app_hidden.current_user_id()) then
    perform app_hidden.raise_error('NOTMB', 'You are not a member of that business.');
  end if;
  update app_private.sessions s set active_tenant_id = switch_tenant.tenant_id
    where s.id = app_hidden.current_session_id();
  select t.* into result from app_public.tenants t where t.id = switch_tenant.tenant_id;
  return result;
end;
$$;
comment on function app_public.switch_tenant(text) is 'Work in another business you are a member of.';

/*
 * How many businesses one person may create: 5 within 24 hours and 10 owned that are not
 * closed. Every business brings rows, a trial subscription at Stripe and up to 20 analyst logins
 * (cluster roles with connections of their own), so an account, even a cashier's, must not be
 * able to make them without end. Serialised per person, so parallel requests cannot slip past.
 */
create or replace function app_private.assert_may_create_business(user_id text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  recent int;
  owned int;
begin
  perform pg_advisory_xact_lock(hashtext('app.create_business'), hashtext(assert_may_create_business.user_id));
  select count(*) filter (where m.created_at > now() - interval '24 hours'),
         count(*) filter (where t.status <> 'closed')
    into recent, owned
  from app_public.memberships m
  join app_public.roles r on r.tenant_id = m.tenant_id and r.id = m.role_id and r.key = 'owner'
  join app_public.tenants t on t.id = m.tenant_id
  where m.user_id = assert_may_create_business.user_id;
  if owned >= 10 then
    perform app_hidden.raise_error('BZLIM', 'You own 10 businesses, the most one person may have; close one first or ask us.');
  elsif recent >= 5 then
    perform app_hidden.raise_error('BZLIM', 'You have created 5 businesses in the last 24 hours; try again tomorrow.');
  end if;
end;
$$;
comment on function app_private.assert_may_create_business(text) is 'Raises BZLIM when the user created 5 businesses in 24 hours or owns 10.';

create or replace function app_public.create_business(name text, timezone text, currency text default null, locale text default null)
returns app_public.tenants
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  me text := app_hidden.current_user_id();
  tenant text;
  result app_public.tenants;
begin
  if me is null then
    perform app_hidden.raise_error('LOGIN', 'Please sign in to continue.');
  end if;
  perform app_private.assert_may_create_business(me);
  -- Another shop of the same owner sells in the same currency unless told otherwise.
  tenant := app_private.create_tenant_for(me, name, timezone,
    coalesce(currency, (select t.currency from app_public.tenants t where t.id = app_hidden.current_tenant_id())),
    coalesce(locale, (select t.locale from app_public.tenants t where t.id = app_hidden.current_tenant_id())));
  update app_private.sessions s set active_tenant_id = tenant where s.id = app_hidden.current_session_id();
  select t.* into result from app_public.tenants t where t.id = tenant;
  return result;
end;
$$;
comment on function app_public.create_business(text, text, text, text) is 'Creates another business owned by the signed-in user and switches to it; its currency and locale are those of the current business unless given.';

create or replace function app_private.delete_expired_sessions() returns int
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  with gone as (delete from app_private.sessions where expires_at < now() - interval '1 day' returning 1)
  select count(*)::int from gone;
$$;
comment on function app_private.delete_expired_sessions() is 'Removes sessions that expired more than a day ago (worker crontab).';
--! EndIncluded identity/220-auth.sql
--! Included customers/480-types-and-preferences.sql
-- Customer types and preferences. Types are rows of the tenant (walk-in, regular, VIP,
-- wholesale to start with, seeded by app_private.seed_tenant_customer_types): the business
-- renames them, adds its own, and deletes only those no customer has (TYPIU). Preferences say how
-- a customer likes to be contacted and served; do_not_contact overrides every channel, and
-- app_hidden.may_contact is the one answer exports and any campaign list ask. Every change is
-- audited on the customer (app_private.audit_customer_change), with the command that made it.

------------------------------------------------------------------------------------------------
-- Types

/* The four types every business starts with. */
create or replace function app_private.seed_tenant_customer_types(tenant text) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  insert into app_public.customer_types (tenant_id, key, label, position)
  values (tenant, 'walk_in', 'Walk-in', 1), (tenant, 'regular', 'Regular', 2),
         (tenant, 'vip', 'VIP', 3), (tenant, 'wholesale', 'Wholesale', 4)
  on conflict do nothing;
$$;

drop policy if exists select_with_permission on app_public.customer_types;
create policy select_with_permission on app_public.customer_types for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.view')));
revoke all on app_public.customer_types from :DATABASE_VISITOR;
grant select on app_public.customer_types to :DATABASE_VISITOR;

create or replace trigger _100_timestamps before insert or update on app_public.customer_types
  for each row execute function app_private.tg__timestamps();
create or replace trigger _500_audit after insert or update or delete on app_public.customer_types
  for each row execute function app_private.tg__audit('created_at', 'updated_at');

/* A type's label as stored: trimmed, 1 to 40 characters, unique in the business ignoring case (DUPLI). */
create or replace function app_private.assert_customer_type_label(tenant_id text, label text, except_id text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  clean text := app_hidden.assert_name('The type''s name', label, 40, 'label');
begin
  if exists (select 1 from app_public.customer_types t
             where t.tenant_id = assert_customer_type_label.tenant_id and lower(t.label) = lower(clean)
               and t.id is distinct from except_id) then
    perform app_hidden.raise_error('DUPLI', format('There is already a customer type called "%s".', clean), field => 'label');
  end if;
  return clean;
end;
$$;

create or replace function app_public.create_customer_type(label text) returns app_public.customer_types
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  result app_public.customer_types;
begin
  insert into app_public.customer_types (tenant_id, label, position)
  values (tenant, app_private.assert_customer_type_label(tenant, label, null),
          (select coalesce(max(t.position), 0) + 1 from app_public.customer_types t where t.tenant_id = tenant))
  returning * into result;
  return result;
end;
$$;
comment on function app_public.create_customer_type(text) is 'Adds a customer type (needs settings.update); names are unique in the business (DUPLI).';

create or replace function app_public.rename_customer_type(id text, label text) returns app_public.customer_types
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  result app_public.customer_types;
begin
  update app_public.customer_types t set label = app_private.assert_customer_type_label(tenant, rename_customer_type.label, rename_customer_type.id)
  where t.tenant_id = tenant and t.id = rename_customer_type.id
  returning * into result;
  if result.id is null then
    perform app_hidden.raise_error('NOTFD', format('There is no customer type %s.', coalesce(left(rename_customer_type.id, 40), '(none given)')));
  end if;
  return result;
end;
$$;
comment on function app_public.rename_customer_type(text, text) is 'Renames a customer type (needs settings.update); customers keep it.';

create or replace function app_public.delete_customer_type(id text) returns app_public.customer_types
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  used int;
  result app_public.customer_types;
begin
  select t.* into result from app_public.customer_types t
  where t.tenant_id = tenant and t.id = delete_customer_type.id
  for update;
  if result.id is null then
    perform app_hidden.raise_error('NOTFD', format('There is no customer type %s.', coalesce(left(delete_customer_type.id, 40), '(none given)')));
  end if;
  -- Archived customers keep their type; merged ones have none (their survivor took it).
  select count(*) into used from app_public.customers c where c.tenant_id = tenant and c.customer_type_id = result.id;
  if used > 0 then
    perform app_hidden.raise_error('TYPIU', format('"%s" is the type of %s customer%s; give them another type first, or rename it.',
      result.label, used, case when used = 1 then '' else 's' end), result.id);
  end if;
  delete from app_public.customer_types t where t.tenant_id = tenant and t.id = result.id;
  return result;
end;
$$;
comment on function app_public.delete_customer_type(text) is 'Deletes a customer type no customer has (needs settings.update; TYPIU while in use).';

/* Sets or clears (null) a customer's type (needs customers.update); audited on the customer. */
create or replace function app_public.set_customer_type(customer_id text, customer_type_id text) returns app_public.customers
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.update');
  cur app_public.customers := app_private.live_customer_for_change(tenant, customer_id);
  result app_public.customers;
begin
  if customer_type_id is not null and not exists (
      select 1 from app_public.customer_types t where t.tenant_id = tenant and t.id = set_customer_type.customer_type_id) then
    perform app_hidden.raise_error('NOTFD', format('There is no customer type %s.', left(customer_type_id, 40)), field => 'customer_type_id');
  end if;
  if cur.customer_type_id is not distinct from customer_type_id then
    return cur;
  end if;
  update app_public.customers c set customer_type_id = set_customer_type.customer_type_id
  where c.tenant_id = tenant and c.id = cur.id
  returning * into result;
  return result;
end;
$$;
comment on function app_public.set_customer_type(text, text) is 'Gives a customer a type, or none with null (needs customers.update).';

/* The live customer a command changes, locked; NOTFD or CMRGD otherwise. */
create or replace function app_private.live_customer_for_change(tenant_id text, customer_id text) returns app_public.customers
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  cur app_public.customers;
begin
  select c.* into cur from app_public.customers c
  where c.tenant_id = live_customer_for_change.tenant_id and c.id = live_customer_for_change.customer_id
  for no key update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.', coalesce(left(customer_id, 40), '(none given)')));
  end if;
  if cur.status = 'merged' then
    perform app_hidden.raise_error('CMRGD', 'This customer was merged into another one; change that customer instead.', cur.merged_into_id);
  end if;
  return cur;
end;
$$;

------------------------------------------------------------------------------------------------
-- Preferences

/* An audit entry on the customer for a change kept in another table (preferences, channels, favourites). */
create or replace function app_private.audit_customer_change(tenant_id text, customer_id text, changes jsonb) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  insert into app_public.audit_entries (tenant_id, entity, entity_id, action, actor_user_id, changes, command, reason)
  select audit_customer_change.tenant_id, 'customers', audit_customer_change.customer_id, 'update',
         app_hidden.current_user_id(), changes,
         nullif(current_setting('app.change_command', true), ''), nullif(current_setting('app.change_reason', true), '')
  where changes <> '{}'::jsonb;
$$;

drop policy if exists select_with_permission on app_public.customer_preferences;
create policy select_with_permission on app_public.customer_preferences for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.view')));
revoke all on app_public.customer_preferences from :DATABASE_VISITOR;
grant select on app_public.customer_preferences to :DATABASE_VISITOR;

drop policy if exists select_with_permission on app_public.customer_contact_channels;
create policy select_with_permission on app_public.customer_contact_channels for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.view')));
revoke all on app_public.customer_contact_channels from :DATABASE_VISITOR;
grant select on app_public.customer_contact_channels to :DATABASE_VISITOR;

drop policy if exists select_with_permission on app_public.customer_favourite_items;
create policy select_with_permission on app_public.customer_favourite_items for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.view')));
revoke all on app_public.customer_favourite_items from :DATABASE_VISITOR;
grant select on app_public.customer_favourite_items to :DATABASE_VISITOR;

create or replace trigger _100_timestamps before insert or update on app_public.customer_preferences
  for each row execute function app_private.tg__timestamps();

/*
 * Sets a customer's preferences (needs customers.update). Null leaves a field as it is; an
 * empty string clears preferredPayment, bestContactTime or language. BADIN with the field for
 * a value not offered. Audited on the customer with exactly what changed.
 */
create or replace function app_public.set_customer_preferences(
  customer_id text, do_not_contact boolean default null, preferred_payment text default null,
  best_contact_time text default null, language text default null)
returns app_public.customer_preferences
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.update');
  c app_public.customers := app_private.live_customer_for_change(tenant, customer_id);
  cur app_public.customer_preferences;
  nxt app_public.customer_preferences;
  result app_public.customer_preferences;
begin
  insert into app_public.customer_preferences (tenant_id, customer_id) values (tenant, c.id) on conflict do nothing;
  select p.* into cur from app_public.customer_preferences p where p.tenant_id = tenant and p.customer_id = c.id for update;
  nxt := cur;
  nxt.do_not_contact := coalesce(set_customer_preferences.do_not_contact, cur.do_not_contact);
  if preferred_payment is not null then
    nxt.preferred_payment := nullif(btrim(lower(preferred_payment)), '');
    if nxt.preferred_payment not in ('cash', 'card') then
      perform app_hidden.raise_error('BADIN', 'Preferred payment: cash or card.', field => 'preferred_payment');
    end if;
  end if;
  if best_contact_time is not null then
    nxt.best_contact_time := nullif(btrim(lower(best_contact_time)), '');
    if nxt.best_contact_time not in ('morning', 'afternoon', 'evening', 'anytime') then
      perform app_hidden.raise_error('BADIN', 'Best time to contact: morning, afternoon, evening or anytime.', field => 'best_contact_time');
    end if;
  end if;
  if language is not null then
    nxt.language := app_hidden.language_tag('Language', language, 'language');
  end if;
  if (nxt.do_not_contact, nxt.preferred_payment, nxt.best_contact_time, nxt.language)
     is not distinct from (cur.do_not_contact, cur.preferred_payment, cur.best_contact_time, cur.language) then
    return cur;  -- nothing changed: nothing written, updated_at kept
  end if;
  update app_public.customer_preferences p set
    do_not_contact = nxt.do_not_contact, preferred_payment = nxt.preferred_payment,
    best_contact_time = nxt.best_contact_time, language = nxt.language
  where p.tenant_id = tenant and p.customer_id = c.id
  returning * into result;
  perform app_private.audit_customer_change(tenant, c.id,
    app_hidden.jsonb_diff(to_jsonb(cur), to_jsonb(result), array['tenant_id', 'customer_id', 'created_at', 'updated_at']));
  return result;
end;
$$;
comment on function app_public.set_customer_preferences(text, boolean, text, text, text) is
  'Sets how a customer likes to be contacted and served (needs customers.update): doNotContact, preferredPayment (cash, card), bestContactTime (morning, afternoon, evening, anytime), language (a BCP 47 tag). Null leaves a field; an empty string clears it.';

/*
 * Records that the customer agreed to (allowed) or refused a contact channel — email, sms or
 * phone — with where they said so (source: pos, admin, online, import, other) and now as the
 * time (needs customers.update). Audited on the customer.
 */
create or replace function app_public.set_customer_contact_channel(customer_id text, channel text, allowed boolean, source text default 'admin')
returns app_public.customer_contact_channels
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
declare
  tenant text := app_hidden.assert_customers_permission('customers.update');
  c app_public.customers := app_private.live_customer_for_change(tenant, set_customer_contact_channel.customer_id);
  cur app_public.customer_contact_channels;
  result app_public.customer_contact_channels;
begin
  channel := lower(btrim(channel));
  if channel is null or channel not in ('email', 'sms', 'phone') then
    perform app_hidden.raise_error('BADIN', 'Channel: email, sms or phone.', field => 'channel');
  elsif allowed is null then
    perform app_hidden.raise_error('BADIN', 'Say whether the customer agreed to this channel.', field => 'allowed');
  end if;
  source := app_hidden.assert_consent_source(coalesce(source, 'admin'), field => 'source');
  select x.* into cur from app_public.customer_contact_channels x
  where x.tenant_id = tenant and x.customer_id = c.id and x.channel = set_customer_contact_channel.channel;
  if cur.allowed is not distinct from allowed and cur.source is not distinct from source then
    return cur;
  end if;
  insert into app_public.customer_contact_channels as x (tenant_id, customer_id, channel, allowed, source, recorded_at, recorded_by)
  values (tenant, c.id, channel, allowed, source, now(), app_hidden.current_user_id())
  on conflict (tenant_id, customer_id, channel) do update set
    allowed = excluded.allowed, source = excluded.source, recorded_at = excluded.recorded_at, recorded_by = excluded.recorded_by
  returning * into result;
  -- Only what changed, named per channel (an SMS source change is not an email one).
  perform app_private.audit_customer_change(tenant, c.id, app_hidden.jsonb_diff(
    jsonb_build_object('contact_' || channel, cur.allowed, 'contact_' || channel || '_source', cur.source),
    jsonb_build_object('contact_' || channel, result.allowed, 'contact_' || channel || '_source', result.source)));
  return result;
end;
$$;
comment on function app_public.set_customer_contact_channel(text, text, boolean, text) is
  'Records that a customer agreed to or refused being contacted by email, sms or phone, and where they said so (needs customers.update).';

/* Adds a catalog item to a customer's favourites (needs customers.update; at most 20). */
create or replace function app_public.add_customer_favourite_item(customer_id text, catalog_item_id text)
returns app_public.customer_favourite_items
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.update');
  c app_public.customers := app_private.live_customer_for_change(tenant, customer_id);
  item app_public.catalog_items;
  result app_public.customer_favourite_items;
begin
  select i.* into item from app_public.catalog_items i where i.tenant_id = tenant and i.id = add_customer_favourite_item.catalog_item_id;
  if item.id is null then
    perform app_hidden.raise_error('NOTFD', format('There is no catalog item %s.', coalesce(left(catalog_item_id, 40), '(none given)')), field => 'catalog_item_id');
  end if;
  select f.* into result from app_public.customer_favourite_items f
  where f.tenant_id = tenant and f.customer_id = c.id and f.catalog_item_id = item.id;
  if found then
    return result;
  end if;
  if (select count(*) from app_public.customer_favourite_items f where f.tenant_id = tenant and f.customer_id = c.id) >= 20 then
    perform app_hidden.raise_error('BADIN', 'A customer can have at most 20 favourite items.', field => 'catalog_item_id');
  end if;
  insert into app_public.customer_favourite_items (tenant_id, customer_id, catalog_item_id)
  values (tenant, c.id, item.id)
  returning * into result;
  perform app_private.audit_customer_change(tenant, c.id,
    jsonb_build_object('favourite_items', jsonb_build_object('old', null, 'new', '+' || item.name)));
  return result;
end;
$$;
comment on function app_public.add_customer_favourite_item(text, text) is 'Adds a catalog item to a customer''s favourites (needs customers.update; at most 20).';

create or replace function app_public.remove_customer_favourite_item(customer_id text, catalog_item_id text)
returns app_public.customer_favourite_items
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.update');
  c app_public.customers := app_private.live_customer_for_change(tenant, customer_id);
  result app_public.customer_favourite_items;
begin
  delete from app_public.customer_favourite_items f
  where f.tenant_id = tenant and f.customer_id = c.id and f.catalog_item_id = remove_customer_favourite_item.catalog_item_id
  returning * into result;
  if result.catalog_item_id is null then
    perform app_hidden.raise_error('NOTFD', 'That item is not one of this customer''s favourites.', field => 'catalog_item_id');
  end if;
  perform app_private.audit_customer_change(tenant, c.id, jsonb_build_object('favourite_items', jsonb_build_object('old',
    '−' || (select i.name from app_public.catalog_items i where i.tenant_id = tenant and i.id = result.catalog_item_id), 'new', null)));
  return result;
end;
$$;
comment on function app_public.remove_customer_favourite_item(text, text) is 'Removes a catalog item from a customer''s favourites (needs customers.update).';

------------------------------------------------------------------------------------------------
-- Who may be contacted

/*
 * Whether the business may contact a customer by a channel: never when do_not_contact; else
 * only when the customer agreed to that channel (consent is asked, not assumed) and has the
 * detail it needs (an email for email, a phone for sms and phone). The one rule exports and
 * campaign lists use.
 */
create or replace function app_hidden.contact_allowed(do_not_contact boolean, channel_allowed boolean, has_detail boolean, status text)
returns boolean
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select not coalesce(do_not_contact, false) and coalesce(channel_allowed, false) and coalesce(has_detail, false)
     and status = 'active';
$$;
comment on function app_hidden.contact_allowed(boolean, boolean, boolean, text) is 'The contact rule on its inputs (app_hidden.may_contact reads them; exports join them set-based).';

create or replace function app_hidden.may_contact(tenant_id text, customer_id text, channel text) returns boolean
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce((
    select app_hidden.contact_allowed(p.do_not_contact, x.allowed,
             case may_contact.channel when 'email' then c.email is not null else c.phone is not null end, c.status)
    from app_public.customers c
    left join app_public.customer_preferences p on p.tenant_id = c.tenant_id and p.customer_id = c.id
    left join app_public.customer_contact_channels x
      on x.tenant_id = c.tenant_id and x.customer_id = c.id and x.channel = may_contact.channel
    where c.tenant_id = may_contact.tenant_id and c.id = may_contact.customer_id), false);
$$;
comment on function app_hidden.may_contact(text, text, text) is 'Whether a customer may be contacted by email, sms or phone: agreed to, has the detail, active, and not do-not-contact.';

create or replace function app_public.customers_may_contact(c app_public.customers, channel text) returns boolean
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select app_hidden.may_contact(c.tenant_id, c.id, channel);
$$;
comment on function app_public.customers_may_contact(app_public.customers, text) is
  E'@notNull\nWhether the business may contact the customer by this channel (email, sms or phone) now: agreed to, has the detail, and not do-not-contact.';
--! EndIncluded customers/480-types-and-preferences.sql

------------------------------------------------------------------------------------------------
-- Money a shop can reconcile, 2 and 3: Square's sales definitions (db/REPORTING.md), and a void
-- records the money it hands back, per tender type, on the day it leaves the till.

-- What went back to the customer, per tender type (cash from the drawer, card back to the card):
-- written by void_order (and later partial refunds), never changed.
create table if not exists app_public.refund_tenders (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  order_id text not null,
  type text not null check (type in ('cash', 'card')),
  amount int not null check (amount > 0),
  reason text not null check (length(reason) between 1 and 500),
  -- The refund's date at the order's location (the day the money left the till).
  business_date date not null,
  -- Who refunded; not a foreign key: refund tenders never change.
  refunded_by_user_id text,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, order_id) references app_public.orders (tenant_id, id)
);
create index if not exists refund_tenders_order_idx on app_public.refund_tenders (tenant_id, order_id, created_at);
do $$ begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.refund_tenders'::regclass) then
    perform app_private.secure_table('app_public.refund_tenders');
  end if;
  -- A suspended business's refunds are out of reach like its orders (TSUSP).
  if not exists (select 1 from pg_policy p where p.polrelid = 'app_public.refund_tenders'::regclass and p.polname = 'active_tenant_only') then
    perform app_private.enforce_active_tenant('app_public.refund_tenders');
  end if;
end $$;
comment on table app_public.refund_tenders is E'@unique id\nMoney handed back for an order, per tender type: cash from the drawer, card back to the card. Written by voidOrder and cancelOrder; never changed.';
comment on column app_public.refund_tenders.tenant_id is '@behavior -*';
comment on constraint refund_tenders_pkey on app_public.refund_tenders is '@behavior -single -update -delete';
comment on constraint refund_tenders_tenant_id_fkey on app_public.refund_tenders is E'@fieldName tenant\n@foreignFieldName refundTenders';
comment on constraint refund_tenders_tenant_id_order_id_fkey on app_public.refund_tenders is E'@fieldName order\n@foreignFieldName refundTenders';
comment on column app_public.refund_tenders.type is 'cash (from the drawer) or card (back to the card).';
comment on column app_public.refund_tenders.amount is 'What was handed back, in minor units of the business''s currency.';
comment on column app_public.refund_tenders.reason is 'Why (the reason of the void or the cancel).';
comment on column app_public.refund_tenders.business_date is 'The day the money left the till, at the order''s location.';
comment on column app_public.refund_tenders.refunded_by_user_id is 'Who refunded (a user id kept as it was).';

-- Daily sales: voids are refunds, counted on the day of the refund (refund_count, refund_total
-- net of tax); net sales exclude tax; total collected = net sales + tax.
do $$ begin
  if exists (select 1 from information_schema.columns
             where table_schema = 'reporting' and table_name = 'rm_daily_sales' and column_name = 'void_count') then
    alter table reporting.rm_daily_sales rename column void_count to refund_count;
    alter table reporting.rm_daily_sales rename column void_total to refund_total;
    alter type reporting.daily_sales_row rename attribute void_count to refund_count;
    alter type reporting.daily_sales_row rename attribute void_total to refund_total;
    alter type reporting.daily_sales_row add attribute total_collected bigint;
  end if;
end $$;
alter table reporting.rm_daily_sales add column if not exists total_collected bigint generated always as (net_sales + tax_total) stored;
comment on column reporting.rm_daily_sales.order_count is 'Sales made that day (a refund of one is counted on the day of the refund).';
comment on column reporting.rm_daily_sales.gross_sales is 'Σ unit price × quantity of the day''s sales, before discounts and tax.';
comment on column reporting.rm_daily_sales.discount_total is 'Discounts of the day''s sales.';
comment on column reporting.rm_daily_sales.tax_total is 'Tax of the day''s sales minus tax refunded that day.';
comment on column reporting.rm_daily_sales.net_sales is 'gross_sales − discount_total − refund_total: tax excluded.';
comment on column reporting.rm_daily_sales.tender_cash is 'Cash taken that day (for the day''s sales) minus cash handed back that day.';
comment on column reporting.rm_daily_sales.tender_card is 'Card payments (for the day''s sales) minus card refunds made that day.';
comment on column reporting.rm_daily_sales.refund_count is 'Refunds made that day (voids included).';
comment on column reporting.rm_daily_sales.refund_total is 'What those refunds took back, after discounts and before tax.';
comment on column reporting.rm_daily_sales.total_collected is 'net_sales + tax_total.';
comment on column reporting.rm_daily_sales.avg_order_value is 'net_sales / order_count, rounded half up; 0 without sales.';
comment on column reporting.daily_sales_row.order_count is E'@notNull\nSales made that day (a refund of one is counted on the day of the refund).';
comment on column reporting.daily_sales_row.gross_sales is E'@notNull\nΣ unit price × quantity of the day''s sales, before discounts and tax.';
comment on column reporting.daily_sales_row.discount_total is E'@notNull\nDiscounts of the day''s sales.';
comment on column reporting.daily_sales_row.tax_total is E'@notNull\nTax of the day''s sales minus tax refunded that day.';
comment on column reporting.daily_sales_row.net_sales is E'@notNull\ngross − discounts − refunds, tax excluded.';
comment on column reporting.daily_sales_row.tender_cash is E'@notNull\nCash taken minus cash handed back that day.';
comment on column reporting.daily_sales_row.tender_card is E'@notNull\nCard payments minus card refunds that day.';
comment on column reporting.daily_sales_row.refund_count is E'@notNull\nRefunds made that day (voids included).';
comment on column reporting.daily_sales_row.refund_total is E'@notNull\nWhat those refunds took back, after discounts and before tax.';
comment on column reporting.daily_sales_row.total_collected is E'@notNull\nnet sales + tax.';
comment on column reporting.daily_sales_row.avg_order_value is E'@notNull\nnet_sales / order_count rounded half up; 0 without sales.';
comment on column reporting.dashboard_metrics.sales_today is E'@notNull\nToday''s net sales (gross − discounts − refunds, tax excluded), each location on its own clock.';
comment on column reporting.dashboard_metrics.orders_today is E'@notNull\nSales made today, each location on its own clock.';

------------------------------------------------------------------------------------------------
-- Money a shop can reconcile, 4: an order is open until it is paid in full; only then is it a
-- sale (placed_at, business_date, order.placed.v1, stock). An open order can be cancelled: it
-- leaves no sale, and what was paid on it goes back.
alter table app_public.orders add column if not exists cancelled_at timestamptz;
alter table app_public.orders add column if not exists cancel_reason text check (length(cancel_reason) <= 500);
alter table app_public.orders add column if not exists cancelled_by_user_id text references app_public.users on delete set null;
create index if not exists orders_cancelled_by_idx on app_public.orders (cancelled_by_user_id);
-- The open orders of a location (the till's "Open" list).
create index if not exists orders_open_idx on app_public.orders (tenant_id, location_id, created_at) where status = 'open';
alter table app_public.orders drop constraint if exists orders_status_check;
alter table app_public.orders add constraint orders_status_check check (status in ('open', 'placed', 'voided', 'cancelled'));
-- A sale has its time and business date; an open or cancelled order has none (it never was a sale).
alter table app_public.orders drop constraint if exists orders_check3;
alter table app_public.orders drop constraint if exists orders_sale_time_check;
alter table app_public.orders add constraint orders_sale_time_check
  check ((status in ('placed', 'voided')) = (placed_at is not null and business_date is not null));
alter table app_public.orders drop constraint if exists orders_cancelled_check;
alter table app_public.orders add constraint orders_cancelled_check
  check ((status = 'cancelled') = (cancelled_at is not null and cancel_reason is not null));
alter table app_public.orders alter column status set default 'open';
comment on table app_public.orders is E'@unique id\nAn order at a location: open until paid in full, then a sale (placed); a sale can be voided, an open order cancelled. Written only by placeOrder, recordTender, voidOrder and cancelOrder; an order keeps its rows.';
comment on column app_public.orders.status is 'open (not paid in full yet: not a sale), placed (a sale: paid in full), voided (a sale taken back), cancelled (an open order given up: never a sale).';
comment on column app_public.orders.placed_at is 'When it became a sale: the payment that completed it (or the time given for an import). Null while open.';
comment on column app_public.orders.business_date is 'The date of the sale at the location (of placedAt). Null while open.';
comment on column app_public.orders.created_at is 'When the order was opened (rung up at the till).';
comment on column app_public.orders.cancelled_at is 'When an open order was cancelled.';
comment on column app_public.orders.cancel_reason is 'Why it was cancelled.';
comment on constraint orders_cancelled_by_user_id_fkey on app_public.orders is E'@fieldName cancelledBy\n@foreignFieldName cancelledOrders';

-- The day a payment was taken, at the order's location (a payment of an imported sale: the sale's
-- date). Tenders written before it existed count on their order's date.
alter table app_public.tenders add column if not exists business_date date;
comment on column app_public.tenders.business_date is 'The day the payment was taken at the order''s location (for a payment on an imported sale, the sale''s date).';

insert into app_private.event_subscriptions (consumer, event_type, handler) values
  ('reporting_sales', 'order.cancelled.v1', 'app_private.reporting_sales__enqueue(app_private.events)')
on conflict do nothing;

------------------------------------------------------------------------------------------------
-- Money a shop can reconcile, 5: the cash drawer. A drawer is opened at a location with a float,
-- takes the cash of the payments and refunds made there while it is open, cash put in or taken
-- out with a reason, and is closed with the amount counted: the expected amount and the
-- difference are kept. (The rules in sales/330-cash-drawers.sql.)
create table if not exists app_public.cash_drawers (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  location_id text not null,
  -- The day it was opened at the location: the day of the Drawer report it belongs to.
  business_date date not null,
  opening_float int not null check (opening_float between 0 and 100000000),
  opened_at timestamptz not null default now(),
  opened_by_user_id text references app_public.users on delete set null,
  closed_at timestamptz,
  closed_by_user_id text references app_public.users on delete set null,
  expected int,
  counted int check (counted between 0 and 100000000),
  difference int generated always as (counted - expected) stored,
  note text check (length(note) between 1 and 500),
  primary key (tenant_id, id),
  foreign key (tenant_id, location_id) references app_public.locations (tenant_id, id),
  -- Closed means counted, with what was expected.
  check ((closed_at is null) = (counted is null) and (closed_at is null) = (expected is null))
);
-- One open drawer per location: the cash taken there goes into it.
create unique index if not exists cash_drawers_one_open_idx on app_public.cash_drawers (tenant_id, location_id) where closed_at is null;
create index if not exists cash_drawers_day_idx on app_public.cash_drawers (tenant_id, business_date, location_id);
create index if not exists cash_drawers_location_idx on app_public.cash_drawers (tenant_id, location_id, opened_at);
create index if not exists cash_drawers_opened_by_idx on app_public.cash_drawers (opened_by_user_id);
create index if not exists cash_drawers_closed_by_idx on app_public.cash_drawers (closed_by_user_id);

create table if not exists app_public.cash_drawer_entries (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  cash_drawer_id text not null,
  kind text not null check (kind in ('in', 'out')),
  amount int not null check (amount between 1 and 100000000),
  reason text not null check (length(reason) between 1 and 500),
  -- Who; not a foreign key: entries never change.
  recorded_by_user_id text,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, cash_drawer_id) references app_public.cash_drawers (tenant_id, id)
);
create index if not exists cash_drawer_entries_drawer_idx on app_public.cash_drawer_entries (tenant_id, cash_drawer_id, created_at);

-- The drawer a cash payment or cash refund went into or came out of (null: card, or no drawer open).
alter table app_public.tenders add column if not exists cash_drawer_id text;
alter table app_public.refund_tenders add column if not exists cash_drawer_id text;
do $$ begin
  if not exists (select 1 from pg_constraint where conname = 'tenders_cash_drawer_fkey') then
    alter table app_public.tenders add constraint tenders_cash_drawer_fkey
      foreign key (tenant_id, cash_drawer_id) references app_public.cash_drawers (tenant_id, id);
    alter table app_public.refund_tenders add constraint refund_tenders_cash_drawer_fkey
      foreign key (tenant_id, cash_drawer_id) references app_public.cash_drawers (tenant_id, id);
  end if;
end $$;
create index if not exists tenders_cash_drawer_idx on app_public.tenders (tenant_id, cash_drawer_id) where cash_drawer_id is not null;
create index if not exists refund_tenders_cash_drawer_idx on app_public.refund_tenders (tenant_id, cash_drawer_id) where cash_drawer_id is not null;

do $$ begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.cash_drawers'::regclass) then
    perform app_private.secure_table('app_public.cash_drawers');
    perform app_private.secure_table('app_public.cash_drawer_entries');
    perform app_private.enforce_active_tenant('app_public.cash_drawers');
    perform app_private.enforce_active_tenant('app_public.cash_drawer_entries');
  end if;
end $$;

------------------------------------------------------------------------------------------------
-- Money a shop can reconcile, 6: refunding some lines of a sale ("refund one coffee"). A refund
-- takes back units of lines with their share of discount and tax, hands the money back (card
-- first, then cash) and is counted on the day it is made. (The rules in sales/340-refunds.sql.)
create table if not exists app_public.order_refunds (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  order_id text not null,
  reason text not null check (length(reason) between 1 and 500),
  -- The refund's date at the order's location.
  business_date date not null,
  subtotal int not null check (subtotal >= 0),
  discount_total int not null check (discount_total >= 0),
  tax_total int not null check (tax_total >= 0),
  total int not null,
  -- Who refunded; not a foreign key: refunds never change.
  refunded_by_user_id text,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, order_id) references app_public.orders (tenant_id, id),
  check (total = subtotal - discount_total + tax_total)
);
create index if not exists order_refunds_order_idx on app_public.order_refunds (tenant_id, order_id, created_at);

create table if not exists app_public.order_refund_lines (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  order_refund_id text not null,
  order_line_id text not null,
  quantity int not null check (quantity between 1 and 10000),
  subtotal int not null check (subtotal >= 0),
  discount int not null check (discount >= 0),
  tax int not null check (tax >= 0),
  total int not null,
  primary key (tenant_id, id),
  foreign key (tenant_id, order_refund_id) references app_public.order_refunds (tenant_id, id),
  foreign key (tenant_id, order_line_id) references app_public.order_lines (tenant_id, id),
  check (total = subtotal - discount + tax)
);
create index if not exists order_refund_lines_refund_idx on app_public.order_refund_lines (tenant_id, order_refund_id);
create index if not exists order_refund_lines_line_idx on app_public.order_refund_lines (tenant_id, order_line_id);

-- The money a refund handed back (null: a void's or a cancel's).
alter table app_public.refund_tenders add column if not exists order_refund_id text;
do $$ begin
  if not exists (select 1 from pg_constraint where conname = 'refund_tenders_order_refund_fkey') then
    alter table app_public.refund_tenders add constraint refund_tenders_order_refund_fkey
      foreign key (tenant_id, order_refund_id) references app_public.order_refunds (tenant_id, id);
  end if;
end $$;
-- Not partial: the API lists a refund's refund tenders (PostGraphile relates through a full index).
create index if not exists refund_tenders_refund_idx on app_public.refund_tenders (tenant_id, order_refund_id);

-- What the sale's refunds took back so far (tax included).
alter table app_public.orders add column if not exists refunded_total int not null default 0 check (refunded_total >= 0);

do $$ begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.order_refunds'::regclass) then
    perform app_private.secure_table('app_public.order_refunds');
    perform app_private.secure_table('app_public.order_refund_lines');
    perform app_private.enforce_active_tenant('app_public.order_refunds');
    perform app_private.enforce_active_tenant('app_public.order_refund_lines');
  end if;
end $$;

insert into app_private.event_subscriptions (consumer, event_type, handler) values
  ('reporting_sales', 'order.refunded.v1', 'app_private.reporting_sales__enqueue(app_private.events)'),
  ('customer_counters', 'order.refunded.v1', 'app_private.customer_counters__enqueue(app_private.events)'),
  ('reporting_customers', 'order.refunded.v1', 'app_private.reporting_customers__enqueue(app_private.events)')
on conflict do nothing;

-- The facts views and the functions over them change columns: dropped (with the analysts' views
-- that read them, whose money columns also change type) and made anew by the fixtures below.
drop view if exists reporting.sales_by_day, reporting.item_sales_by_day, reporting.customer_activity, reporting.customer_classes;
drop function if exists app_hidden.analyst_pending_daily();
drop function if exists app_private.reporting_pending_daily(text);
drop view if exists app_private.reporting_daily_facts;
--! Included sales/320-orders.sql
-- Orders, their lines and tenders, and the functions that are the only way to write
-- them (place_order, record_tender, void_order, cancel_order; quote_order prices a cart without
-- writing).
--
-- An order is OPEN until it is paid in full; the payment that completes it makes it a sale
-- (status placed, placed_at and business_date of that moment — an order paid after midnight is a
-- sale of the new day, as in Square — then order.placed.v1 and the stock taken). Nothing counts an
-- open order: no visit, no spend, no sales figure, no stock. An open order given up is cancelled
-- (what was paid on it goes back); a sale taken back is voided. An import (place_order with a
-- past placed_at) and an order with nothing to pay are sales at once.
-- The API role has no insert, update or delete grant on these tables, so PostGraphile generates
-- no CRUD for them. Every total is computed here from catalog prices and the tenant's tax rate.
--
-- Pricing and rounding (db/EVENTS.md repeats it):
--   * prices are tax-exclusive integer cents; a line's subtotal is unit price × quantity;
--   * a line discount is cents off that line (0 ≤ discount ≤ line subtotal);
--   * the order discount is cents off the whole order (0 ≤ discount ≤ sum of lines after their
--     own discounts); it is spread over the lines in proportion to their amounts after line
--     discounts, rounding down, and the cents left over go one each to the lines with the largest
--     remainders (ties: the earlier line), so the shares add up to the order discount exactly;
--   * tax is computed per line on the line's net amount (after both discounts) and rounded
--     half up to the cent: tax = floor((net × tax_rate_bps + 5000) / 10000);
--   * order tax_total is the sum of the line taxes (so it can differ by a cent or so from
--     rounding the tax of the whole order once); total = subtotal − discount_total + tax_total.

create or replace trigger _100_timestamps before insert or update on app_public.orders
  for each row execute function app_private.tg__timestamps();

-- Voids are in the audit log, with their reason (orders change only when voided; placing one
-- writes no audit row: the order and its event are the record).
create or replace trigger _500_audit after update on app_public.orders
  for each row execute function app_private.tg__audit('created_at', 'updated_at');

drop policy if exists select_own_tenant on app_public.orders;
create policy select_own_tenant on app_public.orders for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));

revoke all on app_public.orders from :DATABASE_VISITOR;
grant select on app_public.orders to :DATABASE_VISITOR;

create or replace trigger _010_append_only before update or delete on app_public.order_lines
  for each row execute function app_private.tg__append_only();

drop policy if exists select_own_tenant on app_public.order_lines;
create policy select_own_tenant on app_public.order_lines for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));

revoke all on app_public.order_lines from :DATABASE_VISITOR;
grant select on app_public.order_lines to :DATABASE_VISITOR;

create or replace trigger _010_append_only before update or delete on app_public.tenders
  for each row execute function app_private.tg__append_only();

drop policy if exists select_own_tenant on app_public.tenders;
create policy select_own_tenant on app_public.tenders for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));

revoke all on app_public.tenders from :DATABASE_VISITOR;
grant select on app_public.tenders to :DATABASE_VISITOR;

create or replace trigger _010_append_only before update or delete on app_public.refund_tenders
  for each row execute function app_private.tg__append_only();

drop policy if exists select_own_tenant on app_public.refund_tenders;
create policy select_own_tenant on app_public.refund_tenders for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));

revoke all on app_public.refund_tenders from :DATABASE_VISITOR;
grant select on app_public.refund_tenders to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Event payloads

/*
 * The order as consumers need it: where, when, who, the amounts, and the lines. PL/pgSQL rather
 * than SQL so that its plan is cached (it runs on every order).
 */
create or replace function app_private.order_event_payload(o app_public.orders) returns jsonb
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  return (select jsonb_build_object(
    'order_id', o.id,
    'location_id', o.location_id,
    'business_date', to_char(o.business_date, 'YYYY-MM-DD'),
    'placed_at', app_hidden.iso_utc(o.placed_at),
    'customer_id', o.customer_id,
    'placed_by_user_id', o.placed_by_user_id,
    'tax_rate_bps', o.tax_rate_bps,
    'subtotal', o.subtotal,
    'order_discount', o.order_discount,
    'discount_total', o.discount_total,
    'tax_total', o.tax_total,
    'total', o.total,
    'item_count', coalesce(sum(l.quantity), 0),
    'lines', coalesce(jsonb_agg(jsonb_build_object(
        'line_id', l.id,
        'line_no', l.line_no,
        'catalog_item_id', l.catalog_item_id,
        'sku', l.sku,
        'name', l.name,
        'quantity', l.quantity,
        'unit_price', l.unit_price,
        'subtotal', l.subtotal,
        'discount', l.line_discount + l.order_discount_share,
        'revenue', l.net_total,
        'tax', l.tax,
        'total', l.total) order by l.line_no) filter (where l.id is not null), '[]'::jsonb))
  from (select 1) as one
  left join app_public.order_lines l on l.tenant_id = o.tenant_id and l.order_id = o.id);
end;
$$;

/*
 * What tender.recorded.v1 says (db/EVENTS.md): the tender (on the day it was taken; tenders from
 * before that date was kept, on their order's date), and its order as it stands after the
 * payment. Like the other payload functions, no SET clause (it names only qualified objects), so
 * PostgreSQL inlines it into a bulk insert (the benchmark's data set is built with it).
 */
create or replace function app_private.tender_event_payload(t app_public.tenders, o app_public.orders) returns jsonb
language sql stable
as $$
  select pg_catalog.jsonb_build_object(
    'tender_id', t.id,
    'order_id', t.order_id,
    'location_id', o.location_id,
    'business_date', pg_catalog.to_char(coalesce(t.business_date, o.business_date), 'YYYY-MM-DD'),
    'customer_id', o.customer_id,
    'type', t.type,
    'amount', t.amount,
    'change_given', t.change_given,
    'applied_amount', t.applied_amount,
    'order_total', o.total,
    'paid_total', o.paid_total,
    'amount_due', o.amount_due,
    'recorded_at', app_hidden.iso_utc(t.created_at),
    'recorded_by_user_id', t.recorded_by_user_id);
$$;

/*
 * What order.voided.v1 says: the order's payload and the void (o is the voided order, loc its
 * location), with the money handed back per tender type (the refund tenders the void wrote).
 */
create or replace function app_private.order_voided_event_payload(o app_public.orders, loc app_public.locations) returns jsonb
language sql stable
as $$
  select app_private.order_event_payload(o) operator(pg_catalog.||) pg_catalog.jsonb_build_object(
    'voided_at', app_hidden.iso_utc(o.voided_at),
    'voided_business_date', pg_catalog.to_char(app_hidden.business_date(o.voided_at, loc.timezone), 'YYYY-MM-DD'),
    'void_reason', o.void_reason,
    'voided_by_user_id', o.voided_by_user_id,
    'paid_total', o.paid_total,
    'refund_tenders', coalesce((
      select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('type', r.type, 'amount', r.amount) order by r.type)
      from app_public.refund_tenders r
      where r.tenant_id operator(pg_catalog.=) o.tenant_id and r.order_id operator(pg_catalog.=) o.id), '[]'::jsonb));
$$;

/* What order.cancelled.v1 says: which open order was given up, why, and what went back (per tender type). */
create or replace function app_private.order_cancelled_event_payload(o app_public.orders, loc app_public.locations) returns jsonb
language sql stable
as $$
  select pg_catalog.jsonb_build_object(
    'order_id', o.id,
    'location_id', o.location_id,
    'customer_id', o.customer_id,
    'total', o.total,
    'paid_total', o.paid_total,
    'opened_at', app_hidden.iso_utc(o.created_at),
    'cancelled_at', app_hidden.iso_utc(o.cancelled_at),
    'cancelled_business_date', pg_catalog.to_char(app_hidden.business_date(o.cancelled_at, loc.timezone), 'YYYY-MM-DD'),
    'cancel_reason', o.cancel_reason,
    'cancelled_by_user_id', o.cancelled_by_user_id,
    'refund_tenders', coalesce((
      select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('type', r.type, 'amount', r.amount) order by r.type)
      from app_public.refund_tenders r
      where r.tenant_id operator(pg_catalog.=) o.tenant_id and r.order_id operator(pg_catalog.=) o.id), '[]'::jsonb));
$$;

/*
 * Hands back what was paid on an order, the way it was paid: one refund tender per tender type
 * (cash from the drawer, card back to the card), dated today at the location. Used by void and
 * cancel.
 */
create or replace function app_private.refund_payments(o app_public.orders, loc app_public.locations, reason text, actor text)
returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  insert into app_public.refund_tenders (tenant_id, order_id, type, amount, reason, business_date, refunded_by_user_id, cash_drawer_id)
  select o.tenant_id, o.id, t.type, sum(t.applied_amount), reason, app_hidden.business_date(now(), loc.timezone), actor,
         -- Cash comes out of the location's open drawer (330-cash-drawers.sql).
         case when t.type = 'cash' then app_private.open_cash_drawer_id(o.tenant_id, o.location_id) end
  from app_public.tenders t
  where t.tenant_id = o.tenant_id and t.order_id = o.id
  group by t.type
  having sum(t.applied_amount) > 0
  order by t.type;
end;
$$;

/*
 * An order has just become a sale (its row says placed, with placed_at and business_date): emits
 * order.placed.v1, then takes its stocked items out of stock at the location (a sale may take
 * on-hand below zero), each movement with its event.
 */
create or replace function app_private.record_sale(o app_public.orders, actor text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform app_private.emit_event(o.tenant_id, 'order.placed.v1', 'order', o.id, app_private.order_event_payload(o), actor);
  insert into app_public.inventory_movements (tenant_id, location_id, inventory_item_id, quantity, reason,
                                              order_id, order_line_id, actor_user_id, occurred_at)
  select o.tenant_id, o.location_id, i.id, -ol.quantity, 'sale', o.id, ol.id, actor, o.placed_at
  from app_public.order_lines ol
  join app_public.inventory_items i on i.tenant_id = ol.tenant_id and i.catalog_item_id = ol.catalog_item_id
  where ol.tenant_id = o.tenant_id and ol.order_id = o.id
  order by ol.line_no;
end;
$$;

create or replace function app_private.tg_tenders__emit_event() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  o app_public.orders;
begin
  select * into o from app_public.orders x where x.tenant_id = new.tenant_id and x.id = new.order_id;
  perform app_private.emit_event(new.tenant_id, 'tender.recorded.v1', 'order', new.order_id,
    app_private.tender_event_payload(new, o), new.recorded_by_user_id);
  return null;
end;
$$;

create or replace trigger _900_emit_event after insert on app_public.tenders
  for each row execute function app_private.tg_tenders__emit_event();

/*
 * Validates the lines of a cart and prices them (rules at the top of this file). lines is a JSON
 * array of {"catalog_item_id": text, "quantity": whole number 1..10000, "discount"?: cents}.
 * Raises BADIN (malformed), EMPTY, BADQT, BADDS, NOTFD (not an item of this tenant), INACT,
 * BADAM (order too large).
 */
create or replace function app_private.price_lines(tenant_id text, lines jsonb, order_discount int, tax_rate_bps int)
returns setof app_private.priced_line
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  elem jsonb;
  n int;
  unknown_key text;
  qty numeric;
  disc numeric;
  item record;
  line_subtotal bigint;
  order_subtotal bigint := 0;
  total_net bigint := 0;
  a_item text[] := '{}';
  a_sku text[] := '{}';
  a_name text[] := '{}';
  a_price int[] := '{}';
  a_qty int[] := '{}';
  a_disc int[] := '{}';
  a_stock text[] := '{}';
begin
  if lines is null or jsonb_typeof(lines) <> 'array' then
    perform app_hidden.raise_error('BADIN', 'The lines must be a list such as [{"catalog_item_id": "…", "quantity": 1}].');
  end if;
  if jsonb_array_length(lines) = 0 then
    perform app_hidden.raise_error('EMPTY', 'An order needs at least one line.');
  end if;
  if jsonb_array_length(lines) > 200 then
    perform app_hidden.raise_error('BADIN', 'An order can have at most 200 lines.');
  end if;
  if order_discount is null or order_discount < 0 then
    perform app_hidden.raise_error('BADDS', 'The order discount must be a whole number of cents, not negative.');
  end if;

  for elem, n in select e.value, e.ordinality from jsonb_array_elements(lines) with ordinality as e order by e.ordinality loop
    if jsonb_typeof(elem) <> 'object' then
      perform app_hidden.raise_error('BADIN', format('Line %s must be an object such as {"catalog_item_id": "…", "quantity": 1}.', n));
    end if;
    select k into unknown_key from jsonb_object_keys(elem) as k
      where k not in ('catalog_item_id', 'quantity', 'discount') order by k limit 1;
    if unknown_key is not null then
      perform app_hidden.raise_error('BADIN', format('Line %s: unknown field "%s" (use catalog_item_id, quantity and discount).', n, left(unknown_key, 40)));
    end if;
    if jsonb_typeof(elem -> 'catalog_item_id') is distinct from 'string' then
      perform app_hidden.raise_error('BADIN', format('Line %s: catalog_item_id is required.', n));
    end if;
    if jsonb_typeof(elem -> 'quantity') is distinct from 'number' then
      perform app_hidden.raise_error('BADQT', format('Line %s: the quantity must be a whole number from 1 to 10000.', n));
    end if;
    qty := (elem ->> 'quantity')::numeric;
    if qty <> trunc(qty) or qty < 1 or qty > 10000 then
      perform app_hidden.raise_error('BADQT', format('Line %s: the quantity must be a whole number from 1 to 10000.', n));
    end if;
    if coalesce(jsonb_typeof(elem -> 'discount'), 'null') = 'null' then
      disc := 0;
    elsif jsonb_typeof(elem -> 'discount') <> 'number' then
      perform app_hidden.raise_error('BADDS', format('Line %s: the discount must be a whole number of cents.', n));
    else
      disc := (elem ->> 'discount')::numeric;
      if disc <> trunc(disc) or disc < 0 then
        perform app_hidden.raise_error('BADDS', format('Line %s: the discount must be a whole number of cents, not negative.', n));
      end if;
    end if;

    select c.id, c.sku, c.name, c.price, c.active, i.id as inventory_item_id into item
    from app_public.catalog_items c
    left join app_public.inventory_items i on i.tenant_id = c.tenant_id and i.catalog_item_id = c.id
    where c.tenant_id = price_lines.tenant_id and c.id = elem ->> 'catalog_item_id';
    if not found then
      perform app_hidden.raise_error('NOTFD', format('Line %s: there is no catalog item %s.', n, left(elem ->> 'catalog_item_id', 40)));
    end if;
    if not item.active then
      perform app_hidden.raise_error('INACT', format('Line %s: %s is not for sale (inactive).', n, item.name));
    end if;

    line_subtotal := item.price::bigint * qty::bigint;
    if disc > line_subtotal then
      perform app_hidden.raise_error('BADDS', format('Line %s: the discount (%s) is more than the line amount (%s).', n, disc, line_subtotal));
    end if;
    order_subtotal := order_subtotal + line_subtotal;
    if order_subtotal > 1000000000 then
      perform app_hidden.raise_error('BADAM', 'This order is too large: its subtotal cannot exceed 1000000000 cents.');
    end if;
    total_net := total_net + line_subtotal - disc::bigint;
    a_item := a_item || item.id;
    a_sku := a_sku || item.sku;
    a_name := a_name || item.name;
    a_price := a_price || item.price;
    a_qty := a_qty || qty::int;
    a_disc := a_disc || disc::int;
    a_stock := a_stock || item.inventory_item_id;
  end loop;

  if order_discount > total_net then
    perform app_hidden.raise_error('BADDS', format(
      'The order discount (%s) is more than the order amount after line discounts (%s).', order_discount, total_net));
  end if;

  return query
  with l as (
    select u.line_no::int as line_no, u.catalog_item_id, u.sku, u.name, u.unit_price, u.quantity, u.line_discount,
           u.inventory_item_id, u.unit_price::bigint * u.quantity as subtotal,
           u.unit_price::bigint * u.quantity - u.line_discount as net
    from unnest(a_item, a_sku, a_name, a_price, a_qty, a_disc, a_stock)
      with ordinality as u(catalog_item_id, sku, name, unit_price, quantity, line_discount, inventory_item_id, line_no)
  ), alloc as (
    select l.*,
           case when total_net = 0 then 0 else (order_discount::bigint * l.net) / total_net end as floor_share,
           case when total_net = 0 then 0 else (order_discount::bigint * l.net) % total_net end as remainder
    from l
  ), ranked as (
    select a.*,
           row_number() over (order by a.remainder desc, a.line_no) as rank,
           sum(a.floor_share) over () as floor_sum
    from alloc a
  ), shared as (
    select r.*, r.floor_share + case when r.rank <= order_discount - r.floor_sum then 1 else 0 end as share
    from ranked r
  ), taxed as (
    select s.*, s.net - s.share as net_total,
           ((s.net - s.share) * tax_rate_bps + 5000) / 10000 as tax
    from shared s
  )
  select t.line_no, t.catalog_item_id, t.sku, t.name, t.unit_price, t.quantity, t.subtotal::int, t.line_discount,
         t.share::int, t.net_total::int, t.tax::int, (t.net_total + t.tax)::int, t.inventory_item_id
  from taxed t
  order by t.line_no;
end;
$$;

/*
 * The customer id an order of the tenant records for the given one (null for none): an order may
 * only name a customer of the tenant (NOTFD), and an order for a customer that was merged is
 * recorded for the customer it was merged into.
 */
create or replace function app_private.order_customer_id(tenant_id text, customer_id text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  live text;
begin
  if customer_id is null or btrim(customer_id) = '' then
    return null;
  end if;
  live := app_private.live_customer_id(order_customer_id.tenant_id, btrim(order_customer_id.customer_id));
  if live is null then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.', left(btrim(customer_id), 40)));
  end if;
  return live;
end;
$$;

create or replace function app_public.quote_order(lines jsonb, discount int default 0) returns app_public.order_quote
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('sales.sell');
  rate int;
  result app_public.order_quote;
begin
  select t.tax_rate_bps into rate from app_public.tenants t where t.id = tenant;
  select sum(p.subtotal)::int, (sum(p.line_discount) + coalesce(quote_order.discount, 0))::int, rate,
         sum(p.tax)::int, sum(p.total)::int,
         jsonb_agg(to_jsonb(p) - 'inventory_item_id' order by p.line_no)
    into result
  from app_private.price_lines(tenant, quote_order.lines, coalesce(quote_order.discount, 0), rate) p;
  return result;
end;
$$;
comment on function app_public.quote_order(jsonb, int) is
  E'Prices a cart without placing it (needs sales.sell): the same validation, totals and rounding as placeOrder. lines is a JSON list of {"catalog_item_id", "quantity", "discount"?}; discount is cents off the whole order.';

------------------------------------------------------------------------------------------------
-- Writing orders

/*
 * Opens an order at a location (needs sales.sell): validates and prices the lines (see the top
 * of this file) and writes the order and its lines. It is open — not a sale — until payments cover
 * its total (record_tender). An order with nothing to pay, and an import (placed_at, past only,
 * needs settings.update), are sales at once: order.placed.v1 and the stock movements, in the
 * caller's transaction.
 */
create or replace function app_public.place_order(
  location_id text, lines jsonb, customer_id text default null, discount int default 0,
  placed_at timestamptz default null
) returns app_public.orders
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('sales.sell');
  me text := app_hidden.current_user_id();
  loc app_public.locations;
  rate int;
  order_discount int := coalesce(place_order.discount, 0);
  customer text;
  priced app_private.priced_line[];
  total bigint;
  sale_time timestamptz;
  result app_public.orders;
begin
  if place_order.placed_at is not null then
    if not app_hidden.has_permission('settings.update') then
      perform app_hidden.raise_error('DNIED', 'Only an owner (settings.update) can record orders with a past date.');
    end if;
    perform app_hidden.assert_recorded_time('The time of an order', place_order.placed_at, 'placed_at');
  end if;
  select l.* into loc from app_public.locations l where l.tenant_id = tenant and l.id = place_order.location_id;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no location %s.', left(place_order.location_id, 40)));
  end if;
  customer := app_private.order_customer_id(tenant, place_order.customer_id);
  select t.tax_rate_bps into rate from app_public.tenants t where t.id = tenant;
  select array_agg(p order by p.line_no), sum(p.total) into priced, total
  from app_private.price_lines(tenant, place_order.lines, order_discount, rate) p;
  -- An import is a sale of its time; an order with nothing to pay is a sale now; others are open.
  sale_time := case when place_order.placed_at is not null then place_order.placed_at when total = 0 then now() end;

  insert into app_public.orders (tenant_id, location_id, customer_id, status, subtotal, order_discount, discount_total,
                                 tax_rate_bps, tax_total, total, placed_at, business_date, placed_by_user_id)
  select tenant, loc.id, customer, case when sale_time is null then 'open' else 'placed' end, sum(p.subtotal), order_discount,
         sum(p.line_discount) + order_discount, rate, sum(p.tax), sum(p.total), sale_time,
         app_hidden.business_date(sale_time, loc.timezone), me
  from unnest(priced) p
  returning * into result;

  insert into app_public.order_lines (tenant_id, order_id, line_no, catalog_item_id, sku, name, unit_price, quantity,
                                      subtotal, line_discount, order_discount_share, net_total, tax, total)
  select tenant, result.id, p.line_no, p.catalog_item_id, p.sku, p.name, p.unit_price, p.quantity,
         p.subtotal, p.line_discount, p.order_discount_share, p.net_total, p.tax, p.total
  from unnest(priced) p
  order by p.line_no;

  if result.status = 'placed' then
    perform app_private.record_sale(result, me);
  end if;
  return result;
end;
$$;
comment on function app_public.place_order(text, jsonb, text, int, timestamptz) is
  E'@resultFieldName order\nOpens an order (needs sales.sell). lines is a JSON list of {"catalog_item_id": "…", "quantity": 1, "discount": 0} (discount in minor units off that line); discount is off the whole order. Totals are computed from catalog prices and the tax rate: tax per line on the discounted amount, rounded half up. The order is open — not a sale, no stock taken — until payments (recordTender) cover its total; an order with nothing to pay is a sale at once. placedAt records a past sale (an import, owners only): a sale at once.';

/*
 * Records a payment towards an order (needs sales.sell), on the day it is taken at the order's
 * location. Cash may exceed the amount due: the difference is change given back. Card may not
 * exceed it. The payment that covers an open order's total makes it a sale (record_sale). Nothing
 * can be tendered to a voided, cancelled or fully paid order. The order row is locked, so
 * concurrent tenders cannot over-pay it.
 */
create or replace function app_public.record_tender(order_id text, type text, amount int) returns app_public.tenders
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('sales.sell');
  me text := app_hidden.current_user_id();
  o app_public.orders;
  loc app_public.locations;
  due int;
  change int := 0;
  result app_public.tenders;
begin
  select x.* into o from app_public.orders x where x.tenant_id = tenant and x.id = record_tender.order_id for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no order %s.', left(record_tender.order_id, 40)));
  end if;
  if o.status = 'voided' then
    perform app_hidden.raise_error('VOIDD', 'This order was voided; it cannot take payments.');
  end if;
  if o.status = 'cancelled' then
    perform app_hidden.raise_error('BADIN', 'This order was cancelled; it cannot take payments.');
  end if;
  if record_tender.type is null or record_tender.type not in ('cash', 'card') then
    perform app_hidden.raise_error('BADIN', 'The tender type must be cash or card.');
  end if;
  if record_tender.amount is null or record_tender.amount <= 0 or record_tender.amount > 100000000 then
    perform app_hidden.raise_error('BADAM', 'The amount must be a positive number of minor units (at most 100000000).');
  end if;
  due := o.total - o.paid_total;
  if due <= 0 then
    perform app_hidden.raise_error('OVRTN', 'This order is already paid in full.');
  end if;
  if record_tender.amount > due then
    if record_tender.type = 'card' then
      perform app_hidden.raise_error('OVRTN', format('A card payment cannot exceed the amount due (%s).', due));
    end if;
    change := record_tender.amount - due;
  end if;
  select l.* into loc from app_public.locations l where l.tenant_id = tenant and l.id = o.location_id;
  update app_public.orders x set paid_total = x.paid_total + (record_tender.amount - change)
    where x.tenant_id = tenant and x.id = o.id
    returning * into o;
  insert into app_public.tenders (tenant_id, order_id, type, amount, change_given, recorded_by_user_id, business_date, cash_drawer_id)
    values (tenant, o.id, record_tender.type, record_tender.amount, change, me,
            -- A payment on an imported sale counts on the sale's date; any other on the day it is taken.
            case when o.status = 'placed' then o.business_date else app_hidden.business_date(now(), loc.timezone) end,
            -- Cash goes into the location's open drawer (330-cash-drawers.sql).
            case when record_tender.type = 'cash' then app_private.open_cash_drawer_id(tenant, o.location_id) end)
    returning * into result;
  if o.status = 'open' and o.paid_total = o.total then
    update app_public.orders x set status = 'placed', placed_at = now(), business_date = app_hidden.business_date(now(), loc.timezone)
      where x.tenant_id = tenant and x.id = o.id
      returning * into o;
    perform app_private.record_sale(o, me);
  end if;
  return result;
end;
$$;
comment on function app_public.record_tender(text, text, int) is
  E'@resultFieldName tender\nRecords a payment towards an order (needs sales.sell). type is cash or card; amount in minor units of the business''s currency. Cash above the amount due gives change (changeGiven); card cannot exceed the amount due. The payment that covers an open order''s total makes it a sale (status placed, placedAt now). Voided, cancelled or fully paid orders take no payment.';

/*
 * Voids a placed order once (needs sales.void): marks it voided with the reason, keeps its lines
 * and tenders, hands back what was paid by the way it was paid (a refund tender per type: cash
 * from the drawer, card back to the card, on today's date at the location), writes the opposite
 * sale movement for each of its sale movements, and emits order.voided.v1 (with the amounts to
 * take back and the refund tenders) then the movement events.
 */
create or replace function app_public.void_order(order_id text, reason text) returns app_public.orders
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('sales.void');
  me text := app_hidden.current_user_id();
  why text;
  o app_public.orders;
  loc app_public.locations;
begin
  why := app_hidden.assert_name('The reason for the void', void_order.reason, 500, 'reason');
  perform app_private.begin_change('void_order', why);
  select x.* into o from app_public.orders x where x.tenant_id = tenant and x.id = void_order.order_id for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no order %s.', left(void_order.order_id, 40)));
  end if;
  if o.status = 'voided' then
    perform app_hidden.raise_error('VOIDD', 'This order is already voided.');
  end if;
  if o.status = 'open' then
    perform app_hidden.raise_error('BADIN', 'This order is open, not a sale yet: cancel it instead.');
  end if;
  if o.status <> 'placed' then
    perform app_hidden.raise_error('BADIN', 'Only a sale can be voided.');
  end if;
  -- A void takes back the whole sale: after a refund of some lines, the rest is refunded instead (340-refunds.sql).
  if exists (select 1 from app_public.order_refunds f where f.tenant_id = tenant and f.order_id = o.id) then
    perform app_hidden.raise_error('BADIN', 'This sale has refunds: refund its remaining lines instead of voiding it.');
  end if;
  select l.* into loc from app_public.locations l where l.tenant_id = tenant and l.id = o.location_id;

  update app_public.orders x
    set status = 'voided', voided_at = now(), void_reason = why, voided_by_user_id = me
    where x.tenant_id = tenant and x.id = o.id
    returning * into o;

  perform app_private.refund_payments(o, loc, why, me);

  perform app_private.emit_event(tenant, 'order.voided.v1', 'order', o.id, app_private.order_voided_event_payload(o, loc), me);

  insert into app_public.inventory_movements (tenant_id, location_id, inventory_item_id, quantity, reason, note,
                                              order_id, order_line_id, actor_user_id)
  select m.tenant_id, m.location_id, m.inventory_item_id, -m.quantity, 'sale', 'Void of order ' || o.id,
         m.order_id, m.order_line_id, me
  from app_public.inventory_movements m
  where m.tenant_id = tenant and m.order_id = o.id and m.reason = 'sale' and m.quantity < 0
  order by m.id;

  perform app_private.end_change();
  return o;
end;
$$;
comment on function app_public.void_order(text, text) is
  E'@resultFieldName order\nVoids a placed order, once (needs sales.void). The order keeps its lines and tenders; what was paid is handed back the way it was paid (refundTenders: cash from the drawer, card back to the card), counted as a refund today; stock sold is put back.';

/*
 * Cancels an open order (needs sales.sell): a charge given up at the till. It never was a sale,
 * so nothing counts it; what was paid on it goes back the way it was paid (refund tenders, today)
 * and order.cancelled.v1 says so. A sale is voided instead (void_order).
 */
create or replace function app_public.cancel_order(order_id text, reason text) returns app_public.orders
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('sales.sell');
  me text := app_hidden.current_user_id();
  why text;
  o app_public.orders;
  loc app_public.locations;
begin
  why := app_hidden.assert_name('The reason for cancelling', cancel_order.reason, 500, 'reason');
  perform app_private.begin_change('cancel_order', why);
  select x.* into o from app_public.orders x where x.tenant_id = tenant and x.id = cancel_order.order_id for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no order %s.', left(cancel_order.order_id, 40)));
  end if;
  if o.status = 'cancelled' then
    perform app_hidden.raise_error('BADIN', 'This order is already cancelled.');
  end if;
  if o.status = 'voided' then
    perform app_hidden.raise_error('VOIDD', 'This order was voided.');
  end if;
  if o.status <> 'open' then
    perform app_hidden.raise_error('BADIN', 'This order is a sale (paid in full): void it instead.');
  end if;
  select l.* into loc from app_public.locations l where l.tenant_id = tenant and l.id = o.location_id;

  update app_public.orders x
    set status = 'cancelled', cancelled_at = now(), cancel_reason = why, cancelled_by_user_id = me
    where x.tenant_id = tenant and x.id = o.id
    returning * into o;
  perform app_private.refund_payments(o, loc, why, me);
  perform app_private.emit_event(tenant, 'order.cancelled.v1', 'order', o.id, app_private.order_cancelled_event_payload(o, loc), me);

  perform app_private.end_change();
  return o;
end;
$$;
comment on function app_public.cancel_order(text, text) is
  E'@resultFieldName order\nCancels an open order (needs sales.sell): a charge given up. It never was a sale and counts nowhere; what was paid on it goes back the way it was paid (refundTenders). A sale is voided instead (voidOrder).';

/* The open orders of a location, newest first: the till's "resume or cancel" list. */
create or replace function app_public.open_orders(location_id text) returns setof app_public.orders
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select o.* from app_public.orders o
  where o.tenant_id = (select app_hidden.current_tenant_id()) and o.location_id = open_orders.location_id and o.status = 'open'
  order by o.created_at desc, o.id desc;
$$;
comment on function app_public.open_orders(text) is E'@behavior -connection +list\nThe open orders (not paid in full yet) of a location, newest first: to resume their payment or cancel them.';
--! EndIncluded sales/320-orders.sql
--! Included sales/330-cash-drawers.sql
-- The cash drawer: what makes "cash" a number the shop checks every evening.
--
-- A drawer is opened at a location with a float (open_cash_drawer); one drawer at a time per
-- location. While it is open, every cash payment taken at the location goes into it and every
-- cash refund (a void, a cancel) comes out of it: record_tender and refund_payments stamp the
-- tender with the open drawer (app_private.open_cash_drawer_id). Cash put in or taken out for
-- anything else is an entry with a reason (record_cash_drawer_entry). Closing it with the amount
-- counted (close_cash_drawer) stores what was expected and the difference:
--
--   expected = opening float + cash payments − cash refunds + cash put in − cash taken out
--   difference = counted − expected   (negative: short; positive: over)
--
-- Exact under concurrency: a payment takes a key-share lock on the drawer row it goes into and
-- close takes the row for update, so a close waits for the payments in flight and counts them;
-- a payment after the close finds no open drawer. Cash taken with no drawer open goes into none.
-- Card payments never touch a drawer.

create or replace trigger _010_append_only before update or delete on app_public.cash_drawer_entries
  for each row execute function app_private.tg__append_only();

drop policy if exists select_own_tenant on app_public.cash_drawers;
create policy select_own_tenant on app_public.cash_drawers for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));
revoke all on app_public.cash_drawers from :DATABASE_VISITOR;
grant select on app_public.cash_drawers to :DATABASE_VISITOR;

drop policy if exists select_own_tenant on app_public.cash_drawer_entries;
create policy select_own_tenant on app_public.cash_drawer_entries for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));
revoke all on app_public.cash_drawer_entries from :DATABASE_VISITOR;
grant select on app_public.cash_drawer_entries to :DATABASE_VISITOR;

comment on table app_public.cash_drawers is E'@unique id\nA cash drawer session at a location: opened with a float, closed with the amount counted. Written only by openCashDrawer, recordCashDrawerEntry and closeCashDrawer.';
comment on column app_public.cash_drawers.tenant_id is '@behavior -*';
comment on constraint cash_drawers_pkey on app_public.cash_drawers is '@behavior -single -update -delete';
comment on constraint cash_drawers_tenant_id_fkey on app_public.cash_drawers is E'@fieldName tenant\n@foreignFieldName cashDrawers';
comment on constraint cash_drawers_tenant_id_location_id_fkey on app_public.cash_drawers is E'@fieldName location\n@foreignFieldName cashDrawers';
comment on constraint cash_drawers_opened_by_user_id_fkey on app_public.cash_drawers is E'@fieldName openedBy\n@foreignFieldName openedCashDrawers';
comment on constraint cash_drawers_closed_by_user_id_fkey on app_public.cash_drawers is E'@fieldName closedBy\n@foreignFieldName closedCashDrawers';
comment on column app_public.cash_drawers.business_date is 'The day it was opened, at the location: the day of the Drawer report it belongs to.';
comment on column app_public.cash_drawers.opening_float is 'The cash in it when opened, in minor units of the business''s currency.';
comment on column app_public.cash_drawers.closed_at is 'When it was closed (counted); null while open.';
comment on column app_public.cash_drawers.expected is 'What should have been in it at the close: float + cash payments − cash refunds + cash put in − cash taken out.';
comment on column app_public.cash_drawers.counted is 'The cash counted in it at the close.';
comment on column app_public.cash_drawers.difference is 'counted − expected: negative when short, positive when over.';
comment on column app_public.cash_drawers.note is 'What the person closing it wrote (why it is short, say).';

comment on table app_public.cash_drawer_entries is E'@unique id\nCash put into or taken out of a drawer for something other than a sale (change brought in, milk bought, a bank drop), with the reason. Never changed.';
comment on column app_public.cash_drawer_entries.tenant_id is '@behavior -*';
comment on constraint cash_drawer_entries_pkey on app_public.cash_drawer_entries is '@behavior -single -update -delete';
comment on constraint cash_drawer_entries_tenant_id_fkey on app_public.cash_drawer_entries is E'@fieldName tenant\n@foreignFieldName cashDrawerEntries';
comment on constraint cash_drawer_entries_tenant_id_cash_drawer_id_fkey on app_public.cash_drawer_entries is E'@fieldName cashDrawer\n@foreignFieldName entries';
comment on column app_public.cash_drawer_entries.kind is 'in (cash put in) or out (cash taken out).';
comment on column app_public.cash_drawer_entries.amount is 'In minor units of the business''s currency, > 0.';
comment on column app_public.cash_drawer_entries.recorded_by_user_id is 'Who (a user id kept as it was).';

comment on constraint tenders_cash_drawer_fkey on app_public.tenders is E'@fieldName cashDrawer\n@foreignFieldName tenders';
comment on constraint refund_tenders_cash_drawer_fkey on app_public.refund_tenders is E'@fieldName cashDrawer\n@foreignFieldName refundTenders';
comment on column app_public.tenders.cash_drawer_id is 'The drawer a cash payment went into (null for card, or when no drawer was open at the location).';
comment on column app_public.refund_tenders.cash_drawer_id is 'The drawer cash handed back came out of (null for card, or when no drawer was open at the location).';

/*
 * The open drawer at a location, locked for key share so that its close waits for this
 * transaction (and then counts its cash); null when none is open. Called for cash only.
 */
create or replace function app_private.open_cash_drawer_id(tenant_id text, location_id text) returns text
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  select d.id from app_public.cash_drawers d
  where d.tenant_id = open_cash_drawer_id.tenant_id and d.location_id = open_cash_drawer_id.location_id and d.closed_at is null
  for key share;
$$;

------------------------------------------------------------------------------------------------
-- What a drawer holds (computed columns; for a closed drawer, what it held when it was closed)

create or replace function app_public.cash_drawers_cash_payments(d app_public.cash_drawers) returns int
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(sum(t.applied_amount), 0)::int from app_public.tenders t
  where t.tenant_id = d.tenant_id and t.cash_drawer_id = d.id;
$$;
comment on function app_public.cash_drawers_cash_payments(app_public.cash_drawers) is E'@notNull\nCash payments that went into it (cash handed over minus change).';

create or replace function app_public.cash_drawers_cash_refunds(d app_public.cash_drawers) returns int
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(sum(r.amount), 0)::int from app_public.refund_tenders r
  where r.tenant_id = d.tenant_id and r.cash_drawer_id = d.id;
$$;
comment on function app_public.cash_drawers_cash_refunds(app_public.cash_drawers) is E'@notNull\nCash handed back from it (voids, cancelled orders).';

create or replace function app_public.cash_drawers_cash_in(d app_public.cash_drawers) returns int
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(sum(e.amount), 0)::int from app_public.cash_drawer_entries e
  where e.tenant_id = d.tenant_id and e.cash_drawer_id = d.id and e.kind = 'in';
$$;
comment on function app_public.cash_drawers_cash_in(app_public.cash_drawers) is E'@notNull\nCash put in (entries of kind in).';

create or replace function app_public.cash_drawers_cash_out(d app_public.cash_drawers) returns int
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(sum(e.amount), 0)::int from app_public.cash_drawer_entries e
  where e.tenant_id = d.tenant_id and e.cash_drawer_id = d.id and e.kind = 'out';
$$;
comment on function app_public.cash_drawers_cash_out(app_public.cash_drawers) is E'@notNull\nCash taken out (entries of kind out).';

/* The rule: float + cash payments − cash refunds + cash in − cash out. */
create or replace function app_public.cash_drawers_expected_now(d app_public.cash_drawers) returns int
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select d.opening_float + app_public.cash_drawers_cash_payments(d) - app_public.cash_drawers_cash_refunds(d)
         + app_public.cash_drawers_cash_in(d) - app_public.cash_drawers_cash_out(d);
$$;
comment on function app_public.cash_drawers_expected_now(app_public.cash_drawers) is E'@notNull\nWhat should be in it: float + cash payments − cash refunds + cash put in − cash taken out (for a closed drawer, the same as expected).';

------------------------------------------------------------------------------------------------
-- Commands

/*
 * Opens a drawer at a location with a float (needs sales.sell). Refused while another drawer is
 * open there (the unique index decides between two at once).
 */
create or replace function app_public.open_cash_drawer(location_id text, opening_float int) returns app_public.cash_drawers
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('sales.sell');
  loc app_public.locations;
  d app_public.cash_drawers;
begin
  select l.* into loc from app_public.locations l where l.tenant_id = tenant and l.id = open_cash_drawer.location_id;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no location %s.', left(open_cash_drawer.location_id, 40)), field => 'locationId');
  end if;
  if open_cash_drawer.opening_float is null or open_cash_drawer.opening_float < 0 or open_cash_drawer.opening_float > 100000000 then
    perform app_hidden.raise_error('BADAM', 'The float must be an amount from 0 (at most 100000000 minor units).', field => 'openingFloat');
  end if;
  begin
    insert into app_public.cash_drawers (tenant_id, location_id, business_date, opening_float, opened_by_user_id)
    values (tenant, loc.id, app_hidden.business_date(now(), loc.timezone), open_cash_drawer.opening_float, app_hidden.current_user_id())
    returning * into d;
  exception when unique_violation then
    perform app_hidden.raise_error('BADIN', format('A drawer is already open at %s: close it before opening another.', loc.name));
  end;
  return d;
end;
$$;
comment on function app_public.open_cash_drawer(text, int) is
  E'@resultFieldName cashDrawer\nOpens the cash drawer of a location with a float in minor units (needs sales.sell). One drawer at a time per location: while it is open, cash payments and cash refunds there go into and out of it.';

/*
 * Cash put in or taken out of an open drawer, with a reason (needs sales.sell). Taking out more
 * than the drawer should hold is refused.
 */
create or replace function app_public.record_cash_drawer_entry(cash_drawer_id text, kind text, amount int, reason text)
returns app_public.cash_drawer_entries
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('sales.sell');
  why text := app_hidden.assert_name('The reason', record_cash_drawer_entry.reason, 500, 'reason');
  d app_public.cash_drawers;
  cur app_public.currencies := app_private.tenant_currency(tenant);
  holds int;
  result app_public.cash_drawer_entries;
begin
  select x.* into d from app_public.cash_drawers x where x.tenant_id = tenant and x.id = record_cash_drawer_entry.cash_drawer_id for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no cash drawer %s.', left(record_cash_drawer_entry.cash_drawer_id, 40)));
  end if;
  if d.closed_at is not null then
    perform app_hidden.raise_error('BADIN', 'This drawer is closed: open one to put cash in or take it out.');
  end if;
  if record_cash_drawer_entry.kind is null or record_cash_drawer_entry.kind not in ('in', 'out') then
    perform app_hidden.raise_error('BADIN', 'Say whether cash goes in or out.', field => 'kind');
  end if;
  if record_cash_drawer_entry.amount is null or record_cash_drawer_entry.amount <= 0 or record_cash_drawer_entry.amount > 100000000 then
    perform app_hidden.raise_error('BADAM', 'The amount must be a positive number of minor units (at most 100000000).', field => 'amount');
  end if;
  holds := app_public.cash_drawers_expected_now(d);
  if record_cash_drawer_entry.kind = 'out' and record_cash_drawer_entry.amount > holds then
    perform app_hidden.raise_error('BADAM',
      format('The drawer should hold only %s %s: that much can be taken out.', app_hidden.major_units(holds, cur.minor_units), cur.code),
      field => 'amount');
  end if;
  insert into app_public.cash_drawer_entries (tenant_id, cash_drawer_id, kind, amount, reason, recorded_by_user_id)
  values (tenant, d.id, record_cash_drawer_entry.kind, record_cash_drawer_entry.amount, why, app_hidden.current_user_id())
  returning * into result;
  return result;
end;
$$;
comment on function app_public.record_cash_drawer_entry(text, text, int, text) is
  E'@resultFieldName entry\nCash put into (kind in) or taken out of (kind out) an open drawer, in minor units, with a reason (needs sales.sell). Taking out more than the drawer should hold is refused (BADAM).';

/*
 * Closes an open drawer with the cash counted (needs sales.sell): stores what was expected and
 * the difference. Waits for payments in flight into it (they hold a key-share lock on it).
 */
create or replace function app_public.close_cash_drawer(cash_drawer_id text, counted int, note text default null)
returns app_public.cash_drawers
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('sales.sell');
  said text := app_hidden.optional_name('The note', close_cash_drawer.note, 500, 'note');
  d app_public.cash_drawers;
begin
  select x.* into d from app_public.cash_drawers x where x.tenant_id = tenant and x.id = close_cash_drawer.cash_drawer_id for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no cash drawer %s.', left(close_cash_drawer.cash_drawer_id, 40)));
  end if;
  if d.closed_at is not null then
    perform app_hidden.raise_error('BADIN', 'This drawer is already closed.');
  end if;
  if close_cash_drawer.counted is null or close_cash_drawer.counted < 0 or close_cash_drawer.counted > 100000000 then
    perform app_hidden.raise_error('BADAM', 'Enter the cash counted in the drawer (0 or more).', field => 'counted');
  end if;
  update app_public.cash_drawers x set
    closed_at = now(), closed_by_user_id = app_hidden.current_user_id(),
    expected = app_public.cash_drawers_expected_now(d), counted = close_cash_drawer.counted, note = said
  where x.tenant_id = tenant and x.id = d.id
  returning * into d;
  return d;
end;
$$;
comment on function app_public.close_cash_drawer(text, int, text) is
  E'@resultFieldName cashDrawer\nCloses an open drawer with the cash counted, in minor units (needs sales.sell), and an optional note: keeps what was expected (float + cash payments − cash refunds + cash in − cash out) and the difference (counted − expected).';

/* The open drawer of a location, or null: what the till shows. */
create or replace function app_public.open_cash_drawer_at(location_id text) returns app_public.cash_drawers
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select d.* from app_public.cash_drawers d
  where d.tenant_id = (select app_hidden.current_tenant_id()) and d.location_id = open_cash_drawer_at.location_id and d.closed_at is null;
$$;
comment on function app_public.open_cash_drawer_at(text) is 'The open cash drawer of a location, or null when none is open.';
--! EndIncluded sales/330-cash-drawers.sql
--! Included sales/340-refunds.sql
-- Refunding some lines of a sale ("refund one coffee"): refund_order_lines takes back units of
-- a sale's lines, each with its share of the line's discount and tax, hands the money back and
-- puts stocked units back, and emits order.refunded.v1. A refund is counted on the day it is
-- made (db/REPORTING.md): it takes its net amount out of net sales, its tax out of tax and the
-- money handed back out of the tenders. A voided sale takes no refund, and a sale with refunds
-- is not voided (its remaining lines are refunded instead), so a unit is never taken back twice.
--
-- Amounts, so that refunding a line in any number of steps takes back exactly the line:
--   * the subtotal of q units is unit price × q;
--   * the discount and the tax of q units, when d units of the line's n were refunded before,
--     are share(x, d + q, n) − share(x, d, n), where share(x, k, n) = x × k / n rounded half up
--     (x: the line's discount, or its tax): every step rounds the running total, never a part;
--   * a refund line's total = subtotal − discount + tax; the refund's totals are their sums.
-- Money goes back card first (to the card, up to what the cards paid and was not yet handed
-- back), then cash (from the location's open drawer), never more than was paid: a refund of an
-- imported sale that was never paid hands nothing back.

-- Refunds and their lines are written only by refund_order_lines and never change.
create or replace trigger _010_append_only before update or delete on app_public.order_refunds
  for each row execute function app_private.tg__append_only();
create or replace trigger _010_append_only before update or delete on app_public.order_refund_lines
  for each row execute function app_private.tg__append_only();

drop policy if exists select_own_tenant on app_public.order_refunds;
create policy select_own_tenant on app_public.order_refunds for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));
revoke all on app_public.order_refunds from :DATABASE_VISITOR;
grant select on app_public.order_refunds to :DATABASE_VISITOR;

drop policy if exists select_own_tenant on app_public.order_refund_lines;
create policy select_own_tenant on app_public.order_refund_lines for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));
revoke all on app_public.order_refund_lines from :DATABASE_VISITOR;
grant select on app_public.order_refund_lines to :DATABASE_VISITOR;

comment on table app_public.order_refunds is E'@unique id\nA refund of some lines of a sale, with its reason and what it took back (discounts and tax in proportion). Written by refundOrderLines; never changed.';
comment on column app_public.order_refunds.tenant_id is '@behavior -*';
comment on constraint order_refunds_pkey on app_public.order_refunds is '@behavior -single -update -delete';
comment on constraint order_refunds_tenant_id_fkey on app_public.order_refunds is E'@fieldName tenant\n@foreignFieldName orderRefunds\n@behavior -manyRelation:resource:list -manyRelation:resource:connection';
comment on constraint order_refunds_tenant_id_order_id_fkey on app_public.order_refunds is E'@fieldName order\n@foreignFieldName refunds';
comment on column app_public.order_refunds.reason is 'Why the lines were refunded.';
comment on column app_public.order_refunds.business_date is 'The day of the refund at the order''s location (the day it counts in the reports).';
comment on column app_public.order_refunds.subtotal is 'Unit price × quantity of the units refunded, in minor units.';
comment on column app_public.order_refunds.discount_total is 'The share of the discounts those units had.';
comment on column app_public.order_refunds.tax_total is 'The share of the tax those units had.';
comment on column app_public.order_refunds.total is 'What the refund took back: subtotal − discounts + tax.';
comment on column app_public.order_refunds.refunded_by_user_id is 'Who refunded (a user id kept as it was).';
comment on column app_public.order_refunds.created_at is 'When the refund was made.';

comment on table app_public.order_refund_lines is E'@unique id\nThe units of one order line a refund took back, with their share of discount and tax.';
comment on column app_public.order_refund_lines.tenant_id is '@behavior -*';
comment on constraint order_refund_lines_pkey on app_public.order_refund_lines is '@behavior -single -update -delete';
comment on constraint order_refund_lines_tenant_id_fkey on app_public.order_refund_lines is E'@fieldName tenant\n@foreignFieldName orderRefundLines\n@behavior -manyRelation:resource:list -manyRelation:resource:connection';
comment on constraint order_refund_lines_tenant_id_order_refund_id_fkey on app_public.order_refund_lines is E'@fieldName refund\n@foreignFieldName lines';
comment on constraint order_refund_lines_tenant_id_order_line_id_fkey on app_public.order_refund_lines is E'@fieldName orderLine\n@foreignFieldName refundLines\n@behavior -manyRelation:resource:list -manyRelation:resource:connection';
comment on column app_public.order_refund_lines.quantity is 'Units refunded.';
comment on column app_public.order_refund_lines.subtotal is 'Unit price × quantity.';
comment on column app_public.order_refund_lines.discount is 'Their share of the line''s discounts (order discount included).';
comment on column app_public.order_refund_lines.tax is 'Their share of the line''s tax.';
comment on column app_public.order_refund_lines.total is 'subtotal − discount + tax.';

comment on column app_public.refund_tenders.order_refund_id is 'The refund of lines that handed this back (null for a void or a cancel).';
comment on constraint refund_tenders_order_refund_fkey on app_public.refund_tenders is E'@fieldName refund\n@foreignFieldName refundTenders';
comment on column app_public.orders.refunded_total is 'What refunds of some of its lines took back so far (tax included), in minor units.';

/* x × k / n rounded half up, for x, k ≥ 0 and n > 0: the share of x that k units of n carry. */
create or replace function app_hidden.unit_share(x bigint, k bigint, n bigint) returns bigint
language sql immutable strict parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select (2 * x * k + n) / (2 * n);
$$;
comment on function app_hidden.unit_share(bigint, bigint, bigint) is 'x × k / n rounded half up (x, k ≥ 0, n > 0): the share of a line''s discount or tax that k of its n units carry.';

/* The units of each line of an order refunded so far and those that can still be (none unless it is a sale: an open order is cancelled, a voided one was refunded whole). */
create or replace function app_public.orders_refundable_lines(o app_public.orders)
returns table (order_line_id text, line_no int, name text, unit_price int, quantity int, refunded int, refundable int, total int)
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select l.id, l.line_no, l.name, l.unit_price, l.quantity, coalesce(r.refunded, 0)::int,
         case when o.status = 'placed' then (l.quantity - coalesce(r.refunded, 0))::int else 0 end, l.total
  from app_public.order_lines l
  left join (select rl.order_line_id, sum(rl.quantity) as refunded
             from app_public.order_refund_lines rl
             join app_public.order_refunds f on f.tenant_id = rl.tenant_id and f.id = rl.order_refund_id
             where f.tenant_id = o.tenant_id and f.order_id = o.id
             group by rl.order_line_id) r on r.order_line_id = l.id
  where l.tenant_id = o.tenant_id and l.order_id = o.id
  order by l.line_no;
$$;
comment on function app_public.orders_refundable_lines(app_public.orders) is
  E'@behavior -connection +list\n@notNull\nEach line of the order with the units already refunded and the units that can still be (a sale''s; an open or voided order takes no refund).';

/* What order.refunded.v1 says: the sale (where, when, who), the refund (when, why, by whom, amounts), its lines and the money handed back. */
create or replace function app_private.order_refunded_event_payload(o app_public.orders, f app_public.order_refunds) returns jsonb
language sql stable
as $$
  select pg_catalog.jsonb_build_object(
    'order_id', o.id,
    'refund_id', f.id,
    'location_id', o.location_id,
    'business_date', pg_catalog.to_char(o.business_date, 'YYYY-MM-DD'),
    'placed_at', app_hidden.iso_utc(o.placed_at),
    'customer_id', o.customer_id,
    'refunded_at', app_hidden.iso_utc(f.created_at),
    'refund_business_date', pg_catalog.to_char(f.business_date, 'YYYY-MM-DD'),
    'reason', f.reason,
    'refunded_by_user_id', f.refunded_by_user_id,
    'subtotal', f.subtotal,
    'discount_total', f.discount_total,
    'tax_total', f.tax_total,
    'total', f.total,
    'item_count', (select coalesce(pg_catalog.sum(rl.quantity), 0) from app_public.order_refund_lines rl
                   where rl.tenant_id operator(pg_catalog.=) f.tenant_id and rl.order_refund_id operator(pg_catalog.=) f.id),
    'lines', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'line_id', l.id,
                'line_no', l.line_no,
                'catalog_item_id', l.catalog_item_id,
                'sku', l.sku,
                'name', l.name,
                'quantity', rl.quantity,
                'unit_price', l.unit_price,
                'subtotal', rl.subtotal,
                'discount', rl.discount,
                'revenue', rl.subtotal operator(pg_catalog.-) rl.discount,
                'tax', rl.tax,
                'total', rl.total) order by l.line_no), '[]'::jsonb)
              from app_public.order_refund_lines rl
              join app_public.order_lines l on l.tenant_id operator(pg_catalog.=) rl.tenant_id and l.id operator(pg_catalog.=) rl.order_line_id
              where rl.tenant_id operator(pg_catalog.=) f.tenant_id and rl.order_refund_id operator(pg_catalog.=) f.id),
    'refund_tenders', coalesce((
      select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('type', r.type, 'amount', r.amount) order by r.type)
      from app_public.refund_tenders r
      where r.tenant_id operator(pg_catalog.=) f.tenant_id and r.order_refund_id operator(pg_catalog.=) f.id), '[]'::jsonb));
$$;

/*
 * Refunds units of some lines of a sale (needs sales.void, like a void). lines is a JSON array of
 * {"order_line_id": text, "quantity": whole number ≥ 1}, each line at most once and never more
 * units than are left to refund. Raises BADIN (malformed, a line twice, an order that is not a
 * sale), NOTFD (no such order, or a line not of this order), VOIDD, BADQT (a quantity out of
 * range or above what is left) and the reason's errors. Returns the refund.
 */
create or replace function app_public.refund_order_lines(order_id text, lines jsonb, reason text) returns app_public.order_refunds
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('sales.void');
  me text := app_hidden.current_user_id();
  why text;
  o app_public.orders;
  loc app_public.locations;
  refund app_public.order_refunds;
  elem jsonb;
  n int;
  unknown_key text;
  qty numeric;
  line_ids text[] := '{}';
  qtys int[] := '{}';
  over record;
  left_to_give bigint;
begin
  why := app_hidden.assert_name('The reason for the refund', refund_order_lines.reason, 500, 'reason');
  perform app_private.begin_change('refund_order_lines', why);
  select x.* into o from app_public.orders x where x.tenant_id = tenant and x.id = refund_order_lines.order_id for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no order %s.', left(refund_order_lines.order_id, 40)));
  end if;
  if o.status = 'voided' then
    perform app_hidden.raise_error('VOIDD', 'This order was voided: everything on it was refunded already.');
  end if;
  if o.status <> 'placed' then
    perform app_hidden.raise_error('BADIN', 'Only a sale can be refunded (an open order is cancelled instead).');
  end if;

  if lines is null or jsonb_typeof(lines) <> 'array' or jsonb_array_length(lines) = 0 then
    perform app_hidden.raise_error('BADIN', 'Say what to refund: a list such as [{"order_line_id": "…", "quantity": 1}].');
  end if;
  if jsonb_array_length(lines) > 200 then
    perform app_hidden.raise_error('BADIN', 'A refund can have at most 200 lines.');
  end if;
  for elem, n in select e.value, e.ordinality from jsonb_array_elements(lines) with ordinality as e order by e.ordinality loop
    if jsonb_typeof(elem) <> 'object' then
      perform app_hidden.raise_error('BADIN', format('Line %s must be an object such as {"order_line_id": "…", "quantity": 1}.', n));
    end if;
    select k into unknown_key from jsonb_object_keys(elem) as k where k not in ('order_line_id', 'quantity') order by k limit 1;
    if unknown_key is not null then
      perform app_hidden.raise_error('BADIN', format('Line %s: unknown field "%s" (use order_line_id and quantity).', n, left(unknown_key, 40)));
    end if;
    if jsonb_typeof(elem -> 'order_line_id') is distinct from 'string' then
      perform app_hidden.raise_error('BADIN', format('Line %s: order_line_id is required.', n));
    end if;
    if (elem ->> 'order_line_id') = any(line_ids) then
      perform app_hidden.raise_error('BADIN', format('Line %s: that order line is already in this refund.', n));
    end if;
    if jsonb_typeof(elem -> 'quantity') is distinct from 'number' then
      perform app_hidden.raise_error('BADQT', format('Line %s: the quantity must be a whole number from 1 to 10000.', n));
    end if;
    qty := (elem ->> 'quantity')::numeric;
    if qty <> trunc(qty) or qty < 1 or qty > 10000 then
      perform app_hidden.raise_error('BADQT', format('Line %s: the quantity must be a whole number from 1 to 10000.', n));
    end if;
    line_ids := line_ids || (elem ->> 'order_line_id');
    qtys := qtys || qty::int;
  end loop;

  -- Every line is one of this order's, and no more units than are left to refund (the order's
  -- row lock makes concurrent refunds of one sale take turns).
  select r.ord, r.line_id into over
  from unnest(line_ids) with ordinality as r(line_id, ord)
  where not exists (select 1 from app_public.order_lines l where l.tenant_id = tenant and l.order_id = o.id and l.id = r.line_id)
  order by r.ord limit 1;
  if found then
    perform app_hidden.raise_error('NOTFD', format('Line %s: there is no line %s on this order.', over.ord, left(over.line_id, 40)));
  end if;
  select r.ord, r.qty, x.refundable, x.quantity, x.name into over
  from unnest(line_ids, qtys) with ordinality as r(line_id, qty, ord)
  join app_public.orders_refundable_lines(o) x on x.order_line_id = r.line_id
  where r.qty > x.refundable
  order by r.ord limit 1;
  if found then
    perform app_hidden.raise_error('BADQT', case when over.refundable = 0
      then format('Line %s: all %s of %s were refunded already.', over.ord, over.quantity, over.name)
      else format('Line %s: only %s of %s can still be refunded.', over.ord, over.refundable, over.name) end);
  end if;

  select l.* into loc from app_public.locations l where l.tenant_id = tenant and l.id = o.location_id;

  -- The refund and its lines in one statement (the lines' foreign key is checked at its end).
  with wanted as (
    select x.order_line_id, r.qty, x.refunded, x.quantity as units, l.unit_price,
           (l.line_discount + l.order_discount_share)::bigint as discount, l.tax::bigint as tax, l.line_no
    from unnest(line_ids, qtys) as r(line_id, qty)
    join app_public.orders_refundable_lines(o) x on x.order_line_id = r.line_id
    join app_public.order_lines l on l.tenant_id = tenant and l.id = r.line_id
  ), priced as (
    select w.order_line_id, w.qty, w.line_no,
           w.unit_price::bigint * w.qty as subtotal,
           app_hidden.unit_share(w.discount, w.refunded + w.qty, w.units) - app_hidden.unit_share(w.discount, w.refunded, w.units) as discount,
           app_hidden.unit_share(w.tax, w.refunded + w.qty, w.units) - app_hidden.unit_share(w.tax, w.refunded, w.units) as tax
    from wanted w
  ), head as (
    insert into app_public.order_refunds (tenant_id, order_id, reason, business_date, subtotal, discount_total, tax_total, total, refunded_by_user_id)
    select tenant, o.id, why, app_hidden.business_date(now(), loc.timezone), sum(p.subtotal), sum(p.discount), sum(p.tax),
           sum(p.subtotal - p.discount + p.tax), me
    from priced p
    returning *
  ), body as (
    insert into app_public.order_refund_lines (tenant_id, order_refund_id, order_line_id, quantity, subtotal, discount, tax, total)
    select tenant, h.id, p.order_line_id, p.qty, p.subtotal, p.discount, p.tax, p.subtotal - p.discount + p.tax
    from priced p cross join head h
    order by p.line_no
  )
  select h.* into refund from head h;

  update app_public.orders x set refunded_total = x.refunded_total + refund.total
    where x.tenant_id = tenant and x.id = o.id
    returning * into o;

  -- The money: back to the cards first, then cash from the drawer, never more than was paid and not yet handed back.
  left_to_give := refund.total;
  for over in
    select p.type, p.paid - coalesce(b.back, 0) as available
    from (select t.type, sum(t.applied_amount) as paid from app_public.tenders t
          where t.tenant_id = tenant and t.order_id = o.id group by t.type) p
    left join (select r.type, sum(r.amount) as back from app_public.refund_tenders r
               where r.tenant_id = tenant and r.order_id = o.id group by r.type) b on b.type = p.type
    order by p.type = 'card' desc, p.type
  loop
    exit when left_to_give = 0;
    continue when over.available <= 0;
    insert into app_public.refund_tenders (tenant_id, order_id, order_refund_id, type, amount, reason, business_date, refunded_by_user_id, cash_drawer_id)
    values (tenant, o.id, refund.id, over.type, least(left_to_give, over.available), why, refund.business_date, me,
            -- Cash comes out of the location's open drawer (330-cash-drawers.sql).
            case when over.type = 'cash' then app_private.open_cash_drawer_id(tenant, o.location_id) end);
    left_to_give := left_to_give - least(left_to_give, over.available);
  end loop;

  perform app_private.emit_event(tenant, 'order.refunded.v1', 'order', o.id, app_private.order_refunded_event_payload(o, refund), me);

  -- Units the sale took out of stock go back on the shelf, each line with its movement (and its event).
  insert into app_public.inventory_movements (tenant_id, location_id, inventory_item_id, quantity, reason, note,
                                              order_id, order_line_id, actor_user_id)
  select tenant, m.location_id, m.inventory_item_id, rl.quantity, 'sale', 'Refund on order ' || o.id, o.id, rl.order_line_id, me
  from app_public.order_refund_lines rl
  join app_public.inventory_movements m
    on m.tenant_id = rl.tenant_id and m.order_id = o.id and m.order_line_id = rl.order_line_id and m.reason = 'sale' and m.quantity < 0
  where rl.tenant_id = tenant and rl.order_refund_id = refund.id
  order by m.id;

  perform app_private.end_change();
  return refund;
end;
$$;
comment on function app_public.refund_order_lines(text, jsonb, text) is
  E'@resultFieldName refund\nRefunds units of some lines of a sale (needs sales.void): lines is a list of {"order_line_id", "quantity"}, never more units than are left to refund. Each unit takes back its share of the line''s discount and tax; the money goes back card first, then cash from the drawer (refundTenders), and counts as a refund today; stocked units go back on the shelf. A voided sale takes no refund, and a sale with refunds is not voided.';
--! EndIncluded sales/340-refunds.sql
--! Included customers/450-purchase-history.sql
-- Purchase history. Orders point at customers (composite foreign key; place_order refuses ids
-- that are not customers of the tenant), and the customer_counters consumer of the event log
-- keeps each customer's history in narrow tables off the wide, heavily indexed customers row:
-- customer_stats (visits, spend, items bought, first and last visit, the latest 20 visits),
-- customer_item_stats (units per catalog item) and, internal to it, app_private.customer_visits
-- (each counted order). An order.placed.v1 with a customer adds, an order.voided.v1 takes back
-- out, an order.refunded.v1 takes out the spend and the units of the lines it refunded (the visit
-- stays). The dispatcher (app_private.dispatch) applies each event at most once
-- (processed_events), so replays never double-count, and an order of a merged customer counts
-- for the customer it was merged into. rebuild_customer_counters recomputes everything from the
-- log. The API reads them as customer.stats and customer.totalVisits/totalSpend/lastVisitAt.

/* Every customer has its stats row from the start (zeros): readers and the list join it. */
create or replace function app_private.tg_customers__create_stats() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  insert into app_public.customer_stats (tenant_id, customer_id) values (new.tenant_id, new.id);
  return null;
end;
$$;

create or replace trigger _200_create_stats after insert on app_public.customers
  for each row execute function app_private.tg_customers__create_stats();

/* The latest 20 of some visits, newest first (what customer_stats.recent_visits keeps). */
create or replace function app_hidden.latest_visits(visits timestamptz[]) returns timestamptz[]
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(array_agg(v order by v desc), '{}')
  from (select v from unnest(visits) v where v is not null order by v desc limit 20) latest;
$$;
comment on function app_hidden.latest_visits(timestamptz[]) is 'The latest 20 of the given visit times, newest first.';

------------------------------------------------------------------------------------------------
-- The consumer

/*
 * Locks and returns the live customer an order event counts for: the payload's customer, or the
 * customer it was merged into (the lock is taken before status is read, so a merge committing
 * meanwhile is seen). Null when the order has no customer.
 */
create or replace function app_private.lock_counted_customer(evt app_private.events) returns app_public.customers
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  target text := evt.payload ->> 'customer_id';
  c app_public.customers;
begin
  for hop in 1..100 loop
    exit when target is null;
    select x.* into c from app_public.customers x
    where x.tenant_id = evt.tenant_id and x.id = target
    for no key update;
    if not found or c.status <> 'merged' then
      return c;
    end if;
    target := c.merged_into_id;
  end loop;
  return null;
end;
$$;

create or replace function app_private.customer_counters__order_placed(evt app_private.events) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  c app_public.customers := app_private.lock_counted_customer(evt);
  placed timestamptz := (evt.payload ->> 'placed_at')::timestamptz;
  total bigint := (evt.payload ->> 'total')::bigint;
  items int := (evt.payload ->> 'item_count')::int;
begin
  if c.id is null then
    return;
  end if;
  insert into app_private.customer_visits (tenant_id, order_id, customer_id, placed_at, total, item_count)
  values (c.tenant_id, evt.payload ->> 'order_id', c.id, placed, total, items)
  on conflict do nothing;
  if not found then
    return;
  end if;
  update app_public.customer_stats s set
    visits = s.visits + 1,
    spend = s.spend + total,
    items_bought = s.items_bought + items,
    first_visit_at = least(s.first_visit_at, placed),
    last_visit_at = greatest(s.last_visit_at, placed),
    recent_visits = app_hidden.latest_visits(s.recent_visits || placed),
    updated_at = now()
  where s.tenant_id = c.tenant_id and s.customer_id = c.id;
  insert into app_public.customer_item_stats as i (tenant_id, customer_id, catalog_item_id, quantity)
  select c.tenant_id, c.id, l ->> 'catalog_item_id', sum((l ->> 'quantity')::int)
  from jsonb_array_elements(evt.payload -> 'lines') l
  group by l ->> 'catalog_item_id'
  order by l ->> 'catalog_item_id'
  on conflict (tenant_id, customer_id, catalog_item_id) do update set quantity = i.quantity + excluded.quantity;
end;
$$;
comment on function app_private.customer_counters__order_placed(app_private.events) is 'Consumer customer_counters: a placed order adds a visit, its total and its items to its customer''s history.';

create or replace function app_private.customer_counters__order_voided(evt app_private.events) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  c app_public.customers := app_private.lock_counted_customer(evt);
  visit app_private.customer_visits;
begin
  if c.id is null then
    return;
  end if;
  update app_private.customer_visits v set is_voided = true
  where v.tenant_id = c.tenant_id and v.order_id = evt.payload ->> 'order_id' and not v.is_voided
  returning v.* into visit;
  if visit.order_id is null then
    return;
  end if;
  -- The voided order may have been the first, the latest or one of the recent visits: those
  -- come again from the visits still standing.
  update app_public.customer_stats s set
    visits = s.visits - 1,
    spend = s.spend - visit.total,
    items_bought = s.items_bought - visit.item_count,
    first_visit_at = standing.first_at,
    last_visit_at = standing.last_at,
    recent_visits = coalesce(standing.recent, '{}'),
    updated_at = now()
  from (
    select min(x.placed_at) as first_at, max(x.placed_at) as last_at,
           (select array_agg(r.placed_at order by r.placed_at desc) from (
              select y.placed_at from app_private.customer_visits y
              where y.tenant_id = c.tenant_id and y.customer_id = visit.customer_id and not y.is_voided
              order by y.placed_at desc limit 20) r) as recent
    from app_private.customer_visits x
    where x.tenant_id = c.tenant_id and x.customer_id = visit.customer_id and not x.is_voided
  ) standing
  where s.tenant_id = c.tenant_id and s.customer_id = visit.customer_id;
  -- Items bought only in this order go; the others lose its units. The delete comes first: after
  -- the update, an item bought 2 and voided 1 would be at 1 and match the delete too.
  delete from app_public.customer_item_stats i
  using (select l ->> 'catalog_item_id' as catalog_item_id, sum((l ->> 'quantity')::int) as quantity
         from jsonb_array_elements(evt.payload -> 'lines') l group by 1) l
  where i.tenant_id = c.tenant_id and i.customer_id = visit.customer_id and i.catalog_item_id = l.catalog_item_id
    and i.quantity <= l.quantity;
  update app_public.customer_item_stats i set quantity = i.quantity - l.quantity
  from (select l ->> 'catalog_item_id' as catalog_item_id, sum((l ->> 'quantity')::int) as quantity
        from jsonb_array_elements(evt.payload -> 'lines') l group by 1) l
  where i.tenant_id = c.tenant_id and i.customer_id = visit.customer_id and i.catalog_item_id = l.catalog_item_id
    and i.quantity > l.quantity;
end;
$$;
comment on function app_private.customer_counters__order_voided(app_private.events) is 'Consumer customer_counters: a voided order takes its visit, total and items back out of its customer''s history.';

/*
 * A refund of some lines of a sale takes their total out of the visit and the spend, and their
 * units out of the items bought; the visit stays (the customer came).
 */
create or replace function app_private.customer_counters__order_refunded(evt app_private.events) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  c app_public.customers := app_private.lock_counted_customer(evt);
  refunded_total bigint := (evt.payload ->> 'total')::bigint;
  refunded_items int := (evt.payload ->> 'item_count')::int;
  visit app_private.customer_visits;
begin
  if c.id is null then
    return;
  end if;
  update app_private.customer_visits v set total = v.total - refunded_total, item_count = v.item_count - refunded_items
  where v.tenant_id = c.tenant_id and v.order_id = evt.payload ->> 'order_id' and not v.is_voided
  returning v.* into visit;
  if visit.order_id is null then
    return;
  end if;
  update app_public.customer_stats s set
    spend = s.spend - refunded_total,
    items_bought = s.items_bought - refunded_items,
    updated_at = now()
  where s.tenant_id = c.tenant_id and s.customer_id = visit.customer_id;
  -- As for a void: items whose units are all refunded go, the delete before the update.
  delete from app_public.customer_item_stats i
  using (select l ->> 'catalog_item_id' as catalog_item_id, sum((l ->> 'quantity')::int) as quantity
         from jsonb_array_elements(evt.payload -> 'lines') l group by 1) l
  where i.tenant_id = c.tenant_id and i.customer_id = visit.customer_id and i.catalog_item_id = l.catalog_item_id
    and i.quantity <= l.quantity;
  update app_public.customer_item_stats i set quantity = i.quantity - l.quantity
  from (select l ->> 'catalog_item_id' as catalog_item_id, sum((l ->> 'quantity')::int) as quantity
        from jsonb_array_elements(evt.payload -> 'lines') l group by 1) l
  where i.tenant_id = c.tenant_id and i.customer_id = visit.customer_id and i.catalog_item_id = l.catalog_item_id
    and i.quantity > l.quantity;
end;
$$;
comment on function app_private.customer_counters__order_refunded(app_private.events) is 'Consumer customer_counters: a refund of some lines takes their total and units out of the customer''s history (the visit stays).';

------------------------------------------------------------------------------------------------
-- Applied at commit, customers in a fixed order
--
-- A sale locks its customer's row to count it (and the row of rm_customer_activity). Applied at
-- once, two transactions that each place several orders, for customers A and B in opposite
-- orders, locked A then B and B then A: a deadlock (40P01), one of them lost. So the two
-- per-customer consumers of order events (customer_counters, reporting_customers) only queue
-- the event (customer_order_queue); at commit the transaction applies its own queue with the
-- customers locked in one order for everybody (by id, collation "C", as merge_customers locks
-- them). Two such transactions then wait for each other instead of deadlocking. Nobody reads a
-- half-applied state: the queue holds only the writer's own, uncommitted rows.

/* Queues an order event with a customer for `consumer`, for app_private.apply_customer_orders at commit. */
create or replace function app_private.queue_customer_order(evt app_private.events, consumer text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if evt.payload ->> 'customer_id' is not null then
    insert into app_private.customer_order_queue (tenant_id, consumer, event_id, seq)
    values (evt.tenant_id, queue_customer_order.consumer, evt.id, evt.seq);
  end if;
end;
$$;

/* Consumer customer_counters (order events): queues the order for the application at commit. */
create or replace function app_private.customer_counters__enqueue(evt app_private.events) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  select app_private.queue_customer_order(evt, 'customer_counters');
$$;
comment on function app_private.customer_counters__enqueue(app_private.events) is 'Consumer customer_counters: queues an order event with a customer for app_private.apply_customer_orders at commit.';

/*
 * Applies the queued order events of a tenant that this transaction can see (its own), then
 * empties the queue: the counters with the customers locked in id order, then the customer
 * activity read model in one batch (its statements go by customer id). Returns how many events.
 */
create or replace function app_private.apply_customer_orders(tenant_id text) returns int
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant constant text := apply_customer_orders.tenant_id;
  counter_ids text[];
  reporting_ids text[];
  reporting_events app_private.events[];
  queued record;
begin
  with taken as (
    delete from app_private.customer_order_queue q where q.tenant_id = tenant
    returning q.consumer, q.event_id
  )
  select array_agg(t.event_id) filter (where t.consumer = 'customer_counters'),
         array_agg(t.event_id) filter (where t.consumer = 'reporting_customers')
  into counter_ids, reporting_ids
  from taken t;

  -- The counters, each order's customer (after merges) locked in one order for everybody.
  for queued in
    select q.evt from (
      select e as evt, e.seq, app_private.live_customer_id(tenant, e.payload ->> 'customer_id') as target
      from app_private.events e
      where e.tenant_id = tenant and e.id = any(counter_ids)
    ) q
    order by q.target collate "C", q.seq
  loop
    if (queued.evt).type = 'order.placed.v1' then
      perform app_private.customer_counters__order_placed(queued.evt);
    elsif (queued.evt).type = 'order.refunded.v1' then
      perform app_private.customer_counters__order_refunded(queued.evt);
    else
      perform app_private.customer_counters__order_voided(queued.evt);
    end if;
  end loop;

  select array_agg(e order by e.seq) into reporting_events
  from app_private.events e where e.tenant_id = tenant and e.id = any(reporting_ids);
  perform app_private.reporting_apply_customers(tenant, reporting_events);
  return coalesce(cardinality(counter_ids), 0) + coalesce(cardinality(reporting_ids), 0);
end;
$$;
comment on function app_private.apply_customer_orders(text) is 'Applies the tenant''s queued order events to customer counters and rm_customer_activity, customers locked in id order (at commit).';

/*
 * Deferred trigger: at commit, the first queued row applies the whole queue of its tenant; the
 * later ones find theirs gone. Runs as the owner (the commit happens outside the security
 * definer function that placed the order).
 */
create or replace function app_private.tg_customer_order_queue__apply() returns trigger
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if exists (select 1 from app_private.customer_order_queue q
             where q.tenant_id = new.tenant_id and q.consumer = new.consumer and q.event_id = new.event_id) then
    perform app_private.apply_customer_orders(new.tenant_id);
  end if;
  return null;
end;
$$;

drop trigger if exists _900_apply_at_commit on app_private.customer_order_queue;
create constraint trigger _900_apply_at_commit after insert on app_private.customer_order_queue
  deferrable initially deferred
  for each row execute function app_private.tg_customer_order_queue__apply();

/*
 * Recomputes the counters of a tenant's customers from the event log: zeroes them, forgets
 * what the consumer applied and replays every order event in log order. Returns how many events
 * were applied. The result equals what incremental consumption produced.
 */
create or replace function app_private.rebuild_customer_counters(tenant_id text) returns int
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  update app_public.customer_stats s set
    visits = 0, spend = 0, items_bought = 0, first_visit_at = null, last_visit_at = null, recent_visits = '{}', updated_at = now()
  -- Every field that can drift, so a row with no visit left is cleaned too (only changed rows are written).
  where s.tenant_id = rebuild_customer_counters.tenant_id
    and (s.visits, s.spend, s.items_bought, s.first_visit_at, s.last_visit_at, s.recent_visits)
        is distinct from (0, 0::bigint, 0::bigint, null::timestamptz, null::timestamptz, '{}'::timestamptz[]);
  delete from app_private.customer_visits v where v.tenant_id = rebuild_customer_counters.tenant_id;
  delete from app_public.customer_item_stats i where i.tenant_id = rebuild_customer_counters.tenant_id;
  perform app_private.reset_consumer('customer_counters', rebuild_customer_counters.tenant_id);
  return app_private.replay('customer_counters', rebuild_customer_counters.tenant_id);
end;
$$;
comment on function app_private.rebuild_customer_counters(text) is 'Recomputes the purchase history (customer_stats, customer_item_stats) of a tenant''s customers from the event log.';

------------------------------------------------------------------------------------------------
-- What the API reads

drop policy if exists select_with_permission on app_public.customer_stats;
create policy select_with_permission on app_public.customer_stats for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.view')));
revoke all on app_public.customer_stats from :DATABASE_VISITOR;
grant select on app_public.customer_stats to :DATABASE_VISITOR;

drop policy if exists select_with_permission on app_public.customer_item_stats;
create policy select_with_permission on app_public.customer_item_stats for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.view')));
revoke all on app_public.customer_item_stats from :DATABASE_VISITOR;
grant select on app_public.customer_item_stats to :DATABASE_VISITOR;

-- The counters the API has always shown on a customer, now read from customer_stats.
create or replace function app_public.customers_total_visits(c app_public.customers) returns int
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select s.visits from app_public.customer_stats s where s.tenant_id = c.tenant_id and s.customer_id = c.id;
$$;
comment on function app_public.customers_total_visits(app_public.customers) is E'@notNull\nOrders attributed to the customer that were not voided (stats.visits).';

create or replace function app_public.customers_total_spend(c app_public.customers) returns bigint
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select s.spend from app_public.customer_stats s where s.tenant_id = c.tenant_id and s.customer_id = c.id;
$$;
comment on function app_public.customers_total_spend(app_public.customers) is E'@notNull\nTotals of those orders (tax included), in cents (stats.spend).';

create or replace function app_public.customers_last_visit_at(c app_public.customers) returns timestamptz
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select s.last_visit_at from app_public.customer_stats s where s.tenant_id = c.tenant_id and s.customer_id = c.id;
$$;
comment on function app_public.customers_last_visit_at(app_public.customers) is 'When the latest of those orders was placed (stats.lastVisitAt).';

/* Average order value: spend / visits, rounded to the cent; 0 without visits. */
create or replace function app_public.customer_stats_average_order_value(s app_public.customer_stats) returns bigint
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select case when s.visits > 0 then round(s.spend::numeric / s.visits)::bigint else 0 end;
$$;
comment on function app_public.customer_stats_average_order_value(app_public.customer_stats) is E'@notNull\nSpend divided by visits, in cents (0 without visits).';

create or replace function app_public.customer_stats_days_since_last_visit(s app_public.customer_stats, at timestamptz default null) returns int
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select floor(extract(epoch from coalesce(at, now()) - s.last_visit_at) / 86400)::int;
$$;
comment on function app_public.customer_stats_days_since_last_visit(app_public.customer_stats, timestamptz) is 'Whole days since the latest visit (at `at`, default now); null without visits.';

create or replace function app_public.customer_stats_is_repeat(s app_public.customer_stats) returns boolean
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select s.visits >= 2;
$$;
comment on function app_public.customer_stats_is_repeat(app_public.customer_stats) is E'@notNull\nA repeat customer: two visits or more.';

/* The three catalog items the customer bought most units of (ties: the item id). */
create or replace function app_public.customer_stats_top_items(s app_public.customer_stats) returns setof app_public.customer_item_stats
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select i.* from app_public.customer_item_stats i
  where i.tenant_id = s.tenant_id and i.customer_id = s.customer_id
  order by i.quantity desc, i.catalog_item_id
  limit 3;
$$;
comment on function app_public.customer_stats_top_items(app_public.customer_stats) is E'@behavior +list -connection\n@listSuffix omit\nThe three items the customer bought most units of, most first.';

------------------------------------------------------------------------------------------------
-- Orders on the customer page
create or replace function app_public.customers_recent_orders(c app_public.customers) returns setof app_public.orders
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select o.* from app_public.orders o
  where o.tenant_id = c.tenant_id
    and o.customer_id in (
      select c.id
      union all
      select m.id from app_public.customers m where m.tenant_id = c.tenant_id and m.merged_into_id = c.id)
  order by o.placed_at desc nulls last, o.id desc
  limit 10;
$$;
comment on function app_public.customers_recent_orders(app_public.customers) is
  E'@behavior +list -connection\n@listSuffix omit\nThe customer''s 10 latest orders (voided ones included), newest first.';
--! EndIncluded customers/450-purchase-history.sql
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
    else replace(field, '_', ' ') end;
$$;
comment on function app_hidden.customer_field_label(text) is 'How the customer timeline names a changed field.';

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
             else 'Changed ' || (select string_agg(app_hidden.customer_field_label(k), ', ' order by k)
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
    -- Orders of the customer (and of customers merged into it).
    select e.occurred_at,
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
-- The timeline writes amounts with their currency now (app_hidden.format_money).
drop function if exists app_hidden.format_cents(bigint);
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
-- The arithmetic of the sales read models lives once, in the *_facts views (what each event adds
-- per read-model key; sums commute and names go to the highest seq, so the order in which events
-- are folded does not matter): the fold groups them over the queued events it takes, the exact
-- readers over the events still queued, and reporting.rebuild over the whole log of a tenant.

------------------------------------------------------------------------------------------------
-- Facts: what each sales event adds, one row per event (or per order line). The arithmetic of
-- the sales read models lives here only; the fold, the exact readers and the rebuild group these
-- rows over different sets of events (the queue, or the whole log of a tenant).

/*
 * What each order and tender event adds to rm_daily_sales (db/REPORTING.md, "Sales
 * definitions"): a sale adds itself to its business date; a void (or a refund of some lines,
 * with the amounts of those lines) is a refund on the day it was made (voided_business_date,
 * refund_business_date): it takes its net amount out of net sales, its tax out of tax and
 * the money handed back out of the tenders, and counts one refund; a tender adds what went
 * towards its order on the day it was taken; a cancelled open order (never a sale) takes out of
 * the tenders only what was handed back, on the day of the cancellation.
 */
create or replace view app_private.reporting_daily_facts as
select e.tenant_id, e.id as event_id, e.seq,
       e.payload ->> 'location_id' as location_id,
       case when e.type = 'order.refunded.v1' then (e.payload ->> 'refund_business_date')::date
            when x.refund = 1 then coalesce((e.payload ->> 'voided_business_date')::date, (e.payload ->> 'business_date')::date)
            when e.type = 'order.cancelled.v1' then (e.payload ->> 'cancelled_business_date')::date
            else (e.payload ->> 'business_date')::date end as business_date,
       x.sale as order_count,
       x.sale * x.gross as gross_sales,
       x.sale * x.discounts as discount_total,
       (x.sale - x.refund) * x.tax as tax_total,
       (x.sale - x.refund) * (x.gross - x.discounts) as net_sales,
       case when x.tender = 'cash' then (e.payload ->> 'applied_amount')::bigint else 0 end - x.cash_back as tender_cash,
       case when x.tender = 'card' then (e.payload ->> 'applied_amount')::bigint else 0 end - x.card_back as tender_card,
       x.refund as refund_count,
       x.refund * (x.gross - x.discounts) as refund_total
from app_private.events e
cross join lateral (select
    case when e.type = 'order.placed.v1' then 1 else 0 end as sale,
    -- A refund of some lines carries the amounts it takes back as a void carries the order's.
    case when e.type in ('order.voided.v1', 'order.refunded.v1') then 1 else 0 end as refund,
    coalesce((e.payload ->> 'subtotal')::bigint, 0) as gross,
    coalesce((e.payload ->> 'discount_total')::bigint, 0) as discounts,
    coalesce((e.payload ->> 'tax_total')::bigint, 0) as tax,
    case when e.type = 'tender.recorded.v1' then e.payload ->> 'type' end as tender,
    -- Only voids, refunds and cancellations are read for money handed back (a case, so other events
    -- skip the subquery). Voids written before refund tenders existed carry none: their money is in no till.
    case when e.type in ('order.voided.v1', 'order.refunded.v1', 'order.cancelled.v1') then coalesce((select sum((r ->> 'amount')::bigint)
      from jsonb_array_elements(e.payload -> 'refund_tenders') r where r ->> 'type' = 'cash'), 0) else 0 end as cash_back,
    case when e.type in ('order.voided.v1', 'order.refunded.v1', 'order.cancelled.v1') then coalesce((select sum((r ->> 'amount')::bigint)
      from jsonb_array_elements(e.payload -> 'refund_tenders') r where r ->> 'type' = 'card'), 0) else 0 end as card_back) as x
where e.type in ('order.placed.v1', 'order.voided.v1', 'order.refunded.v1', 'order.cancelled.v1', 'tender.recorded.v1');
comment on view app_private.reporting_daily_facts is 'What each order or tender event adds to rm_daily_sales: a sale adds the order on its date; a void, or a refund of some lines, is a refund on the day it was made (net amount, tax and the money handed back taken out, one refund counted); a tender adds what went towards the order on the day it was taken; a cancelled open order takes back only the money handed back.';

/*
 * What each line of an order event adds to rm_item_sales: a sale adds its units, gross and net
 * revenue on its date; a void (or a refund of some lines: those lines) takes the units and the
 * net revenue back out on the day of the refund (gross revenue, like gross sales, stays with the sale).
 */
create or replace view app_private.reporting_item_facts as
select e.tenant_id, e.id as event_id, e.seq,
       e.payload ->> 'location_id' as location_id,
       case when e.type = 'order.voided.v1' then coalesce((e.payload ->> 'voided_business_date')::date, (e.payload ->> 'business_date')::date)
            when e.type = 'order.refunded.v1' then (e.payload ->> 'refund_business_date')::date
            else (e.payload ->> 'business_date')::date end as business_date,
       l.catalog_item_id,
       l.name as catalog_item_name,
       -- Names come from sales (a void or a refund repeats the old name): the latest sale by seq names the row.
       case when e.type = 'order.placed.v1' then e.seq else 0 end as name_seq,
       x.sign * l.quantity as quantity_sold,
       case when e.type = 'order.placed.v1' then l.subtotal else 0 end as gross_revenue,
       x.sign * l.revenue as net_revenue
from app_private.events e
cross join lateral jsonb_to_recordset(e.payload -> 'lines') as l(catalog_item_id text, name text, quantity bigint, subtotal bigint, revenue bigint)
cross join lateral (select case e.type when 'order.placed.v1' then 1 else -1 end as sign) as x
where e.type in ('order.placed.v1', 'order.voided.v1', 'order.refunded.v1');
comment on view app_private.reporting_item_facts is 'What each line of an order event adds to rm_item_sales (a void, or a refund of some lines, takes its units and net revenue back out on the day of the refund).';

/* What each stock movement event adds to rm_inventory_on_hand. */
create or replace view app_private.reporting_stock_facts as
select e.tenant_id, e.id as event_id, e.seq,
       e.payload ->> 'location_id' as location_id,
       e.payload ->> 'inventory_item_id' as inventory_item_id,
       (e.payload ->> 'quantity')::bigint as on_hand
from app_private.events e
where e.type = 'inventory.movement.created.v1';
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
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select f.location_id, f.business_date, sum(f.order_count)::bigint, sum(f.gross_sales)::bigint, sum(f.discount_total)::bigint,
         sum(f.tax_total)::bigint, sum(f.net_sales)::bigint, sum(f.tender_cash)::bigint, sum(f.tender_card)::bigint,
         sum(f.refund_count)::bigint, sum(f.refund_total)::bigint
  from app_private.reporting_queue q
  join app_private.reporting_daily_facts f on f.tenant_id = q.tenant_id and f.event_id = q.event_id
  where q.tenant_id = reporting_pending_daily.tenant_id
  group by f.location_id, f.business_date;
$$;
comment on function app_private.reporting_pending_daily(text) is 'What the tenant''s queued events add to rm_daily_sales, per location and date.';

create or replace function app_private.reporting_pending_items(tenant_id text)
returns table (location_id text, business_date date, catalog_item_id text, catalog_item_name text, name_seq bigint,
               quantity_sold bigint, gross_revenue bigint, net_revenue bigint)
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select f.location_id, f.business_date, f.catalog_item_id, (array_agg(f.catalog_item_name order by f.name_seq desc, f.catalog_item_name))[1],
         max(f.name_seq), sum(f.quantity_sold)::bigint, sum(f.gross_revenue)::bigint, sum(f.net_revenue)::bigint
  from app_private.reporting_queue q
  join app_private.reporting_item_facts f on f.tenant_id = q.tenant_id and f.event_id = q.event_id
  where q.tenant_id = reporting_pending_items.tenant_id
  group by f.location_id, f.business_date, f.catalog_item_id;
$$;
comment on function app_private.reporting_pending_items(text) is 'What the tenant''s queued events add to rm_item_sales, per location, date and item.';

create or replace function app_private.reporting_pending_stock(tenant_id text)
returns table (location_id text, inventory_item_id text, on_hand bigint)
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select f.location_id, f.inventory_item_id, sum(f.on_hand)::bigint
  from app_private.reporting_queue q
  join app_private.reporting_stock_facts f on f.tenant_id = q.tenant_id and f.event_id = q.event_id
  where q.tenant_id = reporting_pending_stock.tenant_id
  group by f.location_id, f.inventory_item_id;
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
--! EndIncluded reporting/610-consumers.sql
--! Included reporting/620-rebuild.sql
-- Every read model of a tenant recomputed from its event log, set-based
-- (a few statements over the log instead of one dispatch per event), so a large tenant rebuilds
-- at tens of thousands of events per second.
--
-- The sales read models group the same *_facts views the fold uses (app_private.reporting_apply_sales): one arithmetic. The
-- customer activity is computed here directly from the log — final merge chains, then every
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
 */
create or replace function reporting.rebuild(tenant_id text) returns bigint
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
-- Big one-off statements: aggregate in memory rather than sort payloads on disk, and do not spend
-- longer compiling them (JIT) than running them.
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
  delete from reporting.rm_item_sales r where r.tenant_id = tenant;
  delete from reporting.rm_inventory_on_hand r where r.tenant_id = tenant;
  delete from reporting.rm_customer_visits r where r.tenant_id = tenant;
  delete from reporting.rm_customer_activity r where r.tenant_id = tenant;

  -- Sales.
  insert into reporting.rm_daily_sales (tenant_id, location_id, business_date, order_count, gross_sales, discount_total,
                                        tax_total, net_sales, tender_cash, tender_card, refund_count, refund_total)
  select tenant, f.location_id, f.business_date, sum(f.order_count), sum(f.gross_sales), sum(f.discount_total), sum(f.tax_total),
         sum(f.net_sales), sum(f.tender_cash), sum(f.tender_card), sum(f.refund_count), sum(f.refund_total)
  from app_private.reporting_daily_facts f
  where f.tenant_id = tenant
  group by f.location_id, f.business_date;

  -- The name of the latest sale (the highest seq), looked up once per row rather than sorted out of every line.
  insert into reporting.rm_item_sales (tenant_id, location_id, business_date, catalog_item_id, catalog_item_name, name_seq,
                                       quantity_sold, gross_revenue, net_revenue)
  select tenant, g.location_id, g.business_date, g.catalog_item_id,
         coalesce((select l.name
                   from app_private.events e
                   cross join lateral jsonb_to_recordset(e.payload -> 'lines') as l(catalog_item_id text, name text)
                   where g.name_seq > 0 and e.tenant_id = tenant and e.seq = g.name_seq and l.catalog_item_id = g.catalog_item_id
                   limit 1), g.first_name),
         g.name_seq, g.quantity_sold, g.gross_revenue, g.net_revenue
  from (select f.location_id, f.business_date, f.catalog_item_id, max(f.name_seq) as name_seq, min(f.catalog_item_name) as first_name,
               sum(f.quantity_sold) as quantity_sold, sum(f.gross_revenue) as gross_revenue, sum(f.net_revenue) as net_revenue
        from app_private.reporting_item_facts f
        where f.tenant_id = tenant
        group by f.location_id, f.business_date, f.catalog_item_id) g;

  insert into reporting.rm_inventory_on_hand (tenant_id, location_id, inventory_item_id, item_name, on_hand, low_stock_threshold)
  select tenant, f.location_id, f.inventory_item_id, i.name, f.on_hand, i.low_stock_threshold
  from (select f.location_id, f.inventory_item_id, sum(f.on_hand) as on_hand
        from app_private.reporting_stock_facts f
        where f.tenant_id = tenant
        group by f.location_id, f.inventory_item_id) f
  join app_public.inventory_items i on i.tenant_id = tenant and i.id = f.inventory_item_id;

  -- Customers: the latest name of each (created, updated, or the result of a merge into it).
  insert into reporting.rm_customer_activity (tenant_id, customer_id, customer_name, name_seq)
  select distinct on (n.customer_id) tenant, n.customer_id, n.name, n.seq
  from (
    select e.payload ->> 'customer_id' as customer_id, e.payload ->> 'display_name' as name, e.seq
    from app_private.events e
    where e.tenant_id = tenant and e.type in ('customer.created.v1', 'customer.updated.v1')
    union all
    select e.payload ->> 'primary_id', e.payload ->> 'display_name', e.seq
    from app_private.events e
    where e.tenant_id = tenant and e.type = 'customer.merged.v1'
  ) n
  where n.customer_id is not null
  order by n.customer_id, n.seq desc;

  -- Where each merged customer ended up (merges chain: a customer merged into one that was merged later).
  drop table if exists reporting_rebuild_merged;
  create temp table reporting_rebuild_merged (customer_id text primary key, merged_into_id text not null) on commit drop;
  insert into reporting_rebuild_merged
  with recursive merges as (
    select e.payload ->> 'duplicate_id' as duplicate_id, e.payload ->> 'primary_id' as primary_id
    from app_private.events e
    where e.tenant_id = tenant and e.type = 'customer.merged.v1'
  ), chain (customer_id, merged_into_id, depth) as (
    select m.duplicate_id, m.primary_id, 1 from merges m
    union all
    select c.customer_id, m.primary_id, c.depth + 1 from chain c join merges m on m.duplicate_id = c.merged_into_id
    where c.depth < 1000
  )
  select distinct on (c.customer_id) c.customer_id, c.merged_into_id from chain c order by c.customer_id, c.depth desc;

  insert into reporting.rm_customer_activity (tenant_id, customer_id)
  select tenant, m.customer_id from reporting_rebuild_merged m
  union
  select tenant, m.merged_into_id from reporting_rebuild_merged m
  on conflict do nothing;
  update reporting.rm_customer_activity a set merged_into_id = m.merged_into_id
  from reporting_rebuild_merged m
  where a.tenant_id = tenant and a.customer_id = m.customer_id;

  -- Every order with a customer, counted for the customer it ended with; voided or not; its total
  -- less what refunds of some of its lines took back.
  insert into reporting.rm_customer_visits (tenant_id, order_id, customer_id, placed_at, total, is_voided, location_id, business_date)
  select tenant, e.payload ->> 'order_id', coalesce(m.merged_into_id, e.payload ->> 'customer_id'),
         (e.payload ->> 'placed_at')::timestamptz, (e.payload ->> 'total')::bigint - coalesce(r.total, 0), v.order_id is not null,
         e.payload ->> 'location_id', (e.payload ->> 'business_date')::date
  from app_private.events e
  left join reporting_rebuild_merged m on m.customer_id = e.payload ->> 'customer_id'
  left join (select distinct x.aggregate_id as order_id from app_private.events x
             where x.tenant_id = tenant and x.type = 'order.voided.v1') v on v.order_id = e.aggregate_id
  left join (select x.aggregate_id as order_id, sum((x.payload ->> 'total')::bigint) as total from app_private.events x
             where x.tenant_id = tenant and x.type = 'order.refunded.v1' group by x.aggregate_id) r on r.order_id = e.aggregate_id
  where e.tenant_id = tenant and e.type = 'order.placed.v1' and e.payload ->> 'customer_id' is not null;

  insert into reporting.rm_customer_activity as r (tenant_id, customer_id, total_visits, total_spend, last_visit_at)
  select tenant, v.customer_id, count(*) filter (where not v.is_voided), coalesce(sum(v.total) filter (where not v.is_voided), 0),
         max(v.placed_at) filter (where not v.is_voided)
  from reporting.rm_customer_visits v
  where v.tenant_id = tenant
  group by v.customer_id
  on conflict (tenant_id, customer_id) do update set
    total_visits = excluded.total_visits, total_spend = excluded.total_spend, last_visit_at = excluded.last_visit_at;

  -- Mark what was read as processed by the consumers (only what they never saw costs a write).
  insert into app_private.processed_events (tenant_id, event_id, consumer)
  select tenant, x.event_id, x.consumer
  from (
    select e.id as event_id, c.consumer
    from app_private.events e
    cross join lateral (values ('reporting_sales', e.type = any(sales_types)),
                               ('reporting_customers', e.type = any(customer_types))) as c(consumer, subscribed)
    where e.tenant_id = tenant and e.type = any(sales_types || customer_types) and c.subscribed
    except
    select p.event_id, p.consumer
    from app_private.processed_events p
    where p.tenant_id = tenant and p.consumer in ('reporting_sales', 'reporting_customers')
  ) x;

  select count(*) into seen from app_private.events e where e.tenant_id = tenant and e.type = any(sales_types || customer_types);
  return seen;
end;
$$;
comment on function reporting.rebuild(text) is 'Recomputes every read model of a tenant from its event log (owner only); returns how many events it read. The tenant''s writes wait while it runs.';
--! EndIncluded reporting/620-rebuild.sql
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
  tenant text := app_hidden.assert_permission(permission);
begin
  perform app_hidden.assert_tenant_active();
  perform app_hidden.assert_module('reporting');
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
         case when s.order_count > 0 then round(s.net_sales::numeric / s.order_count)::bigint else 0 end,
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
  perform app_private.reporting_check_range(tenant, current_date, current_date, location_id);
  return query select * from app_private.reporting_inventory_summary(tenant, location_id, coalesce(low_only, false));
end;
$$;
comment on function reporting.inventory_summary(text, boolean) is
  E'@name inventory_summary\n@behavior -connection +list\n@listSuffix omit\nStock of every inventory item at one location (or at each location), by location and item name; only the items at or below their low-stock threshold when lowOnly is true. An item appears at a location once stock has moved there. Needs reports.view.';

create or replace function app_private.reporting_dashboard_metrics(tenant_id text) returns reporting.dashboard_metrics
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  with today as (
    select l.id as location_id, app_hidden.business_date(now(), l.timezone) as business_date
    from app_public.locations l where l.tenant_id = reporting_dashboard_metrics.tenant_id
  ), sales as (
    select r.order_count::bigint as order_count, r.net_sales
    from reporting.rm_daily_sales r
    join today t on t.location_id = r.location_id and t.business_date = r.business_date
    where r.tenant_id = reporting_dashboard_metrics.tenant_id
    union all
    select d.order_count, d.net_sales
    from app_private.reporting_pending_daily(reporting_dashboard_metrics.tenant_id) d
    join today t on t.location_id = d.location_id and t.business_date = d.business_date
  ), pending_stock as (
    select * from app_private.reporting_pending_stock(reporting_dashboard_metrics.tenant_id)
  ), low as (
    -- Folded rows flagged low (a partial index) that no queued movement touches …
    select 1
    from reporting.rm_inventory_on_hand r
    where r.tenant_id = reporting_dashboard_metrics.tenant_id and r.is_below_threshold
      and not exists (select 1 from pending_stock p where p.location_id = r.location_id and p.inventory_item_id = r.inventory_item_id)
    union all
    -- … and the rows queued movements touch, with those movements added.
    select 1
    from pending_stock p
    join app_public.inventory_items i on i.tenant_id = reporting_dashboard_metrics.tenant_id and i.id = p.inventory_item_id
    left join reporting.rm_inventory_on_hand r
      on r.tenant_id = reporting_dashboard_metrics.tenant_id and r.location_id = p.location_id and r.inventory_item_id = p.inventory_item_id
    where coalesce(r.on_hand, 0) + p.on_hand <= i.low_stock_threshold
  )
  select row(
    (select coalesce(sum(s.net_sales), 0)::bigint from sales s),
    (select coalesce(sum(s.order_count), 0)::bigint from sales s),
    (select count(*)::int from low),
    (select count(*)::int from reporting.rm_customer_activity c
     where c.tenant_id = reporting_dashboard_metrics.tenant_id and c.merged_into_id is null
       and c.last_visit_at >= now() - interval '30 days')
  )::reporting.dashboard_metrics;
$$;
comment on function app_private.reporting_dashboard_metrics(text) is 'The dashboard figures of a tenant.';

create or replace function reporting.dashboard_metrics() returns reporting.dashboard_metrics
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_reports_permission('reports.view');
begin
  return app_private.reporting_dashboard_metrics(tenant);
end;
$$;
comment on function reporting.dashboard_metrics() is
  E'@name dashboard_metrics\nToday''s net sales (tax excluded, refunds taken out) and sales (today in each location''s own time zone), the number of low-stock items, and the customers active in the last 30 days. Needs reports.view.';
--! EndIncluded reporting/630-queries.sql
--! Included reporting/640-analysts.sql
-- Plain SQL for a tenant's analysts (psql, Metabase, a notebook).
--
-- An owner creates a login (reporting.create_analyst_login): a real PostgreSQL LOGIN role named
-- bo_analyst_<label>_<random>, member of the analyst group role (:DATABASE_ANALYST), mapped to the
-- tenant in app_private.analyst_logins; the password is returned once and never stored by us
-- (PostgreSQL keeps its SCRAM hash). The group may only SELECT the views below and use the
-- reporting schema; it has no privilege on app_public, app_hidden, app_private or
-- graphile_worker, and no write privilege anywhere.
--
-- Scoping without settings: the views are owned by the owner (so they can join location, item
-- and customer names the group cannot read), and every read-model table carries a restrictive
-- row-level security policy for the owner role that, when the query runs for anybody but the
-- owner itself (current_user is the analyst login when it reads through a view), keeps only the
-- rows of the tenant the login is mapped to. So a login sees its tenant's rows and nothing else,
-- and a login whose mapping is gone (or whose tenant is suspended or lacks the reporting module)
-- sees nothing. The views are security barriers, so that no function in an analyst's WHERE
-- clause runs on rows before that filter. Queued sales events (app_hidden.analyst_pending_*) are added in, so figures are
-- exact. db/REPORTING.md has example queries.

/*
 * The tenant of the analyst login this connection signed in with (session_user), while that
 * tenant is active and its plan includes reporting; null for any other connection.
 */
create or replace function app_hidden.analyst_tenant_id() returns text
language sql stable security definer parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select a.tenant_id
  from app_private.analyst_logins a
  join app_public.tenants t on t.id = a.tenant_id
  where a.role_name = session_user::text
    and t.status = 'active'
    and 'reporting' = any((app_private.tenant_plan(a.tenant_id)).modules);
$$;
comment on function app_hidden.analyst_tenant_id() is 'The tenant of the signed-in analyst login (session_user), or null.';

/* What the queued sales events of the analyst's tenant add (the views add it to the folded rows). */
create or replace function app_hidden.analyst_pending_daily()
returns table (location_id text, business_date date, order_count bigint, gross_sales bigint, discount_total bigint,
               tax_total bigint, net_sales bigint, tender_cash bigint, tender_card bigint, refund_count bigint, refund_total bigint)
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select d.* from app_hidden.analyst_tenant_id() t, app_private.reporting_pending_daily(t) d where t is not null;
$$;

create or replace function app_hidden.analyst_pending_items()
returns table (location_id text, business_date date, catalog_item_id text, catalog_item_name text, name_seq bigint,
               quantity_sold bigint, gross_revenue bigint, net_revenue bigint)
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select d.* from app_hidden.analyst_tenant_id() t, app_private.reporting_pending_items(t) d where t is not null;
$$;

create or replace function app_hidden.analyst_pending_stock()
returns table (location_id text, inventory_item_id text, on_hand bigint)
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select d.* from app_hidden.analyst_tenant_id() t, app_private.reporting_pending_stock(t) d where t is not null;
$$;
grant execute on function app_hidden.analyst_tenant_id(), app_hidden.analyst_pending_daily(),
  app_hidden.analyst_pending_items(), app_hidden.analyst_pending_stock() to :DATABASE_ANALYST;

-- The owner itself (worker, security definer functions, migrations) reads every row; anybody
-- reading through the owner's views reads its own tenant's rows only.
drop policy if exists analyst_own_tenant on reporting.rm_daily_sales;
create policy analyst_own_tenant on reporting.rm_daily_sales as restrictive for select to :DATABASE_OWNER
  using (current_user = ':DATABASE_OWNER' or tenant_id = (select app_hidden.analyst_tenant_id()));

drop policy if exists analyst_own_tenant on reporting.rm_item_sales;
create policy analyst_own_tenant on reporting.rm_item_sales as restrictive for select to :DATABASE_OWNER
  using (current_user = ':DATABASE_OWNER' or tenant_id = (select app_hidden.analyst_tenant_id()));

drop policy if exists analyst_own_tenant on reporting.rm_inventory_on_hand;
create policy analyst_own_tenant on reporting.rm_inventory_on_hand as restrictive for select to :DATABASE_OWNER
  using (current_user = ':DATABASE_OWNER' or tenant_id = (select app_hidden.analyst_tenant_id()));

drop policy if exists analyst_own_tenant on reporting.rm_customer_activity;
create policy analyst_own_tenant on reporting.rm_customer_activity as restrictive for select to :DATABASE_OWNER
  using (current_user = ':DATABASE_OWNER' or tenant_id = (select app_hidden.analyst_tenant_id()));

------------------------------------------------------------------------------------------------
-- The views: amounts as decimals of the business's currency (named beside them), names joined,
-- one row per natural grain.
create or replace view reporting.sales_by_day with (security_barrier) as
select s.business_date,
       s.location_id,
       l.name as location_name,
       s.order_count as orders,
       cur.code as currency,
       app_hidden.major_units(s.gross_sales, cur.minor_units) as gross_sales,
       app_hidden.major_units(s.discount_total, cur.minor_units) as discounts,
       app_hidden.major_units(s.tax_total, cur.minor_units) as tax,
       s.refund_count as refunds,
       app_hidden.major_units(s.refund_total, cur.minor_units) as refunded,
       app_hidden.major_units(s.net_sales, cur.minor_units) as net_sales,
       app_hidden.major_units(s.net_sales + s.tax_total, cur.minor_units) as total_collected,
       app_hidden.major_units(s.tender_cash, cur.minor_units) as cash,
       app_hidden.major_units(s.tender_card, cur.minor_units) as card,
       app_hidden.major_units(case when s.order_count > 0 then round(s.net_sales::numeric / s.order_count) else 0 end, cur.minor_units) as avg_order_value
from (
  select f.tenant_id, f.location_id, f.business_date,
         sum(f.order_count)::bigint as order_count, sum(f.gross_sales)::bigint as gross_sales,
         sum(f.discount_total)::bigint as discount_total, sum(f.tax_total)::bigint as tax_total,
         sum(f.net_sales)::bigint as net_sales, sum(f.tender_cash)::bigint as tender_cash,
         sum(f.tender_card)::bigint as tender_card, sum(f.refund_count)::bigint as refund_count,
         sum(f.refund_total)::bigint as refund_total
  from (
    select r.tenant_id, r.location_id, r.business_date, r.order_count::bigint as order_count, r.gross_sales, r.discount_total,
           r.tax_total, r.net_sales, r.tender_cash, r.tender_card, r.refund_count::bigint as refund_count, r.refund_total
    from reporting.rm_daily_sales r
    union all
    select app_hidden.analyst_tenant_id(), d.location_id, d.business_date, d.order_count, d.gross_sales, d.discount_total,
           d.tax_total, d.net_sales, d.tender_cash, d.tender_card, d.refund_count, d.refund_total
    from app_hidden.analyst_pending_daily() d
  ) f
  group by f.tenant_id, f.location_id, f.business_date
) s
join app_public.locations l on l.tenant_id = s.tenant_id and l.id = s.location_id
join app_public.tenants tn on tn.id = s.tenant_id
join app_public.currencies cur on cur.code = tn.currency;
comment on view reporting.sales_by_day is 'Sales per location and business date (the location''s own date), in the business''s currency (currency). Square''s definitions (db/REPORTING.md): orders, gross_sales and discounts are the day''s sales; refunds (voids included) count on the day they were made: refunded is their amount after discounts, before tax. net_sales = gross_sales − discounts − refunded (tax excluded); tax is net of tax refunded; total_collected = net_sales + tax; cash and card are what was taken minus what was handed back that day; avg_order_value = net_sales / orders.';

create or replace view reporting.item_sales_by_day with (security_barrier) as
select s.business_date,
       s.location_id,
       l.name as location_name,
       s.catalog_item_id,
       s.item_name,
       c.sku,
       s.quantity_sold,
       cur.code as currency,
       app_hidden.major_units(s.gross_revenue, cur.minor_units) as gross_revenue,
       app_hidden.major_units(s.net_revenue, cur.minor_units) as net_revenue
from (
  select f.tenant_id, f.location_id, f.business_date, f.catalog_item_id,
         (array_agg(f.catalog_item_name order by f.name_seq desc, f.catalog_item_name))[1] as item_name,
         sum(f.quantity_sold)::bigint as quantity_sold, sum(f.gross_revenue)::bigint as gross_revenue,
         sum(f.net_revenue)::bigint as net_revenue
  from (
    select r.tenant_id, r.location_id, r.business_date, r.catalog_item_id, r.catalog_item_name, r.name_seq,
           r.quantity_sold::bigint as quantity_sold, r.gross_revenue, r.net_revenue
    from reporting.rm_item_sales r
    union all
    select app_hidden.analyst_tenant_id(), d.location_id, d.business_date, d.catalog_item_id, d.catalog_item_name, d.name_seq,
           d.quantity_sold, d.gross_revenue, d.net_revenue
    from app_hidden.analyst_pending_items() d
  ) f
  group by f.tenant_id, f.location_id, f.business_date, f.catalog_item_id
) s
join app_public.locations l on l.tenant_id = s.tenant_id and l.id = s.location_id
join app_public.catalog_items c on c.tenant_id = s.tenant_id and c.id = s.catalog_item_id
join app_public.tenants tn on tn.id = s.tenant_id
join app_public.currencies cur on cur.code = tn.currency;
comment on view reporting.item_sales_by_day is 'What each catalog item sold per location and business date, in the business''s currency (refunds taken out on the day they were made). quantity_sold and net_revenue are net of refunds; gross_revenue is the day''s sales before discounts; both before tax. item_name is the name on its latest sale of the day; sku is the current one.';

create or replace view reporting.stock_levels with (security_barrier) as
select s.location_id,
       l.name as location_name,
       s.inventory_item_id,
       i.name as item_name,
       s.on_hand,
       i.low_stock_threshold,
       s.on_hand <= i.low_stock_threshold as is_low_stock
from (
  select f.tenant_id, f.location_id, f.inventory_item_id, sum(f.on_hand)::int as on_hand
  from (
    select r.tenant_id, r.location_id, r.inventory_item_id, r.on_hand::bigint as on_hand
    from reporting.rm_inventory_on_hand r
    union all
    select app_hidden.analyst_tenant_id(), d.location_id, d.inventory_item_id, d.on_hand
    from app_hidden.analyst_pending_stock() d
  ) f
  group by f.tenant_id, f.location_id, f.inventory_item_id
) s
join app_public.locations l on l.tenant_id = s.tenant_id and l.id = s.location_id
join app_public.inventory_items i on i.tenant_id = s.tenant_id and i.id = s.inventory_item_id;
comment on view reporting.stock_levels is 'Units on hand per location and inventory item; is_low_stock when at or below the item''s threshold.';

create or replace view reporting.customer_activity with (security_barrier) as
select a.customer_id,
       c.customer_number,
       a.customer_name,
       a.total_visits,
       cur.code as currency,
       app_hidden.major_units(a.total_spend, cur.minor_units) as total_spend,
       app_hidden.major_units(case when a.total_visits > 0 then round(a.total_spend::numeric / a.total_visits) else 0 end, cur.minor_units) as avg_spend,
       a.last_visit_at
from reporting.rm_customer_activity a
join app_public.customers c on c.tenant_id = a.tenant_id and c.id = a.customer_id
join app_public.tenants tn on tn.id = a.tenant_id
join app_public.currencies cur on cur.code = tn.currency
where a.merged_into_id is null;
comment on view reporting.customer_activity is 'Visits (orders not voided) and spend (tax included, in the business''s currency) of each customer; customers merged into another one are counted in that one.';

/*
 * The loyalty class for the analysts' view: app_hidden.loyalty_class (customers/470, the one
 * rule) run as the owner. A SQL function's body is read as its caller, and analysts have no
 * usage of app_hidden nor app_public (the class's enum); this one reads no table.
 */
create or replace function app_hidden.analyst_loyalty_class(
  visits int, last_visit_at timestamptz, recent_visits timestamptz[],
  regular_min_visits int, regular_window_days int, lapsed_after_days int, at timestamptz)
returns text
language sql stable parallel safe security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select app_hidden.loyalty_class(visits, last_visit_at, recent_visits,
    regular_min_visits, regular_window_days, lapsed_after_days, at)::text;
$$;
comment on function app_hidden.analyst_loyalty_class(int, timestamptz, timestamptz[], int, int, int, timestamptz) is
  'app_hidden.loyalty_class as text, for reporting.customer_classes (run as the owner). Executable by analysts only.';
revoke execute on function app_hidden.analyst_loyalty_class(int, timestamptz, timestamptz[], int, int, int, timestamptz)
  from :DATABASE_VISITOR;

create or replace view reporting.customer_classes with (security_barrier) as
select c.id as customer_id,
       c.customer_number,
       c.display_name as customer_name,
       c.status,
       t.label as customer_type,
       app_hidden.analyst_loyalty_class(s.visits, s.last_visit_at, s.recent_visits,
         l.regular_min_visits, l.regular_window_days, l.lapsed_after_days, now()) as loyalty_class,
       s.visits >= 2 as is_repeat,
       s.visits,
       app_hidden.visits_within(s.recent_visits, l.regular_window_days, now()) as visits_in_window,
       cur.code as currency,
       app_hidden.major_units(s.spend, cur.minor_units) as spend,
       s.first_visit_at,
       s.last_visit_at,
       coalesce(p.do_not_contact, false) as do_not_contact
from app_public.customers c
join app_public.customer_stats s on s.tenant_id = c.tenant_id and s.customer_id = c.id
join app_public.loyalty_settings l on l.tenant_id = c.tenant_id
join app_public.tenants tn on tn.id = c.tenant_id
join app_public.currencies cur on cur.code = tn.currency
left join app_public.customer_types t on t.tenant_id = c.tenant_id and t.id = c.customer_type_id
left join app_public.customer_preferences p on p.tenant_id = c.tenant_id and p.customer_id = c.id
where c.status <> 'merged'
  and (current_user = ':DATABASE_OWNER' or c.tenant_id = (select app_hidden.analyst_tenant_id()));
comment on view reporting.customer_classes is 'Each customer (not merged) with its loyalty class now (new, returning, regular, lapsed, one_time; null before the first visit), repeat flag (2+ visits), visits in the business''s regular window, spend in the business''s currency, type and do-not-contact.';

revoke all on all tables in schema reporting from :DATABASE_ANALYST;

revoke all on schema app_public, app_hidden, app_private from :DATABASE_ANALYST;
grant select on reporting.sales_by_day, reporting.item_sales_by_day, reporting.stock_levels, reporting.customer_activity,
  reporting.customer_classes to :DATABASE_ANALYST;
grant execute on function app_hidden.analyst_loyalty_class(int, timestamptz, timestamptz[], int, int, int, timestamptz),
  app_hidden.visits_within(timestamptz[], int, timestamptz), app_hidden.major_units(numeric, int) to :DATABASE_ANALYST;

------------------------------------------------------------------------------------------------
-- Logins

/* Raises LOGIN/DNIED unless the signed-in user is an owner of the current tenant; returns it. */
create or replace function app_hidden.assert_tenant_owner() returns text
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
begin
  perform app_hidden.assert_tenant_active();
  if not exists (select 1 from app_public.memberships m
                 join app_public.roles r on r.tenant_id = m.tenant_id and r.id = m.role_id
                 where m.tenant_id = tenant and m.user_id = app_hidden.current_user_id() and r.key = 'owner') then
    perform app_hidden.raise_error('DNIED', 'Only an owner of the business can manage analyst logins.');
  end if;
  return tenant;
end;
$$;
comment on function app_hidden.assert_tenant_owner() is 'Raises LOGIN, DNIED or TSUSP unless the signed-in user is an owner (with settings.update) of the current tenant; returns the tenant.';

/*
 * Creates a PostgreSQL login for the tenant's analysts and returns its password, once. The role
 * is a member of the analyst group only, reads the reporting views of this database with
 * search_path reporting and a 60 s statement timeout, and at most 5 connections.
 */
create or replace function reporting.create_analyst_login(name text) returns reporting.analyst_credentials
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_tenant_owner();
  label text := app_hidden.assert_name('The login''s name', create_analyst_login.name, 60, 'name');
  -- An opaque name: every login of the cluster can read pg_roles, so the name must not carry
  -- what the owner called it (that stays in analyst_logins.label).
  login text := ':DATABASE_ANALYST' || '_' || encode(public.gen_random_bytes(8), 'hex');
  secret text := translate(encode(public.gen_random_bytes(24), 'base64'), '+/', '-_');
  me text := app_hidden.current_user_id();
begin
  -- Logins are cluster roles with connections of their own: bounded per business and per person
  -- (one person may own many businesses), so nobody can create roles or take connections
  -- without end.
  perform pg_advisory_xact_lock(hashtext('app.analyst_logins'), hashtext(me));
  if (select count(*) from app_private.analyst_logins a where a.tenant_id = tenant) >= 20 then
    perform app_hidden.raise_error('ANLIM', 'A business can have at most 20 analyst logins; remove one first.');
  end if;
  if (select count(*) from app_private.analyst_logins a where a.created_by = me) >= 20 then
    perform app_hidden.raise_error('ANLIM', 'You have created 20 analyst logins across your businesses, the most one person may have; remove one first.');
  end if;
  begin
    execute format('create role %I with login nosuperuser nocreatedb nocreaterole noreplication nobypassrls inherit connection limit 2 password %L',
                   login, secret);
    execute format('grant %I to %I', ':DATABASE_ANALYST', login);
    execute format('alter role %I in database %I set search_path to reporting', login, current_database());
    -- Defaults only (a session can change them): app_private.enforce_analyst_limits, run by the
    -- worker every few seconds, is what holds them.
    execute format('alter role %I in database %I set statement_timeout to %L', login, current_database(), '60s');
    execute format('alter role %I in database %I set idle_in_transaction_session_timeout to %L', login, current_database(), '60s');
  exception when insufficient_privilege then
    perform app_hidden.raise_error('ANSET', 'Analyst logins cannot be created on this server: the database owner role needs CREATEROLE and the right to grant the analyst group (see db/REPORTING.md).');
  end;
  insert into app_private.analyst_logins (tenant_id, role_name, label, created_by)
  values (tenant, login, label, app_hidden.current_user_id());
  return row(login, secret, current_database())::reporting.analyst_credentials;
end;
$$;
comment on function reporting.create_analyst_login(text) is
  E'@name create_analyst_login\n@resultFieldName credentials\nCreates a PostgreSQL login with which analysts read this business''s reporting views (sales_by_day, item_sales_by_day, stock_levels, customer_activity) with psql, Metabase or a notebook. Owners only. The password is shown once. At most 20 per business, and 20 per person across businesses.';
grant execute on function reporting.create_analyst_login(text), reporting.analyst_logins(),
  reporting.drop_analyst_login(text) to :DATABASE_VISITOR;

create or replace function reporting.analyst_logins() returns setof reporting.analyst_login
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_tenant_owner();
begin
  return query select a.role_name, a.label, a.created_at from app_private.analyst_logins a
    where a.tenant_id = tenant order by a.created_at, a.role_name;
end;
$$;
comment on function reporting.analyst_logins() is E'@name analyst_logins\n@behavior -connection +list\n@listSuffix omit\nThe analyst logins of the business (owners only).';

/* Removes an analyst login of the tenant: the mapping goes and the role is dropped. */
create or replace function reporting.drop_analyst_login(username text) returns boolean
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_tenant_owner();
begin
  delete from app_private.analyst_logins a where a.tenant_id = tenant and a.role_name = drop_analyst_login.username;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no analyst login %s.', left(coalesce(username, ''), 63)));
  end if;
  -- Its open connections end now (from the mapping's removal they read nothing anyway), then
  -- the role goes.
  perform pg_terminate_backend(a.pid) from pg_stat_activity a where a.usename = drop_analyst_login.username;
  if exists (select 1 from pg_catalog.pg_roles r where r.rolname = drop_analyst_login.username) then
    execute format('drop role %I', drop_analyst_login.username);
  end if;
  return true;
end;
$$;
comment on function reporting.drop_analyst_login(text) is E'@name drop_analyst_login\nRemoves an analyst login of the business (owners only): its open connections end and it can no longer connect.';

/*
 * Holds the analysts' limits where a login cannot undo them: statement_timeout and
 * idle_in_transaction_session_timeout are only defaults of the role, which any session can
 * `set` to 0. Cancels analyst statements running longer than `statement_limit` and ends analyst
 * sessions idle in a transaction longer than `idle_limit` (one open transaction holds locks on
 * the read models and the tables behind the views, and stalls migrations). The worker calls it
 * every few seconds (ANALYST_WATCH_INTERVAL_MS). Returns what it did.
 */
create or replace function app_private.enforce_analyst_limits(statement_limit interval default '60 seconds', idle_limit interval default '60 seconds')
returns table (pid int, role_name text, action text)
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  -- The sessions first (materialized), the signals after: PostgreSQL may evaluate a WHERE
  -- clause's parts in any order, and a signal is not something to send before the filters ran.
  return query
    with over as materialized (
      select a.pid, a.usename::text as role_name, case when a.state = 'active' then 'cancelled' else 'terminated' end as action
      from pg_stat_activity a
      where a.datname = current_database()
        and a.usename in (select l.role_name from app_private.analyst_logins l)
        and ((a.state = 'active' and a.query_start < now() - statement_limit)
          or (a.state in ('idle in transaction', 'idle in transaction (aborted)') and a.state_change < now() - idle_limit))
    )
    select o.pid, o.role_name, o.action from over o
    where case when o.action = 'cancelled' then pg_cancel_backend(o.pid) else pg_terminate_backend(o.pid) end;
end;
$$;
comment on function app_private.enforce_analyst_limits(interval, interval) is 'Cancels analyst statements over the time limit and ends analyst sessions idle in a transaction too long (worker, every few seconds).';
--! EndIncluded reporting/640-analysts.sql
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
-- PostgreSQL's (RFC 4180). Money is in dollars with two decimals, instants in UTC ISO 8601.

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
 * The parameters of an export checked and completed: dates and location for sales, the order
 * of items, the location and low-only flag of inventory. Raises BADIN (naming the field) or
 * NOTFD (a location of another business).
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
    perform app_private.reporting_check_range(tenant_id, current_date, current_date, location);
    if p ? 'low_only' and jsonb_typeof(p -> 'low_only') not in ('boolean', 'null') then
      perform app_hidden.raise_error('BADIN', 'low_only must be true or false.');
    end if;
    return jsonb_build_object('location_id', location, 'low_only', coalesce((p ->> 'low_only')::boolean, false));
  end if;
  return '{}'::jsonb;
end;
$$;

/* The name a file downloads under, such as daily-sales_2025-03-01_2025-03-07.csv. */
create or replace function app_private.export_file_name(kind reporting.export_kind, params jsonb) returns text
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select replace(kind::text, '_', '-')
         || case when kind in ('daily_sales', 'item_sales') then '_' || (params ->> 'from') || '_' || (params ->> 'to')
                 else '_' || to_char(now() at time zone 'UTC', 'YYYY-MM-DD') end
         || '.csv';
$$;

/*
 * The query whose rows make the file (COPY cannot take parameters: values are quoted literals).
 * It reads the tenant's read models through the exact reporting functions (app_private.reporting_daily_sales and the others).
 */
create or replace function app_private.export_query(tenant_id text, kind reporting.export_kind, params jsonb) returns text
language plpgsql immutable
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
    return format($q$
      select c.customer_number, app_hidden.csv_text(a.customer_name) as name, a.total_visits as visits,
             cur.code as currency,
             app_hidden.major_units(a.total_spend, cur.minor_units) as total_spend,
             to_char(a.last_visit_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as last_visit_at,
             app_hidden.loyalty_class(s.visits, s.last_visit_at, s.recent_visits,
               l.regular_min_visits, l.regular_window_days, l.lapsed_after_days, now()) as loyalty_class,
             -- do_not_contact and consent decide (app_hidden.contact_allowed, as everywhere).
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
      where a.tenant_id = %1$L and a.merged_into_id is null
      order by a.tenant_id, a.customer_id$q$, tenant_id);
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
  E'@name request_export\n@resultFieldName export\nAsks the worker for a CSV file (needs reports.export). params: daily_sales and item_sales take {"from": "2025-03-01", "to": "2025-03-07", "location_id"?} (item_sales also "order_by": "quantity" or "revenue"); inventory takes {"location_id"?, "low_only"?}; customers takes nothing. Poll the returned export until its status is done, then download its downloadUrl.';
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
-- 930 ms). Other kinds are small (days, items, stock rows) and keep the generic count.
create or replace function app_private.start_export(tenant_id text, export_id text) returns jsonb
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  x reporting.exports;
  q text;
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
    select count(*) into total from reporting.rm_customer_activity a
    where a.tenant_id = x.tenant_id and a.merged_into_id is null;
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

-- The read models take the new definitions by rebuild, from each business's event log.
select reporting.rebuild(t.id) from app_public.tenants t order by t.id;
