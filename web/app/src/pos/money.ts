// Money on screen: integer cents in, digits out. The business has no currency setting yet, so
// amounts are shown as plain decimals (12.50). Parsing turns what a person types into cents; it
// never adds anything up (totals come from the database).

const formatter = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** 1250 → "12.50" (grouped in the browser's locale: 123456 → "1,234.56"). */
export function formatMoney(cents: number | null | undefined): string {
  if (cents == null) return "–";
  return formatter.format(cents / 100);
}

/**
 * "12.5", "12,50", "12" → cents (1250, 1250, 1200); "" → 0; anything else → null. At most two
 * decimals; thousands separators are not accepted (a comma is read as the decimal mark).
 */
export function parseMoney(text: string): number | null {
  const t = text.trim().replace(",", ".");
  if (t === "") return 0;
  const match = /^(\d{1,9})(?:\.(\d{0,2}))?$/.exec(t) ?? /^()\.(\d{1,2})$/.exec(t);
  if (!match) return null;
  const whole = match[1] ? Number(match[1]) : 0;
  const fraction = Number((match[2] ?? "").padEnd(2, "0"));
  return whole * 100 + fraction;
}

/** Cents as an editable value: 1250 → "12.50", 0 → "". */
export function moneyInput(cents: number): string {
  if (!cents) return "";
  return (cents / 100).toFixed(2);
}

/**
 * Quick cash amounts for a bill: the exact amount, then the next round amounts above it
 * (whole unit, 5, 10, 20, 50, 100), at most four suggestions beyond the exact one.
 */
export function cashSuggestions(dueCents: number): number[] {
  const out: number[] = [dueCents];
  for (const step of [100, 500, 1000, 2000, 5000, 10000]) {
    const next = Math.ceil(dueCents / step) * step;
    if (next > dueCents && !out.includes(next) && out.length < 5) out.push(next);
  }
  return out.sort((a, b) => a - b);
}
