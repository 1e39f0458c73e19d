// Where the business sells: its open locations by name (closed ones sell nothing, so they are
// only counted), and the way to manage them for those who may.
import { Typography } from "@mui/material";
import type { Location } from "../settings/queries.ts";
import { useCan } from "../shell/ViewerContext.tsx";
import { Panel } from "./Panel.tsx";

export function LocationsCard({ locations }: { locations: readonly Location[] | undefined }) {
  const canManage = useCan("settings.view");
  const open = locations?.filter((l) => !l.closedAt);
  const closed = (locations?.length ?? 0) - (open?.length ?? 0);
  return (
    <Panel title="Locations" link={canManage ? { label: "Manage locations", to: "/settings" } : null}>
      <Typography variant="h4" component="p" sx={{ mb: 1 }}>
        {open ? open.length : "…"}
      </Typography>
      <Typography color="text.secondary" sx={{ overflowWrap: "anywhere" }}>
        {open?.map((l) => l.name).join(", ") || "Shops of this business appear here."}
      </Typography>
      {closed > 0 && (
        <Typography variant="body2" color="text.secondary" sx={{ mt: 1 }}>
          and {closed} closed
        </Typography>
      )}
    </Panel>
  );
}
