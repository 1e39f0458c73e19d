// Shared setup for the stripe-local tests: a server on a free port, the real SDK pointed
// at it, and a tiny webhook receiver that verifies signatures with the SDK.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { startStripeLocal, type StripeLocalOptions, type StripeLocalServer } from '../../stripe-local/server.js';

export const DAY = 86400;

export interface Harness {
  server: StripeLocalServer;
  stripe: Stripe;
  close(): Promise<void>;
}

export async function startHarness(options: StripeLocalOptions = {}): Promise<Harness> {
  const server = await startStripeLocal({ clock: { frozen: true }, ...options });
  const stripe = new Stripe('sk_test_stripe_local', {
    host: '127.0.0.1',
    port: server.port,
    protocol: 'http',
    // The SDK would otherwise retry 500s and connection errors by itself.
    maxNetworkRetries: 0,
  });
  return { server, stripe, close: () => server.close() };
}

export interface Receiver {
  url: string;
  /** Verified events in arrival order. */
  events: Stripe.Event[];
  /** Signature verification failures. */
  rejected: string[];
  /** Status code the receiver answers with (default 200). */
  status: number;
  close(): Promise<void>;
}

export async function startReceiver(secret: string): Promise<Receiver> {
  const verifier = new Stripe('sk_test_unused');
  const receiver: Receiver = {
    url: '',
    events: [],
    rejected: [],
    status: 200,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        const event = verifier.webhooks.constructEvent(body, req.headers['stripe-signature'] as string, secret);
        if (receiver.status >= 200 && receiver.status < 300) receiver.events.push(event);
        res.writeHead(receiver.status).end(JSON.stringify({ received: true }));
      } catch (error) {
        receiver.rejected.push(error instanceof Error ? error.message : String(error));
        res.writeHead(400).end('bad signature');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/stripe`;
  return receiver;
}

/** A product with a monthly price, for subscription tests. */
export async function monthlyPrice(stripe: Stripe, amount = 2900, lookupKey?: string): Promise<Stripe.Price> {
  return stripe.prices.create({
    currency: 'usd',
    unit_amount: amount,
    recurring: { interval: 'month' },
    product_data: { name: `Plan ${amount}` },
    ...(lookupKey ? { lookup_key: lookupKey } : {}),
  });
}

export async function expectStripeError(promise: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await promise;
  } catch (error) {
    return error as Stripe.errors.StripeError;
  }
  throw new Error('expected the call to fail');
}
