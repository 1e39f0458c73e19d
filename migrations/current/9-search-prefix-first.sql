-- 9-search-prefix-first: search_customers skips the substring lookup when the prefix matches
-- already fill the 10 places (they rank first, so the answer is the same).
--
-- Why (bench/cases/search.ts, 100,000 customers in the tenant, 500,000 in the database): p95 of
-- 3- and 5-character queries was 38.7 and 26.9 ms against 3.7 ms for 1-2 characters. auto_explain
-- of 'mar': the trigram lookup took 13.4 of 15.4 ms, because the trigram GIN indexes hold every
-- tenant's customers (tenant_id is left out of them, see 400-customers), so its cost grows with
-- the whole database. Queries people type are mostly prefixes of a name, an email or a phone
-- number; those now cost what 1-2 characters cost. A query that matches fewer than 10 prefixes
-- still gets the substring lookup.
--
-- And the prefix branches run with bitmap scans off. The full-size run showed 3-character p95 at
-- 92 ms although most queries never reached the substring lookup: for a common prefix ('wil')
-- the planner estimated 2 rows and chose the trigram GIN index (every tenant's customers) with a
-- bitmap heap scan and a sort — 3,530 index rows, 2,345 removed by recheck, 6.8 ms at 10% scale
-- — instead of reading the tenant's btree prefix index in order and stopping after 10 (0.04 ms).
-- The substring lookup (customers_containing) needs bitmap scans and turns them back on.

create or replace function app_public.search_customers(q text) returns setof app_public.customers
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
set enable_bitmapscan to off
as $$
declare
  tenant text := app_hidden.customers_reader_tenant();
  term text := lower(btrim(regexp_replace(coalesce(q, ''), '\s+', ' ', 'g')));
  escaped text;
  digits text;
  calling_code text;
  national text;
  phone_prefix text;
  phone_part text;
  branches text[] := '{}';
  prefix_hits int;
  live constant text := 'c.tenant_id = $1 and c.status <> ''merged''';
begin
  if tenant is null or term = '' then
    return;
  end if;
  term := left(term, 100);
  -- chr(92) is the backslash (written out: graphile-migrate's SQL minifier misreads '\').
  escaped := replace(replace(replace(term, chr(92), chr(92) || chr(92)), '%', chr(92) || '%'), '_', chr(92) || '_');

  branches := branches || format(
    '(select c.id, 1 as rank from app_public.customers c
      where %s and lower(c.display_name) like %L order by lower(c.display_name) using ~<~ limit 10)', live, escaped || '%');
  branches := branches || format(
    '(select c.id, 2 from app_public.customers c
      where %s and lower(c.last_name) like %L order by lower(c.last_name) using ~<~ limit 10)', live, escaped || '%');
  branches := branches || format(
    '(select c.id, 2 from app_public.customers c
      where %s and c.email like %L order by c.email using ~<~ limit 10)', live, escaped || '%');

  -- Something that looks like a phone number: match the stored E.164 form.
  if term ~ '^\+?[0-9 ().\-/]+$' then
    digits := regexp_replace(term, '[^0-9]', '', 'g');
    if left(term, 1) = '+' then
      phone_prefix := '+' || digits;
      phone_part := digits;
    elsif left(digits, 2) = '00' then
      phone_prefix := '+' || substr(digits, 3);
      phone_part := substr(digits, 3);
    else
      select app_hidden.country_calling_code(t.default_country) into calling_code
      from app_public.tenants t where t.id = tenant;
      national := case when calling_code = '39' then digits else ltrim(digits, '0') end;
      if calling_code is not null and national <> '' then
        phone_prefix := '+' || calling_code || national;
      end if;
      phone_part := national;
    end if;
    if phone_prefix is not null and length(phone_prefix) > 1 then
      branches := branches || format(
        '(select c.id, 2 from app_public.customers c
          where %s and c.phone like %L order by c.phone using ~<~ limit 10)', live, phone_prefix || '%');
    end if;
  end if;

  -- Substrings rank after every prefix match: when the prefixes alone give 10 customers, the
  -- substring lookup cannot change the answer, so it is skipped (it is the slow path).
  if length(term) >= 3 then
    execute format('select count(distinct h.id) from (%s) h', array_to_string(branches, ' union all '))
      into prefix_hits using tenant;
  end if;
  if length(term) >= 3 and prefix_hits < 10 then
    branches := branches || format(
      '(select x.id, 3 from app_private.customers_containing($1, %L, %L) as x(id))',
      '%' || escaped || '%',
      case when length(phone_part) >= 3 then '%' || phone_part || '%' end);
  end if;

  return query execute format(
    'with hits as (%s),
          best as (select h.id, min(h.rank) as rank from hits h group by h.id)
     select c.* from best join app_public.customers c on c.tenant_id = $1 and c.id = best.id
     order by best.rank, lower(c.display_name) using ~<~, c.id
     limit 10',
    array_to_string(branches, ' union all '))
  using tenant;
end;
$$;

alter function app_private.customers_containing(text, text, text) set enable_bitmapscan to on;
