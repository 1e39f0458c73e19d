// Tax: the rates the business charges and which location charges which. A location without a
// rate of its own charges the business's default rate, added to prices. With settings.update:
// change the default, add, edit and delete rates (a deleted rate's locations go back to the
// default), and choose each location's rate. Sales keep the rate they were made with.
import {
  Alert,
  Button,
  Card,
  CardContent,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  InputAdornment,
  MenuItem,
  Stack,
  TextField,
  Typography,
} from "@mui/material";
import { useMemo, useState } from "react";
import { useMutation, useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { useForm } from "../lib/useForm.ts";
import { DataTable } from "../ui/DataTable.tsx";
import { AddIcon } from "../ui/icons.tsx";
import { Loading } from "../ui/Loading.tsx";
import { bpsToPercent, percentToBps, UNREADABLE_PERCENT } from "../ui/percent.ts";
import { ConfirmDialog } from "./ConfirmDialog.tsx";
import {
  DeleteTaxRateMutation,
  SetLocationTaxRateMutation,
  TaxRateFields,
  TaxSettingsQuery,
  UpdateDefaultTaxRateMutation,
  type TaxRate,
} from "./queries.ts";
import { readFragment } from "../graphql.ts";
import { TaxRateDialog } from "./TaxRateDialog.tsx";

const DEFAULT = "";

export function TaxCard({ canUpdate }: { canUpdate: boolean }) {
  // Refetch after any mutation returning a TaxRate, even while there is none yet.
  const context = useMemo(() => ({ additionalTypenames: ["TaxRate"] }), []);
  const [{ data, error, fetching }] = useQuery({ query: TaxSettingsQuery, context });
  const rates = useMemo(
    () => readFragment(TaxRateFields, data?.taxRates?.nodes ?? []).slice().sort((a, b) => a.name.localeCompare(b.name)),
    [data],
  );
  const locations = (data?.locations?.nodes ?? []).filter((l) => !l.closedAt);
  const tenant = data?.currentTenant;
  const [editing, setEditing] = useState<TaxRate | "new" | null>(null);
  const [deleting, setDeleting] = useState<TaxRate | null>(null);
  const [changingDefault, setChangingDefault] = useState(false);
  const [, remove] = useMutation(DeleteTaxRateMutation);
  const [setting, setRate] = useMutation(SetLocationTaxRateMutation);

  const describe = (rate: { rateBps: number; inclusive: boolean }) =>
    `${bpsToPercent(rate.rateBps)}% ${rate.inclusive ? "included in prices" : "added to prices"}`;
  // Closed locations too: they keep their rate for when they reopen.
  const usedBy = (rate: TaxRate) => (data?.locations?.nodes ?? []).filter((l) => l.taxRateId === rate.rowId).map((l) => l.name);

  return (
    <Card>
      <CardContent>
        <Typography variant="h6" component="h2">
          Tax
        </Typography>
        <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
          The tax each location charges. Sales keep the rate they were made with.
        </Typography>
        {error && <Alert severity="error">{errorMessage(error)}</Alert>}
        {setting.error && <Alert severity="error">{errorMessage(setting.error)}</Alert>}
        {!data && fetching ? (
          <Loading />
        ) : (
          tenant && (
            <Stack spacing={3}>
              <Stack direction="row" spacing={2} useFlexGap sx={{ alignItems: "center", justifyContent: "space-between", flexWrap: "wrap" }}>
                <Typography data-testid="default-tax-rate">
                  Default rate: <strong>{describe({ rateBps: tenant.taxRateBps, inclusive: false })}</strong>, for locations without a rate of their own.
                </Typography>
                {canUpdate && (
                  <Button size="small" onClick={() => setChangingDefault(true)}>
                    Change default
                  </Button>
                )}
              </Stack>

              <DataTable
                label="Tax rates"
                rows={rates}
                rowKey={(rate) => rate.id}
                empty="No tax rates of their own yet: every location charges the default rate."
                columns={[
                  { header: "Name", cell: (rate) => rate.name },
                  { header: "Rate", cell: (rate) => describe(rate) },
                  { header: "Charged at", cell: (rate) => usedBy(rate).join(", ") || "—", hideBelow: "sm" },
                  canUpdate && {
                    header: "Actions",
                    actions: true,
                    cell: (rate) => (
                      <>
                        <Button size="small" onClick={() => setEditing(rate)} aria-label={`Edit ${rate.name}`}>
                          Edit
                        </Button>
                        <Button size="small" color="error" onClick={() => setDeleting(rate)} aria-label={`Delete ${rate.name}`}>
                          Delete
                        </Button>
                      </>
                    ),
                  },
                ]}
              />
              {canUpdate && (
                <Stack direction="row">
                  <Button variant="outlined" startIcon={<AddIcon />} onClick={() => setEditing("new")}>
                    Add tax rate
                  </Button>
                </Stack>
              )}

              {locations.length > 0 && (
                <Stack spacing={1.5}>
                  <Typography variant="subtitle2" component="h3">
                    Rate charged at each location
                  </Typography>
                  {locations.map((location) => (
                    <TextField
                      key={location.id}
                      select
                      size="small"
                      label={location.name}
                      value={location.taxRateId ?? DEFAULT}
                      disabled={!canUpdate || setting.fetching}
                      onChange={(e) => setRate({ locationId: location.rowId, taxRateId: e.target.value || null })}
                      sx={{ maxWidth: 420 }}
                      // The default rate is the empty value: shown as a choice, not as a blank box.
                      slotProps={{ select: { displayEmpty: true }, inputLabel: { shrink: true } }}
                    >
                      <MenuItem value={DEFAULT}>Default ({describe({ rateBps: tenant.taxRateBps, inclusive: false })})</MenuItem>
                      {rates.map((rate) => (
                        <MenuItem key={rate.id} value={rate.rowId}>
                          {rate.name} ({describe(rate)})
                        </MenuItem>
                      ))}
                    </TextField>
                  ))}
                </Stack>
              )}
            </Stack>
          )
        )}
      </CardContent>
      {editing && <TaxRateDialog rate={editing === "new" ? null : editing} onClose={() => setEditing(null)} />}
      {deleting && (
        <ConfirmDialog
          title="Delete tax rate"
          confirm="Delete"
          onConfirm={async () => (await remove({ id: deleting.rowId }, context)).error}
          onClose={() => setDeleting(null)}
        >
          Delete “{deleting.name}”?{" "}
          {usedBy(deleting).length
            ? `${usedBy(deleting).join(", ")} will charge the default rate instead.`
            : "No location charges it."}{" "}
          Past sales keep it.
        </ConfirmDialog>
      )}
      {changingDefault && tenant && (
        <DefaultRateDialog tenant={tenant} onClose={() => setChangingDefault(false)} />
      )}
    </Card>
  );
}

function DefaultRateDialog({ tenant, onClose }: { tenant: { rowId: string; taxRateBps: number }; onClose(): void }) {
  const form = useForm({ taxRateBps: bpsToPercent(tenant.taxRateBps) });
  const [, update] = useMutation(UpdateDefaultTaxRateMutation);

  const submit = form.submit(async ({ taxRateBps: percent }) => {
    const taxRateBps = percentToBps(percent);
    if (taxRateBps === null) return form.say(UNREADABLE_PERCENT, "taxRateBps");
    const result = await update({ rowId: tenant.rowId, taxRateBps });
    if (result.error) return void form.fail(result.error);
    onClose();
  });

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="xs">
      <form onSubmit={submit} noValidate aria-label="Default tax rate">
        <DialogTitle>Default tax rate</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1 }}>
            {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
            <TextField
              label="Rate"
              autoFocus
              inputMode="decimal"
              {...form.text("taxRateBps", "Added to prices at locations without a rate of their own.")}
              slotProps={{ input: { endAdornment: <InputAdornment position="end">%</InputAdornment> } }}
            />
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" loading={form.submitting}>
            Save
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
