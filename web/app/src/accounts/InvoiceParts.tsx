// How an invoice's state and amounts read in a list: the state as the database derives it
// (open, overdue in red with its days, paid, void) and amounts in the invoice's own currency.
import { Chip } from "@mui/material";
import { useAccountMoney } from "../customers/account.ts";
import { formatMoney } from "../ui/money.ts";
import { INVOICE_STATE_COLOR, INVOICE_STATES, labelOf } from "./format.ts";
import type { AccountInvoice } from "./queries.ts";

export function InvoiceStateChip({ invoice }: { invoice: Pick<AccountInvoice, "state" | "daysOverdue"> }) {
  const state = invoice.state ?? "open";
  const days = state === "overdue" && invoice.daysOverdue ? ` · ${invoice.daysOverdue} day${invoice.daysOverdue === 1 ? "" : "s"}` : "";
  return (
    <Chip
      size="small"
      data-testid="invoice-state"
      color={INVOICE_STATE_COLOR[state] ?? "default"}
      variant={state === "overdue" ? "filled" : "outlined"}
      label={`${labelOf(INVOICE_STATES, state)}${days}`}
    />
  );
}

/** An amount of an invoice, in the invoice's currency. */
export function InvoiceAmount({ invoice, amount }: { invoice: Pick<AccountInvoice, "currency">; amount: string | null | undefined }) {
  const moneyOf = useAccountMoney();
  return <>{formatMoney(amount, moneyOf(invoice.currency))}</>;
}
