// Takes the payment of an open order, then shows its receipt: the payment that covers the total
// makes it a sale. Cash may be more than what is due: the change is what recordTender answers.
// Card takes exactly what is due. Several payments can share a bill (some cash, the rest by
// card). "Keep open" leaves the order open — not a sale — in the till's open orders, where its
// payment can be taken later or the order cancelled. A customer with an open account that is not
// suspended may also take the whole amount due "On account" (pay later, against their invoice):
// the dialog shows the credit the account has left, and the database's refusal (over the credit
// limit, suspended, no account) at the top of the dialog.
import {
  Alert,
  AlertTitle,
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
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { useForm } from "../lib/useForm.ts";
import { MoneyField } from "./MoneyField.tsx";
import { cashSuggestions } from "../ui/money.ts";
import { ACCOUNT_REFUSALS, offersAccount } from "./account.ts";
import { OrderCustomerAccountQuery, RecordTenderMutation, type OrderCustomerAccount, type OrderSummary, type TenderResult } from "./queries.ts";
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
  // Every error shows above the inputs (none is shown under one): the amount a quick-amount or card
  // button sends is not the one typed. A change of method or amount clears it.
  const form = useForm<{ method: Method; given: number }>({ method: "cash", given: 0 }, []);
  const { method, given } = form.values;
  const [, recordTender] = useMutation(RecordTenderMutation);
  // The customer's account as it is now (its available credit changes with every sale on account).
  const [{ data: accountData }, refetchAccount] = useQuery({
    query: OrderCustomerAccountQuery,
    variables: { id: placed.id },
    requestPolicy: "network-only",
  });
  const customer = accountData?.orderById?.customer ?? null;
  // Kept while chosen, so that a refusal (a suspension meanwhile) stays on screen with it.
  const onAccount = offersAccount(customer) || method === "account";

  const paid = order.amountDue <= 0 || (order.status !== "open" && order.status !== "placed");
  const due = order.amountDue;

  /** The handler that records a payment: of `amount` (a button's), else of the amount typed (the cash form). */
  const tender = (type: Method, amount?: number) =>
    form.submit(async ({ given }) => {
      if (amount === undefined && given <= 0) return form.say("Enter the amount the customer handed over.");
      const result = await recordTender({ orderId: order.rowId, type, amount: amount ?? given });
      const tender = result.data?.recordTender?.tender;
      if (result.error) {
        form.fail(result.error);
        // What the account has left now, beside the refusal.
        if (type === "account") refetchAccount({ requestPolicy: "network-only" });
        return;
      }
      if (!tender) return form.say("The payment was not recorded.");
      setLastTender(tender);
      if (tender.order) setOrder(tender.order);
      form.reset({ method: type, given: 0 });
    });

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
                {lastTender.type === "account" ? (
                  <>
                    <Typography variant="overline">{accountChargedText(customer)}</Typography>
                    <Typography variant="h3" component="p" sx={{ fontWeight: 700 }}>
                      {money.format(lastTender.amount)}
                    </Typography>
                    <Typography variant="body2">Nothing to pay now: it goes on the account's next invoice.</Typography>
                  </>
                ) : lastTender.changeGiven > 0 ? (
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
              onChange={(_e, next) => next && form.set("method", next)}
              aria-label="Payment method"
              sx={{ mb: 2 }}
            >
              <ToggleButton value="cash">Cash</ToggleButton>
              <ToggleButton value="card">Card</ToggleButton>
              {onAccount && <ToggleButton value="account">On account</ToggleButton>}
            </ToggleButtonGroup>
            {form.error && (
              <Alert severity="error" sx={{ mb: 2 }}>
                {form.error.code && ACCOUNT_REFUSALS.includes(form.error.code) && <AlertTitle>Not charged to the account</AlertTitle>}
                {form.error.message}
              </Alert>
            )}
            {method === "cash" ? (
              <form onSubmit={tender("cash")} noValidate>
                <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
                  Quick amounts
                </Typography>
                <Stack direction="row" sx={{ flexWrap: "wrap", gap: 1, mb: 2 }}>
                  {cashSuggestions(due, money).map((amount, i) => (
                    <Button
                      key={amount}
                      variant="outlined"
                      onClick={tender("cash", amount)}
                      disabled={form.submitting}
                      aria-label={i === 0 ? `Exact amount, ${money.format(amount)}` : `Cash ${money.format(amount)}`}
                    >
                      {i === 0 ? `Exact ${money.format(amount)}` : money.format(amount)}
                    </Button>
                  ))}
                </Stack>
                <Stack direction="row" spacing={1} sx={{ alignItems: "flex-start" }}>
                  <MoneyField label="Amount given" cents={given} onCents={(cents) => form.set("given", cents)} disabled={form.submitting} autoFocus />
                  <Button type="submit" variant="contained" size="large" loading={form.submitting} sx={{ flexShrink: 0, height: 56 }}>
                    Take cash
                  </Button>
                </Stack>
              </form>
            ) : method === "account" ? (
              <>
                <Typography variant="body2" sx={{ mb: 2 }} data-testid="account-credit">
                  {accountCreditText(customer, money.format)}
                </Typography>
                <Button variant="contained" size="large" fullWidth loading={form.submitting} onClick={tender("account", due)}>
                  Charge {money.format(due)} to the account
                </Button>
              </>
            ) : (
              <Button variant="contained" size="large" fullWidth loading={form.submitting} onClick={tender("card", due)}>
                Charge {money.format(due)} to card
              </Button>
            )}
          </DialogContent>
          <DialogActions sx={{ px: 3, pb: 2, justifyContent: "flex-start" }}>
            <Button color="inherit" onClick={onLeave} disabled={form.submitting}>
              Keep open
            </Button>
          </DialogActions>
        </>
      )}
    </Dialog>
  );
}

type Method = "cash" | "card" | "account";

/** "Charged to account CT-2026-00001", or "Charged to the account" when its number could not be read. */
function accountChargedText(customer: OrderCustomerAccount | null): string {
  const number = customer?.accountNumber;
  return number ? `Charged to account ${number}` : "Charged to the account";
}

/** Whose account, and the credit it has left: "Harbour Offices, account CT-2026-00001: $20.00 of credit available." */
function accountCreditText(customer: OrderCustomerAccount | null, format: (amount: string) => string): string {
  if (!customer) return "";
  const whose = customer.accountNumber ? `${customer.displayName}, account ${customer.accountNumber}` : customer.displayName;
  if (customer.accountStatus === "suspended") return `${whose}: the account is suspended.`;
  if (customer.accountAvailableCredit == null) return `${whose}: ${customer.accountNumber ? "the account is not active" : "no account"}.`;
  return `${whose}: ${format(customer.accountAvailableCredit)} of credit available.`;
}
