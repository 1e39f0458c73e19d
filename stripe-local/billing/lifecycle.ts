// Subscription state transitions shared by the API handlers and the clock:
// trial end, renewal, payment outcomes (active ↔ past_due → canceled/unpaid), cancellation
// and expiry of incomplete subscriptions. Each transition emits the events Stripe sends.
import { previousAttributes } from '../events.js';
import { renderSubscription } from '../resources/subscriptions.js';
import type { Ctx, InvoiceRec, SubscriptionRec } from '../state.js';
import {
  amountDue,
  announceInvoice,
  attemptPayment,
  createSubscriptionInvoice,
  finalizeInvoice,
  periodLines,
  voidInvoice,
} from './invoicing.js';
import { addInterval, nextPeriodEnd } from './periods.js';

/** Applies `change`, then emits customer.subscription.updated if anything visible changed. */
export function changeSubscription(ctx: Ctx, sub: SubscriptionRec, change: () => void): void {
  const before = renderSubscription(ctx, sub);
  change();
  const after = renderSubscription(ctx, sub);
  const previous = previousAttributes(before, after);
  if (Object.keys(previous).length) ctx.emit('customer.subscription.updated', after, previous);
}

export function recurringOf(ctx: Ctx, sub: SubscriptionRec) {
  return ctx.state.prices.get(sub.items[0]!.price)!.recurring!;
}

export function setPeriod(sub: SubscriptionRec, start: number, end: number): void {
  for (const item of sub.items) {
    item.current_period_start = start;
    item.current_period_end = end;
  }
}

export function currentPeriod(sub: SubscriptionRec): { start: number; end: number } {
  const item = sub.items[0]!;
  return { start: item.current_period_start, end: item.current_period_end };
}

export function sendTrialWillEnd(ctx: Ctx, sub: SubscriptionRec): void {
  sub.trial_will_end_sent_for = sub.trial_end;
  ctx.emit('customer.subscription.trial_will_end', renderSubscription(ctx, sub));
}

/**
 * Trial over: the subscription becomes `active` at once and a first real invoice is
 * created. At the scheduled trial end the invoice stays a draft for an hour (Stripe's
 * auto-advance delay); `trial_end=now` invoices and charges immediately.
 */
export function endTrial(ctx: Ctx, sub: SubscriptionRec, immediate: boolean): void {
  const now = ctx.clock.now();
  const before = renderSubscription(ctx, sub);
  const trialStart = sub.trial_start ?? sub.created;
  const end = addInterval(now, recurringOf(ctx, sub));
  sub.status = 'active';
  if (immediate) sub.trial_end = now;
  sub.billing_cycle_anchor = now;
  setPeriod(sub, now, end);
  const inv = createSubscriptionInvoice(ctx, sub, {
    billingReason: immediate ? 'subscription_update' : 'subscription_cycle',
    lines: periodLines(ctx, sub, now, end),
    periodStart: trialStart,
    periodEnd: now,
    finalizeAt: immediate ? null : now + ctx.billing.finalizeDelaySeconds,
  });
  const after = renderSubscription(ctx, sub);
  ctx.emit('customer.subscription.updated', after, previousAttributes(before, after));
  announceInvoice(ctx, inv);
  if (immediate) collectNow(ctx, inv);
}

/** Period end of an active, past_due or unpaid subscription: next period and its invoice. */
export function renew(ctx: Ctx, sub: SubscriptionRec): void {
  const { start, end } = currentPeriod(sub);
  const before = renderSubscription(ctx, sub);
  const nextEnd = nextPeriodEnd(sub.billing_cycle_anchor, recurringOf(ctx, sub), end);
  setPeriod(sub, end, nextEnd);
  // Invoices of an `unpaid` subscription are created but not collected.
  const collect = sub.status !== 'unpaid';
  const inv = createSubscriptionInvoice(ctx, sub, {
    billingReason: 'subscription_cycle',
    lines: periodLines(ctx, sub, end, nextEnd),
    periodStart: start,
    periodEnd: end,
    finalizeAt: collect ? end + ctx.billing.finalizeDelaySeconds : null,
    autoAdvance: collect,
  });
  const after = renderSubscription(ctx, sub);
  ctx.emit('customer.subscription.updated', after, previousAttributes(before, after));
  announceInvoice(ctx, inv);
}

/** Finalizes a draft now and, if money is due, makes the first automatic attempt. */
export function collectNow(ctx: Ctx, inv: InvoiceRec): void {
  finalizeInvoice(ctx, inv);
  if (inv.status === 'open' && amountDue(inv) > 0) attemptPayment(ctx, inv, 'automatic');
}

export function onInvoicePaid(ctx: Ctx, inv: InvoiceRec): void {
  const sub = inv.subscription ? ctx.state.subscriptions.get(inv.subscription) : undefined;
  if (!sub || !['past_due', 'unpaid', 'incomplete'].includes(sub.status)) return;
  const stillFailing = [...ctx.state.invoices.values()].some(
    (i) => i.subscription === sub.id && i.id !== inv.id && i.status === 'open' && i.attempted,
  );
  if (stillFailing) return;
  changeSubscription(ctx, sub, () => {
    sub.status = 'active';
    sub.incomplete_expires_at = null;
  });
}

/** After a failed attempt: active → past_due; once retries are exhausted apply the dunning setting. */
export function onPaymentFailed(ctx: Ctx, inv: InvoiceRec, exhausted: boolean): void {
  const sub = inv.subscription ? ctx.state.subscriptions.get(inv.subscription) : undefined;
  if (!sub) return;
  if (sub.status === 'active' || sub.status === 'trialing') {
    changeSubscription(ctx, sub, () => {
      sub.status = 'past_due';
    });
  }
  if (!exhausted || sub.status !== 'past_due') return;
  if (ctx.billing.onFinalFailure === 'cancel') cancelSubscription(ctx, sub, 'payment_failed');
  else if (ctx.billing.onFinalFailure === 'unpaid') {
    changeSubscription(ctx, sub, () => {
      sub.status = 'unpaid';
    });
  }
}

export function cancelSubscription(ctx: Ctx, sub: SubscriptionRec, reason: 'cancellation_requested' | 'payment_failed', requestedNow = false): void {
  const now = ctx.clock.now();
  sub.status = 'canceled';
  // For a scheduled cancellation Stripe keeps canceled_at = when it was requested.
  if (requestedNow || sub.canceled_at === null) sub.canceled_at = now;
  sub.ended_at = now;
  sub.incomplete_expires_at = null;
  sub.cancellation_details.reason = reason;
  // Cancellation stops automatic collection of the subscription's invoices.
  for (const inv of ctx.state.invoices.values()) {
    if (inv.subscription !== sub.id) continue;
    if (inv.status === 'open' || inv.status === 'draft') {
      inv.auto_advance = false;
      inv.next_payment_attempt = null;
      inv.automatically_finalizes_at = null;
    }
  }
  ctx.emit('customer.subscription.deleted', renderSubscription(ctx, sub));
}

/** An `incomplete` subscription whose first invoice was not paid within 23 hours. */
export function expireIncomplete(ctx: Ctx, sub: SubscriptionRec): void {
  const inv = sub.latest_invoice ? ctx.state.invoices.get(sub.latest_invoice) : undefined;
  if (inv && inv.status === 'open') voidInvoice(ctx, inv);
  changeSubscription(ctx, sub, () => {
    sub.status = 'incomplete_expired';
    sub.ended_at = ctx.clock.now();
    sub.incomplete_expires_at = null;
  });
}
