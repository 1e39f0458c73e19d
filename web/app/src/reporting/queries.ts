// GraphQL operations of the Reports module, some also read by the dashboard (db/REPORTING.md). Money arrives
// as BigInt strings in cents; `cents()` turns it into a number for display and charts.
import { graphql, type ResultOf, type VariablesOf } from "../graphql.ts";
import type { LoyaltyClass } from "../customers/queries.ts";

type Big = string | number;

export type ExportKind = "daily_sales" | "item_sales" | "inventory" | "customers";
export type ItemOrder = "quantity" | "revenue";

export const DailySalesQuery = graphql(`
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
`);

export const ItemSalesQuery = graphql(`
  query ItemSales($from: Date!, $to: Date!, $location: String, $orderBy: ItemSalesOrder) {
    itemSales(fromDate: $from, toDate: $to, locationId: $location, orderBy: $orderBy) {
      catalogItemId
      catalogItemName
      quantitySold
      netRevenue
      avgUnitPrice
    }
  }
`);

export const InventorySummaryQuery = graphql(`
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
`);

export const ExportFields = graphql(`
  fragment ExportFields on Export {
    rowId
    status
    rowsTotal
    rowsWritten
    downloadUrl
    fileName
    errorMessage
  }
`);

export const RequestExportMutation = graphql(`
  mutation RequestExport($kind: ExportKind!, $params: JSON) {
    requestExport(input: { kind: $kind, params: $params }) {
      export {
        ...ExportFields
      }
    }
  }
`, [ExportFields]);

export const ExportQuery = graphql(`
  query ExportProgress($id: String!) {
    exportByRowId(rowId: $id) {
      ...ExportFields
    }
  }
`, [ExportFields]);

/** A BigInt string (or number) of cents → a number (exact up to 2^53 cents). */
export function cents(value: Big | null | undefined): number {
  if (value == null) return 0;
  return typeof value === "number" ? value : Number(value);
}

// ── Customers tab ───────────────────────────────────────────────────────────────────────────

export type { LoyaltyClass };

export const CustomerLoyaltyDaysQuery = graphql(`
  query CustomerLoyaltyDays($from: Date!, $to: Date!, $location: String) {
    customerLoyaltyDays(fromDate: $from, toDate: $to, locationId: $location) {
      businessDate
      customers
      newCustomers
      returningCustomers
      repeatRate
    }
  }
`);

export const CustomerClassCountsQuery = graphql(`
  query CustomerClassCounts {
    customerClassCounts {
      loyaltyClass
      customers
    }
  }
`);

type DrawerFilter = VariablesOf<typeof DrawerReportQuery>["filter"];

/** What DrawerReportQuery filters on: the period's business dates, and one location unless all. */
export function drawerFilter(from: string, to: string, location: string | null): DrawerFilter {
  return { businessDate: { greaterThanOrEqualTo: from, lessThanOrEqualTo: to }, ...(location ? { locationId: { equalTo: location } } : {}) };
}

/** The cash drawers opened in a period (by business date), at one location or all, newest first. */
export const DrawerReportQuery = graphql(`
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
`);

// ── Accounts receivable tab ─────────────────────────────────────────────────────────────────

/**
 * What each customer account owes, by how long past its due date it is on `asOf` (accounts.view;
 * today on the business's clock when null): not due yet (`current`: invoices before their due
 * date and sales not invoiced yet, less credit not yet allocated), 1–30, 31–60, 61–90 and more
 * than 90 days past due, and `total`, the account's balance. Accounts that owe nothing are left
 * out; the largest total first. BigInt strings in minor units of the business's currency.
 */
export const ReceivablesAgingQuery = graphql(`
  query ReceivablesAging($asOf: Date) {
    receivablesAging(asOf: $asOf, first: 1000) {
      totalCount
      nodes {
        customerId
        accountNumber
        customerName
        current
        days1To30
        days31To60
        days61To90
        days90Plus
        total
      }
    }
    receivablesAgingTotals(asOf: $asOf) {
      current
      days1To30
      days31To60
      days61To90
      days90Plus
      total
    }
  }
`);

// ── Plan modules (which tabs the plan includes) ─────────────────────────────────────────────

export const PlanModuleFields = graphql(`
  fragment PlanModuleFields on Plan {
    id
    key
    name
    position
    priceCents
    modules
  }
`);

/** The modules of the business's plan (every member may read them) and every plan with theirs. */
export const PlanModulesQuery = graphql(`
  query ReportPlanModules {
    currentPlanModules
    plans {
      nodes {
        ...PlanModuleFields
      }
    }
  }
`, [PlanModuleFields]);

// ── Types of the rows, from the documents ───────────────────────────────────────────────────

export type DailySalesRow = NonNullable<ResultOf<typeof DailySalesQuery>["dailySales"]>[number];
export type ItemSalesRow = NonNullable<ResultOf<typeof ItemSalesQuery>["itemSales"]>[number];
export type InventoryRow = NonNullable<ResultOf<typeof InventorySummaryQuery>["inventorySummary"]>[number];
export type ExportRow = ResultOf<typeof ExportFields>;
/**
 * A day of customers: `customers` distinct customers with a standing order that day,
 * `newCustomers` those whose first order ever was that day, `returningCustomers` those with an
 * order on an earlier day, `repeatRate` (BigFloat, a string) returning / customers, 0 to 1.
 */
export type CustomerLoyaltyDayRow = NonNullable<ResultOf<typeof CustomerLoyaltyDaysQuery>["customerLoyaltyDays"]>[number];
/** `loyaltyClass` null: customers with no visit yet. */
export type CustomerClassRow = NonNullable<ResultOf<typeof CustomerClassCountsQuery>["customerClassCounts"]>[number];
export type DrawerReportRow = NonNullable<ResultOf<typeof DrawerReportQuery>["cashDrawers"]>["nodes"][number];
/** An account's row of the aged receivables (every amount a BigInt string). */
export type ReceivablesAgingRow = NonNullable<ResultOf<typeof ReceivablesAgingQuery>["receivablesAging"]>["nodes"][number];
/** A plan with its modules (entitlements), as app_hidden.has_module reads them. */
export type PlanModules = ResultOf<typeof PlanModuleFields>;
