// The till's quick add (issue 17): a stub in two fields, a name and a phone, in under 30 seconds.
// The name is split at its first space (first name, then the rest as the last name), as the
// search box text carried into it; a phone or name typed into the search lands in its input. The
// server checks everything: its message shows under the input it is about; a phone that belongs
// to a customer already links to them (in a new tab, so the sale stays) with the offer to take
// them instead (referenceAction).
import { Alert, Button, DialogActions, DialogContent, Link, Stack, TextField } from "@mui/material";
import type { ReactNode } from "react";
import { Link as RouterLink } from "react-router-dom";
import { useMutation } from "urql";
import { useForm } from "../lib/useForm.ts";
import { LikelyDuplicates } from "./LikelyDuplicates.tsx";
import { CreateCustomerMutation, type CustomerSummary } from "./queries.ts";
import { useFocusOnMount } from "./useFocusOnMount.ts";

/** Splits "Milo Chen" into first and last name ("Milo", "Chen"); one word is a first name. */
export function splitName(name: string): { firstName: string; lastName: string } {
  const n = name.trim().replace(/\s+/g, " ");
  const space = n.indexOf(" ");
  return space < 0 ? { firstName: n, lastName: "" } : { firstName: n.slice(0, space), lastName: n.slice(space + 1) };
}

/** What was typed in the search box, in the input it looks like. */
function seeded(seed: string) {
  return /^\+?[\d\s().\-/]{5,}$/.test(seed) ? { name: "", phone: seed.trim() } : { name: seed.trim(), phone: "" };
}

export function QuickAddStub({
  seed,
  onBack,
  onCreated,
  referenceAction,
}: {
  seed: string;
  onBack(): void;
  onCreated(c: CustomerSummary): void;
  referenceAction?(rowId: string): ReactNode;
}) {
  const form = useForm(() => seeded(seed), ["name", "phone"]);
  const { values } = form;
  const nameRef = useFocusOnMount<HTMLInputElement>();
  const [, create] = useMutation(CreateCustomerMutation);
  const { firstName, lastName } = splitName(values.name);
  // The server names first_name or last_name: both are the Name input here.
  const error = form.error;
  const nameError = error && (error.field === "firstName" || error.field === "lastName") ? error : null;
  const phoneError = error && error.field === "phone" ? error : null;
  const topError = error && !nameError && !phoneError ? error : null;

  const submit = form.submit(async () => {
    const result = await create({ input: { firstName: firstName || null, lastName: lastName || null, phone: values.phone.trim() || null } });
    if (result.error) return void form.fail(result.error);
    const created = result.data?.createCustomer?.result;
    if (created) onCreated(created as CustomerSummary);
  });

  const said = (e: NonNullable<typeof error>) => (
    <>
      {e.message}
      {e.ref && (
        <>
          {" "}
          <Link component={RouterLink} to={`/customers/${e.ref}`} target="_blank" rel="noopener">
            Open that customer
          </Link>
        </>
      )}
    </>
  );

  return (
    <form onSubmit={submit} noValidate>
      <DialogContent>
        <Stack spacing={2} sx={{ pt: 1 }}>
          {topError && <Alert severity="error">{said(topError)}</Alert>}
          <TextField
            label="Name"
            inputRef={nameRef}
            value={values.name}
            onChange={(e) => form.set("name", e.target.value)}
            error={Boolean(nameError)}
            helperText={nameError ? said(nameError) : "First name, then the last name if you have it."}
            slotProps={{ htmlInput: { maxLength: 201, autoComplete: "off" } }}
          />
          <TextField
            label="Phone"
            type="tel"
            value={values.phone}
            onChange={(e) => form.set("phone", e.target.value)}
            error={Boolean(phoneError)}
            helperText={phoneError ? said(phoneError) : undefined}
          />
          <LikelyDuplicates values={{ firstName, lastName, email: "", phone: values.phone }} openInNewTab />
          {error?.ref && referenceAction?.(error.ref)}
        </Stack>
      </DialogContent>
      <DialogActions sx={{ px: 3, pb: 2 }}>
        <Button onClick={onBack}>Back to search</Button>
        <Button type="submit" variant="contained" loading={form.submitting}>
          Add and select
        </Button>
      </DialogActions>
    </form>
  );
}
