// Sales: net sales per business date as a line chart, and the period's totals.
import { Alert, Box, Card, CardContent, Grid, Stack, Typography } from "@mui/material";
import { LineChart } from "@mui/x-charts/LineChart";
import { useMemo } from "react";
import { useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { Loading } from "../ui/Loading.tsx";
import { ExportButton } from "./ExportButton.tsx";
import { DateRange, LocationFilter, type Range } from "./Filters.tsx";
import { cents, DailySalesQuery } from "./queries.ts";
import { SummaryCard } from "./SummaryCard.tsx";
import { useMoney } from "../ui/useMoney.ts";

interface Props {
  range: Range;
  onRange(range: Range): void;
  location: string;
  onLocation(id: string): void;
}

export function SalesTab({ range, onRange, location, onLocation }: Props) {
  const money = useMoney();
  const [{ data, fetching, error }] = useQuery({
    query: DailySalesQuery,
    variables: { from: range.from, to: range.to, location: location || null },
  });
  const rows = data?.dailySales ?? [];

  const totals = useMemo(() => {
    let net = 0, orders = 0, discounts = 0;
    for (const r of rows) {
      net += cents(r.netSales);
      orders += cents(r.orderCount);
      discounts += cents(r.discountTotal);
    }
    // Same rule as the server: net sales / orders, rounded half up to the cent, 0 without orders.
    return { net, orders, discounts, average: orders ? Math.round(net / orders) : 0 };
  }, [rows]);

  return (
    <Stack spacing={3}>
      <Stack direction={{ xs: "column", md: "row" }} spacing={2} sx={{ alignItems: { md: "flex-start" } }}>
        <DateRange value={range} onChange={onRange} />
        <LocationFilter value={location} onChange={onLocation} />
        <Box sx={{ flex: 1 }} />
        <ExportButton
          kind="daily_sales"
          params={{ from: range.from, to: range.to, ...(location ? { location_id: location } : {}) }}
        />
      </Stack>
      {error && <Alert severity="error">{errorMessage(error)}</Alert>}
      {!data && fetching ? (
        <Loading />
      ) : (
        <>
          <Grid container spacing={2}>
            <Grid size={{ xs: 6, md: 3 }}>
              <SummaryCard label="Revenue" value={money.format(totals.net)} testId="sales-revenue" />
            </Grid>
            <Grid size={{ xs: 6, md: 3 }}>
              <SummaryCard label="Orders" value={String(totals.orders)} testId="sales-orders" />
            </Grid>
            <Grid size={{ xs: 6, md: 3 }}>
              <SummaryCard label="Average order value" value={money.format(totals.average)} testId="sales-average" />
            </Grid>
            <Grid size={{ xs: 6, md: 3 }}>
              <SummaryCard label="Discounts" value={money.format(totals.discounts)} testId="sales-discounts" />
            </Grid>
          </Grid>
          <Card>
            <CardContent>
              <Typography variant="h6" component="h2">
                Daily net sales
              </Typography>
              <Box data-testid="sales-chart" aria-label="Daily net sales chart" role="figure">
                {rows.length > 0 ? (
                  <LineChart
                    height={320}
                    xAxis={[{ scaleType: "point", data: rows.map((r) => r.businessDate) }]}
                    series={[
                      {
                        label: "Net sales",
                        data: rows.map((r) => cents(r.netSales) / 10 ** money.minorUnits),
                        valueFormatter: (v) => (v == null ? "" : money.format(Math.round(v * 10 ** money.minorUnits))),
                        showMark: rows.length <= 31,
                      },
                    ]}
                  />
                ) : (
                  <Typography color="text.secondary" sx={{ py: 4 }}>
                    No sales in this period.
                  </Typography>
                )}
              </Box>
            </CardContent>
          </Card>
        </>
      )}
    </Stack>
  );
}
