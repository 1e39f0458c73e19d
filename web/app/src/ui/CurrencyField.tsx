// A searchable currency picker over the currencies the database knows (app_public.currencies),
// by code or name ("eur", "yen"). The server checks the code again (BADIN) and its message shows
// here too.
import { Autocomplete, TextField, createFilterOptions } from "@mui/material";
import { gql, useQuery } from "urql";

export interface Currency {
  code: string;
  name: string;
  minorUnits: number;
}

export const CurrenciesQuery = gql<{ currencies: { nodes: Currency[] } | null }>`
  query Currencies {
    currencies(orderBy: [CODE_ASC]) {
      nodes {
        id
        code
        name
        minorUnits
      }
    }
  }
`;

const label = (c: Currency) => `${c.code} — ${c.name}`;
const filterOptions = createFilterOptions<Currency>({ stringify: label });

interface Props {
  value: string | null;
  /** The code chosen, with what the database says of it (its minor units). */
  onChange(code: string | null, currency: Currency | null): void;
  error?: string | null;
  helperText?: string;
  disabled?: boolean;
}

export function CurrencyField({ value, onChange, error, helperText, disabled }: Props) {
  const [{ data, fetching }] = useQuery({ query: CurrenciesQuery });
  const options = data?.currencies?.nodes ?? [];
  const selected = options.find((c) => c.code === value) ?? null;
  return (
    <Autocomplete
      options={options}
      value={selected}
      onChange={(_event, next) => onChange(next?.code ?? null, next)}
      isOptionEqualToValue={(a, b) => a.code === b.code}
      disabled={disabled}
      loading={fetching}
      autoHighlight
      noOptionsText="No currency matches; try a code such as EUR or a name such as yen"
      getOptionLabel={label}
      filterOptions={filterOptions}
      renderInput={(params) => (
        <TextField {...params} label="Currency" name="currency" error={Boolean(error)} helperText={error || helperText} />
      )}
    />
  );
}
