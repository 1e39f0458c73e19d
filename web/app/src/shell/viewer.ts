// Who is signed in, the business they work in, the businesses they belong to and what they may
// do there. One query, used by the route guards, the top bar and permission checks.
import { gql, useQuery } from "urql";

export interface Tenant {
  id: string;
  rowId: string;
  name: string;
  status: string;
  /** Why billing suspended the business (nonpayment, canceled); only asked for the current one. */
  suspensionReason?: string | null;
  /** How it counts and writes money; only asked for the current one. */
  currency?: string;
  locale?: string;
  currencyInfo?: { minorUnits: number } | null;
  /** The country its phone numbers are written for (ISO 3166-1 alpha-2); only asked for the current one. */
  defaultCountry?: string | null;
}

export interface Membership {
  id: string;
  tenant: Tenant | null;
  role: { id: string; key: string; name: string } | null;
}

export interface ViewerData {
  currentUser: { id: string; name: string; email: string; memberships: { nodes: Membership[] } } | null;
  currentTenant: Tenant | null;
  currentPermissions: (string | null)[] | null;
}

export const ViewerQuery = gql<ViewerData>`
  query Viewer {
    currentUser {
      id
      name
      email
      memberships {
        nodes {
          id
          tenant {
            id
            rowId
            name
            status
          }
          role {
            id
            key
            name
          }
        }
      }
    }
    currentTenant {
      id
      rowId
      name
      status
      suspensionReason
      currency
      locale
      defaultCountry
      currencyInfo {
        minorUnits
      }
    }
    currentPermissions
  }
`;

export function useViewerQuery() {
  return useQuery({ query: ViewerQuery });
}
