// The one customer form: adds a customer (createCustomer) or edits one (updateCustomer). The
// Add/Edit dialog shows every input; the picker's quick add (the POS Customer button) shows
// fewer through `fields`. The database normalises and checks everything: its message appears
// as it is under the input it names (`field`), or at the top of the form when it is about the
// whole form (NOIDN: "an email, a phone number or a first name"); when it refers to another
// customer (`ref`: who already has this email or phone, or the customer this one was merged
// into) the form links to that customer. While adding, the customers this one may duplicate are
// pointed out as the typing pauses (LikelyDuplicates.tsx), without stopping the add.
import { Alert, Button, Checkbox, DialogActions, DialogContent, FormControlLabel, Link, Stack, TextField } from "@mui/material";
import { type ReactNode } from "react";
import { Link as RouterLink } from "react-router-dom";
import { useMutation } from "urql";
import type { ServerError } from "../lib/errors.ts";
import { useForm } from "../lib/useForm.ts";
import { tagList } from "./format.ts";
import { LikelyDuplicates } from "./LikelyDuplicates.tsx";
import { CreateCustomerMutation, UpdateCustomerMutation, type CustomerDetail, type CustomerInput, type CustomerSummary } from "./queries.ts";
import { TagsField } from "./TagsField.tsx";
import { useFocusOnMount } from "./useFocusOnMount.ts";

/** What the edit form starts from. */
export type EditableCustomer = Pick<
  CustomerDetail,
  "rowId" | "firstName" | "lastName" | "email" | "phone" | "tags" | "notes" | "marketingConsent"
>;

export interface CustomerValues {
  firstName: string;
  lastName: string;
  email: string;
  phone: string;
  tags: string[];
  notes: string;
  marketingConsent: boolean;
}

export type CustomerInputName = keyof CustomerValues;

const EVERY_INPUT: readonly CustomerInputName[] = ["firstName", "lastName", "email", "phone", "tags", "notes", "marketingConsent"];

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

function initialValues(c: EditableCustomer | undefined, initial: Partial<CustomerValues> = {}): CustomerValues {
  return {
    firstName: c?.firstName ?? initial.firstName ?? "",
    lastName: c?.lastName ?? initial.lastName ?? "",
    email: c?.email ?? initial.email ?? "",
    phone: c?.phone ?? initial.phone ?? "",
    tags: c ? tagList(c.tags) : (initial.tags ?? []),
    notes: c?.notes ?? initial.notes ?? "",
    marketingConsent: c?.marketingConsent ?? initial.marketingConsent ?? false,
  };
}

/** What changed since `before` (an empty string clears a field), or null when nothing did. */
function patchOf(values: CustomerValues, before: CustomerValues): CustomerInput | null {
  const patch: CustomerInput = {};
  for (const key of ["firstName", "lastName", "email", "phone", "notes"] as const) {
    if (values[key].trim() !== before[key].trim()) patch[key] = values[key].trim();
  }
  if (values.tags.join("\u0000") !== before.tags.join("\u0000")) patch.tags = values.tags;
  if (values.marketingConsent !== before.marketingConsent) {
    patch.marketingConsent = values.marketingConsent;
    patch.marketingConsentSource = "admin";
  }
  return Object.keys(patch).length ? patch : null;
}

/** A new customer's input: what was left empty is not given. */
function inputOf(values: CustomerValues): CustomerInput {
  return {
    firstName: values.firstName.trim() || null,
    lastName: values.lastName.trim() || null,
    email: values.email.trim() || null,
    phone: values.phone.trim() || null,
    notes: values.notes.trim() || null,
    tags: values.tags.length ? values.tags : null,
    marketingConsent: values.marketingConsent ? true : null,
    marketingConsentSource: values.marketingConsent ? "admin" : null,
  };
}

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
  const form = useForm<CustomerValues>(() => initialValues(customer, initial), fields);
  const { values, set, errorOf, formError } = form;
  const firstInputRef = useFocusOnMount<HTMLInputElement>();
  const [, create] = useMutation(CreateCustomerMutation);
  const [, update] = useMutation(UpdateCustomerMutation);
  const shows = (name: CustomerInputName) => fields.includes(name);

  const submit = form.submit(async () => {
    let saved: CustomerSummary | null | undefined;
    if (customer) {
      const patch = patchOf(values, initialValues(customer));
      if (!patch) return onCancel();
      const result = await update({ customerId: customer.rowId, patch });
      if (result.error) return void form.fail(result.error);
      saved = result.data?.updateCustomer?.result;
    } else {
      const result = await create({ input: inputOf(values) });
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
  const input = (name: "firstName" | "lastName" | "email" | "phone" | "notes", hint?: string) => {
    const error = errorOf(name);
    return { ...form.text(name), helperText: error ? said(error) : hint };
  };

  return (
    <form onSubmit={submit} noValidate>
      <DialogContent>
        <Stack spacing={2.5} sx={{ pt: 1 }}>
          {formError && <Alert severity="error">{said(formError)}</Alert>}
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
