// What the customer has done: the ten latest orders, and the timeline of everything that happened
// to the profile (the purchase history is PurchaseHistoryCard).
import { Box, Card, CardContent, Chip, Tooltip, Typography } from "@mui/material";
import { formatDateTime, timeAgo } from "./format.ts";
import type { Activity, RecentOrder } from "./queries.ts";
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
  archived: "text.disabled",
  restored: "success.main",
  merged: "warning.main",
  merged_into: "warning.main",
  order_placed: "secondary.main",
  order_voided: "error.main",
  order_refunded: "warning.main",
  note: "info.main",
};

export function TimelineCard({ entries, total }: { entries: Activity[]; total: number }) {
  return (
    <Card>
      <CardContent>
        <Typography variant="h6" component="h2" sx={{ mb: 1 }}>
          Activity
        </Typography>
        {entries.length === 0 ? (
          <Typography color="text.secondary">Nothing yet.</Typography>
        ) : (
          <Box component="ol" aria-label="Activity" sx={{ listStyle: "none", m: 0, p: 0 }}>
            {entries.map((e, i) => (
              <Box
                component="li"
                key={`${e.occurredAt}-${e.kind}-${e.subjectId}-${i}`}
                sx={{ display: "flex", gap: 1.5, py: 1, borderTop: i ? 1 : 0, borderColor: "divider" }}
              >
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
            ))}
          </Box>
        )}
        {total > entries.length && (
          <Typography variant="caption" color="text.secondary">
            Showing the latest {entries.length} of {total}.
          </Typography>
        )}
      </CardContent>
    </Card>
  );
}
