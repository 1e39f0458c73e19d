// GraphQL operations of the POS module. Money is integer cents everywhere; every total comes from
// the database (quoteOrder before the sale, the order row after it), never from arithmetic here.
import { graphql, type NonNullFields, type ResultOf } from "../graphql.ts";

export const PosLocationsQuery = graphql(`
  query PosLocations {
    locations(orderBy: NAME_ASC) {
      nodes {
        id
        rowId
        name
        timezone
        closedAt
      }
    }
  }
`);

/** Items for the grid, searched by name or SKU in the database. */
export const PosCatalogQuery = graphql(`
  query PosCatalog($first: Int!, $filter: CatalogItemFilter) {
    catalogItems(first: $first, filter: $filter, orderBy: [NAME_ASC, SKU_ASC]) {
      totalCount
      pageInfo {
        hasNextPage
      }
      nodes {
        id
        rowId
        name
        sku
        price
        active
      }
    }
  }
`);

export const CreateCatalogItemMutation = graphql(`
  mutation PosCreateCatalogItem($name: String!, $sku: String!, $price: Int!) {
    createCatalogItem(input: { catalogItem: { name: $name, sku: $sku, price: $price } }) {
      catalogItem {
        id
        rowId
        name
        sku
        price
        active
      }
    }
  }
`);

/** A cart line as the database takes it (quoteOrder, placeOrder). */
export interface LineInput {
  catalog_item_id: string;
  quantity: number;
  discount?: number;
}

/** One priced line of a quote (snake_case: it is the JSON the database built). */
export interface QuotedLine {
  line_no: number;
  catalog_item_id: string;
  sku: string;
  name: string;
  unit_price: number;
  quantity: number;
  subtotal: number;
  line_discount: number;
  order_discount_share: number;
  net_total: number;
  tax: number;
  total: number;
}

export const QuoteOrderQuery = graphql(`
  query PosQuoteOrder($lines: JSON!, $discount: Int!, $locationId: String!, $customerId: String, $loyaltyRewardId: String) {
    quoteOrder(lines: $lines, discount: $discount, locationId: $locationId, customerId: $customerId, loyaltyRewardId: $loyaltyRewardId) {
      subtotal
      discountTotal
      taxRateBps
      taxName
      taxInclusive
      taxTotal
      total
      lines
      tierName
      tierDiscountBps
      tierDiscount
    }
  }
`);

export const OrderSummaryFields = graphql(`
  fragment OrderSummaryFields on Order {
    id
    rowId
    status
    total
    paidTotal
    amountDue
    placedAt
    voidedAt
    voidReason
    payments: tenders { nodes { type appliedAmount } }
    refundTenders { nodes { type amount orderRefundId } }
  }
`);

/** Amounts added up per tender type, cash first: [["cash", 460], ["card", 200]]. */
export function byTenderType(entries: { type: string; amount: number }[]): [string, number][] {
  const sums = new Map<string, number>();
  for (const e of entries) sums.set(e.type, (sums.get(e.type) ?? 0) + e.amount);
  return [...sums.entries()].filter(([, amount]) => amount > 0).sort(([a], [b]) => (a === "cash" ? -1 : b === "cash" ? 1 : a.localeCompare(b)));
}

export const PlaceOrderMutation = graphql(`
  mutation PosPlaceOrder($locationId: String!, $lines: JSON!, $discount: Int!, $customerId: String, $loyaltyRewardId: String) {
    placeOrder(input: { locationId: $locationId, lines: $lines, discount: $discount, customerId: $customerId, loyaltyRewardId: $loyaltyRewardId }) {
      order {
        ...OrderSummaryFields
      }
    }
  }
`, [OrderSummaryFields]);

export const RecordTenderMutation = graphql(`
  mutation PosRecordTender($orderId: String!, $type: String!, $amount: Int!) {
    recordTender(input: { orderId: $orderId, type: $type, amount: $amount }) {
      tender {
        id
        rowId
        type
        amount
        changeGiven
        appliedAmount
        order {
          ...OrderSummaryFields
        }
      }
    }
  }
`, [OrderSummaryFields]);

/**
 * The account of the customer the order is for, as the till reads it (with sales.sell): what it
 * may still charge (`accountAvailableCredit`, null unless the customer has an active account), the
 * customer's account status and the account's number (null without an account).
 */
export const OrderCustomerAccountQuery = graphql(`
  query PosOrderCustomerAccount($id: ID!) {
    orderById(id: $id) {
      id
      customer {
        id
        rowId
        displayName
        accountStatus
        accountAvailableCredit
        accountNumber
      }
    }
  }
`);

export const VoidOrderMutation = graphql(`
  mutation PosVoidOrder($orderId: String!, $reason: String!) {
    voidOrder(input: { orderId: $orderId, reason: $reason }) {
      order {
        ...OrderSummaryFields
      }
    }
  }
`, [OrderSummaryFields]);

export const CancelOrderMutation = graphql(`
  mutation PosCancelOrder($orderId: String!, $reason: String!) {
    cancelOrder(input: { orderId: $orderId, reason: $reason }) {
      order {
        ...OrderSummaryFields
      }
    }
  }
`, [OrderSummaryFields]);

/** The orders of a location not paid in full yet (not sales), newest first: to resume or cancel. */
export const OpenOrdersQuery = graphql(`
  query PosOpenOrders($locationId: String!) {
    openOrdersList(locationId: $locationId, first: 50) {
      ...OrderSummaryFields
      createdAt
      lines(orderBy: LINE_NO_ASC) {
        nodes {
          id
          name
          quantity
        }
      }
    }
  }
`, [OrderSummaryFields]);

/** The orders of one location on one business date, newest first. */
export const RecentOrdersQuery = graphql(`
  query PosRecentOrders($locationId: String!, $businessDate: Date!) {
    orders(condition: { locationId: $locationId, businessDate: $businessDate }, orderBy: PLACED_AT_DESC, first: 25) {
      totalCount
      nodes {
        ...OrderSummaryFields
        lines(orderBy: LINE_NO_ASC) {
          nodes {
            id
            name
            quantity
          }
        }
        refundedTotal
        refunds(orderBy: PRIMARY_KEY_ASC) {
          totalCount
          nodes {
            id
            reason
          }
        }
        refundableLinesList {
          orderLineId
          refundable
        }
      }
    }
  }
`, [OrderSummaryFields]);

export const RefundableLinesQuery = graphql(`
  query PosRefundableLines($id: ID!) {
    orderById(id: $id) {
      id
      rowId
      status
      payments: tenders { nodes { type } }
      refundableLinesList {
        orderLineId
        lineNo
        name
        unitPrice
        quantity
        refunded
        refundable
        total
      }
    }
  }
`);

/** A refund line as the database takes it (refundOrderLines). */
export interface RefundLineInput {
  order_line_id: string;
  quantity: number;
}

export const RefundOrderLinesMutation = graphql(`
  mutation PosRefundOrderLines($orderId: String!, $lines: JSON!, $reason: String!) {
    refundOrderLines(input: { orderId: $orderId, lines: $lines, reason: $reason }) {
      refund {
        id
        rowId
        reason
        total
        order {
          ...OrderSummaryFields
          refundedTotal
        }
      }
    }
  }
`, [OrderSummaryFields]);

/** Everything a receipt shows, as the database stored it. */
export const OrderReceiptQuery = graphql(`
  query PosOrderReceipt($id: ID!) {
    orderById(id: $id) {
      ...OrderSummaryFields
      subtotal
      discountTotal
      orderDiscount
      tierName
      tierDiscountBps
      tierDiscount
      taxRateBps
      taxName
      taxInclusive
      taxTotal
      businessDate
      customerId
      customer {
        id
        accountNumber
      }
      location {
        id
        rowId
        name
        timezone
      }
      tenant {
        id
        receiptAddress
        receiptFooter
      }
      placedBy {
        id
        name
      }
      lines(orderBy: LINE_NO_ASC) {
        nodes {
          id
          lineNo
          name
          sku
          unitPrice
          quantity
          subtotal
          lineDiscount
          orderDiscountShare
          tax
          total
        }
      }
      tenders(orderBy: PRIMARY_KEY_ASC) {
        nodes {
          id
          type
          amount
          changeGiven
          createdAt
        }
      }
      refunds(orderBy: PRIMARY_KEY_ASC) {
        nodes {
          id
          rowId
          reason
          total
        }
      }
    }
  }
`, [OrderSummaryFields]);

export const CashDrawerFields = graphql(`
  fragment CashDrawerFields on CashDrawer {
    id
    rowId
    businessDate
    openingFloat
    openedAt
    openedBy { id name }
    cashPayments
    cashRefunds
    cashIn
    cashOut
    expectedNow
    closedAt
    expected
    counted
    difference
    note
  }
`);

/** The open cash drawer of a location, or null. */
export const OpenCashDrawerQuery = graphql(`
  query PosOpenCashDrawer($locationId: String!) {
    openCashDrawerAt(locationId: $locationId) {
      ...CashDrawerFields
    }
  }
`, [CashDrawerFields]);

export const OpenCashDrawerMutation = graphql(`
  mutation PosOpenCashDrawer($locationId: String!, $openingFloat: Int!) {
    openCashDrawer(input: { locationId: $locationId, openingFloat: $openingFloat }) {
      cashDrawer {
        ...CashDrawerFields
      }
    }
  }
`, [CashDrawerFields]);

export const RecordCashDrawerEntryMutation = graphql(`
  mutation PosRecordCashDrawerEntry($cashDrawerId: String!, $kind: String!, $amount: Int!, $reason: String!) {
    recordCashDrawerEntry(input: { cashDrawerId: $cashDrawerId, kind: $kind, amount: $amount, reason: $reason }) {
      entry {
        id
        cashDrawer {
          ...CashDrawerFields
        }
      }
    }
  }
`, [CashDrawerFields]);

export const CloseCashDrawerMutation = graphql(`
  mutation PosCloseCashDrawer($cashDrawerId: String!, $counted: Int!, $note: String) {
    closeCashDrawer(input: { cashDrawerId: $cashDrawerId, counted: $counted, note: $note }) {
      cashDrawer {
        ...CashDrawerFields
      }
    }
  }
`, [CashDrawerFields]);

// ── Types, from the documents ───────────────────────────────────────────────────────────────

export type PosLocation = NonNullable<ResultOf<typeof PosLocationsQuery>["locations"]>["nodes"][number];
export type CatalogItem = NonNullable<ResultOf<typeof PosCatalogQuery>["catalogItems"]>["nodes"][number];
/** A quote; its `lines` are the JSON the database built (QuotedLine). */
export type OrderQuote = Omit<NonNullable<ResultOf<typeof QuoteOrderQuery>["quoteOrder"]>, "lines"> & { lines: QuotedLine[] | null };
/**
 * An order as the till shows it: `payments` went towards it, per payment (the tenders, under
 * another name: a receipt asks for more of them); `refundTenders` is money handed back, per
 * tender: by a void or a cancel (orderRefundId null) or by a refund of lines.
 */
export type OrderSummary = ResultOf<typeof OrderSummaryFields>;
/** The order's customer and their account as the payment dialog reads them; null for a walk-in. */
export type OrderCustomerAccount = NonNullable<NonNullable<ResultOf<typeof OrderCustomerAccountQuery>["orderById"]>["customer"]>;
export type TenderResult = NonNullable<NonNullable<ResultOf<typeof RecordTenderMutation>["recordTender"]>["tender"]>;
export type OpenOrder = NonNullable<ResultOf<typeof OpenOrdersQuery>["openOrdersList"]>[number];
/** `refundedTotal`: what refunds of some of its lines took back so far; `refundableLinesList`: units of each line not refunded yet. */
type RecentOrderNode = NonNullable<ResultOf<typeof RecentOrdersQuery>["orders"]>["nodes"][number];
export type RecentOrder = Omit<RecentOrderNode, "refundableLinesList"> & {
  refundableLinesList: NonNullFields<RecentOrderNode["refundableLinesList"][number]>[];
};
/** One line of a sale as a refund sees it: units sold, already refunded, and still refundable. */
export type RefundableLine = NonNullFields<NonNullable<ResultOf<typeof RefundableLinesQuery>["orderById"]>["refundableLinesList"][number]>;
/** `order` is the sale after the refund: its refundTenders include what this refund handed back (orderRefundId). */
export type OrderRefund = NonNullable<NonNullable<ResultOf<typeof RefundOrderLinesMutation>["refundOrderLines"]>["refund"]>;
/** Everything a receipt shows; `tenant` holds what the business prints on every receipt (Settings → Receipt). */
export type ReceiptOrder = NonNullable<ResultOf<typeof OrderReceiptQuery>["orderById"]>;
export type CashDrawer = ResultOf<typeof CashDrawerFields>;
