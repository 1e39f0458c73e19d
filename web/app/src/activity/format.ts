// How a background job reads on screen: its state in words and colour, how long it took, how
// many rows it handled.
import type { ChipColor } from "../billing/format.ts";

export const OUTCOME_LABEL: Record<string, string> = {
  running: "Running",
  succeeded: "Succeeded",
  failed: "Failed",
  crashed: "Crashed",
};

export const OUTCOME_COLOR: Record<string, ChipColor> = {
  running: "info",
  succeeded: "success",
  failed: "error",
  crashed: "warning",
};

/** 420 → "420 ms", 12_300 → "12.3 s", 185_000 → "3 min 5 s", 7_380_000 → "2 h 3 min"; BigInt strings too. */
export function formatDuration(ms: number | string | null | undefined): string {
  if (ms == null || ms === "") return "–";
  const n = Number(ms);
  if (!Number.isFinite(n) || n < 0) return "–";
  if (n < 1000) return `${Math.round(n)} ms`;
  if (n < 60_000) return `${(Math.floor(n / 100) / 10).toFixed(1)} s`;
  const seconds = Math.floor(n / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

const count = new Intl.NumberFormat();

/** "1,234" rows; "–" when the job did not say. */
export function formatRows(rows: number | string | null | undefined): string {
  if (rows == null || rows === "") return "–";
  const n = Number(rows);
  return Number.isFinite(n) ? count.format(n) : "–";
}
