// One customer: profile and lifetime stats, notes, addresses, recent orders and the activity
// timeline; Edit, Archive/Restore (customers.update) and Merge (customers.merge). A customer that
// was merged away shows where it went instead of its actions.
import {
  Alert,
  Box,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  Link,
  Stack,
  Typography,
  useMediaQuery,
  useTheme,
} from "@mui/material";
import { useState } from "react";
import { Link as RouterLink, useNavigate, useParams } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { useCan } from "../shell/ViewerContext.tsx";
import { Loading } from "../ui/Loading.tsx";
import { NotAllowed } from "../ui/NotAllowed.tsx";
import { RecentOrdersCard, StatsCard, TimelineCard } from "./ActivityCards.tsx";
import { AddressesCard } from "./AddressesCard.tsx";
import { CustomerFormDialog } from "./CustomerFormDialog.tsx";
import { ArchiveIcon, BackIcon, EditIcon, MergeIcon, RestoreIcon } from "./icons.tsx";
import { MergeDialog } from "./MergeDialog.tsx";
import { NotesCard } from "./NotesCard.tsx";
import { ProfileCard, StatusChip } from "./ProfileCard.tsx";
import { ArchiveCustomerMutation, CustomerDetailQuery, RestoreCustomerMutation, type CustomerDetail } from "./queries.ts";

// Refetch after any change to the customer or what hangs off it, even when a list was empty.
const CONTEXT = { additionalTypenames: ["Customer", "CustomerNote", "CustomerAddress", "Order"] };

export function CustomerDetailPage() {
  const { id = "" } = useParams();
  const canView = useCan("customers.view");
  const [{ data, error, fetching }] = useQuery({ query: CustomerDetailQuery, variables: { rowId: id }, context: CONTEXT, pause: !canView });
  const customer = data?.customerByRowId;

  if (!canView) return <NotAllowed what="customers" />;
  return (
    <>
      <Link component={RouterLink} to="/customers" underline="hover" sx={{ display: "inline-flex", alignItems: "center", gap: 0.5, mb: 2 }}>
        <BackIcon fontSize="small" /> Customers
      </Link>
      {error && <Alert severity="error">{errorMessage(error)}</Alert>}
      {!data && fetching ? (
        <Loading />
      ) : customer ? (
        <CustomerView key={customer.rowId} customer={customer} />
      ) : (
        !error && <Alert severity="info">There is no such customer in this business. It may have been typed wrongly, or belong to another business.</Alert>
      )}
    </>
  );
}

function CustomerView({ customer: c }: { customer: CustomerDetail }) {
  const canUpdate = useCan("customers.update");
  const canMerge = useCan("customers.merge");
  const navigate = useNavigate();
  const [editing, setEditing] = useState(false);
  const [archiving, setArchiving] = useState(false);
  const [merging, setMerging] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [{ fetching: restoring, error: restoreError }, restore] = useMutation(RestoreCustomerMutation);
  const merged = c.status === "merged";
  const live = !merged;
  const wide = useMediaQuery(useTheme().breakpoints.up("md"), { noSsr: true });

  const profile = <ProfileCard customer={c} />;
  const stats = <StatsCard customer={c} />;
  const notes = <NotesCard customerRowId={c.rowId} notes={c.customerNotes.nodes} canWrite={canUpdate && live} />;
  const addresses = <AddressesCard customerRowId={c.rowId} addresses={c.addresses.nodes} canWrite={canUpdate && live} />;
  const orders = <RecentOrdersCard orders={c.recentOrders ?? []} />;
  const timeline = <TimelineCard entries={c.timeline.nodes} total={c.timeline.totalCount} />;

  return (
    <>
      <Box sx={{ display: "flex", alignItems: "flex-start", justifyContent: "space-between", gap: 2, mb: 3, flexWrap: "wrap" }}>
        <Box>
          <Typography variant="h4" component="h1">
            {c.displayName}
          </Typography>
          <Stack direction="row" spacing={1.5} sx={{ mt: 0.5, alignItems: "center" }}>
            <Typography color="text.secondary">{c.customerNumber}</Typography>
            <StatusChip status={c.status} />
          </Stack>
        </Box>
        {live && (
          <Stack direction="row" spacing={1} sx={{ flexWrap: "wrap" }}>
            {canMerge && (
              <Button variant="outlined" startIcon={<MergeIcon />} onClick={() => setMerging(true)}>
                Merge duplicate
              </Button>
            )}
            {canUpdate &&
              (c.status === "archived" ? (
                <Button variant="outlined" startIcon={<RestoreIcon />} loading={restoring} onClick={() => restore({ customerId: c.rowId })}>
                  Restore
                </Button>
              ) : (
                <Button variant="outlined" startIcon={<ArchiveIcon />} onClick={() => setArchiving(true)}>
                  Archive
                </Button>
              ))}
            {canUpdate && (
              <Button variant="contained" startIcon={<EditIcon />} onClick={() => setEditing(true)}>
                Edit
              </Button>
            )}
          </Stack>
        )}
      </Box>

      {merged && (
        <Alert severity="warning" sx={{ mb: 3 }} data-testid="merged-banner">
          This customer was merged into{" "}
          {c.mergedInto ? (
            <Link component={RouterLink} to={`/customers/${c.mergedInto.rowId}`}>
              {c.mergedInto.displayName} ({c.mergedInto.customerNumber})
            </Link>
          ) : (
            "another customer"
          )}
          . Their orders, notes and addresses are there now; this record is kept so that old references still lead somewhere.
        </Alert>
      )}
      {c.status === "archived" && (
        <Alert severity="info" sx={{ mb: 3 }}>
          Archived: hidden from the till and the active list. Orders and history are kept{canUpdate ? "; Restore brings the customer back." : "."}
        </Alert>
      )}
      {notice && (
        <Alert severity="success" sx={{ mb: 3 }} onClose={() => setNotice(null)}>
          {notice}
        </Alert>
      )}
      {restoreError && <Alert severity="error" sx={{ mb: 3 }}>{errorMessage(restoreError)}</Alert>}

      {wide ? (
        <Box sx={{ display: "grid", gap: 3, gridTemplateColumns: "minmax(0, 7fr) minmax(0, 5fr)", alignItems: "start" }}>
          <Stack spacing={3} sx={{ minWidth: 0 }}>
            {profile}
            {notes}
            {orders}
          </Stack>
          <Stack spacing={3} sx={{ minWidth: 0 }}>
            {stats}
            {addresses}
            {timeline}
          </Stack>
        </Box>
      ) : (
        // One column on a phone: who, then how much, then the rest.
        <Stack spacing={2}>
          {profile}
          {stats}
          {notes}
          {addresses}
          {orders}
          {timeline}
        </Stack>
      )}

      {canUpdate && live && (
        <CustomerFormDialog
          open={editing}
          onClose={() => setEditing(false)}
          customer={c}
          onSaved={() => setNotice("Changes saved.")}
        />
      )}
      {archiving && <ArchiveDialog customer={c} onClose={() => setArchiving(false)} />}
      {merging && (
        <MergeDialog
          customer={c}
          onClose={() => setMerging(false)}
          onMerged={({ keptRowId, keptNumber, mergedNumber }) => {
            setMerging(false);
            if (keptRowId !== c.rowId) navigate(`/customers/${keptRowId}`);
            else setNotice(`Merged ${mergedNumber} into ${keptNumber}.`);
          }}
        />
      )}
    </>
  );
}

function ArchiveDialog({ customer, onClose }: { customer: CustomerDetail; onClose(): void }) {
  const [{ fetching, error }, archive] = useMutation(ArchiveCustomerMutation);
  return (
    <Dialog open onClose={onClose} maxWidth="xs" fullWidth>
      <DialogTitle>Archive {customer.displayName}?</DialogTitle>
      <DialogContent>
        {error && <Alert severity="error" sx={{ mb: 2 }}>{errorMessage(error)}</Alert>}
        <DialogContentText>
          They will no longer be offered at the till or listed with active customers. Their orders and history stay, and you can restore them at
          any time.
        </DialogContentText>
      </DialogContent>
      <DialogActions sx={{ px: 3, pb: 2 }}>
        <Button onClick={onClose}>Cancel</Button>
        <Button
          variant="contained"
          loading={fetching}
          onClick={async () => {
            const result = await archive({ customerId: customer.rowId });
            if (!result.error) onClose();
          }}
        >
          Archive
        </Button>
      </DialogActions>
    </Dialog>
  );
}
