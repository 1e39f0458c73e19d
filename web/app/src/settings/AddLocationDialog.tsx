// Adds a location. The server checks the name (unique in the business: DUPNM) and the time zone
// (BADTZ); its messages appear under the field they concern.
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, TextField } from "@mui/material";
import { useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { errorCode, errorMessage } from "../lib/errors.ts";
import { TimeZoneField } from "../ui/TimeZoneField.tsx";
import { browserTimeZone } from "../ui/timeZones.ts";
import { CreateLocationMutation } from "./queries.ts";

type Errors = { name?: string; timezone?: string; general?: string };

const FIELD_FOR_CODE: Record<string, keyof Errors> = { DUPNM: "name", BADTZ: "timezone" };

export function AddLocationDialog({ open, onClose }: { open: boolean; onClose(): void }) {
  const [name, setName] = useState("");
  const [timezone, setTimezone] = useState<string | null>(browserTimeZone);
  const [errors, setErrors] = useState<Errors>({});
  const [{ fetching }, createLocation] = useMutation(CreateLocationMutation);

  function close() {
    setName("");
    setErrors({});
    onClose();
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) return setErrors({ name: "Enter a name for the location." });
    if (!timezone) return setErrors({ timezone: "Choose a time zone from the list." });
    const result = await createLocation({ name, timezone });
    if (result.error) {
      const target = FIELD_FOR_CODE[errorCode(result.error) ?? ""] ?? "general";
      return setErrors({ [target]: errorMessage(result.error) });
    }
    close();
  }

  return (
    <Dialog open={open} onClose={close} fullWidth maxWidth="xs">
      <form onSubmit={submit} noValidate>
        <DialogTitle>Add location</DialogTitle>
        <DialogContent>
          <Stack spacing={2.5} sx={{ pt: 1 }}>
            {errors.general && <Alert severity="error">{errors.general}</Alert>}
            <TextField
              label="Location name"
              name="locationName"
              autoFocus
              value={name}
              onChange={(e) => {
                setName(e.target.value);
                setErrors(({ name: _gone, ...rest }) => rest);
              }}
              error={Boolean(errors.name)}
              helperText={errors.name ?? "For example, the street or neighbourhood of the shop."}
            />
            <TimeZoneField
              value={timezone}
              onChange={(zone) => {
                setTimezone(zone);
                setErrors(({ timezone: _gone, ...rest }) => rest);
              }}
              error={errors.timezone}
            />
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={close}>Cancel</Button>
          <Button type="submit" variant="contained" loading={fetching}>
            Add location
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
