-- A business's name is checked and trimmed when it changes, not only at sign-up (a rename to
-- spaces was accepted; a blank one failed a check that names no input).
--!include identity/201-tenants-users-locations.sql

-- A refund never takes back less than nothing (refund_order_lines shares an inclusive line's net
-- amount and discount separately so that it cannot: sales/340-refunds.sql).
do $$
begin
  if not exists (select 1 from pg_catalog.pg_constraint where conname = 'order_refund_lines_amounts_check') then
    alter table app_public.order_refund_lines add constraint order_refund_lines_amounts_check check (subtotal >= discount and total >= 0);
    alter table app_public.order_refunds add constraint order_refunds_amounts_check check (subtotal >= discount_total and total >= 0);
  end if;
end;
$$;

-- What the tax columns mean now that a location charges its own rate, added or included.
comment on column app_public.tenants.tax_rate_bps is 'The default tax rate, added to prices, of locations without a tax rate of their own, in basis points (825 = 8.25%).';
comment on column app_public.orders.tax_rate_bps is 'The rate the order was priced with (its location''s, else the business''s default), in basis points.';
comment on column app_public.order_lines.line_discount is 'Cents taken off this line (without tax when the order''s prices included it).';
comment on column app_public.order_lines.tax is 'The line''s tax, rounded half up: on net_total when added to prices; the part of what the customer paid for the line when the prices included it.';

--!include sales/305-tax-rates.sql
--!include sales/340-refunds.sql
