// Settings → Audit log (settings.view: owners and managers): every recorded change to the
// business's customers, orders, locations, staff and billing, newest first, 50 at a time with
// "Load more". Each entry says when, who (or "System" for the worker and Stripe), what (the kind
// of record and what happened to it, with the command that did it: archive, merge, void…), the
// fields changed (old → new) and the reason given. Filters by kind of record, staff member,
// command and date range live in the URL, so a filtered view can be shared or come back to.
import {
  Box,
  Button,
  Card,
  CardContent,
  Chip,
  Link,
  MenuItem,
  Stack,
  TextField,
  Typography,
} from "@mui/material";
import { useCallback, useMemo, useRef, useState } from "react";
import { Link as RouterLink, useSearchParams } from "react-router-dom";
import { useQuery } from "urql";
import { usePagedQuery } from "../lib/usePagedQuery.ts";
import { useCan } from "../shell/ViewerContext.tsx";
import { DataTable } from "../ui/DataTable.tsx";
import { Loading } from "../ui/Loading.tsx";
import { LoadMore, PagedListHeader } from "../ui/PagedList.tsx";
import { NotAllowed } from "../ui/NotAllowed.tsx";
import { PageHeader } from "../ui/PageHeader.tsx";
import { TimeAgo } from "../ui/TimeAgo.tsx";
import { COMMAND_LABEL, commandLabel, ENTITY_CHOICES, fieldChanges, startOfDay, whatChanged, type Names } from "./auditFormat.ts";
import { BackToSettings } from "./BackToSettings.tsx";
import { AuditEntriesQuery, AuditNamesQuery, type AuditEntry, type StaffMember } from "./queries.ts";
import { useMoney } from "../ui/useMoney.ts";

const PAGE_SIZE = 50;
/** How many changed fields an entry shows before "more". */
const FIELDS_SHOWN = 3;
/** The staff filter's choice for changes nobody made (worker, Stripe). */
const SYSTEM = "system";
const FILTERS = ["entity", "actor", "command", "from", "to"] as const;
type FilterKey = (typeof FILTERS)[number];

export function AuditLogPage() {
  const canView = useCan("settings.view");
  return (
    <>
      <BackToSettings />
      <PageHeader title="Audit log" subtitle="Who changed what in your business, when, and why." />
      {canView ? <AuditLog /> : <NotAllowed what="the audit log" />}
    </>
  );
}

/** The GraphQL filter (AuditEntryFilter) of the chosen filters; none at all without one (the server refuses `{}` and null). */
function filterOf(chosen: Record<FilterKey, string>): object | undefined {
  const filter: Record<string, object> = {};
  if (chosen.entity) filter.entity = { equalTo: chosen.entity };
  if (chosen.actor === SYSTEM) filter.actorUserId = { isNull: true };
  else if (chosen.actor) filter.actorUserId = { equalTo: chosen.actor };
  if (chosen.command) filter.command = { equalTo: chosen.command };
  const from = startOfDay(chosen.from);
  const until = startOfDay(chosen.to, 1);
  if (from || until) filter.createdAt = { ...(from && { greaterThanOrEqualTo: from }), ...(until && { lessThan: until }) };
  return Object.keys(filter).length ? filter : undefined;
}

function AuditLog() {
  const [params, setParams] = useSearchParams();
  // Two quick changes must not lose the first: each starts from the latest parameters.
  const latest = useRef(params);
  latest.current = params;
  const choose = useCallback(
    (key: FilterKey, value: string) => {
      const next = new URLSearchParams(latest.current);
      if (value) next.set(key, value);
      else next.delete(key);
      latest.current = next;
      setParams(next, { replace: true });
    },
    [setParams],
  );
  const chosen = Object.fromEntries(FILTERS.map((k) => [k, params.get(k) ?? ""])) as Record<FilterKey, string>;
  const filtered = FILTERS.some((k) => chosen[k]);
  const filter = useMemo(() => filterOf(chosen), [JSON.stringify(chosen)]); // eslint-disable-line react-hooks/exhaustive-deps

  const entries = usePagedQuery(AuditEntriesQuery, { filter }, (d) => d.auditEntries, {
    pageSize: PAGE_SIZE,
    requestPolicy: "cache-and-network",
  });
  const [{ data: named }] = useQuery({ query: AuditNamesQuery });
  const staff = useMemo(() => [...(named?.users?.nodes ?? [])].sort((a, b) => a.name.localeCompare(b.name)), [named]);
  const names: Names = useMemo(
    () =>
      new Map(
        [...(named?.users?.nodes ?? []), ...(named?.roles?.nodes ?? []), ...(named?.locations?.nodes ?? [])].map((x) => [x.rowId, x.name]),
      ),
    [named],
  );

  return (
    <Card>
      <CardContent>
        <Filters chosen={chosen} onChoose={choose} staff={staff} />
        <PagedListHeader
          list={entries}
          one="entry"
          many="entries"
          testId="audit-summary"
          action={
            filtered && (
              <Button size="small" onClick={() => setParams(new URLSearchParams(), { replace: true })}>
                Clear filters
              </Button>
            )
          }
        />
        {entries.loading ? (
          <Loading />
        ) : (
          <DataTable
            label="Audit log"
            rows={entries.nodes}
            rowKey={(entry) => entry.id}
            rowTestId="audit-row"
            // Wide enough for the changes to read as lines, scrolling on narrower screens; each
            // entry's cells start at its top, however many changes it lists.
            sx={{ "& table": { minWidth: 840 }, "& tbody td": { verticalAlign: "top" } }}
            empty={
              !entries.error && (
                <Box component="span" sx={{ display: "block", py: 1 }}>
                  {filtered
                    ? "No change matches these filters."
                    : "No changes recorded yet. Changes to customers, orders, locations, staff and billing appear here as they are made."}
                </Box>
              )
            }
            columns={[
              { header: "When", nowrap: true, cell: (entry) => <TimeAgo iso={entry.createdAt} /> },
              {
                header: "Who",
                cell: (entry) => (
                  <Typography variant="body2" title={entry.actor?.email}>
                    {entry.actor?.name ?? (entry.actorUserId ? "A former member" : "System")}
                  </Typography>
                ),
              },
              { header: "What", cell: (entry) => <What entry={entry} /> },
              { header: "Changes", sx: { maxWidth: 340 }, cell: (entry) => <Changes entry={entry} names={names} /> },
              {
                header: "Reason",
                sx: { maxWidth: 260, wordBreak: "break-word" },
                cell: (entry) =>
                  entry.reason ? (
                    <Typography variant="body2" data-testid="audit-reason">
                      {entry.reason}
                    </Typography>
                  ) : (
                    <Typography variant="body2" color="text.disabled">
                      —
                    </Typography>
                  ),
              },
            ]}
          />
        )}
        <LoadMore list={entries} capped="Older entries are not shown: narrow the dates or filters to see them." />
      </CardContent>
    </Card>
  );
}

function Filters({
  chosen,
  onChoose,
  staff,
}: {
  chosen: Record<FilterKey, string>;
  onChoose(key: FilterKey, value: string): void;
  staff: StaffMember[];
}) {
  const select = (key: FilterKey, label: string, all: string, options: { value: string; label: string }[]) => (
    <TextField
      select
      size="small"
      label={label}
      value={options.some((o) => o.value === chosen[key]) ? chosen[key] : ""}
      onChange={(e) => onChoose(key, e.target.value)}
      fullWidth={false}
      sx={{ flex: "1 1 150px" }}
      // "All records", "Anyone"… show as chosen values rather than leaving the box empty.
      slotProps={{ select: { displayEmpty: true }, inputLabel: { shrink: true } }}
    >
      <MenuItem value="">{all}</MenuItem>
      {options.map((o) => (
        <MenuItem key={o.value} value={o.value}>
          {o.label}
        </MenuItem>
      ))}
    </TextField>
  );
  const date = (key: "from" | "to", label: string) => (
    <TextField
      type="date"
      size="small"
      label={label}
      value={chosen[key]}
      onChange={(e) => onChoose(key, e.target.value)}
      fullWidth={false}
      sx={{ flex: "0 1 155px" }}
      slotProps={{
        inputLabel: { shrink: true },
        htmlInput: key === "from" ? { max: chosen.to || undefined } : { min: chosen.from || undefined },
      }}
    />
  );
  return (
    <Stack direction="row" spacing={2} useFlexGap sx={{ flexWrap: "wrap" }}>
      {select("entity", "Record", "All records", ENTITY_CHOICES)}
      {select("actor", "Staff member", "Anyone", [
        { value: SYSTEM, label: "System (automatic)" },
        ...staff.map((u) => ({ value: u.rowId, label: u.name })),
      ])}
      {select(
        "command",
        "Command",
        "Any change",
        Object.entries(COMMAND_LABEL).map(([value, label]) => ({ value, label })),
      )}
      {date("from", "From")}
      {date("to", "To")}
    </Stack>
  );
}

/** The customer an entry is about, when there is one to open. */
function customerOf(entry: AuditEntry): string | null {
  if (entry.entity === "customers") return entry.entityId;
  if (entry.entity === "customer_notes" || entry.entity === "customer_addresses") {
    const id = (entry.changes as Record<string, { old?: unknown; new?: unknown }> | null)?.customer_id;
    const value = id?.new ?? id?.old;
    return typeof value === "string" ? value : null;
  }
  return null;
}

/** What an entry is about, a link when it is a customer, and the command that did it. */
function What({ entry }: { entry: AuditEntry }) {
  const customer = customerOf(entry);
  return (
    <>
      <Typography variant="body2">
        {customer ? (
          <Link component={RouterLink} to={`/customers/${customer}`}>
            {whatChanged(entry.entity, entry.action)}
          </Link>
        ) : (
          whatChanged(entry.entity, entry.action)
        )}
      </Typography>
      {entry.command && <Chip size="small" variant="outlined" label={commandLabel(entry.command)} sx={{ mt: 0.5 }} />}
    </>
  );
}

/** The fields an entry changed, the first few until "more" shows them all. */
function Changes({ entry, names }: { entry: AuditEntry; names: Names }) {
  const [open, setOpen] = useState(false);
  const money = useMoney();
  const changes = fieldChanges(entry.action, entry.changes, names, money);
  const shown = open ? changes : changes.slice(0, FIELDS_SHOWN);
  return (
    <>
      <Box component="ul" sx={{ listStyle: "none", m: 0, p: 0 }} aria-label="Fields changed">
        {shown.map((c) => (
          <Typography component="li" variant="body2" key={c.field} sx={{ wordBreak: "break-word" }}>
            <Box component="span" sx={{ color: "text.secondary" }}>
              {c.label}:
            </Box>{" "}
            {c.text}
          </Typography>
        ))}
      </Box>
      {changes.length > FIELDS_SHOWN && (
        <Button size="small" sx={{ px: 0.5, minWidth: 0 }} onClick={() => setOpen((o) => !o)}>
          {open ? "Show less" : `${changes.length - FIELDS_SHOWN} more`}
        </Button>
      )}
    </>
  );
}
