// Loyalty points (customers/477-loyalty-points.sql): the program as settings, points earned on a
// sale by stub and full customers only (per amount after discounts and before tax, or per visit),
// a reward redeemed at the till as a discount with its points off the balance (PTSLO, PTSNE),
// a void or cancellation giving everything back, a merge moving the balance, a replay or rebuild
// earning nothing twice, 50 concurrent sales adding up exactly and two redemptions racing for
// the same points, and the analysts' view of the ledger.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sqlState, type TestDatabase } from "../../helpers/db.ts";
import { line, openShop, payInFull, placeOrder, terminal, type Shop } from "../sales/shop.ts";

let db: TestDatabase;
let shop: Shop;
let phoneCounter = 100;
beforeAll(async () => {
  db = await createTestDatabase();
  // Tax 10 %, not included in prices: points are earned on the amount before tax.
  shop = await openShop(db, { taxRateBps: 1000, items: [{ sku: "LATTE", price: 475 }, { sku: "CAKE", price: 1250 }] });
  await shop.owner.query("select app_public.update_loyalty_points_program(enabled => true, earn_mode => 'amount', points_per_unit => 1, unit_amount => 100)");
});
afterAll(() => db?.drop());

/** A stub: a name and a phone. */
const stub = async (first: string) =>
  (await shop.manager.query("select * from app_public.create_customer(first_name => $1, phone => $2)", [first, `+1 917 555 0${phoneCounter++}`])).rows[0];
const guest = async (first: string) =>
  (await shop.manager.query("select * from app_public.create_customer(first_name => $1)", [first])).rows[0];
const balance = async (customerId: string) =>
  Number((await shop.manager.query("select app_public.customers_loyalty_points(c) as b from app_public.customers c where id = $1", [customerId])).rows[0].b);
const entries = async (customerId: string) =>
  (
    await shop.manager.query(
      "select kind, points, reason, order_id, reward_id from app_public.loyalty_point_entries where customer_id = $1 order by created_at, id",
      [customerId],
    )
  ).rows;
const reward = async (name: string, points: number, amount: number) =>
  (await shop.owner.query("select * from app_public.create_loyalty_point_reward($1, $2, $3)", [name, points, amount])).rows[0];
/** Places an order redeeming a reward (opened, then paid by card unless open). */
const redeemOrder = async (customerId: string, rewardId: string, lines = [line(shop.item.CAKE, 1)], open = false) => {
  const { rows } = await shop.cashier.query(
    "select * from app_public.place_order($1, $2::jsonb, $3, loyalty_reward_id => $4)",
    [shop.locationId, JSON.stringify(lines), customerId, rewardId],
  );
  return open ? rows[0] : payInFull(shop.cashier, rows[0]);
};

describe("the program", () => {
  it("is off with defaults until set; only settings.update changes it, within range; everybody reads it and its rewards", async () => {
    const other = await db.onboard();
    expect((await other.query("select * from app_public.current_loyalty_points_program()")).rows[0]).toMatchObject({
      enabled: false, earn_mode: "amount", points_per_unit: 1, unit_amount: 100,
    });
    expect(await sqlState(() => shop.manager.query("select app_public.update_loyalty_points_program(enabled => false)"))).toBe("DNIED");
    expect(await sqlState(() => shop.owner.query("select app_public.update_loyalty_points_program(unit_amount => 0)"))).toBe("BADIN");
    expect(await sqlState(() => shop.owner.query("select app_public.update_loyalty_points_program(earn_mode => 'weekly')"))).toBe("BADIN");
    expect(await sqlState(() => shop.owner.query("select app_public.create_loyalty_point_reward('Free', 0, 100)"))).toBe("BADIN");
    expect(await sqlState(() => shop.cashier.query("select app_public.create_loyalty_point_reward('Mine', 10, 100)"))).toBe("DNIED");
    expect(await sqlState(() => shop.owner.query("insert into app_public.loyalty_point_rewards (name, points, amount) values ('Direct', 1, 1)"))).toBe("42501");
    const r = await reward("  Coffee on us ", 50, 475);
    expect(r).toMatchObject({ name: "Coffee on us", points: 50, amount: 475, active: true });
    expect((await shop.cashier.query("select enabled from app_public.current_loyalty_points_program()")).rows[0].enabled).toBe(true);
    expect((await shop.cashier.query("select name from app_public.loyalty_point_rewards where id = $1", [r.id])).rows).toEqual([{ name: "Coffee on us" }]);
    // Not another business's rewards.
    expect((await other.query("select count(*)::int as n from app_public.loyalty_point_rewards")).rows[0].n).toBe(0);
    const { rows: audit } = await shop.owner.query(
      "select changes from app_public.audit_entries where entity = 'loyalty_point_programs' order by created_at");
    expect(audit[0].changes).toMatchObject({ enabled: { old: false, new: true } });
  });
});

describe("earning", () => {
  it("a stub earns 1 point per whole 1.00 paid after discounts and before tax; guests and walk-ins earn nothing", async () => {
    const ann = await stub("Ann");
    // 2 lattes 9.50 − 0.30 discount = 9.20 before tax (10.12 with tax): 9 points.
    const order = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.LATTE, 2)], { customerId: ann.id, discount: 30 });
    expect(order).toMatchObject({ status: "placed", total: 1012 });
    expect(await entries(ann.id)).toEqual([{ kind: "earn", points: 9, reason: "Sale", order_id: order.id, reward_id: null }]);
    expect(await balance(ann.id)).toBe(9);
    // An open order earns nothing until it is paid.
    const open = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.LATTE, 1)], { customerId: ann.id, open: true });
    expect(await balance(ann.id)).toBe(9);
    await payInFull(shop.cashier, open);
    expect(await balance(ann.id)).toBe(13);

    const walkIn = await guest("Walk-in");
    expect(walkIn.stage).toBe("guest");
    await placeOrder(shop.cashier, shop.locationId, [line(shop.item.CAKE, 4)], { customerId: walkIn.id });
    await placeOrder(shop.cashier, shop.locationId, [line(shop.item.CAKE, 4)]);
    expect(await entries(walkIn.id)).toEqual([]);
  });

  it("per visit: so many points a sale, whatever its amount; a program turned off earns nothing", async () => {
    const bea = await stub("Bea");
    await shop.owner.query("select app_public.update_loyalty_points_program(earn_mode => 'visit', points_per_visit => 7)");
    await placeOrder(shop.cashier, shop.locationId, [line(shop.item.CAKE, 3)], { customerId: bea.id });
    await placeOrder(shop.cashier, shop.locationId, [line(shop.item.LATTE, 1)], { customerId: bea.id });
    expect(await balance(bea.id)).toBe(14);
    await shop.owner.query("select app_public.update_loyalty_points_program(enabled => false)");
    await placeOrder(shop.cashier, shop.locationId, [line(shop.item.LATTE, 1)], { customerId: bea.id });
    expect(await balance(bea.id)).toBe(14);
    await shop.owner.query("select app_public.update_loyalty_points_program(enabled => true, earn_mode => 'amount')");
  });
});

describe("redeeming at the till", () => {
  it("takes the reward off the sale as a discount, its points off the balance, and earns on what was paid; a void gives it all back", async () => {
    const cat = await stub("Cat");
    const coffee = await reward("Coffee on us", 20, 475);
    // Earn 37: 3 cakes 37.50.
    await placeOrder(shop.cashier, shop.locationId, [line(shop.item.CAKE, 3)], { customerId: cat.id });
    expect(await balance(cat.id)).toBe(37);
    // The quote shows the reward as it will be: 12.50 − 4.75 = 7.75, tax 0.78.
    const quote = (await shop.cashier.query("select * from app_public.quote_order($1::jsonb, 0, $2, $3, $4)",
      [JSON.stringify([line(shop.item.CAKE, 1)]), shop.locationId, cat.id, coffee.id])).rows[0];
    expect(quote).toMatchObject({ subtotal: 1250, discount_total: 475, tax_total: 78, total: 853 });
    const order = await redeemOrder(cat.id, coffee.id);
    expect(order).toMatchObject({ status: "placed", subtotal: 1250, order_discount: 475, discount_total: 475, total: 853,
      loyalty_reward_id: coffee.id, loyalty_discount: 475 });
    // −20 redeemed, +7 earned on the 7.75 paid before tax.
    expect((await entries(cat.id)).slice(1)).toEqual([
      { kind: "redeem", points: -20, reason: "Redeemed Coffee on us", order_id: order.id, reward_id: coffee.id },
      { kind: "earn", points: 7, reason: "Sale", order_id: order.id, reward_id: null },
    ]);
    expect(await balance(cat.id)).toBe(24);

    await shop.manager.query("select app_public.void_order($1, 'Wrong customer')", [order.id]);
    expect((await entries(cat.id)).at(-1)).toEqual({ kind: "reversal", points: 13, reason: "Void: Wrong customer", order_id: order.id, reward_id: null });
    expect(await balance(cat.id)).toBe(37);
  });

  it("refuses a short balance (PTSLO), a guest, no customer or the program off (PTSNE), a reward turned off (INACT); nothing is written", async () => {
    const dan = await stub("Dan");
    const big = await reward("Big treat", 1000, 1000);
    await placeOrder(shop.cashier, shop.locationId, [line(shop.item.CAKE, 1)], { customerId: dan.id });
    const before = await db.owner.query("select count(*)::int as n from app_public.orders where tenant_id = $1", [shop.tenantId]);
    await expect(redeemOrder(dan.id, big.id)).rejects.toMatchObject({ code: "PTSLO", message: expect.stringContaining("needs 1000 points; Dan has 12") });
    await expect(shop.cashier.query("select * from app_public.quote_order($1::jsonb, 0, null, $2, $3)",
      [JSON.stringify([line(shop.item.CAKE, 1)]), dan.id, big.id])).rejects.toMatchObject({ code: "PTSLO" });
    const g = await guest("Guest");
    expect(await sqlState(() => redeemOrder(g.id, big.id))).toBe("PTSNE");
    expect(await sqlState(() => shop.cashier.query("select app_public.place_order($1, $2::jsonb, loyalty_reward_id => $3)",
      [shop.locationId, JSON.stringify([line(shop.item.CAKE, 1)]), big.id]))).toBe("PTSNE");
    const small = await reward("Small", 5, 100);
    await shop.owner.query("select app_public.update_loyalty_point_reward($1, 'Small', 5, 100, false)", [small.id]);
    expect(await sqlState(() => redeemOrder(dan.id, small.id))).toBe("INACT");
    await shop.owner.query("select app_public.update_loyalty_point_reward($1, 'Small', 5, 100, true)", [small.id]);
    await shop.owner.query("select app_public.update_loyalty_points_program(enabled => false)");
    expect(await sqlState(() => redeemOrder(dan.id, small.id))).toBe("PTSNE");
    await shop.owner.query("select app_public.update_loyalty_points_program(enabled => true)");
    const after = await db.owner.query("select count(*)::int as n from app_public.orders where tenant_id = $1", [shop.tenantId]);
    expect(after.rows[0].n).toBe(before.rows[0].n);
    expect(await balance(dan.id)).toBe(12);
  });

  it("a cancelled open order gives its redeemed points back", async () => {
    const eve = await stub("Eve");
    const r = await reward("Five off", 10, 500);
    await placeOrder(shop.cashier, shop.locationId, [line(shop.item.CAKE, 2)], { customerId: eve.id });
    const open = await redeemOrder(eve.id, r.id, [line(shop.item.CAKE, 1)], true);
    expect(await balance(eve.id)).toBe(15);
    await shop.cashier.query("select app_public.cancel_order($1, 'Changed her mind')", [open.id]);
    expect(await balance(eve.id)).toBe(25);
    expect((await entries(eve.id)).map((e) => [e.kind, e.points])).toEqual([["earn", 25], ["redeem", -10], ["reversal", 10]]);
  });

  it("two sales redeeming the same points at once: the second waits for the first and finds the balance short", async () => {
    const fay = await stub("Fay");
    const r = await reward("Half", 20, 300);
    await placeOrder(shop.cashier, shop.locationId, [line(shop.item.CAKE, 2)], { customerId: fay.id }); // 25 points
    const t1 = await terminal(db, shop.cashier);
    const t2 = await terminal(db, shop.cashier);
    try {
      const sql = "select id from app_public.place_order($1, $2::jsonb, $3, loyalty_reward_id => $4)";
      const args = [shop.locationId, JSON.stringify([line(shop.item.CAKE, 1)]), fay.id, r.id];
      await t1.query("begin");
      await t2.query("begin");
      await t1.query(sql, args);
      const second = t2.query(sql, args).then(() => "placed", (e) => e.code as string);
      // t2 waits on Fay's row until t1 commits.
      await t1.query("commit");
      expect(await second).toBe("PTSLO");
      await t2.query("rollback");
    } finally {
      await t1.end();
      await t2.end();
    }
    expect(await balance(fay.id)).toBe(5);
  });
});

describe("merge, replays and concurrency", () => {
  it("a merge moves the duplicate's balance to the primary and records it; a later void of the duplicate's sale takes back from the primary", async () => {
    const p = await stub("Gus");
    const d = await stub("Gustav");
    await placeOrder(shop.cashier, shop.locationId, [line(shop.item.CAKE, 1)], { customerId: p.id }); // 12
    const dOrder = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.CAKE, 2)], { customerId: d.id }); // 25
    await shop.manager.query("select app_public.merge_customers($1, $2)", [p.id, d.id]);
    const merge = (await shop.manager.query("select id, moved_points from app_public.customer_merges where duplicate_id = $1", [d.id])).rows[0];
    expect(merge.moved_points).toBe(25);
    expect(await balance(p.id)).toBe(37);
    expect(await balance(d.id)).toBe(0);
    expect((await entries(p.id)).at(-1)).toMatchObject({ kind: "merge", points: 25, reason: expect.stringContaining("Merged from") });
    await shop.manager.query("select app_public.void_order($1, 'Mistake')", [dOrder.id]);
    expect(await balance(p.id)).toBe(12);
  });

  it("a merge racing a redemption of the duplicate's points: the merge moves what is left after it", async () => {
    const p = await stub("Kit");
    const d = await stub("Kitty");
    const r = await reward("Racing", 20, 100);
    await placeOrder(shop.cashier, shop.locationId, [line(shop.item.CAKE, 3)], { customerId: d.id }); // 37
    const till = await terminal(db, shop.cashier);
    const desk = await terminal(db, shop.manager);
    try {
      await till.query("begin");
      await till.query("select id from app_public.place_order($1, $2::jsonb, $3, loyalty_reward_id => $4)",
        [shop.locationId, JSON.stringify([line(shop.item.CAKE, 1)]), d.id, r.id]);
      // The merge waits for the till's lock on the duplicate, then moves the balance left.
      const merging = desk.query("select app_public.merge_customers($1, $2)", [p.id, d.id]);
      await till.query("commit");
      await merging;
    } finally {
      await till.end();
      await desk.end();
    }
    const merge = (await shop.manager.query("select moved_points from app_public.customer_merges where duplicate_id = $1", [d.id])).rows[0];
    expect(merge.moved_points).toBe(17);
    expect(await balance(d.id)).toBe(0);
    expect(await balance(p.id)).toBe(17);
  });

  it("replaying the events to the consumer, or rebuilding the read models, earns and takes back nothing twice", async () => {
    const hal = await stub("Hal");
    const r = await reward("Treat", 10, 200);
    await placeOrder(shop.cashier, shop.locationId, [line(shop.item.CAKE, 2)], { customerId: hal.id });
    const o = await redeemOrder(hal.id, r.id);
    await shop.manager.query("select app_public.void_order($1, 'Oops')", [o.id]);
    const before = await entries(hal.id);
    expect(await balance(hal.id)).toBe(25);
    const { rows } = await db.owner.query("select app_private.replay('loyalty_points', $1) as n", [shop.tenantId]);
    expect(rows[0].n).toBe(0);
    await db.owner.query("select reporting.rebuild($1)", [shop.tenantId]);
    expect(await entries(hal.id)).toEqual(before);
    expect(await balance(hal.id)).toBe(25);
  });

  it("a sale decided once: a walk-in's sale earns nothing, and upgrading them later cannot make a replay earn it (the consumer is never reset)", async () => {
    const w = (await shop.cashier.query("select * from app_public.create_walk_in_customer()")).rows[0];
    await placeOrder(shop.cashier, shop.locationId, [line(shop.item.CAKE, 4)], { customerId: w.id });
    expect(await balance(w.id)).toBe(0);
    await shop.manager.query("select app_public.upgrade_customer($1, first_name => 'Wes', phone => '+1 917 555 0777')", [w.id]);
    await expect(db.owner.query("select app_private.reset_consumer('loyalty_points', $1)", [shop.tenantId])).rejects.toMatchObject({ code: "BADEV" });
    expect((await db.owner.query("select app_private.replay('loyalty_points', $1) as n", [shop.tenantId])).rows[0].n).toBe(0);
    expect(await entries(w.id)).toEqual([]);
  });

  it("50 concurrent sales earning points for one customer: the balance is exactly their sum", async () => {
    const ivy = await stub("Ivy");
    const tills = await Promise.all(Array.from({ length: 10 }, () => terminal(db, shop.cashier)));
    try {
      await Promise.all(tills.map(async (t, i) => {
        for (let k = 0; k < 5; k++) {
          // Quantities 1..5 cakes: 12, 25, 37, 50, 62 points.
          const qty = ((i + k) % 5) + 1;
          const o = (await t.query("select * from app_public.place_order($1, $2::jsonb, $3)",
            [shop.locationId, JSON.stringify([line(shop.item.CAKE, qty)]), ivy.id])).rows[0];
          await t.query("select app_public.record_tender($1, 'card', $2)", [o.id, o.total]);
        }
      }));
    } finally {
      await Promise.all(tills.map((t) => t.end()));
    }
    expect(await balance(ivy.id)).toBe(10 * (12 + 25 + 37 + 50 + 62));
    expect((await entries(ivy.id)).length).toBe(50);
  });
});

describe("the ledger", () => {
  it("is append-only, written by the database only, read with customers.view, in the analysts' view; an erasure blanks an adjustment's reason", async () => {
    const jo = await stub("Jo");
    await placeOrder(shop.cashier, shop.locationId, [line(shop.item.CAKE, 1)], { customerId: jo.id });
    expect(await sqlState(() => db.owner.query("update app_public.loyalty_point_entries set points = 1000 where customer_id = $1", [jo.id]))).toBe("IMMUT");
    expect(await sqlState(() => db.owner.query("delete from app_public.loyalty_point_entries where customer_id = $1", [jo.id]))).toBe("IMMUT");
    expect(await sqlState(() => shop.owner.query("insert into app_public.loyalty_point_entries (customer_id, kind, points, reason) values ($1, 'adjustment', 5, 'x')", [jo.id]))).toBe("42501");
    // An owner's adjustment, with a reason; never below zero.
    await shop.owner.query("select app_public.adjust_loyalty_points($1, 3, 'Birthday')", [jo.id]);
    expect(await sqlState(() => shop.owner.query("select app_public.adjust_loyalty_points($1, -100, 'Too much')", [jo.id]))).toBe("PTSLO");
    expect(await sqlState(() => shop.manager.query("select app_public.adjust_loyalty_points($1, 3, 'x')", [jo.id]))).toBe("DNIED");
    expect(await balance(jo.id)).toBe(15);
    const { rows } = await db.owner.query(
      "select kind, points, customer_name, staff_name from reporting.loyalty_ledger where customer_id = $1 order by created_at", [jo.id]);
    expect(rows.map((r) => [r.kind, r.points, r.customer_name])).toEqual([["earn", 12, "Jo"], ["adjustment", 3, "Jo"]]);
    // Erasing Jo blanks the adjustment's words; the points stay, and the ledger stays closed to other changes.
    await shop.owner.query("select app_public.erase_customer($1, 'Asked by the customer')", [jo.id]);
    expect((await entries(jo.id)).map((e) => [e.kind, e.points, e.reason])).toEqual([["earn", 12, "Sale"], ["adjustment", 3, "[erased]"]]);
    expect(await sqlState(() => db.owner.query("update app_public.loyalty_point_entries set reason = 'x' where customer_id = $1", [jo.id]))).toBe("IMMUT");
  });
});
