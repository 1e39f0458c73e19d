// Catalog and inventory items through the generated CRUD (guarded by policies and validation
// triggers), no write path to orders, lines, tenders or movements other than the functions, and
// one tenant never seeing or reaching another's sales.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, sqlState, type TestDatabase } from "../../helpers/db.ts";
import { counts, line, openShop, placeOrder, type Shop } from "./shop.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.drop());

const WRITE_PROTECTED = ["app_public.orders", "app_public.order_lines", "app_public.tenders", "app_public.inventory_movements"];

describe("catalog items", () => {
  let shop: Shop;
  beforeAll(async () => {
    shop = await openShop(db, { items: [{ sku: "ESP-1", price: 300 }] });
  });

  it("a manager adds and edits items; the SKU is stored upper-case and trimmed; changes are audited", async () => {
    const { rows } = await shop.manager.query(
      "insert into app_public.catalog_items (name, sku, price) values (' Flat White ', ' flw-1 ', 450) returning id, name, sku, price, active",
    );
    expect(rows[0]).toMatchObject({ name: "Flat White", sku: "FLW-1", price: 450, active: true });
    await shop.manager.query("update app_public.catalog_items set price = 475 where id = $1", [rows[0].id]);
    const audit = await shop.owner.query("select changes from app_public.audit_entries where entity = 'catalog_items' and entity_id = $1 and action = 'update'", [rows[0].id]);
    expect(audit.rows).toEqual([{ changes: { price: { old: 450, new: 475 } } }]);
  });

  it.each([
    ["a duplicate SKU (any case)", "('Again', 'esp-1', 100)", "DUSKU"],
    ["a malformed SKU", "('Bad', 'has space', 100)", "BADIN"],
    ["a blank name", "('  ', 'OK-1', 100)", "BADIN"],
    ["a negative price", "('Neg', 'NEG-1', -1)", "BADAM"],
    ["a price above 100000.00", "('Big', 'BIG-1', 10000001)", "BADAM"],
  ])("refuses %s with a coded error", async (_label, values, code) => {
    const before = (await shop.owner.query("select count(*)::int as n from app_public.catalog_items")).rows[0].n;
    expect(await sqlState(() => shop.manager.query(`insert into app_public.catalog_items (name, sku, price) values ${values}`))).toBe(code);
    expect((await shop.owner.query("select count(*)::int as n from app_public.catalog_items")).rows[0].n).toBe(before);
  });

  it("a cashier can read the catalog but not change it (catalog.manage)", async () => {
    expect((await shop.cashier.query("select sku from app_public.catalog_items where sku = 'ESP-1'")).rows).toHaveLength(1);
    expect(await sqlState(() => shop.cashier.query("insert into app_public.catalog_items (name, sku, price) values ('X', 'X-1', 1)"))).toBe("42501");
    expect((await shop.cashier.query("update app_public.catalog_items set price = 1")).rowCount).toBe(0);
  });

  it("items are never deleted through the API (deactivate them instead)", async () => {
    expect(await sqlState(() => shop.owner.query("delete from app_public.catalog_items"))).toBe("42501");
    expect(await sqlState(() => shop.owner.query("delete from app_public.inventory_items"))).toBe("42501");
  });
});

describe("inventory items", () => {
  let shop: Shop;
  let other: Shop;
  beforeAll(async () => {
    shop = await openShop(db, { items: [{ sku: "MUF", price: 300, stock: 0 }, { sku: "CRO", price: 300 }] });
    other = await openShop(db, { items: [{ sku: "THEIRS", price: 100 }] });
  });

  it("links at most one inventory item to a catalog item, of the same tenant", async () => {
    expect(await sqlState(() => shop.manager.query("insert into app_public.inventory_items (name, catalog_item_id) values ('Dup', $1)", [shop.item.MUF]))).toBe("DUSTK");
    expect(await sqlState(() => shop.manager.query("insert into app_public.inventory_items (name, catalog_item_id) values ('Theirs', $1)", [other.item.THEIRS]))).toBe("NOTFD");
    expect(await sqlState(() => shop.manager.query("insert into app_public.inventory_items (name, low_stock_threshold) values ('Neg', -1)"))).toBe("BADQT");
    expect(await sqlState(() => shop.cashier.query("insert into app_public.inventory_items (name) values ('Cups')"))).toBe("42501");
    const cups = await shop.manager.query("insert into app_public.inventory_items (name, catalog_item_id) values ('Croissants', $1) returning id", [shop.item.CRO]);
    expect(cups.rows).toHaveLength(1);
  });
});

describe("no write path but the functions", () => {
  it("the API role has no insert, update or delete privilege on orders, lines, tenders or movements", async () => {
    const { rows } = await db.owner.query(
      `select t, p from unnest($1::text[]) as t, unnest(array['insert', 'update', 'delete', 'truncate']) as p
       where has_table_privilege('bo_visitor', t, p)`,
      [WRITE_PROTECTED],
    );
    expect(rows).toEqual([]);
  });

  it("direct writes are refused even for the owner role of the tenant", async () => {
    const shop = await openShop(db, { items: [{ sku: "A", price: 100, stock: 3 }] });
    const order = await placeOrder(shop.cashier, shop.locationId, [line(shop.item.A)]);
    expect(await sqlState(() => shop.owner.query("update app_public.orders set total = 0 where id = $1", [order.id]))).toBe("42501");
    expect(await sqlState(() => shop.owner.query("delete from app_public.orders where id = $1", [order.id]))).toBe("42501");
    expect(await sqlState(() => shop.owner.query(
      "insert into app_public.inventory_movements (tenant_id, location_id, inventory_item_id, quantity, reason) values ($1, $2, $3, 100, 'receive')",
      [shop.tenantId, shop.locationId, shop.stock.A],
    ))).toBe("42501");
    expect(await sqlState(() => shop.owner.query("insert into app_public.tenders (tenant_id, order_id, type, amount) values ($1, $2, 'cash', 1)", [shop.tenantId, order.id]))).toBe("42501");
  });

  it("the event log is out of the API role's reach", async () => {
    const shop = await openShop(db);
    expect(await sqlState(() => shop.owner.query("select * from app_private.events"))).toBe("42501");
    expect(await sqlState(() => shop.owner.query("select app_private.replay('x')"))).toBe("42501");
  });
});

describe("tenant isolation", () => {
  let a: Shop;
  let b: Shop;
  let bOrder: any;
  beforeAll(async () => {
    a = await openShop(db, { items: [{ sku: "A", price: 100, stock: 10 }] });
    b = await openShop(db, { items: [{ sku: "B", price: 200, stock: 10 }] });
    await placeOrder(a.cashier, a.locationId, [line(a.item.A)]);
    bOrder = await placeOrder(b.cashier, b.locationId, [line(b.item.B, 2)], { open: true });
    await b.cashier.query("select app_public.record_tender($1, 'card', $2)", [bOrder.id, bOrder.total]);
    await b.manager.query("select app_public.void_order($1, 'Refunded')", [bOrder.id]); // a refund tender too
  });

  it("sees none of another tenant's catalog, stock, orders, lines, tenders or movements", async () => {
    for (const member of [a.owner, a.cashier]) {
      const { rows } = await member.query(
        `select (select count(*)::int from app_public.catalog_items where tenant_id <> $1) as catalog,
                (select count(*)::int from app_public.inventory_items where tenant_id <> $1) as stock,
                (select count(*)::int from app_public.orders where tenant_id <> $1) as orders,
                (select count(*)::int from app_public.order_lines where tenant_id <> $1) as lines,
                (select count(*)::int from app_public.tenders where tenant_id <> $1) as tenders,
                (select count(*)::int from app_public.refund_tenders where tenant_id <> $1) as refunds,
                (select count(*)::int from app_public.inventory_movements where tenant_id <> $1) as movements,
                (select count(*)::int from app_public.orders where id = $2) as b_order`,
        [a.tenantId, bOrder.id],
      );
      expect(rows[0]).toEqual({ catalog: 0, stock: 0, orders: 0, lines: 0, tenders: 0, refunds: 0, movements: 0, b_order: 0 });
    }
  });

  it("refuses every one of another tenant's ids as not found, and changes nothing of theirs", async () => {
    const before = await counts(db, b.tenantId);
    const attempts: [string, () => Promise<unknown>][] = [
      ["location", () => placeOrder(a.cashier, b.locationId, [line(a.item.A)])],
      ["catalog item", () => placeOrder(a.cashier, a.locationId, [line(b.item.B)])],
      ["order (tender)", () => a.owner.query("select app_public.record_tender($1, 'cash', 100)", [bOrder.id])],
      ["order (void)", () => a.owner.query("select app_public.void_order($1, 'x')", [bOrder.id])],
      ["inventory item", () => a.owner.query("select app_public.record_inventory_movement($1, $2, 5, 'receive')", [a.locationId, b.stock.B])],
      ["location (movement)", () => a.owner.query("select app_public.record_inventory_movement($1, $2, 5, 'receive')", [b.locationId, a.stock.A])],
      ["catalog item (quote)", () => a.cashier.query("select app_public.quote_order($1::jsonb)", [JSON.stringify([line(b.item.B)])])],
    ];
    for (const [what, attempt] of attempts) {
      expect(await sqlState(attempt), what).toBe("NOTFD");
    }
    expect(await counts(db, b.tenantId)).toEqual(before);
    expect((await a.owner.query("update app_public.catalog_items set price = 1 where id = $1", [b.item.B])).rowCount).toBe(0);
    expect((await b.owner.query("select price from app_public.catalog_items where id = $1", [b.item.B])).rows[0].price).toBe(200);
  });
});
