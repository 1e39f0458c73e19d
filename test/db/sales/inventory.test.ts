// The stock ledger: on-hand is the sum of movements; manual movements are validated against
// their reason; manual outflows cannot take on-hand below zero (sales can: the goods have left);
// and concurrent orders on the same items from several connections lose no movement.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sqlState, type TestDatabase } from "../../helpers/db.ts";
import { counts, eventsOf, line, onHand, openShop, placeOrder, terminal, type Shop } from "./shop.ts";

let db: TestDatabase;
let shop: Shop;
let other: Shop;
beforeAll(async () => {
  db = await createTestDatabase();
  shop = await openShop(db, {
    items: [{ sku: "BEANS", price: 1600, stock: 0 }, { sku: "MILK", price: 100, stock: 0 }, { sku: "COFFEE", price: 300 }],
  });
  other = await openShop(db, { items: [{ sku: "X", price: 100, stock: 5 }] });
});
afterAll(() => db?.drop());

const move = (actor: Shop["manager"], itemSku: string, quantity: number | null, reason: string | null, note: string | null = null, locationId = shop.locationId) =>
  actor
    .query("select * from app_public.record_inventory_movement($1, $2, $3, $4, $5)", [locationId, shop.stock[itemSku], quantity, reason, note])
    .then((r) => r.rows[0]);

describe("movements", () => {
  it("receive, waste, transfers and adjustments change on-hand by their signed quantity", async () => {
    const m = await move(shop.manager, "BEANS", 40, "receive", "  Delivery note 1142  ");
    expect(m).toMatchObject({ quantity: 40, reason: "receive", note: "Delivery note 1142", actor_user_id: shop.manager.userId });
    await move(shop.manager, "BEANS", -3, "waste", "Bag split");
    await move(shop.manager, "BEANS", -5, "transfer_out");
    await move(shop.manager, "BEANS", 2, "transfer_in");
    await move(shop.manager, "BEANS", -1, "adjustment", "Stock count");
    await move(shop.manager, "BEANS", 2, "adjustment", "Found in the back");
    expect(await onHand(db, shop.tenantId, shop.stock.BEANS, shop.locationId)).toBe(35);
    const api = await shop.cashier.query(
      "select app_public.inventory_items_on_hand(i) as total, app_public.inventory_items_on_hand(i, $2) as here, app_public.inventory_items_is_low_stock(i, $2) as low from app_public.inventory_items i where id = $1",
      [shop.stock.BEANS, shop.locationId],
    );
    expect(api.rows[0]).toEqual({ total: 35, here: 35, low: false });
    const events = (await eventsOf(db, shop.tenantId, "inventory.movement.created.v1")).filter((e) => e.aggregate_id === shop.stock.BEANS);
    expect(events.map((e) => e.payload.quantity)).toEqual([40, -3, -5, 2, -1, 2]);
  });

  it("on-hand is per location", async () => {
    const second = (await shop.owner.query("insert into app_public.locations (name, timezone) values ('Kiosk', 'Asia/Tokyo') returning id")).rows[0].id;
    await move(shop.manager, "MILK", 12, "receive", null, second);
    expect(await onHand(db, shop.tenantId, shop.stock.MILK, second)).toBe(12);
    expect(await onHand(db, shop.tenantId, shop.stock.MILK, shop.locationId)).toBe(0);
    const event = (await eventsOf(db, shop.tenantId, "inventory.movement.created.v1")).at(-1);
    expect(event?.payload).toMatchObject({ location_id: second, quantity: 12, reason: "receive" });
  });

  it.each([
    ["a sale (only orders sell)", 1, "sale", "BADIN"],
    ["an unknown reason", 1, "theft", "BADIN"],
    ["no reason", 1, null, "BADIN"],
    ["a zero quantity", 0, "adjustment", "BADQT"],
    ["no quantity", null, "receive", "BADQT"],
    ["a negative receive", -1, "receive", "BADQT"],
    ["a negative transfer in", -1, "transfer_in", "BADQT"],
    ["a positive waste", 1, "waste", "BADQT"],
    ["a positive transfer out", 1, "transfer_out", "BADQT"],
    ["more waste than is on hand", -1000, "waste", "NOSTK"],
    ["a negative adjustment below zero", -1000, "adjustment", "NOSTK"],
  ] as const)("refuses %s with a coded error and writes nothing", async (_label, quantity, reason, code) => {
    const before = await counts(db, shop.tenantId);
    expect(await sqlState(() => move(shop.manager, "BEANS", quantity, reason))).toBe(code);
    expect(await counts(db, shop.tenantId)).toEqual(before);
  });

  it("refuses a note over 500 characters, unknown and other tenants' ids, and cashiers", async () => {
    const before = await counts(db, shop.tenantId);
    expect(await sqlState(() => move(shop.manager, "BEANS", 1, "receive", "x".repeat(501)))).toBe("BADIN");
    expect(await sqlState(() => move(shop.manager, "BEANS", 1, "receive", null, other.locationId))).toBe("NOTFD");
    expect(await sqlState(() => shop.manager.query("select app_public.record_inventory_movement($1, $2, 1, 'receive')", [shop.locationId, other.stock.X]))).toBe("NOTFD");
    expect(await sqlState(() => shop.manager.query("select app_public.record_inventory_movement($1, 'nope', 1, 'receive')", [shop.locationId]))).toBe("NOTFD");
    expect(await sqlState(() => move(shop.cashier, "BEANS", 1, "receive"))).toBe("DNIED");
    expect(await sqlState(() => shop.manager.query("select app_public.record_inventory_movement($1, $2, 1, 'receive', null, '2024-01-01')", [shop.locationId, shop.stock.BEANS]))).toBe("DNIED");
    expect(await counts(db, shop.tenantId)).toEqual(before);
  });

  it("a sale may take on-hand below zero; it shows, and a waste can then not be recorded", async () => {
    const fresh = await openShop(db, { items: [{ sku: "CAKE", price: 500, stock: 1 }] });
    await placeOrder(fresh.cashier, fresh.locationId, [line(fresh.item.CAKE, 3)]);
    expect(await onHand(db, fresh.tenantId, fresh.stock.CAKE, fresh.locationId)).toBe(-2);
    const low = await fresh.cashier.query("select app_public.inventory_items_is_low_stock(i) as low from app_public.inventory_items i");
    expect(low.rows[0].low).toBe(true);
    expect(await sqlState(() => fresh.manager.query("select app_public.record_inventory_movement($1, $2, -1, 'waste')", [fresh.locationId, fresh.stock.CAKE]))).toBe("NOSTK");
    await fresh.manager.query("select app_public.record_inventory_movement($1, $2, 2, 'adjustment', 'Count: 0')", [fresh.locationId, fresh.stock.CAKE]);
    expect(await onHand(db, fresh.tenantId, fresh.stock.CAKE, fresh.locationId)).toBe(0);
  });
});

describe("concurrency", () => {
  it("concurrent orders of the same items from several connections lose no stock movement", async () => {
    const busy = await openShop(db, {
      items: [{ sku: "CROISSANT", price: 375, stock: 500 }, { sku: "JUICE", price: 450, stock: 500 }, { sku: "LATTE", price: 475 }],
    });
    const cashiers = [busy.cashier, await db.asUser(busy.tenantId, "cashier"), await db.asUser(busy.tenantId, "cashier")];
    const terminals = await Promise.all(Array.from({ length: 6 }, (_, i) => terminal(db, cashiers[i % cashiers.length])));
    const perTerminal = 15;
    const lines = JSON.stringify([line(busy.item.CROISSANT, 2), line(busy.item.JUICE, 1), line(busy.item.LATTE, 1)]);
    try {
      await Promise.all(
        terminals.map(async (t) => {
          for (let i = 0; i < perTerminal; i++) {
            // A sale: the order and the card payment that completes it (and takes the stock), in one statement.
            await t.query("select app_public.record_tender(o.id, 'card', o.total) from app_public.place_order($1, $2::jsonb) o", [busy.locationId, lines]);
          }
        }),
      );
    } finally {
      await Promise.all(terminals.map((t) => t.end()));
    }
    const orders = terminals.length * perTerminal;
    const c = await counts(db, busy.tenantId);
    expect(c.orders).toBe(orders);
    expect(c.lines).toBe(orders * 3);
    expect(c.movements).toBe(2 + orders * 2); // two receipts, then croissant and juice per order
    expect(await onHand(db, busy.tenantId, busy.stock.CROISSANT, busy.locationId)).toBe(500 - 2 * orders);
    expect(await onHand(db, busy.tenantId, busy.stock.JUICE, busy.locationId)).toBe(500 - orders);
    expect(await eventsOf(db, busy.tenantId, "order.placed.v1")).toHaveLength(orders);
    expect(await eventsOf(db, busy.tenantId, "inventory.movement.created.v1")).toHaveLength(c.movements);
  });

  it("concurrent waste of the same item cannot take it below zero together", async () => {
    const fresh = await openShop(db, { items: [{ sku: "MUFFIN", price: 300, stock: 10 }] });
    const terminals = await Promise.all(Array.from({ length: 8 }, () => terminal(db, fresh.manager)));
    try {
      const results = await Promise.allSettled(
        terminals.map((t) => t.query("select app_public.record_inventory_movement($1, $2, -3, 'waste')", [fresh.locationId, fresh.stock.MUFFIN])),
      );
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(3);
      expect(new Set(results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason.code))).toEqual(new Set(["NOSTK"]));
    } finally {
      await Promise.all(terminals.map((t) => t.end()));
    }
    expect(await onHand(db, fresh.tenantId, fresh.stock.MUFFIN, fresh.locationId)).toBe(1);
  });
});
