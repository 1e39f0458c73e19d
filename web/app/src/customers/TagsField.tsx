// Tags as chips: type a tag and press Enter (or a comma) to add it, Backspace to remove the last.
// Suggestions are tags already in use; anything else may be typed. The database trims and
// de-duplicates them and refuses more than 20 or longer than 40 characters (BADTG).
import { Autocomplete, TextField } from "@mui/material";
import { useState } from "react";

interface Props {
  value: string[];
  onChange(tags: string[]): void;
  suggestions?: string[];
  error?: string | null;
  helperText?: string;
  label?: string;
  name?: string;
}

export function TagsField({ value, onChange, suggestions = [], error, helperText, label = "Tags", name = "tags" }: Props) {
  const [input, setInput] = useState("");

  function add(raw: string) {
    const parts = raw
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean);
    const next = [...value];
    for (const tag of parts) if (!next.some((t) => t.toLowerCase() === tag.toLowerCase())) next.push(tag);
    onChange(next);
  }

  return (
    <Autocomplete
      multiple
      freeSolo
      autoSelect
      options={suggestions.filter((s) => !value.some((v) => v.toLowerCase() === s.toLowerCase()))}
      value={value}
      inputValue={input}
      onInputChange={(_e, next, reason) => {
        if (reason === "input" && next.includes(",")) {
          add(next);
          setInput("");
        } else {
          setInput(next);
        }
      }}
      onChange={(_e, next) => {
        const cleaned: string[] = [];
        for (const t of next.map((x) => x.trim()).filter(Boolean)) {
          if (!cleaned.some((c) => c.toLowerCase() === t.toLowerCase())) cleaned.push(t);
        }
        onChange(cleaned);
      }}
      renderInput={(params) => (
        <TextField
          {...params}
          label={label}
          name={name}
          error={Boolean(error)}
          helperText={error || helperText || "Press Enter or type a comma after each tag."}
        />
      )}
    />
  );
}
