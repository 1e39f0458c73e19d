// Products: create, retrieve, update, list, delete.
import { errors } from '../errors.js';
import type { ParamHash } from '../form.js';
import { newId } from '../ids.js';
import { LIST_PARAMS, paginate } from '../list.js';
import { allowOnly, applyMetadata, optBool, optHash, optNullableString, optString, optStringArray, reqString } from '../params.js';
import { route, type Route } from '../router.js';
import type { Ctx, ProductRec } from '../state.js';
import { previousAttributes } from '../events.js';
import { createPriceRecord } from './prices.js';

export function renderProduct(p: ProductRec) {
  return {
    id: p.id,
    object: 'product',
    active: p.active,
    created: p.created,
    default_price: p.default_price,
    description: p.description,
    images: [],
    livemode: false,
    marketing_features: [],
    metadata: { ...p.metadata },
    name: p.name,
    package_dimensions: null,
    shippable: null,
    statement_descriptor: p.statement_descriptor,
    tax_code: null,
    tax_details: null,
    type: 'service',
    unit_label: p.unit_label,
    updated: p.updated,
    url: p.url,
  };
}

export function getProduct(ctx: Ctx, id: string, param?: string): ProductRec {
  const product = ctx.state.products.get(id);
  if (!product) throw errors.noSuch('product', id, param);
  return product;
}

const CREATE = ['name', 'id', 'active', 'description', 'metadata', 'default_price_data', 'unit_label', 'statement_descriptor', 'url', 'images', 'shippable', 'tax_code'];
const UPDATE = ['name', 'active', 'description', 'metadata', 'default_price', 'unit_label', 'statement_descriptor', 'url', 'images', 'shippable', 'tax_code'];

export function createProductRecord(ctx: Ctx, params: ParamHash, prefix = ''): ProductRec {
  const now = ctx.clock.now();
  const id = optString(params, 'id', prefix) ?? newId('prod');
  if (ctx.state.products.has(id)) throw errors.invalidRequest(`Product already exists.`, { code: 'resource_already_exists', param: 'id' });
  const product: ProductRec = {
    id,
    seq: ctx.state.nextSeq(),
    created: now,
    updated: now,
    name: reqString(params, 'name', prefix),
    description: optNullableString(params, 'description', prefix) ?? null,
    active: optBool(params, 'active', prefix) ?? true,
    metadata: applyMetadata({}, params, 'metadata', prefix),
    default_price: null,
    unit_label: optNullableString(params, 'unit_label', prefix) ?? null,
    statement_descriptor: optNullableString(params, 'statement_descriptor', prefix) ?? null,
    url: optNullableString(params, 'url', prefix) ?? null,
  };
  ctx.state.products.set(product.id, product);
  ctx.emit('product.created', renderProduct(product));
  return product;
}

export const productRoutes: Route[] = [
  route('POST', '/v1/products', ({ ctx, params }) => {
    allowOnly(params, CREATE);
    const priceData = optHash(params, 'default_price_data');
    if (priceData) allowOnly(priceData, ['currency', 'unit_amount', 'recurring', 'tax_behavior', 'metadata'], 'default_price_data');
    const product = createProductRecord(ctx, params);
    if (priceData) {
      const price = createPriceRecord(ctx, { ...priceData, product: product.id }, 'default_price_data');
      const before = renderProduct(product);
      product.default_price = price.id;
      ctx.emit('product.updated', renderProduct(product), { default_price: before.default_price });
    }
    return renderProduct(product);
  }),
  route('GET', '/v1/products/:id', ({ ctx, pathParams }) => renderProduct(getProduct(ctx, pathParams.id!))),
  route('POST', '/v1/products/:id', ({ ctx, params, pathParams }) => {
    allowOnly(params, UPDATE);
    const product = getProduct(ctx, pathParams.id!);
    const before = renderProduct(product);
    const name = optString(params, 'name');
    if (name === '') throw errors.emptyString('name');
    if (name !== undefined) product.name = name;
    const description = optNullableString(params, 'description');
    if (description !== undefined) product.description = description;
    const active = optBool(params, 'active');
    if (active !== undefined) product.active = active;
    const defaultPrice = optNullableString(params, 'default_price');
    if (defaultPrice) {
      const price = ctx.state.prices.get(defaultPrice);
      if (!price || price.product !== product.id) throw errors.noSuch('price', defaultPrice, 'default_price');
    }
    if (defaultPrice !== undefined) product.default_price = defaultPrice;
    for (const key of ['unit_label', 'statement_descriptor', 'url'] as const) {
      const value = optNullableString(params, key);
      if (value !== undefined) product[key] = value;
    }
    product.metadata = applyMetadata(product.metadata, params);
    product.updated = ctx.clock.now();
    const after = renderProduct(product);
    ctx.emit('product.updated', after, previousAttributes(before, after));
    return after;
  }),
  route('GET', '/v1/products', ({ ctx, params }) => {
    allowOnly(params, [...LIST_PARAMS, 'active', 'ids', 'shippable', 'url']);
    const active = optBool(params, 'active');
    const ids = optStringArray(params, 'ids');
    const records = [...ctx.state.products.values()].filter(
      (p) => (active === undefined || p.active === active) && (!ids || ids.includes(p.id)),
    );
    return paginate(records, params, '/v1/products', renderProduct, 'product');
  }),
  route('DELETE', '/v1/products/:id', ({ ctx, pathParams }) => {
    const product = getProduct(ctx, pathParams.id!);
    if ([...ctx.state.prices.values()].some((p) => p.product === product.id)) {
      throw errors.invalidRequest('This product cannot be deleted because it has one or more user-created prices.');
    }
    ctx.state.products.delete(product.id);
    ctx.emit('product.deleted', renderProduct(product));
    return { id: product.id, object: 'product', deleted: true };
  }),
];
