// How the till and the receipt show the tax an order is priced with. Added to prices (US sales
// tax): subtotal, discounts, "Tax (8.25%)", total. Included in prices (VAT): the customer pays
// the shelf amounts, so each line shows what was paid for it and the total "Includes VAT (20%)";
// the database keeps those lines' subtotal and discounts without tax (db/EVENTS.md), amounts a
// customer never saw on a shelf, so they are not shown.
interface Tax {
  taxName?: string | null;
  taxRateBps?: number | null;
  taxInclusive?: boolean | null;
}

const percent = (bps: number) => `${(bps / 100).toLocaleString(undefined, { maximumFractionDigits: 2 })}%`;

/** "Tax (8.25%)", "Sales tax (8.5%)"; "Includes VAT (20%)" when the prices held it; the name alone for a rate of 0. */
export function taxLabel(tax: Tax): string {
  const name = tax.taxName ?? "Tax";
  const named = tax.taxRateBps ? `${name} (${percent(tax.taxRateBps)})` : name;
  return tax.taxInclusive ? `Includes ${named}` : named;
}
