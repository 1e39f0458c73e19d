// Customers: the directory. With text in the search box it shows the type-ahead's best matches
// (searchCustomers: name, email or phone, partial); otherwise the paginated customerRows
// connection (each customer with its counters and loyalty class), filtered by tags, status,
// loyalty class, customer type and "repeat customers only", and sorted by last visit (the
// default), name or lifetime spend, 25 at a time with "Load more". The search, filters and sort
// live in the URL, so going back from a customer returns to the same list.
import {
  Alert,
  Autocomplete,
  Box,
  Button,
  Card,
  CardContent,
  Checkbox,
  Chip,
  FormControlLabel,
  FormControl,
  InputAdornment,
  InputLabel,
  Link,
  MenuItem,
  Select,
  Stack,
  TextField,
  ToggleButton,
  ToggleButtonGroup,
  Typography,
} from "@mui/material";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link as RouterLink, useNavigate, useSearchParams } from "react-router-dom";
import { useQuery } from "urql";
import { useCustomerChanges } from "./live.ts";
import { errorMessage } from "../lib/errors.ts";
import { useCan } from "../shell/ViewerContext.tsx";
import { AddIcon, SearchIcon, UploadIcon } from "../ui/icons.tsx";
import { Loading } from "../ui/Loading.tsx";
import { NotAllowed } from "../ui/NotAllowed.tsx";
import { PageHeader } from "../ui/PageHeader.tsx";
import { CustomerFormDialog } from "./CustomerFormDialog.tsx";
import { CustomerPicker } from "./CustomerPicker.tsx";
import { ExportCustomersButton } from "./ExportCustomersButton.tsx";
import { CustomersTable, CustomerTableRow, MessageRow } from "./CustomersTable.tsx";
import { LOYALTY_CLASSES, tagList } from "./format.ts";
import {
  CustomersCountQuery,
  CustomersQuery,
  CustomerTypesQuery,
  ListSearchCustomersQuery,
  type CustomerRowFilter,
  type CustomerRowOrderBy,
  type CustomerSummary,
  type ListedCustomer,
  type LoyaltyClass,
} from "./queries.ts";
import { CustomerTierFields, CustomerTiersQuery } from "./tierQueries.ts";
import { StageFilter } from "./CustomerStage.tsx";
import { useDebounced } from "./useDebounced.ts";
import { readFragment } from "../graphql.ts";

const PAGE_SIZE = 25;
// A command on a customer answers with a Customer; the list is made of CustomerRows.
const CONTEXT = { additionalTypenames: ["Customer", "CustomerRow"] };
const TYPES_CONTEXT = { additionalTypenames: ["CustomerType"] };
const TIERS_CONTEXT = { additionalTypenames: ["CustomerTier"] };

/** The class filter's choices: a class, or "none" for customers with no visit yet (no class). */
const CLASS_VALUES: readonly (LoyaltyClass | "none")[] = [...LOYALTY_CLASSES.map((c) => c.value), "none"];

/** The classes from the customers who come most to those who stopped, for the sort by class. */
const CLASS_ORDER = ["regular", "returning", "new", "lapsed", "one_time"] as const;

type Sort = "lastVisit" | "name" | "spend" | "class";
type Status = "active" | "archived";

/**
 * A sort is read as one or more segments, each a filter and an order. "Last visit" lists those
 * who came (latest first), then those who never did (newest first): PostgreSQL would otherwise
 * put the never-visited first.
 */
type Segment = { filter: CustomerRowFilter; orderBy: CustomerRowOrderBy[] };
const SEGMENTS: Record<Sort, Segment[]> = {
  lastVisit: [
    { filter: { lastVisitAt: { isNull: false } }, orderBy: ["LAST_VISIT_AT_DESC"] },
    { filter: { lastVisitAt: { isNull: true } }, orderBy: ["ROW_ID_DESC"] },
  ],
  name: [{ filter: {}, orderBy: ["DISPLAY_NAME_ASC"] }],
  spend: [{ filter: {}, orderBy: ["TOTAL_SPEND_DESC", "DISPLAY_NAME_ASC"] }],
  // Best customers first: a class after the other (latest visit first in each), then those with no visit.
  class: [
    ...CLASS_ORDER.map((c): Segment => ({ filter: { loyaltyClass: { equalTo: c } }, orderBy: ["LAST_VISIT_AT_DESC", "ROW_ID_DESC"] })),
    { filter: { loyaltyClass: { isNull: true } }, orderBy: ["ROW_ID_DESC"] },
  ],
};

/**
 * The list's filter within one segment of the sort: both must hold (the class filter and the
 * class sort's segment name the same field). The API refuses an empty object in `and`.
 */
const withSegment = (filter: CustomerRowFilter, segment: CustomerRowFilter): CustomerRowFilter => (Object.keys(segment).length ? { ...filter, and: [segment] } : filter);

const SORT_LABEL: Record<Sort, string> = { lastVisit: "Last visit", name: "Name", spend: "Total spend", class: "Loyalty class" };
const isSort = (value: string | null): value is Sort => value != null && value in SORT_LABEL;

export function CustomersPage() {
  const canView = useCan("customers.view");
  const canCreate = useCan("customers.create");
  const canImport = useCan("customers.import");
  const canMerge = useCan("customers.merge");
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const [adding, setAdding] = useState(false);
  const [finding, setFinding] = useState(false);
  const [added, setAdded] = useState<CustomerSummary | null>(null);
  const [seenTags, setSeenTags] = useState<string[]>([]);
  const [{ data: typesData }] = useQuery({ query: CustomerTypesQuery, context: TYPES_CONTEXT, pause: !canView });
  const types = useMemo(() => typesData?.customerTypes?.nodes ?? [], [typesData]);
  const [{ data: tiersData }] = useQuery({ query: CustomerTiersQuery, context: TIERS_CONTEXT, pause: !canView });
  const tiers = useMemo(() => readFragment(CustomerTierFields, tiersData?.customerTiers?.nodes ?? []), [tiersData]);

  const q = params.get("q") ?? "";
  const tags = params.getAll("tag");
  const status: Status = params.get("status") === "archived" ? "archived" : "active";
  const sortParam = params.get("sort");
  const sort: Sort = isSort(sortParam) ? sortParam : "lastVisit";
  const classParam = params.get("class") ?? "";
  const loyalty = CLASS_VALUES.find((c) => c === classParam) ?? "";
  const type = params.get("type") ?? ""; // a type's row id, or "none"
  const tier = params.get("tier") ?? ""; // a tier's row id, or "none"
  const repeatOnly = params.get("repeat") === "1";
  const kind = params.get("kind") ?? ""; // "person", "company" or all
  const stage = params.get("stage") ?? ""; // "guest", "stub", "full" or all

  // Two quick changes (remove a tag, then pick a status) must not lose the first: each change
  // starts from the latest parameters, even before the page has re-rendered with them.
  const latest = useRef(params);
  latest.current = params;
  const update = useCallback(
    (change: (p: URLSearchParams) => void) => {
      const next = new URLSearchParams(latest.current);
      change(next);
      latest.current = next;
      setParams(next, { replace: true });
    },
    [setParams],
  );
  const setQ = (value: string) => update((p) => (value ? p.set("q", value) : p.delete("q")));
  const addTag = (tag: string) => {
    const t = tag.trim();
    if (!t || tags.some((x) => x.toLowerCase() === t.toLowerCase())) return;
    update((p) => {
      p.append("tag", t);
      p.delete("q");
    });
  };
  const removeTag = (tag: string) =>
    update((p) => {
      const rest = p.getAll("tag").filter((x) => x !== tag);
      p.delete("tag");
      for (const t of rest) p.append("tag", t);
    });

  const seeTags = useCallback((rows: { tags: unknown }[]) => {
    setSeenTags((prev) => {
      const next = [...prev];
      for (const r of rows) for (const t of tagList(r.tags)) if (!next.some((x) => x.toLowerCase() === t.toLowerCase())) next.push(t);
      return next.length === prev.length ? prev : next.sort((a, b) => a.localeCompare(b));
    });
  }, []);

  if (!canView) {
    return (
      <>
        <PageHeader title="Customers" />
        <NotAllowed what="customers" />
      </>
    );
  }

  const searching = q.trim() !== "";
  const baseFilter: CustomerRowFilter = {
    status: { equalTo: status },
    ...(tags.length ? { tags: { contains: tags } } : {}),
    ...(loyalty === "none" ? { loyaltyClass: { isNull: true } } : loyalty ? { loyaltyClass: { equalTo: loyalty } } : {}),
    ...(type === "none" ? { customerTypeId: { isNull: true } } : type ? { customerTypeId: { equalTo: type } } : {}),
    ...(tier === "none" ? { tierId: { isNull: true } } : tier ? { tierId: { equalTo: tier } } : {}),
    ...(repeatOnly ? { isRepeat: { equalTo: true } } : {}),
    ...(kind === "person" || kind === "company" ? { kind: { equalTo: kind } } : {}),
    ...(stage === "guest" || stage === "stub" || stage === "full" ? { stage: { equalTo: stage } } : {}),
  };
  const narrowed = Boolean(loyalty || type || tier || repeatOnly || kind || stage);
  const setParam = (key: string, value: string) => update((p) => (value ? p.set(key, value) : p.delete(key)));

  return (
    <>
      {/* Like PageHeader, but the buttons go under the title on a phone. */}
      <Box sx={{ display: "flex", alignItems: "flex-start", justifyContent: "space-between", gap: 2, mb: 3, flexWrap: "wrap" }}>
        <Box>
          <Typography variant="h4" component="h1">
            Customers
          </Typography>
          <Typography color="text.secondary" sx={{ mt: 0.5 }}>
            The people who buy from you.
          </Typography>
        </Box>
        {/* Five actions for an owner: they wrap onto a second line rather than widen a phone's page. */}
        <Stack direction="row" spacing={1} useFlexGap sx={{ flexWrap: "wrap" }}>
          {canMerge && (
            <Button component={RouterLink} to="/customers/duplicates">
              Possible duplicates
            </Button>
          )}
          <Button variant="outlined" startIcon={<SearchIcon />} onClick={() => setFinding(true)}>
            Quick find
          </Button>
          <ExportCustomersButton filter={{ status, tags, q, narrowed }} />
          {canImport && (
            <Button variant="outlined" startIcon={<UploadIcon />} component={RouterLink} to="/customers/imports">
              Import
            </Button>
          )}
          {canCreate && (
            <Button variant="contained" startIcon={<AddIcon />} onClick={() => setAdding(true)}>
              Add customer
            </Button>
          )}
        </Stack>
      </Box>

      {added && (
        <Alert severity="success" onClose={() => setAdded(null)} sx={{ mb: 2 }}>
          Added {added.displayName} ({added.customerNumber}).{" "}
          <Link component={RouterLink} to={`/customers/${added.rowId}`}>
            Open
          </Link>
        </Alert>
      )}

      <Card>
        <CardContent>
          <Stack direction={{ xs: "column", md: "row" }} spacing={2} sx={{ mb: 2, alignItems: { md: "center" } }}>
            <TextField
              label="Search customers"
              placeholder="Name, email or phone"
              value={q}
              onChange={(e) => setQ(e.target.value)}
              autoComplete="off"
              sx={{ flex: 2 }}
              slotProps={{
                input: {
                  startAdornment: (
                    <InputAdornment position="start">
                      <SearchIcon fontSize="small" />
                    </InputAdornment>
                  ),
                },
              }}
            />
            <TagFilterInput suggestions={seenTags.filter((t) => !tags.includes(t))} onAdd={addTag} disabled={searching} />
            <FormControl sx={{ minWidth: 160 }} disabled={searching}>
              <InputLabel id="customers-sort-label">Sort by</InputLabel>
              <Select
                labelId="customers-sort-label"
                label="Sort by"
                value={sort}
                onChange={(e) => update((p) => (e.target.value === "lastVisit" ? p.delete("sort") : p.set("sort", e.target.value)))}
              >
                {(Object.keys(SORT_LABEL) as Sort[]).map((s) => (
                  <MenuItem key={s} value={s}>
                    {SORT_LABEL[s]}
                  </MenuItem>
                ))}
              </Select>
            </FormControl>
          </Stack>

          <Stack direction="row" spacing={2} useFlexGap sx={{ mb: 1, alignItems: "center", flexWrap: "wrap", rowGap: 1 }}>
            <ToggleButtonGroup
              size="small"
              exclusive
              value={status}
              disabled={searching}
              aria-label="Status"
              onChange={(_e, v: Status | null) => v && update((p) => (v === "active" ? p.delete("status") : p.set("status", v)))}
            >
              <ToggleButton value="active">Active</ToggleButton>
              <ToggleButton value="archived">Archived</ToggleButton>
            </ToggleButtonGroup>
            <FormControl size="small" sx={{ minWidth: 170 }} disabled={searching}>
              <InputLabel id="customers-class-label" shrink>Loyalty</InputLabel>
              <Select
                labelId="customers-class-label"
                label="Loyalty"
                value={loyalty}
                displayEmpty
                notched
                onChange={(e) => setParam("class", e.target.value)}
              >
                <MenuItem value="">All classes</MenuItem>
                {LOYALTY_CLASSES.map((c) => (
                  <MenuItem key={c.value} value={c.value}>
                    {c.label}
                  </MenuItem>
                ))}
                <MenuItem value="none">No visits yet</MenuItem>
              </Select>
            </FormControl>
            <FormControl size="small" sx={{ minWidth: 170 }} disabled={searching}>
              <InputLabel id="customers-type-label" shrink>Customer type</InputLabel>
              <Select
                labelId="customers-type-label"
                label="Customer type"
                // A type from the address that is not (or not yet) among the types reads as all.
                value={type === "none" || types.some((t) => t.rowId === type) ? type : ""}
                displayEmpty
                notched
                onChange={(e) => setParam("type", e.target.value)}
              >
                <MenuItem value="">All types</MenuItem>
                {types.map((t) => (
                  <MenuItem key={t.rowId} value={t.rowId}>
                    {t.label}
                  </MenuItem>
                ))}
                <MenuItem value="none">No type</MenuItem>
              </Select>
            </FormControl>
            <ToggleButtonGroup
              size="small"
              exclusive
              value={kind}
              disabled={searching}
              aria-label="Kind"
              onChange={(_e, v: string | null) => v !== null && setParam("kind", v)}
            >
              <ToggleButton value="">All</ToggleButton>
              <ToggleButton value="person">People</ToggleButton>
              <ToggleButton value="company">Companies</ToggleButton>
            </ToggleButtonGroup>
            <StageFilter value={stage} disabled={searching} onChange={(v) => setParam("stage", v)} />
            <FormControl size="small" sx={{ minWidth: 150 }} disabled={searching}>
              <InputLabel id="customers-tier-label" shrink>Tier</InputLabel>
              <Select
                labelId="customers-tier-label"
                label="Tier"
                value={tier === "none" || tiers.some((t) => t.rowId === tier) ? tier : ""}
                displayEmpty
                notched
                onChange={(e) => setParam("tier", e.target.value)}
              >
                <MenuItem value="">All tiers</MenuItem>
                {tiers.map((t) => (
                  <MenuItem key={t.rowId} value={t.rowId}>
                    {t.name}
                  </MenuItem>
                ))}
                <MenuItem value="none">No tier</MenuItem>
              </Select>
            </FormControl>
            <FormControlLabel
              disabled={searching}
              control={<Checkbox size="small" checked={repeatOnly} onChange={(e) => setParam("repeat", e.target.checked ? "1" : "")} />}
              label="Repeat customers only"
              title="Customers with two visits or more"
            />
            {tags.map((t) => (
              <Chip key={t} label={`Tag: ${t}`} color="primary" variant="outlined" onDelete={() => removeTag(t)} disabled={searching} />
            ))}
            {!searching && seenTags.filter((t) => !tags.includes(t)).length > 0 && (
              <Box sx={{ display: "flex", gap: 0.5, flexWrap: "wrap", alignItems: "center" }} aria-label="Tags on this page">
                <Typography variant="caption" color="text.secondary" sx={{ mr: 0.5 }}>
                  Tags:
                </Typography>
                {seenTags
                  .filter((t) => !tags.includes(t))
                  .slice(0, 12)
                  .map((t) => (
                    <Chip key={t} size="small" label={t} variant="outlined" onClick={() => addTag(t)} />
                  ))}
              </Box>
            )}
          </Stack>

          {searching ? (
            <SearchResults q={q} onRows={seeTags} />
          ) : (
            <PagedList
              key={JSON.stringify([baseFilter, sort])}
              filter={baseFilter}
              sort={sort}
              onRows={seeTags}
              onTag={addTag}
              emptyText={
                narrowed
                  ? `No ${status} customers match these filters.`
                  : tags.length
                  ? `No ${status} customers tagged ${tags.join(" and ")}.`
                  : status === "archived"
                    ? "No archived customers."
                    : canCreate
                      ? "No customers yet. Add the first one, or they will appear as the till records them."
                      : "No customers yet."
              }
            />
          )}
        </CardContent>
      </Card>

      <CustomerFormDialog
        open={adding}
        onClose={() => setAdding(false)}
        onSaved={(c) => setAdded(c)}
        tagSuggestions={seenTags}
      />
      <CustomerPicker
        open={finding}
        title="Quick find"
        includeArchived
        onClose={() => setFinding(false)}
        onSelect={(c) => {
          setFinding(false);
          navigate(`/customers/${c.rowId}`);
        }}
      />
    </>
  );
}

/** A tag to filter by: type it (Enter) or pick one seen on the page. */
function TagFilterInput({ suggestions, onAdd, disabled }: { suggestions: string[]; onAdd(tag: string): void; disabled: boolean }) {
  const [input, setInput] = useState("");
  return (
    <Autocomplete
      freeSolo
      disabled={disabled}
      options={suggestions}
      value={null}
      inputValue={input}
      onInputChange={(_e, v) => setInput(v)}
      onChange={(_e, v) => {
        if (typeof v === "string" && v.trim()) onAdd(v);
        setInput("");
      }}
      sx={{ flex: 1, minWidth: 180 }}
      renderInput={(params) => <TextField {...params} label="Filter by tag" placeholder="Type a tag, press Enter" />}
    />
  );
}

function SearchResults({ q, onRows }: { q: string; onRows(rows: ListedCustomer[]): void }) {
  const term = useDebounced(q.trim(), 200);
  const [{ data, error, fetching }] = useQuery({ query: ListSearchCustomersQuery, variables: { q: term }, pause: !term, context: CONTEXT });
  const rows = useMemo<ListedCustomer[]>(
    () => (data?.searchCustomers ?? []).map(({ stats, ...c }) => ({ ...c, loyaltyClass: stats?.loyaltyClass ?? null })),
    [data],
  );
  useEffect(() => onRows(rows), [rows, onRows]);
  return (
    <>
      <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }} data-testid="customers-summary">
        {fetching || term !== q.trim() ? "Searching…" : `Best matches for “${term}” (at most 10), active and archived. Clear the search to filter and sort.`}
      </Typography>
      {error && <Alert severity="error">{errorMessage(error)}</Alert>}
      <CustomersTable label="Customers">
        {rows.map((c) => (
          <CustomerTableRow key={c.id} customer={c} />
        ))}
        {!rows.length && !fetching && term === q.trim() && !error && <MessageRow>No customer matches “{term}”.</MessageRow>}
      </CustomersTable>
    </>
  );
}

interface Chunk {
  segment: number;
  after: string | null;
}

interface ChunkInfo {
  hasNextPage: boolean;
  endCursor: string | null;
  count: number;
}

function PagedList({
  filter,
  sort,
  onRows,
  onTag,
  emptyText,
}: {
  filter: CustomerRowFilter;
  sort: Sort;
  onRows(rows: ListedCustomer[]): void;
  onTag(tag: string): void;
  emptyText: string;
}) {
  const segments = SEGMENTS[sort];
  const [chunks, setChunks] = useState<Chunk[]>([{ segment: 0, after: null }]);
  const [infos, setInfos] = useState<Record<number, ChunkInfo>>({});
  const [{ data: countData }] = useQuery({ query: CustomersCountQuery, variables: { filter }, context: CONTEXT });
  const total = countData?.customerRows?.totalCount;

  const lastIndex = chunks.length - 1;
  const last = chunks[lastIndex]!;
  const lastInfo = infos[lastIndex];

  // A segment that has run out continues with the next one straight away.
  useEffect(() => {
    if (lastInfo && !lastInfo.hasNextPage && last.segment + 1 < segments.length) {
      setChunks((c) => [...c, { segment: last.segment + 1, after: null }]);
    }
  }, [lastInfo, last.segment, segments.length]);

  const loaded = Object.values(infos).reduce((n, i) => n + i.count, 0);
  const more = lastInfo?.hasNextPage ?? false;
  const loadingFirst = !infos[0];
  const shown = chunks.every((_c, i) => infos[i]);

  return (
    <>
      <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }} data-testid="customers-summary">
        {total == null ? " " : total === 1 ? "1 customer" : `${total.toLocaleString()} customers`}
        {total != null && loaded < total ? ` · showing ${loaded}` : ""}
      </Typography>
      <CustomersTable>
        {chunks.map((chunk, i) => (
          <ChunkRows
            key={`${chunk.segment}:${chunk.after ?? ""}`}
            filter={withSegment(filter, segments[chunk.segment]!.filter)}
            orderBy={segments[chunk.segment]!.orderBy}
            after={chunk.after}
            onRows={onRows}
            onTag={onTag}
            onInfo={(info) =>
              setInfos((prev) =>
                prev[i]?.hasNextPage === info.hasNextPage && prev[i]?.endCursor === info.endCursor && prev[i]?.count === info.count
                  ? prev
                  : { ...prev, [i]: info },
              )
            }
          />
        ))}
        {shown && loaded === 0 && <MessageRow>{emptyText}</MessageRow>}
      </CustomersTable>
      {loadingFirst && <Loading />}
      {more && (
        <Box sx={{ display: "flex", justifyContent: "center", pt: 2 }}>
          <Button variant="outlined" onClick={() => setChunks((c) => [...c, { segment: last.segment, after: lastInfo!.endCursor }])}>
            Load more
          </Button>
        </Box>
      )}
    </>
  );
}

function ChunkRows({
  filter,
  orderBy,
  after,
  onRows,
  onTag,
  onInfo,
}: {
  filter: CustomerRowFilter;
  orderBy: CustomerRowOrderBy[];
  after: string | null;
  onRows(rows: ListedCustomer[]): void;
  onTag(tag: string): void;
  onInfo(info: ChunkInfo): void;
}) {
  const variables = useMemo(() => ({ first: PAGE_SIZE, after, filter, orderBy }), [after, JSON.stringify(filter), orderBy.join()]); // eslint-disable-line react-hooks/exhaustive-deps
  const [{ data, error }, reexecute] = useQuery({ query: CustomersQuery, variables, context: CONTEXT });
  const connection = data?.customerRows;
  // Live updates (live.ts): a row another member of staff changed is read again; the first page
  // also takes in a customer just added, and every page a change of many (an import).
  useCustomerChanges((changed) => {
    if (changed === null || after === null || connection?.nodes.some((c) => c.rowId === changed)) {
      reexecute({ requestPolicy: "network-only" });
    }
  });
  useEffect(() => {
    if (!connection) return;
    onRows(connection.nodes);
    onInfo({ hasNextPage: connection.pageInfo.hasNextPage, endCursor: connection.pageInfo.endCursor, count: connection.nodes.length });
  }, [connection]); // eslint-disable-line react-hooks/exhaustive-deps
  if (error) return <MessageRow>{errorMessage(error)}</MessageRow>;
  return (
    <>
      {connection?.nodes.map((c) => (
        <CustomerTableRow key={c.id} customer={c} onTag={onTag} />
      ))}
    </>
  );
}
