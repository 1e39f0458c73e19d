// Cash put into or taken out of the open drawer for something other than a sale — change brought
// from the bank, milk bought from the till, a bank drop — with the reason. The database refuses
// to take out more than the drawer should hold.
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, TextField, ToggleButton, ToggleButtonGroup } from "@mui/material";
import { useMutation } from "urql";
import { useForm } from "../lib/useForm.ts";
import { MoneyField } from "./MoneyField.tsx";
import { RecordCashDrawerEntryMutation, type CashDrawer } from "./queries.ts";

export function DrawerEntryDialog({ drawer, onClose }: { drawer: CashDrawer; onClose(): void }) {
  const form = useForm<{ kind: "in" | "out"; amount: number; reason: string }>({ kind: "out", amount: 0, reason: "" });
  const [, record] = useMutation(RecordCashDrawerEntryMutation);

  const submit = form.submit(async () => {
    const result = await record({ cashDrawerId: drawer.rowId, ...form.values });
    if (result.error) return void form.fail(result.error);
    onClose();
  });

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="xs">
      <form onSubmit={submit} noValidate>
        <DialogTitle>Cash in or out</DialogTitle>
        <DialogContent>
          {form.formError && (
            <Alert severity="error" sx={{ mb: 2 }}>
              {form.formError.message}
            </Alert>
          )}
          <Stack spacing={2} sx={{ mt: 1 }}>
            <ToggleButtonGroup
              exclusive
              fullWidth
              value={form.values.kind}
              onChange={(_e, next) => next && form.set("kind", next)}
              aria-label="Cash in or out"
            >
              <ToggleButton value="out">Cash out</ToggleButton>
              <ToggleButton value="in">Cash in</ToggleButton>
            </ToggleButtonGroup>
            <MoneyField
              label="Amount"
              cents={form.values.amount}
              onCents={(cents) => form.set("amount", cents)}
              problem={form.errorOf("amount")?.message}
              autoFocus
              fullWidth
            />
            <TextField label="Reason" {...form.text("reason", "For example: change from the bank, milk for the café.")} />
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" loading={form.submitting}>
            {form.values.kind === "in" ? "Put cash in" : "Take cash out"}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
