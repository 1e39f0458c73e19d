// Settings: the business itself, its locations, and a summary of its plan (Settings → Billing
// has the rest).
import { Stack } from "@mui/material";
import { BillingCard } from "../billing/BillingCard.tsx";
import { useCan } from "../shell/ViewerContext.tsx";
import { NotAllowed } from "../ui/NotAllowed.tsx";
import { PageHeader } from "../ui/PageHeader.tsx";
import { BusinessCard } from "./BusinessCard.tsx";
import { LocationsCard } from "./LocationsCard.tsx";

export function SettingsPage() {
  const canView = useCan("settings.view");
  const canUpdate = useCan("settings.update");
  return (
    <>
      <PageHeader
        title="Settings"
        subtitle={canUpdate || !canView ? "Your business, its locations and its plan." : "Your role can see these settings but not change them."}
      />
      {canView ? (
        <Stack spacing={3}>
          <BusinessCard canUpdate={canUpdate} />
          <LocationsCard canUpdate={canUpdate} />
          <BillingCard />
        </Stack>
      ) : (
        <NotAllowed what="settings" />
      )}
    </>
  );
}
