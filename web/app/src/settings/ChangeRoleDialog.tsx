// Gives a member another role. The server refuses to leave the business without an owner (LASTO)
// and a move to or from a role with permissions the person changing it lacks (DNIED); its words
// show above the form. The member has the new role's permissions at once.
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, MenuItem, Stack, TextField } from "@mui/material";
import { useMutation } from "urql";
import { useForm } from "../lib/useForm.ts";
import { ChangeMemberRoleMutation, type Member, type Role } from "./queries.ts";

export function ChangeRoleDialog({ member, roles, onClose }: { member: Member; roles: Role[]; onClose(): void }) {
  const form = useForm({ roleId: member.role?.rowId ?? "" });
  const [, change] = useMutation(ChangeMemberRoleMutation);
  const name = member.user?.name ?? "this member";

  const submit = form.submit(async () => {
    if (form.values.roleId === member.role?.rowId) return onClose();
    const result = await change({ membershipId: member.rowId, roleId: form.values.roleId });
    if (result.error) return void form.fail(result.error);
    onClose();
  });

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="xs">
      <form onSubmit={submit} noValidate>
        <DialogTitle>Change the role of {name}</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1 }}>
            {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
            <TextField select label="Role" autoFocus {...form.text("roleId", "The new role applies at once.")}>
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
            Save
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
