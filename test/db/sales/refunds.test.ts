// Refunding some lines of a sale ("refund one coffee"): each unit takes back its share of the
// line's discount and tax, so a line refunded in any number of steps takes back exactly the line;
// the money goes back card first, then cash from the drawer; stocked units return to the shelf;
// the refund counts on its day in the reports and comes out of the customer's spend, not visits.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sqlState, type TestDatabase } from "../../helpers/db.ts";
import { groundTruth, readModelsAsTruth } from "../reporting/helpers.ts";
import { eventsOf, line, onHand, openShop, placeOrder, type Shop } from "./shop.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

type Actor = Shop["cashier"];
const refund = (actor: Actor, orderId: string, lines: unknown, reason: string | null = "Customer changed their mind") =>
  actor.query("select * from app_public.refund_order_lines($1, $2::jsonb, $3)", [orderId, JSON.stringify(lines), reason]).then((r) => r.rows[0]);
const linesOf = (actor: Actor, orderId: string) =>
  actor.query("select r.* from app_public.orders o, app_public.orders_refundable_lines(o) r where o.id = $1", [orderId]).then((r) => r.rows);
const tender = (actor: Actor, orderId: string, type: string, amount: number) =>
  actor.query("select * from app_public.record_tender($1, $2, $3)", [orderId, type, amount]);
const backOf = (actor: Actor, refundId: string) =>
  actor.query("select type, amount, cash_drawer_id from app_public.refund_tenders where order_refund_id = $1 order by type", [refundId]).then((r) => r.rows);
/** A business of its own for each test: 10% tax, a stocked muffin. */
const newShop = () =>
  openShop(db, { taxRateBps: 1000, items: [{ sku: "COFFEE", name: "Coffee", price: 300 }, { sku: "MUFFIN", name: "Muffin", price: 425, stock: 10 }] });

describe("refund one coffee", () => {
  it("takes back a unit with its share of discount and tax; three steps of one take back exactly the line", async () => {
    const shop = await newShop();
    // 3 coffees with 100 off the line: 900 − 100 = 800 net, tax 80, total 880.
    const order = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.COFFEE, 3, 100)]);
    const [coffee] = await linesOf(shop.manager, order.id);
    expect(coffee).toMatchObject({ quantity: 3, refunded: 0, refundable: 3, total: 880 });

    // One coffee: subtotal 300, discount 100 × 1/3 = 33.3 → 33, tax 80 × 1/3 = 26.7 → 27: 294.
    const first = await refund(shop.manager, order.id, [{ order_line_id: coffee.order_line_id, quantity: 1 }]);
    expect(first).toMatchObject({ subtotal: 300, discount_total: 33, tax_total: 27, total: 294, reason: "Customer changed their mind" });
    // The second: 67 − 33 = 34 of discount, 53 − 27 = 26 of tax (the running total is rounded, never a part).
    const second = await refund(shop.manager, order.id, [{ order_line_id: coffee.order_line_id, quantity: 1 }]);
    expect(second).toMatchObject({ subtotal: 300, discount_total: 34, tax_total: 26, total: 292 });
    const third = await refund(shop.manager, order.id, [{ order_line_id: coffee.order_line_id, quantity: 1 }]);
    expect(first.total + second.total + third.total).toBe(880);
    expect(first.discount_total + second.discount_total + third.discount_total).toBe(100);
    expect(first.tax_total + second.tax_total + third.tax_total).toBe(80);

    const [after] = await linesOf(shop.manager, order.id);
    expect(after).toMatchObject({ refunded: 3, refundable: 0 });
    const { rows } = await shop.manager.query("select status, refunded_total from app_public.orders where id = $1", [order.id]);
    expect(rows[0]).toEqual({ status: "placed", refunded_total: 880 });
    // Nothing is left: a fourth is refused with what happened.
    await expect(refund(shop.manager, order.id, [{ order_line_id: coffee.order_line_id, quantity: 1 }])).rejects.toMatchObject({
      code: "BADQT", message: expect.stringContaining("all 3 of Coffee were refunded already"),
    });
  });

  it("hands the money back card first, then cash from the open drawer, never more than was paid", async () => {
    const shop = await newShop();
    const drawer = (await shop.cashier.query("select * from app_public.open_cash_drawer($1, 5000)", [shop.locationId])).rows[0];
    // 2 coffees + 1 muffin: 600 + 425 = 1025, tax 60 + 43 = 103 (42.5 rounds half up), total 1128: 500 by card, 628 in cash.
    const order = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.COFFEE, 2), line(shop.item.MUFFIN)], { open: true });
    expect(order.total).toBe(1128);
    await tender(shop.cashier, order.id, "card", 500);
    await tender(shop.cashier, order.id, "cash", 628);
    const [coffee, muffin] = await linesOf(shop.manager, order.id);

    // Both coffees and the muffin in two refunds: 660, then 468 (the card's 500 is used up first).
    const one = await refund(shop.manager, order.id, [{ order_line_id: coffee.order_line_id, quantity: 2 }]);
    expect(one.total).toBe(660);
    expect(await backOf(shop.manager, one.id)).toEqual([
      { type: "card", amount: 500, cash_drawer_id: null },
      { type: "cash", amount: 160, cash_drawer_id: drawer.id },
    ]);
    const two = await refund(shop.manager, order.id, [{ order_line_id: muffin.order_line_id, quantity: 1 }]);
    expect(two.total).toBe(468);
    expect(await backOf(shop.manager, two.id)).toEqual([{ type: "cash", amount: 468, cash_drawer_id: drawer.id }]);
    const expected = await shop.cashier.query("select app_public.cash_drawers_expected_now(d)::int as n from app_public.cash_drawers d where d.id = $1", [drawer.id]);
    expect(expected.rows[0].n).toBe(5000); // 628 in, 160 + 468 out

    // An imported sale nobody paid: the refund counts, nothing is handed back.
    const imported = await placeOrder(shop.owner, shop.locationId, [line(shop.item.COFFEE)], { placedAt: "2025-05-01T10:00:00Z", open: true });
    expect(imported).toMatchObject({ status: "placed", paid_total: 0 });
    const [l] = await linesOf(shop.manager, imported.id);
    const unpaid = await refund(shop.manager, imported.id, [{ order_line_id: l.order_line_id, quantity: 1 }]);
    expect(unpaid.total).toBe(330);
    expect(await backOf(shop.manager, unpaid.id)).toEqual([]);
  });

  it("puts stocked units back, emits order.refunded.v1, and counts on its day in the reports and against the customer's spend", async () => {
    const shop = await newShop();
    const customer = (await shop.cashier.query("select id from app_public.create_customer(first_name => 'Ann')")).rows[0].id;
    const order = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.MUFFIN, 3), line(shop.item.COFFEE)], { customerId: customer });
    expect(await onHand(db, shop.tenantId, shop.stock.MUFFIN, shop.locationId)).toBe(7);
    const [muffin] = await linesOf(shop.manager, order.id);
    const r = await refund(shop.manager, order.id, [{ order_line_id: muffin.order_line_id, quantity: 2 }], "Stale");
    expect(await onHand(db, shop.tenantId, shop.stock.MUFFIN, shop.locationId)).toBe(9);

    const [event] = await eventsOf(db, shop.tenantId, "order.refunded.v1");
    expect(event.payload).toMatchObject({
      order_id: order.id, refund_id: r.id, customer_id: customer, reason: "Stale", subtotal: 850, discount_total: 0, tax_total: 85,
      total: 935, item_count: 2, refund_tenders: [{ type: "card", amount: 935 }],
      lines: [{ line_id: muffin.order_line_id, name: "Muffin", quantity: 2, subtotal: 850, discount: 0, revenue: 850, tax: 85, total: 935 }],
    });

    // The day: one sale of 1575 net, one refund of 850 net: net 725, tax 158 − 85 = 73, card 1733 − 935.
    const { rows: days } = await shop.manager.query(
      `select order_count::int, gross_sales::int, refund_count::int, refund_total::int, net_sales::int, tax_total::int, tender_card::int
       from reporting.daily_sales(current_date - 1, current_date + 1) where order_count > 0 or refund_count > 0`);
    expect(days).toEqual([{ order_count: 1, gross_sales: 1575, refund_count: 1, refund_total: 850, net_sales: 725, tax_total: 73, tender_card: 798 }]);
    expect(await readModelsAsTruth(db, shop.tenantId)).toEqual(await groundTruth(db, shop.tenantId));

    // The customer still came once; the spend and the muffins bought are what was kept.
    const stats = await shop.manager.query(
      `select s.visits, s.spend::int, s.items_bought::int, (select i.quantity from app_public.customer_item_stats i
         where i.customer_id = s.customer_id and i.catalog_item_id = $2)::int as muffins
       from app_public.customer_stats s where s.customer_id = $1`, [customer, shop.item.MUFFIN]);
    expect(stats.rows[0]).toEqual({ visits: 1, spend: 1733 - 935, items_bought: 2, muffins: 1 });
    // The counters rebuilt from the log agree, and the timeline says what was refunded and why.
    await db.owner.query("select app_private.rebuild_customer_counters($1)", [shop.tenantId]);
    expect((await shop.manager.query("select visits, spend::int, items_bought::int from app_public.customer_stats where customer_id = $1", [customer])).rows[0])
      .toEqual({ visits: 1, spend: 798, items_bought: 2 });
    const timeline = await shop.manager.query("select t.kind, t.summary from app_public.customers c, app_public.customers_timeline(c) t where c.id = $1 and t.kind = 'order_refunded'", [customer]);
    expect(timeline.rows).toEqual([{ kind: "order_refunded", summary: "9.35 USD refunded (2 × Muffin): Stale" }]);
  });
});

describe("what a refund refuses", () => {
  it("a line of another order, the same line twice, a bad quantity, a blank reason; an open or voided order; a void after a refund", async () => {
    const shop = await newShop();
    const order = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.COFFEE, 2)]);
    const other = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.COFFEE)]);
    const [mine] = await linesOf(shop.manager, order.id);
    const [theirs] = await linesOf(shop.manager, other.id);
    const code = (p: Promise<unknown>) => sqlState(() => p);
    expect(await code(refund(shop.manager, order.id, [{ order_line_id: theirs.order_line_id, quantity: 1 }]))).toBe("NOTFD");
    expect(await code(refund(shop.manager, order.id, [{ order_line_id: mine.order_line_id, quantity: 1 }, { order_line_id: mine.order_line_id, quantity: 1 }]))).toBe("BADIN");
    expect(await code(refund(shop.manager, order.id, [{ order_line_id: mine.order_line_id, quantity: 0 }]))).toBe("BADQT");
    expect(await code(refund(shop.manager, order.id, [{ order_line_id: mine.order_line_id, quantity: 1.5 }]))).toBe("BADQT");
    expect(await code(refund(shop.manager, order.id, [{ order_line_id: mine.order_line_id, quantity: 3 }]))).toBe("BADQT");
    expect(await code(refund(shop.manager, order.id, [{ order_line_id: mine.order_line_id, quantity: 1, price: 1 }]))).toBe("BADIN");
    expect(await code(refund(shop.manager, order.id, []))).toBe("BADIN");
    expect(await code(refund(shop.manager, order.id, [{ order_line_id: mine.order_line_id, quantity: 1 }], "  "))).toBe("BADIN");
    expect(await code(refund(shop.manager, "nope", [{ order_line_id: mine.order_line_id, quantity: 1 }]))).toBe("NOTFD");
    // A cashier sells; refunds, like voids, need sales.void.
    expect(await code(refund(shop.cashier, order.id, [{ order_line_id: mine.order_line_id, quantity: 1 }]))).toBe("DNIED");

    const open = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.COFFEE)], { open: true });
    const [openLine] = await linesOf(shop.manager, open.id);
    expect(await code(refund(shop.manager, open.id, [{ order_line_id: openLine.order_line_id, quantity: 1 }]))).toBe("BADIN");
    await shop.manager.query("select app_public.void_order($1, 'Wrong')", [other.id]);
    expect(await code(refund(shop.manager, other.id, [{ order_line_id: theirs.order_line_id, quantity: 1 }]))).toBe("VOIDD");

    // Nothing above was written; one good refund, then the sale cannot be voided (its rest is refunded instead).
    expect((await shop.manager.query("select count(*)::int as n from app_public.order_refunds")).rows[0].n).toBe(0);
    await refund(shop.manager, order.id, [{ order_line_id: mine.order_line_id, quantity: 1 }]);
    expect(await code(shop.manager.query("select app_public.void_order($1, 'Wrong')", [order.id]))).toBe("BADIN");
  });

  it("two refunds of the same line racing cannot take back more units than were sold", async () => {
    const shop = await newShop();
    const order = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.COFFEE, 3)]);
    const [coffee] = await linesOf(shop.manager, order.id);
    const results = await Promise.allSettled([0, 1].map(() => shop.manager.transaction((c) =>
      c.query("select * from app_public.refund_order_lines($1, $2::jsonb, 'Race')", [order.id, JSON.stringify([{ order_line_id: coffee.order_line_id, quantity: 2 }])]))));
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const [after] = await linesOf(shop.manager, order.id);
    expect(after).toMatchObject({ refunded: 2, refundable: 1 });
  });
});
