// The attached customer's profile at the till (issue 17): its stage, and what moves it up while
// the customer is at the counter — Upgrade (a walk-in's name and phone, a stub's email) and Verify
// phone (a one-time code by SMS, read back by the customer). A cashier (customers.create) may add
// what is missing and verify the phone, not change details the customer already has (the server
// says so: upgradeCustomer). When the phone or email belongs to another customer, "Use them"
// attaches that customer to the sale instead.
import { useQuery } from "urql";
import { CustomerStage } from "../customers/CustomerStage.tsx";
import { VerifyPhoneButton } from "../customers/VerifyPhoneDialog.tsx";
import { graphql } from "../graphql.ts";
import { useCan } from "../shell/ViewerContext.tsx";

const CartProfileQuery = graphql(`
  query CartProfile($rowId: String!) {
    customerByRowId(rowId: $rowId) {
      id
      rowId
      displayName
      customerNumber
      stage
      firstName
      lastName
      phone
      email
      phoneVerifiedAt
    }
  }
`);

// Upgrading or verifying changes the customer: read it again then (a constant: a new context object each render would refetch forever).
const CHANGES_CUSTOMER = { additionalTypenames: ["Customer"] };

/** The attached customer as the till shows it now: its name changes when a walk-in is upgraded. */
export function useCartProfile(customerRowId: string | null) {
  const [{ data }] = useQuery({
    query: CartProfileQuery,
    variables: { rowId: customerRowId ?? "" },
    pause: !customerRowId,
    context: CHANGES_CUSTOMER,
    requestPolicy: "cache-and-network",
  });
  return customerRowId ? (data?.customerByRowId ?? null) : null;
}

export function CartProfile({ customerRowId, disabled, onUseOther }: { customerRowId: string; disabled: boolean; onUseOther(rowId: string): void }) {
  const profile = useCartProfile(customerRowId);
  const canCreate = useCan("customers.create");
  const canUpdate = useCan("customers.update");
  const canComplete = canCreate || canUpdate;
  if (!profile) return null;
  const canWrite = canComplete && !disabled;
  return (
    <>
      <CustomerStage customer={profile} canWrite={canWrite} onMerged={({ keptRowId }) => onUseOther(keptRowId)} onUseOther={onUseOther} />
      <VerifyPhoneButton customerRowId={profile.rowId} canWrite={canWrite} />
    </>
  );
}
