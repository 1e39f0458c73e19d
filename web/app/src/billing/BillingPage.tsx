// Settings → Billing: the current plan and its status, usage against the plan's limits, billing
// notices, the plans to move between, invoice history, the history of suspensions (once there has
// been one) and "Manage billing" (Stripe's portal).
// Reading needs settings.view; every action needs settings.update. It stays reachable while
// the business is suspended (the shell lets this route through): this is where it gets out.
import { Alert, Box, Grid, Stack, Typography } from "@mui/material";
import { useCallback, useEffect, useRef, useState } from "react";
import { useClient, useQuery } from "urql";
import { useResetClient } from "../lib/ClientProvider.tsx";
import { errorMessage } from "../lib/errors.ts";
import { BackToSettings } from "../settings/BackToSettings.tsx";
import { useCan, useViewer } from "../shell/ViewerContext.tsx";
import { Loading } from "../ui/Loading.tsx";
import { NotAllowed } from "../ui/NotAllowed.tsx";
import { PageHeader } from "../ui/PageHeader.tsx";
import { CurrentPlanCard } from "./CurrentPlanCard.tsx";
import { InvoicesCard } from "./InvoicesCard.tsx";
import { ManageBillingButton } from "./ManageBillingButton.tsx";
import { NoticesList } from "./NoticesList.tsx";
import { PlansCard } from "./PlansCard.tsx";
import { BillingQuery, type Plan } from "./queries.ts";
import { suspensionText } from "./SuspendedPage.tsx";
import { SuspensionHistoryCard } from "./SuspensionHistoryCard.tsx";
import { UsageCard } from "./UsageCard.tsx";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function BillingPage() {
  const canView = useCan("settings.view");
  return (
    <>
      <BackToSettings />
      {canView ? (
        <BillingDetails />
      ) : (
        <>
          <PageHeader title="Billing" />
          <NotAllowed what="billing" />
        </>
      )}
    </>
  );
}

function BillingDetails() {
  const canUpdate = useCan("settings.update");
  const { tenant } = useViewer();
  const client = useClient();
  const resetClient = useResetClient();
  // Asked again on each visit: usage, and with it what each plan would refuse (changeProblem),
  // changes elsewhere in the admin.
  const [{ data, error, fetching }] = useQuery({ query: BillingQuery, requestPolicy: "cache-and-network" });
  const [waitingFor, setWaitingFor] = useState<Plan | null>(null);
  const [outcome, setOutcome] = useState<{ severity: "success" | "info"; text: string } | null>(null);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  const subscription = data?.currentBillingSubscription ?? null;
  const suspended = (data?.currentTenant?.status ?? tenant?.status) === "suspended";

  /** After the worker changed the plan in Stripe: ours follows once Stripe's webhook is applied. */
  const onChanged = useCallback(
    async (_request: unknown, target: Plan) => {
      if (subscription?.status === "canceled") {
        // A reactivation (the job has applied the new subscription): everything this tab holds
        // about the business is out of date, the shell's suspended state included.
        resetClient();
        return;
      }
      setOutcome(null);
      setWaitingFor(target);
      for (let i = 0; i < 40 && mounted.current; i++) {
        const res = await client.query(BillingQuery, {}, { requestPolicy: "network-only" }).toPromise();
        if (res.data?.currentBillingSubscription?.planKey === target.key) {
          if (!mounted.current) return;
          setWaitingFor(null);
          setOutcome({ severity: "success", text: `You are now on the ${target.name} plan.` });
          return;
        }
        await sleep(750);
      }
      if (!mounted.current) return;
      setWaitingFor(null);
      setOutcome({ severity: "info", text: `Stripe accepted the move to ${target.name}; it will show here in a moment.` });
    },
    [client, resetClient, subscription?.status],
  );

  if (!data && fetching) return <Loading />;
  if (!data) return <Alert severity="error">{errorMessage(error)}</Alert>;

  const plans = data.plans?.nodes ?? [];
  return (
    <>
      <PageHeader
        title="Billing"
        subtitle="Your plan, its limits and your invoices. Payments are handled securely by Stripe."
        action={canUpdate && subscription ? <ManageBillingButton /> : undefined}
      />
      <Stack spacing={3}>
        {suspended && data.currentTenant && (
          <Alert severity="error" variant="filled">
            Your account has been suspended. {suspensionText(data.currentTenant.suspensionReason, subscription)}
          </Alert>
        )}
        {canUpdate && <NoticesList subscriptionStatus={subscription?.status} />}
        {waitingFor && (
          <Alert severity="info" role="status">
            Moving you to the {waitingFor.name} plan…
          </Alert>
        )}
        {outcome && (
          <Alert severity={outcome.severity} onClose={() => setOutcome(null)}>
            {outcome.text}
          </Alert>
        )}
        {!canUpdate && (
          <Typography color="text.secondary">Your role can see the billing of this business but not change it.</Typography>
        )}
        {subscription ? (
          <Grid container spacing={3}>
            <Grid size={{ xs: 12, md: 7 }}>
              <CurrentPlanCard subscription={subscription} suspended={suspended} />
            </Grid>
            <Grid size={{ xs: 12, md: 5 }}>{subscription.plan && <UsageCard subscription={subscription} plan={subscription.plan} />}</Grid>
          </Grid>
        ) : (
          <Alert severity="info">This business has no subscription yet. It is being set up with Stripe; check again in a minute.</Alert>
        )}
        {plans.length > 0 && (
          <PlansCard
            plans={plans}
            subscription={subscription}
            canUpdate={canUpdate && Boolean(subscription)}
            subtitle={
              subscription?.status === "canceled"
                ? "Choose a plan to reactivate your business."
                : "Upgrade or downgrade at any time; Stripe prorates the difference."
            }
            onChanged={onChanged}
          />
        )}
        <InvoicesCard />
        <SuspensionHistoryCard />
        {/* Room below the last card, so a snackbar never hides it. */}
        <Box sx={{ height: 8 }} />
      </Stack>
    </>
  );
}
