// Charts draw numbers, so amounts go in as major units (12.5 for 1250 cents) and come back out
// through the business's money format for ticks and tooltips.
import type { Money } from "../ui/useMoney.ts";

export function chartMoney(money: Money) {
  const scale = 10 ** money.minorUnits;
  return {
    /** Minor units → what the chart draws. */
    value: (minor: number) => minor / scale,
    /** What the chart drew → "$12.50" ("" for no value). */
    format: (v: number | null) => (v == null ? "" : money.format(Math.round(v * scale))),
  };
}
