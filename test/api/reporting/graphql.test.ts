// Reporting over GraphQL through the real server: daily sales with a location filter (test 10 of
// the issue), item sales both ways, the dashboard, pg-aggregates over the read models, and what
// the API may not do (write read models, read without reports.view, see another tenant).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/db.ts";
import { startTestServer, type HttpClient, type TestServer } from "../../helpers/server.ts";
import { line, openReportingShop, placeOrder, voidOrder, type ReportingShop } from "../../db/reporting/helpers.ts";

let db: TestDatabase;
let server: TestServer;
let shop: ReportingShop;
let other: ReportingShop;
let asManager: HttpClient;
let asCashier: HttpClient;
let asOther: HttpClient;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(db);
  shop = await openReportingShop(db, {
    timezone: "Europe/Paris",
    extraTimezones: ["America/New_York"],
    items: [{ sku: "TEA", name: "Tea", price: 200 }, { sku: "CAKE", name: "Cake", price: 500, stock: 3 }],
  });
  other = await openReportingShop(db, { items: [{ sku: "TEA", price: 999 }] });
  const [paris, ny] = shop.locations;
  await placeOrder(shop.owner, paris, [line(shop.item.TEA, 2)], { placedAt: "2025-05-01T09:00:00Z" });
  await placeOrder(shop.owner, paris, [line(shop.item.CAKE)], { placedAt: "2025-05-02T09:00:00Z" });
  await placeOrder(shop.owner, ny, [line(shop.item.TEA, 5)], { placedAt: "2025-05-02T03:00:00Z" }); // 05-01 in New York
  const v = await placeOrder(shop.owner, ny, [line(shop.item.CAKE, 2)], { placedAt: "2025-05-02T15:00:00Z" });
  await voidOrder(shop.manager, v.id);
  await placeOrder(other.owner, other.locationId, [line(other.item.TEA)], { placedAt: "2025-05-01T09:00:00Z" });
  asManager = server.client();
  asCashier = server.client();
  asOther = server.client();
  await asManager.login(shop.manager.email, shop.manager.password);
  await asCashier.login(shop.cashier.email, shop.cashier.password);
  await asOther.login(other.owner.email, other.owner.password);
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

const DAILY = `query($from: Date!, $to: Date!, $location: String) {
  dailySales(fromDate: $from, toDate: $to, locationId: $location) {
    businessDate locationId orderCount grossSales netSales refundCount refundTotal totalCollected avgOrderValue
  }
}`;

describe("dailySales", () => {
  it("with a location filter: that location's own dates and figures only", async () => {
    const [paris, ny] = shop.locations;
    const p = await asManager.graphql(DAILY, { from: "2025-05-01", to: "2025-05-02", location: paris });
    expect(p.errors).toBeUndefined();
    expect(p.data.dailySales).toEqual([
      { businessDate: "2025-05-01", locationId: paris, orderCount: "1", grossSales: "400", netSales: "400", refundCount: "0", refundTotal: "0", totalCollected: "400", avgOrderValue: "400" },
      { businessDate: "2025-05-02", locationId: paris, orderCount: "1", grossSales: "500", netSales: "500", refundCount: "0", refundTotal: "0", totalCollected: "500", avgOrderValue: "500" },
    ]);
    const n = await asManager.graphql(DAILY, { from: "2025-05-01", to: "2025-05-02", location: ny });
    // The cake order of 05-02 was voided today: a sale of 05-02, a refund of today.
    expect(n.data.dailySales.map((r: any) => [r.businessDate, r.orderCount, r.netSales, r.refundCount, r.refundTotal])).toEqual([
      ["2025-05-01", "1", "1000", "0", "0"],
      ["2025-05-02", "1", "1000", "0", "0"],
    ]);
  });

  it("without a location: all locations added up, one row per date", async () => {
    const all = await asManager.graphql(DAILY, { from: "2025-05-01", to: "2025-05-03" });
    expect(all.data.dailySales.map((r: any) => [r.businessDate, r.locationId, r.orderCount, r.netSales, r.avgOrderValue])).toEqual([
      ["2025-05-01", null, "2", "1400", "700"],
      ["2025-05-02", null, "2", "1500", "750"],
      ["2025-05-03", null, "0", "0", "0"],
    ]);
  });

  it("errors come back coded; another tenant's location is not found; a cashier lacks reports.view", async () => {
    const bad = await asManager.graphql(DAILY, { from: "2025-05-03", to: "2025-05-01" });
    expect(bad.errors?.[0].extensions?.code).toBe("BADIN");
    const foreign = await asManager.graphql(DAILY, { from: "2025-05-01", to: "2025-05-02", location: other.locationId });
    expect(foreign.errors?.[0].extensions?.code).toBe("NOTFD");
    const cashier = await asCashier.graphql(DAILY, { from: "2025-05-01", to: "2025-05-02" });
    expect(cashier.errors?.[0]).toMatchObject({ extensions: { code: "DNIED" } });
    const anonymous = await server.client().graphql(DAILY, { from: "2025-05-01", to: "2025-05-02" });
    expect(anonymous.errors?.[0].extensions?.code).toBe("LOGIN");
  });
});

describe("itemSales, inventorySummary, dashboardMetrics", () => {
  it("ranks items by quantity or revenue", async () => {
    const q = `query($by: ItemSalesOrder) { itemSales(fromDate: "2025-05-01", toDate: "2025-05-02", orderBy: $by) { catalogItemName quantitySold netRevenue avgUnitPrice } }`;
    expect((await asManager.graphql(q, { by: "quantity" })).data.itemSales).toEqual([
      { catalogItemName: "Tea", quantitySold: "7", netRevenue: "1400", avgUnitPrice: "200" },
      { catalogItemName: "Cake", quantitySold: "3", netRevenue: "1500", avgUnitPrice: "500" },
    ]);
    expect((await asManager.graphql(q, { by: "revenue" })).data.itemSales.map((r: any) => r.catalogItemName)).toEqual(["Cake", "Tea"]);
  });

  it("inventory summary and the dashboard", async () => {
    const res = await asManager.graphql(`{
      inventorySummary(lowOnly: false) { locationName itemName onHand lowStockThreshold isBelowThreshold }
      dashboardMetrics {
        salesToday ordersToday lowStockCount activeCustomers30D averageToday salesWeekAgo ordersWeekAgo averageWeekAgo
        salesChangePercent ordersChangePercent averageChangePercent currency
      }
    }`);
    expect(res.errors).toBeUndefined();
    expect(res.data.inventorySummary).toEqual([
      { locationName: "Main store", itemName: "CAKE stock", onHand: 2, lowStockThreshold: 2, isBelowThreshold: true },
      { locationName: "Shop 2 (America/New_York)", itemName: "CAKE stock", onHand: 0, lowStockThreshold: 2, isBelowThreshold: true },
    ]);
    // Today has no sale and one refund (the cake order voided in the set-up): net sales −10.00.
    // Nothing on the same weekday a week ago: no change in percent.
    expect(res.data.dashboardMetrics).toEqual({
      salesToday: "-1000", ordersToday: "0", lowStockCount: 2, activeCustomers30D: 0, averageToday: "0", salesWeekAgo: "0",
      ordersWeekAgo: "0", averageWeekAgo: "0", salesChangePercent: null, ordersChangePercent: null, averageChangePercent: null,
      currency: "USD",
    });
  });
});

describe("the read models in GraphQL", () => {
  it("can be filtered by location and summed with pg-aggregates", async () => {
    const [, ny] = shop.locations;
    const today = (await db.owner.query("select app_hidden.business_date(now(), 'America/New_York')::text as d")).rows[0].d;
    const res = await asManager.graphql(
      `query($loc: String!) {
        rmDailySales(condition: { locationId: $loc }, orderBy: BUSINESS_DATE_ASC) {
          nodes { businessDate orderCount netSales location { name } }
          aggregates { sum { netSales orderCount refundTotal } }
        }
        all: rmDailySales { groupedAggregates(groupBy: LOCATION_ID) { keys sum { netSales } } }
      }`,
      { loc: ny },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.rmDailySales.nodes).toEqual([
      { businessDate: "2025-05-01", orderCount: 1, netSales: "1000", location: { name: "Shop 2 (America/New_York)" } },
      { businessDate: "2025-05-02", orderCount: 1, netSales: "1000", location: { name: "Shop 2 (America/New_York)" } },
      { businessDate: today, orderCount: 0, netSales: "-1000", location: { name: "Shop 2 (America/New_York)" } },
    ]);
    expect(res.data.rmDailySales.aggregates.sum).toEqual({ netSales: "1000", orderCount: "2", refundTotal: "1000" });
    const grouped = Object.fromEntries(res.data.all.groupedAggregates.map((g: any) => [g.keys[0], g.sum.netSales]));
    expect(grouped).toEqual({ [shop.locations[0]]: "900", [ny]: "1000" });
  });

  it("are read-only, show nothing without reports.view, and nothing of another tenant", async () => {
    const { data } = await asManager.graphql(`{ __schema { mutationType { fields { name } } } }`);
    const mutations: string[] = data.__schema.mutationType.fields.map((f: { name: string }) => f.name);
    expect(mutations.filter((m) => /Rm[A-Z]|(create|update|delete)Export/.test(m))).toEqual([]);
    expect(mutations).toEqual(expect.arrayContaining(["requestExport", "createAnalystLogin", "dropAnalystLogin"]));
    const q = `{ rmDailySales { totalCount } rmItemSales { totalCount } rmInventoryOnHands { totalCount } }`;
    expect((await asCashier.graphql(q)).data).toEqual({ rmDailySales: { totalCount: 0 }, rmItemSales: { totalCount: 0 }, rmInventoryOnHands: { totalCount: 0 } });
    expect((await asOther.graphql(q)).data.rmDailySales.totalCount).toBe(1);
    // Paris 05-01 and 05-02, New York 05-01, 05-02 and today (the refund of the voided order).
    expect((await asManager.graphql(q)).data.rmDailySales.totalCount).toBe(5);
  });
});
