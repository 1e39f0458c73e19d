// The people of a company customer: name, role, email and phones, how they like to be reached.
// Exactly one is the primary contact once there is any (the database makes the first one primary
// and moves the flag when another is made primary; the primary cannot step down by itself, PRIMR).
// People with customers.update add, edit, remove and make primary, through the contact commands;
// the server's message shows under the input it names, or above the form.
import {
  Alert,
  Box,
  Button,
  Card,
  CardContent,
  Checkbox,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControlLabel,
  IconButton,
  MenuItem,
  Stack,
  TextField,
  Typography,
} from "@mui/material";
import { useState } from "react";
import { useMutation } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { useForm } from "../lib/useForm.ts";
import { AddIcon, DeleteIcon, EditIcon, StarIcon } from "../ui/icons.tsx";
import { usePhone } from "../ui/usePhone.ts";
import { labelOf } from "./format.ts";
import { AddContactMutation, RemoveContactMutation, SetPrimaryContactMutation, UpdateContactMutation, type Contact } from "./queries.ts";
import { useFocusOnMount } from "./useFocusOnMount.ts";

export const CONTACT_ROLES = [
  { value: "primary", label: "Primary" },
  { value: "billing", label: "Billing" },
  { value: "shipping", label: "Shipping" },
  { value: "contact", label: "Contact" },
] as const;

const CONTACT_METHODS = [
  { value: "email", label: "Email" },
  { value: "phone", label: "Phone" },
  { value: "mobile", label: "Mobile" },
] as const;

export function ContactsCard({ customerRowId, contacts, canWrite }: { customerRowId: string; contacts: Contact[]; canWrite: boolean }) {
  const [dialog, setDialog] = useState<{ contact?: Contact } | null>(null);
  const [{ fetching: promoting, error: primaryError }, setPrimary] = useMutation(SetPrimaryContactMutation);
  const [{ error: removeError }, remove] = useMutation(RemoveContactMutation);
  const [busy, setBusy] = useState<string | null>(null);
  const phone = usePhone();
  const error = primaryError ?? removeError;
  const sorted = [...contacts].sort((a, b) => Number(b.role === "primary") - Number(a.role === "primary"));

  return (
    <Card data-testid="contacts-card">
      <CardContent>
        <Stack direction="row" sx={{ alignItems: "center", justifyContent: "space-between", mb: 1 }}>
          <Typography variant="h6" component="h2">
            Contacts
          </Typography>
          {canWrite && (
            <Button size="small" startIcon={<AddIcon />} onClick={() => setDialog({})}>
              Add contact
            </Button>
          )}
        </Stack>
        {error && <Alert severity="error" sx={{ mb: 1 }}>{errorMessage(error)}</Alert>}
        {sorted.length === 0 ? (
          <Typography color="text.secondary">No contacts yet. The first one added becomes the primary contact.</Typography>
        ) : (
          <Box component="ul" aria-label="Contacts" sx={{ listStyle: "none", m: 0, p: 0 }}>
            {sorted.map((k) => (
              <Box
                component="li"
                key={k.id}
                aria-label={k.displayName}
                data-testid="contact"
                sx={{ py: 1.25, borderTop: 1, borderColor: "divider", display: "flex", gap: 1 }}
              >
                <Box sx={{ flex: 1, minWidth: 0 }}>
                  <Stack direction="row" spacing={1} sx={{ alignItems: "center", mb: 0.5, flexWrap: "wrap" }}>
                    <Typography variant="subtitle2">{k.displayName}</Typography>
                    {k.role === "primary" ? (
                      <Chip size="small" color="primary" variant="outlined" icon={<StarIcon fontSize="small" />} label="Primary" />
                    ) : (
                      <Chip size="small" variant="outlined" label={labelOf(CONTACT_ROLES, k.role)} />
                    )}
                  </Stack>
                  <Typography variant="body2" color="text.secondary" sx={{ overflowWrap: "anywhere" }}>
                    {[k.email, k.phone && phone(k.phone), k.mobile && `mobile ${phone(k.mobile)}`].filter(Boolean).join(" · ") || "—"}
                  </Typography>
                  <Typography variant="caption" color="text.secondary">
                    Prefers {labelOf(CONTACT_METHODS, k.preferredContactMethod).toLowerCase()}
                    {k.orderUpdates ? " · order updates" : ""}
                    {k.marketingOptIn ? " · marketing" : ""}
                  </Typography>
                  {k.notes && (
                    <Typography variant="body2" sx={{ whiteSpace: "pre-line", mt: 0.5 }}>
                      {k.notes}
                    </Typography>
                  )}
                </Box>
                {canWrite && (
                  <Stack direction="row" sx={{ alignItems: "flex-start", flexShrink: 0 }}>
                    {k.role !== "primary" && (
                      <Button
                        size="small"
                        loading={promoting && busy === k.id}
                        aria-label={`Make ${k.displayName} primary`}
                        onClick={async () => {
                          setBusy(k.id);
                          await setPrimary({ contactId: k.rowId });
                          setBusy(null);
                        }}
                      >
                        Make primary
                      </Button>
                    )}
                    <IconButton size="small" aria-label={`Edit ${k.displayName}`} onClick={() => setDialog({ contact: k })}>
                      <EditIcon fontSize="small" />
                    </IconButton>
                    <IconButton size="small" aria-label={`Remove ${k.displayName}`} onClick={() => remove({ contactId: k.rowId })}>
                      <DeleteIcon fontSize="small" />
                    </IconButton>
                  </Stack>
                )}
              </Box>
            ))}
          </Box>
        )}
      </CardContent>
      {dialog && <ContactDialog customerRowId={customerRowId} contact={dialog.contact} onClose={() => setDialog(null)} />}
    </Card>
  );
}

function formValues(k: Contact | undefined) {
  return {
    firstName: k?.firstName ?? "",
    lastName: k?.lastName ?? "",
    email: k?.email ?? "",
    phone: k?.phone ?? "",
    mobile: k?.mobile ?? "",
    role: k?.role ?? "contact",
    preferredContactMethod: k?.preferredContactMethod ?? "email",
    orderUpdates: k?.orderUpdates ?? false,
    marketingOptIn: k?.marketingOptIn ?? false,
    notes: k?.notes ?? "",
  };
}

/** What to send for a phone input: nothing (undefined: kept) when it still holds the masked number it was shown with. */
const unlessMasked = (typed: string, shown: string | null | undefined) => (shown?.includes("•") && typed === shown ? undefined : typed);

/** Adds a contact, or edits `contact`. An emptied text input clears it (the command reads "" as clear). */
function ContactDialog({ customerRowId, contact, onClose }: { customerRowId: string; contact?: Contact; onClose(): void }) {
  const form = useForm(() => formValues(contact));
  const { values } = form;
  const firstRef = useFocusOnMount<HTMLInputElement>();
  const [, add] = useMutation(AddContactMutation);
  const [, update] = useMutation(UpdateContactMutation);
  // The primary keeps its role here: another contact is made primary instead.
  const roles = contact?.role === "primary" ? CONTACT_ROLES.filter((r) => r.value === "primary") : CONTACT_ROLES;

  const submit = form.submit(async () => {
    const fields = {
      firstName: values.firstName.trim(),
      lastName: values.lastName.trim(),
      email: values.email.trim(),
      // A phone shown masked (no customers.view_contact) and left as it was is not sent: it stays.
      phone: unlessMasked(values.phone.trim(), contact?.phone),
      mobile: unlessMasked(values.mobile.trim(), contact?.mobile),
      role: values.role,
      preferredContactMethod: values.preferredContactMethod,
      orderUpdates: values.orderUpdates,
      marketingOptIn: values.marketingOptIn,
      notes: values.notes.trim(),
    };
    const result = contact
      ? await update({ input: { contactId: contact.rowId, ...fields } })
      : await add({
          input: {
            customerId: customerRowId,
            ...Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v === "" ? null : v])),
          },
        });
    if (result.error) return void form.fail(result.error);
    onClose();
  });

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm">
      <form onSubmit={submit} noValidate>
        <DialogTitle>{contact ? "Edit contact" : "Add contact"}</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1 }}>
            {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
            <Stack direction={{ xs: "column", sm: "row" }} spacing={2}>
              <TextField label="First name" inputRef={firstRef} {...form.text("firstName")} slotProps={{ htmlInput: { maxLength: 100 } }} />
              <TextField label="Last name" {...form.text("lastName")} slotProps={{ htmlInput: { maxLength: 100 } }} />
            </Stack>
            <TextField label="Email" type="email" {...form.text("email")} />
            <Stack direction={{ xs: "column", sm: "row" }} spacing={2}>
              <TextField label="Phone" type="tel" {...form.text("phone")} />
              <TextField label="Mobile" type="tel" {...form.text("mobile")} />
            </Stack>
            <Stack direction={{ xs: "column", sm: "row" }} spacing={2}>
              <TextField select label="Role" {...form.text("role")} sx={{ flex: 1 }}>
                {roles.map((r) => (
                  <MenuItem key={r.value} value={r.value}>
                    {r.label}
                  </MenuItem>
                ))}
              </TextField>
              <TextField select label="Preferred contact method" {...form.text("preferredContactMethod")} sx={{ flex: 1 }}>
                {CONTACT_METHODS.map((m) => (
                  <MenuItem key={m.value} value={m.value}>
                    {m.label}
                  </MenuItem>
                ))}
              </TextField>
            </Stack>
            <Stack direction="row" spacing={2}>
              <FormControlLabel
                control={<Checkbox checked={values.orderUpdates} onChange={(e) => form.set("orderUpdates", e.target.checked)} />}
                label="Order updates"
              />
              <FormControlLabel
                control={<Checkbox checked={values.marketingOptIn} onChange={(e) => form.set("marketingOptIn", e.target.checked)} />}
                label="Marketing"
              />
            </Stack>
            <TextField label="Notes" multiline minRows={2} {...form.text("notes")} slotProps={{ htmlInput: { maxLength: 2000 } }} />
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" loading={form.submitting}>
            {contact ? "Save contact" : "Add contact"}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
