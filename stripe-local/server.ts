// startStripeLocal(): a Stripe-compatible HTTP server for development, demos and tests.
// The real `stripe` SDK talks to it with
//   new Stripe(key, { host: '127.0.0.1', port, protocol: 'http' })
// Objects, events and failures live in memory; see README.md for what is (not) modeled.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { runDue } from './billing/scheduler.js';
import { Clock, type ClockOptions } from './clock.js';
import { createControl, controlHttp, type StripeLocalControl } from './control.js';
import { ApiError, errors } from './errors.js';
import { createEmitter } from './events.js';
import { applyExpand } from './expand.js';
import { Faults } from './faults.js';
import { parseForm, parseLooseBody, type ParamHash } from './form.js';
import { IdempotencyStore, fingerprint } from './idempotency.js';
import { newId, randomChars } from './ids.js';
import { invoicePage, invoicePay, portalAction, portalPage, type Page } from './pages.js';
import { expandList } from './params.js';
import { customerRoutes } from './resources/customers.js';
import { eventRoutes } from './resources/events.js';
import { invoiceRoutes } from './resources/invoices.js';
import { portalRoutes } from './resources/portal.js';
import { priceRoutes } from './resources/prices.js';
import { productRoutes } from './resources/products.js';
import { subscriptionRoutes } from './resources/subscriptions.js';
import { Router } from './router.js';
import { DEFAULT_BILLING, State, type BillingSettings, type Ctx } from './state.js';
import { Webhooks } from './webhooks.js';

/** The API version whose object shapes this server produces: the SDK's default. */
export const API_VERSION: string = Stripe.API_VERSION;

export interface StripeLocalOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number | undefined;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string | undefined;
  /** Base URL put into portal and hosted-invoice links (default: the listening URL). */
  publicUrl?: string | undefined;
  /** Accept only this API key; by default any `sk_test_…` / `rk_test_…` key works. */
  apiKey?: string | undefined;
  /** Where to POST webhooks; nothing is delivered without it (events are still recorded). */
  webhookUrl?: string | null | undefined;
  /** Signing secret for webhooks (default: a generated `whsec_…`, see control.webhook()). */
  webhookSecret?: string | undefined;
  /** Per-delivery timeout (default 10 s). */
  webhookTimeoutMs?: number | undefined;
  /** Simulated clock: start time (unix seconds, default now) and whether it stands still between advances. */
  clock?: ClockOptions | undefined;
  billing?: Partial<BillingSettings> | undefined;
  /** Also run due work (trial ends, renewals, retries) on a timer, for long-running dev servers. 0 = only on requests. */
  tickMs?: number | undefined;
  /** Receives one line per API request and webhook delivery. */
  log?: ((line: string) => void) | undefined;
}

export interface StripeLocalServer {
  url: string;
  port: number;
  host: string;
  control: StripeLocalControl;
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('Request body too large'));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function apiKeyOf(req: http.IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (!auth) return null;
  const [scheme, value = ''] = auth.split(' ');
  if (scheme?.toLowerCase() === 'bearer') return value.trim() || null;
  if (scheme?.toLowerCase() === 'basic') return Buffer.from(value, 'base64').toString('utf8').split(':')[0] || null;
  return null;
}

export async function startStripeLocal(options: StripeLocalOptions = {}): Promise<StripeLocalServer> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => {});
  const newSecret = () => `whsec_${randomChars(32)}`;
  const state = new State();
  const clock = new Clock(options.clock);
  const webhooks = new Webhooks(
    state,
    options.webhookUrl ? { url: options.webhookUrl, secret: options.webhookSecret ?? newSecret() } : null,
    options.webhookTimeoutMs,
    log,
  );
  let baseUrl = '';
  const ctx: Ctx = {
    state,
    clock,
    billing: { ...DEFAULT_BILLING, ...options.billing },
    apiVersion: API_VERSION,
    baseUrl: () => options.publicUrl?.replace(/\/+$/, '') ?? baseUrl,
    request: { id: null, idempotency_key: null },
    emit: () => {
      throw new Error('emitter not ready');
    },
  };
  ctx.emit = createEmitter(state, clock, API_VERSION, () => ctx.request, webhooks);
  const faults = new Faults();
  const idempotency = new IdempotencyStore();
  const control = createControl(ctx, faults, idempotency, webhooks, newSecret);
  const router = new Router().add([
    ...customerRoutes,
    ...productRoutes,
    ...priceRoutes,
    ...subscriptionRoutes,
    ...invoiceRoutes,
    ...portalRoutes,
    ...eventRoutes,
  ]);

  /** Runs a handler as one atomic step, then lets due work (e.g. a short trial's trial_will_end) happen. */
  function execute(method: string, path: string, params: ParamHash): { status: number; body: object; saved: boolean } {
    try {
      runDue(ctx, clock.now());
      const match = router.match(method, path);
      if (!match) throw errors.unrecognizedUrl(method, path);
      const result = match.handler({ method, path, params, pathParams: match.pathParams, ctx });
      return { status: 200, body: applyExpand(ctx, result, expandList(params)), saved: true };
    } catch (error) {
      if (error instanceof ApiError) return { status: error.status, body: { error: error.body }, saved: error.savedForIdempotency };
      log(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return { status: 500, body: { error: errors.api().body }, saved: false };
    } finally {
      ctx.request = { id: null, idempotency_key: null };
      runDue(ctx, clock.now());
    }
  }

  function api(req: http.IncomingMessage, res: http.ServerResponse, method: string, url: URL, rawBody: string): void {
    const path = url.pathname;
    const requestId = newId('req');
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'Request-Id': requestId,
      'Stripe-Version': (req.headers['stripe-version'] as string | undefined) ?? API_VERSION,
    };
    const send = (status: number, body: string, extra: Record<string, string> = {}) => {
      res.writeHead(status, { ...headers, ...extra, 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      log(`${method} ${path} → ${status}`);
    };
    const sendError = (error: ApiError) => send(error.status, JSON.stringify({ error: error.body }, null, 2));
    const drop = () => {
      log(`${method} ${path} → connection dropped`);
      req.socket.destroy();
    };

    const fault = faults.take(method, path);
    if (fault === 'drop') return drop();
    if (fault === 'error_500') return sendError(errors.api());
    if (fault === 'rate_limit') return sendError(errors.rateLimit());

    const key = apiKeyOf(req);
    if (!key) return sendError(errors.noApiKey());
    if (options.apiKey ? key !== options.apiKey : !/^(sk|rk)_test_/.test(key)) return sendError(errors.invalidApiKey(key));

    const params = parseForm(method === 'POST' ? rawBody : url.search.slice(1));
    // Stripe ignores Idempotency-Key on GET and DELETE.
    const idemKey = method === 'POST' ? ((req.headers['idempotency-key'] as string | undefined) ?? null) : null;
    if (idemKey) {
      const found = idempotency.lookup(idemKey, method, path, params, clock.now());
      if (found.kind === 'conflict') return sendError(found.error);
      if (found.kind === 'replay') {
        if (fault === 'drop_after_commit') return drop();
        return send(found.stored.status, found.stored.body, {
          'Idempotency-Key': idemKey,
          'Idempotent-Replayed': 'true',
          'Original-Request': found.stored.requestId,
        });
      }
    }
    ctx.request = { id: requestId, idempotency_key: idemKey };
    const result = execute(method, path, params);
    const body = JSON.stringify(result.body, null, 2);
    if (idemKey && result.saved) {
      idempotency.save(idemKey, { method, path, fingerprint: fingerprint(params), status: result.status, body, requestId, storedAt: clock.now() });
    }
    if (fault === 'drop_after_commit') return drop();
    send(result.status, body, idemKey ? { 'Idempotency-Key': idemKey, 'Original-Request': requestId } : {});
  }

  function page(res: http.ServerResponse, method: string, path: string, rawBody: string, contentType: string | undefined): void {
    ctx.request = { id: newId('req'), idempotency_key: null };
    let result: Page | null = null;
    let m: RegExpExecArray | null;
    try {
      runDue(ctx, clock.now());
      if (method === 'GET' && (m = /^\/p\/session\/([^/]+)$/.exec(path))) result = portalPage(ctx, m[1]!);
      else if (method === 'POST' && (m = /^\/p\/session\/([^/]+)\/card$/.exec(path))) result = portalAction(ctx, m[1]!, 'card', null, parseLooseBody(rawBody, contentType));
      else if (method === 'POST' && (m = /^\/p\/session\/([^/]+)\/subscriptions\/([^/]+)\/(cancel|renew)$/.exec(path))) result = portalAction(ctx, m[1]!, m[3]!, m[2]!, {});
      else if (method === 'GET' && (m = /^\/i\/([^/]+)$/.exec(path))) result = invoicePage(ctx, m[1]!);
      else if (method === 'POST' && (m = /^\/i\/([^/]+)\/pay$/.exec(path))) result = invoicePay(ctx, m[1]!);
    } finally {
      ctx.request = { id: null, idempotency_key: null };
      runDue(ctx, clock.now());
    }
    result ??= { status: 404, html: '<!doctype html><h1>Not found</h1>' };
    if (result.redirect) {
      res.writeHead(result.status, { Location: result.redirect, 'Content-Length': 0 });
      res.end();
    } else {
      const html = result.html ?? '';
      res.writeHead(result.status, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(html) });
      res.end(html);
    }
  }

  const server = http.createServer((req, res) => {
    void (async () => {
      const method = (req.method ?? 'GET').toUpperCase();
      const url = new URL(req.url ?? '/', 'http://stripe-local');
      let rawBody: string;
      try {
        rawBody = await readBody(req);
      } catch {
        return;
      }
      try {
        if (url.pathname === '/_control' || url.pathname.startsWith('/_control/')) {
          let status: number;
          let body: unknown;
          try {
            [status, body] = await controlHttp(control, method, url.pathname, parseLooseBody(rawBody, req.headers['content-type']), url.searchParams);
          } catch (error) {
            [status, body] = [400, { error: error instanceof Error ? error.message : String(error) }];
          }
          const text = JSON.stringify(body, null, 2);
          res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
          res.end(text);
        } else if (url.pathname.startsWith('/p/') || url.pathname.startsWith('/i/')) {
          page(res, method, url.pathname, rawBody, req.headers['content-type']);
        } else {
          api(req, res, method, url, rawBody);
        }
      } catch (error) {
        log(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        if (!res.headersSent) {
          const text = JSON.stringify({ error: errors.api().body });
          res.writeHead(500, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
          res.end(text);
        }
      }
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const timer = options.tickMs ? setInterval(() => runDue(ctx, clock.now()), options.tickMs) : null;
  timer?.unref();

  return {
    url: baseUrl,
    port,
    host,
    control,
    close: () =>
      new Promise<void>((resolve, reject) => {
        if (timer) clearInterval(timer);
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
