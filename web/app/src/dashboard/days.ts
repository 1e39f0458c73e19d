// The dashboard's "today": a business date (YYYY-MM-DD, what dailySales and itemSales take) on
// the clock of the business's locations rather than the browser's, so that an owner abroad sees
// the shop's today, as dashboardMetrics and the till count it. Date arithmetic is reporting/dates.ts.

/** Today on the clock most of the locations keep (the browser's when there are none). */
export function businessToday(timezones: readonly string[], now = new Date()): string {
  const counts = new Map<string, number>();
  for (const tz of timezones) counts.set(tz, (counts.get(tz) ?? 0) + 1);
  let zone: string | undefined;
  for (const [tz, n] of counts) if (zone === undefined || n > counts.get(zone)!) zone = tz;
  // en-CA writes dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat("en-CA", { timeZone: zone }).format(now);
}

/** "2025-03-16" → "Sunday": the words of "vs last Sunday". */
export function weekdayName(date: string): string {
  return new Intl.DateTimeFormat("en", { weekday: "long", timeZone: "UTC" }).format(new Date(`${date}T00:00:00Z`));
}
