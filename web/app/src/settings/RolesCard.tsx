// Roles: what each role may do. The built-in ones (Owner, Manager, Cashier) are fixed; with
// settings.update custom roles are made, edited and deleted (the server refuses to delete a role
// someone has or a pending invitation offers, and says so).
import { Alert, Box, Button, Card, CardContent, Chip, Stack, Typography } from "@mui/material";
import { useState } from "react";
import { useMutation } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { AddIcon } from "../ui/icons.tsx";
import { Loading } from "../ui/Loading.tsx";
import { ConfirmDialog } from "./ConfirmDialog.tsx";
import { isBuiltInRole, permissionLabel, sortPermissions } from "./permissions.ts";
import { DeleteRoleMutation, type Role } from "./queries.ts";
import { RoleDialog } from "./RoleDialog.tsx";
import { useRoles } from "./useRoles.ts";

const members = (n: number) => (n === 1 ? "1 member" : `${n} members`);

export function RolesCard({ canUpdate }: { canUpdate: boolean }) {
  const { roles, loaded, error, fetching } = useRoles();
  const [editing, setEditing] = useState<Role | "new" | null>(null);
  const [deleting, setDeleting] = useState<Role | null>(null);
  const [, deleteRole] = useMutation(DeleteRoleMutation);

  return (
    <Card>
      <CardContent>
        <Stack direction="row" spacing={2} useFlexGap sx={{ alignItems: "center", justifyContent: "space-between", flexWrap: "wrap", mb: 2 }}>
          <Box>
            <Typography variant="h6" component="h2">
              Roles
            </Typography>
            <Typography variant="body2" color="text.secondary">
              What each role may do. Make your own when the built-in ones do not fit.
            </Typography>
          </Box>
          {canUpdate && (
            <Button variant="outlined" startIcon={<AddIcon />} onClick={() => setEditing("new")}>
              New role
            </Button>
          )}
        </Stack>
        {error && <Alert severity="error">{errorMessage(error)}</Alert>}
        {!loaded && fetching ? (
          <Loading />
        ) : (
          <Stack component="ul" aria-label="Roles" spacing={2} sx={{ listStyle: "none", m: 0, p: 0 }}>
            {roles.map((role) => {
              const builtIn = isBuiltInRole(role.key);
              return (
                <Box component="li" key={role.id} aria-label={role.name} sx={{ borderTop: 1, borderColor: "divider", pt: 2 }}>
                  <Stack direction="row" spacing={1} useFlexGap sx={{ alignItems: "center", flexWrap: "wrap" }}>
                    <Typography sx={{ fontWeight: 600 }}>{role.name}</Typography>
                    {builtIn && <Chip size="small" label="Built-in" />}
                    <Typography variant="body2" color="text.secondary">
                      {members(role.memberships.totalCount)}
                    </Typography>
                    <Box sx={{ flex: 1 }} />
                    {canUpdate && !builtIn && (
                      <>
                        <Button size="small" onClick={() => setEditing(role)} aria-label={`Edit ${role.name}`}>
                          Edit
                        </Button>
                        <Button size="small" color="error" onClick={() => setDeleting(role)} aria-label={`Delete ${role.name}`}>
                          Delete
                        </Button>
                      </>
                    )}
                  </Stack>
                  <Stack
                    component="ul"
                    direction="row"
                    useFlexGap
                    spacing={0.75}
                    aria-label={`What ${role.name} may do`}
                    sx={{ flexWrap: "wrap", listStyle: "none", mt: 1, mb: 0, p: 0 }}
                  >
                    {sortPermissions(role.permissions).map((p) => (
                      <Chip component="li" key={p} size="small" variant="outlined" label={permissionLabel(p)} />
                    ))}
                  </Stack>
                </Box>
              );
            })}
          </Stack>
        )}
      </CardContent>
      {editing && (
        <RoleDialog key={editing === "new" ? "new" : editing.id} role={editing === "new" ? undefined : editing} onClose={() => setEditing(null)} />
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete role"
          confirm="Delete"
          onClose={() => setDeleting(null)}
          onConfirm={async () => (await deleteRole({ roleId: deleting.rowId })).error}
        >
          Delete the role “{deleting.name}”? Only a role nobody has, and no pending invitation offers, can be deleted.
        </ConfirmDialog>
      )}
    </Card>
  );
}
