// The commands on an account, one dialog each (accounts.manage): open it, change its limit and
// terms, suspend and reactivate it, record a payment, write off part of the balance, invoice now,
// and void an invoice. Every one but a payment and "invoice now" takes a reason, which the action
// log keeps. Amounts are typed in major units of the business's currency and sent in minor units;
// an amount that does not read as money is said under its input before anything is sent, and the
// server's refusals show under the input they name (useForm), or at the top.
import {
  Alert,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  InputAdornment,
  MenuItem,
  Stack,
  TextField,
} from "@mui/material";
import type { ReactNode } from "react";
import { useMutation } from "urql";
import type { Form } from "../lib/useForm.ts";
import { useForm } from "../lib/useForm.ts";
import { currencySymbol, exampleAmount, moneyInput, parseMoney, type MoneyFormat } from "../ui/money.ts";
import { useMoney } from "../ui/useMoney.ts";
import { PAYMENT_METHODS, SUSPENSION_TYPES, formatDay } from "./format.ts";
import {
  InvoiceNowMutation,
  OpenAccountMutation,
  ReactivateAccountMutation,
  RecordPaymentMutation,
  SetAccountTermsMutation,
  SuspendAccountMutation,
  VoidInvoiceMutation,
  WriteOffMutation,
  RefundCreditMutation,
  type Account,
  type AccountInvoice,
} from "./queries.ts";

/** What a command dialog is told: whom it acts on, and what to do once it has (or has not). */
interface DialogProps {
  customerRowId: string;
  customerName: string;
  onClose(): void;
  /** Says what was done, on the page. */
  onDone(message: string): void;
}

/** A dialog around a form: its title, the form's error at the top, Cancel and the action's button. */
function CommandDialog<V extends object>({
  title,
  label,
  form,
  onSubmit,
  onClose,
  submitLabel,
  danger,
  children,
}: {
  title: string;
  /** The form's accessible name (the title unless said). */
  label?: string;
  form: Form<V>;
  onSubmit: (event?: { preventDefault(): void }) => void;
  onClose(): void;
  submitLabel: string;
  danger?: boolean;
  children: ReactNode;
}) {
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm">
      <form onSubmit={onSubmit} noValidate aria-label={label ?? title}>
        <DialogTitle>{title}</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1 }}>
            {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
            {children}
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" color={danger ? "error" : "primary"} loading={form.submitting}>
            {submitLabel}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

/** A text input for an amount in major units, with the currency's symbol before it. */
function amountSlots(money: MoneyFormat) {
  return {
    htmlInput: { inputMode: money.minorUnits ? ("decimal" as const) : ("numeric" as const) },
    input: { startAdornment: <InputAdornment position="start">{currencySymbol(money)}</InputAdornment> },
  };
}

/** Days as typed: a whole number, or NaN (said before sending). */
const daysOf = (text: string) => (/^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN);

/** Minor units of an amount typed in major units, or null when it does not read as money (said under `key`). */
function minorUnitsOf<V extends object>(form: Form<V>, key: keyof V & string, text: string, money: MoneyFormat, what: string): string | null {
  const parsed = text.trim() === "" ? null : parseMoney(text, money);
  if (parsed === null) {
    form.say(`${what}: enter an amount such as ${exampleAmount(money)}.`, key);
    return null;
  }
  return String(parsed);
}

export function OpenAccountDialog({ customerRowId, customerName, onClose, onDone }: DialogProps) {
  const money = useMoney();
  const form = useForm({ creditLimit: "", paymentTermsDays: "30", reason: "" });
  const [, open] = useMutation(OpenAccountMutation);
  const submit = form.submit(async (v) => {
    const creditLimit = minorUnitsOf(form, "creditLimit", v.creditLimit, money, "Credit limit");
    if (creditLimit === null) return;
    const days = v.paymentTermsDays.trim() === "" ? null : daysOf(v.paymentTermsDays);
    if (Number.isNaN(days)) return void form.say("Payment terms: enter a number of days, such as 30.", "paymentTermsDays");
    const result = await open({ customerId: customerRowId, creditLimit, paymentTermsDays: days, reason: v.reason.trim() });
    if (result.error) return void form.fail(result.error);
    onDone(`Opened account ${result.data?.openCustomerAccount?.customerAccount?.accountNumber ?? ""} for ${customerName}.`);
    onClose();
  });
  return (
    <CommandDialog title={`Open an account for ${customerName}`} label="Open account" form={form} onSubmit={submit} onClose={onClose} submitLabel="Open account">
      <DialogContentText>
        With an account they can buy now and pay later, up to their credit limit; their sales are invoiced monthly and due after the payment
        terms.
      </DialogContentText>
      <Stack direction={{ xs: "column", sm: "row" }} spacing={2}>
        <TextField label="Credit limit" autoFocus autoComplete="off" {...form.text("creditLimit")} slotProps={amountSlots(money)} sx={{ flex: 1 }} />
        <TextField
          label="Payment terms"
          autoComplete="off"
          {...form.text("paymentTermsDays", "Days after the invoice it is due.")}
          slotProps={{ htmlInput: { inputMode: "numeric" }, input: { endAdornment: <InputAdornment position="end">days</InputAdornment> } }}
          sx={{ flex: 1 }}
        />
      </Stack>
      <TextField label="Reason" required multiline minRows={2} {...form.text("reason", "Kept in the account's action log.")} />
    </CommandDialog>
  );
}

export function ChangeTermsDialog({ account, ...props }: DialogProps & { account: Account }) {
  const money = useMoney();
  const form = useForm({
    creditLimit: moneyInput(Number(account.creditLimit ?? 0), money) || "0",
    paymentTermsDays: String(account.paymentTermsDays ?? 30),
    reason: "",
  });
  const [, setTerms] = useMutation(SetAccountTermsMutation);
  const submit = form.submit(async (v) => {
    const creditLimit = minorUnitsOf(form, "creditLimit", v.creditLimit, money, "Credit limit");
    if (creditLimit === null) return;
    const days = daysOf(v.paymentTermsDays);
    if (Number.isNaN(days)) return void form.say("Payment terms: enter a number of days, such as 30.", "paymentTermsDays");
    const result = await setTerms({ customerId: props.customerRowId, creditLimit, paymentTermsDays: days, reason: v.reason.trim() });
    if (result.error) return void form.fail(result.error);
    props.onDone("Credit limit and payment terms saved.");
    props.onClose();
  });
  return (
    <CommandDialog title="Change credit limit and terms" label="Change terms" form={form} onSubmit={submit} onClose={props.onClose} submitLabel="Save terms">
      <Stack direction={{ xs: "column", sm: "row" }} spacing={2}>
        <TextField label="Credit limit" autoFocus autoComplete="off" {...form.text("creditLimit")} slotProps={amountSlots(money)} sx={{ flex: 1 }} />
        <TextField
          label="Payment terms"
          autoComplete="off"
          {...form.text("paymentTermsDays", "Invoices already issued keep their due day.")}
          slotProps={{ htmlInput: { inputMode: "numeric" }, input: { endAdornment: <InputAdornment position="end">days</InputAdornment> } }}
          sx={{ flex: 1 }}
        />
      </Stack>
      <TextField label="Reason" required multiline minRows={2} {...form.text("reason", "Kept in the account's action log.")} />
    </CommandDialog>
  );
}

export function SuspendDialog(props: DialogProps) {
  const form = useForm({ suspensionType: "non_payment", reason: "" });
  const [, suspend] = useMutation(SuspendAccountMutation);
  const submit = form.submit(async (v) => {
    const result = await suspend({ customerId: props.customerRowId, suspensionType: v.suspensionType, reason: v.reason.trim() });
    if (result.error) return void form.fail(result.error);
    props.onDone("Account suspended: no more sales on account until it is reactivated.");
    props.onClose();
  });
  return (
    <CommandDialog title={`Suspend ${props.customerName}'s account?`} label="Suspend account" form={form} onSubmit={submit} onClose={props.onClose} submitLabel="Suspend" danger>
      <DialogContentText>The till refuses sales on account while it is suspended. Payments can still be recorded.</DialogContentText>
      <TextField select label="Type" {...form.text("suspensionType")}>
        {SUSPENSION_TYPES.map((t) => (
          <MenuItem key={t.value} value={t.value}>
            {t.label}
          </MenuItem>
        ))}
      </TextField>
      <TextField label="Reason" required autoFocus multiline minRows={2} {...form.text("reason", "Kept in the suspension history and the action log.")} />
    </CommandDialog>
  );
}

export function ReactivateDialog(props: DialogProps) {
  const form = useForm({ reason: "" });
  const [, reactivate] = useMutation(ReactivateAccountMutation);
  const submit = form.submit(async (v) => {
    const result = await reactivate({ customerId: props.customerRowId, reason: v.reason.trim() });
    if (result.error) return void form.fail(result.error);
    props.onDone("Account reactivated.");
    props.onClose();
  });
  return (
    <CommandDialog title={`Reactivate ${props.customerName}'s account?`} label="Reactivate account" form={form} onSubmit={submit} onClose={props.onClose} submitLabel="Reactivate">
      <TextField label="Reason" required autoFocus multiline minRows={2} {...form.text("reason", "Kept in the suspension history and the action log.")} />
    </CommandDialog>
  );
}

export function RecordPaymentDialog(props: DialogProps & { balance: string; today: string }) {
  const money = useMoney();
  const owed = Number(props.balance);
  const form = useForm({ amount: owed > 0 ? moneyInput(owed, money) : "", method: "bank_transfer", reference: "", receivedOn: props.today });
  const [, record] = useMutation(RecordPaymentMutation);
  const submit = form.submit(async (v) => {
    const amount = minorUnitsOf(form, "amount", v.amount, money, "Amount");
    if (amount === null) return;
    const result = await record({
      customerId: props.customerRowId,
      amount,
      method: v.method,
      reference: v.reference.trim() || null,
      receivedOn: v.receivedOn || null,
    });
    if (result.error) return void form.fail(result.error);
    props.onDone(`Payment of ${money.format(amount)} recorded.`);
    props.onClose();
  });
  return (
    <CommandDialog title="Record a payment" form={form} onSubmit={submit} onClose={props.onClose} submitLabel="Record payment">
      <DialogContentText>It pays the oldest open invoices first; what is left is credit for the next ones.</DialogContentText>
      <Stack direction={{ xs: "column", sm: "row" }} spacing={2}>
        <TextField label="Amount" autoFocus autoComplete="off" {...form.text("amount")} slotProps={amountSlots(money)} sx={{ flex: 1 }} />
        <TextField select label="Method" {...form.text("method")} sx={{ flex: 1 }}>
          {PAYMENT_METHODS.map((m) => (
            <MenuItem key={m.value} value={m.value}>
              {m.label}
            </MenuItem>
          ))}
        </TextField>
      </Stack>
      <Stack direction={{ xs: "column", sm: "row" }} spacing={2}>
        <TextField label="Reference" autoComplete="off" {...form.text("reference", "The bank reference, a receipt number…")} sx={{ flex: 1 }} />
        <TextField label="Received on" type="date" {...form.text("receivedOn")} slotProps={{ inputLabel: { shrink: true } }} sx={{ flex: 1 }} />
      </Stack>
    </CommandDialog>
  );
}

export function RefundCreditDialog(props: DialogProps & { unusedCredit: string }) {
  const money = useMoney();
  const form = useForm({ amount: moneyInput(Number(props.unusedCredit), money), method: "bank_transfer", reason: "" });
  const [, refund] = useMutation(RefundCreditMutation);
  const submit = form.submit(async (v) => {
    const amount = minorUnitsOf(form, "amount", v.amount, money, "Amount");
    if (amount === null) return;
    const result = await refund({ customerId: props.customerRowId, amount, method: v.method, reason: v.reason.trim() });
    if (result.error) return void form.fail(result.error);
    props.onDone(`${money.format(amount)} paid back.`);
    props.onClose();
  });
  return (
    <CommandDialog title="Pay back credit" label="Pay back" form={form} onSubmit={submit} onClose={props.onClose} submitLabel="Pay back">
      <DialogContentText>
        The account holds {money.format(props.unusedCredit)} of credit no invoice has used. Paying it back settles the account.
      </DialogContentText>
      <Stack direction={{ xs: "column", sm: "row" }} spacing={2}>
        <TextField label="Amount" autoFocus autoComplete="off" {...form.text("amount")} slotProps={amountSlots(money)} sx={{ flex: 1 }} />
        <TextField select label="Method" {...form.text("method")} sx={{ flex: 1 }}>
          {PAYMENT_METHODS.map((m) => (
            <MenuItem key={m.value} value={m.value}>
              {m.label}
            </MenuItem>
          ))}
        </TextField>
      </Stack>
      <TextField label="Reason" required multiline minRows={2} {...form.text("reason", "Kept in the account's action log.")} />
    </CommandDialog>
  );
}

export function WriteOffDialog(props: DialogProps & { balance: string }) {
  const money = useMoney();
  const form = useForm({ amount: "", reason: "" });
  const [, writeOff] = useMutation(WriteOffMutation);
  const submit = form.submit(async (v) => {
    const amount = minorUnitsOf(form, "amount", v.amount, money, "Amount");
    if (amount === null) return;
    const result = await writeOff({ customerId: props.customerRowId, amount, reason: v.reason.trim() });
    if (result.error) return void form.fail(result.error);
    props.onDone(`${money.format(amount)} written off.`);
    props.onClose();
  });
  return (
    <CommandDialog title="Write off part of the balance" label="Write off" form={form} onSubmit={submit} onClose={props.onClose} submitLabel="Write off" danger>
      <DialogContentText>
        The balance is {money.format(props.balance)}. A write-off takes the amount off what they owe (oldest invoices first) and cannot be undone.
      </DialogContentText>
      <TextField label="Amount" autoFocus autoComplete="off" {...form.text("amount")} slotProps={amountSlots(money)} />
      <TextField label="Reason" required multiline minRows={2} {...form.text("reason", "Kept in the account's action log.")} />
    </CommandDialog>
  );
}

export function InvoiceNowDialog(props: DialogProps & { paymentTermsDays: number | null }) {
  const form = useForm({});
  const [, invoice] = useMutation(InvoiceNowMutation);
  const submit = form.submit(async () => {
    const result = await invoice({ customerId: props.customerRowId });
    if (result.error) return void form.fail(result.error);
    const issued = result.data?.invoiceCustomerAccount?.accountInvoice;
    props.onDone(issued ? `Issued ${issued.invoiceNumber}, due on ${formatDay(issued.dueOn)}.` : "Invoice issued.");
    props.onClose();
  });
  return (
    <CommandDialog title="Invoice now?" label="Invoice now" form={form} onSubmit={submit} onClose={props.onClose} submitLabel="Issue invoice">
      <DialogContentText>
        Every sale on account and credit note not yet invoiced, up to today, goes on one invoice
        {props.paymentTermsDays != null ? `, due in ${props.paymentTermsDays} days` : ""}. The monthly run will not invoice them again.
      </DialogContentText>
    </CommandDialog>
  );
}

export function VoidInvoiceDialog({ invoice, onClose, onDone }: { invoice: AccountInvoice; onClose(): void; onDone(message: string): void }) {
  const form = useForm({ reason: "" });
  const [, voidInvoice] = useMutation(VoidInvoiceMutation);
  const submit = form.submit(async (v) => {
    const result = await voidInvoice({ accountInvoiceId: invoice.rowId, reason: v.reason.trim() });
    if (result.error) return void form.fail(result.error);
    onDone(`${invoice.invoiceNumber} voided.`);
    onClose();
  });
  return (
    <CommandDialog title={`Void ${invoice.invoiceNumber}?`} label="Void invoice" form={form} onSubmit={submit} onClose={onClose} submitLabel="Void invoice" danger>
      <DialogContentText>
        Its sales go back to being uninvoiced, for the next invoice. The invoice and its number are kept, marked void.
      </DialogContentText>
      <TextField label="Reason" required autoFocus multiline minRows={2} {...form.text("reason", "Kept with the invoice and in the account's action log.")} />
    </CommandDialog>
  );
}
