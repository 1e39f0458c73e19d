--! Previous: sha1:4cc59e2ffd51b6ff728015d5e7f4ba20fc6ca3af
--! Hash: sha1:fbc0a42b95db168526929f9fd042bde3a51dd4a7
--! Message: Selling on account (issue 18): account numbers, the ledger and the till's account tender under the credit limit, invoices monthly and on demand with PDFs, payments allocated oldest first, credit paid back, statements and receivables by age, suspensions with typed reasons and the action log

--! split: 1-accounts.sql
-- Selling on account (issue 18): a customer's account with its number, the ledger its balance is
-- read from, invoices, payments and their allocation, suspensions and the account's action log.
-- The rules are in migrations/fixtures/accounts/; this file holds the tables.

-- Two new permissions: reading accounts (balances, invoices, statements) and acting on them (open,
-- limit, suspend, payments, invoices, write-off). Owners and managers have both.
update app_public.roles r set permissions = r.permissions || array['accounts.view', 'accounts.manage']
where r.key in ('owner', 'manager') and not 'accounts.manage' = any(r.permissions);

-- Suspend an account automatically when an invoice is overdue by this many days (null: never).
alter table app_public.tenants add column if not exists account_overdue_suspend_days int
  check (account_overdue_suspend_days between 1 and 365);
comment on column app_public.tenants.account_overdue_suspend_days is 'Suspend an account automatically when one of its invoices is overdue by this many days; null: never.';

-- An account tender at the till, and what a void or refund of such a sale gives back to the account.
alter table app_public.tenders drop constraint if exists tenders_type_check;
alter table app_public.tenders add constraint tenders_type_check check (type in ('cash', 'card', 'account'));
alter table app_public.refund_tenders drop constraint if exists refund_tenders_type_check;
alter table app_public.refund_tenders add constraint refund_tenders_type_check check (type in ('cash', 'card', 'account'));

-- A person may hold an account too: its credit limit and terms are then on the person (the rule
-- that only an account holder has them is app_hidden.checked_company_fields, customers/415).
alter table app_public.customers drop constraint if exists customers_company_fields;
alter table app_public.customers add constraint customers_company_fields
  check (kind = 'company' or (tax_id is null and website is null and currency is null));

------------------------------------------------------------------------------------------------
-- Accounts

create table if not exists app_public.customer_accounts (
  tenant_id text not null references app_public.tenants on delete cascade,
  customer_id text not null,
  account_number text not null check (account_number ~ '^CT-[0-9]{4}-[0-9]{5,}$'),
  opened_at timestamptz not null default now(),
  opened_by_user_id text references app_public.users on delete set null,
  primary key (tenant_id, customer_id),
  unique (tenant_id, account_number),
  foreign key (tenant_id, customer_id) references app_public.customers (tenant_id, id)
);
create index if not exists customer_accounts_opened_by_idx on app_public.customer_accounts (opened_by_user_id);
do $$
begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.customer_accounts'::regclass) then
    perform app_private.secure_table('app_public.customer_accounts');
    perform app_private.enforce_active_tenant('app_public.customer_accounts');
  end if;
end $$;
comment on table app_public.customer_accounts is E'A customer''s account: what lets it buy now and pay later, against its credit limit and payment terms (on the customer). Opened by openCustomerAccount; never deleted.';
comment on column app_public.customer_accounts.tenant_id is '@behavior -*';
comment on constraint customer_accounts_pkey on app_public.customer_accounts is '@behavior -single -update -delete';
comment on constraint customer_accounts_tenant_id_fkey on app_public.customer_accounts is E'@fieldName tenant\n@foreignFieldName customerAccounts';
comment on constraint customer_accounts_tenant_id_customer_id_fkey on app_public.customer_accounts is E'@fieldName customer\n@foreignFieldName account';
comment on constraint customer_accounts_opened_by_user_id_fkey on app_public.customer_accounts is E'@fieldName openedBy\n@foreignFieldName openedCustomerAccounts';
comment on constraint customer_accounts_tenant_id_account_number_key on app_public.customer_accounts is '@behavior -single';
comment on column app_public.customer_accounts.account_number is 'CT-YYYY-NNNNN: the year it was opened and a number counted per business and year, without gaps.';

-- Suspensions of an account: one open (not reactivated) at a time; the customer's account_status
-- says suspended while it is open.
create table if not exists app_public.account_suspensions (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  customer_id text not null,
  type text not null check (type in ('non_payment', 'customer_request', 'technical', 'fraud')),
  reason text not null check (length(reason) between 1 and 500),
  suspended_at timestamptz not null default now(),
  suspended_by_user_id text references app_public.users on delete set null,
  reactivated_at timestamptz,
  reactivation_reason text check (length(reactivation_reason) between 1 and 500),
  reactivated_by_user_id text references app_public.users on delete set null,
  primary key (tenant_id, id),
  foreign key (tenant_id, customer_id) references app_public.customer_accounts (tenant_id, customer_id),
  check ((reactivated_at is null) = (reactivation_reason is null))
);
create unique index if not exists account_suspensions_open_idx on app_public.account_suspensions (tenant_id, customer_id) where reactivated_at is null;
create index if not exists account_suspensions_customer_idx on app_public.account_suspensions (tenant_id, customer_id, suspended_at desc);
create index if not exists account_suspensions_suspended_by_idx on app_public.account_suspensions (suspended_by_user_id);
create index if not exists account_suspensions_reactivated_by_idx on app_public.account_suspensions (reactivated_by_user_id);
do $$
begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.account_suspensions'::regclass) then
    perform app_private.secure_table('app_public.account_suspensions');
    perform app_private.enforce_active_tenant('app_public.account_suspensions');
  end if;
end $$;
comment on table app_public.account_suspensions is E'@unique id\nEach time an account was suspended (with its type and reason) and, once it was, reactivated (with its reason). Written by suspendCustomerAccount and reactivateCustomerAccount.';
comment on column app_public.account_suspensions.tenant_id is '@behavior -*';
comment on constraint account_suspensions_pkey on app_public.account_suspensions is '@behavior -single -update -delete';
comment on constraint account_suspensions_tenant_id_fkey on app_public.account_suspensions is E'@fieldName tenant\n@foreignFieldName accountSuspensions';
comment on constraint account_suspensions_tenant_id_customer_id_fkey on app_public.account_suspensions is E'@fieldName account\n@foreignFieldName suspensions';
comment on constraint account_suspensions_suspended_by_user_id_fkey on app_public.account_suspensions is E'@fieldName suspendedBy\n@foreignFieldName accountSuspensionsMade';
comment on constraint account_suspensions_reactivated_by_user_id_fkey on app_public.account_suspensions is E'@fieldName reactivatedBy\n@foreignFieldName accountReactivationsMade';
comment on column app_public.account_suspensions.type is 'non_payment, customer_request, technical or fraud.';
comment on column app_public.account_suspensions.suspended_by_user_id is 'Who suspended it; null when the overdue sweep did.';

-- Every action on an account, with its mandatory reason and the account before and after.
create table if not exists app_public.account_actions (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  customer_id text not null,
  action text not null check (action in ('open', 'terms_change', 'suspend', 'reactivate', 'write_off', 'invoice_void', 'credit_refund')),
  reason text not null check (length(reason) between 1 and 500),
  before jsonb,
  after jsonb not null,
  actor_user_id text references app_public.users on delete set null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, customer_id) references app_public.customer_accounts (tenant_id, customer_id)
);
create index if not exists account_actions_customer_idx on app_public.account_actions (tenant_id, customer_id, created_at desc, id desc);
create index if not exists account_actions_actor_idx on app_public.account_actions (actor_user_id);
do $$
begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.account_actions'::regclass) then
    perform app_private.secure_table('app_public.account_actions');
    perform app_private.enforce_active_tenant('app_public.account_actions');
  end if;
end $$;
comment on table app_public.account_actions is E'@unique id\nThe action log of an account: open, a change of its limit or terms, suspend, reactivate, write-off, an invoice voided — each with its reason and the account before and after. Never changed.';
comment on column app_public.account_actions.tenant_id is '@behavior -*';
comment on constraint account_actions_pkey on app_public.account_actions is '@behavior -single -update -delete';
comment on constraint account_actions_tenant_id_fkey on app_public.account_actions is E'@fieldName tenant\n@foreignFieldName accountActions';
comment on constraint account_actions_tenant_id_customer_id_fkey on app_public.account_actions is E'@fieldName account\n@foreignFieldName actions';
comment on constraint account_actions_actor_user_id_fkey on app_public.account_actions is E'@fieldName actor\n@foreignFieldName accountActionsMade';
comment on column app_public.account_actions.before is 'The account before the action (credit limit, payment terms, status, balance); null when it opened.';
comment on column app_public.account_actions.after is 'The account after the action.';
comment on column app_public.account_actions.actor_user_id is 'Who did it; null when the worker did (the overdue sweep).';

------------------------------------------------------------------------------------------------
-- The ledger

-- What a customer owes is the sum of its entries, never a stored number: a sale on account adds its
-- total, a void or refund of it takes back (credit note), a payment or a write-off takes off.
create table if not exists app_public.account_entries (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  customer_id text not null,
  kind text not null check (kind in ('sale', 'credit_note', 'payment', 'write_off', 'refund')),
  -- Positive: the customer owes more (a sale, credit paid back); negative: less.
  amount bigint not null check (amount <> 0),
  -- Of amount, the part before tax and the tax (sales and credit notes; 0 for payments and write-offs).
  net_amount bigint not null default 0,
  tax_amount bigint not null default 0,
  tax_rate_bps int,
  order_id text,
  tender_id text,
  refund_tender_id text,
  payment_id text,
  memo text check (length(memo) <= 500),
  business_date date not null,
  created_by_user_id text references app_public.users on delete set null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, customer_id) references app_public.customer_accounts (tenant_id, customer_id),
  foreign key (tenant_id, order_id) references app_public.orders (tenant_id, id),
  foreign key (tenant_id, tender_id) references app_public.tenders (tenant_id, id),
  foreign key (tenant_id, refund_tender_id) references app_public.refund_tenders (tenant_id, id),
  check ((kind in ('sale', 'refund')) = (amount > 0)),
  check (kind not in ('sale', 'credit_note') or (order_id is not null and net_amount + tax_amount = amount)),
  check ((kind = 'sale') = (tender_id is not null)),
  check ((kind = 'credit_note') = (refund_tender_id is not null)),
  check ((kind = 'payment') = (payment_id is not null))
);
create index if not exists account_entries_customer_idx on app_public.account_entries (tenant_id, customer_id, business_date, id);
create unique index if not exists account_entries_tender_idx on app_public.account_entries (tenant_id, tender_id) where tender_id is not null;
create unique index if not exists account_entries_refund_tender_idx on app_public.account_entries (tenant_id, refund_tender_id) where refund_tender_id is not null;
create index if not exists account_entries_order_idx on app_public.account_entries (tenant_id, order_id) where order_id is not null;
create index if not exists account_entries_created_by_idx on app_public.account_entries (created_by_user_id);
do $$
begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.account_entries'::regclass) then
    perform app_private.secure_table('app_public.account_entries');
    perform app_private.enforce_active_tenant('app_public.account_entries');
  end if;
end $$;
comment on table app_public.account_entries is E'@unique id\nThe ledger of an account: a sale on account, a credit note (a void or refund of one), a payment, a write-off, credit paid back (refund). Its sum is the balance. Written by the database only; never changed.';
comment on column app_public.account_entries.tenant_id is '@behavior -*';
comment on constraint account_entries_pkey on app_public.account_entries is '@behavior -single -update -delete';
comment on constraint account_entries_tenant_id_fkey on app_public.account_entries is E'@fieldName tenant\n@foreignFieldName accountEntries';
comment on constraint account_entries_tenant_id_customer_id_fkey on app_public.account_entries is E'@fieldName account\n@foreignFieldName entries';
comment on constraint account_entries_tenant_id_order_id_fkey on app_public.account_entries is E'@fieldName order\n@foreignFieldName accountEntries';
comment on constraint account_entries_tenant_id_tender_id_fkey on app_public.account_entries is E'@fieldName tender\n@foreignFieldName accountEntries';
comment on constraint account_entries_tenant_id_refund_tender_id_fkey on app_public.account_entries is E'@fieldName refundTender\n@foreignFieldName accountEntries';
comment on constraint account_entries_created_by_user_id_fkey on app_public.account_entries is E'@fieldName createdBy\n@foreignFieldName accountEntriesMade';
comment on column app_public.account_entries.amount is 'In minor units of the business''s currency: positive adds to what the customer owes (a sale, credit paid back), negative takes off (credit note, payment, write-off).';
comment on column app_public.account_entries.business_date is 'The day it counts on: the sale''s or refund''s business date, the day a payment was received.';

-- Payments received on an account (at the counter or by bank transfer).
create table if not exists app_public.account_payments (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  customer_id text not null,
  amount bigint not null check (amount > 0 and amount <= 100000000000),
  method text not null check (method in ('cash', 'card', 'bank_transfer')),
  reference text check (length(reference) between 1 and 100),
  received_on date not null,
  recorded_by_user_id text references app_public.users on delete set null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, customer_id) references app_public.customer_accounts (tenant_id, customer_id)
);
create index if not exists account_payments_customer_idx on app_public.account_payments (tenant_id, customer_id, received_on desc, id desc);
create index if not exists account_payments_recorded_by_idx on app_public.account_payments (recorded_by_user_id);
do $$
begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.account_payments'::regclass) then
    perform app_private.secure_table('app_public.account_payments');
    perform app_private.enforce_active_tenant('app_public.account_payments');
  end if;
end $$;
comment on table app_public.account_payments is E'@unique id\nA payment received on an account; allocated to its oldest open invoices first. Written by recordAccountPayment; never changed.';
comment on column app_public.account_payments.tenant_id is '@behavior -*';
comment on constraint account_payments_pkey on app_public.account_payments is '@behavior -single -update -delete';
comment on constraint account_payments_tenant_id_fkey on app_public.account_payments is E'@fieldName tenant\n@foreignFieldName accountPayments';
comment on constraint account_payments_tenant_id_customer_id_fkey on app_public.account_payments is E'@fieldName account\n@foreignFieldName payments';
comment on constraint account_payments_recorded_by_user_id_fkey on app_public.account_payments is E'@fieldName recordedBy\n@foreignFieldName accountPaymentsRecorded';
comment on column app_public.account_payments.method is 'cash, card or bank_transfer.';
comment on column app_public.account_payments.reference is 'The bank reference or a note that identifies the payment.';

alter table app_public.account_entries drop constraint if exists account_entries_payment_fkey;
alter table app_public.account_entries add constraint account_entries_payment_fkey
  foreign key (tenant_id, payment_id) references app_public.account_payments (tenant_id, id);
create unique index if not exists account_entries_payment_idx on app_public.account_entries (tenant_id, payment_id) where payment_id is not null;
comment on constraint account_entries_payment_fkey on app_public.account_entries is E'@fieldName payment\n@foreignFieldName entries';

------------------------------------------------------------------------------------------------
-- Invoices

create table if not exists app_public.account_invoices (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  customer_id text not null,
  invoice_number text not null check (invoice_number ~ '^INV-[0-9]{4}-[0-9]{5,}$'),
  -- The business dates of the sales and credit notes it gathers.
  period_start date not null,
  period_end date not null check (period_end >= period_start),
  issued_on date not null,
  due_on date not null check (due_on >= issued_on),
  -- open, paid or void; overdue is open past its due date (derived, app_public.account_invoices_state).
  status text not null default 'open' check (status in ('open', 'paid', 'void')),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  net_total bigint not null,
  tax_total bigint not null,
  total bigint not null check (total = net_total + tax_total and total > 0),
  -- What payments and write-offs cover of it (account_allocations), kept by the allocation.
  amount_paid bigint not null default 0 check (amount_paid between 0 and total),
  -- monthly (the cron task) or on_demand (a member asked).
  source text not null check (source in ('monthly', 'on_demand')),
  voided_at timestamptz,
  void_reason text check (length(void_reason) between 1 and 500),
  voided_by_user_id text references app_public.users on delete set null,
  created_by_user_id text references app_public.users on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, invoice_number),
  foreign key (tenant_id, customer_id) references app_public.customer_accounts (tenant_id, customer_id),
  check ((status = 'void') = (voided_at is not null and void_reason is not null)),
  check (status <> 'paid' or amount_paid = total)
);
create index if not exists account_invoices_customer_idx on app_public.account_invoices (tenant_id, customer_id, issued_on desc, id desc);
-- The allocation's order: the account's open invoices, oldest due first.
create index if not exists account_invoices_open_idx on app_public.account_invoices (tenant_id, customer_id, due_on, invoice_number) where status = 'open';
create index if not exists account_invoices_status_idx on app_public.account_invoices (tenant_id, status, due_on);
create index if not exists account_invoices_voided_by_idx on app_public.account_invoices (voided_by_user_id);
create index if not exists account_invoices_created_by_idx on app_public.account_invoices (created_by_user_id);
do $$
begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.account_invoices'::regclass) then
    perform app_private.secure_table('app_public.account_invoices');
    perform app_private.enforce_active_tenant('app_public.account_invoices');
  end if;
end $$;
comment on table app_public.account_invoices is E'@unique id\nAn invoice of an account: the sales on account and credit notes of a period, with tax per rate and a due date from the payment terms. Made by the monthly run or invoiceCustomerAccount; paid by allocations; voided with a reason.';
comment on column app_public.account_invoices.tenant_id is '@behavior -*';
comment on constraint account_invoices_pkey on app_public.account_invoices is '@behavior -single -update -delete';
comment on constraint account_invoices_tenant_id_fkey on app_public.account_invoices is E'@fieldName tenant\n@foreignFieldName accountInvoices';
comment on constraint account_invoices_tenant_id_customer_id_fkey on app_public.account_invoices is E'@fieldName account\n@foreignFieldName invoices';
comment on constraint account_invoices_tenant_id_invoice_number_key on app_public.account_invoices is '@behavior -single';
comment on constraint account_invoices_voided_by_user_id_fkey on app_public.account_invoices is E'@fieldName voidedBy\n@foreignFieldName accountInvoicesVoided';
comment on constraint account_invoices_created_by_user_id_fkey on app_public.account_invoices is E'@fieldName createdBy\n@foreignFieldName accountInvoicesCreated';
comment on column app_public.account_invoices.invoice_number is 'INV-YYYY-NNNNN: the year it was issued and a number counted per business and year, without gaps.';
comment on column app_public.account_invoices.status is 'open, paid or void (stored); see state for overdue.';
comment on column app_public.account_invoices.amount_paid is 'What payments and write-offs allocated to it cover, in minor units.';
comment on column app_public.account_invoices.source is 'monthly (the 02:00 run on the 1st) or on_demand.';

-- The ledger entries an invoice gathers: each sale or credit note on one live invoice at most (a
-- voided invoice lets its entries go, to the next one).
create table if not exists app_public.account_invoice_lines (
  tenant_id text not null references app_public.tenants on delete cascade,
  invoice_id text not null,
  entry_id text not null,
  line_no int not null check (line_no > 0),
  description text not null,
  net_amount bigint not null,
  tax_amount bigint not null,
  tax_rate_bps int,
  amount bigint not null check (amount = net_amount + tax_amount),
  primary key (tenant_id, invoice_id, line_no),
  foreign key (tenant_id, invoice_id) references app_public.account_invoices (tenant_id, id),
  foreign key (tenant_id, entry_id) references app_public.account_entries (tenant_id, id)
);
create index if not exists account_invoice_lines_entry_idx on app_public.account_invoice_lines (tenant_id, entry_id);
do $$
begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.account_invoice_lines'::regclass) then
    perform app_private.secure_table('app_public.account_invoice_lines');
    perform app_private.enforce_active_tenant('app_public.account_invoice_lines');
  end if;
end $$;
comment on table app_public.account_invoice_lines is E'A line of an invoice: one sale on account or credit note, with its net amount, tax and rate.';
comment on column app_public.account_invoice_lines.tenant_id is '@behavior -*';
comment on constraint account_invoice_lines_pkey on app_public.account_invoice_lines is '@behavior -single -update -delete';
comment on constraint account_invoice_lines_tenant_id_fkey on app_public.account_invoice_lines is E'@fieldName tenant\n@foreignFieldName accountInvoiceLines';
comment on constraint account_invoice_lines_tenant_id_invoice_id_fkey on app_public.account_invoice_lines is E'@fieldName invoice\n@foreignFieldName lines';
comment on constraint account_invoice_lines_tenant_id_entry_id_fkey on app_public.account_invoice_lines is E'@fieldName entry\n@foreignFieldName invoiceLines';

-- Which entries are on a live invoice: one row per entry (the primary key), removed when its
-- invoice is voided. What makes "uninvoiced" exact and an entry invoiced once under concurrency.
create table if not exists app_private.invoiced_entries (
  tenant_id text not null references app_public.tenants on delete cascade,
  entry_id text not null,
  invoice_id text not null,
  primary key (tenant_id, entry_id),
  foreign key (tenant_id, entry_id) references app_public.account_entries (tenant_id, id),
  foreign key (tenant_id, invoice_id) references app_public.account_invoices (tenant_id, id)
);
create index if not exists invoiced_entries_invoice_idx on app_private.invoiced_entries (tenant_id, invoice_id);
do $$
begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_private.invoiced_entries'::regclass) then
    perform app_private.secure_table('app_private.invoiced_entries');
  end if;
end $$;
comment on table app_private.invoiced_entries is 'The ledger entries on a live invoice (one row each); removed when the invoice is voided.';

-- What a payment or write-off (a negative entry) covers of an invoice.
create table if not exists app_public.account_allocations (
  tenant_id text not null references app_public.tenants on delete cascade,
  entry_id text not null,
  invoice_id text not null,
  amount bigint not null check (amount > 0),
  created_at timestamptz not null default now(),
  primary key (tenant_id, entry_id, invoice_id),
  foreign key (tenant_id, entry_id) references app_public.account_entries (tenant_id, id),
  foreign key (tenant_id, invoice_id) references app_public.account_invoices (tenant_id, id)
);
create index if not exists account_allocations_invoice_idx on app_public.account_allocations (tenant_id, invoice_id);
do $$
begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.account_allocations'::regclass) then
    perform app_private.secure_table('app_public.account_allocations');
    perform app_private.enforce_active_tenant('app_public.account_allocations');
  end if;
end $$;
comment on table app_public.account_allocations is E'What a payment or write-off covers of an invoice: oldest open invoices first (app_private.allocate_account_credit).';
comment on column app_public.account_allocations.tenant_id is '@behavior -*';
comment on constraint account_allocations_pkey on app_public.account_allocations is '@behavior -single -update -delete';
comment on constraint account_allocations_tenant_id_fkey on app_public.account_allocations is E'@fieldName tenant\n@foreignFieldName accountAllocations';
comment on constraint account_allocations_tenant_id_entry_id_fkey on app_public.account_allocations is E'@fieldName entry\n@foreignFieldName allocations';
comment on constraint account_allocations_tenant_id_invoice_id_fkey on app_public.account_allocations is E'@fieldName invoice\n@foreignFieldName allocations';

-- Types the functions return (the functions are in the fixtures).
do $$
begin
  if to_regtype('app_public.account_invoice_tax') is null then
    create type app_public.account_invoice_tax as (tax_rate_bps int, net_amount bigint, tax_amount bigint);
  end if;
  if to_regtype('app_public.account_statement_line') is null then
    create type app_public.account_statement_line as (
      line_date date, kind text, reference text, description text, debit bigint, credit bigint, balance bigint);
  end if;
  if to_regtype('app_public.receivables_aging_row') is null then
    create type app_public.receivables_aging_row as (
      customer_id text, account_number text, customer_name text, current bigint, days_1_to_30 bigint,
      days_31_to_60 bigint, days_61_to_90 bigint, days_90_plus bigint, total bigint);
  end if;
end $$;
comment on type app_public.account_invoice_tax is 'The net amount and tax of an invoice''s lines at one tax rate.';
comment on type app_public.account_statement_line is 'A line of an account statement: the opening balance, a sale, credit note, payment or write-off, the closing balance; debit adds to what is owed, credit takes off, balance runs.';
comment on type app_public.receivables_aging_row is 'What an account owes by age: current (not yet due, and not yet invoiced, less unallocated credit) and days past due.';

--! Included identity/200-current-session.sql
-- Who is asking: the helpers every policy and command uses. Sessions are rows with a secret id;
-- the server puts only that secret in the request settings (app.session_id) and everything else
-- (user, tenant, permissions) is derived here, never taken from the client.
--
-- Why PL/pgSQL for one-statement helpers: as LANGUAGE sql with a SET clause they are never
-- inlined, and PostgreSQL parses and plans the body of a non-inlined SQL function again at every
-- call. The restrictive active_tenant_* policies evaluate current_suspended_tenant_id() (→
-- current_tenant_id() → current_session_id()) once per statement on every tenant table, about 15
-- times per placed order: 0.53 ms a call as SQL, 0.03 ms in PL/pgSQL, which keeps the plans of its
-- queries for the session (measured by bench/cases/ingestion.ts: the ratio of orders/s with the
-- consumers on to off went from 0.56 to 0.70). current_permissions() (0.9 ms a call as SQL) and
-- has_permission() are the same case for reads.

/*
 * The permissions a tenant role may carry. customers.erase answers a customer's own data request
 * (download everything held about them, erase their personal data: customers/495-data-requests.sql);
 * only owners have it by default. accounts.view reads customers' accounts (balances, invoices,
 * statements) and accounts.manage acts on them (accounts/7xx); selling on account needs only sales.sell.
 */
create or replace function app_hidden.all_permissions() returns text[]
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select array[
    'customers.view', 'customers.create', 'customers.update', 'customers.merge', 'customers.import', 'customers.erase',
    'sales.sell', 'sales.void', 'catalog.manage', 'inventory.manage',
    'accounts.view', 'accounts.manage',
    'reports.view', 'reports.export',
    'settings.view', 'settings.update'
  ]::text[];
$$;
comment on function app_hidden.all_permissions() is 'Every permission a tenant role can carry.';

/*
 * Sessions are found by the SHA-256 of their secret: the secret itself (the cookie value, which
 * the server puts in app.session_id) is never stored, so a backup, a replica or a log of the
 * sessions table cannot be replayed as someone's cookie. A uuid from gen_random_uuid() has 122
 * random bits, so a fast hash is enough (nothing to guess, unlike a password).
 */
create or replace function app_hidden.session_secret_hash(secret uuid) returns bytea
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select sha256(convert_to(secret::text, 'UTF8'));
$$;
comment on function app_hidden.session_secret_hash(uuid) is 'The SHA-256 under which the session with this secret is stored.';

/* The hash of the session secret in the request settings, or null when absent or malformed. */
create or replace function app_hidden.current_session_hash() returns bytea
language plpgsql stable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
declare
  s text := current_setting('app.session_id', true);
begin
  if s ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then
    return app_hidden.session_secret_hash(s::uuid);
  end if;
  return null;
end;
$$;
comment on function app_hidden.current_session_hash() is 'The SHA-256 of the session secret of this request, if any.';

/* The id of this request's session (not its secret), or null. */
create or replace function app_hidden.current_session_id() returns uuid
language plpgsql stable security definer parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
begin
  return (select s.id from app_private.sessions s where s.secret_hash = app_hidden.current_session_hash());
end;
$$;
comment on function app_hidden.current_session_id() is 'The id of the session of this request (a row id, not the secret), if any.';

/*
 * A new session of a user in a tenant: stores the hash of a new secret and returns the secret,
 * which only the caller (the server, for the cookie) ever sees.
 */
create or replace function app_private.new_session(user_id text, tenant_id text) returns uuid
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  secret uuid := gen_random_uuid();
begin
  insert into app_private.sessions (user_id, active_tenant_id, secret_hash)
  values (new_session.user_id, new_session.tenant_id, app_hidden.session_secret_hash(secret));
  return secret;
end;
$$;
comment on function app_private.new_session(text, text) is 'Starts a session; returns its secret (the cookie value), of which only the hash is stored.';

/* The signed-in user, from an unexpired session. */
create or replace function app_hidden.current_user_id() returns text
language plpgsql stable security definer parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
begin
  return (select s.user_id from app_private.sessions s
          where s.secret_hash = app_hidden.current_session_hash() and s.expires_at > now());
end;
$$;
comment on function app_hidden.current_user_id() is 'The signed-in user, from an unexpired session.';

/* The session's active tenant, only while the user is still a member of it. */
create or replace function app_hidden.current_tenant_id() returns text
language plpgsql stable security definer parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
begin
  return (select s.active_tenant_id
          from app_private.sessions s
          join app_public.memberships m on m.tenant_id = s.active_tenant_id and m.user_id = s.user_id
          where s.secret_hash = app_hidden.current_session_hash() and s.expires_at > now());
end;
$$;
comment on function app_hidden.current_tenant_id() is 'The tenant the signed-in user works in, while they are still a member of it.';

/* The permissions of the user's role in the current tenant (empty when none). */
create or replace function app_hidden.current_permissions() returns text[]
language plpgsql stable security definer parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
begin
  return (select coalesce(r.permissions, '{}')
          from app_private.sessions s
          join app_public.memberships m on m.tenant_id = s.active_tenant_id and m.user_id = s.user_id
          join app_public.roles r on r.tenant_id = m.tenant_id and r.id = m.role_id
          where s.secret_hash = app_hidden.current_session_hash() and s.expires_at > now());
end;
$$;
comment on function app_hidden.current_permissions() is 'Permissions of the signed-in user in the current tenant.';

create or replace function app_hidden.has_permission(permission text) returns boolean
language plpgsql stable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
begin
  return coalesce(has_permission.permission = any(app_hidden.current_permissions()), false);
end;
$$;
comment on function app_hidden.has_permission(text) is 'Whether the signed-in user holds this permission in the current tenant.';

/* Raises LOGIN without a session in a tenant, TSUSP when it is suspended, DNIED without the permission; returns the tenant id. */
create or replace function app_hidden.assert_permission(permission text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.current_tenant_id();
begin
  if tenant is null then
    perform app_hidden.raise_error('LOGIN', 'Please sign in to continue.');
  end if;
  -- A suspended business may only read and pay (TSUSP; app_hidden.assert_tenant_active).
  perform app_hidden.assert_tenant_active();
  if not app_hidden.has_permission(permission) then
    perform app_hidden.raise_error('DNIED', format('Your role does not allow this (it needs the %s permission).', permission));
  end if;
  return tenant;
end;
$$;

/* Tenants the signed-in user belongs to (for the tenant switcher). */
create or replace function app_hidden.current_user_tenant_ids() returns setof text
language sql stable security definer parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select m.tenant_id from app_public.memberships m where m.user_id = app_hidden.current_user_id();
$$;

/* (tenant, role) of each membership of the signed-in user. */
create or replace function app_hidden.current_user_roles() returns table (tenant_id text, role_id text)
language sql stable security definer parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select m.tenant_id, m.role_id from app_public.memberships m where m.user_id = app_hidden.current_user_id();
$$;
--! EndIncluded identity/200-current-session.sql
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
  -- Its orders are dated on its clock: once it has any, the time zone is part of their record.
  if tg_op = 'UPDATE' and new.timezone is distinct from old.timezone
     and exists (select 1 from app_public.orders o where o.tenant_id = new.tenant_id and o.location_id = new.id) then
    perform app_hidden.raise_error('TZFIX',
      format('%s has sales dated on its clock (%s): its time zone cannot change. Open a new location for another time zone.', old.name, old.timezone),
      field => 'timezone');
  end if;
  return new;
end;
$$;

create or replace trigger _050_validate before insert or update on app_public.locations
  for each row execute function app_private.tg_locations__validate();

create or replace trigger _100_timestamps before insert or update on app_public.locations
  for each row execute function app_private.tg__timestamps();

/* The business's name as stored: trimmed, 1 to 200 characters, no control characters (BADIN naming it). */
create or replace function app_private.tg_tenants__validate_name() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  new.name := app_hidden.assert_name('Business name', new.name, 200, 'name');
  return new;
end;
$$;

create or replace trigger _050_validate_name before insert or update of name on app_public.tenants
  for each row execute function app_private.tg_tenants__validate_name();

/* The receipt's address and footer: trimmed, blank is none, at most 500 characters each. */
create or replace function app_private.tg_tenants__validate_receipt() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  new.receipt_address := nullif(btrim(new.receipt_address), '');
  new.receipt_footer := nullif(btrim(new.receipt_footer), '');
  if length(new.receipt_address) > 500 then
    perform app_hidden.raise_error('BADIN', 'The receipt address can have at most 500 characters.', field => 'receiptAddress');
  end if;
  if length(new.receipt_footer) > 500 then
    perform app_hidden.raise_error('BADIN', 'The receipt footer can have at most 500 characters.', field => 'receiptFooter');
  end if;
  return new;
end;
$$;

create or replace trigger _050_validate_receipt before insert or update of receipt_address, receipt_footer on app_public.tenants
  for each row execute function app_private.tg_tenants__validate_receipt();

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
grant update (name, default_country, tax_rate_bps, currency, locale, receipt_address, receipt_footer, account_overdue_suspend_days)
  on app_public.tenants to :DATABASE_VISITOR;

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

------------------------------------------------------------------------------------------------
-- Closing and reopening a location

/*
 * Closes a location (needs settings.update): it sells nothing more and drops out of the pickers;
 * its orders, stock and reports stay. Refused while it has a cash drawer or orders open (close or
 * finish them first), and for the business's last open location.
 */
create or replace function app_public.close_location(location_id text) returns app_public.locations
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  loc app_public.locations;
begin
  -- The tenant's locations are locked together, so two closes at once cannot close the last two.
  perform 1 from app_public.locations l where l.tenant_id = tenant order by l.id for update;
  select l.* into loc from app_public.locations l where l.tenant_id = tenant and l.id = close_location.location_id;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no location %s.', left(close_location.location_id, 40)));
  end if;
  if loc.closed_at is not null then
    return loc;
  end if;
  if not exists (select 1 from app_public.locations l where l.tenant_id = tenant and l.id <> loc.id and l.closed_at is null) then
    perform app_hidden.raise_error('BADIN', format('%s is the business''s only open location: open another before closing it.', loc.name));
  end if;
  if exists (select 1 from app_public.cash_drawers d where d.tenant_id = tenant and d.location_id = loc.id and d.closed_at is null) then
    perform app_hidden.raise_error('BADIN', format('The cash drawer of %s is open: count and close it first.', loc.name));
  end if;
  if exists (select 1 from app_public.orders o where o.tenant_id = tenant and o.location_id = loc.id and o.status = 'open') then
    perform app_hidden.raise_error('BADIN', format('%s has open orders: take their payment or cancel them first.', loc.name));
  end if;
  update app_public.locations l set closed_at = now() where l.tenant_id = tenant and l.id = loc.id returning * into loc;
  return loc;
end;
$$;
comment on function app_public.close_location(text) is
  E'@resultFieldName location\nCloses a location (needs settings.update): it sells nothing more and leaves the pickers; its history stays. Refused while its cash drawer or orders are open, and for the only open location.';

/* Reopens a closed location (needs settings.update); LIMIT when the plan's open locations are all taken. */
create or replace function app_public.reopen_location(location_id text) returns app_public.locations
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('settings.update');
  loc app_public.locations;
begin
  select l.* into loc from app_public.locations l where l.tenant_id = tenant and l.id = reopen_location.location_id for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no location %s.', left(reopen_location.location_id, 40)));
  end if;
  if loc.closed_at is null then
    return loc;
  end if;
  -- An open location takes a place of the plan's (a closed one does not).
  perform app_private.assert_within_plan_limit(tenant, 'locations');
  update app_public.locations l set closed_at = null where l.tenant_id = tenant and l.id = loc.id returning * into loc;
  return loc;
end;
$$;
comment on function app_public.reopen_location(text) is E'@resultFieldName location\nOpens a closed location again (needs settings.update).';

/* The location, if it is open; LCLSD when it is closed (selling and opening a drawer need an open location). */
create or replace function app_private.assert_location_open(loc app_public.locations) returns void
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if loc.closed_at is not null then
    perform app_hidden.raise_error('LCLSD', format('%s is closed: reopen it in Settings to sell there.', loc.name), field => 'locationId');
  end if;
end;
$$;
--! EndIncluded identity/201-tenants-users-locations.sql
--! Included customers/415-companies-and-contacts.sql
-- Company accounts and their contacts (issue 16).
--
-- A customer is a person or a company (customers.kind). A company has a name (its display
-- name, customers/401-display-name.sql), a tax ID, a website, a credit limit and payment terms
-- in its currency, internal notes, and default billing and shipping addresses chosen among its
-- addresses; any customer has an account status (active, inactive, suspended with a reason)
-- beside its life-cycle status (active, archived, merged, erased). create_customer and
-- update_customer read these fields through app_hidden.checked_company_fields below, so the
-- two cannot disagree; the table's checks hold the same rules for every other writer.
--
-- Contacts (customer_contacts) are the people of a company, written only through the commands
-- here (customers.update), audited. Exactly one of them is the primary contact once there is
-- any: at most one by a partial unique index, at least one because the first contact becomes
-- primary and the primary can only be removed or replaced by making another one primary. The
-- trigger that moves the flag first locks the company's row, so two concurrent "set primary"
-- (or two first contacts) take turns instead of both seeing "no other primary".

------------------------------------------------------------------------------------------------
-- Company fields

/*
 * A tax ID as stored: upper-case letters and digits, spaces, dots, dashes and slashes dropped,
 * 2 to 30 characters. Checked against its country's format where the rule is simple: a VAT
 * number with an EU or UK prefix (DE123456789), and a US EIN (9 digits) for a US business;
 * other numbers are free text. Null for blank input. Raises BADTX.
 */
create or replace function app_hidden.normalize_tax_id(tax_id text, country text) returns text
language plpgsql immutable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  t text := upper(regexp_replace(coalesce(tax_id, ''), '[\s.\-/]', '', 'g'));
  pattern text;
  example text;
begin
  if t = '' then
    return null;
  end if;
  if t !~ '^[A-Z0-9]{2,30}$' then
    perform app_hidden.raise_error('BADTX', format(
      'Tax ID: "%s" must be 2 to 30 letters and digits (spaces, dots and dashes are ignored).', left(tax_id, 40)), field => 'tax_id');
  end if;
  select r.pattern, r.example into pattern, example
  from (values
    ('AT', '^ATU[0-9]{8}$', 'ATU12345678'), ('BE', '^BE[01][0-9]{9}$', 'BE0123456789'),
    ('DE', '^DE[0-9]{9}$', 'DE123456789'), ('DK', '^DK[0-9]{8}$', 'DK12345678'),
    ('ES', '^ES[0-9A-Z][0-9]{7}[0-9A-Z]$', 'ESX1234567X'), ('FI', '^FI[0-9]{8}$', 'FI12345678'),
    ('FR', '^FR[0-9A-Z]{2}[0-9]{9}$', 'FR12345678901'), ('GB', '^GB([0-9]{9}|[0-9]{12})$', 'GB123456789'),
    ('IE', '^IE[0-9][0-9A-Z+*][0-9]{5}[A-Z]{1,2}$', 'IE1234567T'), ('IT', '^IT[0-9]{11}$', 'IT12345678901'),
    ('LU', '^LU[0-9]{8}$', 'LU12345678'), ('NL', '^NL[0-9]{9}B[0-9]{2}$', 'NL123456789B01'),
    ('PL', '^PL[0-9]{10}$', 'PL1234567890'), ('PT', '^PT[0-9]{9}$', 'PT123456789'),
    ('SE', '^SE[0-9]{12}$', 'SE123456789001')
  ) r(prefix, pattern, example)
  where r.prefix = left(t, 2);
  if pattern is null and upper(country) = 'US' and t ~ '^[0-9]+$' then
    pattern := '^[0-9]{9}$';
    example := '12-3456789';
  end if;
  if pattern is not null and t !~ pattern then
    perform app_hidden.raise_error('BADTX', format(
      'Tax ID: "%s" is not a valid number of its country; it looks like %s.', left(tax_id, 40), example), field => 'tax_id');
  end if;
  return t;
end;
$$;
comment on function app_hidden.normalize_tax_id(text, text) is 'A tax ID as stored (upper-case letters and digits), checked for EU/UK VAT prefixes and US EINs; raises BADTX.';

/* A website as stored: https:// added when no scheme is given; http(s) only, a host with a dot, at most 200 characters. Null for blank input; BADIN otherwise. */
create or replace function app_hidden.normalize_website(website text) returns text
language plpgsql immutable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  w text := btrim(coalesce(website, ''));
begin
  if w = '' then
    return null;
  end if;
  if w !~* '^[a-z][a-z0-9+.\-]*://' then
    w := 'https://' || w;
  end if;
  w := regexp_replace(w, '^([A-Za-z]+)://', '\1://');
  w := lower(split_part(w, '://', 1)) || '://' || substr(w, length(split_part(w, '://', 1)) + 4);
  if w !~ '^https?://[^\s/?#]+\.[^\s/?#]+[^\s]*$' or length(w) > 200 then
    perform app_hidden.raise_error('BADIN', format(
      'Website: "%s" is not a web address such as shop.example.com or https://shop.example.com.', left(website, 60)), field => 'website');
  end if;
  return w;
end;
$$;
comment on function app_hidden.normalize_website(text) is 'A website as stored (https:// added when no scheme was given); BADIN unless it is an http(s) address.';

/*
 * A customer's company and account fields checked and cleaned, as create_customer and
 * update_customer write them: kind (person or company), the company fields (NOTCO on a person,
 * but for the credit limit and terms of a person's account; a company needs its name), the currency (the business's when not given), credit limit and
 * payment terms in range, internal notes, the account status with its reason (SUSRN when
 * suspended without one; the reason goes when the account is not suspended), and the default
 * billing and shipping addresses, which must be the customer's own (NOTFD).
 */
create or replace function app_hidden.checked_company_fields(c app_public.customers) returns app_public.customers
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  country text;
  business_currency text;
begin
  select t.default_country, t.currency into country, business_currency from app_public.tenants t where t.id = c.tenant_id;
  c.kind := coalesce(lower(btrim(c.kind)), 'person');
  if c.kind not in ('person', 'company') then
    perform app_hidden.raise_error('BADIN', 'Kind must be person or company.', field => 'kind');
  end if;
  c.company_name := app_hidden.optional_name('Company name', c.company_name, 200, 'company_name');
  c.tax_id := app_hidden.normalize_tax_id(c.tax_id, country);
  c.website := app_hidden.normalize_website(c.website);
  c.currency := case when nullif(btrim(c.currency), '') is not null then app_hidden.currency_code(c.currency) end;
  if c.kind = 'person' then
    -- A person may hold an account (accounts/700): then its credit limit and terms are the account's.
    if c.company_name is not null or c.tax_id is not null or c.website is not null or c.currency is not null
       or ((c.credit_limit is not null or c.payment_terms_days is not null)
           and not exists (select 1 from app_public.customer_accounts a where a.tenant_id = c.tenant_id and a.customer_id = c.id)) then
      perform app_hidden.raise_error('NOTCO',
        'Company name, tax ID, website, credit limit, payment terms and currency belong to companies: make this customer a company first.',
        field => case when c.company_name is not null then 'company_name' when c.tax_id is not null then 'tax_id'
                      when c.website is not null then 'website' when c.credit_limit is not null then 'credit_limit'
                      when c.payment_terms_days is not null then 'payment_terms_days' else 'currency' end);
    end if;
  else
    if c.company_name is null then
      perform app_hidden.raise_error('BADIN', 'Company name is required for a company.', field => 'company_name');
    end if;
    c.currency := coalesce(c.currency, business_currency);
  end if;
  if c.credit_limit < 0 or c.credit_limit > 100000000000 then
    perform app_hidden.raise_error('BADIN', 'Credit limit must be between 0 and 1,000,000,000 in the currency''s units.', field => 'credit_limit');
  end if;
  if c.payment_terms_days not between 0 and 365 then
    perform app_hidden.raise_error('BADIN', 'Payment terms must be between 0 and 365 days.', field => 'payment_terms_days');
  end if;
  c.internal_notes := app_hidden.optional_text('Internal notes', c.internal_notes, 2000, 'internal_notes');
  c.account_status := coalesce(lower(btrim(c.account_status)), 'active');
  if c.account_status not in ('active', 'inactive', 'suspended') then
    perform app_hidden.raise_error('BADIN', 'Account status must be active, inactive or suspended.', field => 'account_status');
  end if;
  if c.account_status = 'suspended' then
    c.suspended_reason := app_hidden.optional_text('Suspension reason', c.suspended_reason, 500, 'suspended_reason');
    if c.suspended_reason is null then
      perform app_hidden.raise_error('SUSRN', 'Say why the account is suspended.', field => 'suspended_reason');
    end if;
  else
    c.suspended_reason := null;
  end if;
  c.billing_address_id := nullif(btrim(c.billing_address_id), '');
  c.shipping_address_id := nullif(btrim(c.shipping_address_id), '');
  if c.billing_address_id is not null and not exists (
    select 1 from app_public.customer_addresses a
    where a.tenant_id = c.tenant_id and a.customer_id = c.id and a.id = c.billing_address_id) then
    perform app_hidden.raise_error('NOTFD', 'Billing address: choose one of this customer''s addresses.', field => 'billing_address_id');
  end if;
  if c.shipping_address_id is not null and not exists (
    select 1 from app_public.customer_addresses a
    where a.tenant_id = c.tenant_id and a.customer_id = c.id and a.id = c.shipping_address_id) then
    perform app_hidden.raise_error('NOTFD', 'Shipping address: choose one of this customer''s addresses.', field => 'shipping_address_id');
  end if;
  return c;
end;
$$;
comment on function app_hidden.checked_company_fields(app_public.customers) is
  'A customer''s kind, company and account fields checked and cleaned as the commands write them (BADIN, BADTX, NOTCO, SUSRN, NOTFD naming the field).';

/*
 * Erasing a customer (customers/495-data-requests.sql) also erases its account's internal notes
 * and its contacts: they are people's data.
 */
create or replace function app_private.tg_customers__erase_company_data() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if new.status = 'erased' and old.status <> 'erased' then
    if tg_when = 'BEFORE' then
      new.internal_notes := null;
      new.suspended_reason := case when new.account_status = 'suspended' then 'Erased' end;
    else
      delete from app_public.customer_contacts k where k.tenant_id = new.tenant_id and k.customer_id = new.id;
    end if;
  end if;
  return case when tg_when = 'BEFORE' then new end;
end;
$$;

create or replace trigger _060_erase_company_data before update of status on app_public.customers
  for each row execute function app_private.tg_customers__erase_company_data();
create or replace trigger _300_erase_contacts after update of status on app_public.customers
  for each row execute function app_private.tg_customers__erase_company_data();

------------------------------------------------------------------------------------------------
-- Contacts

/*
 * Every contact written: names, email and phones cleaned (the phones read with the business's
 * country), role and preferred method checked; a contact belongs to a live company customer
 * (NOTCO for a person). The company's row is locked first, so that writers of one company's
 * contacts take turns: then the first contact becomes primary, and a contact made primary
 * takes the flag from the one that had it (which becomes a plain contact). The primary cannot
 * stop being primary by itself (PRIMR): another contact is made primary instead.
 */
create or replace function app_private.tg_customer_contacts__validate() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  country text;
  company_kind text;
begin
  -- The flag being moved away by the statement below: nothing else to check.
  if pg_trigger_depth() > 1 and tg_op = 'UPDATE' and old.role = 'primary' and new.role = 'contact'
     and (old.first_name, old.last_name, old.email, old.phone, old.mobile, old.notes) is not distinct from
         (new.first_name, new.last_name, new.email, new.phone, new.mobile, new.notes) then
    return new;
  end if;
  if tg_op = 'UPDATE' and new.customer_id is distinct from old.customer_id then
    perform app_hidden.raise_error('BADIN', 'A contact cannot move to another customer; add it there instead.', field => 'customer_id');
  end if;
  select c.kind into company_kind from app_public.customers c
  where c.tenant_id = new.tenant_id and c.id = new.customer_id
  for no key update;
  perform app_hidden.assert_live_customer(new.tenant_id, new.customer_id);
  if company_kind <> 'company' then
    perform app_hidden.raise_error('NOTCO', 'Contacts belong to companies: make this customer a company first.', new.customer_id, 'customer_id');
  end if;
  select t.default_country into country from app_public.tenants t where t.id = new.tenant_id;
  new.first_name := app_hidden.optional_name('First name', new.first_name, 100, 'first_name');
  new.last_name := app_hidden.optional_name('Last name', new.last_name, 100, 'last_name');
  new.email := app_hidden.optional_email(new.email);
  new.phone := app_hidden.normalize_phone(new.phone, country);
  new.mobile := app_hidden.normalize_phone(new.mobile, country);
  new.notes := app_hidden.optional_text('Notes', new.notes, 2000, 'notes');
  if new.first_name is null and new.last_name is null and new.email is null then
    perform app_hidden.raise_error('BADIN', 'A contact needs a name or an email.', field => 'first_name');
  end if;
  new.role := coalesce(lower(btrim(new.role)), 'contact');
  if new.role not in ('primary', 'billing', 'shipping', 'contact') then
    perform app_hidden.raise_error('BADIN', 'Role must be primary, billing, shipping or contact.', field => 'role');
  end if;
  new.preferred_contact_method := coalesce(lower(btrim(new.preferred_contact_method)), 'email');
  if new.preferred_contact_method not in ('email', 'phone', 'mobile') then
    perform app_hidden.raise_error('BADIN', 'Preferred contact method must be email, phone or mobile.', field => 'preferred_contact_method');
  end if;
  new.order_updates := coalesce(new.order_updates, false);
  new.marketing_opt_in := coalesce(new.marketing_opt_in, false);

  if tg_op = 'INSERT' then
    if (select count(*) from app_public.customer_contacts k
        where k.tenant_id = new.tenant_id and k.customer_id = new.customer_id) >= 100 then
      perform app_hidden.raise_error('BADIN', 'A company can have at most 100 contacts.');
    end if;
    -- The first contact is the primary one.
    if not exists (select 1 from app_public.customer_contacts k
                   where k.tenant_id = new.tenant_id and k.customer_id = new.customer_id) then
      new.role := 'primary';
    end if;
  elsif old.role = 'primary' and new.role <> 'primary' then
    perform app_hidden.raise_error('PRIMR', 'A company needs a primary contact: make another contact primary instead.', new.id, 'role');
  end if;
  if new.role = 'primary' and (tg_op = 'INSERT' or old.role <> 'primary') then
    update app_public.customer_contacts k set role = 'contact'
    where k.tenant_id = new.tenant_id and k.customer_id = new.customer_id and k.role = 'primary' and k.id <> new.id;
  end if;
  return new;
end;
$$;

create or replace trigger _050_validate before insert or update on app_public.customer_contacts
  for each row execute function app_private.tg_customer_contacts__validate();

create or replace trigger _100_timestamps before insert or update on app_public.customer_contacts
  for each row execute function app_private.tg__timestamps();

create or replace trigger _500_audit after insert or update or delete on app_public.customer_contacts
  for each row execute function app_private.tg__audit('created_at', 'updated_at', 'display_name');

drop policy if exists select_with_permission on app_public.customer_contacts;
create policy select_with_permission on app_public.customer_contacts for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.view')));

revoke all on app_public.customer_contacts from :DATABASE_VISITOR;
grant select on app_public.customer_contacts to :DATABASE_VISITOR;

/* The contact an id names in the tenant, locked; NOTFD when there is none. */
create or replace function app_private.locked_customer_contact(tenant_id text, contact_id text) returns app_public.customer_contacts
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  result app_public.customer_contacts;
begin
  select k.* into result from app_public.customer_contacts k
  where k.tenant_id = locked_customer_contact.tenant_id and k.id = locked_customer_contact.contact_id;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no contact %s.', coalesce(left(contact_id, 40), '(none given)')));
  end if;
  -- The company first, then the contact: the order every contact writer locks in.
  perform 1 from app_public.customers c where c.tenant_id = result.tenant_id and c.id = result.customer_id for no key update;
  select k.* into result from app_public.customer_contacts k
  where k.tenant_id = locked_customer_contact.tenant_id and k.id = locked_customer_contact.contact_id
  for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no contact %s.', left(contact_id, 40)));
  end if;
  return result;
end;
$$;

/* DUPCE for the unique email of a company's contacts; quiet otherwise (the caller re-raises). */
create or replace function app_private.raise_contact_constraint(constraint_name text, email text) returns void
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if constraint_name = 'customer_contacts_email_key' then
    perform app_hidden.raise_error('DUPCE', format('Email: %s is already the email of another contact of this company.', email), field => 'email');
  end if;
end;
$$;

create or replace function app_public.add_customer_contact(
  customer_id text,
  first_name text default null,
  last_name text default null,
  email text default null,
  phone text default null,
  mobile text default null,
  role text default null,
  preferred_contact_method text default null,
  order_updates boolean default null,
  marketing_opt_in boolean default null,
  notes text default null
) returns app_public.customer_contacts
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.update');
  violated text;
  result app_public.customer_contacts;
begin
  perform app_hidden.assert_live_customer(tenant, add_customer_contact.customer_id);
  begin
    insert into app_public.customer_contacts as k (tenant_id, customer_id, first_name, last_name, email, phone, mobile,
      role, preferred_contact_method, order_updates, marketing_opt_in, notes)
    values (tenant, add_customer_contact.customer_id, add_customer_contact.first_name, add_customer_contact.last_name,
      add_customer_contact.email, add_customer_contact.phone, add_customer_contact.mobile, add_customer_contact.role,
      add_customer_contact.preferred_contact_method, add_customer_contact.order_updates,
      add_customer_contact.marketing_opt_in, add_customer_contact.notes)
    returning * into result;
  exception when unique_violation then
    get stacked diagnostics violated = constraint_name;
    perform app_private.raise_contact_constraint(violated, app_hidden.optional_email(add_customer_contact.email));
    raise;
  end;
  return result;
end;
$$;
comment on function app_public.add_customer_contact(text, text, text, text, text, text, text, text, boolean, boolean, text) is
  E'Adds a contact to a company customer (needs customers.update; NOTCO for a person). A name or an email is required; the email must be new among the company''s contacts (DUPCE). The first contact becomes the primary one; a contact added as primary takes the flag.';

create or replace function app_public.update_customer_contact(
  contact_id text,
  first_name text default null,
  last_name text default null,
  email text default null,
  phone text default null,
  mobile text default null,
  role text default null,
  preferred_contact_method text default null,
  order_updates boolean default null,
  marketing_opt_in boolean default null,
  notes text default null
) returns app_public.customer_contacts
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.update');
  cur app_public.customer_contacts := app_private.locked_customer_contact(tenant, update_customer_contact.contact_id);
  violated text;
  result app_public.customer_contacts;
begin
  begin
    update app_public.customer_contacts k set
      first_name = coalesce(update_customer_contact.first_name, k.first_name),
      last_name = coalesce(update_customer_contact.last_name, k.last_name),
      email = coalesce(update_customer_contact.email, k.email),
      phone = coalesce(update_customer_contact.phone, k.phone),
      mobile = coalesce(update_customer_contact.mobile, k.mobile),
      role = coalesce(update_customer_contact.role, k.role),
      preferred_contact_method = coalesce(update_customer_contact.preferred_contact_method, k.preferred_contact_method),
      order_updates = coalesce(update_customer_contact.order_updates, k.order_updates),
      marketing_opt_in = coalesce(update_customer_contact.marketing_opt_in, k.marketing_opt_in),
      notes = coalesce(update_customer_contact.notes, k.notes)
    where k.tenant_id = tenant and k.id = cur.id
    returning * into result;
  exception when unique_violation then
    get stacked diagnostics violated = constraint_name;
    perform app_private.raise_contact_constraint(violated, app_hidden.optional_email(update_customer_contact.email));
    raise;
  end;
  return result;
end;
$$;
comment on function app_public.update_customer_contact(text, text, text, text, text, text, text, text, boolean, boolean, text) is
  E'Changes a contact (needs customers.update). Fields left out stay; an empty string clears a name, email, phone, mobile or notes. Giving the role primary makes it the primary contact; the primary cannot take another role (PRIMR): make another contact primary.';

create or replace function app_public.set_primary_customer_contact(contact_id text) returns app_public.customer_contacts
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.update');
  cur app_public.customer_contacts := app_private.locked_customer_contact(tenant, set_primary_customer_contact.contact_id);
  result app_public.customer_contacts;
begin
  if cur.role = 'primary' then
    return cur;
  end if;
  update app_public.customer_contacts k set role = 'primary'
  where k.tenant_id = tenant and k.id = cur.id
  returning * into result;
  return result;
end;
$$;
comment on function app_public.set_primary_customer_contact(text) is
  'Makes a contact the primary contact of its company (needs customers.update); the one that was primary becomes a plain contact.';

create or replace function app_public.remove_customer_contact(contact_id text) returns app_public.customer_contacts
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.update');
  cur app_public.customer_contacts := app_private.locked_customer_contact(tenant, remove_customer_contact.contact_id);
  successor text;
begin
  delete from app_public.customer_contacts k where k.tenant_id = tenant and k.id = cur.id;
  -- The primary went: the oldest remaining contact takes the flag.
  if cur.role = 'primary' then
    select k.id into successor from app_public.customer_contacts k
    where k.tenant_id = tenant and k.customer_id = cur.customer_id
    order by k.created_at, k.id limit 1;
    if successor is not null then
      update app_public.customer_contacts k set role = 'primary' where k.tenant_id = tenant and k.id = successor;
    end if;
  end if;
  return cur;
end;
$$;
comment on function app_public.remove_customer_contact(text) is
  'Removes a contact from its company (needs customers.update). When it was the primary contact, the oldest remaining one becomes primary.';

/*
 * For the type-ahead: the contact of this company that a search for q found it by (its name,
 * last name or email starts with q), the primary first; null when the company was found by its
 * own fields. Security definer with the search's own patterns; it answers only for the caller's
 * tenant with customers.view.
 */
create or replace function app_public.customers_matched_contact(c app_public.customers, q text) returns app_public.customer_contacts
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.customers_reader_tenant();
  p record;
  result app_public.customer_contacts;
begin
  if tenant is null or c.tenant_id is distinct from tenant or c.kind <> 'company' then
    return null;
  end if;
  p := app_private.customer_search_patterns(tenant, q);
  if p.prefix is null then
    return null;
  end if;
  select k.* into result from app_public.customer_contacts k
  where k.tenant_id = tenant and k.customer_id = c.id
    and (lower(k.display_name) like p.prefix or lower(k.last_name) like p.prefix or k.email like p.prefix)
  order by k.role = 'primary' desc, lower(k.display_name), k.id
  limit 1;
  return result;
end;
$$;
comment on function app_public.customers_matched_contact(app_public.customers, text) is
  'The contact of this company whose name or email starts with q (what searchCustomers found the company by), the primary first; null otherwise.';
--! EndIncluded customers/415-companies-and-contacts.sql
--! Included customers/430-merge.sql
-- Two records of the same person become one. The duplicate's orders, notes
-- and addresses move to the primary, its purchase history joins the primary's, and it stays as
-- status = merged with merged_into_id (never deleted, so old references still resolve). A
-- customer_merges row keeps both snapshots and the moved ids so that a merge can be explained
-- later; customer.merged.v1 tells the consumers. Both customer rows are locked in id order (and
-- the duplicate's orders before them, in the order sales lock orders then customers), so two
-- merges that cross, or a merge and a void, wait for each other instead of deadlocking.

create or replace trigger _500_audit after insert on app_public.customer_merges
  for each row execute function app_private.tg__audit('created_at', 'primary_snapshot', 'duplicate_snapshot', 'result_snapshot');

drop policy if exists select_with_permission on app_public.customer_merges;
create policy select_with_permission on app_public.customer_merges for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.view')));

revoke all on app_public.customer_merges from :DATABASE_VISITOR;
grant select on app_public.customer_merges to :DATABASE_VISITOR;

/*
 * The primary as it will be after absorbing the duplicate (nothing is written): each field is
 * the primary's unless null, then the duplicate's (marketing consent with its time and source);
 * tags are the primary's then the duplicate's others (ignoring case, at most 50); notes are
 * joined when both fit in 2000 characters (else the primary's stay and the merge turns the
 * duplicate's into a note); metadata keys of the primary win; the type is the primary's, else
 * the duplicate's. (The purchase history is combined by app_private.merge_customer_history.)
 */
create or replace function app_hidden.merged_customer(p app_public.customers, d app_public.customers) returns app_public.customers
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  result app_public.customers := p;
  combined_notes text;
  merged_metadata jsonb;
begin
  result.email := coalesce(p.email, d.email);
  result.phone := coalesce(p.phone, d.phone);
  result.first_name := coalesce(p.first_name, d.first_name);
  result.last_name := coalesce(p.last_name, d.last_name);
  result.display_name := app_hidden.customer_display_name(result.company_name, result.first_name, result.last_name, result.email, result.phone);
  if p.marketing_consent is null and d.marketing_consent is not null then
    result.marketing_consent := d.marketing_consent;
    result.marketing_consent_updated_at := d.marketing_consent_updated_at;
    result.marketing_consent_source := d.marketing_consent_source;
  end if;
  select coalesce(jsonb_agg(t.tag order by t.ord), '[]'::jsonb) into result.tags
  from (
    select distinct on (lower(x.tag)) x.tag, x.ord
    from (
      select e.tag, e.ord from jsonb_array_elements_text(p.tags) with ordinality as e(tag, ord)
      union all
      select e.tag, 1000 + e.ord from jsonb_array_elements_text(d.tags) with ordinality as e(tag, ord)
    ) x
    order by lower(x.tag), x.ord
  ) t;
  if jsonb_array_length(result.tags) > 50 then
    select jsonb_agg(e.tag order by e.ord) into result.tags
    from jsonb_array_elements(result.tags) with ordinality as e(tag, ord) where e.ord <= 50;
  end if;
  combined_notes := case
    when p.notes is null then d.notes
    when d.notes is null then p.notes
    else p.notes || E'\n\n' || d.notes end;
  result.notes := case when length(combined_notes) <= 2000 then combined_notes else p.notes end;
  merged_metadata := d.metadata || p.metadata;
  result.metadata := case when octet_length(merged_metadata::text) <= 65536 then merged_metadata else p.metadata end;
  result.customer_type_id := coalesce(p.customer_type_id, d.customer_type_id);
  return result;
end;
$$;
comment on function app_hidden.merged_customer(app_public.customers, app_public.customers) is 'The primary customer as a merge with the duplicate would leave it (computes, writes nothing).';

/* Locks two customers of a tenant in id order; raises BADIN, MRGSM, NOTFD, CMRGD or ERASD (an erased customer is nobody to merge). */
create or replace function app_private.lock_customers_for_merge(tenant_id text, primary_id text, duplicate_id text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  locked_id text;
  row_found app_public.customers;
begin
  if primary_id is null or duplicate_id is null then
    perform app_hidden.raise_error('BADIN', 'Choose the customer to keep and the duplicate to merge into it.');
  end if;
  if primary_id = duplicate_id then
    perform app_hidden.raise_error('MRGSM', 'A customer cannot be merged with itself; choose two different customers.');
  end if;
  for locked_id in select x from unnest(array[primary_id, duplicate_id]) as x order by x collate "C" loop
    select c.* into row_found from app_public.customers c
    where c.tenant_id = lock_customers_for_merge.tenant_id and c.id = locked_id
    for update;
    if not found then
      perform app_hidden.raise_error('NOTFD', format('There is no customer %s.', left(locked_id, 40)));
    end if;
    if row_found.status = 'merged' then
      perform app_hidden.raise_error('CMRGD', format('Customer %s (%s) was already merged into another customer.',
        row_found.customer_number, row_found.display_name), row_found.merged_into_id);
    elsif row_found.status = 'erased' then
      perform app_hidden.raise_error('ERASD', format('Customer %s was erased: it cannot be merged.', row_found.customer_number), row_found.id);
    end if;
  end loop;
end;
$$;

/*
 * Moves a duplicate's purchase history to the primary: visits and spend added up, the earlier
 * first visit, the later last visit, the latest 20 of both, units per item added up (so the
 * most bought items are recomputed over both); the duplicate's counted orders now count for
 * the primary (a later void finds them there) and its own history is zero. Preferences, contact
 * channels and favourite items: the primary's stand, the duplicate's fill what the primary lacks.
 */
create or replace function app_private.merge_customer_history(tenant_id text, primary_id text, duplicate_id text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
#variable_conflict use_column
declare
  tenant constant text := merge_customer_history.tenant_id;
  d app_public.customer_stats;
begin
  select s.* into d from app_public.customer_stats s where s.tenant_id = tenant and s.customer_id = duplicate_id;
  update app_public.customer_stats s set
    visits = s.visits + d.visits,
    spend = s.spend + d.spend,
    items_bought = s.items_bought + d.items_bought,
    first_visit_at = least(s.first_visit_at, d.first_visit_at),
    last_visit_at = greatest(s.last_visit_at, d.last_visit_at),
    recent_visits = app_hidden.latest_visits(s.recent_visits || d.recent_visits),
    updated_at = now()
  where s.tenant_id = tenant and s.customer_id = primary_id;
  update app_public.customer_stats s set
    visits = 0, spend = 0, items_bought = 0, first_visit_at = null, last_visit_at = null, recent_visits = '{}', updated_at = now()
  where s.tenant_id = tenant and s.customer_id = duplicate_id;
  update app_private.customer_visits v set customer_id = primary_id
  where v.tenant_id = tenant and v.customer_id = duplicate_id;

  insert into app_public.customer_item_stats as i (tenant_id, customer_id, catalog_item_id, quantity)
  select tenant, primary_id, x.catalog_item_id, x.quantity
  from app_public.customer_item_stats x where x.tenant_id = tenant and x.customer_id = duplicate_id
  order by x.catalog_item_id
  on conflict (tenant_id, customer_id, catalog_item_id) do update set quantity = i.quantity + excluded.quantity;
  delete from app_public.customer_item_stats x where x.tenant_id = tenant and x.customer_id = duplicate_id;

  insert into app_public.customer_preferences as p (tenant_id, customer_id, do_not_contact, preferred_payment, best_contact_time, language)
  select tenant, primary_id, x.do_not_contact, x.preferred_payment, x.best_contact_time, x.language
  from app_public.customer_preferences x where x.tenant_id = tenant and x.customer_id = duplicate_id
  on conflict (tenant_id, customer_id) do update set
    -- Either one asking not to be contacted is the person asking.
    do_not_contact = p.do_not_contact or excluded.do_not_contact,
    preferred_payment = coalesce(p.preferred_payment, excluded.preferred_payment),
    best_contact_time = coalesce(p.best_contact_time, excluded.best_contact_time),
    language = coalesce(p.language, excluded.language);
  insert into app_public.customer_contact_channels (tenant_id, customer_id, channel, allowed, source, recorded_at, recorded_by)
  select tenant, primary_id, x.channel, x.allowed, x.source, x.recorded_at, x.recorded_by
  from app_public.customer_contact_channels x where x.tenant_id = tenant and x.customer_id = duplicate_id
  on conflict do nothing;
  insert into app_public.customer_favourite_items (tenant_id, customer_id, catalog_item_id, created_at)
  select tenant, primary_id, x.catalog_item_id, x.created_at
  from app_public.customer_favourite_items x where x.tenant_id = tenant and x.customer_id = duplicate_id
  on conflict do nothing;
end;
$$;

create or replace function app_public.merge_customers(primary_id text, duplicate_id text, reason text default null) returns app_public.customers
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.merge');
  me text := app_hidden.current_user_id();
  p app_public.customers;
  d app_public.customers;
  m app_public.customers;
  result app_public.customers;
  order_ids text[];
  note_ids text[];
  address_ids text[];
  notes_note text;
  merge_row app_public.customer_merges;
  p_stats app_public.customer_stats;
  d_stats app_public.customer_stats;
begin
  perform app_private.begin_change('merge_customers', reason);
  -- Sales lock an order, then its customer: take the duplicate's orders first, then the customers.
  perform 1 from app_public.orders o
  where o.tenant_id = tenant and o.customer_id = merge_customers.duplicate_id
  order by o.id
  for update;
  perform app_private.lock_customers_for_merge(tenant, merge_customers.primary_id, merge_customers.duplicate_id);
  -- An account stays with its customer: its ledger and invoices do not move (ACMRG, accounts/700).
  perform app_private.assert_no_account_to_merge(tenant, merge_customers.duplicate_id);
  select c.* into p from app_public.customers c where c.tenant_id = tenant and c.id = merge_customers.primary_id;
  select c.* into d from app_public.customers c where c.tenant_id = tenant and c.id = merge_customers.duplicate_id;
  m := app_hidden.merged_customer(p, d);
  select s.* into d_stats from app_public.customer_stats s where s.tenant_id = tenant and s.customer_id = d.id;

  with moved as (
    update app_public.orders o set customer_id = p.id
    where o.tenant_id = tenant and o.customer_id = d.id
    returning o.id)
  select coalesce(array_agg(moved.id order by moved.id), '{}') into order_ids from moved;

  with moved as (
    update app_public.customer_notes n set customer_id = p.id
    where n.tenant_id = tenant and n.customer_id = d.id
    returning n.id)
  select coalesce(array_agg(moved.id order by moved.id), '{}') into note_ids from moved;

  with moved as (
    update app_public.customer_addresses a
      set customer_id = p.id,
          is_default = a.is_default and not exists (
            select 1 from app_public.customer_addresses pa
            where pa.tenant_id = tenant and pa.customer_id = p.id and pa.is_default)
    where a.tenant_id = tenant and a.customer_id = d.id
    returning a.id)
  select coalesce(array_agg(moved.id order by moved.id), '{}') into address_ids from moved;

  -- Notes that do not fit together: the duplicate's become a note on the primary.
  if d.notes is not null and m.notes is not distinct from p.notes and p.notes is not null then
    insert into app_public.customer_notes (tenant_id, customer_id, category, body)
    values (tenant, p.id, 'general', d.notes)
    returning id into notes_note;
  end if;

  -- Customers merged earlier into the duplicate now point at the primary.
  update app_public.customers c set merged_into_id = p.id
  where c.tenant_id = tenant and c.merged_into_id = d.id;

  -- The duplicate first, so that its email and phone leave the uniqueness of live customers.
  -- Its type went to the primary (a merged customer has none: customers_merged_without_type).
  update app_public.customers c
    set status = 'merged', merged_into_id = p.id, customer_type_id = null
  where c.tenant_id = tenant and c.id = d.id;

  update app_public.customers c set
    email = m.email, phone = m.phone, first_name = m.first_name, last_name = m.last_name, notes = m.notes,
    tags = m.tags, metadata = m.metadata, marketing_consent = m.marketing_consent,
    marketing_consent_updated_at = m.marketing_consent_updated_at, marketing_consent_source = m.marketing_consent_source,
    customer_type_id = m.customer_type_id
  where c.tenant_id = tenant and c.id = p.id
  returning * into result;

  perform app_private.merge_customer_history(tenant, p.id, d.id);
  select s.* into p_stats from app_public.customer_stats s where s.tenant_id = tenant and s.customer_id = p.id;

  insert into app_public.customer_merges (tenant_id, primary_id, duplicate_id, primary_snapshot, duplicate_snapshot,
    result_snapshot, moved_order_ids, moved_note_ids, moved_address_ids, notes_note_id, merged_by_user_id)
  values (tenant, p.id, d.id, to_jsonb(p), to_jsonb(d), to_jsonb(result), order_ids, note_ids, address_ids, notes_note, me)
  returning * into merge_row;

  perform app_private.emit_event(tenant, 'customer.merged.v1', 'customer', p.id, jsonb_build_object(
    'merge_id', merge_row.id,
    'primary_id', p.id,
    'duplicate_id', d.id,
    'primary_customer_number', p.customer_number,
    'duplicate_customer_number', d.customer_number,
    'display_name', result.display_name,
    'moved_order_ids', to_jsonb(order_ids),
    'moved_note_ids', to_jsonb(note_ids),
    'moved_address_ids', to_jsonb(address_ids),
    'added_visits', d_stats.visits,
    'added_spend', d_stats.spend,
    'total_visits', p_stats.visits,
    'total_spend', p_stats.spend,
    'last_visit_at', app_hidden.iso_utc(p_stats.last_visit_at)));
  perform app_private.end_change();
  return result;
end;
$$;
comment on function app_public.merge_customers(text, text, text) is
  E'Merges a duplicate customer into a primary one (needs customers.merge). The primary keeps its values and takes the duplicate''s where it has none; tags and notes are combined; visits and spend are added up; orders, notes and addresses move to the primary. The duplicate stays with status merged. Both must be live and different (NOTFD, CMRGD, MRGSM); a duplicate with an account is not merged (ACMRG: merge the other way). The reason, if given, is kept in the audit log.';

create or replace function app_public.preview_customer_merge(primary_id text, duplicate_id text) returns app_public.customer_merge_preview
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.merge');
  p app_public.customers;
  d app_public.customers;
  m app_public.customers;
  result app_public.customer_merge_preview;
begin
  if primary_id is null or duplicate_id is null then
    perform app_hidden.raise_error('BADIN', 'Choose the customer to keep and the duplicate to merge into it.');
  end if;
  if primary_id = duplicate_id then
    perform app_hidden.raise_error('MRGSM', 'A customer cannot be merged with itself; choose two different customers.');
  end if;
  select c.* into p from app_public.customers c where c.tenant_id = tenant and c.id = preview_customer_merge.primary_id;
  select c.* into d from app_public.customers c where c.tenant_id = tenant and c.id = preview_customer_merge.duplicate_id;
  if p.id is null or d.id is null then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.',
      left(case when p.id is null then primary_id else duplicate_id end, 40)));
  end if;
  if p.status = 'merged' or d.status = 'merged' then
    perform app_hidden.raise_error('CMRGD', 'One of these customers was already merged into another customer.');
  elsif p.status = 'erased' or d.status = 'erased' then
    perform app_hidden.raise_error('ERASD', 'One of these customers was erased: it cannot be merged.');
  end if;
  m := app_hidden.merged_customer(p, d);
  result := row(m.display_name, m.email, m.phone, m.first_name, m.last_name, m.notes, m.tags, m.marketing_consent,
                (select sum(s.visits) from app_public.customer_stats s where s.tenant_id = tenant and s.customer_id in (p.id, d.id)),
                (select sum(s.spend) from app_public.customer_stats s where s.tenant_id = tenant and s.customer_id in (p.id, d.id)),
                (select max(s.last_visit_at) from app_public.customer_stats s where s.tenant_id = tenant and s.customer_id in (p.id, d.id)),
                (select count(*) from app_public.orders o where o.tenant_id = tenant and o.customer_id = d.id),
                (select count(*) from app_public.customer_notes n where n.tenant_id = tenant and n.customer_id = d.id),
                (select count(*) from app_public.customer_addresses a where a.tenant_id = tenant and a.customer_id = d.id));
  return result;
end;
$$;
comment on function app_public.preview_customer_merge(text, text) is
  'Shows what mergeCustomers would make of the two customers, without changing anything (needs customers.merge).';
--! EndIncluded customers/430-merge.sql
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
-- no CRUD for them. Every total is computed here from catalog prices and the tax rate the
-- location charges (sales/305-tax-rates.sql: app_private.location_tax).
--
-- Pricing and rounding (db/EVENTS.md repeats it):
--   * prices are integer cents; a line's subtotal is unit price × quantity;
--   * a line discount is cents off that line (0 ≤ discount ≤ line subtotal);
--   * the order discount is cents off the whole order (0 ≤ discount ≤ sum of lines after their
--     own discounts); it is spread over the lines in proportion to their amounts after line
--     discounts, rounding down, and the cents left over go one each to the lines with the largest
--     remainders (ties: the earlier line), so the shares add up to the order discount exactly;
--   * the customer's tier discount (customers/475-tiers.sql) is the tier's percent of the amount
--     after line discounts and the order discount, rounded half up to the cent once for the
--     order: tier_discount = floor((amount × discount_bps + 5000) / 10000) (app_private.tier_discount,
--     the one rule); it joins the order discount and is spread over the lines with it, as above,
--     so order_discount and every line's order_discount_share include it (orders.tier_discount says
--     how much of it was the tier's, orders.tier_name and tier_discount_bps which tier it was);
--   * an order keeps the prices it was placed with: a later change of the customer's tier, or of
--     the tier's percent, changes no order (open or sold); place_order reads the tier once;
--   * tax is computed per line on the line's net amount (after both discounts) and rounded
--     half up to the cent: tax = floor((net × tax_rate_bps + 5000) / 10000);
--   * order tax_total is the sum of the line taxes (so it can differ by a cent or so from
--     rounding the tax of the whole order once); total = subtotal − discount_total + tax_total.
-- When the rate is included in prices (tax_inclusive), the customer pays the shelf amounts and
-- the tax is the part of them, and the line is then kept without tax like any other, so that
-- reports read every order alike (gross and net sales never include tax):
--   * a line's amount A = unit price × quantity − its discount − its share of the order discount
--     (shared as above); total = A; tax = A × rate / (10000 + rate) rounded half up; net = A − tax;
--   * subtotal = unit price × quantity less the tax that amount holds (same rounding), and the
--     discounts are what is left, subtotal − net, split between the line's own discount and its
--     share of the order's in proportion (the line's own part rounded down); order_discount
--     records the order's part, so again total = subtotal − discount_total + tax_total.

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
    'tax_inclusive', o.tax_inclusive,
    'subtotal', o.subtotal,
    'order_discount', o.order_discount,
    'discount_total', o.discount_total,
    'tier_name', o.tier_name,
    'tier_discount_bps', o.tier_discount_bps,
    'tier_discount', o.tier_discount,
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
 * array of {"catalog_item_id": text, "quantity": whole number 1..10000, "discount"?: cents};
 * tier_bps the customer's tier discount (0 for none), whose amount every line repeats in
 * tier_discount. Raises BADIN (malformed), EMPTY, BADQT, BADDS, NOTFD (not an item of this
 * tenant), INACT, BADAM (order too large).
 */
create or replace function app_private.price_lines(tenant_id text, lines jsonb, order_discount int, tax_rate_bps int, tax_inclusive boolean,
                                                   tier_bps int default 0)
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
  tier bigint;
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
  -- The tier's part, on what is left after the other discounts, is spread with the order discount.
  tier := app_private.tier_discount(total_net - order_discount, coalesce(tier_bps, 0));
  order_discount := order_discount + tier;

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
    -- amount: what the line costs after both discounts, with its tax when prices include it.
    select s.*, s.net - s.share as amount,
           case when tax_inclusive
             then (2 * (s.net - s.share) * tax_rate_bps + 10000 + tax_rate_bps) / (2 * (10000 + tax_rate_bps))
             else ((s.net - s.share) * tax_rate_bps + 5000) / 10000 end as tax,
           case when tax_inclusive
             then s.subtotal - (2 * s.subtotal * tax_rate_bps + 10000 + tax_rate_bps) / (2 * (10000 + tax_rate_bps))
             else s.subtotal end as subtotal_ex
    from shared s
  ), kept as (
    -- Without tax: net, and the discounts as what the subtotal loses on the way to it.
    select t.*, case when tax_inclusive then t.amount - t.tax else t.amount end as net_total,
           case when tax_inclusive and t.line_discount + t.share > 0
             then (t.subtotal_ex - (t.amount - t.tax)) * t.line_discount / (t.line_discount + t.share)
             else t.line_discount end as line_discount_ex
    from taxed t
  )
  select k.line_no, k.catalog_item_id, k.sku, k.name, k.unit_price, k.quantity, k.subtotal_ex::int, k.line_discount_ex::int,
         (k.subtotal_ex - k.line_discount_ex - k.net_total)::int, k.net_total::int, k.tax::int, (k.net_total + k.tax)::int,
         k.inventory_item_id, tier::int
  from kept k
  order by k.line_no;
end;
$$;

/*
 * The customer id an order of the tenant records for the given one (null for none): an order may
 * only name a customer of the tenant (NOTFD), and an order for a customer that was merged is
 * recorded for the customer it was merged into; an erased customer takes no new order (ERASD).
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
  -- An erased customer is nobody any more: a new sale is not filed under them.
  if exists (select 1 from app_public.customers c where c.tenant_id = order_customer_id.tenant_id and c.id = live and c.status = 'erased') then
    perform app_hidden.raise_error('ERASD', 'This customer''s personal data was erased: sell without a customer, or add them again as a new customer.', live, 'customer_id');
  end if;
  return live;
end;
$$;

create or replace function app_public.quote_order(lines jsonb, discount int default 0, location_id text default null,
                                                  customer_id text default null) returns app_public.order_quote
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('sales.sell');
  tax record;
  tier app_public.customer_tiers;
  result app_public.order_quote;
begin
  if quote_order.location_id is not null
     and not exists (select 1 from app_public.locations l where l.tenant_id = tenant and l.id = quote_order.location_id) then
    perform app_hidden.raise_error('NOTFD', format('There is no location %s.', left(quote_order.location_id, 40)));
  end if;
  tax := app_private.location_tax(tenant, quote_order.location_id);
  tier := app_private.order_tier(tenant, app_private.order_customer_id(tenant, quote_order.customer_id));
  select sum(p.subtotal)::int, (sum(p.line_discount) + sum(p.order_discount_share))::int, tax.rate_bps,
         sum(p.tax)::int, sum(p.total)::int,
         jsonb_agg(to_jsonb(p) - 'inventory_item_id' - 'tier_discount' order by p.line_no), tax.name, tax.inclusive,
         tier.name, tier.discount_bps, max(p.tier_discount)
    into result
  from app_private.price_lines(tenant, quote_order.lines, coalesce(quote_order.discount, 0), tax.rate_bps, tax.inclusive,
                               coalesce(tier.discount_bps, 0)) p;
  return result;
end;
$$;
comment on function app_public.quote_order(jsonb, int, text, text) is
  E'Prices a cart without placing it (needs sales.sell): the same validation, totals and rounding as placeOrder, with the tax rate the location charges (the business''s default rate without a location) and the tier discount of the customer, if one is given. lines is a JSON list of {"catalog_item_id", "quantity", "discount"?}; discount is cents off the whole order.';

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
  tax record;
  order_discount int := coalesce(place_order.discount, 0);
  customer text;
  tier app_public.customer_tiers;
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
  -- A closed location sells nothing (an import of its past sales is still recorded).
  if place_order.placed_at is null then
    perform app_private.assert_location_open(loc);
  end if;
  customer := app_private.order_customer_id(tenant, place_order.customer_id);
  -- The tier is read once, here: the price and what the order records come from this one read,
  -- whatever a concurrent change of the customer's tier does.
  tier := app_private.order_tier(tenant, customer);
  tax := app_private.location_tax(tenant, loc.id);
  select array_agg(p order by p.line_no), sum(p.total) into priced, total
  from app_private.price_lines(tenant, place_order.lines, order_discount, tax.rate_bps, tax.inclusive, coalesce(tier.discount_bps, 0)) p;
  -- An import is a sale of its time; an order with nothing to pay is a sale now; others are open.
  sale_time := case when place_order.placed_at is not null then place_order.placed_at when total = 0 then now() end;

  insert into app_public.orders (tenant_id, location_id, customer_id, status, subtotal, order_discount, discount_total,
                                 tax_rate_bps, tax_name, tax_inclusive, tax_total, total, placed_at, business_date, placed_by_user_id,
                                 tier_name, tier_discount_bps, tier_discount)
  select tenant, loc.id, customer, case when sale_time is null then 'open' else 'placed' end, sum(p.subtotal),
         sum(p.order_discount_share), sum(p.line_discount) + sum(p.order_discount_share), tax.rate_bps, tax.name, tax.inclusive,
         sum(p.tax), sum(p.total), sale_time, app_hidden.business_date(sale_time, loc.timezone), me,
         tier.name, tier.discount_bps, coalesce(max(p.tier_discount), 0)
  from unnest(priced) p
  returning * into result;

  insert into app_public.order_lines (tenant_id, order_id, line_no, catalog_item_id, sku, name, unit_price, quantity,
                                      subtotal, line_discount, order_discount_share, net_total, tax, total, tax_inclusive)
  select tenant, result.id, p.line_no, p.catalog_item_id, p.sku, p.name, p.unit_price, p.quantity,
         p.subtotal, p.line_discount, p.order_discount_share, p.net_total, p.tax, p.total, tax.inclusive
  from unnest(priced) p
  order by p.line_no;

  if result.status = 'placed' then
    perform app_private.record_sale(result, me);
  end if;
  return result;
end;
$$;
comment on function app_public.place_order(text, jsonb, text, int, timestamptz) is
  E'@resultFieldName order\nOpens an order (needs sales.sell). lines is a JSON list of {"catalog_item_id": "…", "quantity": 1, "discount": 0} (discount in minor units off that line); discount is off the whole order. Totals are computed from catalog prices, the customer''s tier discount (recorded on the order: tierName, tierDiscountBps, tierDiscount; later tier changes never change the order) and the tax rate the location charges: tax per line on the discounted amount, rounded half up (with a rate included in prices, the part of the amount that is tax; the lines are then kept without tax). The order is open — not a sale, no stock taken — until payments (recordTender) cover its total; an order with nothing to pay is a sale at once. placedAt records a past sale (an import, owners only): a sale at once.';

/*
 * Records a payment towards an order (needs sales.sell), on the day it is taken at the order's
 * location. Cash may exceed the amount due: the difference is change given back. Card may not
 * exceed it. Account charges the whole amount due to the customer's account (accounts/710). The payment that covers an open order's total makes it a sale (record_sale). Nothing
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
  if record_tender.type is null or record_tender.type not in ('cash', 'card', 'account') then
    perform app_hidden.raise_error('BADIN', 'The tender type must be cash, card or account.');
  end if;
  if record_tender.amount is null or record_tender.amount <= 0 or record_tender.amount > 100000000 then
    perform app_hidden.raise_error('BADAM', 'The amount must be a positive number of minor units (at most 100000000).');
  end if;
  due := o.total - o.paid_total;
  if due <= 0 then
    perform app_hidden.raise_error('OVRTN', 'This order is already paid in full.');
  end if;
  if record_tender.amount > due then
    if record_tender.type <> 'cash' then
      perform app_hidden.raise_error('OVRTN', format('%s cannot exceed the amount due (%s).',
        case record_tender.type when 'card' then 'A card payment' else 'A charge to an account' end, due));
    end if;
    change := record_tender.amount - due;
  end if;
  -- On account: the customer's account must be open, active and have room for it (accounts/710).
  if record_tender.type = 'account' then
    perform app_private.assert_account_tender(o, record_tender.amount);
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
  E'@resultFieldName tender\nRecords a payment towards an order (needs sales.sell). type is cash, card or account; amount in minor units of the business''s currency. Cash above the amount due gives change (changeGiven); card cannot exceed the amount due; account takes the whole amount due onto the attached customer''s account (NOACC without one, ACSUS suspended, CRLIM over its credit limit). The payment that covers an open order''s total makes it a sale (status placed, placedAt now). Voided, cancelled or fully paid orders take no payment.';

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
--! Included accounts/700-accounts.sql
-- A customer's account: what lets a company (or any customer the shop trusts) buy now and pay
-- later. The account row carries its number; the credit limit and payment terms stay on the
-- customer (customers/415), and the customer's account_status says whether it may buy (active)
-- or not (suspended, with a typed reason kept in account_suspensions). What is owed is never
-- stored: it is the sum of the account's ledger (accounts/710).
--
-- Every action on an account (open, a change of limit or terms, suspend, reactivate, write-off,
-- an invoice voided) is written to account_actions with its mandatory reason and the account
-- before and after (app_private.log_account_action). The account row is the lock every writer of
-- an account takes first (app_private.account_for_change): sales on account, payments, invoices
-- and suspensions of one account take turns, so a limit cannot be overshot by a race.

------------------------------------------------------------------------------------------------
-- Reading an account

/* The business's day: the date on the clock of its first location (invoices are dated by it). */
create or replace function app_hidden.tenant_today(tenant_id text, at timestamptz default now()) returns date
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select app_hidden.business_date(at, coalesce(
    (select l.timezone from app_public.locations l where l.tenant_id = tenant_today.tenant_id order by l.created_at, l.id limit 1),
    'UTC'));
$$;
comment on function app_hidden.tenant_today(text, timestamptz) is 'The date at this instant on the clock of the business''s first location.';

/* The business's day for the admin: what "overdue", "today's payment" and the receivables' as-of count from. */
create or replace function app_public.tenants_today(t app_public.tenants) returns date
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select app_hidden.tenant_today(t.id);
$$;
comment on function app_public.tenants_today(app_public.tenants) is
  E'@notNull\nToday on the clock of the business''s first location: the day invoices are dated, due and overdue by.';

/* What the customer owes: the sum of its ledger (negative: the business owes it). */
create or replace function app_hidden.account_balance(tenant_id text, customer_id text) returns bigint
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(sum(e.amount), 0)::bigint from app_public.account_entries e
  where e.tenant_id = account_balance.tenant_id and e.customer_id = account_balance.customer_id;
$$;
comment on function app_hidden.account_balance(text, text) is 'The balance of an account: the sum of its ledger entries, in minor units (positive: the customer owes).';

/* The account as the action log records it before and after an action. */
create or replace function app_private.account_snapshot(tenant_id text, customer_id text) returns jsonb
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select jsonb_build_object(
    'credit_limit', c.credit_limit,
    'payment_terms_days', c.payment_terms_days,
    'account_status', c.account_status,
    'suspended_reason', c.suspended_reason,
    'balance', app_hidden.account_balance(c.tenant_id, c.id))
  from app_public.customers c
  where c.tenant_id = account_snapshot.tenant_id and c.id = account_snapshot.customer_id;
$$;

/* Writes one entry of an account's action log, the account after it read now. */
create or replace function app_private.log_account_action(tenant_id text, customer_id text, action text, reason text, before jsonb,
                                                          extra jsonb default '{}'::jsonb) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  insert into app_public.account_actions (tenant_id, customer_id, action, reason, before, after, actor_user_id)
  values (log_account_action.tenant_id, log_account_action.customer_id, log_account_action.action, log_account_action.reason,
          log_account_action.before, app_private.account_snapshot(log_account_action.tenant_id, log_account_action.customer_id) || extra,
          app_hidden.change_actor());
$$;

/*
 * The account of a customer, locked for the rest of the transaction: every writer of an account
 * (sale on account, payment, invoice, suspension) takes this lock first, so they take turns.
 * NOACC when the customer has none (or is not the business's).
 */
create or replace function app_private.account_for_change(tenant_id text, customer_id text) returns app_public.customer_accounts
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  a app_public.customer_accounts;
begin
  select x.* into a from app_public.customer_accounts x
  where x.tenant_id = account_for_change.tenant_id and x.customer_id = account_for_change.customer_id
  for update;
  if not found then
    perform app_hidden.raise_error('NOACC', 'This customer has no account: open one first.', field => 'customer_id');
  end if;
  return a;
end;
$$;
comment on function app_private.account_for_change(text, text) is 'Locks and returns a customer''s account (NOACC when none): the lock every writer of an account takes first.';

-- An account's own fields, for the API. Read under the account's select policy (accounts.view);
-- those kept on the customer are read as the owner for a member with accounts.view, so that a role
-- with accounts.view but not customers.view still gets them.

create or replace function app_public.customer_accounts_balance(a app_public.customer_accounts) returns bigint
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select app_hidden.account_balance(a.tenant_id, a.customer_id);
$$;
comment on function app_public.customer_accounts_balance(app_public.customer_accounts) is
  E'@notNull\nWhat the customer owes, in minor units: the sum of the ledger (sales on account, credit notes, payments, write-offs). Negative when the business owes it.';

create or replace function app_public.customer_accounts_credit_limit(a app_public.customer_accounts) returns bigint
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select c.credit_limit from app_public.customers c where c.tenant_id = a.tenant_id and c.id = a.customer_id
    and a.tenant_id = app_hidden.current_tenant_id() and app_hidden.has_permission('accounts.view');
$$;
comment on function app_public.customer_accounts_credit_limit(app_public.customer_accounts) is
  E'@notNull\nThe most the customer may owe, in minor units (setCustomerAccountTerms).';

create or replace function app_public.customer_accounts_payment_terms_days(a app_public.customer_accounts) returns int
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(c.payment_terms_days, 30) from app_public.customers c where c.tenant_id = a.tenant_id and c.id = a.customer_id
    and a.tenant_id = app_hidden.current_tenant_id() and app_hidden.has_permission('accounts.view');
$$;
comment on function app_public.customer_accounts_payment_terms_days(app_public.customer_accounts) is
  E'@notNull\nDays from an invoice to its due date.';

create or replace function app_public.customer_accounts_status(a app_public.customer_accounts) returns text
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select c.account_status from app_public.customers c where c.tenant_id = a.tenant_id and c.id = a.customer_id
    and a.tenant_id = app_hidden.current_tenant_id() and app_hidden.has_permission('accounts.view');
$$;
comment on function app_public.customer_accounts_status(app_public.customer_accounts) is
  E'@notNull\nactive (may buy on account), inactive or suspended (may not; see currentSuspension).';

create or replace function app_public.customer_accounts_available_credit(a app_public.customer_accounts) returns bigint
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select greatest(c.credit_limit - app_hidden.account_balance(a.tenant_id, a.customer_id), 0)::bigint
  from app_public.customers c where c.tenant_id = a.tenant_id and c.id = a.customer_id
    and a.tenant_id = app_hidden.current_tenant_id() and app_hidden.has_permission('accounts.view');
$$;
comment on function app_public.customer_accounts_available_credit(app_public.customer_accounts) is
  E'@notNull\nWhat the customer may still buy on account: the credit limit less the balance (never below 0).';

create or replace function app_public.customer_accounts_current_suspension(a app_public.customer_accounts) returns app_public.account_suspensions
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select s.* from app_public.account_suspensions s
  where s.tenant_id = a.tenant_id and s.customer_id = a.customer_id and s.reactivated_at is null;
$$;
comment on function app_public.customer_accounts_current_suspension(app_public.customer_accounts) is
  'The suspension in force (type, reason, since, by whom), if the account is suspended.';

/*
 * For the till: what a customer may still buy on account, or null when it cannot (no account, or
 * the account is not active). Cashiers sell on account without reading accounts, so this is
 * readable with sales.sell as well as accounts.view.
 */
create or replace function app_public.customers_account_available_credit(c app_public.customers) returns bigint
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select greatest(c.credit_limit - app_hidden.account_balance(a.tenant_id, a.customer_id), 0)::bigint
  from app_public.customer_accounts a
  where a.tenant_id = c.tenant_id and a.customer_id = c.id
    and c.tenant_id = app_hidden.current_tenant_id()
    and (app_hidden.has_permission('sales.sell') or app_hidden.has_permission('accounts.view'))
    and c.account_status = 'active' and c.status = 'active';
$$;
comment on function app_public.customers_account_available_credit(app_public.customers) is
  'What the customer may still buy on account at the till (credit limit less balance), or null when it has no active account. Readable with sales.sell or accounts.view.';

/* The account number of a customer, for the till's receipt ("Charged to account CT-2026-00001"). */
create or replace function app_public.customers_account_number(c app_public.customers) returns text
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select a.account_number from app_public.customer_accounts a
  where a.tenant_id = c.tenant_id and a.customer_id = c.id
    and c.tenant_id = app_hidden.current_tenant_id()
    and (app_hidden.has_permission('sales.sell') or app_hidden.has_permission('accounts.view'));
$$;
comment on function app_public.customers_account_number(app_public.customers) is
  'The customer''s account number (CT-YYYY-NNNNN), if it has an account. Readable with sales.sell or accounts.view.';

------------------------------------------------------------------------------------------------
-- Opening and changing an account

/* CT-2026-00001: the year and a number per business and year, without gaps (a rolled-back opening gives its number back). */
create or replace function app_private.next_account_number(tenant_id text, on_day date) returns text
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  select 'CT-' || extract(year from on_day)::int || '-'
         || lpad(app_private.next_tenant_number(next_account_number.tenant_id, 'account_number_' || extract(year from on_day)::int)::text, 5, '0');
$$;

/* A credit limit as the account commands take it: required, 0 to 1,000,000,000 units of the currency. */
create or replace function app_hidden.checked_credit_limit(credit_limit bigint) returns bigint
language plpgsql immutable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if credit_limit is null then
    perform app_hidden.raise_error('BADIN', 'Give the account a credit limit (0 for none).', field => 'credit_limit');
  end if;
  if credit_limit < 0 or credit_limit > 100000000000 then
    perform app_hidden.raise_error('BADIN', 'Credit limit must be between 0 and 1,000,000,000 in the currency''s units.', field => 'credit_limit');
  end if;
  return credit_limit;
end;
$$;

/* Payment terms as the account commands take them: 0 to 365 days. */
create or replace function app_hidden.checked_payment_terms(days int) returns int
language plpgsql immutable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if days is null or days not between 0 and 365 then
    perform app_hidden.raise_error('BADIN', 'Payment terms must be between 0 and 365 days.', field => 'payment_terms_days');
  end if;
  return days;
end;
$$;

/*
 * The account commands are the only writers of a customer's credit limit, terms and account
 * status once it has an account: they say so in app.account_command for the guard below.
 */
create or replace function app_private.begin_account_command(command text, reason text) returns text
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  why text := app_private.begin_change(command, reason, true);
begin
  perform set_config('app.account_command', command, true);
  return why;
end;
$$;

create or replace function app_private.end_account_command() returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  select set_config('app.account_command', '', true);
  select app_private.end_change();
$$;

/*
 * Trigger: a customer with an account changes its credit limit, terms or account status only
 * through the account's commands, which log the action with its reason (ACCMD otherwise: the
 * customer form, an import). Erasure is not such a change (it blanks the suspension reason).
 */
create or replace function app_private.tg_customers__account_fields() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if new.status <> 'erased'
     and coalesce(current_setting('app.account_command', true), '') = ''
     and exists (select 1 from app_public.customer_accounts a where a.tenant_id = new.tenant_id and a.customer_id = new.id) then
    perform app_hidden.raise_error('ACCMD',
      'This customer has an account: change its credit limit, payment terms or status on the account, with a reason.',
      field => case when new.credit_limit is distinct from old.credit_limit then 'credit_limit'
                    when new.payment_terms_days is distinct from old.payment_terms_days then 'payment_terms_days'
                    else 'account_status' end);
  end if;
  return new;
end;
$$;
-- Only when one of those changes: every other update of a customer (and an import's) skips it.
create or replace trigger _070_account_fields before update on app_public.customers
  for each row
  when (new.credit_limit is distinct from old.credit_limit or new.payment_terms_days is distinct from old.payment_terms_days
        or new.account_status is distinct from old.account_status or new.suspended_reason is distinct from old.suspended_reason)
  execute function app_private.tg_customers__account_fields();

/*
 * Opens an account for a customer (needs accounts.manage; a reason is required): numbers it
 * CT-YYYY-NNNNN, sets its credit limit and payment terms (the customer's, else 30 days) and makes
 * its account status active. A customer has one account (ACEXS); a merged or erased one none.
 */
create or replace function app_public.open_customer_account(customer_id text, credit_limit bigint, payment_terms_days int default null,
                                                            reason text default null) returns app_public.customer_accounts
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('accounts.manage');
  why text := app_private.begin_account_command('open_customer_account', reason);
  cur app_public.customers := app_private.live_customer_for_change(tenant, customer_id);
  lim bigint := app_hidden.checked_credit_limit(credit_limit);
  terms int := app_hidden.checked_payment_terms(coalesce(payment_terms_days, cur.payment_terms_days, 30));
  result app_public.customer_accounts;
begin
  select a.* into result from app_public.customer_accounts a where a.tenant_id = tenant and a.customer_id = cur.id;
  if found then
    perform app_hidden.raise_error('ACEXS', format('This customer already has account %s.', result.account_number), result.account_number);
  end if;
  update app_public.customers c
    set credit_limit = lim, payment_terms_days = terms, account_status = 'active', suspended_reason = null
    where c.tenant_id = tenant and c.id = cur.id;
  insert into app_public.customer_accounts (tenant_id, customer_id, account_number, opened_by_user_id)
  values (tenant, cur.id, app_private.next_account_number(tenant, app_hidden.tenant_today(tenant)), app_hidden.change_actor())
  returning * into result;
  perform app_private.log_account_action(tenant, cur.id, 'open', why, null, jsonb_build_object('account_number', result.account_number));
  perform app_private.end_account_command();
  return result;
end;
$$;
comment on function app_public.open_customer_account(text, bigint, int, text) is
  E'@resultFieldName customerAccount\nOpens an account for a customer (needs accounts.manage): numbered CT-YYYY-NNNNN, with its credit limit (minor units) and payment terms (days; the customer''s, else 30). The reason is required and kept in the account''s action log. ACEXS when it has one.';

/*
 * Changes an account's credit limit and payment terms (needs accounts.manage; reason required).
 * A limit below the balance is allowed (the customer then buys nothing more on account until it
 * pays); invoices already issued keep their due dates.
 */
create or replace function app_public.set_customer_account_terms(customer_id text, credit_limit bigint, payment_terms_days int,
                                                                 reason text) returns app_public.customer_accounts
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('accounts.manage');
  why text := app_private.begin_account_command('set_customer_account_terms', reason);
  cur app_public.customers := app_private.live_customer_for_change(tenant, customer_id);
  account app_public.customer_accounts := app_private.account_for_change(tenant, cur.id);
  lim bigint := app_hidden.checked_credit_limit(credit_limit);
  terms int := app_hidden.checked_payment_terms(payment_terms_days);
  before jsonb := app_private.account_snapshot(tenant, cur.id);
begin
  if cur.credit_limit is distinct from lim or coalesce(cur.payment_terms_days, 30) is distinct from terms then
    update app_public.customers c set credit_limit = lim, payment_terms_days = terms
      where c.tenant_id = tenant and c.id = cur.id;
    perform app_private.log_account_action(tenant, cur.id, 'terms_change', why, before);
  end if;
  perform app_private.end_account_command();
  return account;
end;
$$;
comment on function app_public.set_customer_account_terms(text, bigint, int, text) is
  E'@resultFieldName customerAccount\nChanges an account''s credit limit (minor units) and payment terms (days) (needs accounts.manage; the reason is required and kept in the action log with the values before and after). Issued invoices keep their due dates.';

/*
 * Suspends an account (needs accounts.manage): it buys nothing more on account until reactivated.
 * type is non_payment, customer_request, technical or fraud; the reason is required. ACSUS when
 * it is suspended already. Payments are still taken.
 */
create or replace function app_private.suspend_account(tenant text, customer_id text, type text, reason text, command text)
returns app_public.account_suspensions
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  why text := app_private.begin_account_command(command, reason);
  cur app_public.customers := app_private.live_customer_for_change(tenant, customer_id);
  account app_public.customer_accounts := app_private.account_for_change(tenant, cur.id);
  kind text := lower(btrim(type));
  before jsonb := app_private.account_snapshot(tenant, cur.id);
  result app_public.account_suspensions;
begin
  if kind is null or kind not in ('non_payment', 'customer_request', 'technical', 'fraud') then
    perform app_hidden.raise_error('BADIN', 'The type of suspension must be non_payment, customer_request, technical or fraud.', field => 'suspension_type');
  end if;
  if cur.account_status = 'suspended' then
    perform app_hidden.raise_error('ACSUS', 'This account is suspended already.');
  end if;
  insert into app_public.account_suspensions (tenant_id, customer_id, type, reason, suspended_by_user_id)
  values (tenant, cur.id, kind, why, app_hidden.change_actor())
  returning * into result;
  update app_public.customers c set account_status = 'suspended', suspended_reason = why
    where c.tenant_id = tenant and c.id = cur.id;
  perform app_private.log_account_action(tenant, cur.id, 'suspend', why, before, jsonb_build_object('suspension_type', kind));
  perform app_private.end_account_command();
  return result;
end;
$$;

create or replace function app_public.suspend_customer_account(customer_id text, suspension_type text, reason text) returns app_public.account_suspensions
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
begin
  return app_private.suspend_account(app_hidden.assert_customers_permission('accounts.manage'), customer_id, suspension_type, reason,
                                     'suspend_customer_account');
end;
$$;
comment on function app_public.suspend_customer_account(text, text, text) is
  E'@resultFieldName accountSuspension\nSuspends an account (needs accounts.manage): it buys nothing more on account until reactivated; payments are still taken. suspensionType is non_payment, customer_request, technical or fraud; the reason is required. ACSUS when suspended already.';

/* Reactivates a suspended account (needs accounts.manage; reason required). ACNSP when it is not suspended. */
create or replace function app_public.reactivate_customer_account(customer_id text, reason text) returns app_public.account_suspensions
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('accounts.manage');
  why text := app_private.begin_account_command('reactivate_customer_account', reason);
  cur app_public.customers := app_private.live_customer_for_change(tenant, customer_id);
  account app_public.customer_accounts := app_private.account_for_change(tenant, cur.id);
  before jsonb := app_private.account_snapshot(tenant, cur.id);
  result app_public.account_suspensions;
begin
  update app_public.account_suspensions s
    set reactivated_at = now(), reactivation_reason = why, reactivated_by_user_id = app_hidden.change_actor()
    where s.tenant_id = tenant and s.customer_id = cur.id and s.reactivated_at is null
    returning * into result;
  if not found and cur.account_status <> 'suspended' then
    perform app_hidden.raise_error('ACNSP', 'This account is not suspended.');
  end if;
  update app_public.customers c set account_status = 'active', suspended_reason = null
    where c.tenant_id = tenant and c.id = cur.id;
  perform app_private.log_account_action(tenant, cur.id, 'reactivate', why, before);
  perform app_private.end_account_command();
  return result;
end;
$$;
comment on function app_public.reactivate_customer_account(text, text) is
  E'@resultFieldName accountSuspension\nReactivates a suspended account (needs accounts.manage; the reason is required and kept with the suspension and in the action log). ACNSP when it is not suspended.';

/*
 * The overdue sweep (worker task suspend_overdue_accounts, hourly): in each business that set
 * account_overdue_suspend_days, the active accounts with an open invoice overdue by at least that
 * many days on the business's clock, with their oldest such invoice. An account a member
 * reactivated after that invoice became that late is left alone (they chose to let it buy).
 */
create or replace function app_private.overdue_accounts_to_suspend(at timestamptz default now())
returns table (tenant_id text, customer_id text, invoice_number text, days_overdue int)
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select distinct on (i.tenant_id, i.customer_id) i.tenant_id, i.customer_id, i.invoice_number,
         app_hidden.tenant_today(i.tenant_id, at) - i.due_on
  from app_public.account_invoices i
  join app_public.tenants t on t.id = i.tenant_id
  join app_public.customers c on c.tenant_id = i.tenant_id and c.id = i.customer_id
  where i.status = 'open' and t.account_overdue_suspend_days is not null and c.account_status = 'active' and c.status = 'active'
    and app_hidden.tenant_today(i.tenant_id, at) - i.due_on >= t.account_overdue_suspend_days
    and not exists (select 1 from app_public.account_suspensions s
                    where s.tenant_id = i.tenant_id and s.customer_id = i.customer_id
                      and app_hidden.tenant_today(s.tenant_id, s.reactivated_at) >= i.due_on + t.account_overdue_suspend_days)
  order by i.tenant_id, i.customer_id, i.due_on, i.invoice_number;
$$;

/*
 * Suspends one account for non-payment (the sweep, acting for nobody), under its lock; false when
 * it is no longer active (suspended meanwhile by a member). Its own transaction in the worker.
 */
create or replace function app_private.suspend_overdue_account(tenant_id text, customer_id text, invoice_number text, days_overdue int)
returns boolean
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform app_private.account_for_change(tenant_id, customer_id);
  if not exists (select 1 from app_public.customers c
                 where c.tenant_id = suspend_overdue_account.tenant_id and c.id = suspend_overdue_account.customer_id
                   and c.account_status = 'active' and c.status = 'active') then
    return false;
  end if;
  perform app_private.suspend_account(tenant_id, customer_id, 'non_payment',
    format('Invoice %s overdue by %s days (automatic).', invoice_number, days_overdue), 'suspend_overdue_accounts');
  return true;
end;
$$;

/* The sweep in one call (tests, psql); returns how many it suspended. The worker calls suspend_overdue_account once per account. */
create or replace function app_private.suspend_overdue_accounts(at timestamptz default now()) returns int
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  select count(*)::int from app_private.overdue_accounts_to_suspend(at) d
  where app_private.suspend_overdue_account(d.tenant_id, d.customer_id, d.invoice_number, d.days_overdue);
$$;
comment on function app_private.suspend_overdue_accounts(timestamptz) is
  'Suspends (non_payment) the active accounts with an invoice overdue by the business''s account_overdue_suspend_days (not those reactivated since); returns how many.';

/*
 * A customer with an account is not merged into another one (ACMRG): its ledger, invoices and
 * number belong to it. Merge the other way round, or settle and keep both.
 */
create or replace function app_private.assert_no_account_to_merge(tenant_id text, customer_id text) returns void
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  number text;
begin
  select a.account_number into number from app_public.customer_accounts a
  where a.tenant_id = assert_no_account_to_merge.tenant_id and a.customer_id = assert_no_account_to_merge.customer_id;
  if found then
    perform app_hidden.raise_error('ACMRG', format(
      'This customer has account %s: merge the other customer into it instead.', number), customer_id);
  end if;
end;
$$;

------------------------------------------------------------------------------------------------
-- Who sees accounts: members with accounts.view, of their own business. Writes only through the
-- commands above (security definer).

drop policy if exists select_with_permission on app_public.customer_accounts;
create policy select_with_permission on app_public.customer_accounts for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('accounts.view')));
grant select on app_public.customer_accounts to :DATABASE_VISITOR;

drop policy if exists select_with_permission on app_public.account_suspensions;
create policy select_with_permission on app_public.account_suspensions for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('accounts.view')));
grant select on app_public.account_suspensions to :DATABASE_VISITOR;

drop policy if exists select_with_permission on app_public.account_actions;
create policy select_with_permission on app_public.account_actions for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('accounts.view')));
grant select on app_public.account_actions to :DATABASE_VISITOR;

create or replace trigger _010_append_only before update or delete on app_public.account_actions
  for each row execute function app_private.tg__append_only();
--! EndIncluded accounts/700-accounts.sql
--! Included accounts/710-ledger.sql
-- The ledger of an account (app_public.account_entries): what the customer owes is the sum of its
-- entries, never a stored number that could drift.
--
--   sale         + the tender "account" of a sale at the till (the amount due, in full)
--   credit_note  − what a void, cancellation or refund of such a sale gives back to the account
--   payment      − a payment received (accounts/730)
--   write_off    − what the business gives up collecting, with a reason
--
-- Sales and credit notes are written by triggers on tenders and refund tenders, so every way a
-- sale is taken back (void_order, cancel_order, refund_order_lines) credits the account with the
-- same rule that hands cash back from the drawer. Each keeps its part before tax and its tax (the
-- order's, in proportion when only part of it), which is what an invoice shows per rate.

/*
 * The checks of a sale on account, in record_tender before the tender is written: the order's
 * customer must have an account (NOACC) that is active (ACSUS), the tender must be the whole
 * amount due (BADAM), and the balance plus this sale must stay within the credit limit (CRLIM).
 * The account row is locked first (app_private.account_for_change), so concurrent sales on one
 * account take turns and exactly those that fit are accepted.
 */
create or replace function app_private.assert_account_tender(o app_public.orders, amount int) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  c app_public.customers;
  balance bigint;
  cur app_public.currencies := app_private.tenant_currency(o.tenant_id);
begin
  if o.customer_id is null then
    perform app_hidden.raise_error('NOACC', 'Attach the customer whose account this sale goes on.', field => 'type');
  end if;
  perform app_private.account_for_change(o.tenant_id, o.customer_id);
  select x.* into c from app_public.customers x where x.tenant_id = o.tenant_id and x.id = o.customer_id;
  if c.account_status <> 'active' or c.status <> 'active' then
    perform app_hidden.raise_error('ACSUS', case when c.account_status = 'suspended'
      then format('This customer''s account is suspended (%s): take another payment.', c.suspended_reason)
      else 'This customer''s account is not active: take another payment.' end, field => 'type');
  end if;
  if amount <> o.total - o.paid_total then
    perform app_hidden.raise_error('BADAM', format('A sale on account takes the whole amount due (%s).',
      app_hidden.format_money(o.total - o.paid_total, cur)), field => 'amount');
  end if;
  balance := app_hidden.account_balance(o.tenant_id, o.customer_id);
  if balance + amount > c.credit_limit then
    perform app_hidden.raise_error('CRLIM', format(
      'Over the credit limit: the account owes %s, this sale is %s and the limit is %s (%s available).',
      app_hidden.format_money(balance, cur), app_hidden.format_money(amount, cur), app_hidden.format_money(c.credit_limit, cur),
      app_hidden.format_money(greatest(c.credit_limit - balance, 0), cur)), field => 'amount');
  end if;
end;
$$;
comment on function app_private.assert_account_tender(app_public.orders, int) is
  'Checks a sale on account under the account''s lock: NOACC, ACSUS, BADAM (not the whole amount due), CRLIM (over the credit limit).';

/* The part of an order's (or refund's) tax that an amount paid or given back of it carries, rounded half up. */
create or replace function app_hidden.tax_share(tax bigint, total bigint, amount bigint) returns bigint
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select case when total = 0 then 0 else round(tax::numeric * amount / total)::bigint end;
$$;

/* Trigger: a tender of type account is a sale on the account's ledger. */
create or replace function app_private.tg_tenders__account_entry() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  o app_public.orders;
  tax bigint;
begin
  select x.* into o from app_public.orders x where x.tenant_id = new.tenant_id and x.id = new.order_id;
  tax := app_hidden.tax_share(o.tax_total, o.total, new.applied_amount);
  insert into app_public.account_entries (tenant_id, customer_id, kind, amount, net_amount, tax_amount, tax_rate_bps,
                                          order_id, tender_id, business_date, created_by_user_id)
  values (new.tenant_id, o.customer_id, 'sale', new.applied_amount, new.applied_amount - tax, tax, o.tax_rate_bps,
          o.id, new.id, new.business_date, new.recorded_by_user_id);
  return null;
end;
$$;
create or replace trigger _500_account_entry after insert on app_public.tenders
  for each row when (new.type = 'account') execute function app_private.tg_tenders__account_entry();

/*
 * Trigger: money given back to an account (a void, cancellation or refund of a sale on account)
 * is a credit note on its ledger, with the tax of the refund (or of the order) it carries.
 */
create or replace function app_private.tg_refund_tenders__account_entry() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  o app_public.orders;
  f app_public.order_refunds;
  tax bigint;
  customer text;
begin
  select x.* into o from app_public.orders x where x.tenant_id = new.tenant_id and x.id = new.order_id;
  if new.order_refund_id is not null then
    select x.* into f from app_public.order_refunds x where x.tenant_id = new.tenant_id and x.id = new.order_refund_id;
    tax := app_hidden.tax_share(f.tax_total, f.total, new.amount);
  else
    tax := app_hidden.tax_share(o.tax_total, o.total, new.amount);
  end if;
  -- The account the sale was charged to (the order's customer then; an order's customer does not change once paid).
  select e.customer_id into customer from app_public.account_entries e
  where e.tenant_id = new.tenant_id and e.order_id = new.order_id and e.kind = 'sale' limit 1;
  -- Every writer of an account's ledger takes the account's lock first (accounts/700).
  perform app_private.account_for_change(new.tenant_id, coalesce(customer, o.customer_id));
  insert into app_public.account_entries (tenant_id, customer_id, kind, amount, net_amount, tax_amount, tax_rate_bps,
                                          order_id, refund_tender_id, memo, business_date, created_by_user_id)
  values (new.tenant_id, coalesce(customer, o.customer_id), 'credit_note', -new.amount, -(new.amount - tax), -tax, o.tax_rate_bps,
          o.id, new.id, new.reason, new.business_date, new.refunded_by_user_id);
  -- Credit for a sale already invoiced pays that invoice down like a payment (accounts/730).
  perform app_private.allocate_account_credit(new.tenant_id, coalesce(customer, o.customer_id));
  return null;
end;
$$;
create or replace trigger _500_account_entry after insert on app_public.refund_tenders
  for each row when (new.type = 'account') execute function app_private.tg_refund_tenders__account_entry();

/*
 * Writes off part or all of what an account owes (needs accounts.manage; reason required): a
 * negative entry that pays invoices down like a payment. Never more than the balance (BADAM).
 */
create or replace function app_public.write_off_account_balance(customer_id text, amount bigint, reason text) returns app_public.account_entries
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('accounts.manage');
  why text := app_private.begin_account_command('write_off_account_balance', reason);
  account app_public.customer_accounts := app_private.account_for_change(tenant, customer_id);
  before jsonb := app_private.account_snapshot(tenant, account.customer_id);
  balance bigint := app_hidden.account_balance(tenant, account.customer_id);
  result app_public.account_entries;
begin
  if amount is null or amount <= 0 or amount > balance then
    perform app_hidden.raise_error('BADAM', format('The amount written off must be positive and at most the balance (%s).',
      app_hidden.format_money(balance, app_private.tenant_currency(tenant))), field => 'amount');
  end if;
  insert into app_public.account_entries (tenant_id, customer_id, kind, amount, memo, business_date, created_by_user_id)
  values (tenant, account.customer_id, 'write_off', -amount, why, app_hidden.tenant_today(tenant), app_hidden.change_actor())
  returning * into result;
  perform app_private.allocate_account_credit(tenant, account.customer_id);
  perform app_private.log_account_action(tenant, account.customer_id, 'write_off', why, before, jsonb_build_object('written_off', amount));
  perform app_private.end_account_command();
  return result;
end;
$$;
comment on function app_public.write_off_account_balance(text, bigint, text) is
  E'@resultFieldName accountEntry\nWrites off part or all of what an account owes (needs accounts.manage; the reason is required and kept in the action log): it pays the oldest open invoices down like a payment. At most the balance (BADAM).';

/*
 * Erasing a customer's personal data (customers/495) is refused while their account is not
 * settled (OPBAL): a debt owed by nobody, or a credit nobody can claim (pay it back first:
 * refund_account_credit, accounts/730).
 */
create or replace function app_private.assert_no_open_balance(tenant_id text, customer_id text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  balance bigint;
begin
  -- Under the account's lock (when it has one), so that no sale on account lands while the erasure runs.
  perform 1 from app_public.customer_accounts a
  where a.tenant_id = assert_no_open_balance.tenant_id and a.customer_id = assert_no_open_balance.customer_id
  for update;
  balance := app_hidden.account_balance(tenant_id, customer_id);
  if balance <> 0 then
    perform app_hidden.raise_error('OPBAL', format(
      'This customer''s account is not settled (%s): settle it (a payment, a write-off, or its credit paid back) before erasing their personal data.',
      app_hidden.format_money(balance, app_private.tenant_currency(tenant_id))), customer_id);
  end if;
end;
$$;
comment on function app_private.assert_no_open_balance(text, text) is 'OPBAL while the customer''s account balance is not zero (erasure waits until it is settled).';

drop policy if exists select_with_permission on app_public.account_entries;
create policy select_with_permission on app_public.account_entries for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('accounts.view')));
grant select on app_public.account_entries to :DATABASE_VISITOR;

create or replace trigger _010_append_only before update or delete on app_public.account_entries
  for each row execute function app_private.tg__append_only();
--! EndIncluded accounts/710-ledger.sql
--! Included accounts/720-invoices.sql
-- Invoices of an account: INV-YYYY-NNNNN per business and year, gap-free (the tenant counter).
--
-- An invoice gathers the account's uninvoiced sales on account and credit notes up to a day, one
-- line each with its net amount, tax and rate; its due date is its issue date plus the account's
-- payment terms. It is issued as it is made (status open): the sales it gathers are final, so
-- there is no draft; a wrong invoice is voided with a reason and its sales go on the next one.
-- A credit note goes on the invoice of its sale when that sale is not invoiced yet (they net);
-- once the sale is invoiced, the credit note pays that invoice down like a payment instead
-- (accounts/730). Nothing to invoice, or a net of zero (a sale voided in the same period), makes
-- no invoice.
--
-- Monthly invoicing (worker task invoice_accounts, hourly; app_private.monthly_invoicing_due):
-- from 02:00 on the 1st on the clock of the business's first location, every account with sales
-- dated in an earlier month not yet invoiced gets one invoice for them, once a month. Running it
-- again finds the month invoiced, so it makes no second invoice; a missed night is caught up by
-- the next run. Two runs at once take turns on the account's lock. Each account is invoiced in
-- its own transaction by the worker.
--
-- Overdue is not stored: an open invoice is overdue once its due date is past on the business's
-- clock (account_invoices_state), so it is exact at every instant without a nightly job.

/* INV-2026-00001: the issue year and a number per business and year, without gaps. */
create or replace function app_private.next_invoice_number(tenant_id text, on_day date) returns text
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  select 'INV-' || extract(year from on_day)::int || '-'
         || lpad(app_private.next_tenant_number(next_invoice_number.tenant_id, 'invoice_number_' || extract(year from on_day)::int)::text, 5, '0');
$$;

/*
 * The entries an invoice made now up to `until` gathers: the account's sales and credit notes
 * dated up to then that are on no live invoice — a credit note only while its sale is not
 * invoiced either (otherwise it is credit, accounts/730).
 */
create or replace function app_private.uninvoiced_entries(tenant_id text, customer_id text, until date)
returns setof app_public.account_entries
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select e.* from app_public.account_entries e
  where e.tenant_id = uninvoiced_entries.tenant_id and e.customer_id = uninvoiced_entries.customer_id
    and e.kind in ('sale', 'credit_note') and e.business_date <= until
    and not exists (select 1 from app_private.invoiced_entries i where i.tenant_id = e.tenant_id and i.entry_id = e.id)
    and (e.kind = 'sale' or not exists (
      select 1 from app_public.account_entries s
      join app_private.invoiced_entries i on i.tenant_id = s.tenant_id and i.entry_id = s.id
      where s.tenant_id = e.tenant_id and s.order_id = e.order_id and s.kind = 'sale'));
$$;

/* What an invoice line says: "Sale 2026-12-03 · Main store" or "Credit note 2026-12-04 · Main store: damaged". */
create or replace function app_private.invoice_line_description(e app_public.account_entries) returns text
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select case e.kind when 'sale' then 'Sale ' else 'Credit note ' end || to_char(e.business_date, 'YYYY-MM-DD')
         || coalesce(' · ' || l.name, '') || case when e.kind = 'credit_note' and e.memo is not null then ': ' || left(e.memo, 200) else '' end
  from app_public.orders o
  left join app_public.locations l on l.tenant_id = o.tenant_id and l.id = o.location_id
  where o.tenant_id = e.tenant_id and o.id = e.order_id;
$$;

/*
 * Makes the invoice of an account's uninvoiced sales and credit notes up to `until`, under the
 * account's lock, dated on the business's clock at `at`; null when there is nothing to invoice or
 * they net to zero. Then applies the account's unallocated credit to it (accounts/730).
 */
create or replace function app_private.issue_account_invoice(tenant_id text, customer_id text, until date, source text,
                                                          at timestamptz default now())
returns app_public.account_invoices
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  account app_public.customer_accounts := app_private.account_for_change(tenant_id, customer_id);
  today date := app_hidden.tenant_today(tenant_id, at);
  inv app_public.account_invoices;
begin
  -- One statement, so the lines, their marks and the totals are the same entries; the number is
  -- taken only when there is an invoice to make (the having).
  with gathered as materialized (
    select * from app_private.uninvoiced_entries(tenant_id, customer_id, until)
  ), made as (
    insert into app_public.account_invoices (tenant_id, customer_id, invoice_number, period_start, period_end, issued_on, due_on,
                                             currency, net_total, tax_total, total, source, created_by_user_id)
    select issue_account_invoice.tenant_id, issue_account_invoice.customer_id,
           app_private.next_invoice_number(issue_account_invoice.tenant_id, today),
           least(min(g.business_date), until), until, today,
           today + (select coalesce(c.payment_terms_days, 30) from app_public.customers c
                    where c.tenant_id = issue_account_invoice.tenant_id and c.id = issue_account_invoice.customer_id),
           (select t.currency from app_public.tenants t where t.id = issue_account_invoice.tenant_id),
           sum(g.net_amount), sum(g.tax_amount), sum(g.amount), source, app_hidden.change_actor()
    from gathered g
    having sum(g.amount) > 0
    returning *
  ), lines as (
    insert into app_public.account_invoice_lines (tenant_id, invoice_id, entry_id, line_no, description, net_amount, tax_amount, tax_rate_bps, amount)
    select m.tenant_id, m.id, g.id, row_number() over (order by g.business_date, g.id),
           app_private.invoice_line_description(g::app_public.account_entries), g.net_amount, g.tax_amount, g.tax_rate_bps, g.amount
    from gathered g cross join made m
  ), marks as (
    insert into app_private.invoiced_entries (tenant_id, entry_id, invoice_id)
    select m.tenant_id, g.id, m.id from gathered g cross join made m
  )
  select m.* into inv from made m;
  if inv.id is null then
    return null;
  end if;
  perform app_private.allocate_account_credit(tenant_id, customer_id);
  select i.* into inv from app_public.account_invoices i where i.tenant_id = inv.tenant_id and i.id = inv.id;
  return inv;
end;
$$;
comment on function app_private.issue_account_invoice(text, text, date, text, timestamptz) is
  'Invoices an account''s uninvoiced sales and credit notes up to a day (under its lock), then applies its unallocated credit; null when nothing is to invoice.';

/* Invoices an account now (needs accounts.manage): everything uninvoiced up to today. NOINV when there is nothing. */
create or replace function app_public.invoice_customer_account(customer_id text) returns app_public.account_invoices
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('accounts.manage');
  inv app_public.account_invoices;
begin
  perform app_private.begin_change('invoice_customer_account', null);
  inv := app_private.issue_account_invoice(tenant, customer_id, app_hidden.tenant_today(tenant), 'on_demand');
  if inv.id is null then
    perform app_hidden.raise_error('NOINV', 'There is nothing to invoice on this account: no sales on account since its last invoice.');
  end if;
  perform app_private.end_change();
  return inv;
end;
$$;
comment on function app_public.invoice_customer_account(text) is
  E'@resultFieldName accountInvoice\nInvoices an account now (needs accounts.manage): every sale on account and credit note up to today not yet invoiced, due after the account''s payment terms. NOINV when there is nothing to invoice.';

/*
 * The accounts the monthly run has to invoice at `at`: in each business whose first location's
 * clock has passed 02:00 on the 1st, each account with sales or credit notes dated before that
 * month not yet invoiced, and no monthly invoice for that month yet (void or not: once a month,
 * so a sale dated last month that arrives later — another location's clock, an imported sale —
 * or the sales of a voided invoice wait for the next month or an invoice on demand). `until` is
 * the last day of the month invoiced.
 */
create or replace function app_private.monthly_invoicing_due(at timestamptz default now())
returns table (tenant_id text, customer_id text, until date)
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  with cutoff as (
    select t.id as tenant_id,
           -- The last day of the month before the one that began at 02:00 local time.
           (date_trunc('month', (at at time zone coalesce(
              (select l.timezone from app_public.locations l where l.tenant_id = t.id order by l.created_at, l.id limit 1), 'UTC'))
              - interval '2 hours')::date - 1) as until
    from app_public.tenants t
    where exists (select 1 from app_public.customer_accounts a where a.tenant_id = t.id)
  )
  select a.tenant_id, a.customer_id, c.until
  from cutoff c
  join app_public.customer_accounts a on a.tenant_id = c.tenant_id
  where not exists (select 1 from app_public.account_invoices i
                    where i.tenant_id = a.tenant_id and i.customer_id = a.customer_id and i.source = 'monthly' and i.period_end = c.until)
    and exists (select 1 from app_private.uninvoiced_entries(a.tenant_id, a.customer_id, c.until))
  order by a.tenant_id, a.customer_id;
$$;
comment on function app_private.monthly_invoicing_due(timestamptz) is
  'The accounts the monthly run invoices at this instant (from 02:00 on the 1st, business clock; once a month each), with the last day invoiced.';

/*
 * The monthly run in one call (tests, psql): each due account invoiced in turn. The worker task
 * invoice_accounts instead calls issue_account_invoice once per due account, each in its own
 * transaction, so that one business's failure or a lock held elsewhere delays nobody else.
 */
create or replace function app_private.run_monthly_invoicing(at timestamptz default now()) returns int
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  select count(*)::int from app_private.monthly_invoicing_due(at) d
  cross join lateral app_private.issue_account_invoice(d.tenant_id, d.customer_id, d.until, 'monthly', at) i
  where i.id is not null;
$$;
comment on function app_private.run_monthly_invoicing(timestamptz) is
  'Invoices every due account (app_private.monthly_invoicing_due) in one transaction; returns how many invoices it made. Safe to run again.';

/*
 * Voids an invoice (needs accounts.manage; reason required): its sales and credit notes go back to
 * being uninvoiced (the next invoice takes them), what payments had covered of it goes back to
 * credit and is applied again to the account's other open invoices. BADIN when void already.
 */
create or replace function app_public.void_account_invoice(account_invoice_id text, reason text) returns app_public.account_invoices
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('accounts.manage');
  why text := app_private.begin_account_command('void_account_invoice', reason);
  inv app_public.account_invoices;
  before jsonb;
begin
  select i.* into inv from app_public.account_invoices i where i.tenant_id = tenant and i.id = void_account_invoice.account_invoice_id;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no invoice %s.', left(account_invoice_id, 40)), field => 'account_invoice_id');
  end if;
  perform app_private.account_for_change(tenant, inv.customer_id);
  select i.* into inv from app_public.account_invoices i where i.tenant_id = tenant and i.id = inv.id;
  if inv.status = 'void' then
    perform app_hidden.raise_error('BADIN', format('Invoice %s is void already.', inv.invoice_number));
  end if;
  before := app_private.account_snapshot(tenant, inv.customer_id)
            || jsonb_build_object('invoice_number', inv.invoice_number, 'invoice_status', inv.status, 'amount_paid', inv.amount_paid);
  delete from app_public.account_allocations x where x.tenant_id = tenant and x.invoice_id = inv.id;
  delete from app_private.invoiced_entries x where x.tenant_id = tenant and x.invoice_id = inv.id;
  -- Credit notes of the sales that are uninvoiced again go with them on the next invoice: they stop being credit.
  delete from app_public.account_allocations x
  using app_public.account_entries cn
  where x.tenant_id = tenant and cn.tenant_id = tenant and cn.id = x.entry_id and cn.kind = 'credit_note'
    and cn.order_id in (select s.order_id from app_public.account_invoice_lines l
                        join app_public.account_entries s on s.tenant_id = l.tenant_id and s.id = l.entry_id
                        where l.tenant_id = tenant and l.invoice_id = inv.id and s.kind = 'sale');
  update app_public.account_invoices i
    set status = 'void', amount_paid = 0, voided_at = now(), void_reason = why, voided_by_user_id = app_hidden.change_actor()
    where i.tenant_id = tenant and i.id = inv.id
    returning * into inv;
  perform app_private.recompute_invoices_paid(tenant, inv.customer_id);
  perform app_private.allocate_account_credit(tenant, inv.customer_id);
  perform app_private.log_account_action(tenant, inv.customer_id, 'invoice_void', why, before,
    jsonb_build_object('invoice_number', inv.invoice_number, 'invoice_status', 'void'));
  perform app_private.end_account_command();
  select i.* into inv from app_public.account_invoices i where i.tenant_id = tenant and i.id = inv.id;
  return inv;
end;
$$;
comment on function app_public.void_account_invoice(text, text) is
  E'@resultFieldName accountInvoice\nVoids an invoice (needs accounts.manage; the reason is required and kept in the action log): its sales go on the next invoice, and what payments covered of it pays the account''s other open invoices. BADIN when void already.';

-- An invoice's own fields for the API, read under its select policy (accounts.view).

/* open, overdue (open past its due date on the business's clock), paid or void. */
create or replace function app_public.account_invoices_state(i app_public.account_invoices) returns text
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select case when i.status = 'open' and i.due_on < app_hidden.tenant_today(i.tenant_id) then 'overdue' else i.status end;
$$;
comment on function app_public.account_invoices_state(app_public.account_invoices) is
  E'@notNull\nopen, overdue (open and past its due date on the business''s clock), paid or void.';

create or replace function app_public.account_invoices_amount_due(i app_public.account_invoices) returns bigint
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select case when i.status = 'void' then 0 else i.total - i.amount_paid end;
$$;
comment on function app_public.account_invoices_amount_due(app_public.account_invoices) is
  E'@notNull\nWhat is left to pay on it, in minor units (0 when paid or void).';

create or replace function app_public.account_invoices_days_overdue(i app_public.account_invoices) returns int
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select case when i.status = 'open' then greatest(app_hidden.tenant_today(i.tenant_id) - i.due_on, 0) end;
$$;
comment on function app_public.account_invoices_days_overdue(app_public.account_invoices) is
  'Days past its due date while open (0 when not yet due); null when paid or void.';

/* The invoice's tax per rate (lines without a rate are at 0). */
create or replace function app_public.account_invoices_taxes(i app_public.account_invoices) returns setof app_public.account_invoice_tax
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(l.tax_rate_bps, 0), sum(l.net_amount)::bigint, sum(l.tax_amount)::bigint
  from app_public.account_invoice_lines l
  where l.tenant_id = i.tenant_id and l.invoice_id = i.id
  group by coalesce(l.tax_rate_bps, 0)
  order by 1;
$$;
comment on function app_public.account_invoices_taxes(app_public.account_invoices) is
  'The invoice''s net amount and tax per tax rate (basis points).';

/* What the account owes on invoices past their due date (the Accounts card's overdue figure). */
create or replace function app_public.customer_accounts_overdue_total(a app_public.customer_accounts) returns bigint
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(sum(i.total - i.amount_paid), 0)::bigint from app_public.account_invoices i
  where i.tenant_id = a.tenant_id and i.customer_id = a.customer_id and i.status = 'open'
    and i.due_on < app_hidden.tenant_today(a.tenant_id);
$$;
comment on function app_public.customer_accounts_overdue_total(app_public.customer_accounts) is
  E'@notNull\nWhat is left to pay on the account''s invoices past their due date, in minor units.';

drop policy if exists select_with_permission on app_public.account_invoices;
create policy select_with_permission on app_public.account_invoices for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('accounts.view')));
grant select on app_public.account_invoices to :DATABASE_VISITOR;

drop policy if exists select_with_permission on app_public.account_invoice_lines;
create policy select_with_permission on app_public.account_invoice_lines for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('accounts.view')));
grant select on app_public.account_invoice_lines to :DATABASE_VISITOR;

create or replace trigger _010_append_only before update or delete on app_public.account_invoice_lines
  for each row execute function app_private.tg__append_only();

create or replace trigger _100_timestamps before insert or update on app_public.account_invoices
  for each row execute function app_private.tg__timestamps();
--! EndIncluded accounts/720-invoices.sql
--! Included accounts/730-payments.sql
-- Payments on an account, and how credit pays invoices (allocation).
--
-- A payment (cash, card or bank transfer, on the day it was received) is a negative entry of the
-- ledger, so the balance falls at once whatever it pays. Which invoices it pays is the allocation,
-- one rule for every kind of credit — payments, write-offs, and credit notes of sales already
-- invoiced (accounts/720): credit pays the account's open invoices oldest due first (then by
-- number), the oldest credit first; partial payments leave an invoice open with less due; an
-- invoice is paid when what is allocated to it equals its total. Credit left over (a payment
-- larger than what is invoiced) waits, and pays the next invoice as soon as it is issued.
-- Allocation runs under the account's lock (accounts/700), after every payment, write-off,
-- credit note, invoice and void. Credit can also be paid back to the customer (a refund entry,
-- refund_account_credit), up to what is not allocated: it takes the oldest credit, which is then
-- never allocated.

/*
 * The account's credit not yet allocated, oldest first: payments, write-offs, and credit notes
 * whose sale is on a live invoice (a credit note of a sale not yet invoiced goes on the invoice
 * with it instead).
 */
create or replace function app_private.account_credits(tenant_id text, customer_id text)
returns table (entry_id text, business_date date, remaining bigint)
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select e.id, e.business_date,
         -e.amount - coalesce((select sum(x.amount) from app_public.account_allocations x
                               where x.tenant_id = e.tenant_id and x.entry_id = e.id), 0)
  from app_public.account_entries e
  where e.tenant_id = account_credits.tenant_id and e.customer_id = account_credits.customer_id
    and (e.kind in ('payment', 'write_off')
         or (e.kind = 'credit_note'
             and not exists (select 1 from app_private.invoiced_entries i where i.tenant_id = e.tenant_id and i.entry_id = e.id)
             and exists (select 1 from app_public.account_entries s
                         join app_private.invoiced_entries i on i.tenant_id = s.tenant_id and i.entry_id = s.id
                         where s.tenant_id = e.tenant_id and s.order_id = e.order_id and s.kind = 'sale')))
    and -e.amount > coalesce((select sum(x.amount) from app_public.account_allocations x
                              where x.tenant_id = e.tenant_id and x.entry_id = e.id), 0)
  order by e.business_date, e.id;
$$;
comment on function app_private.account_credits(text, text) is
  'An account''s credit not yet allocated to invoices (payments, write-offs, credit notes of invoiced sales), oldest first, with what is left of each.';

/* Sets each live invoice's amount paid from its allocations, and its status (paid when covered). */
create or replace function app_private.recompute_invoices_paid(tenant_id text, customer_id text) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  update app_public.account_invoices i
    set amount_paid = x.paid, status = case when x.paid = i.total then 'paid' else 'open' end
  from (select i2.id, coalesce((select sum(a.amount) from app_public.account_allocations a
                                where a.tenant_id = i2.tenant_id and a.invoice_id = i2.id), 0)::bigint as paid
        from app_public.account_invoices i2
        where i2.tenant_id = recompute_invoices_paid.tenant_id and i2.customer_id = recompute_invoices_paid.customer_id
          and i2.status <> 'void') x
  where i.tenant_id = recompute_invoices_paid.tenant_id and i.id = x.id
    and (i.amount_paid <> x.paid or i.status <> case when x.paid = i.total then 'paid' else 'open' end);
$$;

/*
 * Applies an account's unallocated credit to its open invoices: the oldest credit to the invoice
 * due first, each as far as it goes (the rule at the top of this file). Under the account's lock.
 */
create or replace function app_private.allocate_account_credit(tenant_id text, customer_id text) returns void
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  cr record;
  inv record;
  left_over bigint;
  take bigint;
  paid_back bigint;
begin
  perform app_private.account_for_change(tenant_id, customer_id);
  -- Credit paid back to the customer (refund entries) is the oldest credit: it is never allocated.
  paid_back := coalesce((select sum(e.amount) from app_public.account_entries e
                         where e.tenant_id = allocate_account_credit.tenant_id and e.customer_id = allocate_account_credit.customer_id
                           and e.kind = 'refund'), 0);
  for cr in select * from app_private.account_credits(tenant_id, customer_id) loop
    left_over := cr.remaining - least(cr.remaining, paid_back);
    paid_back := paid_back - least(cr.remaining, paid_back);
    continue when left_over = 0;
    for inv in
      select i.id, i.total - i.amount_paid as due from app_public.account_invoices i
      where i.tenant_id = allocate_account_credit.tenant_id and i.customer_id = allocate_account_credit.customer_id
        and i.status = 'open'
      order by i.due_on, i.invoice_number
    loop
      exit when left_over = 0;
      take := least(left_over, inv.due);
      insert into app_public.account_allocations as a (tenant_id, entry_id, invoice_id, amount)
      values (tenant_id, cr.entry_id, inv.id, take)
      on conflict on constraint account_allocations_pkey do update set amount = a.amount + excluded.amount;
      update app_public.account_invoices i
        set amount_paid = i.amount_paid + take,
            status = case when i.amount_paid + take = i.total then 'paid' else i.status end
        where i.tenant_id = allocate_account_credit.tenant_id and i.id = inv.id;
      left_over := left_over - take;
    end loop;
    -- No open invoice left: the rest of the credit waits for the next invoice.
    exit when left_over > 0;
  end loop;
end;
$$;
comment on function app_private.allocate_account_credit(text, text) is
  'Applies an account''s unallocated credit (payments, write-offs, credit notes of invoiced sales) to its open invoices, oldest due first; marks covered invoices paid.';

/*
 * Records a payment received on an account (needs accounts.manage): cash, card or bank transfer,
 * on the day it was received (today unless said; never in the future), with an optional
 * reference. It lowers the balance at once and pays the oldest open invoices first. A payment
 * larger than the balance leaves the account in credit, which pays the next invoice.
 */
create or replace function app_public.record_account_payment(customer_id text, amount bigint, method text,
                                                             reference text default null, received_on date default null)
returns app_public.account_payments
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('accounts.manage');
  account app_public.customer_accounts := app_private.account_for_change(tenant, customer_id);
  today date := app_hidden.tenant_today(tenant);
  how text := lower(btrim(method));
  ref text := app_hidden.optional_name('The reference', reference, 100, 'reference');
  result app_public.account_payments;
begin
  perform app_private.begin_change('record_account_payment', null);
  if amount is null or amount <= 0 or amount > 100000000000 then
    perform app_hidden.raise_error('BADAM', 'The amount must be a positive number of minor units (at most 100000000000).', field => 'amount');
  end if;
  if how is null or how not in ('cash', 'card', 'bank_transfer') then
    perform app_hidden.raise_error('BADIN', 'The payment method must be cash, card or bank_transfer.', field => 'method');
  end if;
  if received_on > today then
    perform app_hidden.raise_error('BADIN', 'A payment cannot be received in the future.', field => 'received_on');
  end if;
  insert into app_public.account_payments (tenant_id, customer_id, amount, method, reference, received_on, recorded_by_user_id)
  values (tenant, account.customer_id, amount, how, ref, coalesce(received_on, today), app_hidden.change_actor())
  returning * into result;
  insert into app_public.account_entries (tenant_id, customer_id, kind, amount, payment_id, memo, business_date, created_by_user_id)
  values (tenant, account.customer_id, 'payment', -amount, result.id, ref, result.received_on, result.recorded_by_user_id);
  perform app_private.allocate_account_credit(tenant, account.customer_id);
  perform app_private.end_change();
  return result;
end;
$$;
comment on function app_public.record_account_payment(text, bigint, text, text, date) is
  E'@resultFieldName accountPayment\nRecords a payment received on an account (needs accounts.manage): amount in minor units, method cash, card or bank_transfer, an optional reference, the day it was received (today unless given; not in the future). It pays the oldest open invoices first; what is left over pays the next invoice.';

/* Credit not yet allocated nor paid back: what refund_account_credit may pay back, what waits for the next invoice. */
create or replace function app_private.unallocated_credit(tenant_id text, customer_id text) returns bigint
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce((select sum(c.remaining) from app_private.account_credits(tenant_id, customer_id) c), 0)
       - coalesce((select sum(e.amount) from app_public.account_entries e
                    where e.tenant_id = unallocated_credit.tenant_id and e.customer_id = unallocated_credit.customer_id
                      and e.kind = 'refund'), 0);
$$;

/*
 * Pays back credit to the customer (needs accounts.manage; reason required): an account in credit
 * (it paid more than it owed, or a sale was voided after it was paid) is settled by handing the
 * money back, by cash, card or bank transfer. At most the credit not allocated to an invoice
 * (BADAM). A refund entry on the ledger and an action in the log.
 */
create or replace function app_public.refund_account_credit(customer_id text, amount bigint, method text, reason text)
returns app_public.account_entries
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('accounts.manage');
  why text := app_private.begin_account_command('refund_account_credit', reason);
  account app_public.customer_accounts := app_private.account_for_change(tenant, customer_id);
  before jsonb := app_private.account_snapshot(tenant, account.customer_id);
  available bigint := app_private.unallocated_credit(tenant, account.customer_id);
  how text := lower(btrim(method));
  result app_public.account_entries;
begin
  if how is null or how not in ('cash', 'card', 'bank_transfer') then
    perform app_hidden.raise_error('BADIN', 'The method must be cash, card or bank_transfer.', field => 'method');
  end if;
  if amount is null or amount <= 0 or amount > available then
    perform app_hidden.raise_error('BADAM', format('The amount paid back must be positive and at most the account''s unused credit (%s).',
      app_hidden.format_money(available, app_private.tenant_currency(tenant))), field => 'amount');
  end if;
  insert into app_public.account_entries (tenant_id, customer_id, kind, amount, memo, business_date, created_by_user_id)
  values (tenant, account.customer_id, 'refund', amount, 'Paid back by ' || replace(how, '_', ' ') || ': ' || why,
          app_hidden.tenant_today(tenant), app_hidden.change_actor())
  returning * into result;
  perform app_private.log_account_action(tenant, account.customer_id, 'credit_refund', why, before,
    jsonb_build_object('paid_back', amount, 'method', how));
  perform app_private.end_account_command();
  return result;
end;
$$;
comment on function app_public.refund_account_credit(text, bigint, text, text) is
  E'@resultFieldName accountEntry\nPays credit back to the customer (needs accounts.manage; the reason is required and kept in the action log): method cash, card or bank_transfer; at most the credit not allocated to invoices (BADAM). How an account in credit is settled.';

/* What the account holds in credit, not allocated to invoices nor paid back (minor units). */
create or replace function app_public.customer_accounts_unused_credit(a app_public.customer_accounts) returns bigint
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select app_private.unallocated_credit(a.tenant_id, a.customer_id)
  where a.tenant_id = app_hidden.current_tenant_id() and app_hidden.has_permission('accounts.view');
$$;
comment on function app_public.customer_accounts_unused_credit(app_public.customer_accounts) is
  E'@notNull\nCredit the account holds that no invoice has used yet (payments beyond what was invoiced, credit notes of paid sales), less what was paid back: what refundAccountCredit may pay back.';

/* What of a payment went to invoices (the rest is credit waiting for the next invoice). */
create or replace function app_public.account_payments_allocated(p app_public.account_payments) returns bigint
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(sum(a.amount), 0)::bigint
  from app_public.account_entries e
  join app_public.account_allocations a on a.tenant_id = e.tenant_id and a.entry_id = e.id
  where e.tenant_id = p.tenant_id and e.payment_id = p.id;
$$;
comment on function app_public.account_payments_allocated(app_public.account_payments) is
  E'@notNull\nWhat of the payment pays invoices, in minor units; the rest waits for the next invoice.';

drop policy if exists select_with_permission on app_public.account_payments;
create policy select_with_permission on app_public.account_payments for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('accounts.view')));
grant select on app_public.account_payments to :DATABASE_VISITOR;

drop policy if exists select_with_permission on app_public.account_allocations;
create policy select_with_permission on app_public.account_allocations for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('accounts.view')));
grant select on app_public.account_allocations to :DATABASE_VISITOR;

create or replace trigger _010_append_only before update or delete on app_public.account_payments
  for each row execute function app_private.tg__append_only();
--! EndIncluded accounts/730-payments.sql
--! Included accounts/740-statements.sql
-- What an account owes, told two ways that agree to the cent:
--
-- * the statement of a date range: the balance before it (opening), every ledger entry dated in
--   it (sales, credit notes, payments, write-offs, each with its invoice number or reference) and
--   the balance at its end (closing) — the ledger's running sum;
-- * the receivables by age: each open invoice's amount due by days past its due date (current =
--   not yet due), plus the sales not yet invoiced (current) less the credit not yet allocated
--   (current) — whose total is the balance, since every entry is on exactly one of those sides.
--
-- Both read the ledger as it is now; the ages are counted on the business's clock (its first
-- location), at as_of: today unless said, or a later day (what will be overdue by then). A past
-- day is refused: the open items of then are not kept (allocations follow later payments).

/* The invoice an entry is on, if any (its number). */
create or replace function app_private.entry_invoice_number(tenant_id text, entry_id text) returns text
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select i.invoice_number from app_private.invoiced_entries x
  join app_public.account_invoices i on i.tenant_id = x.tenant_id and i.id = x.invoice_id
  where x.tenant_id = entry_invoice_number.tenant_id and x.entry_id = entry_invoice_number.entry_id;
$$;

/*
 * The lines of an account's statement for a date range, for a tenant given explicitly: what
 * app_public.account_statement answers after its checks, and what the worker's statement PDF
 * prints (accounts/750; the worker has no session).
 */
create or replace function app_private.account_statement_lines(tenant_id text, customer_id text, from_date date, until_date date)
returns setof app_public.account_statement_line
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  opening bigint;
  closing bigint;
begin
  select coalesce(sum(e.amount), 0) into opening from app_public.account_entries e
  where e.tenant_id = account_statement_lines.tenant_id and e.customer_id = account_statement_lines.customer_id and e.business_date < from_date;
  select opening + coalesce(sum(e.amount), 0) into closing from app_public.account_entries e
  where e.tenant_id = account_statement_lines.tenant_id and e.customer_id = account_statement_lines.customer_id
    and e.business_date between from_date and until_date;

  return next (from_date, 'opening', null, 'Opening balance', null, null, opening)::app_public.account_statement_line;
  return query
    select e.business_date, e.kind,
           case when e.kind in ('sale', 'credit_note') then app_private.entry_invoice_number(e.tenant_id, e.id)
                when e.kind = 'payment' then p.reference end,
           case e.kind
             when 'payment' then 'Payment, ' || replace(p.method, '_', ' ')
             when 'write_off' then 'Written off: ' || coalesce(e.memo, '')
             when 'refund' then 'Credit ' || lower(left(e.memo, 1)) || substr(e.memo, 2)
             else app_private.invoice_line_description(e) end,
           case when e.amount > 0 then e.amount end,
           case when e.amount < 0 then -e.amount end,
           (opening + sum(e.amount) over (order by e.business_date, e.id))::bigint
    from app_public.account_entries e
    left join app_public.account_payments p on p.tenant_id = e.tenant_id and p.id = e.payment_id
    where e.tenant_id = account_statement_lines.tenant_id and e.customer_id = account_statement_lines.customer_id
      and e.business_date between from_date and until_date
    order by e.business_date, e.id;
  return next (until_date, 'closing', null, 'Closing balance', null, null, closing)::app_public.account_statement_line;
end;
$$;

/*
 * The statement of an account for a date range (needs accounts.view): an opening line (the
 * balance before from_date), one line per ledger entry dated in the range in date order (debit
 * adds to what is owed, credit takes off, balance runs), a closing line (the balance at the end of
 * until_date). NOACC without an account; BADIN when the range is backwards or over 5 years.
 */
create or replace function app_public.account_statement(customer_id text, from_date date, until_date date)
returns setof app_public.account_statement_line
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('accounts.view');
begin
  if not exists (select 1 from app_public.customer_accounts a where a.tenant_id = tenant and a.customer_id = account_statement.customer_id) then
    perform app_hidden.raise_error('NOACC', 'This customer has no account.', field => 'customer_id');
  end if;
  if from_date is null or until_date is null or until_date < from_date then
    perform app_hidden.raise_error('BADIN', 'Choose a start date on or before the end date.', field => 'from_date');
  end if;
  if until_date - from_date > 5 * 366 then
    perform app_hidden.raise_error('BADIN', 'A statement covers at most 5 years.', field => 'from_date');
  end if;
  return query select * from app_private.account_statement_lines(tenant, customer_id, from_date, until_date);
end;
$$;
comment on function app_public.account_statement(text, date, date) is
  'The statement of an account for a date range (needs accounts.view): the opening balance, each sale on account, credit note, payment and write-off dated in it (debit, credit, running balance; the invoice number or payment reference), the closing balance. NOACC, BADIN.';

/* What one account owes by age at as_of (the rule at the top of this file). */
create or replace function app_private.account_aging(tenant_id text, customer_id text, as_of date) returns app_public.receivables_aging_row
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  with invoiced as (
    select coalesce(sum(i.total - i.amount_paid) filter (where as_of - i.due_on <= 0), 0) as current,
           coalesce(sum(i.total - i.amount_paid) filter (where as_of - i.due_on between 1 and 30), 0) as d30,
           coalesce(sum(i.total - i.amount_paid) filter (where as_of - i.due_on between 31 and 60), 0) as d60,
           coalesce(sum(i.total - i.amount_paid) filter (where as_of - i.due_on between 61 and 90), 0) as d90,
           coalesce(sum(i.total - i.amount_paid) filter (where as_of - i.due_on > 90), 0) as older
    from app_public.account_invoices i
    where i.tenant_id = account_aging.tenant_id and i.customer_id = account_aging.customer_id and i.status = 'open'
  ), loose as (
    select coalesce((select sum(u.amount) from app_private.uninvoiced_entries(tenant_id, customer_id, 'infinity') u), 0)
           - app_private.unallocated_credit(tenant_id, customer_id) as amount
  )
  select a.customer_id, a.account_number, c.display_name,
         (v.current + l.amount)::bigint, v.d30::bigint, v.d60::bigint, v.d90::bigint, v.older::bigint,
         (v.current + l.amount + v.d30 + v.d60 + v.d90 + v.older)::bigint
  from app_public.customer_accounts a
  join app_public.customers c on c.tenant_id = a.tenant_id and c.id = a.customer_id
  cross join invoiced v cross join loose l
  where a.tenant_id = account_aging.tenant_id and a.customer_id = account_aging.customer_id;
$$;

/*
 * Receivables by age, one row per account that owes or is owed anything (needs accounts.view):
 * current, 1–30, 31–60, 61–90 and over 90 days past due at as_of (today on the business's clock
 * unless said; not earlier: BADIN), and the total, which is the account's balance. Largest total first.
 */
create or replace function app_public.receivables_aging(as_of date default null) returns setof app_public.receivables_aging_row
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('accounts.view');
  day date := coalesce(as_of, app_hidden.tenant_today(tenant));
begin
  -- The items are today's (open invoices, what is not invoiced yet, credit not yet allocated):
  -- aged at a later day they say what will be overdue by then; at an earlier day they would not
  -- be that day's receivables, so that is refused rather than shown wrong.
  if day < app_hidden.tenant_today(tenant) then
    perform app_hidden.raise_error('BADIN', 'Receivables are aged from today''s balances: choose today or a later day.', field => 'as_of');
  end if;
  return query
    select r.* from app_public.customer_accounts a
    cross join lateral app_private.account_aging(a.tenant_id, a.customer_id, day) r
    where a.tenant_id = tenant and r.total <> 0
    order by r.total desc, r.account_number;
end;
$$;
comment on function app_public.receivables_aging(date) is
  'What each account owes by age (needs accounts.view): current (not yet due, not yet invoiced, less unallocated credit), 1–30, 31–60, 61–90 and 90+ days past due at asOf (today unless given; a later day shows what will be overdue by then, an earlier one is refused: BADIN), and the total (the balance). Accounts that owe nothing are left out.';
--! EndIncluded accounts/740-statements.sql
-- After the accounts: the data bundle reads their balance (a SQL function's body is checked when it is created).
--! Included customers/495-data-requests.sql
-- A customer's own data request (GDPR articles 15, 17 and 20; CCPA's right to know and to delete),
-- asked in person or by mail and answered by a member with customers.erase (owners by default):
--
-- * Access: request_customer_data(customer, reason) records a customer_data_exports row and queues
--   the worker (worker/tasks/customer-data-export.ts), which writes one zip: customer.json
--   (everything, structured: app_private.customer_data_document) and orders.csv, order-lines.csv,
--   timeline.csv (COPY of app_private.customer_data_csv_query, formulas defused). Stored as chunks
--   in the database like the CSV exports (reporting/650-exports.sql says why), downloaded from
--   GET /customer-data/:id (web/server/customer-data.ts) by members with customers.erase, kept 7
--   days. Its own table rather than reporting.exports: those are readable by anyone with
--   reports.export (managers), and a person's whole file is not a report.
--
-- * Erasure: erase_customer(customer, reason) anonymises the person and keeps the business's
--   records. The customer row stays (orders, counters and read models point at it) as "Erased
--   customer", status erased, with no email, phone, last name, notes, tags, metadata, consent or
--   type; its notes, addresses, preferences, contact channels and favourites are deleted. The same
--   holds for every customer merged into it (the same person). What else held the person is
--   scrubbed in the same transaction: the payloads of its customer.* events (names, email, phone,
--   tags → nothing, the name → "Erased customer", values of changes → "[erased]"; a rebuild of the
--   read models gives what the incremental consumers hold), the audit trail about it (values of
--   diffs and the reasons of earlier changes → "[erased]"), the snapshots of its merges and its
--   data bundles. CSV exports of the customers list made in the last 7 days still name the person
--   until they expire: erasing one person does not delete the business's other files (the dialog
--   says so). Orders, their lines, payments, refunds, the event log's order events (which carry
--   only the customer's id) and every read model stay: the daily sales do not move. The email and
--   phone are free for a new customer; search, merge, the till and every customer command refuse
--   an erased customer (ERASD).
--
-- Both are audited on the customer with the requester and a mandatory reason
-- (app_private.begin_change): commands request_customer_data and erase_customer. The reason of
-- those two is kept by later erasures (it is the record of why); write no personal data in it.

------------------------------------------------------------------------------------------------
-- Access requests: the bundle's row, its download URL, its permission

create or replace trigger _100_timestamps before insert or update on app_public.customer_data_exports
  for each row execute function app_private.tg__timestamps();

drop policy if exists select_with_permission on app_public.customer_data_exports;
create policy select_with_permission on app_public.customer_data_exports for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('customers.erase')));

revoke all on app_public.customer_data_exports from :DATABASE_VISITOR;
grant select on app_public.customer_data_exports to :DATABASE_VISITOR;

/* The path the admin downloads a finished bundle from. */
create or replace function app_public.customer_data_exports_download_url(e app_public.customer_data_exports) returns text
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select case when e.status = 'done' then '/customer-data/' || e.id end;
$$;
comment on function app_public.customer_data_exports_download_url(app_public.customer_data_exports) is 'Where to download the zip (GET, same site) once it is done; null before.';
grant execute on function app_public.customer_data_exports_download_url(app_public.customer_data_exports) to :DATABASE_VISITOR;

/* The customer a data request is about: NOTFD, CMRGD (ask the customer it was merged into, which holds its data) or ERASD. */
create or replace function app_private.customer_for_data_request(tenant_id text, customer_id text) returns app_public.customers
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  cur app_public.customers;
begin
  select c.* into cur from app_public.customers c
  where c.tenant_id = customer_for_data_request.tenant_id and c.id = customer_for_data_request.customer_id
  for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no customer %s.', coalesce(left(customer_id, 40), '(none given)')));
  elsif cur.status = 'merged' then
    perform app_hidden.raise_error('CMRGD',
      'This customer was merged into another one, which holds its data now: answer the request on that customer.', cur.merged_into_id);
  elsif cur.status = 'erased' then
    perform app_hidden.raise_error('ERASD', 'This customer''s personal data was already erased.', cur.id);
  end if;
  return cur;
end;
$$;

/*
 * Asks the worker for everything held about a customer (needs customers.erase; a reason is
 * required and audited on the customer). Returns the bundle's row: poll it until done.
 */
create or replace function app_public.request_customer_data(customer_id text, reason text) returns app_public.customer_data_exports
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.erase');
  why text := app_private.begin_change('request_customer_data', reason, required => true);
  cur app_public.customers := app_private.customer_for_data_request(tenant, customer_id);
  result app_public.customer_data_exports;
begin
  -- One bundle of a customer at a time: asking again while one is being written answers that one.
  select x.* into result from app_public.customer_data_exports x
  where x.tenant_id = tenant and x.customer_id = cur.id and x.status in ('pending', 'running')
  order by x.created_at desc limit 1;
  if found then
    perform app_private.end_change();
    return result;
  end if;
  insert into app_public.customer_data_exports (tenant_id, customer_id, reason, file_name, requested_by)
  values (tenant, cur.id, why,
          'customer-data_' || lower(cur.customer_number) || '_' || to_char(now() at time zone 'UTC', 'YYYY-MM-DD') || '.zip',
          app_hidden.current_user_id())
  returning * into result;
  perform app_private.audit_customer_change(tenant, cur.id,
    jsonb_build_object('data_access_request', jsonb_build_object('old', null, 'new', result.id)));
  perform graphile_worker.add_job('customer_data_export', json_build_object('tenantId', tenant, 'exportId', result.id), max_attempts := 3);
  perform app_private.end_change();
  return result;
end;
$$;
comment on function app_public.request_customer_data(text, text) is
  E'@resultFieldName dataExport\nAnswers a customer''s request for their data (needs customers.erase): the worker writes a zip of everything held about them (customer.json, orders.csv, order-lines.csv, timeline.csv). The reason is required and kept in the audit log. Poll the returned row until its status is done, then download its downloadUrl (kept 7 days); asked again while one is being written, it answers that one. NOTFD, CMRGD (answer on the customer it was merged into), ERASD.';
grant execute on function app_public.request_customer_data(text, text) to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- What the bundle holds

/* The audit entries about customers (given ids: a customer and those merged into it): changes of their rows, notes, addresses, merges and of which customer an order is for. */
create or replace function app_private.customer_audit_entry_ids(tenant_id text, customer_ids text[]) returns setof text
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  with direct as (
    select a.id, a.entity, a.entity_id from app_public.audit_entries a
    where a.tenant_id = customer_audit_entry_ids.tenant_id
      and ((a.entity = 'customers' and a.entity_id = any(customer_ids))
           -- Notes, addresses, and orders (their sale, a merge moving them) name the customer they belong to.
           or (a.changes -> 'customer_id' ->> 'old' = any(customer_ids) or a.changes -> 'customer_id' ->> 'new' = any(customer_ids))
           or (a.entity = 'customer_merges'
               and (a.changes -> 'primary_id' ->> 'new' = any(customer_ids) or a.changes -> 'duplicate_id' ->> 'new' = any(customer_ids))))
  ),
  -- A note's later edits name only what changed, not its customer: found by the note's id.
  satellites as (
    select d.entity, d.entity_id from direct d where d.entity in ('customer_notes', 'customer_addresses')
    union
    select 'customer_notes', n.id from app_public.customer_notes n
    where n.tenant_id = customer_audit_entry_ids.tenant_id and n.customer_id = any(customer_ids)
    union
    select 'customer_addresses', x.id from app_public.customer_addresses x
    where x.tenant_id = customer_audit_entry_ids.tenant_id and x.customer_id = any(customer_ids)
  )
  select d.id from direct d
  union
  select a.id from satellites s
  join app_public.audit_entries a on a.tenant_id = customer_audit_entry_ids.tenant_id and a.entity = s.entity and a.entity_id = s.entity_id;
$$;
comment on function app_private.customer_audit_entry_ids(text, text[]) is 'Ids of the audit entries about these customers (rows, notes, addresses, merges): what a data bundle lists and an erasure scrubs.';

/*
 * customer.json: everything the business holds about a customer and the customers merged into it
 * (the same person), structured. Amounts are integers in minor units of the currency named at
 * the top; instants are ISO 8601.
 */
create or replace function app_private.customer_data_document(tenant_id text, customer_id text) returns jsonb
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  with c as (
    select x.* from app_public.customers x
    where x.tenant_id = customer_data_document.tenant_id and x.id = customer_data_document.customer_id
  ),
  h as (select app_private.customer_history_ids(c.tenant_id, c.id) as ids from c),
  cur as (select * from app_private.tenant_currency(customer_data_document.tenant_id))
  select jsonb_build_object(
    'format', 'backoffice.customer-data.v1',
    'generated_at', app_hidden.iso_utc(now()),
    'business', (select t.name from app_public.tenants t where t.id = c.tenant_id),
    'currency', jsonb_build_object('code', cur.code, 'minor_units', cur.minor_units,
                                   'note', 'Amounts are whole numbers of the currency''s minor unit (cents for USD).'),
    'customer', (to_jsonb(c) - 'tenant_id' - 'customer_type_id' - 'tier_id') || jsonb_build_object(
      'type', (select ty.label from app_public.customer_types ty where ty.tenant_id = c.tenant_id and ty.id = c.customer_type_id),
      'tier', (select t.name from app_public.customer_tiers t where t.tenant_id = c.tenant_id and t.id = c.tier_id)),
    'merged_records', (select coalesce(jsonb_agg(to_jsonb(m) - 'tenant_id' order by m.id), '[]')
                       from app_public.customers m where m.tenant_id = c.tenant_id and m.id = any(h.ids) and m.id <> c.id),
    'purchase_history', (select to_jsonb(s) - 'tenant_id' - 'customer_id' - 'recent_visits'
                         from app_public.customer_stats s where s.tenant_id = c.tenant_id and s.customer_id = c.id),
    'notes', (select coalesce(jsonb_agg(jsonb_build_object('id', n.id, 'category', n.category, 'body', n.body,
                                                           'author', u.name, 'created_at', n.created_at, 'updated_at', n.updated_at)
                                        order by n.created_at, n.id), '[]')
              from app_public.customer_notes n left join app_public.users u on u.id = n.author_user_id
              where n.tenant_id = c.tenant_id and n.customer_id = any(h.ids)),
    'addresses', (select coalesce(jsonb_agg(to_jsonb(a) - 'tenant_id' - 'customer_id' order by a.created_at, a.id), '[]')
                  from app_public.customer_addresses a where a.tenant_id = c.tenant_id and a.customer_id = any(h.ids)),
    -- A company's contacts, and the calls, emails and meetings staff logged with the customer.
    'contacts', (select coalesce(jsonb_agg(to_jsonb(k) - 'tenant_id' - 'customer_id' order by k.created_at, k.id), '[]')
                 from app_public.customer_contacts k where k.tenant_id = c.tenant_id and k.customer_id = any(h.ids)),
    'interactions', (select coalesce(jsonb_agg(jsonb_build_object('id', i.id, 'kind', i.kind, 'note', i.note, 'occurred_at', i.occurred_at,
                                                                  'by', u.name) order by i.occurred_at, i.id), '[]')
                     from app_public.customer_interactions i left join app_public.users u on u.id = i.author_user_id
                     where i.tenant_id = c.tenant_id and i.customer_id = any(h.ids)),
    -- Their account (accounts/7xx): number, terms, ledger, invoices, payments, suspensions and actions.
    'account', (select jsonb_build_object(
        'account_number', a.account_number, 'opened_at', a.opened_at, 'credit_limit', c.credit_limit,
        'payment_terms_days', c.payment_terms_days, 'balance', app_hidden.account_balance(a.tenant_id, a.customer_id),
        'ledger', (select coalesce(jsonb_agg(jsonb_build_object('kind', e.kind, 'amount', e.amount, 'business_date', e.business_date,
                     'order_id', e.order_id, 'memo', e.memo) order by e.business_date, e.id), '[]')
                   from app_public.account_entries e where e.tenant_id = a.tenant_id and e.customer_id = a.customer_id),
        'invoices', (select coalesce(jsonb_agg(jsonb_build_object('invoice_number', i.invoice_number, 'issued_on', i.issued_on,
                       'due_on', i.due_on, 'status', i.status, 'total', i.total, 'amount_paid', i.amount_paid) order by i.issued_on, i.id), '[]')
                     from app_public.account_invoices i where i.tenant_id = a.tenant_id and i.customer_id = a.customer_id),
        'payments', (select coalesce(jsonb_agg(jsonb_build_object('amount', p.amount, 'method', p.method, 'reference', p.reference,
                       'received_on', p.received_on) order by p.received_on, p.id), '[]')
                     from app_public.account_payments p where p.tenant_id = a.tenant_id and p.customer_id = a.customer_id),
        'suspensions', (select coalesce(jsonb_agg(jsonb_build_object('type', x.type, 'reason', x.reason, 'suspended_at', x.suspended_at,
                          'reactivated_at', x.reactivated_at, 'reactivation_reason', x.reactivation_reason) order by x.suspended_at, x.id), '[]')
                        from app_public.account_suspensions x where x.tenant_id = a.tenant_id and x.customer_id = a.customer_id),
        'actions', (select coalesce(jsonb_agg(jsonb_build_object('action', x.action, 'reason', x.reason, 'at', x.created_at, 'by', u.name)
                      order by x.created_at, x.id), '[]')
                    from app_public.account_actions x left join app_public.users u on u.id = x.actor_user_id
                    where x.tenant_id = a.tenant_id and x.customer_id = a.customer_id))
      from app_public.customer_accounts a where a.tenant_id = c.tenant_id and a.customer_id = c.id),
    'consents', jsonb_build_object(
      'marketing', jsonb_build_object('agreed', c.marketing_consent, 'source', c.marketing_consent_source,
                                      'recorded_at', c.marketing_consent_updated_at),
      'contact_channels', (select coalesce(jsonb_agg(jsonb_build_object('channel', x.channel, 'agreed', x.allowed, 'source', x.source,
                                                                        'recorded_at', x.recorded_at) order by x.channel), '[]')
                           from app_public.customer_contact_channels x where x.tenant_id = c.tenant_id and x.customer_id = c.id)),
    'preferences', (select to_jsonb(p) - 'tenant_id' - 'customer_id'
                    from app_public.customer_preferences p where p.tenant_id = c.tenant_id and p.customer_id = c.id),
    'favourite_items', (select coalesce(jsonb_agg(i.name order by i.name), '[]')
                        from app_public.customer_favourite_items f
                        join app_public.catalog_items i on i.tenant_id = f.tenant_id and i.id = f.catalog_item_id
                        where f.tenant_id = c.tenant_id and f.customer_id = c.id),
    'orders', (select coalesce(jsonb_agg(jsonb_build_object(
        'id', o.id, 'location', l.name, 'status', o.status, 'placed_at', o.placed_at, 'business_date', o.business_date,
        'subtotal', o.subtotal, 'discount_total', o.discount_total, 'tax_name', o.tax_name, 'tax_rate_bps', o.tax_rate_bps,
        'tax_inclusive', o.tax_inclusive, 'tax_total', o.tax_total, 'total', o.total, 'paid_total', o.paid_total,
        'refunded_total', o.refunded_total, 'voided_at', o.voided_at, 'void_reason', o.void_reason,
        'cancelled_at', o.cancelled_at, 'cancel_reason', o.cancel_reason, 'created_at', o.created_at,
        'lines', (select coalesce(jsonb_agg(jsonb_build_object('line_no', ol.line_no, 'sku', ol.sku, 'name', ol.name,
                    'quantity', ol.quantity, 'unit_price', ol.unit_price, 'subtotal', ol.subtotal,
                    'discount', ol.line_discount + ol.order_discount_share, 'tax', ol.tax, 'total', ol.total) order by ol.line_no), '[]')
                  from app_public.order_lines ol where ol.tenant_id = o.tenant_id and ol.order_id = o.id),
        'payments', (select coalesce(jsonb_agg(jsonb_build_object('type', t.type, 'amount', t.applied_amount, 'recorded_at', t.created_at)
                       order by t.created_at, t.id), '[]')
                     from app_public.tenders t where t.tenant_id = o.tenant_id and t.order_id = o.id),
        'refunds', (select coalesce(jsonb_agg(jsonb_build_object('id', r.id, 'refunded_at', r.created_at, 'business_date', r.business_date,
                      'reason', r.reason, 'subtotal', r.subtotal, 'discount_total', r.discount_total, 'tax_total', r.tax_total, 'total', r.total,
                      'lines', (select coalesce(jsonb_agg(jsonb_build_object('line_no', ol.line_no, 'name', ol.name, 'quantity', rl.quantity,
                                  'total', rl.total) order by ol.line_no), '[]')
                                from app_public.order_refund_lines rl
                                join app_public.order_lines ol on ol.tenant_id = rl.tenant_id and ol.id = rl.order_line_id
                                where rl.tenant_id = r.tenant_id and rl.order_refund_id = r.id)) order by r.created_at, r.id), '[]')
                    from app_public.order_refunds r where r.tenant_id = o.tenant_id and r.order_id = o.id)
      ) order by o.created_at, o.id), '[]')
      from app_public.orders o left join app_public.locations l on l.tenant_id = o.tenant_id and l.id = o.location_id
      where o.tenant_id = c.tenant_id and o.customer_id = any(h.ids)),
    'timeline', (select coalesce(jsonb_agg(jsonb_build_object('occurred_at', t.occurred_at, 'kind', t.kind, 'summary', t.summary,
                                                              'by', t.actor_name) order by t.n), '[]')
                 from app_private.customer_timeline(c.tenant_id, c.id) with ordinality as t(occurred_at, kind, summary, actor_user_id, actor_name, subject_id, n)),
    'audit_entries', (select coalesce(jsonb_agg(jsonb_build_object('at', a.created_at, 'entity', a.entity, 'action', a.action,
                                                                   'by', u.name, 'command', a.command, 'reason', a.reason, 'changes', a.changes)
                                                order by a.created_at, a.id), '[]')
                      from app_public.audit_entries a left join app_public.users u on u.id = a.actor_user_id
                      where a.tenant_id = c.tenant_id and a.id in (select app_private.customer_audit_entry_ids(c.tenant_id, h.ids)))
  )
  from c, h, cur;
$$;
comment on function app_private.customer_data_document(text, text) is 'customer.json of a data bundle: everything held about a customer (and the customers merged into it), structured.';

/*
 * The query of one CSV file of the bundle (COPY cannot take parameters: values are quoted
 * literals). Text cells defused (app_hidden.csv_text), money in decimals beside the currency.
 */
create or replace function app_private.customer_data_csv_query(tenant_id text, customer_id text, file text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
declare
  ids text[] := app_private.customer_history_ids(tenant_id, customer_id);
begin
  case file
  when 'orders.csv' then
    return format($q$
      select o.id as order_id,
             to_char(o.placed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as placed_at, o.business_date,
             app_hidden.csv_text(l.name) as location, o.status, cur.code as currency,
             app_hidden.major_units(o.subtotal, cur.minor_units) as subtotal,
             app_hidden.major_units(o.discount_total, cur.minor_units) as discounts,
             app_hidden.major_units(o.tax_total, cur.minor_units) as tax,
             app_hidden.major_units(o.total, cur.minor_units) as total,
             app_hidden.major_units(o.paid_total, cur.minor_units) as paid,
             app_hidden.major_units(o.refunded_total, cur.minor_units) as refunded,
             to_char(o.voided_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as voided_at
      from app_public.orders o
      cross join app_private.tenant_currency(%1$L) cur
      left join app_public.locations l on l.tenant_id = o.tenant_id and l.id = o.location_id
      where o.tenant_id = %1$L and o.customer_id = any(%2$L::text[])
      order by o.created_at, o.id$q$, tenant_id, ids);
  when 'order-lines.csv' then
    return format($q$
      select ol.order_id, ol.line_no, app_hidden.csv_text(ol.sku) as sku, app_hidden.csv_text(ol.name) as item, ol.quantity,
             cur.code as currency,
             app_hidden.major_units(ol.unit_price, cur.minor_units) as unit_price,
             app_hidden.major_units(ol.subtotal, cur.minor_units) as subtotal,
             app_hidden.major_units(ol.line_discount + ol.order_discount_share, cur.minor_units) as discount,
             app_hidden.major_units(ol.tax, cur.minor_units) as tax,
             app_hidden.major_units(ol.total, cur.minor_units) as total,
             coalesce((select sum(rl.quantity) from app_public.order_refund_lines rl
                       where rl.tenant_id = ol.tenant_id and rl.order_line_id = ol.id), 0) as refunded_quantity
      from app_public.orders o
      join app_public.order_lines ol on ol.tenant_id = o.tenant_id and ol.order_id = o.id
      cross join app_private.tenant_currency(%1$L) cur
      where o.tenant_id = %1$L and o.customer_id = any(%2$L::text[])
      order by o.created_at, o.id, ol.line_no$q$, tenant_id, ids);
  when 'timeline.csv' then
    return format($q$
      select to_char(t.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as occurred_at, t.kind,
             app_hidden.csv_text(t.summary) as summary, app_hidden.csv_text(t.actor_name) as by
      from app_private.customer_timeline(%1$L, %2$L) with ordinality as t(occurred_at, kind, summary, actor_user_id, actor_name, subject_id, n)
      order by t.n$q$, tenant_id, customer_id);
  end case;
  return null;
end;
$$;
comment on function app_private.customer_data_csv_query(text, text, text) is 'The SQL whose rows make orders.csv, order-lines.csv or timeline.csv of a customer''s data bundle (for COPY … TO STDOUT).';

------------------------------------------------------------------------------------------------
-- The worker's side (owner; tenant explicit). Same life as a CSV export: start (old chunks go),
-- chunks with progress, finish once every chunk is stored, fail on the last attempt.

/*
 * Starts (or restarts) a bundle: forgets chunks of an earlier attempt and returns what the job
 * needs: {tenantId, exportId, customerId, fileName, csvFiles: [{name, query}]}. Null when it is
 * gone (the customer was erased meanwhile, or it expired) or already done.
 */
create or replace function app_private.start_customer_data_export(tenant_id text, export_id text) returns jsonb
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  x app_public.customer_data_exports;
begin
  select e.* into x from app_public.customer_data_exports e
  where e.tenant_id = start_customer_data_export.tenant_id and e.id = start_customer_data_export.export_id
  for update;
  if not found or x.status = 'done' then
    return null;
  end if;
  delete from app_private.customer_data_export_chunks c where c.tenant_id = x.tenant_id and c.export_id = x.id;
  update app_public.customer_data_exports e set status = 'running', started_at = now(), finished_at = null, error_message = null,
    files_written = 0, bytes_written = 0, chunk_count = 0
  where e.tenant_id = x.tenant_id and e.id = x.id;
  return jsonb_build_object('tenantId', x.tenant_id, 'exportId', x.id, 'customerId', x.customer_id, 'fileName', x.file_name,
    'csvFiles', (select jsonb_agg(jsonb_build_object('name', f.name, 'query', app_private.customer_data_csv_query(x.tenant_id, x.customer_id, f.name))
                                  order by f.n)
                 from unnest(array['orders.csv', 'order-lines.csv', 'timeline.csv']) with ordinality as f(name, n)));
end;
$$;
comment on function app_private.start_customer_data_export(text, text) is 'Marks a customer data bundle running and returns what the worker writes; null when it is gone or done.';

/* Stores the next chunk of a running bundle and its progress. False when it is no longer running. */
create or replace function app_private.write_customer_data_chunk(tenant_id text, export_id text, chunk_no int, data bytea,
                                                                 files_written int, bytes_written bigint) returns boolean
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  update app_public.customer_data_exports e set files_written = write_customer_data_chunk.files_written,
    bytes_written = write_customer_data_chunk.bytes_written, chunk_count = write_customer_data_chunk.chunk_no + 1
  where e.tenant_id = write_customer_data_chunk.tenant_id and e.id = write_customer_data_chunk.export_id and e.status = 'running';
  if not found then
    return false;
  end if;
  insert into app_private.customer_data_export_chunks (tenant_id, export_id, chunk_no, data)
  values (write_customer_data_chunk.tenant_id, write_customer_data_chunk.export_id, write_customer_data_chunk.chunk_no, write_customer_data_chunk.data);
  return true;
end;
$$;

/* Records how many files of a running bundle are written (progress between chunks). */
create or replace function app_private.customer_data_export_progress(tenant_id text, export_id text, files_written int) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  update app_public.customer_data_exports e set files_written = customer_data_export_progress.files_written
  where e.tenant_id = customer_data_export_progress.tenant_id and e.id = customer_data_export_progress.export_id and e.status = 'running';
$$;

/* Marks a running bundle done (downloadable) once every chunk is stored. */
create or replace function app_private.finish_customer_data_export(tenant_id text, export_id text, chunk_count int, bytes_written bigint)
returns boolean
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if (select count(*) from app_private.customer_data_export_chunks c
      where c.tenant_id = finish_customer_data_export.tenant_id and c.export_id = finish_customer_data_export.export_id)
     <> finish_customer_data_export.chunk_count then
    raise exception 'customer data export % of tenant %: % chunks expected', export_id, tenant_id, chunk_count;
  end if;
  update app_public.customer_data_exports e set status = 'done', finished_at = now(), files_written = e.files_total,
    chunk_count = finish_customer_data_export.chunk_count, bytes_written = finish_customer_data_export.bytes_written
  where e.tenant_id = finish_customer_data_export.tenant_id and e.id = finish_customer_data_export.export_id and e.status = 'running';
  return found;
end;
$$;

/* Marks a bundle failed (the worker gave up on it); its chunks go. */
create or replace function app_private.fail_customer_data_export(tenant_id text, export_id text, message text) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  delete from app_private.customer_data_export_chunks c
  where c.tenant_id = fail_customer_data_export.tenant_id and c.export_id = fail_customer_data_export.export_id;
  update app_public.customer_data_exports e set status = 'failed', finished_at = now(), error_message = left(message, 500)
  where e.tenant_id = fail_customer_data_export.tenant_id and e.id = fail_customer_data_export.export_id and e.status <> 'done';
$$;

/* Bundles older than 7 days go with their files (worker crontab, with the CSV exports). Returns how many. */
create or replace function app_private.delete_expired_customer_data_exports() returns int
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  with gone as (delete from app_public.customer_data_exports e where e.created_at < now() - interval '7 days' returning 1)
  select count(*)::int from gone;
$$;
comment on function app_private.delete_expired_customer_data_exports() is 'Removes customer data bundles (and their files) older than 7 days.';

------------------------------------------------------------------------------------------------
-- Downloading (GET /customer-data/:id as the API role with the session)

/*
 * Name, size and chunk count of a finished bundle of the current business, for a member with
 * customers.erase; no row for anything else (unknown, another business's, not finished, no
 * permission: never told apart). TSUSP when the business is suspended, as everywhere.
 */
create or replace function app_hidden.customer_data_file(export_id text)
returns table (file_name text, byte_size bigint, chunk_count int)
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.current_tenant_id();
begin
  if tenant is null or not app_hidden.has_permission('customers.erase') then
    return;
  end if;
  perform app_hidden.assert_tenant_active();
  return query
    select e.file_name, e.bytes_written, e.chunk_count
    from app_public.customer_data_exports e
    where e.tenant_id = tenant and e.id = customer_data_file.export_id and e.status = 'done';
end;
$$;
comment on function app_hidden.customer_data_file(text) is 'Name, size and chunk count of a finished customer data bundle the signed-in member may download; no row otherwise.';

create or replace function app_hidden.customer_data_chunk(export_id text, chunk_no int) returns bytea
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select c.data
  from app_public.customer_data_exports e
  join app_private.customer_data_export_chunks c on c.tenant_id = e.tenant_id and c.export_id = e.id and c.chunk_no = customer_data_chunk.chunk_no
  where e.tenant_id = app_hidden.current_tenant_id() and app_hidden.has_permission('customers.erase')
    and e.id = customer_data_chunk.export_id and e.status = 'done';
$$;
comment on function app_hidden.customer_data_chunk(text, int) is 'One chunk of a finished customer data bundle the signed-in member may download.';

------------------------------------------------------------------------------------------------
-- Erasure

/* The account's balance must be zero first: app_private.assert_no_open_balance (accounts/710-ledger.sql). */

/* Keys of rows and diffs whose values say nothing about the person (ids, states, kinds): an erasure keeps them. */
create or replace function app_hidden.erasure_kept_keys() returns text[]
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select array['id', 'tenant_id', 'customer_id', 'customer_number', 'status', 'merged_into_id', 'customer_type_id',
               'created_by', 'created_at', 'updated_at', 'author_user_id', 'recorded_by', 'recorded_at', 'merged_by_user_id',
               'primary_id', 'duplicate_id', 'merge_id', 'order_id', 'is_default', 'category', 'type', 'channel', 'source',
               'marketing_consent_source', 'marketing_consent_updated_at', 'moved_order_ids', 'moved_note_ids',
               'moved_address_ids', 'notes_note_id', 'data_access_request'];
$$;

/* A JSON row with every value that may be personal replaced by "[erased]" (nulls and kept keys stay). */
create or replace function app_hidden.erased_row(row_data jsonb) returns jsonb
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select case when jsonb_typeof(row_data) = 'object' then
    coalesce((select jsonb_object_agg(e.key, case when e.key = any(app_hidden.erasure_kept_keys()) or e.value = 'null'::jsonb
                                                  then e.value else '"[erased]"'::jsonb end)
              from jsonb_each(row_data) e), '{}'::jsonb)
    else row_data end;
$$;
comment on function app_hidden.erased_row(jsonb) is 'A JSON row (a merge snapshot) with its personal values replaced by "[erased]".';

/* A diff {field: {old, new}} (audit entries, customer.updated.v1) with the old and new personal values replaced by "[erased]". */
create or replace function app_hidden.erased_diff(diff jsonb) returns jsonb
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select case when jsonb_typeof(diff) = 'object' then
    coalesce((select jsonb_object_agg(e.key, case when e.key = any(app_hidden.erasure_kept_keys()) or jsonb_typeof(e.value) <> 'object'
                                                  then e.value else app_hidden.erased_row(e.value) end)
              from jsonb_each(diff) e), '{}'::jsonb)
    else diff end;
$$;
comment on function app_hidden.erased_diff(jsonb) is 'An audit diff with its personal old and new values replaced by "[erased]".';

/*
 * The payload of a customer.* event with the person taken out, keeping its shape: names, email,
 * phone and consent null, tags empty, the name "Erased customer" (what rebuilt read models then
 * show), values of changes "[erased]"; ids, numbers, statuses and counters stay.
 */
create or replace function app_hidden.erased_customer_payload(payload jsonb) returns jsonb
language sql immutable parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select payload
    || (select coalesce(jsonb_object_agg(k, case k when 'tags' then '[]'::jsonb else 'null'::jsonb end), '{}'::jsonb)
        from jsonb_object_keys(payload) k where k in ('email', 'phone', 'first_name', 'last_name', 'tags', 'marketing_consent'))
    || case when payload ? 'display_name' then jsonb_build_object('display_name', 'Erased customer') else '{}'::jsonb end
    || case when payload ? 'changes' then jsonb_build_object('changes', app_hidden.erased_diff(payload -> 'changes')) else '{}'::jsonb end;
$$;
comment on function app_hidden.erased_customer_payload(jsonb) is 'A customer.* event payload with its personal data taken out (same keys and types).';

/*
 * Erases a customer's personal data on their request (needs customers.erase; a reason is
 * required and audited). See the top of this file for what goes and what stays. Refuses NOTFD,
 * CMRGD (erase the customer it was merged into: that one holds its data and erases it too), ERASD
 * (already erased) and, once selling on account exists, OPBAL. Returns the erased customer.
 */
create or replace function app_public.erase_customer(customer_id text, reason text) returns app_public.customers
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('customers.erase');
  cur app_public.customers;
  ids text[];
  before_row app_public.customers;
  after_row app_public.customers;
  diff jsonb;
  result app_public.customers;
begin
  perform app_private.begin_change('erase_customer', reason, required => true);
  -- The customer first: once it is locked nothing can be merged into it, so the chain is fixed.
  cur := app_private.customer_for_data_request(tenant, customer_id);
  perform app_private.assert_no_open_balance(tenant, cur.id);
  ids := app_private.customer_history_ids(tenant, cur.id);
  perform 1 from app_public.customers c where c.tenant_id = tenant and c.id = any(ids) order by c.id for update;

  delete from app_public.customer_notes n where n.tenant_id = tenant and n.customer_id = any(ids);
  -- Calls, emails and meetings logged with them (customers/455-interactions.sql): their notes are about the person.
  delete from app_public.customer_interactions i where i.tenant_id = tenant and i.customer_id = any(ids);
  delete from app_public.customer_addresses a where a.tenant_id = tenant and a.customer_id = any(ids);
  -- The rows of imported files that made or matched them hold the file's cells (customers/485-import.sql).
  delete from app_public.customer_import_rows r where r.tenant_id = tenant and r.customer_id = any(ids);
  delete from app_public.customer_preferences p where p.tenant_id = tenant and p.customer_id = any(ids);
  delete from app_public.customer_contact_channels x where x.tenant_id = tenant and x.customer_id = any(ids);
  delete from app_public.customer_favourite_items f where f.tenant_id = tenant and f.customer_id = any(ids);

  for before_row in select c.* from app_public.customers c where c.tenant_id = tenant and c.id = any(ids) order by c.id loop
    update app_public.customers c set
      email = null, phone = null, first_name = 'Erased customer', last_name = null, notes = null, tags = '[]', metadata = '{}',
      marketing_consent = null, marketing_consent_updated_at = null, marketing_consent_source = null, customer_type_id = null,
      status = case when c.id = cur.id then 'erased' else c.status end
    where c.tenant_id = tenant and c.id = before_row.id
    returning * into after_row;
    diff := app_hidden.jsonb_diff(to_jsonb(before_row), to_jsonb(after_row), array['created_at', 'updated_at']);
    -- The consumers follow (the read models' name becomes "Erased customer"); the diff carries no value of the person.
    if diff <> '{}'::jsonb then
      perform app_private.emit_event(tenant, 'customer.updated.v1', 'customer', after_row.id,
        jsonb_build_object('customer_id', after_row.id, 'customer_number', after_row.customer_number,
                           'display_name', after_row.display_name, 'status', after_row.status,
                           'changes', app_hidden.erased_diff(diff)));
    end if;
    if after_row.id = cur.id then
      result := after_row;
    end if;
  end loop;

  update app_public.customer_merges m set
    primary_snapshot = app_hidden.erased_row(m.primary_snapshot),
    duplicate_snapshot = app_hidden.erased_row(m.duplicate_snapshot),
    result_snapshot = app_hidden.erased_row(m.result_snapshot)
  where m.tenant_id = tenant and (m.primary_id = any(ids) or m.duplicate_id = any(ids));

  perform set_config('app.erasing_customer_events', tenant, true);
  update app_private.events e set payload = app_hidden.erased_customer_payload(e.payload)
  where e.tenant_id = tenant and e.aggregate_type = 'customer' and e.aggregate_id = any(ids);
  perform set_config('app.erasing_customer_events', '', true);

  -- The trail keeps who did what when; the values about the person and the reasons given for
  -- earlier changes go (an order's entries keep their amounts: only which customer it was for
  -- named the person, and that id stays). The reasons of the data requests themselves (this one
  -- included) stay: they are the record.
  update app_public.audit_entries a set
    changes = case when a.entity in ('customers', 'customer_notes', 'customer_addresses', 'customer_merges', 'customer_interactions')
                   then app_hidden.erased_diff(a.changes) else a.changes end,
    reason = case when a.command in ('erase_customer', 'request_customer_data') or a.reason is null then a.reason else '[erased]' end
  where a.tenant_id = tenant and a.id in (select app_private.customer_audit_entry_ids(tenant, ids));

  delete from app_public.customer_data_exports x where x.tenant_id = tenant and x.customer_id = any(ids);

  perform app_private.end_change();
  return result;
end;
$$;
comment on function app_public.erase_customer(text, text) is
  E'Erases a customer''s personal data on their request (needs customers.erase; the reason is required and kept in the audit log). Names, email, phone, notes, addresses, tags, metadata, consents and preferences go, also from the event log, the audit trail and merge records; the customer stays as "Erased customer" (status erased) so that its orders, payments and reports stay exact. The email and phone are free for a new customer. Cannot be undone. NOTFD, CMRGD (erase the customer it was merged into), ERASD (already erased).';
grant execute on function app_public.erase_customer(text, text) to :DATABASE_VISITOR;
--! EndIncluded customers/495-data-requests.sql
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

/*
 * Receivables by age for analysts: the rule of app_public.receivables_aging (accounts/740)
 * written out in plain SQL, because an analyst runs no function of ours but major_units. Ages are
 * counted today on the business's first location's clock; open invoices by days past due,
 * sales not yet invoiced and credit not yet allocated in current; total = the account's balance.
 */
create or replace view reporting.receivables with (security_barrier) as
with today as (
  select t.id as tenant_id,
         (now() at time zone coalesce((select l.timezone from app_public.locations l where l.tenant_id = t.id
                                       order by l.created_at, l.id limit 1), 'UTC'))::date as day
  from app_public.tenants t
), invoice_due as (
  select i.tenant_id, i.customer_id, d.day - i.due_on as days_past_due, i.total - i.amount_paid as due
  from app_public.account_invoices i
  join today d on d.tenant_id = i.tenant_id
  where i.status = 'open'
), balances as (
  select e.tenant_id, e.customer_id, sum(e.amount) as balance
  from app_public.account_entries e
  group by e.tenant_id, e.customer_id
)
select a.customer_id,
       a.account_number,
       c.display_name as customer_name,
       cur.code as currency,
       -- Current is what the balance holds beyond the invoices past due (not yet due, not yet invoiced, unallocated credit).
       app_hidden.major_units(coalesce(b.balance, 0) - coalesce(sum(x.due) filter (where x.days_past_due > 0), 0), cur.minor_units) as current,
       app_hidden.major_units(coalesce(sum(x.due) filter (where x.days_past_due between 1 and 30), 0), cur.minor_units) as days_1_to_30,
       app_hidden.major_units(coalesce(sum(x.due) filter (where x.days_past_due between 31 and 60), 0), cur.minor_units) as days_31_to_60,
       app_hidden.major_units(coalesce(sum(x.due) filter (where x.days_past_due between 61 and 90), 0), cur.minor_units) as days_61_to_90,
       app_hidden.major_units(coalesce(sum(x.due) filter (where x.days_past_due > 90), 0), cur.minor_units) as days_90_plus,
       app_hidden.major_units(coalesce(b.balance, 0), cur.minor_units) as total,
       c.account_status = 'suspended' as is_suspended
from app_public.customer_accounts a
join app_public.customers c on c.tenant_id = a.tenant_id and c.id = a.customer_id
join app_public.tenants tn on tn.id = a.tenant_id
join app_public.currencies cur on cur.code = tn.currency
left join balances b on b.tenant_id = a.tenant_id and b.customer_id = a.customer_id
left join invoice_due x on x.tenant_id = a.tenant_id and x.customer_id = a.customer_id
where (current_user = ':DATABASE_OWNER' or a.tenant_id = (select app_hidden.analyst_tenant_id()))
group by a.tenant_id, a.customer_id, a.account_number, c.display_name, cur.code, cur.minor_units, b.balance, c.account_status;
comment on view reporting.receivables is 'What each customer account owes by age today, in the business''s currency: current (not yet due, not yet invoiced, less unallocated credit), 1–30, 31–60, 61–90 and 90+ days past due, and the total (the balance); is_suspended when the account is suspended.';

revoke all on all tables in schema reporting from :DATABASE_ANALYST;

revoke all on schema app_public, app_hidden, app_private from :DATABASE_ANALYST;
grant select on reporting.sales_by_day, reporting.item_sales_by_day, reporting.stock_levels, reporting.customer_activity,
  reporting.customer_classes, reporting.receivables to :DATABASE_ANALYST;
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

--! split: 2-account-documents.sql
-- Account documents (issue 18): the PDF of each account invoice and of statements members ask
-- for, rendered by the worker (worker/tasks/render-account-document.ts) and stored in the database
-- as chunks like the CSV exports and customer data bundles (reporting/650-exports.sql says why).
-- The rules are in migrations/fixtures/accounts/750-documents.sql.

create table if not exists app_public.account_documents (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  customer_id text not null,
  kind text not null check (kind in ('invoice', 'statement')),
  -- An invoice's PDF: one per invoice (re-rendered in place when it is voided).
  invoice_id text,
  -- A statement's period (its first and last day).
  period_from date,
  period_until date,
  status text not null default 'pending' check (status in ('pending', 'done', 'failed')),
  file_name text not null check (file_name ~ '^[a-z0-9][a-z0-9._-]{0,120}\.pdf$'),
  byte_size bigint not null default 0 check (byte_size >= 0),
  chunk_count int not null default 0 check (chunk_count >= 0),
  error text check (length(error) <= 500),
  -- Counts the times it was asked to be written (an invoice voided asks again): a run that started
  -- before the last ask cannot mark it done (app_private.finish_account_document).
  revision int not null default 0,
  requested_by_user_id text references app_public.users on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz,
  -- Statements go after 7 days (they can be asked for again); an invoice's PDF is kept with it.
  expires_at timestamptz,
  primary key (tenant_id, id),
  foreign key (tenant_id, customer_id) references app_public.customer_accounts (tenant_id, customer_id),
  foreign key (tenant_id, invoice_id) references app_public.account_invoices (tenant_id, id),
  check ((kind = 'invoice') = (invoice_id is not null)),
  check ((kind = 'statement') = (period_from is not null and period_until is not null)),
  check (period_until >= period_from),
  check (kind = 'statement' or expires_at is null)
);
create unique index if not exists account_documents_invoice_idx on app_public.account_documents (tenant_id, invoice_id) where invoice_id is not null;
create index if not exists account_documents_customer_idx on app_public.account_documents (tenant_id, customer_id, created_at desc, id desc);
create index if not exists account_documents_requested_by_idx on app_public.account_documents (requested_by_user_id);
create index if not exists account_documents_expires_idx on app_public.account_documents (expires_at) where expires_at is not null;
-- The download route finds a document by its id alone (within the caller's tenant).
create index if not exists account_documents_id_idx on app_public.account_documents (id);
do $$
begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_public.account_documents'::regclass) then
    perform app_private.secure_table('app_public.account_documents');
    perform app_private.enforce_active_tenant('app_public.account_documents');
  end if;
end $$;
comment on table app_public.account_documents is E'@unique id\n@behavior -insert -update -delete\nA PDF of an account: an invoice''s (made when the invoice is, re-rendered saying VOID when it is voided) or a statement of a period (requestAccountStatement; kept 7 days). Written by the worker; poll status, then download it from downloadUrl (needs accounts.view).';
comment on column app_public.account_documents.tenant_id is '@behavior -*';
comment on constraint account_documents_pkey on app_public.account_documents is '@behavior -single -update -delete';
comment on constraint account_documents_tenant_id_fkey on app_public.account_documents is '@behavior -*';
comment on constraint account_documents_tenant_id_customer_id_fkey on app_public.account_documents is E'@fieldName account\n@foreignFieldName documents';
comment on constraint account_documents_tenant_id_invoice_id_fkey on app_public.account_documents is E'@fieldName invoice\n@foreignFieldName documents\n@behavior -manyRelation:resource:list -manyRelation:resource:connection';
comment on constraint account_documents_requested_by_user_id_fkey on app_public.account_documents is E'@fieldName requestedBy\n@foreignFieldName accountDocumentsRequested\n@behavior -manyRelation:resource:list -manyRelation:resource:connection';
comment on column app_public.account_documents.kind is 'invoice or statement.';
comment on column app_public.account_documents.invoice_id is 'The invoice it is the PDF of (kind invoice).';
comment on column app_public.account_documents.period_from is 'A statement''s first day.';
comment on column app_public.account_documents.period_until is 'A statement''s last day.';
comment on column app_public.account_documents.status is 'pending (queued or being written), done (downloadable) or failed (see error).';
comment on column app_public.account_documents.file_name is 'The name the PDF downloads under.';
comment on column app_public.account_documents.byte_size is 'The size of the PDF in bytes, once done.';
comment on column app_public.account_documents.chunk_count is '@behavior -*';
comment on column app_public.account_documents.revision is '@behavior -*';
comment on column app_public.account_documents.error is 'Why it failed.';
comment on column app_public.account_documents.requested_by_user_id is 'Who asked for it; for an invoice, who made the invoice (null: the monthly run).';
comment on column app_public.account_documents.finished_at is 'When it was last written (done) or gave up (failed).';
comment on column app_public.account_documents.expires_at is 'When it is deleted (statements, 7 days); null: kept (an invoice''s).';

create table if not exists app_private.account_document_chunks (
  tenant_id text not null,
  document_id text not null,
  chunk_no int not null check (chunk_no >= 0),
  data bytea not null,
  primary key (tenant_id, document_id, chunk_no),
  foreign key (tenant_id, document_id) references app_public.account_documents (tenant_id, id) on delete cascade
);
do $$
begin
  if not (select c.relrowsecurity from pg_class c where c.oid = 'app_private.account_document_chunks'::regclass) then
    perform app_private.secure_table('app_private.account_document_chunks');
  end if;
end $$;
comment on table app_private.account_document_chunks is 'The bytes of account documents (PDF), in order, about 1 MB each.';

--! Included accounts/750-documents.sql
-- Account documents (issue 18): the PDF of every invoice, and statements on request.
--
-- * An invoice's PDF is queued as the invoice is made (a trigger on account_invoices, whichever
--   path made it: the monthly run or invoiceCustomerAccount) and written by the worker
--   (worker/tasks/render-account-document.ts, pdfkit, worker/documents/invoice-pdf.ts). One
--   document per invoice (a unique index), one job per document (its job key): queuing it twice
--   is impossible. The PDF is the invoice as issued; when the invoice is voided the same
--   document is written again and says VOID with the reason (its number stays taken, its sales
--   go on a later invoice). Payments do not rewrite it: the screen tells what is still due.
-- * A statement (requestAccountStatement, accounts.view) is the PDF of the same lines as
--   Query.accountStatement for a date range, written once and kept 7 days (deleted at once when
--   the customer is erased; invoices' PDFs stay, as the invoices do).
--
-- Where the file lives: in the database as ~1 MB chunks, like the CSV exports and customer data
-- bundles (reporting/650-exports.sql says why). A document is downloadable only once its row
-- says done, which the worker writes in the same transaction as its chunks: there is never half a
-- file. GET /account-documents/:id (web/server/account-documents.ts) streams it to members of
-- the business with accounts.view; anyone else gets 404, told apart from nothing.
--
-- The worker is the owner role without a session: it reads a tenant's data through functions
-- taking the tenant explicitly (app_private.invoice_document_data, statement_document_data), never
-- through the API's functions, which take the tenant from the signed-in session.

create or replace trigger _100_timestamps before insert or update on app_public.account_documents
  for each row execute function app_private.tg__timestamps();

drop policy if exists select_with_permission on app_public.account_documents;
create policy select_with_permission on app_public.account_documents for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and (select app_hidden.has_permission('accounts.view')));

revoke all on app_public.account_documents from :DATABASE_VISITOR;
grant select on app_public.account_documents to :DATABASE_VISITOR;

/* The path a member downloads a finished document from. */
create or replace function app_public.account_documents_download_url(d app_public.account_documents) returns text
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select case when d.status = 'done' then '/account-documents/' || d.id end;
$$;
comment on function app_public.account_documents_download_url(app_public.account_documents) is 'Where to download the PDF (GET, same site) once it is done; null before.';
grant execute on function app_public.account_documents_download_url(app_public.account_documents) to :DATABASE_VISITOR;

/*
 * An invoice's PDF (AccountInvoice.document). Read under the documents' select policy: null
 * without accounts.view, and for a row of another business.
 */
create or replace function app_public.account_invoices_document(i app_public.account_invoices) returns app_public.account_documents
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select d.* from app_public.account_documents d where d.tenant_id = i.tenant_id and d.invoice_id = i.id;
$$;
comment on function app_public.account_invoices_document(app_public.account_invoices) is
  'The invoice''s PDF: made with the invoice, written again saying VOID when it is voided. Download it from its downloadUrl once done.';
grant execute on function app_public.account_invoices_document(app_public.account_invoices) to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Queuing

/* Queues the writing of a document; its job key makes a second queuing replace the first instead of adding one. */
create or replace function app_private.queue_account_document(tenant_id text, document_id text) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  select graphile_worker.add_job('render_account_document',
    json_build_object('tenantId', queue_account_document.tenant_id, 'documentId', queue_account_document.document_id),
    max_attempts := 3, job_key := 'render_account_document:' || queue_account_document.document_id);
$$;

/* invoice_inv-2026-00042.pdf, statement_ct-2026-00007_2026-01-01_2026-01-31.pdf */
create or replace function app_private.invoice_document_file_name(invoice_number text) returns text
language sql immutable
set search_path to pg_catalog, public, pg_temp
as $$
  select 'invoice_' || app_private.file_name_part(invoice_number) || '.pdf';
$$;

/*
 * An invoice made: its document, queued. An invoice voided: its document written again (VOID).
 * Security definer: the invoice may be made by any path (the monthly run, a member's command).
 */
create or replace function app_private.tg_account_invoices__document() returns trigger
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  doc_id text;
begin
  if tg_op = 'INSERT' then
    insert into app_public.account_documents as d (tenant_id, customer_id, kind, invoice_id, file_name, requested_by_user_id)
    values (new.tenant_id, new.customer_id, 'invoice', new.id, app_private.invoice_document_file_name(new.invoice_number), new.created_by_user_id)
    on conflict (tenant_id, invoice_id) where invoice_id is not null do nothing
    returning d.id into doc_id;
  else
    update app_public.account_documents d set status = 'pending', error = null, revision = d.revision + 1
    where d.tenant_id = new.tenant_id and d.invoice_id = new.id
    returning d.id into doc_id;
  end if;
  if doc_id is not null then
    perform app_private.queue_account_document(new.tenant_id, doc_id);
  end if;
  return null;
end;
$$;

create or replace trigger _900_document after insert on app_public.account_invoices
  for each row execute function app_private.tg_account_invoices__document();
create or replace trigger _910_document_void after update of status on app_public.account_invoices
  for each row when (new.status = 'void' and old.status is distinct from 'void')
  execute function app_private.tg_account_invoices__document();

/*
 * A customer erased (customers/495): its statements' PDFs go — they hold its name and address and
 * are copies that can be asked for again. Its invoices' PDFs stay, as the invoices do: they are
 * the business's records, which it must keep (GDPR art. 17(3)(b); the data bundle lists them).
 */
create or replace function app_private.tg_customers__erase_account_statements() returns trigger
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
begin
  delete from app_public.account_documents d
  where d.tenant_id = new.tenant_id and d.customer_id = new.id and d.kind = 'statement';
  return null;
end;
$$;

create or replace trigger _310_erase_account_statements after update of status on app_public.customers
  for each row when (new.status = 'erased' and old.status is distinct from 'erased')
  execute function app_private.tg_customers__erase_account_statements();

/*
 * Asks the worker for the PDF statement of an account for a date range (needs accounts.view):
 * the same lines as Query.accountStatement. Returns the document: poll it until done, then
 * download its downloadUrl (kept 7 days). Asked again for the same range while one is being
 * written, it answers that one. NOACC without an account, BADIN for a backwards range or one
 * over 5 years (as the statement).
 */
create or replace function app_public.request_account_statement(customer_id text, from_date date, until_date date)
returns app_public.account_documents
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_customers_permission('accounts.view');
  acc app_public.customer_accounts;
  result app_public.account_documents;
begin
  select a.* into acc from app_public.customer_accounts a
  where a.tenant_id = tenant and a.customer_id = request_account_statement.customer_id;
  if not found then
    perform app_hidden.raise_error('NOACC', 'This customer has no account.', field => 'customer_id');
  end if;
  perform app_private.check_statement_range(from_date, until_date);
  select d.* into result from app_public.account_documents d
  where d.tenant_id = tenant and d.customer_id = acc.customer_id and d.kind = 'statement' and d.status = 'pending'
    and d.period_from = from_date and d.period_until = until_date
  order by d.created_at desc limit 1;
  if found then
    return result;
  end if;
  insert into app_public.account_documents (tenant_id, customer_id, kind, period_from, period_until, file_name,
                                            requested_by_user_id, expires_at)
  values (tenant, acc.customer_id, 'statement', from_date, until_date,
          'statement_' || app_private.file_name_part(acc.account_number) || '_' || from_date || '_' || until_date || '.pdf',
          app_hidden.current_user_id(), now() + interval '7 days')
  returning * into result;
  perform app_private.queue_account_document(tenant, result.id);
  return result;
end;
$$;
comment on function app_public.request_account_statement(text, date, date) is
  E'@resultFieldName accountDocument\nAsks the worker for the PDF statement of an account from fromDate to untilDate (needs accounts.view): the opening balance, each sale, credit note, payment and write-off with the running balance, the closing balance — the lines of accountStatement. Poll the returned document until its status is done, then download its downloadUrl (kept 7 days). NOACC, BADIN (a backwards range, or over 5 years).';
grant execute on function app_public.request_account_statement(text, date, date) to :DATABASE_VISITOR;

/* BADIN unless from_date..until_date is a range of at most 5 years (the statement's rule, accounts/740). */
create or replace function app_private.check_statement_range(from_date date, until_date date) returns void
language plpgsql immutable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if from_date is null or until_date is null or until_date < from_date then
    perform app_hidden.raise_error('BADIN', 'Choose a start date on or before the end date.', field => 'from_date');
  end if;
  if until_date - from_date > 5 * 366 then
    perform app_hidden.raise_error('BADIN', 'A statement covers at most 5 years.', field => 'from_date');
  end if;
end;
$$;

------------------------------------------------------------------------------------------------
-- What a document shows (the worker's data; owner, tenant explicit). Shapes are those of
-- worker/documents/invoice-pdf.ts (InvoiceDocument) and statement-pdf.ts (StatementDocument);
-- amounts are strings of minor units (bigint), dates YYYY-MM-DD.

/* The shop at the top: the business's name, its first location (as tenant_today's clock), the address on its receipts. */
create or replace function app_private.account_document_shop(tenant_id text) returns jsonb
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select jsonb_build_object(
    'name', t.name,
    'locationName', (select l.name from app_public.locations l where l.tenant_id = t.id order by l.created_at, l.id limit 1),
    'address', t.receipt_address)
  from app_public.tenants t where t.id = account_document_shop.tenant_id;
$$;

/* How the business writes money, in a currency (an invoice's own, else the business's). */
create or replace function app_private.account_document_money(tenant_id text, currency text default null) returns jsonb
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select jsonb_build_object('currency', c.code, 'minorUnits', c.minor_units, 'locale', t.locale)
  from app_public.tenants t join app_public.currencies c on c.code = coalesce(account_document_money.currency, t.currency)
  where t.id = account_document_money.tenant_id;
$$;

/* Who it is for: the customer's name, account number, billing address (else its default address) as lines, tax ID. */
create or replace function app_private.account_document_account(tenant_id text, customer_id text) returns jsonb
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select jsonb_build_object(
    'customerName', coalesce(nullif(c.company_name, ''), c.display_name),
    'accountNumber', a.account_number,
    'taxId', c.tax_id,
    'address', (select to_jsonb(array_remove(array[ad.line1, ad.line2, concat_ws(' ', ad.postal_code, ad.city), ad.region, ad.country], null))
                from app_public.customer_addresses ad
                where ad.tenant_id = c.tenant_id and ad.customer_id = c.id and (ad.id = c.billing_address_id or ad.is_default)
                order by ad.id = c.billing_address_id desc, ad.id limit 1))
  from app_public.customer_accounts a
  join app_public.customers c on c.tenant_id = a.tenant_id and c.id = a.customer_id
  where a.tenant_id = account_document_account.tenant_id and a.customer_id = account_document_account.customer_id;
$$;

/*
 * What an invoice's PDF shows: the shop, the account, the invoice (number, dates, period, status
 * and void reason, totals, what payments cover, what is due), its lines in order (the date of the
 * sale or credit note, description, net, rate, tax, amount), its tax per rate
 * (app_public.account_invoices_taxes) and the payment terms it was issued with. Null when there
 * is no such invoice.
 */
create or replace function app_private.invoice_document_data(tenant_id text, invoice_id text) returns jsonb
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select jsonb_build_object(
    'shop', app_private.account_document_shop(i.tenant_id),
    'money', app_private.account_document_money(i.tenant_id, i.currency),
    'account', app_private.account_document_account(i.tenant_id, i.customer_id),
    'invoice', jsonb_build_object(
      'number', i.invoice_number, 'issuedOn', i.issued_on, 'dueOn', i.due_on,
      'periodStart', i.period_start, 'periodEnd', i.period_end,
      'status', i.status, 'voidReason', i.void_reason,
      'netTotal', i.net_total::text, 'taxTotal', i.tax_total::text, 'total', i.total::text,
      'amountPaid', i.amount_paid::text, 'amountDue', app_public.account_invoices_amount_due(i)::text),
    'lines', (select coalesce(jsonb_agg(jsonb_build_object(
                'date', e.business_date, 'description', l.description, 'netAmount', l.net_amount::text,
                'taxRateBps', l.tax_rate_bps, 'taxAmount', l.tax_amount::text, 'amount', l.amount::text) order by l.line_no), '[]')
              from app_public.account_invoice_lines l
              join app_public.account_entries e on e.tenant_id = l.tenant_id and e.id = l.entry_id
              where l.tenant_id = i.tenant_id and l.invoice_id = i.id),
    'taxes', (select coalesce(jsonb_agg(jsonb_build_object('taxRateBps', t.tax_rate_bps, 'netAmount', t.net_amount::text,
                                                           'taxAmount', t.tax_amount::text) order by t.tax_rate_bps), '[]')
              from app_public.account_invoices_taxes(i) t),
    'paymentTermsDays', i.due_on - i.issued_on)
  from app_public.account_invoices i
  where i.tenant_id = invoice_document_data.tenant_id and i.id = invoice_document_data.invoice_id;
$$;
comment on function app_private.invoice_document_data(text, text) is 'What the PDF of an invoice shows (worker/documents/invoice-pdf.ts InvoiceDocument); null when there is no such invoice.';

/*
 * What a statement's PDF shows: the shop, the account, the period, the day it was written (the
 * business's clock), the opening and closing balances and the lines between them
 * (app_private.account_statement_lines). Null when there is no such document.
 */
create or replace function app_private.statement_document_data(tenant_id text, document_id text) returns jsonb
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  with d as (
    select x.* from app_public.account_documents x
    where x.tenant_id = statement_document_data.tenant_id and x.id = statement_document_data.document_id and x.kind = 'statement'
  ),
  lines as (
    select s.* from d, app_private.account_statement_lines(d.tenant_id, d.customer_id, d.period_from, d.period_until)
                         with ordinality as s(line_date, kind, reference, description, debit, credit, balance, n)
  )
  select jsonb_build_object(
    'shop', app_private.account_document_shop(d.tenant_id),
    'money', app_private.account_document_money(d.tenant_id),
    'account', app_private.account_document_account(d.tenant_id, d.customer_id),
    'period', jsonb_build_object('from', d.period_from, 'until', d.period_until),
    'issuedOn', app_hidden.tenant_today(d.tenant_id, d.created_at),
    'openingBalance', (select l.balance::text from lines l where l.kind = 'opening'),
    'closingBalance', (select l.balance::text from lines l where l.kind = 'closing'),
    'lines', (select coalesce(jsonb_agg(jsonb_build_object(
                'date', l.line_date, 'kind', l.kind, 'reference', l.reference, 'description', l.description,
                'debit', l.debit::text, 'credit', l.credit::text, 'balance', l.balance::text) order by l.n), '[]')
              from lines l where l.kind not in ('opening', 'closing')))
  from d;
$$;
comment on function app_private.statement_document_data(text, text) is 'What the PDF of a statement shows (worker/documents/statement-pdf.ts StatementDocument); null when there is no such document.';

------------------------------------------------------------------------------------------------
-- The worker's side (owner; tenant explicit)

/*
 * Starts (or restarts) writing a document: forgets chunks of an earlier attempt and returns what
 * the job needs: {tenantId, documentId, kind, fileName, revision, data}. Null when it is gone, or
 * done (a job run again does nothing).
 */
create or replace function app_private.start_account_document(tenant_id text, document_id text) returns jsonb
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  d app_public.account_documents;
  data jsonb;
begin
  select x.* into d from app_public.account_documents x
  where x.tenant_id = start_account_document.tenant_id and x.id = start_account_document.document_id
  for update;
  if not found or d.status = 'done' then
    return null;
  end if;
  delete from app_private.account_document_chunks c where c.tenant_id = d.tenant_id and c.document_id = d.id;
  update app_public.account_documents x set status = 'pending', error = null, byte_size = 0, chunk_count = 0
  where x.tenant_id = d.tenant_id and x.id = d.id;
  data := case d.kind when 'invoice' then app_private.invoice_document_data(d.tenant_id, d.invoice_id)
                      else app_private.statement_document_data(d.tenant_id, d.id) end;
  return jsonb_build_object('tenantId', d.tenant_id, 'documentId', d.id, 'kind', d.kind, 'fileName', d.file_name,
                            'revision', d.revision, 'data', data);
end;
$$;
comment on function app_private.start_account_document(text, text) is 'What the worker writes for an account document (and its old chunks gone); null when it is gone or done.';

/* Stores a chunk of a document being written (under its row's lock: one writer at a time). False when it is no longer pending. */
create or replace function app_private.write_account_document_chunk(tenant_id text, document_id text, chunk_no int, data bytea) returns boolean
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  perform 1 from app_public.account_documents d
  where d.tenant_id = write_account_document_chunk.tenant_id and d.id = write_account_document_chunk.document_id and d.status = 'pending'
  for update;
  if not found then
    return false;
  end if;
  insert into app_private.account_document_chunks (tenant_id, document_id, chunk_no, data)
  values (write_account_document_chunk.tenant_id, write_account_document_chunk.document_id, write_account_document_chunk.chunk_no,
          write_account_document_chunk.data);
  return true;
end;
$$;

/*
 * Marks a document done (downloadable) once every chunk is stored (the worker calls it in the
 * chunks' transaction). False, leaving it pending, when it was asked for again since this run
 * started (revision: an invoice voided meanwhile): the job queued by that ask writes it.
 */
create or replace function app_private.finish_account_document(tenant_id text, document_id text, revision int, chunk_count int, byte_size bigint)
returns boolean
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if (select count(*) from app_private.account_document_chunks c
      where c.tenant_id = finish_account_document.tenant_id and c.document_id = finish_account_document.document_id)
     <> finish_account_document.chunk_count then
    raise exception 'account document % of tenant %: % chunks expected', document_id, tenant_id, chunk_count;
  end if;
  update app_public.account_documents d set status = 'done', finished_at = now(), error = null,
    chunk_count = finish_account_document.chunk_count, byte_size = finish_account_document.byte_size
  where d.tenant_id = finish_account_document.tenant_id and d.id = finish_account_document.document_id and d.status = 'pending'
    and d.revision = finish_account_document.revision;
  return found;
end;
$$;

/* Marks a document failed (the worker gave up on it); its chunks go. */
create or replace function app_private.fail_account_document(tenant_id text, document_id text, message text) returns void
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  delete from app_private.account_document_chunks c
  where c.tenant_id = fail_account_document.tenant_id and c.document_id = fail_account_document.document_id;
  update app_public.account_documents d set status = 'failed', finished_at = now(), error = left(message, 500)
  where d.tenant_id = fail_account_document.tenant_id and d.id = fail_account_document.document_id and d.status <> 'done';
$$;

/* Statements past their 7 days go with their files (worker crontab, with the exports). Returns how many. */
create or replace function app_private.delete_expired_account_documents() returns int
language sql volatile
set search_path to pg_catalog, public, pg_temp
as $$
  with gone as (delete from app_public.account_documents d where d.expires_at < now() returning 1)
  select count(*)::int from gone;
$$;
comment on function app_private.delete_expired_account_documents() is 'Removes statements (and their files) past their 7 days; invoices'' PDFs stay.';

------------------------------------------------------------------------------------------------
-- Downloading (GET /account-documents/:id as the API role with the session)

/*
 * Name, size and chunk count of a finished document of the current business, for a member with
 * accounts.view; no row for anything else (unknown, another business's, not finished, expired, no
 * permission: never told apart). TSUSP when the business is suspended, as everywhere.
 */
create or replace function app_hidden.account_document_file(document_id text)
returns table (file_name text, byte_size bigint, chunk_count int)
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.current_tenant_id();
begin
  if tenant is null or not app_hidden.has_permission('accounts.view') then
    return;
  end if;
  perform app_hidden.assert_tenant_active();
  return query
    select d.file_name, d.byte_size, d.chunk_count
    from app_public.account_documents d
    where d.tenant_id = tenant and d.id = account_document_file.document_id and d.status = 'done'
      and (d.expires_at is null or d.expires_at > now());
end;
$$;
comment on function app_hidden.account_document_file(text) is 'Name, size and chunk count of a finished account document the signed-in member may download (accounts.view); no row otherwise.';

create or replace function app_hidden.account_document_chunk(document_id text, chunk_no int) returns bytea
language sql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
  select c.data
  from app_public.account_documents d
  join app_private.account_document_chunks c on c.tenant_id = d.tenant_id and c.document_id = d.id and c.chunk_no = account_document_chunk.chunk_no
  where d.tenant_id = app_hidden.current_tenant_id() and app_hidden.has_permission('accounts.view')
    and d.id = account_document_chunk.document_id and d.status = 'done';
$$;
comment on function app_hidden.account_document_chunk(text, int) is 'One chunk of a finished account document the signed-in member may download (accounts.view).';
--! EndIncluded accounts/750-documents.sql
