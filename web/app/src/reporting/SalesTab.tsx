// Sales: net sales per business date as a line chart, and the period's totals the way a shop
// reconciles them (Square's definitions, db/REPORTING.md): gross − discounts − refunds = net
// sales; + tax = total collected; cash and card net of what was handed back.
import { Alert, Box, Card, CardContent, Grid, Stack, Table, TableBody, TableCell, TableRow, Typography } from "@mui/material";
import { LineChart } from "@mui/x-charts/LineChart";
import { useMemo } from "react";
import { useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { Loading } from "../ui/Loading.tsx";
import { ExportButton } from "./ExportButton.tsx";
import { DateRange, LocationFilter, type Range } from "./Filters.tsx";
import { cents, DailySalesQuery, type DailySalesRow } from "./queries.ts";
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
    const sum = (pick: (r: DailySalesRow) => DailySalesRow[keyof DailySalesRow]) => rows.reduce((s, r) => s + cents(pick(r)), 0);
    const net = sum((r) => r.netSales);
    const orders = sum((r) => r.orderCount);
    return {
      gross: sum((r) => r.grossSales),
      discounts: sum((r) => r.discountTotal),
      refunds: sum((r) => r.refundCount),
      refunded: sum((r) => r.refundTotal),
      net,
      tax: sum((r) => r.taxTotal),
      collected: sum((r) => r.totalCollected),
      cash: sum((r) => r.tenderCash),
      card: sum((r) => r.tenderCard),
      orders,
      // Same rule as the server: net sales / sales, rounded half up, 0 without sales.
      average: orders ? Math.round(net / orders) : 0,
    };
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
              <SummaryCard label="Net sales" value={money.format(totals.net)} testId="sales-revenue" />
            </Grid>
            <Grid size={{ xs: 6, md: 3 }}>
              <SummaryCard label="Sales" value={String(totals.orders)} testId="sales-orders" />
            </Grid>
            <Grid size={{ xs: 6, md: 3 }}>
              <SummaryCard label="Average sale" value={money.format(totals.average)} testId="sales-average" />
            </Grid>
            <Grid size={{ xs: 6, md: 3 }}>
              <SummaryCard label="Discounts" value={money.format(totals.discounts)} testId="sales-discounts" />
            </Grid>
          </Grid>
          <Card>
            <CardContent>
              <Typography variant="h6" component="h2" id="sales-summary-title">
                Sales summary
              </Typography>
              <Table size="small" aria-labelledby="sales-summary-title" sx={{ maxWidth: 560 }}>
                <TableBody>
                  <SummaryLine label="Gross sales" amount={money.format(totals.gross)} />
                  <SummaryLine label="Discounts" amount={money.format(-totals.discounts)} />
                  <SummaryLine
                    label={`Refunds (${totals.refunds})`}
                    amount={money.format(-totals.refunded)}
                    hint="Voids and refunds, on the day the money went back; before tax"
                  />
                  <SummaryLine label="Net sales" amount={money.format(totals.net)} strong />
                  <SummaryLine label="Tax" amount={money.format(totals.tax)} />
                  <SummaryLine label="Total collected" amount={money.format(totals.collected)} strong />
                  <SummaryLine label="Cash" amount={money.format(totals.cash)} hint="Taken minus handed back: what the drawers gained" />
                  <SummaryLine label="Card" amount={money.format(totals.card)} hint="Charged minus refunded to cards" />
                </TableBody>
              </Table>
            </CardContent>
          </Card>
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

function SummaryLine({ label, amount, hint, strong }: { label: string; amount: string; hint?: string; strong?: boolean }) {
  const weight = strong ? 600 : undefined;
  return (
    <TableRow>
      <TableCell component="th" scope="row" sx={{ fontWeight: weight }}>
        {label}
        {hint && (
          <Typography variant="caption" color="text.secondary" sx={{ display: "block" }}>
            {hint}
          </Typography>
        )}
      </TableCell>
      <TableCell align="right" sx={{ fontWeight: weight, fontVariantNumeric: "tabular-nums" }}>
        {amount}
      </TableCell>
    </TableRow>
  );
}
