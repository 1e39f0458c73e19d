// GraphQL operations of the Billing module (db/BILLING.md). Reading billing state, opening the
// portal, changing plan and dismissing notices all work while the business is suspended; the
// portal and plan changes return a request that is polled until the worker has talked to Stripe.
import { gql } from "urql";

export interface Plan {
  id: string;
  key: string;
  name: string;
  priceCents: number;
  currency: string;
  billingInterval: string;
  maxSeats: number;
  maxLocations: number;
  maxDevices: number;
  modules: (string | null)[];
  position: number;
  /**
   * Why the business could not move to this plan now — its usage over the plan's limits, in the
   * words changePlan would refuse with (DOWNG) — or null when it fits (or billing is not visible).
   */
  changeProblem: string | null;
}

export type SubscriptionStatus = "trialing" | "active" | "past_due" | "canceled" | "unpaid";

export interface Subscription {
  id: string;
  planKey: string;
  status: SubscriptionStatus | string;
  trialEndsAt: string | null;
  currentPeriodStart: string | null;
  currentPeriodEnd: string | null;
  cancelAtPeriodEnd: boolean;
  canceledAt: string | null;
  graceEndsAt: string | null;
  seatsUsed: number | null;
  locationsUsed: number | null;
  devicesUsed: number | null;
  plan: Plan | null;
}

export interface BillingTenant {
  id: string;
  status: string;
  suspensionReason: string | null;
  suspendedAt: string | null;
}

export interface Invoice {
  id: string;
  number: string | null;
  status: string;
  currency: string;
  amountDue: number;
  amountPaid: number;
  attemptCount: number;
  nextPaymentAttempt: string | null;
  periodStart: string | null;
  periodEnd: string | null;
  hostedInvoiceUrl: string | null;
  invoicedAt: string;
}

export interface Notice {
  id: string;
  rowId: string;
  kind: string;
  message: string;
  createdAt: string;
  dismissedAt: string | null;
}

export interface BillingRequest {
  id: string;
  kind: string;
  planKey: string | null;
  status: "pending" | "done" | "failed" | string;
  url: string | null;
  errorMessage: string | null;
}

const PLAN_FIELDS = `
  id
  key
  name
  priceCents
  currency
  billingInterval
  maxSeats
  maxLocations
  maxDevices
  modules
  position
  changeProblem
`;

export const BillingQuery = gql<{
  currentTenant: BillingTenant | null;
  currentBillingSubscription: Subscription | null;
  plans: { nodes: Plan[] } | null;
}>`
  query Billing {
    currentTenant {
      id
      status
      suspensionReason
      suspendedAt
    }
    currentBillingSubscription {
      id
      planKey
      status
      trialEndsAt
      currentPeriodStart
      currentPeriodEnd
      cancelAtPeriodEnd
      canceledAt
      graceEndsAt
      seatsUsed
      locationsUsed
      devicesUsed
      plan {
        ${PLAN_FIELDS}
      }
    }
    plans {
      nodes {
        ${PLAN_FIELDS}
      }
    }
  }
`;

export const BillingInvoicesQuery = gql<{ billingInvoices: { nodes: Invoice[] } | null }>`
  query BillingInvoices {
    billingInvoices(orderBy: INVOICED_AT_DESC, first: 24) {
      nodes {
        id
        number
        status
        currency
        amountDue
        amountPaid
        attemptCount
        nextPaymentAttempt
        periodStart
        periodEnd
        hostedInvoiceUrl
        invoicedAt
      }
    }
  }
`;

export const BillingNoticesQuery = gql<{ billingNotices: { nodes: Notice[] } | null }>`
  query BillingNotices {
    billingNotices(orderBy: CREATED_AT_DESC, first: 20) {
      nodes {
        id
        rowId
        kind
        message
        createdAt
        dismissedAt
      }
    }
  }
`;

const REQUEST_FIELDS = `
  id
  kind
  planKey
  status
  url
  errorMessage
`;

export const RequestBillingPortalMutation = gql<{ requestBillingPortal: { billingRequest: BillingRequest | null } | null }>`
  mutation RequestBillingPortal {
    requestBillingPortal(input: {}) {
      billingRequest {
        ${REQUEST_FIELDS}
      }
    }
  }
`;

export const ChangePlanMutation = gql<
  { changePlan: { billingRequest: BillingRequest | null } | null },
  { planKey: string; reason: string | null }
>`
  mutation ChangePlan($planKey: String!, $reason: String) {
    changePlan(input: { planKey: $planKey, reason: $reason }) {
      billingRequest {
        ${REQUEST_FIELDS}
      }
    }
  }
`;

export const BillingRequestQuery = gql<{ billingRequestById: BillingRequest | null }, { id: string }>`
  query BillingRequest($id: ID!) {
    billingRequestById(id: $id) {
      ${REQUEST_FIELDS}
    }
  }
`;

export const DismissNoticeMutation = gql<{ dismissBillingNotice: { billingNotice: { id: string; dismissedAt: string | null } | null } | null }, { id: string }>`
  mutation DismissBillingNotice($id: String!) {
    dismissBillingNotice(input: { id: $id }) {
      billingNotice {
        id
        dismissedAt
      }
    }
  }
`;

export interface Suspension {
  id: string;
  /** nonpayment, canceled, fraud, manual or technical. */
  type: string;
  reason: string;
  suspendedAt: string;
  endedAt: string | null;
  endReason: string | null;
  /** Who suspended / reactivated it; null when billing or the platform did. */
  suspendedBy: string | null;
  endedBy: string | null;
  suspendedByUser: { id: string; name: string } | null;
  endedByUser: { id: string; name: string } | null;
}

/** Every suspension of the business and its end, newest first (readable while suspended). */
export const SuspensionsQuery = gql<{ tenantSuspensions: { totalCount: number; nodes: Suspension[] } | null }>`
  query TenantSuspensions {
    tenantSuspensions(orderBy: SUSPENDED_AT_DESC, first: 50) {
      totalCount
      nodes {
        id
        type
        reason
        suspendedAt
        endedAt
        endReason
        suspendedBy
        endedBy
        suspendedByUser {
          id
          name
        }
        endedByUser {
          id
          name
        }
      }
    }
  }
`;
