// A custom role: its name and a checklist of what it may do, new or edited. The server checks
// the name (required, not another role's: DUPLI), at least one permission (BADIN) and that the
// person making it holds every permission it gives (DNIED); its members have the new
// permissions at once.
import {
  Alert,
  Box,
  Button,
  Checkbox,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControl,
  FormControlLabel,
  FormGroup,
  FormHelperText,
  FormLabel,
  Stack,
  TextField,
} from "@mui/material";
import { useMutation } from "urql";
import { useForm } from "../lib/useForm.ts";
import { PERMISSION_GROUPS, sortPermissions } from "./permissions.ts";
import { CreateRoleMutation, UpdateRoleMutation, type Role } from "./queries.ts";

/** `role` to edit it; none for a new one. */
export function RoleDialog({ role, onClose }: { role?: Role; onClose(): void }) {
  const form = useForm(() => ({ name: role?.name ?? "", permissions: sortPermissions(role?.permissions ?? []) }));
  const [, create] = useMutation(CreateRoleMutation);
  const [, update] = useMutation(UpdateRoleMutation);
  const chosen = new Set(form.values.permissions);
  const permissionsError = form.errorOf("permissions");

  function toggle(key: string, on: boolean) {
    const next = new Set(chosen);
    if (on) next.add(key);
    else next.delete(key);
    form.set("permissions", sortPermissions([...next]));
  }

  const submit = form.submit(async () => {
    const { name, permissions } = form.values;
    const result = role ? await update({ roleId: role.rowId, name, permissions }) : await create({ name, permissions });
    if (result.error) return void form.fail(result.error);
    onClose();
  });

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm">
      <form onSubmit={submit} noValidate>
        <DialogTitle>{role ? `Edit role ${role.name}` : "New role"}</DialogTitle>
        <DialogContent>
          <Stack spacing={2.5} sx={{ pt: 1 }}>
            {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
            <TextField label="Role name" autoFocus {...form.text("name", "For example, Bookkeeper or Shift lead.")} />
            <FormControl component="fieldset" error={Boolean(permissionsError)}>
              <FormLabel component="legend">What this role may do</FormLabel>
              <Box sx={{ display: "grid", gridTemplateColumns: { xs: "1fr", sm: "1fr 1fr" }, columnGap: 3, rowGap: 1.5, mt: 1 }}>
                {PERMISSION_GROUPS.map((group) => (
                  <FormGroup key={group.label} aria-label={group.label}>
                    <FormLabel sx={{ typography: "subtitle2", color: "text.primary" }}>{group.label}</FormLabel>
                    {group.permissions.map((p) => (
                      <FormControlLabel
                        key={p.key}
                        label={p.label}
                        control={<Checkbox size="small" checked={chosen.has(p.key)} onChange={(e) => toggle(p.key, e.target.checked)} />}
                      />
                    ))}
                  </FormGroup>
                ))}
              </Box>
              {permissionsError && <FormHelperText>{permissionsError.message}</FormHelperText>}
            </FormControl>
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" loading={form.submitting}>
            {role ? "Save" : "Create role"}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
