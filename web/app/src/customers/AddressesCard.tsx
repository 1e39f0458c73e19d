// The customer's postal addresses. At most one is the default (the database unsets the previous
// default when another becomes it). People with customers.update add, edit, delete and choose
// the default. The server checks an address; its message shows under the input it names, or
// above the form.
import {
  Alert,
  Box,
  Button,
  Card,
  CardContent,
  Checkbox,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControlLabel,
  IconButton,
  MenuItem,
  Stack,
  TextField,
  Typography,
} from "@mui/material";
import { useState } from "react";
import { useMutation } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { useForm } from "../lib/useForm.ts";
import { AddIcon, DeleteIcon, EditIcon, StarIcon } from "../ui/icons.tsx";
import { ADDRESS_TYPES, labelOf } from "./format.ts";
import { useFocusOnMount } from "./useFocusOnMount.ts";
import { CreateAddressMutation, DeleteAddressMutation, UpdateAddressMutation, type Address } from "./queries.ts";
import { AddressDeliveryLines, deliveryInput, DeliveryInputs, deliveryValues } from "./AddressDelivery.tsx";

export function AddressesCard({ customerRowId, addresses, canWrite }: { customerRowId: string; addresses: Address[]; canWrite: boolean }) {
  const [dialog, setDialog] = useState<{ address?: Address } | null>(null);
  const [{ fetching: updating, error: updateError }, update] = useMutation(UpdateAddressMutation);
  const [{ error: deleteError }, remove] = useMutation(DeleteAddressMutation);
  const [busy, setBusy] = useState<string | null>(null);
  const error = updateError ?? deleteError;
  const sorted = [...addresses].sort((a, b) => Number(b.isDefault) - Number(a.isDefault));

  return (
    <Card>
      <CardContent>
        <Stack direction="row" sx={{ alignItems: "center", justifyContent: "space-between", mb: 1 }}>
          <Typography variant="h6" component="h2">
            Addresses
          </Typography>
          {canWrite && (
            <Button size="small" startIcon={<AddIcon />} onClick={() => setDialog({})} disabled={addresses.length >= 20}>
              Add address
            </Button>
          )}
        </Stack>
        {error && <Alert severity="error" sx={{ mb: 1 }}>{errorMessage(error)}</Alert>}
        {sorted.length === 0 ? (
          <Typography color="text.secondary">No addresses yet.</Typography>
        ) : (
          <Box component="ul" aria-label="Addresses" sx={{ listStyle: "none", m: 0, p: 0 }}>
            {sorted.map((a) => (
              <Box component="li" key={a.id} aria-label={`${labelOf(ADDRESS_TYPES, a.type)} address`} sx={{ py: 1.25, borderTop: 1, borderColor: "divider", display: "flex", gap: 1 }}>
                <Box sx={{ flex: 1, minWidth: 0 }}>
                  <Stack direction="row" spacing={1} sx={{ alignItems: "center", mb: 0.5 }}>
                    <Typography variant="subtitle2">{labelOf(ADDRESS_TYPES, a.type)}</Typography>
                    {a.isDefault && <Chip size="small" color="primary" variant="outlined" icon={<StarIcon fontSize="small" />} label="Default" />}
                  </Stack>
                  <Typography variant="body2" sx={{ whiteSpace: "pre-line" }}>
                    {formatAddress(a)}
                  </Typography>
                  <AddressDeliveryLines address={a} />
                </Box>
                {canWrite && (
                  <Stack direction="row" sx={{ alignItems: "flex-start", flexShrink: 0 }}>
                    {!a.isDefault && (
                      <Button
                        size="small"
                        loading={updating && busy === a.id}
                        onClick={async () => {
                          setBusy(a.id);
                          await update({ id: a.id, patch: { isDefault: true } });
                          setBusy(null);
                        }}
                      >
                        Make default
                      </Button>
                    )}
                    <IconButton size="small" aria-label="Edit address" onClick={() => setDialog({ address: a })}>
                      <EditIcon fontSize="small" />
                    </IconButton>
                    <IconButton size="small" aria-label="Delete address" onClick={() => remove({ id: a.id })}>
                      <DeleteIcon fontSize="small" />
                    </IconButton>
                  </Stack>
                )}
              </Box>
            ))}
          </Box>
        )}
      </CardContent>
      {dialog && (
        <AddressDialog
          customerRowId={customerRowId}
          address={dialog.address}
          firstAddress={addresses.length === 0}
          onClose={() => setDialog(null)}
        />
      )}
    </Card>
  );
}

export function formatAddress(a: Address): string {
  const cityLine = [a.postalCode, a.city].filter(Boolean).join(" ");
  return [a.line1, a.line2, [cityLine, a.region].filter(Boolean).join(", "), a.country].filter(Boolean).join("\n");
}

/** An address as its form edits it: text for every input. */
function formValues(address: Address | undefined, firstAddress: boolean) {
  return {
    type: address?.type ?? "home",
    line1: address?.line1 ?? "",
    line2: address?.line2 ?? "",
    city: address?.city ?? "",
    region: address?.region ?? "",
    postalCode: address?.postalCode ?? "",
    country: address?.country ?? "",
    isDefault: address?.isDefault ?? firstAddress,
    ...deliveryValues(address),
  };
}

/** Adds an address, or edits `address`. The server checks and normalises it (trims, upper-cases the country, fills it from the business when blank). */
function AddressDialog({
  customerRowId,
  address,
  firstAddress,
  onClose,
}: {
  customerRowId: string;
  address?: Address;
  firstAddress: boolean;
  onClose(): void;
}) {
  const form = useForm(() => formValues(address, firstAddress));
  const { values } = form;
  const line1Ref = useFocusOnMount<HTMLInputElement>();
  const [, create] = useMutation(CreateAddressMutation);
  const [, update] = useMutation(UpdateAddressMutation);

  const submit = form.submit(async () => {
    const input = { ...values, ...deliveryInput(values) };
    const result = address
      ? await update({ id: address.id, patch: input })
      : await create({ address: { ...input, customerId: customerRowId } });
    if (result.error) return void form.fail(result.error);
    onClose();
  });

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm">
      <form onSubmit={submit} noValidate>
        <DialogTitle>{address ? "Edit address" : "Add address"}</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1 }}>
            {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
            <TextField select label="Type" {...form.text("type")}>
              {ADDRESS_TYPES.map((t) => (
                <MenuItem key={t.value} value={t.value}>
                  {t.label}
                </MenuItem>
              ))}
            </TextField>
            <TextField label="Address line 1" inputRef={line1Ref} {...form.text("line1")} />
            <TextField label="Address line 2" {...form.text("line2")} />
            <Stack direction={{ xs: "column", sm: "row" }} spacing={2}>
              <TextField label="Postal code" {...form.text("postalCode")} />
              <TextField label="City" {...form.text("city")} />
            </Stack>
            <Stack direction={{ xs: "column", sm: "row" }} spacing={2}>
              <TextField label="Region" {...form.text("region")} />
              <TextField
                label="Country"
                placeholder="Business's country"
                {...form.text("country", "Two letters, such as US or FR.")}
                slotProps={{ htmlInput: { maxLength: 2, style: { textTransform: "uppercase" } } }}
              />
            </Stack>
            <DeliveryInputs form={form} />
            <FormControlLabel
              control={<Checkbox checked={values.isDefault} onChange={(e) => form.set("isDefault", e.target.checked)} />}
              label="Default address"
            />
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" loading={form.submitting}>
            {address ? "Save address" : "Add address"}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
