// Confirms a move to another plan, showing what changes: the price (per month, and the
// difference), the limits and the modules. Confirming calls changePlan and waits for the worker;
// a refusal (DOWNG: usage above the smaller plan's limits, GRACE, a declined card…) is shown in
// the server's words, and so is, ahead of asking, why the server would refuse it now
// (Plan.changeProblem). Within the grace period after a cancellation the same dialog reactivates.
// An optional reason is kept in the audit log; the server's complaint about it goes under it.
import {
  Alert,
  Box,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Stack,
  TextField,
  Typography,
} from "@mui/material";
import { useForm } from "../lib/useForm.ts";
import { formatDay, formatPrice, moduleLabel, perInterval } from "./format.ts";
import type { BillingRequest, Plan, Subscription } from "./queries.ts";
import { useBillingRequest } from "./useBillingRequest.ts";

export type PlanChange = "upgrade" | "downgrade" | "reactivate";

export function planChange(target: Plan, current: Plan | null | undefined, subscription: Subscription | null | undefined): PlanChange | null {
  if (subscription?.status === "canceled") return "reactivate";
  if (!current || current.key === target.key) return null;
  return target.priceCents >= current.priceCents ? "upgrade" : "downgrade";
}

export function changeLabel(change: PlanChange, target: Plan): string {
  if (change === "reactivate") return `Reactivate on ${target.name}`;
  return `${change === "upgrade" ? "Upgrade" : "Downgrade"} to ${target.name}`;
}

interface Props {
  target: Plan;
  current: Plan | null;
  subscription: Subscription | null;
  onClose(): void;
  onChanged(request: BillingRequest, target: Plan): void;
}

export function ChangePlanDialog({ target, current, subscription, onClose, onChanged }: Props) {
  const { busy, changePlan } = useBillingRequest();
  const form = useForm({ reason: "" });
  const change = planChange(target, current, subscription) ?? "upgrade";
  const title = changeLabel(change, target);
  const interval = perInterval(target.billingInterval);
  const difference = current ? target.priceCents - current.priceCents : 0;
  const gained = target.modules.filter((m): m is string => Boolean(m) && !current?.modules.includes(m!));
  const lost = current ? current.modules.filter((m): m is string => Boolean(m) && !target.modules.includes(m!)) : [];
  const trialing = subscription?.status === "trialing" && subscription.trialEndsAt;

  async function confirm() {
    const outcome = await changePlan(target.key, form.values.reason);
    if (!outcome) return;
    if ("error" in outcome) form.fail(outcome.error);
    else onChanged(outcome.request, target);
  }

  let explanation: string;
  if (change === "reactivate") {
    explanation = `Your card on file is charged ${formatPrice(target.priceCents, target.currency)} now, and your business is reactivated as soon as the payment goes through.`;
  } else if (trialing) {
    explanation = `You are in your free trial until ${formatDay(subscription!.trialEndsAt)}: nothing is charged now. After the trial, ${target.name} costs ${formatPrice(target.priceCents, target.currency)} a ${interval}.`;
  } else if (change === "upgrade") {
    explanation = "Stripe charges the difference for the rest of the current period on your next invoice.";
  } else {
    explanation = "Stripe credits the unused part of the current period on your next invoice.";
  }

  return (
    <Dialog open onClose={busy ? undefined : onClose} fullWidth maxWidth="sm" aria-labelledby="change-plan-title">
      <DialogTitle id="change-plan-title">{title}</DialogTitle>
      <DialogContent>
        <Stack spacing={2.5}>
          <Box
            data-testid="price-change"
            sx={{ display: "flex", flexWrap: "wrap", alignItems: "center", gap: 1.5, p: 2, borderRadius: 2, bgcolor: "action.hover" }}
          >
            {current && change !== "reactivate" && (
              <>
                <Box>
                  <Typography variant="caption" color="text.secondary">
                    Now: {current.name}
                  </Typography>
                  <Typography sx={{ fontWeight: 600 }}>
                    {formatPrice(current.priceCents, current.currency)} / {perInterval(current.billingInterval)}
                  </Typography>
                </Box>
                <Typography aria-hidden sx={{ fontSize: 22, color: "text.secondary" }}>
                  →
                </Typography>
              </>
            )}
            <Box>
              <Typography variant="caption" color="text.secondary">
                {change === "reactivate" ? "Plan" : "New"}: {target.name}
              </Typography>
              <Typography sx={{ fontWeight: 600 }}>
                {formatPrice(target.priceCents, target.currency)} / {interval}
              </Typography>
            </Box>
            {current && change !== "reactivate" && difference !== 0 && (
              <Typography sx={{ ml: "auto", fontWeight: 600 }} color={difference > 0 ? "text.primary" : "success.main"}>
                {difference > 0 ? "+" : "−"}
                {formatPrice(Math.abs(difference), target.currency)} a {interval}
              </Typography>
            )}
          </Box>
          <Typography>{explanation}</Typography>
          <Typography variant="body2" color="text.secondary">
            {target.name} allows {target.maxSeats} seats, {target.maxLocations} locations and {target.maxDevices} POS devices
            {current && change !== "reactivate"
              ? ` (now ${current.maxSeats}, ${current.maxLocations} and ${current.maxDevices})`
              : ""}
            .{gained.length > 0 && current && ` Adds ${gained.map(moduleLabel).join(", ")}.`}
            {lost.length > 0 && ` You would lose ${lost.map(moduleLabel).join(", ")}.`}
          </Typography>
          {/* Ahead of asking: the server's words for why it would refuse the move now. */}
          {target.changeProblem && !form.formError && (
            <Alert severity="warning" data-testid="plan-change-problem">
              {target.changeProblem}
            </Alert>
          )}
          <TextField
            label="Reason (optional)"
            disabled={busy}
            {...form.text("reason", "Kept in the audit log with the change.")}
          />
          {busy && (
            <Typography role="status" color="text.secondary">
              {change === "reactivate" ? "Reactivating your subscription with Stripe…" : "Changing your plan with Stripe…"}
            </Typography>
          )}
          {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
        </Stack>
      </DialogContent>
      <DialogActions sx={{ px: 3, pb: 2 }}>
        <Button onClick={onClose} disabled={busy}>
          Cancel
        </Button>
        {/* Refused for usage (DOWNG) or time (GRACE): trying again would say the same. */}
        <Button
          variant="contained"
          loading={busy}
          disabled={form.formError?.code === "DOWNG" || form.formError?.code === "GRACE"}
          onClick={() => void confirm()}
        >
          {title}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
