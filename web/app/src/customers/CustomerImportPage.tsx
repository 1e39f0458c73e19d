// One customer import, from the file read to the customers made (SQL:
// migrations/fixtures/customers/485-import.sql). While the worker reads or commits it the page
// asks again every second and shows the progress. Ready: the mapping (the field each column of
// the file fills, "Ignore" allowed, proposed from the column names), what a row whose email or
// phone belongs to a customer already does, the counts, the first rows as they will be imported
// and the first rows that cannot be, with the reason; then "Import". Done: what became of the
// rows, and the file of the rows not imported, with a reason column, to fix and import again.
import {
  Alert,
  Box,
  Button,
  Card,
  CardContent,
  Chip,
  FormControl,
  FormControlLabel,
  FormLabel,
  LinearProgress,
  Link,
  MenuItem,
  Radio,
  RadioGroup,
  Stack,
  TextField,
  Typography,
} from "@mui/material";
import { useEffect, useState } from "react";
import { Link as RouterLink, useParams } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { useCan } from "../shell/ViewerContext.tsx";
import { DataTable } from "../ui/DataTable.tsx";
import { DownloadIcon } from "../ui/icons.tsx";
import { Loading } from "../ui/Loading.tsx";
import { NotAllowed } from "../ui/NotAllowed.tsx";
import { PageHeader } from "../ui/PageHeader.tsx";
import { IMPORT_STATUS_COLOR, IMPORT_STATUS_LABEL, ROW_STATE_COLOR, ROW_STATE_LABEL } from "./importFormat.ts";
import {
  CommitCustomerImportMutation,
  CustomerImportQuery,
  SetCustomerImportMappingMutation,
  type CustomerImport,
  type ImportRow,
  type OnDuplicate,
} from "./importQueries.ts";

/** How often the page asks while the worker reads or commits the file. */
const POLL_MS = 1000;
const CONTEXT = { additionalTypenames: ["CustomerImport", "Customer", "CustomerRow"] };

export function CustomerImportPage() {
  const { id = "" } = useParams();
  const canImport = useCan("customers.import");
  if (!canImport) {
    return (
      <>
        <PageHeader title="Import customers" />
        <NotAllowed what="customer imports" />
      </>
    );
  }
  return <ImportView id={id} />;
}

function ImportView({ id }: { id: string }) {
  const [{ data, error, fetching }, refresh] = useQuery({ query: CustomerImportQuery, variables: { id }, context: CONTEXT });
  const imp = data?.customerImportByRowId;
  const working = imp?.status === "uploading" || imp?.status === "parsing" || imp?.status === "committing";
  useEffect(() => {
    if (!working) return;
    const timer = setInterval(() => refresh({ requestPolicy: "network-only" }), POLL_MS);
    return () => clearInterval(timer);
  }, [working, refresh]);

  const header = (
    <PageHeader
      title={imp ? imp.fileName : "Import customers"}
      subtitle={
        <>
          <Link component={RouterLink} to="/customers/imports">
            Imports
          </Link>
          {imp && (
            <>
              {" · "}
              <Chip size="small" label={IMPORT_STATUS_LABEL[imp.status] ?? imp.status} color={IMPORT_STATUS_COLOR[imp.status] ?? "default"} data-testid="import-status" />
            </>
          )}
        </>
      }
    />
  );
  if (error) return <>{header}<Alert severity="error">{errorMessage(error)}</Alert></>;
  if (!imp) return <>{header}{fetching ? <Loading /> : <Alert severity="warning">There is no such import.</Alert>}</>;
  const fields = (data?.customerImportFields?.nodes ?? []).flatMap((f) => (f.field && f.label ? [{ field: f.field, label: f.label }] : []));

  return (
    <>
      {header}
      <Stack spacing={3}>
        {(imp.status === "uploading" || imp.status === "parsing") && (
          <Card>
            <CardContent>
              <Typography gutterBottom>Reading the file… {imp.rowsRead.toLocaleString()} rows so far.</Typography>
              <LinearProgress aria-label="Reading the file" />
            </CardContent>
          </Card>
        )}
        {imp.status === "failed" && (
          <Alert severity="error" data-testid="import-error">
            {imp.errorMessage ?? "The import failed."}
          </Alert>
        )}
        {imp.status === "ready" && (
          <Preview
            key={`${imp.mapping?.join()}|${imp.onDuplicate}`}
            imp={imp}
            fields={fields}
            firstCells={data?.customerImportByRowId?.firstCells.nodes[0]?.cells ?? []}
          />
        )}
        {imp.status === "committing" && <Committing imp={imp} />}
        {(imp.status === "done" || (imp.status === "failed" && imp.rowsDone > 0)) && <Outcome imp={imp} />}
        {imp.status === "ready" && (
          <RowsCard title="The first rows, as they will be imported" rows={data?.customerImportByRowId?.sample.nodes ?? []} testId="preview-row" />
        )}
        {imp.status === "ready" && imp.invalidCount > 0 && (
          <RowsCard title="Rows that cannot be imported" rows={data?.customerImportByRowId?.refused.nodes ?? []} testId="refused-row" asInFile />
        )}
      </Stack>
    </>
  );
}

/** Counts, mapping, what duplicates do, and the Import button. */
function Preview({ imp, fields, firstCells }: { imp: CustomerImport; fields: { field: string; label: string }[]; firstCells: (string | null)[] }) {
  const [mapping, setMapping] = useState<(string | null)[]>(imp.mapping ?? []);
  const [onDuplicate, setOnDuplicate] = useState<OnDuplicate>((imp.onDuplicate as OnDuplicate) ?? "skip");
  const [error, setError] = useState<string | null>(null);
  const [applying, apply] = useMutation(SetCustomerImportMappingMutation);
  const [committing, commit] = useMutation(CommitCustomerImportMutation);
  const changed = JSON.stringify(mapping) !== JSON.stringify(imp.mapping ?? []) || onDuplicate !== imp.onDuplicate;
  const importable = imp.newCount + (onDuplicate === "skip" ? 0 : imp.duplicateCount);

  const save = async () => {
    setError(null);
    const res = await apply({ importId: imp.rowId, mapping, onDuplicate }, { additionalTypenames: ["CustomerImport"] });
    if (res.error) setError(errorMessage(res.error));
  };
  const start = async () => {
    setError(null);
    const res = await commit({ importId: imp.rowId }, CONTEXT);
    if (res.error) setError(errorMessage(res.error));
  };

  return (
    <Card>
      <CardContent>
        <Stack direction="row" spacing={1} useFlexGap sx={{ flexWrap: "wrap", mb: 2 }} data-testid="import-counts">
          <Chip color="success" label={`${imp.newCount.toLocaleString()} new`} />
          <Chip color="info" label={`${imp.duplicateCount.toLocaleString()} already customers`} />
          <Chip color="warning" label={`${imp.fileDuplicateCount.toLocaleString()} twice in the file`} />
          <Chip color="error" label={`${imp.invalidCount.toLocaleString()} cannot be imported`} />
        </Stack>
        {error && (
          <Alert severity="error" sx={{ mb: 2 }}>
            {error}
          </Alert>
        )}
        <Typography variant="h6" component="h2" gutterBottom>
          Columns
        </Typography>
        <Typography color="text.secondary" sx={{ mb: 2 }}>
          Each column of the file fills the field you choose. Columns we recognised are chosen for you.
        </Typography>
        <Box sx={{ display: "grid", gridTemplateColumns: { xs: "1fr", sm: "1fr 1fr", md: "1fr 1fr 1fr" }, gap: 2, mb: 3 }}>
          {(imp.header ?? []).map((name, i) => (
            <TextField
              key={i}
              select
              size="small"
              label={name || `Column ${i + 1}`}
              value={mapping[i] ?? ""}
              helperText={firstCells[i] ? `e.g. ${String(firstCells[i]).slice(0, 40)}` : " "}
              onChange={(e) => setMapping((m) => m.map((v, j) => (j === i ? e.target.value || null : v)))}
              // "Ignore" is shown as a choice, not as an empty box.
              slotProps={{ select: { displayEmpty: true }, inputLabel: { shrink: true } }}
            >
              <MenuItem value="">
                <em>Ignore</em>
              </MenuItem>
              {fields.map((f) => (
                <MenuItem key={f.field} value={f.field}>
                  {f.label}
                </MenuItem>
              ))}
            </TextField>
          ))}
        </Box>
        <FormControl sx={{ mb: 2 }}>
          <FormLabel id="on-duplicate">When a row's email or phone belongs to one of your customers</FormLabel>
          <RadioGroup aria-labelledby="on-duplicate" value={onDuplicate} onChange={(e) => setOnDuplicate(e.target.value as OnDuplicate)}>
            <FormControlLabel value="skip" control={<Radio />} label="Skip the row: keep the customer as it is" />
            <FormControlLabel value="fill" control={<Radio />} label="Fill in what the customer lacks" />
            <FormControlLabel value="overwrite" control={<Radio />} label="Overwrite the customer with the file's values" />
          </RadioGroup>
        </FormControl>
        <Stack direction={{ xs: "column", sm: "row" }} spacing={1}>
          {changed ? (
            <Button variant="contained" loading={applying.fetching} onClick={save}>
              Apply and check again
            </Button>
          ) : (
            <Button variant="contained" loading={committing.fetching} onClick={start} disabled={importable === 0}>
              Import {importable.toLocaleString()} {importable === 1 ? "customer" : "customers"}
            </Button>
          )}
          {imp.reportUrl && (
            <Button variant="outlined" startIcon={<DownloadIcon />} href={imp.reportUrl}>
              Rows that cannot be imported
            </Button>
          )}
        </Stack>
      </CardContent>
    </Card>
  );
}

function Committing({ imp }: { imp: CustomerImport }) {
  const total = Math.max(imp.newCount + imp.duplicateCount, 1);
  const done = Math.min(imp.rowsDone, total);
  return (
    <Card>
      <CardContent>
        <Typography gutterBottom>
          Importing… {done.toLocaleString()} of {total.toLocaleString()} rows.
        </Typography>
        <LinearProgress variant="determinate" value={(100 * done) / total} aria-label="Importing" />
      </CardContent>
    </Card>
  );
}

function Outcome({ imp }: { imp: CustomerImport }) {
  return (
    <Card>
      <CardContent>
        <Typography variant="h6" component="h2" gutterBottom>
          What was imported
        </Typography>
        <Stack direction="row" spacing={1} useFlexGap sx={{ flexWrap: "wrap", mb: 2 }} data-testid="import-outcome">
          <Chip color="success" label={`${imp.createdCount.toLocaleString()} added`} />
          <Chip color="info" label={`${imp.updatedCount.toLocaleString()} updated`} />
          <Chip label={`${imp.skippedCount.toLocaleString()} skipped`} />
          <Chip color={imp.failedCount ? "error" : "default"} label={`${imp.failedCount.toLocaleString()} not imported`} />
        </Stack>
        <Stack direction={{ xs: "column", sm: "row" }} spacing={1}>
          <Button variant="contained" component={RouterLink} to="/customers">
            Open customers
          </Button>
          {imp.reportUrl && (
            <Button variant="outlined" startIcon={<DownloadIcon />} href={imp.reportUrl}>
              Download the rows not imported
            </Button>
          )}
        </Stack>
        {imp.reportUrl && (
          <Typography variant="body2" color="text.secondary" sx={{ mt: 2 }}>
            The file has the rows as they were, with a reason column: fix them and import that file again.
          </Typography>
        )}
      </CardContent>
    </Card>
  );
}

/** A preview row, with the customer it may be the same person as (the add-customer form's warning). */
type PreviewRow = ImportRow & {
  likelyDuplicates?: { nodes: readonly { customerId: string; customerNumber: string; displayName: string; reasons: readonly (string | null)[] | null }[] };
};

/** Rows with their values as they will be imported or, `asInFile`, with their cells as the file has them (a refused row has no values). */
function RowsCard({ title, rows, testId, asInFile }: { title: string; rows: readonly PreviewRow[]; testId: string; asInFile?: boolean }) {
  return (
    <Card>
      <CardContent>
        <Typography variant="h6" component="h2" gutterBottom>
          {title}
        </Typography>
        <DataTable<PreviewRow>
          label={title}
          rows={rows}
          rowKey={(r) => String(r.rowNo)}
          rowTestId={testId}
          hover={false}
          empty="No rows."
          columns={[
            { header: "Row", cell: (r) => r.rowNo, nowrap: true },
            asInFile && { header: "In the file", cell: (r) => r.cells.filter((c) => c && c.trim()).join(" · "), sx: { wordBreak: "break-word" } },
            !asInFile && { header: "Name", cell: (r) => [r.firstName, r.lastName].filter(Boolean).join(" ") || "—" },
            !asInFile && { header: "Email", cell: (r) => r.email ?? "—", sx: { wordBreak: "break-all" }, hideBelow: "sm" },
            !asInFile && { header: "Phone", cell: (r) => r.phone ?? "—", nowrap: true, hideBelow: "md" },
            !asInFile && { header: "Tags", cell: (r) => (Array.isArray(r.tags) ? (r.tags as string[]).join(", ") : ""), hideBelow: "md" },
            {
              header: "Result",
              cell: (r) => (
                <Stack spacing={0.5} sx={{ alignItems: "flex-start" }}>
                  <Chip size="small" label={ROW_STATE_LABEL[r.state] ?? r.state} color={ROW_STATE_COLOR[r.state] ?? "default"} />
                  {r.reason && <Typography variant="body2">{r.reason}</Typography>}
                  {r.state === "duplicate" && r.customer && (
                    <Link component={RouterLink} to={`/customers/${r.customer.rowId}`} variant="body2">
                      {r.customer.displayName} ({r.customer.customerNumber})
                    </Link>
                  )}
                  {r.likelyDuplicates?.nodes.map((d) => (
                    <Typography key={d.customerId} variant="body2" color="warning.main" data-testid="likely-duplicate">
                      Possibly the same as{" "}
                      <Link component={RouterLink} to={`/customers/${d.customerId}`} target="_blank">
                        {d.displayName} ({d.customerNumber})
                      </Link>
                      : {(d.reasons ?? []).filter(Boolean).join(", ")}
                    </Typography>
                  ))}
                </Stack>
              ),
            },
          ]}
        />
      </CardContent>
    </Card>
  );
}
