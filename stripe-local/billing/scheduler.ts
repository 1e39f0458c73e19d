// Time-driven work. Nothing is queued: the next due action is derived from the state
// (trial ends, period ends, draft invoices, payment retries, ...) and actions run in
// time order with the clock moved to each one's moment, so advancing the clock by a month
// replays that month step by step, and events carry the times things happened.
import type { Ctx } from '../state.js';
import { attemptPayment, amountDue, finalizeInvoice } from './invoicing.js';
import {
  cancelSubscription,
  currentPeriod,
  endTrial,
  expireIncomplete,
  renew,
  sendTrialWillEnd,
} from './lifecycle.js';

interface Due {
  at: number;
  /** Order of actions due at the same second. */
  priority: number;
  run: () => void;
}

function dueActions(ctx: Ctx): Due[] {
  const due: Due[] = [];
  for (const sub of ctx.state.subscriptions.values()) {
    if (sub.status === 'trialing' && sub.trial_end !== null) {
      if (sub.trial_will_end_sent_for !== sub.trial_end) {
        const at = Math.max(sub.trial_end - ctx.billing.trialWillEndSeconds, sub.trial_start ?? sub.created);
        due.push({ at, priority: 0, run: () => sendTrialWillEnd(ctx, sub) });
      }
      due.push({ at: sub.trial_end, priority: 2, run: () => endTrial(ctx, sub, false) });
    }
    const live = ['trialing', 'active', 'past_due', 'unpaid'].includes(sub.status);
    if (live && sub.cancel_at !== null) {
      due.push({ at: sub.cancel_at, priority: 1, run: () => cancelSubscription(ctx, sub, 'cancellation_requested') });
    }
    if (['active', 'past_due', 'unpaid'].includes(sub.status)) {
      due.push({ at: currentPeriod(sub).end, priority: 3, run: () => renew(ctx, sub) });
    }
    if (sub.status === 'incomplete' && sub.incomplete_expires_at !== null) {
      due.push({ at: sub.incomplete_expires_at, priority: 4, run: () => expireIncomplete(ctx, sub) });
    }
  }
  for (const inv of ctx.state.invoices.values()) {
    if (!inv.auto_advance) continue;
    if (inv.status === 'draft' && inv.automatically_finalizes_at !== null) {
      due.push({
        at: inv.automatically_finalizes_at,
        priority: 5,
        run: () => {
          finalizeInvoice(ctx, inv);
          if (inv.status === 'open' && amountDue(inv) > 0) attemptPayment(ctx, inv, 'automatic');
        },
      });
    }
    if (inv.status === 'open' && inv.next_payment_attempt !== null) {
      due.push({ at: inv.next_payment_attempt, priority: 6, run: () => attemptPayment(ctx, inv, 'automatic') });
    }
  }
  return due;
}

/** Runs every action due up to `until` (in time order), then leaves the clock at `until`. */
export function runDue(ctx: Ctx, until: number): number {
  const savedRequest = ctx.request;
  ctx.request = { id: null, idempotency_key: null };
  let count = 0;
  try {
    for (; count < 100_000; count++) {
      const next = dueActions(ctx)
        .filter((d) => d.at <= until)
        .sort((a, b) => a.at - b.at || a.priority - b.priority)[0];
      if (!next) break;
      ctx.clock.moveTo(next.at);
      next.run();
    }
  } finally {
    ctx.request = savedRequest;
  }
  ctx.clock.moveTo(until);
  return count;
}
