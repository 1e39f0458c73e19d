// The business's currency and locale: how it counts money and how amounts and dates are
// written. The currency can change until the first sale; after that the server refuses
// (CURFX) and says so under the field.
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, TextField, Typography } from "@mui/material";
import { useState } from "react";
import { useMutation } from "urql";
import { useForm } from "../lib/useForm.ts";
import { CurrencyField } from "../ui/CurrencyField.tsx";
import { formatMoney, sampleAmount } from "../ui/money.ts";
import { UpdateMoneySettingsMutation } from "./queries.ts";

interface Props {
  open: boolean;
  onClose(): void;
  rowId: string;
  currency: string;
  locale: string;
  minorUnits: number;
}

/** 1,234.56 of the currency as the locale would write it in that currency, or null for a locale the browser cannot read. */
function preview(currency: string | null, locale: string, minorUnits: number): string | null {
  if (!currency) return null;
  try {
    new Intl.NumberFormat(locale); // throws for what is not a locale
    return formatMoney(sampleAmount({ minorUnits }), { currency, locale, minorUnits });
  } catch {
    return null;
  }
}

export function MoneySettingsDialog({ open, onClose, rowId, currency, locale, minorUnits }: Props) {
  const form = useForm(() => ({ currency: currency as string | null, locale }));
  const [, save] = useMutation(UpdateMoneySettingsMutation);
  const [known, setKnown] = useState(minorUnits);
  const { values } = form;

  const submit = form.submit(async () => {
    // Prices were rescaled when the minor units differ: lists of items read them again.
    const result = await save({ rowId, currency: values.currency ?? "", locale: values.locale }, { additionalTypenames: ["CatalogItem"] });
    if (result.error) return void form.fail(result.error);
    onClose();
  });

  const example = preview(values.currency, values.locale, known);
  return (
    <Dialog open={open} onClose={onClose} fullWidth maxWidth="xs">
      <form onSubmit={submit} noValidate>
        <DialogTitle>Currency and number format</DialogTitle>
        <DialogContent>
          <Stack spacing={2.5} sx={{ pt: 1 }}>
            {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
            <CurrencyField
              value={values.currency}
              onChange={(code, info) => {
                form.set("currency", code);
                if (info) setKnown(info.minorUnits);
              }}
              error={form.errorOf("currency")?.message}
              helperText="What you sell in. It can change until your first sale; prices keep what they read."
            />
            <TextField label="Number format" {...form.text("locale", "A language tag such as en-US, en-GB, fr-FR or ar-OM.")} />
            <Typography color="text.secondary" data-testid="money-preview">
              {example ? `Amounts will read ${example}.` : " "}
            </Typography>
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
