// A centred spinner while the first data arrives.
import { Box, CircularProgress } from "@mui/material";

export function Loading({ fullPage = false }: { fullPage?: boolean }) {
  return (
    <Box
      role="status"
      aria-label="Loading"
      sx={{ display: "flex", alignItems: "center", justifyContent: "center", py: 6, minHeight: fullPage ? "100vh" : undefined }}
    >
      <CircularProgress />
    </Box>
  );
}
