// ┌──────────────────────────────────────────────────────────────────────────────────────────┐
// │ SLOT for the customers module: who the sale is for, shown in the cart header.            │
// │                                                                                          │
// │ For now every sale is a walk-in. The customers module replaces the body of this          │
// │ component (find or add a customer, show the one attached, detach) and keeps the props:   │
// │ PosPage already holds `customerId`, passes it to placeOrder's `customerId`, and resets   │
// │ it to null when a new sale starts. `disabled` is true while the sale is being charged.   │
// └──────────────────────────────────────────────────────────────────────────────────────────┘
import { Chip } from "@mui/material";
import { PersonIcon } from "./icons.tsx";

export interface CartCustomerProps {
  /** The customer's row id (what placeOrder's customerId takes), or null for a walk-in. */
  customerId: string | null;
  onChange(customerId: string | null): void;
  disabled: boolean;
}

export function CartCustomer(_props: CartCustomerProps) {
  return (
    <Chip
      data-testid="cart-customer"
      icon={<PersonIcon fontSize="small" />}
      label="Walk-in customer"
      variant="outlined"
      size="small"
    />
  );
}
