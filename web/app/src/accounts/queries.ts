// GraphQL operations of selling on account (issue 18, migrations/fixtures/accounts/7xx-*.sql): a
// customer's account with its balance, limit, invoices, payments, action log and suspensions; the
// commands that act on it (accounts.manage, each with the reason the action log keeps); the
// statement of a date range; and the business's invoices. Amounts are BigInt minor units of the
// business's currency (strings); dates are ISO days.
import { graphql, type ResultOf } from "../graphql.ts";

const UserName = graphql(`
  fragment AccountUserName on User {
    id
    name
  }
`);

/** A PDF the worker writes (an invoice's, a statement): pending, then done with its download address, or failed. */
export const AccountDocumentFields = graphql(`
  fragment AccountDocumentFields on AccountDocument {
    id
    rowId
    kind
    status
    fileName
    downloadUrl
    error
  }
`);

export const InvoiceFields = graphql(`
  fragment InvoiceFields on AccountInvoice {
    id
    rowId
    invoiceNumber
    periodStart
    periodEnd
    issuedOn
    dueOn
    status
    state
    daysOverdue
    currency
    total
    amountPaid
    amountDue
    source
    voidReason
    document {
      ...AccountDocumentFields
    }
  }
`, [AccountDocumentFields]);

export const CustomerAccountQuery = graphql(`
  query CustomerAccount($rowId: String!) {
    customerByRowId(rowId: $rowId) {
      id
      rowId
      displayName
      status
      account {
        id
        accountNumber
        openedAt
        openedBy { ...AccountUserName }
        status
        balance
        creditLimit
        availableCredit
        overdueTotal
        unusedCredit
        paymentTermsDays
        currentSuspension {
          id
          type
          reason
          suspendedAt
          suspendedBy { ...AccountUserName }
        }
        suspensions(orderBy: [SUSPENDED_AT_DESC], first: 100) {
          nodes {
            id
            rowId
            type
            reason
            suspendedAt
            suspendedBy { ...AccountUserName }
            reactivatedAt
            reactivationReason
            reactivatedBy { ...AccountUserName }
          }
        }
        actions(orderBy: [CREATED_AT_DESC], first: 200) {
          nodes {
            id
            rowId
            action
            reason
            before
            after
            createdAt
            actor { ...AccountUserName }
          }
        }
        invoices(orderBy: [ISSUED_ON_DESC, INVOICE_NUMBER_DESC], first: 200) {
          nodes { ...InvoiceFields }
        }
        payments(orderBy: [RECEIVED_ON_DESC, ROW_ID_DESC], first: 200) {
          nodes {
            id
            rowId
            amount
            allocated
            method
            reference
            receivedOn
            createdAt
            recordedBy { ...AccountUserName }
          }
        }
      }
    }
  }
`, [UserName, InvoiceFields]);

export type CustomerWithAccount = NonNullable<ResultOf<typeof CustomerAccountQuery>["customerByRowId"]>;
export type Account = NonNullable<CustomerWithAccount["account"]>;
export type AccountInvoice = ResultOf<typeof InvoiceFields>;
export type AccountPayment = Account["payments"]["nodes"][number];
export type AccountAction = Account["actions"]["nodes"][number];
export type AccountSuspension = Account["suspensions"]["nodes"][number];

/** One invoice with its lines (in order) and its tax per rate, for its detail on screen. */
export const AccountInvoiceDetailQuery = graphql(`
  query AccountInvoiceDetail($rowId: String!) {
    accountInvoiceByRowId(rowId: $rowId) {
      ...InvoiceFields
      netTotal
      taxTotal
      lines(orderBy: [LINE_NO_ASC], first: 1000) {
        nodes {
          id
          lineNo
          description
          netAmount
          taxRateBps
          taxAmount
          amount
        }
      }
      taxes(first: 100) {
        nodes {
          taxRateBps
          netAmount
          taxAmount
        }
      }
    }
  }
`, [InvoiceFields]);

export type InvoiceDetail = NonNullable<ResultOf<typeof AccountInvoiceDetailQuery>["accountInvoiceByRowId"]>;

export const OpenAccountMutation = graphql(`
  mutation OpenCustomerAccount($customerId: String!, $creditLimit: BigInt!, $paymentTermsDays: Int, $reason: String!) {
    openCustomerAccount(input: { customerId: $customerId, creditLimit: $creditLimit, paymentTermsDays: $paymentTermsDays, reason: $reason }) {
      customerAccount { id accountNumber }
    }
  }
`);

export const SetAccountTermsMutation = graphql(`
  mutation SetCustomerAccountTerms($customerId: String!, $creditLimit: BigInt!, $paymentTermsDays: Int!, $reason: String!) {
    setCustomerAccountTerms(input: { customerId: $customerId, creditLimit: $creditLimit, paymentTermsDays: $paymentTermsDays, reason: $reason }) {
      customerAccount { id creditLimit paymentTermsDays availableCredit }
    }
  }
`);

export const SuspendAccountMutation = graphql(`
  mutation SuspendCustomerAccount($customerId: String!, $suspensionType: String!, $reason: String!) {
    suspendCustomerAccount(input: { customerId: $customerId, suspensionType: $suspensionType, reason: $reason }) {
      accountSuspension { id rowId }
    }
  }
`);

export const ReactivateAccountMutation = graphql(`
  mutation ReactivateCustomerAccount($customerId: String!, $reason: String!) {
    reactivateCustomerAccount(input: { customerId: $customerId, reason: $reason }) {
      accountSuspension { id rowId }
    }
  }
`);

export const RecordPaymentMutation = graphql(`
  mutation RecordAccountPayment($customerId: String!, $amount: BigInt!, $method: String!, $reference: String, $receivedOn: Date) {
    recordAccountPayment(input: { customerId: $customerId, amount: $amount, method: $method, reference: $reference, receivedOn: $receivedOn }) {
      accountPayment { id rowId amount }
    }
  }
`);

export const WriteOffMutation = graphql(`
  mutation WriteOffAccountBalance($customerId: String!, $amount: BigInt!, $reason: String!) {
    writeOffAccountBalance(input: { customerId: $customerId, amount: $amount, reason: $reason }) {
      accountEntry { id rowId amount }
    }
  }
`);

/** Pays back credit the account holds (unusedCredit): how an account in credit is settled. */
export const RefundCreditMutation = graphql(`
  mutation RefundAccountCredit($customerId: String!, $amount: BigInt!, $method: String!, $reason: String!) {
    refundAccountCredit(input: { customerId: $customerId, amount: $amount, method: $method, reason: $reason }) {
      accountEntry { id rowId amount }
    }
  }
`);

export const InvoiceNowMutation = graphql(`
  mutation InvoiceCustomerAccount($customerId: String!) {
    invoiceCustomerAccount(input: { customerId: $customerId }) {
      accountInvoice { ...InvoiceFields }
    }
  }
`, [InvoiceFields]);

export const VoidInvoiceMutation = graphql(`
  mutation VoidAccountInvoice($accountInvoiceId: String!, $reason: String!) {
    voidAccountInvoice(input: { accountInvoiceId: $accountInvoiceId, reason: $reason }) {
      accountInvoice { ...InvoiceFields }
    }
  }
`, [InvoiceFields]);

export const AccountStatementQuery = graphql(`
  query AccountStatement($customerId: String!, $from: Date!, $until: Date!) {
    accountStatement(customerId: $customerId, fromDate: $from, untilDate: $until) {
      nodes {
        lineDate
        kind
        reference
        description
        debit
        credit
        balance
      }
    }
  }
`);

export type StatementLine = NonNullable<ResultOf<typeof AccountStatementQuery>["accountStatement"]>["nodes"][number];

/** The business's invoices, with the customer each links to. */
/** Asks the worker for the PDF statement of a range; the document is then polled until done. */
export const RequestStatementMutation = graphql(`
  mutation RequestAccountStatement($customerId: String!, $from: Date!, $until: Date!) {
    requestAccountStatement(input: { customerId: $customerId, fromDate: $from, untilDate: $until }) {
      accountDocument { ...AccountDocumentFields }
    }
  }
`, [AccountDocumentFields]);

export const AccountDocumentQuery = graphql(`
  query AccountDocument($rowId: String!) {
    accountDocumentByRowId(rowId: $rowId) { ...AccountDocumentFields }
  }
`, [AccountDocumentFields]);

export type AccountDocument = ResultOf<typeof AccountDocumentFields>;

export const AccountInvoicesQuery = graphql(`
  query AccountInvoices($first: Int!, $state: String) {
    accountInvoicesInState(first: $first, state: $state) {
      totalCount
      pageInfo { hasNextPage }
      nodes {
        ...InvoiceFields
        account {
          id
          accountNumber
          customer {
            id
            rowId
            displayName
          }
        }
      }
    }
  }
`, [InvoiceFields]);

export type ListedInvoice = NonNullable<ResultOf<typeof AccountInvoicesQuery>["accountInvoicesInState"]>["nodes"][number];
