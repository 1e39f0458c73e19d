// Invoices (accounts.view): every invoice of the business's accounts, overdue first (the most
// overdue at the top), then the others newest first; filtered by state (open, overdue, paid, void;
// in the address, ?state=…). Each links to its customer's page; members with accounts.manage void
// an open invoice with a reason.
import { Alert, Box, Card, CardContent, Link, Stack, ToggleButton, ToggleButtonGroup, Typography } from "@mui/material";
import { useEffect, useState } from "react";
import { Link as RouterLink, useSearchParams } from "react-router-dom";
import { errorMessage } from "../lib/errors.ts";
import { usePagedQuery } from "../lib/usePagedQuery.ts";
import { useCan } from "../shell/ViewerContext.tsx";
import { DataTable } from "../ui/DataTable.tsx";
import { Loading } from "../ui/Loading.tsx";
import { NotAllowed } from "../ui/NotAllowed.tsx";
import { LoadMore, PagedListHeader } from "../ui/PagedList.tsx";
import { PageHeader } from "../ui/PageHeader.tsx";
import { VoidInvoiceDialog } from "./AccountDialogs.tsx";
import { ACCOUNT_CONTEXT, POLL_MS } from "./context.ts";
import { INVOICE_STATES, formatDay } from "./format.ts";
import { InvoiceDetailDialog } from "./InvoiceDetailDialog.tsx";
import { DetailsButton, InvoiceAmount, InvoiceNumber, InvoiceStateChip, VoidButton } from "./InvoiceParts.tsx";
import { AccountInvoicesQuery, type ListedInvoice } from "./queries.ts";

const PAGE_SIZE = 50;
type State = "" | (typeof INVOICE_STATES)[number]["value"];
const isState = (v: string | null): v is State => v === "" || INVOICE_STATES.some((s) => s.value === v);

export function InvoicesPage() {
  const canView = useCan("accounts.view");
  return (
    <>
      <PageHeader title="Invoices" subtitle="The invoices of your customers' accounts: what is overdue first." />
      {canView ? <InvoicesList /> : <NotAllowed what="invoices" />}
    </>
  );
}

function InvoicesList() {
  const canManage = useCan("accounts.manage");
  const [params, setParams] = useSearchParams();
  const param = params.get("state") ?? "";
  const state: State = isState(param) ? param : "";
  const [voiding, setVoiding] = useState<ListedInvoice | null>(null);
  const [showing, setShowing] = useState<ListedInvoice | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  // The database lists them (account_invoices_in_state): its own rule of what is overdue, overdue first.
  const list = usePagedQuery(AccountInvoicesQuery, { state: state || null }, (d) => d.accountInvoicesInState, {
    pageSize: PAGE_SIZE,
    context: ACCOUNT_CONTEXT,
    requestPolicy: "cache-and-network",
  });
  const rows = list.nodes;
  // Ask again while the worker writes a PDF (a new invoice's, or a voided one's again).
  const writing = rows.some((i) => i.document?.status === "pending");
  const refresh = list.refresh;
  useEffect(() => {
    if (!writing) return;
    const timer = setInterval(refresh, POLL_MS);
    return () => clearInterval(timer);
  }, [writing, refresh]);

  return (
    <Card>
      <CardContent>
        <Stack direction="row" spacing={2} useFlexGap sx={{ alignItems: "center", flexWrap: "wrap", mb: 1 }}>
          <ToggleButtonGroup
            size="small"
            exclusive
            value={state}
            aria-label="State"
            onChange={(_e, v: State | null) => v !== null && setParams(v ? { state: v } : {}, { replace: true })}
          >
            <ToggleButton value="">All</ToggleButton>
            {INVOICE_STATES.map((s) => (
              <ToggleButton key={s.value} value={s.value}>
                {s.label}
              </ToggleButton>
            ))}
          </ToggleButtonGroup>
        </Stack>
        <PagedListHeader list={list} one="invoice" many="invoices" testId="invoices-summary" />
        {list.error && <Alert severity="error">{errorMessage(list.error)}</Alert>}
        {notice && (
          <Alert severity="success" sx={{ mb: 2 }} onClose={() => setNotice(null)}>
            {notice}
          </Alert>
        )}
        {list.loading ? (
          <Loading />
        ) : (
          <DataTable
            label="Invoices"
            rows={rows}
            rowKey={(i) => i.id}
            rowTestId="invoice-row"
            empty={
              <Typography component="span" color="text.secondary">
                {state ? `No ${state} invoices.` : "No invoices yet. Accounts are invoiced on the 1st of each month, or on a customer's page."}
              </Typography>
            }
            columns={[
              {
                header: "Invoice",
                cell: (i) => (
                  <>
                    <InvoiceNumber invoice={i} />
                    <Typography variant="caption" color="text.secondary" sx={{ display: "block" }}>
                      Issued {formatDay(i.issuedOn)}
                    </Typography>
                  </>
                ),
                nowrap: true,
              },
              {
                header: "Customer",
                cell: (i) =>
                  i.account?.customer ? (
                    <Link component={RouterLink} to={`/customers/${i.account.customer.rowId}`}>
                      {i.account.customer.displayName}
                    </Link>
                  ) : (
                    ""
                  ),
              },
              { header: "Due", cell: (i) => formatDay(i.dueOn), nowrap: true },
              { header: "State", cell: (i) => <InvoiceStateChip invoice={i} /> },
              { header: "Total", cell: (i) => <InvoiceAmount invoice={i} amount={i.total} />, align: "right", nowrap: true, hideBelow: "sm" },
              { header: "Amount due", cell: (i) => <InvoiceAmount invoice={i} amount={i.amountDue} />, align: "right", nowrap: true },
              {
                header: "Invoice actions",
                actions: true,
                nowrap: true,
                cell: (i) => (
                  <>
                    <DetailsButton invoice={i} onOpen={() => setShowing(i)} />
                    {canManage && <VoidButton invoice={i} onVoid={() => setVoiding(i)} />}
                  </>
                ),
              },
            ]}
          />
        )}
        <Box>
          <LoadMore list={list} capped="Older invoices are not shown: choose a state to narrow the list." />
        </Box>
      </CardContent>
      {voiding && <VoidInvoiceDialog invoice={voiding} onClose={() => setVoiding(null)} onDone={setNotice} />}
      {showing && <InvoiceDetailDialog invoice={showing} onClose={() => setShowing(null)} />}
    </Card>
  );
}
