// What a suspended business shows instead of every page but Settings → Billing: why it was
// suspended (payments failed, or the subscription ended and how long the data is kept), "Manage
// billing" (Stripe's portal, to update the card or pay the open invoice) and, after a
// cancellation, the plans to reactivate it on. The top bar stays: switching business and
// signing out still work.
import { Alert, Box, Button, Card, CardContent, Link, Stack, Typography } from "@mui/material";
import { useEffect } from "react";
import { Link as RouterLink } from "react-router-dom";
import { useQuery } from "urql";
import { useResetClient } from "../lib/ClientProvider.tsx";
import { useCan, useViewer } from "../shell/ViewerContext.tsx";
import { useViewerQuery } from "../shell/viewer.ts";
import { Loading } from "../ui/Loading.tsx";
import { BILLING_SUSPENSION_TYPES, formatDay, formatPrice } from "./format.ts";
import { OpenInNewIcon, PauseCircleIcon } from "../ui/icons.tsx";
import { ManageBillingButton } from "./ManageBillingButton.tsx";
import { PlansCard } from "./PlansCard.tsx";
import { BillingInvoicesQuery, BillingQuery, type Subscription } from "./queries.ts";

const inGrace = (s: Pick<Subscription, "graceEndsAt"> | null | undefined) =>
  Boolean(s?.graceEndsAt && new Date(s.graceEndsAt).getTime() > Date.now());

/** Why the business is suspended and how to get out of it, in words. */
export function suspensionText(
  reason: string | null | undefined,
  subscription: Pick<Subscription, "status" | "canceledAt" | "graceEndsAt"> | null | undefined,
): string {
  // Fraud, manual and technical suspensions are Backoffice support's: billing does not lift them.
  if (reason && !BILLING_SUSPENSION_TYPES.includes(reason)) {
    return "Backoffice support suspended your business; paying or changing plan does not lift this. Contact support to have it reactivated.";
  }
  if (reason === "canceled" || subscription?.status === "canceled") {
    const ended = subscription?.canceledAt ? ` on ${formatDay(subscription.canceledAt)}` : "";
    if (subscription?.graceEndsAt && !inGrace(subscription)) {
      return `Your subscription ended${ended}, and its 30-day grace period is over. Please contact support.`;
    }
    if (subscription?.graceEndsAt) {
      return `Your subscription ended${ended}. Your data is kept until ${formatDay(subscription.graceEndsAt)}: choose a plan before then to reactivate your business.`;
    }
    return `Your subscription ended${ended}. Choose a plan to reactivate your business.`;
  }
  if (reason === "nonpayment") {
    return "We could not collect the payment for your subscription. Update your card or pay the open invoice in the billing portal, and your business is reactivated as soon as the payment goes through.";
  }
  return "Open the billing portal to update your payment details, and your business is reactivated.";
}

export function SuspendedPage() {
  const { tenant, user } = useViewer();
  const canView = useCan("settings.view");
  const canUpdate = useCan("settings.update");
  const resetClient = useResetClient();
  const [{ data, fetching }] = useQuery({ query: BillingQuery, pause: !canView });
  const [{ data: invoiceData }] = useQuery({ query: BillingInvoicesQuery, pause: !canView });
  const [, refetchViewer] = useViewerQuery();
  // Back from paying in another tab (or the portal): is the business active again?
  useEffect(() => {
    const recheck = () => refetchViewer({ requestPolicy: "network-only" });
    window.addEventListener("focus", recheck);
    return () => window.removeEventListener("focus", recheck);
  }, [refetchViewer]);
  const otherBusinesses = user.memberships.nodes.filter((m) => m.tenant && m.tenant.rowId !== tenant?.rowId).length;

  if (tenant?.status === "closed") {
    return (
      <Card sx={{ maxWidth: 720, mx: "auto", mt: { md: 4 } }}>
        <CardContent sx={{ p: 4 }}>
          <Typography variant="h4" component="h1" gutterBottom>
            This business has been closed
          </Typography>
          <Typography color="text.secondary">
            {otherBusinesses > 0 ? "Switch to another business from the top bar, or sign out." : "You can sign out from the top bar."}
          </Typography>
        </CardContent>
      </Card>
    );
  }
  if (canView && !data && fetching) return <Loading />;

  const subscription = data?.currentBillingSubscription ?? null;
  const reason = data?.currentTenant?.suspensionReason ?? tenant?.suspensionReason ?? null;
  const ended = reason === "canceled" || subscription?.status === "canceled";
  const openInvoice = (invoiceData?.billingInvoices?.nodes ?? []).find((i) => i.status === "open" && i.hostedInvoiceUrl);
  const plans = data?.plans?.nodes ?? [];

  return (
    <Stack spacing={3} sx={{ maxWidth: 860, mx: "auto", mt: { md: 2 } }}>
      <Card>
        <CardContent sx={{ p: { xs: 3, md: 5 } }}>
          <Stack spacing={2.5} sx={{ alignItems: "flex-start" }}>
            <PauseCircleIcon color="error" sx={{ fontSize: 48 }} />
            <Box>
              <Typography variant="h4" component="h1">
                Your account has been suspended
              </Typography>
              <Typography color="text.secondary" sx={{ mt: 0.5 }}>
                {tenant?.name} is suspended{reason === "nonpayment" ? " for non-payment" : ended ? " because its subscription ended" : ""}
                . Its data is safe, but nothing can be sold, looked up or changed until billing is sorted out.
              </Typography>
            </Box>
            <Alert severity={ended ? "warning" : "error"} sx={{ width: "100%" }} data-testid="suspension-reason">
              {suspensionText(reason, subscription)}
            </Alert>
            {canUpdate ? (
              <Stack direction={{ xs: "column", sm: "row" }} spacing={2} sx={{ alignItems: { sm: "flex-start" } }}>
                <ManageBillingButton size="large" />
                {openInvoice && (
                  <Button
                    size="large"
                    variant="outlined"
                    href={openInvoice.hostedInvoiceUrl!}
                    target="_blank"
                    rel="noopener noreferrer"
                    endIcon={<OpenInNewIcon />}
                  >
                    Pay the open invoice ({formatPrice(openInvoice.amountDue - openInvoice.amountPaid, openInvoice.currency)})
                  </Button>
                )}
              </Stack>
            ) : (
              <Typography>Ask an owner of {tenant?.name} to update its billing.</Typography>
            )}
            <Stack spacing={0.5}>
              {canView && (
                <Link component={RouterLink} to="/settings/billing">
                  See the plan, usage and invoices
                </Link>
              )}
              {otherBusinesses > 0 && (
                <Typography variant="body2" color="text.secondary">
                  Your other businesses are not affected: switch to one from the top bar.
                </Typography>
              )}
            </Stack>
          </Stack>
        </CardContent>
      </Card>
      {canUpdate && ended && inGrace(subscription) && plans.length > 0 && (
        <PlansCard
          plans={plans}
          subscription={subscription}
          canUpdate
          title="Choose a plan to reactivate"
          subtitle="Your card on file is charged for the first month and your business is back at once."
          onChanged={() => resetClient()}
        />
      )}
    </Stack>
  );
}
