// A customer's loyalty class as a small coloured chip: the same words and colours on the list and
// the profile. Nothing before the first visit (the list says "Never", the profile why).
import { Chip, type ChipProps } from "@mui/material";
import { labelOf, LOYALTY_CLASSES } from "./format.ts";
import type { LoyaltyClass } from "./queries.ts";

const COLOR: Record<LoyaltyClass, ChipProps["color"]> = {
  new: "info",
  returning: "primary",
  regular: "success",
  lapsed: "warning",
  one_time: "default",
};

export function LoyaltyChip({ value, size = "small", title }: { value: LoyaltyClass | null; size?: ChipProps["size"]; title?: string }) {
  if (!value) return null;
  return (
    <Chip
      size={size}
      color={COLOR[value]}
      variant={value === "regular" ? "filled" : "outlined"}
      label={labelOf(LOYALTY_CLASSES, value)}
      title={title ?? `Loyalty: ${labelOf(LOYALTY_CLASSES, value)}`}
      data-testid="loyalty-class"
      sx={size === "small" ? { height: 20, fontSize: 12 } : undefined}
    />
  );
}
