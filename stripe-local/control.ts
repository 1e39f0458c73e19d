// The control surface that is not part of Stripe's API: clock, failure injection,
// simulated cards, webhook delivery control and settings. Available in-process
// (`server.control`) and over HTTP under /_control (JSON bodies, JSON answers).
import { declinedCard } from './billing/cards.js';
import { runDue } from './billing/scheduler.js';
import { snapshot } from './events.js';
import type { Faults, FaultRule, FaultSpec } from './faults.js';
import type { IdempotencyStore } from './idempotency.js';
import type { BillingSettings, Ctx, StripeEvent } from './state.js';
import type { DeliveryRecord, FlushOrder, WebhookEndpoint, Webhooks } from './webhooks.js';

export interface AdvanceResult {
  /** The clock after advancing (unix seconds). */
  now: number;
  /** Events created while advancing, in order. */
  events: Array<{ id: string; type: string; created: number }>;
}

export interface StripeLocalControl {
  /** Current simulated time, unix seconds. */
  now(): number;
  /** Moves the clock forward, running everything that falls due on the way; resolves once webhooks are delivered. */
  advanceTime(seconds: number): Promise<AdvanceResult>;
  /** Same as advanceTime, to an absolute unix time. */
  advanceTo(unixSeconds: number): Promise<AdvanceResult>;
  /** Makes the next `count` matching API requests fail (500, 429, dropped connection, or dropped after the write). */
  failNext(spec: FaultSpec): FaultRule;
  /** Failure rules still armed. */
  failures(): FaultRule[];
  clearFailures(): void;
  /** From now on the customer's card declines (`generic_decline`, `insufficient_funds`, `expired_card`, ...). */
  declineCard(customerId: string, declineCode?: string): void;
  /** From now on the customer's card succeeds again (the default). */
  acceptCard(customerId: string): void;
  /** Sets (or with null removes) the webhook endpoint; a missing secret gets a generated `whsec_`. */
  setWebhook(endpoint: { url: string; secret?: string | undefined } | null): WebhookEndpoint | null;
  webhook(): WebhookEndpoint | null;
  /** All events so far, oldest first, optionally of one type. */
  events(type?: string): StripeEvent[];
  /** Holds webhook deliveries: new events wait until flushWebhooks() or deliverEvents(). */
  holdWebhooks(): void;
  /** Ids of events waiting in the hold. */
  heldWebhooks(): string[];
  /** Delivers held events (in creation order, reversed, or shuffled) and stops holding unless keepHolding. */
  flushWebhooks(options?: { order?: FlushOrder | undefined; keepHolding?: boolean | undefined }): Promise<string[]>;
  /** Delivers these events in exactly this order (out-of-order delivery). */
  deliverEvents(eventIds: string[]): Promise<void>;
  /** Delivers an event again, `times` times (duplicates). */
  redeliverEvent(eventId: string, times?: number): Promise<void>;
  /** Re-delivers events whose deliveries all failed so far. */
  retryFailedWebhooks(): Promise<string[]>;
  /** Every delivery attempt with the receiver's status code. */
  deliveries(): DeliveryRecord[];
  /** Resolves when no webhook is queued or in flight. */
  webhooksIdle(): Promise<void>;
  /** Reads or changes dunning/timing settings. */
  billing(settings?: Partial<BillingSettings>): BillingSettings;
  /** Forgets all objects, events, idempotency keys, failure rules and delivery logs. */
  reset(): void;
}

export function createControl(ctx: Ctx, faults: Faults, idempotency: IdempotencyStore, webhooks: Webhooks, newSecret: () => string): StripeLocalControl {
  const customer = (id: string) => {
    const c = ctx.state.customers.get(id);
    if (!c || c.deleted) throw new Error(`No such customer: '${id}'`);
    return c;
  };
  const advanceTo = async (target: number): Promise<AdvanceResult> => {
    if (!Number.isFinite(target)) throw new Error('advance needs a number of seconds or a target time');
    const first = ctx.state.eventOrder.length;
    runDue(ctx, Math.floor(target));
    const events = ctx.state.eventOrder.slice(first).map((id) => {
      const e = ctx.state.events.get(id)!;
      return { id: e.id, type: e.type, created: e.created };
    });
    await webhooks.idle();
    return { now: ctx.clock.now(), events };
  };
  return {
    now: () => ctx.clock.now(),
    advanceTime: (seconds) => advanceTo(ctx.clock.now() + seconds),
    advanceTo,
    failNext: (spec) => faults.add(spec),
    failures: () => faults.list(),
    clearFailures: () => faults.clear(),
    declineCard: (id, code) => {
      customer(id).card = declinedCard(code);
    },
    acceptCard: (id) => {
      customer(id).card = { ok: true };
    },
    setWebhook: (endpoint) => {
      const config = endpoint ? { url: endpoint.url, secret: endpoint.secret ?? newSecret() } : null;
      webhooks.configure(config);
      return config;
    },
    webhook: () => webhooks.config,
    events: (type) =>
      ctx.state.eventOrder
        .map((id) => ctx.state.events.get(id)!)
        .filter((e) => !type || e.type === type)
        .map((e) => snapshot(e)),
    holdWebhooks: () => webhooks.hold(),
    heldWebhooks: () => webhooks.held(),
    flushWebhooks: async (options = {}) => {
      const ids = webhooks.flush(options.order, options.keepHolding);
      await webhooks.idle();
      return ids;
    },
    deliverEvents: async (ids) => {
      webhooks.deliver(ids);
      await webhooks.idle();
    },
    redeliverEvent: async (id, times = 1) => {
      webhooks.redeliver(id, times);
      await webhooks.idle();
    },
    retryFailedWebhooks: async () => {
      const ids = webhooks.retryFailed();
      await webhooks.idle();
      return ids;
    },
    deliveries: () => webhooks.deliveries(),
    webhooksIdle: () => webhooks.idle(),
    billing: (settings) => {
      if (settings) Object.assign(ctx.billing, settings);
      return { ...ctx.billing, retryDelaysDays: [...ctx.billing.retryDelaysDays] };
    },
    reset: () => {
      ctx.state.clear();
      idempotency.clear();
      faults.clear();
      webhooks.reset();
    },
  };
}

/** HTTP form of the control API. Returns [status, JSON body]. */
export async function controlHttp(control: StripeLocalControl, method: string, path: string, body: Record<string, unknown>, query: URLSearchParams): Promise<[number, unknown]> {
  const num = (v: unknown) => (v === undefined || v === null || v === '' ? undefined : Number(v));
  const str = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',').filter(Boolean) : []);
  const key = `${method} ${path.replace(/\/+$/, '')}`;
  const customerMatch = /^POST \/_control\/customers\/([^/]+)\/(decline|accept)$/.exec(key);
  if (customerMatch) {
    if (customerMatch[2] === 'decline') control.declineCard(customerMatch[1]!, str(body.decline_code));
    else control.acceptCard(customerMatch[1]!);
    return [200, { ok: true }];
  }
  switch (key) {
    case 'GET /_control':
      return [200, { endpoints: CONTROL_ENDPOINTS }];
    case 'GET /_control/clock':
      return [200, { now: control.now() }];
    case 'POST /_control/advance': {
      const to = num(body.to);
      const seconds = num(body.seconds) ?? (num(body.days) ?? 0) * 86400;
      return [200, await (to !== undefined ? control.advanceTo(to) : control.advanceTime(seconds))];
    }
    case 'GET /_control/failures':
      return [200, { failures: control.failures() }];
    case 'POST /_control/failures':
      return [200, control.failNext({ kind: str(body.kind) as FaultSpec['kind'], count: num(body.count), method: str(body.method), path: str(body.path) })];
    case 'DELETE /_control/failures':
      control.clearFailures();
      return [200, { ok: true }];
    case 'GET /_control/events':
      return [200, { events: control.events(query.get('type') ?? undefined) }];
    case 'GET /_control/webhooks':
      return [200, { endpoint: control.webhook(), held: control.heldWebhooks(), deliveries: control.deliveries() }];
    case 'POST /_control/webhooks/config': {
      const url = str(body.url);
      return [200, { endpoint: control.setWebhook(url ? { url, secret: str(body.secret) } : null) }];
    }
    case 'POST /_control/webhooks/hold':
      control.holdWebhooks();
      return [200, { held: control.heldWebhooks() }];
    case 'POST /_control/webhooks/flush':
      return [200, { delivered: await control.flushWebhooks({ order: str(body.order) as FlushOrder | undefined, keepHolding: body.keep_holding === true || body.keep_holding === 'true' }) }];
    case 'POST /_control/webhooks/deliver':
      await control.deliverEvents(list(body.event_ids));
      return [200, { delivered: list(body.event_ids) }];
    case 'POST /_control/webhooks/redeliver':
      await control.redeliverEvent(String(body.event_id), num(body.times) ?? 1);
      return [200, { ok: true }];
    case 'POST /_control/webhooks/retry':
      return [200, { retried: await control.retryFailedWebhooks() }];
    case 'GET /_control/webhooks/deliveries':
      return [200, { deliveries: control.deliveries() }];
    case 'GET /_control/billing':
      return [200, control.billing()];
    case 'POST /_control/billing':
      return [200, control.billing(body as Partial<BillingSettings>)];
    case 'POST /_control/reset':
      control.reset();
      return [200, { ok: true }];
    default:
      return [404, { error: `Unknown control endpoint ${key}`, endpoints: CONTROL_ENDPOINTS }];
  }
}

export const CONTROL_ENDPOINTS = [
  'GET  /_control/clock',
  'POST /_control/advance {seconds} | {days} | {to}',
  'GET  /_control/failures',
  'POST /_control/failures {kind: error_500|rate_limit|drop|drop_after_commit, count?, method?, path?}',
  'DELETE /_control/failures',
  'POST /_control/customers/:id/decline {decline_code?}',
  'POST /_control/customers/:id/accept',
  'GET  /_control/events?type=',
  'GET  /_control/webhooks',
  'POST /_control/webhooks/config {url, secret?}',
  'POST /_control/webhooks/hold',
  'POST /_control/webhooks/flush {order?: created|reverse|shuffle, keep_holding?}',
  'POST /_control/webhooks/deliver {event_ids: [...]}',
  'POST /_control/webhooks/redeliver {event_id, times?}',
  'POST /_control/webhooks/retry',
  'GET  /_control/webhooks/deliveries',
  'GET|POST /_control/billing {finalizeDelaySeconds?, retryDelaysDays?, onFinalFailure?, ...}',
  'POST /_control/reset',
];
