// The plans side by side, cheapest first: price, limits, modules, and Upgrade / Downgrade (or,
// after a cancellation, Reactivate) for people with settings.update. Each move is confirmed in
// ChangePlanDialog first.
import { Box, Button, Card, CardContent, Chip, Grid, Stack, Typography } from "@mui/material";
import { useState } from "react";
import { ChangePlanDialog, changeLabel, planChange } from "./ChangePlanDialog.tsx";
import { formatPrice, moduleLabel, perInterval, sortPlans } from "./format.ts";
import type { BillingRequest, Plan, Subscription } from "./queries.ts";

interface Props {
  plans: Plan[];
  subscription: Subscription | null;
  canUpdate: boolean;
  title?: string;
  subtitle?: string;
  onChanged(request: BillingRequest, target: Plan): void;
}

export function PlansCard({ plans, subscription, canUpdate, title = "Plans", subtitle, onChanged }: Props) {
  const [target, setTarget] = useState<Plan | null>(null);
  const current = subscription?.plan ?? null;
  const ended = subscription?.status === "canceled";
  return (
    <Card>
      <CardContent>
        <Typography variant="h6" component="h2">
          {title}
        </Typography>
        {subtitle && (
          <Typography variant="body2" color="text.secondary">
            {subtitle}
          </Typography>
        )}
        <Grid container spacing={2} sx={{ mt: 1 }}>
          {sortPlans(plans).map((plan) => {
            const isCurrent = !ended && plan.key === current?.key;
            const change = planChange(plan, current, subscription);
            // The server's words for why this move would be refused now (usage over its limits).
            const problem = change ? plan.changeProblem : null;
            return (
              <Grid key={plan.key} size={{ xs: 12, sm: 6 }}>
                <Box
                  role="group"
                  aria-label={`${plan.name} plan`}
                  sx={{
                    height: "100%",
                    p: 2.5,
                    borderRadius: 2,
                    border: 2,
                    borderColor: isCurrent ? "primary.main" : "divider",
                    display: "flex",
                    flexDirection: "column",
                    gap: 1.5,
                  }}
                >
                  <Stack direction="row" sx={{ alignItems: "center", justifyContent: "space-between" }}>
                    <Typography variant="h6" component="h3">
                      {plan.name}
                    </Typography>
                    {isCurrent && <Chip size="small" color="primary" label="Current plan" />}
                  </Stack>
                  <Typography>
                    <Box component="span" sx={{ fontSize: 24, fontWeight: 700 }}>
                      {formatPrice(plan.priceCents, plan.currency)}
                    </Box>{" "}
                    <Box component="span" sx={{ color: "text.secondary" }}>
                      / {perInterval(plan.billingInterval)}
                    </Box>
                  </Typography>
                  <Typography variant="body2" color="text.secondary">
                    {plan.maxSeats} seats · {plan.maxLocations} locations · {plan.maxDevices} POS devices
                  </Typography>
                  <Stack direction="row" sx={{ flexWrap: "wrap", gap: 0.75 }}>
                    {plan.modules
                      .filter((m): m is string => Boolean(m))
                      .map((m) => (
                        <Chip key={m} size="small" variant="outlined" label={moduleLabel(m)} />
                      ))}
                  </Stack>
                  {problem && (
                    <Typography variant="body2" color="warning.dark" data-testid="plan-change-problem">
                      {problem}
                    </Typography>
                  )}
                  <Box sx={{ flexGrow: 1 }} />
                  {canUpdate && change && (
                    <Box>
                      <Button variant={change === "downgrade" ? "outlined" : "contained"} onClick={() => setTarget(plan)}>
                        {changeLabel(change, plan)}
                      </Button>
                    </Box>
                  )}
                </Box>
              </Grid>
            );
          })}
        </Grid>
      </CardContent>
      {target && (
        <ChangePlanDialog
          key={target.key}
          target={target}
          current={current}
          subscription={subscription}
          onClose={() => setTarget(null)}
          onChanged={(request, plan) => {
            setTarget(null);
            onChanged(request, plan);
          }}
        />
      )}
    </Card>
  );
}
