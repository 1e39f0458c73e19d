// The business's country for phone numbers (tenants.defaultCountry): numbers typed without a
// country code are read as this country's (its calling code put in front, its trunk prefix
// dropped, their length checked). The list is the database's (phoneCountries, generated from
// libphonenumber's metadata), so the server accepts whatever is chosen here (BADIN otherwise).
import { Alert, Autocomplete, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, TextField, createFilterOptions } from "@mui/material";
import { useMemo, useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql, type ResultOf } from "../graphql.ts";

export const PhoneCountriesQuery = graphql(`
  query PhoneCountries {
    phoneCountries(orderBy: [COUNTRY_ASC]) {
      nodes {
        id
        country
        name
        callingCode
      }
    }
  }
`);

export const UpdatePhoneCountryMutation = graphql(`
  mutation UpdatePhoneCountry($rowId: String!, $defaultCountry: String!) {
    updateTenant(input: { rowId: $rowId, patch: { defaultCountry: $defaultCountry } }) {
      tenant {
        id
        defaultCountry
      }
    }
  }
`);

type PhoneCountry = NonNullable<ResultOf<typeof PhoneCountriesQuery>["phoneCountries"]>["nodes"][number];

/** "Oman (+968)". */
export const phoneCountryLabel = (c: Pick<PhoneCountry, "name" | "callingCode">) => `${c.name} (+${c.callingCode})`;

/** The list, by code. */
export function usePhoneCountries(): Map<string, PhoneCountry> {
  const [{ data }] = useQuery({ query: PhoneCountriesQuery });
  // By name, as people look for their country.
  return useMemo(
    () => new Map([...(data?.phoneCountries?.nodes ?? [])].sort((a, b) => a.name.localeCompare(b.name)).map((c) => [c.country, c])),
    [data],
  );
}

export function PhoneCountryDialog({ open, onClose, rowId, current }: { open: boolean; onClose(): void; rowId: string; current: string }) {
  const byCode = usePhoneCountries();
  const codes = useMemo(() => [...byCode.keys()], [byCode]);
  const [value, setValue] = useState<string | null>(current);
  const [error, setError] = useState<string | null>(null);
  const [{ fetching }, save] = useMutation(UpdatePhoneCountryMutation);
  const label = (code: string) => {
    const c = byCode.get(code);
    return c ? `${phoneCountryLabel(c)} ${code}` : code;
  };
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!value) return setError("Choose a country.");
    const result = await save({ rowId, defaultCountry: value });
    if (result.error) return setError(result.error.graphQLErrors[0]?.message ?? result.error.message);
    onClose();
  };
  return (
    <Dialog open={open} onClose={onClose} fullWidth maxWidth="xs">
      <form onSubmit={submit} noValidate>
        <DialogTitle>Country for phone numbers</DialogTitle>
        <DialogContent>
          <Stack spacing={2.5} sx={{ pt: 1 }}>
            {error && <Alert severity="error">{error}</Alert>}
            <Autocomplete
              options={codes}
              value={value && byCode.has(value) ? value : null}
              onChange={(_e, next) => setValue(next)}
              disabled={!byCode.size}
              autoHighlight
              getOptionLabel={(code) => (byCode.get(code) ? phoneCountryLabel(byCode.get(code)!) : code)}
              filterOptions={createFilterOptions<string>({ stringify: label })}
              noOptionsText="No country matches; try a name such as Oman or a code such as +968"
              renderInput={(params) => (
                <TextField
                  {...params}
                  label="Country"
                  name="defaultCountry"
                  helperText="Numbers typed without + and a country code are read as this country's."
                />
              )}
            />
          </Stack>
        </DialogContent>
        <DialogActions sx={{ px: 3, pb: 2 }}>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="contained" loading={fetching}>
            Save
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
