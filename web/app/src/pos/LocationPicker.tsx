// Which shop the till is in. The choice is remembered in this browser, per business, so a
// register keeps its location across reloads and sign-ins. Closed locations sell nothing: they
// are never offered, and a till remembered at one that has since closed moves to the first open
// location.
import { MenuItem, TextField } from "@mui/material";
import { useCallback, useMemo, useState } from "react";
import type { PosLocation } from "./queries.ts";

const isOpen = (l: PosLocation) => !l.closedAt;

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
  const open = useMemo(() => locations?.filter(isOpen), [locations]);
  const location = open?.find((l) => l.rowId === stored) ?? open?.[0] ?? null;
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
      {locations.filter(isOpen).map((l) => (
        <MenuItem key={l.id} value={l.rowId}>
          {l.name}
        </MenuItem>
      ))}
    </TextField>
  );
}
