// The input of a customer's name in a second script: typed in the direction of what is typed
// (right-to-left for Arabic: dir follows the text, as AltName shows it).
import { TextField, type TextFieldProps } from "@mui/material";
import { directionOf } from "./AltName.tsx";

export function AltNameField(props: TextFieldProps & { value?: unknown }) {
  const text = typeof props.value === "string" ? props.value : "";
  return (
    <TextField
      label="Name in another script"
      {...props}
      slotProps={{ htmlInput: { maxLength: 200, dir: text ? directionOf(text) : "auto", "data-testid": "customer-alt-name-input" } }}
    />
  );
}
