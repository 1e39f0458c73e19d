// "Add customer" and "Edit customer": the customer form (CustomerForm.tsx) with every input, in a
// dialog.
import { Dialog, DialogTitle } from "@mui/material";
import { CustomerForm, type EditableCustomer } from "./CustomerForm.tsx";
import type { CustomerSummary } from "./queries.ts";

interface Props {
  open: boolean;
  onClose(): void;
  /** Called with the saved customer (after create or update). */
  onSaved?(customer: CustomerSummary): void;
  /** Edit this customer; without it the dialog adds one. */
  customer?: EditableCustomer;
  /** Tags to suggest (those already in use). */
  tagSuggestions?: string[];
}

export function CustomerFormDialog({ open, onClose, onSaved, customer, tagSuggestions }: Props) {
  // Mounted only while open: a fresh form every time (and for each customer edited).
  if (!open) return null;
  const title = customer ? "Edit customer" : "Add customer";
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm" aria-labelledby="customer-form-title">
      <DialogTitle id="customer-form-title">{title}</DialogTitle>
      <CustomerForm
        customer={customer}
        tagSuggestions={tagSuggestions}
        submitLabel={customer ? "Save" : "Add customer"}
        onCancel={onClose}
        onSaved={(saved) => {
          onSaved?.(saved);
          onClose();
        }}
      />
    </Dialog>
  );
}
