--! Previous: sha1:46ba15345d7658189f8501e89056cde042ecc3b8
--! Hash: sha1:d93f552493c9113e49c006799e88fa64b990d7eb
--! Message: unit_share names what it shares

--! split: 1-current.sql
-- unit_share's comment names what it shares now (a line's net amount, not its subtotal).
--! Included sales/340-refunds.sql
-- Refunding some lines of a sale ("refund one coffee"): refund_order_lines takes back units of
-- a sale's lines, each with its share of the line's discount and tax, hands the money back and
-- puts stocked units back, and emits order.refunded.v1. A refund is counted on the day it is
-- made (db/REPORTING.md): it takes its net amount out of net sales, its tax out of tax and the
-- money handed back out of the tenders. A voided sale takes no refund, and a sale with refunds
-- is not voided (its remaining lines are refunded instead), so a unit is never taken back twice.
--
-- Amounts, so that refunding a line in any number of steps takes back exactly the line:
--   * the discount and the tax of q units, when d units of the line's n were refunded before,
--     are share(x, d + q, n) − share(x, d, n), where share(x, k, n) = x × k / n rounded half up
--     (x: the line's discount, or its tax): every step rounds the running total, never a part;
--   * the subtotal of q units is unit price × q; on an order whose prices included its tax (its
--     lines are kept without tax, sales/320-orders.sql, so the subtotal is no multiple of the
--     units) it is the share of the line's net amount plus the share of its discount, so that no
--     step takes back less than nothing (two separate roundings of subtotal and discount could
--     differ by a cent the wrong way);
--   * a refund line's total = subtotal − discount + tax; the refund's totals are their sums.
-- Money goes back card first (to the card, up to what the cards paid and was not yet handed
-- back), then cash (from the location's open drawer), never more than was paid: a refund of an
-- imported sale that was never paid hands nothing back.

-- Refunds and their lines are written only by refund_order_lines and never change.
create or replace trigger _010_append_only before update or delete on app_public.order_refunds
  for each row execute function app_private.tg__append_only();
create or replace trigger _010_append_only before update or delete on app_public.order_refund_lines
  for each row execute function app_private.tg__append_only();

drop policy if exists select_own_tenant on app_public.order_refunds;
create policy select_own_tenant on app_public.order_refunds for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));
revoke all on app_public.order_refunds from :DATABASE_VISITOR;
grant select on app_public.order_refunds to :DATABASE_VISITOR;

drop policy if exists select_own_tenant on app_public.order_refund_lines;
create policy select_own_tenant on app_public.order_refund_lines for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));
revoke all on app_public.order_refund_lines from :DATABASE_VISITOR;
grant select on app_public.order_refund_lines to :DATABASE_VISITOR;

comment on table app_public.order_refunds is E'@unique id\nA refund of some lines of a sale, with its reason and what it took back (discounts and tax in proportion). Written by refundOrderLines; never changed.';
comment on column app_public.order_refunds.tenant_id is '@behavior -*';
comment on constraint order_refunds_pkey on app_public.order_refunds is '@behavior -single -update -delete';
comment on constraint order_refunds_tenant_id_fkey on app_public.order_refunds is E'@fieldName tenant\n@foreignFieldName orderRefunds\n@behavior -manyRelation:resource:list -manyRelation:resource:connection';
comment on constraint order_refunds_tenant_id_order_id_fkey on app_public.order_refunds is E'@fieldName order\n@foreignFieldName refunds';
comment on column app_public.order_refunds.reason is 'Why the lines were refunded.';
comment on column app_public.order_refunds.business_date is 'The day of the refund at the order''s location (the day it counts in the reports).';
comment on column app_public.order_refunds.subtotal is 'The subtotal of the units refunded (unit price × quantity, without tax when prices included it), in minor units.';
comment on column app_public.order_refunds.discount_total is 'The share of the discounts those units had.';
comment on column app_public.order_refunds.tax_total is 'The share of the tax those units had.';
comment on column app_public.order_refunds.total is 'What the refund took back: subtotal − discounts + tax.';
comment on column app_public.order_refunds.refunded_by_user_id is 'Who refunded (a user id kept as it was).';
comment on column app_public.order_refunds.created_at is 'When the refund was made.';

comment on table app_public.order_refund_lines is E'@unique id\nThe units of one order line a refund took back, with their share of discount and tax.';
comment on column app_public.order_refund_lines.tenant_id is '@behavior -*';
comment on constraint order_refund_lines_pkey on app_public.order_refund_lines is '@behavior -single -update -delete';
comment on constraint order_refund_lines_tenant_id_fkey on app_public.order_refund_lines is E'@fieldName tenant\n@foreignFieldName orderRefundLines\n@behavior -manyRelation:resource:list -manyRelation:resource:connection';
comment on constraint order_refund_lines_tenant_id_order_refund_id_fkey on app_public.order_refund_lines is E'@fieldName refund\n@foreignFieldName lines';
comment on constraint order_refund_lines_tenant_id_order_line_id_fkey on app_public.order_refund_lines is E'@fieldName orderLine\n@foreignFieldName refundLines\n@behavior -manyRelation:resource:list -manyRelation:resource:connection';
comment on column app_public.order_refund_lines.quantity is 'Units refunded.';
comment on column app_public.order_refund_lines.subtotal is 'Their share of the line''s subtotal: unit price × quantity (without tax when prices included it).';
comment on column app_public.order_refund_lines.discount is 'Their share of the line''s discounts (order discount included).';
comment on column app_public.order_refund_lines.tax is 'Their share of the line''s tax.';
comment on column app_public.order_refund_lines.total is 'subtotal − discount + tax.';

comment on column app_public.refund_tenders.order_refund_id is 'The refund of lines that handed this back (null for a void or a cancel).';
comment on constraint refund_tenders_order_refund_fkey on app_public.refund_tenders is E'@fieldName refund\n@foreignFieldName refundTenders';
comment on column app_public.orders.refunded_total is 'What refunds of some of its lines took back so far (tax included), in minor units.';

/* x × k / n rounded half up, for x, k ≥ 0 and n > 0: the share of x that k units of n carry. */
create or replace function app_hidden.unit_share(x bigint, k bigint, n bigint) returns bigint
language sql immutable strict parallel safe
set search_path to pg_catalog, public, pg_temp
as $$
  select (2 * x * k + n) / (2 * n);
$$;
comment on function app_hidden.unit_share(bigint, bigint, bigint) is 'x × k / n rounded half up (x, k ≥ 0, n > 0): the share of a line''s net amount, discount or tax that k of its n units carry.';

/* The units of each line of an order refunded so far and those that can still be (none unless it is a sale: an open order is cancelled, a voided one was refunded whole). */
create or replace function app_public.orders_refundable_lines(o app_public.orders)
returns table (order_line_id text, line_no int, name text, unit_price int, quantity int, refunded int, refundable int, total int)
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select l.id, l.line_no, l.name, l.unit_price, l.quantity, coalesce(r.refunded, 0)::int,
         case when o.status = 'placed' then (l.quantity - coalesce(r.refunded, 0))::int else 0 end, l.total
  from app_public.order_lines l
  left join (select rl.order_line_id, sum(rl.quantity) as refunded
             from app_public.order_refund_lines rl
             join app_public.order_refunds f on f.tenant_id = rl.tenant_id and f.id = rl.order_refund_id
             where f.tenant_id = o.tenant_id and f.order_id = o.id
             group by rl.order_line_id) r on r.order_line_id = l.id
  where l.tenant_id = o.tenant_id and l.order_id = o.id
  order by l.line_no;
$$;
comment on function app_public.orders_refundable_lines(app_public.orders) is
  E'@behavior -connection +list\n@notNull\nEach line of the order with the units already refunded and the units that can still be (a sale''s; an open or voided order takes no refund).';

/* What order.refunded.v1 says: the sale (where, when, who), the refund (when, why, by whom, amounts), its lines and the money handed back. */
create or replace function app_private.order_refunded_event_payload(o app_public.orders, f app_public.order_refunds) returns jsonb
language sql stable
as $$
  select pg_catalog.jsonb_build_object(
    'order_id', o.id,
    'refund_id', f.id,
    'location_id', o.location_id,
    'business_date', pg_catalog.to_char(o.business_date, 'YYYY-MM-DD'),
    'placed_at', app_hidden.iso_utc(o.placed_at),
    'customer_id', o.customer_id,
    'refunded_at', app_hidden.iso_utc(f.created_at),
    'refund_business_date', pg_catalog.to_char(f.business_date, 'YYYY-MM-DD'),
    'reason', f.reason,
    'refunded_by_user_id', f.refunded_by_user_id,
    'subtotal', f.subtotal,
    'discount_total', f.discount_total,
    'tax_total', f.tax_total,
    'total', f.total,
    'item_count', (select coalesce(pg_catalog.sum(rl.quantity), 0) from app_public.order_refund_lines rl
                   where rl.tenant_id operator(pg_catalog.=) f.tenant_id and rl.order_refund_id operator(pg_catalog.=) f.id),
    'lines', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                'line_id', l.id,
                'line_no', l.line_no,
                'catalog_item_id', l.catalog_item_id,
                'sku', l.sku,
                'name', l.name,
                'quantity', rl.quantity,
                'unit_price', l.unit_price,
                'subtotal', rl.subtotal,
                'discount', rl.discount,
                'revenue', rl.subtotal operator(pg_catalog.-) rl.discount,
                'tax', rl.tax,
                'total', rl.total) order by l.line_no), '[]'::jsonb)
              from app_public.order_refund_lines rl
              join app_public.order_lines l on l.tenant_id operator(pg_catalog.=) rl.tenant_id and l.id operator(pg_catalog.=) rl.order_line_id
              where rl.tenant_id operator(pg_catalog.=) f.tenant_id and rl.order_refund_id operator(pg_catalog.=) f.id),
    'refund_tenders', coalesce((
      select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('type', r.type, 'amount', r.amount) order by r.type)
      from app_public.refund_tenders r
      where r.tenant_id operator(pg_catalog.=) f.tenant_id and r.order_refund_id operator(pg_catalog.=) f.id), '[]'::jsonb));
$$;

/*
 * Refunds units of some lines of a sale (needs sales.void, like a void). lines is a JSON array of
 * {"order_line_id": text, "quantity": whole number ≥ 1}, each line at most once and never more
 * units than are left to refund. Raises BADIN (malformed, a line twice, an order that is not a
 * sale), NOTFD (no such order, or a line not of this order), VOIDD, BADQT (a quantity out of
 * range or above what is left) and the reason's errors. Returns the refund.
 */
create or replace function app_public.refund_order_lines(order_id text, lines jsonb, reason text) returns app_public.order_refunds
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('sales.void');
  me text := app_hidden.current_user_id();
  why text;
  o app_public.orders;
  loc app_public.locations;
  refund app_public.order_refunds;
  elem jsonb;
  n int;
  unknown_key text;
  qty numeric;
  line_ids text[] := '{}';
  qtys int[] := '{}';
  over record;
  left_to_give bigint;
begin
  why := app_hidden.assert_name('The reason for the refund', refund_order_lines.reason, 500, 'reason');
  perform app_private.begin_change('refund_order_lines', why);
  select x.* into o from app_public.orders x where x.tenant_id = tenant and x.id = refund_order_lines.order_id for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no order %s.', left(refund_order_lines.order_id, 40)));
  end if;
  if o.status = 'voided' then
    perform app_hidden.raise_error('VOIDD', 'This order was voided: everything on it was refunded already.');
  end if;
  if o.status <> 'placed' then
    perform app_hidden.raise_error('BADIN', 'Only a sale can be refunded (an open order is cancelled instead).');
  end if;

  if lines is null or jsonb_typeof(lines) <> 'array' or jsonb_array_length(lines) = 0 then
    perform app_hidden.raise_error('BADIN', 'Say what to refund: a list such as [{"order_line_id": "…", "quantity": 1}].');
  end if;
  if jsonb_array_length(lines) > 200 then
    perform app_hidden.raise_error('BADIN', 'A refund can have at most 200 lines.');
  end if;
  for elem, n in select e.value, e.ordinality from jsonb_array_elements(lines) with ordinality as e order by e.ordinality loop
    if jsonb_typeof(elem) <> 'object' then
      perform app_hidden.raise_error('BADIN', format('Line %s must be an object such as {"order_line_id": "…", "quantity": 1}.', n));
    end if;
    select k into unknown_key from jsonb_object_keys(elem) as k where k not in ('order_line_id', 'quantity') order by k limit 1;
    if unknown_key is not null then
      perform app_hidden.raise_error('BADIN', format('Line %s: unknown field "%s" (use order_line_id and quantity).', n, left(unknown_key, 40)));
    end if;
    if jsonb_typeof(elem -> 'order_line_id') is distinct from 'string' then
      perform app_hidden.raise_error('BADIN', format('Line %s: order_line_id is required.', n));
    end if;
    if (elem ->> 'order_line_id') = any(line_ids) then
      perform app_hidden.raise_error('BADIN', format('Line %s: that order line is already in this refund.', n));
    end if;
    if jsonb_typeof(elem -> 'quantity') is distinct from 'number' then
      perform app_hidden.raise_error('BADQT', format('Line %s: the quantity must be a whole number from 1 to 10000.', n));
    end if;
    qty := (elem ->> 'quantity')::numeric;
    if qty <> trunc(qty) or qty < 1 or qty > 10000 then
      perform app_hidden.raise_error('BADQT', format('Line %s: the quantity must be a whole number from 1 to 10000.', n));
    end if;
    line_ids := line_ids || (elem ->> 'order_line_id');
    qtys := qtys || qty::int;
  end loop;

  -- Every line is one of this order's, and no more units than are left to refund (the order's
  -- row lock makes concurrent refunds of one sale take turns).
  select r.ord, r.line_id into over
  from unnest(line_ids) with ordinality as r(line_id, ord)
  where not exists (select 1 from app_public.order_lines l where l.tenant_id = tenant and l.order_id = o.id and l.id = r.line_id)
  order by r.ord limit 1;
  if found then
    perform app_hidden.raise_error('NOTFD', format('Line %s: there is no line %s on this order.', over.ord, left(over.line_id, 40)));
  end if;
  select r.ord, r.qty, x.refundable, x.quantity, x.name into over
  from unnest(line_ids, qtys) with ordinality as r(line_id, qty, ord)
  join app_public.orders_refundable_lines(o) x on x.order_line_id = r.line_id
  where r.qty > x.refundable
  order by r.ord limit 1;
  if found then
    perform app_hidden.raise_error('BADQT', case when over.refundable = 0
      then format('Line %s: all %s of %s were refunded already.', over.ord, over.quantity, over.name)
      else format('Line %s: only %s of %s can still be refunded.', over.ord, over.refundable, over.name) end);
  end if;

  select l.* into loc from app_public.locations l where l.tenant_id = tenant and l.id = o.location_id;

  -- The refund and its lines in one statement (the lines' foreign key is checked at its end).
  with wanted as (
    select x.order_line_id, r.qty, x.refunded, x.quantity as units, l.unit_price, l.net_total::bigint as net,
           (l.line_discount + l.order_discount_share)::bigint as discount, l.tax::bigint as tax, l.line_no
    from unnest(line_ids, qtys) as r(line_id, qty)
    join app_public.orders_refundable_lines(o) x on x.order_line_id = r.line_id
    join app_public.order_lines l on l.tenant_id = tenant and l.id = r.line_id
  ), shares as (
    select w.order_line_id, w.qty, w.line_no, w.unit_price,
           app_hidden.unit_share(w.net, w.refunded + w.qty, w.units) - app_hidden.unit_share(w.net, w.refunded, w.units) as net,
           app_hidden.unit_share(w.discount, w.refunded + w.qty, w.units) - app_hidden.unit_share(w.discount, w.refunded, w.units) as discount,
           app_hidden.unit_share(w.tax, w.refunded + w.qty, w.units) - app_hidden.unit_share(w.tax, w.refunded, w.units) as tax
    from wanted w
  ), priced as (
    select s.order_line_id, s.qty, s.line_no, s.discount, s.tax,
           case when o.tax_inclusive then s.net + s.discount else s.unit_price::bigint * s.qty end as subtotal
    from shares s
  ), head as (
    insert into app_public.order_refunds (tenant_id, order_id, reason, business_date, subtotal, discount_total, tax_total, total, refunded_by_user_id)
    select tenant, o.id, why, app_hidden.business_date(now(), loc.timezone), sum(p.subtotal), sum(p.discount), sum(p.tax),
           sum(p.subtotal - p.discount + p.tax), me
    from priced p
    returning *
  ), body as (
    insert into app_public.order_refund_lines (tenant_id, order_refund_id, order_line_id, quantity, subtotal, discount, tax, total)
    select tenant, h.id, p.order_line_id, p.qty, p.subtotal, p.discount, p.tax, p.subtotal - p.discount + p.tax
    from priced p cross join head h
    order by p.line_no
  )
  select h.* into refund from head h;

  update app_public.orders x set refunded_total = x.refunded_total + refund.total
    where x.tenant_id = tenant and x.id = o.id
    returning * into o;

  -- The money: back to the cards first, then cash from the drawer, never more than was paid and not yet handed back.
  left_to_give := refund.total;
  for over in
    select p.type, p.paid - coalesce(b.back, 0) as available
    from (select t.type, sum(t.applied_amount) as paid from app_public.tenders t
          where t.tenant_id = tenant and t.order_id = o.id group by t.type) p
    left join (select r.type, sum(r.amount) as back from app_public.refund_tenders r
               where r.tenant_id = tenant and r.order_id = o.id group by r.type) b on b.type = p.type
    order by p.type = 'card' desc, p.type
  loop
    exit when left_to_give = 0;
    continue when over.available <= 0;
    insert into app_public.refund_tenders (tenant_id, order_id, order_refund_id, type, amount, reason, business_date, refunded_by_user_id, cash_drawer_id)
    values (tenant, o.id, refund.id, over.type, least(left_to_give, over.available), why, refund.business_date, me,
            -- Cash comes out of the location's open drawer (330-cash-drawers.sql).
            case when over.type = 'cash' then app_private.open_cash_drawer_id(tenant, o.location_id) end);
    left_to_give := left_to_give - least(left_to_give, over.available);
  end loop;

  perform app_private.emit_event(tenant, 'order.refunded.v1', 'order', o.id, app_private.order_refunded_event_payload(o, refund), me);

  -- Units the sale took out of stock go back on the shelf, each line with its movement (and its event).
  insert into app_public.inventory_movements (tenant_id, location_id, inventory_item_id, quantity, reason, note,
                                              order_id, order_line_id, actor_user_id)
  select tenant, m.location_id, m.inventory_item_id, rl.quantity, 'sale', 'Refund on order ' || o.id, o.id, rl.order_line_id, me
  from app_public.order_refund_lines rl
  join app_public.inventory_movements m
    on m.tenant_id = rl.tenant_id and m.order_id = o.id and m.order_line_id = rl.order_line_id and m.reason = 'sale' and m.quantity < 0
  where rl.tenant_id = tenant and rl.order_refund_id = refund.id
  order by m.id;

  perform app_private.end_change();
  return refund;
end;
$$;
comment on function app_public.refund_order_lines(text, jsonb, text) is
  E'@resultFieldName refund\nRefunds units of some lines of a sale (needs sales.void): lines is a list of {"order_line_id", "quantity"}, never more units than are left to refund. Each unit takes back its share of the line''s discount and tax; the money goes back card first, then cash from the drawer (refundTenders), and counts as a refund today; stocked units go back on the shelf. A voided sale takes no refund, and a sale with refunds is not voided.';
--! EndIncluded sales/340-refunds.sql
