// Accounts receivable: what each customer account owes by age on a date (today unless another is
// picked) — not due yet, then 1–30, 31–60, 61–90 and over 90 days past its due date — one row per
// account that owes anything, largest first, with its customer (a link to their profile) and
// account number, and the totals of every column. The ages, amounts and totals are the database's
// (receivablesAging and receivablesAgingTotals, accounts.view: the tab is hidden without it); the
// totals are over every account, also those past the 1,000 listed. Every amount is in the
// business's currency, the one accounts are kept in.
import {
  Alert,
  Card,
  Link,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableFooter,
  TableHead,
  TableRow,
  TextField,
  Typography,
} from "@mui/material";
import { useMemo, useState } from "react";
import { Link as RouterLink } from "react-router-dom";
import { useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { Loading } from "../ui/Loading.tsx";
import { TIGHT_ON_PHONE } from "../ui/narrow.ts";
import { useMoney } from "../ui/useMoney.ts";
import { ReceivablesAgingQuery } from "./queries.ts";
import { useBusinessToday } from "../accounts/useBusinessToday.ts";

type Bucket = "current" | "days1To30" | "days31To60" | "days61To90" | "days90Plus" | "total";

/** The amount columns, oldest last, then the total. */
const BUCKETS: { key: Bucket; header: string }[] = [
  { key: "current", header: "Current" },
  { key: "days1To30", header: "1–30 days" },
  { key: "days31To60", header: "31–60 days" },
  { key: "days61To90", header: "61–90 days" },
  { key: "days90Plus", header: "Over 90 days" },
  { key: "total", header: "Total" },
];

const amountCell = { whiteSpace: "nowrap", fontVariantNumeric: "tabular-nums" } as const;
/** The totals row reads like the rows above it (a table footer's cells are smaller and grey by default), in bold. */
const footerCell = { fontWeight: 700, color: "text.primary", fontSize: "0.875rem" } as const;

export function ReceivablesTab() {
  const money = useMoney();
  // Today's balances aged at the business's today or a later day (what will be overdue by then);
  // the server refuses an earlier day. No day chosen: the server's today.
  const today = useBusinessToday();
  const [chosen, setAsOf] = useState<string | null>(null);
  const asOf = chosen ?? today;
  const [{ data, fetching, error }] = useQuery({ query: ReceivablesAgingQuery, variables: { asOf: chosen }, requestPolicy: "cache-and-network" });
  const rows = useMemo(() => data?.receivablesAging?.nodes ?? [], [data]);
  const more = (data?.receivablesAging?.totalCount ?? 0) - rows.length;
  const totals = data?.receivablesAgingTotals;

  return (
    <Stack spacing={3}>
      <TextField
        type="date"
        size="small"
        label="As of"
        value={asOf}
        onChange={(e) => e.target.value && setAsOf(e.target.value)}
        slotProps={{ inputLabel: { shrink: true }, htmlInput: { min: today } }}
        sx={{ alignSelf: "flex-start", width: 200 }}
      />
      <Typography variant="body2" color="text.secondary" sx={{ mt: -1 }}>
        What each customer account owes, in {money.currency}, by how many days past its due date it is on that day. Current is
        not due yet: invoices before their due date and sales not invoiced yet.
      </Typography>
      {error && <Alert severity="error">{errorMessage(error)}</Alert>}
      {more > 0 && <Alert severity="info">The {rows.length} largest accounts are shown; {more} more owe less.</Alert>}
      {!data && fetching ? (
        <Loading />
      ) : (
        <Card>
          <TableContainer sx={{ overflowX: "auto" }}>
            <Table size="small" aria-label="Accounts receivable" sx={TIGHT_ON_PHONE}>
              <TableHead>
                <TableRow>
                  <TableCell>Customer</TableCell>
                  <TableCell>Account</TableCell>
                  {BUCKETS.map((b) => (
                    <TableCell key={b.key} align="right" sx={{ whiteSpace: "nowrap" }}>
                      {b.header}
                    </TableCell>
                  ))}
                </TableRow>
              </TableHead>
              <TableBody>
                {rows.map((row) => (
                  <TableRow key={row.customerId ?? row.accountNumber ?? ""}>
                    <TableCell>
                      {row.customerId ? (
                        <Link component={RouterLink} to={`/customers/${row.customerId}`}>
                          {row.customerName}
                        </Link>
                      ) : (
                        row.customerName
                      )}
                    </TableCell>
                    <TableCell sx={{ whiteSpace: "nowrap" }}>{row.accountNumber}</TableCell>
                    {BUCKETS.map((b) => (
                      <TableCell key={b.key} align="right" sx={{ ...amountCell, fontWeight: b.key === "total" ? 600 : undefined }}>
                        {money.format(row[b.key] ?? 0)}
                      </TableCell>
                    ))}
                  </TableRow>
                ))}
                {rows.length === 0 && (
                  <TableRow>
                    <TableCell colSpan={2 + BUCKETS.length}>
                      <Typography color="text.secondary">No account owed anything on this date.</Typography>
                    </TableCell>
                  </TableRow>
                )}
              </TableBody>
              {rows.length > 0 && totals && (
                <TableFooter>
                  <TableRow data-testid="receivables-totals">
                    <TableCell component="th" scope="row" colSpan={2} sx={footerCell}>
                      Total
                    </TableCell>
                    {BUCKETS.map((b) => (
                      <TableCell key={b.key} align="right" sx={{ ...amountCell, ...footerCell }}>
                        {money.format(totals[b.key] ?? 0)}
                      </TableCell>
                    ))}
                  </TableRow>
                </TableFooter>
              )}
            </Table>
          </TableContainer>
        </Card>
      )}
    </Stack>
  );
}
