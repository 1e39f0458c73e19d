// Stripe-looking identifiers: a real prefix plus random base62 characters.
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function randomChars(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[bytes[i]! % ALPHABET.length];
  return out;
}

/** `newId('cus')` → `cus_Q9f...`; customers use 14 characters like Stripe, other objects 24. */
export function newId(prefix: string): string {
  return `${prefix}_${randomChars(prefix === 'cus' || prefix === 'req' ? 14 : 24)}`;
}

/** Object type for an id prefix, used by `expand[]` to resolve ids into objects. */
export const PREFIX_TYPES: Record<string, string> = {
  cus: 'customer',
  prod: 'product',
  price: 'price',
  sub: 'subscription',
  si: 'subscription_item',
  in: 'invoice',
  pi: 'payment_intent',
  evt: 'event',
  bps: 'billing_portal.session',
};

export function typeOfId(id: string): string | undefined {
  const underscore = id.indexOf('_');
  return underscore > 0 ? PREFIX_TYPES[id.slice(0, underscore)] : undefined;
}
