// Renames the current business; the top bar follows because the viewer query holds a Tenant.
import { Button, Dialog, DialogActions, DialogContent, DialogTitle, TextField } from "@mui/material";
import { useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { RenameBusinessMutation } from "./queries.ts";

interface Props {
  open: boolean;
  onClose(): void;
  rowId: string;
  current: string;
}

export function RenameBusinessDialog({ open, onClose, rowId, current }: Props) {
  const [name, setName] = useState(current);
  const [error, setError] = useState<string | null>(null);
  const [{ fetching }, rename] = useMutation(RenameBusinessMutation);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const result = await rename({ rowId, name });
    if (result.error) return setError(errorMessage(result.error));
    setError(null);
    onClose();
  }

  return (
    <Dialog open={open} onClose={onClose} fullWidth maxWidth="xs">
      <form onSubmit={submit} noValidate>
        <DialogTitle>Rename business</DialogTitle>
        <DialogContent>
          <TextField
            label="Business name"
            name="businessName"
            autoFocus
            value={name}
            onChange={(e) => setName(e.target.value)}
            error={Boolean(error)}
            helperText={error}
            sx={{ mt: 1 }}
          />
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" loading={fetching}>
            Save
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
