// The home page's own GraphQL: what the reporting queries (reporting/queries.ts, reused as they
// are) do not already ask. Money arrives in the business's minor units.
import { graphql, type ResultOf } from "../graphql.ts";

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
