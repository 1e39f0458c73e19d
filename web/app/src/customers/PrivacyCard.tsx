// A customer's own data request (GDPR/CCPA), for members with customers.erase (owners by
// default): "Download their data" asks the worker for a zip of everything held about them
// (requestCustomerData; a reason is required and audited), shows its progress and offers the
// file; "Erase personal data" anonymises them (eraseCustomer) after the name is typed to confirm,
// and says what stays. ErasedBanner tells everyone else what an erased customer is.
import {
  Alert,
  Box,
  Button,
  Card,
  CardContent,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  LinearProgress,
  Link,
  Stack,
  TextField,
  Typography,
} from "@mui/material";
import { useEffect, useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql, type ResultOf } from "../graphql.ts";
import { errorMessage } from "../lib/errors.ts";
import { useForm } from "../lib/useForm.ts";
import { DeleteIcon } from "../ui/icons.tsx";
import { TimeAgo } from "../ui/TimeAgo.tsx";

const DataExportFields = graphql(`
  fragment DataExportFields on CustomerDataExport {
    id
    rowId
    status
    filesWritten
    filesTotal
    fileName
    downloadUrl
    errorMessage
    reason
    createdAt
  }
`);

const DataExportsQuery = graphql(
  `
    query CustomerDataExports($rowId: String!) {
      customerByRowId(rowId: $rowId) {
        id
        dataExports(orderBy: CREATED_AT_DESC, first: 3) {
          nodes {
            ...DataExportFields
          }
        }
      }
    }
  `,
  [DataExportFields],
);

const RequestCustomerDataMutation = graphql(
  `
    mutation RequestCustomerData($customerId: String!, $reason: String!) {
      requestCustomerData(input: { customerId: $customerId, reason: $reason }) {
        dataExport {
          ...DataExportFields
        }
      }
    }
  `,
  [DataExportFields],
);

const EraseCustomerMutation = graphql(`
  mutation EraseCustomer($customerId: String!, $reason: String!) {
    eraseCustomer(input: { customerId: $customerId, reason: $reason }) {
      result {
        id
        status
        displayName
      }
    }
  }
`);

type DataExport = ResultOf<typeof DataExportFields>;
const POLL_MS = 1000;
// A constant: a context made at each render would make urql run the query again at each render.
const EXPORTS_CONTEXT = { additionalTypenames: ["CustomerDataExport"] };
// Refetch whatever shows the customer once it is erased (profile, notes, addresses, timeline…).
const ERASED_CONTEXT = {
  additionalTypenames: ["Customer", "CustomerNote", "CustomerAddress", "CustomerPreference", "CustomerContactChannel", "CustomerFavouriteItem"],
};

interface Customer {
  rowId: string;
  displayName: string;
  customerNumber: string;
  status: string;
}

export function PrivacyCard({ customer }: { customer: Customer }) {
  const [{ data, error }, refetch] = useQuery({
    query: DataExportsQuery,
    variables: { rowId: customer.rowId },
    context: EXPORTS_CONTEXT,
  });
  const [asking, setAsking] = useState(false);
  const [erasing, setErasing] = useState(false);
  const exports = data?.customerByRowId?.dataExports.nodes ?? [];
  const working = exports.some((e) => e.status === "pending" || e.status === "running");

  // Poll while the worker writes the file.
  useEffect(() => {
    if (!working) return;
    const timer = setInterval(() => refetch({ requestPolicy: "network-only" }), POLL_MS);
    return () => clearInterval(timer);
  }, [working, refetch]);

  return (
    <Card variant="outlined" data-testid="privacy-card">
      <CardContent>
        <Typography variant="h6" component="h2" gutterBottom>
          Their data (privacy requests)
        </Typography>
        <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
          When a customer asks what you hold about them, or asks you to forget them. Both are kept in the audit log with your reason.
        </Typography>
        {error && <Alert severity="error" sx={{ mb: 2 }}>{errorMessage(error)}</Alert>}
        <Stack spacing={1.5} sx={{ mb: 2 }}>
          {exports.map((e) => (
            <ExportLine key={e.rowId} e={e} />
          ))}
        </Stack>
        <Stack direction="row" spacing={1} useFlexGap sx={{ flexWrap: "wrap" }}>
          <Button variant="outlined" onClick={() => setAsking(true)} disabled={working}>
            Download their data
          </Button>
          <Button variant="outlined" color="error" startIcon={<DeleteIcon />} onClick={() => setErasing(true)}>
            Erase personal data
          </Button>
        </Stack>
      </CardContent>
      {asking && <RequestDialog customer={customer} onClose={() => setAsking(false)} />}
      {erasing && <EraseDialog customer={customer} onClose={() => setErasing(false)} />}
    </Card>
  );
}

function ExportLine({ e }: { e: DataExport }) {
  if (e.status === "done" && e.downloadUrl) {
    return (
      <Box data-testid="data-export">
        <Link href={e.downloadUrl} download={e.fileName}>
          Download {e.fileName}
        </Link>
        <Typography variant="caption" color="text.secondary" sx={{ display: "block" }}>
          Asked <TimeAgo iso={e.createdAt} /> · kept 7 days · {e.reason}
        </Typography>
      </Box>
    );
  }
  if (e.status === "failed") {
    return <Alert severity="error">{e.errorMessage || "The file could not be written. Please try again."}</Alert>;
  }
  return (
    <Box role="status" aria-label="Preparing their data" data-testid="data-export">
      <LinearProgress variant={e.status === "running" ? "determinate" : "indeterminate"} value={(100 * e.filesWritten) / e.filesTotal} />
      <Typography variant="caption" color="text.secondary">
        {e.status === "running" ? `Writing files: ${e.filesWritten} of ${e.filesTotal}` : "Queued…"}
      </Typography>
    </Box>
  );
}

function RequestDialog({ customer, onClose }: { customer: Customer; onClose(): void }) {
  const [, run] = useMutation(RequestCustomerDataMutation);
  const form = useForm({ reason: "" });
  const submit = form.submit(async () => {
    const result = await run({ customerId: customer.rowId, reason: form.values.reason }, EXPORTS_CONTEXT);
    if (result.error) return void form.fail(result.error);
    onClose();
  });
  return (
    <Dialog open onClose={onClose} maxWidth="sm" fullWidth>
      <form onSubmit={submit} noValidate>
        <DialogTitle>Download {customer.displayName}'s data?</DialogTitle>
        <DialogContent>
          {form.formError && <Alert severity="error" sx={{ mb: 2 }}>{form.formError.message}</Alert>}
          <DialogContentText sx={{ mb: 2 }}>
            We prepare one zip file with everything this business holds about them: profile, notes, addresses, consents, orders and
            refunds, their timeline and the audit log about them (customer.json, with orders, order lines and timeline as CSV). Give it to
            them only: it is their personal data. It can be downloaded for 7 days.
          </DialogContentText>
          <TextField
            label="Reason"
            required
            autoFocus
            fullWidth
            {...form.text("reason", "How they asked, and when. Kept in the audit log; write no personal data here.")}
          />
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" loading={form.submitting}>
            Prepare the file
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

function EraseDialog({ customer, onClose }: { customer: Customer; onClose(): void }) {
  const [, run] = useMutation(EraseCustomerMutation);
  const form = useForm({ reason: "", confirmation: "" });
  const confirmed = form.values.confirmation.trim() === customer.customerNumber;
  const submit = form.submit(async () => {
    const result = await run({ customerId: customer.rowId, reason: form.values.reason }, ERASED_CONTEXT);
    if (result.error) return void form.fail(result.error);
    onClose();
  });
  return (
    <Dialog open onClose={onClose} maxWidth="sm" fullWidth>
      <form onSubmit={submit} noValidate>
        <DialogTitle>Erase {customer.displayName}'s personal data?</DialogTitle>
        <DialogContent>
          {form.formError && <Alert severity="error" sx={{ mb: 2 }}>{form.formError.message}</Alert>}
          <Alert severity="warning" sx={{ mb: 2 }}>
            This cannot be undone.
          </Alert>
          <DialogContentText component="div" sx={{ mb: 2 }}>
            <strong>Erased:</strong> names, email, phone, notes, addresses, tags, consents, preferences and favourites, also in the activity
            history and the audit log, and in the customers it was merged with. Their email and phone can then be used for a new customer.
            Customers list exports made in the last 7 days keep their name until they expire (after 7 days): delete any copy you
            downloaded.
            <br />
            <strong>Kept:</strong> their orders, payments and refunds, and every report, under "Erased customer" ({customer.customerNumber}),
            so that your figures do not change.
          </DialogContentText>
          <Stack spacing={2}>
            <TextField
              label="Reason"
              required
              fullWidth
              autoFocus
              {...form.text("reason", "How they asked, and when. Kept in the audit log; write no personal data here.")}
            />
            <TextField
              label={`Type ${customer.customerNumber} to confirm`}
              required
              fullWidth
              autoComplete="off"
              {...form.text("confirmation")}
            />
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" color="error" loading={form.submitting} disabled={!confirmed}>
            Erase personal data
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

/** What an erased customer is, for everyone who opens one. */
export function ErasedBanner() {
  return (
    <Alert severity="info" sx={{ mb: 3 }} data-testid="erased-banner">
      This customer's personal data was erased at their request. Their orders and your reports are kept under "Erased customer"; nothing
      can be added to this record. If they come back, add them as a new customer.
    </Alert>
  );
}
