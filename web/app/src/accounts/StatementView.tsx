// An account's statement for a date range (this month unless chosen): the opening balance (before
// the first day), each sale, credit note, payment and write-off of the range with the balance after
// it, and the closing balance (at the end of the last day) — the lines Query.accountStatement gives,
// shown as they come.
import { Alert, Stack, TextField, Typography } from "@mui/material";
import { useState } from "react";
import { useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { DataTable } from "../ui/DataTable.tsx";
import { Loading } from "../ui/Loading.tsx";
import { useMoney } from "../ui/useMoney.ts";
import { ACCOUNT_CONTEXT } from "./context.ts";
import { formatDay, thisMonth } from "./format.ts";
import { AccountStatementQuery, type StatementLine } from "./queries.ts";

const KIND_LABEL: Record<string, string> = {
  opening: "Opening balance",
  sale: "Sale",
  credit_note: "Credit note",
  payment: "Payment",
  write_off: "Write-off",
  closing: "Closing balance",
};

const isEdge = (l: StatementLine) => l.kind === "opening" || l.kind === "closing";

export function StatementView({ customerRowId }: { customerRowId: string }) {
  const money = useMoney();
  const [range, setRange] = useState(thisMonth);
  const valid = Boolean(range.from && range.until);
  const [{ data, error, fetching }] = useQuery({
    query: AccountStatementQuery,
    variables: { customerId: customerRowId, from: range.from, until: range.until },
    context: ACCOUNT_CONTEXT,
    pause: !valid,
  });
  const lines = data?.accountStatement?.nodes ?? [];

  return (
    <Stack spacing={2} sx={{ pt: 1 }} data-testid="account-statement">
      <Stack direction={{ xs: "column", sm: "row" }} spacing={2} sx={{ alignItems: { sm: "center" } }}>
        <TextField
          label="From"
          type="date"
          size="small"
          value={range.from}
          onChange={(e) => setRange((r) => ({ ...r, from: e.target.value }))}
          slotProps={{ inputLabel: { shrink: true } }}
          sx={{ width: { sm: 200 } }}
        />
        <TextField
          label="Until"
          type="date"
          size="small"
          value={range.until}
          onChange={(e) => setRange((r) => ({ ...r, until: e.target.value }))}
          slotProps={{ inputLabel: { shrink: true } }}
          sx={{ width: { sm: 200 } }}
        />
      </Stack>
      {error && <Alert severity="error">{errorMessage(error)}</Alert>}
      {!data && fetching ? (
        <Loading />
      ) : (
        data && (
          <DataTable
            label="Statement"
            rows={lines}
            rowKey={(l) => `${l.kind}-${l.lineDate}-${l.reference ?? ""}-${lines.indexOf(l)}`}
            rowTestId="statement-line"
            hover={false}
            columns={[
              { header: "Date", cell: (l) => formatDay(l.lineDate), nowrap: true },
              {
                header: "Description",
                cell: (l) => (
                  <Typography variant="body2" sx={{ fontWeight: isEdge(l) ? 600 : undefined }}>
                    {isEdge(l) ? KIND_LABEL[l.kind ?? ""] : l.description || KIND_LABEL[l.kind ?? ""] || l.kind}
                  </Typography>
                ),
              },
              { header: "Reference", cell: (l) => l.reference ?? "", hideBelow: "sm", sx: { overflowWrap: "anywhere" } },
              { header: "Debit", cell: (l) => (l.debit && l.debit !== "0" ? money.format(l.debit) : ""), align: "right", nowrap: true },
              { header: "Credit", cell: (l) => (l.credit && l.credit !== "0" ? money.format(l.credit) : ""), align: "right", nowrap: true },
              {
                header: "Balance",
                cell: (l) => <span style={{ fontWeight: isEdge(l) ? 600 : undefined }}>{money.format(l.balance)}</span>,
                align: "right",
                nowrap: true,
              },
            ]}
          />
        )
      )}
    </Stack>
  );
}
