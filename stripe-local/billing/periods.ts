// Billing period arithmetic in UTC. Monthly periods keep the anchor's day of month and
// clamp to shorter months (Jan 31 → Feb 28 → Mar 31), like Stripe's billing cycle anchor.
import type { Recurring } from '../state.js';

const DAY = 86400;

export function addInterval(ts: number, recurring: Pick<Recurring, 'interval' | 'interval_count'>, times = 1): number {
  const count = recurring.interval_count * times;
  if (recurring.interval === 'day') return ts + count * DAY;
  if (recurring.interval === 'week') return ts + count * 7 * DAY;
  const months = recurring.interval === 'year' ? count * 12 : count;
  const d = new Date(ts * 1000);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return Date.UTC(year, month, Math.min(d.getUTCDate(), lastDay), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()) / 1000;
}

/** The first `anchor + k × interval` strictly after `after`. */
export function nextPeriodEnd(anchor: number, recurring: Pick<Recurring, 'interval' | 'interval_count'>, after: number): number {
  if (anchor > after) return anchor;
  for (let k = 1; ; k++) {
    const end = addInterval(anchor, recurring, k);
    if (end > after) return end;
  }
}

export function formatDate(ts: number): string {
  return new Date(ts * 1000).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
}

export function formatAmount(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() }).format(amount / 100);
  } catch {
    return `${(amount / 100).toFixed(2)} ${currency.toUpperCase()}`;
  }
}
