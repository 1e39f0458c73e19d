// The named periods of the reports' date filter. A preset is worked out from today each time it
// is chosen; editing the dates by hand makes the period "Custom".
import { addDays, isoDate } from "./dates.ts";

export type Preset = "today" | "yesterday" | "last7" | "last30" | "thisMonth" | "lastMonth" | "custom";

export const PRESETS: { key: Preset; label: string }[] = [
  { key: "today", label: "Today" },
  { key: "yesterday", label: "Yesterday" },
  { key: "last7", label: "Last 7 days" },
  { key: "last30", label: "Last 30 days" },
  { key: "thisMonth", label: "This month" },
  { key: "lastMonth", label: "Last month" },
  { key: "custom", label: "Custom" },
];

/** The dates of a preset (today included where it can be); null for "custom", which keeps the dates it has. */
export function presetDates(preset: Preset, now = new Date()): { from: string; to: string } | null {
  const today = isoDate(0, now);
  const firstOfMonth = `${today.slice(0, 8)}01`;
  switch (preset) {
    case "today":
      return { from: today, to: today };
    case "yesterday":
      return { from: isoDate(1, now), to: isoDate(1, now) };
    case "last7":
      return { from: isoDate(6, now), to: today };
    case "last30":
      return { from: isoDate(29, now), to: today };
    case "thisMonth":
      return { from: firstOfMonth, to: today };
    case "lastMonth": {
      const lastDay = addDays(firstOfMonth, -1);
      return { from: `${lastDay.slice(0, 8)}01`, to: lastDay };
    }
    case "custom":
      return null;
  }
}
