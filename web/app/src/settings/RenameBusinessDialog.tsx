// Renames the current business; the top bar follows because the viewer query holds a Tenant.
// The server checks the name; its message appears under it, or above the form when it is about
// something else (DNIED).
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, TextField } from "@mui/material";
import { useMutation } from "urql";
import { useForm } from "../lib/useForm.ts";
import { RenameBusinessMutation } from "./queries.ts";

interface Props {
  open: boolean;
  onClose(): void;
  rowId: string;
  current: string;
}

export function RenameBusinessDialog({ open, onClose, rowId, current }: Props) {
  const form = useForm({ name: current });
  const [, rename] = useMutation(RenameBusinessMutation);

  const submit = form.submit(async ({ name }) => {
    const result = await rename({ rowId, name });
    if (result.error) return void form.fail(result.error);
    // The dialog stays mounted while closed: it opens again on this name, with no error.
    form.reset({ name });
    onClose();
  });

  return (
    <Dialog open={open} onClose={onClose} fullWidth maxWidth="xs">
      <form onSubmit={submit} noValidate>
        <DialogTitle>Rename business</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1 }}>
            {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
            <TextField label="Business name" autoFocus {...form.text("name")} name="businessName" />
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
