// How money handed back is written on the till (receipt, today's orders, the void and refund
// dialogs): per tender type, cash first, in the business's currency.
import { byTenderType } from "./queries.ts";

type Format = (amount: number) => string;

/** "$4.60 cash, $2.00 to the card": what a void or a refund handed back; "" when nothing was. */
export function refundedText(refunds: { type: string; amount: number }[], format: Format): string {
  return byTenderType(refunds)
    .map(([type, amount]) => `${format(amount)} ${type === "card" ? "to the card" : type}`)
    .join(", ");
}

/** What the cashier does with money handed back: "hand back $4.60 in cash from the drawer; $2.00 is refunded to the card"; "" for nothing. */
export function handBackSteps(refunds: { type: string; amount: number }[], format: Format): string {
  return byTenderType(refunds)
    .map(([type, amount]) =>
      type === "cash" ? `hand back ${format(amount)} in cash from the drawer` : type === "card" ? `${format(amount)} is refunded to the card` : `${format(amount)} by ${type}`,
    )
    .join("; ");
}

/** What the cashier is told to do before voiding: what was paid goes back the way it was paid (handBackSteps). */
export function refundSteps(payments: { type: string; appliedAmount: number }[], format: Format): string {
  return handBackSteps(payments.map((p) => ({ type: p.type, amount: p.appliedAmount })), format);
}
