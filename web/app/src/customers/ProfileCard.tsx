// Who the customer is: name and number, status, contact details, type, tags and marketing
// consent. (What is written about them, the profile's `notes`, is shown pinned at the top of the
// Notes card as "About this customer".) Editing happens in CustomerFormDialog; the type is chosen
// right here (setCustomerType) by people with customers.update.
import { Box, Card, CardContent, Chip, FormHelperText, MenuItem, Select, Typography } from "@mui/material";
import { useId, useMemo, type ReactNode } from "react";
import { useMutation, useQuery } from "urql";
import { useForm } from "../lib/useForm.ts";
import { formatDate, labelOf, STATUS_LABEL, tagList } from "./format.ts";
import { CustomerTypesQuery, SetCustomerTypeMutation, type CustomerDetail } from "./queries.ts";
import { usePhone } from "../ui/usePhone.ts";
import { ACCOUNT_STATUSES, paymentTerms, useCreditLimit } from "./account.ts";
import { formatAddress } from "./AddressesCard.tsx";
import { AltName } from "./AltName.tsx";

export function StatusChip({ status }: { status: string }) {
  return (
    <Chip
      size="small"
      variant="outlined"
      label={STATUS_LABEL[status] ?? status}
      color={status === "active" ? "success" : status === "archived" ? "default" : "warning"}
      data-testid="customer-status"
    />
  );
}

function consentText(c: CustomerDetail): string {
  if (c.marketingConsent == null) return "Not asked yet";
  const since = c.marketingConsentUpdatedAt ? ` since ${formatDate(c.marketingConsentUpdatedAt)}` : "";
  const via = c.marketingConsentSource ? ` (${c.marketingConsentSource === "pos" ? "at the till" : `via ${c.marketingConsentSource}`})` : "";
  return c.marketingConsent ? `Agrees to receive marketing${since}${via}` : `Declined marketing${since}${via}`;
}

export function ProfileCard({ customer: c, canWrite }: { customer: CustomerDetail; canWrite: boolean }) {
  const tags = tagList(c.tags);
  const phone = usePhone();
  const creditLimit = useCreditLimit();
  const company = c.kind === "company";
  const addressOf = (rowId: string | null) => {
    const a = rowId ? c.addresses.nodes.find((x) => x.rowId === rowId) : undefined;
    return a ? formatAddress(a).replace(/\n/g, ", ") : null;
  };
  return (
    <Card data-testid="profile-card">
      <CardContent>
        <Typography variant="h6" component="h2" sx={{ mb: 1.5 }}>
          Profile
        </Typography>
        <Box component="dl" sx={{ display: "grid", gridTemplateColumns: "max-content 1fr", columnGap: 3, rowGap: 1.25, m: 0 }}>
          {company && (
            <>
              <Field label="Company">{c.companyName}</Field>
              <Field label="Tax ID">{c.taxId}</Field>
              <Field label="Website">
                {c.website ? (
                  <a href={c.website} target="_blank" rel="noopener noreferrer">
                    {c.website.replace(/^https?:\/\//, "")}
                  </a>
                ) : null}
              </Field>
              <Field label="Credit limit">{creditLimit(c.creditLimit, c.currency)}</Field>
              <Field label="Payment terms">{paymentTerms(c.paymentTermsDays)}</Field>
              <Field label="Currency">{c.currency}</Field>
            </>
          )}
          {(company || c.accountStatus !== "active") && (
            <Field label="Account">
              {labelOf(ACCOUNT_STATUSES, c.accountStatus)}
              {c.suspendedReason ? ` — ${c.suspendedReason}` : ""}
            </Field>
          )}
          {c.billingAddressId && <Field label="Billing address">{addressOf(c.billingAddressId)}</Field>}
          {c.shippingAddressId && <Field label="Shipping address">{addressOf(c.shippingAddressId)}</Field>}
          <Field label="First name">{c.firstName}</Field>
          <Field label="Last name">{c.lastName}</Field>
          {c.altName && (
            <Field label="Name in another script">
              <AltName name={c.altName} sx={{ display: "block" }} />
            </Field>
          )}
          <Field label="Email">{c.email}</Field>
          <Field label="Phone">{phone(c.phone)}</Field>
          <Field label="Type">{canWrite ? <CustomerTypeSelect customer={c} /> : c.customerType?.label}</Field>
          <Field label="Tags">
            {tags.length ? (
              <Box sx={{ display: "flex", gap: 0.5, flexWrap: "wrap" }}>
                {tags.map((t) => (
                  <Chip key={t} size="small" label={t} />
                ))}
              </Box>
            ) : null}
          </Field>
          <Field label="Marketing">{consentText(c)}</Field>
          <Field label="Customer since">{formatDate(c.createdAt)}</Field>
          {c.internalNotes && <Field label="Internal notes">{c.internalNotes}</Field>}
        </Box>
      </CardContent>
    </Card>
  );
}

/** The customer's type, changed as soon as another is picked; the server's words under it. */
function CustomerTypeSelect({ customer: c }: { customer: CustomerDetail }) {
  const [{ data }] = useQuery({ query: CustomerTypesQuery, context: TYPES_CONTEXT });
  const current = c.customerType?.rowId ?? "";
  // The customer's own type is offered even before the list of types is in, so it shows at once.
  const types = useMemo(() => {
    const list = data?.customerTypes?.nodes ?? [];
    return c.customerType && !list.some((t) => t.rowId === c.customerType!.rowId) ? [...list, c.customerType] : list;
  }, [data, c.customerType]);
  const [{ fetching }, setType] = useMutation(SetCustomerTypeMutation);
  const form = useForm({ customerTypeId: "" });
  const error = form.errorOf("customerTypeId");
  return (
    <Box component="span" sx={{ display: "block" }}>
      <Select
        variant="standard"
        size="small"
        value={current}
        displayEmpty
        disabled={fetching}
        error={Boolean(error)}
        inputProps={{ "aria-label": "Customer type" }}
        onChange={async (e) => {
          const next = e.target.value;
          form.set("customerTypeId", next);
          const result = await setType({ customerId: c.rowId, customerTypeId: next || null });
          if (result.error) form.fail(result.error);
        }}
        sx={{ minWidth: 160, fontSize: "inherit" }}
      >
        <MenuItem value="">
          <Box component="span" sx={{ color: "text.secondary" }}>
            No type
          </Box>
        </MenuItem>
        {types.map((t) => (
          <MenuItem key={t.rowId} value={t.rowId}>
            {t.label}
          </MenuItem>
        ))}
      </Select>
      {form.error && <FormHelperText error>{form.error.message}</FormHelperText>}
    </Box>
  );
}

const TYPES_CONTEXT = { additionalTypenames: ["CustomerType"] };

/** A label and its value in a card's list of facts (a dt and its dd, the dd named by the dt). */
export function ProfileField({ label, children }: { label: string; children: ReactNode }) {
  return <Field label={label}>{children}</Field>;
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  const id = useId();
  return (
    <>
      <Typography component="dt" variant="body2" color="text.secondary" id={id}>
        {label}
      </Typography>
      <Typography component="dd" variant="body2" sx={{ m: 0, wordBreak: "break-word" }} aria-labelledby={id}>
        {children ?? (
          <Box component="span" sx={{ color: "text.disabled" }}>
            —
          </Box>
        )}
      </Typography>
    </>
  );
}
