// Invoice history, newest first, mirrored from Stripe: number, service period, amount due and
// paid, status, and a link to Stripe's page for the invoice (where an open one can be paid).
import {
  Alert,
  Card,
  CardContent,
  Chip,
  Link,
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TableRow,
  Typography,
} from "@mui/material";
import { useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { Loading } from "../ui/Loading.tsx";
import { formatDay, formatPeriod, formatPrice, INVOICE_STATUS_COLOR, INVOICE_STATUS_LABEL } from "./format.ts";
import { OpenInNewIcon } from "../ui/icons.tsx";
import { BillingInvoicesQuery } from "./queries.ts";

const CONTEXT = { additionalTypenames: ["BillingInvoice"] };

export function InvoicesCard() {
  const [{ data, error, fetching }] = useQuery({ query: BillingInvoicesQuery, context: CONTEXT });
  const invoices = data?.billingInvoices?.nodes ?? [];
  return (
    <Card>
      <CardContent>
        <Typography variant="h6" component="h2" gutterBottom>
          Invoices
        </Typography>
        {error && <Alert severity="error">{errorMessage(error)}</Alert>}
        {!data && fetching ? (
          <Loading />
        ) : (
          <TableContainer>
            <Table aria-label="Invoices" size="small" sx={{ minWidth: 640 }}>
              <TableHead>
                <TableRow>
                  <TableCell>Invoice</TableCell>
                  <TableCell>Period</TableCell>
                  <TableCell align="right">Amount due</TableCell>
                  <TableCell align="right">Paid</TableCell>
                  <TableCell>Status</TableCell>
                  <TableCell />
                </TableRow>
              </TableHead>
              <TableBody>
                {invoices.map((inv) => (
                  <TableRow key={inv.id} hover>
                    <TableCell>
                      {inv.number ?? "Draft"}
                      <Typography variant="caption" color="text.secondary" sx={{ display: "block" }}>
                        {formatDay(inv.invoicedAt)}
                      </Typography>
                    </TableCell>
                    <TableCell>{formatPeriod(inv.periodStart, inv.periodEnd)}</TableCell>
                    <TableCell align="right">{formatPrice(inv.amountDue, inv.currency)}</TableCell>
                    <TableCell align="right">{formatPrice(inv.amountPaid, inv.currency)}</TableCell>
                    <TableCell>
                      <Chip
                        size="small"
                        variant="outlined"
                        label={INVOICE_STATUS_LABEL[inv.status] ?? inv.status}
                        color={INVOICE_STATUS_COLOR[inv.status] ?? "default"}
                      />
                      {inv.status === "open" && inv.attemptCount > 0 && (
                        <Typography variant="caption" color="error" sx={{ display: "block", mt: 0.5 }}>
                          {inv.attemptCount === 1 ? "Payment failed" : `${inv.attemptCount} payments failed`}
                          {inv.nextPaymentAttempt ? `; next try ${formatDay(inv.nextPaymentAttempt)}` : ""}
                        </Typography>
                      )}
                    </TableCell>
                    <TableCell align="right">
                      {inv.hostedInvoiceUrl && (
                        <Link
                          href={inv.hostedInvoiceUrl}
                          target="_blank"
                          rel="noopener noreferrer"
                          sx={{ display: "inline-flex", alignItems: "center", gap: 0.5, whiteSpace: "nowrap" }}
                        >
                          {inv.status === "open" ? "Pay invoice" : "View invoice"}
                          <OpenInNewIcon sx={{ fontSize: 16 }} />
                        </Link>
                      )}
                    </TableCell>
                  </TableRow>
                ))}
                {!invoices.length && !error && (
                  <TableRow>
                    <TableCell colSpan={6}>
                      <Typography color="text.secondary">No invoices yet. The first one comes when your trial ends.</Typography>
                    </TableCell>
                  </TableRow>
                )}
              </TableBody>
            </Table>
          </TableContainer>
        )}
      </CardContent>
    </Card>
  );
}
