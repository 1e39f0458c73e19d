// A small shop for the sales tests: a tenant with a tax rate, an owner, a manager and a cashier,
// catalog items (some stocked), and helpers to place orders and count what was written.
import pg from "pg";
import { roles } from "../../../db/config.ts";
import type { Actor, Member, TestDatabase } from "../../helpers/db.ts";

export interface ItemSpec {
  sku: string;
  name?: string;
  price: number;
  /** Opening stock at the main location; an inventory item is created when given. */
  stock?: number;
  active?: boolean;
}

export interface Shop {
  owner: Member;
  manager: Member;
  cashier: Member;
  tenantId: string;
  locationId: string;
  /** Catalog item id by SKU. */
  item: Record<string, string>;
  /** Inventory item id by SKU (stocked items only). */
  stock: Record<string, string>;
}

export interface Line {
  catalog_item_id: string;
  quantity: number;
  discount?: number;
}

export async function openShop(
  db: TestDatabase,
  opts: { taxRateBps?: number; timezone?: string; items?: ItemSpec[] } = {},
): Promise<Shop> {
  const owner = await db.onboard({ timezone: opts.timezone ?? "Europe/Paris" });
  const manager = await db.asUser(owner.tenantId, "manager");
  const cashier = await db.asUser(owner.tenantId, "cashier");
  await owner.query("update app_public.tenants set tax_rate_bps = $1", [opts.taxRateBps ?? 0]);
  const locationId = (await owner.query("select id from app_public.locations")).rows[0].id as string;
  const item: Record<string, string> = {};
  const stock: Record<string, string> = {};
  for (const spec of opts.items ?? []) {
    const { rows } = await manager.query(
      "insert into app_public.catalog_items (name, sku, price, active) values ($1, $2, $3, $4) returning id, sku",
      [spec.name ?? spec.sku, spec.sku, spec.price, spec.active ?? true],
    );
    item[spec.sku] = rows[0].id;
    if (spec.stock !== undefined) {
      const inv = await manager.query(
        "insert into app_public.inventory_items (name, catalog_item_id, low_stock_threshold) values ($1, $2, 2) returning id",
        [`${spec.sku} stock`, rows[0].id],
      );
      stock[spec.sku] = inv.rows[0].id;
      if (spec.stock > 0) {
        await manager.query("select app_public.record_inventory_movement($1, $2, $3, 'receive')", [locationId, inv.rows[0].id, spec.stock]);
      }
    }
  }
  return { owner, manager, cashier, tenantId: owner.tenantId, locationId, item, stock };
}

export const line = (catalog_item_id: string, quantity = 1, discount?: number): Line =>
  discount === undefined ? { catalog_item_id, quantity } : { catalog_item_id, quantity, discount };

/**
 * Rings up a sale as the till does: opens the order and, unless it is kept open (`open: true`, for
 * tests that take payments themselves), pays it in full by card, which makes it a sale. An import
 * (`placedAt`) is a sale at once and is not paid. Returns the order as it then stands.
 */
export async function placeOrder(
  actor: Member,
  locationId: string,
  lines: unknown,
  opts: { customerId?: string | null; discount?: number | null; placedAt?: string | null; open?: boolean } = {},
) {
  const { rows } = await actor.query(
    "select * from app_public.place_order($1, $2::jsonb, $3, $4, $5)",
    [locationId, JSON.stringify(lines), opts.customerId ?? null, opts.discount ?? 0, opts.placedAt ?? null],
  );
  return opts.open ? rows[0] : payInFull(actor, rows[0]);
}

/** Pays what is due on an open order by card (the payment that makes it a sale); returns the order then. */
export async function payInFull<O extends { id: string; status: string; total: number; paid_total: number }>(
  actor: Pick<Actor, "query">,
  order: O,
): Promise<O> {
  if (order.status !== "open") return order;
  await actor.query("select app_public.record_tender($1, 'card', $2)", [order.id, order.total - order.paid_total]);
  const { rows } = await actor.query("select * from app_public.orders where id = $1", [order.id]);
  return rows[0];
}

export async function orderLines(actor: Member, orderId: string) {
  const { rows } = await actor.query(
    `select line_no, sku, unit_price, quantity, subtotal, line_discount, order_discount_share, net_total, tax, total
     from app_public.order_lines where order_id = $1 order by line_no`,
    [orderId],
  );
  return rows;
}

/** Rows a tenant has in each written table (read as the owner role, across RLS). */
export async function counts(db: TestDatabase, tenantId: string) {
  const { rows } = await db.owner.query(
    `select (select count(*)::int from app_public.orders where tenant_id = $1) as orders,
            (select count(*)::int from app_public.order_lines where tenant_id = $1) as lines,
            (select count(*)::int from app_public.tenders where tenant_id = $1) as tenders,
            (select count(*)::int from app_public.inventory_movements where tenant_id = $1) as movements,
            (select count(*)::int from app_private.events where tenant_id = $1) as events,
            (select coalesce(sum(paid_total), 0)::int from app_public.orders where tenant_id = $1) as paid,
            (select count(*)::int from app_public.orders where tenant_id = $1 and status = 'voided') as voided`,
    [tenantId],
  );
  return rows[0] as Record<string, number>;
}

export async function eventsOf(db: TestDatabase, tenantId: string, type?: string) {
  const { rows } = await db.owner.query(
    `select id, type, aggregate_type, aggregate_id, payload, actor_user_id from app_private.events
     where tenant_id = $1 and ($2::text is null or type = $2) order by seq`,
    [tenantId, type ?? null],
  );
  return rows;
}

export async function onHand(db: TestDatabase, tenantId: string, inventoryItemId: string, locationId: string) {
  const { rows } = await db.owner.query(
    "select app_private.on_hand($1, $2, $3) as n",
    [tenantId, locationId, inventoryItemId],
  );
  return rows[0].n as number;
}

/** A connection of its own, signed in as the member (for truly concurrent work). */
export async function terminal(db: TestDatabase, member: Member): Promise<pg.Client> {
  const client = new pg.Client(db.authUrl);
  await client.connect();
  await client.query("select set_config('role', $1, false), set_config('app.session_id', $2, false)", [roles.visitor, member.sessionId]);
  return client;
}
