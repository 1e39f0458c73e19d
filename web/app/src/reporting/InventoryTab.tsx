// Inventory: stock on hand per location and item, with a low-stock badge and filter.
import { Alert, Box, Card, Chip, FormControlLabel, Stack, Switch } from "@mui/material";
import { useState } from "react";
import { useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { DataTable } from "../ui/DataTable.tsx";
import { Loading } from "../ui/Loading.tsx";
import { ExportButton } from "./ExportButton.tsx";
import { LocationFilter } from "./Filters.tsx";
import { InventorySummaryQuery } from "./queries.ts";

export function InventoryTab({ location, onLocation }: { location: string; onLocation(id: string): void }) {
  const [lowOnly, setLowOnly] = useState(false);
  const [{ data, fetching, error }] = useQuery({
    query: InventorySummaryQuery,
    variables: { location: location || null, lowOnly },
    requestPolicy: "cache-and-network",
  });
  const rows = data?.inventorySummary ?? [];

  return (
    <Stack spacing={3}>
      <Stack direction={{ xs: "column", md: "row" }} spacing={2} sx={{ alignItems: { md: "flex-start" } }}>
        <LocationFilter value={location} onChange={onLocation} />
        <FormControlLabel
          control={<Switch checked={lowOnly} onChange={(e) => setLowOnly(e.target.checked)} />}
          label="Low stock only"
        />
        <Box sx={{ flex: 1 }} />
        <ExportButton kind="inventory" params={{ low_only: lowOnly, ...(location ? { location_id: location } : {}) }} />
      </Stack>
      {error && <Alert severity="error">{errorMessage(error)}</Alert>}
      {!data && fetching ? (
        <Loading />
      ) : (
        <Card>
          <DataTable
            label="Stock levels"
            rows={rows}
            rowKey={(r) => `${r.locationId}/${r.inventoryItemId}`}
            hover={false}
            empty={lowOnly ? "Nothing is low on stock." : "No stock has been recorded yet."}
            columns={[
              { header: "Location", cell: (r) => r.locationName },
              { header: "Item", cell: (r) => r.itemName },
              { header: "On hand", align: "right", cell: (r) => r.onHand },
              { header: "Threshold", align: "right", hideBelow: "sm", cell: (r) => r.lowStockThreshold },
              {
                header: "Status",
                cell: (r) =>
                  r.isBelowThreshold ? (
                    <Chip size="small" color="error" label="Low stock" />
                  ) : (
                    <Chip size="small" color="success" variant="outlined" label="OK" />
                  ),
              },
            ]}
          />
        </Card>
      )}
    </Stack>
  );
}
