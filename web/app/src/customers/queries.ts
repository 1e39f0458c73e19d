// GraphQL operations of the Customers module. Customers are written only through the commands
// (createCustomer, updateCustomer, archiveCustomer, restoreCustomer, mergeCustomers); notes and
// addresses through their generated mutations. Money arrives in cents: Int for orders,
// BigInt (a string) for lifetime totals.
import { graphql, type ResultOf, type VariablesOf } from "../graphql.ts";

/** A customer as a search hit, a pick or a command's result shows them. */
const CustomerSummaryFields = graphql(`
  fragment CustomerSummaryFields on Customer {
    id
    rowId
    customerNumber
    displayName
    altName
    email
    phone
    tags
    status
    totalVisits
    totalSpend
    lastVisitAt
    kind
    companyName
    creditLimit
    paymentTermsDays
    currency
    accountStatus
  }
`);

// The list reads the customer_rows view: each customer with its counters and loyalty class, to
// filter and sort on (the counters are no longer columns of customers). What a row of the
// Customers table shows: the list and its search hits alike.
const ListedCustomerFields = graphql(`
  fragment ListedCustomerFields on CustomerRow {
    id
    rowId
    customerNumber
    displayName
    altName
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
    kind
    companyName
    tier {
      id
      name
      discountBps
      colour
    }
  }
`);

export const CustomersQuery = graphql(`
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
`, [ListedCustomerFields]);

// The count costs as much as all the customers who match (the page only 50 of them): asked once
// per filter, not with every page.
export const CustomersCountQuery = graphql(`
  query CustomersCount($filter: CustomerRowFilter) {
    customerRows(filter: $filter) {
      totalCount
    }
  }
`);

/** The type-ahead's hits (Customer, not the list's CustomerRow); a company found by one of its contacts names that contact. */
export const SearchCustomersQuery = graphql(`
  query SearchCustomers($q: String!) {
    searchCustomers(q: $q) {
      ...CustomerSummaryFields
      matchedContact(q: $q) {
        id
        displayName
        role
      }
    }
  }
`, [CustomerSummaryFields]);

/** The same hits for the list's search box, with what its table shows besides (class, type, tier). */
export const ListSearchCustomersQuery = graphql(`
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
      tier {
        id
        name
        discountBps
        colour
      }
    }
  }
`, [CustomerSummaryFields]);

/** The business's customer types (readable with customers.view), in the order lists show them. */
export const CustomerTypesQuery = graphql(`
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
`);

/** One customer as a list row, by row id (the customer an error refers to, to pick them). */
export const CustomerSummaryQuery = graphql(`
  query CustomerSummary($rowId: String!) {
    customerByRowId(rowId: $rowId) {
      ...CustomerSummaryFields
    }
  }
`, [CustomerSummaryFields]);

/** A company's contact as the Contacts card shows and edits it. */
const ContactFields = graphql(`
  fragment ContactFields on CustomerContact {
    id
    rowId
    firstName
    lastName
    displayName
    email
    phone
    mobile
    role
    preferredContactMethod
    orderUpdates
    marketingOptIn
    notes
  }
`);

export const CustomerDetailQuery = graphql(`
  query CustomerDetail($rowId: String!) {
    customerByRowId(rowId: $rowId) {
      ...CustomerSummaryFields
      firstName
      lastName
      stage
      phoneVerifiedAt
      notes
      marketingConsent
      marketingConsentUpdatedAt
      marketingConsentSource
      createdAt
      taxId
      website
      internalNotes
      suspendedReason
      accountNumber
      billingAddressId
      shippingAddressId
      contacts(orderBy: [DISPLAY_NAME_ASC]) {
        nodes {
          ...ContactFields
        }
      }
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
          building
          floor
          deliveryNotes
          latitude
          longitude
          nearestLocation {
            locationId
            locationName
            distanceKm
          }
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
`, [CustomerSummaryFields, ContactFields]);

/** Both sides of a merge as they are now (the other side of the preview). */
export const MergeSideQuery = graphql(`
  query MergeSide($rowId: String!) {
    customerByRowId(rowId: $rowId) {
      ...CustomerSummaryFields
      firstName
      lastName
      notes
      marketingConsent
    }
  }
`, [CustomerSummaryFields]);

export const PreviewMergeQuery = graphql(`
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
`);

// ── Commands ────────────────────────────────────────────────────────────────────────────────

export const CreateCustomerMutation = graphql(`
  mutation CreateCustomer($input: CreateCustomerInput!) {
    createCustomer(input: $input) {
      result {
        ...CustomerSummaryFields
      }
    }
  }
`, [CustomerSummaryFields]);

export const UpdateCustomerMutation = graphql(`
  mutation UpdateCustomer($customerId: String!, $patch: CustomerChangeInput!) {
    updateCustomer(input: { customerId: $customerId, patch: $patch }) {
      result {
        ...CustomerSummaryFields
        firstName
        lastName
        notes
        marketingConsent
        taxId
        website
        internalNotes
        suspendedReason
        billingAddressId
        shippingAddressId
      }
    }
  }
`, [CustomerSummaryFields]);

export const ArchiveCustomerMutation = graphql(`
  mutation ArchiveCustomer($customerId: String!, $reason: String) {
    archiveCustomer(input: { customerId: $customerId, reason: $reason }) {
      result {
        ...CustomerSummaryFields
      }
    }
  }
`, [CustomerSummaryFields]);

export const RestoreCustomerMutation = graphql(`
  mutation RestoreCustomer($customerId: String!, $reason: String) {
    restoreCustomer(input: { customerId: $customerId, reason: $reason }) {
      result {
        ...CustomerSummaryFields
      }
    }
  }
`, [CustomerSummaryFields]);

export const MergeCustomersMutation = graphql(`
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
`, [CustomerSummaryFields]);

// ── Notes and addresses (generated mutations) ───────────────────────────────────────────────

export const CreateNoteMutation = graphql(`
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
`);

export const UpdateNoteMutation = graphql(`
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
`);

export const DeleteNoteMutation = graphql(`
  mutation DeleteCustomerNote($id: ID!) {
    deleteCustomerNoteById(input: { id: $id }) {
      customerNote {
        id
      }
    }
  }
`);

export const CreateAddressMutation = graphql(`
  mutation CreateCustomerAddress($address: CustomerAddressInput!) {
    createCustomerAddress(input: { customerAddress: $address }) {
      customerAddress {
        id
        rowId
        isDefault
      }
    }
  }
`);

export const UpdateAddressMutation = graphql(`
  mutation UpdateCustomerAddress($id: ID!, $patch: CustomerAddressPatch!) {
    updateCustomerAddressById(input: { id: $id, patch: $patch }) {
      customerAddress {
        id
        rowId
        isDefault
      }
    }
  }
`);

export const DeleteAddressMutation = graphql(`
  mutation DeleteCustomerAddress($id: ID!) {
    deleteCustomerAddressById(input: { id: $id }) {
      customerAddress {
        id
      }
    }
  }
`);

// ── Type and preferences (commands; each audited on the customer) ───────────────────────────

export const SetCustomerTypeMutation = graphql(`
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
`);

export const SetCustomerPreferencesMutation = graphql(`
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
`);

export const SetContactChannelMutation = graphql(`
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
`);

export const AddFavouriteItemMutation = graphql(`
  mutation AddCustomerFavouriteItem($customerId: String!, $catalogItemId: String!) {
    addCustomerFavouriteItem(input: { customerId: $customerId, catalogItemId: $catalogItemId }) {
      result {
        id
        catalogItemId
      }
    }
  }
`);

export const RemoveFavouriteItemMutation = graphql(`
  mutation RemoveCustomerFavouriteItem($customerId: String!, $catalogItemId: String!) {
    removeCustomerFavouriteItem(input: { customerId: $customerId, catalogItemId: $catalogItemId }) {
      result {
        id
        catalogItemId
      }
    }
  }
`);

// ── Types, from the documents ───────────────────────────────────────────────────────────────

/** `totalSpend` is in cents, a string (BigInt); `tags` the JSON array the API gives (read it with tagList). */
export type CustomerSummary = ResultOf<typeof CustomerSummaryFields>;
export type ListedCustomer = ResultOf<typeof ListedCustomerFields>;
/** How often a customer comes (derived by the database at read time); null before the first visit. */
export type LoyaltyClass = NonNullable<ListedCustomer["loyaltyClass"]>;
/** What the list filters and sorts customerRows by. */
export type CustomerRowFilter = NonNullable<VariablesOf<typeof CustomersQuery>["filter"]>;
export type CustomerRowOrderBy = NonNullable<VariablesOf<typeof CustomersQuery>["orderBy"]>[number];
/** `key` is walk_in, regular, vip or wholesale for the four every business starts with; null for its own. */
export type CustomerType = NonNullable<ResultOf<typeof CustomerTypesQuery>["customerTypes"]>["nodes"][number];

export type CustomerDetail = NonNullable<ResultOf<typeof CustomerDetailQuery>["customerByRowId"]>;
export type Note = CustomerDetail["customerNotes"]["nodes"][number];
export type Address = CustomerDetail["addresses"]["nodes"][number];
/** `total` in cents; `refundedTotal` what refunds of some of its lines took back. */
export type RecentOrder = NonNullable<CustomerDetail["recentOrders"]>[number];
/** Money in cents (BigInt, a string). */
export type PurchaseHistory = NonNullable<CustomerDetail["stats"]>;
export type ContactChannel = CustomerDetail["contactChannels"]["nodes"][number];

export type MergeSide = NonNullable<ResultOf<typeof MergeSideQuery>["customerByRowId"]>;
export type MergePreview = NonNullable<ResultOf<typeof PreviewMergeQuery>["previewCustomerMerge"]>;

/** A customer's fields as updateCustomer's patch takes them; createCustomer's input takes the same. */
export type CustomerInput = VariablesOf<typeof UpdateCustomerMutation>["patch"];
/** For setCustomerPreferences: null leaves a preference as it is; "" clears it. */
export type PreferencesInput = Omit<VariablesOf<typeof SetCustomerPreferencesMutation>, "customerId">;

// ── Contacts of a company (commands) ────────────────────────────────────────────────────────
export const AddContactMutation = graphql(`
  mutation AddCustomerContact($input: AddCustomerContactInput!) {
    addCustomerContact(input: $input) {
      result {
        ...ContactFields
      }
    }
  }
`, [ContactFields]);

export const UpdateContactMutation = graphql(`
  mutation UpdateCustomerContact($input: UpdateCustomerContactInput!) {
    updateCustomerContact(input: $input) {
      result {
        ...ContactFields
      }
    }
  }
`, [ContactFields]);

export const SetPrimaryContactMutation = graphql(`
  mutation SetPrimaryCustomerContact($contactId: String!) {
    setPrimaryCustomerContact(input: { contactId: $contactId }) {
      result {
        ...ContactFields
      }
    }
  }
`, [ContactFields]);

export const RemoveContactMutation = graphql(`
  mutation RemoveCustomerContact($contactId: String!) {
    removeCustomerContact(input: { contactId: $contactId }) {
      result {
        id
      }
    }
  }
`);

export type Contact = CustomerDetail["contacts"]["nodes"][number];
export type CreateCustomerInput = VariablesOf<typeof CreateCustomerMutation>["input"];
