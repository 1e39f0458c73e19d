// Receipt: the address printed under the business's name and the line at the bottom ("Thank
// you", a returns policy). With settings.update both are edited; the database trims them, keeps
// a blank one as none and refuses more than 500 characters (BADIN, under the input).
import { Alert, Box, Button, Card, CardContent, Stack, TextField, Typography } from "@mui/material";
import { useState, type ChangeEvent } from "react";
import { useMutation, useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { useForm } from "../lib/useForm.ts";
import { Loading } from "../ui/Loading.tsx";
import { ReceiptSettingsQuery, UpdateReceiptMutation, type ReceiptSettings } from "./queries.ts";

export function ReceiptCard({ canUpdate }: { canUpdate: boolean }) {
  const [{ data, error, fetching }] = useQuery({ query: ReceiptSettingsQuery });
  const settings = data?.currentTenant ?? null;

  return (
    <Card>
      <CardContent>
        <Typography variant="h6" component="h2">
          Receipt
        </Typography>
        <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
          What every receipt shows besides the sale: your address under the business name, and a line at the bottom.
        </Typography>
        {error && <Alert severity="error">{errorMessage(error)}</Alert>}
        {!data && fetching ? (
          <Loading />
        ) : settings ? (
          canUpdate ? (
            <ReceiptForm settings={settings} />
          ) : (
            <ReceiptText settings={settings} />
          )
        ) : null}
      </CardContent>
    </Card>
  );
}

function ReceiptText({ settings }: { settings: ReceiptSettings }) {
  const line = (label: string, text: string | null) => (
    <Box>
      <Typography variant="subtitle2">{label}</Typography>
      <Typography variant="body2" color={text ? "text.primary" : "text.secondary"} sx={{ whiteSpace: "pre-line" }}>
        {text ?? "None"}
      </Typography>
    </Box>
  );
  return (
    <Stack spacing={1.5}>
      {line("Address", settings.receiptAddress)}
      {line("Footer", settings.receiptFooter)}
    </Stack>
  );
}

const asText = (s: ReceiptSettings) => ({ receiptAddress: s.receiptAddress ?? "", receiptFooter: s.receiptFooter ?? "" });

function ReceiptForm({ settings }: { settings: ReceiptSettings }) {
  const form = useForm(() => asText(settings));
  const [, update] = useMutation(UpdateReceiptMutation);
  const [saved, setSaved] = useState(false);
  const current = asText(settings);
  const changed = form.values.receiptAddress !== current.receiptAddress || form.values.receiptFooter !== current.receiptFooter;

  function edit(key: "receiptAddress" | "receiptFooter", hint: string) {
    const binding = form.text(key, hint);
    return {
      ...binding,
      onChange(event: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) {
        setSaved(false);
        binding.onChange(event);
      },
    };
  }

  const submit = form.submit(async () => {
    const result = await update({ rowId: settings.rowId, ...form.values });
    if (result.error) return void form.fail(result.error);
    const next = result.data?.updateTenant?.tenant;
    if (next) form.reset(asText(next));
    setSaved(true);
  });

  return (
    <form onSubmit={submit} noValidate aria-label="Receipt">
      <Stack spacing={2}>
        {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
        <TextField label="Address" multiline minRows={3} {...edit("receiptAddress", "Shown under the business name, line by line.")} />
        <TextField label="Footer" multiline minRows={2} {...edit("receiptFooter", "Shown at the bottom, for example a thank-you or your returns policy.")} />
        <Stack direction="row" spacing={2} sx={{ alignItems: "center" }}>
          <Button type="submit" variant="contained" loading={form.submitting} disabled={!changed}>
            Save receipt
          </Button>
          <Typography role="status" variant="body2" color="text.secondary">
            {saved && !changed ? "Saved. Receipts show the new text." : ""}
          </Typography>
        </Stack>
      </Stack>
    </form>
  );
}
