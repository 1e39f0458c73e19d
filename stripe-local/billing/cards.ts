// Simulated card outcomes. Stripe-local has no payment-method API: each customer has one
// implicit card that succeeds until the control API makes it decline (like Stripe's test
// cards 4000 0000 0000 0002 / 9995 / 0069 ...).
import type { Card } from '../state.js';

export const DECLINES: Record<string, Exclude<Card, { ok: true }>> = {
  generic_decline: { ok: false, code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' },
  insufficient_funds: { ok: false, code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  lost_card: { ok: false, code: 'card_declined', decline_code: 'lost_card', message: 'Your card was declined.' },
  stolen_card: { ok: false, code: 'card_declined', decline_code: 'stolen_card', message: 'Your card was declined.' },
  expired_card: { ok: false, code: 'expired_card', decline_code: 'expired_card', message: 'Your card has expired.' },
  incorrect_cvc: { ok: false, code: 'incorrect_cvc', decline_code: 'incorrect_cvc', message: "Your card's security code is incorrect." },
  processing_error: {
    ok: false,
    code: 'processing_error',
    decline_code: 'processing_error',
    message: 'An error occurred while processing your card. Try again in a little bit.',
  },
};

export function declinedCard(declineCode = 'generic_decline'): Card {
  const card = DECLINES[declineCode];
  if (!card) throw new Error(`Unknown decline code '${declineCode}'; use one of ${Object.keys(DECLINES).join(', ')}`);
  return card;
}

/** The `last_payment_error` / error body for a declined card. */
export function cardErrorBody(card: Exclude<Card, { ok: true }>) {
  return {
    type: 'card_error' as const,
    code: card.code,
    decline_code: card.decline_code,
    message: card.message,
    doc_url: `https://stripe.com/docs/error-codes/${card.code.replace(/_/g, '-')}`,
  };
}
