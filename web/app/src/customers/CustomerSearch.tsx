// Type-ahead over the business's customers (searchCustomers: name, email, phone, tax ID or a company's contact, partial,
// any case; at most 10 hits), keyboard first: ↑/↓ move through the hits, Enter picks the
// highlighted one. Used by the CustomerPicker dialog and the merge flow.
import {
  Box,
  Chip,
  CircularProgress,
  InputAdornment,
  List,
  ListItemButton,
  ListItemText,
  TextField,
  Typography,
} from "@mui/material";
import { useEffect, useId, useMemo, useState, type KeyboardEvent, type ReactNode } from "react";
import { useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { SearchIcon } from "../ui/icons.tsx";
import { SearchCustomersQuery, type CustomerSummary } from "./queries.ts";
import { AltName } from "./AltName.tsx";
import { useDebounced } from "./useDebounced.ts";
import { useFocusOnMount } from "./useFocusOnMount.ts";
import { usePhone } from "../ui/usePhone.ts";

export interface CustomerSearchProps {
  /** What is typed in the box (controlled). */
  text: string;
  onTextChange(text: string): void;
  /** A hit was chosen (click or Enter). */
  onPick(customer: CustomerSummary): void;
  /** Customers not to offer (e.g. the one being merged into). */
  excludeRowIds?: string[];
  /** Offer archived customers too (default: only active ones). */
  includeArchived?: boolean;
  label?: string;
  autoFocus?: boolean;
  /** Shown under the box when the search found nothing (e.g. an offer to add the customer). */
  noMatch?(text: string): ReactNode;
}

export function CustomerSearch({
  text,
  onTextChange,
  onPick,
  excludeRowIds,
  includeArchived = false,
  label = "Search customers",
  autoFocus,
  noMatch,
}: CustomerSearchProps) {
  const id = useId();
  const phone = usePhone();
  const q = useDebounced(text.trim(), 200);
  const [{ data, fetching, error, operation }] = useQuery({ query: SearchCustomersQuery, variables: { q }, pause: !q });
  const hits = useMemo(
    () =>
      (q ? (data?.searchCustomers ?? []) : []).filter(
        (c) => (includeArchived || c.status === "active") && !excludeRowIds?.includes(c.rowId),
      ),
    [q, data, includeArchived, excludeRowIds],
  );
  // The highlighted hit, by customer: it stays put when fresher results for the same text
  // arrive, and goes back to the best hit when the text changes.
  const [activeId, setActiveId] = useState<string | null>(null);
  useEffect(() => setActiveId(null), [text]);
  const active = Math.max(0, hits.findIndex((h) => h.rowId === activeId));
  const setActive = (index: number) => setActiveId(hits[index]?.rowId ?? null);
  const inputRef = useFocusOnMount<HTMLInputElement>(autoFocus);
  // The hits on screen answer exactly what is typed.
  const settled = Boolean(q) && q === text.trim() && !fetching && operation?.variables.q === q;

  // Enter typed before the results for the latest text arrived (a fast typist, a barcode
  // scanner): pick the best hit as soon as they are in.
  const [pendingEnter, setPendingEnter] = useState(false);
  useEffect(() => setPendingEnter(false), [text]);
  useEffect(() => {
    if (pendingEnter && settled && data) {
      setPendingEnter(false);
      const hit = hits[active];
      if (hit) onPick(hit);
    }
  }, [pendingEnter, settled, data, hits, active, onPick]);

  function onKeyDown(event: KeyboardEvent) {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (hits.length) setActive((active + 1) % hits.length);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (hits.length) setActive((active - 1 + hits.length) % hits.length);
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (settled) {
        const hit = hits[active];
        if (hit) onPick(hit);
      } else if (text.trim()) {
        setPendingEnter(true); // the list on screen is for older text
      }
    }
  }

  const listId = `${id}-hits`;
  const optionId = (i: number) => `${id}-hit-${i}`;

  return (
    <Box>
      <TextField
        label={label}
        placeholder="Name, email, phone or tax ID"
        inputRef={inputRef}
        autoComplete="off"
        value={text}
        onChange={(e) => onTextChange(e.target.value)}
        onKeyDown={onKeyDown}
        slotProps={{
          htmlInput: {
            role: "combobox",
            "aria-expanded": hits.length > 0,
            "aria-controls": listId,
            "aria-autocomplete": "list",
            "aria-activedescendant": hits.length ? optionId(active) : undefined,
          },
          input: {
            startAdornment: (
              <InputAdornment position="start">
                <SearchIcon fontSize="small" />
              </InputAdornment>
            ),
            endAdornment: fetching ? (
              <InputAdornment position="end">
                <CircularProgress size={18} aria-label="Searching" />
              </InputAdornment>
            ) : undefined,
          },
        }}
      />
      {error && (
        <Typography color="error" variant="body2" sx={{ mt: 1 }}>
          {errorMessage(error)}
        </Typography>
      )}
      <List id={listId} role="listbox" aria-label="Matching customers" dense sx={{ mt: 1, p: 0 }}>
        {hits.map((c, i) => (
          <ListItemButton
            key={c.id}
            id={optionId(i)}
            role="option"
            aria-selected={i === active}
            selected={i === active}
            onMouseEnter={() => setActive(i)}
            onClick={() => onPick(c)}
            sx={{ borderRadius: 1 }}
          >
            <ListItemText
              primary={
                <Box component="span" sx={{ display: "flex", alignItems: "center", gap: 1 }}>
                  <span>{c.displayName}</span>
                  <AltName name={c.altName} sx={{ color: "text.secondary" }} />
                  <Typography component="span" variant="caption" color="text.secondary">
                    {c.customerNumber}
                  </Typography>
                  {c.status !== "active" && <Chip size="small" label="Archived" variant="outlined" />}
                </Box>
              }
              secondary={
                [c.matchedContact && `Contact: ${c.matchedContact.displayName}`, c.email, phone(c.phone)].filter(Boolean).join(" · ") ||
                (c.kind === "company" ? "Company" : "No email or phone")
              }
            />
          </ListItemButton>
        ))}
      </List>
      {settled && !error && hits.length === 0 && (
        <Box sx={{ py: 1 }}>
          <Typography color="text.secondary" variant="body2">
            No customer matches “{q}”.
          </Typography>
          {noMatch?.(text.trim())}
        </Box>
      )}
    </Box>
  );
}
