// A customer's loyalty points (customers/477-loyalty-points.sql): the balance — the sum of the
// ledger, computed by the database — and the latest entries (earned on a sale, redeemed for a
// reward, given or taken back by a void, adjusted by an owner, moved by a merge). Owners
// (settings.update) adjust a balance by hand with a reason. Shown when the program is on or the
// customer has points.
import { Alert, Box, Button, Card, CardContent, Dialog, DialogActions, DialogContent, DialogTitle, Stack, TextField, Typography } from "@mui/material";
import { useMemo, useState } from "react";
import { useMutation, useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { useForm } from "../lib/useForm.ts";
import { useCan } from "../shell/ViewerContext.tsx";
import { DataTable } from "../ui/DataTable.tsx";
import { Loading } from "../ui/Loading.tsx";
import { TimeAgo } from "../ui/TimeAgo.tsx";
import { AdjustLoyaltyPointsMutation, CustomerLoyaltyPointsQuery } from "./pointsQueries.ts";

const KIND_LABEL: Record<string, string> = {
  earn: "Earned",
  redeem: "Redeemed",
  reversal: "Given back",
  adjustment: "Adjusted",
  merge: "Merge",
};

/** "+12" or "−20". */
export const signedPoints = (n: number) => (n > 0 ? `+${n}` : `−${Math.abs(n)}`);

export function LoyaltyPointsCard({ customerRowId, live }: { customerRowId: string; live: boolean }) {
  const canAdjust = useCan("settings.update");
  const context = useMemo(() => ({ additionalTypenames: ["LoyaltyPointEntry", "Order"] }), []);
  const [{ data, error, fetching }] = useQuery({ query: CustomerLoyaltyPointsQuery, variables: { rowId: customerRowId }, context });
  const [adjusting, setAdjusting] = useState(false);
  const customer = data?.customerByRowId;
  const entries = customer?.loyaltyPointEntries.nodes ?? [];
  const balance = Number(customer?.loyaltyPoints ?? 0);
  if (data && !data.currentLoyaltyPointsProgram?.enabled && entries.length === 0) return null;

  return (
    <Card data-testid="loyalty-points-card">
      <CardContent>
        <Stack direction="row" spacing={2} sx={{ alignItems: "baseline", justifyContent: "space-between", mb: 1 }}>
          <Typography variant="h6" component="h2">
            Loyalty points
          </Typography>
          {canAdjust && live && customer && (
            <Button size="small" onClick={() => setAdjusting(true)}>
              Adjust
            </Button>
          )}
        </Stack>
        {error && <Alert severity="error">{errorMessage(error)}</Alert>}
        {!data && fetching ? (
          <Loading />
        ) : customer ? (
          <>
            <Typography variant="h4" component="p" data-testid="points-balance">
              {balance} {balance === 1 ? "point" : "points"}
            </Typography>
            {customer.stage === "guest" && (
              <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
                A guest earns no points: add a name and phone to start.
              </Typography>
            )}
            <Box sx={{ mt: 2 }}>
              <DataTable
                label="Points history"
                rows={entries}
                rowKey={(e) => e.id}
                empty={!error && "No points yet."}
                columns={[
                  { header: "When", cell: (e) => <TimeAgo iso={e.createdAt} /> },
                  { header: "", cell: (e) => KIND_LABEL[e.kind] ?? e.kind },
                  { header: "Points", cell: (e) => signedPoints(e.points) },
                  { header: "Why", cell: (e) => e.reason },
                  { header: "By", cell: (e) => e.staffUser?.name ?? "—" },
                ]}
              />
            </Box>
          </>
        ) : null}
      </CardContent>
      {adjusting && <AdjustDialog customerRowId={customerRowId} onClose={() => setAdjusting(false)} />}
    </Card>
  );
}

function AdjustDialog({ customerRowId, onClose }: { customerRowId: string; onClose(): void }) {
  const form = useForm({ points: "", reason: "" });
  const [, adjust] = useMutation(AdjustLoyaltyPointsMutation);
  const submit = form.submit(async (v) => {
    if (!/^[-−]?\d+$/.test(v.points.trim())) return form.say("Write a whole number of points: 50 adds, −50 takes off.", "points");
    const result = await adjust({ customerId: customerRowId, points: Number(v.points.trim().replace("−", "-")), reason: v.reason });
    if (result.error) return void form.fail(result.error);
    onClose();
  });
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="xs">
      <form onSubmit={submit} noValidate aria-label="Adjust points">
        <DialogTitle>Adjust points</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1 }}>
            {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
            <TextField label="Points" autoFocus inputMode="numeric" {...form.text("points", "50 adds, −50 takes off.")} />
            <TextField label="Reason" {...form.text("reason", "Kept in the points history.")} />
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" loading={form.submitting}>
            Adjust
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
