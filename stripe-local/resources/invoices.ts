// Invoices (API 2026-10-28 shape: the subscription is under
// `parent.subscription_details.subscription`), their lines, payment intents and invoice payments.
import { amountDue, attemptPayment, finalizeInvoice, invoiceTotal, voidInvoice } from '../billing/invoicing.js';
import { errors } from '../errors.js';
import { embeddedList, LIST_PARAMS, paginate, type ApiList } from '../list.js';
import { allowOnly, optBool, optString, reqString } from '../params.js';
import { route, type Route } from '../router.js';
import type { Ctx, InvoiceRec, LineRec, PaymentIntentRec } from '../state.js';

export function renderLine(inv: InvoiceRec, line: LineRec, ctx: Ctx) {
  const price = line.price ? ctx.state.prices.get(line.price) : undefined;
  return {
    id: line.id,
    object: 'line_item',
    amount: line.amount,
    currency: line.currency,
    description: line.description,
    discount_amounts: [],
    discountable: !line.proration,
    discounts: [],
    invoice: inv.id,
    livemode: false,
    metadata: {},
    parent: line.subscription_item
      ? {
          invoice_item_details: null,
          subscription_item_details: {
            invoice_item: line.invoice_item,
            proration: line.proration,
            proration_details: { credited_items: null },
            subscription: line.subscription,
            subscription_item: line.subscription_item,
          },
          type: 'subscription_item_details',
        }
      : null,
    period: { ...line.period },
    pretax_credit_amounts: [],
    pricing: price
      ? { price_details: { price: price.id, product: price.product }, type: 'price_details', unit_amount_decimal: String(price.unit_amount) }
      : null,
    quantity: line.quantity,
    quantity_decimal: line.quantity === null ? null : String(line.quantity),
    subscription: line.subscription,
    subtotal: line.amount,
    taxes: [],
  };
}

export function renderInvoice(ctx: Ctx, inv: InvoiceRec) {
  const total = invoiceTotal(inv);
  const due = amountDue(inv);
  const finalized = inv.status !== 'draft';
  const remaining = inv.status === 'paid' || inv.status === 'void' ? 0 : due - inv.amount_paid;
  return {
    id: inv.id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'stripe-local',
    account_tax_ids: null,
    amount_due: due,
    amount_overpaid: 0,
    amount_paid: inv.amount_paid,
    amount_remaining: remaining,
    amount_shipping: 0,
    application: null,
    attempt_count: inv.attempt_count,
    attempted: inv.attempted,
    auto_advance: inv.auto_advance,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: inv.automatically_finalizes_at,
    billing_reason: inv.billing_reason,
    collection_method: 'charge_automatically',
    created: inv.created,
    currency: inv.currency,
    custom_fields: null,
    customer: inv.customer,
    customer_account: null,
    customer_address: null,
    customer_email: inv.customer_email ?? ctx.state.customers.get(inv.customer)?.email ?? null,
    customer_name: inv.customer_name ?? ctx.state.customers.get(inv.customer)?.name ?? null,
    customer_phone: null,
    customer_shipping: null,
    customer_tax_exempt: 'none',
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: inv.description,
    discounts: [],
    due_date: null,
    effective_at: inv.finalized_at,
    ending_balance: finalized ? 0 : null,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: finalized ? `${ctx.baseUrl()}/i/${inv.id}` : null,
    // No PDF rendering in stripe-local.
    invoice_pdf: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: embeddedList(
      inv.lines.slice(0, 10).map((l) => renderLine(inv, l, ctx)),
      `/v1/invoices/${inv.id}/lines`,
      inv.lines.length,
    ),
    livemode: false,
    metadata: { ...inv.metadata },
    next_payment_attempt: inv.next_payment_attempt,
    number: inv.number,
    on_behalf_of: null,
    parent: inv.subscription
      ? {
          quote_details: null,
          subscription_details: { metadata: { ...(inv.subscription_metadata ?? {}) }, subscription: inv.subscription },
          type: 'subscription_details',
        }
      : null,
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: inv.period_end,
    period_start: inv.period_start,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: inv.status,
    status_transitions: {
      finalized_at: inv.finalized_at,
      marked_uncollectible_at: inv.marked_uncollectible_at,
      paid_at: inv.paid_at,
      voided_at: inv.voided_at,
    },
    subtotal: total,
    subtotal_excluding_tax: total,
    test_clock: null,
    total,
    total_discount_amounts: [],
    total_excluding_tax: total,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: inv.webhooks_delivered_at,
  };
}

export function renderPaymentIntent(pi: PaymentIntentRec) {
  return {
    id: pi.id,
    object: 'payment_intent',
    amount: pi.amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: pi.amount_received,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: null,
    canceled_at: pi.canceled_at,
    cancellation_reason: null,
    capture_method: 'automatic',
    client_secret: `${pi.id}_secret_local`,
    confirmation_method: 'automatic',
    created: pi.created,
    currency: pi.currency,
    customer: pi.customer,
    customer_account: null,
    description: 'Subscription invoice',
    excluded_payment_method_types: null,
    last_payment_error: pi.last_payment_error,
    latest_charge: null,
    livemode: false,
    metadata: {},
    next_action: null,
    on_behalf_of: null,
    payment_method: null,
    payment_method_configuration_details: null,
    payment_method_options: null,
    payment_method_types: ['card'],
    processing: null,
    receipt_email: null,
    review: null,
    setup_future_usage: null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: pi.status,
    transfer_group: null,
  };
}

export function renderInvoicePayment(ctx: Ctx, pi: PaymentIntentRec) {
  const inv = ctx.state.invoices.get(pi.invoice);
  const paid = pi.status === 'succeeded';
  return {
    id: pi.invoice_payment_id,
    object: 'invoice_payment',
    amount_paid: paid ? pi.amount_received : null,
    amount_requested: pi.amount,
    created: pi.created,
    currency: pi.currency,
    invoice: pi.invoice,
    is_default: true,
    livemode: false,
    payment: { payment_intent: pi.id, type: 'payment_intent' },
    status: paid ? 'paid' : pi.status === 'canceled' ? 'canceled' : 'open',
    status_transitions: { canceled_at: pi.canceled_at, paid_at: paid ? inv?.paid_at ?? null : null },
  };
}

/** The includable `payments` list of an invoice (returned with `expand[]=payments`). */
export function invoicePayments(ctx: Ctx, inv: InvoiceRec): ApiList<unknown> {
  const pi = inv.payment_intent ? ctx.state.paymentIntents.get(inv.payment_intent) : undefined;
  return embeddedList(pi ? [renderInvoicePayment(ctx, pi)] : [], `/v1/invoice_payments?invoice=${inv.id}`);
}

export function getInvoice(ctx: Ctx, id: string, param?: string): InvoiceRec {
  const inv = ctx.state.invoices.get(id);
  if (!inv) throw errors.noSuch('invoice', id, param);
  return inv;
}

export function getPaymentIntent(ctx: Ctx, id: string): PaymentIntentRec {
  const pi = ctx.state.paymentIntents.get(id);
  if (!pi) throw errors.noSuch('payment_intent', id);
  return pi;
}

/** Pays an invoice now (API `pay` and the hosted invoice page). Throws a card error on decline. */
export function payInvoice(ctx: Ctx, inv: InvoiceRec): void {
  if (inv.status === 'paid') throw errors.invalidRequest('Invoice is already paid', { code: 'invoice_already_paid' });
  if (inv.status === 'void') throw errors.invalidRequest('You cannot pay a void invoice.');
  if (inv.status === 'uncollectible') inv.status = 'open';
  if (inv.status === 'draft') finalizeInvoice(ctx, inv);
  if (inv.status !== 'open') return;
  const card = attemptPayment(ctx, inv, 'manual');
  if (!card.ok) {
    const pi = inv.payment_intent ? ctx.state.paymentIntents.get(inv.payment_intent) : undefined;
    throw errors.card(card.code, card.decline_code, card.message, pi ? { payment_intent: renderPaymentIntent(pi) } : {});
  }
}

export const invoiceRoutes: Route[] = [
  route('GET', '/v1/invoices/:id', ({ ctx, pathParams }) => renderInvoice(ctx, getInvoice(ctx, pathParams.id!))),
  route('GET', '/v1/invoices', ({ ctx, params }) => {
    allowOnly(params, [...LIST_PARAMS, 'customer', 'subscription', 'status', 'collection_method', 'due_date']);
    const customer = optString(params, 'customer');
    const subscription = optString(params, 'subscription');
    const status = optString(params, 'status');
    const records = [...ctx.state.invoices.values()].filter(
      (i) => (!customer || i.customer === customer) && (!subscription || i.subscription === subscription) && (!status || i.status === status),
    );
    return paginate(records, params, '/v1/invoices', (i) => renderInvoice(ctx, i), 'invoice');
  }),
  route('GET', '/v1/invoices/:id/lines', ({ ctx, params, pathParams }) => {
    allowOnly(params, LIST_PARAMS);
    const inv = getInvoice(ctx, pathParams.id!);
    // Lines keep invoice order; paginate() sorts newest first, so give earlier lines higher seq.
    const records = inv.lines.map((line, i) => ({ id: line.id, seq: -i, created: inv.created, line }));
    return paginate(records, params, `/v1/invoices/${inv.id}/lines`, (r) => renderLine(inv, r.line, ctx), 'line_item');
  }),
  route('POST', '/v1/invoices/:id/pay', ({ ctx, params, pathParams }) => {
    allowOnly(params, ['off_session', 'paid_out_of_band', 'forgive', 'payment_method', 'source', 'mandate']);
    if (optBool(params, 'paid_out_of_band')) throw errors.unsupported('paid_out_of_band', 'paid_out_of_band');
    if (params.payment_method !== undefined || params.source !== undefined) throw errors.unsupported('payment_method', 'paying with a specific payment method');
    const inv = getInvoice(ctx, pathParams.id!);
    payInvoice(ctx, inv);
    return renderInvoice(ctx, inv);
  }),
  route('POST', '/v1/invoices/:id/finalize', ({ ctx, params, pathParams }) => {
    allowOnly(params, ['auto_advance']);
    const inv = getInvoice(ctx, pathParams.id!);
    if (inv.status !== 'draft') throw errors.invalidRequest('This invoice is already finalized, you can\'t re-finalize a non-draft invoice.');
    const autoAdvance = optBool(params, 'auto_advance');
    if (autoAdvance !== undefined) inv.auto_advance = autoAdvance;
    finalizeInvoice(ctx, inv);
    return renderInvoice(ctx, inv);
  }),
  route('POST', '/v1/invoices/:id/void', ({ ctx, pathParams }) => {
    const inv = getInvoice(ctx, pathParams.id!);
    if (inv.status !== 'open' && inv.status !== 'uncollectible') {
      throw errors.invalidRequest(`You can only void an invoice whose status is \`open\` or \`uncollectible\`; this invoice is \`${inv.status}\`.`);
    }
    voidInvoice(ctx, inv);
    return renderInvoice(ctx, inv);
  }),
  route('POST', '/v1/invoices/:id/mark_uncollectible', ({ ctx, pathParams }) => {
    const inv = getInvoice(ctx, pathParams.id!);
    if (inv.status !== 'open') throw errors.invalidRequest(`You can only mark an open invoice as uncollectible; this invoice is \`${inv.status}\`.`);
    inv.status = 'uncollectible';
    inv.marked_uncollectible_at = ctx.clock.now();
    inv.next_payment_attempt = null;
    ctx.emit('invoice.marked_uncollectible', renderInvoice(ctx, inv));
    return renderInvoice(ctx, inv);
  }),
  route('GET', '/v1/payment_intents/:id', ({ ctx, pathParams }) => renderPaymentIntent(getPaymentIntent(ctx, pathParams.id!))),
  route('GET', '/v1/invoice_payments', ({ ctx, params }) => {
    allowOnly(params, [...LIST_PARAMS, 'invoice', 'payment', 'status']);
    const invoice = reqString(params, 'invoice');
    const records = [...ctx.state.paymentIntents.values()].filter((pi) => pi.invoice === invoice);
    return paginate(records.map((pi) => ({ ...pi, id: pi.invoice_payment_id, pi })), params, '/v1/invoice_payments', (r) => renderInvoicePayment(ctx, r.pi), 'invoice_payment');
  }),
];
