// Validation of subscription items (`items[i][price]`, `items[i][quantity]`, ...).
import { errors } from '../errors.js';
import type { ParamHash } from '../form.js';
import { optInt, optString } from '../params.js';
import { getPrice } from '../resources/prices.js';
import type { Ctx, PriceRec } from '../state.js';

export function itemPrice(ctx: Ctx, item: ParamHash, index: number): PriceRec | undefined {
  const prefix = `items[${index}]`;
  if (item.price_data !== undefined) throw errors.unsupported(`${prefix}[price_data]`, 'inline price_data on subscription items');
  const id = optString(item, 'price', prefix) ?? optString(item, 'plan', prefix);
  if (id === undefined) return undefined;
  const price = getPrice(ctx, id, `${prefix}[price]`);
  if (!price.recurring) {
    throw errors.invalidValue(
      `${prefix}[price]`,
      'The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`.',
    );
  }
  if (!price.active) throw errors.invalidValue(`${prefix}[price]`, 'The price specified is inactive. This field only accepts active prices.');
  return price;
}

export function itemQuantity(item: ParamHash, index: number): number | undefined {
  const quantity = optInt(item, 'quantity', `items[${index}]`);
  if (quantity !== undefined && quantity < 0) {
    throw errors.invalidValue(`items[${index}][quantity]`, 'This value must be greater than or equal to 0.');
  }
  return quantity;
}

/** Stripe requires one currency and one billing interval across a subscription's items. */
export function checkCompatible(prices: PriceRec[]): void {
  const first = prices[0];
  if (!first) return;
  for (const p of prices) {
    if (p.currency !== first.currency) {
      throw errors.invalidRequest('Currency and interval fields must match across all plans on this subscription. Found mismatch in currency field.');
    }
    if (p.recurring!.interval !== first.recurring!.interval || p.recurring!.interval_count !== first.recurring!.interval_count) {
      throw errors.invalidRequest('Currency and interval fields must match across all plans on this subscription. Found mismatch in interval field.');
    }
  }
  const ids = prices.map((p) => p.id);
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate) throw errors.invalidRequest(`Cannot add multiple subscription items with the same plan: ${duplicate}`, { param: 'items' });
}
