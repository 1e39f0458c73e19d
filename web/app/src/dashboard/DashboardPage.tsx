// The home page: who and where you are, what is set up, and what is on its way.
import { Button, Card, CardContent, Grid, Stack, Typography } from "@mui/material";
import { Link as RouterLink } from "react-router-dom";
import { useQuery } from "urql";
import { LocationsQuery } from "../settings/queries.ts";
import { useCan, useViewer } from "../shell/ViewerContext.tsx";
import { ComingSoon } from "../ui/ComingSoon.tsx";
import { PageHeader } from "../ui/PageHeader.tsx";

export function DashboardPage() {
  const { user, tenant } = useViewer();
  const canSeeSettings = useCan("settings.view");
  const [{ data }] = useQuery({ query: LocationsQuery });
  const locations = data?.locations?.nodes;
  const firstName = user.name.split(/\s+/)[0];

  return (
    <>
      <PageHeader title={`Welcome, ${firstName}`} subtitle={tenant ? `Here is ${tenant.name} at a glance.` : undefined} />
      <Grid container spacing={3}>
        <Grid size={{ xs: 12, md: 5 }}>
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
        <Grid size={{ xs: 12, md: 7 }}>
          <Stack spacing={3}>
            <ComingSoon
              summary="Your sales at a glance will live here once the POS sends its first orders:"
              items={["Today's sales and orders by location", "Average basket and busiest hours", "Top customers this month"]}
            />
          </Stack>
        </Grid>
      </Grid>
    </>
  );
}
