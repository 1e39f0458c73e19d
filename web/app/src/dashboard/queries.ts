// The home page's own GraphQL: what the reporting queries (reporting/queries.ts, reused as they
// are) do not already ask. Money arrives in the business's minor units.
import { graphql, type ResultOf } from "../graphql.ts";

/**
 * The home page's figures, computed by the database (reporting.dashboard_metrics, db/REPORTING.md):
 * today's net sales, sales and average sale with the same weekday a week ago and the change in
 * percent (null when a week ago had nothing), each location on its own clock; low stock; customers
 * active in 30 days. One document for every card that shows them, so the page asks once.
 */
export const DashboardMetricsQuery = graphql(`
  query DashboardMetrics {
    dashboardMetrics {
      salesToday
      ordersToday
      averageToday
      salesWeekAgo
      ordersWeekAgo
      averageWeekAgo
      salesChangePercent
      ordersChangePercent
      averageChangePercent
      currency
      lowStockCount
      activeCustomers30D
    }
  }
`);

export type DashboardMetrics = NonNullable<ResultOf<typeof DashboardMetricsQuery>["dashboardMetrics"]>;

/** The best sellers of one day by net revenue, at most five. */
export const TopItemsQuery = graphql(`
  query DashboardTopItems($date: Date!) {
    itemSales(fromDate: $date, toDate: $date, orderBy: revenue, first: 5) {
      catalogItemId
      catalogItemName
      quantitySold
      netRevenue
      avgUnitPrice
    }
  }
`);

/** The last five sales (orders that became sales: open and cancelled ones have no placedAt), newest first. */
export const RecentSalesQuery = graphql(`
  query DashboardRecentSales {
    orders(filter: { placedAt: { isNull: false } }, orderBy: [PLACED_AT_DESC], first: 5) {
      nodes {
        id
        rowId
        status
        total
        refundedTotal
        placedAt
        location {
          name
        }
      }
    }
  }
`);

export type RecentSale = NonNullable<ResultOf<typeof RecentSalesQuery>["orders"]>["nodes"][number];
