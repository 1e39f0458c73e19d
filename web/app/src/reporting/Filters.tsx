// The filters shared by the report tabs: a date range and a location ("All locations" = none).
// A location is its rowId, what the reports' locationId and the exports' location_id take (not
// the global node id).
import { MenuItem, TextField } from "@mui/material";
import { useQuery } from "urql";
import { LocationsQuery } from "../settings/queries.ts";

export const ALL = "";

export function LocationFilter({ value, onChange }: { value: string; onChange(id: string): void }) {
  const [{ data }] = useQuery({ query: LocationsQuery });
  const locations = data?.locations?.nodes ?? [];
  return (
    <TextField
      select
      size="small"
      label="Location"
      value={locations.some((l) => l.rowId === value) ? value : ALL}
      onChange={(e) => onChange(e.target.value)}
      sx={{ minWidth: 200 }}
    >
      <MenuItem value={ALL}>All locations</MenuItem>
      {locations.map((l) => (
        <MenuItem key={l.id} value={l.rowId}>
          {l.name}
        </MenuItem>
      ))}
    </TextField>
  );
}

export interface Range {
  from: string;
  to: string;
}

export function DateRange({ value, onChange }: { value: Range; onChange(range: Range): void }) {
  return (
    <>
      <TextField
        type="date"
        size="small"
        label="From"
        value={value.from}
        onChange={(e) => e.target.value && onChange({ ...value, from: e.target.value })}
        slotProps={{ inputLabel: { shrink: true }, htmlInput: { max: value.to } }}
      />
      <TextField
        type="date"
        size="small"
        label="To"
        value={value.to}
        onChange={(e) => e.target.value && onChange({ ...value, to: e.target.value })}
        slotProps={{ inputLabel: { shrink: true }, htmlInput: { min: value.from } }}
      />
    </>
  );
}
