// The cash drawer: opened at a location with a float, it takes the cash payments and cash
// refunds made there while open (card never), cash put in and taken out with a reason, and is
// closed with the amount counted: expected = float + cash payments − cash refunds + in − out, and
// the difference is kept. One open drawer per location; exact when payments race the close.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sqlState, type TestDatabase } from "../../helpers/db.ts";
import { line, openShop, placeOrder, terminal, type Shop } from "./shop.ts";

let db: TestDatabase;
let other: Shop;
beforeAll(async () => {
  db = await createTestDatabase();
  other = await openShop(db, { items: [{ sku: "X", price: 100 }] });
});
afterAll(() => db?.drop());

type Actor = Shop["cashier"];
const open = (actor: Actor, locationId: string, float: number | null) =>
  actor.query("select * from app_public.open_cash_drawer($1, $2)", [locationId, float]).then((r) => r.rows[0]);
const entry = (actor: Actor, drawerId: string, kind: string | null, amount: number | null, reason: string | null) =>
  actor.query("select * from app_public.record_cash_drawer_entry($1, $2, $3, $4)", [drawerId, kind, amount, reason]).then((r) => r.rows[0]);
const close = (actor: Actor, drawerId: string, counted: number | null, note: string | null = null) =>
  actor.query("select * from app_public.close_cash_drawer($1, $2, $3)", [drawerId, counted, note]).then((r) => r.rows[0]);
const tender = (actor: Actor, orderId: string, type: string, amount: number) =>
  actor.query("select * from app_public.record_tender($1, $2, $3)", [orderId, type, amount]).then((r) => r.rows[0]);
const holds = (actor: Actor, drawerId: string) =>
  actor
    .query(
      `select app_public.cash_drawers_cash_payments(d)::int as payments, app_public.cash_drawers_cash_refunds(d)::int as refunds,
              app_public.cash_drawers_cash_in(d)::int as "in", app_public.cash_drawers_cash_out(d)::int as out,
              app_public.cash_drawers_expected_now(d)::int as expected
       from app_public.cash_drawers d where d.id = $1`,
      [drawerId],
    )
    .then((r) => r.rows[0]);
/** A business of its own for each test (and its one location), so each has its own drawers. */
const newShop = () => openShop(db, { items: [{ sku: "TEA", price: 300 }, { sku: "CAKE", price: 450 }] });

describe("a day of a drawer", () => {
  it("counts the float, cash payments (change kept out), cash refunds, cash in and out; card never; closing keeps expected and the difference", async () => {
    const shop = await newShop();
    const location = shop.locationId;
    const drawer = await open(shop.cashier, location, 10000);
    expect(drawer).toMatchObject({ location_id: location, opening_float: 10000, closed_at: null, expected: null, counted: null });
    expect((await shop.cashier.query("select id from app_public.open_cash_drawer_at($1)", [location])).rows[0].id).toBe(drawer.id);

    // Cash 5.00 for a 3.00 tea: 3.00 stays in the drawer (2.00 change given back).
    const tea = await placeOrder(shop.cashier, location, [line(shop.item.TEA)], { open: true });
    expect((await tender(shop.cashier, tea.id, "cash", 500)).cash_drawer_id).toBe(drawer.id);
    // A cake by card: not in the drawer.
    const cake = await placeOrder(shop.cashier, location, [line(shop.item.CAKE)], { open: true });
    expect((await tender(shop.cashier, cake.id, "card", 450)).cash_drawer_id).toBeNull();
    // Another tea paid in cash, then voided: its 3.00 goes back out of the drawer.
    const back = await placeOrder(shop.cashier, location, [line(shop.item.TEA)], { open: true });
    await tender(shop.cashier, back.id, "cash", 300);
    await shop.manager.query("select app_public.void_order($1, 'Wrong tea')", [back.id]);
    // An open order part paid in cash (1.00), then cancelled: the 1.00 goes back out too.
    const left = await placeOrder(shop.cashier, location, [line(shop.item.CAKE)], { open: true });
    await tender(shop.cashier, left.id, "cash", 100);
    await shop.cashier.query("select app_public.cancel_order($1, 'Walked away')", [left.id]);
    const refunds = await shop.owner.query("select type, amount, cash_drawer_id from app_public.refund_tenders where order_id in ($1, $2) order by amount", [
      left.id,
      back.id,
    ]);
    expect(refunds.rows).toEqual([
      { type: "cash", amount: 100, cash_drawer_id: drawer.id },
      { type: "cash", amount: 300, cash_drawer_id: drawer.id },
    ]);

    await entry(shop.cashier, drawer.id, "in", 2000, "Change from the bank");
    await entry(shop.cashier, drawer.id, "out", 350, "Milk");
    // 100.00 + (3.00 + 3.00 + 1.00) − (3.00 + 1.00) + 20.00 − 3.50
    expect(await holds(shop.cashier, drawer.id)).toEqual({ payments: 700, refunds: 400, in: 2000, out: 350, expected: 11950 });

    const closed = await close(shop.cashier, drawer.id, 11900, "Coins miscounted?");
    expect(closed).toMatchObject({ expected: 11950, counted: 11900, difference: -50, note: "Coins miscounted?" });
    expect(closed.closed_at).not.toBeNull();
    expect(closed.closed_by_user_id).toBe(shop.cashier.userId);
    expect((await shop.cashier.query("select id from app_public.open_cash_drawer_at($1)", [location])).rows[0].id).toBeNull();

    // Closed: no entries, no second close; cash taken now goes into no drawer.
    expect(await sqlState(() => entry(shop.cashier, drawer.id, "in", 100, "Late"))).toBe("BADIN");
    expect(await sqlState(() => close(shop.cashier, drawer.id, 0))).toBe("BADIN");
    const after = await placeOrder(shop.cashier, location, [line(shop.item.TEA)], { open: true });
    expect((await tender(shop.cashier, after.id, "cash", 300)).cash_drawer_id).toBeNull();
    expect((await holds(shop.cashier, drawer.id)).expected).toBe(11950);
  });

  it("one open drawer per location, even when two are opened at once; another location has its own", async () => {
    const shop = await newShop();
    const location = shop.locationId;
    const tills = await Promise.all([terminal(db, shop.cashier), terminal(db, shop.manager)]);
    try {
      const results = await Promise.allSettled(tills.map((t) => t.query("select * from app_public.open_cash_drawer($1, 5000)", [location])));
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      expect(results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(["BADIN"]);
    } finally {
      await Promise.all(tills.map((t) => t.end()));
    }
    expect(await sqlState(() => open(shop.cashier, location, 0))).toBe("BADIN");
    const market = (await shop.owner.query("insert into app_public.locations (name, timezone) values ('Market', 'Europe/Paris') returning id")).rows[0].id;
    expect((await open(shop.cashier, market, 0)).opening_float).toBe(0);
    // Closed, the location can open a new one.
    const current = (await shop.cashier.query("select id from app_public.open_cash_drawer_at($1)", [location])).rows[0].id;
    await close(shop.cashier, current, 5000);
    expect((await open(shop.cashier, location, 2500)).opening_float).toBe(2500);
  });

  it.each([
    ["a negative float", "open", -1, "BADAM"],
    ["no float", "open", null, "BADAM"],
    ["an unknown location", "open-elsewhere", 0, "NOTFD"],
    ["another business's location", "open-theirs", 0, "NOTFD"],
    ["cash in of 0", "in", 0, "BADAM"],
    ["cash in with no reason", "in-no-reason", 100, "BADIN"],
    ["a kind that is neither in nor out", "sideways", 100, "BADIN"],
    ["cash out of more than the drawer holds", "out", 1001, "BADAM"],
    ["a negative count", "close", -5, "BADAM"],
    ["another business's drawer", "close-theirs", 0, "NOTFD"],
  ] as const)("refuses %s with a coded error and writes nothing", async (_label, what, amount, code) => {
    const shop = await newShop();
    const location = shop.locationId;
    const drawer = await open(shop.cashier, location, 1000);
    const theirs = await open(other.cashier, other.locationId, 0).catch(async () =>
      (await other.cashier.query("select * from app_public.open_cash_drawer_at($1)", [other.locationId])).rows[0],
    );
    const count = async () =>
      (await db.owner.query(
        `select (select count(*)::int from app_public.cash_drawers) as drawers, (select count(*)::int from app_public.cash_drawer_entries) as entries,
                (select count(*)::int from app_public.cash_drawers where closed_at is not null) as closed`,
      )).rows[0];
    const before = await count();
    const attempt = {
      open: () => open(shop.cashier, location, amount),
      "open-elsewhere": () => open(shop.cashier, "01J00000000000000000000000", amount),
      "open-theirs": () => open(shop.cashier, other.locationId, amount),
      in: () => entry(shop.cashier, drawer.id, "in", amount, "Float top-up"),
      "in-no-reason": () => entry(shop.cashier, drawer.id, "in", amount, "  "),
      sideways: () => entry(shop.cashier, drawer.id, "sideways", amount, "Why not"),
      out: () => entry(shop.cashier, drawer.id, "out", amount, "Everything"),
      close: () => close(shop.cashier, drawer.id, amount),
      "close-theirs": () => close(shop.cashier, theirs.id, amount),
    }[what];
    expect(await sqlState(attempt)).toBe(code);
    expect(await count()).toEqual(before);
  });

  it("a close racing payments counts exactly the cash that went in before it, and none after", async () => {
    const shop = await newShop();
    const location = shop.locationId;
    const drawer = await open(shop.cashier, location, 0);
    const orders = await Promise.all(Array.from({ length: 12 }, () => placeOrder(shop.cashier, location, [line(shop.item.TEA)], { open: true })));
    const tills = await Promise.all(Array.from({ length: 5 }, () => terminal(db, shop.cashier)));
    try {
      const payments = orders.map((o, i) => tills[i % 4].query("select * from app_public.record_tender($1, 'cash', 300)", [o.id]));
      const closing = tills[4].query("select * from app_public.close_cash_drawer($1, 0)", [drawer.id]);
      await Promise.all([...payments, closing]);
    } finally {
      await Promise.all(tills.map((t) => t.end()));
    }
    const closed = (await shop.owner.query("select expected from app_public.cash_drawers where id = $1", [drawer.id])).rows[0];
    const inIt = await shop.owner.query("select count(*)::int as n, coalesce(sum(applied_amount), 0)::int as cash from app_public.tenders where cash_drawer_id = $1", [drawer.id]);
    // Whatever the interleaving: what was expected is exactly the cash stamped with this drawer.
    expect(closed.expected).toBe(inIt.rows[0].cash);
    const all = await shop.owner.query("select count(*)::int as n from app_public.tenders t join app_public.orders o on o.id = t.order_id where o.location_id = $1", [location]);
    expect(all.rows[0].n).toBe(12);
  });

  it("a cashier of another business sees none of this business's drawers or entries", async () => {
    const shop = await newShop();
    const location = shop.locationId;
    const drawer = await open(shop.cashier, location, 700);
    await entry(shop.cashier, drawer.id, "in", 100, "Tips jar");
    const seen = await other.cashier.query(
      "select (select count(*)::int from app_public.cash_drawers where id = $1) as drawers, (select count(*)::int from app_public.cash_drawer_entries where cash_drawer_id = $1) as entries",
      [drawer.id],
    );
    expect(seen.rows[0]).toEqual({ drawers: 0, entries: 0 });
    expect(await sqlState(() => entry(other.cashier, drawer.id, "in", 100, "Mine now"))).toBe("NOTFD");
  });
});
