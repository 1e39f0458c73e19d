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

-- A line knows whether its order's prices included the tax, so that its subtotal is checked
-- exactly (unit price × quantity) on every other line, as before tax rates. Lines never change
-- (append-only trigger): the lines of orders priced with tax included are marked with it off.
alter table app_public.order_lines add column if not exists tax_inclusive boolean not null default false;
do $$
begin
  if not exists (select 1 from pg_catalog.pg_constraint where conname = 'order_lines_subtotal_exact_check') then
    alter table app_public.order_lines disable trigger _010_append_only;
    update app_public.order_lines l set tax_inclusive = true
    from app_public.orders o
    where o.tenant_id = l.tenant_id and o.id = l.order_id and o.tax_inclusive and not l.tax_inclusive;
    alter table app_public.order_lines enable trigger _010_append_only;
    alter table app_public.order_lines add constraint order_lines_subtotal_exact_check
      check (tax_inclusive or subtotal = unit_price::bigint * quantity);
  end if;
end;
$$;
comment on column app_public.order_lines.tax_inclusive is 'Whether the order''s prices included its tax: then the subtotal is unit price × quantity less the tax it held, else exactly unit price × quantity.';

-- What the tax columns mean now that a location charges its own rate, added or included.
comment on column app_public.tenants.tax_rate_bps is 'The default tax rate, added to prices, of locations without a tax rate of their own, in basis points (825 = 8.25%).';
comment on column app_public.orders.tax_rate_bps is 'The rate the order was priced with (its location''s, else the business''s default), in basis points.';
comment on column app_public.order_lines.line_discount is 'Cents taken off this line (without tax when the order''s prices included it).';
comment on column app_public.order_lines.tax is 'The line''s tax, rounded half up: on net_total when added to prices; the part of what the customer paid for the line when the prices included it.';

--!include sales/305-tax-rates.sql
--!include sales/320-orders.sql
--!include sales/340-refunds.sql
