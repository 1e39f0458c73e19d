// What to reorder: how many items are at or below their threshold (red when any), and the first
// of them with where and how many are left. DashboardPage shows it when the plan has inventory.
import { Alert, Typography } from "@mui/material";
import { useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { InventorySummaryQuery } from "../reporting/queries.ts";
import { DataTable } from "../ui/DataTable.tsx";
import { reportLink } from "./links.ts";
import { Panel } from "./Panel.tsx";
import { DashboardMetricsQuery } from "./queries.ts";

const SHOWN = 5;

export function LowStockCard() {
  const [metrics] = useQuery({ query: DashboardMetricsQuery, requestPolicy: "cache-and-network" });
  const [{ data, error }] = useQuery({
    query: InventorySummaryQuery,
    variables: { location: null, lowOnly: true },
    requestPolicy: "cache-and-network",
  });
  const count = metrics.data?.dashboardMetrics?.lowStockCount;
  const rows = data?.inventorySummary ?? [];
  const problem = error ?? metrics.error;

  return (
    <Panel title="Low stock" link={{ label: "Stock levels", to: reportLink("inventory") }}>
      {problem && <Alert severity="error">{errorMessage(problem)}</Alert>}
      <Typography variant="h4" component="p" data-testid="metric-low-stock" sx={{ color: count ? "error.main" : undefined }}>
        {count ?? "…"}
      </Typography>
      <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
        {count === 0 ? "Nothing is low on stock." : count === 1 ? "item at or below its threshold" : "items at or below their threshold"}
      </Typography>
      {rows.length > 0 && (
        <DataTable
          label="Low stock"
          rows={rows.slice(0, SHOWN)}
          rowKey={(r) => `${r.locationId}/${r.inventoryItemId}`}
          hover={false}
          columns={[
            {
              header: "Item",
              sx: { overflowWrap: "anywhere" },
              cell: (r) => (
                <>
                  {r.itemName}
                  <Typography variant="caption" color="text.secondary" sx={{ display: "block" }}>
                    {r.locationName}
                  </Typography>
                </>
              ),
            },
            { header: "On hand", align: "right", nowrap: true, sx: { color: "error.main", fontWeight: 600 }, cell: (r) => r.onHand },
            { header: "Threshold", align: "right", nowrap: true, cell: (r) => r.lowStockThreshold },
          ]}
        />
      )}
      {rows.length > SHOWN && (
        <Typography variant="body2" color="text.secondary" sx={{ mt: 1 }}>
          and {rows.length - SHOWN} more
        </Typography>
      )}
    </Panel>
  );
}
