// Customers → Import: choose a CSV file (a spreadsheet saved as CSV, or Square's or Shopify's
// customer export) and upload it; the worker reads it and the import opens for its preview
// (CustomerImportPage). Below, the business's imports, newest first, with how each one went.
// Needs customers.import (owners and managers).
import { Alert, Box, Button, Card, CardContent, Chip, Link, Stack, Typography } from "@mui/material";
import { useRef, useState } from "react";
import { Link as RouterLink, useNavigate } from "react-router-dom";
import { errorMessage } from "../lib/errors.ts";
import { postFile } from "../lib/rest.ts";
import { usePagedQuery } from "../lib/usePagedQuery.ts";
import { useCan } from "../shell/ViewerContext.tsx";
import { DataTable } from "../ui/DataTable.tsx";
import { UploadIcon } from "../ui/icons.tsx";
import { LoadMore } from "../ui/PagedList.tsx";
import { NotAllowed } from "../ui/NotAllowed.tsx";
import { PageHeader } from "../ui/PageHeader.tsx";
import { TimeAgo } from "../ui/TimeAgo.tsx";
import { CustomerImportHistoryQuery, type CustomerImport } from "./importQueries.ts";
import { IMPORT_STATUS_COLOR, IMPORT_STATUS_LABEL, importOutcome } from "./importFormat.ts";

const NO_VARIABLES = {};

export function ImportCustomersPage() {
  const canImport = useCan("customers.import");
  return (
    <>
      <PageHeader
        title="Import customers"
        subtitle={
          <>
            <Link component={RouterLink} to="/customers">
              Customers
            </Link>{" "}
            · Bring your customer list from Square, Shopify, another till or a spreadsheet.
          </>
        }
      />
      {canImport ? (
        <Stack spacing={3}>
          <UploadCard />
          <History />
        </Stack>
      ) : (
        <NotAllowed what="customer imports" />
      )}
    </>
  );
}

function UploadCard() {
  const navigate = useNavigate();
  const input = useRef<HTMLInputElement>(null);
  const [uploading, setUploading] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const upload = async (file: File) => {
    setError(null);
    setUploading(true);
    try {
      const { importId } = await postFile<{ importId: string }>(`/imports/customers?name=${encodeURIComponent(file.name)}`, file);
      navigate(`/customers/imports/${importId}`);
    } catch (e) {
      setError(errorMessage(e));
      setUploading(false);
    }
  };

  return (
    <Card>
      <CardContent>
        <Typography variant="h6" component="h2" gutterBottom>
          Upload a file
        </Typography>
        <Typography color="text.secondary" sx={{ mb: 2 }}>
          A CSV file of up to 50 MB, with the names of its columns on the first line. Nothing is added to your customers
          before you have seen the preview and chosen to import.
        </Typography>
        {error && (
          <Alert severity="error" sx={{ mb: 2 }}>
            {error}
          </Alert>
        )}
        <input
          ref={input}
          type="file"
          accept=".csv,.tsv,.txt,text/csv,text/plain"
          hidden
          aria-label="Customer file"
          onChange={(e) => {
            const file = e.target.files?.[0];
            e.target.value = "";
            if (file) void upload(file);
          }}
        />
        <Button variant="contained" startIcon={<UploadIcon />} loading={uploading} onClick={() => input.current?.click()}>
          Choose a CSV file
        </Button>
      </CardContent>
    </Card>
  );
}

function History() {
  const imports = usePagedQuery(CustomerImportHistoryQuery, NO_VARIABLES, (d) => d.customerImportHistory, {
    pageSize: 25,
    requestPolicy: "cache-and-network",
  });
  return (
    <Card>
      <CardContent>
        <Typography variant="h6" component="h2" gutterBottom>
          Your imports
        </Typography>
        {imports.error && <Alert severity="error">{errorMessage(imports.error)}</Alert>}
        <DataTable<CustomerImport>
          label="Customer imports"
          rows={imports.nodes}
          rowKey={(i) => i.rowId}
          rowTestId="import-row"
          empty={imports.fetching ? "Loading…" : "No imports yet."}
          columns={[
            {
              header: "File",
              cell: (i) => (
                <Link component={RouterLink} to={`/customers/imports/${i.rowId}`}>
                  {i.fileName}
                </Link>
              ),
              sx: { wordBreak: "break-word" },
            },
            { header: "Uploaded", cell: (i) => <TimeAgo iso={i.createdAt} />, nowrap: true, hideBelow: "sm" },
            {
              header: "Status",
              cell: (i) => <Chip size="small" label={IMPORT_STATUS_LABEL[i.status] ?? i.status} color={IMPORT_STATUS_COLOR[i.status] ?? "default"} />,
            },
            { header: "Outcome", cell: (i) => importOutcome(i), hideBelow: "md" },
          ]}
        />
        <Box sx={{ mt: 1 }}>
          <LoadMore list={imports} capped="Showing the latest imports." />
        </Box>
      </CardContent>
    </Card>
  );
}
