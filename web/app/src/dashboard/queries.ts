// The home page's own GraphQL: what the reporting queries (reporting/queries.ts, reused as they
// are) do not already ask. Money arrives in the business's minor units.
import { gql } from "urql";
import type { ItemSalesRow } from "../reporting/queries.ts";

/** The best sellers of one day by net revenue, at most five. */
export const TopItemsQuery = gql<{ itemSales: ItemSalesRow[] | null }, { date: string }>`
  query DashboardTopItems($date: Date!) {
    itemSales(fromDate: $date, toDate: $date, orderBy: revenue, first: 5) {
      catalogItemId
      catalogItemName
      quantitySold
      netRevenue
      avgUnitPrice
    }
  }
`;

export interface RecentSale {
  id: string;
  rowId: string;
  status: string;
  total: number;
  refundedTotal: number;
  placedAt: string;
  location: { name: string } | null;
}

/** The last five sales (orders that became sales: open and cancelled ones have no placedAt), newest first. */
export const RecentSalesQuery = gql<{ orders: { nodes: RecentSale[] } | null }>`
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
`;
