// Voids an order (needs sales.void) with the reason a manager gives. The database keeps the
// order, its lines and payments, puts the stock back, and refuses a second void (VOIDD).
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, TextField, Typography } from "@mui/material";
import { useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { formatMoney } from "./money.ts";
import { VoidOrderMutation, type OrderSummary } from "./queries.ts";
import { orderNumber } from "./time.ts";

export function VoidOrderDialog({ order, onClose }: { order: OrderSummary; onClose(): void }) {
  const [reason, setReason] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [{ fetching }, voidOrder] = useMutation(VoidOrderMutation);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!reason.trim()) return setProblem("Say why the order is voided; it is kept with the order.");
    const result = await voidOrder({ orderId: order.rowId, reason });
    if (result.error) return setError(errorMessage(result.error));
    onClose();
  }

  const title = `Void order ${orderNumber(order.rowId)}`;
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="xs">
      <form onSubmit={submit} noValidate>
        <DialogTitle>{title}</DialogTitle>
        <DialogContent>
          {error && (
            <Alert severity="error" sx={{ mb: 2 }}>
              {error}
            </Alert>
          )}
          <Typography sx={{ mb: 1 }}>
            The sale of {formatMoney(order.total)} is cancelled and its items go back into stock. The order stays in the
            records, marked voided.
          </Typography>
          {order.paidTotal > 0 && (
            <Alert severity="info" sx={{ mb: 2 }}>
              {formatMoney(order.paidTotal)} was paid: hand it back to the customer.
            </Alert>
          )}
          <TextField
            label="Reason"
            name="reason"
            autoFocus
            value={reason}
            onChange={(e) => {
              setReason(e.target.value);
              setProblem(null);
            }}
            error={Boolean(problem)}
            helperText={problem ?? "For example: rung up twice, customer changed their mind."}
            slotProps={{ htmlInput: { maxLength: 500 } }}
            sx={{ mt: 1 }}
          />
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose}>Keep the order</Button>
          <Button type="submit" variant="contained" color="error" loading={fetching}>
            Void order
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
