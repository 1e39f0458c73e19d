-- Issue 16, items 1, 2 and 5: company accounts and their contacts.

------------------------------------------------------------------------------------------------
-- 1. A customer is a person or a company. Company fields are null for a person (a check says
-- so); the account status sits beside status (active/archived/merged/erased), which it does not
-- replace: an account may be suspended and still live.
alter table app_public.customers
  add column if not exists kind text not null default 'person',
  add column if not exists company_name text,
  add column if not exists tax_id text,
  add column if not exists website text,
  add column if not exists credit_limit bigint,
  add column if not exists payment_terms_days int,
  add column if not exists currency text,
  add column if not exists internal_notes text,
  add column if not exists billing_address_id text,
  add column if not exists shipping_address_id text,
  add column if not exists account_status text not null default 'active',
  add column if not exists suspended_reason text;

do $$ begin
  if not exists (select 1 from pg_constraint where conrelid = 'app_public.customers'::regclass and conname = 'customers_kind_check') then
    alter table app_public.customers
      add constraint customers_kind_check check (kind in ('person', 'company')),
      add constraint customers_company_name_check check (company_name = btrim(company_name) and length(company_name) between 1 and 200),
      add constraint customers_company_named check ((kind = 'company') = (company_name is not null)),
      add constraint customers_company_fields check (kind = 'company' or
        (tax_id is null and website is null and credit_limit is null and payment_terms_days is null and currency is null)),
      add constraint customers_tax_id_check check (tax_id ~ '^[A-Z0-9]{2,30}$'),
      add constraint customers_website_check check (website ~ '^https?://[^\s]+$' and length(website) <= 200),
      add constraint customers_credit_limit_check check (credit_limit >= 0),
      add constraint customers_payment_terms_days_check check (payment_terms_days between 0 and 365),
      add constraint customers_currency_fkey foreign key (currency) references app_public.currencies (code),
      add constraint customers_internal_notes_check check (length(internal_notes) between 1 and 2000),
      add constraint customers_account_status_check check (account_status in ('active', 'inactive', 'suspended')),
      add constraint customers_suspended_reason_check check (length(suspended_reason) between 1 and 500),
      add constraint customers_suspended_with_reason check ((account_status = 'suspended') = (suspended_reason is not null)),
      add constraint customers_billing_address_fkey foreign key (tenant_id, billing_address_id)
        references app_public.customer_addresses (tenant_id, id) on delete set null (billing_address_id),
      add constraint customers_shipping_address_fkey foreign key (tenant_id, shipping_address_id)
        references app_public.customer_addresses (tenant_id, id) on delete set null (shipping_address_id);
  end if;
  -- A company is identified by its name alone.
  if pg_get_constraintdef((select oid from pg_constraint where conrelid = 'app_public.customers'::regclass and conname = 'customers_identifiable')) !~ 'company_name' then
    alter table app_public.customers drop constraint customers_identifiable;
    alter table app_public.customers add constraint customers_identifiable
      check (email is not null or phone is not null or first_name is not null or company_name is not null);
  end if;
end $$;
comment on constraint customers_identifiable on app_public.customers is
  'A customer needs at least an email, a phone number, a first name or (a company) its name (NOIDN).';
comment on constraint customers_billing_address_fkey on app_public.customers is
  E'@fieldName billingAddress\n@behavior -manyRelation:resource:list -manyRelation:resource:connection';
comment on constraint customers_shipping_address_fkey on app_public.customers is
  E'@fieldName shippingAddress\n@behavior -manyRelation:resource:list -manyRelation:resource:connection';
comment on constraint customers_currency_fkey on app_public.customers is
  E'@fieldName currencyInfo\n@behavior -manyRelation:resource:list -manyRelation:resource:connection';
create index if not exists customers_billing_address_idx on app_public.customers (tenant_id, billing_address_id) where billing_address_id is not null;
create index if not exists customers_shipping_address_idx on app_public.customers (tenant_id, shipping_address_id) where shipping_address_id is not null;
create index if not exists customers_currency_idx on app_public.customers (currency) where currency is not null;
-- The kind filter of the list, and the type-ahead by tax ID (a prefix, like the other branches).
create index if not exists customers_kind_idx on app_public.customers (tenant_id, kind);
create index if not exists customers_search_tax_id_prefix_idx on app_public.customers (tenant_id, tax_id text_pattern_ops) where tax_id is not null;

comment on column app_public.customers.kind is E'@behavior +filterBy\nperson or company.';
comment on column app_public.customers.company_name is 'A company''s name (companies only): its display name.';
comment on column app_public.customers.tax_id is 'A company''s tax or VAT number, upper-case without spaces or punctuation (checked for the countries with a simple rule).';
comment on column app_public.customers.website is 'A company''s website (https:// added when no scheme was given).';
comment on column app_public.customers.credit_limit is 'A company''s credit limit in cents of its currency; shown only (selling on account is not built yet).';
comment on column app_public.customers.payment_terms_days is 'A company''s payment terms: days to pay an invoice (0 to 365).';
comment on column app_public.customers.currency is 'A company''s currency (ISO 4217); the business''s currency unless another is given.';
comment on column app_public.customers.internal_notes is 'Staff-only notes about the account; never printed on receipts.';
comment on column app_public.customers.billing_address_id is 'The customer''s default billing address (one of its addresses).';
comment on column app_public.customers.shipping_address_id is 'The customer''s default shipping address (one of its addresses).';
comment on column app_public.customers.account_status is E'@behavior +filterBy\nactive, inactive or suspended (with suspended_reason): the account''s standing, beside status (archived, merged, erased).';
comment on column app_public.customers.suspended_reason is 'Why the account is suspended (required then, null otherwise).';

-- update_customer's patch learns the new fields.
do $$
declare
  attr text;
begin
  foreach attr in array array['kind text', 'company_name text', 'tax_id text', 'website text', 'credit_limit bigint',
    'payment_terms_days int', 'currency text', 'internal_notes text', 'billing_address_id text', 'shipping_address_id text',
    'account_status text', 'suspended_reason text', 'clear_credit_limit boolean', 'clear_payment_terms boolean'] loop
    if not exists (select 1 from pg_attribute a where a.attrelid = 'app_public.customer_changes'::regclass
                   and a.attname = split_part(attr, ' ', 1) and not a.attisdropped) then
      execute format('alter type app_public.customer_changes add attribute %s', attr);
    end if;
  end loop;
end $$;
comment on column app_public.customer_changes.kind is 'person or company (a company needs company_name; a person''s company fields are cleared).';
comment on column app_public.customer_changes.company_name is 'New company name.';
comment on column app_public.customer_changes.tax_id is 'New tax ID ("" clears it).';
comment on column app_public.customer_changes.website is 'New website ("" clears it).';
comment on column app_public.customer_changes.credit_limit is 'New credit limit in cents (clear_credit_limit clears it).';
comment on column app_public.customer_changes.payment_terms_days is 'New payment terms in days (clear_payment_terms clears them).';
comment on column app_public.customer_changes.currency is 'New currency (ISO 4217).';
comment on column app_public.customer_changes.internal_notes is 'New internal notes ("" clears them).';
comment on column app_public.customer_changes.billing_address_id is 'One of the customer''s addresses as its billing default ("" clears it).';
comment on column app_public.customer_changes.shipping_address_id is 'One of the customer''s addresses as its shipping default ("" clears it).';
comment on column app_public.customer_changes.account_status is 'active, inactive or suspended (suspended needs suspended_reason).';
comment on column app_public.customer_changes.suspended_reason is 'Why the account is suspended.';
comment on column app_public.customer_changes.clear_credit_limit is 'true removes the credit limit.';
comment on column app_public.customer_changes.clear_payment_terms is 'true removes the payment terms.';

------------------------------------------------------------------------------------------------
-- The display name puts a company's name first (customers/401-display-name.sql). PostgreSQL 15
-- cannot change a generated column's expression, so the column is dropped and added again with
-- the new function (this rewrites every row), with its indexes and the views that read it.
--!include customers/401-display-name.sql
do $$ begin
  if pg_get_expr((select d.adbin from pg_attrdef d join pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum
                  where d.adrelid = 'app_public.customers'::regclass and a.attname = 'display_name'), 'app_public.customers'::regclass)
     !~ 'company_name' then
    drop view if exists app_public.customer_rows;
    drop view if exists reporting.customer_classes;
    alter table app_public.customers drop column display_name;
    alter table app_public.customers add column display_name text not null
      generated always as (app_hidden.customer_display_name(company_name, first_name, last_name, email, phone)) stored;
    create index customers_display_name_idx on app_public.customers (tenant_id, display_name, id);
    create index customers_search_name_prefix_idx on app_public.customers (tenant_id, lower(display_name) text_pattern_ops);
    create index customers_search_name_trgm_idx on app_public.customers using gin (lower(display_name) gin_trgm_ops);
  end if;
end $$;
drop function if exists app_hidden.customer_display_name(text, text, text, text);
comment on column app_public.customers.display_name is E'@behavior +orderBy +filterBy\nName to show: a company''s name, else first and last name, else the email, else the phone (app_hidden.customer_display_name). Computed by the database.';

------------------------------------------------------------------------------------------------
-- 2. Contacts of a company.
create table if not exists app_public.customer_contacts (
  tenant_id text not null default app_hidden.current_tenant_id() references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  customer_id text not null,
  first_name text check (first_name = btrim(first_name) and length(first_name) between 1 and 100),
  last_name text check (last_name = btrim(last_name) and length(last_name) between 1 and 100),
  email text check (email = lower(btrim(email)) and length(email) between 3 and 254),
  phone text check (phone ~ '^\+[1-9][0-9]{6,14}$'),
  mobile text check (mobile ~ '^\+[1-9][0-9]{6,14}$'),
  role text not null default 'contact' check (role in ('primary', 'billing', 'shipping', 'contact')),
  preferred_contact_method text not null default 'email' check (preferred_contact_method in ('email', 'phone', 'mobile')),
  order_updates boolean not null default false,
  marketing_opt_in boolean not null default false,
  notes text check (length(notes) between 1 and 2000),
  display_name text not null generated always as (
    coalesce(nullif(btrim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')), ''), email)) stored,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, customer_id) references app_public.customers (tenant_id, id) on delete cascade,
  constraint customer_contacts_named check (first_name is not null or last_name is not null or email is not null)
);
create index if not exists customer_contacts_customer_idx on app_public.customer_contacts (tenant_id, customer_id);
-- Exactly one primary contact per company: at most one here, at least one by the triggers.
create unique index if not exists customer_contacts_primary_key on app_public.customer_contacts (tenant_id, customer_id) where role = 'primary';
create unique index if not exists customer_contacts_email_key on app_public.customer_contacts (tenant_id, customer_id, email) where email is not null;
-- The type-ahead's contact branches: prefixes of the name, last name and email, per tenant.
create index if not exists customer_contacts_search_name_prefix_idx on app_public.customer_contacts (tenant_id, lower(display_name) text_pattern_ops);
create index if not exists customer_contacts_search_last_name_prefix_idx on app_public.customer_contacts (tenant_id, lower(last_name) text_pattern_ops);
create index if not exists customer_contacts_search_email_prefix_idx on app_public.customer_contacts (tenant_id, email text_pattern_ops);
comment on table app_public.customer_contacts is E'@name customer_contacts\n@behavior -insert -update -delete\nThe people of a company customer (addCustomerContact, updateCustomerContact, removeCustomerContact, setPrimaryCustomerContact): one primary once it has any.';
comment on constraint customer_contacts_pkey on app_public.customer_contacts is '@behavior -single -update -delete';
comment on constraint customer_contacts_tenant_id_fkey on app_public.customer_contacts is '@behavior -*';
comment on constraint customer_contacts_tenant_id_customer_id_fkey on app_public.customer_contacts is E'@fieldName customer\n@foreignFieldName contacts';
comment on column app_public.customer_contacts.tenant_id is '@behavior -*';
comment on column app_public.customer_contacts.role is E'@behavior +filterBy\nprimary (exactly one per company), billing, shipping or contact.';
comment on column app_public.customer_contacts.preferred_contact_method is 'email, phone or mobile.';
comment on column app_public.customer_contacts.order_updates is 'Wants to hear about the company''s orders.';
comment on column app_public.customer_contacts.marketing_opt_in is 'Agreed to marketing.';
comment on column app_public.customer_contacts.display_name is E'@behavior +orderBy\nFirst and last name, else the email.';

do $$ begin
  if not exists (select 1 from pg_policy where polrelid = 'app_public.customer_contacts'::regclass and polname = 'all_for_owner') then
    perform app_private.secure_table('app_public.customer_contacts');
  end if;
  if not exists (select 1 from pg_policy where polrelid = 'app_public.customer_contacts'::regclass and polname = 'active_tenant_only') then
    perform app_private.enforce_active_tenant('app_public.customer_contacts');
  end if;
end $$;

drop function if exists app_public.create_customer(text, text, text, text, text, text[], boolean, text, jsonb);
--!include customers/415-companies-and-contacts.sql
--!include customers/420-commands.sql
--!include customers/430-merge.sql
--!include customers/440-search.sql
--!include customers/470-loyalty-classes.sql
--!include reporting/640-analysts.sql
