// The test clock: trials ending, renewals, declined cards and Stripe's retry schedule.
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

async function trialSubscription(days: number) {
  const customer = await h.stripe.customers.create({ email: 'owner@shop.test' });
  const price = await monthlyPrice(h.stripe, 2900);
  const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], trial_period_days: days });
  return { customer, price, sub };
}

describe('test clock', () => {
  it('sends trial_will_end 3 days ahead, then invoices and activates at trial end', async () => {
    const { sub } = await trialSubscription(14);
    const trialEnd = sub.trial_end!;

    const early = await h.server.control.advanceTime(10 * DAY);
    expect(early.events.map((e) => e.type)).toEqual([]);
    const warned = await h.server.control.advanceTime(1 * DAY);
    expect(warned.events.map((e) => e.type)).toEqual(['customer.subscription.trial_will_end']);
    expect(warned.events[0]!.created).toBe(trialEnd - 3 * DAY);

    const ended = await h.server.control.advanceTime(3 * DAY + 3600);
    const types = ended.events.map((e) => e.type);
    expect(types.indexOf('customer.subscription.updated')).toBeGreaterThanOrEqual(0);
    expect(types.indexOf('invoice.created')).toBeLessThan(types.indexOf('invoice.finalized'));
    expect(types.indexOf('invoice.finalized')).toBeLessThan(types.indexOf('invoice.paid'));

    const active = await h.stripe.subscriptions.retrieve(sub.id);
    expect(active.status).toBe('active');
    expect(active.items.data[0]).toMatchObject({ current_period_start: trialEnd });
    const invoice = await h.stripe.invoices.retrieve(active.latest_invoice as string);
    expect(invoice).toMatchObject({
      status: 'paid',
      billing_reason: 'subscription_cycle',
      amount_due: 2900,
      amount_paid: 2900,
      amount_remaining: 0,
      attempt_count: 1,
      next_payment_attempt: null,
      customer: sub.customer,
      currency: 'usd',
      parent: { type: 'subscription_details', subscription_details: { subscription: sub.id } },
    });
    expect(invoice.number).toMatch(/^[A-Z0-9]+-0002$/);
    expect(invoice.hosted_invoice_url).toContain(`/i/${invoice.id}`);
    expect(invoice.lines.data[0]!.period).toEqual({ start: trialEnd, end: active.items.data[0]!.current_period_end });
    expect(invoice.status_transitions.finalized_at).toBe(trialEnd + 3600);
    const listed = await h.stripe.invoices.list({ subscription: sub.id });
    expect(listed.data.map((i) => i.billing_reason)).toEqual(['subscription_cycle', 'subscription_create']);
  });

  it('renews an active subscription at period end', async () => {
    const customer = await h.stripe.customers.create({});
    const price = await monthlyPrice(h.stripe, 1500);
    const sub = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    const periodEnd = sub.items.data[0]!.current_period_end;
    await h.server.control.advanceTo(periodEnd + 2 * 3600);
    const renewed = await h.stripe.subscriptions.retrieve(sub.id);
    expect(renewed.items.data[0]!.current_period_start).toBe(periodEnd);
    const invoices = await h.stripe.invoices.list({ customer: customer.id });
    expect(invoices.data.map((i) => [i.billing_reason, i.status, i.amount_paid])).toEqual([
      ['subscription_cycle', 'paid', 1500],
      ['subscription_create', 'paid', 1500],
    ]);
  });

  it('retries a declined card 4 times, then cancels the subscription', async () => {
    const { customer, sub } = await trialSubscription(1);
    h.server.control.declineCard(customer.id, 'insufficient_funds');
    const t0 = sub.trial_end! + 3600;

    const first = await h.server.control.advanceTo(t0);
    expect(first.events.map((e) => e.type)).toContain('invoice.payment_failed');
    let current = await h.stripe.subscriptions.retrieve(sub.id);
    expect(current.status).toBe('past_due');
    const invoiceId = current.latest_invoice as string;
    let invoice = await h.stripe.invoices.retrieve(invoiceId);
    expect(invoice).toMatchObject({ status: 'open', attempt_count: 1, next_payment_attempt: t0 + 3 * DAY, amount_remaining: 2900 });

    const expected: Array<[number, number | null]> = [
      [2, t0 + 8 * DAY],
      [3, t0 + 15 * DAY],
      [4, null],
    ];
    for (const [attempts, next] of expected) {
      await h.server.control.advanceTo(invoice.next_payment_attempt!);
      invoice = await h.stripe.invoices.retrieve(invoiceId);
      expect(invoice).toMatchObject({ status: 'open', attempt_count: attempts, next_payment_attempt: next });
    }
    const failures = h.server.control.events('invoice.payment_failed');
    expect(failures.map((e) => (e.data.object as { attempt_count: number }).attempt_count)).toEqual([1, 2, 3, 4]);
    expect(failures.map((e) => (e.data.object as { next_payment_attempt: number | null }).next_payment_attempt)).toEqual([
      t0 + 3 * DAY,
      t0 + 8 * DAY,
      t0 + 15 * DAY,
      null,
    ]);
    current = await h.stripe.subscriptions.retrieve(sub.id);
    expect(current).toMatchObject({ status: 'canceled', cancellation_details: { reason: 'payment_failed' } });
    expect(h.server.control.events('customer.subscription.deleted')).toHaveLength(1);
  });

  it('marks the subscription unpaid instead when configured, and recovers when the invoice is paid', async () => {
    h.server.control.billing({ onFinalFailure: 'unpaid', retryDelaysDays: [1] });
    const { customer, sub } = await trialSubscription(1);
    h.server.control.declineCard(customer.id);
    await h.server.control.advanceTime(3 * DAY);
    const unpaid = await h.stripe.subscriptions.retrieve(sub.id);
    expect(unpaid.status).toBe('unpaid');

    const declined = await expectStripeError(h.stripe.invoices.pay(unpaid.latest_invoice as string));
    expect(declined).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(declined).toMatchObject({ statusCode: 402, code: 'card_declined', decline_code: 'generic_decline' });

    h.server.control.acceptCard(customer.id);
    const paid = await h.stripe.invoices.pay(unpaid.latest_invoice as string);
    expect(paid.status).toBe('paid');
    expect((await h.stripe.subscriptions.retrieve(sub.id)).status).toBe('active');
  });

  it('follows payment_behavior when the first payment is declined', async () => {
    const customer = await h.stripe.customers.create({});
    const price = await monthlyPrice(h.stripe);
    h.server.control.declineCard(customer.id);

    const refused = await expectStripeError(
      h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }], payment_behavior: 'error_if_incomplete' }),
    );
    expect(refused).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect((await h.stripe.subscriptions.list({ customer: customer.id, status: 'all' })).data).toHaveLength(0);

    const incomplete = await h.stripe.subscriptions.create({ customer: customer.id, items: [{ price: price.id }] });
    expect(incomplete.status).toBe('incomplete');
    await h.server.control.advanceTime(DAY);
    const expired = await h.stripe.subscriptions.retrieve(incomplete.id);
    expect(expired.status).toBe('incomplete_expired');
    expect((await h.stripe.invoices.retrieve(expired.latest_invoice as string)).status).toBe('void');
  });
});
