// Customer types: the kinds of customers the business tells apart (walk-in, regular, VIP,
// wholesale to start with, or its own). Owners (settings.update) add, rename and delete them; the
// server refuses a name already taken (DUPLI, under the name) and the deletion of a type some
// customers have (TYPIU: its message says how many), shown as it says it.
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
  Stack,
  TextField,
  Typography,
} from "@mui/material";
import { useMemo, useState } from "react";
import { useMutation, useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { useForm } from "../lib/useForm.ts";
import { useCan } from "../shell/ViewerContext.tsx";
import { DataTable } from "../ui/DataTable.tsx";
import { AddIcon } from "../ui/icons.tsx";
import { Loading } from "../ui/Loading.tsx";
import {
  CreateCustomerTypeMutation,
  CustomerTypesQuery,
  DeleteCustomerTypeMutation,
  RenameCustomerTypeMutation,
  type CustomerType,
} from "./queries.ts";

export function CustomerTypesCard({ canUpdate }: { canUpdate: boolean }) {
  // Types are readable with customers.view (every built-in role that sees settings has it).
  const canView = useCan("customers.view");
  // Refetch after any mutation returning a CustomerType, even while the list is empty.
  const context = useMemo(() => ({ additionalTypenames: ["CustomerType"] }), []);
  const [{ data, error, fetching }] = useQuery({ query: CustomerTypesQuery, context, pause: !canView });
  const types = useMemo(() => data?.customerTypes?.nodes ?? [], [data]);
  const [renaming, setRenaming] = useState<CustomerType | null>(null);
  const [deleting, setDeleting] = useState<CustomerType | null>(null);

  return (
    <Card>
      <CardContent>
        <Typography variant="h6" component="h2">
          Customer types
        </Typography>
        <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
          The kinds of customers you tell apart. Each customer can have one.
        </Typography>
        {!canView ? (
          <Typography color="text.secondary">Your role cannot see customers, nor their types.</Typography>
        ) : (
          <>
            {error && <Alert severity="error">{errorMessage(error)}</Alert>}
            {!data && fetching ? (
              <Loading />
            ) : (
              <DataTable
                label="Customer types"
                rows={types}
                rowKey={(type) => type.id}
                empty={!error && "No customer types yet."}
                columns={[
                  { header: "Name", cell: (type) => type.label },
                  canUpdate && {
                    header: "Actions",
                    actions: true,
                    cell: (type) => (
                      <>
                        <Button size="small" onClick={() => setRenaming(type)} aria-label={`Rename ${type.label}`}>
                          Rename
                        </Button>
                        <Button size="small" color="error" onClick={() => setDeleting(type)} aria-label={`Delete ${type.label}`}>
                          Delete
                        </Button>
                      </>
                    ),
                  },
                ]}
              />
            )}
            {canUpdate && <AddTypeForm />}
          </>
        )}
      </CardContent>
      {renaming && <RenameTypeDialog key={renaming.id} type={renaming} onClose={() => setRenaming(null)} />}
      {deleting && <DeleteTypeDialog key={deleting.id} type={deleting} onClose={() => setDeleting(null)} />}
    </Card>
  );
}

function AddTypeForm() {
  const form = useForm({ label: "" });
  const [, create] = useMutation(CreateCustomerTypeMutation);

  const submit = form.submit(async () => {
    const result = await create({ label: form.values.label });
    if (result.error) return void form.fail(result.error);
    form.reset({ label: "" });
  });

  return (
    <Box component="form" onSubmit={submit} noValidate aria-label="Add a customer type" sx={{ mt: 2 }}>
      {form.formError && (
        <Alert severity="error" sx={{ mb: 2 }}>
          {form.formError.message}
        </Alert>
      )}
      <Stack direction="row" spacing={2} sx={{ alignItems: "flex-start" }}>
        <TextField size="small" label="New customer type" {...form.text("label", "For example, Staff or Student.")} />
        <Button type="submit" variant="outlined" startIcon={<AddIcon />} loading={form.submitting} sx={{ mt: 0.25, flexShrink: 0 }}>
          Add type
        </Button>
      </Stack>
    </Box>
  );
}

function RenameTypeDialog({ type, onClose }: { type: CustomerType; onClose(): void }) {
  const form = useForm({ label: type.label });
  const [, rename] = useMutation(RenameCustomerTypeMutation);

  const submit = form.submit(async () => {
    const result = await rename({ id: type.rowId, label: form.values.label });
    if (result.error) return void form.fail(result.error);
    onClose();
  });

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="xs">
      <form onSubmit={submit} noValidate>
        <DialogTitle>Rename customer type</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1 }}>
            {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
            <TextField label="Type name" autoFocus {...form.text("label", "Customers of this type keep it.")} />
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" loading={form.submitting}>
            Save
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}

function DeleteTypeDialog({ type, onClose }: { type: CustomerType; onClose(): void }) {
  // No input: every refusal (TYPIU, NOTFD) is about the whole form.
  const form = useForm({}, []);
  const [, remove] = useMutation(DeleteCustomerTypeMutation);

  const confirm = form.submit(async () => {
    const result = await remove({ id: type.rowId });
    if (result.error) return void form.fail(result.error);
    onClose();
  });

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="xs">
      <DialogTitle>Delete customer type</DialogTitle>
      <DialogContent>
        <Stack spacing={2}>
          <DialogContentText>Delete “{type.label}”? Only a type no customer has can be deleted.</DialogContentText>
          {form.error && <Alert severity="error">{form.error.message}</Alert>}
        </Stack>
      </DialogContent>
      <DialogActions sx={{ px: 3, pb: 2 }}>
        <Button onClick={onClose}>Cancel</Button>
        <Button color="error" variant="contained" loading={form.submitting} onClick={confirm}>
          Delete
        </Button>
      </DialogActions>
    </Dialog>
  );
}
