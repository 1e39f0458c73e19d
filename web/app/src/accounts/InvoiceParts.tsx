// How an invoice reads in a list: its state as the database derives it (open, overdue in red with
// its days, paid, void), amounts in the invoice's own currency, its PDF once the worker has
// written it (again, saying VOID, when voided), Details (its lines, taxes and totals in a dialog)
// and Void while it is open.
import { Box, Button, Chip, IconButton, Tooltip } from "@mui/material";
import { DownloadIcon } from "../ui/icons.tsx";
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

/** The invoice's number, with a link to its PDF once the worker has written it. */
export function InvoiceNumber({ invoice }: { invoice: Pick<AccountInvoice, "invoiceNumber" | "document"> }) {
  const doc = invoice.document;
  return (
    <Box component="span" sx={{ display: "inline-flex", alignItems: "center", gap: 0.5, whiteSpace: "nowrap" }}>
      {invoice.invoiceNumber}
      {doc?.status === "done" && doc.downloadUrl ? (
        <Tooltip title="Download the PDF">
          <IconButton size="small" href={doc.downloadUrl} download={doc.fileName} aria-label={`PDF of ${invoice.invoiceNumber}`} color="primary">
            <DownloadIcon fontSize="small" />
          </IconButton>
        </Tooltip>
      ) : doc?.status === "pending" ? (
        <Tooltip title="The PDF is being written">
          <Box component="span" role="img" aria-label={`PDF of ${invoice.invoiceNumber} being written`} sx={{ display: "inline-flex", p: "5px" }}>
            <DownloadIcon fontSize="small" color="disabled" />
          </Box>
        </Tooltip>
      ) : null}
    </Box>
  );
}

/** Void (for accounts.manage) while the invoice is open. */
export function VoidButton({ invoice, onVoid }: { invoice: Pick<AccountInvoice, "invoiceNumber" | "status">; onVoid(): void }) {
  if (invoice.status !== "open") return null;
  return (
    <Button size="small" color="error" onClick={onVoid} aria-label={`Void ${invoice.invoiceNumber}`}>
      Void
    </Button>
  );
}

/** Opens the invoice's detail: its lines, tax per rate and totals (InvoiceDetailDialog). */
export function DetailsButton({ invoice, onOpen }: { invoice: Pick<AccountInvoice, "invoiceNumber">; onOpen(): void }) {
  return (
    <Button size="small" onClick={onOpen} aria-label={`Details of ${invoice.invoiceNumber}`}>
      Details
    </Button>
  );
}
