// A period's figure against the previous period's: the change in percent ("+12.5%", "−4%"), and
// whether that is good news (more sales is; more discounts is not). `change` computes it (the
// Sales tab's periods); `percentChange` writes one the database computed (the dashboard's).

export interface Change {
  /** "+180%", "-25%", "0%"; "—" when the previous period had nothing (no percent of nothing). */
  text: string;
  /** Up (1), down (-1) or flat (0); null without a percent. */
  direction: 1 | -1 | 0 | null;
}

const percent = new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 1, signDisplay: "exceptZero" });

export function change(current: number, previous: number): Change {
  if (previous === 0) return current === 0 ? { text: percent.format(0), direction: 0 } : { text: "—", direction: null };
  const ratio = (current - previous) / Math.abs(previous);
  const text = percent.format(ratio);
  // A change that rounds to 0% reads as flat, whatever its sign.
  if (!/[1-9]/.test(text)) return { text: percent.format(0), direction: 0 };
  return { text, direction: ratio > 0 ? 1 : -1 };
}

/**
 * A change the database computed, in percent with one decimal (reporting.dashboard_metrics: "12.5"
 * is +12.5%, a BigFloat string), written like `change`; null (nothing to compare with) is "—".
 */
export function percentChange(value: string | number | null): Change {
  const n = value === null || value === "" ? NaN : Number(value);
  if (!Number.isFinite(n)) return { text: "—", direction: null };
  if (n === 0) return { text: percent.format(0), direction: 0 };
  return { text: percent.format(n / 100), direction: n > 0 ? 1 : -1 };
}
