// Customer counters kept from sales events: order.placed.v1 adds a visit and the total,
// order.voided.v1 takes them back out, a replay changes nothing and a rebuild from the log gives
// the same numbers. Also the customer page's recent orders and activity timeline.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sqlState, type TestDatabase } from "../../helpers/db.ts";
import {
  createCustomer,
  customerRow,
  mergeCustomers,
  openShop,
  placeOrder,
  updateCustomer,
  voidOrder,
  written,
  type Shop,
  customersWithStats,
} from "./helpers.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

const counters = async (id: string) => {
  const c = await customerRow(db, id);
  return { visits: c.total_visits, spend: Number(c.total_spend), last: c.last_visit_at?.toISOString() ?? null };
};

describe("counters from sales", () => {
  let shop: Shop;
  beforeAll(async () => {
    shop = await openShop(db);
    await shop.owner.query("update app_public.tenants set tax_rate_bps = 1000");
  });

  it("order.placed.v1 with a customer adds a visit and the total; a void takes it back; last visit follows", async () => {
    const c = await createCustomer(shop.cashier, { first_name: "Vera" });
    const o1 = await placeOrder(shop.owner, shop, c.id, { placedAt: "2024-03-01T09:00:00Z" });
    expect(o1.total).toBe(1100);
    expect(await counters(c.id)).toEqual({ visits: 1, spend: 1100, last: "2024-03-01T09:00:00.000Z" });
    const o2 = await placeOrder(shop.owner, shop, c.id, { quantity: 3, placedAt: "2024-05-01T09:00:00Z" });
    const o3 = await placeOrder(shop.owner, shop, c.id, { quantity: 2, placedAt: "2024-04-01T09:00:00Z" });
    expect(await counters(c.id)).toEqual({ visits: 3, spend: 1100 + 3300 + 2200, last: "2024-05-01T09:00:00.000Z" });

    await voidOrder(shop.manager, o3.id); // not the latest: last visit unchanged
    expect(await counters(c.id)).toEqual({ visits: 2, spend: 4400, last: "2024-05-01T09:00:00.000Z" });
    await voidOrder(shop.manager, o2.id); // the latest: back to the latest order still standing
    expect(await counters(c.id)).toEqual({ visits: 1, spend: 1100, last: "2024-03-01T09:00:00.000Z" });
    await voidOrder(shop.manager, o1.id);
    expect(await counters(c.id)).toEqual({ visits: 0, spend: 0, last: null });
  });

  it("a void takes its units out of the items bought and keeps what other orders bought of the same item", async () => {
    const c = await createCustomer(shop.cashier, { first_name: "Ivy" });
    const units = async () =>
      (
        await db.owner.query("select quantity::int from app_public.customer_item_stats where customer_id = $1 and catalog_item_id = $2", [
          c.id,
          shop.itemId,
        ])
      ).rows.map((r) => r.quantity);
    await placeOrder(shop.cashier, shop, c.id, { quantity: 1 });
    const second = await placeOrder(shop.cashier, shop, c.id, { quantity: 1 });
    expect(await units()).toEqual([2]);
    await voidOrder(shop.manager, second.id); // 2 - 1: the item stays, with 1 unit
    expect(await units()).toEqual([1]);
    expect((await customerRow(db, c.id)).items_bought).toBe("1");
  });

  it("an order rung up for a customer that was merged is recorded for the customer it was merged into", async () => {
    const primary = await createCustomer(shop.cashier, { first_name: "Prima" });
    const duplicate = await createCustomer(shop.cashier, { first_name: "Dupe" });
    await mergeCustomers(shop.owner, primary.id, duplicate.id);
    const order = await placeOrder(shop.cashier, shop, duplicate.id);
    expect(order.customer_id).toBe(primary.id);
    expect((await counters(primary.id)).visits).toBe(1);
    expect((await counters(duplicate.id)).visits).toBe(0);
  });

  it("an order without a customer changes no customer; an unknown or foreign customer is NOTFD and nothing is written", async () => {
    const c = await createCustomer(shop.cashier, { first_name: "Untouched" });
    await placeOrder(shop.cashier, shop, null);
    expect(await counters(c.id)).toEqual({ visits: 0, spend: 0, last: null });
    const other = await openShop(db);
    const foreign = await createCustomer(other.owner, { first_name: "Foreign" });
    const before = [await written(db, shop.tenantId), await written(db, other.tenantId)];
    expect(await sqlState(() => placeOrder(shop.cashier, shop, foreign.id))).toBe("NOTFD");
    expect(await sqlState(() => placeOrder(shop.cashier, shop, "01NOSUCHCUSTOMER"))).toBe("NOTFD");
    expect([await written(db, shop.tenantId), await written(db, other.tenantId)]).toEqual(before);
    expect(await counters(foreign.id)).toEqual({ visits: 0, spend: 0, last: null });
  });

  it("counts every order once: redispatching or replaying the log changes nothing", async () => {
    const c = await createCustomer(shop.cashier, { first_name: "Replay" });
    const o = await placeOrder(shop.cashier, shop, c.id, { quantity: 2 });
    await placeOrder(shop.cashier, shop, c.id);
    await voidOrder(shop.manager, o.id);
    const expected = await counters(c.id);
    expect(expected).toMatchObject({ visits: 1, spend: 1100 });

    const replayed = await db.owner.query("select app_private.replay('customer_counters', $1) as n", [shop.tenantId]);
    expect(replayed.rows[0].n).toBe(0);
    const again = await db.owner.query(
      `select sum(app_private.dispatch(e, 'customer_counters'))::int as n from app_private.events e
       where e.tenant_id = $1 and e.type in ('order.placed.v1', 'order.voided.v1')`,
      [shop.tenantId],
    );
    expect(again.rows[0].n).toBe(0);
    expect(await counters(c.id)).toEqual(expected);
  });

  it("a rebuild from the event log equals what incremental consumption produced, merges included", async () => {
    const fresh = await openShop(db);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await createCustomer(fresh.cashier, { first_name: `R${i}` })).id);
    const orders = [];
    for (let i = 0; i < 10; i++) {
      orders.push(
        await placeOrder(fresh.owner, fresh, ids[i % 4], { quantity: 1 + (i % 3), placedAt: `2024-01-${String(10 + i).padStart(2, "0")}T12:00:00Z` }),
      );
    }
    await voidOrder(fresh.manager, orders[9].id);
    await voidOrder(fresh.manager, orders[2].id);
    await mergeCustomers(fresh.manager, ids[0], ids[1]);
    await placeOrder(fresh.cashier, fresh, ids[1]); // for the merged one: counts for ids[0]
    await voidOrder(fresh.manager, orders[5].id); // an order moved by the merge
    const snapshot = async () =>
      (
        await db.owner.query(
          `select id, total_visits, total_spend, last_visit_at from ${customersWithStats} x where tenant_id = $1 order by id`,
          [fresh.tenantId],
        )
      ).rows;
    const incremental = await snapshot();
    const audit = await written(db, fresh.tenantId);
    const applied = await db.owner.query("select app_private.rebuild_customer_counters($1) as n", [fresh.tenantId]);
    expect(applied.rows[0].n).toBe(11 + 3); // 11 placed, 3 voided
    expect(await snapshot()).toEqual(incremental);
    expect((await written(db, fresh.tenantId)).audit).toBe(audit.audit); // counters are not audited
    expect(incremental.find((r) => r.id === ids[0])).toMatchObject({ total_visits: 3 + 2 + 1 - 1 });
    expect(incremental.find((r) => r.id === ids[1])).toMatchObject({ total_visits: 0, total_spend: "0" });
  });
});

describe("the customer page", () => {
  it("recent orders: the 10 latest, newest first, including orders of customers merged into it", async () => {
    const shop = await openShop(db);
    const c = await createCustomer(shop.cashier, { first_name: "Regular" });
    const d = await createCustomer(shop.cashier, { first_name: "Dupe" });
    const placed = [];
    for (let i = 0; i < 12; i++) {
      placed.push(await placeOrder(shop.owner, shop, c.id, { placedAt: `2024-02-${String(i + 1).padStart(2, "0")}T10:00:00Z` }));
    }
    await mergeCustomers(shop.manager, c.id, d.id);
    const late = await placeOrder(shop.cashier, shop, d.id); // straggler on the merged id
    const { rows } = await shop.cashier.query(
      "select r.id from app_public.customers c, app_public.customers_recent_orders(c) r where c.id = $1",
      [c.id],
    );
    expect(rows.map((r) => r.id)).toEqual([late.id, ...placed.slice(3).reverse().map((o) => o.id)]);
  });

  it("the timeline tells created, updated, notes, orders placed and voided, archived and merged, newest first", async () => {
    const shop = await openShop(db);
    const c = await createCustomer(shop.cashier, { first_name: "Tim", email: "tim@example.com" });
    const d = await createCustomer(shop.cashier, { first_name: "Timothy" });
    await updateCustomer(shop.manager, c.id, { last_name: "Line", phone: "+1 917 555 0190" });
    await updateCustomer(shop.manager, c.id, { tags: ["vip", "student"] });
    await updateCustomer(shop.manager, c.id, { tags: ["vip", "local"], email: "tim@example.org" });
    await updateCustomer(shop.manager, c.id, { notes: "Prefers oat milk" });
    const o = await placeOrder(shop.cashier, shop, c.id, { quantity: 2 });
    await shop.manager.query("insert into app_public.customer_notes (customer_id, body, category) values ($1, 'Loves jazz', 'preference')", [c.id]);
    await voidOrder(shop.manager, o.id, "Wrong item");
    await placeOrder(shop.cashier, shop, d.id);
    await mergeCustomers(shop.manager, c.id, d.id);
    // A past sale imported now is told at its own time, the oldest entry.
    await placeOrder(shop.owner, shop, c.id, { placedAt: "2024-03-01T10:00:00Z" });
    await shop.manager.query("select app_public.archive_customer($1)", [c.id]);
    await shop.manager.query("select app_public.restore_customer($1)", [c.id]);

    const { rows } = await shop.cashier.query(
      "select t.* from app_public.customers c, app_public.customers_timeline(c) t where c.id = $1",
      [c.id],
    );
    const entries = rows.map((r) => [r.kind, r.summary, r.actor_name]);
    expect(entries).toEqual([
      ["restored", "Restored from the archive", "A manager"],
      ["archived", "Archived", "A manager"],
      ["merged", `Merged customer ${d.customer_number} into this one (1 orders, 0 notes, 0 addresses moved)`, "A manager"],
      ["order_placed", "Order of 10.00 USD placed", "A cashier"],
      ["order_voided", "Order of 20.00 USD voided: Wrong item", "A manager"],
      ["note", "Preference note: Loves jazz", "A manager"],
      ["order_placed", "Order of 20.00 USD placed", "A cashier"],
      // The profile's pinned text is named as the admin labels it (the dated notes are "notes").
      ["updated", "Changed about this customer", "A manager"],
      // What changed, not only which fields: tags added and removed, old and new values.
      ["updated", "Changed email tim@example.com → tim@example.org, tags +local −student", "A manager"],
      ["updated", "Changed tags +student +vip", "A manager"],
      // (Read by a cashier, who sees phones masked: customers.view_contact.)
      ["updated", "Changed last name set to Line, phone set to +1 •••• 0190, profile guest → stub", "A manager"],
      ["created", `Customer ${c.customer_number} created`, "A cashier"],
      ["order_placed", "Order of 10.00 USD placed", "Olive Owner"],
    ]);
    for (let i = 1; i < rows.length; i++) expect(rows[i - 1].occurred_at >= rows[i].occurred_at).toBe(true);

    const dup = await shop.cashier.query(
      "select t.kind, t.summary from app_public.customers c, app_public.customers_timeline(c) t where c.id = $1",
      [d.id],
    );
    expect(dup.rows[0]).toEqual({ kind: "merged_into", summary: `Merged into customer ${c.customer_number}` });
  });
});

describe("transactions that sell to several customers", () => {
  it("two transactions placing orders for the same customers in opposite orders both commit (no deadlock), counters exact", async () => {
    const shop = await openShop(db);
    const a = await createCustomer(shop.cashier, { first_name: "Ann" });
    const b = await createCustomer(shop.cashier, { first_name: "Bob" });
    // A sale: the order and the card payment that completes it, in one statement.
    const order = "select app_public.record_tender(o.id, 'card', o.total) from app_public.place_order($1, $2::jsonb, $3) o";
    const items = JSON.stringify([{ catalog_item_id: shop.itemId, quantity: 1 }]);
    // Interleaved: till 1 sells to Ann, till 2 to Bob, then till 1 to Bob and till 2 to Ann, and
    // both commit. Counted at once, each held its first customer while waiting for the other's
    // (40P01 for one of them); counted at commit in customer order, one waits for the other.
    let step2: () => void;
    const secondReady = new Promise<void>((r) => (step2 = r));
    let step1: () => void;
    const firstReady = new Promise<void>((r) => (step1 = r));
    const till1 = shop.cashier.transaction(async (c) => {
      await c.query(order, [shop.locationId, items, a.id]);
      step1();
      await secondReady;
      await c.query(order, [shop.locationId, items, b.id]);
    });
    const till2 = shop.owner.transaction(async (c) => {
      await firstReady;
      await c.query(order, [shop.locationId, items, b.id]);
      step2();
      await c.query(order, [shop.locationId, items, a.id]);
    });
    const results = await Promise.allSettled([till1, till2]);
    expect(results.map((r) => (r.status === "rejected" ? (r.reason as { code?: string }).code : "ok"))).toEqual(["ok", "ok"]);
    expect((await counters(a.id)).visits).toBe(2);
    expect((await counters(b.id)).visits).toBe(2);
    const activity = await db.owner.query(
      "select customer_id, total_visits from reporting.rm_customer_activity where customer_id = any($1) order by customer_id",
      [[a.id, b.id]],
    );
    expect(activity.rows.map((r) => r.total_visits)).toEqual([2, 2]);
    expect((await db.owner.query("select count(*)::int as n from app_private.customer_order_queue")).rows[0].n).toBe(0);
  });
});
