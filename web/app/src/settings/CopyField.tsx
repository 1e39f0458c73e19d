// A read-only value with a Copy button (an invitation link). Where the browser gives no clipboard
// (a page not served over HTTPS, a refused permission) the text is selected to copy by hand.
import { Button, InputAdornment, TextField } from "@mui/material";
import { useRef, useState } from "react";

export function CopyField({ label, value }: { label: string; value: string }) {
  const input = useRef<HTMLInputElement>(null);
  const [said, setSaid] = useState<string | null>(null);

  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setSaid("Copied.");
    } catch {
      input.current?.select();
      setSaid("Selected: press Ctrl+C (⌘C on a Mac) to copy it.");
    }
  }

  return (
    <TextField
      label={label}
      value={value}
      inputRef={input}
      helperText={said ?? " "}
      onFocus={(e) => e.target.select()}
      slotProps={{
        htmlInput: { readOnly: true, spellCheck: false },
        input: {
          endAdornment: (
            <InputAdornment position="end">
              <Button size="small" onClick={() => void copy()}>
                Copy
              </Button>
            </InputAdornment>
          ),
        },
      }}
    />
  );
}
