// Opens the location's cash drawer with the cash it starts with (the float). From then on, the
// cash payments and cash refunds of the location go into and out of it until it is closed.
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, Typography } from "@mui/material";
import { useMutation } from "urql";
import { useForm } from "../lib/useForm.ts";
import { MoneyField } from "./MoneyField.tsx";
import { OpenCashDrawerMutation, type PosLocation } from "./queries.ts";

export function OpenDrawerDialog({ location, onClose }: { location: PosLocation; onClose(): void }) {
  const form = useForm({ openingFloat: 0 });
  const [, openDrawer] = useMutation(OpenCashDrawerMutation);

  const submit = form.submit(async () => {
    const result = await openDrawer({ locationId: location.rowId, openingFloat: form.values.openingFloat });
    if (result.error) return void form.fail(result.error);
    onClose();
  });

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="xs">
      <form onSubmit={submit} noValidate>
        <DialogTitle>Open the cash drawer</DialogTitle>
        <DialogContent>
          {form.formError && (
            <Alert severity="error" sx={{ mb: 2 }}>
              {form.formError.message}
            </Alert>
          )}
          <Typography sx={{ mb: 2 }}>
            Count the cash in the drawer at {location.name} before the first sale. Cash payments and refunds go into it until
            you close it.
          </Typography>
          <MoneyField
            label="Starting cash (float)"
            cents={form.values.openingFloat}
            onCents={(cents) => form.set("openingFloat", cents)}
            problem={form.errorOf("openingFloat")?.message}
            autoFocus
            fullWidth
          />
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose}>Not now</Button>
          <Button type="submit" variant="contained" loading={form.submitting}>
            Open drawer
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
