// Invoices of subscriptions: building lines, creating drafts, finalizing, and payment
// attempts with Stripe's retry bookkeeping (attempt_count, next_payment_attempt).
import { newId, randomChars } from '../ids.js';
import { renderInvoice, renderPaymentIntent } from '../resources/invoices.js';
import type { Card, Ctx, InvoiceRec, LineRec, PaymentIntentRec, PriceRec, SubscriptionRec } from '../state.js';
import { cardErrorBody } from './cards.js';
import { onInvoicePaid, onPaymentFailed } from './lifecycle.js';
import { formatAmount } from './periods.js';

export function productName(ctx: Ctx, price: PriceRec): string {
  return ctx.state.products.get(price.product)?.name ?? price.product;
}

function intervalLabel(price: PriceRec): string {
  const r = price.recurring;
  if (!r) return '';
  return r.interval_count === 1 ? r.interval : `every ${r.interval_count} ${r.interval}s`;
}

/** One line per subscription item for the service period [start, end). */
export function periodLines(ctx: Ctx, sub: SubscriptionRec, start: number, end: number, trial = false): LineRec[] {
  return sub.items.map((item) => {
    const price = ctx.state.prices.get(item.price)!;
    const name = productName(ctx, price);
    return {
      id: newId('il'),
      amount: trial ? 0 : price.unit_amount * item.quantity,
      currency: price.currency,
      description: trial
        ? `Trial period for ${name}`
        : `${item.quantity} × ${name} (at ${formatAmount(price.unit_amount, price.currency)} / ${intervalLabel(price)})`,
      period: { start, end },
      price: price.id,
      quantity: item.quantity,
      proration: false,
      subscription: sub.id,
      subscription_item: item.id,
      invoice_item: null,
    };
  });
}

export function invoiceTotal(inv: InvoiceRec): number {
  return inv.lines.reduce((sum, line) => sum + line.amount, 0);
}

/** A negative total (credits exceed charges) is not collected: amount_due is 0. */
export function amountDue(inv: InvoiceRec): number {
  return Math.max(0, invoiceTotal(inv));
}

export interface InvoiceSpec {
  billingReason: 'subscription_create' | 'subscription_cycle' | 'subscription_update';
  lines: LineRec[];
  /**
   * Stripe's invoice period is the period *before* the invoice (when pending items
   * accrued), not the service period of the lines: for a renewal it is the ended period.
   */
  periodStart: number;
  periodEnd: number;
  /** When the draft is finalized automatically; null: the caller finalizes it right away. */
  finalizeAt: number | null;
  autoAdvance?: boolean;
}

/** Creates a draft invoice for a subscription, collecting its pending prorations. Emits nothing. */
export function createSubscriptionInvoice(ctx: Ctx, sub: SubscriptionRec, spec: InvoiceSpec): InvoiceRec {
  const now = ctx.clock.now();
  const lines = [...sub.pending_lines, ...spec.lines];
  sub.pending_lines = [];
  const inv: InvoiceRec = {
    id: newId('in'),
    seq: ctx.state.nextSeq(),
    created: now,
    customer: sub.customer,
    subscription: sub.id,
    subscription_metadata: { ...sub.metadata },
    status: 'draft',
    number: null,
    billing_reason: spec.billingReason,
    lines,
    currency: sub.currency,
    period_start: spec.periodStart,
    period_end: spec.periodEnd,
    attempt_count: 0,
    attempted: false,
    next_payment_attempt: null,
    auto_advance: spec.autoAdvance ?? true,
    automatically_finalizes_at: spec.finalizeAt,
    finalized_at: null,
    paid_at: null,
    voided_at: null,
    marked_uncollectible_at: null,
    amount_paid: 0,
    payment_intent: null,
    metadata: {},
    description: null,
    customer_email: null,
    customer_name: null,
    webhooks_delivered_at: null,
  };
  ctx.state.invoices.set(inv.id, inv);
  sub.latest_invoice = inv.id;
  return inv;
}

export function announceInvoice(ctx: Ctx, inv: InvoiceRec): void {
  inv.webhooks_delivered_at = ctx.clock.now();
  ctx.emit('invoice.created', renderInvoice(ctx, inv));
}

export function finalizeInvoice(ctx: Ctx, inv: InvoiceRec): void {
  if (inv.status !== 'draft') return;
  const customer = ctx.state.customers.get(inv.customer)!;
  const now = ctx.clock.now();
  inv.number = `${customer.invoice_prefix}-${String(customer.next_invoice_sequence++).padStart(4, '0')}`;
  inv.status = 'open';
  inv.finalized_at = now;
  inv.automatically_finalizes_at = null;
  inv.customer_email = customer.email;
  inv.customer_name = customer.name;
  const due = amountDue(inv);
  if (due > 0) {
    const invoicePaymentId = `inpay_${randomChars(24)}`;
    const pi: PaymentIntentRec = {
      id: newId('pi'),
      seq: ctx.state.nextSeq(),
      created: now,
      amount: due,
      currency: inv.currency,
      customer: inv.customer,
      invoice: inv.id,
      status: 'requires_payment_method',
      amount_received: 0,
      last_payment_error: null,
      canceled_at: null,
      invoice_payment_id: invoicePaymentId,
    };
    ctx.state.paymentIntents.set(pi.id, pi);
    inv.payment_intent = pi.id;
    ctx.emit('payment_intent.created', renderPaymentIntent(pi));
  }
  ctx.emit('invoice.finalized', renderInvoice(ctx, inv));
  if (due === 0) markPaid(ctx, inv);
}

function markPaid(ctx: Ctx, inv: InvoiceRec): void {
  const now = ctx.clock.now();
  inv.status = 'paid';
  inv.amount_paid = amountDue(inv);
  inv.paid_at = now;
  inv.next_payment_attempt = null;
  const pi = inv.payment_intent ? ctx.state.paymentIntents.get(inv.payment_intent) : undefined;
  if (pi) {
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
    pi.last_payment_error = null;
    ctx.emit('payment_intent.succeeded', renderPaymentIntent(pi));
  }
  const customer = ctx.state.customers.get(inv.customer);
  if (customer && ![...ctx.state.invoices.values()].some((i) => i.customer === customer.id && i.status === 'open' && i.attempted)) {
    customer.delinquent = false;
  }
  ctx.emit('invoice.paid', renderInvoice(ctx, inv));
  ctx.emit('invoice.payment_succeeded', renderInvoice(ctx, inv));
  onInvoicePaid(ctx, inv);
}

export type AttemptMode =
  /** Part of Stripe's automatic collection: failures schedule the next retry. */
  | 'automatic'
  /** First invoice of a new subscription: no automatic retries (the subscription is `incomplete`). */
  | 'first'
  /** POST /v1/invoices/:id/pay or the hosted page: does not change the retry schedule. */
  | 'manual';

/** Charges the customer's card for an open invoice. Returns the card outcome. */
export function attemptPayment(ctx: Ctx, inv: InvoiceRec, mode: AttemptMode): Card {
  const customer = ctx.state.customers.get(inv.customer)!;
  const card = customer.card;
  inv.attempt_count += 1;
  inv.attempted = true;
  if (card.ok) {
    markPaid(ctx, inv);
    return card;
  }
  const now = ctx.clock.now();
  const delays = ctx.billing.retryDelaysDays;
  const maxAttempts = delays.length + 1;
  if (mode === 'automatic') {
    inv.next_payment_attempt = inv.attempt_count < maxAttempts ? now + Math.round(delays[inv.attempt_count - 1]! * 86400) : null;
  } else if (mode === 'first') {
    inv.next_payment_attempt = null;
  }
  const pi = inv.payment_intent ? ctx.state.paymentIntents.get(inv.payment_intent) : undefined;
  if (pi) {
    pi.status = 'requires_payment_method';
    pi.last_payment_error = { ...cardErrorBody(card), payment_method_type: 'card' };
    ctx.emit('payment_intent.payment_failed', renderPaymentIntent(pi));
  }
  customer.delinquent = true;
  ctx.emit('invoice.payment_failed', renderInvoice(ctx, inv));
  const exhausted = mode === 'automatic' && inv.next_payment_attempt === null;
  onPaymentFailed(ctx, inv, exhausted);
  return card;
}

export function voidInvoice(ctx: Ctx, inv: InvoiceRec): void {
  inv.status = 'void';
  inv.voided_at = ctx.clock.now();
  inv.next_payment_attempt = null;
  inv.auto_advance = false;
  const pi = inv.payment_intent ? ctx.state.paymentIntents.get(inv.payment_intent) : undefined;
  if (pi && pi.status !== 'succeeded') {
    pi.status = 'canceled';
    pi.canceled_at = ctx.clock.now();
    ctx.emit('payment_intent.canceled', renderPaymentIntent(pi));
  }
  ctx.emit('invoice.voided', renderInvoice(ctx, inv));
}
