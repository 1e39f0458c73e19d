// Billing news for the owner (trial ending, payment failed, subscription canceled), newest first,
// until dismissed. Stripe sends one event per failed attempt, so the same news is shown once
// ("3 times") and dismissed together. A trial notice goes once the trial is over. Only people
// with settings.update see notices (the table's policy says so too).
import { Alert, AlertTitle, Button, Snackbar, Stack } from "@mui/material";
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { formatDay } from "./format.ts";
import { BillingNoticesQuery, DismissNoticeMutation, type Notice } from "./queries.ts";

const CONTEXT = { additionalTypenames: ["BillingNotice"] };

const KIND: Record<string, { title: string; severity: "info" | "warning" | "error" }> = {
  trial_will_end: { title: "Your trial is ending", severity: "info" },
  payment_failed: { title: "A payment failed", severity: "error" },
  subscription_canceled: { title: "Your subscription was canceled", severity: "warning" },
};

/** Notices with the same kind and message, newest first. */
function grouped(notices: Notice[]): Notice[][] {
  const groups = new Map<string, Notice[]>();
  for (const n of notices) {
    const key = `${n.kind}\u0000${n.message}`;
    groups.set(key, [...(groups.get(key) ?? []), n]);
  }
  return [...groups.values()];
}

export function NoticesList({ subscriptionStatus }: { subscriptionStatus?: string | null }) {
  const [{ data }] = useQuery({ query: BillingNoticesQuery, context: CONTEXT });
  const [{ fetching }, dismiss] = useMutation(DismissNoticeMutation);
  const [error, setError] = useState<string | null>(null);
  const notices = (data?.billingNotices?.nodes ?? []).filter(
    (n) => !n.dismissedAt && !(n.kind === "trial_will_end" && subscriptionStatus && subscriptionStatus !== "trialing"),
  );
  if (!notices.length && !error) return null;

  async function onDismiss(group: Notice[]) {
    for (const n of group) {
      const result = await dismiss({ id: n.rowId });
      if (result.error) return setError(errorMessage(result.error));
    }
  }

  return (
    <Stack spacing={1.5} aria-label="Billing notices" component="section">
      {grouped(notices).map((group) => {
        const newest = group[0]!;
        const kind = KIND[newest.kind] ?? { title: "Billing", severity: "info" as const };
        return (
          <Alert
            key={newest.id}
            severity={kind.severity}
            action={
              <Button color="inherit" size="small" disabled={fetching} onClick={() => void onDismiss(group)}>
                Dismiss
              </Button>
            }
          >
            <AlertTitle>
              {kind.title} · {formatDay(newest.createdAt)}
              {group.length > 1 && ` · ${group.length} times`}
            </AlertTitle>
            {newest.message}
          </Alert>
        );
      })}
      <Snackbar open={Boolean(error)} autoHideDuration={8000} onClose={() => setError(null)}>
        <Alert severity="error" variant="filled" onClose={() => setError(null)}>
          {error}
        </Alert>
      </Snackbar>
    </Stack>
  );
}
