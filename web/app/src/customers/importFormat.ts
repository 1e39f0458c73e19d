// How customer imports are worded and coloured in the admin.
import type { ChipColor } from "../billing/format.ts";
import type { CustomerImport } from "./importQueries.ts";

export const IMPORT_STATUS_LABEL: Record<string, string> = {
  uploading: "Uploading",
  parsing: "Reading the file",
  ready: "Ready to import",
  committing: "Importing",
  done: "Imported",
  failed: "Failed",
};

export const IMPORT_STATUS_COLOR: Record<string, ChipColor> = {
  uploading: "info",
  parsing: "info",
  ready: "warning",
  committing: "info",
  done: "success",
  failed: "error",
};

/** What became of the rows, in words ("12 new, 3 updated, 2 not imported"); for a ready import, what would. */
export function importOutcome(i: CustomerImport): string {
  const n = (x: number | null | undefined) => (x ?? 0).toLocaleString();
  if (i.status === "done" || (i.status === "failed" && i.rowsDone > 0)) {
    const parts = [`${n(i.createdCount)} added`];
    if (i.updatedCount) parts.push(`${n(i.updatedCount)} updated`);
    if (i.skippedCount) parts.push(`${n(i.skippedCount)} skipped`);
    if (i.failedCount) parts.push(`${n(i.failedCount)} not imported`);
    return parts.join(", ");
  }
  if (i.status === "ready") return `${n(i.rowsTotal)} rows read`;
  if (i.status === "failed") return i.errorMessage ?? "";
  return "";
}

/** The words for a row's state in the preview. */
export const ROW_STATE_LABEL: Record<string, string> = {
  new: "New",
  duplicate: "Already a customer",
  file_duplicate: "Twice in the file",
  invalid: "Cannot import",
  created: "Added",
  updated: "Updated",
  skipped: "Skipped",
  failed: "Not imported",
};

export const ROW_STATE_COLOR: Record<string, ChipColor> = {
  new: "success",
  duplicate: "info",
  file_duplicate: "warning",
  invalid: "error",
  created: "success",
  updated: "info",
  skipped: "default",
  failed: "error",
};
