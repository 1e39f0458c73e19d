// GraphQL operations of the Customers module. Customers are written only through the commands
// (createCustomer, updateCustomer, archiveCustomer, restoreCustomer, mergeCustomers); notes and
// addresses through their generated mutations. Money arrives in cents: Int for orders,
// BigInt (a string) for lifetime totals.
import { gql } from "urql";

/** A customer as a search hit, a pick or a command's result shows them. */
export interface CustomerSummary {
  id: string;
  rowId: string;
  customerNumber: string;
  displayName: string;
  email: string | null;
  phone: string | null;
  tags: string[];
  status: string;
  totalVisits: number;
  /** Cents, as a string (BigInt). */
  totalSpend: string;
  lastVisitAt: string | null;
}

const CustomerSummaryFields = gql`
  fragment CustomerSummaryFields on Customer {
    id
    rowId
    customerNumber
    displayName
    email
    phone
    tags
    status
    totalVisits
    totalSpend
    lastVisitAt
  }
`;

/** How often a customer comes (derived by the database at read time); null before the first visit. */
export type LoyaltyClass = "new" | "returning" | "regular" | "lapsed" | "one_time";

/** What a row of the Customers table shows: the list (customerRows) and its search hits alike. */
export interface ListedCustomer extends CustomerSummary {
  loyaltyClass: LoyaltyClass | null;
  customerType: { id: string; label: string } | null;
}

// The list reads the customer_rows view: each customer with its counters and loyalty class, to
// filter and sort on (the counters are no longer columns of customers).
const ListedCustomerFields = gql`
  fragment ListedCustomerFields on CustomerRow {
    id
    rowId
    customerNumber
    displayName
    email
    phone
    tags
    status
    totalVisits
    totalSpend
    lastVisitAt
    loyaltyClass
    customerType {
      id
      label
    }
  }
`;

export interface CustomersPage {
  customerRows: {
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    nodes: ListedCustomer[];
  } | null;
}

export const CustomersQuery = gql<CustomersPage, { first: number; after: string | null; filter: object; orderBy: string[] }>`
  query Customers($first: Int!, $after: Cursor, $filter: CustomerRowFilter, $orderBy: [CustomerRowOrderBy!]) {
    customerRows(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        ...ListedCustomerFields
      }
    }
  }
  ${ListedCustomerFields}
`;

// The count costs as much as all the customers who match (the page only 50 of them): asked once
// per filter, not with every page.
export const CustomersCountQuery = gql<{ customerRows: { totalCount: number } | null }, { filter: object }>`
  query CustomersCount($filter: CustomerRowFilter) {
    customerRows(filter: $filter) {
      totalCount
    }
  }
`;

/** The type-ahead's hits (Customer, not the list's CustomerRow). */
export const SearchCustomersQuery = gql<{ searchCustomers: CustomerSummary[] | null }, { q: string }>`
  query SearchCustomers($q: String!) {
    searchCustomers(q: $q) {
      ...CustomerSummaryFields
    }
  }
  ${CustomerSummaryFields}
`;

/** The same hits for the list's search box, with what its table shows besides (class, type). */
export const ListSearchCustomersQuery = gql<
  {
    searchCustomers:
      | (CustomerSummary & { stats: { loyaltyClass: LoyaltyClass | null } | null; customerType: { id: string; label: string } | null })[]
      | null;
  },
  { q: string }
>`
  query ListSearchCustomers($q: String!) {
    searchCustomers(q: $q) {
      ...CustomerSummaryFields
      stats {
        loyaltyClass
      }
      customerType {
        id
        label
      }
    }
  }
  ${CustomerSummaryFields}
`;

export interface CustomerType {
  id: string;
  rowId: string;
  /** walk_in, regular, vip, wholesale for the four every business starts with; null for its own. */
  key: string | null;
  label: string;
  position: number;
}

/** The business's customer types (readable with customers.view), in the order lists show them. */
export const CustomerTypesQuery = gql<{ customerTypes: { nodes: CustomerType[] } | null }>`
  query CustomerTypes {
    customerTypes(first: 100, orderBy: [POSITION_ASC, LABEL_ASC]) {
      nodes {
        id
        rowId
        key
        label
        position
      }
    }
  }
`;

/** One customer as a list row, by row id (the customer an error refers to, to pick them). */
export const CustomerSummaryQuery = gql<{ customerByRowId: CustomerSummary | null }, { rowId: string }>`
  query CustomerSummary($rowId: String!) {
    customerByRowId(rowId: $rowId) {
      ...CustomerSummaryFields
    }
  }
  ${CustomerSummaryFields}
`;

export interface Note {
  id: string;
  rowId: string;
  body: string;
  category: string;
  createdAt: string;
  updatedAt: string;
  author: { id: string; name: string } | null;
}

export interface Address {
  id: string;
  rowId: string;
  type: string;
  line1: string;
  line2: string | null;
  city: string;
  region: string | null;
  postalCode: string | null;
  country: string;
  isDefault: boolean;
}

export interface RecentOrder {
  id: string;
  rowId: string;
  placedAt: string | null;
  status: string;
  total: number;
  /** What refunds of some of its lines took back. */
  refundedTotal: number;
  location: { id: string; name: string; timezone: string } | null;
}

export interface Activity {
  occurredAt: string | null;
  kind: string | null;
  summary: string | null;
  actorName: string | null;
  subjectId: string | null;
}

export interface PurchaseHistory {
  id: string;
  visits: number;
  /** Cents (BigInt, a string). */
  spend: string;
  averageOrderValue: string;
  itemsBought: string;
  firstVisitAt: string | null;
  lastVisitAt: string | null;
  daysSinceLastVisit: number | null;
  loyaltyClass: LoyaltyClass | null;
  loyaltyClassReason: string;
  topItems: { id: string; quantity: string; catalogItem: { id: string; rowId: string; name: string } | null }[] | null;
}

export interface Preferences {
  id: string;
  doNotContact: boolean;
  preferredPayment: string | null;
  bestContactTime: string | null;
  language: string | null;
}

export interface ContactChannel {
  id: string;
  channel: string;
  allowed: boolean;
  source: string;
  recordedAt: string;
  recordedByUser: { id: string; name: string } | null;
}

export interface FavouriteItem {
  id: string;
  catalogItemId: string;
  catalogItem: { id: string; rowId: string; name: string } | null;
}

export interface CustomerDetail extends CustomerSummary {
  firstName: string | null;
  lastName: string | null;
  notes: string | null;
  marketingConsent: boolean | null;
  marketingConsentUpdatedAt: string | null;
  marketingConsentSource: string | null;
  createdAt: string;
  mergedInto: { id: string; rowId: string; customerNumber: string; displayName: string; status: string } | null;
  customerNotes: { nodes: Note[] };
  addresses: { nodes: Address[] };
  recentOrders: RecentOrder[] | null;
  timeline: { totalCount: number; nodes: Activity[] };
  customerType: { id: string; rowId: string; label: string } | null;
  stats: PurchaseHistory | null;
  preferences: Preferences | null;
  contactChannels: { nodes: ContactChannel[] };
  favouriteItems: { nodes: FavouriteItem[] };
}

export const CustomerDetailQuery = gql<{ customerByRowId: CustomerDetail | null }, { rowId: string }>`
  query CustomerDetail($rowId: String!) {
    customerByRowId(rowId: $rowId) {
      ...CustomerSummaryFields
      firstName
      lastName
      notes
      marketingConsent
      marketingConsentUpdatedAt
      marketingConsentSource
      createdAt
      mergedInto {
        id
        rowId
        customerNumber
        displayName
        status
      }
      customerNotes(orderBy: [CREATED_AT_DESC]) {
        nodes {
          id
          rowId
          body
          category
          createdAt
          updatedAt
          author {
            id
            name
          }
        }
      }
      addresses(orderBy: [PRIMARY_KEY_ASC]) {
        nodes {
          id
          rowId
          type
          line1
          line2
          city
          region
          postalCode
          country
          isDefault
        }
      }
      recentOrders {
        id
        rowId
        placedAt
        status
        total
        refundedTotal
        location {
          id
          name
          timezone
        }
      }
      timeline(first: 50) {
        totalCount
        nodes {
          occurredAt
          kind
          summary
          actorName
          subjectId
        }
      }
      customerType {
        id
        rowId
        label
      }
      stats {
        id
        visits
        spend
        averageOrderValue
        itemsBought
        firstVisitAt
        lastVisitAt
        daysSinceLastVisit
        loyaltyClass
        loyaltyClassReason
        topItems {
          id
          quantity
          catalogItem {
            id
            rowId
            name
          }
        }
      }
      preferences {
        id
        doNotContact
        preferredPayment
        bestContactTime
        language
      }
      contactChannels(orderBy: [CHANNEL_ASC]) {
        nodes {
          id
          channel
          allowed
          source
          recordedAt
          recordedByUser {
            id
            name
          }
        }
      }
      favouriteItems {
        nodes {
          id
          catalogItemId
          catalogItem {
            id
            rowId
            name
          }
        }
      }
    }
  }
  ${CustomerSummaryFields}
`;

/** Both sides of a merge as they are now (the other side of the preview). */
export interface MergeSide extends CustomerSummary {
  firstName: string | null;
  lastName: string | null;
  notes: string | null;
  marketingConsent: boolean | null;
}

export const MergeSideQuery = gql<{ customerByRowId: MergeSide | null }, { rowId: string }>`
  query MergeSide($rowId: String!) {
    customerByRowId(rowId: $rowId) {
      ...CustomerSummaryFields
      firstName
      lastName
      notes
      marketingConsent
    }
  }
  ${CustomerSummaryFields}
`;

export interface MergePreview {
  displayName: string | null;
  email: string | null;
  phone: string | null;
  firstName: string | null;
  lastName: string | null;
  notes: string | null;
  tags: string[] | null;
  marketingConsent: boolean | null;
  totalVisits: number | null;
  totalSpend: string | null;
  lastVisitAt: string | null;
  ordersToMove: number | null;
  notesToMove: number | null;
  addressesToMove: number | null;
}

export const PreviewMergeQuery = gql<{ previewCustomerMerge: MergePreview | null }, { primaryId: string; duplicateId: string }>`
  query PreviewCustomerMerge($primaryId: String!, $duplicateId: String!) {
    previewCustomerMerge(primaryId: $primaryId, duplicateId: $duplicateId) {
      displayName
      email
      phone
      firstName
      lastName
      notes
      tags
      marketingConsent
      totalVisits
      totalSpend
      lastVisitAt
      ordersToMove
      notesToMove
      addressesToMove
    }
  }
`;

// ── Commands ────────────────────────────────────────────────────────────────────────────────

export interface CustomerInput {
  firstName?: string | null;
  lastName?: string | null;
  email?: string | null;
  phone?: string | null;
  notes?: string | null;
  tags?: string[] | null;
  marketingConsent?: boolean | null;
  marketingConsentSource?: string | null;
}

export const CreateCustomerMutation = gql<{ createCustomer: { result: CustomerSummary | null } | null }, { input: CustomerInput }>`
  mutation CreateCustomer($input: CreateCustomerInput!) {
    createCustomer(input: $input) {
      result {
        ...CustomerSummaryFields
      }
    }
  }
  ${CustomerSummaryFields}
`;

export const UpdateCustomerMutation = gql<
  { updateCustomer: { result: CustomerSummary | null } | null },
  { customerId: string; patch: CustomerInput }
>`
  mutation UpdateCustomer($customerId: String!, $patch: CustomerChangeInput!) {
    updateCustomer(input: { customerId: $customerId, patch: $patch }) {
      result {
        ...CustomerSummaryFields
        firstName
        lastName
        notes
        marketingConsent
      }
    }
  }
  ${CustomerSummaryFields}
`;

export const ArchiveCustomerMutation = gql<{ archiveCustomer: { result: CustomerSummary | null } | null }, { customerId: string; reason: string | null }>`
  mutation ArchiveCustomer($customerId: String!, $reason: String) {
    archiveCustomer(input: { customerId: $customerId, reason: $reason }) {
      result {
        ...CustomerSummaryFields
      }
    }
  }
  ${CustomerSummaryFields}
`;

export const RestoreCustomerMutation = gql<{ restoreCustomer: { result: CustomerSummary | null } | null }, { customerId: string; reason: string | null }>`
  mutation RestoreCustomer($customerId: String!, $reason: String) {
    restoreCustomer(input: { customerId: $customerId, reason: $reason }) {
      result {
        ...CustomerSummaryFields
      }
    }
  }
  ${CustomerSummaryFields}
`;

export const MergeCustomersMutation = gql<
  { mergeCustomers: { result: CustomerSummary | null } | null },
  { primaryId: string; duplicateId: string; reason: string | null }
>`
  mutation MergeCustomers($primaryId: String!, $duplicateId: String!, $reason: String) {
    mergeCustomers(input: { primaryId: $primaryId, duplicateId: $duplicateId, reason: $reason }) {
      result {
        ...CustomerSummaryFields
        mergedCustomers {
          nodes {
            id
            rowId
            status
          }
        }
      }
    }
  }
  ${CustomerSummaryFields}
`;

// ── Notes and addresses (generated mutations) ───────────────────────────────────────────────

export const CreateNoteMutation = gql<
  { createCustomerNote: { customerNote: { id: string } | null } | null },
  { customerId: string; body: string; category: string }
>`
  mutation CreateCustomerNote($customerId: String!, $body: String!, $category: String!) {
    createCustomerNote(input: { customerNote: { customerId: $customerId, body: $body, category: $category } }) {
      customerNote {
        id
        rowId
        body
        category
      }
    }
  }
`;

export const UpdateNoteMutation = gql<
  { updateCustomerNoteById: { customerNote: { id: string } | null } | null },
  { id: string; body: string; category: string }
>`
  mutation UpdateCustomerNote($id: ID!, $body: String!, $category: String!) {
    updateCustomerNoteById(input: { id: $id, patch: { body: $body, category: $category } }) {
      customerNote {
        id
        rowId
        body
        category
        updatedAt
      }
    }
  }
`;

export const DeleteNoteMutation = gql<{ deleteCustomerNoteById: { customerNote: { id: string } | null } | null }, { id: string }>`
  mutation DeleteCustomerNote($id: ID!) {
    deleteCustomerNoteById(input: { id: $id }) {
      customerNote {
        id
      }
    }
  }
`;

export interface AddressInput {
  type: string;
  line1: string;
  line2: string | null;
  city: string;
  region: string | null;
  postalCode: string | null;
  country: string | null;
  isDefault: boolean;
}

export const CreateAddressMutation = gql<
  { createCustomerAddress: { customerAddress: { id: string } | null } | null },
  { address: AddressInput & { customerId: string } }
>`
  mutation CreateCustomerAddress($address: CustomerAddressInput!) {
    createCustomerAddress(input: { customerAddress: $address }) {
      customerAddress {
        id
        rowId
        isDefault
      }
    }
  }
`;

export const UpdateAddressMutation = gql<
  { updateCustomerAddressById: { customerAddress: { id: string } | null } | null },
  { id: string; patch: Partial<AddressInput> }
>`
  mutation UpdateCustomerAddress($id: ID!, $patch: CustomerAddressPatch!) {
    updateCustomerAddressById(input: { id: $id, patch: $patch }) {
      customerAddress {
        id
        rowId
        isDefault
      }
    }
  }
`;

export const DeleteAddressMutation = gql<
  { deleteCustomerAddressById: { customerAddress: { id: string } | null } | null },
  { id: string }
>`
  mutation DeleteCustomerAddress($id: ID!) {
    deleteCustomerAddressById(input: { id: $id }) {
      customerAddress {
        id
      }
    }
  }
`;

// ── Type and preferences (commands; each audited on the customer) ───────────────────────────

export const SetCustomerTypeMutation = gql<
  { setCustomerType: { result: { id: string; customerType: { id: string; label: string } | null } | null } | null },
  { customerId: string; customerTypeId: string | null }
>`
  mutation SetCustomerType($customerId: String!, $customerTypeId: String) {
    setCustomerType(input: { customerId: $customerId, customerTypeId: $customerTypeId }) {
      result {
        id
        customerTypeId
        customerType {
          id
          rowId
          label
        }
      }
    }
  }
`;

export interface PreferencesInput {
  doNotContact?: boolean | null;
  /** null leaves it as it is; "" clears it. */
  preferredPayment?: string | null;
  bestContactTime?: string | null;
  language?: string | null;
}

export const SetCustomerPreferencesMutation = gql<
  { setCustomerPreferences: { result: Preferences | null } | null },
  PreferencesInput & { customerId: string }
>`
  mutation SetCustomerPreferences(
    $customerId: String!
    $doNotContact: Boolean
    $preferredPayment: String
    $bestContactTime: String
    $language: String
  ) {
    setCustomerPreferences(
      input: {
        customerId: $customerId
        doNotContact: $doNotContact
        preferredPayment: $preferredPayment
        bestContactTime: $bestContactTime
        language: $language
      }
    ) {
      result {
        id
        doNotContact
        preferredPayment
        bestContactTime
        language
      }
    }
  }
`;

export const SetContactChannelMutation = gql<
  { setCustomerContactChannel: { result: ContactChannel | null } | null },
  { customerId: string; channel: string; allowed: boolean; source: string }
>`
  mutation SetCustomerContactChannel($customerId: String!, $channel: String!, $allowed: Boolean!, $source: String!) {
    setCustomerContactChannel(input: { customerId: $customerId, channel: $channel, allowed: $allowed, source: $source }) {
      result {
        id
        channel
        allowed
        source
        recordedAt
      }
    }
  }
`;

export const AddFavouriteItemMutation = gql<
  { addCustomerFavouriteItem: { result: { id: string } | null } | null },
  { customerId: string; catalogItemId: string }
>`
  mutation AddCustomerFavouriteItem($customerId: String!, $catalogItemId: String!) {
    addCustomerFavouriteItem(input: { customerId: $customerId, catalogItemId: $catalogItemId }) {
      result {
        id
        catalogItemId
      }
    }
  }
`;

export const RemoveFavouriteItemMutation = gql<
  { removeCustomerFavouriteItem: { result: { id: string } | null } | null },
  { customerId: string; catalogItemId: string }
>`
  mutation RemoveCustomerFavouriteItem($customerId: String!, $catalogItemId: String!) {
    removeCustomerFavouriteItem(input: { customerId: $customerId, catalogItemId: $catalogItemId }) {
      result {
        id
        catalogItemId
      }
    }
  }
`;
