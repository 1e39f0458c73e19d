-- 320-orders: orders, their lines and tenders, and the functions that are the only way to write
-- them (place_order, record_tender, void_order; quote_order prices a cart without writing).
-- The API role has no insert, update or delete grant on these tables, so PostGraphile generates
-- no CRUD for them. Every total is computed here from catalog prices and the tenant's tax rate.
--
-- Pricing and rounding (db/EVENTS.md repeats it):
--   * prices are tax-exclusive integer cents; a line's subtotal is unit price × quantity;
--   * a line discount is cents off that line (0 ≤ discount ≤ line subtotal);
--   * the order discount is cents off the whole order (0 ≤ discount ≤ sum of lines after their
--     own discounts); it is spread over the lines in proportion to their amounts after line
--     discounts, rounding down, and the cents left over go one each to the lines with the largest
--     remainders (ties: the earlier line), so the shares add up to the order discount exactly;
--   * tax is computed per line on the line's net amount (after both discounts) and rounded
--     half up to the cent: tax = floor((net × tax_rate_bps + 5000) / 10000);
--   * order tax_total is the sum of the line taxes (so it can differ by a cent or so from
--     rounding the tax of the whole order once); total = subtotal − discount_total + tax_total.

------------------------------------------------------------------------------------------------
-- Orders

create table app_public.orders (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  location_id text not null,
  -- No foreign key yet: the customers issue adds
  --   foreign key (tenant_id, customer_id) references app_public.customers (tenant_id, id)
  -- and replaces app_private.order_customer_id to refuse unknown customers with NOTFD.
  customer_id text,
  status text not null default 'placed' check (status in ('open', 'placed', 'voided')),
  subtotal int not null default 0 check (subtotal >= 0),
  order_discount int not null default 0 check (order_discount >= 0),
  discount_total int not null default 0 check (discount_total >= order_discount and discount_total <= subtotal),
  tax_rate_bps int not null default 0 check (tax_rate_bps between 0 and 10000),
  tax_total int not null default 0 check (tax_total >= 0),
  total int not null default 0,
  paid_total int not null default 0,
  amount_due int generated always as (total - paid_total) stored,
  placed_at timestamptz,
  business_date date,
  placed_by_user_id text references app_public.users on delete set null,
  voided_at timestamptz,
  void_reason text check (length(void_reason) <= 500),
  voided_by_user_id text references app_public.users on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, location_id) references app_public.locations (tenant_id, id),
  check (total = subtotal - discount_total + tax_total),
  check (paid_total between 0 and total),
  check (status = 'open' or (placed_at is not null and business_date is not null)),
  check ((status = 'voided') = (voided_at is not null and void_reason is not null))
);
create index orders_location_date_idx on app_public.orders (tenant_id, location_id, business_date);
create index orders_customer_idx on app_public.orders (tenant_id, customer_id, placed_at);
create index orders_placed_at_idx on app_public.orders (tenant_id, placed_at);
create index orders_placed_by_idx on app_public.orders (placed_by_user_id);
create index orders_voided_by_idx on app_public.orders (voided_by_user_id);
select app_private.secure_table('app_public.orders');
comment on table app_public.orders is E'@unique id\nA sale at a location. Written only by placeOrder, recordTender and voidOrder; a voided order keeps its rows.';
comment on column app_public.orders.tenant_id is '@behavior -*';
comment on constraint orders_pkey on app_public.orders is '@behavior -single -update -delete';
comment on constraint orders_tenant_id_fkey on app_public.orders is E'@fieldName tenant\n@foreignFieldName orders';
comment on constraint orders_tenant_id_location_id_fkey on app_public.orders is E'@fieldName location\n@foreignFieldName orders';
comment on constraint orders_placed_by_user_id_fkey on app_public.orders is E'@fieldName placedBy\n@foreignFieldName placedOrders';
comment on constraint orders_voided_by_user_id_fkey on app_public.orders is E'@fieldName voidedBy\n@foreignFieldName voidedOrders';
comment on column app_public.orders.location_id is 'Where the sale was made.';
comment on column app_public.orders.customer_id is 'The customer the sale is attributed to, if any.';
comment on column app_public.orders.status is 'open (not yet placed), placed or voided.';
comment on column app_public.orders.subtotal is 'Sum of unit price × quantity over the lines, in cents, before discounts and tax.';
comment on column app_public.orders.order_discount is 'Cents taken off the whole order (spread over the lines); part of discount_total.';
comment on column app_public.orders.discount_total is 'Line discounts plus the order discount, in cents.';
comment on column app_public.orders.tax_rate_bps is 'The tenant''s tax rate when the order was placed, in basis points.';
comment on column app_public.orders.tax_total is 'Sum of the line taxes, in cents.';
comment on column app_public.orders.total is 'What the customer pays, in cents: subtotal − discount_total + tax_total.';
comment on column app_public.orders.paid_total is 'Sum of the tenders applied to the order (cash handed over minus change), in cents.';
comment on column app_public.orders.amount_due is E'@notNull\ntotal − paid_total, in cents.';
comment on column app_public.orders.placed_at is 'When the order was placed.';
comment on column app_public.orders.business_date is 'The date of placed_at on the clock of the location (its time zone).';
comment on column app_public.orders.voided_at is 'When the order was voided.';
comment on column app_public.orders.void_reason is 'Why the order was voided.';
create trigger _100_timestamps before insert or update on app_public.orders
  for each row execute function app_private.tg__timestamps();

create policy select_own_tenant on app_public.orders for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));
grant select on app_public.orders to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Order lines

create table app_public.order_lines (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  order_id text not null,
  line_no int not null check (line_no >= 1),
  catalog_item_id text not null,
  sku text not null,
  name text not null,
  unit_price int not null check (unit_price >= 0),
  quantity int not null check (quantity > 0),
  subtotal int not null,
  line_discount int not null check (line_discount >= 0),
  order_discount_share int not null check (order_discount_share >= 0),
  net_total int not null check (net_total >= 0),
  tax int not null check (tax >= 0),
  total int not null,
  primary key (tenant_id, id),
  unique (tenant_id, order_id, line_no),
  foreign key (tenant_id, order_id) references app_public.orders (tenant_id, id),
  foreign key (tenant_id, catalog_item_id) references app_public.catalog_items (tenant_id, id),
  check (subtotal = unit_price * quantity),
  check (net_total = subtotal - line_discount - order_discount_share),
  check (total = net_total + tax)
);
create index order_lines_catalog_item_idx on app_public.order_lines (tenant_id, catalog_item_id);
select app_private.secure_table('app_public.order_lines');
comment on table app_public.order_lines is E'@unique id\nOne item of an order, with the name and price it was sold at.';
comment on column app_public.order_lines.tenant_id is '@behavior -*';
comment on constraint order_lines_pkey on app_public.order_lines is '@behavior -single -update -delete';
comment on constraint order_lines_tenant_id_order_id_line_no_key on app_public.order_lines is '@behavior -single -update -delete';
comment on constraint order_lines_tenant_id_fkey on app_public.order_lines is E'@fieldName tenant\n@foreignFieldName orderLines';
comment on constraint order_lines_tenant_id_order_id_fkey on app_public.order_lines is E'@fieldName order\n@foreignFieldName lines';
comment on constraint order_lines_tenant_id_catalog_item_id_fkey on app_public.order_lines is E'@fieldName catalogItem\n@foreignFieldName orderLines';
comment on column app_public.order_lines.line_no is 'Position of the line in the order, from 1.';
comment on column app_public.order_lines.sku is 'SKU of the item when it was sold.';
comment on column app_public.order_lines.name is 'Name of the item when it was sold.';
comment on column app_public.order_lines.unit_price is 'Price of one unit when it was sold, in cents, before tax.';
comment on column app_public.order_lines.quantity is 'Units sold.';
comment on column app_public.order_lines.subtotal is 'unit_price × quantity, in cents.';
comment on column app_public.order_lines.line_discount is 'Cents taken off this line.';
comment on column app_public.order_lines.order_discount_share is 'This line''s share of the order discount, in cents.';
comment on column app_public.order_lines.net_total is 'Revenue of the line: subtotal − line_discount − order_discount_share, in cents, before tax.';
comment on column app_public.order_lines.tax is 'Tax on net_total, rounded half up to the cent.';
comment on column app_public.order_lines.total is 'net_total + tax, in cents.';
create trigger _010_append_only before update or delete on app_public.order_lines
  for each row execute function app_private.tg__append_only();

create policy select_own_tenant on app_public.order_lines for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));
grant select on app_public.order_lines to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Tenders

create table app_public.tenders (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  order_id text not null,
  type text not null check (type in ('cash', 'card')),
  amount int not null check (amount > 0),
  change_given int not null default 0 check (change_given >= 0 and change_given < amount),
  applied_amount int generated always as (amount - change_given) stored,
  -- The user who took the payment; not a foreign key: tenders never change.
  recorded_by_user_id text,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, order_id) references app_public.orders (tenant_id, id),
  check (type = 'cash' or change_given = 0)
);
create index tenders_order_idx on app_public.tenders (tenant_id, order_id, created_at);
select app_private.secure_table('app_public.tenders');
comment on table app_public.tenders is E'@unique id\nA payment towards an order. Written only by recordTender; never changed.';
comment on column app_public.tenders.tenant_id is '@behavior -*';
comment on constraint tenders_pkey on app_public.tenders is '@behavior -single -update -delete';
comment on constraint tenders_tenant_id_fkey on app_public.tenders is E'@fieldName tenant\n@foreignFieldName tenders';
comment on constraint tenders_tenant_id_order_id_fkey on app_public.tenders is E'@fieldName order\n@foreignFieldName tenders';
comment on column app_public.tenders.type is 'cash or card.';
comment on column app_public.tenders.amount is 'What the customer handed over (cash) or was charged (card), in cents.';
comment on column app_public.tenders.change_given is 'Change handed back for cash, in cents.';
comment on column app_public.tenders.applied_amount is E'@notNull\namount − change_given: what went towards the order, in cents.';
comment on column app_public.tenders.recorded_by_user_id is 'Who took the payment (a user id kept as it was).';
create trigger _010_append_only before update or delete on app_public.tenders
  for each row execute function app_private.tg__append_only();

create policy select_own_tenant on app_public.tenders for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));
grant select on app_public.tenders to :DATABASE_VISITOR;

-- Stock movements of a sale point at the order and line (the table is in 310-catalog-inventory).
alter table app_public.inventory_movements
  add constraint inventory_movements_order_fkey foreign key (tenant_id, order_id) references app_public.orders (tenant_id, id),
  add constraint inventory_movements_order_line_fkey foreign key (tenant_id, order_line_id) references app_public.order_lines (tenant_id, id);
comment on constraint inventory_movements_order_fkey on app_public.inventory_movements is E'@fieldName order\n@foreignFieldName inventoryMovements';
comment on constraint inventory_movements_order_line_fkey on app_public.inventory_movements is E'@fieldName orderLine\n@foreignFieldName inventoryMovements';

------------------------------------------------------------------------------------------------
-- Event payloads

/*
 * The order as consumers need it: where, when, who, the amounts, and the lines. PL/pgSQL rather
 * than SQL so that its plan is cached (it runs on every order).
 */
create function app_private.order_event_payload(o app_public.orders) returns jsonb
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
    'subtotal', o.subtotal,
    'order_discount', o.order_discount,
    'discount_total', o.discount_total,
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

create function app_private.tg_tenders__emit_event() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  o app_public.orders;
begin
  select * into o from app_public.orders x where x.tenant_id = new.tenant_id and x.id = new.order_id;
  perform app_private.emit_event(new.tenant_id, 'tender.recorded.v1', 'order', new.order_id,
    jsonb_build_object(
      'tender_id', new.id,
      'order_id', new.order_id,
      'location_id', o.location_id,
      'business_date', to_char(o.business_date, 'YYYY-MM-DD'),
      'customer_id', o.customer_id,
      'type', new.type,
      'amount', new.amount,
      'change_given', new.change_given,
      'applied_amount', new.applied_amount,
      'order_total', o.total,
      'paid_total', o.paid_total,
      'amount_due', o.amount_due,
      'recorded_at', app_hidden.iso_utc(new.created_at),
      'recorded_by_user_id', new.recorded_by_user_id),
    new.recorded_by_user_id);
  return null;
end;
$$;
create trigger _900_emit_event after insert on app_public.tenders
  for each row execute function app_private.tg_tenders__emit_event();

------------------------------------------------------------------------------------------------
-- Pricing

create type app_private.priced_line as (
  line_no int,
  catalog_item_id text,
  sku text,
  name text,
  unit_price int,
  quantity int,
  subtotal int,
  line_discount int,
  order_discount_share int,
  net_total int,
  tax int,
  total int,
  inventory_item_id text
);

/*
 * Validates the lines of a cart and prices them (rules at the top of this file). lines is a JSON
 * array of {"catalog_item_id": text, "quantity": whole number 1..10000, "discount"?: cents}.
 * Raises BADIN (malformed), EMPTY, BADQT, BADDS, NOTFD (not an item of this tenant), INACT,
 * BADAM (order too large).
 */
create function app_private.price_lines(tenant_id text, lines jsonb, order_discount int, tax_rate_bps int)
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
    select s.*, s.net - s.share as net_total,
           ((s.net - s.share) * tax_rate_bps + 5000) / 10000 as tax
    from shared s
  )
  select t.line_no, t.catalog_item_id, t.sku, t.name, t.unit_price, t.quantity, t.subtotal::int, t.line_discount,
         t.share::int, t.net_total::int, t.tax::int, (t.net_total + t.tax)::int, t.inventory_item_id
  from taxed t
  order by t.line_no;
end;
$$;

/*
 * Hook for the customers module: the customer id an order of the tenant records for the given
 * one (null for none), raising when it may not be attached. Here only the shape is checked; the
 * customers migration replaces this function to refuse unknown ids (NOTFD) and to follow merges.
 */
create function app_private.order_customer_id(tenant_id text, customer_id text) returns text
language plpgsql stable
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if customer_id is not null and (btrim(customer_id) = '' or length(customer_id) > 64) then
    perform app_hidden.raise_error('BADIN', 'The customer id is not valid.');
  end if;
  return nullif(btrim(customer_id), '');
end;
$$;

create type app_public.order_quote as (
  subtotal int,
  discount_total int,
  tax_rate_bps int,
  tax_total int,
  total int,
  lines jsonb
);
comment on type app_public.order_quote is 'The totals a cart would have if placed now, computed exactly as placeOrder computes them.';
comment on column app_public.order_quote.subtotal is 'Sum of unit price × quantity, in cents.';
comment on column app_public.order_quote.discount_total is 'Line discounts plus the order discount, in cents.';
comment on column app_public.order_quote.tax_rate_bps is 'The tenant''s tax rate, in basis points.';
comment on column app_public.order_quote.tax_total is 'Sum of the line taxes, in cents.';
comment on column app_public.order_quote.total is 'subtotal − discount_total + tax_total, in cents.';
comment on column app_public.order_quote.lines is 'The priced lines: line_no, catalog_item_id, sku, name, unit_price, quantity, subtotal, line_discount, order_discount_share, net_total, tax, total.';

create function app_public.quote_order(lines jsonb, discount int default 0) returns app_public.order_quote
language plpgsql stable security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('sales.sell');
  rate int;
  result app_public.order_quote;
begin
  select t.tax_rate_bps into rate from app_public.tenants t where t.id = tenant;
  select sum(p.subtotal)::int, (sum(p.line_discount) + coalesce(quote_order.discount, 0))::int, rate,
         sum(p.tax)::int, sum(p.total)::int,
         jsonb_agg(to_jsonb(p) - 'inventory_item_id' order by p.line_no)
    into result
  from app_private.price_lines(tenant, quote_order.lines, coalesce(quote_order.discount, 0), rate) p;
  return result;
end;
$$;
comment on function app_public.quote_order(jsonb, int) is
  E'Prices a cart without placing it (needs sales.sell): the same validation, totals and rounding as placeOrder. lines is a JSON list of {"catalog_item_id", "quantity", "discount"?}; discount is cents off the whole order.';

------------------------------------------------------------------------------------------------
-- Writing orders

/*
 * Places an order at a location (needs sales.sell): validates and prices the lines (see the top
 * of this file), writes the order and its lines, a sale movement for each line whose catalog
 * item is stocked, and the events order.placed.v1 then inventory.movement.created.v1 per
 * movement, all in the caller's transaction. Stock is not checked: a sale may take on-hand below
 * zero. placed_at (past only) is for imports and tests and needs settings.update.
 */
create function app_public.place_order(
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
  rate int;
  placed_time timestamptz := coalesce(place_order.placed_at, now());
  order_discount int := coalesce(place_order.discount, 0);
  customer text;
  priced app_private.priced_line[];
  result app_public.orders;
begin
  if place_order.placed_at is not null then
    if not app_hidden.has_permission('settings.update') then
      perform app_hidden.raise_error('DNIED', 'Only an owner (settings.update) can record orders with a past date.');
    end if;
    if place_order.placed_at > now() + interval '5 minutes' then
      perform app_hidden.raise_error('BADIN', 'An order cannot be placed in the future.');
    end if;
  end if;
  select l.* into loc from app_public.locations l where l.tenant_id = tenant and l.id = place_order.location_id;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no location %s.', left(place_order.location_id, 40)));
  end if;
  customer := app_private.order_customer_id(tenant, place_order.customer_id);
  select t.tax_rate_bps into rate from app_public.tenants t where t.id = tenant;
  select array_agg(p order by p.line_no) into priced
  from app_private.price_lines(tenant, place_order.lines, order_discount, rate) p;

  insert into app_public.orders (tenant_id, location_id, customer_id, status, subtotal, order_discount, discount_total,
                                 tax_rate_bps, tax_total, total, placed_at, business_date, placed_by_user_id)
  select tenant, loc.id, customer, 'placed', sum(p.subtotal), order_discount,
         sum(p.line_discount) + order_discount, rate, sum(p.tax), sum(p.total), placed_time,
         app_hidden.business_date(placed_time, loc.timezone), me
  from unnest(priced) p
  returning * into result;

  insert into app_public.order_lines (tenant_id, order_id, line_no, catalog_item_id, sku, name, unit_price, quantity,
                                      subtotal, line_discount, order_discount_share, net_total, tax, total)
  select tenant, result.id, p.line_no, p.catalog_item_id, p.sku, p.name, p.unit_price, p.quantity,
         p.subtotal, p.line_discount, p.order_discount_share, p.net_total, p.tax, p.total
  from unnest(priced) p
  order by p.line_no;

  perform app_private.emit_event(tenant, 'order.placed.v1', 'order', result.id, app_private.order_event_payload(result), me);

  insert into app_public.inventory_movements (tenant_id, location_id, inventory_item_id, quantity, reason,
                                              order_id, order_line_id, actor_user_id, occurred_at)
  select tenant, loc.id, p.inventory_item_id, -p.quantity, 'sale', result.id, ol.id, me, placed_time
  from unnest(priced) p
  join app_public.order_lines ol on ol.tenant_id = tenant and ol.order_id = result.id and ol.line_no = p.line_no
  where p.inventory_item_id is not null
  order by p.line_no;

  return result;
end;
$$;
comment on function app_public.place_order(text, jsonb, text, int, timestamptz) is
  E'@resultFieldName order\nPlaces an order (needs sales.sell). lines is a JSON list of {"catalog_item_id": "…", "quantity": 1, "discount": 0} (discount in cents off that line); discount is cents off the whole order. Totals are computed from catalog prices and the tax rate: tax per line on the discounted amount, rounded half up. Stocked items are taken out of stock at the location. placedAt backdates an import (owners only).';

/*
 * Records a payment towards an order (needs sales.sell). Cash may exceed the amount due: the
 * difference is change given back. Card may not exceed it. Nothing can be tendered to a voided
 * or fully paid order. The order row is locked, so concurrent tenders cannot over-pay it.
 */
create function app_public.record_tender(order_id text, type text, amount int) returns app_public.tenders
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('sales.sell');
  o app_public.orders;
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
  if o.status <> 'placed' then
    perform app_hidden.raise_error('BADIN', 'Only a placed order can take payments.');
  end if;
  if record_tender.type is null or record_tender.type not in ('cash', 'card') then
    perform app_hidden.raise_error('BADIN', 'The tender type must be cash or card.');
  end if;
  if record_tender.amount is null or record_tender.amount <= 0 or record_tender.amount > 100000000 then
    perform app_hidden.raise_error('BADAM', 'The amount must be a positive number of cents (at most 100000000).');
  end if;
  due := o.total - o.paid_total;
  if due <= 0 then
    perform app_hidden.raise_error('OVRTN', 'This order is already paid in full.');
  end if;
  if record_tender.amount > due then
    if record_tender.type = 'card' then
      perform app_hidden.raise_error('OVRTN', format('A card payment cannot exceed the amount due (%s cents).', due));
    end if;
    change := record_tender.amount - due;
  end if;
  update app_public.orders x set paid_total = x.paid_total + (record_tender.amount - change)
    where x.tenant_id = tenant and x.id = o.id;
  insert into app_public.tenders (tenant_id, order_id, type, amount, change_given, recorded_by_user_id)
    values (tenant, o.id, record_tender.type, record_tender.amount, change, app_hidden.current_user_id())
    returning * into result;
  return result;
end;
$$;
comment on function app_public.record_tender(text, text, int) is
  E'@resultFieldName tender\nRecords a payment towards an order (needs sales.sell). type is cash or card; amount in cents. Cash above the amount due gives change (changeGiven); card cannot exceed the amount due; voided or fully paid orders take no payment.';

/*
 * Voids a placed order once (needs sales.void): marks it voided with the reason, keeps its lines
 * and tenders, writes the opposite sale movement for each of its sale movements, and emits
 * order.voided.v1 (with the amounts to take back) then the movement events.
 */
create function app_public.void_order(order_id text, reason text) returns app_public.orders
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
  why := app_hidden.assert_name('The reason for the void', void_order.reason, 500);
  select x.* into o from app_public.orders x where x.tenant_id = tenant and x.id = void_order.order_id for update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no order %s.', left(void_order.order_id, 40)));
  end if;
  if o.status = 'voided' then
    perform app_hidden.raise_error('VOIDD', 'This order is already voided.');
  end if;
  if o.status <> 'placed' then
    perform app_hidden.raise_error('BADIN', 'Only a placed order can be voided.');
  end if;
  select l.* into loc from app_public.locations l where l.tenant_id = tenant and l.id = o.location_id;

  update app_public.orders x
    set status = 'voided', voided_at = now(), void_reason = why, voided_by_user_id = me
    where x.tenant_id = tenant and x.id = o.id
    returning * into o;

  perform app_private.emit_event(tenant, 'order.voided.v1', 'order', o.id,
    app_private.order_event_payload(o) || jsonb_build_object(
      'voided_at', app_hidden.iso_utc(o.voided_at),
      'voided_business_date', to_char(app_hidden.business_date(o.voided_at, loc.timezone), 'YYYY-MM-DD'),
      'void_reason', o.void_reason,
      'voided_by_user_id', o.voided_by_user_id,
      'paid_total', o.paid_total),
    me);

  insert into app_public.inventory_movements (tenant_id, location_id, inventory_item_id, quantity, reason, note,
                                              order_id, order_line_id, actor_user_id)
  select m.tenant_id, m.location_id, m.inventory_item_id, -m.quantity, 'sale', 'Void of order ' || o.id,
         m.order_id, m.order_line_id, me
  from app_public.inventory_movements m
  where m.tenant_id = tenant and m.order_id = o.id and m.reason = 'sale' and m.quantity < 0
  order by m.id;

  return o;
end;
$$;
comment on function app_public.void_order(text, text) is
  E'@resultFieldName order\nVoids a placed order, once (needs sales.void). The order keeps its lines and tenders; stock sold is put back; the paid amount is what to hand back.';
