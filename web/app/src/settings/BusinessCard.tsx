// The business: its name (renamable with settings.update) and status.
import { Button, Card, CardContent, Chip, Stack, Typography } from "@mui/material";
import { useState } from "react";
import { useViewer } from "../shell/ViewerContext.tsx";
import { RenameBusinessDialog } from "./RenameBusinessDialog.tsx";

export function BusinessCard({ canUpdate }: { canUpdate: boolean }) {
  const { tenant } = useViewer();
  const [renaming, setRenaming] = useState(false);
  if (!tenant) return null;
  return (
    <Card>
      <CardContent>
        <Typography variant="overline" color="text.secondary">
          Business
        </Typography>
        <Stack direction="row" spacing={2} sx={{ alignItems: "center", justifyContent: "space-between", flexWrap: "wrap" }}>
          <Stack direction="row" spacing={1.5} sx={{ alignItems: "center" }}>
            <Typography variant="h5" component="h2" data-testid="settings-business-name">
              {tenant.name}
            </Typography>
            <Chip
              size="small"
              label={tenant.status[0]!.toUpperCase() + tenant.status.slice(1)}
              color={tenant.status === "active" ? "success" : "warning"}
              variant="outlined"
            />
          </Stack>
          {canUpdate && (
            <Button variant="outlined" onClick={() => setRenaming(true)}>
              Rename
            </Button>
          )}
        </Stack>
      </CardContent>
      {canUpdate && (
        <RenameBusinessDialog open={renaming} onClose={() => setRenaming(false)} rowId={tenant.rowId} current={tenant.name} />
      )}
    </Card>
  );
}
