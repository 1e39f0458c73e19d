// The home page: today's figures (sales, orders, low stock, active customers), then where you are.
import { Box, Button, Card, CardContent, Grid, Typography } from "@mui/material";
import { Link as RouterLink } from "react-router-dom";
import { useQuery } from "urql";
import { LocationsQuery } from "../settings/queries.ts";
import { useCan, useViewer } from "../shell/ViewerContext.tsx";
import { PageHeader } from "../ui/PageHeader.tsx";
import { MetricsCards } from "./MetricsCards.tsx";

export function DashboardPage() {
  const { user, tenant } = useViewer();
  const canSeeSettings = useCan("settings.view");
  const canSeeReports = useCan("reports.view");
  const [{ data }] = useQuery({ query: LocationsQuery });
  const locations = data?.locations?.nodes;
  const firstName = user.name.split(/\s+/)[0];

  return (
    <>
      <PageHeader title={`Welcome, ${firstName}`} subtitle={tenant ? `Here is ${tenant.name} at a glance.` : undefined} />
      <Box sx={{ mb: 3 }}>
        <MetricsCards />
      </Box>
      <Grid container spacing={3}>
        <Grid size={{ xs: 12, md: 6 }}>
          <Card sx={{ height: "100%" }}>
            <CardContent>
              <Typography variant="overline" color="text.secondary">
                Locations
              </Typography>
              <Typography variant="h4" component="p" sx={{ my: 1 }}>
                {locations ? locations.length : "…"}
              </Typography>
              <Typography color="text.secondary" sx={{ mb: 2 }}>
                {locations?.map((l) => l.name).join(", ") || "Shops of this business appear here."}
              </Typography>
              {canSeeSettings && (
                <Button component={RouterLink} to="/settings" variant="outlined">
                  Manage locations
                </Button>
              )}
            </CardContent>
          </Card>
        </Grid>
        {canSeeReports && (
          <Grid size={{ xs: 12, md: 6 }}>
            <Card sx={{ height: "100%" }}>
              <CardContent>
                <Typography variant="overline" color="text.secondary">
                  Reports
                </Typography>
                <Typography color="text.secondary" sx={{ my: 1, mb: 2 }}>
                  Sales by day, best-selling items and stock levels, with CSV exports.
                </Typography>
                <Button component={RouterLink} to="/reports" variant="outlined">
                  Open reports
                </Button>
              </CardContent>
            </Card>
          </Grid>
        )}
      </Grid>
    </>
  );
}
