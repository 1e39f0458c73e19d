// One customer: loyalty class (and why), profile with type, preferences, purchase history, notes,
// addresses, recent orders and the activity timeline; Edit, the type, preferences,
// Archive/Restore (customers.update) and Merge (customers.merge). Archiving and
// restoring are confirmed with an optional reason, kept in the audit log. A customer that was
// merged away shows where it went instead of its actions; an erased one says so. The customer's
// own data requests (download, erase: customers.erase) are in PrivacyCard.
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
  TextField,
  Typography,
  useMediaQuery,
  useTheme,
} from "@mui/material";
import { useState } from "react";
import { Link as RouterLink, useNavigate, useParams } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { AccountCard } from "../accounts/AccountCard.tsx";
import { ACCOUNT_TYPENAMES } from "../accounts/context.ts";
import { errorMessage } from "../lib/errors.ts";
import { useForm } from "../lib/useForm.ts";
import { useCan } from "../shell/ViewerContext.tsx";
import { Loading } from "../ui/Loading.tsx";
import { NotAllowed } from "../ui/NotAllowed.tsx";
import { RecentOrdersCard, TimelineCard } from "./ActivityCards.tsx";
import { AddressesCard } from "./AddressesCard.tsx";
import { ContactsCard } from "./ContactsCard.tsx";
import { CustomerFormDialog } from "./CustomerFormDialog.tsx";
import { ArchiveIcon, BackIcon, EditIcon, MergeIcon, RestoreIcon } from "../ui/icons.tsx";
import { LoyaltyChip } from "./LoyaltyChip.tsx";
import { MergeDialog } from "./MergeDialog.tsx";
import { LoyaltyPointsCard } from "./LoyaltyPointsCard.tsx";
import { NotesCard } from "./NotesCard.tsx";
import { PreferencesCard } from "./PreferencesCard.tsx";
import { ErasedBanner, PrivacyCard } from "./PrivacyCard.tsx";
import { CustomerTierChip } from "./CustomerTier.tsx";
import { ProfileCard, StatusChip } from "./ProfileCard.tsx";
import { CustomerStage } from "./CustomerStage.tsx";
import { PurchaseHistoryCard } from "./PurchaseHistoryCard.tsx";
import { useCustomerChanges } from "./live.ts";
import { VerifyPhoneButton } from "./VerifyPhoneDialog.tsx";
import { ArchiveCustomerMutation, CustomerDetailQuery, RestoreCustomerMutation, type CustomerDetail } from "./queries.ts";

// Refetch after any change to the customer or what hangs off it, even when a list was empty.
// (Preferences, channels and favourites are their own types: a customer may have none yet.)
const CONTEXT = {
  additionalTypenames: [
    "Customer",
    "CustomerNote",
    "CustomerAddress",
    "Order",
    "CustomerPreference",
    "CustomerContactChannel",
    "CustomerFavouriteItem",
    "CustomerContact",
    // An account's commands change the customer's terms and account status (accounts/context.ts).
    ...ACCOUNT_TYPENAMES,
  ],
};

export function CustomerDetailPage() {
  const { id = "" } = useParams();
  const canView = useCan("customers.view");
  const [{ data, error, fetching }, reexecute] = useQuery({ query: CustomerDetailQuery, variables: { rowId: id }, context: CONTEXT, pause: !canView });
  const customer = data?.customerByRowId;
  // Another member of staff changed this customer: read it again, timeline included (live.ts).
  const [version, setVersion] = useState(0);
  useCustomerChanges((changed) => {
    if (changed !== null && changed !== id) return;
    reexecute({ requestPolicy: "network-only" });
    setVersion((v) => v + 1);
  }, !canView);

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
        <CustomerView key={customer.rowId} customer={customer} version={version} />
      ) : (
        !error && <Alert severity="info">There is no such customer in this business. It may have been typed wrongly, or belong to another business.</Alert>
      )}
    </>
  );
}

function CustomerView({ customer: c, version }: { customer: CustomerDetail; version: number }) {
  const canUpdate = useCan("customers.update");
  const canMerge = useCan("customers.merge");
  const canErase = useCan("customers.erase");
  const canSeeAccount = useCan("accounts.view");
  const navigate = useNavigate();
  const [editing, setEditing] = useState(false);
  const [changingStatus, setChangingStatus] = useState<StatusChange | null>(null);
  const [merging, setMerging] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const merged = c.status === "merged";
  const erased = c.status === "erased";
  const live = !merged && !erased;
  const wide = useMediaQuery(useTheme().breakpoints.up("md"), { noSsr: true });

  const profile = <ProfileCard customer={c} canWrite={canUpdate && live} />;
  const preferences = <PreferencesCard customer={c} canWrite={canUpdate && live} />;
  const stats = <PurchaseHistoryCard history={c.stats} />;
  const points = <LoyaltyPointsCard customerRowId={c.rowId} live={live} />;
  const notes = <NotesCard customerRowId={c.rowId} about={c.notes} notes={c.customerNotes.nodes} canWrite={canUpdate && live} />;
  const addresses = <AddressesCard customerRowId={c.rowId} addresses={c.addresses.nodes} canWrite={canUpdate && live} />;
  const orders = <RecentOrdersCard orders={c.recentOrders ?? []} />;
  const timeline = <TimelineCard customerRowId={c.rowId} canLog={canUpdate && live} version={version} />;
  const account = <AccountCard customerRowId={c.rowId} live={live} />;
  const privacy = canErase && live ? <PrivacyCard customer={c} /> : null;
  const contacts =
    c.kind === "company" ? <ContactsCard customerRowId={c.rowId} contacts={c.contacts.nodes} canWrite={canUpdate && live} /> : null;

  return (
    <>
      <Box sx={{ display: "flex", alignItems: "flex-start", justifyContent: "space-between", gap: 2, mb: 3, flexWrap: "wrap" }}>
        <Box>
          <Typography variant="h4" component="h1">
            {c.displayName}
          </Typography>
          <Stack direction="row" spacing={1.5} useFlexGap sx={{ mt: 0.5, alignItems: "center", flexWrap: "wrap" }}>
            <Typography color="text.secondary">{c.customerNumber}</Typography>
            <StatusChip status={c.status} />
            <CustomerStage
              customer={c}
              canWrite={canUpdate && live}
              onMerged={({ keptRowId, keptNumber, mergedNumber }) => {
                if (keptRowId !== c.rowId) navigate(`/customers/${keptRowId}`);
                else setNotice(`Merged ${mergedNumber} into ${keptNumber}.`);
              }}
            />
            <LoyaltyChip value={c.stats?.loyaltyClass ?? null} size="medium" />
            <CustomerTierChip customerRowId={c.rowId} canWrite={canUpdate && live} />
            {c.stats && (
              <Typography color="text.secondary" variant="body2" data-testid="loyalty-reason">
                {c.stats.loyaltyClassReason}
              </Typography>
            )}
          </Stack>
        </Box>
        {live && (
          <Stack direction="row" spacing={1} useFlexGap sx={{ flexWrap: "wrap" }}>
            {canMerge && (
              <Button variant="outlined" startIcon={<MergeIcon />} onClick={() => setMerging(true)}>
                Merge duplicate
              </Button>
            )}
            {canUpdate &&
              (c.status === "archived" ? (
                <Button variant="outlined" startIcon={<RestoreIcon />} onClick={() => setChangingStatus("restore")}>
                  Restore
                </Button>
              ) : (
                <Button variant="outlined" startIcon={<ArchiveIcon />} onClick={() => setChangingStatus("archive")}>
                  Archive
                </Button>
              ))}
            <VerifyPhoneButton customerRowId={c.rowId} canWrite={canUpdate} />
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
      {erased && <ErasedBanner />}
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

      {/* The account spans the page (its figures and invoice lists need the width): a company's
          first, a person's (rarely opened) under the rest. */}
      {canSeeAccount && c.kind === "company" && <Box sx={{ mb: { xs: 2, md: 3 } }}>{account}</Box>}

      {wide ? (
        <Box sx={{ display: "grid", gap: 3, gridTemplateColumns: "minmax(0, 7fr) minmax(0, 5fr)", alignItems: "start" }}>
          <Stack spacing={3} sx={{ minWidth: 0 }}>
            {profile}
            {contacts}
            {preferences}
            {notes}
            {orders}
          </Stack>
          <Stack spacing={3} sx={{ minWidth: 0 }}>
            {stats}
            {points}
            {addresses}
            {timeline}
            {privacy}
          </Stack>
        </Box>
      ) : (
        // One column on a phone: who, then how much, then the rest.
        <Stack spacing={2}>
          {profile}
          {contacts}
          {stats}
          {points}
          {preferences}
          {notes}
          {addresses}
          {orders}
          {timeline}
          {privacy}
        </Stack>
      )}
      {canSeeAccount && c.kind !== "company" && <Box sx={{ mt: { xs: 2, md: 3 } }}>{account}</Box>}

      {canUpdate && live && (
        <CustomerFormDialog
          open={editing}
          onClose={() => setEditing(false)}
          customer={c}
          onSaved={() => setNotice("Changes saved.")}
        />
      )}
      {changingStatus && <StatusDialog change={changingStatus} customer={c} onClose={() => setChangingStatus(null)} />}
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

type StatusChange = "archive" | "restore";

const STATUS_CHANGE = {
  archive: {
    mutation: ArchiveCustomerMutation,
    title: "Archive",
    text: "They will no longer be offered at the till or listed with active customers. Their orders and history stay, and you can restore them at any time.",
  },
  restore: {
    mutation: RestoreCustomerMutation,
    title: "Restore",
    text: "They will be offered at the till and listed with active customers again.",
  },
} as const;

/** Confirms archiving or restoring, with an optional reason kept in the audit log. */
function StatusDialog({ change, customer, onClose }: { change: StatusChange; customer: CustomerDetail; onClose(): void }) {
  const { mutation, title, text } = STATUS_CHANGE[change];
  const [, run] = useMutation(mutation);
  const form = useForm({ reason: "" });

  const submit = form.submit(async () => {
    const result = await run({ customerId: customer.rowId, reason: form.values.reason });
    if (result.error) return void form.fail(result.error);
    onClose();
  });

  return (
    <Dialog open onClose={onClose} maxWidth="xs" fullWidth>
      <form onSubmit={submit} noValidate>
        <DialogTitle>
          {title} {customer.displayName}?
        </DialogTitle>
        <DialogContent>
          {form.formError && <Alert severity="error" sx={{ mb: 2 }}>{form.formError.message}</Alert>}
          <DialogContentText sx={{ mb: 2 }}>{text}</DialogContentText>
          <TextField label="Reason (optional)" autoFocus fullWidth {...form.text("reason", "Kept in the audit log with the change.")} />
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" loading={form.submitting}>
            {title}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
