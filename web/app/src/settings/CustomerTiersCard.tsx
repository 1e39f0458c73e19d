// Customer tiers (Gold 10 %, Silver 5 %…): the pricing tiers the business gives its customers. A
// customer's tier takes its discount off every sale to them at the till; sales already made keep
// theirs. Owners (settings.update) add, change and delete tiers; the database says what is wrong
// (a name or level taken: DUPLI; a value out of range: BADIN; deleting a tier customers have:
// TIRIU, with how many) under the input it is about.
import {
  Alert,
  Box,
  Button,
  Card,
  CardContent,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  InputAdornment,
  Stack,
  TextField,
  Typography,
} from "@mui/material";
import { useMemo, useState } from "react";
import { useMutation, useQuery } from "urql";
import { TierChip } from "../customers/CustomerTier.tsx";
import { CustomerTierFields, CustomerTiersQuery, CreateCustomerTierMutation, DeleteCustomerTierMutation, UpdateCustomerTierMutation, type CustomerTier } from "../customers/tierQueries.ts";
import { readFragment } from "../graphql.ts";
import { errorMessage } from "../lib/errors.ts";
import { useForm } from "../lib/useForm.ts";
import { useCan } from "../shell/ViewerContext.tsx";
import { DataTable } from "../ui/DataTable.tsx";
import { AddIcon } from "../ui/icons.tsx";
import { Loading } from "../ui/Loading.tsx";
import { currencySymbol, exampleAmount, moneyInput, parseMoney } from "../ui/money.ts";
import { bpsToPercent, percentToBps, UNREADABLE_PERCENT } from "../ui/percent.ts";
import { useMoney } from "../ui/useMoney.ts";

export function CustomerTiersCard({ canUpdate }: { canUpdate: boolean }) {
  // Tiers are readable with customers.view (every built-in role that sees settings has it).
  const canView = useCan("customers.view");
  const money = useMoney();
  // Refetch after any mutation returning a CustomerTier, even while the list is empty.
  const context = useMemo(() => ({ additionalTypenames: ["CustomerTier"] }), []);
  const [{ data, error, fetching }] = useQuery({ query: CustomerTiersQuery, context, pause: !canView });
  const tiers = useMemo(() => readFragment(CustomerTierFields, data?.customerTiers?.nodes ?? []), [data]);
  const [editing, setEditing] = useState<CustomerTier | "new" | null>(null);
  const [deleting, setDeleting] = useState<CustomerTier | null>(null);

  const requirement = (t: CustomerTier) =>
    [t.minAnnualSpend && `${money.format(t.minAnnualSpend)} a year`, t.minVisits && `${t.minVisits} visits a year`].filter(Boolean).join(" or ") || "—";

  return (
    <Card>
      <CardContent>
        <Typography variant="h6" component="h2">
          Customer tiers
        </Typography>
        <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
          A customer's tier takes its discount off every sale to them at the till. Sales already made keep their prices.
        </Typography>
        {!canView ? (
          <Typography color="text.secondary">Your role cannot see customers, nor their tiers.</Typography>
        ) : (
          <>
            {error && <Alert severity="error">{errorMessage(error)}</Alert>}
            {!data && fetching ? (
              <Loading />
            ) : (
              <DataTable
                label="Customer tiers"
                rows={tiers}
                rowKey={(t) => t.id}
                empty={!error && "No tiers yet."}
                columns={[
                  { header: "Level", cell: (t) => t.level },
                  { header: "Tier", cell: (t) => <TierChip tier={t} /> },
                  { header: "Benefits", cell: (t) => t.benefits ?? "—" },
                  { header: "Suggested from", cell: requirement },
                  canUpdate && {
                    header: "Actions",
                    actions: true,
                    cell: (t) => (
                      <>
                        <Button size="small" onClick={() => setEditing(t)} aria-label={`Edit ${t.name}`}>
                          Edit
                        </Button>
                        <Button size="small" color="error" onClick={() => setDeleting(t)} aria-label={`Delete ${t.name}`}>
                          Delete
                        </Button>
                      </>
                    ),
                  },
                ]}
              />
            )}
            {canUpdate && (
              <Box sx={{ mt: 2 }}>
                <Button variant="outlined" startIcon={<AddIcon />} onClick={() => setEditing("new")}>
                  Add tier
                </Button>
              </Box>
            )}
          </>
        )}
      </CardContent>
      {editing && (
        <TierDialog
          key={editing === "new" ? "new" : editing.id}
          tier={editing === "new" ? null : editing}
          nextLevel={Math.max(0, ...tiers.map((t) => t.level)) + 1}
          currency={currencySymbol(money)}
          onClose={() => setEditing(null)}
        />
      )}
      {deleting && <DeleteTierDialog key={deleting.id} tier={deleting} onClose={() => setDeleting(null)} />}
    </Card>
  );
}

function TierDialog({ tier, nextLevel, currency, onClose }: { tier: CustomerTier | null; nextLevel: number; currency: string; onClose(): void }) {
  const money = useMoney();
  const form = useForm({
    name: tier?.name ?? "",
    level: String(tier?.level ?? nextLevel),
    discountBps: tier ? bpsToPercent(tier.discountBps) : "",
    benefits: tier?.benefits ?? "",
    colour: tier?.colour ?? "#c9a227",
    minAnnualSpend: tier?.minAnnualSpend ? moneyInput(Number(tier.minAnnualSpend), money) : "",
    minVisits: tier?.minVisits ? String(tier.minVisits) : "",
  });
  const [, create] = useMutation(CreateCustomerTierMutation);
  const [, update] = useMutation(UpdateCustomerTierMutation);

  const submit = form.submit(async (v) => {
    const discountBps = percentToBps(v.discountBps);
    if (discountBps === null) return form.say(UNREADABLE_PERCENT, "discountBps");
    const level = Number(v.level);
    if (!/^\d+$/.test(v.level.trim())) return form.say("Write the level as a whole number: 1 is the highest tier.", "level");
    const spend = v.minAnnualSpend.trim() ? parseMoney(v.minAnnualSpend, money) : null;
    if (v.minAnnualSpend.trim() && spend === null) return form.say(`Enter an amount such as ${exampleAmount(money)}.`, "minAnnualSpend");
    if (v.minVisits.trim() && !/^\d+$/.test(v.minVisits.trim())) return form.say("Write a whole number of visits.", "minVisits");
    const input = {
      name: v.name,
      level,
      discountBps,
      benefits: v.benefits || null,
      colour: v.colour,
      minAnnualSpend: spend === null ? null : String(spend),
      minVisits: v.minVisits.trim() ? Number(v.minVisits) : null,
    };
    const result = tier ? await update({ id: tier.rowId, ...input }) : await create(input);
    if (result.error) return void form.fail(result.error);
    onClose();
  });

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm">
      <form onSubmit={submit} noValidate aria-label={tier ? `Edit ${tier.name}` : "Add a customer tier"}>
        <DialogTitle>{tier ? "Edit customer tier" : "Add customer tier"}</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1 }}>
            {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
            <TextField label="Name" autoFocus {...form.text("name", "What the chip and the receipt say: Gold, Silver…")} />
            <Stack direction="row" spacing={2}>
              <TextField label="Level" inputMode="numeric" {...form.text("level", "1 is the highest tier.")} sx={{ flex: 1 }} />
              <TextField
                label="Discount"
                inputMode="decimal"
                {...form.text("discountBps", "Off every sale, up to two decimals.")}
                slotProps={{ input: { endAdornment: <InputAdornment position="end">%</InputAdornment> } }}
                sx={{ flex: 1 }}
              />
              <TextField label="Colour" type="color" {...form.text("colour")} sx={{ width: 96 }} />
            </Stack>
            <TextField label="Benefits" multiline minRows={2} {...form.text("benefits", "What the tier gives, in words (optional).")} />
            <Typography variant="subtitle2">Suggest this tier to customers who, in the last 12 months…</Typography>
            <Stack direction="row" spacing={2}>
              <TextField
                label="Spent at least"
                inputMode="decimal"
                {...form.text("minAnnualSpend", "Optional.")}
                slotProps={{ input: { startAdornment: <InputAdornment position="start">{currency}</InputAdornment> } }}
                sx={{ flex: 1 }}
              />
              <TextField label="or visited at least" inputMode="numeric" {...form.text("minVisits", "Times (optional).")} sx={{ flex: 1 }} />
            </Stack>
            {tier && <Alert severity="info">A new discount applies to sales from now on; sales already made keep theirs.</Alert>}
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" loading={form.submitting}>
            {tier ? "Save" : "Add tier"}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

function DeleteTierDialog({ tier, onClose }: { tier: CustomerTier; onClose(): void }) {
  // No input: every refusal (TIRIU, NOTFD) is about the whole form.
  const form = useForm({}, []);
  const [, remove] = useMutation(DeleteCustomerTierMutation);
  const confirm = form.submit(async () => {
    const result = await remove({ id: tier.rowId });
    if (result.error) return void form.fail(result.error);
    onClose();
  });
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="xs">
      <DialogTitle>Delete customer tier</DialogTitle>
      <DialogContent>
        <Stack spacing={2}>
          <DialogContentText>
            Delete “{tier.name}”? Only a tier no customer has can be deleted. Sales made with it keep its name and discount.
          </DialogContentText>
          {form.error && <Alert severity="error">{form.error.message}</Alert>}
        </Stack>
      </DialogContent>
      <DialogActions sx={{ px: 3, pb: 2 }}>
        <Button onClick={onClose}>Cancel</Button>
        <Button color="error" variant="contained" loading={form.submitting} onClick={confirm}>
          Delete
        </Button>
      </DialogActions>
    </Dialog>
  );
}
