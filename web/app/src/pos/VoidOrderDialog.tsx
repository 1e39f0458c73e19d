// Voids an order (needs sales.void) with the reason a manager gives (required, kept with the order
// and in the audit log). The database keeps the order, its lines and payments, records the money
// handed back the way it was paid (cash from the drawer, card back to the card, a sale on account
// credited back to the account), puts the stock back, and refuses a second void (VOIDD); what it
// says about the reason goes under it.
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, TextField, Typography } from "@mui/material";
import { useMutation } from "urql";
import { useForm } from "../lib/useForm.ts";
import { VoidOrderMutation, type OrderSummary } from "./queries.ts";
import { paidWords, refundSteps } from "./refunds.ts";
import { orderNumber } from "./time.ts";
import { useMoney } from "../ui/useMoney.ts";

export function VoidOrderDialog({ order, onClose }: { order: OrderSummary; onClose(): void }) {
  const money = useMoney();
  const form = useForm({ reason: "" });
  const [, voidOrder] = useMutation(VoidOrderMutation);

  const submit = form.submit(async () => {
    const result = await voidOrder({ orderId: order.rowId, reason: form.values.reason });
    if (result.error) return void form.fail(result.error);
    onClose();
  });

  const title = `Void order ${orderNumber(order.rowId)}`;
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="xs">
      <form onSubmit={submit} noValidate>
        <DialogTitle>{title}</DialogTitle>
        <DialogContent>
          {form.formError && (
            <Alert severity="error" sx={{ mb: 2 }}>
              {form.formError.message}
            </Alert>
          )}
          <Typography sx={{ mb: 1 }}>
            The sale of {money.format(order.total)} is cancelled and its items go back into stock. The order stays in the
            records, marked voided.
          </Typography>
          {order.paidTotal > 0 && (
            <Alert severity="info" sx={{ mb: 2 }} data-testid="void-refunds">
              {money.format(order.paidTotal)} {paidWords(order.payments.nodes)}. It goes back the way it was paid:{" "}
              {refundSteps(order.payments.nodes, money.format)}.
            </Alert>
          )}
          <TextField
            label="Reason"
            autoFocus
            {...form.text("reason", "Kept with the order. For example: rung up twice, customer changed their mind.")}
            sx={{ mt: 1 }}
          />
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose}>Keep the order</Button>
          <Button type="submit" variant="contained" color="error" loading={form.submitting}>
            Void order
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

