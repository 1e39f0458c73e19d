// Today's net sales, sales and average sale (Square's definitions, db/REPORTING.md), each against
// the same weekday a week ago. The database computes them all (reporting.dashboard_metrics: each
// location's today and its today − 7 on its own clock, the percent changes, null when a week ago
// had nothing); this only writes them.
import { Alert, Grid } from "@mui/material";
import { useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { percentChange } from "../reporting/change.ts";
import { formatMoney, moneyIn } from "../ui/money.ts";
import { useMoney } from "../ui/useMoney.ts";
import { weekdayName } from "./days.ts";
import { FigureCard } from "./FigureCard.tsx";
import { reportLink } from "./links.ts";
import { DashboardMetricsQuery } from "./queries.ts";

export function TodayFigures({ today }: { today: string }) {
  const money = useMoney();
  const [{ data, error }] = useQuery({ query: DashboardMetricsQuery, requestPolicy: "cache-and-network" });
  const m = data?.dashboardMetrics ?? undefined;
  // Amounts are in the minor units of the currency the database names (the business's).
  const format = m && m.currency !== money.currency ? moneyIn(m.currency, money.locale) : money;
  // "vs last Sunday": a week ago is the same weekday as today.
  const weekday = weekdayName(today);

  /** `value` undefined while loading; `percent` null when a week ago had nothing. */
  const card = (label: string, testId: string, value: string | undefined, percent: string | null | undefined) => (
    <Grid size={{ xs: 12, sm: 4 }}>
      <FigureCard
        label={label}
        value={value ?? "…"}
        change={m ? percentChange(percent ?? null) : null}
        weekday={weekday}
        to={reportLink("sales")}
        testId={testId}
      />
    </Grid>
  );

  return (
    <>
      {error && <Alert severity="error">{errorMessage(error)}</Alert>}
      <Grid container spacing={2} component="section" aria-label="Today's figures">
        {card("Net sales today", "metric-sales-today", m && formatMoney(m.salesToday, format), m?.salesChangePercent)}
        {card("Sales today", "metric-orders-today", m && String(m.ordersToday), m?.ordersChangePercent)}
        {card("Average sale today", "metric-average-today", m && formatMoney(m.averageToday, format), m?.averageChangePercent)}
      </Grid>
    </>
  );
}
