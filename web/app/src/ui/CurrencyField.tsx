// A searchable currency picker over the currencies the database knows (app_public.currencies),
// by code or name ("eur", "yen"). The server checks the code again (BADIN) and its message shows
// here too.
import { Autocomplete, TextField, createFilterOptions } from "@mui/material";
import { useMemo } from "react";
import { useQuery } from "urql";
import { graphql, type ResultOf } from "../graphql.ts";

export const CurrenciesQuery = graphql(`
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
`);

export type Currency = NonNullable<ResultOf<typeof CurrenciesQuery>["currencies"]>["nodes"][number];

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
  // The options are the codes (strings): a refetch that brings new objects then does not count as
  // a new value, which would put the chosen label back over what the person is typing.
  const byCode = useMemo(() => new Map((data?.currencies?.nodes ?? []).map((c) => [c.code, c])), [data]);
  const codes = useMemo(() => [...byCode.keys()], [byCode]);
  const label = (code: string) => {
    const c = byCode.get(code);
    return c ? `${c.code} — ${c.name}` : code;
  };
  return (
    <Autocomplete
      options={codes}
      value={value && byCode.has(value) ? value : null}
      onChange={(_event, next) => onChange(next, next ? (byCode.get(next) ?? null) : null)}
      // Until the list is in, the chosen code has no option to show: typing then would be lost
      // when the list arrives and the field shows the chosen currency.
      disabled={disabled || !data}
      loading={fetching}
      autoHighlight
      noOptionsText="No currency matches; try a code such as EUR or a name such as yen"
      getOptionLabel={label}
      filterOptions={createFilterOptions<string>({ stringify: label })}
      renderInput={(params) => (
        <TextField {...params} label="Currency" name="currency" error={Boolean(error)} helperText={error || helperText} />
      )}
    />
  );
}
