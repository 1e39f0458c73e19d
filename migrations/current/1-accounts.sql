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

--!include identity/200-current-session.sql
--!include identity/201-tenants-users-locations.sql
--!include customers/415-companies-and-contacts.sql
--!include customers/430-merge.sql
--!include sales/320-orders.sql
--!include accounts/700-accounts.sql
--!include accounts/710-ledger.sql
--!include accounts/720-invoices.sql
--!include accounts/730-payments.sql
--!include accounts/740-statements.sql
-- After the accounts: the data bundle reads their balance (a SQL function's body is checked when it is created).
--!include customers/495-data-requests.sql
--!include reporting/640-analysts.sql
