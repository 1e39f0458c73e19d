// GraphQL operations of the Billing module (db/BILLING.md). Reading billing state, opening the
// portal, changing plan and dismissing notices all work while the business is suspended; the
// portal and plan changes return a request that is polled until the worker has talked to Stripe.
import { graphql, type ResultOf } from "../graphql.ts";

export const PlanFields = graphql(`
  fragment PlanFields on Plan {
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
  }
`);

export const BillingQuery = graphql(`
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
        ...PlanFields
      }
    }
    plans {
      nodes {
        ...PlanFields
      }
    }
  }
`, [PlanFields]);

export const BillingInvoicesQuery = graphql(`
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
`);

export const BillingNoticesQuery = graphql(`
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
`);

export const BillingRequestFields = graphql(`
  fragment BillingRequestFields on BillingRequest {
    id
    kind
    planKey
    status
    url
    errorMessage
  }
`);

export const RequestBillingPortalMutation = graphql(`
  mutation RequestBillingPortal {
    requestBillingPortal(input: {}) {
      billingRequest {
        ...BillingRequestFields
      }
    }
  }
`, [BillingRequestFields]);

export const ChangePlanMutation = graphql(`
  mutation ChangePlan($planKey: String!, $reason: String) {
    changePlan(input: { planKey: $planKey, reason: $reason }) {
      billingRequest {
        ...BillingRequestFields
      }
    }
  }
`, [BillingRequestFields]);

export const BillingRequestQuery = graphql(`
  query BillingRequest($id: ID!) {
    billingRequestById(id: $id) {
      ...BillingRequestFields
    }
  }
`, [BillingRequestFields]);

export const DismissNoticeMutation = graphql(`
  mutation DismissBillingNotice($id: String!) {
    dismissBillingNotice(input: { id: $id }) {
      billingNotice {
        id
        dismissedAt
      }
    }
  }
`);

/** Every suspension of the business and its end, newest first (readable while suspended). */
export const SuspensionsQuery = graphql(`
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
`);

export type SubscriptionStatus = "trialing" | "active" | "past_due" | "canceled" | "unpaid";

type Billing = ResultOf<typeof BillingQuery>;
/**
 * A plan; `changeProblem` says why the business could not move to it now — its usage over the
 * plan's limits, in the words changePlan would refuse with (DOWNG) — or is null when it fits (or
 * billing is not visible).
 */
export type Plan = ResultOf<typeof PlanFields>;
/** The business's subscription; `status` is a SubscriptionStatus. */
export type Subscription = NonNullable<Billing["currentBillingSubscription"]>;
export type BillingTenant = NonNullable<Billing["currentTenant"]>;
export type Invoice = NonNullable<ResultOf<typeof BillingInvoicesQuery>["billingInvoices"]>["nodes"][number];
export type Notice = NonNullable<ResultOf<typeof BillingNoticesQuery>["billingNotices"]>["nodes"][number];
/** A portal or plan change request; `status` is pending, done or failed. */
export type BillingRequest = ResultOf<typeof BillingRequestFields>;
/**
 * A suspension and its end; `type` is nonpayment, canceled, fraud, manual or technical;
 * `suspendedBy` / `endedBy` are null when billing or the platform did it.
 */
export type Suspension = NonNullable<ResultOf<typeof SuspensionsQuery>["tenantSuspensions"]>["nodes"][number];
