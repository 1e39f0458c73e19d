// CustomerPicker — "who is this for?" in a dialog: type-ahead search of the business's active
// customers, plus a quick add (name + phone or email) that creates the customer and picks it.
//
// How to use it (e.g. the POS Customer button):
//
//   import { CustomerPicker, type PickedCustomer } from "../customers/CustomerPicker.tsx";
//
//   const [open, setOpen] = useState(false);
//   const [customer, setCustomer] = useState<PickedCustomer | null>(null);
//   <Button onClick={() => setOpen(true)}>Customer</Button>
//   <CustomerPicker
//     open={open}
//     onClose={() => setOpen(false)}
//     onSelect={(c) => { setCustomer(c); setOpen(false); }}   // c.rowId is placeOrder's customerId
//   />
//
// - The picker never closes itself: close it in onSelect (as above) and in onClose (Escape,
//   the Cancel button, a click outside).
// - Keyboard: the search box has the focus; ↓/↑ move through the hits, Enter picks one.
// - Quick add is offered to people with customers.create (hide it with allowQuickAdd={false});
//   when the search finds nothing, one click carries the typed text into the quick-add form.
//   A duplicate email or phone offers to pick the customer who already has it.
// - Needs the signed-in shell (useCan) and the urql client, like every page of the admin.
import {
  Alert,
  Box,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Divider,
  Stack,
  TextField,
  Typography,
} from "@mui/material";
import { useState, type FormEvent } from "react";
import { useClient, useMutation } from "urql";
import { useCan } from "../shell/ViewerContext.tsx";
import { customerFieldError, type FieldError } from "./customerErrors.ts";
import { CustomerSearch } from "./CustomerSearch.tsx";
import { PersonAddIcon } from "./icons.tsx";
import { useFocusOnMount } from "./useFocusOnMount.ts";
import { CreateCustomerMutation, CustomerByNumberQuery, type CustomerRow } from "./queries.ts";

/** What the picker hands back. `rowId` is the customer id the commands take (placeOrder's customerId). */
export interface PickedCustomer {
  rowId: string;
  displayName: string;
  email: string | null;
  phone: string | null;
}

export interface CustomerPickerProps {
  open: boolean;
  /** Escape, Cancel or a click outside: close the dialog. */
  onClose(): void;
  /** A customer was chosen, or created by quick add. The picker stays open until you close it. */
  onSelect(customer: PickedCustomer): void;
  /** Dialog title; "Find customer" by default. */
  title?: string;
  /** Offer quick add (default true; shown only with customers.create). */
  allowQuickAdd?: boolean;
  /** Offer archived customers too (default false: the till sells to active ones). */
  includeArchived?: boolean;
  /** Customers not to offer (e.g. the one already attached). */
  excludeRowIds?: string[];
}

const picked = (c: Pick<CustomerRow, "rowId" | "displayName" | "email" | "phone">): PickedCustomer => ({
  rowId: c.rowId,
  displayName: c.displayName,
  email: c.email,
  phone: c.phone,
});

export function CustomerPicker(props: CustomerPickerProps) {
  // Mounted only while open: every opening starts with an empty search.
  if (!props.open) return null;
  return <PickerDialog {...props} />;
}

function PickerDialog({ open, onClose, onSelect, title = "Find customer", allowQuickAdd = true, includeArchived, excludeRowIds }: CustomerPickerProps) {
  const canCreate = useCan("customers.create") && allowQuickAdd;
  const [text, setText] = useState("");
  const [adding, setAdding] = useState<string | null>(null); // the text carried into quick add

  return (
    <Dialog open={open} onClose={onClose} fullWidth maxWidth="sm" aria-labelledby="customer-picker-title">
      <DialogTitle id="customer-picker-title">{adding === null ? title : "Quick add customer"}</DialogTitle>
      {adding === null ? (
        <>
          <DialogContent sx={{ minHeight: 320 }}>
            <Box sx={{ pt: 1 }}>
              <CustomerSearch
                text={text}
                onTextChange={setText}
                onPick={(c) => onSelect(picked(c))}
                includeArchived={includeArchived}
                excludeRowIds={excludeRowIds}
                autoFocus
                noMatch={(q) =>
                  canCreate && (
                    <Button size="small" startIcon={<PersonAddIcon />} onClick={() => setAdding(q)} sx={{ mt: 1 }}>
                      Add “{q}” as a new customer
                    </Button>
                  )
                }
              />
            </Box>
          </DialogContent>
          <DialogActions sx={{ px: 3, pb: 2, justifyContent: canCreate ? "space-between" : "flex-end" }}>
            {canCreate && (
              <Button startIcon={<PersonAddIcon />} onClick={() => setAdding(text.trim())}>
                Quick add
              </Button>
            )}
            <Button onClick={onClose}>Cancel</Button>
          </DialogActions>
        </>
      ) : (
        <QuickAdd seed={adding} onBack={() => setAdding(null)} onCreated={(c) => onSelect(c)} />
      )}
    </Dialog>
  );
}

/** Reads what was typed in the search box into the field it looks like. */
function seedValues(seed: string): { name: string; phone: string; email: string } {
  if (/@/.test(seed)) return { name: "", phone: "", email: seed };
  if (/^\+?[\d\s().\-/]{5,}$/.test(seed)) return { name: "", phone: seed, email: "" };
  return { name: seed, phone: "", email: "" };
}

function QuickAdd({ seed, onBack, onCreated }: { seed: string; onBack(): void; onCreated(c: PickedCustomer): void }) {
  const [values, setValues] = useState(() => seedValues(seed));
  const [error, setError] = useState<FieldError | null>(null);
  const [{ fetching }, create] = useMutation(CreateCustomerMutation);
  const client = useClient();
  const nameRef = useFocusOnMount<HTMLInputElement>();

  const set = (key: keyof typeof values, value: string) => {
    setValues((v) => ({ ...v, [key]: value }));
    setError(null);
  };

  async function submit(event: FormEvent) {
    event.preventDefault();
    const name = values.name.trim().replace(/\s+/g, " ");
    const phone = values.phone.trim();
    const email = values.email.trim();
    if (!name && !phone && !email) {
      return setError({ field: "firstName", code: "NOIDN", message: "Enter a name, and a phone number or an email." });
    }
    const space = name.indexOf(" ");
    const result = await create({
      input: {
        firstName: (space < 0 ? name : name.slice(0, space)) || null,
        lastName: space < 0 ? null : name.slice(space + 1) || null,
        phone: phone || null,
        email: email || null,
      },
    });
    if (result.error) return setError(customerFieldError(result.error));
    const created = result.data?.createCustomer?.result;
    if (created) onCreated(picked(created));
  }

  /** A duplicate email or phone: pick the customer who has it instead. */
  async function pickExisting() {
    if (!error?.existingNumber) return;
    const res = await client
      .query(CustomerByNumberQuery, { number: error.existingNumber }, { requestPolicy: "network-only" })
      .toPromise();
    const hit = res.data?.customers?.nodes[0];
    if (hit) onCreated(picked(hit));
  }

  const fieldError = (field: "name" | "phone" | "email") => {
    if (!error) return undefined;
    const f = error.field === "firstName" || error.field === "lastName" ? "name" : error.field;
    return f === field ? error.message : undefined;
  };
  const general = error && !["firstName", "lastName", "phone", "email"].includes(error.field) ? error.message : null;
  const duplicate = error?.code === "DUPEM" || error?.code === "DUPPH";

  return (
    <form onSubmit={submit} noValidate>
      <DialogContent>
        <Stack spacing={2} sx={{ pt: 1 }}>
          <Typography variant="body2" color="text.secondary">
            A name, and a phone number or an email, so they can be found next time.
          </Typography>
          {general && <Alert severity="error">{general}</Alert>}
          <TextField
            label="Name"
            name="name"
            inputRef={nameRef}
            value={values.name}
            onChange={(e) => set("name", e.target.value)}
            error={Boolean(fieldError("name"))}
            helperText={fieldError("name") ?? "First name, then last name."}
          />
          <TextField
            label="Phone"
            name="phone"
            type="tel"
            value={values.phone}
            onChange={(e) => set("phone", e.target.value)}
            error={Boolean(fieldError("phone"))}
            helperText={fieldError("phone")}
          />
          <TextField
            label="Email"
            name="email"
            type="email"
            value={values.email}
            onChange={(e) => set("email", e.target.value)}
            error={Boolean(fieldError("email"))}
            helperText={fieldError("email")}
          />
          {duplicate && error?.existingNumber && (
            <>
              <Divider />
              <Button variant="outlined" onClick={pickExisting}>
                Use {error.existingNumber} instead
              </Button>
            </>
          )}
        </Stack>
      </DialogContent>
      <DialogActions sx={{ px: 3, pb: 2 }}>
        <Button onClick={onBack}>Back to search</Button>
        <Button type="submit" variant="contained" loading={fetching}>
          Add and select
        </Button>
      </DialogActions>
    </form>
  );
}
