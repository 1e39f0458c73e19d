// Loyalty points (customers/477-loyalty-points.sql; not the loyalty classes of LoyaltyCard): the
// program — on or off, points per amount paid (after discounts, before tax) or per visit — and its
// rewards, "N points = X off", redeemed at the till. Owners (settings.update) change them; the
// database checks every value (BADIN under the input it is about). A reward is turned off, never
// deleted: the history of points names it.
import {
  Alert,
  Box,
  Button,
  Card,
  CardContent,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControlLabel,
  InputAdornment,
  MenuItem,
  Stack,
  Switch,
  TextField,
  Typography,
} from "@mui/material";
import { useMemo, useState } from "react";
import { useMutation, useQuery } from "urql";
import {
  CreateLoyaltyPointRewardMutation,
  LoyaltyPointRewardFields,
  LoyaltyPointsProgramQuery,
  UpdateLoyaltyPointRewardMutation,
  UpdateLoyaltyPointsProgramMutation,
  type LoyaltyPointReward,
  type LoyaltyPointsProgram,
} from "../customers/pointsQueries.ts";
import { readFragment } from "../graphql.ts";
import { errorMessage } from "../lib/errors.ts";
import { useForm } from "../lib/useForm.ts";
import { DataTable } from "../ui/DataTable.tsx";
import { AddIcon } from "../ui/icons.tsx";
import { Loading } from "../ui/Loading.tsx";
import { currencySymbol, exampleAmount, moneyInput, parseMoney } from "../ui/money.ts";
import { useMoney, type Money } from "../ui/useMoney.ts";

/** "1 point for every $1.00 paid" or "10 points a visit". */
export function earnRule(p: Pick<LoyaltyPointsProgram, "earnMode" | "pointsPerUnit" | "unitAmount" | "pointsPerVisit">, money: Money): string {
  return p.earnMode === "visit"
    ? `${p.pointsPerVisit} ${p.pointsPerVisit === 1 ? "point" : "points"} a sale`
    : `${p.pointsPerUnit} ${p.pointsPerUnit === 1 ? "point" : "points"} for every ${money.format(p.unitAmount)} paid (after discounts, before tax)`;
}

export function LoyaltyPointsCard({ canUpdate }: { canUpdate: boolean }) {
  const money = useMoney();
  const context = useMemo(() => ({ additionalTypenames: ["LoyaltyPointReward", "LoyaltyPointProgram"] }), []);
  const [{ data, error, fetching }] = useQuery({ query: LoyaltyPointsProgramQuery, context });
  const program = data?.currentLoyaltyPointsProgram ?? null;
  const rewards = useMemo(() => readFragment(LoyaltyPointRewardFields, data?.loyaltyPointRewards?.nodes ?? []), [data]);
  const [editing, setEditing] = useState<LoyaltyPointReward | "new" | null>(null);

  return (
    <Card>
      <CardContent>
        <Typography variant="h6" component="h2">
          Loyalty points
        </Typography>
        <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
          Customers with a name and phone earn points on their sales and redeem them for rewards at the till. A void gives the points back.
        </Typography>
        {error && <Alert severity="error">{errorMessage(error)}</Alert>}
        {!data && fetching ? (
          <Loading />
        ) : program ? (
          <Stack spacing={3}>
            {canUpdate ? (
              <ProgramForm key={JSON.stringify(program)} program={program} />
            ) : (
              <Typography data-testid="points-rule">{program.enabled ? earnRule(program, money) : "The program is off."}</Typography>
            )}
            <Box>
              <Typography variant="subtitle1" component="h3" sx={{ mb: 1 }}>
                Rewards
              </Typography>
              <DataTable
                label="Loyalty rewards"
                rows={rewards}
                rowKey={(r) => r.id}
                empty={!error && "No rewards yet."}
                columns={[
                  { header: "Reward", cell: (r) => r.name },
                  { header: "Points", cell: (r) => r.points },
                  { header: "Takes off", cell: (r) => money.format(r.amount) },
                  { header: "Offered", cell: (r) => (r.active ? "Yes" : "No") },
                  canUpdate && {
                    header: "Actions",
                    actions: true,
                    cell: (r) => (
                      <Button size="small" onClick={() => setEditing(r)} aria-label={`Edit ${r.name}`}>
                        Edit
                      </Button>
                    ),
                  },
                ]}
              />
              {canUpdate && (
                <Box sx={{ mt: 2 }}>
                  <Button variant="outlined" startIcon={<AddIcon />} onClick={() => setEditing("new")}>
                    Add reward
                  </Button>
                </Box>
              )}
            </Box>
          </Stack>
        ) : null}
      </CardContent>
      {editing && (
        <RewardDialog key={editing === "new" ? "new" : editing.id} reward={editing === "new" ? null : editing} onClose={() => setEditing(null)} />
      )}
    </Card>
  );
}

function ProgramForm({ program }: { program: LoyaltyPointsProgram }) {
  const money = useMoney();
  const [enabled, setEnabled] = useState(program.enabled);
  const form = useForm({
    earnMode: program.earnMode,
    pointsPerUnit: String(program.pointsPerUnit),
    unitAmount: moneyInput(program.unitAmount, money),
    pointsPerVisit: String(program.pointsPerVisit),
  });
  const [, update] = useMutation(UpdateLoyaltyPointsProgramMutation);
  const [saved, setSaved] = useState(false);
  const whole = (text: string) => (/^\d+$/.test(text.trim()) ? Number(text) : null);

  const submit = form.submit(async (v) => {
    const unitAmount = parseMoney(v.unitAmount, money);
    if (v.earnMode === "amount" && unitAmount === null) return form.say(`Enter an amount such as ${exampleAmount(money)}.`, "unitAmount");
    const pointsPerUnit = whole(v.pointsPerUnit);
    const pointsPerVisit = whole(v.pointsPerVisit);
    if (v.earnMode === "amount" && pointsPerUnit === null) return form.say("Write a whole number of points.", "pointsPerUnit");
    if (v.earnMode === "visit" && pointsPerVisit === null) return form.say("Write a whole number of points.", "pointsPerVisit");
    const result = await update({
      enabled,
      earnMode: v.earnMode,
      pointsPerUnit: v.earnMode === "amount" ? pointsPerUnit : null,
      unitAmount: v.earnMode === "amount" ? unitAmount : null,
      pointsPerVisit: v.earnMode === "visit" ? pointsPerVisit : null,
    });
    if (result.error) return void form.fail(result.error);
    setSaved(true);
  });

  return (
    <form onSubmit={submit} noValidate aria-label="Loyalty points program">
      <Stack spacing={2}>
        {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
        <FormControlLabel
          control={<Switch checked={enabled} onChange={(e) => (setEnabled(e.target.checked), setSaved(false))} />}
          label="Customers earn and redeem points"
        />
        <Stack direction={{ xs: "column", md: "row" }} spacing={2} sx={{ alignItems: "flex-start" }}>
          <TextField select label="Earn" {...form.text("earnMode")} sx={{ minWidth: 200 }}>
            <MenuItem value="amount">Per amount paid</MenuItem>
            <MenuItem value="visit">Per visit</MenuItem>
          </TextField>
          {form.values.earnMode === "amount" ? (
            <>
              <TextField label="Points" inputMode="numeric" {...form.text("pointsPerUnit", "Earned for every amount below.")} />
              <TextField
                label="For every"
                inputMode="decimal"
                {...form.text("unitAmount", "Paid after discounts, before tax.")}
                slotProps={{ input: { startAdornment: <InputAdornment position="start">{currencySymbol(money)}</InputAdornment> } }}
              />
            </>
          ) : (
            <TextField label="Points a visit" inputMode="numeric" {...form.text("pointsPerVisit", "Earned on every sale.")} />
          )}
        </Stack>
        <Stack direction="row" spacing={2} sx={{ alignItems: "center" }}>
          <Button type="submit" variant="contained" loading={form.submitting}>
            Save program
          </Button>
          <Typography role="status" variant="body2" color="text.secondary">
            {saved ? "Saved. Sales from now on earn by the new rule." : ""}
          </Typography>
        </Stack>
      </Stack>
    </form>
  );
}

function RewardDialog({ reward, onClose }: { reward: LoyaltyPointReward | null; onClose(): void }) {
  const money = useMoney();
  const [active, setActive] = useState(reward?.active ?? true);
  const form = useForm({
    name: reward?.name ?? "",
    points: reward ? String(reward.points) : "",
    amount: reward ? moneyInput(reward.amount, money) : "",
  });
  const [, create] = useMutation(CreateLoyaltyPointRewardMutation);
  const [, update] = useMutation(UpdateLoyaltyPointRewardMutation);
  const submit = form.submit(async (v) => {
    const amount = parseMoney(v.amount, money);
    if (amount === null) return form.say(`Enter an amount such as ${exampleAmount(money)}.`, "amount");
    if (!/^\d+$/.test(v.points.trim())) return form.say("Write a whole number of points.", "points");
    const input = { name: v.name, points: Number(v.points), amount };
    const result = reward ? await update({ id: reward.rowId, ...input, active }) : await create(input);
    if (result.error) return void form.fail(result.error);
    onClose();
  });
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="xs">
      <form onSubmit={submit} noValidate aria-label={reward ? `Edit ${reward.name}` : "Add a reward"}>
        <DialogTitle>{reward ? "Edit reward" : "Add reward"}</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1 }}>
            {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
            <TextField label="Name" autoFocus {...form.text("name", "What the till and the receipt say: Free coffee…")} />
            <TextField label="Points" inputMode="numeric" {...form.text("points", "What it costs.")} />
            <TextField
              label="Takes off"
              inputMode="decimal"
              {...form.text("amount", "Off the sale it is redeemed on.")}
              slotProps={{ input: { startAdornment: <InputAdornment position="start">{currencySymbol(money)}</InputAdornment> } }}
            />
            {reward && (
              <FormControlLabel control={<Switch checked={active} onChange={(e) => setActive(e.target.checked)} />} label="Offered at the till" />
            )}
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" loading={form.submitting}>
            {reward ? "Save" : "Add reward"}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
