// record_tender, void_order and cancel_order: change for cash, no over-tendering by card, an
// order open until paid in full (then a sale: stock taken, order.placed.v1), nothing after a void,
// voids once only with stock put back and the money handed back, open orders cancelled (never a
// sale), and refused inputs leave nothing behind.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sqlState, type TestDatabase } from "../../helpers/db.ts";
import { counts, eventsOf, line, onHand, openShop, placeOrder, terminal, type Shop } from "./shop.ts";

let db: TestDatabase;
let shop: Shop;
let other: Shop;
beforeAll(async () => {
  db = await createTestDatabase();
  shop = await openShop(db, {
    taxRateBps: 1000,
    items: [{ sku: "BAGEL", price: 250, stock: 20 }, { sku: "COFFEE", price: 300 }],
  });
  other = await openShop(db, { items: [{ sku: "X", price: 100 }] });
});
afterAll(() => db?.drop());

const tender = (actor: Shop["cashier"], orderId: string, type: string | null, amount: number | null) =>
  actor.query("select * from app_public.record_tender($1, $2, $3)", [orderId, type, amount]).then((r) => r.rows[0]);
const voidOrder = (actor: Shop["cashier"], orderId: string | null, reason: string | null) =>
  actor.query("select * from app_public.void_order($1, $2)", [orderId, reason]).then((r) => r.rows[0]);

/** 2 bagels + 1 coffee at 10%: 800 + 80 tax = 880, open (not paid yet). */
const newOrder = () => placeOrder(shop.cashier, shop.locationId, [line(shop.item.BAGEL, 2), line(shop.item.COFFEE)], { open: true });
/** The same, paid in full by card: a sale. */
const newSale = () => placeOrder(shop.cashier, shop.locationId, [line(shop.item.BAGEL, 2), line(shop.item.COFFEE)]);
const cancelOrder = (actor: Shop["cashier"], orderId: string | null, reason: string | null) =>
  actor.query("select * from app_public.cancel_order($1, $2)", [orderId, reason]).then((r) => r.rows[0]);

describe("tenders", () => {
  it("cash above the amount due gives change; the order is then paid", async () => {
    const order = await newOrder();
    expect(order.total).toBe(880);
    const t = await tender(shop.cashier, order.id, "cash", 1000);
    expect(t).toMatchObject({ type: "cash", amount: 1000, change_given: 120, applied_amount: 880 });
    const after = (await shop.cashier.query("select paid_total, amount_due from app_public.orders where id = $1", [order.id])).rows[0];
    expect(after).toEqual({ paid_total: 880, amount_due: 0 });
  });

  it("an order is open until paid in full: no sale, no stock taken; the payment that completes it makes it a sale", async () => {
    const stockBefore = await onHand(db, shop.tenantId, shop.stock.BAGEL, shop.locationId);
    const order = await newOrder();
    expect(order).toMatchObject({ status: "open", placed_at: null, business_date: null, paid_total: 0 });
    await tender(shop.cashier, order.id, "cash", 500);
    const part = (await shop.cashier.query("select status, placed_at from app_public.orders where id = $1", [order.id])).rows[0];
    expect(part).toEqual({ status: "open", placed_at: null });
    expect(await onHand(db, shop.tenantId, shop.stock.BAGEL, shop.locationId)).toBe(stockBefore);
    expect((await eventsOf(db, shop.tenantId, "order.placed.v1")).filter((e) => e.aggregate_id === order.id)).toHaveLength(0);
    // The open orders of the location list it, newest first.
    const open = await shop.cashier.query("select id from app_public.open_orders($1)", [shop.locationId]);
    expect(open.rows.map((r) => r.id)).toContain(order.id);

    const last = await tender(shop.cashier, order.id, "card", 380);
    const sale = (await shop.cashier.query("select status, placed_at, business_date from app_public.orders where id = $1", [order.id])).rows[0];
    expect(sale.status).toBe("placed");
    expect(sale.placed_at).toEqual(last.created_at); // the moment of the payment that completed it
    expect(sale.business_date).toEqual(last.business_date);
    expect(await onHand(db, shop.tenantId, shop.stock.BAGEL, shop.locationId)).toBe(stockBefore - 2);
    expect((await eventsOf(db, shop.tenantId, "order.placed.v1")).filter((e) => e.aggregate_id === order.id)).toHaveLength(1);
    expect((await shop.cashier.query("select id from app_public.open_orders($1)", [shop.locationId])).rows.map((r) => r.id)).not.toContain(order.id);
  });

  it("split payment: part cash without change, the rest by card for exactly what is due", async () => {
    const order = await newOrder();
    expect(await tender(shop.cashier, order.id, "cash", 500)).toMatchObject({ change_given: 0, applied_amount: 500 });
    const before = await counts(db, shop.tenantId);
    expect(await sqlState(() => tender(shop.cashier, order.id, "card", 381))).toBe("OVRTN");
    expect(await counts(db, shop.tenantId)).toEqual(before);
    expect(await tender(shop.cashier, order.id, "card", 380)).toMatchObject({ change_given: 0, applied_amount: 380 });
    expect(await sqlState(() => tender(shop.cashier, order.id, "cash", 100))).toBe("OVRTN");
  });

  it.each([
    ["an unknown order", () => "01HZZZZZZZZZZZZZZZZZZZZZZZ", "cash", 100, "NOTFD"],
    ["a cheque", null, "cheque", 100, "BADIN"],
    ["no type", null, null, 100, "BADIN"],
    ["a zero amount", null, "cash", 0, "BADAM"],
    ["a negative amount", null, "card", -5, "BADAM"],
    ["no amount", null, "cash", null, "BADAM"],
    ["a card payment above the amount due", null, "card", 881, "OVRTN"],
  ] as const)("refuses %s with a coded error and writes nothing", async (_label, orderIdFn, type, amount, code) => {
    const order = await newOrder();
    const before = await counts(db, shop.tenantId);
    const orderId = orderIdFn ? orderIdFn() : order.id;
    expect(await sqlState(() => tender(shop.cashier, orderId, type, amount))).toBe(code);
    expect(await counts(db, shop.tenantId)).toEqual(before);
  });

  it("another tenant's order is not found, and not touched", async () => {
    const theirs = await placeOrder(other.cashier, other.locationId, [line(other.item.X)]);
    const before = await counts(db, other.tenantId);
    expect(await sqlState(() => tender(shop.cashier, theirs.id, "cash", 100))).toBe("NOTFD");
    expect(await counts(db, other.tenantId)).toEqual(before);
  });

  it("a zero-total order takes no payment", async () => {
    const order = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.COFFEE)], { discount: 300 });
    expect(order.total).toBe(0);
    expect(await sqlState(() => tender(shop.cashier, order.id, "cash", 100))).toBe("OVRTN");
  });

  it("concurrent card payments of the full amount: exactly one goes through", async () => {
    const order = await newOrder();
    const terminals = await Promise.all(Array.from({ length: 4 }, () => terminal(db, shop.cashier)));
    try {
      const results = await Promise.allSettled(
        terminals.map((t) => t.query("select app_public.record_tender($1, 'card', 880)", [order.id])),
      );
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      expect(results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(["OVRTN", "OVRTN", "OVRTN"]);
    } finally {
      await Promise.all(terminals.map((t) => t.end()));
    }
    const after = (await shop.cashier.query("select paid_total, amount_due from app_public.orders where id = $1", [order.id])).rows[0];
    expect(after).toEqual({ paid_total: 880, amount_due: 0 });
  });
});

describe("voids", () => {
  it("voids once: keeps lines and tenders, puts stock back, emits one order.voided.v1", async () => {
    const stockBefore = await onHand(db, shop.tenantId, shop.stock.BAGEL, shop.locationId);
    const order = await newOrder();
    await tender(shop.cashier, order.id, "cash", 1000);
    expect(await onHand(db, shop.tenantId, shop.stock.BAGEL, shop.locationId)).toBe(stockBefore - 2);

    const voided = await voidOrder(shop.manager, order.id, "  Rang up the wrong table  ");
    expect(voided).toMatchObject({ status: "voided", void_reason: "Rang up the wrong table", voided_by_user_id: shop.manager.userId, total: 880, paid_total: 880 });
    expect(voided.voided_at).toBeInstanceOf(Date);
    expect(await onHand(db, shop.tenantId, shop.stock.BAGEL, shop.locationId)).toBe(stockBefore);

    const kept = await shop.cashier.query(
      "select (select count(*)::int from app_public.order_lines where order_id = $1) as lines, (select count(*)::int from app_public.tenders where order_id = $1) as tenders",
      [order.id],
    );
    expect(kept.rows[0]).toEqual({ lines: 2, tenders: 1 });
    const movements = await shop.cashier.query("select reason, quantity, note from app_public.inventory_movements where order_id = $1 order by created_at, quantity", [order.id]);
    expect(movements.rows).toEqual([
      { reason: "sale", quantity: -2, note: null },
      { reason: "sale", quantity: 2, note: `Void of order ${order.id}` },
    ]);

    const before = await counts(db, shop.tenantId);
    expect(await sqlState(() => voidOrder(shop.manager, order.id, "again"))).toBe("VOIDD");
    expect(await sqlState(() => tender(shop.cashier, order.id, "cash", 100))).toBe("VOIDD");
    expect(await counts(db, shop.tenantId)).toEqual(before);
    expect((await eventsOf(db, shop.tenantId, "order.voided.v1")).filter((e) => e.aggregate_id === order.id)).toHaveLength(1);
  });

  it("a cashier cannot void (sales.void); a manager and an owner can", async () => {
    const order = await newSale();
    const before = await counts(db, shop.tenantId);
    expect(await sqlState(() => voidOrder(shop.cashier, order.id, "mistake"))).toBe("DNIED");
    expect(await counts(db, shop.tenantId)).toEqual(before);
    await voidOrder(shop.owner, order.id, "mistake");
  });

  it.each([
    ["a blank reason", (id: string) => [id, "   "], "BADIN"],
    ["no reason", (id: string) => [id, null], "BADIN"],
    ["a reason over 500 characters", (id: string) => [id, "x".repeat(501)], "BADIN"],
    ["an unknown order", () => ["01HZZZZZZZZZZZZZZZZZZZZZZZ", "mistake"], "NOTFD"],
  ] as const)("refuses %s with a coded error and writes nothing", async (_label, args, code) => {
    const order = await newSale();
    const before = await counts(db, shop.tenantId);
    const [id, reason] = args(order.id);
    expect(await sqlState(() => voidOrder(shop.manager, id, reason))).toBe(code);
    expect(await counts(db, shop.tenantId)).toEqual(before);
  });

  it("another tenant's order cannot be voided", async () => {
    const theirs = await placeOrder(other.cashier, other.locationId, [line(other.item.X)]);
    const before = await counts(db, other.tenantId);
    expect(await sqlState(() => voidOrder(shop.owner, theirs.id, "not mine"))).toBe("NOTFD");
    expect(await counts(db, other.tenantId)).toEqual(before);
  });

  it("concurrent voids of the same order: one wins, the others get VOIDD, stock goes back once", async () => {
    const stockBefore = await onHand(db, shop.tenantId, shop.stock.BAGEL, shop.locationId);
    const order = await newSale();
    const terminals = await Promise.all(Array.from({ length: 3 }, () => terminal(db, shop.manager)));
    try {
      const results = await Promise.allSettled(terminals.map((t) => t.query("select app_public.void_order($1, 'race')", [order.id])));
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      expect(results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(["VOIDD", "VOIDD"]);
    } finally {
      await Promise.all(terminals.map((t) => t.end()));
    }
    expect(await onHand(db, shop.tenantId, shop.stock.BAGEL, shop.locationId)).toBe(stockBefore);
  });
});

describe("cancelling an open order", () => {
  it("an open order is cancelled, not voided; a sale is voided, not cancelled", async () => {
    const order = await newOrder();
    const before = await counts(db, shop.tenantId);
    expect(await sqlState(() => voidOrder(shop.manager, order.id, "mistake"))).toBe("BADIN");
    const sale = await newSale();
    const afterSale = await counts(db, shop.tenantId);
    expect(await sqlState(() => cancelOrder(shop.cashier, sale.id, "mistake"))).toBe("BADIN");
    expect(await counts(db, shop.tenantId)).toEqual(afterSale);
    expect(before.orders).toBe(afterSale.orders - 1);
  });

  it("a cashier cancels a charge given up: it takes no payment after, is listed open no more, and what was paid goes back", async () => {
    const order = await newOrder();
    await tender(shop.cashier, order.id, "card", 300);
    const cancelled = await cancelOrder(shop.cashier, order.id, "  Card declined for the rest  ");
    expect(cancelled).toMatchObject({
      status: "cancelled", cancel_reason: "Card declined for the rest", cancelled_by_user_id: shop.cashier.userId, placed_at: null, paid_total: 300,
    });
    const back = await shop.cashier.query("select type, amount from app_public.refund_tenders where order_id = $1", [order.id]);
    expect(back.rows).toEqual([{ type: "card", amount: 300 }]);
    expect(await sqlState(() => tender(shop.cashier, order.id, "cash", 100))).toBe("BADIN");
    expect(await sqlState(() => cancelOrder(shop.cashier, order.id, "again"))).toBe("BADIN");
    expect((await shop.cashier.query("select id from app_public.open_orders($1)", [shop.locationId])).rows.map((r) => r.id)).not.toContain(order.id);
    const events = (await eventsOf(db, shop.tenantId, "order.cancelled.v1")).filter((e) => e.aggregate_id === order.id);
    expect(events).toHaveLength(1);
    expect(events[0].payload).toMatchObject({ cancel_reason: "Card declined for the rest", paid_total: 300, refund_tenders: [{ type: "card", amount: 300 }] });
    // Audited with its reason.
    const audit = await shop.owner.query(
      "select command, reason from app_public.audit_entries where entity = 'orders' and entity_id = $1 and command is not null", [order.id]);
    expect(audit.rows).toEqual([{ command: "cancel_order", reason: "Card declined for the rest" }]);
  });

  it.each([
    ["a blank reason", "   ", "BADIN"],
    ["no reason", null, "BADIN"],
  ] as const)("refuses %s and writes nothing", async (_label, reason, code) => {
    const order = await newOrder();
    const before = await counts(db, shop.tenantId);
    expect(await sqlState(() => cancelOrder(shop.cashier, order.id, reason))).toBe(code);
    expect(await counts(db, shop.tenantId)).toEqual(before);
  });

  it("a payment and a cancellation at the same time: one wins, and the order is a sale or cancelled, never both", async () => {
    const order = await newOrder();
    const [a, b] = await Promise.all([terminal(db, shop.cashier), terminal(db, shop.cashier)]);
    try {
      const results = await Promise.allSettled([
        a.query("select app_public.record_tender($1, 'card', 880)", [order.id]),
        b.query("select app_public.cancel_order($1, 'race')", [order.id]),
      ]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
    const { rows } = await shop.cashier.query("select status, paid_total from app_public.orders where id = $1", [order.id]);
    expect([["placed", 880], ["cancelled", 0]]).toContainEqual([rows[0].status, rows[0].paid_total]);
  });
});
