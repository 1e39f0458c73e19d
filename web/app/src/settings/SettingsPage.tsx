// Settings: the business itself, its staff and roles, its locations, their tax rates, its receipt, the customer
// loyalty thresholds and customer types, a summary of its plan (Settings → Billing has the rest)
// and the way to the audit log.
import { Button, Card, CardContent, Stack, Typography } from "@mui/material";
import { Link as RouterLink } from "react-router-dom";
import { BillingCard } from "../billing/BillingCard.tsx";
import { useCan } from "../shell/ViewerContext.tsx";
import { NotAllowed } from "../ui/NotAllowed.tsx";
import { PageHeader } from "../ui/PageHeader.tsx";
import { BusinessCard } from "./BusinessCard.tsx";
import { CustomerTiersCard } from "./CustomerTiersCard.tsx";
import { CustomerTypesCard } from "./CustomerTypesCard.tsx";
import { LocationsCard } from "./LocationsCard.tsx";
import { AccountsCard } from "./AccountsCard.tsx";
import { LoyaltyCard } from "./LoyaltyCard.tsx";
import { LoyaltyPointsCard } from "./LoyaltyPointsCard.tsx";
import { ReceiptCard } from "./ReceiptCard.tsx";
import { RolesCard } from "./RolesCard.tsx";
import { StaffCard } from "./StaffCard.tsx";
import { TaxCard } from "./TaxCard.tsx";

export function SettingsPage() {
  const canView = useCan("settings.view");
  const canUpdate = useCan("settings.update");
  return (
    <>
      <PageHeader
        title="Settings"
        subtitle={canUpdate || !canView ? "Your business, its staff, locations, tax and receipt, its customers' loyalty and types, and its plan." : "Your role can see these settings but not change them."}
      />
      {canView ? (
        <Stack spacing={3}>
          <BusinessCard canUpdate={canUpdate} />
          <StaffCard canUpdate={canUpdate} />
          <RolesCard canUpdate={canUpdate} />
          <LocationsCard canUpdate={canUpdate} />
          <TaxCard canUpdate={canUpdate} />
          <ReceiptCard canUpdate={canUpdate} />
          <LoyaltyCard canUpdate={canUpdate} />
          <LoyaltyPointsCard canUpdate={canUpdate} />
          <AccountsCard canUpdate={canUpdate} />
          <CustomerTypesCard canUpdate={canUpdate} />
          <CustomerTiersCard canUpdate={canUpdate} />
          <BillingCard />
          <AuditLogCard />
        </Stack>
      ) : (
        <NotAllowed what="settings" />
      )}
    </>
  );
}

function AuditLogCard() {
  return (
    <Card>
      <CardContent>
        <Stack direction="row" spacing={2} useFlexGap sx={{ alignItems: "flex-start", justifyContent: "space-between", flexWrap: "wrap" }}>
          <Stack spacing={0.5}>
            <Typography variant="h6" component="h2">
              Audit log
            </Typography>
            <Typography variant="body2" color="text.secondary">
              Every change to customers, orders, locations, staff and billing: who made it, when, and the reason given.
            </Typography>
          </Stack>
          <Button component={RouterLink} to="/settings/audit" variant="outlined">
            View audit log
          </Button>
        </Stack>
      </CardContent>
    </Card>
  );
}
