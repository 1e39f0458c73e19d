// Webhook delivery: POSTs each event to the configured endpoint, signed like Stripe
// (`Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<payload>" keyed by the secret>`).
// Deliveries run one at a time in event order; the control API can hold them, flush
// them in another order, deliver chosen events, redeliver duplicates and retry failures.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { EventSink } from './events.js';
import type { State, StripeEvent } from './state.js';

export type DeliveryTrigger = 'auto' | 'flush' | 'deliver' | 'redeliver' | 'retry';

export interface DeliveryRecord {
  seq: number;
  event_id: string;
  type: string;
  url: string;
  trigger: DeliveryTrigger;
  /** 1 for the first delivery of this event, 2 for the next, ... */
  attempt: number;
  status: number | null;
  ok: boolean;
  error: string | null;
  response_body: string;
  /** Wall-clock milliseconds when the request was sent. */
  sent_at: number;
  duration_ms: number;
}

export type FlushOrder = 'created' | 'reverse' | 'shuffle';

export interface WebhookEndpoint {
  url: string;
  secret: string;
}

export function signatureHeader(payload: string, secret: string, timestamp: number): string {
  const signature = createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${signature}`;
}

export class Webhooks implements EventSink {
  private endpoint: WebhookEndpoint | null;
  private holding = false;
  private heldIds: string[] = [];
  private queue: Array<{ id: string; trigger: DeliveryTrigger }> = [];
  private running = false;
  private waiters: Array<() => void> = [];
  private log: DeliveryRecord[] = [];
  private succeeded = new Set<string>();
  private deliverySeq = 0;

  private readonly state: State;
  private readonly timeoutMs: number;
  private readonly logLine: (line: string) => void;

  constructor(state: State, endpoint: WebhookEndpoint | null, timeoutMs = 10_000, logLine: (line: string) => void = () => {}) {
    this.state = state;
    this.endpoint = endpoint;
    this.timeoutMs = timeoutMs;
    this.logLine = logLine;
  }

  configure(endpoint: WebhookEndpoint | null): void {
    this.endpoint = endpoint;
  }

  get config(): WebhookEndpoint | null {
    return this.endpoint;
  }

  endpointCount(): number {
    return this.endpoint ? 1 : 0;
  }

  enqueue(event: StripeEvent): void {
    if (!this.endpoint) return;
    if (this.holding) this.heldIds.push(event.id);
    else this.push([event.id], 'auto');
  }

  /** Keep new events back until flush() or deliver() sends them. */
  hold(): void {
    this.holding = true;
  }

  held(): string[] {
    return [...this.heldIds];
  }

  /** Sends the held events in the given order; holding stops unless `keepHolding`. */
  flush(order: FlushOrder = 'created', keepHolding = false): string[] {
    let ids = [...this.heldIds];
    this.heldIds = [];
    if (order === 'reverse') ids.reverse();
    if (order === 'shuffle') ids = shuffle(ids);
    this.holding = keepHolding;
    this.push(ids, 'flush');
    return ids;
  }

  /** Sends exactly these events in this order (out-of-order delivery); they leave the held list. */
  deliver(ids: string[]): void {
    for (const id of ids) this.requireEvent(id);
    this.heldIds = this.heldIds.filter((id) => !ids.includes(id));
    this.push(ids, 'deliver');
  }

  /** Sends an already delivered event again, `times` times (duplicate delivery). */
  redeliver(id: string, times = 1): void {
    this.requireEvent(id);
    this.push(Array.from({ length: times }, () => id), 'redeliver');
  }

  /** Re-sends every event whose deliveries so far all failed. */
  retryFailed(): string[] {
    const failed = [...new Set(this.log.filter((d) => !d.ok).map((d) => d.event_id))].filter((id) => !this.succeeded.has(id));
    this.push(failed, 'retry');
    return failed;
  }

  deliveries(): DeliveryRecord[] {
    return this.log.map((d) => ({ ...d }));
  }

  /** Resolves once nothing is queued or in flight (held events do not count). */
  idle(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  reset(): void {
    this.heldIds = [];
    this.queue = [];
    this.log = [];
    this.succeeded.clear();
    this.holding = false;
  }

  private requireEvent(id: string): StripeEvent {
    const event = this.state.events.get(id);
    if (!event) throw new Error(`No such event: '${id}'`);
    return event;
  }

  private push(ids: string[], trigger: DeliveryTrigger): void {
    for (const id of ids) this.queue.push({ id, trigger });
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length) {
        const next = this.queue.shift()!;
        const event = this.state.events.get(next.id);
        if (event && this.endpoint) await this.send(event, this.endpoint, next.trigger);
      }
    } finally {
      this.running = false;
      const waiters = this.waiters;
      this.waiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private async send(event: StripeEvent, endpoint: WebhookEndpoint, trigger: DeliveryTrigger): Promise<void> {
    const payload = JSON.stringify(event, null, 2);
    // Signed with wall-clock time: receivers check it against their own clock (5 min tolerance),
    // whatever the simulated clock says.
    const header = signatureHeader(payload, endpoint.secret, Math.floor(Date.now() / 1000));
    const sentAt = Date.now();
    const record: DeliveryRecord = {
      seq: ++this.deliverySeq,
      event_id: event.id,
      type: event.type,
      url: endpoint.url,
      trigger,
      attempt: this.log.filter((d) => d.event_id === event.id).length + 1,
      status: null,
      ok: false,
      error: null,
      response_body: '',
      sent_at: sentAt,
      duration_ms: 0,
    };
    try {
      const { status, body } = await post(endpoint.url, payload, header, this.timeoutMs);
      record.status = status;
      record.response_body = body.slice(0, 2000);
      record.ok = status >= 200 && status < 300;
    } catch (error) {
      record.error = error instanceof Error ? error.message : String(error);
    }
    record.duration_ms = Date.now() - sentAt;
    this.log.push(record);
    if (record.ok && !this.succeeded.has(event.id)) {
      this.succeeded.add(event.id);
      event.pending_webhooks = Math.max(0, event.pending_webhooks - 1);
    }
    this.logLine(`webhook ${event.type} ${event.id} → ${record.status ?? record.error}`);
  }
}

function shuffle<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function post(url: string, payload: string, signature: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    const req = client.request(
      target,
      {
        method: 'POST',
        agent: false,
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Length': Buffer.byteLength(payload),
          'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'Cache-Control': 'no-cache',
          Accept: '*/*; q=0.5, application/xml',
          'Stripe-Signature': signature,
        },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}
