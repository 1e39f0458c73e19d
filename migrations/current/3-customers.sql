-- customers.display_name computed by the one function (app_hidden.customer_display_name) instead
-- of its own copy of the rule; the indexes on it are made again. Only when the column is not
-- computed by it yet, so that running this again changes nothing.
do $$
begin
  if not exists (
    select 1 from pg_attrdef d join pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum
    where d.adrelid = 'app_public.customers'::regclass and a.attname = 'display_name'
      and pg_get_expr(d.adbin, d.adrelid) like '%customer_display_name%'
  ) then
    alter table app_public.customers drop column display_name;
    alter table app_public.customers add column display_name text not null
      generated always as (app_hidden.customer_display_name(first_name, last_name, email, phone)) stored;
    create index customers_display_name_idx on app_public.customers (tenant_id, display_name, id);
    create index customers_search_name_prefix_idx on app_public.customers (tenant_id, lower(display_name) text_pattern_ops);
    create index customers_search_name_trgm_idx on app_public.customers using gin (lower(display_name) gin_trgm_ops);
  end if;
end;
$$;
comment on column app_public.customers.display_name is E'@behavior +filterBy +orderBy\nName to show: first and last name, else the email, else the phone (app_hidden.customer_display_name). Computed by the database.';

-- "A customer needs an email, a phone or a first name" is this constraint, named so that the
-- commands can word it (NOIDN, app_private.raise_customer_constraint).
do $$
begin
  if exists (select 1 from pg_constraint where conrelid = 'app_public.customers'::regclass and conname = 'customers_check') then
    alter table app_public.customers rename constraint customers_check to customers_identifiable;
  end if;
end;
$$;
comment on constraint customers_identifiable on app_public.customers is 'A customer needs at least an email, a phone number or a first name (NOIDN).';
