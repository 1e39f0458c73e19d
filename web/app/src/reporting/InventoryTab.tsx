// Inventory: stock on hand per location and item, with a low-stock badge and filter.
import {
  Alert, Box, Card, Chip, FormControlLabel, Stack, Switch, Table, TableBody, TableCell, TableContainer, TableHead,
  TableRow, Typography,
} from "@mui/material";
import { useState } from "react";
import { useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
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
        <TableContainer component={Card}>
          <Table size="small" aria-label="Stock levels">
            <TableHead>
              <TableRow>
                <TableCell>Location</TableCell>
                <TableCell>Item</TableCell>
                <TableCell align="right">On hand</TableCell>
                <TableCell align="right">Threshold</TableCell>
                <TableCell>Status</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {rows.map((r) => (
                <TableRow key={`${r.locationId}/${r.inventoryItemId}`}>
                  <TableCell>{r.locationName}</TableCell>
                  <TableCell>{r.itemName}</TableCell>
                  <TableCell align="right">{r.onHand}</TableCell>
                  <TableCell align="right">{r.lowStockThreshold}</TableCell>
                  <TableCell>
                    {r.isBelowThreshold ? (
                      <Chip size="small" color="error" label="Low stock" />
                    ) : (
                      <Chip size="small" color="success" variant="outlined" label="OK" />
                    )}
                  </TableCell>
                </TableRow>
              ))}
              {rows.length === 0 && (
                <TableRow>
                  <TableCell colSpan={5}>
                    <Typography color="text.secondary">
                      {lowOnly ? "Nothing is low on stock." : "No stock has been recorded yet."}
                    </Typography>
                  </TableCell>
                </TableRow>
              )}
            </TableBody>
          </Table>
        </TableContainer>
      )}
    </Stack>
  );
}
