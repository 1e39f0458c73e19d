// GraphQL operations of the Settings module.
import { gql } from "urql";
import type { CustomerType } from "../customers/queries.ts";

// The list of customer types is the Customers module's query (one query, ordered by the API).
export { CustomerTypesQuery, type CustomerType } from "../customers/queries.ts";

export interface Location {
  id: string;
  /** The location's own id: what the reports' locationId arguments take. */
  rowId: string;
  name: string;
  timezone: string;
}

export const LocationsQuery = gql<{ locations: { nodes: Location[] } | null }>`
  query Locations {
    locations(orderBy: NAME_ASC) {
      nodes {
        id
        rowId
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
        rowId
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

/** The business's currency and locale; the viewer query re-reads them (it holds the Tenant). */
export const UpdateMoneySettingsMutation = gql<
  { updateTenant: { tenant: { id: string; currency: string; locale: string; currencyInfo: { minorUnits: number } | null } | null } | null },
  { rowId: string; currency: string; locale: string }
>`
  mutation UpdateMoneySettings($rowId: String!, $currency: String!, $locale: String!) {
    updateTenant(input: { rowId: $rowId, patch: { currency: $currency, locale: $locale } }) {
      tenant {
        id
        currency
        locale
        currencyInfo {
          id
          minorUnits
        }
      }
    }
  }
`;

// ── Audit log (settings.view) ───────────────────────────────────────────────────────────────

export interface AuditEntry {
  id: string;
  rowId: string;
  entity: string;
  entityId: string;
  action: "insert" | "update" | "delete" | string;
  /** The command that made the change (archive_customer, void_order…), or null for plain edits. */
  command: string | null;
  reason: string | null;
  /** {field: {old, new}} */
  changes: unknown;
  createdAt: string;
  /** Null when the system made the change (worker, webhooks). */
  actorUserId: string | null;
  /** Null for the system, and for someone who is no longer a member (their account is not visible). */
  actor: { id: string; name: string; email: string } | null;
}

export const AuditEntriesQuery = gql<
  { auditEntries: { totalCount: number; pageInfo: { hasNextPage: boolean }; nodes: AuditEntry[] } | null },
  { first: number; filter?: object }
>`
  query AuditEntries($first: Int!, $filter: AuditEntryFilter) {
    auditEntries(first: $first, filter: $filter, orderBy: [CREATED_AT_DESC, PRIMARY_KEY_DESC]) {
      totalCount
      pageInfo {
        hasNextPage
      }
      nodes {
        id
        rowId
        entity
        entityId
        action
        command
        reason
        changes
        createdAt
        actorUserId
        actor {
          id
          name
          email
        }
      }
    }
  }
`;

export interface StaffMember {
  id: string;
  rowId: string;
  name: string;
  email: string;
}

/**
 * The people of the business (and the person asking), its roles and locations: whom the audit log
 * can be filtered by, and the names it shows for the ids an entry holds (user_id, role_id…).
 */
export const AuditNamesQuery = gql<{
  users: { nodes: StaffMember[] } | null;
  roles: { nodes: { id: string; rowId: string; name: string }[] } | null;
  locations: { nodes: { id: string; rowId: string; name: string }[] } | null;
}>`
  query AuditNames {
    users {
      nodes {
        id
        rowId
        name
        email
      }
    }
    roles {
      nodes {
        id
        rowId
        name
      }
    }
    locations {
      nodes {
        id
        rowId
        name
      }
    }
  }
`;

// ── Customer loyalty thresholds and customer types ──────────────────────────────────────────

export interface LoyaltySettings {
  id: string;
  regularMinVisits: number;
  regularWindowDays: number;
  lapsedAfterDays: number;
  updatedAt: string;
}

const LOYALTY_FIELDS = "id regularMinVisits regularWindowDays lapsedAfterDays updatedAt";

export const LoyaltySettingsQuery = gql<{ currentLoyaltySettings: LoyaltySettings | null }>(`
  query LoyaltySettings {
    currentLoyaltySettings { ${LOYALTY_FIELDS} }
  }
`);

/** A threshold left null stays as it is. */
export const UpdateLoyaltySettingsMutation = gql<
  { updateLoyaltySettings: { result: LoyaltySettings | null } | null },
  { regularMinVisits: number | null; regularWindowDays: number | null; lapsedAfterDays: number | null }
>(`
  mutation UpdateLoyaltySettings($regularMinVisits: Int, $regularWindowDays: Int, $lapsedAfterDays: Int) {
    updateLoyaltySettings(
      input: { regularMinVisits: $regularMinVisits, regularWindowDays: $regularWindowDays, lapsedAfterDays: $lapsedAfterDays }
    ) {
      result { ${LOYALTY_FIELDS} }
    }
  }
`);

const TYPE_FIELDS = "id rowId key label position";

export const CreateCustomerTypeMutation = gql<{ createCustomerType: { result: CustomerType | null } | null }, { label: string }>(`
  mutation CreateCustomerType($label: String!) {
    createCustomerType(input: { label: $label }) {
      result { ${TYPE_FIELDS} }
    }
  }
`);

export const RenameCustomerTypeMutation = gql<
  { renameCustomerType: { result: CustomerType | null } | null },
  { id: string; label: string }
>(`
  mutation RenameCustomerType($id: String!, $label: String!) {
    renameCustomerType(input: { id: $id, label: $label }) {
      result { ${TYPE_FIELDS} }
    }
  }
`);

export const DeleteCustomerTypeMutation = gql<{ deleteCustomerType: { result: CustomerType | null } | null }, { id: string }>(`
  mutation DeleteCustomerType($id: String!) {
    deleteCustomerType(input: { id: $id }) {
      result { ${TYPE_FIELDS} }
    }
  }
`);
