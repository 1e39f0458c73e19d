// What the customer has bought, from their purchase history (customer.stats, kept by the
// database from the sales events): first and last visit, visits, spend, average order, units
// bought and the three items they bought most of. Money is in cents, formatted here only.
import { Box, Card, CardContent, Tooltip, Typography } from "@mui/material";
import { daysAgo, formatDate, formatDateTime } from "./format.ts";
import type { PurchaseHistory } from "./queries.ts";
import { useMoney } from "../ui/useMoney.ts";

export function PurchaseHistoryCard({ history: h }: { history: PurchaseHistory | null }) {
  const money = useMoney();
  const visits = h?.visits ?? 0;
  const stats = [
    {
      label: "First visit",
      value: h?.firstVisitAt ? formatDate(h.firstVisitAt) : "Never",
      title: h?.firstVisitAt ? formatDateTime(h.firstVisitAt) : undefined,
      testId: "stat-first-visit",
    },
    {
      label: "Last visit",
      value: h?.lastVisitAt ? formatDate(h.lastVisitAt) : "Never",
      detail: h?.lastVisitAt ? daysAgo(h.daysSinceLastVisit) : undefined,
      title: h?.lastVisitAt ? formatDateTime(h.lastVisitAt) : undefined,
      testId: "stat-last-visit",
    },
    { label: "Visits", value: visits.toLocaleString(), testId: "stat-visits" },
    { label: "Total spend", value: money.format(h?.spend ?? 0), testId: "stat-spend" },
    { label: "Average order", value: visits ? money.format(h!.averageOrderValue) : "–", testId: "stat-average" },
    { label: "Items bought", value: Number(h?.itemsBought ?? 0).toLocaleString(), testId: "stat-items" },
  ];
  const top = (h?.topItems ?? []).filter((i) => i.catalogItem);
  return (
    <Card data-testid="purchase-history">
      <CardContent>
        <Typography variant="h6" component="h2">
          Purchase history
        </Typography>
        <Box sx={{ display: "grid", gridTemplateColumns: "1fr 1fr", gap: 2, mt: 1 }}>
          {stats.map((s) => (
            <Box key={s.label} role="group" aria-label={s.label}>
              <Typography variant="body2" color="text.secondary">
                {s.label}
              </Typography>
              <Tooltip title={s.title ?? ""} disableHoverListener={!s.title}>
                <Typography variant="h6" component="p" data-testid={s.testId} sx={{ fontVariantNumeric: "tabular-nums" }}>
                  {s.value}
                </Typography>
              </Tooltip>
              {s.detail && (
                <Typography variant="caption" color="text.secondary" data-testid={`${s.testId}-ago`}>
                  {s.detail}
                </Typography>
              )}
            </Box>
          ))}
        </Box>
        <Typography variant="subtitle2" component="h3" sx={{ mt: 2 }}>
          Most bought
        </Typography>
        {top.length === 0 ? (
          <Typography variant="body2" color="text.secondary">
            Nothing bought yet.
          </Typography>
        ) : (
          <Box component="ol" aria-label="Most bought" sx={{ m: 0, pl: 2.5 }}>
            {top.map((i) => (
              <Typography component="li" variant="body2" key={i.catalogItem!.rowId}>
                {i.catalogItem!.name}{" "}
                <Typography component="span" variant="body2" color="text.secondary">
                  × {Number(i.quantity).toLocaleString()}
                </Typography>
              </Typography>
            ))}
          </Box>
        )}
        <Typography variant="caption" color="text.secondary" sx={{ display: "block", mt: 2 }}>
          Counted from placed orders; a voided order is taken back out.
        </Typography>
      </CardContent>
    </Card>
  );
}
