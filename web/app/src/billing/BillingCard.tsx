// Settings' summary of the plan: name, price, status, the next date that matters and usage in
// one line, with a link to the billing page.
import { Alert, Button, Card, CardContent, Skeleton, Stack, Typography } from "@mui/material";
import { Link as RouterLink } from "react-router-dom";
import { useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { formatDay, formatPrice, perInterval, trialEndsText } from "./format.ts";
import { BillingQuery, type Subscription } from "./queries.ts";
import { StatusChip } from "./StatusChip.tsx";
import { usageOf } from "./usage.ts";

function nextDate(s: Subscription): string | null {
  if (s.status === "trialing" && s.trialEndsAt) return `${trialEndsText(s.trialEndsAt)} (${formatDay(s.trialEndsAt)})`;
  if (s.status === "canceled") return s.graceEndsAt ? `Ended; reactivate before ${formatDay(s.graceEndsAt)}` : "Ended";
  if (s.cancelAtPeriodEnd && s.currentPeriodEnd) return `Ends on ${formatDay(s.currentPeriodEnd)}`;
  if (s.currentPeriodEnd) return `Renews on ${formatDay(s.currentPeriodEnd)}`;
  return null;
}

export function BillingCard() {
  const [{ data, error, fetching }] = useQuery({ query: BillingQuery });
  const s = data?.currentBillingSubscription ?? null;
  return (
    <Card>
      <CardContent>
        <Stack direction="row" spacing={2} useFlexGap sx={{ alignItems: "flex-start", justifyContent: "space-between", flexWrap: "wrap" }}>
          <Stack spacing={0.5}>
            <Typography variant="h6" component="h2">
              Plan and billing
            </Typography>
            {!data && fetching && <Skeleton width={280} />}
            {error && !data && <Alert severity="error">{errorMessage(error)}</Alert>}
            {data && !s && <Typography color="text.secondary">Your subscription is being set up.</Typography>}
            {s && (
              <>
                <Stack direction="row" spacing={1.5} sx={{ alignItems: "center" }}>
                  <Typography data-testid="billing-summary-plan">
                    <strong>{s.plan?.name ?? s.planKey}</strong>
                    {s.plan && ` · ${formatPrice(s.plan.priceCents, s.plan.currency)} / ${perInterval(s.plan.billingInterval)}`}
                  </Typography>
                  <StatusChip status={s.status} />
                </Stack>
                {nextDate(s) && (
                  <Typography variant="body2" color="text.secondary">
                    {nextDate(s)}
                  </Typography>
                )}
                {s.plan && (
                  <Typography variant="body2" color="text.secondary">
                    {usageOf(s, s.plan)
                      .map((u) => `${u.used} of ${u.limit} ${u.label.toLowerCase().replace("pos", "POS")}`)
                      .join(" · ")}
                  </Typography>
                )}
              </>
            )}
          </Stack>
          <Button component={RouterLink} to="/settings/billing" variant="outlined">
            View billing
          </Button>
        </Stack>
      </CardContent>
    </Card>
  );
}
