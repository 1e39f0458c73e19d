// Adds a customer (createCustomer) or edits one (updateCustomer): names, email, phone, tags,
// notes and marketing consent. The database normalises and checks everything; its refusals
// appear under the field they concern (customerErrors.ts) — a duplicate email or phone links
// to the customer who already has it.
import {
  Alert,
  Button,
  Checkbox,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControlLabel,
  Link,
  Stack,
  TextField,
} from "@mui/material";
import { useState, type FormEvent, type ReactNode } from "react";
import { Link as RouterLink } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { customerFieldError, NO_IDENTIFIER, type CustomerField, type FieldError, type FieldErrors } from "./customerErrors.ts";
import { tagList } from "./format.ts";
import {
  CreateCustomerMutation,
  CustomerByNumberQuery,
  UpdateCustomerMutation,
  type CustomerInput,
  type CustomerRow,
} from "./queries.ts";
import { TagsField } from "./TagsField.tsx";
import { useFocusOnMount } from "./useFocusOnMount.ts";

/** What the edit form starts from. */
export interface EditableCustomer {
  rowId: string;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  phone: string | null;
  tags: unknown;
  notes: string | null;
  marketingConsent: boolean | null;
}

interface Props {
  open: boolean;
  onClose(): void;
  /** Called with the saved customer (after create or update). */
  onSaved?(customer: CustomerRow): void;
  /** Edit this customer; without it the dialog adds one. */
  customer?: EditableCustomer;
  /** Tags to suggest (those already in use). */
  tagSuggestions?: string[];
}

interface Values {
  firstName: string;
  lastName: string;
  email: string;
  phone: string;
  tags: string[];
  notes: string;
  marketingConsent: boolean;
}

function initialValues(c?: EditableCustomer): Values {
  return {
    firstName: c?.firstName ?? "",
    lastName: c?.lastName ?? "",
    email: c?.email ?? "",
    phone: c?.phone ?? "",
    tags: tagList(c?.tags),
    notes: c?.notes ?? "",
    marketingConsent: c?.marketingConsent ?? false,
  };
}

export function CustomerFormDialog(props: Props) {
  // A fresh form every time the dialog opens (and for each customer edited).
  if (!props.open) return null;
  return <CustomerForm {...props} />;
}

function CustomerForm({ open, onClose, onSaved, customer, tagSuggestions }: Props) {
  const editing = Boolean(customer);
  const [values, setValues] = useState<Values>(() => initialValues(customer));
  const [errors, setErrors] = useState<FieldErrors>({});
  const firstNameRef = useFocusOnMount<HTMLInputElement>();
  const [{ fetching: creating }, create] = useMutation(CreateCustomerMutation);
  const [{ fetching: updating }, update] = useMutation(UpdateCustomerMutation);

  function set<K extends keyof Values>(key: K, value: Values[K]) {
    setValues((v) => ({ ...v, [key]: value }));
    setErrors((current) => {
      const next: FieldErrors = { ...current };
      delete next[key as CustomerField];
      delete next.general;
      // Typing any identifier settles "at least an email, a phone or a first name".
      if (next.firstName?.code === "NOIDN" && (key === "email" || key === "phone")) delete next.firstName;
      return next;
    });
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!values.firstName.trim() && !values.email.trim() && !values.phone.trim()) {
      return setErrors({ firstName: { field: "firstName", message: NO_IDENTIFIER, code: "NOIDN" } });
    }
    let result;
    if (customer) {
      const before = initialValues(customer);
      const patch: CustomerInput = {};
      // Only what changed; an empty string clears a field.
      for (const key of ["firstName", "lastName", "email", "phone", "notes"] as const) {
        if (values[key].trim() !== before[key].trim()) patch[key] = values[key].trim();
      }
      if (values.tags.join("\u0000") !== before.tags.join("\u0000")) patch.tags = values.tags;
      if (values.marketingConsent !== (customer.marketingConsent ?? false)) {
        patch.marketingConsent = values.marketingConsent;
        patch.marketingConsentSource = "admin";
      }
      if (Object.keys(patch).length === 0) return onClose();
      result = await update({ customerId: customer.rowId, patch });
      if (!result.error && result.data?.updateCustomer?.result) onSaved?.(result.data.updateCustomer.result);
    } else {
      const input: CustomerInput = {
        firstName: values.firstName.trim() || null,
        lastName: values.lastName.trim() || null,
        email: values.email.trim() || null,
        phone: values.phone.trim() || null,
        notes: values.notes.trim() || null,
        tags: values.tags.length ? values.tags : null,
        marketingConsent: values.marketingConsent ? true : null,
        marketingConsentSource: values.marketingConsent ? "admin" : null,
      };
      result = await create({ input });
      if (!result.error && result.data?.createCustomer?.result) onSaved?.(result.data.createCustomer.result);
    }
    if (result.error) {
      const err = customerFieldError(result.error);
      const next: FieldErrors = { [err.field]: err };
      if (err.code === "NOIDN") next.general = { ...err, field: "general" };
      return setErrors(next);
    }
    onClose();
  }

  const noIdentifier = errors.firstName?.code === "NOIDN";
  const title = editing ? "Edit customer" : "Add customer";

  return (
    <Dialog open={open} onClose={onClose} fullWidth maxWidth="sm">
      <form onSubmit={submit} noValidate>
        <DialogTitle>{title}</DialogTitle>
        <DialogContent>
          <Stack spacing={2.5} sx={{ pt: 1 }}>
            {errors.general && errors.general.code !== "NOIDN" && <Alert severity="error">{errors.general.message}</Alert>}
            <Stack direction={{ xs: "column", sm: "row" }} spacing={2}>
              <TextField
                label="First name"
                name="firstName"
                inputRef={firstNameRef}
                value={values.firstName}
                onChange={(e) => set("firstName", e.target.value)}
                error={Boolean(errors.firstName)}
                helperText={errors.firstName?.message}
                slotProps={{ htmlInput: { maxLength: 100 } }}
              />
              <TextField
                label="Last name"
                name="lastName"
                value={values.lastName}
                onChange={(e) => set("lastName", e.target.value)}
                error={Boolean(errors.lastName)}
                helperText={errors.lastName?.message}
                slotProps={{ htmlInput: { maxLength: 100 } }}
              />
            </Stack>
            <TextField
              label="Email"
              name="email"
              type="email"
              value={values.email}
              onChange={(e) => set("email", e.target.value)}
              error={Boolean(errors.email) || noIdentifier}
              helperText={errors.email ? <ErrorWithLink error={errors.email} /> : undefined}
            />
            <TextField
              label="Phone"
              name="phone"
              type="tel"
              value={values.phone}
              onChange={(e) => set("phone", e.target.value)}
              error={Boolean(errors.phone) || noIdentifier}
              helperText={errors.phone ? <ErrorWithLink error={errors.phone} /> : "National numbers use your business's country; start with + for others."}
            />
            <TagsField
              value={values.tags}
              onChange={(tags) => set("tags", tags)}
              suggestions={tagSuggestions}
              error={errors.tags?.message}
            />
            <TextField
              label="Notes"
              name="notes"
              multiline
              minRows={2}
              value={values.notes}
              onChange={(e) => set("notes", e.target.value)}
              error={Boolean(errors.notes)}
              helperText={errors.notes?.message}
              slotProps={{ htmlInput: { maxLength: 2000 } }}
            />
            <FormControlLabel
              control={<Checkbox checked={values.marketingConsent} onChange={(e) => set("marketingConsent", e.target.checked)} name="marketingConsent" />}
              label="Agrees to receive marketing"
            />
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" loading={creating || updating}>
            {editing ? "Save" : "Add customer"}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

/** The message, and for a duplicate a link to the customer who already has the value. */
function ErrorWithLink({ error }: { error: FieldError }): ReactNode {
  return (
    <>
      {error.message}
      {(error.existingId || error.existingNumber) && (
        <>
          {" "}
          <ExistingCustomerLink number={error.existingNumber} rowId={error.existingId} />
        </>
      )}
    </>
  );
}

export function ExistingCustomerLink({ number, rowId }: { number?: string; rowId?: string }) {
  const [{ data }] = useQuery({
    query: CustomerByNumberQuery,
    variables: { number: number ?? "" },
    pause: Boolean(rowId) || !number,
  });
  const target = rowId ?? data?.customers?.nodes[0]?.rowId;
  if (!target) return null;
  return (
    <Link component={RouterLink} to={`/customers/${target}`}>
      Open {number ?? "that customer"}
    </Link>
  );
}
