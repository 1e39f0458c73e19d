-- Possible duplicate customers (issue 20, item 7): a customer about to be created that looks like
-- one already there is pointed out, and the Possible duplicates page lists the likely pairs of
-- live customers, each opening the merge preview. The rule (what makes two customers look alike,
-- the keys it compares, its score) is in customers/490-possible-duplicates.sql.

-- The pairs a person has said are two different people ("Not a duplicate"), kept so that the
-- list does not offer them again. One row per pair, stored with the smaller id first (in the "C"
-- collation, as merges lock customers), so that (a, b) and (b, a) are the same row.
create table if not exists app_private.customer_duplicate_dismissals (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  customer_id text not null,
  other_customer_id text not null,
  dismissed_by text references app_public.users on delete set null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  constraint customer_duplicate_dismissals_pair_key unique (tenant_id, customer_id, other_customer_id),
  foreign key (tenant_id, customer_id) references app_public.customers (tenant_id, id) on delete cascade,
  foreign key (tenant_id, other_customer_id) references app_public.customers (tenant_id, id) on delete cascade,
  constraint customer_duplicate_dismissals_canonical check (customer_id collate "C" < other_customer_id collate "C")
);
create index if not exists customer_duplicate_dismissals_other_idx
  on app_private.customer_duplicate_dismissals (tenant_id, other_customer_id);
create index if not exists customer_duplicate_dismissals_dismissed_by_idx
  on app_private.customer_duplicate_dismissals (dismissed_by);
comment on table app_private.customer_duplicate_dismissals is
  'Pairs of customers a person said are not the same person (dismissed from Possible duplicates); the smaller id first.';

do $$
begin
  if not (select relrowsecurity from pg_class where oid = 'app_private.customer_duplicate_dismissals'::regclass) then
    perform app_private.secure_table('app_private.customer_duplicate_dismissals');
    perform app_private.enforce_active_tenant('app_private.customer_duplicate_dismissals');
  end if;
end $$;

-- What likely_duplicates and possible_duplicate_pairs answer.
do $$
begin
  if not exists (select 1 from pg_type where typname = 'likely_duplicate' and typnamespace = 'app_public'::regnamespace) then
    create type app_public.likely_duplicate as (
      customer_id text, customer_number text, display_name text, email text, phone text, status text,
      score double precision, reasons text[]);
  end if;
  if not exists (select 1 from pg_type where typname = 'possible_duplicate_pair' and typnamespace = 'app_public'::regnamespace) then
    create type app_public.possible_duplicate_pair as (
      customer_id text, customer_number text, display_name text, email text, phone text,
      other_customer_id text, other_customer_number text, other_display_name text, other_email text, other_phone text,
      score double precision, reasons text[]);
  end if;
end $$;
comment on type app_public.likely_duplicate is 'A live customer that a customer about to be created would likely duplicate, with why.';
comment on column app_public.likely_duplicate.customer_id is E'@notNull\nThe existing customer (its row id).';
comment on column app_public.likely_duplicate.customer_number is E'@notNull\nIts number, such as CUST-00042.';
comment on column app_public.likely_duplicate.display_name is E'@notNull\nIts display name.';
comment on column app_public.likely_duplicate.email is 'Its email.';
comment on column app_public.likely_duplicate.phone is 'Its phone number (E.164).';
comment on column app_public.likely_duplicate.status is E'@notNull\nactive or archived.';
comment on column app_public.likely_duplicate.score is E'@notNull\nHow likely the two are the same person, 0 to 1 (customers/490-possible-duplicates.sql).';
comment on column app_public.likely_duplicate.reasons is E'@notNull\nWhy, in words: "Same phone digits", "Similar name (0.82)", "Same email name at another domain"…';
comment on type app_public.possible_duplicate_pair is 'Two live customers that are likely the same person, with why.';
comment on column app_public.possible_duplicate_pair.customer_id is E'@notNull\nOne customer of the pair (the smaller id).';
comment on column app_public.possible_duplicate_pair.customer_number is E'@notNull\nIts number.';
comment on column app_public.possible_duplicate_pair.display_name is E'@notNull\nIts display name.';
comment on column app_public.possible_duplicate_pair.email is 'Its email.';
comment on column app_public.possible_duplicate_pair.phone is 'Its phone number (E.164).';
comment on column app_public.possible_duplicate_pair.other_customer_id is E'@notNull\nThe other customer of the pair.';
comment on column app_public.possible_duplicate_pair.other_customer_number is E'@notNull\nIts number.';
comment on column app_public.possible_duplicate_pair.other_display_name is E'@notNull\nIts display name.';
comment on column app_public.possible_duplicate_pair.other_email is 'Its email.';
comment on column app_public.possible_duplicate_pair.other_phone is 'Its phone number (E.164).';
comment on column app_public.possible_duplicate_pair.score is E'@notNull\nHow likely the two are the same person, 0 to 1.';
comment on column app_public.possible_duplicate_pair.reasons is E'@notNull\nWhy, in words.';

-- The rule and its functions (after the table and types they read, before the indexes on its keys).
--!include customers/490-possible-duplicates.sql

-- The blocking keys of live customers (490 says why each one), each with the columns it is
-- computed from, so that the pairs are grouped from an index-only scan in key order and the
-- warning finds a key's customers with one index lookup. tenant_id first, so that a tenant's keys
-- are one range; partial on live customers, like the uniqueness of email and phone.
create index if not exists customers_duplicate_phone_idx on app_public.customers
  (tenant_id, app_hidden.duplicate_phone_key(phone)) include (id, phone) where status <> 'merged' and phone is not null;
create index if not exists customers_duplicate_email_idx on app_public.customers
  (tenant_id, app_hidden.duplicate_email_key(email)) include (id, email) where status <> 'merged' and email is not null;
create index if not exists customers_duplicate_surname_idx on app_public.customers
  (tenant_id, app_hidden.duplicate_surname_key(first_name, last_name)) include (id, first_name, last_name)
  where status <> 'merged' and last_name is not null;
create index if not exists customers_duplicate_given_name_idx on app_public.customers
  (tenant_id, app_hidden.duplicate_given_name_key(first_name, last_name)) include (id, first_name, last_name)
  where status <> 'merged' and first_name is not null;
