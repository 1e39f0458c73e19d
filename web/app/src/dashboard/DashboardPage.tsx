// The home page tells the day's story, Square's home being the model: today's net sales, sales
// and average sale against the same weekday last week, the last 14 days, what sells, what runs
// low, who came in, the latest sales and the locations. Each block opens its report. Figures
// need reports.view and, like the Reports tabs, the plan's modules (useEntitlements); a cashier
// gets the latest sales and the locations. "Today" is on the locations' clock (days.ts).
import { Alert, Grid, Stack } from "@mui/material";
import type { ReactNode } from "react";
import { useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { addDays } from "../reporting/dates.ts";
import { DailySalesQuery } from "../reporting/queries.ts";
import { SalesChart } from "../reporting/SalesChart.tsx";
import { useEntitlements } from "../reporting/useEntitlements.ts";
import { LocationsQuery } from "../settings/queries.ts";
import { useCan, useViewer } from "../shell/ViewerContext.tsx";
import { Loading } from "../ui/Loading.tsx";
import { PageHeader } from "../ui/PageHeader.tsx";
import { CustomersCard } from "./CustomersCard.tsx";
import { businessToday } from "./days.ts";
import { LocationsCard } from "./LocationsCard.tsx";
import { LowStockCard } from "./LowStockCard.tsx";
import { reportLink } from "./links.ts";
import { Panel } from "./Panel.tsx";
import { RecentSalesCard } from "./RecentSalesCard.tsx";
import { TodayFigures } from "./TodayFigures.tsx";
import { TopItemsCard } from "./TopItemsCard.tsx";

const DAYS = 14;
const THIRD = { xs: 12, md: 6, lg: 4 } as const;

export function DashboardPage() {
  const { user, tenant } = useViewer();
  const canSeeFigures = useCan("reports.view");
  const [{ data }] = useQuery({ query: LocationsQuery });
  const locations = data?.locations?.nodes;
  const firstName = user.name.split(/\s+/)[0];
  // The clock of the shops that still sell (all of them if every one is closed).
  const selling = locations?.filter((l) => !l.closedAt);
  const today = locations ? businessToday((selling?.length ? selling : locations).map((l) => l.timezone)) : null;

  // What every member may see: the latest sales (orders are readable by all) and the locations.
  const everyone = (
    <>
      <Grid size={THIRD}>
        <RecentSalesCard manyLocations={(locations?.length ?? 0) > 1} />
      </Grid>
      <Grid size={THIRD}>
        <LocationsCard locations={locations} />
      </Grid>
    </>
  );

  return (
    <>
      <PageHeader title={`Welcome, ${firstName}`} subtitle={tenant ? `Here is ${tenant.name} today.` : undefined} />
      {!canSeeFigures ? (
        <Stack spacing={3}>
          <Alert severity="info">Sales figures are shown to roles with access to reports. Ask an owner if you need them.</Alert>
          <Grid container spacing={3}>
            {everyone}
          </Grid>
        </Stack>
      ) : today ? (
        <Figures today={today}>{everyone}</Figures>
      ) : (
        <Loading />
      )}
    </>
  );
}

/** The figures, by the plan's modules as the Reports tabs go; `children` are the blocks everyone gets. */
function Figures({ today, children }: { today: string; children: ReactNode }) {
  const entitlements = useEntitlements();
  const [{ data, error }] = useQuery({
    query: DailySalesQuery,
    variables: { from: addDays(today, 1 - DAYS), to: today, location: null },
    requestPolicy: "cache-and-network",
  });
  if (!entitlements.ready) return <Loading />;
  const has = (...modules: string[]) => entitlements.check(["reporting", ...modules]).kind === "included";
  const rows = data?.dailySales ?? undefined;

  return (
    <Stack spacing={3}>
      {error && <Alert severity="error">{errorMessage(error)}</Alert>}
      {has() && <TodayFigures today={today} />}
      <Grid container spacing={3}>
        {has() && (
          <Grid size={{ xs: 12, md: has("customers") ? 8 : 12 }}>
            <Panel title={`Net sales, last ${DAYS} days`} link={{ label: "Sales by day", to: reportLink("sales") }}>
              {rows ? <SalesChart rows={rows} /> : <Loading />}
            </Panel>
          </Grid>
        )}
        {has("customers") && (
          <Grid size={{ xs: 12, md: 4 }}>
            <CustomersCard today={today} />
          </Grid>
        )}
        {has() && (
          <Grid size={THIRD}>
            <TopItemsCard today={today} />
          </Grid>
        )}
        {has("inventory") && (
          <Grid size={THIRD}>
            <LowStockCard />
          </Grid>
        )}
        {children}
      </Grid>
    </Stack>
  );
}
