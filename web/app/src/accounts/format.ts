// How an account's words and days read on screen: the labels of suspension types, payment
// methods, actions and invoice states (the database's values, db/ERRORS.md refuses others), and
// ISO days ("2026-12-07", a Date scalar) written without a time zone shifting them.

export const SUSPENSION_TYPES = [
  { value: "non_payment", label: "Non-payment" },
  { value: "customer_request", label: "Customer request" },
  { value: "technical", label: "Technical" },
  { value: "fraud", label: "Fraud" },
] as const;

export const PAYMENT_METHODS = [
  { value: "bank_transfer", label: "Bank transfer" },
  { value: "cash", label: "Cash" },
  { value: "card", label: "Card" },
] as const;

export const ACTION_LABEL: Record<string, string> = {
  open: "Opened",
  terms_change: "Terms changed",
  suspend: "Suspended",
  reactivate: "Reactivated",
  write_off: "Written off",
  invoice_void: "Invoice voided",
  credit_refund: "Credit paid back",
};

/** An invoice's state as derived by the database: open, overdue (open past its due day), paid, void. */
export const INVOICE_STATES = [
  { value: "open", label: "Open" },
  { value: "overdue", label: "Overdue" },
  { value: "paid", label: "Paid" },
  { value: "void", label: "Void" },
] as const;

export const INVOICE_STATE_COLOR: Record<string, "default" | "info" | "error" | "success"> = {
  open: "info",
  overdue: "error",
  paid: "success",
  void: "default",
};

export const labelOf = (list: readonly { value: string; label: string }[], value: string | null | undefined) =>
  list.find((x) => x.value === value)?.label ?? value ?? "";

/** "7 Dec 2026" for an ISO day, the same day wherever the browser is. */
export function formatDay(day: string | null | undefined): string {
  if (!day) return "";
  return new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" }).format(
    new Date(`${day.slice(0, 10)}T00:00:00Z`),
  );
}

const pad = (n: number) => String(n).padStart(2, "0");
const isoDay = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

/** Today as an ISO day in the browser's calendar. */
export const today = (now: Date = new Date()) => isoDay(now);

/** The first and last day of the month of `now`. */
export function thisMonth(now: Date = new Date()): { from: string; until: string } {
  return {
    from: isoDay(new Date(now.getFullYear(), now.getMonth(), 1)),
    until: isoDay(new Date(now.getFullYear(), now.getMonth() + 1, 0)),
  };
}

/** "Net 30 days", "Due on receipt". */
export function termsText(days: number | null | undefined): string {
  if (days == null) return "";
  return days === 0 ? "Due on receipt" : `Net ${days} day${days === 1 ? "" : "s"}`;
}
