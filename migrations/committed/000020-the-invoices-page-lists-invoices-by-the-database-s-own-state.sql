--! Previous: sha1:e10109f8475a03be560d2f67615093cebbe95d33
--! Hash: sha1:f9d7a775a9e241b7ad21ad07c57c96aeb8aa7ddd
--! Message: The Invoices page lists invoices by the database's own state, overdue first (account_invoices_in_state)

--! split: 1-current.sql
-- The Invoices page lists invoices by the database's own state (overdue first), not a filter the admin rebuilds.
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

/*
 * The business's invoices as the Invoices page lists them, read under their policy (accounts.view):
 * in one state (open, overdue, paid, void; every one when null), overdue first — the most overdue
 * at the top — then the others newest first. The state is account_invoices_state's: the one rule
 * of what is overdue. BADIN for another state.
 */
create or replace function app_public.account_invoices_in_state(state text default null) returns setof app_public.account_invoices
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if state is not null and state not in ('open', 'overdue', 'paid', 'void') then
    perform app_hidden.raise_error('BADIN', 'The state must be open, overdue, paid or void.', field => 'state');
  end if;
  return query
    select i.* from app_public.account_invoices i
    cross join lateral (select app_public.account_invoices_state(i) as s) x
    where account_invoices_in_state.state is null or x.s = account_invoices_in_state.state
    order by x.s = 'overdue' desc, case when x.s = 'overdue' then i.due_on end, i.issued_on desc, i.invoice_number desc;
end;
$$;
comment on function app_public.account_invoices_in_state(text) is
  'The business''s invoices in a state (open, overdue, paid, void; all when null), overdue first (most overdue at the top), then newest first (needs accounts.view).';

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
