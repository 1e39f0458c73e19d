// Business dates as the reports use them: plain YYYY-MM-DD strings on the browser's calendar.

/** The date `daysAgo` days before today, as YYYY-MM-DD. */
export function isoDate(daysAgo = 0, now = new Date()): string {
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() - daysAgo);
  const mm = String(d.getMonth() + 1).padStart(2, "0");
  const dd = String(d.getDate()).padStart(2, "0");
  return `${d.getFullYear()}-${mm}-${dd}`;
}

/** The default range of the Sales and Items tabs: the last 7 days, today included. */
export const lastSevenDays = () => ({ from: isoDate(6), to: isoDate(0) });
