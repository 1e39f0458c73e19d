-- 310-catalog-inventory: what a tenant sells (catalog items, priced in cents), what it stocks
-- (inventory items) and the stock ledger (inventory movements), plus the tenant's tax rate.
-- On-hand is never stored: it is the sum of the movements of an item at a location, and
-- movements are append-only, so it cannot drift from its history. Sales may take on-hand below
-- zero (the goods are in the customer's hands; the count was wrong, and the negative number
-- shows it); manual outflows (waste, transfer out, negative adjustments) may not, and are
-- refused with NOSTK. Catalog and inventory items use the generated CRUD, guarded by policies
-- (catalog.manage, inventory.manage) and validation triggers; movements are written only by
-- functions.

------------------------------------------------------------------------------------------------
-- The tenant's tax rate

alter table app_public.tenants
  add column tax_rate_bps int not null default 0 check (tax_rate_bps between 0 and 10000);
comment on column app_public.tenants.tax_rate_bps is 'Sales tax added to tax-exclusive catalog prices, in basis points (825 = 8.25%). Owners set it (settings.update).';
grant update (tax_rate_bps) on app_public.tenants to :DATABASE_VISITOR;

create function app_private.tg_tenants__validate_tax_rate() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  if new.tax_rate_bps is null or new.tax_rate_bps not between 0 and 10000 then
    perform app_hidden.raise_error('BADIN', 'The tax rate must be between 0 and 10000 basis points (0% to 100%).');
  end if;
  return new;
end;
$$;
create trigger _050_validate_tax_rate before insert or update of tax_rate_bps on app_public.tenants
  for each row execute function app_private.tg_tenants__validate_tax_rate();

------------------------------------------------------------------------------------------------
-- Catalog items

create table app_public.catalog_items (
  tenant_id text not null default app_hidden.current_tenant_id() references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  name text not null check (length(name) between 1 and 200),
  sku text not null check (sku ~ '^[A-Z0-9][A-Z0-9._-]{0,39}$'),
  price int not null check (price between 0 and 10000000),
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, sku)
);
create index catalog_items_name_idx on app_public.catalog_items (tenant_id, name);
select app_private.secure_table('app_public.catalog_items');
comment on table app_public.catalog_items is E'@unique id\nSomething the business sells, at a tax-exclusive price. Deactivate items rather than delete them: past orders keep pointing at them.';
comment on column app_public.catalog_items.tenant_id is '@behavior -*';
comment on constraint catalog_items_pkey on app_public.catalog_items is '@behavior -single -update -delete';
comment on constraint catalog_items_tenant_id_sku_key on app_public.catalog_items is '@behavior -single -update -delete';
comment on constraint catalog_items_tenant_id_fkey on app_public.catalog_items is E'@fieldName tenant\n@foreignFieldName catalogItems';
comment on column app_public.catalog_items.name is 'Name shown on the till and the receipt.';
comment on column app_public.catalog_items.sku is 'Stock-keeping unit, unique in the business; stored upper-case (A-Z, 0-9, dot, dash, underscore).';
comment on column app_public.catalog_items.price is 'Unit price in cents, before tax.';
comment on column app_public.catalog_items.active is E'@behavior +filterBy\nOnly active items can be sold.';

create function app_private.tg_catalog_items__validate() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  new.name := app_hidden.assert_name('Item name', new.name);
  new.sku := upper(btrim(coalesce(new.sku, '')));
  if new.sku !~ '^[A-Z0-9][A-Z0-9._-]{0,39}$' then
    perform app_hidden.raise_error('BADIN', 'A SKU is 1 to 40 letters, digits, dots, dashes or underscores, starting with a letter or digit.');
  end if;
  if new.price is null or new.price not between 0 and 10000000 then
    perform app_hidden.raise_error('BADAM', 'The price must be between 0 and 10000000 cents.');
  end if;
  if new.active is null then
    new.active := true;
  end if;
  if exists (select 1 from app_public.catalog_items c
             where c.tenant_id = new.tenant_id and c.sku = new.sku and c.id <> new.id) then
    perform app_hidden.raise_error('DUSKU', format('Another item already has the SKU %s.', new.sku));
  end if;
  return new;
end;
$$;
create trigger _050_validate before insert or update on app_public.catalog_items
  for each row execute function app_private.tg_catalog_items__validate();
create trigger _100_timestamps before insert or update on app_public.catalog_items
  for each row execute function app_private.tg__timestamps();
create trigger _500_audit after insert or update on app_public.catalog_items
  for each row execute function app_private.tg__audit('created_at', 'updated_at');

create policy select_own_tenant on app_public.catalog_items for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));
create policy insert_with_permission on app_public.catalog_items for insert to :DATABASE_VISITOR
  with check (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('catalog.manage'));
create policy update_with_permission on app_public.catalog_items for update to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('catalog.manage'));
grant select on app_public.catalog_items to :DATABASE_VISITOR;
grant insert (name, sku, price, active), update (name, sku, price, active) on app_public.catalog_items to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Inventory items

create table app_public.inventory_items (
  tenant_id text not null default app_hidden.current_tenant_id() references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  catalog_item_id text,
  name text not null check (length(name) between 1 and 200),
  low_stock_threshold int not null default 0 check (low_stock_threshold between 0 and 1000000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, catalog_item_id),
  foreign key (tenant_id, catalog_item_id) references app_public.catalog_items (tenant_id, id)
);
create index inventory_items_name_idx on app_public.inventory_items (tenant_id, name);
select app_private.secure_table('app_public.inventory_items');
comment on table app_public.inventory_items is E'@unique id\nSomething the business keeps in stock. When linked to a catalog item, each unit sold takes one unit out of stock at the selling location.';
comment on column app_public.inventory_items.tenant_id is '@behavior -*';
comment on constraint inventory_items_pkey on app_public.inventory_items is '@behavior -single -update -delete';
comment on constraint inventory_items_tenant_id_fkey on app_public.inventory_items is E'@fieldName tenant\n@foreignFieldName inventoryItems';
comment on constraint inventory_items_tenant_id_catalog_item_id_fkey on app_public.inventory_items is E'@fieldName catalogItem\n@foreignFieldName inventoryItem';
comment on constraint inventory_items_tenant_id_catalog_item_id_key on app_public.inventory_items is '@behavior -single -update -delete';
comment on column app_public.inventory_items.catalog_item_id is 'The catalog item whose sales take this item out of stock (at most one inventory item per catalog item).';
comment on column app_public.inventory_items.name is 'Name of the stocked item.';
comment on column app_public.inventory_items.low_stock_threshold is 'On-hand at or below this is low stock.';

create function app_private.tg_inventory_items__validate() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
begin
  new.name := app_hidden.assert_name('Inventory item name', new.name);
  if new.low_stock_threshold is null or new.low_stock_threshold not between 0 and 1000000 then
    perform app_hidden.raise_error('BADQT', 'The low-stock threshold must be a whole number from 0 to 1000000.');
  end if;
  if new.catalog_item_id is not null then
    if not exists (select 1 from app_public.catalog_items c
                   where c.tenant_id = new.tenant_id and c.id = new.catalog_item_id) then
      perform app_hidden.raise_error('NOTFD', format('There is no catalog item %s.', new.catalog_item_id));
    end if;
    if exists (select 1 from app_public.inventory_items i
               where i.tenant_id = new.tenant_id and i.catalog_item_id = new.catalog_item_id and i.id <> new.id) then
      perform app_hidden.raise_error('DUSTK', 'That catalog item is already linked to another inventory item.');
    end if;
  end if;
  return new;
end;
$$;
create trigger _050_validate before insert or update on app_public.inventory_items
  for each row execute function app_private.tg_inventory_items__validate();
create trigger _100_timestamps before insert or update on app_public.inventory_items
  for each row execute function app_private.tg__timestamps();
create trigger _500_audit after insert or update on app_public.inventory_items
  for each row execute function app_private.tg__audit('created_at', 'updated_at');

create policy select_own_tenant on app_public.inventory_items for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));
create policy insert_with_permission on app_public.inventory_items for insert to :DATABASE_VISITOR
  with check (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('inventory.manage'));
create policy update_with_permission on app_public.inventory_items for update to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()) and app_hidden.has_permission('inventory.manage'));
grant select on app_public.inventory_items to :DATABASE_VISITOR;
grant insert (name, catalog_item_id, low_stock_threshold), update (name, catalog_item_id, low_stock_threshold)
  on app_public.inventory_items to :DATABASE_VISITOR;

------------------------------------------------------------------------------------------------
-- Inventory movements: the stock ledger

create table app_public.inventory_movements (
  tenant_id text not null references app_public.tenants on delete cascade,
  id text not null default public.gen_ulid(),
  location_id text not null,
  inventory_item_id text not null,
  quantity int not null check (quantity <> 0),
  reason text not null check (reason in ('receive', 'sale', 'adjustment', 'waste', 'transfer_in', 'transfer_out')),
  note text check (length(note) <= 500),
  -- Set for sales and their reversals; the foreign keys to orders are added in 320-orders.
  order_id text,
  order_line_id text,
  -- The user who recorded it; not a foreign key: ledger rows never change.
  actor_user_id text,
  occurred_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, location_id) references app_public.locations (tenant_id, id),
  foreign key (tenant_id, inventory_item_id) references app_public.inventory_items (tenant_id, id),
  check (case reason
           when 'receive' then quantity > 0
           when 'transfer_in' then quantity > 0
           when 'waste' then quantity < 0
           when 'transfer_out' then quantity < 0
           when 'sale' then order_id is not null and order_line_id is not null
           else true end)
);
create index inventory_movements_location_idx on app_public.inventory_movements (tenant_id, location_id, occurred_at);
create index inventory_movements_item_idx on app_public.inventory_movements (tenant_id, inventory_item_id, location_id) include (quantity);
create index inventory_movements_order_idx on app_public.inventory_movements (tenant_id, order_id);
create index inventory_movements_order_line_idx on app_public.inventory_movements (tenant_id, order_line_id);
select app_private.secure_table('app_public.inventory_movements');
comment on table app_public.inventory_movements is E'@unique id\nThe stock ledger: every change of on-hand, signed. On-hand of an item at a location is the sum of its movements. Rows are never changed; corrections are adjustments.';
comment on column app_public.inventory_movements.tenant_id is '@behavior -*';
comment on constraint inventory_movements_pkey on app_public.inventory_movements is '@behavior -single -update -delete';
comment on constraint inventory_movements_tenant_id_fkey on app_public.inventory_movements is E'@fieldName tenant\n@foreignFieldName inventoryMovements';
comment on constraint inventory_movements_tenant_id_location_id_fkey on app_public.inventory_movements is E'@fieldName location\n@foreignFieldName inventoryMovements';
comment on constraint inventory_movements_tenant_id_inventory_item_id_fkey on app_public.inventory_movements is E'@fieldName inventoryItem\n@foreignFieldName movements';
comment on column app_public.inventory_movements.location_id is 'Where the stock changed.';
comment on column app_public.inventory_movements.quantity is 'Change of on-hand in units: positive in, negative out.';
comment on column app_public.inventory_movements.reason is 'receive, sale, adjustment, waste, transfer_in or transfer_out. Sales are negative; a void writes the opposite sale movement.';
comment on column app_public.inventory_movements.note is 'Free text, such as a delivery note number or why stock was wasted.';
comment on column app_public.inventory_movements.order_id is 'The order of a sale movement (and of its reversal when the order is voided).';
comment on column app_public.inventory_movements.order_line_id is 'The order line of a sale movement.';
comment on column app_public.inventory_movements.actor_user_id is 'Who recorded it (a user id kept as it was).';
comment on column app_public.inventory_movements.occurred_at is 'When the stock changed (the order''s placed_at for sales).';
comment on column app_public.inventory_movements.created_at is 'When the movement was recorded.';
create trigger _010_append_only before update or delete on app_public.inventory_movements
  for each row execute function app_private.tg__append_only();

create policy select_own_tenant on app_public.inventory_movements for select to :DATABASE_VISITOR
  using (tenant_id = (select app_hidden.current_tenant_id()));
grant select on app_public.inventory_movements to :DATABASE_VISITOR;

/* Trigger: every movement, however written, emits exactly one inventory.movement.created.v1. */
create function app_private.tg_inventory_movements__emit_event() returns trigger
language plpgsql volatile
set search_path to pg_catalog, public, pg_temp
as $$
declare
  loc app_public.locations;
  item app_public.inventory_items;
begin
  select l.* into loc from app_public.locations l where l.tenant_id = new.tenant_id and l.id = new.location_id;
  select i.* into item from app_public.inventory_items i where i.tenant_id = new.tenant_id and i.id = new.inventory_item_id;
  perform app_private.emit_event(new.tenant_id, 'inventory.movement.created.v1', 'inventory_item', new.inventory_item_id,
    jsonb_build_object(
      'movement_id', new.id,
      'location_id', new.location_id,
      'inventory_item_id', new.inventory_item_id,
      'inventory_item_name', item.name,
      'catalog_item_id', item.catalog_item_id,
      'quantity', new.quantity,
      'reason', new.reason,
      'note', new.note,
      'order_id', new.order_id,
      'order_line_id', new.order_line_id,
      'occurred_at', app_hidden.iso_utc(new.occurred_at),
      'business_date', app_hidden.business_date(new.occurred_at, loc.timezone),
      'actor_user_id', new.actor_user_id),
    new.actor_user_id);
  return null;
end;
$$;
create trigger _900_emit_event after insert on app_public.inventory_movements
  for each row execute function app_private.tg_inventory_movements__emit_event();

/* On-hand of an item at a location: the sum of its movements. */
create function app_private.on_hand(tenant_id text, location_id text, inventory_item_id text) returns int
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(sum(m.quantity), 0)::int
  from app_public.inventory_movements m
  where m.tenant_id = on_hand.tenant_id and m.inventory_item_id = on_hand.inventory_item_id
    and m.location_id = on_hand.location_id;
$$;

create function app_public.inventory_items_on_hand(item app_public.inventory_items, location_id text default null) returns int
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select coalesce(sum(m.quantity), 0)::int
  from app_public.inventory_movements m
  where m.tenant_id = item.tenant_id and m.inventory_item_id = item.id
    and (inventory_items_on_hand.location_id is null or m.location_id = inventory_items_on_hand.location_id);
$$;
comment on function app_public.inventory_items_on_hand(app_public.inventory_items, text) is 'Units on hand: the sum of the movements, at one location or (without a location) at all of them. Can be negative when more was sold than was recorded as received.';

create function app_public.inventory_items_is_low_stock(item app_public.inventory_items, location_id text default null) returns boolean
language sql stable
set search_path to pg_catalog, public, pg_temp
as $$
  select app_public.inventory_items_on_hand(item, location_id) <= item.low_stock_threshold;
$$;
comment on function app_public.inventory_items_is_low_stock(app_public.inventory_items, text) is 'Whether on-hand (at one location, or at all of them) is at or below the low-stock threshold.';

/*
 * Records a stock change other than a sale. quantity is the signed change of on-hand and must
 * agree with the reason: receive and transfer_in add (> 0), waste and transfer_out remove (< 0),
 * adjustment either way (≠ 0). An outflow that would take on-hand at the location below zero is
 * refused (NOSTK); outflows of the same item are serialised by a lock on the item so that two
 * of them cannot both pass the check. occurred_at (past only) is for imports and needs
 * settings.update.
 */
create function app_public.record_inventory_movement(
  location_id text, inventory_item_id text, quantity int, reason text, note text default null,
  occurred_at timestamptz default null
) returns app_public.inventory_movements
language plpgsql volatile security definer
set search_path to pg_catalog, public, pg_temp
as $$
declare
  tenant text := app_hidden.assert_permission('inventory.manage');
  result app_public.inventory_movements;
  available int;
begin
  if occurred_at is not null then
    if not app_hidden.has_permission('settings.update') then
      perform app_hidden.raise_error('DNIED', 'Only an owner (settings.update) can record stock changes with a past date.');
    end if;
    if occurred_at > now() + interval '5 minutes' then
      perform app_hidden.raise_error('BADIN', 'A stock change cannot be recorded in the future.');
    end if;
  end if;
  if not exists (select 1 from app_public.locations l
                 where l.tenant_id = tenant and l.id = record_inventory_movement.location_id) then
    perform app_hidden.raise_error('NOTFD', format('There is no location %s.', record_inventory_movement.location_id));
  end if;
  -- Locks the item against other outflows (not against sales, whose foreign keys take KEY SHARE).
  perform 1 from app_public.inventory_items i
    where i.tenant_id = tenant and i.id = record_inventory_movement.inventory_item_id
    for no key update;
  if not found then
    perform app_hidden.raise_error('NOTFD', format('There is no inventory item %s.', record_inventory_movement.inventory_item_id));
  end if;
  if reason is null or reason not in ('receive', 'adjustment', 'waste', 'transfer_in', 'transfer_out') then
    perform app_hidden.raise_error('BADIN', case when reason = 'sale'
      then 'Sales take stock out by themselves when an order is placed.'
      else 'The reason must be receive, adjustment, waste, transfer_in or transfer_out.' end);
  end if;
  if quantity is null or quantity = 0 or abs(quantity) > 1000000 then
    perform app_hidden.raise_error('BADQT', 'The quantity must be a whole number of units, not zero, at most 1000000 either way.');
  elsif reason in ('receive', 'transfer_in') and quantity < 0 then
    perform app_hidden.raise_error('BADQT', format('A %s adds stock: give a positive quantity.', replace(reason, '_', ' ')));
  elsif reason in ('waste', 'transfer_out') and quantity > 0 then
    perform app_hidden.raise_error('BADQT', format('A %s removes stock: give a negative quantity.', replace(reason, '_', ' ')));
  end if;
  if note is not null then
    note := nullif(btrim(note), '');
    if length(note) > 500 then
      perform app_hidden.raise_error('BADIN', 'The note must be at most 500 characters.');
    end if;
  end if;
  if quantity < 0 then
    available := app_private.on_hand(tenant, record_inventory_movement.location_id, record_inventory_movement.inventory_item_id);
    if available + quantity < 0 then
      perform app_hidden.raise_error('NOSTK', format(
        'Only %s on hand at this location; cannot take out %s.', greatest(available, 0), -quantity));
    end if;
  end if;
  insert into app_public.inventory_movements
    (tenant_id, location_id, inventory_item_id, quantity, reason, note, actor_user_id, occurred_at)
  values
    (tenant, record_inventory_movement.location_id, record_inventory_movement.inventory_item_id,
     record_inventory_movement.quantity, record_inventory_movement.reason, record_inventory_movement.note,
     app_hidden.current_user_id(), coalesce(record_inventory_movement.occurred_at, now()))
  returning * into result;
  return result;
end;
$$;
comment on function app_public.record_inventory_movement(text, text, int, text, text, timestamptz) is
  E'@resultFieldName inventoryMovement\nRecords a stock change other than a sale (needs inventory.manage). quantity is the signed change: receive and transfer_in positive, waste and transfer_out negative, adjustment either. Outflows cannot take on-hand below zero. occurredAt backdates an import (owners only).';
