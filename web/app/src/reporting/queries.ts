// GraphQL operations of the Reports module and the dashboard (db/REPORTING.md). Money arrives
// as BigInt strings in cents; `cents()` turns it into a number for display and charts.
import { gql } from "urql";
import type { LoyaltyClass } from "../customers/queries.ts";

type Big = string | number;

export interface DailySalesRow {
  businessDate: string;
  orderCount: Big;
  grossSales: Big;
  discountTotal: Big;
  refundCount: Big;
  refundTotal: Big;
  netSales: Big;
  taxTotal: Big;
  totalCollected: Big;
  tenderCash: Big;
  tenderCard: Big;
  avgOrderValue: Big;
}

export interface ItemSalesRow {
  catalogItemId: string;
  catalogItemName: string;
  quantitySold: Big;
  netRevenue: Big;
  avgUnitPrice: Big;
}

export interface InventoryRow {
  locationId: string;
  locationName: string;
  inventoryItemId: string;
  itemName: string;
  onHand: number;
  lowStockThreshold: number;
  isBelowThreshold: boolean;
}

export interface DashboardMetrics {
  salesToday: Big;
  ordersToday: Big;
  lowStockCount: number;
  activeCustomers30D: number;
}

export type ExportKind = "daily_sales" | "item_sales" | "inventory" | "customers";
export type ItemOrder = "quantity" | "revenue";

export interface ExportRow {
  rowId: string;
  status: string;
  rowsTotal: Big | null;
  rowsWritten: Big;
  downloadUrl: string | null;
  fileName: string;
  errorMessage: string | null;
}

export const DashboardMetricsQuery = gql<{ dashboardMetrics: DashboardMetrics | null }>`
  query DashboardMetrics {
    dashboardMetrics {
      salesToday
      ordersToday
      lowStockCount
      activeCustomers30D
    }
  }
`;

export const DailySalesQuery = gql<
  { dailySales: DailySalesRow[] | null },
  { from: string; to: string; location: string | null }
>`
  query DailySales($from: Date!, $to: Date!, $location: String) {
    dailySales(fromDate: $from, toDate: $to, locationId: $location) {
      businessDate
      orderCount
      grossSales
      discountTotal
      refundCount
      refundTotal
      netSales
      taxTotal
      totalCollected
      tenderCash
      tenderCard
      avgOrderValue
    }
  }
`;

export const ItemSalesQuery = gql<
  { itemSales: ItemSalesRow[] | null },
  { from: string; to: string; location: string | null; orderBy: ItemOrder }
>`
  query ItemSales($from: Date!, $to: Date!, $location: String, $orderBy: ItemSalesOrder) {
    itemSales(fromDate: $from, toDate: $to, locationId: $location, orderBy: $orderBy) {
      catalogItemId
      catalogItemName
      quantitySold
      netRevenue
      avgUnitPrice
    }
  }
`;

export const InventorySummaryQuery = gql<
  { inventorySummary: InventoryRow[] | null },
  { location: string | null; lowOnly: boolean }
>`
  query InventorySummary($location: String, $lowOnly: Boolean) {
    inventorySummary(locationId: $location, lowOnly: $lowOnly) {
      locationId
      locationName
      inventoryItemId
      itemName
      onHand
      lowStockThreshold
      isBelowThreshold
    }
  }
`;

const EXPORT_FIELDS = "rowId status rowsTotal rowsWritten downloadUrl fileName errorMessage";

export const RequestExportMutation = gql<
  { requestExport: { export: ExportRow | null } | null },
  { kind: ExportKind; params: Record<string, unknown> }
>(`
  mutation RequestExport($kind: ExportKind!, $params: JSON) {
    requestExport(input: { kind: $kind, params: $params }) {
      export { ${EXPORT_FIELDS} }
    }
  }
`);

export const ExportQuery = gql<{ exportByRowId: ExportRow | null }, { id: string }>(`
  query ExportProgress($id: String!) {
    exportByRowId(rowId: $id) { ${EXPORT_FIELDS} }
  }
`);

/** A BigInt string (or number) of cents → a number (exact up to 2^53 cents). */
export function cents(value: Big | null | undefined): number {
  if (value == null) return 0;
  return typeof value === "number" ? value : Number(value);
}

// ── Customers tab ───────────────────────────────────────────────────────────────────────────

export type { LoyaltyClass };

export interface CustomerLoyaltyDayRow {
  businessDate: string;
  /** Distinct customers with a standing order that day. */
  customers: number;
  /** Those whose first order ever was that day. */
  newCustomers: number;
  /** Those with an order on an earlier day. */
  returningCustomers: number;
  /** BigFloat (a string): returning / customers, 0 to 1. */
  repeatRate: Big;
}

export interface CustomerClassRow {
  /** Null: customers with no visit yet. */
  loyaltyClass: LoyaltyClass | null;
  customers: number;
}

export const CustomerLoyaltyDaysQuery = gql<
  { customerLoyaltyDays: CustomerLoyaltyDayRow[] | null },
  { from: string; to: string; location: string | null }
>`
  query CustomerLoyaltyDays($from: Date!, $to: Date!, $location: String) {
    customerLoyaltyDays(fromDate: $from, toDate: $to, locationId: $location) {
      businessDate
      customers
      newCustomers
      returningCustomers
      repeatRate
    }
  }
`;

export const CustomerClassCountsQuery = gql<{ customerClassCounts: CustomerClassRow[] | null }>`
  query CustomerClassCounts {
    customerClassCounts {
      loyaltyClass
      customers
    }
  }
`;

export interface DrawerReportRow {
  id: string;
  rowId: string;
  businessDate: string;
  openedAt: string;
  closedAt: string | null;
  openingFloat: number;
  cashPayments: number;
  cashRefunds: number;
  cashIn: number;
  cashOut: number;
  expectedNow: number;
  expected: number | null;
  counted: number | null;
  difference: number | null;
  note: string | null;
  location: { name: string; timezone: string } | null;
  openedBy: { name: string } | null;
  closedBy: { name: string } | null;
}

interface DrawerFilter {
  businessDate: { greaterThanOrEqualTo: string; lessThanOrEqualTo: string };
  locationId?: { equalTo: string };
}

/** What DrawerReportQuery filters on: the period's business dates, and one location unless all. */
export function drawerFilter(from: string, to: string, location: string | null): DrawerFilter {
  return { businessDate: { greaterThanOrEqualTo: from, lessThanOrEqualTo: to }, ...(location ? { locationId: { equalTo: location } } : {}) };
}

/** The cash drawers opened in a period (by business date), at one location or all, newest first. */
export const DrawerReportQuery = gql<{ cashDrawers: { nodes: DrawerReportRow[] } | null }, { filter: DrawerFilter }>`
  query ReportsDrawers($filter: CashDrawerFilter!) {
    cashDrawers(
      filter: $filter
      orderBy: [BUSINESS_DATE_DESC, OPENED_AT_DESC]
      first: 500
    ) {
      nodes {
        id
        rowId
        businessDate
        openedAt
        closedAt
        openingFloat
        cashPayments
        cashRefunds
        cashIn
        cashOut
        expectedNow
        expected
        counted
        difference
        note
        location { name timezone }
        openedBy { name }
        closedBy { name }
      }
    }
  }
`;

// ── Plan modules (which tabs the plan includes) ─────────────────────────────────────────────

export interface PlanModules {
  id: string;
  key: string;
  name: string;
  position: number;
  priceCents: number;
  /** The plan's modules (entitlements), as app_hidden.has_module reads them. */
  modules: (string | null)[];
}

const PLAN_MODULE_FIELDS = "id key name position priceCents modules";

/** The modules of the business's plan (every member may read them) and every plan with theirs. */
export const PlanModulesQuery = gql<{
  currentPlanModules: (string | null)[] | null;
  plans: { nodes: PlanModules[] } | null;
}>(`
  query ReportPlanModules {
    currentPlanModules
    plans { nodes { ${PLAN_MODULE_FIELDS} } }
  }
`);
