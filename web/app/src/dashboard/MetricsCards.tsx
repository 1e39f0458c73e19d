// Today at a glance: the four figures of dashboardMetrics (db/REPORTING.md), or a friendly note
// for roles without reports.view.
import { Alert, Grid } from "@mui/material";
import { useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { cents, DashboardMetricsQuery } from "../reporting/queries.ts";
import { SummaryCard } from "../reporting/SummaryCard.tsx";
import { useCan } from "../shell/ViewerContext.tsx";
import { useMoney } from "../ui/useMoney.ts";

export function MetricsCards() {
  const canView = useCan("reports.view");
  if (!canView) {
    return <Alert severity="info">Sales figures are shown to roles with access to reports. Ask an owner if you need them.</Alert>;
  }
  return <Metrics />;
}

function Metrics() {
  const money = useMoney();
  const [{ data, error }] = useQuery({ query: DashboardMetricsQuery, requestPolicy: "cache-and-network" });
  if (error) return <Alert severity="error">{errorMessage(error)}</Alert>;
  const m = data?.dashboardMetrics;
  const low = m?.lowStockCount ?? 0;
  return (
    <Grid container spacing={2} component="section" aria-label="Today's figures">
      <Grid size={{ xs: 6, md: 3 }}>
        <SummaryCard label="Net sales today" value={m ? money.format(cents(m.salesToday)) : "…"} testId="metric-sales-today" />
      </Grid>
      <Grid size={{ xs: 6, md: 3 }}>
        <SummaryCard label="Orders today" value={m ? String(cents(m.ordersToday)) : "…"} testId="metric-orders-today" />
      </Grid>
      <Grid size={{ xs: 6, md: 3 }}>
        <SummaryCard
          label="Low stock"
          value={m ? String(low) : "…"}
          testId="metric-low-stock"
          color={low > 0 ? "error.main" : undefined}
        />
      </Grid>
      <Grid size={{ xs: 6, md: 3 }}>
        <SummaryCard
          label="Active customers (30 days)"
          value={m ? String(m.activeCustomers30D) : "…"}
          testId="metric-active-customers"
        />
      </Grid>
    </Grid>
  );
}
