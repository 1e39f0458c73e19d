// Items: the best-selling catalog items of the period, top 10 by revenue as horizontal bars, and
// the full ranking as a table sorted by quantity or revenue.
import { Alert, Box, Card, CardContent, Stack, Typography } from "@mui/material";
import { BarChart } from "@mui/x-charts/BarChart";
import { useState } from "react";
import { useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { DataTable } from "../ui/DataTable.tsx";
import { Loading } from "../ui/Loading.tsx";
import { chartMoney } from "./chartMoney.ts";
import { ExportButton } from "./ExportButton.tsx";
import { DateRange, LocationFilter, type Range } from "./Filters.tsx";
import { cents, ItemSalesQuery, type ItemOrder } from "./queries.ts";
import { useMoney } from "../ui/useMoney.ts";

interface Props {
  range: Range;
  onRange(range: Range): void;
  location: string;
  onLocation(id: string): void;
}

export function ItemsTab({ range, onRange, location, onLocation }: Props) {
  const money = useMoney();
  const [orderBy, setOrderBy] = useState<ItemOrder>("revenue");
  const common = { from: range.from, to: range.to, location: location || null };
  const [{ data, fetching, error }] = useQuery({ query: ItemSalesQuery, variables: { ...common, orderBy } });
  // The chart is always the top 10 by revenue, whatever the table is sorted by.
  const [top] = useQuery({ query: ItemSalesQuery, variables: { ...common, orderBy: "revenue" as const } });
  const rows = data?.itemSales ?? [];
  const top10 = (top.data?.itemSales ?? []).slice(0, 10);
  const chart = chartMoney(money);

  return (
    <Stack spacing={3}>
      <Stack direction={{ xs: "column", md: "row" }} spacing={2} sx={{ alignItems: { md: "flex-start" } }}>
        <DateRange value={range} onChange={onRange} />
        <LocationFilter value={location} onChange={onLocation} />
        <Box sx={{ flex: 1 }} />
        <ExportButton
          kind="item_sales"
          params={{ from: range.from, to: range.to, order_by: orderBy, ...(location ? { location_id: location } : {}) }}
        />
      </Stack>
      {(error || top.error) && <Alert severity="error">{errorMessage(error ?? top.error)}</Alert>}
      <Card>
        <CardContent>
          <Typography variant="h6" component="h2">
            Top 10 items by revenue
          </Typography>
          <Box data-testid="items-chart" aria-label="Top 10 items by revenue chart" role="figure">
            {top10.length > 0 ? (
              // Horizontal: each item's name on its own row of the band axis, never skipped for want of width.
              <BarChart
                height={48 + 36 * top10.length}
                layout="horizontal"
                hideLegend
                yAxis={[{ scaleType: "band", data: top10.map((r) => r.catalogItemName), width: "auto" }]}
                xAxis={[{ valueFormatter: chart.format }]}
                series={[{ label: "Revenue", data: top10.map((r) => chart.value(cents(r.netRevenue))), valueFormatter: chart.format }]}
              />
            ) : top.fetching ? (
              <Loading />
            ) : (
              <Typography color="text.secondary" sx={{ py: 4 }}>
                No items sold in this period.
              </Typography>
            )}
          </Box>
        </CardContent>
      </Card>
      {!data && fetching ? (
        <Loading />
      ) : (
        <Card>
          <DataTable
            label="Item sales"
            rows={rows}
            rowKey={(r) => r.catalogItemId}
            hover={false}
            empty="No items sold in this period."
            columns={[
              { header: "Item", cell: (r) => r.catalogItemName },
              {
                header: "Quantity",
                align: "right",
                sort: { active: orderBy === "quantity", direction: "desc", onSort: () => setOrderBy("quantity") },
                cell: (r) => cents(r.quantitySold),
              },
              {
                header: "Revenue",
                align: "right",
                sort: { active: orderBy === "revenue", direction: "desc", onSort: () => setOrderBy("revenue") },
                cell: (r) => money.format(cents(r.netRevenue)),
              },
              { header: "Average price", align: "right", hideBelow: "sm", cell: (r) => money.format(cents(r.avgUnitPrice)) },
            ]}
          />
        </Card>
      )}
    </Stack>
  );
}
