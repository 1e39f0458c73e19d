// In-memory records behind the API objects, plus the context every handler receives.
// Records keep references by id; the resources' render functions build the API shapes.
import type { Clock } from './clock.js';
import type { Metadata } from './params.js';

export type Card =
  | { ok: true }
  | { ok: false; code: string; decline_code: string | null; message: string };

export interface CustomerRec {
  id: string;
  seq: number;
  created: number;
  email: string | null;
  name: string | null;
  description: string | null;
  phone: string | null;
  metadata: Metadata;
  invoice_prefix: string;
  next_invoice_sequence: number;
  currency: string | null;
  delinquent: boolean;
  deleted: boolean;
  /** Simulated default card. Stripe-local has no payment-method API: every customer pays with this. */
  card: Card;
}

export interface ProductRec {
  id: string;
  seq: number;
  created: number;
  updated: number;
  name: string;
  description: string | null;
  active: boolean;
  metadata: Metadata;
  default_price: string | null;
  unit_label: string | null;
  statement_descriptor: string | null;
  url: string | null;
}

export interface Recurring {
  interval: 'day' | 'week' | 'month' | 'year';
  interval_count: number;
  trial_period_days: number | null;
}

export interface PriceRec {
  id: string;
  seq: number;
  created: number;
  product: string;
  currency: string;
  unit_amount: number;
  recurring: Recurring | null;
  lookup_key: string | null;
  nickname: string | null;
  active: boolean;
  metadata: Metadata;
  tax_behavior: string;
}

export interface SubItemRec {
  id: string;
  created: number;
  price: string;
  quantity: number;
  metadata: Metadata;
  current_period_start: number;
  current_period_end: number;
}

export type SubscriptionStatus =
  | 'incomplete'
  | 'incomplete_expired'
  | 'trialing'
  | 'active'
  | 'past_due'
  | 'canceled'
  | 'unpaid'
  | 'paused';

export interface LineRec {
  id: string;
  amount: number;
  currency: string;
  description: string;
  period: { start: number; end: number };
  price: string | null;
  quantity: number | null;
  proration: boolean;
  subscription: string | null;
  subscription_item: string | null;
  /** Prorations are pending invoice items (`ii_`) until an invoice picks them up. */
  invoice_item: string | null;
}

export interface SubscriptionRec {
  id: string;
  seq: number;
  created: number;
  customer: string;
  status: SubscriptionStatus;
  items: SubItemRec[];
  metadata: Metadata;
  description: string | null;
  currency: string;
  start_date: number;
  billing_cycle_anchor: number;
  trial_start: number | null;
  trial_end: number | null;
  cancel_at: number | null;
  cancel_at_period_end: boolean;
  canceled_at: number | null;
  ended_at: number | null;
  cancellation_details: { comment: string | null; feedback: string | null; reason: string | null };
  latest_invoice: string | null;
  /** trial_end for which trial_will_end was already sent (a new trial_end re-arms it). */
  trial_will_end_sent_for: number | null;
  pending_lines: LineRec[];
  /** An `incomplete` subscription expires 23 hours after creation. */
  incomplete_expires_at: number | null;
}

export type InvoiceStatus = 'draft' | 'open' | 'paid' | 'uncollectible' | 'void';

export interface InvoiceRec {
  id: string;
  seq: number;
  created: number;
  customer: string;
  subscription: string | null;
  subscription_metadata: Metadata | null;
  status: InvoiceStatus;
  number: string | null;
  billing_reason: string;
  lines: LineRec[];
  currency: string;
  period_start: number;
  period_end: number;
  attempt_count: number;
  attempted: boolean;
  next_payment_attempt: number | null;
  auto_advance: boolean;
  automatically_finalizes_at: number | null;
  finalized_at: number | null;
  paid_at: number | null;
  voided_at: number | null;
  marked_uncollectible_at: number | null;
  amount_paid: number;
  payment_intent: string | null;
  metadata: Metadata;
  description: string | null;
  customer_email: string | null;
  customer_name: string | null;
  webhooks_delivered_at: number | null;
}

export interface PaymentIntentRec {
  id: string;
  seq: number;
  created: number;
  amount: number;
  currency: string;
  customer: string;
  invoice: string;
  status: 'requires_payment_method' | 'requires_confirmation' | 'succeeded' | 'canceled';
  amount_received: number;
  last_payment_error: Record<string, unknown> | null;
  canceled_at: number | null;
  invoice_payment_id: string;
}

export interface PortalSessionRec {
  id: string;
  seq: number;
  created: number;
  customer: string;
  return_url: string | null;
  locale: string | null;
  configuration: string;
}

export interface StripeEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: Record<string, unknown>; previous_attributes?: Record<string, unknown> };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

export interface BillingSettings {
  /** Stripe leaves renewal invoices in draft about an hour before finalizing and charging. */
  finalizeDelaySeconds: number;
  /** Days between automatic payment attempts; attempts = length + 1 (Stripe's default: 4). */
  retryDelaysDays: number[];
  /** What happens to the subscription after the last failed attempt. */
  onFinalFailure: 'cancel' | 'unpaid' | 'past_due';
  /** An `incomplete` subscription becomes `incomplete_expired` after this long. */
  incompleteExpirySeconds: number;
  /** customer.subscription.trial_will_end is sent this long before the trial ends. */
  trialWillEndSeconds: number;
}

export const DEFAULT_BILLING: BillingSettings = {
  finalizeDelaySeconds: 3600,
  retryDelaysDays: [3, 5, 7],
  onFinalFailure: 'cancel',
  incompleteExpirySeconds: 23 * 3600,
  trialWillEndSeconds: 3 * 86400,
};

export class State {
  seq = 0;
  customers = new Map<string, CustomerRec>();
  products = new Map<string, ProductRec>();
  prices = new Map<string, PriceRec>();
  subscriptions = new Map<string, SubscriptionRec>();
  invoices = new Map<string, InvoiceRec>();
  paymentIntents = new Map<string, PaymentIntentRec>();
  portalSessions = new Map<string, PortalSessionRec>();
  events = new Map<string, StripeEvent>();
  /** Events in creation order (Map order is insertion order, kept explicit for clarity). */
  eventOrder: string[] = [];

  nextSeq(): number {
    return ++this.seq;
  }

  clear(): void {
    for (const map of [this.customers, this.products, this.prices, this.subscriptions, this.invoices, this.paymentIntents, this.portalSessions, this.events]) {
      map.clear();
    }
    this.eventOrder = [];
  }
}

export interface RequestInfo {
  id: string | null;
  idempotency_key: string | null;
}

export interface Ctx {
  state: State;
  clock: Clock;
  billing: BillingSettings;
  apiVersion: string;
  /** Public base URL of this server, for portal and hosted invoice links. */
  baseUrl(): string;
  /** The API request being handled (null ids for work the clock triggers). */
  request: RequestInfo;
  /** Records an event for the current state of an object (and queues its webhook). */
  emit(type: string, object: object, previous?: Record<string, unknown>): StripeEvent;
}
