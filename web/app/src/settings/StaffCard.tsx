// Staff: who works in the business and with which role, and the invitations not yet accepted.
// Seen with settings.view; with settings.update people are invited (a link shown once), given
// another role, removed, and invitations revoked. The server decides what each may do (DNIED,
// LASTO, LIMIT…) and its words are shown as it says them.
import {
  Alert,
  Box,
  Button,
  Card,
  CardContent,
  Stack,
  Typography,
} from "@mui/material";
import { useMemo, useState } from "react";
import { useMutation, useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { useViewer } from "../shell/ViewerContext.tsx";
import { DataTable } from "../ui/DataTable.tsx";
import { AddIcon } from "../ui/icons.tsx";
import { Loading } from "../ui/Loading.tsx";
import { ONLY_ON_PHONE } from "../ui/narrow.ts";
import { TimeAgo } from "../ui/TimeAgo.tsx";
import { ChangeRoleDialog } from "./ChangeRoleDialog.tsx";
import { ConfirmDialog } from "./ConfirmDialog.tsx";
import { InviteDialog } from "./InviteDialog.tsx";
import {
  RemoveMemberMutation,
  RevokeInvitationMutation,
  StaffQuery,
  type Invitation,
  type Member,
} from "./queries.ts";
import { useRoles } from "./useRoles.ts";

/** Accepted, revoked (or replaced) and expired invitations are history: the audit log has them. */
const isPending = (i: Invitation, now: number) => !i.acceptedAt && !i.revokedAt && Date.parse(i.expiresAt) > now;

export function StaffCard({ canUpdate }: { canUpdate: boolean }) {
  const { user } = useViewer();
  // Refetched after any change to a membership or an invitation, even while a list is empty;
  // and on every visit, for the invitations accepted meanwhile.
  const context = useMemo(() => ({ additionalTypenames: ["Membership", "Invitation"] }), []);
  const [{ data, error, fetching }] = useQuery({ query: StaffQuery, context, requestPolicy: "cache-and-network" });
  const { roles } = useRoles();
  const members = useMemo(
    () => [...(data?.currentTenant?.memberships.nodes ?? [])].sort((a, b) => (a.user?.name ?? "").localeCompare(b.user?.name ?? "")),
    [data],
  );
  const pending = useMemo(() => {
    const now = Date.now();
    return (data?.currentTenant?.invitations.nodes ?? []).filter((i) => isPending(i, now));
  }, [data]);

  const [inviting, setInviting] = useState(false);
  const [changing, setChanging] = useState<Member | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [revoking, setRevoking] = useState<Invitation | null>(null);
  const [, removeMember] = useMutation(RemoveMemberMutation);
  const [, revokeInvitation] = useMutation(RevokeInvitationMutation);

  return (
    <Card>
      <CardContent>
        <Stack direction="row" spacing={2} useFlexGap sx={{ alignItems: "center", justifyContent: "space-between", flexWrap: "wrap", mb: 2 }}>
          <Box>
            <Typography variant="h6" component="h2">
              Staff
            </Typography>
            <Typography variant="body2" color="text.secondary">
              The people who work in your business. Their role decides what they may do.
            </Typography>
          </Box>
          {canUpdate && (
            <Button variant="contained" startIcon={<AddIcon />} onClick={() => setInviting(true)} disabled={!roles.length}>
              Invite
            </Button>
          )}
        </Stack>
        {error && <Alert severity="error">{errorMessage(error)}</Alert>}
        {!data && fetching ? (
          <Loading />
        ) : (
          <Stack spacing={3}>
            <DataTable
              label="Members"
              rows={members}
              rowKey={(member) => member.id}
              columns={[
                {
                  header: "Name",
                  cell: (member) => (
                    <>
                      {member.user?.name ?? "A member"}
                      {member.user?.id === user.id && (
                        <Typography component="span" variant="body2" color="text.secondary">
                          {" "}
                          (you)
                        </Typography>
                      )}
                      {/* The email column has no room on a phone: it goes under the name. */}
                      <Typography variant="caption" color="text.secondary" sx={{ ...ONLY_ON_PHONE, overflowWrap: "anywhere" }}>
                        {member.user?.email}
                      </Typography>
                    </>
                  ),
                },
                { header: "Email", hideBelow: "sm", cell: (member) => member.user?.email },
                { header: "Role", cell: (member) => member.role?.name },
                canUpdate && {
                  header: "Actions",
                  actions: true,
                  cell: (member) => {
                    const name = member.user?.name ?? "A member";
                    return (
                      <>
                        <Button size="small" onClick={() => setChanging(member)} aria-label={`Change the role of ${name}`}>
                          Change role
                        </Button>
                        <Button size="small" color="error" onClick={() => setRemoving(member)} aria-label={`Remove ${name}`}>
                          Remove
                        </Button>
                      </>
                    );
                  },
                },
              ]}
            />
            <Box>
              <Typography variant="subtitle2" component="h3" sx={{ mb: 1 }}>
                Pending invitations
              </Typography>
              {pending.length ? (
                <DataTable
                  label="Pending invitations"
                  rows={pending}
                  rowKey={(invitation) => invitation.id}
                  columns={[
                    { header: "Email", sx: { overflowWrap: "anywhere" }, cell: (invitation) => invitation.email },
                    { header: "Role", cell: (invitation) => invitation.role?.name },
                    { header: "Expires", cell: (invitation) => <TimeAgo iso={invitation.expiresAt} /> },
                    canUpdate && {
                      header: "Actions",
                      actions: true,
                      cell: (invitation) => (
                        <Button
                          size="small"
                          color="error"
                          onClick={() => setRevoking(invitation)}
                          aria-label={`Revoke the invitation of ${invitation.email}`}
                        >
                          Revoke
                        </Button>
                      ),
                    },
                  ]}
                />
              ) : (
                <Typography variant="body2" color="text.secondary">
                  No invitation is waiting to be accepted.
                </Typography>
              )}
            </Box>
          </Stack>
        )}
      </CardContent>
      {inviting && <InviteDialog roles={roles} onClose={() => setInviting(false)} />}
      {changing && <ChangeRoleDialog key={changing.id} member={changing} roles={roles} onClose={() => setChanging(null)} />}
      {removing && (
        <ConfirmDialog
          title={`Remove ${removing.user?.name ?? "this member"}`}
          confirm="Remove"
          onClose={() => setRemoving(null)}
          onConfirm={async () => (await removeMember({ membershipId: removing.rowId })).error}
        >
          {removing.user?.name ?? "This member"} ({removing.user?.email}) loses access to the business at once. What they did stays in
          the audit log.
        </ConfirmDialog>
      )}
      {revoking && (
        <ConfirmDialog
          title="Revoke invitation"
          confirm="Revoke"
          onClose={() => setRevoking(null)}
          onConfirm={async () => (await revokeInvitation({ invitationId: revoking.rowId })).error}
        >
          The link sent to {revoking.email} stops working. You can invite them again later.
        </ConfirmDialog>
      )}
    </Card>
  );
}
