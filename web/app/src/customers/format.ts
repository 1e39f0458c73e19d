// How customer data reads on screen: dates in the browser's locale, "3 days ago" (money is
// written by ui/money.ts, in the business's currency).

/** "14 Mar 2025". */
export function formatDate(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return "";
  return new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric", timeZone }).format(new Date(iso));
}

/** "14 Mar 2025, 14:05". */
export function formatDateTime(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return "";
  return new Intl.DateTimeFormat(undefined, {
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZone,
  }).format(new Date(iso));
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

/** "just now", "5 minutes ago", "yesterday", "3 days ago"; past four weeks the date itself. */
export function timeAgo(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return "";
  const then = new Date(iso);
  const seconds = Math.round((then.getTime() - now.getTime()) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return "just now";
  if (abs < 3600) return relative.format(Math.round(seconds / 60), "minute");
  if (abs < 86400) return relative.format(Math.round(seconds / 3600), "hour");
  const days = calendarDays(then, now);
  if (Math.abs(days) < 28) return relative.format(days, "day");
  return formatDate(iso);
}

/** Whole calendar days from `now` to `then` in the browser's time zone (negative in the past). */
function calendarDays(then: Date, now: Date): number {
  const a = Date.UTC(then.getFullYear(), then.getMonth(), then.getDate());
  const b = Date.UTC(now.getFullYear(), now.getMonth(), now.getDate());
  return Math.round((a - b) / 86400000);
}

/** Tags as the API gives them (a JSON array) → strings. */
export function tagList(tags: unknown): string[] {
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === "string") : [];
}

export const NOTE_CATEGORIES = [
  { value: "general", label: "General" },
  { value: "preference", label: "Preference" },
  { value: "issue", label: "Issue" },
  { value: "feedback", label: "Feedback" },
] as const;

export const ADDRESS_TYPES = [
  { value: "home", label: "Home" },
  { value: "work", label: "Work" },
  { value: "billing", label: "Billing" },
  { value: "shipping", label: "Shipping" },
  { value: "other", label: "Other" },
] as const;

export const labelOf = (list: readonly { value: string; label: string }[], value: string) =>
  list.find((x) => x.value === value)?.label ?? value;

export const STATUS_LABEL: Record<string, string> = { active: "Active", archived: "Archived", merged: "Merged", erased: "Erased" };

/** The loyalty classes, in the order a person reads them (least to most committed, then gone). */
export const LOYALTY_CLASSES = [
  { value: "new", label: "New" },
  { value: "returning", label: "Returning" },
  { value: "regular", label: "Regular" },
  { value: "lapsed", label: "Lapsed" },
  { value: "one_time", label: "One-time" },
] as const;

export const CONSENT_SOURCES = [
  { value: "pos", label: "At the till" },
  { value: "admin", label: "Back office" },
  { value: "online", label: "Online" },
  { value: "import", label: "Import" },
  { value: "other", label: "Other" },
] as const;

/** Every source a recorded channel may carry (a merge keeps the kept customer's or the duplicate's). */
export const SOURCE_LABEL: Record<string, string> = { ...Object.fromEntries(CONSENT_SOURCES.map((s) => [s.value, s.label])), merge: "Merge" };

export const CONTACT_CHANNELS = [
  { value: "email", label: "Email" },
  { value: "sms", label: "SMS" },
  { value: "phone", label: "Phone calls" },
] as const;

export const PAYMENT_METHODS = [
  { value: "cash", label: "Cash" },
  { value: "card", label: "Card" },
] as const;

export const CONTACT_TIMES = [
  { value: "morning", label: "Morning" },
  { value: "afternoon", label: "Afternoon" },
  { value: "evening", label: "Evening" },
  { value: "anytime", label: "Any time" },
] as const;

/** "today", "yesterday", "12 days ago" from a whole number of days. */
export function daysAgo(days: number | null | undefined): string {
  if (days == null) return "";
  if (days <= 0) return "today";
  if (days === 1) return "yesterday";
  return `${days.toLocaleString()} days ago`;
}
