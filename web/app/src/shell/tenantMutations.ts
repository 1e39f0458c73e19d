// Moving between businesses. Both mutations change the session's business on the server; the
// caller then replaces the urql client so nothing from the previous business stays cached.
import { graphql } from "../graphql.ts";

export const SwitchTenantMutation = graphql(`
  mutation SwitchTenant($tenantId: String!) {
    switchTenant(input: { tenantId: $tenantId }) {
      result {
        id
        name
      }
    }
  }
`);

export const CreateBusinessMutation = graphql(`
  mutation CreateBusiness($name: String!, $timezone: String!) {
    createBusiness(input: { name: $name, timezone: $timezone }) {
      result {
        id
        name
      }
    }
  }
`);
