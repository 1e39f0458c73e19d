// A table header cell named for screen readers only (the column of row actions). The hidden text is
// positioned inside its cell: placed against the page, it stretched the POS to 2,797 px and the
// page scrolled sideways.
import { Box, TableCell } from "@mui/material";

export function HiddenHeaderCell({ children }: { children: string }) {
  return (
    <TableCell align="right" sx={{ position: "relative" }}>
      <Box
        component="span"
        // 1px as a string (sx reads the number 1 as 100%), from the cell's corner: a right-aligned
        // cell would otherwise start it at its right edge, and the table would scroll sideways.
        sx={{ position: "absolute", left: 0, top: 0, width: "1px", height: "1px", margin: "-1px", overflow: "hidden", whiteSpace: "nowrap", clip: "rect(0 0 0 0)" }}
      >
        {children}
      </Box>
    </TableCell>
  );
}
