// "← Settings": the way back from the pages Settings leads to (Billing, Audit log).
import { Link } from "@mui/material";
import { Link as RouterLink } from "react-router-dom";
import { BackIcon } from "../ui/icons.tsx";

export function BackToSettings() {
  return (
    <Link component={RouterLink} to="/settings" underline="hover" sx={{ display: "inline-flex", alignItems: "center", gap: 0.5, mb: 1.5 }}>
      <BackIcon sx={{ fontSize: 18 }} /> Settings
    </Link>
  );
}
