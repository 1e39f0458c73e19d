// The one customer form: adds a customer (createCustomer) or edits one (updateCustomer). The
// Add/Edit dialog shows every input; the picker's quick add (the POS Customer button) shows
// fewer through `fields`. The database normalises and checks everything: its message appears
// as it is under the input it names (`field`), or at the top of the form when it is about the
// whole form (NOIDN: "an email, a phone number or a first name"); when it refers to another
// customer (`ref`: who already has this email or phone, or the customer this one was merged
// into) the form links to that customer. While adding, the customers this one may duplicate are
// pointed out as the typing pauses (LikelyDuplicates.tsx), without stopping the add.
import {
  Alert,
  Button,
  Checkbox,
  DialogActions,
  DialogContent,
  FormControlLabel,
  FormHelperText,
  InputAdornment,
  Link,
  MenuItem,
  Stack,
  TextField,
  ToggleButton,
  ToggleButtonGroup,
} from "@mui/material";
import { type ReactNode } from "react";
import { Link as RouterLink } from "react-router-dom";
import { useMutation } from "urql";
import type { ServerError } from "../lib/errors.ts";
import { useForm } from "../lib/useForm.ts";
import { CurrencyField } from "../ui/CurrencyField.tsx";
import { currencySymbol, moneyInput } from "../ui/money.ts";
import { ACCOUNT_STATUSES, parseLimit, useAccountMoney } from "./account.ts";
import { formatAddress } from "./AddressesCard.tsx";
import { tagList } from "./format.ts";
import { LikelyDuplicates } from "./LikelyDuplicates.tsx";
import {
  CreateCustomerMutation,
  UpdateCustomerMutation,
  type Address,
  type CreateCustomerInput,
  type CustomerDetail,
  type CustomerInput,
  type CustomerSummary,
} from "./queries.ts";
import { AltNameField } from "./AltNameField.tsx";
import { TagsField } from "./TagsField.tsx";
import { useFocusOnMount } from "./useFocusOnMount.ts";

/** What the edit form starts from. */
export type EditableCustomer = Pick<
  CustomerDetail,
  | "rowId" | "firstName" | "lastName" | "altName" | "email" | "phone" | "tags" | "notes" | "marketingConsent"
  | "kind" | "companyName" | "taxId" | "website" | "creditLimit" | "paymentTermsDays" | "currency" | "internalNotes"
  | "accountStatus" | "suspendedReason" | "billingAddressId" | "shippingAddressId"
> & {
  addresses?: { nodes: Address[] };
  /** Set when the customer has an account: its limit, terms and status are then the account's commands' (ACCMD here). */
  accountNumber?: string | null;
};

export interface CustomerValues {
  firstName: string;
  lastName: string;
  /** The name in a second script (such as Arabic beside Latin). */
  altName: string;
  email: string;
  phone: string;
  tags: string[];
  notes: string;
  marketingConsent: boolean;
  /** person or company: the company inputs show for a company. */
  kind: string;
  companyName: string;
  taxId: string;
  website: string;
  /** The credit limit as typed, in the account's currency. */
  creditLimit: string;
  paymentTermsDays: string;
  currency: string | null;
  internalNotes: string;
  accountStatus: string;
  suspendedReason: string;
  billingAddressId: string;
  shippingAddressId: string;
}

export type CustomerInputName = keyof CustomerValues;

const EVERY_INPUT: readonly CustomerInputName[] = [
  "kind",
  "companyName",
  "taxId",
  "website",
  "creditLimit",
  "paymentTermsDays",
  "currency",
  "firstName",
  "lastName",
  "altName",
  "email",
  "phone",
  "tags",
  "notes",
  "internalNotes",
  "accountStatus",
  "suspendedReason",
  "billingAddressId",
  "shippingAddressId",
  "marketingConsent",
];
const COMPANY_INPUTS: readonly CustomerInputName[] = ["companyName", "taxId", "website", "creditLimit", "paymentTermsDays", "currency"];
/** What a customer with an account changes on the account (its Account section), with a reason. */
const ACCOUNT_INPUTS: readonly CustomerInputName[] = ["creditLimit", "paymentTermsDays", "accountStatus", "suspendedReason"];

export interface CustomerFormProps {
  /** Edit this customer; without it the form adds one. */
  customer?: EditableCustomer;
  /** What a new customer's inputs start with (such as the text searched for). */
  initial?: Partial<CustomerValues>;
  /** The inputs to show (all by default); the server's errors about others show at the top. */
  fields?: readonly CustomerInputName[];
  /** Tags to suggest (those already in use). */
  tagSuggestions?: string[];
  submitLabel: string;
  cancelLabel?: string;
  onCancel(): void;
  /** Called with the saved customer; an edit that changes nothing calls onCancel instead. */
  onSaved(customer: CustomerSummary): void;
  /** Open the customer an error refers to in a new tab (so a sale being rung up stays). */
  openReferenceInNewTab?: boolean;
  /** More to offer about the customer an error refers to (the picker: use that customer). */
  referenceAction?(rowId: string): ReactNode;
}

function initialValues(
  c: EditableCustomer | undefined,
  initial: Partial<CustomerValues> = {},
  limitText: (cents: string | null | undefined, currency: string | null | undefined) => string = () => "",
): CustomerValues {
  return {
    kind: c?.kind ?? initial.kind ?? "person",
    companyName: c?.companyName ?? initial.companyName ?? "",
    taxId: c?.taxId ?? "",
    website: c?.website ?? "",
    creditLimit: limitText(c?.creditLimit, c?.currency),
    paymentTermsDays: c?.paymentTermsDays != null ? String(c.paymentTermsDays) : "",
    currency: c?.currency ?? null,
    internalNotes: c?.internalNotes ?? "",
    accountStatus: c?.accountStatus ?? "active",
    suspendedReason: c?.suspendedReason ?? "",
    billingAddressId: c?.billingAddressId ?? "",
    shippingAddressId: c?.shippingAddressId ?? "",
    firstName: c?.firstName ?? initial.firstName ?? "",
    lastName: c?.lastName ?? initial.lastName ?? "",
    altName: c?.altName ?? initial.altName ?? "",
    email: c?.email ?? initial.email ?? "",
    phone: c?.phone ?? initial.phone ?? "",
    tags: c ? tagList(c.tags) : (initial.tags ?? []),
    notes: c?.notes ?? initial.notes ?? "",
    marketingConsent: c?.marketingConsent ?? initial.marketingConsent ?? false,
  };
}

/** Typed numbers: the credit limit in cents (undefined when it does not read as money) and the terms. */
interface Numbers {
  creditLimit: number | null | undefined;
  paymentTermsDays: number | null;
}

/** What changed since `before` (an empty string clears a field), or null when nothing did. */
function patchOf(values: CustomerValues, before: CustomerValues, numbers: Numbers, beforeNumbers: Numbers): CustomerInput | null {
  const patch: CustomerInput = {};
  for (const key of [
    "firstName",
    "lastName",
    "altName",
    "email",
    "phone",
    "notes",
    "internalNotes",
    "billingAddressId",
    "shippingAddressId",
  ] as const) {
    if (values[key].trim() !== before[key].trim()) patch[key] = values[key].trim();
  }
  if (values.tags.join("\u0000") !== before.tags.join("\u0000")) patch.tags = values.tags;
  if (values.marketingConsent !== before.marketingConsent) {
    patch.marketingConsent = values.marketingConsent;
    patch.marketingConsentSource = "admin";
  }
  if (values.kind !== before.kind) patch.kind = values.kind;
  if (values.kind === "company") {
    for (const key of ["companyName", "taxId", "website"] as const) {
      if (values[key].trim() !== before[key].trim()) patch[key] = values[key].trim();
    }
    if (values.currency && values.currency !== before.currency) patch.currency = values.currency;
    if (numbers.creditLimit !== beforeNumbers.creditLimit) {
      if (numbers.creditLimit == null) patch.clearCreditLimit = true;
      else patch.creditLimit = String(numbers.creditLimit);
    }
    if (numbers.paymentTermsDays !== beforeNumbers.paymentTermsDays) {
      if (numbers.paymentTermsDays == null) patch.clearPaymentTerms = true;
      else patch.paymentTermsDays = numbers.paymentTermsDays;
    }
  }
  if (values.accountStatus !== before.accountStatus || values.suspendedReason.trim() !== before.suspendedReason.trim()) {
    patch.accountStatus = values.accountStatus;
    patch.suspendedReason = values.accountStatus === "suspended" ? values.suspendedReason.trim() : null;
  }
  return Object.keys(patch).length ? patch : null;
}

/** A new customer's input: what was left empty is not given. */
function inputOf(values: CustomerValues, numbers: Numbers): CreateCustomerInput {
  const company = values.kind === "company";
  return {
    firstName: values.firstName.trim() || null,
    lastName: values.lastName.trim() || null,
    altName: values.altName.trim() || null,
    email: values.email.trim() || null,
    phone: values.phone.trim() || null,
    notes: values.notes.trim() || null,
    tags: values.tags.length ? values.tags : null,
    marketingConsent: values.marketingConsent ? true : null,
    marketingConsentSource: values.marketingConsent ? "admin" : null,
    internalNotes: values.internalNotes.trim() || null,
    ...(company
      ? {
          kind: "company",
          companyName: values.companyName.trim() || null,
          taxId: values.taxId.trim() || null,
          website: values.website.trim() || null,
          creditLimit: numbers.creditLimit != null ? String(numbers.creditLimit) : null,
          paymentTermsDays: numbers.paymentTermsDays,
          currency: values.currency,
        }
      : {}),
  };
}

/** Days as typed: a whole number, null for blank, NaN otherwise (the server then says what it takes). */
const daysOf = (text: string) => (text.trim() === "" ? null : /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN);

export function CustomerForm({
  customer,
  initial,
  fields = EVERY_INPUT,
  tagSuggestions,
  submitLabel,
  cancelLabel = "Cancel",
  onCancel,
  onSaved,
  openReferenceInNewTab,
  referenceAction,
}: CustomerFormProps) {
  const formatOf = useAccountMoney();
  const limitText = (cents: string | null | undefined, currency: string | null | undefined) =>
    cents == null ? "" : moneyInput(Number(cents), formatOf(currency));
  const form = useForm<CustomerValues>(() => initialValues(customer, initial, limitText), fields);
  const { values, set, errorOf, formError } = form;
  const accountMoney = formatOf(values.currency);
  const firstInputRef = useFocusOnMount<HTMLInputElement>();
  const [, create] = useMutation(CreateCustomerMutation);
  const [, update] = useMutation(UpdateCustomerMutation);
  const company = values.kind === "company";
  const onAccount = Boolean(customer?.accountNumber);
  const shows = (name: CustomerInputName) =>
    fields.includes(name) && (company || !COMPANY_INPUTS.includes(name)) && !(onAccount && ACCOUNT_INPUTS.includes(name));
  const addresses = customer?.addresses?.nodes ?? [];

  const submit = form.submit(async () => {
    let saved: CustomerSummary | null | undefined;
    const numbers: Numbers = { creditLimit: parseLimit(values.creditLimit, accountMoney), paymentTermsDays: daysOf(values.paymentTermsDays) };
    if (numbers.creditLimit === undefined) return void form.say("Credit limit: enter an amount such as 5000.", "creditLimit");
    if (Number.isNaN(numbers.paymentTermsDays)) return void form.say("Payment terms: enter a number of days, such as 30.", "paymentTermsDays");
    if (customer) {
      const before = initialValues(customer, {}, limitText);
      const beforeNumbers: Numbers = {
        creditLimit: customer.creditLimit != null ? Number(customer.creditLimit) : null,
        paymentTermsDays: customer.paymentTermsDays ?? null,
      };
      const patch = patchOf(values, before, numbers, beforeNumbers);
      if (!patch) return onCancel();
      const result = await update({ customerId: customer.rowId, patch });
      if (result.error) return void form.fail(result.error);
      saved = result.data?.updateCustomer?.result;
    } else {
      const result = await create({ input: inputOf(values, numbers) });
      if (result.error) return void form.fail(result.error);
      saved = result.data?.createCustomer?.result;
    }
    if (saved) onSaved(saved);
  });

  /** The server's message, and when it refers to a customer, a link to them. */
  const said = (error: ServerError) => (
    <>
      {error.message}
      {error.ref && (
        <>
          {" "}
          <Link
            component={RouterLink}
            to={`/customers/${error.ref}`}
            {...(openReferenceInNewTab ? { target: "_blank", rel: "noopener" } : {})}
          >
            Open that customer
          </Link>
        </>
      )}
    </>
  );
  /** A text input's props: under it the server's message about it (with its link), else the hint. */
  const input = (
    name: "firstName" | "lastName" | "altName" | "email" | "phone" | "notes" | "companyName" | "taxId" | "website" | "internalNotes" | "suspendedReason",
    hint?: string,
  ) => {
    const error = errorOf(name);
    return { ...form.text(name), helperText: error ? said(error) : hint };
  };

  return (
    <form onSubmit={submit} noValidate>
      <DialogContent>
        <Stack spacing={2.5} sx={{ pt: 1 }}>
          {formError && <Alert severity="error">{said(formError)}</Alert>}
          {fields.includes("kind") && (
            <ToggleButtonGroup
              size="small"
              exclusive
              value={values.kind}
              aria-label="Customer kind"
              onChange={(_e, v: string | null) => v && set("kind", v)}
            >
              <ToggleButton value="person">Person</ToggleButton>
              <ToggleButton value="company">Company</ToggleButton>
            </ToggleButtonGroup>
          )}
          {shows("companyName") && (
            <TextField label="Company name" required {...input("companyName")} slotProps={{ htmlInput: { maxLength: 200 } }} />
          )}
          {company && (shows("taxId") || shows("website")) && (
            <Stack direction={{ xs: "column", sm: "row" }} spacing={2}>
              {shows("taxId") && <TextField label="Tax ID" {...input("taxId", "A VAT number such as DE123456789, or your country's ID.")} />}
              {shows("website") && <TextField label="Website" {...input("website")} />}
            </Stack>
          )}
          {company && (shows("creditLimit") || shows("paymentTermsDays") || shows("currency")) && (
            <Stack direction={{ xs: "column", sm: "row" }} spacing={2}>
              {shows("currency") && (
                <CurrencyField
                  value={values.currency}
                  onChange={(code) => set("currency", code)}
                  error={errorOf("currency")?.message}
                  helperText="Your business's currency unless you choose another."
                />
              )}
              {shows("creditLimit") && (
                <TextField
                  label="Credit limit"
                  {...form.text("creditLimit", "Open an account on their page to let them buy on account.")}
                  autoComplete="off"
                  slotProps={{
                    htmlInput: { inputMode: "decimal" },
                    input: { startAdornment: <InputAdornment position="start">{currencySymbol(accountMoney)}</InputAdornment> },
                  }}
                />
              )}
              {shows("paymentTermsDays") && (
                <TextField
                  label="Payment terms"
                  {...form.text("paymentTermsDays")}
                  autoComplete="off"
                  slotProps={{ htmlInput: { inputMode: "numeric" }, input: { endAdornment: <InputAdornment position="end">days</InputAdornment> } }}
                />
              )}
            </Stack>
          )}
          {onAccount && (
            <FormHelperText sx={{ mt: 0 }} data-testid="customer-form-account">
              Account {customer?.accountNumber}: its credit limit, payment terms and status are changed in the Account section of their page,
              with a reason.
            </FormHelperText>
          )}
          {(shows("firstName") || shows("lastName")) && (
            <Stack direction={{ xs: "column", sm: "row" }} spacing={2}>
              {shows("firstName") && (
                <TextField
                  label="First name"
                  inputRef={firstInputRef}
                  {...input("firstName")}
                  slotProps={{ htmlInput: { maxLength: 100 } }}
                />
              )}
              {shows("lastName") && (
                <TextField label="Last name" {...input("lastName")} slotProps={{ htmlInput: { maxLength: 100 } }} />
              )}
            </Stack>
          )}
          {shows("altName") && <AltNameField {...input("altName", "As they write it in another script, such as Arabic. Found by the search.")} />}
          {shows("email") && <TextField label="Email" type="email" {...input("email")} />}
          {shows("phone") && (
            <TextField
              label="Phone"
              type="tel"
              {...input("phone", "National numbers use your business's country; start with + for others.")}
            />
          )}
          {shows("tags") && (
            <TagsField value={values.tags} onChange={(tags) => set("tags", tags)} suggestions={tagSuggestions} error={errorOf("tags")?.message} />
          )}
          {shows("notes") && (
            <TextField
              label="About this customer"
              multiline
              minRows={2}
              {...input("notes", "Pinned at the top of Notes on their page. Dated notes by staff are added there, under it.")}
              slotProps={{ htmlInput: { maxLength: 2000 } }}
            />
          )}
          {shows("internalNotes") && (
            <TextField
              label="Internal notes"
              multiline
              minRows={2}
              {...input("internalNotes", "For staff only: never printed on receipts.")}
              slotProps={{ htmlInput: { maxLength: 2000 } }}
            />
          )}
          {customer && shows("accountStatus") && (
            <Stack direction={{ xs: "column", sm: "row" }} spacing={2}>
              <TextField select label="Account status" {...form.text("accountStatus")} sx={{ minWidth: 180 }}>
                {ACCOUNT_STATUSES.map((st) => (
                  <MenuItem key={st.value} value={st.value}>
                    {st.label}
                  </MenuItem>
                ))}
              </TextField>
              {values.accountStatus === "suspended" && shows("suspendedReason") && (
                <TextField label="Why suspended" required {...input("suspendedReason")} sx={{ flex: 1 }} slotProps={{ htmlInput: { maxLength: 500 } }} />
              )}
            </Stack>
          )}
          {customer && addresses.length > 0 && shows("billingAddressId") && (
            <Stack direction={{ xs: "column", sm: "row" }} spacing={2}>
              {(["billingAddressId", "shippingAddressId"] as const).map((key) => (
                <TextField key={key} select label={key === "billingAddressId" ? "Billing address" : "Shipping address"} {...form.text(key)} sx={{ flex: 1 }}>
                  <MenuItem value="">None</MenuItem>
                  {addresses.map((a) => (
                    <MenuItem key={a.rowId} value={a.rowId}>
                      {formatAddress(a).replace(/\n/g, ", ")}
                    </MenuItem>
                  ))}
                </TextField>
              ))}
            </Stack>
          )}
          {shows("marketingConsent") && (
            <FormControlLabel
              control={
                <Checkbox checked={values.marketingConsent} onChange={(e) => set("marketingConsent", e.target.checked)} name="marketingConsent" />
              }
              label="Agrees to receive marketing"
            />
          )}
          {!customer && <LikelyDuplicates values={values} openInNewTab={openReferenceInNewTab} />}
          {form.error?.ref && referenceAction?.(form.error.ref)}
        </Stack>
      </DialogContent>
      <DialogActions sx={{ px: 3, pb: 2 }}>
        <Button onClick={onCancel}>{cancelLabel}</Button>
        <Button type="submit" variant="contained" loading={form.submitting}>
          {submitLabel}
        </Button>
      </DialogActions>
    </form>
  );
}
