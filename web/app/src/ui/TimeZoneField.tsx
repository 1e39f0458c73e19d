// A searchable time zone picker: only zones from the list can be chosen, so a typo never
// becomes a value. The server checks the zone again (BADTZ) and its message shows here too.
import { Autocomplete, TextField, createFilterOptions } from "@mui/material";
import { useMemo } from "react";
import { timeZones } from "./timeZones.ts";

const label = (zone: string) => zone.replaceAll("_", " ");
// Matches "New York" as well as "America/New_York".
const filterOptions = createFilterOptions<string>({ stringify: (zone) => `${zone} ${label(zone)}` });

interface Props {
  value: string | null;
  onChange(value: string | null): void;
  error?: string | null;
  helperText?: string;
  label?: string;
  disabled?: boolean;
}

export function TimeZoneField({ value, onChange, error, helperText, label: fieldLabel = "Time zone", disabled }: Props) {
  const options = useMemo(() => timeZones(), []);
  return (
    <Autocomplete
      options={options}
      value={value}
      onChange={(_event, next) => onChange(next)}
      disabled={disabled}
      autoHighlight
      noOptionsText="No time zone matches; try a city such as Paris or New York"
      getOptionLabel={label}
      filterOptions={filterOptions}
      renderInput={(params) => (
        <TextField
          {...params}
          label={fieldLabel}
          name="timezone"
          error={Boolean(error)}
          helperText={error || helperText}
        />
      )}
    />
  );
}
