// The Sales tab's figures for a period, added up from its days the way the server adds them
// (db/REPORTING.md): sums of the day rows, and the average sale recomputed from the sums.
import { cents, type DailySalesRow } from "./queries.ts";

export interface SalesTotals {
  gross: number;
  discounts: number;
  refunds: number;
  refunded: number;
  net: number;
  tax: number;
  collected: number;
  cash: number;
  card: number;
  orders: number;
  average: number;
}

export function salesTotals(rows: readonly DailySalesRow[]): SalesTotals {
  const sum = (pick: (r: DailySalesRow) => DailySalesRow[keyof DailySalesRow]) => rows.reduce((s, r) => s + cents(pick(r)), 0);
  const net = sum((r) => r.netSales);
  const orders = sum((r) => r.orderCount);
  return {
    gross: sum((r) => r.grossSales),
    discounts: sum((r) => r.discountTotal),
    refunds: sum((r) => r.refundCount),
    refunded: sum((r) => r.refundTotal),
    net,
    tax: sum((r) => r.taxTotal),
    collected: sum((r) => r.totalCollected),
    cash: sum((r) => r.tenderCash),
    card: sum((r) => r.tenderCard),
    orders,
    // Same rule as the server: net sales / sales, rounded half up, 0 without sales.
    average: orders ? Math.round(net / orders) : 0,
  };
}
