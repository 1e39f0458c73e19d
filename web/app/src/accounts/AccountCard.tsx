// The Account section of a customer's page (accounts.view): without an account, "Open account"
// (accounts.manage); with one, its number and status (suspended: the type and reason), balance,
// credit limit, available credit, overdue total and payment terms, the commands on it
// (accounts.manage: change terms, suspend or reactivate, record a payment, write off, invoice now)
// and, in tabs, its invoices (void one), payments, statement, action log and suspension history.
// Every figure comes from the database (the balance is the ledger's sum); nothing is added up here.
import { Alert, Box, Button, Card, CardContent, Chip, Stack, Tab, Tabs, Typography } from "@mui/material";
import { useEffect, useState, type ReactNode } from "react";
import { useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { useCan } from "../shell/ViewerContext.tsx";
import { DataTable } from "../ui/DataTable.tsx";
import { Loading } from "../ui/Loading.tsx";
import { TimeAgo } from "../ui/TimeAgo.tsx";
import { useMoney, type Money } from "../ui/useMoney.ts";
import { formatDate } from "../customers/format.ts";
import {
  ChangeTermsDialog,
  InvoiceNowDialog,
  OpenAccountDialog,
  ReactivateDialog,
  RecordPaymentDialog,
  SuspendDialog,
  VoidInvoiceDialog,
  RefundCreditDialog,
  WriteOffDialog,
} from "./AccountDialogs.tsx";
import { ACCOUNT_CONTEXT, POLL_MS } from "./context.ts";
import { ACTION_LABEL, PAYMENT_METHODS, SUSPENSION_TYPES, formatDay, labelOf, termsText } from "./format.ts";
import { InvoiceDetailDialog } from "./InvoiceDetailDialog.tsx";
import { DetailsButton, InvoiceAmount, InvoiceNumber, InvoiceStateChip, VoidButton } from "./InvoiceParts.tsx";
import { CustomerAccountQuery, type Account, type AccountAction, type AccountInvoice } from "./queries.ts";
import { StatementView } from "./StatementView.tsx";
import { useBusinessToday } from "./useBusinessToday.ts";

type Command = "open" | "terms" | "suspend" | "reactivate" | "payment" | "writeOff" | "refund" | "invoice";
type TabKey = "invoices" | "payments" | "statement" | "log" | "suspensions";

/** The Account section, for members with accounts.view (nothing otherwise). `live`: not merged nor erased. */
export function AccountCard({ customerRowId, live }: { customerRowId: string; live: boolean }) {
  // A payment is dated on the business's day by default (never in the future on its clock).
  const businessToday = useBusinessToday();
  const canView = useCan("accounts.view");
  const canManage = useCan("accounts.manage");
  const [{ data, error, fetching }, reexecute] = useQuery({
    query: CustomerAccountQuery,
    variables: { rowId: customerRowId },
    context: ACCOUNT_CONTEXT,
    pause: !canView,
  });
  const [command, setCommand] = useState<Command | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const customer = data?.customerByRowId;
  const account = customer?.account ?? null;
  // Ask again while the worker writes an invoice's PDF (made with the invoice, again when voided).
  const writing = Boolean(account?.invoices.nodes.some((i) => i.document?.status === "pending"));
  useEffect(() => {
    if (!writing) return;
    const timer = setInterval(() => reexecute({ requestPolicy: "network-only" }), POLL_MS);
    return () => clearInterval(timer);
  }, [writing, reexecute]);
  if (!canView) return null;
  const dialogProps = {
    customerRowId,
    customerName: customer?.displayName ?? "",
    onClose: () => setCommand(null),
    onDone: setNotice,
  };

  return (
    <Card data-testid="account-card" component="section" aria-label="Account">
      <CardContent>
        <Stack direction="row" spacing={1.5} useFlexGap sx={{ alignItems: "center", flexWrap: "wrap", mb: 1.5 }}>
          <Typography variant="h6" component="h2">
            Account
          </Typography>
          {account && (
            <>
              <Typography color="text.secondary" data-testid="account-number">
                {account.accountNumber}
              </Typography>
              <AccountStatusChip account={account} />
            </>
          )}
        </Stack>
        {error && <Alert severity="error" sx={{ mb: 2 }}>{errorMessage(error)}</Alert>}
        {notice && (
          <Alert severity="success" sx={{ mb: 2 }} onClose={() => setNotice(null)}>
            {notice}
          </Alert>
        )}
        {!data && fetching ? (
          <Loading />
        ) : !customer ? null : !account ? (
          <Stack direction={{ xs: "column", sm: "row" }} spacing={2} sx={{ alignItems: { sm: "center" }, justifyContent: "space-between" }}>
            <Typography color="text.secondary">
              No account. With one, {customer.displayName} can buy on account up to a credit limit and pay against monthly invoices.
            </Typography>
            {canManage && live && (
              <Button variant="contained" sx={{ flexShrink: 0 }} onClick={() => setCommand("open")}>
                Open account
              </Button>
            )}
          </Stack>
        ) : (
          <AccountBody customerRowId={customerRowId} account={account} canManage={canManage && live} onCommand={setCommand} onNotice={setNotice} />
        )}
      </CardContent>
      {command === "open" && <OpenAccountDialog {...dialogProps} />}
      {account && command === "terms" && <ChangeTermsDialog {...dialogProps} account={account} />}
      {account && command === "suspend" && <SuspendDialog {...dialogProps} />}
      {account && command === "reactivate" && <ReactivateDialog {...dialogProps} />}
      {account && command === "payment" && <RecordPaymentDialog {...dialogProps} balance={account.balance} today={businessToday} />}
      {account && command === "writeOff" && <WriteOffDialog {...dialogProps} balance={account.balance} />}
      {account && command === "refund" && <RefundCreditDialog {...dialogProps} unusedCredit={account.unusedCredit} />}
      {account && command === "invoice" && <InvoiceNowDialog {...dialogProps} paymentTermsDays={account.paymentTermsDays ?? null} />}
    </Card>
  );
}

function AccountStatusChip({ account }: { account: Account }) {
  const suspended = account.status === "suspended";
  const open = account.currentSuspension;
  return (
    <Chip
      size="small"
      data-testid="account-status"
      color={suspended ? "error" : "success"}
      variant="outlined"
      label={suspended ? `Suspended${open ? ` · ${labelOf(SUSPENSION_TYPES, open.type)}` : ""}` : "Active"}
    />
  );
}

function AccountBody({
  customerRowId,
  account,
  canManage,
  onCommand,
  onNotice,
}: {
  customerRowId: string;
  account: Account;
  canManage: boolean;
  onCommand(c: Command): void;
  onNotice(message: string): void;
}) {
  const money = useMoney();
  const [tab, setTab] = useState<TabKey>("invoices");
  const [voiding, setVoiding] = useState<AccountInvoice | null>(null);
  const [showing, setShowing] = useState<AccountInvoice | null>(null);
  const suspended = account.status === "suspended";
  const open = account.currentSuspension;
  const overdue = account.overdueTotal !== "0";

  return (
    <>
      {suspended && open && (
        <Alert severity="warning" sx={{ mb: 2 }} data-testid="account-suspended">
          Suspended for {labelOf(SUSPENSION_TYPES, open.type).toLowerCase()}: {open.reason} — {formatDate(open.suspendedAt)}
          {open.suspendedBy ? ` by ${open.suspendedBy.name}` : " automatically"}. The till refuses sales on account until it is reactivated.
        </Alert>
      )}
      <Box
        component="dl"
        sx={{ display: "grid", gridTemplateColumns: { xs: "repeat(2, minmax(0, 1fr))", sm: "repeat(3, minmax(0, 1fr))", lg: "repeat(6, minmax(0, 1fr))" }, gap: 2, m: 0, mb: 2 }}
      >
        <Figure label="Balance" testId="account-balance">{money.format(account.balance)}</Figure>
        <Figure label="Credit limit" testId="account-limit">{money.format(account.creditLimit)}</Figure>
        <Figure label="Available credit" testId="account-available">{account.availableCredit == null ? "–" : money.format(account.availableCredit)}</Figure>
        <Figure label="Overdue" testId="account-overdue" tone={overdue ? "error.main" : undefined}>
          {money.format(account.overdueTotal)}
        </Figure>
        <Figure label="Payment terms" testId="account-terms">{termsText(account.paymentTermsDays)}</Figure>
        <Figure label="Opened" testId="account-opened">{formatDate(account.openedAt)}</Figure>
      </Box>
      {canManage && (
        <Stack direction="row" spacing={1} useFlexGap sx={{ flexWrap: "wrap", mb: 2 }}>
          <Button variant="contained" onClick={() => onCommand("payment")}>
            Record payment
          </Button>
          <Button variant="outlined" onClick={() => onCommand("invoice")}>
            Invoice now
          </Button>
          <Button variant="outlined" onClick={() => onCommand("terms")}>
            Change terms
          </Button>
          {suspended ? (
            <Button variant="outlined" onClick={() => onCommand("reactivate")}>
              Reactivate
            </Button>
          ) : (
            <Button variant="outlined" color="warning" onClick={() => onCommand("suspend")}>
              Suspend
            </Button>
          )}
          <Button variant="outlined" color="error" onClick={() => onCommand("writeOff")}>
            Write off
          </Button>
          {account.unusedCredit !== "0" && (
            <Button variant="outlined" onClick={() => onCommand("refund")}>
              Pay back credit
            </Button>
          )}
        </Stack>
      )}
      <Box sx={{ borderBottom: 1, borderColor: "divider" }}>
        <Tabs value={tab} onChange={(_e, next: TabKey) => setTab(next)} aria-label="Account" variant="scrollable" scrollButtons="auto" allowScrollButtonsMobile>
          <Tab value="invoices" label={`Invoices (${account.invoices.nodes.length})`} />
          <Tab value="payments" label={`Payments (${account.payments.nodes.length})`} />
          <Tab value="statement" label="Statement" />
          <Tab value="log" label="Action log" />
          <Tab value="suspensions" label="Suspensions" />
        </Tabs>
      </Box>
      <Box sx={{ pt: 1 }}>
        {tab === "invoices" && (
          <DataTable
            label="Invoices"
            rows={account.invoices.nodes}
            rowKey={(i) => i.id}
            rowTestId="invoice-row"
            empty="No invoices yet. Sales on account are invoiced on the 1st of each month, or now with Invoice now."
            columns={[
              { header: "Invoice", cell: (i) => <InvoiceNumber invoice={i} />, nowrap: true },
              { header: "Issued", cell: (i) => formatDay(i.issuedOn), nowrap: true, hideBelow: "sm" },
              { header: "Due", cell: (i) => formatDay(i.dueOn), nowrap: true },
              { header: "State", cell: (i) => <InvoiceStateChip invoice={i} /> },
              { header: "Total", cell: (i) => <InvoiceAmount invoice={i} amount={i.total} />, align: "right", nowrap: true },
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
        {tab === "payments" && <PaymentsTable account={account} money={money} />}
        {tab === "statement" && <StatementView customerRowId={customerRowId} />}
        {tab === "log" && <ActionLog account={account} money={money} />}
        {tab === "suspensions" && <SuspensionHistory account={account} />}
      </Box>
      {voiding && <VoidInvoiceDialog invoice={voiding} onClose={() => setVoiding(null)} onDone={onNotice} />}
      {showing && <InvoiceDetailDialog invoice={showing} onClose={() => setShowing(null)} />}
    </>
  );
}

function Figure({ label, testId, tone, children }: { label: string; testId: string; tone?: string; children: ReactNode }) {
  return (
    <Box sx={{ minWidth: 0 }}>
      <Typography component="dt" variant="body2" color="text.secondary">
        {label}
      </Typography>
      <Typography component="dd" variant="h6" sx={{ m: 0, color: tone, fontVariantNumeric: "tabular-nums" }} data-testid={testId}>
        {children || "–"}
      </Typography>
    </Box>
  );
}


function PaymentsTable({ account, money }: { account: Account; money: Money }) {
  return (
    <DataTable
      label="Payments"
      rows={account.payments.nodes}
      rowKey={(p) => p.id}
      rowTestId="payment-row"
      empty="No payments yet."
      columns={[
        { header: "Received", cell: (p) => formatDay(p.receivedOn), nowrap: true },
        { header: "Amount", cell: (p) => money.format(p.amount), align: "right", nowrap: true },
        {
          header: "On invoices",
          cell: (p) => (p.allocated === p.amount ? "All" : money.format(p.allocated)),
          align: "right",
          nowrap: true,
          hideBelow: "sm",
        },
        { header: "Method", cell: (p) => labelOf(PAYMENT_METHODS, p.method) },
        { header: "Reference", cell: (p) => p.reference ?? "", sx: { overflowWrap: "anywhere" } },
        { header: "Recorded by", cell: (p) => p.recordedBy?.name ?? "", hideBelow: "sm" },
      ]}
    />
  );
}

/** A field of an action's before/after snapshot, whichever way the database spells it. */
function snapshotField(snapshot: unknown, ...keys: string[]): unknown {
  if (!snapshot || typeof snapshot !== "object") return undefined;
  const s = snapshot as Record<string, unknown>;
  for (const k of keys) if (k in s) return s[k];
  return undefined;
}

/** "Limit $5,000.00 → $8,000.00 · Terms Net 30 days → Net 45 days" for what an action changed of the limit, terms or balance. */
export function changeText(action: Pick<AccountAction, "before" | "after">, money: Money): string {
  const parts: string[] = [];
  const limit = (s: unknown) => snapshotField(s, "credit_limit", "creditLimit");
  const terms = (s: unknown) => snapshotField(s, "payment_terms_days", "paymentTermsDays");
  const showLimit = (v: unknown) => (v == null ? "none" : money.format(v as string | number));
  const showTerms = (v: unknown) => (v == null ? "none" : termsText(Number(v)));
  const [lb, la, tb, ta] = [limit(action.before), limit(action.after), terms(action.before), terms(action.after)];
  if (action.before == null) {
    if (la !== undefined) parts.push(`Limit ${showLimit(la)}`);
    if (ta !== undefined) parts.push(`Terms ${showTerms(ta)}`);
  } else {
    if (la !== undefined && String(lb) !== String(la)) parts.push(`Limit ${showLimit(lb)} → ${showLimit(la)}`);
    if (ta !== undefined && String(tb) !== String(ta)) parts.push(`Terms ${showTerms(tb)} → ${showTerms(ta)}`);
    // A write-off (the one action that moves the balance).
    const [bb, ba] = [snapshotField(action.before, "balance"), snapshotField(action.after, "balance")];
    if (bb != null && ba != null && String(bb) !== String(ba)) parts.push(`Balance ${money.format(bb as string)} → ${money.format(ba as string)}`);
  }
  return parts.join(" · ");
}

function ActionLog({ account, money }: { account: Account; money: Money }) {
  return (
    <DataTable
      label="Action log"
      rows={account.actions.nodes}
      rowKey={(a) => a.id}
      rowTestId="action-row"
      empty="Nothing done on this account yet."
      columns={[
        { header: "Action", cell: (a) => ACTION_LABEL[a.action] ?? a.action, nowrap: true },
        { header: "Reason", cell: (a) => a.reason, sx: { overflowWrap: "anywhere", whiteSpace: "pre-line" } },
        { header: "Change", cell: (a) => changeText(a, money), sx: { overflowWrap: "anywhere" } },
        { header: "By", cell: (a) => a.actor?.name ?? "Automatic", hideBelow: "sm", nowrap: true },
        { header: "When", cell: (a) => <TimeAgo iso={a.createdAt} />, nowrap: true },
      ]}
    />
  );
}

function SuspensionHistory({ account }: { account: Account }) {
  return (
    <DataTable
      label="Suspensions"
      rows={account.suspensions.nodes}
      rowKey={(s) => s.id}
      rowTestId="suspension-row"
      empty="Never suspended."
      columns={[
        { header: "Type", cell: (s) => labelOf(SUSPENSION_TYPES, s.type), nowrap: true },
        { header: "Reason", cell: (s) => s.reason, sx: { overflowWrap: "anywhere" } },
        {
          header: "Suspended",
          cell: (s) => `${formatDate(s.suspendedAt)}${s.suspendedBy ? ` by ${s.suspendedBy.name}` : " automatically"}`,
        },
        {
          header: "Reactivated",
          cell: (s) =>
            s.reactivatedAt ? `${formatDate(s.reactivatedAt)}${s.reactivatedBy ? ` by ${s.reactivatedBy.name}` : ""}: ${s.reactivationReason ?? ""}` : "Still suspended",
          sx: { overflowWrap: "anywhere" },
        },
      ]}
    />
  );
}
