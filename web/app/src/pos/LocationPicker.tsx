// Which shop the till is in. The choice is remembered in this browser, per business, so a
// register keeps its location across reloads and sign-ins.
import { MenuItem, TextField } from "@mui/material";
import { useCallback, useState } from "react";
import type { PosLocation } from "./queries.ts";

const storageKey = (tenantRowId: string) => `backoffice.pos.location.${tenantRowId}`;

function readStored(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null; // storage disabled: the first location is used
  }
}

/** The chosen location's row id (remembered), falling back to the first location. */
export function useStoredLocation(tenantRowId: string, locations: PosLocation[] | undefined) {
  const key = storageKey(tenantRowId);
  const [stored, setStored] = useState<string | null>(() => readStored(key));
  const choose = useCallback(
    (rowId: string) => {
      setStored(rowId);
      try {
        window.localStorage.setItem(key, rowId);
      } catch {
        // not remembered, still used
      }
    },
    [key],
  );
  const location = locations?.find((l) => l.rowId === stored) ?? locations?.[0] ?? null;
  return [location, choose] as const;
}

export function LocationPicker({
  locations,
  value,
  onChange,
  disabled,
}: {
  locations: PosLocation[];
  value: PosLocation | null;
  onChange(rowId: string): void;
  disabled?: boolean;
}) {
  return (
    <TextField
      select
      size="small"
      label="Location"
      value={value?.rowId ?? ""}
      onChange={(e) => onChange(e.target.value)}
      disabled={disabled}
      fullWidth={false}
      sx={{ minWidth: 220 }}
    >
      {locations.map((l) => (
        <MenuItem key={l.id} value={l.rowId}>
          {l.name}
        </MenuItem>
      ))}
    </TextField>
  );
}
