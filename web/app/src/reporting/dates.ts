// Business dates as the reports use them: plain YYYY-MM-DD strings on the browser's calendar.
// Arithmetic on them is done at UTC midnight, so no clock change can move a date.

/** The date `daysAgo` days before today, as YYYY-MM-DD. */
export function isoDate(daysAgo = 0, now = new Date()): string {
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() - daysAgo);
  const mm = String(d.getMonth() + 1).padStart(2, "0");
  const dd = String(d.getDate()).padStart(2, "0");
  return `${d.getFullYear()}-${mm}-${dd}`;
}

const utc = (date: string) => new Date(`${date}T00:00:00Z`);

/** "2025-03-14" + 1 → "2025-03-15". */
export function addDays(date: string, days: number): string {
  const d = utc(date);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** How many dates from..to holds, both included. */
export function daysIn(range: { from: string; to: string }): number {
  return Math.round((utc(range.to).getTime() - utc(range.from).getTime()) / 86_400_000) + 1;
}

/** The period of the same length that ends the day before `range` starts. */
export function previousPeriod(range: { from: string; to: string }): { from: string; to: string } {
  return { from: addDays(range.from, -daysIn(range)), to: addDays(range.from, -1) };
}

const shortFormats = new Map<string, Intl.DateTimeFormat>();

/** "2025-03-09" → "Mar 9" (en-US) or "9 mars" (fr-FR): a chart's tick, in the business's locale. */
export function shortDate(date: string, locale?: string): string {
  const key = locale ?? "";
  let f = shortFormats.get(key);
  if (!f) {
    const options: Intl.DateTimeFormatOptions = { day: "numeric", month: "short", timeZone: "UTC" };
    try {
      f = new Intl.DateTimeFormat(locale, options);
    } catch {
      f = new Intl.DateTimeFormat(undefined, options); // a locale the browser does not know
    }
    shortFormats.set(key, f);
  }
  return f.format(utc(date));
}
