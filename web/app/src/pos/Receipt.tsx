// A receipt, as the database stored the order: its lines, totals, payments and change, and the
// refunds of some of its items (each with its reason), with the order's number and time on the
// location's clock; the business's address under its name and its footer at the bottom
// (Settings → Receipt). Shown after a sale and from today's orders. A sale on account names the
// account it was charged to ("Charged to account CT-2026-00001"; "On account" when the number
// cannot be read), and what a void gave back to it is "credited to the account".
import { Alert, Box, Divider, Table, TableBody, TableCell, TableRow, Typography } from "@mui/material";
import { Fragment, useMemo } from "react";
import { useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { useViewer } from "../shell/ViewerContext.tsx";
import { Loading } from "../ui/Loading.tsx";
import { OrderReceiptQuery, type ReceiptOrder } from "./queries.ts";
import { accountTenderLabel } from "./account.ts";
import { refundedText } from "./refunds.ts";
import { taxLabel } from "./tax.ts";
import { dateTimeAt, orderNumber } from "./time.ts";
import { useMoney } from "../ui/useMoney.ts";
import { bpsToPercent } from "../ui/percent.ts";

const cell = { border: 0, py: 0.25, px: 0 } as const;

function Row({ label, value, strong, muted }: { label: string; value: string; strong?: boolean; muted?: boolean }) {
  const sx = { ...cell, fontWeight: strong ? 700 : undefined, color: muted ? "text.secondary" : undefined, fontSize: strong ? "1.05rem" : undefined };
  return (
    <TableRow>
      <TableCell sx={sx}>{label}</TableCell>
      <TableCell align="right" sx={sx}>
        {value}
      </TableCell>
    </TableRow>
  );
}

const tenderLabel = (type: string, order: ReceiptOrder) =>
  type === "cash" ? "Cash" : type === "card" ? "Card" : type === "account" ? accountTenderLabel(order.customer?.accountNumber) : type;

export function Receipt({ orderId }: { orderId: string }) {
  const context = useMemo(() => ({ additionalTypenames: ["Order", "Tender"] }), []);
  const [{ data, error, fetching }] = useQuery({
    query: OrderReceiptQuery,
    variables: { id: orderId },
    context,
    requestPolicy: "cache-and-network",
  });
  const order = data?.orderById;
  if (error) return <Alert severity="error">{errorMessage(error)}</Alert>;
  if (!order) return fetching ? <Loading /> : <Alert severity="warning">This order is not available.</Alert>;
  return <ReceiptBody order={order} />;
}

function ReceiptBody({ order }: { order: ReceiptOrder }) {
  const money = useMoney();
  const { tenant } = useViewer();
  const zone = order.location?.timezone ?? "UTC";
  return (
    <Box
      data-testid="receipt"
      sx={{ border: 1, borderColor: "divider", borderStyle: "dashed", borderRadius: 2, p: 2.5, bgcolor: "background.paper" }}
    >
      <Box sx={{ textAlign: "center", mb: 1.5 }}>
        <Typography sx={{ fontWeight: 700 }}>{tenant?.name}</Typography>
        {order.tenant?.receiptAddress && (
          <Typography variant="body2" color="text.secondary" data-testid="receipt-address" sx={{ whiteSpace: "pre-line" }}>
            {order.tenant.receiptAddress}
          </Typography>
        )}
        <Typography variant="body2" color="text.secondary">
          {order.location?.name}
        </Typography>
        <Typography variant="body2" sx={{ mt: 1 }}>
          Order {orderNumber(order.rowId)}
        </Typography>
        <Typography variant="body2" color="text.secondary">
          {dateTimeAt(order.placedAt, zone)}
        </Typography>
        {order.placedBy && (
          <Typography variant="body2" color="text.secondary">
            Served by {order.placedBy.name}
          </Typography>
        )}
      </Box>
      {order.status === "voided" && (
        <Alert severity="warning" sx={{ mb: 1.5 }}>
          Voided at {dateTimeAt(order.voidedAt, zone)}: {order.voidReason}
          {order.refundTenders.nodes.length > 0 && (
            <Box component="span" sx={{ display: "block" }} data-testid="receipt-refunds">
              Refunded: {refundedText(order.refundTenders.nodes, money.format)}
            </Box>
          )}
        </Alert>
      )}
      <Divider sx={{ borderStyle: "dashed" }} />
      <Table size="small" aria-label="Items sold" sx={{ my: 1 }}>
        <TableBody>
          {order.lines.nodes.map((line) =>
            order.taxInclusive ? (
              // What was paid for the line, discounts taken off and tax included.
              <Row key={line.id} label={`${line.quantity} × ${line.name}`} value={money.format(line.total)} />
            ) : (
              <Fragment key={line.id}>
                <Row label={`${line.quantity} × ${line.name}`} value={money.format(line.subtotal)} />
                {line.lineDiscount > 0 && <Row label="Line discount" value={`−${money.format(line.lineDiscount)}`} muted />}
              </Fragment>
            ),
          )}
        </TableBody>
      </Table>
      <Divider sx={{ borderStyle: "dashed" }} />
      <Table size="small" aria-label="Totals" sx={{ my: 1 }}>
        <TableBody>
          {order.taxInclusive ? (
            <>
              <Row label="Total" value={money.format(order.total)} strong />
              {order.tierName && (
                <Row label={`${order.tierName} discount (${bpsToPercent(order.tierDiscountBps ?? 0)}%)`} value={`−${money.format(order.tierDiscount)}`} muted />
              )}
              <Row label={taxLabel(order)} value={money.format(order.taxTotal)} muted />
            </>
          ) : (
            <>
              <Row label="Subtotal" value={money.format(order.subtotal)} />
              {order.discountTotal - order.tierDiscount > 0 && <Row label="Discount" value={`−${money.format(order.discountTotal - order.tierDiscount)}`} />}
              {order.tierName && (
                <Row label={`${order.tierName} discount (${bpsToPercent(order.tierDiscountBps ?? 0)}%)`} value={`−${money.format(order.tierDiscount)}`} />
              )}
              <Row label={taxLabel(order)} value={money.format(order.taxTotal)} />
              <Row label="Total" value={money.format(order.total)} strong />
            </>
          )}
        </TableBody>
      </Table>
      <Divider sx={{ borderStyle: "dashed" }} />
      <Table size="small" aria-label="Payments" sx={{ mt: 1 }}>
        <TableBody>
          {order.tenders.nodes.map((t) => (
            <Fragment key={t.id}>
              <Row label={tenderLabel(t.type, order)} value={money.format(t.amount)} />
              {t.changeGiven > 0 && <Row label="Change" value={money.format(t.changeGiven)} />}
            </Fragment>
          ))}
          {order.amountDue > 0 && order.status !== "voided" && <Row label="Still due" value={money.format(order.amountDue)} strong />}
          {order.status === "voided" && order.paidTotal > 0 && <Row label="Handed back" value={money.format(order.paidTotal)} />}
          {order.refunds.nodes.map((r) => (
            <Row key={r.id} label={`Refunded: ${r.reason}`} value={`−${money.format(r.total)}`} />
          ))}
        </TableBody>
      </Table>
      {order.tenant?.receiptFooter && (
        <>
          <Divider sx={{ borderStyle: "dashed", mt: 1 }} />
          <Typography variant="body2" data-testid="receipt-footer" sx={{ textAlign: "center", whiteSpace: "pre-line", mt: 1.5 }}>
            {order.tenant.receiptFooter}
          </Typography>
        </>
      )}
    </Box>
  );
}
