// The current plan: name, price, status badge, and the dates that matter for that status
// (trial end, current period, cancellation and the grace period after it), with its modules.
import { Alert, Card, CardContent, Chip, Stack, Typography } from "@mui/material";
import type { ReactNode } from "react";
import { formatDay, formatPeriod, formatPrice, moduleLabel, perInterval, trialEndsText } from "./format.ts";
import type { Subscription } from "./queries.ts";
import { StatusChip } from "./StatusChip.tsx";

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Stack direction="row" spacing={1} sx={{ alignItems: "baseline" }}>
      <Typography variant="body2" color="text.secondary" sx={{ minWidth: 130 }}>
        {label}
      </Typography>
      <Typography variant="body2" component="div">
        {children}
      </Typography>
    </Stack>
  );
}

/** `suspended`: the page says why above, so the status warnings are left out. */
export function CurrentPlanCard({ subscription, suspended = false }: { subscription: Subscription; suspended?: boolean }) {
  const plan = subscription.plan;
  const s = subscription;
  return (
    <Card sx={{ height: "100%" }}>
      <CardContent>
        <Typography variant="overline" color="text.secondary">
          Current plan
        </Typography>
        <Stack direction="row" spacing={1.5} useFlexGap sx={{ alignItems: "center", flexWrap: "wrap" }}>
          <Typography variant="h5" component="h2" data-testid="billing-plan-name">
            {plan?.name ?? s.planKey}
          </Typography>
          <StatusChip status={s.status} />
        </Stack>
        {plan && (
          <Typography sx={{ mt: 0.5 }} data-testid="billing-plan-price">
            <strong>{formatPrice(plan.priceCents, plan.currency)}</strong> / {perInterval(plan.billingInterval)}
          </Typography>
        )}

        <Stack spacing={0.75} sx={{ mt: 2 }}>
          {s.status === "trialing" && s.trialEndsAt && (
            <Fact label="Free trial">
              <strong data-testid="billing-trial-ends">{trialEndsText(s.trialEndsAt)}</strong> ({formatDay(s.trialEndsAt)})
            </Fact>
          )}
          {s.status !== "canceled" && (s.currentPeriodStart || s.currentPeriodEnd) && (
            <Fact label={s.status === "trialing" ? "Trial period" : "Current period"}>{formatPeriod(s.currentPeriodStart, s.currentPeriodEnd)}</Fact>
          )}
          {s.status !== "canceled" && s.currentPeriodEnd && (
            <Fact label={s.cancelAtPeriodEnd ? "Ends on" : s.status === "trialing" ? "First payment" : "Renews on"}>
              {formatDay(s.currentPeriodEnd)}
            </Fact>
          )}
          {s.canceledAt && <Fact label="Ended on">{formatDay(s.canceledAt)}</Fact>}
          {s.status === "canceled" && s.graceEndsAt && (
            <Fact label="Grace period until">
              <strong>{formatDay(s.graceEndsAt)}</strong>
            </Fact>
          )}
        </Stack>

        {s.cancelAtPeriodEnd && s.status !== "canceled" && (
          <Alert severity="warning" sx={{ mt: 2 }}>
            Your subscription is canceled and ends on {formatDay(s.currentPeriodEnd)}. Reopen it in the billing portal to keep your
            business running.
          </Alert>
        )}
        {s.status === "past_due" && !suspended && (
          <Alert severity="warning" sx={{ mt: 2 }}>
            Your last payment failed. Stripe will try again; update your card in the billing portal to avoid a suspension.
          </Alert>
        )}
        {s.status === "unpaid" && !suspended && (
          <Alert severity="error" sx={{ mt: 2 }}>
            Your invoices are unpaid. Pay the open invoice or update your card in the billing portal.
          </Alert>
        )}
        {s.status === "canceled" && !suspended && (
          <Alert severity="error" sx={{ mt: 2 }}>
            Your subscription has ended.{" "}
            {s.graceEndsAt && new Date(s.graceEndsAt).getTime() > Date.now()
              ? `Your data is kept until ${formatDay(s.graceEndsAt)}: choose a plan before then to reactivate your business.`
              : "The grace period is over; please contact support."}
          </Alert>
        )}

        {plan && (
          <>
            <Typography variant="body2" color="text.secondary" sx={{ mt: 2, mb: 1 }}>
              Included modules
            </Typography>
            <Stack direction="row" sx={{ flexWrap: "wrap", gap: 0.75 }} aria-label="Included modules" component="ul" style={{ padding: 0, margin: 0 }}>
              {plan.modules
                .filter((m): m is string => Boolean(m))
                .map((m) => (
                  <Chip key={m} component="li" size="small" label={moduleLabel(m)} />
                ))}
            </Stack>
          </>
        )}
      </CardContent>
    </Card>
  );
}
