// A customer's pricing tier on their profile: the tier chip (name and discount, in the tier's
// colour), the tier their last 12 months suggest, and — for staff who may change customers — the
// tier selector. Choosing a tier first shows what it would change (customerTierImpact: the
// discount on an example basket and on the customer's sales of the last 30 days, beside the
// current tier's), and is given only once confirmed (setCustomerTier, audited, in the timeline).
// Sales already made keep their prices.
import {
  Alert,
  Button,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  MenuItem,
  Stack,
  TextField,
  Typography,
} from "@mui/material";
import { useMemo, useState } from "react";
import { useMutation, useQuery } from "urql";
import { readFragment } from "../graphql.ts";
import { errorMessage } from "../lib/errors.ts";
import { useForm } from "../lib/useForm.ts";
import { Loading } from "../ui/Loading.tsx";
import { bpsToPercent } from "../ui/percent.ts";
import { useMoney } from "../ui/useMoney.ts";
import {
  CustomerTierFields,
  CustomerTierImpactQuery,
  CustomerTierStateQuery,
  CustomerTiersQuery,
  SetCustomerTierMutation,
  type CustomerTier,
} from "./tierQueries.ts";

/** The chip a tier is shown with: its name and discount, in its colour. */
export function TierChip({ tier, size = "small" }: { tier: Pick<CustomerTier, "name" | "discountBps" | "colour">; size?: "small" | "medium" }) {
  return (
    <Chip
      data-testid="tier-chip"
      size={size}
      label={`${tier.name} · ${bpsToPercent(tier.discountBps)}%`}
      sx={{ bgcolor: tier.colour, color: (theme) => theme.palette.getContrastText(tier.colour), fontWeight: 500 }}
    />
  );
}

const CONTEXT = { additionalTypenames: ["CustomerTier"] };

/** The tier chip of a customer's header, with "Change tier" when `canWrite`. */
export function CustomerTierChip({ customerRowId, canWrite }: { customerRowId: string; canWrite: boolean }) {
  const [{ data }] = useQuery({ query: CustomerTierStateQuery, variables: { rowId: customerRowId }, context: CONTEXT });
  const [choosing, setChoosing] = useState(false);
  const c = data?.customerByRowId;
  if (!c) return null;
  const tier = c.tier ? readFragment(CustomerTierFields, c.tier) : null;
  const suggested = c.suggestedTier ? readFragment(CustomerTierFields, c.suggestedTier) : null;
  return (
    <>
      {tier ? <TierChip tier={tier} size="medium" /> : canWrite && <Chip data-testid="tier-chip" label="No tier" variant="outlined" />}
      {suggested && suggested.rowId !== tier?.rowId && (
        <Typography variant="body2" color="text.secondary" data-testid="suggested-tier">
          Suggested: {suggested.name}
        </Typography>
      )}
      {canWrite && (
        <Button size="small" onClick={() => setChoosing(true)}>
          Change tier
        </Button>
      )}
      {choosing && (
        <ChangeTierDialog customerRowId={c.rowId} current={tier} suggested={suggested} onClose={() => setChoosing(false)} />
      )}
    </>
  );
}

function ChangeTierDialog({ customerRowId, current, suggested, onClose }: {
  customerRowId: string;
  current: CustomerTier | null;
  suggested: CustomerTier | null;
  onClose(): void;
}) {
  const money = useMoney();
  const [{ data: list, error: listError }] = useQuery({ query: CustomerTiersQuery, context: CONTEXT });
  const tiers = useMemo(() => readFragment(CustomerTierFields, list?.customerTiers?.nodes ?? []), [list]);
  const form = useForm({ tierId: current?.rowId ?? (suggested?.rowId ?? ""), reason: "" });
  const chosen = form.values.tierId || null;
  const changed = chosen !== (current?.rowId ?? null);
  const [{ data: impactData, error: impactError, fetching }] = useQuery({
    query: CustomerTierImpactQuery,
    variables: { customerId: customerRowId, tierId: chosen },
    pause: !changed,
    requestPolicy: "network-only",
  });
  const impact = impactData?.customerTierImpact;
  const [, setTier] = useMutation(SetCustomerTierMutation);
  const name = chosen ? (tiers.find((t) => t.rowId === chosen)?.name ?? "") : "no tier";

  const submit = form.submit(async (v) => {
    const result = await setTier({ customerId: customerRowId, tierId: v.tierId || null, reason: v.reason || null });
    if (result.error) return void form.fail(result.error);
    onClose();
  });

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm">
      <form onSubmit={submit} noValidate aria-label="Change tier">
        <DialogTitle>Change tier</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1 }}>
            {(form.formError || listError) && <Alert severity="error">{form.formError?.message ?? errorMessage(listError!)}</Alert>}
            <TextField select label="Tier" {...form.text("tierId", suggested ? `Their last 12 months suggest ${suggested.name}.` : undefined)}>
              <MenuItem value="">No tier</MenuItem>
              {tiers.map((t) => (
                <MenuItem key={t.rowId} value={t.rowId}>
                  {t.name} · {bpsToPercent(t.discountBps)}%
                </MenuItem>
              ))}
            </TextField>
            {changed &&
              (impactError ? (
                <Alert severity="error">{errorMessage(impactError)}</Alert>
              ) : !impact || fetching ? (
                <Loading />
              ) : (
                <Alert severity="info" data-testid="tier-impact">
                  <DialogContentText component="div" sx={{ color: "inherit" }}>
                    With {name}, a basket of {money.format(impact.exampleAmount)} gets {money.format(impact.exampleDiscount)} off
                    {" "}(now {money.format(impact.currentExampleDiscount)}).
                    <br />
                    {impact.recentOrders > 0
                      ? `Their ${impact.recentOrders} sale${impact.recentOrders === 1 ? "" : "s"} of the last 30 days (${money.format(impact.recentAmount)}) would have had ${money.format(impact.recentDiscount)} off (${money.format(impact.currentRecentDiscount)} with the current tier).`
                      : "No sales in the last 30 days."}
                    <br />
                    Sales already made keep their prices.
                  </DialogContentText>
                </Alert>
              ))}
            <TextField label="Reason" {...form.text("reason", "Kept in the audit log (optional).")} />
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" loading={form.submitting} disabled={!changed || !impact}>
            {chosen ? `Give ${name}` : "Remove tier"}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
