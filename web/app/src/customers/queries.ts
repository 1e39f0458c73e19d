// GraphQL operations of the Customers module. Customers are written only through the commands
// (createCustomer, updateCustomer, archiveCustomer, restoreCustomer, mergeCustomers); notes and
// addresses through their generated mutations. Money arrives in cents: Int for orders,
// BigInt (a string) for lifetime totals.
import { gql } from "urql";

/** What a row of the list (and a search hit) shows. */
export interface CustomerRow {
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

const CustomerRowFields = gql`
  fragment CustomerRowFields on Customer {
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

export interface CustomersPage {
  customers: {
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    nodes: CustomerRow[];
  } | null;
}

export const CustomersQuery = gql<CustomersPage, { first: number; after: string | null; filter: object; orderBy: string[] }>`
  query Customers($first: Int!, $after: Cursor, $filter: CustomerFilter, $orderBy: [CustomerOrderBy!]) {
    customers(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
      pageInfo {
        hasNextPage
        endCursor
      }
      nodes {
        ...CustomerRowFields
      }
    }
  }
  ${CustomerRowFields}
`;

// The count costs as much as all the customers who match (the page only 50 of them): asked once
// per filter, not with every page.
export const CustomersCountQuery = gql<{ customers: { totalCount: number } | null }, { filter: object }>`
  query CustomersCount($filter: CustomerFilter) {
    customers(filter: $filter) {
      totalCount
    }
  }
`;

export const SearchCustomersQuery = gql<{ searchCustomers: CustomerRow[] | null }, { q: string }>`
  query SearchCustomers($q: String!) {
    searchCustomers(q: $q) {
      ...CustomerRowFields
    }
  }
  ${CustomerRowFields}
`;

/** One customer as a list row, by row id (the customer an error refers to, to pick them). */
export const CustomerRowQuery = gql<{ customerByRowId: CustomerRow | null }, { rowId: string }>`
  query CustomerRow($rowId: String!) {
    customerByRowId(rowId: $rowId) {
      ...CustomerRowFields
    }
  }
  ${CustomerRowFields}
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
  location: { id: string; name: string; timezone: string } | null;
}

export interface Activity {
  occurredAt: string | null;
  kind: string | null;
  summary: string | null;
  actorName: string | null;
  subjectId: string | null;
}

export interface CustomerDetail extends CustomerRow {
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
}

export const CustomerDetailQuery = gql<{ customerByRowId: CustomerDetail | null }, { rowId: string }>`
  query CustomerDetail($rowId: String!) {
    customerByRowId(rowId: $rowId) {
      ...CustomerRowFields
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
    }
  }
  ${CustomerRowFields}
`;

/** Both sides of a merge as they are now (the other side of the preview). */
export interface MergeSide extends CustomerRow {
  firstName: string | null;
  lastName: string | null;
  notes: string | null;
  marketingConsent: boolean | null;
}

export const MergeSideQuery = gql<{ customerByRowId: MergeSide | null }, { rowId: string }>`
  query MergeSide($rowId: String!) {
    customerByRowId(rowId: $rowId) {
      ...CustomerRowFields
      firstName
      lastName
      notes
      marketingConsent
    }
  }
  ${CustomerRowFields}
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

export const CreateCustomerMutation = gql<{ createCustomer: { result: CustomerRow | null } | null }, { input: CustomerInput }>`
  mutation CreateCustomer($input: CreateCustomerInput!) {
    createCustomer(input: $input) {
      result {
        ...CustomerRowFields
      }
    }
  }
  ${CustomerRowFields}
`;

export const UpdateCustomerMutation = gql<
  { updateCustomer: { result: CustomerRow | null } | null },
  { customerId: string; patch: CustomerInput }
>`
  mutation UpdateCustomer($customerId: String!, $patch: CustomerChangeInput!) {
    updateCustomer(input: { customerId: $customerId, patch: $patch }) {
      result {
        ...CustomerRowFields
        firstName
        lastName
        notes
        marketingConsent
      }
    }
  }
  ${CustomerRowFields}
`;

export const ArchiveCustomerMutation = gql<{ archiveCustomer: { result: CustomerRow | null } | null }, { customerId: string; reason: string | null }>`
  mutation ArchiveCustomer($customerId: String!, $reason: String) {
    archiveCustomer(input: { customerId: $customerId, reason: $reason }) {
      result {
        ...CustomerRowFields
      }
    }
  }
  ${CustomerRowFields}
`;

export const RestoreCustomerMutation = gql<{ restoreCustomer: { result: CustomerRow | null } | null }, { customerId: string; reason: string | null }>`
  mutation RestoreCustomer($customerId: String!, $reason: String) {
    restoreCustomer(input: { customerId: $customerId, reason: $reason }) {
      result {
        ...CustomerRowFields
      }
    }
  }
  ${CustomerRowFields}
`;

export const MergeCustomersMutation = gql<
  { mergeCustomers: { result: CustomerRow | null } | null },
  { primaryId: string; duplicateId: string; reason: string | null }
>`
  mutation MergeCustomers($primaryId: String!, $duplicateId: String!, $reason: String) {
    mergeCustomers(input: { primaryId: $primaryId, duplicateId: $duplicateId, reason: $reason }) {
      result {
        ...CustomerRowFields
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
  ${CustomerRowFields}
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
