// A small amount field (discounts, cash given), with the business's currency sign: keeps what is
// typed, hands over minor units when it reads as an amount, and says so when it does not.
import { InputAdornment, TextField, type TextFieldProps } from "@mui/material";
import { useState } from "react";
import { currencySymbol, exampleAmount, moneyInput, parseMoney } from "../ui/money.ts";
import { useMoney } from "../ui/useMoney.ts";

type Props = Omit<TextFieldProps, "value" | "onChange" | "error"> & {
  cents: number;
  onCents(cents: number): void;
  /** An error from elsewhere (the database) to show under the field. */
  problem?: string | null;
};

export function MoneyField({ cents, onCents, problem, helperText, slotProps, ...rest }: Props) {
  const money = useMoney();
  const [text, setText] = useState(() => moneyInput(cents, money));
  const [invalid, setInvalid] = useState(false);
  // Follow changes made elsewhere (a quick-amount button, a cleared cart).
  const [seen, setSeen] = useState(cents);
  if (cents !== seen) {
    setSeen(cents);
    if (parseMoney(text, money) !== cents) setText(moneyInput(cents, money));
  }
  return (
    <TextField
      {...rest}
      value={text}
      onChange={(e) => {
        setText(e.target.value);
        const parsed = parseMoney(e.target.value, money);
        setInvalid(parsed === null);
        if (parsed !== null) {
          setSeen(parsed);
          onCents(parsed);
        }
      }}
      error={invalid || Boolean(problem)}
      helperText={invalid ? `Enter an amount such as ${exampleAmount(money)}.` : problem || helperText}
      autoComplete="off"
      slotProps={{
        ...slotProps,
        htmlInput: { inputMode: money.minorUnits ? "decimal" : "numeric", ...(slotProps?.htmlInput as object) },
        input: { startAdornment: <InputAdornment position="start">{currencySymbol(money)}</InputAdornment>, ...(slotProps?.input as object) },
      }}
    />
  );
}
