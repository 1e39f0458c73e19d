-- 440-customer-search: the type-ahead behind the POS customer button and the admin search box.
-- It must answer in a few milliseconds with 200,000 customers in a tenant, so every path is an
-- index scan of the indexes made in 400:
--   * prefixes (any length): btree text_pattern_ops on lower(display_name), lower(last_name),
--     email and phone, each read in pattern order (ORDER BY … USING ~<~) and stopped after 10;
--   * substrings (3 characters or more): the trigram GIN indexes, at most 10 rows.
-- Prefix matches rank first, then the rest, each by display name.
--
-- Why it is built the way it is (measured with 200,000 customers in one tenant):
--   * security definer: under row-level security PostgreSQL may not use LIKE (not leakproof) as
--     an index condition, so as the API role every query became a scan of the tenant's rows;
--   * the query text carries the patterns as literals (format %L): a LIKE with a parameter
--     cannot use a btree index;
--   * the substring lookup runs with sequential and plain index scans disabled: row-level
--     security (forced on the owner too) also hides the column statistics from the planner for
--     non-leakproof operators, so it guesses that thousands of rows match any pattern and scans
--     the table "until 10 are found" — 250 ms for a pattern that matches nothing.
-- It serves only the caller's tenant, and nothing without customers.view.

/* Ids of up to 10 live customers of the tenant whose name or email contains `pattern`, or phone contains `phone_pattern`. */
create function app_private.customers_containing(tenant_id text, pattern text, phone_pattern text)
returns setof text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
set enable_seqscan to off
set enable_indexscan to off
as $$
begin
  return query execute format(
    'select c.id from app_public.customers c
     where c.tenant_id = $1 and c.status <> ''merged''
       and (lower(c.display_name) like %L or c.email like %L%s)
     limit 10',
    pattern, pattern,
    case when phone_pattern is not null then format(' or c.phone like %L', phone_pattern) else '' end)
  using tenant_id;
end;
$$;
comment on function app_private.customers_containing(text, text, text) is 'Substring lookup of search_customers through the trigram indexes (LIKE patterns given escaped).';

create function app_public.search_customers(q text) returns setof app_public.customers
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
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
  live constant text := 'c.tenant_id = $1 and c.status <> ''merged''';
begin
  if tenant is null or term = '' then
    return;
  end if;
  term := left(term, 100);
  escaped := replace(replace(replace(term, '\', '\\'), '%', '\%'), '_', '\_');

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

  if length(term) >= 3 then
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
comment on function app_public.search_customers(text) is
  E'@behavior +list -connection\n@listSuffix omit\nType-ahead search of the live customers (needs customers.view): at most 10 whose name, last name, email or phone starts with q, then (from 3 characters) those that contain it anywhere; case does not matter, and phone numbers match however they are typed (national or international).';
