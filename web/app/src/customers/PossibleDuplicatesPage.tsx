// Possible duplicates (/customers/duplicates, customers.merge): pairs of live customers that are
// likely the same person, best first, as the database finds them (possibleDuplicatePairs; the
// rule — same phone digits in another format, the same email name at another domain, a similar
// name — is customers/490-possible-duplicates.sql). Each pair opens the merge preview of the
// customer pages (MergeDialog), or is dismissed as two different people ("Not a duplicate"),
// which the database remembers. A merged pair leaves the list by itself. 25 pairs a page.
import { Alert, Box, Button, Card, CardContent, Chip, Link, Stack, Typography } from "@mui/material";
import { useState } from "react";
import { Link as RouterLink } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { useCan } from "../shell/ViewerContext.tsx";
import { DataTable } from "../ui/DataTable.tsx";
import { BackIcon, MergeIcon } from "../ui/icons.tsx";
import { Loading } from "../ui/Loading.tsx";
import { NotAllowed } from "../ui/NotAllowed.tsx";
import { PageHeader } from "../ui/PageHeader.tsx";
import { usePhone } from "../ui/usePhone.ts";
import { DismissPossibleDuplicateMutation, PossibleDuplicatePairsQuery, type PossibleDuplicatePair } from "./duplicates.ts";
import { MergeDialog } from "./MergeDialog.tsx";

const PAGE_SIZE = 25;

export function PossibleDuplicatesPage() {
  const canMerge = useCan("customers.merge");
  const [page, setPage] = useState(0);
  const [merging, setMerging] = useState<PossibleDuplicatePair | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const [dismissing, setDismissing] = useState<string | null>(null);
  // One more than shown: whether there is a next page.
  const [{ data, fetching, error }, refetch] = useQuery({
    query: PossibleDuplicatePairsQuery,
    variables: { maxPairs: PAGE_SIZE + 1, skip: page * PAGE_SIZE },
    pause: !canMerge,
    requestPolicy: "network-only",
  });
  const [, dismiss] = useMutation(DismissPossibleDuplicateMutation);
  const phone = usePhone();

  const header = (
    <PageHeader
      title="Possible duplicates"
      subtitle="Customers who may be the same person: the same phone digits, the same email name at another domain, or a similar name."
      action={
        <Button component={RouterLink} to="/customers" startIcon={<BackIcon />}>
          Customers
        </Button>
      }
    />
  );
  if (!canMerge) {
    return (
      <>
        {header}
        <NotAllowed what="possible duplicates" />
      </>
    );
  }

  const all = data?.possibleDuplicatePairs ?? [];
  const rows = all.slice(0, PAGE_SIZE);
  const more = all.length > PAGE_SIZE;
  const reload = () => refetch({ requestPolicy: "network-only" });
  const key = (p: PossibleDuplicatePair) => `${p.customerId}:${p.otherCustomerId}`;

  async function notDuplicate(p: PossibleDuplicatePair) {
    setDismissing(key(p));
    setFailed(null);
    const result = await dismiss({ customerId: p.customerId, duplicateId: p.otherCustomerId });
    setDismissing(null);
    if (result.error) return setFailed(errorMessage(result.error));
    setDone(`${p.displayName} and ${p.otherDisplayName} are kept as two customers.`);
    reload();
  }

  const who = (rowId: string, name: string, number: string, email: string | null, tel: string | null) => (
    <Box>
      <Link component={RouterLink} to={`/customers/${rowId}`} sx={{ fontWeight: 500 }}>
        {name}
      </Link>{" "}
      <Typography component="span" variant="caption" color="text.secondary">
        {number}
      </Typography>
      <Typography variant="body2" color="text.secondary" sx={{ wordBreak: "break-word" }}>
        {[email, phone(tel)].filter(Boolean).join(" · ")}
      </Typography>
    </Box>
  );

  return (
    <>
      {header}
      {done && (
        <Alert severity="success" onClose={() => setDone(null)} sx={{ mb: 2 }}>
          {done}
        </Alert>
      )}
      {(failed || error) && (
        <Alert severity="error" sx={{ mb: 2 }}>
          {failed ?? errorMessage(error)}
        </Alert>
      )}
      <Card>
        <CardContent>
          {fetching && !data ? (
            <Loading />
          ) : (
            <DataTable
              label="Possible duplicates"
              rows={rows}
              rowKey={key}
              rowTestId="duplicate-pair"
              empty={page === 0 ? "No possible duplicates: no two customers look like the same person." : "No more pairs."}
              columns={[
                { header: "Customer", cell: (p) => who(p.customerId, p.displayName, p.customerNumber, p.email, p.phone) },
                { header: "Possibly the same as", cell: (p) => who(p.otherCustomerId, p.otherDisplayName, p.otherCustomerNumber, p.otherEmail, p.otherPhone) },
                {
                  header: "Why",
                  cell: (p) => (
                    <Box sx={{ display: "flex", gap: 0.5, flexWrap: "wrap" }}>
                      {p.reasons.filter(Boolean).map((r) => (
                        <Chip key={r} size="small" label={r} />
                      ))}
                    </Box>
                  ),
                },
                {
                  header: "Likelihood",
                  align: "right",
                  nowrap: true,
                  hideBelow: "sm",
                  cell: (p) => `${Math.round(p.score * 100)}%`,
                },
                {
                  header: "Actions",
                  actions: true,
                  cell: (p) => (
                    <Stack direction={{ xs: "column", sm: "row" }} spacing={1} sx={{ justifyContent: "flex-end" }}>
                      <Button size="small" variant="outlined" startIcon={<MergeIcon />} onClick={() => setMerging(p)}>
                        Review merge
                      </Button>
                      <Button size="small" loading={dismissing === key(p)} onClick={() => void notDuplicate(p)}>
                        Not a duplicate
                      </Button>
                    </Stack>
                  ),
                },
              ]}
            />
          )}
          {(page > 0 || more) && (
            <Stack direction="row" spacing={1} sx={{ justifyContent: "center", alignItems: "center", pt: 2 }}>
              <Button disabled={page === 0} onClick={() => setPage((n) => n - 1)}>
                Previous
              </Button>
              <Typography variant="body2" color="text.secondary">
                Page {page + 1}
              </Typography>
              <Button disabled={!more} onClick={() => setPage((n) => n + 1)}>
                Next
              </Button>
            </Stack>
          )}
        </CardContent>
      </Card>
      {merging && (
        <MergeDialog
          customer={{ rowId: merging.customerId, displayName: merging.displayName, customerNumber: merging.customerNumber }}
          otherRowId={merging.otherCustomerId}
          onClose={() => setMerging(null)}
          onMerged={({ mergedNumber, keptNumber }) => {
            setMerging(null);
            setDone(`Merged ${mergedNumber} into ${keptNumber}.`);
            reload();
          }}
        />
      )}
    </>
  );
}
