// Customers: create, retrieve, update, delete, list (with the exact, case-sensitive `email`
// filter) and search (a subset of Stripe's query language).
import { cancelSubscription } from '../billing/lifecycle.js';
import { errors } from '../errors.js';
import { previousAttributes } from '../events.js';
import { newId, randomChars } from '../ids.js';
import { LIST_PARAMS, newestFirst, paginate } from '../list.js';
import { allowOnly, applyMetadata, optInt, optNullableString, optString, reqString } from '../params.js';
import { route, type Route } from '../router.js';
import type { Ctx, CustomerRec } from '../state.js';

export function renderCustomer(c: CustomerRec) {
  if (c.deleted) return { id: c.id, object: 'customer', deleted: true };
  return {
    id: c.id,
    object: 'customer',
    address: null,
    balance: 0,
    created: c.created,
    currency: c.currency,
    default_source: null,
    delinquent: c.delinquent,
    description: c.description,
    discount: null,
    email: c.email,
    invoice_prefix: c.invoice_prefix,
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: false,
    metadata: { ...c.metadata },
    name: c.name,
    next_invoice_sequence: c.next_invoice_sequence,
    phone: c.phone,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
}

/** A live customer; deleted ones are "No such customer" everywhere except retrieve. */
export function getCustomer(ctx: Ctx, id: string, param?: string): CustomerRec {
  const customer = ctx.state.customers.get(id);
  if (!customer || customer.deleted) throw errors.noSuch('customer', id, param);
  return customer;
}

const FIELDS = ['email', 'name', 'description', 'phone'] as const;
const CREATE = [...FIELDS, 'metadata', 'invoice_prefix', 'preferred_locales'];

function readInvoicePrefix(value: string | undefined): string | undefined {
  if (value !== undefined && !/^[A-Z0-9]{3,12}$/.test(value)) {
    throw errors.invalidValue('invoice_prefix', 'Invoice prefix must be 3 to 12 uppercase letters or numbers.');
  }
  return value;
}

export const customerRoutes: Route[] = [
  route('POST', '/v1/customers', ({ ctx, params }) => {
    allowOnly(params, CREATE);
    const customer: CustomerRec = {
      id: newId('cus'),
      seq: ctx.state.nextSeq(),
      created: ctx.clock.now(),
      email: optNullableString(params, 'email') ?? null,
      name: optNullableString(params, 'name') ?? null,
      description: optNullableString(params, 'description') ?? null,
      phone: optNullableString(params, 'phone') ?? null,
      metadata: applyMetadata({}, params),
      invoice_prefix: readInvoicePrefix(optString(params, 'invoice_prefix')) ?? randomChars(8).toUpperCase().replace(/[^A-Z0-9]/g, 'X'),
      next_invoice_sequence: 1,
      currency: null,
      delinquent: false,
      deleted: false,
      card: { ok: true },
    };
    ctx.state.customers.set(customer.id, customer);
    const rendered = renderCustomer(customer);
    ctx.emit('customer.created', rendered);
    return rendered;
  }),
  route('GET', '/v1/customers/search', ({ ctx, params }) => {
    allowOnly(params, ['query', 'limit', 'page']);
    const match = compileQuery(reqString(params, 'query'));
    const limit = optInt(params, 'limit') ?? 10;
    const hits = newestFirst([...ctx.state.customers.values()].filter((c) => !c.deleted && match(c)));
    return {
      object: 'search_result',
      data: hits.slice(0, limit).map(renderCustomer),
      has_more: hits.length > limit,
      next_page: null,
      url: '/v1/customers/search',
    };
  }),
  route('GET', '/v1/customers/:id', ({ ctx, pathParams }) => {
    const customer = ctx.state.customers.get(pathParams.id!);
    if (!customer) throw errors.noSuch('customer', pathParams.id!);
    return renderCustomer(customer);
  }),
  route('POST', '/v1/customers/:id', ({ ctx, params, pathParams }) => {
    allowOnly(params, CREATE);
    const customer = getCustomer(ctx, pathParams.id!);
    const before = renderCustomer(customer);
    for (const field of FIELDS) {
      const value = optNullableString(params, field);
      if (value !== undefined) customer[field] = value;
    }
    const prefix = readInvoicePrefix(optString(params, 'invoice_prefix'));
    if (prefix) customer.invoice_prefix = prefix;
    customer.metadata = applyMetadata(customer.metadata, params);
    const after = renderCustomer(customer);
    const previous = previousAttributes(before, after);
    if (Object.keys(previous).length) ctx.emit('customer.updated', after, previous);
    return after;
  }),
  route('DELETE', '/v1/customers/:id', ({ ctx, pathParams }) => {
    const customer = getCustomer(ctx, pathParams.id!);
    for (const sub of ctx.state.subscriptions.values()) {
      if (sub.customer === customer.id && !['canceled', 'incomplete_expired'].includes(sub.status)) {
        cancelSubscription(ctx, sub, 'cancellation_requested', true);
      }
    }
    const last = renderCustomer(customer);
    customer.deleted = true;
    ctx.emit('customer.deleted', last);
    return renderCustomer(customer);
  }),
  route('GET', '/v1/customers', ({ ctx, params }) => {
    allowOnly(params, [...LIST_PARAMS, 'email', 'test_clock']);
    const email = optString(params, 'email');
    const records = [...ctx.state.customers.values()].filter((c) => !c.deleted && (email === undefined || c.email === email));
    return paginate(records, params, '/v1/customers', renderCustomer, 'customer');
  }),
];

/**
 * Stripe search query subset: clauses `field:"value"` (exact, case-insensitive),
 * `field~"value"` (substring), `-field:...` (negation), `metadata["key"]:"value"`,
 * joined by all-AND or all-OR. Fields: email, name, phone, description.
 */
export function compileQuery(query: string): (c: CustomerRec) => boolean {
  const invalid = () => errors.invalidValue('query', `Invalid query: ${query}`);
  const usesAnd = / AND /.test(query);
  const usesOr = / OR /.test(query);
  if (usesAnd && usesOr) throw errors.invalidValue('query', 'Search queries cannot mix AND and OR.');
  const clauses = query.split(usesOr ? / OR / : / AND /).map((raw) => {
    const m = /^\s*(-?)(email|name|phone|description|metadata\[(?:"[^"]*"|'[^']*')\])\s*([:~])\s*(?:"([^"]*)"|'([^']*)')\s*$/.exec(raw);
    if (!m) throw invalid();
    const [, negate, field, op] = m;
    const value = (m[4] ?? m[5] ?? '').toLowerCase();
    const metaKey = field!.startsWith('metadata[') ? field!.slice(10, -2) : null;
    return (c: CustomerRec) => {
      const actual = (metaKey !== null ? c.metadata[metaKey] : c[field as 'email' | 'name' | 'phone' | 'description']) ?? null;
      const hit = actual !== null && (op === ':' ? actual.toLowerCase() === value : actual.toLowerCase().includes(value));
      return negate ? !hit : hit;
    };
  });
  return (c) => (usesOr ? clauses.some((f) => f(c)) : clauses.every((f) => f(c)));
}
