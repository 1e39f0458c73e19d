// "Are you sure?" before a change that takes something away (remove a member, revoke an
// invitation, delete a role, close a location). The action runs on confirm; when the server
// refuses (LASTO, a location's open drawer, a role still held…), its words stay in the dialog.
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle, Stack } from "@mui/material";
import type { ReactNode } from "react";
import { useForm } from "../lib/useForm.ts";

interface Props {
  title: string;
  children: ReactNode;
  /** The confirm button's label ("Remove", "Close location"…). */
  confirm: string;
  /** Red for what cannot be undone at once. */
  danger?: boolean;
  /** Runs the change: the server's error, or nothing when it is done. */
  onConfirm(): Promise<unknown>;
  onClose(): void;
}

export function ConfirmDialog({ title, children, confirm, danger = true, onConfirm, onClose }: Props) {
  // No input: every refusal is about the whole change.
  const form = useForm({}, []);

  const run = form.submit(async () => {
    const error = await onConfirm();
    if (error) return void form.fail(error);
    onClose();
  });

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="xs">
      <DialogTitle>{title}</DialogTitle>
      <DialogContent>
        <Stack spacing={2}>
          <DialogContentText component="div">{children}</DialogContentText>
          {form.error && <Alert severity="error">{form.error.message}</Alert>}
        </Stack>
      </DialogContent>
      <DialogActions sx={{ px: 3, pb: 2 }}>
        <Button onClick={onClose}>Cancel</Button>
        <Button color={danger ? "error" : "primary"} variant="contained" loading={form.submitting} onClick={run}>
          {confirm}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
