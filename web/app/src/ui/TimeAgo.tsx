// A moment as people read it in a list: "5 minutes ago", with the exact date and time on hover.
import { Tooltip } from "@mui/material";
import { formatDateTime, timeAgo } from "../customers/format.ts";

export function TimeAgo({ iso }: { iso: string | null | undefined }) {
  if (!iso) return null;
  return (
    <Tooltip title={formatDateTime(iso)} describeChild>
      <time dateTime={iso}>{timeAgo(iso)}</time>
    </Tooltip>
  );
}
