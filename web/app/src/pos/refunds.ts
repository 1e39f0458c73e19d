// How money handed back is written on the till (receipt, today's orders, the void and refund
// dialogs): per tender type, cash first, in the business's currency. What was charged to a
// customer's account goes back to that account (a credit note on it, taken off what it owes).
import { byTenderType } from "./queries.ts";

type Format = (amount: number) => string;

const refundedTo = (type: string) => (type === "card" ? "to the card" : type === "account" ? "credited to the account" : type);

/** "$4.60 cash, $2.00 to the card, $3.00 credited to the account": what a void or a refund handed back; "" when nothing was. */
export function refundedText(refunds: { type: string; amount: number }[], format: Format): string {
  return byTenderType(refunds)
    .map(([type, amount]) => `${format(amount)} ${refundedTo(type)}`)
    .join(", ");
}

/**
 * What the cashier does with money handed back: "hand back $4.60 in cash from the drawer; $2.00 is
 * refunded to the card; $3.00 is credited to the account"; "" for nothing.
 */
export function handBackSteps(refunds: { type: string; amount: number }[], format: Format): string {
  return byTenderType(refunds)
    .map(([type, amount]) =>
      type === "cash"
        ? `hand back ${format(amount)} in cash from the drawer`
        : type === "card"
          ? `${format(amount)} is refunded to the card`
          : type === "account"
            ? `${format(amount)} is credited to the account`
            : `${format(amount)} by ${type}`,
    )
    .join("; ");
}

/** What the cashier is told to do before voiding: what was paid goes back the way it was paid (handBackSteps). */
export function refundSteps(payments: { type: string; appliedAmount: number }[], format: Format): string {
  return handBackSteps(payments.map((p) => ({ type: p.type, amount: p.appliedAmount })), format);
}

/** "was paid", "was charged to the account", or both: what happened to the money of a sale a void gives back. */
export function paidWords(payments: { type: string; appliedAmount: number }[]): string {
  const taken = payments.filter((p) => p.appliedAmount > 0);
  const charged = taken.filter((p) => p.type === "account").length;
  if (!charged) return "was paid";
  return charged === taken.length ? "was charged to the account" : "was paid or charged to the account";
}
