// Prices: create (with `product` or `product_data`), retrieve, update, list
// (including `lookup_keys[]`). Lookup keys are unique; `transfer_lookup_key` moves one.
import { errors } from '../errors.js';
import { previousAttributes } from '../events.js';
import type { ParamHash } from '../form.js';
import { newId } from '../ids.js';
import { LIST_PARAMS, paginate } from '../list.js';
import { allowOnly, applyMetadata, optBool, optHash, optInt, optNullableString, optString, optStringArray, reqString } from '../params.js';
import { route, type Route } from '../router.js';
import type { Ctx, PriceRec, Recurring } from '../state.js';
import { createProductRecord } from './products.js';

export function renderPrice(p: PriceRec) {
  return {
    id: p.id,
    object: 'price',
    active: p.active,
    billing_scheme: 'per_unit',
    created: p.created,
    currency: p.currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: p.lookup_key,
    metadata: { ...p.metadata },
    nickname: p.nickname,
    product: p.product,
    recurring: p.recurring
      ? {
          interval: p.recurring.interval,
          interval_count: p.recurring.interval_count,
          meter: null,
          trial_period_days: p.recurring.trial_period_days,
          usage_type: 'licensed',
        }
      : null,
    tax_behavior: p.tax_behavior,
    tiers_mode: null,
    transform_quantity: null,
    type: p.recurring ? 'recurring' : 'one_time',
    unit_amount: p.unit_amount,
    unit_amount_decimal: String(p.unit_amount),
  };
}

/** The legacy `plan` view of a recurring price, still embedded in subscription items. */
export function renderPlan(p: PriceRec) {
  return {
    id: p.id,
    object: 'plan',
    active: p.active,
    amount: p.unit_amount,
    amount_decimal: String(p.unit_amount),
    billing_scheme: 'per_unit',
    created: p.created,
    currency: p.currency,
    interval: p.recurring?.interval ?? 'month',
    interval_count: p.recurring?.interval_count ?? 1,
    livemode: false,
    metadata: { ...p.metadata },
    meter: null,
    nickname: p.nickname,
    product: p.product,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: p.recurring?.trial_period_days ?? null,
    usage_type: 'licensed',
  };
}

export function getPrice(ctx: Ctx, id: string, param?: string): PriceRec {
  const price = ctx.state.prices.get(id);
  if (!price) throw errors.noSuch('price', id, param);
  return price;
}

const INTERVALS = ['day', 'week', 'month', 'year'] as const;

function readRecurring(params: ParamHash, prefix: string): Recurring | null {
  const name = prefix ? `${prefix}[recurring]` : 'recurring';
  const recurring = optHash(params, 'recurring', prefix);
  if (!recurring) return null;
  allowOnly(recurring, ['interval', 'interval_count', 'trial_period_days', 'usage_type'], name);
  const interval = reqString(recurring, 'interval', name);
  if (!(INTERVALS as readonly string[]).includes(interval)) {
    throw errors.invalidValue(`${name}[interval]`, `Invalid ${name}[interval]: must be one of day, week, month, or year`);
  }
  const usage = optString(recurring, 'usage_type', name);
  if (usage && usage !== 'licensed') throw errors.unsupported(`${name}[usage_type]`, 'metered prices');
  const count = optInt(recurring, 'interval_count', name) ?? 1;
  if (count < 1) throw errors.invalidValue(`${name}[interval_count]`, 'interval_count must be at least 1');
  return {
    interval: interval as Recurring['interval'],
    interval_count: count,
    trial_period_days: optInt(recurring, 'trial_period_days', name) ?? null,
  };
}

function claimLookupKey(ctx: Ctx, key: string | null | undefined, transfer: boolean, owner: string): void {
  if (!key) return;
  const holder = [...ctx.state.prices.values()].find((p) => p.lookup_key === key && p.id !== owner);
  if (!holder) return;
  if (!transfer) throw errors.invalidValue('lookup_key', `A price (\`${holder.id}\`) already uses that lookup key.`);
  const before = renderPrice(holder);
  holder.lookup_key = null;
  ctx.emit('price.updated', renderPrice(holder), previousAttributes(before, renderPrice(holder)));
}

export function createPriceRecord(ctx: Ctx, params: ParamHash, prefix = ''): PriceRec {
  const currency = reqString(params, 'currency', prefix).toLowerCase();
  if (!/^[a-z]{3}$/.test(currency)) throw errors.invalidValue('currency', `Invalid currency: ${currency}`);
  const unitAmount = optInt(params, 'unit_amount', prefix) ?? decimalAmount(optString(params, 'unit_amount_decimal', prefix));
  if (unitAmount === undefined) throw errors.missingParam(prefix ? `${prefix}[unit_amount]` : 'unit_amount');
  if (unitAmount < 0) throw errors.invalidValue('unit_amount', 'This value must be greater than or equal to 0.');
  const recurring = readRecurring(params, prefix);
  let productId = optString(params, 'product', prefix);
  const productData = optHash(params, 'product_data', prefix);
  if (productId && productData) throw errors.invalidRequest('You may only specify one of these parameters: product, product_data.', { param: 'product' });
  if (productData) {
    allowOnly(productData, ['name', 'id', 'active', 'metadata', 'statement_descriptor', 'unit_label', 'tax_code'], 'product_data');
    productId = createProductRecord(ctx, productData, 'product_data').id;
  }
  if (!productId) throw errors.missingParam('product');
  if (!ctx.state.products.has(productId)) throw errors.noSuch('product', productId, 'product');
  const id = newId('price');
  const lookupKey = optNullableString(params, 'lookup_key', prefix) ?? null;
  claimLookupKey(ctx, lookupKey, optBool(params, 'transfer_lookup_key', prefix) ?? false, id);
  const price: PriceRec = {
    id,
    seq: ctx.state.nextSeq(),
    created: ctx.clock.now(),
    product: productId,
    currency,
    unit_amount: unitAmount,
    recurring,
    lookup_key: lookupKey,
    nickname: optNullableString(params, 'nickname', prefix) ?? null,
    active: optBool(params, 'active', prefix) ?? true,
    metadata: applyMetadata({}, params, 'metadata', prefix),
    tax_behavior: optString(params, 'tax_behavior', prefix) ?? 'unspecified',
  };
  ctx.state.prices.set(price.id, price);
  ctx.emit('price.created', renderPrice(price));
  return price;
}

function decimalAmount(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw errors.unsupported('unit_amount_decimal', 'fractional unit amounts');
  return Number(value);
}

const CREATE = ['currency', 'unit_amount', 'unit_amount_decimal', 'product', 'product_data', 'recurring', 'lookup_key', 'transfer_lookup_key', 'nickname', 'active', 'metadata', 'tax_behavior', 'billing_scheme'];

export const priceRoutes: Route[] = [
  route('POST', '/v1/prices', ({ ctx, params }) => {
    allowOnly(params, CREATE);
    const scheme = optString(params, 'billing_scheme');
    if (scheme && scheme !== 'per_unit') throw errors.unsupported('billing_scheme', `billing_scheme=${scheme}`);
    return renderPrice(createPriceRecord(ctx, params));
  }),
  route('GET', '/v1/prices/:id', ({ ctx, pathParams }) => renderPrice(getPrice(ctx, pathParams.id!))),
  route('POST', '/v1/prices/:id', ({ ctx, params, pathParams }) => {
    allowOnly(params, ['active', 'lookup_key', 'transfer_lookup_key', 'metadata', 'nickname', 'tax_behavior']);
    const price = getPrice(ctx, pathParams.id!);
    const before = renderPrice(price);
    const active = optBool(params, 'active');
    if (active !== undefined) price.active = active;
    const lookupKey = optNullableString(params, 'lookup_key');
    if (lookupKey !== undefined) {
      claimLookupKey(ctx, lookupKey, optBool(params, 'transfer_lookup_key') ?? false, price.id);
      price.lookup_key = lookupKey;
    }
    const nickname = optNullableString(params, 'nickname');
    if (nickname !== undefined) price.nickname = nickname;
    const taxBehavior = optString(params, 'tax_behavior');
    if (taxBehavior) price.tax_behavior = taxBehavior;
    price.metadata = applyMetadata(price.metadata, params);
    const after = renderPrice(price);
    ctx.emit('price.updated', after, previousAttributes(before, after));
    return after;
  }),
  route('GET', '/v1/prices', ({ ctx, params }) => {
    allowOnly(params, [...LIST_PARAMS, 'active', 'currency', 'product', 'type', 'lookup_keys', 'recurring']);
    const active = optBool(params, 'active');
    const currency = optString(params, 'currency');
    const product = optString(params, 'product');
    const type = optString(params, 'type');
    const lookupKeys = optStringArray(params, 'lookup_keys');
    const recurring = optHash(params, 'recurring');
    const interval = recurring ? optString(recurring, 'interval', 'recurring') : undefined;
    const records = [...ctx.state.prices.values()].filter(
      (p) =>
        (active === undefined || p.active === active) &&
        (!currency || p.currency === currency) &&
        (!product || p.product === product) &&
        (!type || (type === 'recurring') === (p.recurring !== null)) &&
        (!lookupKeys || (p.lookup_key !== null && lookupKeys.includes(p.lookup_key))) &&
        (!interval || p.recurring?.interval === interval),
    );
    return paginate(records, params, '/v1/prices', renderPrice, 'price');
  }),
];
