// CustomerPicker — "who is this for?" in a dialog: type-ahead search of the business's active
// customers, plus a quick add (a stub in two fields: name and phone, QuickAddStub.tsx) that
// creates the customer and picks it.
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
//   A duplicate phone offers to pick the customer who already has it (and links to
//   them in a new tab, so a sale being rung up stays).
// - Needs the signed-in shell (useCan) and the urql client, like every page of the admin.
import { Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, Divider } from "@mui/material";
import { useState } from "react";
import { useClient } from "urql";
import { useCan } from "../shell/ViewerContext.tsx";
import { QuickAddStub } from "./QuickAddStub.tsx";
import { CustomerSearch } from "./CustomerSearch.tsx";
import { PersonAddIcon } from "../ui/icons.tsx";
import { CustomerSummaryQuery, type CustomerSummary } from "./queries.ts";

/** What the picker hands back. `rowId` is the customer id the commands take (placeOrder's customerId). */
export interface PickedCustomer {
  rowId: string;
  displayName: string;
  email: string | null;
  phone: string | null;
  /** A company's account terms, shown where the customer is attached (display only). */
  account?: Pick<CustomerSummary, "kind" | "creditLimit" | "paymentTermsDays" | "currency" | "accountStatus">;
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

const picked = (c: CustomerSummary): PickedCustomer => ({
  rowId: c.rowId,
  displayName: c.displayName,
  email: c.email,
  phone: c.phone,
  account: {
    kind: c.kind,
    creditLimit: c.creditLimit,
    paymentTermsDays: c.paymentTermsDays,
    currency: c.currency,
    accountStatus: c.accountStatus,
  },
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

/** The quick add: a stub in two fields, name and phone (QuickAddStub.tsx). */
function QuickAdd({ seed, onBack, onCreated }: { seed: string; onBack(): void; onCreated(c: PickedCustomer): void }) {
  return (
    <QuickAddStub
      seed={seed}
      onBack={onBack}
      onCreated={(created) => onCreated(picked(created))}
      referenceAction={(rowId) => <UseExisting rowId={rowId} onPick={onCreated} />}
    />
  );
}

/** The email or phone belongs to a customer already: pick them instead. */
function UseExisting({ rowId, onPick }: { rowId: string; onPick(c: PickedCustomer): void }) {
  const client = useClient();
  const [busy, setBusy] = useState(false);
  async function pick() {
    setBusy(true);
    const res = await client.query(CustomerSummaryQuery, { rowId }, { requestPolicy: "network-only" }).toPromise();
    setBusy(false);
    const hit = res.data?.customerByRowId;
    if (hit) onPick(picked(hit));
  }
  return (
    <>
      <Divider />
      <Button variant="outlined" loading={busy} onClick={() => void pick()}>
        Use that customer instead
      </Button>
    </>
  );
}
