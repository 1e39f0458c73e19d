// Moving between businesses. Both mutations change the session's business on the server; the
// caller then replaces the urql client so nothing from the previous business stays cached.
import { gql } from "urql";

export const SwitchTenantMutation = gql<{ switchTenant: { result: { id: string; name: string } | null } | null }, { tenantId: string }>`
  mutation SwitchTenant($tenantId: String!) {
    switchTenant(input: { tenantId: $tenantId }) {
      result {
        id
        name
      }
    }
  }
`;

export const CreateBusinessMutation = gql<
  { createBusiness: { result: { id: string; name: string } | null } | null },
  { name: string; timezone: string }
>`
  mutation CreateBusiness($name: String!, $timezone: String!) {
    createBusiness(input: { name: $name, timezone: $timezone }) {
      result {
        id
        name
      }
    }
  }
`;
