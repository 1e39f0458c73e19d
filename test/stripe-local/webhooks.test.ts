// Webhook delivery: signatures verified by the SDK, duplicates, ordering control,
// failure logging and retry; the portal page; the HTTP control API.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY, monthlyPrice, startHarness, startReceiver, type Harness, type Receiver } from './helpers.js';

const SECRET = 'whsec_test_stripe_local';
let h: Harness;
let receiver: Receiver;

beforeEach(async () => {
  receiver = await startReceiver(SECRET);
  h = await startHarness({ webhookUrl: receiver.url, webhookSecret: SECRET });
});
afterEach(async () => {
  await h.close();
  await receiver.close();
});

describe('webhooks', () => {
  it('delivers every event signed like Stripe, with object snapshots', async () => {
    const customer = await h.stripe.customers.create({ email: 'a@shop.test' }, { idempotencyKey: 'k-1' });
    await h.stripe.customers.update(customer.id, { name: 'Shop' });
    await h.server.control.webhooksIdle();

    expect(receiver.rejected).toEqual([]);
    expect(receiver.events.map((e) => e.type)).toEqual(['customer.created', 'customer.updated']);
    const [created, updated] = receiver.events as [any, any];
    expect(created.id).toMatch(/^evt_/);
    expect(created).toMatchObject({ object: 'event', livemode: false, api_version: h.stripe.getApiField('version'), request: { idempotency_key: 'k-1' } });
    expect(created.data.object).toMatchObject({ id: customer.id, name: null });
    expect(updated.data.object.name).toBe('Shop');
    expect(updated.data.previous_attributes).toEqual({ name: null });
    expect(h.server.control.deliveries().map((d) => d.status)).toEqual([200, 200]);
    expect((await h.stripe.events.retrieve(created.id)).pending_webhooks).toBe(0);
    const listed = await h.stripe.events.list({ type: 'customer.*' });
    expect(listed.data.map((e) => e.type)).toEqual(['customer.updated', 'customer.created']);
  });

  it('redelivers duplicates and delivers held events out of order', async () => {
    const customer = await h.stripe.customers.create({});
    await h.server.control.webhooksIdle();
    await h.server.control.redeliverEvent(receiver.events[0]!.id, 2);
    expect(receiver.events.map((e) => e.id)).toEqual([receiver.events[0]!.id, receiver.events[0]!.id, receiver.events[0]!.id]);

    receiver.events.length = 0;
    h.server.control.holdWebhooks();
    await h.stripe.customers.update(customer.id, { name: 'one' });
    await h.stripe.customers.update(customer.id, { name: 'two' });
    await h.stripe.customers.update(customer.id, { name: 'three' });
    const held = h.server.control.heldWebhooks();
    expect(held).toHaveLength(3);
    expect(receiver.events).toEqual([]);

    await h.server.control.deliverEvents([held[1]!]);
    await h.server.control.flushWebhooks({ order: 'reverse' });
    expect(receiver.events.map((e) => (e.data.object as { name: string }).name)).toEqual(['two', 'three', 'one']);
  });

  it('records failed deliveries and retries them on request', async () => {
    receiver.status = 500;
    await h.stripe.customers.create({});
    await h.server.control.webhooksIdle();
    expect(h.server.control.deliveries().map((d) => [d.type, d.status, d.ok])).toEqual([['customer.created', 500, false]]);

    receiver.status = 200;
    const retried = await h.server.control.retryFailedWebhooks();
    expect(retried).toHaveLength(1);
    expect(h.server.control.deliveries().map((d) => [d.status, d.attempt, d.trigger])).toEqual([
      [500, 1, 'auto'],
      [200, 2, 'retry'],
    ]);
    expect(receiver.events.map((e) => e.type)).toEqual(['customer.created']);
  });

  it('delivers clock-driven events when time advances', async () => {
    const customer = await h.stripe.customers.create({});
    const price = await monthlyPrice(h.stripe);
    await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], trial_period_days: 7 });
    await h.server.control.advanceTime(7 * DAY + 3600);
    const types = receiver.events.map((e) => e.type);
    expect(types).toContain('customer.subscription.trial_will_end');
    expect(types.indexOf('customer.subscription.trial_will_end')).toBeLessThan(types.lastIndexOf('invoice.paid'));
    const last = receiver.events.filter((e) => e.type === 'customer.subscription.updated').at(-1)!;
    expect((last.data.object as { status: string }).status).toBe('active');
    expect(last.request).toEqual({ id: null, idempotency_key: null });
  });
});

describe('billing portal', () => {
  it('returns a URL serving a page with the customer, a return link and working actions', async () => {
    const customer = await h.stripe.customers.create({ email: 'owner@shop.test', name: 'Owner' });
    const price = await monthlyPrice(h.stripe);
    const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const session = await h.stripe.billingPortal.sessions.create({ customer: customer.id, return_url: 'http://localhost:5173/billing' });
    expect(session).toMatchObject({ object: 'billing_portal.session', customer: customer.id, return_url: 'http://localhost:5173/billing' });
    expect(session.id).toMatch(/^bps_/);

    const page = await fetch(session.url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('owner@shop.test');
    expect(html).toContain('href="http://localhost:5173/billing"');

    const cancel = await fetch(`${session.url}/subscriptions/${sub.id}/cancel`, { method: 'POST', redirect: 'manual' });
    expect(cancel.status).toBe(303);
    expect((await h.stripe.subscriptions.retrieve(sub.id)).cancel_at_period_end).toBe(true);
    await h.server.control.webhooksIdle();
    expect(receiver.events.at(-1)!.type).toBe('customer.subscription.updated');
  });
});

describe('HTTP control API', () => {
  it('injects failures, declines cards and advances the clock', async () => {
    const control = (path: string, body: unknown) =>
      fetch(`${h.server.url}/_control${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());

    await control('/failures', { kind: 'error_500', path: '/v1/customers' });
    await expect(h.stripe.customers.list()).rejects.toMatchObject({ statusCode: 500 });

    const customer = await h.stripe.customers.create({});
    await control(`/customers/${customer.id}/decline`, { decline_code: 'expired_card' });
    const price = await monthlyPrice(h.stripe);
    const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    expect(sub.status).toBe('incomplete');

    const before = h.server.control.now();
    const advanced = (await control('/advance', { days: 2 })) as { now: number; events: Array<{ type: string }> };
    expect(advanced.now).toBe(before + 2 * DAY);
    expect(advanced.events.map((e) => e.type)).toContain('invoice.voided');
  });
});
