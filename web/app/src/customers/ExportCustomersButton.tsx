// "Export" on the Customers page: the customers export (every profile column, the file the
// customer import reads back) of what the list shows — its status and tags, or, while the search
// box holds text, every customer the search finds (active and archived, as the list's search).
// The export itself (request, progress, download) is the Reports tabs' ExportButton. Shown to
// members with reports.export whose plan has reports (the export is a reporting feature: NOMOD
// otherwise) and who see phones in full (customers.view_contact: the file holds them so).
import { ExportButton } from "../reporting/ExportButton.tsx";
import { useEntitlements } from "../reporting/useEntitlements.ts";
import { useCan } from "../shell/ViewerContext.tsx";

export interface CustomerListFilter {
  status: "active" | "archived";
  tags: readonly string[];
  /** The search box's text ("" when empty). */
  q: string;
  /** Whether loyalty class, customer type, tier or "repeat customers only" narrow the list: the export does not apply them. */
  narrowed?: boolean;
}

/** The export's parameters for what the list shows (app_private.export_customer_params). */
export function customerExportParams(filter: CustomerListFilter): Record<string, unknown> {
  const search = filter.q.trim();
  if (search) return { status: "all", search };
  return { status: filter.status, ...(filter.tags.length ? { tag: [...filter.tags] } : {}) };
}

function describe(filter: CustomerListFilter): string {
  const search = filter.q.trim();
  if (search) return `Download every customer matching “${search}” (active and archived) as CSV.`;
  const tagged = filter.tags.length ? ` tagged ${filter.tags.join(" and ")}` : "";
  const not = filter.narrowed ? " The loyalty, type, tier, kind and repeat filters are not applied to the file." : "";
  return `Download the ${filter.status} customers${tagged} as CSV, with every profile column.${not}`;
}

export function ExportCustomersButton({ filter }: { filter: CustomerListFilter }) {
  const entitlements = useEntitlements();
  const seesPhones = useCan("customers.view_contact");
  if (!seesPhones) return null;
  if (!entitlements.ready || entitlements.check(["reporting"]).kind !== "included") return null;
  return <ExportButton kind="customers" params={customerExportParams(filter)} label="Export" title={describe(filter)} inline />;
}
