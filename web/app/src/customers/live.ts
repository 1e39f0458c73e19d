// Live updates of customers: another member of staff changed a customer (or its notes,
// addresses, logged calls…) and the page showing it reads it again, without a reload. The server
// sends only the caller's business's changes (web/server/live.ts).
import { useEffect, useRef } from "react";
import { useSubscription } from "urql";
import { graphql } from "../graphql.ts";

export const CustomerChangedSubscription = graphql(`
  subscription CustomerChanged {
    customerChanged {
      many
      customer {
        id
        rowId
      }
    }
  }
`);

/** Calls `onChange` with the changed customer's row id (null when many changed at once). */
export function useCustomerChanges(onChange: (rowId: string | null) => void, pause = false): void {
  const latest = useRef(onChange);
  useEffect(() => {
    latest.current = onChange;
  });
  const [{ data }] = useSubscription({ query: CustomerChangedSubscription, pause });
  useEffect(() => {
    const change = data?.customerChanged;
    if (!change) return;
    if (change.many) latest.current(null);
    else if (change.customer) latest.current(change.customer.rowId);
  }, [data]);
}
