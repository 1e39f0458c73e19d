// Renames a location or moves it to another time zone. The server checks the name (DUPNM) and
// the zone (BADTZ), and refuses a new zone once the location has sales, which are dated on its
// clock (TZFIX): each message shows under the input it names. Optional coordinates (both or
// neither, BADIN) give the distance of customers' addresses from it (the address card).
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, TextField } from "@mui/material";
import { useMutation } from "urql";
import { useForm } from "../lib/useForm.ts";
import { TimeZoneField } from "../ui/TimeZoneField.tsx";
import { UpdateLocationMutation, type Location } from "./queries.ts";

export function EditLocationDialog({ location, onClose }: { location: Location; onClose(): void }) {
  const form = useForm(() => ({
    name: location.name,
    timezone: location.timezone as string | null,
    latitude: location.latitude != null ? String(location.latitude) : "",
    longitude: location.longitude != null ? String(location.longitude) : "",
  }));
  const [, update] = useMutation(UpdateLocationMutation);

  const submit = form.submit(async () => {
    const { name, timezone, latitude, longitude } = form.values;
    const result = await update({
      rowId: location.rowId,
      name,
      timezone: timezone ?? "",
      latitude: latitude.trim() || null,
      longitude: longitude.trim() || null,
    });
    if (result.error) return void form.fail(result.error);
    onClose();
  });

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="xs">
      <form onSubmit={submit} noValidate>
        <DialogTitle>Edit location</DialogTitle>
        <DialogContent>
          <Stack spacing={2.5} sx={{ pt: 1 }}>
            {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
            <TextField label="Location name" autoFocus {...form.text("name")} name="locationName" />
            <TimeZoneField
              value={form.values.timezone}
              onChange={(zone) => form.set("timezone", zone)}
              error={form.errorOf("timezone")?.message}
              helperText="Business dates follow this zone. It cannot change once the location has sales."
            />
            <Stack direction="row" spacing={2}>
              <TextField label="Latitude" inputMode="decimal" placeholder="23.5880" {...form.text("latitude", "Optional: for distances to customers' addresses.")} />
              <TextField label="Longitude" inputMode="decimal" placeholder="58.3829" {...form.text("longitude")} />
            </Stack>
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
