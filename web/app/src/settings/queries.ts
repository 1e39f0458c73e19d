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
  /** When it was closed (it sells nothing, and the pickers leave it out), or null while open. */
  closedAt: string | null;
}

export const LocationsQuery = gql<{ locations: { nodes: Location[] } | null }>`
  query Locations {
    locations(orderBy: NAME_ASC) {
      nodes {
        id
        rowId
        name
        timezone
        closedAt
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
        closedAt
      }
    }
  }
`;

/** A location's name and time zone; the zone is fixed once it has sales (TZFIX, under the zone). */
export const UpdateLocationMutation = gql<
  { updateLocationByRowId: { location: Location | null } | null },
  { rowId: string; name: string; timezone: string }
>`
  mutation UpdateLocation($rowId: String!, $name: String!, $timezone: String!) {
    updateLocationByRowId(input: { rowId: $rowId, patch: { name: $name, timezone: $timezone } }) {
      location {
        id
        rowId
        name
        timezone
        closedAt
      }
    }
  }
`;

export const CloseLocationMutation = gql<{ closeLocation: { location: Location | null } | null }, { locationId: string }>`
  mutation CloseLocation($locationId: String!) {
    closeLocation(input: { locationId: $locationId }) {
      location {
        id
        rowId
        name
        timezone
        closedAt
      }
    }
  }
`;

export const ReopenLocationMutation = gql<{ reopenLocation: { location: Location | null } | null }, { locationId: string }>`
  mutation ReopenLocation($locationId: String!) {
    reopenLocation(input: { locationId: $locationId }) {
      location {
        id
        rowId
        name
        timezone
        closedAt
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

// ── Receipt ─────────────────────────────────────────────────────────────────────────────────

export interface ReceiptSettings {
  id: string;
  rowId: string;
  receiptAddress: string | null;
  receiptFooter: string | null;
}

export const ReceiptSettingsQuery = gql<{ currentTenant: ReceiptSettings | null }>`
  query ReceiptSettings {
    currentTenant {
      id
      rowId
      receiptAddress
      receiptFooter
    }
  }
`;

/** Blank is none: the database trims both and keeps an empty one as null. */
export const UpdateReceiptMutation = gql<
  { updateTenant: { tenant: ReceiptSettings | null } | null },
  { rowId: string; receiptAddress: string; receiptFooter: string }
>`
  mutation UpdateReceipt($rowId: String!, $receiptAddress: String!, $receiptFooter: String!) {
    updateTenant(input: { rowId: $rowId, patch: { receiptAddress: $receiptAddress, receiptFooter: $receiptFooter } }) {
      tenant {
        id
        rowId
        receiptAddress
        receiptFooter
      }
    }
  }
`;

// ── Staff and roles ─────────────────────────────────────────────────────────────────────────

export interface Role {
  id: string;
  rowId: string;
  /** owner, manager, cashier (built in, fixed) or custom_… */
  key: string;
  name: string;
  permissions: (string | null)[];
  memberships: { totalCount: number };
}

const ROLE_FIELDS = "id rowId key name permissions memberships { totalCount }";

// Through currentTenant: the roles and memberships lists at the root also hold the person's own
// role and membership in their other businesses (the business switcher reads them).
export const RolesQuery = gql<{ currentTenant: { id: string; roles: { nodes: Role[] } } | null }>(`
  query Roles {
    currentTenant {
      id
      roles(orderBy: PRIMARY_KEY_ASC) {
        nodes { ${ROLE_FIELDS} }
      }
    }
  }
`);

export interface Member {
  id: string;
  rowId: string;
  userId: string;
  user: { id: string; name: string; email: string } | null;
  role: { id: string; rowId: string; name: string } | null;
}

export interface Invitation {
  id: string;
  rowId: string;
  email: string;
  createdAt: string;
  expiresAt: string;
  acceptedAt: string | null;
  revokedAt: string | null;
  role: { id: string; rowId: string; name: string } | null;
}

/** How many invitations the staff list reads, newest first: pending ones are at most 7 days old. */
const INVITATIONS_READ = 100;

/** The business's members and its latest invitations (settings.view). */
export const StaffQuery = gql<{
  currentTenant: { id: string; memberships: { nodes: Member[] }; invitations: { nodes: Invitation[] } } | null;
}>(`
  query Staff {
    currentTenant {
      id
      memberships(orderBy: PRIMARY_KEY_ASC) {
        nodes {
          id
          rowId
          userId
          user { id name email }
          role { id rowId name }
        }
      }
      invitations(orderBy: ROW_ID_DESC, first: ${INVITATIONS_READ}) {
        nodes {
          id
          rowId
          email
          createdAt
          expiresAt
          acceptedAt
          revokedAt
          role { id rowId name }
        }
      }
    }
  }
`);

export interface InviteResult {
  invitationId: string | null;
  /** The secret of the link /invitations/<token>: only its hash is kept, so it is shown once. */
  token: string | null;
  expiresAt: string | null;
}

export const InviteMemberMutation = gql<{ inviteMember: { result: InviteResult | null } | null }, { email: string; roleId: string }>`
  mutation InviteMember($email: String!, $roleId: String!) {
    inviteMember(input: { email: $email, roleId: $roleId }) {
      result {
        invitationId
        token
        expiresAt
      }
    }
  }
`;

export const RevokeInvitationMutation = gql<
  { revokeInvitation: { invitation: { id: string; revokedAt: string | null } | null } | null },
  { invitationId: string }
>`
  mutation RevokeInvitation($invitationId: String!) {
    revokeInvitation(input: { invitationId: $invitationId }) {
      invitation {
        id
        revokedAt
      }
    }
  }
`;

export const ChangeMemberRoleMutation = gql<
  { changeMemberRole: { membership: { id: string; role: { id: string; rowId: string; name: string } | null } | null } | null },
  { membershipId: string; roleId: string }
>`
  mutation ChangeMemberRole($membershipId: String!, $roleId: String!) {
    changeMemberRole(input: { membershipId: $membershipId, roleId: $roleId }) {
      membership {
        id
        role {
          id
          rowId
          name
        }
      }
    }
  }
`;

export const RemoveMemberMutation = gql<{ removeMember: { membership: { id: string } | null } | null }, { membershipId: string }>`
  mutation RemoveMember($membershipId: String!) {
    removeMember(input: { membershipId: $membershipId }) {
      membership {
        id
      }
    }
  }
`;

export const CreateRoleMutation = gql<{ createRole: { role: Role | null } | null }, { name: string; permissions: string[] }>(`
  mutation CreateRole($name: String!, $permissions: [String]!) {
    createRole(input: { name: $name, permissions: $permissions }) {
      role { ${ROLE_FIELDS} }
    }
  }
`);

export const UpdateRoleMutation = gql<
  { updateRole: { role: Role | null } | null },
  { roleId: string; name: string; permissions: string[] }
>(`
  mutation UpdateRole($roleId: String!, $name: String!, $permissions: [String]!) {
    updateRole(input: { roleId: $roleId, name: $name, permissions: $permissions }) {
      role { ${ROLE_FIELDS} }
    }
  }
`);

export const DeleteRoleMutation = gql<{ deleteRole: { role: { id: string } | null } | null }, { roleId: string }>`
  mutation DeleteRole($roleId: String!) {
    deleteRole(input: { roleId: $roleId }) {
      role {
        id
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
