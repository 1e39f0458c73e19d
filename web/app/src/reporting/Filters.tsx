// The filters shared by the report tabs: a period (a preset, or Custom with its own dates) and a
// location ("All locations" = none). A location is its rowId, what the reports' locationId and
// the exports' location_id take (not the global node id).
import { MenuItem, TextField } from "@mui/material";
import { useRef } from "react";
import { useQuery } from "urql";
import { LocationsQuery } from "../settings/queries.ts";
import { PRESETS, presetDates, type Preset } from "./presets.ts";

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
      // A select shows nothing for the empty value unless told to: "All locations" is that value.
      slotProps={{ select: { displayEmpty: true }, inputLabel: { shrink: true } }}
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
  /** The preset the dates came from; "custom" once they are edited by hand. */
  preset: Preset;
}

/** A preset's range as of now (the first range of the page, and each choice of a preset). */
export function rangeOf(preset: Exclude<Preset, "custom">): Range {
  return { ...presetDates(preset)!, preset };
}

export function DateRange({ value, onChange }: { value: Range; onChange(range: Range): void }) {
  const fromInput = useRef<HTMLInputElement>(null);
  const choose = (preset: Preset) => {
    const dates = presetDates(preset);
    onChange(dates ? { ...dates, preset } : { ...value, preset });
    // Custom keeps the dates and hands over to them.
    if (!dates) setTimeout(() => fromInput.current?.focus());
  };
  return (
    <>
      <TextField
        select
        size="small"
        label="Period"
        value={value.preset}
        onChange={(e) => choose(e.target.value as Preset)}
        sx={{ minWidth: 160 }}
      >
        {PRESETS.map((p) => (
          <MenuItem key={p.key} value={p.key}>
            {p.label}
          </MenuItem>
        ))}
      </TextField>
      <TextField
        type="date"
        size="small"
        label="From"
        value={value.from}
        inputRef={fromInput}
        onChange={(e) => e.target.value && onChange({ ...value, from: e.target.value, preset: "custom" })}
        slotProps={{ inputLabel: { shrink: true }, htmlInput: { max: value.to } }}
      />
      <TextField
        type="date"
        size="small"
        label="To"
        value={value.to}
        onChange={(e) => e.target.value && onChange({ ...value, to: e.target.value, preset: "custom" })}
        slotProps={{ inputLabel: { shrink: true }, htmlInput: { min: value.from } }}
      />
    </>
  );
}
