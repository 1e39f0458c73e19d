// Selling on account: whether accounts whose invoices are overdue are suspended by themselves,
// and after how many days (the worker's hourly sweep; suspended for non-payment, by nobody). With
// settings.update it is edited; the database refuses anything but 1 to 365 days (BADIN).
import { Alert, Button, Card, CardContent, FormControlLabel, Stack, Switch, TextField, Typography } from "@mui/material";
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { useForm } from "../lib/useForm.ts";
import { Loading } from "../ui/Loading.tsx";
import { AccountSettingsQuery, UpdateAccountSettingsMutation } from "./queries.ts";

export function AccountsCard({ canUpdate }: { canUpdate: boolean }) {
  const [{ data, error, fetching }] = useQuery({ query: AccountSettingsQuery });
  const tenant = data?.currentTenant ?? null;

  return (
    <Card>
      <CardContent>
        <Typography variant="h6" component="h2">
          Customer accounts
        </Typography>
        <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
          Customers with an account buy now and pay on their invoice. An account can be suspended by itself when an invoice stays unpaid.
        </Typography>
        {error && <Alert severity="error">{errorMessage(error)}</Alert>}
        {!data && fetching ? (
          <Loading />
        ) : tenant ? (
          canUpdate ? (
            <AccountsForm rowId={tenant.rowId} days={tenant.accountOverdueSuspendDays ?? null} />
          ) : (
            <Typography variant="body2">
              {tenant.accountOverdueSuspendDays == null
                ? "Accounts are never suspended by themselves."
                : `Accounts are suspended when an invoice is ${tenant.accountOverdueSuspendDays} days overdue.`}
            </Typography>
          )
        ) : null}
      </CardContent>
    </Card>
  );
}

function AccountsForm({ rowId, days }: { rowId: string; days: number | null }) {
  const form = useForm(() => ({ enabled: days != null, days: String(days ?? 30) }));
  const [, update] = useMutation(UpdateAccountSettingsMutation);
  const [saved, setSaved] = useState(false);
  const wanted = form.values.enabled ? Number(form.values.days) : null;
  const changed = wanted !== days;

  const submit = form.submit(async () => {
    const result = await update({ rowId, days: wanted });
    if (result.error) return void form.fail(result.error);
    const next = result.data?.updateTenant?.tenant?.accountOverdueSuspendDays ?? null;
    form.reset({ enabled: next != null, days: String(next ?? 30) });
    setSaved(true);
  });

  return (
    <form onSubmit={submit} noValidate aria-label="Customer accounts">
      <Stack spacing={2}>
        {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
        <FormControlLabel
          control={
            <Switch
              checked={form.values.enabled}
              onChange={(e) => {
                setSaved(false);
                form.set("enabled", e.target.checked);
              }}
            />
          }
          label="Suspend accounts with overdue invoices"
        />
        {form.values.enabled && (
          <TextField
            label="Days overdue"
            type="number"
            slotProps={{ htmlInput: { min: 1, max: 365 } }}
            {...form.text("days", "Suspended for non-payment once an invoice is this many days past its due date.")}
            onChange={(e) => {
              setSaved(false);
              form.set("days", e.target.value);
            }}
          />
        )}
        <Stack direction="row" spacing={2} sx={{ alignItems: "center" }}>
          <Button type="submit" variant="contained" loading={form.submitting} disabled={!changed}>
            Save
          </Button>
          <Typography role="status" variant="body2" color="text.secondary">
            {saved && !changed ? "Saved." : ""}
          </Typography>
        </Stack>
      </Stack>
    </form>
  );
}
