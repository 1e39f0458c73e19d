// Customers: new and returning customers per business date as stacked bars, the period's totals
// and repeat rate, the days as a table, and how the active customers split into loyalty classes
// now. The server's definitions (reporting.customer_loyalty_days): a customer counts once on
// each day they had a standing order; new = their first order ever was that day; returning =
// they had an order on an earlier day.
import { Alert, Box, Card, CardContent, Grid, Stack, Typography } from "@mui/material";
import { BarChart } from "@mui/x-charts/BarChart";
import { useMemo } from "react";
import { useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { useViewer } from "../shell/ViewerContext.tsx";
import { DataTable } from "../ui/DataTable.tsx";
import { Loading } from "../ui/Loading.tsx";
import { shortDate } from "./dates.ts";
import { DateRange, LocationFilter, type Range } from "./Filters.tsx";
import { formatPercent, loyaltyClassLabel } from "./loyalty.ts";
import { CustomerClassCountsQuery, CustomerLoyaltyDaysQuery } from "./queries.ts";
import { SummaryCard } from "./SummaryCard.tsx";

interface Props {
  range: Range;
  onRange(range: Range): void;
  location: string;
  onLocation(id: string): void;
}

export function CustomersTab({ range, onRange, location, onLocation }: Props) {
  const [{ data, fetching, error }] = useQuery({
    query: CustomerLoyaltyDaysQuery,
    variables: { from: range.from, to: range.to, location: location || null },
  });
  const rows = data?.customerLoyaltyDays ?? [];
  const busyDays = rows.filter((r) => r.customers > 0);
  const locale = useViewer().tenant?.locale;

  const totals = useMemo(() => {
    let visits = 0, fresh = 0, returning = 0;
    for (const r of rows) {
      visits += r.customers;
      fresh += r.newCustomers;
      returning += r.returningCustomers;
    }
    // Over the period as the server computes a day: returning / customers, 0 without customers.
    return { visits, fresh, returning, repeatRate: visits ? returning / visits : 0 };
  }, [rows]);

  return (
    <Stack spacing={3}>
      <Stack direction={{ xs: "column", md: "row" }} spacing={2} sx={{ alignItems: { md: "flex-start" } }}>
        <DateRange value={range} onChange={onRange} />
        <LocationFilter value={location} onChange={onLocation} />
      </Stack>
      {error && <Alert severity="error">{errorMessage(error)}</Alert>}
      {!data && fetching ? (
        <Loading />
      ) : (
        <>
          <Grid container spacing={2}>
            <Grid size={{ xs: 6, md: 3 }}>
              <SummaryCard label="New customers" value={String(totals.fresh)} testId="customers-new" />
            </Grid>
            <Grid size={{ xs: 6, md: 3 }}>
              <SummaryCard label="Returning customers" value={String(totals.returning)} testId="customers-returning" />
            </Grid>
            <Grid size={{ xs: 6, md: 3 }}>
              <SummaryCard label="Repeat rate" value={formatPercent(totals.repeatRate)} testId="customers-repeat-rate" />
            </Grid>
            <Grid size={{ xs: 6, md: 3 }}>
              <SummaryCard label="Customer visits" value={String(totals.visits)} testId="customers-visits" />
            </Grid>
          </Grid>
          <Typography variant="body2" color="text.secondary" sx={{ mt: -1 }}>
            A customer counts once on each day they bought: new on the day of their first order ever, returning on any
            later day. The repeat rate is the share of those customer visits that were returning customers.
          </Typography>
          <Card>
            <CardContent>
              <Typography variant="h6" component="h2">
                New and returning customers per day
              </Typography>
              <Box data-testid="customers-chart" aria-label="New and returning customers per day chart" role="figure">
                {busyDays.length > 0 ? (
                  <BarChart
                    height={320}
                    xAxis={[{ scaleType: "band", data: rows.map((r) => r.businessDate), valueFormatter: (d: string) => shortDate(d, locale) }]}
                    yAxis={[{ tickMinStep: 1 }]}
                    series={[
                      { label: "New", data: rows.map((r) => r.newCustomers), stack: "customers" },
                      { label: "Returning", data: rows.map((r) => r.returningCustomers), stack: "customers" },
                    ]}
                  />
                ) : (
                  <Typography color="text.secondary" sx={{ py: 4 }}>
                    No customer bought in this period.
                  </Typography>
                )}
              </Box>
            </CardContent>
          </Card>
          {busyDays.length > 0 && (
            <Card>
              <DataTable
                label="Customers per day"
                rows={busyDays}
                rowKey={(r) => r.businessDate}
                hover={false}
                columns={[
                  { header: "Date", cell: (r) => r.businessDate },
                  { header: "New", align: "right", cell: (r) => r.newCustomers },
                  { header: "Returning", align: "right", cell: (r) => r.returningCustomers },
                  // New plus returning, the two beside it: what a phone has no room for.
                  { header: "Customers", align: "right", hideBelow: "sm", cell: (r) => r.customers },
                  { header: "Repeat rate", align: "right", cell: (r) => formatPercent(Number(r.repeatRate)) },
                ]}
              />
            </Card>
          )}
        </>
      )}
      <ClassDistribution />
    </Stack>
  );
}

/** Active customers per loyalty class now: every class, zeros included (not filtered by date or location). */
function ClassDistribution() {
  const [{ data, fetching, error }] = useQuery({ query: CustomerClassCountsQuery, requestPolicy: "cache-and-network" });
  const rows = data?.customerClassCounts ?? [];
  const total = rows.reduce((sum, r) => sum + r.customers, 0);

  return (
    <Card>
      <CardContent>
        <Typography variant="h6" component="h2">
          Customers by loyalty class
        </Typography>
        <Typography variant="body2" color="text.secondary">
          Active customers today, in every location, with the thresholds of Settings → Customer loyalty.
        </Typography>
        {error && <Alert severity="error">{errorMessage(error)}</Alert>}
        {!data && fetching ? (
          <Loading />
        ) : total === 0 ? (
          <Typography color="text.secondary" sx={{ py: 4 }}>
            No customers yet.
          </Typography>
        ) : (
          <Stack direction={{ xs: "column", md: "row" }} spacing={3} sx={{ alignItems: { md: "center" } }}>
            <Box data-testid="customer-classes-chart" aria-label="Customers by loyalty class chart" role="figure" sx={{ flex: 2, minWidth: 0 }}>
              <BarChart
                height={260}
                layout="horizontal"
                yAxis={[{ scaleType: "band", data: rows.map((r) => loyaltyClassLabel(r.loyaltyClass)), width: 110 }]}
                xAxis={[{ tickMinStep: 1 }]}
                series={[{ label: "Customers", data: rows.map((r) => r.customers) }]}
                hideLegend
              />
            </Box>
            <DataTable
              label="Customers by loyalty class"
              sx={{ flex: 1 }}
              rows={rows}
              rowKey={(r) => r.loyaltyClass ?? "none"}
              hover={false}
              columns={[
                { header: "Class", cell: (r) => loyaltyClassLabel(r.loyaltyClass) },
                { header: "Customers", align: "right", cell: (r) => r.customers },
              ]}
            />
          </Stack>
        )}
      </CardContent>
    </Card>
  );
}
