// POST /v1/subscriptions: validation, trial handling, first invoice and its payment
// according to `payment_behavior` (allow_incomplete, default_incomplete, error_if_incomplete).
import { errors } from '../errors.js';
import type { ParamHash } from '../form.js';
import { newId } from '../ids.js';
import { allowOnly, applyMetadata, optBool, optHash, optHashArray, optInt, optNullableString, optString, reqString, type Metadata } from '../params.js';
import { getCustomer } from '../resources/customers.js';
import { renderSubscription } from '../resources/subscriptions.js';
import type { Ctx, PriceRec, SubscriptionRec } from '../state.js';
import { amountDue, announceInvoice, attemptPayment, createSubscriptionInvoice, finalizeInvoice, periodLines } from './invoicing.js';
import { checkCompatible, itemPrice, itemQuantity } from './items.js';
import { addInterval } from './periods.js';

const CREATE = [
  'customer',
  'items',
  'trial_period_days',
  'trial_end',
  'trial_from_plan',
  'trial_settings',
  'metadata',
  'payment_behavior',
  'payment_settings',
  'proration_behavior',
  'off_session',
  'description',
  'currency',
  'cancel_at_period_end',
  'cancel_at',
  'collection_method',
];
const MAX_TRIAL_DAYS = 730;

function readTrialEnd(ctx: Ctx, params: ParamHash, prices: PriceRec[]): number | null {
  const now = ctx.clock.now();
  const trialEnd = optString(params, 'trial_end');
  const trialDays = optInt(params, 'trial_period_days');
  if (trialEnd !== undefined && trialDays !== undefined) {
    throw errors.invalidRequest('You may only specify one of these parameters: trial_end, trial_period_days.', { param: 'trial_end' });
  }
  if (trialEnd === 'now') return null;
  if (trialEnd !== undefined) {
    const ts = optInt(params, 'trial_end')!;
    if (ts <= now) throw errors.invalidValue('trial_end', 'Invalid timestamp: must be an integer Unix timestamp in the future.');
    if (ts > now + MAX_TRIAL_DAYS * 86400) throw errors.invalidValue('trial_end', 'Invalid timestamp: can be no more than two years in the future.');
    return ts;
  }
  if (trialDays !== undefined) {
    if (trialDays < 0 || trialDays > MAX_TRIAL_DAYS) throw errors.invalidValue('trial_period_days', `trial_period_days must be between 0 and ${MAX_TRIAL_DAYS}.`);
    return trialDays > 0 ? now + trialDays * 86400 : null;
  }
  if (optBool(params, 'trial_from_plan')) {
    const days = prices[0]?.recurring?.trial_period_days;
    return days ? now + days * 86400 : null;
  }
  return null;
}

export function createSubscription(ctx: Ctx, params: ParamHash): SubscriptionRec {
  allowOnly(params, CREATE);
  const customer = getCustomer(ctx, reqString(params, 'customer'), 'customer');
  const itemParams = optHashArray(params, 'items');
  if (!itemParams || itemParams.length === 0) throw errors.missingParam('items');
  const items = itemParams.map((item, i) => {
    allowOnly(item, ['price', 'plan', 'quantity', 'metadata', 'price_data', 'tax_rates', 'discounts'], `items[${i}]`);
    const price = itemPrice(ctx, item, i);
    if (!price) throw errors.missingParam(`items[${i}][price]`);
    return { price, quantity: itemQuantity(item, i) ?? 1, metadata: applyMetadata({}, item, 'metadata', `items[${i}]`) };
  });
  const prices = items.map((i) => i.price);
  checkCompatible(prices);
  const currency = prices[0]!.currency;
  const requestedCurrency = optString(params, 'currency');
  if (requestedCurrency && requestedCurrency.toLowerCase() !== currency) throw errors.invalidValue('currency', `The price currency ${currency} does not match currency ${requestedCurrency}.`);
  if (customer.currency && customer.currency !== currency) {
    throw errors.invalidRequest(
      `You cannot combine currencies on a single customer. This customer has an active subscription, subscription schedule, discount, quote, or invoice item with currency ${customer.currency}.`,
      { param: 'currency' },
    );
  }
  const collection = optString(params, 'collection_method');
  if (collection && collection !== 'charge_automatically') throw errors.unsupported('collection_method', 'collection_method=send_invoice');
  const trialSettings = optHash(params, 'trial_settings');
  const missingPm = trialSettings && optHash(trialSettings, 'end_behavior', 'trial_settings')?.missing_payment_method;
  if (missingPm && missingPm !== 'create_invoice') throw errors.unsupported('trial_settings[end_behavior][missing_payment_method]', `missing_payment_method=${String(missingPm)} (customers always have a simulated card)`);
  const behavior = optString(params, 'payment_behavior') ?? 'allow_incomplete';
  if (!['allow_incomplete', 'default_incomplete', 'error_if_incomplete'].includes(behavior)) {
    if (behavior === 'pending_if_incomplete') {
      throw errors.invalidValue('payment_behavior', 'payment_behavior=pending_if_incomplete is only supported when updating a subscription.');
    }
    throw errors.invalidValue('payment_behavior', `Invalid payment_behavior: must be one of allow_incomplete, default_incomplete, error_if_incomplete, or pending_if_incomplete`);
  }

  const now = ctx.clock.now();
  const trialEnd = readTrialEnd(ctx, params, prices);
  const periodEnd = trialEnd ?? addInterval(now, prices[0]!.recurring!);
  const cancelAtPeriodEnd = optBool(params, 'cancel_at_period_end') ?? false;
  const cancelAt = optInt(params, 'cancel_at') ?? null;
  if (cancelAt !== null && cancelAt <= now) throw errors.invalidValue('cancel_at', 'Invalid timestamp: must be an integer Unix timestamp in the future.');
  const metadata: Metadata = applyMetadata({}, params);
  const id = newId('sub');
  const sub: SubscriptionRec = {
    id,
    seq: ctx.state.nextSeq(),
    created: now,
    customer: customer.id,
    status: 'incomplete',
    items: items.map((item) => ({
      id: newId('si'),
      created: now,
      price: item.price.id,
      quantity: item.quantity,
      metadata: item.metadata,
      current_period_start: now,
      current_period_end: periodEnd,
    })),
    metadata,
    description: optNullableString(params, 'description') ?? null,
    currency,
    start_date: now,
    billing_cycle_anchor: trialEnd ?? now,
    trial_start: trialEnd ? now : null,
    trial_end: trialEnd,
    cancel_at: cancelAtPeriodEnd ? periodEnd : cancelAt,
    cancel_at_period_end: cancelAtPeriodEnd,
    canceled_at: cancelAtPeriodEnd || cancelAt !== null ? now : null,
    ended_at: null,
    cancellation_details: { comment: null, feedback: null, reason: null },
    latest_invoice: null,
    trial_will_end_sent_for: null,
    pending_lines: [],
    incomplete_expires_at: null,
  };

  const lines = periodLines(ctx, sub, now, periodEnd, trialEnd !== null);
  const total = lines.reduce((sum, l) => sum + l.amount, 0);
  const card = customer.card;
  if (trialEnd !== null) sub.status = 'trialing';
  else if (total === 0) sub.status = 'active';
  else if (behavior === 'error_if_incomplete' && !card.ok) {
    // Nothing is created when the first payment fails with error_if_incomplete.
    throw errors.card(card.code, card.decline_code, card.message);
  } else if (behavior === 'default_incomplete') sub.status = 'incomplete';
  else sub.status = card.ok ? 'active' : 'incomplete';
  if (sub.status === 'incomplete') sub.incomplete_expires_at = now + ctx.billing.incompleteExpirySeconds;

  customer.currency ??= currency;
  ctx.state.subscriptions.set(sub.id, sub);
  const inv = createSubscriptionInvoice(ctx, sub, {
    billingReason: 'subscription_create',
    lines,
    periodStart: now,
    periodEnd: now,
    finalizeAt: null,
  });
  ctx.emit('customer.subscription.created', renderSubscription(ctx, sub));
  announceInvoice(ctx, inv);
  finalizeInvoice(ctx, inv);
  if (inv.status === 'open' && amountDue(inv) > 0 && behavior !== 'default_incomplete') attemptPayment(ctx, inv, 'first');
  return sub;
}
