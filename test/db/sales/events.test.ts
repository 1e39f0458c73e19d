// The event log: one event per change with the payload consumers need, append-only, and the
// dispatch rules — each subscribed consumer applies an event at most once, whether dispatched
// again, concurrently, or replayed; async subscriptions wait for a replay; a failing inline
// consumer fails the write.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sqlState, type TestDatabase } from "../../helpers/db.ts";
import { counts, eventsOf, line, openShop, placeOrder, type Shop } from "./shop.ts";

let db: TestDatabase;
let shop: Shop;
beforeAll(async () => {
  db = await createTestDatabase();
  shop = await openShop(db, {
    taxRateBps: 1000,
    items: [{ sku: "LATTE", name: "Latte", price: 450 }, { sku: "SCONE", name: "Scone", price: 300, stock: 50 }],
  });
  // A tiny consumer: a per-tenant, per-day revenue counter, as a read model would keep.
  await db.owner.query(`
    create table app_private.test_daily_revenue (
      tenant_id text not null, location_id text not null, business_date date not null,
      orders int not null, revenue bigint not null,
      primary key (tenant_id, location_id, business_date));
    create table app_private.test_applied (tenant_id text not null, consumer text not null, event_id text not null);
    create function app_private.test_revenue__apply(evt app_private.events) returns void
    language plpgsql volatile set search_path to pg_catalog, public, pg_temp as $$
    declare sign int := case evt.type when 'order.placed.v1' then 1 else -1 end;
    begin
      insert into app_private.test_applied values (evt.tenant_id, 'test_revenue', evt.id);
      insert into app_private.test_daily_revenue as r values
        (evt.tenant_id, evt.payload ->> 'location_id', (evt.payload ->> 'business_date')::date,
         sign, sign * (select sum((l ->> 'revenue')::bigint) from jsonb_array_elements(evt.payload -> 'lines') l))
      on conflict (tenant_id, location_id, business_date) do update
        set orders = r.orders + excluded.orders, revenue = r.revenue + excluded.revenue;
    end $$;
    create function app_private.test_async__apply(evt app_private.events) returns void
    language sql volatile set search_path to pg_catalog, public, pg_temp as $$
      insert into app_private.test_applied values (evt.tenant_id, 'test_async', evt.id);
    $$;
    create function app_private.test_fail__apply(evt app_private.events) returns void
    language plpgsql volatile set search_path to pg_catalog, public, pg_temp as $$
    begin raise exception using errcode = 'XXTST', message = 'consumer failed'; end $$;
    insert into app_private.event_subscriptions (consumer, event_type, handler) values
      ('test_revenue', 'order.placed.v1', 'app_private.test_revenue__apply(app_private.events)'),
      ('test_revenue', 'order.voided.v1', 'app_private.test_revenue__apply(app_private.events)');
  `);
});
afterAll(() => db?.drop());

const revenue = async (tenantId: string) =>
  (await db.owner.query("select orders, revenue::int from app_private.test_daily_revenue where tenant_id = $1", [tenantId])).rows;
const applied = async (tenantId: string, consumer: string) =>
  (await db.owner.query("select count(*)::int as n from app_private.test_applied where tenant_id = $1 and consumer = $2", [tenantId, consumer])).rows[0].n;

describe("emitted events", () => {
  it("opening an order emits nothing; the payment that completes it emits its tender, then one order.placed.v1 with what consumers need, then one movement event per stocked line", async () => {
    const before = (await eventsOf(db, shop.tenantId)).length;
    const order = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.LATTE, 2), line(shop.item.SCONE, 3, 30)], { discount: 100, open: true });
    expect((await eventsOf(db, shop.tenantId)).length).toBe(before);
    await shop.cashier.query("select app_public.record_tender($1, 'card', $2)", [order.id, order.total]);
    const events = (await eventsOf(db, shop.tenantId)).slice(before);
    expect(events.map((e) => e.type)).toEqual(["tender.recorded.v1", "order.placed.v1", "inventory.movement.created.v1"]);
    const [, placed, movement] = events;
    expect(placed).toMatchObject({ aggregate_type: "order", aggregate_id: order.id, actor_user_id: shop.cashier.userId });
    // 900 and 870 after line discounts; 100 spread 900:870 → 51 / 49 (50.85 and 49.15).
    expect(placed.payload).toMatchObject({
      order_id: order.id, location_id: shop.locationId, customer_id: null,
      placed_by_user_id: shop.cashier.userId, tax_rate_bps: 1000,
      subtotal: 1800, order_discount: 100, discount_total: 130, tax_total: 167, total: 1837, item_count: 5,
      lines: [
        { line_no: 1, catalog_item_id: shop.item.LATTE, sku: "LATTE", name: "Latte", quantity: 2, unit_price: 450, subtotal: 900, discount: 51, revenue: 849, tax: 85, total: 934 },
        { line_no: 2, catalog_item_id: shop.item.SCONE, sku: "SCONE", name: "Scone", quantity: 3, unit_price: 300, subtotal: 900, discount: 79, revenue: 821, tax: 82, total: 903 },
      ],
    });
    expect(placed.payload.business_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(placed.payload.placed_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    expect(movement).toMatchObject({ aggregate_type: "inventory_item", aggregate_id: shop.stock.SCONE });
    expect(movement.payload).toMatchObject({
      reason: "sale", quantity: -3, location_id: shop.locationId, inventory_item_id: shop.stock.SCONE,
      catalog_item_id: shop.item.SCONE, order_id: order.id, business_date: placed.payload.business_date,
    });
  });

  it("one order.placed.v1 per order, one order.voided.v1 per void, one tender.recorded.v1 per tender, one movement event per movement", async () => {
    const fresh = await openShop(db, { items: [{ sku: "A", price: 100, stock: 100 }, { sku: "B", price: 200 }] });
    const orders: { id: string }[] = [];
    // Order 0 stays open for the two tenders below; the others are paid in full by card (one tender each).
    for (let i = 0; i < 5; i++) orders.push(await placeOrder(fresh.cashier, fresh.locationId, [line(fresh.item.A), line(fresh.item.B)], { open: i === 0 }));
    await fresh.cashier.query("select app_public.record_tender($1, 'cash', 100)", [orders[0].id]);
    await fresh.cashier.query("select app_public.record_tender($1, 'card', 200)", [orders[0].id]);
    await fresh.manager.query("select app_public.void_order($1, 'mistake')", [orders[1].id]);
    await sqlState(() => fresh.manager.query("select app_public.void_order($1, 'again')", [orders[1].id]));
    await fresh.manager.query("select app_public.record_inventory_movement($1, $2, -2, 'waste', 'dropped')", [fresh.locationId, fresh.stock.A]);

    const events = await eventsOf(db, fresh.tenantId);
    const byType = (t: string) => events.filter((e) => e.type === t);
    expect(byType("order.placed.v1").map((e) => e.aggregate_id).sort()).toEqual(orders.map((o) => o.id).sort());
    expect(byType("order.voided.v1").map((e) => e.aggregate_id)).toEqual([orders[1].id]);
    expect(byType("tender.recorded.v1")).toHaveLength(2 + 4);
    const c = await counts(db, fresh.tenantId);
    // 1 receive + 5 sales + 1 void reversal + 1 waste.
    expect(c.movements).toBe(8);
    expect(byType("inventory.movement.created.v1")).toHaveLength(c.movements);
    expect(events).toHaveLength(5 + 1 + 6 + 8);
  });

  it("a void carries the same amounts and lines as the placement, the original business date and the money to hand back", async () => {
    const order = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.LATTE), line(shop.item.SCONE, 2)], { discount: 50, open: true });
    await shop.cashier.query("select app_public.record_tender($1, 'cash', 2000)", [order.id]);
    await shop.manager.query("select app_public.void_order($1, 'Customer left')", [order.id]);
    const placed = (await eventsOf(db, shop.tenantId, "order.placed.v1")).find((e) => e.aggregate_id === order.id);
    const voided = (await eventsOf(db, shop.tenantId, "order.voided.v1")).find((e) => e.aggregate_id === order.id);
    for (const field of ["location_id", "business_date", "customer_id", "subtotal", "discount_total", "tax_total", "total", "item_count", "lines"]) {
      expect(voided?.payload[field], field).toEqual(placed?.payload[field]);
    }
    expect(voided?.payload).toMatchObject({
      void_reason: "Customer left", voided_by_user_id: shop.manager.userId, paid_total: order.total,
      refund_tenders: [{ type: "cash", amount: order.total }], // the cash handed back (change excluded)
    });
    expect(voided?.payload.voided_business_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(voided?.actor_user_id).toBe(shop.manager.userId);
  });

  it("a tender event carries the type, amounts, change, the order's place and the day it was taken", async () => {
    const order = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.LATTE)], { open: true });
    const t = (await shop.cashier.query("select * from app_public.record_tender($1, 'cash', 1000)", [order.id])).rows[0];
    const event = (await eventsOf(db, shop.tenantId, "tender.recorded.v1")).find((e) => e.payload.tender_id === t.id);
    const placed = (await eventsOf(db, shop.tenantId, "order.placed.v1")).find((e) => e.aggregate_id === order.id);
    expect(event).toMatchObject({ aggregate_type: "order", aggregate_id: order.id });
    expect(event?.payload).toMatchObject({
      order_id: order.id, type: "cash", amount: 1000, change_given: 505, applied_amount: 495,
      order_total: 495, paid_total: 495, amount_due: 0, location_id: shop.locationId,
      business_date: placed?.payload.business_date, recorded_by_user_id: shop.cashier.userId,
    });
  });

  it("events are append-only, even for the owner role", async () => {
    const [first] = await eventsOf(db, shop.tenantId);
    expect(await sqlState(() => db.owner.query("update app_private.events set payload = '{}' where id = $1", [first.id]))).toBe("IMMUT");
    expect(await sqlState(() => db.owner.query("delete from app_private.events where id = $1", [first.id]))).toBe("IMMUT");
    expect(await sqlState(() => db.owner.query("update app_public.inventory_movements set quantity = 1000 where tenant_id = $1", [shop.tenantId]))).toBe("IMMUT");
    expect(await sqlState(() => db.owner.query("delete from app_public.tenders where tenant_id = $1", [shop.tenantId]))).toBe("IMMUT");
    expect(await sqlState(() => db.owner.query("update app_public.order_lines set tax = 0 where tenant_id = $1", [shop.tenantId]))).toBe("IMMUT");
  });
});

describe("dispatch", () => {
  let mine: Shop;
  beforeAll(async () => {
    mine = await openShop(db, { items: [{ sku: "A", price: 1000 }] });
  });

  it("inline consumers apply each event once, in the placing transaction", async () => {
    await placeOrder(mine.cashier, mine.locationId, [line(mine.item.A)]);
    await placeOrder(mine.cashier, mine.locationId, [line(mine.item.A, 2)]);
    expect(await revenue(mine.tenantId)).toEqual([{ orders: 2, revenue: 3000 }]);
    expect(await applied(mine.tenantId, "test_revenue")).toBe(2);
  });

  it("dispatching the same event again applies nothing", async () => {
    const events = await eventsOf(db, mine.tenantId, "order.placed.v1");
    for (const e of events) {
      const { rows } = await db.owner.query("select app_private.dispatch(e) as n from app_private.events e where e.tenant_id = $1 and e.id = $2", [mine.tenantId, e.id]);
      expect(rows[0].n).toBe(0);
    }
    expect(await revenue(mine.tenantId)).toEqual([{ orders: 2, revenue: 3000 }]);
    expect(await applied(mine.tenantId, "test_revenue")).toBe(2);
  });

  it("replay re-applies nothing already processed; after a reset it rebuilds the same read model", async () => {
    const voided = await placeOrder(mine.cashier, mine.locationId, [line(mine.item.A, 5)]);
    await mine.manager.query("select app_public.void_order($1, 'test')", [voided.id]);
    const incremental = await revenue(mine.tenantId);
    expect(incremental).toEqual([{ orders: 2, revenue: 3000 }]);

    expect((await db.owner.query("select app_private.replay('test_revenue') as n")).rows[0].n).toBe(0);
    expect((await db.owner.query("select app_private.replay('test_revenue', $1) as n", [mine.tenantId])).rows[0].n).toBe(0);
    expect(await revenue(mine.tenantId)).toEqual(incremental);

    // Rebuild this tenant's rows from the log.
    await db.owner.query("delete from app_private.test_daily_revenue where tenant_id = $1", [mine.tenantId]);
    expect((await db.owner.query("select app_private.reset_consumer('test_revenue', $1) as n", [mine.tenantId])).rows[0].n).toBe(4);
    expect((await db.owner.query("select app_private.replay('test_revenue', $1) as n", [mine.tenantId])).rows[0].n).toBe(4);
    expect(await revenue(mine.tenantId)).toEqual(incremental);
    expect((await db.owner.query("select app_private.replay('test_revenue', $1) as n", [mine.tenantId])).rows[0].n).toBe(0);
    expect(await revenue(mine.tenantId)).toEqual(incremental);
  });

  it("two connections dispatching the same event at once apply it once", async () => {
    await db.owner.query(
      "insert into app_private.event_subscriptions (consumer, event_type, handler, delivery) values ('test_async', 'order.placed.v1', 'app_private.test_async__apply(app_private.events)', 'async')",
    );
    try {
      const order = await placeOrder(mine.cashier, mine.locationId, [line(mine.item.A)]);
      expect(await applied(mine.tenantId, "test_async")).toBe(0); // async: not applied in the placing transaction
      const results = await Promise.all(
        Array.from({ length: 4 }, () =>
          db.owner.query("select app_private.dispatch(e, 'test_async') as n from app_private.events e where e.tenant_id = $1 and e.aggregate_id = $2 and e.type = 'order.placed.v1'", [mine.tenantId, order.id]),
        ),
      );
      expect(results.map((r) => r.rows[0].n).sort()).toEqual([0, 0, 0, 1]);
      expect(await applied(mine.tenantId, "test_async")).toBe(1);
      // The catch-up replay applies the older events, once.
      const before = (await eventsOf(db, mine.tenantId, "order.placed.v1")).length;
      expect((await db.owner.query("select app_private.replay('test_async', $1) as n", [mine.tenantId])).rows[0].n).toBe(before - 1);
      expect(await applied(mine.tenantId, "test_async")).toBe(before);
      expect((await db.owner.query("select app_private.replay('test_async', $1) as n", [mine.tenantId])).rows[0].n).toBe(0);
    } finally {
      await db.owner.query("delete from app_private.event_subscriptions where consumer = 'test_async'");
    }
  });

  it("an inline consumer that fails fails the write: nothing is left, not even the event", async () => {
    await db.owner.query(
      "insert into app_private.event_subscriptions (consumer, event_type, handler) values ('test_fail', 'order.placed.v1', 'app_private.test_fail__apply(app_private.events)')",
    );
    try {
      // The payment that makes the order a sale emits order.placed.v1: it fails, and leaves no tender, no event.
      const order = await placeOrder(mine.cashier, mine.locationId, [line(mine.item.A)], { open: true });
      const before = await counts(db, mine.tenantId);
      expect(await sqlState(() => mine.cashier.query("select app_public.record_tender($1, 'card', $2)", [order.id, order.total]))).toBe("XXTST");
      expect(await counts(db, mine.tenantId)).toEqual(before);
      expect((await mine.cashier.query("select status, paid_total from app_public.orders where id = $1", [order.id])).rows[0]).toEqual({ status: "open", paid_total: 0 });
    } finally {
      await db.owner.query("delete from app_private.event_subscriptions where consumer = 'test_fail'");
    }
  });

  it("a subscription's handler must take one app_private.events row", async () => {
    expect(await sqlState(() => db.owner.query(
      "insert into app_private.event_subscriptions (consumer, event_type, handler) values ('bad', 'order.placed.v1', 'app_hidden.business_date(timestamptz, text)')",
    ))).toBe("BADEV");
    expect(await sqlState(() => db.owner.query("select app_private.replay('nobody')"))).toBe("BADEV");
  });
});
