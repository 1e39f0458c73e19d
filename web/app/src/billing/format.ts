// How billing reads on screen: prices in their currency ($79.00), dates in the browser's locale,
// statuses and modules in words, days left in a trial.
import { formatMoney, moneyIn } from "../ui/money.ts";

const DAY_MS = 86_400_000;

/** 7900, "usd" → "$79.00": a Stripe price, in its own currency (the shared money helper). */
export function formatPrice(cents: number | null | undefined, currency = "usd"): string {
  return formatMoney(cents, moneyIn(currency));
}

/** "month" → "month", "year" → "year"; used as "$79.00 / month". */
export const perInterval = (interval: string | null | undefined) => (interval === "year" ? "year" : "month");

/** "14 Mar 2026". */
export function formatDay(iso: string | null | undefined): string {
  if (!iso) return "";
  return new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric" }).format(new Date(iso));
}

/** "14 Mar – 14 Apr 2026" style period; either end may be missing. */
export function formatPeriod(start: string | null | undefined, end: string | null | undefined): string {
  if (!start && !end) return "–";
  if (!start) return `until ${formatDay(end)}`;
  if (!end) return `from ${formatDay(start)}`;
  return `${formatDay(start)} – ${formatDay(end)}`;
}

/** Whole days from now until `iso`, rounded up (13.2 days → 14); negative once past. */
export function daysUntil(iso: string, now: number = Date.now()): number {
  return Math.ceil((new Date(iso).getTime() - now) / DAY_MS);
}

/** "Trial ends in 14 days", "Trial ends in 1 day", "Trial ended". */
export function trialEndsText(iso: string, now: number = Date.now()): string {
  const days = daysUntil(iso, now);
  if (days <= 0) return "Trial ended";
  return `Trial ends in ${days} ${days === 1 ? "day" : "days"}`;
}

export const STATUS_LABEL: Record<string, string> = {
  trialing: "Trialing",
  active: "Active",
  past_due: "Past due",
  canceled: "Canceled",
  unpaid: "Unpaid",
};

export type ChipColor = "default" | "primary" | "secondary" | "error" | "info" | "success" | "warning";

export const STATUS_COLOR: Record<string, ChipColor> = {
  trialing: "info",
  active: "success",
  past_due: "warning",
  canceled: "default",
  unpaid: "error",
};

export const INVOICE_STATUS_LABEL: Record<string, string> = {
  draft: "Draft",
  open: "Open",
  paid: "Paid",
  uncollectible: "Uncollectible",
  void: "Void",
};

export const INVOICE_STATUS_COLOR: Record<string, ChipColor> = {
  draft: "default",
  open: "warning",
  paid: "success",
  uncollectible: "error",
  void: "default",
};

const MODULE_LABEL: Record<string, string> = {
  platform_core: "Platform",
  catalog: "Catalog",
  pos_retail: "Point of sale",
  payments: "Payments",
  customers: "Customers",
  reporting: "Reporting",
  inventory: "Inventory",
};

/** "pos_retail" → "Point of sale"; unknown modules read as words ("gift_cards" → "Gift cards"). */
export function moduleLabel(key: string): string {
  const known = MODULE_LABEL[key];
  if (known) return known;
  const words = key.replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Plans cheapest first (by their position, then price). */
export function sortPlans<P extends { position: number; priceCents: number }>(plans: readonly P[]): P[] {
  return [...plans].sort((a, b) => a.position - b.position || a.priceCents - b.priceCents);
}

/** What a suspension was for (tenant_suspensions.type), in words. */
export const SUSPENSION_TYPE_LABEL: Record<string, string> = {
  nonpayment: "Unpaid subscription",
  canceled: "Subscription ended",
  fraud: "Suspected fraud",
  manual: "Suspended by support",
  technical: "Technical problem",
};

/** The suspensions billing starts and ends by itself; the others are Backoffice support's. */
export const BILLING_SUSPENSION_TYPES = ["nonpayment", "canceled"];
