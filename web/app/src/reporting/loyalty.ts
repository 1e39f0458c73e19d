// The loyalty classes in words (the Customers report and the loyalty settings). The class of a
// customer is the server's (loyaltyClass); this only names it.
import { labelOf, LOYALTY_CLASSES } from "../customers/format.ts";
import type { LoyaltyClass } from "./queries.ts";

/** "New", "One-time"… (the customers list's names); null (no visit yet) → "No visits yet". */
export function loyaltyClassLabel(loyaltyClass: LoyaltyClass | null): string {
  return loyaltyClass ? labelOf(LOYALTY_CLASSES, loyaltyClass) : "No visits yet";
}

const percent = new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 1 });

/** 0.5 → "50%", 0.3333 → "33.3%" (in the browser's locale). */
export function formatPercent(ratio: number): string {
  return percent.format(ratio);
}
