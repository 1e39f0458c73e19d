// Adds or changes a tax rate: its name, its percent, and whether shelf prices include it (VAT
// style) or it is added to them (US sales tax style). The database checks the rest (a name
// already taken: DUPLI; a rate outside 0–100%: BADIN) and says which input is wrong.
import {
  Alert,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControlLabel,
  InputAdornment,
  Stack,
  Switch,
  TextField,
} from "@mui/material";
import { useMutation } from "urql";
import { useForm } from "../lib/useForm.ts";
import { bpsToPercent, percentToBps, UNREADABLE_PERCENT } from "../ui/percent.ts";
import { CreateTaxRateMutation, UpdateTaxRateMutation, type TaxRate } from "./queries.ts";

export function TaxRateDialog({ rate, onClose }: { rate: TaxRate | null; onClose(): void }) {
  const form = useForm({ name: rate?.name ?? "", rateBps: rate ? bpsToPercent(rate.rateBps) : "", inclusive: rate?.inclusive ?? false });
  const [, create] = useMutation(CreateTaxRateMutation);
  const [, update] = useMutation(UpdateTaxRateMutation);

  const submit = form.submit(async ({ name, rateBps: percent, inclusive }) => {
    const rateBps = percentToBps(percent);
    if (rateBps === null) return form.say(UNREADABLE_PERCENT, "rateBps");
    const result = rate ? await update({ id: rate.rowId, name, rateBps, inclusive }) : await create({ name, rateBps, inclusive });
    if (result.error) return void form.fail(result.error);
    onClose();
  });

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="xs">
      <form onSubmit={submit} noValidate aria-label={rate ? `Edit ${rate.name}` : "Add a tax rate"}>
        <DialogTitle>{rate ? "Edit tax rate" : "Add tax rate"}</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1 }}>
            {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
            <TextField label="Name" autoFocus {...form.text("name", "What receipts call it: Sales tax, VAT…")} />
            <TextField
              label="Rate"
              inputMode="decimal"
              {...form.text("rateBps", "A percent, up to two decimals.")}
              slotProps={{ input: { endAdornment: <InputAdornment position="end">%</InputAdornment> } }}
            />
            <FormControlLabel
              control={<Switch checked={form.values.inclusive} onChange={(e) => form.set("inclusive", e.target.checked)} />}
              label={form.values.inclusive ? "Included in prices (the customer pays the price shown)" : "Added to prices at the till"}
            />
            {rate && <Alert severity="info">Sales from now on use the new rate; past sales keep the rate they were made with.</Alert>}
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" loading={form.submitting}>
            {rate ? "Save" : "Add rate"}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
