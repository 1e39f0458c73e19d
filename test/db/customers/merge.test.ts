// Merging a duplicate customer into a primary one: fields, tags, notes, totals, moved orders,
// notes and addresses, the merge record, the event and the audit rows; refusals; and merges
// that cross in separate connections, which must neither deadlock nor lose anything.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sqlState, type TestDatabase } from "../../helpers/db.ts";
import {
  auditOf,
  createCustomer,
  customerRow,
  eventsOf,
  mergeCustomers,
  openShop,
  outcome,
  placeOrder,
  terminal,
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

async function note(shop: Shop, customerId: string, body: string) {
  return (await shop.manager.query("insert into app_public.customer_notes (customer_id, body) values ($1, $2) returning id", [customerId, body])).rows[0].id as string;
}
async function address(shop: Shop, customerId: string, line1: string, isDefault: boolean) {
  return (
    await shop.manager.query(
      "insert into app_public.customer_addresses (customer_id, line1, city, is_default) values ($1, $2, 'Springfield', $3) returning id",
      [customerId, line1, isDefault],
    )
  ).rows[0].id as string;
}

describe("merge_customers", () => {
  it("combines the two customers and moves everything of the duplicate to the primary", async () => {
    const shop = await openShop(db);
    const p = await createCustomer(shop.manager, {
      first_name: "Pat",
      email: "pat@example.com",
      tags: ["VIP", "local"],
      notes: "Primary notes",
      metadata: { source: "primary", tier: "gold" },
    });
    const d = await createCustomer(shop.manager, {
      first_name: "Patricia",
      last_name: "Smith",
      email: "patricia@example.com",
      phone: "+1 917 555 0100",
      tags: ["vip", "newsletter"],
      notes: "Duplicate notes",
      marketing_consent: true,
      marketing_consent_source: "online",
      metadata: { source: "duplicate", newsletter: true },
    });
    const pOrders = [await placeOrder(shop.cashier, shop, p.id), await placeOrder(shop.cashier, shop, p.id, { quantity: 2 })];
    const dOrders = [
      await placeOrder(shop.owner, shop, d.id, { quantity: 3, placedAt: "2020-01-01T10:00:00Z" }),
      await placeOrder(shop.cashier, shop, d.id),
      await placeOrder(shop.cashier, shop, d.id, { quantity: 5 }),
    ];
    const dNote = await note(shop, d.id, "Called about a refund");
    const pDefault = await address(shop, p.id, "1 Primary Road", true);
    const dDefault = await address(shop, d.id, "2 Duplicate Lane", true);
    const dOther = await address(shop, d.id, "3 Duplicate Lane", false);
    const before = { p: await customerRow(db, p.id), d: await customerRow(db, d.id) };
    expect(before.p).toMatchObject({ total_visits: 2, total_spend: "3000" });
    expect(before.d).toMatchObject({ total_visits: 3, total_spend: "9000" });

    const result = await mergeCustomers(shop.manager, p.id, d.id);

    expect(result).toMatchObject({
      id: p.id,
      customer_number: p.customer_number,
      first_name: "Pat",
      last_name: "Smith",
      display_name: "Pat Smith",
      email: "pat@example.com",
      phone: "+19175550100",
      tags: ["VIP", "local", "newsletter"],
      notes: "Primary notes\n\nDuplicate notes",
      metadata: { source: "primary", tier: "gold", newsletter: true },
      marketing_consent: true,
      marketing_consent_source: "online",
      status: "active",
    });
    const after = await customerRow(db, p.id);
    expect(after).toMatchObject({ total_visits: 5, total_spend: "12000", items_bought: "12" });
    expect(after.last_visit_at.getTime()).toBe(Math.max(before.p.last_visit_at.getTime(), before.d.last_visit_at.getTime()));
    // The earlier first visit: the duplicate's order of 2020.
    expect(after.first_visit_at.toISOString()).toBe("2020-01-01T10:00:00.000Z");

    const dup = await customerRow(db, d.id);
    expect(dup).toMatchObject({ status: "merged", merged_into_id: p.id, total_visits: 0, total_spend: "0", last_visit_at: null });
    expect(dup.email).toBe("patricia@example.com"); // kept for history, no longer counted as taken

    const orders = await db.owner.query("select id, customer_id from app_public.orders where tenant_id = $1", [shop.tenantId]);
    expect(orders.rows.every((o) => o.customer_id === p.id)).toBe(true);
    expect(orders.rows).toHaveLength(5);
    const notes = await db.owner.query("select id from app_public.customer_notes where customer_id = $1", [p.id]);
    expect(notes.rows.map((n) => n.id)).toEqual([dNote]);
    const addresses = await db.owner.query(
      "select id, is_default from app_public.customer_addresses where customer_id = $1 order by id",
      [p.id],
    );
    expect(addresses.rows).toEqual(
      [
        { id: pDefault, is_default: true },
        { id: dDefault, is_default: false },
        { id: dOther, is_default: false },
      ].sort((a, b) => (a.id < b.id ? -1 : 1)),
    );

    const merges = await shop.manager.query("select * from app_public.customer_merges");
    expect(merges.rows).toHaveLength(1);
    const m = merges.rows[0];
    expect(m).toMatchObject({
      primary_id: p.id,
      duplicate_id: d.id,
      moved_order_ids: dOrders.map((o) => o.id).sort(),
      moved_note_ids: [dNote],
      moved_address_ids: [dDefault, dOther].sort(),
      notes_note_id: null,
      merged_by_user_id: shop.manager.userId,
    });
    expect(m.primary_snapshot).toMatchObject({ id: p.id, last_name: null });
    expect(m.duplicate_snapshot).toMatchObject({ id: d.id, status: "active", email: "patricia@example.com" });
    expect(m.result_snapshot).toMatchObject({ id: p.id, last_name: "Smith" });

    const [event] = await eventsOf(db, shop.tenantId, "customer.merged.v1");
    expect(event).toMatchObject({
      aggregate_id: p.id,
      actor_user_id: shop.manager.userId,
      payload: {
        merge_id: m.id,
        primary_id: p.id,
        duplicate_id: d.id,
        moved_order_ids: m.moved_order_ids,
        moved_note_ids: [dNote],
        moved_address_ids: m.moved_address_ids,
        added_visits: 3,
        added_spend: 9000,
        total_visits: 5,
        total_spend: 12000,
      },
    });

    const pAudit = (await auditOf(db, "customers", p.id)).at(-1);
    expect(pAudit.actor_user_id).toBe(shop.manager.userId);
    expect(Object.keys(pAudit.changes).sort()).toEqual([
      "display_name",
      "last_name",
      "marketing_consent",
      "marketing_consent_source",
      "marketing_consent_updated_at",
      "metadata",
      "notes",
      "phone",
      "stage", // the phone the duplicate brought makes the primary a stub
      "tags",
    ]);
    expect((await auditOf(db, "customers", d.id)).at(-1).changes).toEqual({
      status: { old: "active", new: "merged" },
      merged_into_id: { old: null, new: p.id },
    });
    expect((await auditOf(db, "customer_merges", m.id))[0].action).toBe("insert");

    // The duplicate's email is free again; its phone now belongs to the primary.
    expect((await createCustomer(shop.manager, { email: "patricia@example.com" })).email).toBe("patricia@example.com");
    expect(await sqlState(() => createCustomer(shop.manager, { phone: "917 555 0100" }))).toBe("DUPPH");

    // Orders keep counting for the primary: a void of a moved order, a new order for the merged id.
    await voidOrder(shop.manager, dOrders[2].id);
    await placeOrder(shop.cashier, shop, d.id);
    expect(await customerRow(db, p.id)).toMatchObject({ total_visits: 5, total_spend: "8000" });
    expect(await customerRow(db, d.id)).toMatchObject({ total_visits: 0, total_spend: "0" });
    expect(pOrders).toHaveLength(2);
  });

  it("previews exactly what the merge makes, without writing", async () => {
    const shop = await openShop(db);
    const p = await createCustomer(shop.manager, { email: "keep@example.com", tags: ["a"] });
    const d = await createCustomer(shop.manager, { first_name: "Dup", phone: "+1 917 555 0101", tags: ["b"] });
    await placeOrder(shop.cashier, shop, d.id, { quantity: 2 });
    await note(shop, d.id, "hello");
    const before = await written(db, shop.tenantId);
    const preview = (await shop.manager.query("select * from app_public.preview_customer_merge($1, $2)", [p.id, d.id])).rows[0];
    expect(await written(db, shop.tenantId)).toEqual(before);
    const result = await mergeCustomers(shop.manager, p.id, d.id);
    expect(preview).toEqual({
      display_name: result.display_name,
      email: result.email,
      phone: result.phone,
      first_name: result.first_name,
      last_name: result.last_name,
      notes: result.notes,
      tags: result.tags,
      marketing_consent: result.marketing_consent,
      total_visits: (await customerRow(db, p.id)).total_visits,
      total_spend: (await customerRow(db, p.id)).total_spend,
      last_visit_at: (await customerRow(db, p.id)).last_visit_at,
      orders_to_move: 1,
      notes_to_move: 1,
      addresses_to_move: 0,
    });
  });

  it("notes that do not fit together: the duplicate's become a note of the primary", async () => {
    const shop = await openShop(db);
    const p = await createCustomer(shop.manager, { first_name: "Long", notes: "p".repeat(1500) });
    const d = await createCustomer(shop.manager, { first_name: "Longer", notes: "d".repeat(1000) });
    const result = await mergeCustomers(shop.manager, p.id, d.id);
    expect(result.notes).toBe("p".repeat(1500));
    const m = (await db.owner.query("select notes_note_id from app_public.customer_merges where primary_id = $1", [p.id])).rows[0];
    const n = (await db.owner.query("select customer_id, body from app_public.customer_notes where id = $1", [m.notes_note_id])).rows[0];
    expect(n).toEqual({ customer_id: p.id, body: "d".repeat(1000) });
  });

  it("customers merged into the duplicate earlier now point at the primary", async () => {
    const shop = await openShop(db);
    const [a, b, c] = [
      await createCustomer(shop.manager, { first_name: "A" }),
      await createCustomer(shop.manager, { first_name: "B" }),
      await createCustomer(shop.manager, { first_name: "C" }),
    ];
    await placeOrder(shop.cashier, shop, c.id);
    await mergeCustomers(shop.manager, b.id, c.id);
    await mergeCustomers(shop.manager, a.id, b.id);
    expect((await customerRow(db, c.id)).merged_into_id).toBe(a.id);
    expect((await customerRow(db, a.id)).total_visits).toBe(1);
    await placeOrder(shop.cashier, shop, c.id);
    expect((await customerRow(db, a.id)).total_visits).toBe(2);
  });

  it("refuses bad merges with a coded error and writes nothing", async () => {
    const shop = await openShop(db);
    const other = await openShop(db);
    const p = await createCustomer(shop.manager, { first_name: "P" });
    const d = await createCustomer(shop.manager, { first_name: "D" });
    const gone = await createCustomer(shop.manager, { first_name: "Gone" });
    await mergeCustomers(shop.manager, p.id, gone.id);
    const foreign = await createCustomer(other.owner, { first_name: "Foreign" });
    const before = [await written(db, shop.tenantId), await written(db, other.tenantId)];
    const cases: [string | null, string | null, string][] = [
      [p.id, p.id, "MRGSM"],
      [p.id, gone.id, "CMRGD"],
      [gone.id, d.id, "CMRGD"],
      [p.id, foreign.id, "NOTFD"],
      [foreign.id, p.id, "NOTFD"],
      [p.id, "01DOESNOTEXIST", "NOTFD"],
      [p.id, null, "BADIN"],
    ];
    for (const [primary, duplicate, code] of cases) {
      expect([primary, duplicate, await sqlState(() => shop.manager.query("select app_public.merge_customers($1, $2)", [primary, duplicate]))]).toEqual([
        primary,
        duplicate,
        code,
      ]);
      expect(await sqlState(() => shop.manager.query("select app_public.preview_customer_merge($1, $2)", [primary, duplicate]))).toBe(code);
    }
    expect(await sqlState(() => shop.cashier.query("select app_public.merge_customers($1, $2)", [p.id, d.id]))).toBe("DNIED");
    expect([await written(db, shop.tenantId), await written(db, other.tenantId)]).toEqual(before);
    expect((await customerRow(db, foreign.id)).status).toBe("active");
  });
});

describe("concurrent merges", () => {
  it("two merges crossing in two connections: no deadlock, one wins, nothing is lost", async () => {
    const shop = await openShop(db);
    const [t1, t2] = [await terminal(db, shop.manager), await terminal(db, shop.owner)];
    try {
      for (let round = 0; round < 8; round++) {
        const x = await createCustomer(shop.manager, { first_name: `X${round}` });
        const y = await createCustomer(shop.manager, { first_name: `Y${round}` });
        await placeOrder(shop.cashier, shop, x.id);
        await placeOrder(shop.cashier, shop, y.id, { quantity: 2 });
        const results = await Promise.all([
          outcome(t1.query("select app_public.merge_customers($1, $2)", [x.id, y.id])),
          outcome(t2.query("select app_public.merge_customers($1, $2)", [y.id, x.id])),
        ]);
        expect(results.sort()).toEqual(["CMRGD", "ok"]);
        const rows = (
          await db.owner.query(`select id, status, merged_into_id, total_visits, total_spend from ${customersWithStats} x where id = any($1)`, [
            [x.id, y.id],
          ])
        ).rows;
        const live = rows.filter((r) => r.status === "active");
        expect(live).toHaveLength(1);
        expect(live[0]).toMatchObject({ total_visits: 2, total_spend: "3000" });
        const orders = await db.owner.query("select count(*)::int as n from app_public.orders where customer_id = $1", [live[0].id]);
        expect(orders.rows[0].n).toBe(2);
        expect(await db.owner.query("select count(*)::int as n from app_public.customer_merges where primary_id = $1", [live[0].id]).then((r) => r.rows[0].n)).toBe(1);
      }
    } finally {
      await t1.end();
      await t2.end();
    }
  });

  it("a merge waiting on a crossing merge that holds its locks fails cleanly with CMRGD once the first commits", async () => {
    const shop = await openShop(db);
    const [t1, t2] = [await terminal(db, shop.manager), await terminal(db, shop.owner)];
    try {
      const x = await createCustomer(shop.manager, { first_name: "X" });
      const y = await createCustomer(shop.manager, { first_name: "Y" });
      await placeOrder(shop.cashier, shop, y.id);
      await t1.query("begin");
      await t1.query("select app_public.merge_customers($1, $2)", [x.id, y.id]);
      const crossing = outcome(t2.query("select app_public.merge_customers($1, $2)", [y.id, x.id]));
      await new Promise((r) => setTimeout(r, 200));
      await t1.query("commit");
      expect(await crossing).toBe("CMRGD");
      expect(await customerRow(db, x.id)).toMatchObject({ status: "active", total_visits: 1 });
    } finally {
      await t1.end();
      await t2.end();
    }
  });

  it("a cycle of three merges in three connections (a←b, b←c, c←a) does not deadlock and keeps every visit", async () => {
    const shop = await openShop(db);
    const terms = [await terminal(db, shop.manager), await terminal(db, shop.owner), await terminal(db, shop.manager)];
    try {
      for (let round = 0; round < 5; round++) {
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) {
          const c = await createCustomer(shop.manager, { first_name: `C${round}-${i}` });
          await placeOrder(shop.cashier, shop, c.id, { quantity: i + 1 });
          ids.push(c.id);
        }
        const results = await Promise.all(
          terms.map((t, i) => outcome(t.query("select app_public.merge_customers($1, $2)", [ids[i], ids[(i + 1) % 3]]))),
        );
        expect(results).not.toContain("40P01");
        expect(results.filter((r) => r === "ok").length).toBeGreaterThanOrEqual(1);
        const rows = (await db.owner.query(`select status, total_visits, total_spend from ${customersWithStats} x where id = any($1)`, [ids])).rows;
        expect(rows.reduce((n, r) => n + r.total_visits, 0)).toBe(3);
        expect(rows.reduce((n, r) => n + Number(r.total_spend), 0)).toBe(6000);
        expect(rows.filter((r) => r.status === "active").length).toBe(3 - results.filter((r) => r === "ok").length);
      }
    } finally {
      await Promise.all(terms.map((t) => t.end()));
    }
  });

  it("a merge and a void that hold each other's rows wait instead of deadlocking, in both orders", async () => {
    const shop = await openShop(db);
    const [t1, t2] = [await terminal(db, shop.manager), await terminal(db, shop.owner)];
    try {
      for (const first of ["void", "merge"] as const) {
        const p = await createCustomer(shop.manager, { first_name: `P-${first}` });
        const d = await createCustomer(shop.manager, { first_name: `D-${first}` });
        const o = await placeOrder(shop.cashier, shop, d.id, { quantity: 2 });
        await placeOrder(shop.cashier, shop, d.id);
        const doVoid = (t: typeof t1) => t.query("select app_public.void_order($1, 'test')", [o.id]);
        const doMerge = (t: typeof t1) => t.query("select app_public.merge_customers($1, $2)", [p.id, d.id]);
        await t1.query("begin");
        await (first === "void" ? doVoid(t1) : doMerge(t1));
        const second = outcome(first === "void" ? doMerge(t2) : doVoid(t2));
        await new Promise((r) => setTimeout(r, 200));
        await t1.query("commit");
        expect(await second).toBe("ok");
        expect(await customerRow(db, p.id)).toMatchObject({ total_visits: 1, total_spend: "1000" });
      }
    } finally {
      await t1.end();
      await t2.end();
    }
  });

  it("a merge and a void of the duplicate's order at the same time do not deadlock", async () => {
    const shop = await openShop(db);
    const [t1, t2] = [await terminal(db, shop.manager), await terminal(db, shop.owner)];
    try {
      for (let round = 0; round < 5; round++) {
        const p = await createCustomer(shop.manager, { first_name: `P${round}` });
        const d = await createCustomer(shop.manager, { first_name: `D${round}` });
        const o = await placeOrder(shop.cashier, shop, d.id, { quantity: 2 });
        await placeOrder(shop.cashier, shop, d.id);
        const results = await Promise.all([
          outcome(t1.query("select app_public.merge_customers($1, $2)", [p.id, d.id])),
          outcome(t2.query("select app_public.void_order($1, 'test')", [o.id])),
        ]);
        expect(results).toEqual(["ok", "ok"]);
        expect(await customerRow(db, p.id)).toMatchObject({ total_visits: 1, total_spend: "1000" });
        expect(await customerRow(db, d.id)).toMatchObject({ total_visits: 0, total_spend: "0" });
      }
    } finally {
      await t1.end();
      await t2.end();
    }
  });
});
