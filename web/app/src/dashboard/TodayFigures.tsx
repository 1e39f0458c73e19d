// Today's net sales, sales and average sale (Square's definitions, db/REPORTING.md), each against
// the same weekday last week, from the 14 days' rows the chart below them draws.
import { Grid } from "@mui/material";
import { change, type Change } from "../reporting/change.ts";
import { addDays } from "../reporting/dates.ts";
import type { DailySalesRow } from "../reporting/queries.ts";
import { salesTotals, type SalesTotals } from "../reporting/salesTotals.ts";
import { useMoney } from "../ui/useMoney.ts";
import { weekdayName } from "./days.ts";
import { FigureCard } from "./FigureCard.tsx";
import { reportLink } from "./links.ts";

/** Last week had nothing: no percent of nothing, even against nothing today. */
const NONE: Change = { text: "—", direction: null };

export function TodayFigures({ rows, today }: { rows: readonly DailySalesRow[] | undefined; today: string }) {
  const money = useMoney();
  const lastWeek = addDays(today, -7);
  const now = rows && salesTotals(rows.filter((r) => r.businessDate === today));
  const then = rows && salesTotals(rows.filter((r) => r.businessDate === lastWeek));
  const weekday = weekdayName(lastWeek);
  const amount = (n: number) => money.format(n);

  const card = (label: string, testId: string, pick: (t: SalesTotals) => number, show: (n: number) => string) => (
    <Grid size={{ xs: 12, sm: 4 }}>
      <FigureCard
        label={label}
        value={now ? show(pick(now)) : "…"}
        change={now && then ? (pick(then) ? change(pick(now), pick(then)) : NONE) : null}
        weekday={weekday}
        to={reportLink("sales")}
        testId={testId}
      />
    </Grid>
  );

  return (
    <Grid container spacing={2} component="section" aria-label="Today's figures">
      {card("Net sales today", "metric-sales-today", (t) => t.net, amount)}
      {card("Sales today", "metric-orders-today", (t) => t.orders, String)}
      {card("Average sale today", "metric-average-today", (t) => t.average, amount)}
    </Grid>
  );
}
