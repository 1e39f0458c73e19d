// How the till and the receipt name the tax an order is priced with. The database keeps the
// subtotal and discounts without tax for both kinds of rate, so subtotal − discount + tax = total
// reads the same whether the rate was added to prices or included in them; a rate included in
// prices gets a note saying so (the customer paid the shelf prices).
interface Tax {
  taxName?: string | null;
  taxRateBps?: number | null;
  taxInclusive?: boolean | null;
}

/** "Tax (8.25%)", "VAT (20%)"; the name alone for a rate of 0. */
export function taxLabel(tax: Tax): string {
  const name = tax.taxName ?? "Tax";
  if (!tax.taxRateBps) return name;
  return `${name} (${(tax.taxRateBps / 100).toLocaleString(undefined, { maximumFractionDigits: 2 })}%)`;
}

/** "Prices include VAT." when they did; null otherwise. */
export function taxNote(tax: Tax): string | null {
  return tax.taxInclusive && tax.taxRateBps ? `Prices include ${tax.taxName ?? "tax"}; the subtotal is without it.` : null;
}
