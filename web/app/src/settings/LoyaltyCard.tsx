// Customer loyalty: the thresholds that make a customer new, returning, regular, lapsed or
// one-time, and what each class means with the business's current numbers. Owners
// (settings.update) change them; the server checks the ranges (BADIN) and names the threshold it
// refuses, whose message goes under that input. Classes follow at once: nothing is stored per
// customer.
import { Alert, Box, Button, Card, CardContent, Stack, TextField, Typography } from "@mui/material";
import { useState, type ChangeEvent } from "react";
import { useMutation, useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { useForm } from "../lib/useForm.ts";
import { loyaltyClassLabel } from "../reporting/loyalty.ts";
import type { LoyaltyClass } from "../reporting/queries.ts";
import { Loading } from "../ui/Loading.tsx";
import { LoyaltySettingsQuery, UpdateLoyaltySettingsMutation, type LoyaltySettings } from "./queries.ts";

type Thresholds = Pick<LoyaltySettings, "regularMinVisits" | "regularWindowDays" | "lapsedAfterDays">;

export function LoyaltyCard({ canUpdate }: { canUpdate: boolean }) {
  const [{ data, error, fetching }] = useQuery({ query: LoyaltySettingsQuery });
  const settings = data?.currentLoyaltySettings ?? null;

  return (
    <Card>
      <CardContent>
        <Typography variant="h6" component="h2">
          Customer loyalty
        </Typography>
        <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
          How often customers come decides their class, on their profile, in the customers list and in Reports.
        </Typography>
        {error && <Alert severity="error">{errorMessage(error)}</Alert>}
        {!data && fetching ? (
          <Loading />
        ) : settings ? (
          <Stack spacing={3}>
            <ClassMeanings settings={settings} />
            {canUpdate && <ThresholdsForm settings={settings} />}
          </Stack>
        ) : null}
      </CardContent>
    </Card>
  );
}

const days = (n: number) => (n === 1 ? "1 day" : `${n} days`);

/** What each class means with these thresholds, in the server's order of precedence. */
export function classMeanings({ regularMinVisits, regularWindowDays, lapsedAfterDays }: Thresholds): [LoyaltyClass, string][] {
  const lapsed = days(lapsedAfterDays);
  return [
    ["new", `First visit within the last ${lapsed}.`],
    ["returning", `2 or more visits, the latest within the last ${lapsed}.`],
    [
      "regular",
      `${regularMinVisits} or more visits in the last ${days(regularWindowDays)}` +
        // A regular whose latest visit is older than lapsedAfterDays is lapsed.
        (regularWindowDays > lapsedAfterDays ? `, the latest within the last ${lapsed}.` : "."),
    ],
    ["lapsed", `2 or more visits, none in the last ${lapsed}.`],
    ["one_time", `A single visit, more than ${lapsed} ago.`],
  ];
}

function ClassMeanings({ settings }: { settings: Thresholds }) {
  return (
    <Box component="dl" aria-label="Loyalty classes" sx={{ m: 0, display: "grid", gridTemplateColumns: "max-content 1fr", columnGap: 2, rowGap: 0.75 }}>
      {classMeanings(settings).map(([cls, meaning]) => (
        <Box key={cls} sx={{ display: "contents" }} data-testid={`loyalty-meaning-${cls}`}>
          <Typography component="dt" variant="body2" sx={{ fontWeight: 600 }}>
            {loyaltyClassLabel(cls)}
          </Typography>
          <Typography component="dd" variant="body2" sx={{ m: 0 }}>
            {meaning}
          </Typography>
        </Box>
      ))}
    </Box>
  );
}

const asText = (s: Thresholds) => ({
  regularMinVisits: String(s.regularMinVisits),
  regularWindowDays: String(s.regularWindowDays),
  lapsedAfterDays: String(s.lapsedAfterDays),
});

/** "" → null (the server keeps that threshold as it is); digits → the number. */
const asNumber = (text: string) => (text.trim() === "" ? null : Number(text));

function ThresholdsForm({ settings }: { settings: Thresholds }) {
  const form = useForm(() => asText(settings));
  const [, update] = useMutation(UpdateLoyaltySettingsMutation);
  const [saved, setSaved] = useState(false);
  const current = asText(settings);
  const changed = (Object.keys(current) as (keyof Thresholds)[]).some((k) => form.values[k] !== current[k]);

  /** The props of a threshold's input: whole numbers only (what an Int can carry). */
  function threshold(key: keyof Thresholds, hint: string) {
    const binding = form.text(key, hint);
    return {
      ...binding,
      onChange(event: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) {
        setSaved(false);
        form.set(key, event.target.value.replace(/\D/g, ""));
      },
      slotProps: { htmlInput: { inputMode: "numeric" as const, maxLength: 4 } },
    };
  }

  const submit = form.submit(async () => {
    const { regularMinVisits, regularWindowDays, lapsedAfterDays } = form.values;
    const result = await update({
      regularMinVisits: asNumber(regularMinVisits),
      regularWindowDays: asNumber(regularWindowDays),
      lapsedAfterDays: asNumber(lapsedAfterDays),
    });
    if (result.error) return void form.fail(result.error);
    const next = result.data?.updateLoyaltySettings?.result;
    if (next) form.reset(asText(next));
    setSaved(true);
  });

  return (
    <form onSubmit={submit} noValidate aria-label="Loyalty thresholds">
      <Stack spacing={2}>
        {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
        <Stack direction={{ xs: "column", md: "row" }} spacing={2} sx={{ alignItems: "flex-start" }}>
          <TextField label="Visits that make a regular" {...threshold("regularMinVisits", "Counted within the window.")} />
          <TextField label="Regular window (days)" {...threshold("regularWindowDays", "How far back those visits count.")} />
          <TextField label="Lapsed after (days)" {...threshold("lapsedAfterDays", "Days without a visit.")} />
        </Stack>
        <Stack direction="row" spacing={2} sx={{ alignItems: "center" }}>
          <Button type="submit" variant="contained" loading={form.submitting} disabled={!changed}>
            Save thresholds
          </Button>
          <Typography role="status" variant="body2" color="text.secondary">
            {saved && !changed ? "Saved. Every customer's class follows the new thresholds." : ""}
          </Typography>
        </Stack>
      </Stack>
    </form>
  );
}
