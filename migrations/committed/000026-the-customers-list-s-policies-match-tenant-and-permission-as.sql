--! Previous: sha1:7c46654047fd9e978524ae2a0ecc0a08ea897deb
--! Hash: sha1:4ef8fa6b9ffa6672fce68ef2de2d8f23cdc2c662
--! Message: The customers list's policies match tenant and permission as one value

--! split: 1-current.sql
-- The customers list's tables match the tenant and the permission as one run-time value, so the
-- planner no longer halves its estimate of a tenant's rows for the permission (the planner trap
-- of the README's benchmark section).
--! Included customers/400-customers.sql
-- The people a business sells to. One row per customer with a per-tenant number
-- (CUST-00001), contact details normalised by the database (email lower-cased, phone in E.164
-- read with the tenant's default country), a display name the database computes, tags, consent,
-- a type; the purchase history lives beside it in customer_stats. Clients never write the table: the API
-- role has SELECT only, and every change goes through the commands (create_customer, update_customer, archive/restore_customer, merge_customers), which check
-- permissions, emit events and leave an audit row. "Live" customers are those not merged
-- (active or archived); email and phone are unique among them.

------------------------------------------------------------------------------------------------
-- Input helpers shared by the customer files

/* The international calling code of a country (ISO 3166 alpha-2, app_public.phone_countries); null when unknown. */
create or replace function app_hidden.country_calling_code(country text) returns text
language sql stable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select p.calling_code from app_public.phone_countries p where p.country = upper(btrim(country_calling_code.country));
$$;
comment on function app_hidden.country_calling_code(text) is 'International calling code of a country (ISO 3166 alpha-2), from app_public.phone_countries; null when unknown.';

/* Possible lengths as a person reads them: "9", "7, 8 or 9", "4 to 15". */
create or replace function app_hidden.phone_lengths_text(lengths int[]) returns text
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select case
    when n = 1 then lengths[1]::text
    when n > 2 and lengths[n] - lengths[1] = n - 1 then format('%s to %s', lengths[1], lengths[n])
    else array_to_string(lengths[1:n - 1], ', ') || ' or ' || lengths[n]
  end
  from (select cardinality(lengths) as n) x;
$$;
comment on function app_hidden.phone_lengths_text(int[]) is 'Possible phone number lengths in words: 9, "7, 8 or 9", "4 to 15".';

/*
 * A phone number in E.164 (+ and 7 to 15 digits), or null for null/blank input. Spaces, dashes,
 * dots, slashes and parentheses are dropped; a leading + or 00 means the country code is written
 * (an "(0)" after it is dropped): the calling code must be one of app_public.phone_countries, and
 * the digits after it as long as a number of (one of) its countries may be. Otherwise the number
 * is national, read with `country`: its trunk prefix (0 in the UK, 1 in the US, 8 in Russia, none
 * in Oman or Italy: app_public.phone_countries.national_prefix, from libphonenumber's metadata) is
 * dropped when what follows has a possible length, the country's calling code is put in front,
 * and the national number must have one of the country's possible lengths (Oman: 7, 8 or 9, so
 * "9123 4567" → +96891234567). checked_phone is the rule, set-based readers (the customer import)
 * call it: the number, or why it is refused; normalize_phone raises BADPH with that reason. (Its
 * steps are subqueries fenced with OFFSET 0: pulled up, each step's expression would be copied
 * into every later one that reads it, and the planner took seconds over the copies.)
 */
create or replace function app_hidden.checked_phone(phone text, country text) returns table (e164 text, problem text)
language sql stable parallel safe rows 1
as $$
  select case when p.problem is null and r.raw <> '' then '+' || n.e164 end, p.problem
  from (select btrim(phone) as raw offset 0) r
  cross join lateral (select case when r.raw ~ '^(\+|00)' then replace(r.raw, '(0)', '') else r.raw end as raw offset 0) i -- "+33 (0)6 …": the (0) is the trunk prefix
  cross join lateral (select regexp_replace(i.raw, '[^0-9]', '', 'g') as digits,
                             left(i.raw, 1) = '+' or left(regexp_replace(i.raw, '[^0-9]', '', 'g'), 2) = '00' as international offset 0) d
  -- The country national numbers are read with.
  left join lateral (select h.name, h.calling_code, h.national_prefix, h.possible_lengths
                     from app_public.phone_countries h where h.country = upper(btrim(checked_phone.country)) offset 0) home on not d.international
  cross join lateral (
    select case
      when left(i.raw, 1) = '+' then d.digits
      when d.international then substr(d.digits, 3)
      else home.calling_code || case
        when home.national_prefix is not null and left(d.digits, length(home.national_prefix)) = home.national_prefix
             and length(d.digits) - length(home.national_prefix) = any(home.possible_lengths)
          then substr(d.digits, length(home.national_prefix) + 1)
        else d.digits end
    end as e164 offset 0) n
  -- The calling code the number has (calling codes are prefix-free: at most one matches) and the
  -- lengths a number of its countries may have after it.
  left join lateral (
    select c.calling_code, c.name, c.lengths from (
      select pc.calling_code, min(pc.name) as name, array_agg(distinct l order by l) as lengths
      from app_public.phone_countries pc cross join unnest(pc.possible_lengths) l
      where pc.calling_code in (left(n.e164, 1), left(n.e164, 2), left(n.e164, 3))
        and (d.international or pc.country = upper(btrim(checked_phone.country)))
      group by pc.calling_code) c
    offset 0) cc on true
  cross join lateral (
    select case
      when r.raw is null or r.raw = '' then null
      when length(r.raw) > 40 or r.raw !~ '^\+?[0-9 ().\-/]+$' then format(
        'Phone: "%s" is not a phone number; use digits, spaces, dashes, dots, parentheses and a leading +.', left(r.raw, 40))
      when length(d.digits) < 7 then format('Phone: "%s" is too short; a phone number has at least 7 digits.', i.raw)
      when n.e164 is null then format('Phone: write "%s" with its country code, such as +44 20 7946 0958.', i.raw)
      when left(n.e164, 1) = '0' or length(n.e164) < 7 or length(n.e164) > 15 then format(
        'Phone: "%s" is not a valid international number (a country code, then at most 15 digits in all).', i.raw)
      when cc.calling_code is null then format(
        'Phone: "%s" does not start with a country code (no country''s calling code is +%s…); check the digits after the +.', i.raw, left(n.e164, 3))
      when not (length(n.e164) - length(cc.calling_code)) = any(cc.lengths) and d.international then format(
        'Phone: "%s" has %s digits after +%s, where numbers there have %s.',
        i.raw, length(n.e164) - length(cc.calling_code), cc.calling_code, app_hidden.phone_lengths_text(cc.lengths))
      when not (length(n.e164) - length(cc.calling_code)) = any(cc.lengths) then format(
        'Phone: "%s" is not a number of %s, where numbers have %s digits%s; start with + and the country code for another country.',
        i.raw, home.name, app_hidden.phone_lengths_text(cc.lengths),
        case when home.national_prefix is not null then format(' after the trunk prefix %s', home.national_prefix) else '' end)
    end as problem offset 0) p;
$$;
comment on function app_hidden.checked_phone(text, text) is 'A phone number in E.164 (e164) or why it is refused (problem); both null for blank input.';

create or replace function app_hidden.normalize_phone(phone text, country text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  checked record;
begin
  select * into checked from app_hidden.checked_phone(phone, country);
  if checked.problem is not null then
    perform app_hidden.raise_error('BADPH', checked.problem, field => 'phone');
  end if;
  return checked.e164;
end;
$$;
comment on function app_hidden.normalize_phone(text, text) is 'A phone number in E.164, reading national numbers with the given country; raises BADPH.';

/*
 * Customer tags as stored: a JSON array of distinct strings. Each tag is trimmed with inner
 * white space collapsed, 1 to 40 characters; duplicates (ignoring case) are dropped, the first
 * spelling kept; at most 20 tags. checked_tags is the rule (the tags, or why they are refused:
 * the first tag's problem in order, then their number), for set-based readers (the customer
 * import); normalize_tags raises BADTG with that reason.
 */
create or replace function app_hidden.checked_tags(tags text[]) returns table (tags_json jsonb, problem text)
language sql stable parallel safe rows 1
as $$
  with cleaned as (
    select t.n, t.tag as given,
           app_hidden.trim_blank(regexp_replace(t.tag,
             '[ \t\n\v\f\r\u0085\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+', ' ', 'g')) as tag
    from unnest(tags) with ordinality as t(tag, n)
  ), firsts as (
    select distinct on (lower(c.tag)) c.n, c.tag from cleaned c order by lower(c.tag), c.n
  )
  select case when p.problem is null then coalesce((select jsonb_agg(f.tag order by f.n) from firsts f), '[]'::jsonb) end,
         p.problem
  from (select case
    when tags is null then null
    when cardinality(tags) > 200 then 'Tags: a customer can have at most 20 tags.'
    else coalesce(
      (select case when c.given ~ '[\x01-\x1f\x7f]' then 'Tags must not contain control characters or line breaks.'
                   when c.tag is null or c.tag = '' then 'Tags cannot be empty.'
                   when length(c.tag) > 40 then format('Tags: "%s…" is longer than 40 characters.', left(c.tag, 40)) end
       from cleaned c
       where c.given ~ '[\x01-\x1f\x7f]' or c.tag is null or c.tag = '' or length(c.tag) > 40
       order by c.n limit 1),
      case when (select count(*) from firsts) > 20 then 'Tags: a customer can have at most 20 tags.' end)
  end as problem) p;
$$;
comment on function app_hidden.checked_tags(text[]) is 'Tags as stored (tags_json, [] for null) or why they are refused (problem).';

create or replace function app_hidden.normalize_tags(tags text[]) returns jsonb
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  checked record;
begin
  select * into checked from app_hidden.checked_tags(tags);
  if checked.problem is not null then
    perform app_hidden.raise_error('BADTG', checked.problem, field => 'tags');
  end if;
  return checked.tags_json;
end;
$$;
comment on function app_hidden.normalize_tags(text[]) is 'Tags as stored (trimmed, distinct ignoring case, at most 20 of at most 40 characters); raises BADTG.';

/* Customer metadata: a JSON object of at most 8 kB; null means {}. Raises BADIN. */
create or replace function app_hidden.assert_customer_metadata(metadata jsonb) returns jsonb
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if metadata is null then
    return '{}'::jsonb;
  end if;
  if jsonb_typeof(metadata) <> 'object' then
    perform app_hidden.raise_error('BADIN', 'Metadata must be a JSON object.', field => 'metadata');
  elsif octet_length(metadata::text) > 8192 then
    perform app_hidden.raise_error('BADIN', 'Metadata must be at most 8 kB of JSON.', field => 'metadata');
  end if;
  return metadata;
end;
$$;
comment on function app_hidden.assert_customer_metadata(jsonb) is 'The metadata object ({} for null); raises BADIN unless it is a JSON object of at most 8 kB.';

/*
 * The guard of every customer command and reader: raises LOGIN/DNIED (and whatever else
 * app_hidden.assert_permission checks, such as a suspended tenant), then NOMOD when the plan
 * lacks the customers module, and returns the current tenant.
 */
create or replace function app_hidden.assert_customers_permission(permission text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission(permission);
begin
  -- The plan must include the customers module (NOMOD otherwise; app_hidden.assert_module).
  perform app_hidden.assert_module('customers');
  return tenant;
end;
$$;
comment on function app_hidden.assert_customers_permission(text) is 'Raises LOGIN, DNIED, TSUSP or NOMOD unless the caller may do this to customers; returns the tenant.';

/*
 * The tenant of a caller who may complete a customer's profile at the till: customers.update, or
 * customers.create (cashiers, who add customers at the till; upgrade_customer lets them add what
 * is missing, never change what is there). Phone verification and the upgrade ask for this.
 */
create or replace function app_hidden.assert_customer_profile_permission() returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  return app_hidden.assert_customers_permission(
    case when app_hidden.has_permission('customers.update') then 'customers.update' else 'customers.create' end);
end;
$$;
comment on function app_hidden.assert_customer_profile_permission() is
  'Raises LOGIN, DNIED, TSUSP or NOMOD unless the caller may complete a profile (customers.update, or customers.create at the till); returns the tenant.';

/*
 * The tenant whose customers the caller may read, for security definer readers (search,
 * timeline): null when not signed in or without customers.view (they then return nothing, as
 * row-level security would); otherwise the guard above runs, so its other checks apply too.
 */
create or replace function app_hidden.customers_reader_tenant() returns text
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

/*
 * The next number of a tenant's counter. The row stays locked until the caller's transaction
 * ends, so concurrent callers get distinct, consecutive numbers, and a rolled-back caller gives
 * its number back (no gaps).
 */
create or replace function app_private.next_tenant_number(tenant_id text, name text) returns bigint
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  insert into app_private.tenant_counters as c (tenant_id, name, value)
  values (next_tenant_number.tenant_id, next_tenant_number.name, 1)
  on conflict (tenant_id, name) do update set value = c.value + 1
  returning c.value;
$$;
comment on function app_private.next_tenant_number(text, text) is 'Hands out the next number of a per-tenant counter (atomic, gap-free).';

/*
 * The next `n` numbers of a tenant's counter at once, for set-based writers (an import's batch):
 * returns the last of them, so they are last - n + 1 … last. Same lock, same no-gap rule as
 * next_tenant_number.
 */
create or replace function app_private.reserve_tenant_numbers(tenant_id text, name text, n int) returns bigint
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  insert into app_private.tenant_counters as c (tenant_id, name, value)
  values (reserve_tenant_numbers.tenant_id, reserve_tenant_numbers.name, reserve_tenant_numbers.n)
  on conflict (tenant_id, name) do update set value = c.value + reserve_tenant_numbers.n
  returning c.value;
$$;
comment on function app_private.reserve_tenant_numbers(text, text, int) is 'Hands out the next n numbers of a per-tenant counter and returns the last (atomic, gap-free).';

/* CUST-00001 … CUST-99999, then CUST-100000 and on (never truncated). */
create or replace function app_hidden.format_customer_number(n bigint) returns text
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select 'CUST-' || case when n < 100000 then lpad(n::text, 5, '0') else n::text end;
$$;
comment on function app_hidden.format_customer_number(bigint) is 'A customer number as shown: CUST-00001.';

create or replace trigger _100_timestamps before insert or update on app_public.customers
  for each row execute function app_private.tg__timestamps();

-- Timestamps are left out of the audit diff.
create or replace trigger _500_audit after update on app_public.customers
  for each row execute function app_private.tg__audit('created_at', 'updated_at');
create or replace trigger _500_audit_inserts after insert on app_public.customers
  referencing new table as inserted
  for each statement execute function app_private.tg__audit_inserts('created_at', 'updated_at');

-- The permission is folded into the tenant match (no tenant without it): one run-time value for
-- the planner instead of an equality and a boolean, which it would count as matching half the
-- rows. With the boolean, after a rebuild rewrote customer_stats the largest tenant's first page
-- by last visit was estimated below the page size, planned as read-all-and-sort, and took 144 ms
-- instead of walking customer_stats_last_visit_idx (the README's benchmark, planner trap).
drop policy if exists select_with_permission on app_public.customers;
create policy select_with_permission on app_public.customers for select to :DATABASE_VISITOR
  using (tenant_id = (select case when app_hidden.has_permission('customers.view') then app_hidden.current_tenant_id() end));

revoke all on app_public.customers from :DATABASE_VISITOR;
grant select on app_public.customers to :DATABASE_VISITOR;

/* The customer an id stands for now: itself, or (for a merged one) the live customer it was merged into. */
create or replace function app_private.live_customer_id(tenant_id text, customer_id text) returns text
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
create or replace function app_private.customer_history_ids(tenant_id text, customer_id text) returns text[]
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
--! EndIncluded customers/400-customers.sql
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

/*
 * Every customer has its stats row from the start (zeros): readers and the list join it. Once per
 * insert statement, for all its customers (an import inserts thousands at once).
 */
create or replace function app_private.tg_customers__create_stats() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  insert into app_public.customer_stats (tenant_id, customer_id) select i.tenant_id, i.id from inserted i;
  return null;
end;
$$;

create or replace trigger _200_create_stats after insert on app_public.customers
  referencing new table as inserted
  for each statement execute function app_private.tg_customers__create_stats();

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

/*
 * Takes the units of order lines (an event's `lines`) back out of a customer's items bought, for
 * a void or a refund: items with no unit left go; the others lose the units. The delete comes
 * first: after the update, an item bought 2 and taken back 1 would be at 1 and match the delete too.
 */
create or replace function app_private.take_back_items(tenant_id text, customer_id text, lines jsonb) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  delete from app_public.customer_item_stats i
  using (select l ->> 'catalog_item_id' as catalog_item_id, sum((l ->> 'quantity')::int) as quantity
         from jsonb_array_elements(take_back_items.lines) l group by 1) l
  where i.tenant_id = take_back_items.tenant_id and i.customer_id = take_back_items.customer_id
    and i.catalog_item_id = l.catalog_item_id and i.quantity <= l.quantity;
  update app_public.customer_item_stats i set quantity = i.quantity - l.quantity
  from (select l ->> 'catalog_item_id' as catalog_item_id, sum((l ->> 'quantity')::int) as quantity
        from jsonb_array_elements(take_back_items.lines) l group by 1) l
  where i.tenant_id = take_back_items.tenant_id and i.customer_id = take_back_items.customer_id
    and i.catalog_item_id = l.catalog_item_id and i.quantity > l.quantity;
$$;
comment on function app_private.take_back_items(text, text, jsonb) is 'Takes the units of order lines back out of a customer''s items bought (a void, a refund of lines).';

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
  perform app_private.take_back_items(c.tenant_id, visit.customer_id, evt.payload -> 'lines');
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
  perform app_private.take_back_items(c.tenant_id, visit.customer_id, evt.payload -> 'lines');
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
-- What the API reads (the permission folded into the tenant match, as customers' policy: 400-customers.sql)

drop policy if exists select_with_permission on app_public.customer_stats;
create policy select_with_permission on app_public.customer_stats for select to :DATABASE_VISITOR
  using (tenant_id = (select case when app_hidden.has_permission('customers.view') then app_hidden.current_tenant_id() end));
revoke all on app_public.customer_stats from :DATABASE_VISITOR;
grant select on app_public.customer_stats to :DATABASE_VISITOR;

drop policy if exists select_with_permission on app_public.customer_item_stats;
create policy select_with_permission on app_public.customer_item_stats for select to :DATABASE_VISITOR
  using (tenant_id = (select case when app_hidden.has_permission('customers.view') then app_hidden.current_tenant_id() end));
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
