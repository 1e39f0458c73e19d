// What the customer has done: the ten latest orders, and the timeline of everything that happened
// to the profile (the purchase history is PurchaseHistoryCard). The timeline reads 50 entries a
// page, newest first, each at the time it happened ("Load more" for older ones), filtered by
// type and dates; people with customers.update log calls, emails and meetings there.
import {
  Alert,
  Box,
  Button,
  Card,
  CardContent,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  MenuItem,
  Stack,
  TextField,
  Tooltip,
  Typography,
} from "@mui/material";
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { useForm } from "../lib/useForm.ts";
import { formatDateTime, timeAgo } from "./format.ts";
import type { RecentOrder } from "./queries.ts";
import { ACTIVITY_KINDS, CustomerTimelineQuery, LogActivityMutation, TIMELINE_FILTERS, type TimelineEntry } from "./timeline.ts";
import { DataTable } from "../ui/DataTable.tsx";
import { ONLY_ON_PHONE } from "../ui/narrow.ts";
import { useMoney } from "../ui/useMoney.ts";

/** How an order's status reads on the profile: paid (a sale), unpaid (open at the till), voided or cancelled. */
const ORDER_STATUS: Record<string, { label: string; color: "success" | "default" | "error" | "warning" }> = {
  placed: { label: "Paid", color: "success" },
  open: { label: "Unpaid", color: "warning" },
  voided: { label: "Voided", color: "error" },
  cancelled: { label: "Cancelled", color: "default" },
};

export function RecentOrdersCard({ orders }: { orders: RecentOrder[] }) {
  const money = useMoney();
  return (
    <Card>
      <CardContent>
        <Typography variant="h6" component="h2" sx={{ mb: 1 }}>
          Recent orders
        </Typography>
        {orders.length === 0 ? (
          <Typography color="text.secondary">No orders yet.</Typography>
        ) : (
          <DataTable
            label="Recent orders"
            rows={orders}
            rowKey={(o) => o.id}
            hover={false}
            columns={[
              // On the clock of the shop where it was sold.
              {
                header: "Date",
                nowrap: true,
                cell: (o) => (
                  <>
                    {/* On the clock of the shop where it was sold; on a phone, the shop under it. */}
                    {formatDateTime(o.placedAt, o.location?.timezone)}
                    <Typography variant="caption" color="text.secondary" sx={ONLY_ON_PHONE}>
                      {o.location?.name}
                    </Typography>
                  </>
                ),
              },
              { header: "Location", hideBelow: "sm", cell: (o) => o.location?.name ?? "—" },
              {
                header: "Total",
                align: "right",
                sx: { fontVariantNumeric: "tabular-nums" },
                cell: (o) => (
                  <Box sx={{ textDecoration: o.status === "voided" || o.status === "cancelled" ? "line-through" : undefined }}>
                    {money.format(o.total)}
                    {o.refundedTotal > 0 && (
                      <Typography variant="caption" color="warning.main" sx={{ display: "block" }}>
                        {money.format(o.refundedTotal)} refunded
                      </Typography>
                    )}
                  </Box>
                ),
              },
              {
                header: "Status",
                cell: (o) => (
                  <Chip size="small" variant="outlined" label={ORDER_STATUS[o.status]?.label ?? o.status} color={ORDER_STATUS[o.status]?.color ?? "default"} />
                ),
              },
            ]}
          />
        )}
      </CardContent>
    </Card>
  );
}

const KIND_COLOR: Record<string, string> = {
  created: "success.main",
  updated: "primary.main",
  tier_changed: "primary.main",
  archived: "text.disabled",
  restored: "success.main",
  merged: "warning.main",
  merged_into: "warning.main",
  order_placed: "secondary.main",
  order_voided: "error.main",
  order_refunded: "warning.main",
  note: "info.main",
  call: "success.dark",
  email: "info.dark",
  meeting: "secondary.dark",
};

// Logging an activity, or a change in another tab, re-reads the timeline.
const TIMELINE_CONTEXT = { additionalTypenames: ["Customer", "CustomerNote", "CustomerAddress", "CustomerInteraction", "Order"] };

/** The local day `date` (YYYY-MM-DD) starts, as an instant; null for none. */
function dayStart(date: string, plusDays = 0): string | null {
  if (!date) return null;
  const d = new Date(`${date}T00:00:00`);
  d.setDate(d.getDate() + plusDays);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

export function TimelineCard({ customerRowId, canLog, version }: { customerRowId: string; canLog: boolean; version: number }) {
  const [filter, setFilter] = useState("all");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  // The cursors of the pages shown: the first page, then one more per "Load more".
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [logging, setLogging] = useState(false);
  const filters = {
    kinds: TIMELINE_FILTERS.find((f) => f.value === filter)?.kinds ?? null,
    since: dayStart(from),
    until: dayStart(to, 1),
  };
  const restart = () => setCursors([null]);
  // A new filter or a live change starts again from the newest entry.
  const key = `${filter}|${from}|${to}|${version}`;

  return (
    <Card>
      <CardContent>
        <Stack direction="row" sx={{ alignItems: "center", justifyContent: "space-between", mb: 1, gap: 1, flexWrap: "wrap" }}>
          <Typography variant="h6" component="h2">
            Activity
          </Typography>
          {canLog && (
            <Button size="small" variant="outlined" onClick={() => setLogging(true)}>
              Log a call, email or meeting
            </Button>
          )}
        </Stack>
        <Stack direction="row" spacing={1} useFlexGap sx={{ mb: 1.5, flexWrap: "wrap" }}>
          <TextField
            select
            size="small"
            label="Show"
            value={filter}
            onChange={(e) => {
              setFilter(e.target.value);
              restart();
            }}
            sx={{ minWidth: 200 }}
          >
            {TIMELINE_FILTERS.map((f) => (
              <MenuItem key={f.value} value={f.value}>
                {f.label}
              </MenuItem>
            ))}
          </TextField>
          <TextField
            size="small"
            type="date"
            label="From"
            value={from}
            onChange={(e) => {
              setFrom(e.target.value);
              restart();
            }}
            slotProps={{ inputLabel: { shrink: true } }}
          />
          <TextField
            size="small"
            type="date"
            label="To"
            value={to}
            onChange={(e) => {
              setTo(e.target.value);
              restart();
            }}
            slotProps={{ inputLabel: { shrink: true } }}
          />
        </Stack>
        <Box component="ol" aria-label="Activity" sx={{ listStyle: "none", m: 0, p: 0 }}>
          {cursors.map((cursor, i) => (
            <TimelinePage
              key={`${key}|${cursor ?? ""}`}
              customerRowId={customerRowId}
              variables={{ ...filters, olderThan: cursor }}
              first={i === 0}
              last={i === cursors.length - 1}
              fresh={version > 0}
              onMore={(next) => setCursors((shown) => [...shown, next])}
            />
          ))}
        </Box>
      </CardContent>
      {logging && <LogActivityDialog customerRowId={customerRowId} onClose={() => setLogging(false)} onLogged={restart} />}
    </Card>
  );
}

function TimelinePage({
  customerRowId,
  variables,
  first,
  last,
  fresh,
  onMore,
}: {
  customerRowId: string;
  variables: { kinds: string[] | null; since: string | null; until: string | null; olderThan: string | null };
  first: boolean;
  last: boolean;
  /** Read from the server, not the cache (after another member of staff changed the customer). */
  fresh: boolean;
  onMore(cursor: string): void;
}) {
  const [{ data, error, fetching }] = useQuery({
    query: CustomerTimelineQuery,
    variables: { rowId: customerRowId, ...variables },
    context: TIMELINE_CONTEXT,
    requestPolicy: fresh ? "network-only" : "cache-first",
  });
  const page = data?.customerByRowId?.timeline;
  const entries = page?.nodes ?? [];
  if (error) return <Alert severity="error">{errorMessage(error)}</Alert>;
  if (!page) return fetching ? <Typography color="text.secondary">Loading…</Typography> : null;
  return (
    <>
      {first && entries.length === 0 && <Typography color="text.secondary">Nothing here.</Typography>}
      {entries.map((e, i) => (
        <TimelineItem key={e.cursor} entry={e} divider={!first || i > 0} />
      ))}
      {last && page.pageInfo.hasNextPage && (
        <Box component="li" sx={{ pt: 1 }}>
          <Button size="small" onClick={() => onMore(entries[entries.length - 1].cursor!)}>
            Load more
          </Button>
        </Box>
      )}
    </>
  );
}

function TimelineItem({ entry: e, divider }: { entry: TimelineEntry; divider: boolean }) {
  return (
    <Box component="li" sx={{ display: "flex", gap: 1.5, py: 1, borderTop: divider ? 1 : 0, borderColor: "divider" }}>
      <Box sx={{ width: 10, height: 10, borderRadius: "50%", bgcolor: KIND_COLOR[e.kind ?? ""] ?? "grey.400", mt: 0.75, flexShrink: 0 }} />
      <Box sx={{ minWidth: 0 }}>
        <Typography variant="body2" sx={{ wordBreak: "break-word" }}>
          {e.summary}
        </Typography>
        <Typography variant="caption" color="text.secondary">
          <Tooltip title={formatDateTime(e.occurredAt)}>
            <span>{timeAgo(e.occurredAt)}</span>
          </Tooltip>
          {e.actorName ? ` · ${e.actorName}` : ""}
        </Typography>
      </Box>
    </Box>
  );
}

/** "Now" as a datetime-local input shows it (local time, to the minute). */
function localNow(): string {
  const d = new Date();
  d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
  return d.toISOString().slice(0, 16);
}

function LogActivityDialog({ customerRowId, onClose, onLogged }: { customerRowId: string; onClose(): void; onLogged(): void }) {
  const form = useForm(() => ({ kind: "call", note: "", occurredAt: localNow() }));
  const [, log] = useMutation(LogActivityMutation);
  const submit = form.submit(async () => {
    const { kind, note, occurredAt } = form.values;
    const at = occurredAt ? new Date(occurredAt) : null;
    const result = await log(
      { customerId: customerRowId, kind, note, occurredAt: at && !Number.isNaN(at.getTime()) ? at.toISOString() : null },
      TIMELINE_CONTEXT,
    );
    if (result.error) return void form.fail(result.error);
    onLogged();
    onClose();
  });
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm">
      <Box component="form" onSubmit={submit} noValidate aria-label="Log an activity">
        <DialogTitle>Log a call, email or meeting</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ mt: 1 }}>
            {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
            <TextField select label="What" {...form.text("kind")}>
              {ACTIVITY_KINDS.map((k) => (
                <MenuItem key={k.value} value={k.value}>
                  {k.label}
                </MenuItem>
              ))}
            </TextField>
            <TextField label="When" type="datetime-local" {...form.text("occurredAt")} slotProps={{ inputLabel: { shrink: true } }} />
            <TextField
              label="Note"
              {...form.text("note", "What was said or agreed.")}
              multiline
              minRows={3}
              autoFocus
              slotProps={{ htmlInput: { maxLength: 2000 } }}
            />
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" loading={form.submitting}>
            Log it
          </Button>
        </DialogActions>
      </Box>
    </Dialog>
  );
}
