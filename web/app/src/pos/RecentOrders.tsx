// Today's sales at the location (its business date, on its own clock), newest first: their
// receipts and — for managers (sales.void) — voids and refunds of some of their items. A sale
// with refunds is no longer voided (the database refuses it): what is left of it is refunded
// instead. Orders not paid in full are not sales and have no business date yet: they are in
// OpenOrders. An imported sale recorded unpaid can still take its payment here.
import {
  Alert,
  Box,
  Button,
  Card,
  CardContent,
  Chip,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TableRow,
  Typography,
} from "@mui/material";
import { useMemo, useState } from "react";
import { useQuery } from "urql";
import { refundedText } from "./refunds.ts";
import { itemsText } from "./itemsText.ts";
import { HiddenHeaderCell } from "../ui/HiddenHeaderCell.tsx";
import { errorMessage } from "../lib/errors.ts";
import { Loading } from "../ui/Loading.tsx";
import { RecentOrdersQuery, type PosLocation, type RecentOrder } from "./queries.ts";
import { RefundLinesDialog } from "./RefundLinesDialog.tsx";
import { orderNumber, timeAt, todayAt } from "./time.ts";
import { VoidOrderDialog } from "./VoidOrderDialog.tsx";
import { useMoney } from "../ui/useMoney.ts";

interface Props {
  location: PosLocation;
  /** sales.void: voids and refunds. */
  canVoid: boolean;
  onReceipt(order: RecentOrder): void;
  onTakePayment(order: RecentOrder): void;
}

function Status({ order }: { order: RecentOrder }) {
  const money = useMoney();
  if (order.status === "voided") return <Chip size="small" label="Voided" variant="outlined" />;
  if (order.amountDue > 0) return <Chip size="small" color="warning" label={`Due ${money.format(order.amountDue)}`} />;
  return <Chip size="small" color="success" variant="outlined" label="Paid" />;
}

/** Whether some of the sale's items were refunded (then it is no longer voided). */
const hasRefunds = (order: RecentOrder) => order.refunds.totalCount > 0 || order.refundedTotal > 0;

/** A sale with units not refunded yet. */
const canRefund = (order: RecentOrder) => order.status === "placed" && order.refundableLinesList.some((l) => l.refundable > 0);

export function RecentOrders({ location, canVoid, onReceipt, onTakePayment }: Props) {
  const money = useMoney();
  const businessDate = todayAt(location.timezone);
  const variables = useMemo(() => ({ locationId: location.rowId, businessDate }), [location.rowId, businessDate]);
  // Refetched after any mutation that returns an Order (a sale, a payment, a void, a refund), even while empty.
  const context = useMemo(() => ({ additionalTypenames: ["Order"] }), []);
  const [{ data, error, fetching }] = useQuery({ query: RecentOrdersQuery, variables, context });
  const [voiding, setVoiding] = useState<RecentOrder | null>(null);
  const [refunding, setRefunding] = useState<RecentOrder | null>(null);
  const orders = (data?.orders?.nodes ?? []) as RecentOrder[]; // refundableLinesList: rows of a SQL function, never null
  const total = data?.orders?.totalCount ?? 0;
  const dateLabel = new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" }).format(
    new Date(`${businessDate}T00:00:00Z`),
  );

  return (
    <Card>
      <CardContent>
        <Box sx={{ mb: 2 }}>
          <Typography variant="h6" component="h2">
            Today's sales
          </Typography>
          <Typography variant="body2" color="text.secondary">
            {location.name}, {dateLabel} ({location.timezone.replaceAll("_", " ")})
            {total > orders.length ? ` · the latest ${orders.length} of ${total}` : ""}
          </Typography>
        </Box>
        {error && <Alert severity="error">{errorMessage(error)}</Alert>}
        {!data && fetching ? (
          <Loading />
        ) : (
          <TableContainer>
            <Table size="small" aria-label="Today's sales">
              <TableHead>
                <TableRow>
                  <TableCell>Time</TableCell>
                  <TableCell>Order</TableCell>
                  <TableCell>Items</TableCell>
                  <TableCell align="right">Total</TableCell>
                  <TableCell>Status</TableCell>
                  <HiddenHeaderCell>Actions</HiddenHeaderCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {orders.map((order) => (
                  <TableRow key={order.id} hover sx={{ opacity: order.status === "voided" ? 0.7 : 1 }}>
                    <TableCell>{timeAt(order.placedAt, location.timezone)}</TableCell>
                    <TableCell>{orderNumber(order.rowId)}</TableCell>
                    <TableCell sx={{ maxWidth: 280 }}>
                      <Typography variant="body2" noWrap title={itemsText(order)}>
                        {itemsText(order)}
                      </Typography>
                      {order.status === "voided" && order.voidReason && (
                        <Typography variant="caption" color="text.secondary" sx={{ display: "block" }}>
                          Void: {order.voidReason}
                          {order.refundTenders.nodes.length > 0 && ` · refunded ${refundedText(order.refundTenders.nodes, money.format)}`}
                        </Typography>
                      )}
                      {hasRefunds(order) && (
                        <Typography variant="caption" color="text.secondary" sx={{ display: "block" }} data-testid="order-refunded">
                          Refunded {money.format(order.refundedTotal)}
                          {order.refunds.nodes.length > 0 && `: ${order.refunds.nodes.map((r) => r.reason).join("; ")}`}
                        </Typography>
                      )}
                    </TableCell>
                    <TableCell align="right" sx={{ textDecoration: order.status === "voided" ? "line-through" : undefined }}>
                      {money.format(order.total)}
                    </TableCell>
                    <TableCell>
                      <Status order={order} />
                    </TableCell>
                    <TableCell align="right">
                      <Stack direction="row" spacing={0.5} sx={{ justifyContent: "flex-end" }}>
                        <Button size="small" onClick={() => onReceipt(order)} aria-label={`Receipt of order ${orderNumber(order.rowId)}`}>
                          Receipt
                        </Button>
                        {order.status === "placed" && order.amountDue > 0 && (
                          <Button size="small" onClick={() => onTakePayment(order)} aria-label={`Take payment for order ${orderNumber(order.rowId)}`}>
                            Take payment
                          </Button>
                        )}
                        {canVoid && canRefund(order) && (
                          <Button
                            size="small"
                            color="warning"
                            onClick={() => setRefunding(order)}
                            aria-label={`Refund items of order ${orderNumber(order.rowId)}`}
                          >
                            Refund
                          </Button>
                        )}
                        {canVoid && order.status === "placed" && !hasRefunds(order) && (
                          <Button
                            size="small"
                            color="error"
                            onClick={() => setVoiding(order)}
                            aria-label={`Void order ${orderNumber(order.rowId)}`}
                          >
                            Void
                          </Button>
                        )}
                      </Stack>
                    </TableCell>
                  </TableRow>
                ))}
                {!orders.length && !error && (
                  <TableRow>
                    <TableCell colSpan={6}>
                      <Typography color="text.secondary">No sales here yet today.</Typography>
                    </TableCell>
                  </TableRow>
                )}
              </TableBody>
            </Table>
          </TableContainer>
        )}
      </CardContent>
      {voiding && <VoidOrderDialog order={voiding} onClose={() => setVoiding(null)} />}
      {refunding && <RefundLinesDialog order={refunding} onClose={() => setRefunding(null)} />}
    </Card>
  );
}
