// The item grid: active catalog items, searched by name or SKU in the database. A tap adds one
// to the cart; Enter in the search box adds the item whose SKU was typed (or scanned), or the
// only match. With nothing to sell yet, it says so and lets a catalog manager add an item.
import {
  Alert,
  Box,
  Button,
  ButtonBase,
  Card,
  CardContent,
  InputAdornment,
  LinearProgress,
  Stack,
  TextField,
  Typography,
} from "@mui/material";
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { AddIcon, SearchIcon } from "../ui/icons.tsx";
import { Loading } from "../ui/Loading.tsx";
import { AddItemDialog } from "./AddItemDialog.tsx";
import { PosCatalogQuery, type CatalogItem } from "./queries.ts";
import { useMoney } from "../ui/useMoney.ts";

const PAGE = 60;

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

export function ItemsPanel({ canManageCatalog, onAdd }: { canManageCatalog: boolean; onAdd(item: CatalogItem): void }) {
  const money = useMoney();
  const [search, setSearch] = useState("");
  const [adding, setAdding] = useState(false);
  const term = useDebounced(search.trim(), 200);
  const variables = useMemo(
    () => ({
      first: PAGE,
      // No filter at all without a search (the API refuses a null filter).
      filter: term ? { or: [{ name: { includesInsensitive: term } }, { sku: { includesInsensitive: term } }] } : undefined,
    }),
    [term],
  );
  // Refetched after any mutation that returns a CatalogItem, even while the grid is empty.
  const context = useMemo(() => ({ additionalTypenames: ["CatalogItem"] }), []);
  const [{ data, error, fetching, operation }] = useQuery({ query: PosCatalogQuery, variables, context });

  // Keep showing the last answer while the next search runs, so the grid does not flicker.
  const last = useRef<{ term: string; items: CatalogItem[]; more: boolean } | null>(null);
  if (data?.catalogItems && JSON.stringify(operation?.variables.filter ?? null) === JSON.stringify(variables.filter ?? null)) {
    last.current = {
      term,
      // Inactive items cannot be sold; the API cannot filter on `active`, so they are left out here.
      items: data.catalogItems.nodes.filter((i) => i.active),
      more: data.catalogItems.pageInfo.hasNextPage,
    };
  }
  const shown = last.current;
  const upToDate = shown?.term === search.trim() && !fetching;

  // Enter (a scanner sends one after the SKU) acts once the results for what was typed are in.
  const [enterPending, setEnterPending] = useState(false);
  useEffect(() => {
    if (!enterPending || !shown || !upToDate) return;
    setEnterPending(false);
    const typed = search.trim().toUpperCase();
    const pick = shown.items.find((i) => i.sku === typed) ?? (shown.items.length === 1 ? shown.items[0] : undefined);
    if (pick) {
      onAdd(pick);
      setSearch("");
    }
  }, [enterPending, shown, upToDate, search, onAdd]);

  function onKeyDown(event: KeyboardEvent) {
    if (event.key !== "Enter" || !search.trim()) return;
    event.preventDefault();
    setEnterPending(true);
  }

  const nothingToSell = shown && !shown.term && shown.items.length === 0 && !shown.more;

  return (
    <Card>
      <CardContent>
        <Stack direction="row" spacing={2} sx={{ alignItems: "center", justifyContent: "space-between", mb: 2 }}>
          <Typography variant="h6" component="h2">
            Items
          </Typography>
          {canManageCatalog && !nothingToSell && (
            <Button size="small" startIcon={<AddIcon />} onClick={() => setAdding(true)}>
              Add item
            </Button>
          )}
        </Stack>
        {!nothingToSell && (
          <TextField
            label="Search items"
            placeholder="Name or SKU"
            size="small"
            value={search}
            onChange={(e) => {
              setSearch(e.target.value);
              setEnterPending(false);
            }}
            onKeyDown={onKeyDown}
            autoComplete="off"
            slotProps={{
              input: {
                startAdornment: (
                  <InputAdornment position="start">
                    <SearchIcon fontSize="small" />
                  </InputAdornment>
                ),
              },
            }}
            sx={{ mb: 2 }}
          />
        )}
        <Box sx={{ height: 4, mb: 1 }}>{fetching && shown && <LinearProgress aria-label="Searching" />}</Box>
        {error && (
          <Alert severity="error" sx={{ mb: 2 }}>
            {errorMessage(error)}
          </Alert>
        )}
        {!shown && fetching ? (
          <Loading />
        ) : nothingToSell ? (
          <Box sx={{ textAlign: "center", py: 5 }}>
            <Typography variant="h6" component="p" gutterBottom>
              There is nothing to sell yet
            </Typography>
            <Typography color="text.secondary" sx={{ mb: 2 }}>
              {canManageCatalog
                ? "Add the first item of your catalog, with its price, and ring it up straight away."
                : "The catalog has no items for sale. Ask a manager to add some."}
            </Typography>
            {canManageCatalog && (
              <Button variant="contained" startIcon={<AddIcon />} onClick={() => setAdding(true)}>
                Add your first item
              </Button>
            )}
          </Box>
        ) : shown && shown.items.length === 0 ? (
          <Typography color="text.secondary" sx={{ py: 4, textAlign: "center" }}>
            No item matches “{shown.term}”.
          </Typography>
        ) : (
          shown && (
            <>
              <Box
                role="list"
                aria-label="Items for sale"
                sx={{ display: "grid", gridTemplateColumns: "repeat(auto-fill, minmax(140px, 1fr))", gap: 1.5 }}
              >
                {shown.items.map((item) => (
                  <Box role="listitem" key={item.id} sx={{ display: "flex" }}>
                    <ButtonBase
                      onClick={() => onAdd(item)}
                      sx={{
                        flex: 1,
                        display: "flex",
                        flexDirection: "column",
                        alignItems: "flex-start",
                        justifyContent: "space-between",
                        textAlign: "left",
                        gap: 1,
                        p: 1.5,
                        minHeight: 96,
                        border: 1,
                        borderColor: "divider",
                        borderRadius: 2,
                        bgcolor: "background.paper",
                        transition: "border-color 120ms, background-color 120ms",
                        "&:hover": { borderColor: "primary.main", bgcolor: "action.hover" },
                        "&.Mui-focusVisible": { borderColor: "primary.main", boxShadow: 2 },
                      }}
                    >
                      <Box>
                        <Typography sx={{ fontWeight: 600, lineHeight: 1.25 }}>{item.name}</Typography>
                        <Typography variant="caption" color="text.secondary">
                          {item.sku}
                        </Typography>
                      </Box>
                      <Typography sx={{ fontWeight: 600, color: "primary.main" }}>{money.format(item.price)}</Typography>
                    </ButtonBase>
                  </Box>
                ))}
              </Box>
              {shown.more && (
                <Typography variant="body2" color="text.secondary" sx={{ mt: 2 }}>
                  Showing the first {PAGE} items; search to find others.
                </Typography>
              )}
            </>
          )
        )}
      </CardContent>
      {canManageCatalog && <AddItemDialog open={adding} onClose={() => setAdding(false)} />}
    </Card>
  );
}
