// HTML pages standing in for Stripe-hosted pages: the billing portal session page
// (`/p/session/:id`) and the hosted invoice page (`/i/:id`). They are deliberately plain;
// their forms change state through the same code paths as the API (and emit the same events).
import { formatAmount, formatDate } from './billing/periods.js';
import { declinedCard } from './billing/cards.js';
import { updateSubscription } from './billing/update.js';
import { ApiError } from './errors.js';
import { amountDue } from './billing/invoicing.js';
import { payInvoice } from './resources/invoices.js';
import type { Ctx, InvoiceRec } from './state.js';

export interface Page {
  status: number;
  html?: string;
  redirect?: string;
}

function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1a1f36}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #e3e8ee;padding:.4rem;text-align:left}
.note{color:#697386;font-size:.85rem}form{display:inline}button{cursor:pointer}</style></head>
<body>${body}<p class="note">Served by stripe-local, a local stand-in for Stripe-hosted pages.</p></body></html>`;
}

const notFound = (what: string): Page => ({ status: 404, html: layout('Not found', `<h1>Not found</h1><p>${esc(what)}</p>`) });

export function portalPage(ctx: Ctx, sessionId: string, message = ''): Page {
  const session = ctx.state.portalSessions.get(sessionId);
  if (!session) return notFound(`No portal session ${sessionId}`);
  const customer = ctx.state.customers.get(session.customer)!;
  const base = `/p/session/${esc(session.id)}`;
  const subs = [...ctx.state.subscriptions.values()].filter((s) => s.customer === customer.id);
  const subRows = subs
    .map((s) => {
      const item = s.items[0]!;
      const price = ctx.state.prices.get(item.price)!;
      const product = ctx.state.products.get(price.product);
      const live = !['canceled', 'incomplete_expired'].includes(s.status);
      const action = !live
        ? ''
        : s.cancel_at_period_end
          ? `<form method="post" action="${base}/subscriptions/${esc(s.id)}/renew"><button>Don't cancel</button></form>`
          : `<form method="post" action="${base}/subscriptions/${esc(s.id)}/cancel"><button>Cancel at period end</button></form>`;
      return `<tr data-subscription="${esc(s.id)}"><td>${esc(product?.name ?? price.id)}</td><td>${esc(formatAmount(price.unit_amount * item.quantity, price.currency))} / ${esc(price.recurring?.interval)}</td>
<td class="status">${esc(s.status)}${s.cancel_at_period_end ? ' (cancels at period end)' : ''}</td><td>until ${esc(formatDate(item.current_period_end))}</td><td>${action}</td></tr>`;
    })
    .join('\n');
  const invoices = [...ctx.state.invoices.values()].filter((i) => i.customer === customer.id && i.status !== 'draft');
  const invoiceRows = invoices
    .map((i) => `<tr><td><a href="/i/${esc(i.id)}">${esc(i.number)}</a></td><td>${esc(formatAmount(amountDue(i), i.currency))}</td><td>${esc(i.status)}</td><td>${esc(formatDate(i.created))}</td></tr>`)
    .join('\n');
  const card = customer.card.ok ? 'working test card' : `declining test card (${esc(customer.card.decline_code)})`;
  const body = `<h1>Billing</h1>
${message ? `<p role="status"><strong>${esc(message)}</strong></p>` : ''}
<p>Customer <strong data-customer="${esc(customer.id)}">${esc(customer.name ?? customer.email ?? customer.id)}</strong>${customer.email ? ` &lt;${esc(customer.email)}&gt;` : ''} <span class="note">${esc(customer.id)}</span></p>
<h2>Subscriptions</h2>${subRows ? `<table>${subRows}</table>` : '<p>No subscriptions.</p>'}
<h2>Payment method</h2><p>Using a ${card}.
<form method="post" action="${base}/card"><input type="hidden" name="outcome" value="${customer.card.ok ? 'decline' : 'ok'}"><button>${customer.card.ok ? 'Switch to a declining card' : 'Switch to a working card'}</button></form></p>
<h2>Invoices</h2>${invoiceRows ? `<table>${invoiceRows}</table>` : '<p>No invoices.</p>'}
${session.return_url ? `<p><a id="return" href="${esc(session.return_url)}">Return to ${esc(new URL(session.return_url).host)}</a></p>` : ''}`;
  return { status: 200, html: layout('Billing portal', body) };
}

export function portalAction(ctx: Ctx, sessionId: string, action: string, subscriptionId: string | null, form: Record<string, unknown>): Page {
  const session = ctx.state.portalSessions.get(sessionId);
  if (!session) return notFound(`No portal session ${sessionId}`);
  const customer = ctx.state.customers.get(session.customer)!;
  const back = { status: 303, redirect: `/p/session/${session.id}` };
  if (action === 'card') {
    customer.card = form.outcome === 'ok' ? { ok: true } : declinedCard('generic_decline');
    return back;
  }
  const sub = subscriptionId ? ctx.state.subscriptions.get(subscriptionId) : undefined;
  if (!sub || sub.customer !== customer.id) return notFound(`No subscription ${subscriptionId ?? ''}`);
  try {
    if (action === 'cancel') updateSubscription(ctx, sub, { cancel_at_period_end: 'true' });
    else if (action === 'renew') updateSubscription(ctx, sub, { cancel_at_period_end: 'false' });
    else return notFound(`Unknown action ${action}`);
  } catch (error) {
    if (error instanceof ApiError) return portalPage(ctx, session.id, error.body.message);
    throw error;
  }
  return back;
}

function invoiceBody(ctx: Ctx, inv: InvoiceRec, message: string): string {
  const lines = inv.lines
    .map((l) => `<tr><td>${esc(l.description)}</td><td>${esc(formatDate(l.period.start))} – ${esc(formatDate(l.period.end))}</td><td>${esc(formatAmount(l.amount, l.currency))}</td></tr>`)
    .join('\n');
  const pay = inv.status === 'open' ? `<form method="post" action="/i/${esc(inv.id)}/pay"><button>Pay ${esc(formatAmount(amountDue(inv) - inv.amount_paid, inv.currency))}</button></form>` : '';
  const customer = ctx.state.customers.get(inv.customer);
  return `<h1>Invoice ${esc(inv.number ?? '(draft)')}</h1>
${message ? `<p role="status"><strong>${esc(message)}</strong></p>` : ''}
<p>Billed to ${esc(customer?.name ?? customer?.email ?? inv.customer)} · status <strong class="status">${esc(inv.status)}</strong></p>
<table>${lines}</table><p>Amount due: <strong>${esc(formatAmount(amountDue(inv), inv.currency))}</strong></p>${pay}`;
}

export function invoicePage(ctx: Ctx, invoiceId: string, message = ''): Page {
  const inv = ctx.state.invoices.get(invoiceId);
  if (!inv || inv.status === 'draft') return notFound(`No invoice ${invoiceId}`);
  return { status: 200, html: layout(`Invoice ${inv.number ?? ''}`, invoiceBody(ctx, inv, message)) };
}

export function invoicePay(ctx: Ctx, invoiceId: string): Page {
  const inv = ctx.state.invoices.get(invoiceId);
  if (!inv || inv.status === 'draft') return notFound(`No invoice ${invoiceId}`);
  try {
    payInvoice(ctx, inv);
  } catch (error) {
    if (error instanceof ApiError) return invoicePage(ctx, invoiceId, error.body.message);
    throw error;
  }
  return { status: 303, redirect: `/i/${inv.id}` };
}
