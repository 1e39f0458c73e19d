// Dates and times on the clock of a location (its IANA time zone), never the browser's.

/** Today's date at the location, YYYY-MM-DD: the business date of a sale made now. */
export function todayAt(timeZone: string, now: Date = new Date()): string {
  // en-CA formats dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
}

/** "14:05" at the location. */
export function timeAt(iso: string | null | undefined, timeZone: string): string {
  if (!iso) return "";
  return new Intl.DateTimeFormat(undefined, { timeZone, hour: "2-digit", minute: "2-digit" }).format(new Date(iso));
}

/** "14 Mar 2025, 14:05 CET" at the location. */
export function dateTimeAt(iso: string | null | undefined, timeZone: string): string {
  if (!iso) return "";
  return new Intl.DateTimeFormat(undefined, {
    timeZone,
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZoneName: "short",
  }).format(new Date(iso));
}

/**
 * A short order reference for people: the last six characters of the order's ULID (its random
 * part), e.g. "#7K2QXD". The database has no per-location order number yet.
 */
export function orderNumber(rowId: string): string {
  return `#${rowId.slice(-6).toUpperCase()}`;
}
