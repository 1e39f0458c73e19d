// "Keep walk-in" beside the cart's customer (issue 17): keeps this walk-in as a guest customer
// (createWalkInCustomer: no name, phone or email yet) and attaches it to the sale, so the sale is
// in the history of the person once someone upgrades the guest with a name and a phone (the
// customer's page, Upgrade). Shown to staff who may create customers, while nobody is attached.
import { Button } from "@mui/material";
import { useMutation } from "urql";
import type { PickedCustomer } from "../customers/CustomerPicker.tsx";
import { CreateWalkInCustomerMutation } from "../customers/stageQueries.ts";
import { errorMessage } from "../lib/errors.ts";
import { useCan } from "../shell/ViewerContext.tsx";

export function KeepWalkIn({ disabled, onKept }: { disabled: boolean; onKept(c: PickedCustomer): void }) {
  const canCreate = useCan("customers.create");
  const [{ fetching, error }, create] = useMutation(CreateWalkInCustomerMutation);
  if (!canCreate) return null;
  return (
    <Button
      size="small"
      disabled={disabled}
      loading={fetching}
      title={error ? errorMessage(error) : "Keep this walk-in as a guest for the sale, to add their name and phone later"}
      onClick={async () => {
        const result = await create({});
        const c = result.data?.createWalkInCustomer?.result;
        if (c) onKept({ rowId: c.rowId, displayName: `${c.displayName} ${c.customerNumber}`, email: c.email, phone: c.phone });
      }}
    >
      Keep walk-in
    </Button>
  );
}
