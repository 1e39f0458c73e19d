// "Create another business": a name and a time zone; the server creates it with the person as
// owner and switches the session to it, so the whole app reloads for the new business.
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, TextField } from "@mui/material";
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router-dom";
import { useMutation } from "urql";
import { useResetClient } from "../lib/ClientProvider.tsx";
import { errorCode, errorMessage } from "../lib/errors.ts";
import { TimeZoneField } from "../ui/TimeZoneField.tsx";
import { browserTimeZone } from "../ui/timeZones.ts";
import { CreateBusinessMutation } from "./tenantMutations.ts";

export function CreateBusinessDialog({ open, onClose }: { open: boolean; onClose(): void }) {
  const navigate = useNavigate();
  const resetClient = useResetClient();
  const [name, setName] = useState("");
  const [timezone, setTimezone] = useState<string | null>(browserTimeZone);
  const [errors, setErrors] = useState<{ name?: string; timezone?: string; general?: string }>({});
  const [{ fetching }, createBusiness] = useMutation(CreateBusinessMutation);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) return setErrors({ name: "Enter the name of the business." });
    if (!timezone) return setErrors({ timezone: "Choose a time zone from the list." });
    const result = await createBusiness({ name, timezone });
    if (result.error) {
      const message = errorMessage(result.error);
      const code = errorCode(result.error);
      return setErrors(code === "BADTZ" ? { timezone: message } : { general: message });
    }
    navigate("/");
    resetClient();
  }

  return (
    <Dialog open={open} onClose={onClose} fullWidth maxWidth="xs">
      <form onSubmit={submit} noValidate>
        <DialogTitle>Create another business</DialogTitle>
        <DialogContent>
          <Stack spacing={2.5} sx={{ pt: 1 }}>
            {errors.general && <Alert severity="error">{errors.general}</Alert>}
            <TextField
              label="Business name"
              name="businessName"
              autoFocus
              value={name}
              onChange={(e) => setName(e.target.value)}
              error={Boolean(errors.name)}
              helperText={errors.name ?? "You will be its owner; you can switch between businesses at any time."}
            />
            <TimeZoneField value={timezone} onChange={setTimezone} error={errors.timezone} helperText="Time zone of its first location." />
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" loading={fetching}>
            Create business
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
