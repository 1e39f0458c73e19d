// GraphQL operations of the Settings module.
import { gql } from "urql";

export interface Location {
  id: string;
  name: string;
  timezone: string;
}

export const LocationsQuery = gql<{ locations: { nodes: Location[] } | null }>`
  query Locations {
    locations(orderBy: NAME_ASC) {
      nodes {
        id
        name
        timezone
      }
    }
  }
`;

export const CreateLocationMutation = gql<
  { createLocation: { location: Location | null } | null },
  { name: string; timezone: string }
>`
  mutation CreateLocation($name: String!, $timezone: String!) {
    createLocation(input: { location: { name: $name, timezone: $timezone } }) {
      location {
        id
        name
        timezone
      }
    }
  }
`;

export const RenameBusinessMutation = gql<
  { updateTenant: { tenant: { id: string; name: string } | null } | null },
  { rowId: string; name: string }
>`
  mutation RenameBusiness($rowId: String!, $name: String!) {
    updateTenant(input: { rowId: $rowId, patch: { name: $name } }) {
      tenant {
        id
        name
      }
    }
  }
`;
