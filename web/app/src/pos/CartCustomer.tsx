// Who the sale is for, in the cart header: a walk-in unless a customer is attached with the
// Customer button (type-ahead search or quick add, through the customers module's picker).
// PosPage holds `customerId`, passes it to placeOrder's `customerId` and resets it to null when
// a new sale starts; `disabled` is true while the sale is being charged. A company shows its
// credit limit and payment terms beside its name (a customer with an open account can then pay
// "On account" in the payment dialog, which shows the credit left). The
// customer's tier shows as a chip beside them (its discount is the cart's tier line, priced by quoteOrder).
import { Button, Chip, Stack, Typography } from "@mui/material";
import { useState } from "react";
import { useQuery } from "urql";
import { paymentTerms, useCreditLimit } from "../customers/account.ts";
import { CustomerPicker, type PickedCustomer } from "../customers/CustomerPicker.tsx";
import { TierChip } from "../customers/CustomerTier.tsx";
import { CustomerTierFields, CustomerTierStateQuery } from "../customers/tierQueries.ts";
import { readFragment } from "../graphql.ts";
import { useCan } from "../shell/ViewerContext.tsx";
import { PersonIcon } from "../ui/icons.tsx";
import { CartProfile, useCartProfile } from "./CartProfile.tsx";
import { KeepWalkIn } from "./KeepWalkIn.tsx";

export interface CartCustomerProps {
  /** The customer's row id (what placeOrder's customerId takes), or null for a walk-in. */
  customerId: string | null;
  onChange(customerId: string | null): void;
  disabled: boolean;
}

export function CartCustomer({ customerId, onChange, disabled }: CartCustomerProps) {
  const canFind = useCan("customers.view");
  const [open, setOpen] = useState(false);
  const [picked, setPicked] = useState<PickedCustomer | null>(null);
  // The name is known only for the customer picked here; a reset by the page means walk-in.
  const attached = picked && picked.rowId === customerId ? picked : null;
  const profile = useCartProfile(attached?.rowId ?? null);
  const creditLimit = useCreditLimit();
  const account = attached?.account?.kind === "company" ? attached.account : null;
  const terms = account
    ? [
        account.creditLimit != null && `Credit limit ${creditLimit(account.creditLimit, account.currency)}`,
        paymentTerms(account.paymentTermsDays),
        account.accountStatus !== "active" && (account.accountStatus === "suspended" ? "Account suspended" : "Account inactive"),
      ].filter(Boolean)
    : [];

  return (
    <Stack direction="row" spacing={1} useFlexGap sx={{ alignItems: "center", flexWrap: "wrap" }}>
      <Chip
        data-testid="cart-customer"
        icon={<PersonIcon fontSize="small" />}
        label={attached ? (profile?.displayName ?? attached.displayName) : "Walk-in customer"}
        color={attached ? "primary" : "default"}
        variant={attached ? "filled" : "outlined"}
        size="small"
        onDelete={attached && !disabled ? () => onChange(null) : undefined}
      />
      {terms.length > 0 && (
        <Typography variant="caption" color={account?.accountStatus === "suspended" ? "error" : "text.secondary"} data-testid="cart-account-terms">
          {terms.join(" · ")}
        </Typography>
      )}
      {attached && <AttachedTier customerRowId={attached.rowId} />}
      {attached && (
        <CartProfile
          customerRowId={attached.rowId}
          disabled={disabled}
          onUseOther={(rowId) => {
            setPicked({ rowId, displayName: "", email: null, phone: null });
            onChange(rowId);
          }}
        />
      )}
      {!attached && (
        <KeepWalkIn
          disabled={disabled}
          onKept={(c) => {
            setPicked(c);
            onChange(c.rowId);
          }}
        />
      )}
      {canFind && (
        <Button size="small" onClick={() => setOpen(true)} disabled={disabled}>
          {attached ? "Change customer" : "Customer"}
        </Button>
      )}
      {canFind && (
        <CustomerPicker
          open={open}
          title="Attach a customer"
          onClose={() => setOpen(false)}
          onSelect={(c) => {
            setPicked(c);
            onChange(c.rowId);
            setOpen(false);
          }}
        />
      )}
    </Stack>
  );
}

/** The attached customer's tier chip: its discount comes off the sale (the cart shows the line). */
function AttachedTier({ customerRowId }: { customerRowId: string }) {
  const [{ data }] = useQuery({ query: CustomerTierStateQuery, variables: { rowId: customerRowId }, requestPolicy: "cache-and-network" });
  const tier = data?.customerByRowId?.tier;
  return tier ? <TierChip tier={readFragment(CustomerTierFields, tier)} /> : null;
}
