// The API surface through the real SDK: shapes, errors, idempotency and injected failures.
import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY, expectStripeError, monthlyPrice, startHarness, type Harness } from './helpers.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

describe('customers', () => {
  it('creates, retrieves, updates and lists by email', async () => {
    const created = await h.stripe.customers.create({ email: 'owner@cafe.test', name: 'Café', metadata: { tenant_id: 't_1', plan: 'x' } });
    expect(created.id).toMatch(/^cus_/);
    expect(created).toMatchObject({ object: 'customer', livemode: false, email: 'owner@cafe.test', metadata: { tenant_id: 't_1', plan: 'x' } });
    expect(created.created).toBe(h.server.control.now());

    const updated = await h.stripe.customers.update(created.id, { metadata: { plan: '', region: 'eu' } });
    expect(updated.metadata).toEqual({ tenant_id: 't_1', region: 'eu' });

    await h.stripe.customers.create({ email: 'other@cafe.test' });
    const listed = await h.stripe.customers.list({ email: 'owner@cafe.test' });
    expect(listed.data.map((c) => c.id)).toEqual([created.id]);
    const found = await h.stripe.customers.search({ query: "metadata['tenant_id']:'t_1'" });
    expect(found.data.map((c) => c.id)).toEqual([created.id]);

    const events = h.server.control.events().map((e) => e.type);
    expect(events).toEqual(['customer.created', 'customer.updated', 'customer.created']);
    const updatedEvent = h.server.control.events('customer.updated')[0]!;
    expect(updatedEvent.data.previous_attributes).toEqual({ metadata: { tenant_id: 't_1', plan: 'x' } });
  });

  it('answers unknown ids and bad parameters with Stripe errors', async () => {
    const missing = await expectStripeError(h.stripe.customers.retrieve('cus_missing'));
    expect(missing).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(missing).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'id', message: "No such customer: 'cus_missing'" });

    const unknown = await expectStripeError(h.stripe.customers.create({ emial: 'x' } as Stripe.CustomerCreateParams));
    expect(unknown).toMatchObject({ statusCode: 400, code: 'parameter_unknown', param: 'emial' });

    const noItems = await expectStripeError(h.stripe.subscriptions.create({ customer: 'cus_missing', items: [] }));
    expect(noItems).toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'customer' });

    const badKey = new Stripe('sk_live_nope', { host: '127.0.0.1', port: h.server.port, protocol: 'http', maxNetworkRetries: 0 });
    expect(await expectStripeError(badKey.customers.list())).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
  });
});

describe('prices and subscriptions', () => {
  it('lists prices by lookup key and expands their product', async () => {
    await monthlyPrice(h.stripe, 1900, 'basic_monthly');
    const pro = await monthlyPrice(h.stripe, 4900, 'pro_monthly');
    const found = await h.stripe.prices.list({ lookup_keys: ['pro_monthly'], expand: ['data.product'] });
    expect(found.data.map((p) => p.id)).toEqual([pro.id]);
    expect((found.data[0]!.product as Stripe.Product).name).toBe('Plan 4900');
    const taken = await expectStripeError(monthlyPrice(h.stripe, 100, 'pro_monthly'));
    expect(taken).toMatchObject({ statusCode: 400, param: 'lookup_key' });
  });

  it('creates a trial subscription with periods on its items', async () => {
    const customer = await h.stripe.customers.create({ metadata: { tenant_id: 't_9' } });
    const price = await monthlyPrice(h.stripe);
    const now = h.server.control.now();
    const sub = await h.stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
      trial_period_days: 14,
      metadata: { tenant_id: 't_9' },
      payment_behavior: 'default_incomplete',
      expand: ['latest_invoice'],
    });
    expect(sub.id).toMatch(/^sub_/);
    expect(sub).toMatchObject({ object: 'subscription', status: 'trialing', customer: customer.id, trial_start: now, trial_end: now + 14 * DAY, metadata: { tenant_id: 't_9' } });
    expect(sub).not.toHaveProperty('current_period_end');
    const item = sub.items.data[0]!;
    expect(item.id).toMatch(/^si_/);
    expect(item).toMatchObject({ current_period_start: now, current_period_end: now + 14 * DAY, price: { id: price.id } });
    const invoice = sub.latest_invoice as Stripe.Invoice;
    expect(invoice).toMatchObject({ status: 'paid', amount_due: 0, billing_reason: 'subscription_create' });
    expect(invoice.parent).toMatchObject({ type: 'subscription_details', subscription_details: { subscription: sub.id } });

    const listed = await h.stripe.subscriptions.list({ customer: customer.id });
    expect(listed.data.map((s) => s.id)).toEqual([sub.id]);
    const types = h.server.control.events().map((e) => e.type);
    expect(types).toContain('customer.subscription.created');
    expect(types).toContain('invoice.paid');
  });

  it('changes the price with prorations, cancels at period end, and cancels via DELETE', async () => {
    const customer = await h.stripe.customers.create({});
    const basic = await monthlyPrice(h.stripe, 1000);
    const pro = await monthlyPrice(h.stripe, 3000);
    const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: basic.id }] });
    expect(sub.status).toBe('active');
    const item = sub.items.data[0]!;
    const half = Math.floor((item.current_period_end - item.current_period_start) / 2);
    await h.server.control.advanceTime(half);

    const upgraded = await h.stripe.subscriptions.update(sub.id, {
      items: [{ id: item.id, price: pro.id }],
      proration_behavior: 'always_invoice',
      metadata: { changed: 'yes' },
    });
    expect(upgraded.items.data[0]!.price.id).toBe(pro.id);
    expect(upgraded.items.data[0]!.id).toBe(item.id);
    const invoice = await h.stripe.invoices.retrieve(upgraded.latest_invoice as string);
    expect(invoice).toMatchObject({ status: 'paid', billing_reason: 'subscription_update' });
    expect(invoice.lines.data.map((l) => l.amount)).toEqual([-500, 1500]);
    expect(invoice.amount_paid).toBe(1000);

    const ending = await h.stripe.subscriptions.update(sub.id, { cancel_at_period_end: true });
    expect(ending).toMatchObject({ cancel_at_period_end: true, cancel_at: item.current_period_end, status: 'active' });

    const canceled = await h.stripe.subscriptions.cancel(sub.id);
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_details: { reason: 'cancellation_requested' } });
    expect(await expectStripeError(h.stripe.subscriptions.cancel(sub.id))).toMatchObject({ statusCode: 404 });
    expect(await expectStripeError(h.stripe.subscriptions.update(sub.id, { cancel_at_period_end: false }))).toMatchObject({
      statusCode: 400,
      message: 'A canceled subscription can only update its cancellation_details and metadata.',
    });
    expect((await h.stripe.subscriptions.list({ customer: customer.id })).data).toEqual([]);
    expect((await h.stripe.subscriptions.list({ customer: customer.id, status: 'canceled' })).data).toHaveLength(1);
  });
});

describe('idempotency', () => {
  it('replays the stored response for a repeated key', async () => {
    const first = await h.stripe.customers.create({ email: 'a@b.test' }, { idempotencyKey: 'create-a' });
    const again = await h.stripe.customers.create({ email: 'a@b.test' }, { idempotencyKey: 'create-a' });
    expect(again.id).toBe(first.id);
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect((await h.stripe.customers.list()).data).toHaveLength(1);
    expect(h.server.control.events('customer.created')).toHaveLength(1);
  });

  it('rejects the same key with different parameters', async () => {
    await h.stripe.customers.create({ email: 'a@b.test' }, { idempotencyKey: 'create-b' });
    const error = await expectStripeError(h.stripe.customers.create({ email: 'other@b.test' }, { idempotencyKey: 'create-b' }));
    expect(error).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(error).toMatchObject({ statusCode: 400, type: 'StripeIdempotencyError', rawType: 'idempotency_error' });
  });
});

describe('failure injection', () => {
  it('surfaces 500 and 429 as the SDK error classes, without side effects', async () => {
    h.server.control.failNext({ kind: 'error_500', method: 'POST', path: '/v1/customers' });
    const apiError = await expectStripeError(h.stripe.customers.create({ email: 'x@y.test' }));
    expect(apiError).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(apiError.statusCode).toBe(500);

    h.server.control.failNext({ kind: 'rate_limit' });
    const limited = await expectStripeError(h.stripe.customers.list());
    expect(limited).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(limited).toMatchObject({ statusCode: 429, code: 'rate_limit' });

    expect((await h.stripe.customers.list()).data).toHaveLength(0);
  });

  it('drops connections; a drop after commit is recovered by retrying with the same key', async () => {
    // The SDK retries a closed connection once even with maxNetworkRetries: 0, so drop twice.
    h.server.control.failNext({ kind: 'drop', count: 2, path: '/v1/customers' });
    const dropped = await expectStripeError(h.stripe.customers.create({ email: 'x@y.test' }));
    expect(dropped).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    expect((await h.stripe.customers.list()).data).toHaveLength(0);

    h.server.control.failNext({ kind: 'drop_after_commit', count: 2, path: '/v1/customers' });
    const lost = await expectStripeError(h.stripe.customers.create({ email: 'x@y.test' }, { idempotencyKey: 'signup-42' }));
    expect(lost).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    const [committed] = (await h.stripe.customers.list()).data;
    expect(committed).toBeDefined();

    const retried = await h.stripe.customers.create({ email: 'x@y.test' }, { idempotencyKey: 'signup-42' });
    expect(retried.id).toBe(committed!.id);
    expect(retried.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect((await h.stripe.customers.list()).data).toHaveLength(1);
  });

  it("lets the SDK's own retry of a dropped connection replay through its automatic key", async () => {
    h.server.control.failNext({ kind: 'drop_after_commit', path: '/v1/customers' });
    const customer = await h.stripe.customers.create({ email: 'x@y.test' });
    expect(customer.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect((await h.stripe.customers.list()).data.map((c) => c.id)).toEqual([customer.id]);
  });
});
