// Refunds some units of a sale's lines (needs sales.void), with the reason a manager gives: "one
// of the three coffees was cold". The dialog lists the lines with the units still refundable and
// a quantity to refund for each (none to start with); the database prices the refund (each unit
// takes back its share of the discounts and the tax), hands the money back card first, then to the
// customer's account for a sale on account, then cash from the drawer, and refuses more units than
// are left (BADQT). What went back, and what the
// cashier must do about it, is shown after. A sale with refunds is no longer voided.
import {
  Alert,
  Box,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  IconButton,
  Stack,
  TextField,
  Typography,
} from "@mui/material";
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { useForm } from "../lib/useForm.ts";
import { Loading } from "../ui/Loading.tsx";
import { useMoney } from "../ui/useMoney.ts";
import { MinusIcon, PlusIcon } from "../ui/icons.tsx";
import { RefundableLinesQuery, RefundOrderLinesMutation, type OrderRefund, type RefundableLine } from "./queries.ts";
import { handBackSteps } from "./refunds.ts";
import { orderNumber } from "./time.ts";

interface Props {
  /** The sale: its node id (to read its lines) and row id. */
  order: { id: string; rowId: string };
  onClose(): void;
}

export function RefundLinesDialog({ order, onClose }: Props) {
  const [done, setDone] = useState<OrderRefund | null>(null);
  const title = `Refund items of order ${orderNumber(order.rowId)}`;
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm">
      <DialogTitle>{done ? `Refunded on order ${orderNumber(order.rowId)}` : title}</DialogTitle>
      {done ? <RefundDone refund={done} onClose={onClose} /> : <RefundForm order={order} onDone={setDone} onClose={onClose} />}
    </Dialog>
  );
}

function RefundForm({ order, onDone, onClose }: Props & { onDone(refund: OrderRefund): void }) {
  const money = useMoney();
  // Always the database's latest count: another till may have refunded some of it meanwhile.
  const [{ data, error, fetching: loading }, reload] = useQuery({
    query: RefundableLinesQuery,
    variables: { id: order.id },
    requestPolicy: "network-only",
  });
  const [quantities, setQuantities] = useState<Record<string, number>>({});
  const form = useForm({ reason: "" });
  const [, refundLines] = useMutation(RefundOrderLinesMutation);

  const lines = (data?.orderById?.refundableLinesList ?? []) as RefundableLine[];
  // Never more than is left, should the count have gone down since the quantity was chosen.
  const quantityOf = (line: RefundableLine) => Math.min(quantities[line.orderLineId] ?? 0, line.refundable);
  const chosen = lines.map((l) => ({ order_line_id: l.orderLineId, quantity: quantityOf(l) })).filter((l) => l.quantity > 0);
  const units = chosen.reduce((sum, l) => sum + l.quantity, 0);
  const ready = units > 0 && form.values.reason.trim() !== "" && !form.submitting;

  const choose = (line: RefundableLine, quantity: number) =>
    setQuantities((current) => ({ ...current, [line.orderLineId]: Math.max(0, Math.min(line.refundable, quantity)) }));

  const submit = form.submit(async () => {
    if (!ready) return;
    const result = await refundLines({ orderId: order.rowId, lines: chosen, reason: form.values.reason });
    if (result.error) {
      form.fail(result.error);
      // What is left may have changed (BADQT: refunded meanwhile elsewhere): show the database's count again.
      return reload({ requestPolicy: "network-only" });
    }
    const refund = result.data?.refundOrderLines?.refund;
    if (refund) onDone(refund);
    else onClose();
  });

  return (
    <form onSubmit={submit} noValidate>
      <DialogContent>
        {form.formError && (
          <Alert severity="error" sx={{ mb: 2 }}>
            {form.formError.message}
          </Alert>
        )}
        {error && <Alert severity="error">{errorMessage(error)}</Alert>}
        {!data && loading ? (
          <Loading />
        ) : (
          <>
            <Typography sx={{ mb: 1 }}>
              Choose how many of each item to refund. Each takes back its share of the discounts and tax; the money goes back to the card
              first, {data?.orderById?.payments.nodes.some((p) => p.type === "account") ? "then is credited to the customer's account, " : ""}then in cash
              from the drawer.
            </Typography>
            <Box component="ul" aria-label="Lines to refund" sx={{ listStyle: "none", p: 0, m: 0, mb: 2 }}>
              {lines.map((line) => (
                <RefundLineRow
                  key={line.orderLineId}
                  line={line}
                  quantity={quantityOf(line)}
                  onChange={(quantity) => choose(line, quantity)}
                  disabled={form.submitting}
                  format={money.format}
                />
              ))}
            </Box>
          </>
        )}
        <TextField label="Reason" {...form.text("reason", "Kept with the refund. For example: one coffee was cold.")} required />
      </DialogContent>
      <DialogActions sx={{ px: 3, pb: 2 }}>
        <Button onClick={onClose}>Keep the sale</Button>
        <Button type="submit" variant="contained" color="error" disabled={!ready} loading={form.submitting}>
          {units > 0 ? `Refund ${units} ${units === 1 ? "item" : "items"}` : "Refund"}
        </Button>
      </DialogActions>
    </form>
  );
}

function RefundLineRow({
  line,
  quantity,
  onChange,
  disabled,
  format,
}: {
  line: RefundableLine;
  quantity: number;
  onChange(quantity: number): void;
  disabled: boolean;
  format(amount: number): string;
}) {
  const none = line.refundable === 0;
  return (
    <Box
      component="li"
      aria-label={line.name}
      sx={{ py: 1, borderBottom: 1, borderColor: "divider", opacity: none ? 0.6 : 1, "&:last-of-type": { borderBottom: 0 } }}
    >
      <Stack direction="row" spacing={1} sx={{ alignItems: "center", justifyContent: "space-between" }}>
        <Box sx={{ minWidth: 0 }}>
          <Typography sx={{ fontWeight: 600 }} noWrap>
            {line.quantity} × {line.name}
          </Typography>
          <Typography variant="caption" color="text.secondary" data-testid="refundable">
            {format(line.unitPrice)} each · {none ? "all refunded" : `${line.refundable} of ${line.quantity} can be refunded`}
            {line.refunded > 0 && !none ? ` (${line.refunded} refunded)` : ""}
          </Typography>
        </Box>
        <Stack direction="row" spacing={0.5} sx={{ alignItems: "center", flexShrink: 0 }}>
          <IconButton
            size="small"
            aria-label={`One less ${line.name} to refund`}
            onClick={() => onChange(quantity - 1)}
            disabled={disabled || quantity <= 0}
          >
            <MinusIcon fontSize="small" />
          </IconButton>
          <Typography aria-label={`Quantity of ${line.name} to refund`} sx={{ minWidth: 28, textAlign: "center", fontWeight: 600 }}>
            {quantity}
          </Typography>
          <IconButton
            size="small"
            aria-label={`One more ${line.name} to refund`}
            onClick={() => onChange(quantity + 1)}
            disabled={disabled || quantity >= line.refundable}
          >
            <PlusIcon fontSize="small" />
          </IconButton>
          <Button
            size="small"
            onClick={() => onChange(line.refundable)}
            disabled={disabled || none || quantity === line.refundable}
            aria-label={`Refund all ${line.name}`}
          >
            All
          </Button>
        </Stack>
      </Stack>
    </Box>
  );
}

/** What the refund took back and how the money goes back: the cashier acts on it before closing. */
function RefundDone({ refund, onClose }: { refund: OrderRefund; onClose(): void }) {
  const money = useMoney();
  const handedBack = (refund.order?.refundTenders.nodes ?? []).filter((t) => t.orderRefundId === refund.rowId);
  const steps = handBackSteps(handedBack, money.format);
  return (
    <>
      <DialogContent>
        <Box
          data-testid="refund-done"
          sx={{ textAlign: "center", py: 2, mb: 2, borderRadius: 2, bgcolor: "secondary.main", color: "common.white" }}
        >
          <Typography variant="overline">Refunded</Typography>
          <Typography variant="h3" component="p" sx={{ fontWeight: 700 }}>
            {money.format(refund.total)}
          </Typography>
        </Box>
        <Alert severity={steps ? "info" : "warning"} data-testid="refund-steps">
          {/* handBackSteps is written to follow "before voiding, …": here it starts the sentence. */}
          {steps ? `${steps.charAt(0).toUpperCase()}${steps.slice(1)}.` : "Nothing was paid on this sale: no money goes back."}
        </Alert>
      </DialogContent>
      <DialogActions sx={{ px: 3, pb: 2 }}>
        <Button variant="contained" onClick={onClose} autoFocus fullWidth>
          Done
        </Button>
      </DialogActions>
    </>
  );
}
