// Shared by the customer tests: a shop with staff and a catalog item, the customer commands
// called as SQL, and counts of everything a failed command must not have written.
import pg from "pg";
import { roles } from "../../../db/config.ts";
import type { Actor, Member, TestDatabase } from "../../helpers/db.ts";
import { payInFull } from "../sales/shop.ts";

export interface CustomerFields {
  email?: string | null;
  phone?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  notes?: string | null;
  tags?: string[] | null;
  marketing_consent?: boolean | null;
  marketing_consent_source?: string | null;
  metadata?: unknown;
}

export interface Shop {
  owner: Member;
  manager: Member;
  cashier: Member;
  tenantId: string;
  locationId: string;
  /** A catalog item priced 1000 cents (tax 0 unless set). */
  itemId: string;
}

export async function openShop(db: TestDatabase, opts: { country?: string; company?: string } = {}): Promise<Shop> {
  const owner = await db.onboard({ company: opts.company });
  const manager = await db.asUser(owner.tenantId, "manager");
  const cashier = await db.asUser(owner.tenantId, "cashier");
  if (opts.country) await owner.query("update app_public.tenants set default_country = $1", [opts.country]);
  const locationId = (await owner.query("select id from app_public.locations")).rows[0].id as string;
  const item = await owner.query(
    "insert into app_public.catalog_items (name, sku, price) values ('Coffee', 'COFFEE', 1000) returning id",
  );
  return { owner, manager, cashier, tenantId: owner.tenantId, locationId, itemId: item.rows[0].id };
}

export async function createCustomer(actor: Actor, fields: CustomerFields) {
  const { rows } = await actor.query(
    `select * from app_public.create_customer(
       email => $1, phone => $2, first_name => $3, last_name => $4, notes => $5, tags => $6,
       marketing_consent => $7, marketing_consent_source => $8, metadata => $9::jsonb)`,
    [
      fields.email ?? null,
      fields.phone ?? null,
      fields.first_name ?? null,
      fields.last_name ?? null,
      fields.notes ?? null,
      fields.tags ?? null,
      fields.marketing_consent ?? null,
      fields.marketing_consent_source ?? null,
      fields.metadata === undefined ? null : JSON.stringify(fields.metadata),
    ],
  );
  return rows[0];
}

/** update_customer with a patch given as JSON (keys of app_public.customer_changes). */
export async function updateCustomer(actor: Actor, customerId: string, patch: CustomerFields) {
  const { rows } = await actor.query(
    "select * from app_public.update_customer($1, jsonb_populate_record(null::app_public.customer_changes, $2::jsonb))",
    [customerId, JSON.stringify(patch)],
  );
  return rows[0];
}

export async function mergeCustomers(actor: Actor, primaryId: string, duplicateId: string) {
  const { rows } = await actor.query("select * from app_public.merge_customers($1, $2)", [primaryId, duplicateId]);
  return rows[0];
}

/**
 * Sells `quantity` coffees (1000 cents each) to the customer: the order, paid in full by card (what
 * makes it a sale), unless kept open (`open: true`). An import (`placedAt`) is a sale at once.
 */
export async function placeOrder(
  actor: Actor,
  shop: Shop,
  customerId: string | null,
  opts: { quantity?: number; placedAt?: string; open?: boolean } = {},
) {
  const { rows } = await actor.query("select * from app_public.place_order($1, $2::jsonb, $3, 0, $4)", [
    shop.locationId,
    JSON.stringify([{ catalog_item_id: shop.itemId, quantity: opts.quantity ?? 1 }]),
    customerId,
    opts.placedAt ?? null,
  ]);
  return opts.open ? rows[0] : payInFull(actor, rows[0]);
}

export async function voidOrder(actor: Actor, orderId: string, reason = "Customer changed their mind") {
  const { rows } = await actor.query("select * from app_public.void_order($1, $2)", [orderId, reason]);
  return rows[0];
}

/**
 * A customer row read as the owner role (across row-level security), with its purchase history
 * under the names the API shows (total_visits, total_spend, last_visit_at; customer_stats).
 */
export async function customerRow(db: TestDatabase, id: string) {
  const { rows } = await db.owner.query(
    `select c.*, s.visits as total_visits, s.spend as total_spend, s.last_visit_at, s.first_visit_at, s.items_bought
     from app_public.customers c join app_public.customer_stats s on s.tenant_id = c.tenant_id and s.customer_id = c.id
     where c.id = $1`,
    [id],
  );
  return rows[0];
}

/** Everything a customer command could write for a tenant; equal before and after a refused command. */
export async function written(db: TestDatabase, tenantId: string) {
  const { rows } = await db.owner.query(
    `select (select count(*)::int from app_public.customers where tenant_id = $1) as customers,
            (select coalesce(max(updated_at)::text, '') from app_public.customers where tenant_id = $1) as last_update,
            (select count(*)::int from app_public.customer_notes where tenant_id = $1) as notes,
            (select count(*)::int from app_public.customer_addresses where tenant_id = $1) as addresses,
            (select count(*)::int from app_public.customer_merges where tenant_id = $1) as merges,
            (select count(*)::int from app_public.audit_entries where tenant_id = $1) as audit,
            (select count(*)::int from app_private.events where tenant_id = $1) as events,
            (select coalesce(sum(value), 0)::int from app_private.tenant_counters where tenant_id = $1) as counters,
            (select count(*)::int from app_public.orders where tenant_id = $1) as orders`,
    [tenantId],
  );
  return rows[0] as Record<string, number | string>;
}

export async function eventsOf(db: TestDatabase, tenantId: string, type: string) {
  const { rows } = await db.owner.query(
    "select aggregate_id, payload, actor_user_id from app_private.events where tenant_id = $1 and type = $2 order by seq",
    [tenantId, type],
  );
  return rows;
}

export async function auditOf(db: TestDatabase, entity: string, entityId: string) {
  const { rows } = await db.owner.query(
    "select action, actor_user_id, changes from app_public.audit_entries where entity = $1 and entity_id = $2 order by created_at, id",
    [entity, entityId],
  );
  return rows;
}

/** A connection of its own, signed in as the member, for work that must really run concurrently. */
export async function terminal(db: TestDatabase, member: Member): Promise<pg.Client> {
  const client = new pg.Client(db.authUrl);
  await client.connect();
  await client.query("select set_config('role', $1, false), set_config('app.session_id', $2, false)", [
    roles.visitor,
    member.sessionId,
  ]);
  return client;
}

/** The SQLSTATE a promise fails with, or "ok". */
export async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

/** Customers with their purchase history under the names the API shows, for reading counters as the owner: `from ${customersWithStats} c`. */
export const customersWithStats = `(select c.*, s.visits as total_visits, s.spend as total_spend, s.last_visit_at
  from app_public.customers c join app_public.customer_stats s on s.tenant_id = c.tenant_id and s.customer_id = c.id)`;
