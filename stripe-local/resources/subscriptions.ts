// Subscriptions and their items. API shape of 2026-10-28: billing period dates live on
// each item (`items.data[i].current_period_start/end`), not on the subscription.
import { createSubscription } from '../billing/create.js';
import { cancelSubscription } from '../billing/lifecycle.js';
import { updateSubscription } from '../billing/update.js';
import { errors } from '../errors.js';
import { embeddedList, LIST_PARAMS, paginate } from '../list.js';
import { allowOnly, optBool, optHash, optNullableString, optString, reqString } from '../params.js';
import { route, type Route } from '../router.js';
import type { Ctx, SubItemRec, SubscriptionRec } from '../state.js';
import { renderPlan, renderPrice } from './prices.js';

export function renderItem(ctx: Ctx, sub: SubscriptionRec, item: SubItemRec) {
  const price = ctx.state.prices.get(item.price)!;
  return {
    id: item.id,
    object: 'subscription_item',
    billing_thresholds: null,
    created: item.created,
    current_period_end: item.current_period_end,
    current_period_start: item.current_period_start,
    current_trial: null,
    discounts: [],
    metadata: { ...item.metadata },
    plan: renderPlan(price),
    price: renderPrice(price),
    quantity: item.quantity,
    subscription: sub.id,
    tax_rates: [],
  };
}

export function renderSubscription(ctx: Ctx, s: SubscriptionRec) {
  return {
    id: s.id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: s.billing_cycle_anchor,
    billing_cycle_anchor_config: null,
    billing_mode: { flexible: { proration_discounts: 'included' }, type: 'flexible', updated_at: s.created },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: s.cancel_at,
    cancel_at_period_end: s.cancel_at_period_end,
    canceled_at: s.canceled_at,
    cancellation_details: { ...s.cancellation_details, feedback_option: null },
    collection_method: 'charge_automatically',
    created: s.created,
    currency: s.currency,
    customer: s.customer,
    customer_account: null,
    days_until_due: null,
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: s.description,
    discounts: [],
    ended_at: s.ended_at,
    invoice_settings: { account_tax_ids: null, custom_fields: null, description: null, footer: null, issuer: { type: 'self' } },
    items: embeddedList(
      s.items.map((item) => renderItem(ctx, s, item)),
      `/v1/subscription_items?subscription=${s.id}`,
    ),
    latest_invoice: s.latest_invoice,
    livemode: false,
    managed_payments: null,
    metadata: { ...s.metadata },
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: s.start_date,
    status: s.status,
    test_clock: null,
    transfer_data: null,
    trial_end: s.trial_end,
    trial_settings: { end_behavior: { billing_cycle_anchor: null, missing_payment_method: 'create_invoice' } },
    trial_start: s.trial_start,
  };
}

export function getSubscription(ctx: Ctx, id: string, param?: string): SubscriptionRec {
  const sub = ctx.state.subscriptions.get(id);
  if (!sub) throw errors.noSuch('subscription', id, param);
  return sub;
}

function findItem(ctx: Ctx, id: string): { sub: SubscriptionRec; item: SubItemRec } {
  for (const sub of ctx.state.subscriptions.values()) {
    const item = sub.items.find((i) => i.id === id);
    if (item) return { sub, item };
  }
  throw errors.noSuch('subscription_item', id);
}

export function renderItemById(ctx: Ctx, id: string) {
  const { sub, item } = findItem(ctx, id);
  return renderItem(ctx, sub, item);
}

const ENDED = ['canceled', 'incomplete_expired'];

export const subscriptionRoutes: Route[] = [
  route('POST', '/v1/subscriptions', ({ ctx, params }) => renderSubscription(ctx, createSubscription(ctx, params))),
  route('GET', '/v1/subscriptions/:id', ({ ctx, pathParams }) => renderSubscription(ctx, getSubscription(ctx, pathParams.id!))),
  route('POST', '/v1/subscriptions/:id', ({ ctx, params, pathParams }) =>
    renderSubscription(ctx, updateSubscription(ctx, getSubscription(ctx, pathParams.id!), params)),
  ),
  route('DELETE', '/v1/subscriptions/:id', ({ ctx, params, pathParams }) => {
    allowOnly(params, ['cancellation_details', 'invoice_now', 'prorate']);
    const sub = getSubscription(ctx, pathParams.id!);
    // A canceled subscription is gone as far as cancel is concerned (Stripe answers 404).
    if (ENDED.includes(sub.status)) throw errors.noSuch('subscription', sub.id);
    if (optBool(params, 'invoice_now')) throw errors.unsupported('invoice_now', 'invoice_now on cancel');
    if (optBool(params, 'prorate')) throw errors.unsupported('prorate', 'prorate on cancel');
    const details = optHash(params, 'cancellation_details');
    if (details) {
      allowOnly(details, ['comment', 'feedback'], 'cancellation_details');
      sub.cancellation_details.comment = optNullableString(details, 'comment', 'cancellation_details') ?? sub.cancellation_details.comment;
      sub.cancellation_details.feedback = optNullableString(details, 'feedback', 'cancellation_details') ?? sub.cancellation_details.feedback;
    }
    cancelSubscription(ctx, sub, 'cancellation_requested', true);
    return renderSubscription(ctx, sub);
  }),
  route('GET', '/v1/subscriptions', ({ ctx, params }) => {
    allowOnly(params, [...LIST_PARAMS, 'customer', 'price', 'plan', 'status', 'collection_method']);
    const customer = optString(params, 'customer');
    const price = optString(params, 'price') ?? optString(params, 'plan');
    const status = optString(params, 'status');
    const records = [...ctx.state.subscriptions.values()].filter((s) => {
      if (customer && s.customer !== customer) return false;
      if (price && !s.items.some((i) => i.price === price)) return false;
      if (!status) return !ENDED.includes(s.status);
      if (status === 'all') return true;
      if (status === 'ended') return ENDED.includes(s.status);
      return s.status === status;
    });
    return paginate(records, params, '/v1/subscriptions', (s) => renderSubscription(ctx, s), 'subscription');
  }),
  route('GET', '/v1/subscription_items/:id', ({ ctx, pathParams }) => renderItemById(ctx, pathParams.id!)),
  route('GET', '/v1/subscription_items', ({ ctx, params }) => {
    allowOnly(params, [...LIST_PARAMS, 'subscription']);
    const sub = getSubscription(ctx, reqString(params, 'subscription'), 'subscription');
    const records = sub.items.map((item, i) => ({ ...item, seq: -i, item }));
    return paginate(records, params, '/v1/subscription_items', (r) => renderItem(ctx, sub, r.item), 'subscription_item');
  }),
];
