// An invoice on screen, opened from its row (the account's Invoices tab, the Invoices page): its
// state, issue and due days, its lines (the sales and returns on account it invoices: line number,
// description, net amount, tax rate in percent, tax, amount), its tax per rate, its totals (net,
// tax, total, paid, due) and its PDF once the worker has written it. It reads the invoice again
// by its id, so the lines are asked for only when someone opens it; amounts are in the invoice's
// currency (the business's, useAccountMoney), as in the lists.
import {
  Alert,
  Box,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Typography,
} from "@mui/material";
import type { ReactNode } from "react";
import { useQuery } from "urql";
import { useAccountMoney } from "../customers/account.ts";
import { errorMessage } from "../lib/errors.ts";
import { DataTable } from "../ui/DataTable.tsx";
import { DownloadIcon } from "../ui/icons.tsx";
import { Loading } from "../ui/Loading.tsx";
import { formatMoney } from "../ui/money.ts";
import { bpsToPercent } from "../ui/percent.ts";
import { ACCOUNT_CONTEXT } from "./context.ts";
import { formatDay } from "./format.ts";
import { InvoiceStateChip } from "./InvoiceParts.tsx";
import { AccountInvoiceDetailQuery, type InvoiceDetail } from "./queries.ts";

/** "20%" for a rate in basis points; "No tax" for a line without one. */
const rateText = (bps: number | null | undefined) => (bps == null ? "No tax" : `${bpsToPercent(bps)}%`);

export function InvoiceDetailDialog({ invoice, onClose }: { invoice: { rowId: string; invoiceNumber: string }; onClose(): void }) {
  const [{ data, error, fetching }] = useQuery({
    query: AccountInvoiceDetailQuery,
    variables: { rowId: invoice.rowId },
    context: ACCOUNT_CONTEXT,
    requestPolicy: "cache-and-network",
  });
  const detail = data?.accountInvoiceByRowId;
  const doc = detail?.document;
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="md" aria-labelledby="invoice-detail-title">
      <DialogTitle id="invoice-detail-title">Invoice {invoice.invoiceNumber}</DialogTitle>
      <DialogContent data-testid="invoice-detail">
        {error && <Alert severity="error">{errorMessage(error)}</Alert>}
        {!detail && fetching ? <Loading /> : detail ? <InvoiceBody detail={detail} /> : !error && <Alert severity="info">This invoice is no longer there.</Alert>}
      </DialogContent>
      <DialogActions>
        {doc?.status === "done" && doc.downloadUrl && (
          <Button href={doc.downloadUrl} download={doc.fileName} startIcon={<DownloadIcon />}>
            Download the PDF
          </Button>
        )}
        {doc?.status === "pending" && (
          <Typography variant="body2" color="text.secondary" sx={{ mr: "auto", pl: 2 }}>
            The PDF is being written.
          </Typography>
        )}
        <Button onClick={onClose}>Close</Button>
      </DialogActions>
    </Dialog>
  );
}

function InvoiceBody({ detail }: { detail: InvoiceDetail }) {
  const moneyOf = useAccountMoney();
  const money = moneyOf(detail.currency);
  const amount = (minor: string | null | undefined) => formatMoney(minor, money);
  return (
    <>
      <Box component="dl" sx={{ display: "grid", gridTemplateColumns: { xs: "repeat(2, minmax(0, 1fr))", sm: "repeat(4, minmax(0, 1fr))" }, gap: 2, m: 0, mb: 2 }}>
        <Fact label="State">
          <InvoiceStateChip invoice={detail} />
        </Fact>
        <Fact label="Issued">{formatDay(detail.issuedOn)}</Fact>
        <Fact label="Due">{formatDay(detail.dueOn)}</Fact>
        <Fact label="Period">
          {formatDay(detail.periodStart)} – {formatDay(detail.periodEnd)}
        </Fact>
      </Box>
      {detail.status === "void" && detail.voidReason && (
        <Alert severity="info" sx={{ mb: 2 }}>
          Voided: {detail.voidReason}
        </Alert>
      )}
      <Typography variant="subtitle2" component="h3" gutterBottom>
        Lines
      </Typography>
      <DataTable
        label="Invoice lines"
        rows={detail.lines.nodes}
        rowKey={(l) => l.id}
        rowTestId="invoice-line"
        hover={false}
        empty="No lines."
        columns={[
          { header: "No.", cell: (l) => l.lineNo, nowrap: true },
          { header: "Description", cell: (l) => l.description, sx: { overflowWrap: "anywhere" } },
          { header: "Net", cell: (l) => amount(l.netAmount), align: "right", nowrap: true, hideBelow: "sm" },
          { header: "Tax rate", cell: (l) => rateText(l.taxRateBps), align: "right", nowrap: true, hideBelow: "sm" },
          { header: "Tax", cell: (l) => amount(l.taxAmount), align: "right", nowrap: true, hideBelow: "sm" },
          { header: "Amount", cell: (l) => amount(l.amount), align: "right", nowrap: true },
        ]}
      />
      {detail.taxes.nodes.length > 0 && (
        <>
          <Typography variant="subtitle2" component="h3" gutterBottom sx={{ mt: 2 }}>
            Tax per rate
          </Typography>
          <DataTable
            label="Tax per rate"
            rows={detail.taxes.nodes}
            rowKey={(t) => String(t.taxRateBps ?? "none")}
            rowTestId="invoice-tax"
            hover={false}
            columns={[
              { header: "Rate", cell: (t) => rateText(t.taxRateBps), nowrap: true },
              { header: "Net", cell: (t) => amount(t.netAmount), align: "right", nowrap: true },
              { header: "Tax", cell: (t) => amount(t.taxAmount), align: "right", nowrap: true },
            ]}
          />
        </>
      )}
      <Box
        component="dl"
        data-testid="invoice-totals"
        sx={{ display: "grid", gridTemplateColumns: "auto auto", justifyContent: "end", columnGap: 3, rowGap: 0.5, m: 0, mt: 2 }}
      >
        <Total label="Net" testId="invoice-net">{amount(detail.netTotal)}</Total>
        <Total label="Tax" testId="invoice-tax-total">{amount(detail.taxTotal)}</Total>
        <Total label="Total" testId="invoice-total" strong>{amount(detail.total)}</Total>
        <Total label="Amount paid" testId="invoice-paid">{amount(detail.amountPaid)}</Total>
        <Total label="Amount due" testId="invoice-due" strong>{amount(detail.amountDue)}</Total>
      </Box>
    </>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Box>
      <Typography component="dt" variant="caption" color="text.secondary">
        {label}
      </Typography>
      <Typography component="dd" variant="body2" sx={{ m: 0 }}>
        {children}
      </Typography>
    </Box>
  );
}

function Total({ label, testId, strong, children }: { label: string; testId: string; strong?: boolean; children: ReactNode }) {
  const weight = strong ? 600 : undefined;
  return (
    <>
      <Typography component="dt" variant="body2" color="text.secondary" sx={{ fontWeight: weight }}>
        {label}
      </Typography>
      <Typography component="dd" variant="body2" data-testid={testId} sx={{ m: 0, textAlign: "right", fontWeight: weight, fontVariantNumeric: "tabular-nums" }}>
        {children}
      </Typography>
    </>
  );
}
