// Sales: net sales per business date as bars, and the period's totals the way a shop
// reconciles them (Square's definitions, db/REPORTING.md): gross − discounts − refunds = net
// sales; + tax = total collected; cash and card net of what was handed back. "Compare to
// previous period" asks the same days of sales for the period of equal length just before, and
// puts its figures and the change in percent beside each.
import {
  Alert, Box, Card, CardContent, FormControlLabel, Grid, Stack, Switch, Table, TableBody, TableCell, TableHead, TableRow,
  Typography,
} from "@mui/material";
import { useMemo, useState } from "react";
import { useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { Loading } from "../ui/Loading.tsx";
import { useMoney } from "../ui/useMoney.ts";
import { change } from "./change.ts";
import { daysIn, previousPeriod } from "./dates.ts";
import { ExportButton } from "./ExportButton.tsx";
import { DateRange, LocationFilter, type Range } from "./Filters.tsx";
import { DailySalesQuery } from "./queries.ts";
import { SalesChart } from "./SalesChart.tsx";
import { salesTotals, type SalesTotals } from "./salesTotals.ts";
import { SummaryCard, type Comparison } from "./SummaryCard.tsx";

interface Props {
  range: Range;
  onRange(range: Range): void;
  location: string;
  onLocation(id: string): void;
}

export function SalesTab({ range, onRange, location, onLocation }: Props) {
  const money = useMoney();
  const [compare, setCompare] = useState(false);
  const [{ data, fetching, error }] = useQuery({
    query: DailySalesQuery,
    variables: { from: range.from, to: range.to, location: location || null },
  });
  const before = previousPeriod(range);
  const [prior] = useQuery({
    query: DailySalesQuery,
    variables: { from: before.from, to: before.to, location: location || null },
    pause: !compare,
  });
  const rows = data?.dailySales ?? [];
  const totals = useMemo(() => salesTotals(rows), [rows]);
  const priorRows = compare ? prior.data?.dailySales : undefined;
  const previous = useMemo(() => (priorRows ? salesTotals(priorRows) : null), [priorRows]);

  /** The previous period's figure and the change, once it has arrived. */
  const against = (pick: (t: SalesTotals) => number, show: (n: number) => string, upIsGood = true): Comparison | undefined =>
    previous ? { previous: show(pick(previous)), change: change(pick(totals), pick(previous)), upIsGood } : undefined;
  const amount = (n: number) => money.format(n);

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
      <Stack direction={{ xs: "column", md: "row" }} spacing={{ xs: 0, md: 2 }} sx={{ alignItems: { md: "center" }, mt: -1 }}>
        <FormControlLabel control={<Switch checked={compare} onChange={(e) => setCompare(e.target.checked)} />} label="Compare to previous period" />
        {compare && (
          <Typography variant="body2" color="text.secondary" data-testid="sales-previous-period">
            {before.from === before.to
              ? `Previous period: ${before.from}, the day before.`
              : `Previous period: ${before.from} to ${before.to}, the ${daysIn(before)} days just before.`}
          </Typography>
        )}
      </Stack>
      {(error || prior.error) && <Alert severity="error">{errorMessage(error ?? prior.error)}</Alert>}
      {!data && fetching ? (
        <Loading />
      ) : (
        <>
          <Grid container spacing={2}>
            <Grid size={{ xs: 6, md: 3 }}>
              <SummaryCard label="Net sales" value={amount(totals.net)} testId="sales-revenue" comparison={against((t) => t.net, amount)} />
            </Grid>
            <Grid size={{ xs: 6, md: 3 }}>
              <SummaryCard label="Sales" value={String(totals.orders)} testId="sales-orders" comparison={against((t) => t.orders, String)} />
            </Grid>
            <Grid size={{ xs: 6, md: 3 }}>
              <SummaryCard label="Average sale" value={amount(totals.average)} testId="sales-average" comparison={against((t) => t.average, amount)} />
            </Grid>
            <Grid size={{ xs: 6, md: 3 }}>
              <SummaryCard
                label="Discounts"
                value={amount(totals.discounts)}
                testId="sales-discounts"
                comparison={against((t) => t.discounts, amount, false)}
              />
            </Grid>
          </Grid>
          <Card>
            <CardContent>
              <Typography variant="h6" component="h2" id="sales-summary-title">
                Sales summary
              </Typography>
              <Table size="small" aria-labelledby="sales-summary-title" sx={{ maxWidth: previous ? 720 : 560 }}>
                {previous && (
                  <TableHead>
                    <TableRow>
                      <TableCell />
                      <TableCell align="right">This period</TableCell>
                      <TableCell align="right">Previous</TableCell>
                      <TableCell align="right">Change</TableCell>
                    </TableRow>
                  </TableHead>
                )}
                <TableBody>
                  <SummaryLine label="Gross sales" figure={(t) => amount(t.gross)} totals={totals} previous={previous} pick={(t) => t.gross} />
                  <SummaryLine label="Discounts" figure={(t) => amount(-t.discounts)} totals={totals} previous={previous} pick={(t) => t.discounts} />
                  <SummaryLine
                    label={`Refunds (${totals.refunds})`}
                    figure={(t) => amount(-t.refunded)}
                    totals={totals}
                    previous={previous}
                    pick={(t) => t.refunded}
                    hint="Voids and refunds, on the day the money went back; before tax"
                  />
                  <SummaryLine label="Net sales" figure={(t) => amount(t.net)} totals={totals} previous={previous} pick={(t) => t.net} strong />
                  <SummaryLine label="Tax" figure={(t) => amount(t.tax)} totals={totals} previous={previous} pick={(t) => t.tax} />
                  <SummaryLine
                    label="Total collected"
                    figure={(t) => amount(t.collected)}
                    totals={totals}
                    previous={previous}
                    pick={(t) => t.collected}
                    strong
                  />
                  <SummaryLine
                    label="Cash"
                    figure={(t) => amount(t.cash)}
                    totals={totals}
                    previous={previous}
                    pick={(t) => t.cash}
                    hint="Taken minus handed back: what the drawers gained"
                  />
                  <SummaryLine
                    label="Card"
                    figure={(t) => amount(t.card)}
                    totals={totals}
                    previous={previous}
                    pick={(t) => t.card}
                    hint="Charged minus refunded to cards"
                  />
                </TableBody>
              </Table>
            </CardContent>
          </Card>
          <Card>
            <CardContent>
              <Typography variant="h6" component="h2">
                Daily net sales
              </Typography>
              {rows.length > 0 ? (
                <SalesChart rows={rows} />
              ) : (
                <Typography color="text.secondary" sx={{ py: 4 }}>
                  No sales in this period.
                </Typography>
              )}
            </CardContent>
          </Card>
        </>
      )}
    </Stack>
  );
}

interface LineProps {
  label: string;
  /** The figure as shown (discounts and refunds negative). */
  figure(t: SalesTotals): string;
  /** The figure as a number, for the change. */
  pick(t: SalesTotals): number;
  totals: SalesTotals;
  previous: SalesTotals | null;
  hint?: string;
  strong?: boolean;
}

function SummaryLine({ label, figure, pick, totals, previous, hint, strong }: LineProps) {
  const sx = { fontWeight: strong ? 600 : undefined, fontVariantNumeric: "tabular-nums" };
  return (
    <TableRow>
      <TableCell component="th" scope="row" sx={{ fontWeight: sx.fontWeight }}>
        {label}
        {hint && (
          <Typography variant="caption" color="text.secondary" sx={{ display: "block" }}>
            {hint}
          </Typography>
        )}
      </TableCell>
      <TableCell align="right" sx={sx}>
        {figure(totals)}
      </TableCell>
      {previous && (
        <>
          <TableCell align="right" sx={{ ...sx, color: "text.secondary" }}>
            {figure(previous)}
          </TableCell>
          <TableCell align="right" sx={sx}>
            {change(pick(totals), pick(previous)).text}
          </TableCell>
        </>
      )}
    </TableRow>
  );
}
