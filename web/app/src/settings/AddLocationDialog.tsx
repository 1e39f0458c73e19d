// Adds a location. The server checks the name (required, unique in the business: DUPNM) and the
// time zone (BADTZ); its message appears under the input it names, or above the form.
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, TextField } from "@mui/material";
import { useMutation } from "urql";
import { useForm } from "../lib/useForm.ts";
import { TimeZoneField } from "../ui/TimeZoneField.tsx";
import { browserTimeZone } from "../ui/timeZones.ts";
import { CreateLocationMutation } from "./queries.ts";

const blank = () => ({ name: "", timezone: browserTimeZone() as string | null });

export function AddLocationDialog({ open, onClose }: { open: boolean; onClose(): void }) {
  const form = useForm(blank);
  const [, createLocation] = useMutation(CreateLocationMutation);

  function close() {
    form.reset(blank());
    onClose();
  }

  const submit = form.submit(async () => {
    const { name, timezone } = form.values;
    const result = await createLocation({ name, timezone: timezone ?? "" });
    if (result.error) return void form.fail(result.error);
    close();
  });

  return (
    <Dialog open={open} onClose={close} fullWidth maxWidth="xs">
      <form onSubmit={submit} noValidate>
        <DialogTitle>Add location</DialogTitle>
        <DialogContent>
          <Stack spacing={2.5} sx={{ pt: 1 }}>
            {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
            <TextField
              label="Location name"
              autoFocus
              {...form.text("name", "For example, the street or neighbourhood of the shop.")}
              name="locationName"
            />
            <TimeZoneField value={form.values.timezone} onChange={(zone) => form.set("timezone", zone)} error={form.errorOf("timezone")?.message} />
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={close}>Cancel</Button>
          <Button type="submit" variant="contained" loading={form.submitting}>
            Add location
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
