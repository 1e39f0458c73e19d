// Who is signed in, the business they work in, the businesses they belong to and what they may
// do there. One query, used by the route guards, the top bar and permission checks.
import { useQuery } from "urql";
import { graphql, type ResultOf } from "../graphql.ts";

export const ViewerQuery = graphql(`
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
`);

export type ViewerData = ResultOf<typeof ViewerQuery>;
/** A business the person belongs to, with their role there. */
export type Membership = NonNullable<ViewerData["currentUser"]>["memberships"]["nodes"][number];
/** The business of the session, with how it counts and writes money and the country its phone numbers are written for. */
export type CurrentTenant = NonNullable<ViewerData["currentTenant"]>;

export function useViewerQuery() {
  return useQuery({ query: ViewerQuery });
}
