// What a report tab shows when the business's plan lacks its module: which plan has it, and the
// way to the billing page (where people with settings.update change plan).
import { Button, Card, CardContent, Chip, Typography } from "@mui/material";
import { Link as RouterLink } from "react-router-dom";
import { useCan } from "../shell/ViewerContext.tsx";

/** `what`: the screen, in words ("Inventory"); `plan`: the cheapest plan that includes it. */
export function UpgradeCard({ what, plan }: { what: string; plan: string }) {
  const canSee = useCan("settings.view");
  const canChange = useCan("settings.update");
  return (
    <Card data-testid="upgrade-card">
      <CardContent>
        <Chip label={`On ${plan}`} color="secondary" variant="outlined" size="small" sx={{ mb: 1.5 }} />
        <Typography sx={{ mb: 2 }}>
          {what} comes with the {plan} plan; your plan does not include it.{" "}
          {canChange ? `Upgrade to ${plan} to use it.` : "Ask an owner of the business to upgrade if you need it."}
        </Typography>
        {canSee && (
          <Button component={RouterLink} to="/settings/billing" variant={canChange ? "contained" : "outlined"}>
            {canChange ? `Upgrade to ${plan}` : "See plans"}
          </Button>
        )}
      </CardContent>
    </Card>
  );
}
