// Net sales per business date as bars. Dates read short in the business's locale ("Mar 9") so a
// tick is never cut, and today's bar is lighter and called "today so far": the day is not over,
// so it is no dip beside the finished days.
import { Box, Typography } from "@mui/material";
import { alpha, useTheme } from "@mui/material/styles";
import { BarChart } from "@mui/x-charts/BarChart";
import { useViewer } from "../shell/ViewerContext.tsx";
import { useMoney } from "../ui/useMoney.ts";
import { chartMoney } from "./chartMoney.ts";
import { isoDate, shortDate } from "./dates.ts";
import { cents, type DailySalesRow } from "./queries.ts";

export function SalesChart({ rows }: { rows: readonly DailySalesRow[] }) {
  const money = useMoney();
  const theme = useTheme();
  const locale = useViewer().tenant?.locale;
  const today = isoDate(0);
  const hasToday = rows.some((r) => r.businessDate === today);
  const chart = chartMoney(money);

  return (
    <Box data-testid="sales-chart" aria-label="Daily net sales chart" role="figure">
      <BarChart
        height={320}
        hideLegend
        xAxis={[
          {
            scaleType: "band",
            data: rows.map((r) => r.businessDate),
            valueFormatter: (date: string, context) =>
              context.location !== "tick" && date === today ? `${shortDate(date, locale)}, today so far` : shortDate(date, locale),
            colorMap: {
              type: "ordinal",
              values: [today],
              colors: [alpha(theme.palette.primary.main, 0.35)],
              unknownColor: theme.palette.primary.main,
            },
          },
        ]}
        yAxis={[{ width: "auto", valueFormatter: chart.format }]}
        series={[{ label: "Net sales", data: rows.map((r) => chart.value(cents(r.netSales))), valueFormatter: chart.format }]}
      />
      {hasToday && (
        <Typography variant="body2" color="text.secondary" data-testid="sales-chart-today">
          The lighter bar is today so far: the day is not over yet.
        </Typography>
      )}
    </Box>
  );
}
