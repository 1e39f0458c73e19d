// "Create another business": a name and a time zone; the server creates it with the person as
// owner and switches the session to it, so the whole app reloads for the new business. The
// server checks both; its message appears under the input it names, or above the form.
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, TextField } from "@mui/material";
import { useNavigate } from "react-router-dom";
import { useMutation } from "urql";
import { useResetClient } from "../lib/ClientProvider.tsx";
import { useForm } from "../lib/useForm.ts";
import { TimeZoneField } from "../ui/TimeZoneField.tsx";
import { browserTimeZone } from "../ui/timeZones.ts";
import { CreateBusinessMutation } from "./tenantMutations.ts";

export function CreateBusinessDialog({ open, onClose }: { open: boolean; onClose(): void }) {
  const navigate = useNavigate();
  const resetClient = useResetClient();
  const form = useForm(() => ({ name: "", timezone: browserTimeZone() as string | null }));
  const [, createBusiness] = useMutation(CreateBusinessMutation);

  const submit = form.submit(async () => {
    const { name, timezone } = form.values;
    const result = await createBusiness({ name, timezone: timezone ?? "" });
    if (result.error) return void form.fail(result.error);
    navigate("/");
    resetClient();
  });

  return (
    <Dialog open={open} onClose={onClose} fullWidth maxWidth="xs">
      <form onSubmit={submit} noValidate>
        <DialogTitle>Create another business</DialogTitle>
        <DialogContent>
          <Stack spacing={2.5} sx={{ pt: 1 }}>
            {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
            <TextField
              label="Business name"
              autoFocus
              {...form.text("name", "You will be its owner; you can switch between businesses at any time.")}
              name="businessName"
            />
            <TimeZoneField
              value={form.values.timezone}
              onChange={(zone) => form.set("timezone", zone)}
              error={form.errorOf("timezone")?.message}
              helperText="Time zone of its first location."
            />
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" loading={form.submitting}>
            Create business
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
