// An account's statement for a date range (this month unless chosen): the opening balance (before
// the first day), each sale, credit note, payment and write-off of the range with the balance after
// it, and the closing balance (at the end of the last day) — the lines Query.accountStatement gives,
// shown as they come; "Download PDF" asks the worker for the same lines as a PDF (kept 7 days) and
// offers it once written.
import { Alert, Button, Link, Stack, TextField, Typography } from "@mui/material";
import { useEffect, useState } from "react";
import { useMutation, useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { DataTable } from "../ui/DataTable.tsx";
import { Loading } from "../ui/Loading.tsx";
import { useMoney } from "../ui/useMoney.ts";
import { ACCOUNT_CONTEXT, POLL_MS } from "./context.ts";
import { formatDay, thisMonth } from "./format.ts";
import { DownloadIcon } from "../ui/icons.tsx";
import { AccountDocumentQuery, AccountStatementQuery, RequestStatementMutation, type AccountDocument, type StatementLine } from "./queries.ts";

const KIND_LABEL: Record<string, string> = {
  opening: "Opening balance",
  sale: "Sale",
  credit_note: "Credit note",
  payment: "Payment",
  write_off: "Write-off",
  refund: "Credit paid back",
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
        <StatementPdf key={`${range.from}-${range.until}`} customerRowId={customerRowId} from={range.from} until={range.until} disabled={!valid} />
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

/** "Download PDF": asks for the statement's PDF, follows the worker, then offers the file (or says why it failed). */
function StatementPdf({ customerRowId, from, until, disabled }: { customerRowId: string; from: string; until: string; disabled: boolean }) {
  const [{ fetching: asking, error: askError }, request] = useMutation(RequestStatementMutation);
  const [asked, setAsked] = useState<AccountDocument | null>(null);
  const [{ data }, reexecute] = useQuery({
    query: AccountDocumentQuery,
    variables: { rowId: asked?.rowId ?? "" },
    pause: !asked,
    requestPolicy: "network-only",
  });
  const doc = data?.accountDocumentByRowId ?? asked;
  const pending = doc?.status === "pending";
  useEffect(() => {
    if (!pending) return;
    const timer = setInterval(() => reexecute({ requestPolicy: "network-only" }), POLL_MS);
    return () => clearInterval(timer);
  }, [pending, reexecute]);

  if (doc?.status === "done" && doc.downloadUrl) {
    return (
      <Link href={doc.downloadUrl} download={doc.fileName} sx={{ display: "inline-flex", alignItems: "center", gap: 0.5 }}>
        <DownloadIcon fontSize="small" /> Download {doc.fileName}
      </Link>
    );
  }
  return (
    <Stack spacing={0.5}>
      <Button
        variant="outlined"
        startIcon={<DownloadIcon />}
        disabled={disabled}
        loading={asking || pending}
        loadingPosition="start"
        onClick={async () => {
          const result = await request({ customerId: customerRowId, from, until });
          setAsked(result.data?.requestAccountStatement?.accountDocument ?? null);
        }}
      >
        Download PDF
      </Button>
      {askError && <Typography variant="caption" color="error">{errorMessage(askError)}</Typography>}
      {doc?.status === "failed" && (
        <Typography variant="caption" color="error">
          {doc.error || "The PDF could not be written. Please try again."}
        </Typography>
      )}
    </Stack>
  );
}
