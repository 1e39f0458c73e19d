// Usage against the plan's limits: seats (people), locations and POS devices, each as a bar
// "used / limit". A bar turns orange near the limit and red at or beyond it (new ones are then
// refused with LIMIT until someone is removed or the plan is upgraded).
import { Box, Card, CardContent, LinearProgress, Stack, Typography } from "@mui/material";
import type { Plan, Subscription } from "./queries.ts";
import { usageOf } from "./usage.ts";

export function UsageCard({ subscription, plan }: { subscription: Subscription; plan: Plan }) {
  const items = usageOf(subscription, plan);
  const full = items.filter((u) => u.used >= u.limit);
  return (
    <Card sx={{ height: "100%" }}>
      <CardContent>
        <Typography variant="h6" component="h2" gutterBottom>
          Usage
        </Typography>
        <Stack spacing={2.5}>
          {items.map((u) => {
            const id = `usage-${u.key}`;
            const ratio = u.limit > 0 ? u.used / u.limit : 1;
            const color = ratio >= 1 ? "error" : ratio >= 0.8 ? "warning" : "primary";
            return (
              <Box key={u.key} role="group" aria-labelledby={id}>
                <Stack direction="row" sx={{ justifyContent: "space-between", mb: 0.75 }}>
                  <Typography id={id} variant="body2" sx={{ fontWeight: 600 }}>
                    {u.label}
                  </Typography>
                  <Typography variant="body2" color={ratio > 1 ? "error" : "text.secondary"} data-testid={`${id}-count`}>
                    {u.used} / {u.limit}
                  </Typography>
                </Stack>
                <LinearProgress
                  variant="determinate"
                  value={Math.min(100, ratio * 100)}
                  color={color}
                  aria-label={u.label}
                  aria-valuetext={`${u.used} of ${u.limit}`}
                  sx={{ height: 8, borderRadius: 4 }}
                />
              </Box>
            );
          })}
        </Stack>
        {full.length > 0 && (
          <Typography variant="body2" color="text.secondary" sx={{ mt: 2 }}>
            You have reached the {plan.name} plan's limit of {full.map((u) => (u.key === "devices" ? "POS devices" : u.key)).join(" and ")}.
            Upgrade to add more.
          </Typography>
        )}
      </CardContent>
    </Card>
  );
}
