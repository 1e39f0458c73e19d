// The business's roles, for the Roles card and the role pickers of Staff: one query, refetched
// after any change to a role and after a member joins, moves or leaves (each role's count).
import { useQuery } from "urql";
import { RolesQuery } from "./queries.ts";

const context = { additionalTypenames: ["Role", "Membership"] };

export function useRoles() {
  const [{ data, error, fetching }] = useQuery({ query: RolesQuery, context, requestPolicy: "cache-and-network" });
  return { roles: data?.currentTenant?.roles.nodes ?? [], loaded: Boolean(data), error, fetching };
}
