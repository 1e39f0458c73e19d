// Rates are kept in basis points (825 = 8.25%) and written as percents with at most two
// decimals. Reading one is parsing, not a rule: the range is the database's to check.

/** "8.25" → 825, ".5" → 50; null when the text is not a number with at most two decimals, or is too large to be any rate. */
export function percentToBps(text: string): number | null {
  const clean = text.trim().replace(",", ".").replace(/%$/, "").trim();
  if (!/^-?(\d+(\.\d{0,2})?|\.\d{1,2})$/.test(clean)) return null;
  const bps = Math.round(Number(clean) * 100);
  // Beyond this it is no rate anyone means, and GraphQL's Int would refuse it with no field named.
  return Math.abs(bps) > 1_000_000 ? null : bps;
}

/** 825 → "8.25" (no trailing zeros: 800 → "8"). */
export function bpsToPercent(bps: number): string {
  return (bps / 100).toLocaleString("en-US", { maximumFractionDigits: 2, useGrouping: false });
}

/** What a form says when percentToBps cannot read the text. */
export const UNREADABLE_PERCENT = "Write the rate as a percent with at most two decimals, such as 8.25.";
