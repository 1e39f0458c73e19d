// The subscription's status as a coloured badge: trialing (blue), active (green), past due
// (orange), unpaid (red), canceled (grey).
import { Chip } from "@mui/material";
import { STATUS_COLOR, STATUS_LABEL } from "./format.ts";

export function StatusChip({ status, size = "small" }: { status: string; size?: "small" | "medium" }) {
  return (
    <Chip
      size={size}
      label={STATUS_LABEL[status] ?? status}
      color={STATUS_COLOR[status] ?? "default"}
      variant={status === "canceled" ? "outlined" : "filled"}
      data-testid="billing-status"
    />
  );
}
