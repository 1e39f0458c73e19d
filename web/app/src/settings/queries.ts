// GraphQL operations of the Settings module.
import { graphql, type ResultOf } from "../graphql.ts";
import type { CustomerType } from "../customers/queries.ts";

// The list of customer types is the Customers module's query (one query, ordered by the API).
export { CustomerTypesQuery, type CustomerType } from "../customers/queries.ts";

export const LocationsQuery = graphql(`
  query Locations {
    locations(orderBy: NAME_ASC) {
      nodes {
        id
        rowId
        name
        timezone
        closedAt
        latitude
        longitude
      }
    }
  }
`);

export const CreateLocationMutation = graphql(`
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
`);

/** A location's name, time zone and optional coordinates; the zone is fixed once it has sales (TZFIX, under the zone). */
export const UpdateLocationMutation = graphql(`
  mutation UpdateLocation($rowId: String!, $name: String!, $timezone: String!, $latitude: BigFloat, $longitude: BigFloat) {
    updateLocationByRowId(input: { rowId: $rowId, patch: { name: $name, timezone: $timezone, latitude: $latitude, longitude: $longitude } }) {
      location {
        id
        rowId
        name
        timezone
        closedAt
        latitude
        longitude
      }
    }
  }
`);

export const CloseLocationMutation = graphql(`
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
`);

export const ReopenLocationMutation = graphql(`
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
`);

export const RenameBusinessMutation = graphql(`
  mutation RenameBusiness($rowId: String!, $name: String!) {
    updateTenant(input: { rowId: $rowId, patch: { name: $name } }) {
      tenant {
        id
        name
      }
    }
  }
`);

/** The business's currency and locale; the viewer query re-reads them (it holds the Tenant). */
export const UpdateMoneySettingsMutation = graphql(`
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
`);

// ── Receipt ─────────────────────────────────────────────────────────────────────────────────

export const ReceiptSettingsQuery = graphql(`
  query ReceiptSettings {
    currentTenant {
      id
      rowId
      receiptAddress
      receiptFooter
    }
  }
`);

/** Blank is none: the database trims both and keeps an empty one as null. */
export const UpdateReceiptMutation = graphql(`
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
`);

/** Selling on account: after how many days overdue an account is suspended by itself (null: never). */
export const AccountSettingsQuery = graphql(`
  query AccountSettings {
    currentTenant {
      id
      rowId
      accountOverdueSuspendDays
    }
  }
`);

export const UpdateAccountSettingsMutation = graphql(`
  mutation UpdateAccountSettings($rowId: String!, $days: Int) {
    updateTenant(input: { rowId: $rowId, patch: { accountOverdueSuspendDays: $days } }) {
      tenant {
        id
        rowId
        accountOverdueSuspendDays
      }
    }
  }
`);

// ── Staff and roles ─────────────────────────────────────────────────────────────────────────

export const RoleFields = graphql(`
  fragment RoleFields on Role {
    id rowId key name permissions memberships { totalCount }
  }
`);

// Through currentTenant: the roles and memberships lists at the root also hold the person's own
// role and membership in their other businesses (the business switcher reads them).
export const RolesQuery = graphql(`
  query Roles {
    currentTenant {
      id
      roles(orderBy: PRIMARY_KEY_ASC) {
        nodes { ...RoleFields }
      }
    }
  }
`, [RoleFields]);


/**
 * The business's members and its latest invitations (settings.view): the latest 100, newest
 * first (pending ones are at most 7 days old).
 */
export const StaffQuery = graphql(`
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
      invitations(orderBy: ROW_ID_DESC, first: 100) {
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

export const InviteMemberMutation = graphql(`
  mutation InviteMember($email: String!, $roleId: String!) {
    inviteMember(input: { email: $email, roleId: $roleId }) {
      result {
        invitationId
        token
        expiresAt
      }
    }
  }
`);

export const RevokeInvitationMutation = graphql(`
  mutation RevokeInvitation($invitationId: String!) {
    revokeInvitation(input: { invitationId: $invitationId }) {
      invitation {
        id
        revokedAt
      }
    }
  }
`);

export const ChangeMemberRoleMutation = graphql(`
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
`);

export const RemoveMemberMutation = graphql(`
  mutation RemoveMember($membershipId: String!) {
    removeMember(input: { membershipId: $membershipId }) {
      membership {
        id
      }
    }
  }
`);

export const CreateRoleMutation = graphql(`
  mutation CreateRole($name: String!, $permissions: [String]!) {
    createRole(input: { name: $name, permissions: $permissions }) {
      role { ...RoleFields }
    }
  }
`, [RoleFields]);

export const UpdateRoleMutation = graphql(`
  mutation UpdateRole($roleId: String!, $name: String!, $permissions: [String]!) {
    updateRole(input: { roleId: $roleId, name: $name, permissions: $permissions }) {
      role { ...RoleFields }
    }
  }
`, [RoleFields]);

export const DeleteRoleMutation = graphql(`
  mutation DeleteRole($roleId: String!) {
    deleteRole(input: { roleId: $roleId }) {
      role {
        id
      }
    }
  }
`);

// ── Audit log (settings.view) ───────────────────────────────────────────────────────────────

export const AuditEntriesQuery = graphql(`
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
`);

/**
 * The people of the business (and the person asking), its roles and locations: whom the audit log
 * can be filtered by, and the names it shows for the ids an entry holds (user_id, role_id…).
 */
export const AuditNamesQuery = graphql(`
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
`);

// ── Customer loyalty thresholds and customer types ──────────────────────────────────────────

export const LoyaltySettingsFields = graphql(`
  fragment LoyaltySettingsFields on LoyaltySetting {
    id regularMinVisits regularWindowDays lapsedAfterDays updatedAt
  }
`);

export const LoyaltySettingsQuery = graphql(`
  query LoyaltySettings {
    currentLoyaltySettings { ...LoyaltySettingsFields }
  }
`, [LoyaltySettingsFields]);

/** A threshold left null stays as it is. */
export const UpdateLoyaltySettingsMutation = graphql(`
  mutation UpdateLoyaltySettings($regularMinVisits: Int, $regularWindowDays: Int, $lapsedAfterDays: Int) {
    updateLoyaltySettings(
      input: { regularMinVisits: $regularMinVisits, regularWindowDays: $regularWindowDays, lapsedAfterDays: $lapsedAfterDays }
    ) {
      result { ...LoyaltySettingsFields }
    }
  }
`, [LoyaltySettingsFields]);

export const CustomerTypeFields = graphql(`
  fragment SettingsCustomerTypeFields on CustomerType {
    id rowId key label position
  }
`);

export const CreateCustomerTypeMutation = graphql(`
  mutation CreateCustomerType($label: String!) {
    createCustomerType(input: { label: $label }) {
      result { ...SettingsCustomerTypeFields }
    }
  }
`, [CustomerTypeFields]);

export const RenameCustomerTypeMutation = graphql(`
  mutation RenameCustomerType($id: String!, $label: String!) {
    renameCustomerType(input: { id: $id, label: $label }) {
      result { ...SettingsCustomerTypeFields }
    }
  }
`, [CustomerTypeFields]);

export const DeleteCustomerTypeMutation = graphql(`
  mutation DeleteCustomerType($id: String!) {
    deleteCustomerType(input: { id: $id }) {
      result { ...SettingsCustomerTypeFields }
    }
  }
`, [CustomerTypeFields]);

// ── Types, from the documents ───────────────────────────────────────────────────────────────

/** A location; `rowId` is what the reports' locationId arguments take; `closedAt` is when it was closed (it sells nothing, and the pickers leave it out), null while open. */
export type Location = NonNullable<ResultOf<typeof LocationsQuery>["locations"]>["nodes"][number];
export type ReceiptSettings = NonNullable<ResultOf<typeof ReceiptSettingsQuery>["currentTenant"]>;
/** A role; `key` is owner, manager, cashier (built in, fixed) or custom_… */
export type Role = ResultOf<typeof RoleFields>;
type Staff = NonNullable<ResultOf<typeof StaffQuery>["currentTenant"]>;
export type Member = Staff["memberships"]["nodes"][number];
export type Invitation = Staff["invitations"]["nodes"][number];
/** `token` is the secret of the link /invitations/<token>: only its hash is kept, so it is shown once. */
export type InviteResult = NonNullable<NonNullable<ResultOf<typeof InviteMemberMutation>["inviteMember"]>["result"]>;
/**
 * An audit entry: `command` made the change (archive_customer, void_order…), null for plain
 * edits; `changes` is {field: {old, new}}; `actorUserId` null when the system made the change
 * (worker, webhooks); `actor` null for the system and for someone who is no longer a member.
 */
export type AuditEntry = NonNullable<ResultOf<typeof AuditEntriesQuery>["auditEntries"]>["nodes"][number];
export type StaffMember = NonNullable<ResultOf<typeof AuditNamesQuery>["users"]>["nodes"][number];
export type LoyaltySettings = ResultOf<typeof LoyaltySettingsFields>;

// ── Tax ──────────────────────────────────────────────────────────────────────────────────────

export const TaxRateFields = graphql(`
  fragment SettingsTaxRateFields on TaxRate {
    id
    rowId
    name
    rateBps
    inclusive
  }
`);

/** The rates, the default rate of locations without one, and which location charges what. */
export const TaxSettingsQuery = graphql(
  `
    query TaxSettings {
      currentTenant {
        id
        rowId
        taxRateBps
      }
      taxRates {
        nodes {
          ...SettingsTaxRateFields
        }
      }
      locations(orderBy: NAME_ASC) {
        nodes {
          id
          rowId
          name
          closedAt
          taxRateId
        }
      }
    }
  `,
  [TaxRateFields],
);

export type TaxRate = ResultOf<typeof TaxRateFields>;

export const CreateTaxRateMutation = graphql(
  `
    mutation CreateTaxRate($name: String!, $rateBps: Int!, $inclusive: Boolean!) {
      createTaxRate(input: { name: $name, rateBps: $rateBps, inclusive: $inclusive }) {
        taxRate {
          ...SettingsTaxRateFields
        }
      }
    }
  `,
  [TaxRateFields],
);

export const UpdateTaxRateMutation = graphql(
  `
    mutation UpdateTaxRate($id: String!, $name: String!, $rateBps: Int!, $inclusive: Boolean!) {
      updateTaxRate(input: { id: $id, name: $name, rateBps: $rateBps, inclusive: $inclusive }) {
        taxRate {
          ...SettingsTaxRateFields
        }
      }
    }
  `,
  [TaxRateFields],
);

/** Its locations charge the default rate again: the tax settings are read again after it. */
export const DeleteTaxRateMutation = graphql(`
  mutation DeleteTaxRate($id: String!) {
    deleteTaxRate(input: { id: $id }) {
      taxRate {
        id
      }
    }
  }
`);

export const SetLocationTaxRateMutation = graphql(`
  mutation SetLocationTaxRate($locationId: String!, $taxRateId: String) {
    setLocationTaxRate(input: { locationId: $locationId, taxRateId: $taxRateId }) {
      location {
        id
        taxRateId
      }
    }
  }
`);

export const UpdateDefaultTaxRateMutation = graphql(`
  mutation UpdateDefaultTaxRate($rowId: String!, $taxRateBps: Int!) {
    updateTenant(input: { rowId: $rowId, patch: { taxRateBps: $taxRateBps } }) {
      tenant {
        id
        taxRateBps
      }
    }
  }
`);
