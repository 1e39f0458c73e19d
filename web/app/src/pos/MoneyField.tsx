// A small amount field (discounts, cash given): keeps what is typed, hands over cents when it
// reads as an amount, and says so when it does not.
import { TextField, type TextFieldProps } from "@mui/material";
import { useState } from "react";
import { moneyInput, parseMoney } from "./money.ts";

type Props = Omit<TextFieldProps, "value" | "onChange" | "error"> & {
  cents: number;
  onCents(cents: number): void;
  /** An error from elsewhere (the database) to show under the field. */
  problem?: string | null;
};

export function MoneyField({ cents, onCents, problem, helperText, slotProps, ...rest }: Props) {
  const [text, setText] = useState(() => moneyInput(cents));
  const [invalid, setInvalid] = useState(false);
  // Follow changes made elsewhere (a quick-amount button, a cleared cart).
  const [seen, setSeen] = useState(cents);
  if (cents !== seen) {
    setSeen(cents);
    if (parseMoney(text) !== cents) setText(moneyInput(cents));
  }
  return (
    <TextField
      {...rest}
      value={text}
      onChange={(e) => {
        setText(e.target.value);
        const parsed = parseMoney(e.target.value);
        setInvalid(parsed === null);
        if (parsed !== null) {
          setSeen(parsed);
          onCents(parsed);
        }
      }}
      error={invalid || Boolean(problem)}
      helperText={invalid ? "Enter an amount such as 1.50." : problem || helperText}
      autoComplete="off"
      slotProps={{ ...slotProps, htmlInput: { inputMode: "decimal", ...(slotProps?.htmlInput as object) } }}
    />
  );
}
