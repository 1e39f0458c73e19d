// POST /v1/subscriptions/:id: item changes (price swap with items[i][id] + items[i][price],
// quantity, add, delete) with prorations per `proration_behavior`, trial changes,
// cancel_at_period_end / cancel_at, metadata. An interval change resets the billing cycle
// and invoices immediately, as in Stripe.
import { errors } from '../errors.js';
import { previousAttributes } from '../events.js';
import type { ParamHash } from '../form.js';
import { newId } from '../ids.js';
import { allowOnly, applyMetadata, optBool, optHash, optHashArray, optInt, optNullableString, optString } from '../params.js';
import { renderSubscription } from '../resources/subscriptions.js';
import type { Ctx, LineRec, PriceRec, SubItemRec, SubscriptionRec } from '../state.js';
import { announceInvoice, createSubscriptionInvoice, periodLines, productName } from './invoicing.js';
import { checkCompatible, itemPrice, itemQuantity } from './items.js';
import { collectNow, currentPeriod, endTrial, sendTrialWillEnd, setPeriod } from './lifecycle.js';
import { addInterval, formatDate } from './periods.js';

const UPDATE = [
  'items',
  'proration_behavior',
  'proration_date',
  'payment_behavior',
  'metadata',
  'cancel_at_period_end',
  'cancel_at',
  'cancellation_details',
  'description',
  'trial_end',
  'billing_cycle_anchor',
  'off_session',
  'payment_settings',
];

interface ItemChange {
  old?: { price: PriceRec; quantity: number };
  next?: { price: PriceRec; quantity: number };
  itemId: string;
}

function prorationLine(ctx: Ctx, sub: SubscriptionRec, itemId: string, price: PriceRec, quantity: number, sign: 1 | -1, at: number, fraction: number, end: number): LineRec {
  const words = sign < 0 ? 'Unused time on' : 'Remaining time on';
  return {
    id: newId('il'),
    amount: sign * Math.round(price.unit_amount * quantity * fraction),
    currency: price.currency,
    description: `${words} ${quantity} × ${productName(ctx, price)} after ${formatDate(at)}`,
    period: { start: at, end },
    price: price.id,
    quantity,
    proration: true,
    subscription: sub.id,
    subscription_item: itemId,
    invoice_item: newId('ii'),
  };
}

export function updateSubscription(ctx: Ctx, sub: SubscriptionRec, params: ParamHash): SubscriptionRec {
  allowOnly(params, UPDATE);
  const keys = Object.keys(params).filter((k) => k !== 'expand');
  if ((sub.status === 'canceled' || sub.status === 'incomplete_expired') && keys.some((k) => k !== 'metadata' && k !== 'cancellation_details')) {
    throw errors.invalidRequest('A canceled subscription can only update its cancellation_details and metadata.');
  }
  if (sub.status === 'incomplete' && keys.some((k) => k !== 'metadata')) {
    throw errors.invalidRequest('A subscription in `incomplete` status can only update its metadata and default_source.');
  }
  const now = ctx.clock.now();
  const proration = optString(params, 'proration_behavior') ?? 'create_prorations';
  if (!['create_prorations', 'none', 'always_invoice'].includes(proration)) {
    throw errors.invalidValue('proration_behavior', 'Invalid proration_behavior: must be one of always_invoice, create_prorations, or none');
  }
  const prorationDate = optInt(params, 'proration_date') ?? now;
  const behavior = optString(params, 'payment_behavior') ?? 'allow_incomplete';
  if (behavior !== 'allow_incomplete' && behavior !== 'error_if_incomplete') {
    throw errors.unsupported('payment_behavior', `payment_behavior=${behavior} on subscription updates`);
  }

  // Items: work on copies so that a validation error leaves the subscription untouched.
  const newItems: SubItemRec[] = sub.items.map((i) => ({ ...i, metadata: { ...i.metadata } }));
  const changes: ItemChange[] = [];
  const priceOf = (id: string) => ctx.state.prices.get(id)!;
  (optHashArray(params, 'items') ?? []).forEach((item, i) => {
    const prefix = `items[${i}]`;
    allowOnly(item, ['id', 'price', 'plan', 'quantity', 'metadata', 'deleted', 'clear_usage', 'price_data', 'tax_rates', 'discounts'], prefix);
    const id = optString(item, 'id', prefix);
    const price = itemPrice(ctx, item, i);
    const quantity = itemQuantity(item, i);
    if (id !== undefined) {
      const index = newItems.findIndex((x) => x.id === id);
      if (index < 0) throw errors.noSuch('subscription item', id, `${prefix}[id]`);
      const current = newItems[index]!;
      const old = { price: priceOf(current.price), quantity: current.quantity };
      if (optBool(item, 'deleted', prefix)) {
        newItems.splice(index, 1);
        changes.push({ old, itemId: current.id });
        return;
      }
      if (price) current.price = price.id;
      if (quantity !== undefined) current.quantity = quantity;
      current.metadata = applyMetadata(current.metadata, item, 'metadata', prefix);
      if (current.price !== old.price.id || current.quantity !== old.quantity) {
        changes.push({ old, next: { price: priceOf(current.price), quantity: current.quantity }, itemId: current.id });
      }
    } else {
      if (!price) throw errors.missingParam(`${prefix}[price]`);
      const { start, end } = currentPeriod(sub);
      const added: SubItemRec = {
        id: newId('si'),
        created: now,
        price: price.id,
        quantity: quantity ?? 1,
        metadata: applyMetadata({}, item, 'metadata', prefix),
        current_period_start: start,
        current_period_end: end,
      };
      newItems.push(added);
      changes.push({ next: { price, quantity: added.quantity }, itemId: added.id });
    }
  });
  if (newItems.length === 0) {
    throw errors.invalidRequest('A subscription must have at least one active item. To cancel it, send a DELETE request instead.', { param: 'items' });
  }
  const newPrices = newItems.map((i) => priceOf(i.price));
  checkCompatible(newPrices);
  if (newPrices[0]!.currency !== sub.currency) throw errors.invalidRequest(`Cannot change the currency of a subscription (${sub.currency}).`, { param: 'items' });
  const oldRecurring = priceOf(sub.items[0]!.price).recurring!;
  const newRecurring = newPrices[0]!.recurring!;
  const intervalChanged = oldRecurring.interval !== newRecurring.interval || oldRecurring.interval_count !== newRecurring.interval_count;
  const anchor = optString(params, 'billing_cycle_anchor');
  if (anchor !== undefined && anchor !== 'now' && anchor !== 'unchanged') throw errors.invalidValue('billing_cycle_anchor', 'Invalid billing_cycle_anchor: must be one of now or unchanged');
  const trialing = sub.status === 'trialing';
  const resetCycle = !trialing && (intervalChanged || anchor === 'now');

  const trialEndRaw = optString(params, 'trial_end');
  const trialEnd = trialEndRaw === undefined || trialEndRaw === 'now' ? trialEndRaw : optInt(params, 'trial_end')!;
  if (trialEnd !== undefined && !trialing) throw errors.unsupported('trial_end', 'adding a trial to a subscription that is not trialing');
  if (typeof trialEnd === 'number' && trialEnd <= now) throw errors.invalidValue('trial_end', 'Invalid timestamp: must be an integer Unix timestamp in the future.');

  // Prorations for the rest of the current period (not during a trial: nothing was charged).
  const prorations: LineRec[] = [];
  if (!trialing && proration !== 'none' && (changes.length || resetCycle)) {
    const { start, end } = currentPeriod(sub);
    const fraction = end > prorationDate ? (end - prorationDate) / (end - start) : 0;
    if (resetCycle) {
      for (const item of sub.items) prorations.push(prorationLine(ctx, sub, item.id, priceOf(item.price), item.quantity, -1, prorationDate, fraction, end));
    } else {
      for (const change of changes) {
        if (change.old) prorations.push(prorationLine(ctx, sub, change.itemId, change.old.price, change.old.quantity, -1, prorationDate, fraction, end));
        if (change.next) prorations.push(prorationLine(ctx, sub, change.itemId, change.next.price, change.next.quantity, 1, prorationDate, fraction, end));
      }
    }
  }
  const invoiceNow = resetCycle || (proration === 'always_invoice' && prorations.length > 0);
  if (behavior === 'error_if_incomplete' && (invoiceNow || trialEnd === 'now')) {
    const card = ctx.state.customers.get(sub.customer)!.card;
    const fullPeriod = resetCycle || trialEnd === 'now' ? newItems.reduce((s, i) => s + priceOf(i.price).unit_amount * i.quantity, 0) : 0;
    const due = [...sub.pending_lines, ...prorations].reduce((s, l) => s + l.amount, 0) + fullPeriod;
    if (!card.ok && due > 0) throw errors.card(card.code, card.decline_code, card.message);
  }

  const cancelAtPeriodEnd = optBool(params, 'cancel_at_period_end');
  const cancelAtRaw = optNullableString(params, 'cancel_at');
  const cancelAt = cancelAtRaw === undefined || cancelAtRaw === null ? cancelAtRaw : optInt(params, 'cancel_at')!;
  if (typeof cancelAt === 'number' && cancelAt <= now) throw errors.invalidValue('cancel_at', 'Invalid timestamp: must be an integer Unix timestamp in the future.');
  const details = optHash(params, 'cancellation_details');
  if (details) allowOnly(details, ['comment', 'feedback'], 'cancellation_details');

  // Apply.
  const before = renderSubscription(ctx, sub);
  sub.items = newItems;
  sub.metadata = applyMetadata(sub.metadata, params);
  const description = optNullableString(params, 'description');
  if (description !== undefined) sub.description = description;
  if (details) {
    const comment = optNullableString(details, 'comment', 'cancellation_details');
    const feedback = optNullableString(details, 'feedback', 'cancellation_details');
    if (comment !== undefined) sub.cancellation_details.comment = comment;
    if (feedback !== undefined) sub.cancellation_details.feedback = feedback;
  }
  if (typeof trialEnd === 'number') {
    sub.trial_end = trialEnd;
    sub.billing_cycle_anchor = trialEnd;
    setPeriod(sub, currentPeriod(sub).start, trialEnd);
  }
  let invoice = null;
  if (resetCycle) {
    const end = addInterval(now, newRecurring);
    setPeriod(sub, now, end);
    sub.billing_cycle_anchor = now;
    sub.pending_lines.push(...prorations);
    invoice = createSubscriptionInvoice(ctx, sub, {
      billingReason: 'subscription_update',
      lines: periodLines(ctx, sub, now, end),
      periodStart: now,
      periodEnd: now,
      finalizeAt: null,
    });
  } else if (prorations.length) {
    sub.pending_lines.push(...prorations);
    if (proration === 'always_invoice') {
      invoice = createSubscriptionInvoice(ctx, sub, { billingReason: 'subscription_update', lines: [], periodStart: now, periodEnd: now, finalizeAt: null });
    }
  }
  if (cancelAtPeriodEnd !== undefined) {
    sub.cancel_at_period_end = cancelAtPeriodEnd;
    sub.cancel_at = cancelAtPeriodEnd ? currentPeriod(sub).end : null;
    sub.canceled_at = cancelAtPeriodEnd ? now : null;
  } else if (cancelAt !== undefined) {
    sub.cancel_at = cancelAt;
    sub.cancel_at_period_end = cancelAt !== null && cancelAt === currentPeriod(sub).end;
    sub.canceled_at = cancelAt === null ? null : now;
  }
  const after = renderSubscription(ctx, sub);
  const previous = previousAttributes(before, after);
  if (Object.keys(previous).length) ctx.emit('customer.subscription.updated', after, previous);
  if (invoice) {
    announceInvoice(ctx, invoice);
    collectNow(ctx, invoice);
  }
  if (trialEnd === 'now') {
    sendTrialWillEnd(ctx, sub);
    endTrial(ctx, sub, true);
  }
  return sub;
}
