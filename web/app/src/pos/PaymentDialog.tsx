// Takes the payment of an open order, then shows its receipt: the payment that covers the total
// makes it a sale. Cash may be more than what is due: the change is what recordTender answers.
// Card takes exactly what is due. Several payments can share a bill (some cash, the rest by
// card). "Keep open" leaves the order open — not a sale — in the till's open orders, where its
// payment can be taken later or the order cancelled.
import {
  Alert,
  Box,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Stack,
  ToggleButton,
  ToggleButtonGroup,
  Typography,
} from "@mui/material";
import { useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { MoneyField } from "./MoneyField.tsx";
import { cashSuggestions } from "../ui/money.ts";
import { RecordTenderMutation, type OrderSummary, type TenderResult } from "./queries.ts";
import { Receipt } from "./Receipt.tsx";
import { orderNumber } from "./time.ts";
import { useMoney } from "../ui/useMoney.ts";

interface Props {
  order: OrderSummary;
  /** After the receipt: start the next sale (or just close, from today's orders). */
  onDone(): void;
  doneLabel: string;
  /** Close without (fully) paying: the order stays open with what is still due. */
  onLeave(): void;
}

export function PaymentDialog({ order: placed, onDone, doneLabel, onLeave }: Props) {
  const money = useMoney();
  const [order, setOrder] = useState<OrderSummary>(placed);
  const [lastTender, setLastTender] = useState<TenderResult | null>(null);
  const [method, setMethod] = useState<"cash" | "card">("cash");
  const [given, setGiven] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [{ fetching }, recordTender] = useMutation(RecordTenderMutation);

  const paid = order.amountDue <= 0 || (order.status !== "open" && order.status !== "placed");
  const due = order.amountDue;

  async function tender(type: "cash" | "card", amount: number) {
    setError(null);
    const result = await recordTender({ orderId: order.rowId, type, amount });
    const tender = result.data?.recordTender?.tender;
    if (result.error || !tender) return setError(result.error ? errorMessage(result.error) : "The payment was not recorded.");
    setLastTender(tender);
    if (tender.order) setOrder(tender.order);
    setGiven(0);
  }

  function submitCash(event: FormEvent) {
    event.preventDefault();
    if (given <= 0) return setError("Enter the amount the customer handed over.");
    void tender("cash", given);
  }

  return (
    <Dialog open fullWidth maxWidth="xs">
      <DialogTitle>
        {paid ? "Sale complete" : "Take payment"}
        <Typography component="span" variant="body2" color="text.secondary" sx={{ ml: 1 }}>
          Order {orderNumber(order.rowId)}
        </Typography>
      </DialogTitle>
      {paid ? (
        <>
          <DialogContent>
            {lastTender && (
              <Box
                data-testid="change-due"
                sx={{ textAlign: "center", py: 2, mb: 2, borderRadius: 2, bgcolor: lastTender.changeGiven > 0 ? "secondary.main" : "success.light", color: "common.white" }}
              >
                {lastTender.changeGiven > 0 ? (
                  <>
                    <Typography variant="overline">Change due</Typography>
                    <Typography variant="h3" component="p" sx={{ fontWeight: 700 }}>
                      {money.format(lastTender.changeGiven)}
                    </Typography>
                  </>
                ) : (
                  <Typography variant="h6" component="p">
                    Paid in full · no change
                  </Typography>
                )}
              </Box>
            )}
            <Receipt orderId={order.id} />
          </DialogContent>
          <DialogActions sx={{ px: 3, pb: 2 }}>
            <Button variant="contained" size="large" onClick={onDone} autoFocus fullWidth>
              {doneLabel}
            </Button>
          </DialogActions>
        </>
      ) : (
        <>
          <DialogContent>
            <Box sx={{ textAlign: "center", mb: 2 }}>
              <Typography variant="overline" color="text.secondary">
                {order.paidTotal > 0 ? "Still due" : "Amount due"}
              </Typography>
              <Typography variant="h3" component="p" sx={{ fontWeight: 700 }} data-testid="amount-due">
                {money.format(due)}
              </Typography>
              {lastTender && (
                <Typography variant="body2" color="text.secondary">
                  Received {money.format(lastTender.amount)} by {lastTender.type}; {money.format(order.paidTotal)} of{" "}
                  {money.format(order.total)} paid.
                </Typography>
              )}
            </Box>
            <ToggleButtonGroup
              exclusive
              fullWidth
              value={method}
              onChange={(_e, next) => next && (setMethod(next), setError(null))}
              aria-label="Payment method"
              sx={{ mb: 2 }}
            >
              <ToggleButton value="cash">Cash</ToggleButton>
              <ToggleButton value="card">Card</ToggleButton>
            </ToggleButtonGroup>
            {error && (
              <Alert severity="error" sx={{ mb: 2 }}>
                {error}
              </Alert>
            )}
            {method === "cash" ? (
              <form onSubmit={submitCash} noValidate>
                <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
                  Quick amounts
                </Typography>
                <Stack direction="row" sx={{ flexWrap: "wrap", gap: 1, mb: 2 }}>
                  {cashSuggestions(due, money).map((amount, i) => (
                    <Button
                      key={amount}
                      variant="outlined"
                      onClick={() => void tender("cash", amount)}
                      disabled={fetching}
                      aria-label={i === 0 ? `Exact amount, ${money.format(amount)}` : `Cash ${money.format(amount)}`}
                    >
                      {i === 0 ? `Exact ${money.format(amount)}` : money.format(amount)}
                    </Button>
                  ))}
                </Stack>
                <Stack direction="row" spacing={1} sx={{ alignItems: "flex-start" }}>
                  <MoneyField label="Amount given" cents={given} onCents={setGiven} disabled={fetching} autoFocus />
                  <Button type="submit" variant="contained" size="large" loading={fetching} sx={{ flexShrink: 0, height: 56 }}>
                    Take cash
                  </Button>
                </Stack>
              </form>
            ) : (
              <Button variant="contained" size="large" fullWidth loading={fetching} onClick={() => void tender("card", due)}>
                Charge {money.format(due)} to card
              </Button>
            )}
          </DialogContent>
          <DialogActions sx={{ px: 3, pb: 2, justifyContent: "flex-start" }}>
            <Button color="inherit" onClick={onLeave} disabled={fetching}>
              Keep open
            </Button>
          </DialogActions>
        </>
      )}
    </Dialog>
  );
}
