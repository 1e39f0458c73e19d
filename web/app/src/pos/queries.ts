// GraphQL operations of the POS module. Money is integer cents everywhere; every total comes from
// the database (quoteOrder before the sale, the order row after it), never from arithmetic here.
import { gql } from "urql";

export interface PosLocation {
  id: string;
  rowId: string;
  name: string;
  timezone: string;
  /** Closed locations sell nothing: the till's picker leaves them out (asked by PosLocationsQuery only). */
  closedAt?: string | null;
}

export const PosLocationsQuery = gql<{ locations: { nodes: PosLocation[] } | null }>`
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
`;

export interface CatalogItem {
  id: string;
  rowId: string;
  name: string;
  sku: string;
  price: number;
  active: boolean;
}

/** Items for the grid, searched by name or SKU in the database. */
export const PosCatalogQuery = gql<
  { catalogItems: { totalCount: number; pageInfo: { hasNextPage: boolean }; nodes: CatalogItem[] } | null },
  { first: number; filter?: Record<string, unknown> }
>`
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
`;

export const CreateCatalogItemMutation = gql<
  { createCatalogItem: { catalogItem: CatalogItem | null } | null },
  { name: string; sku: string; price: number }
>`
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
`;

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

export interface OrderQuote {
  subtotal: number | null;
  discountTotal: number | null;
  taxRateBps: number | null;
  taxTotal: number | null;
  total: number | null;
  lines: QuotedLine[] | null;
}

export const QuoteOrderQuery = gql<{ quoteOrder: OrderQuote | null }, { lines: LineInput[]; discount: number }>`
  query PosQuoteOrder($lines: JSON!, $discount: Int!) {
    quoteOrder(lines: $lines, discount: $discount) {
      subtotal
      discountTotal
      taxRateBps
      taxTotal
      total
      lines
    }
  }
`;

export interface OrderSummary {
  id: string;
  rowId: string;
  status: string;
  total: number;
  paidTotal: number;
  amountDue: number;
  placedAt: string | null;
  voidedAt: string | null;
  voidReason: string | null;
  /** What went towards the order, per payment (the tenders, under another name: a receipt asks for more of them). */
  payments: { nodes: { type: string; appliedAmount: number }[] };
  /** Money handed back, per tender: by a void or a cancel (orderRefundId null) or by a refund of lines. */
  refundTenders: { nodes: { type: string; amount: number; orderRefundId: string | null }[] };
}

const ORDER_SUMMARY = `
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
`;

/** Amounts added up per tender type, cash first: [["cash", 460], ["card", 200]]. */
export function byTenderType(entries: { type: string; amount: number }[]): [string, number][] {
  const sums = new Map<string, number>();
  for (const e of entries) sums.set(e.type, (sums.get(e.type) ?? 0) + e.amount);
  return [...sums.entries()].filter(([, amount]) => amount > 0).sort(([a], [b]) => (a === "cash" ? -1 : b === "cash" ? 1 : a.localeCompare(b)));
}

export const PlaceOrderMutation = gql<
  { placeOrder: { order: OrderSummary | null } | null },
  { locationId: string; lines: LineInput[]; discount: number; customerId: string | null }
>`
  mutation PosPlaceOrder($locationId: String!, $lines: JSON!, $discount: Int!, $customerId: String) {
    placeOrder(input: { locationId: $locationId, lines: $lines, discount: $discount, customerId: $customerId }) {
      order {
        ${ORDER_SUMMARY}
      }
    }
  }
`;

export interface TenderResult {
  id: string;
  rowId: string;
  type: string;
  amount: number;
  changeGiven: number;
  appliedAmount: number;
  order: OrderSummary | null;
}

export const RecordTenderMutation = gql<
  { recordTender: { tender: TenderResult | null } | null },
  { orderId: string; type: "cash" | "card"; amount: number }
>`
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
          ${ORDER_SUMMARY}
        }
      }
    }
  }
`;

export const VoidOrderMutation = gql<
  { voidOrder: { order: OrderSummary | null } | null },
  { orderId: string; reason: string }
>`
  mutation PosVoidOrder($orderId: String!, $reason: String!) {
    voidOrder(input: { orderId: $orderId, reason: $reason }) {
      order {
        ${ORDER_SUMMARY}
      }
    }
  }
`;

export const CancelOrderMutation = gql<
  { cancelOrder: { order: OrderSummary | null } | null },
  { orderId: string; reason: string }
>`
  mutation PosCancelOrder($orderId: String!, $reason: String!) {
    cancelOrder(input: { orderId: $orderId, reason: $reason }) {
      order {
        ${ORDER_SUMMARY}
      }
    }
  }
`;

export interface OpenOrder extends OrderSummary {
  createdAt: string;
  lines: { nodes: { id: string; name: string; quantity: number }[] };
}

/** The orders of a location not paid in full yet (not sales), newest first: to resume or cancel. */
export const OpenOrdersQuery = gql<{ openOrdersList: OpenOrder[] | null }, { locationId: string }>`
  query PosOpenOrders($locationId: String!) {
    openOrdersList(locationId: $locationId, first: 50) {
      ${ORDER_SUMMARY}
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
`;

export interface RecentOrder extends OrderSummary {
  lines: { nodes: { id: string; name: string; quantity: number }[] };
  /** What refunds of some of its lines took back so far. */
  refundedTotal: number;
  refunds: { totalCount: number; nodes: { id: string; reason: string }[] };
  /** Units of each line not refunded yet: whether a refund can still be offered. */
  refundableLinesList: { orderLineId: string; refundable: number }[];
}

/** The orders of one location on one business date, newest first. */
export const RecentOrdersQuery = gql<
  { orders: { totalCount: number; nodes: RecentOrder[] } | null },
  { locationId: string; businessDate: string }
>`
  query PosRecentOrders($locationId: String!, $businessDate: Date!) {
    orders(condition: { locationId: $locationId, businessDate: $businessDate }, orderBy: PLACED_AT_DESC, first: 25) {
      totalCount
      nodes {
        ${ORDER_SUMMARY}
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
`;

/** One line of a sale as a refund sees it: units sold, already refunded, and still refundable. */
export interface RefundableLine {
  orderLineId: string;
  lineNo: number;
  name: string;
  unitPrice: number;
  quantity: number;
  refunded: number;
  refundable: number;
  total: number;
}

export const RefundableLinesQuery = gql<
  { orderById: { id: string; rowId: string; status: string; refundableLinesList: RefundableLine[] } | null },
  { id: string }
>`
  query PosRefundableLines($id: ID!) {
    orderById(id: $id) {
      id
      rowId
      status
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
`;

/** A refund line as the database takes it (refundOrderLines). */
export interface RefundLineInput {
  order_line_id: string;
  quantity: number;
}

export interface OrderRefund {
  id: string;
  rowId: string;
  reason: string;
  total: number;
  /** The sale after the refund: its refundTenders include what this refund handed back (orderRefundId). */
  order: (OrderSummary & { refundedTotal: number }) | null;
}

export const RefundOrderLinesMutation = gql<
  { refundOrderLines: { refund: OrderRefund | null } | null },
  { orderId: string; lines: RefundLineInput[]; reason: string }
>`
  mutation PosRefundOrderLines($orderId: String!, $lines: JSON!, $reason: String!) {
    refundOrderLines(input: { orderId: $orderId, lines: $lines, reason: $reason }) {
      refund {
        id
        rowId
        reason
        total
        order {
          ${ORDER_SUMMARY}
          refundedTotal
        }
      }
    }
  }
`;

export interface ReceiptOrder extends OrderSummary {
  subtotal: number;
  discountTotal: number;
  orderDiscount: number;
  taxRateBps: number;
  taxTotal: number;
  businessDate: string | null;
  customerId: string | null;
  location: PosLocation | null;
  /** What the business prints on every receipt (Settings → Receipt). */
  tenant: { id: string; receiptAddress: string | null; receiptFooter: string | null } | null;
  placedBy: { id: string; name: string } | null;
  lines: {
    nodes: {
      id: string;
      lineNo: number;
      name: string;
      sku: string;
      unitPrice: number;
      quantity: number;
      subtotal: number;
      lineDiscount: number;
      orderDiscountShare: number;
      tax: number;
      total: number;
    }[];
  };
  tenders: { nodes: { id: string; type: string; amount: number; changeGiven: number; createdAt: string }[] };
  refunds: { nodes: { id: string; rowId: string; reason: string; total: number }[] };
}

/** Everything a receipt shows, as the database stored it. */
export const OrderReceiptQuery = gql<{ orderById: ReceiptOrder | null }, { id: string }>`
  query PosOrderReceipt($id: ID!) {
    orderById(id: $id) {
      ${ORDER_SUMMARY}
      subtotal
      discountTotal
      orderDiscount
      taxRateBps
      taxTotal
      businessDate
      customerId
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
`;

const CASH_DRAWER = `
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
`;

export interface CashDrawer {
  id: string;
  rowId: string;
  businessDate: string;
  openingFloat: number;
  openedAt: string;
  openedBy: { id: string; name: string } | null;
  cashPayments: number;
  cashRefunds: number;
  cashIn: number;
  cashOut: number;
  expectedNow: number;
  closedAt: string | null;
  expected: number | null;
  counted: number | null;
  difference: number | null;
  note: string | null;
}

/** The open cash drawer of a location, or null. */
export const OpenCashDrawerQuery = gql<{ openCashDrawerAt: CashDrawer | null }, { locationId: string }>`
  query PosOpenCashDrawer($locationId: String!) {
    openCashDrawerAt(locationId: $locationId) {
      ${CASH_DRAWER}
    }
  }
`;

export const OpenCashDrawerMutation = gql<
  { openCashDrawer: { cashDrawer: CashDrawer | null } | null },
  { locationId: string; openingFloat: number }
>`
  mutation PosOpenCashDrawer($locationId: String!, $openingFloat: Int!) {
    openCashDrawer(input: { locationId: $locationId, openingFloat: $openingFloat }) {
      cashDrawer {
        ${CASH_DRAWER}
      }
    }
  }
`;

export const RecordCashDrawerEntryMutation = gql<
  { recordCashDrawerEntry: { entry: { id: string; cashDrawer: CashDrawer | null } | null } | null },
  { cashDrawerId: string; kind: "in" | "out"; amount: number; reason: string }
>`
  mutation PosRecordCashDrawerEntry($cashDrawerId: String!, $kind: String!, $amount: Int!, $reason: String!) {
    recordCashDrawerEntry(input: { cashDrawerId: $cashDrawerId, kind: $kind, amount: $amount, reason: $reason }) {
      entry {
        id
        cashDrawer {
          ${CASH_DRAWER}
        }
      }
    }
  }
`;

export const CloseCashDrawerMutation = gql<
  { closeCashDrawer: { cashDrawer: CashDrawer | null } | null },
  { cashDrawerId: string; counted: number; note: string | null }
>`
  mutation PosCloseCashDrawer($cashDrawerId: String!, $counted: Int!, $note: String) {
    closeCashDrawer(input: { cashDrawerId: $cashDrawerId, counted: $counted, note: $note }) {
      cashDrawer {
        ${CASH_DRAWER}
      }
    }
  }
`;
