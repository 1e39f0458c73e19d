// Today's customers split into new (their first order ever) and returning (they had bought on an
// earlier day), as the Customers report counts them, and how many came in the last 30 days.
// Titles and links avoid the word "Customers": the menu's link and the customers page's heading
// are found by it.
import { Alert, Box, Button, Grid, Typography } from "@mui/material";
import { Link as RouterLink } from "react-router-dom";
import { useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { CustomerLoyaltyDaysQuery } from "../reporting/queries.ts";
import { useCan } from "../shell/ViewerContext.tsx";
import { reportLink } from "./links.ts";
import { Panel } from "./Panel.tsx";
import { DashboardMetricsQuery } from "./queries.ts";

export function CustomersCard({ today }: { today: string }) {
  const canOpenList = useCan("customers.view");
  const [metrics] = useQuery({ query: DashboardMetricsQuery, requestPolicy: "cache-and-network" });
  const [days] = useQuery({
    query: CustomerLoyaltyDaysQuery,
    variables: { from: today, to: today, location: null },
    requestPolicy: "cache-and-network",
  });
  const day = days.data?.customerLoyaltyDays?.[0];
  const active = metrics.data?.dashboardMetrics?.activeCustomers30D;
  const problem = days.error ?? metrics.error;

  return (
    <Panel title="New and returning today" link={{ label: "By day", to: reportLink("customers") }}>
      {problem && <Alert severity="error">{errorMessage(problem)}</Alert>}
      <Grid container spacing={2}>
        <Grid size={6}>
          <Figure label="New" value={day ? String(day.newCustomers) : "…"} testId="customers-new-today" />
        </Grid>
        <Grid size={6}>
          <Figure label="Returning" value={day ? String(day.returningCustomers) : "…"} testId="customers-returning-today" />
        </Grid>
        <Grid size={12}>
          <Figure label="Active customers (30 days)" value={active == null ? "…" : String(active)} testId="metric-active-customers" />
        </Grid>
      </Grid>
      {canOpenList && (
        <Box sx={{ mt: 1 }}>
          <Button component={RouterLink} to="/customers" size="small">
            Customer list
          </Button>
        </Box>
      )}
    </Panel>
  );
}

function Figure({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <>
      <Typography variant="overline" color="text.secondary" component="p">
        {label}
      </Typography>
      <Typography variant="h5" component="p" data-testid={testId}>
        {value}
      </Typography>
    </>
  );
}
