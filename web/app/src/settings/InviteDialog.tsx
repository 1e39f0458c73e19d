// Invites someone with an email and a role. There is no mail: the dialog then shows the link to
// send them, once (the database keeps only a hash of its secret), with a Copy button. The server
// checks the email (BADEM), the role (NOTFD, DNIED: nobody gives what they do not hold), someone
// already a member (DUPLI) and the plan's seats, pending invitations included (LIMIT).
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, MenuItem, Stack, TextField, Typography } from "@mui/material";
import { useState } from "react";
import { useMutation } from "urql";
import { formatDateTime } from "../customers/format.ts";
import { useForm } from "../lib/useForm.ts";
import { CopyField } from "./CopyField.tsx";
import { InviteMemberMutation, type Role } from "./queries.ts";

// The payload is a plain record: the staff list is told invitations changed.
const REFETCH = { additionalTypenames: ["Invitation"] };

export function InviteDialog({ roles, onClose }: { roles: Role[]; onClose(): void }) {
  const form = useForm({ email: "", roleId: roles.find((r) => r.key === "cashier")?.rowId ?? roles[0]?.rowId ?? "" });
  const [, invite] = useMutation(InviteMemberMutation);
  const [sent, setSent] = useState<{ email: string; link: string; expiresAt: string | null } | null>(null);

  const submit = form.submit(async () => {
    const result = await invite(form.values, REFETCH);
    if (result.error) return void form.fail(result.error);
    const invitation = result.data?.inviteMember?.result;
    if (!invitation?.token) return;
    setSent({
      email: form.values.email.trim(),
      link: `${window.location.origin}/invitations/${invitation.token}`,
      expiresAt: invitation.expiresAt,
    });
  });

  if (sent) {
    return (
      <Dialog open onClose={onClose} fullWidth maxWidth="sm">
        <DialogTitle>Invitation link</DialogTitle>
        <DialogContent>
          <Stack spacing={2}>
            <Typography>
              Send this link to {sent.email}. With it they choose a password (or sign in, if they already have an account) and join
              your business.
            </Typography>
            <CopyField label="Invitation link" value={sent.link} />
            <Alert severity="warning">
              This link is shown only once and works for 7 days{sent.expiresAt ? ` (until ${formatDateTime(sent.expiresAt)})` : ""}. If it
              is lost, invite the same email again: the old link stops working.
            </Alert>
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button variant="contained" onClick={onClose}>
            Done
          </Button>
        </DialogActions>
      </Dialog>
    );
  }

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="xs">
      <form onSubmit={submit} noValidate>
        <DialogTitle>Invite someone</DialogTitle>
        <DialogContent>
          <Stack spacing={2.5} sx={{ pt: 1 }}>
            {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
            <TextField label="Email" type="email" autoFocus autoComplete="off" {...form.text("email")} />
            <TextField select label="Role" {...form.text("roleId", "What they may do in the business.")}>
              {roles.map((role) => (
                <MenuItem key={role.id} value={role.rowId}>
                  {role.name}
                </MenuItem>
              ))}
            </TextField>
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" loading={form.submitting}>
            Create invitation
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
