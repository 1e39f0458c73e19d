// A customer's name in a second script (customers.altName, such as Arabic beside Latin), written
// in its own direction: right-to-left when its first letter is of a right-to-left script
// (Arabic, Hebrew, Syriac, Thaana, N'Ko…), otherwise left to the browser (dir="auto"). An
// isolated span, so that it never reorders the text around it.
import { Box, type SxProps, type Theme } from "@mui/material";

/** The first strongly directional letter: right-to-left scripts' blocks, or a left-to-right letter. */
const FIRST_STRONG = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]|[A-Za-z\u00C0-\u024F\u0370-\u03FF\u0400-\u04FF\u0900-\u0DFF\u3040-\u30FF\u4E00-\u9FFF\uAC00-\uD7AF]/u;

/** rtl when the text starts (its first letter) in a right-to-left script, else auto. */
export function directionOf(text: string): "rtl" | "auto" {
  const first = FIRST_STRONG.exec(text)?.[0];
  return first && /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]/u.test(first) ? "rtl" : "auto";
}

export function AltName({ name, sx, testId = "customer-alt-name" }: { name: string | null | undefined; sx?: SxProps<Theme>; testId?: string }) {
  if (!name) return null;
  return (
    <Box component="bdi" dir={directionOf(name)} data-testid={testId} sx={sx}>
      {name}
    </Box>
  );
}
