// Merging a duplicate into this customer (customers.merge). First find the duplicate with the
// type-ahead; then see the two side by side with what the merge will make of them
// (previewCustomerMerge computes it, writing nothing): fields, tags, visits and spend, and how
// many orders, notes and addresses will move. Only then mergeCustomers. Either side can be the
// one kept ("Keep the other one"); the duplicate stays as a merged record pointing at it. An
// optional reason is kept in the audit log of every change the merge makes. The Possible
// duplicates page opens it on a pair (otherRowId): straight to the preview.
import {
  Alert,
  Box,
  Button,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TableRow,
  TextField,
  Typography,
} from "@mui/material";
import { useState, type ReactNode } from "react";
import { useMutation, useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { useForm } from "../lib/useForm.ts";
import { CustomerSearch } from "./CustomerSearch.tsx";
import { formatDate, tagList } from "./format.ts";
import { SwapIcon } from "../ui/icons.tsx";
import { MergeCustomersMutation, MergeSideQuery, PreviewMergeQuery, type MergePreview, type MergeSide } from "./queries.ts";
import { useMoney } from "../ui/useMoney.ts";
import { usePhone } from "../ui/usePhone.ts";

interface Props {
  /** The customer whose page this is. */
  customer: { rowId: string; displayName: string; customerNumber: string };
  onClose(): void;
  /** After the merge: the customer that remains (this one, or the other when swapped). */
  onMerged(result: { keptRowId: string; mergedNumber: string; keptNumber: string }): void;
  /** The other customer when it is already known (a possible duplicate): the preview opens at once. */
  otherRowId?: string;
  /** Keep the other customer and merge this one into it (an upgrade that found them already there). */
  keepOther?: boolean;
}

const NETWORK = { requestPolicy: "network-only" as const };

export function MergeDialog({ customer, onClose, onMerged, otherRowId, keepOther = false }: Props) {
  const [text, setText] = useState("");
  const [other, setOther] = useState<string | null>(otherRowId ?? null);
  const [swapped, setSwapped] = useState(keepOther);

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth={other ? "md" : "sm"}>
      <DialogTitle>{other ? "Review the merge" : `Merge a duplicate into ${customer.displayName}`}</DialogTitle>
      {other ? (
        <Preview
          primaryId={swapped ? other : customer.rowId}
          duplicateId={swapped ? customer.rowId : other}
          onSwap={() => setSwapped((s) => !s)}
          onBack={() => {
            setOther(null);
            setSwapped(false);
          }}
          onClose={onClose}
          onMerged={onMerged}
        />
      ) : (
        <>
          <DialogContent sx={{ minHeight: 300 }}>
            <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
              Find the other record of the same person. You will see the result before anything changes.
            </Typography>
            <CustomerSearch
              label="Find the duplicate"
              text={text}
              onTextChange={setText}
              onPick={(c) => setOther(c.rowId)}
              excludeRowIds={[customer.rowId]}
              includeArchived
              autoFocus
            />
          </DialogContent>
          <DialogActions sx={{ px: 3, pb: 2 }}>
            <Button onClick={onClose}>Cancel</Button>
          </DialogActions>
        </>
      )}
    </Dialog>
  );
}

function Preview({
  primaryId,
  duplicateId,
  onSwap,
  onBack,
  onClose,
  onMerged,
}: {
  primaryId: string;
  duplicateId: string;
  onSwap(): void;
  onBack(): void;
  onClose(): void;
  onMerged: Props["onMerged"];
}) {
  const [primary] = useQuery({ query: MergeSideQuery, variables: { rowId: primaryId }, ...NETWORK });
  const [duplicate] = useQuery({ query: MergeSideQuery, variables: { rowId: duplicateId }, ...NETWORK });
  const [preview] = useQuery({ query: PreviewMergeQuery, variables: { primaryId, duplicateId }, ...NETWORK });
  const [, merge] = useMutation(MergeCustomersMutation);
  const form = useForm({ reason: "" });

  const p = primary.data?.customerByRowId;
  const d = duplicate.data?.customerByRowId;
  const r = preview.data?.previewCustomerMerge;
  const loadError = preview.error ?? primary.error ?? duplicate.error;
  const ready = p && d && r && !preview.fetching;

  const confirm = form.submit(async () => {
    if (!p || !d) return;
    const result = await merge({ primaryId, duplicateId, reason: form.values.reason });
    if (result.error) return void form.fail(result.error);
    onMerged({ keptRowId: p.rowId, keptNumber: p.customerNumber, mergedNumber: d.customerNumber });
  });

  return (
    <>
      <DialogContent>
        {loadError && <Alert severity="error" sx={{ mb: 2 }}>{errorMessage(loadError)}</Alert>}
        {form.formError && <Alert severity="error" sx={{ mb: 2 }}>{form.formError.message}</Alert>}
        {ready ? (
          <>
            <Typography variant="body2" sx={{ mb: 2 }}>
              <strong>{p.displayName}</strong> ({p.customerNumber}) is kept. <strong>{d.displayName}</strong> ({d.customerNumber}) becomes a
              merged record that points to it. Where the kept customer has no value, the duplicate's is used; tags and “About this customer” are combined,
              visits and spend added up.
            </Typography>
            <ComparisonTable p={p} d={d} r={r} />
            <Typography variant="body2" sx={{ mt: 2 }} data-testid="merge-moves">
              {moves(r)}
            </Typography>
            <TextField
              label="Reason (optional)"
              fullWidth
              sx={{ mt: 2 }}
              {...form.text("reason", "Kept in the audit log with the merge. For example: same email, signed up twice.")}
            />
          </>
        ) : (
          !loadError && (
            <Typography color="text.secondary" sx={{ py: 4, textAlign: "center" }}>
              Working out the result…
            </Typography>
          )
        )}
      </DialogContent>
      <DialogActions sx={{ px: 3, pb: 2, flexWrap: "wrap", gap: 1 }}>
        <Button onClick={onBack} sx={{ mr: "auto" }}>
          Choose another
        </Button>
        <Button startIcon={<SwapIcon />} onClick={onSwap} disabled={!ready || form.submitting}>
          Keep {d ? d.displayName : "the other one"} instead
        </Button>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="contained" color="warning" onClick={confirm} disabled={!ready} loading={form.submitting}>
          Merge customers
        </Button>
      </DialogActions>
    </>
  );
}

function moves(r: MergePreview): string {
  const parts = [
    plural(r.ordersToMove ?? 0, "order"),
    plural(r.notesToMove ?? 0, "note"),
    plural(r.addressesToMove ?? 0, "address", "addresses"),
  ];
  return `Moves ${parts[0]}, ${parts[1]} and ${parts[2]} to the customer kept.`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function ComparisonTable({ p, d, r }: { p: MergeSide; d: MergeSide; r: MergePreview }) {
  const money = useMoney();
  const phone = usePhone();
  const consent = (v: boolean | null) => (v == null ? "Not asked" : v ? "Agrees" : "Declined");
  const tags = (v: unknown) => {
    const list = tagList(v);
    return list.length ? (
      <Box sx={{ display: "flex", gap: 0.5, flexWrap: "wrap" }}>
        {list.map((t) => (
          <Chip key={t} size="small" label={t} />
        ))}
      </Box>
    ) : (
      <Empty />
    );
  };
  const rows: [string, ReactNode, ReactNode, ReactNode][] = [
    ["Name", p.displayName, d.displayName, r.displayName],
    ["Email", p.email, d.email, r.email],
    ["Phone", phone(p.phone), phone(d.phone), phone(r.phone)],
    ["Tags", tags(p.tags), tags(d.tags), tags(r.tags)],
    ["Marketing", consent(p.marketingConsent), consent(d.marketingConsent), consent(r.marketingConsent)],
    ["Visits", p.totalVisits, d.totalVisits, r.totalVisits],
    ["Total spend", money.format(p.totalSpend), money.format(d.totalSpend), money.format(r.totalSpend)],
    ["Last visit", formatDate(p.lastVisitAt) || "Never", formatDate(d.lastVisitAt) || "Never", formatDate(r.lastVisitAt) || "Never"],
    ["About this customer", p.notes, d.notes, r.notes],
  ];
  return (
    <TableContainer sx={{ border: 1, borderColor: "divider", borderRadius: 1 }}>
      <Table size="small" aria-label="Merge preview">
        <TableHead>
          <TableRow>
            <TableCell />
            <TableCell>
              Kept
              <Typography variant="caption" color="text.secondary" sx={{ display: "block" }}>
                {p.customerNumber}
              </Typography>
            </TableCell>
            <TableCell>
              Duplicate
              <Typography variant="caption" color="text.secondary" sx={{ display: "block" }}>
                {d.customerNumber}
              </Typography>
            </TableCell>
            <TableCell sx={{ bgcolor: "action.hover" }}>
              After the merge
              <Typography variant="caption" color="text.secondary" sx={{ display: "block" }}>
                {p.customerNumber}
              </Typography>
            </TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {rows.map(([label, a, b, c]) => (
            <TableRow key={label}>
              <TableCell component="th" scope="row" sx={{ color: "text.secondary", fontWeight: 500, whiteSpace: "nowrap" }}>
                {label}
              </TableCell>
              <Cell>{a}</Cell>
              <Cell>{b}</Cell>
              <Cell result>{c}</Cell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </TableContainer>
  );
}

function Cell({ children, result }: { children: ReactNode; result?: boolean }) {
  return (
    <TableCell sx={{ bgcolor: result ? "action.hover" : undefined, fontWeight: result ? 600 : undefined, wordBreak: "break-word", whiteSpace: "pre-line", maxWidth: 240 }}>
      {children === null || children === undefined || children === "" ? <Empty /> : children}
    </TableCell>
  );
}

function Empty() {
  return (
    <Box component="span" sx={{ color: "text.disabled" }}>
      —
    </Box>
  );
}
