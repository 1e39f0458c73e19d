// A table header cell named for screen readers only (the column of row actions). The hidden text is
// positioned inside its cell: placed against the page, it stretched the POS to 2,797 px and the
// page scrolled sideways.
import { Box, TableCell } from "@mui/material";

export function HiddenHeaderCell({ children }: { children: string }) {
  return (
    <TableCell align="right" sx={{ position: "relative" }}>
      <Box
        component="span"
        sx={{ position: "absolute", width: 1, height: 1, margin: "-1px", overflow: "hidden", whiteSpace: "nowrap", clip: "rect(0 0 0 0)" }}
      >
        {children}
      </Box>
    </TableCell>
  );
}
