// `expand[]`: replaces id strings at dotted paths with the objects they name
// (`customer`, `latest_invoice`, `items.data.price.product`, `data.customer` on lists),
// plus includable fields that are absent unless expanded (invoice `payments`, `confirmation_secret`).
import { errors } from './errors.js';
import { typeOfId } from './ids.js';
import { renderCustomer } from './resources/customers.js';
import { invoicePayments, renderInvoice, renderPaymentIntent } from './resources/invoices.js';
import { renderPrice } from './resources/prices.js';
import { renderProduct } from './resources/products.js';
import { renderItemById, renderSubscription } from './resources/subscriptions.js';
import type { Ctx } from './state.js';

type Json = Record<string, unknown>;

function resolve(ctx: Ctx, id: string): Json | undefined {
  const s = ctx.state;
  switch (typeOfId(id)) {
    case 'customer': {
      const c = s.customers.get(id);
      return c && renderCustomer(c);
    }
    case 'product': {
      const p = s.products.get(id);
      return p && renderProduct(p);
    }
    case 'price': {
      const p = s.prices.get(id);
      return p && renderPrice(p);
    }
    case 'subscription': {
      const sub = s.subscriptions.get(id);
      return sub && renderSubscription(ctx, sub);
    }
    case 'subscription_item':
      return renderItemById(ctx, id);
    case 'invoice': {
      const inv = s.invoices.get(id);
      return inv && renderInvoice(ctx, inv);
    }
    case 'payment_intent': {
      const pi = s.paymentIntents.get(id);
      return pi && renderPaymentIntent(pi);
    }
    default:
      return undefined;
  }
}

function includable(ctx: Ctx, owner: Json, field: string): unknown {
  if (owner.object !== 'invoice') return undefined;
  const inv = ctx.state.invoices.get(owner.id as string);
  if (!inv) return undefined;
  if (field === 'payments') return invoicePayments(ctx, inv);
  if (field === 'confirmation_secret') {
    const pi = inv.payment_intent ? ctx.state.paymentIntents.get(inv.payment_intent) : undefined;
    return pi && inv.status === 'open' ? { client_secret: renderPaymentIntent(pi).client_secret, type: 'payment_intent' } : null;
  }
  return undefined;
}

function expandAt(ctx: Ctx, value: unknown, path: string[], full: string): unknown {
  if (path.length === 0 || value === null || typeof value !== 'object') return value;
  const obj = value as Json;
  const [head, ...rest] = path as [string, ...string[]];
  if ((obj.object === 'list' || obj.object === 'search_result') && head === 'data' && Array.isArray(obj.data)) {
    obj.data = obj.data.map((item) => expandAt(ctx, item, rest, full));
    return obj;
  }
  let field = head in obj ? obj[head] : includable(ctx, obj, head);
  if (field === undefined) throw errors.invalidRequest(`This property cannot be expanded (${full}).`, { param: 'expand' });
  if (typeof field === 'string') {
    const resolved = resolve(ctx, field);
    if (!resolved) throw errors.invalidRequest(`This property cannot be expanded (${full}).`, { param: 'expand' });
    field = resolved;
  }
  obj[head] = expandAt(ctx, field, rest, full);
  return obj;
}

export function applyExpand(ctx: Ctx, body: object, paths: string[]): object {
  for (const path of paths) {
    const segments = path.split('.');
    const depth = segments.filter((s) => s !== 'data').length;
    if (depth > 4) throw errors.invalidRequest(`You cannot expand more than 4 levels of a property. Property: ${path}`, { param: 'expand' });
    expandAt(ctx, body, segments, path);
  }
  return body;
}
