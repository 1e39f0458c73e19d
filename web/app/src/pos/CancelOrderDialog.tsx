// Cancels an open order — a charge given up before it was paid in full (needs sales.sell), with
// the reason the cashier gives. It never was a sale: nothing counts in the reports or for the
// customer, no stock was taken. What was already paid on it goes back the way it was paid, and
// the dialog says how before the cashier confirms. A sale is voided instead (VoidOrderDialog).
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, TextField, Typography } from "@mui/material";
import { useMutation } from "urql";
import { useForm } from "../lib/useForm.ts";
import { useMoney } from "../ui/useMoney.ts";
import { CancelOrderMutation, type OrderSummary } from "./queries.ts";
import { refundSteps } from "./refunds.ts";
import { orderNumber } from "./time.ts";

export function CancelOrderDialog({ order, onClose }: { order: OrderSummary; onClose(): void }) {
  const money = useMoney();
  const form = useForm({ reason: "" });
  const [, cancelOrder] = useMutation(CancelOrderMutation);

  const submit = form.submit(async () => {
    const result = await cancelOrder({ orderId: order.rowId, reason: form.values.reason });
    if (result.error) return void form.fail(result.error);
    onClose();
  });

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="xs">
      <form onSubmit={submit} noValidate>
        <DialogTitle>Cancel order {orderNumber(order.rowId)}</DialogTitle>
        <DialogContent>
          {form.formError && (
            <Alert severity="error" sx={{ mb: 2 }}>
              {form.formError.message}
            </Alert>
          )}
          <Typography sx={{ mb: 1 }}>
            The order of {money.format(order.total)} was not paid in full: cancelling it means it never was a sale. It stays in
            the records, marked cancelled.
          </Typography>
          {order.paidTotal > 0 && (
            <Alert severity="info" sx={{ mb: 2 }} data-testid="cancel-refunds">
              {money.format(order.paidTotal)} was paid on it. It goes back the way it was paid:{" "}
              {refundSteps(order.payments.nodes, money.format)}.
            </Alert>
          )}
          <TextField
            label="Reason"
            autoFocus
            {...form.text("reason", "Kept with the order. For example: customer walked away, card declined.")}
            sx={{ mt: 1 }}
          />
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose}>Keep it open</Button>
          <Button type="submit" variant="contained" color="error" loading={form.submitting}>
            Cancel order
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
