// The business name in the top bar; opens a menu of the person's businesses to switch between
// them, and "Create another business".
import { Alert, Button, Divider, ListItemIcon, ListItemText, Menu, MenuItem, Snackbar } from "@mui/material";
import { useState } from "react";
import { useMutation } from "urql";
import { useResetClient } from "../lib/ClientProvider.tsx";
import { errorMessage } from "../lib/errors.ts";
import { AddIcon, CheckIcon, ExpandIcon } from "../ui/icons.tsx";
import { CreateBusinessDialog } from "./CreateBusinessDialog.tsx";
import { SwitchTenantMutation } from "./tenantMutations.ts";
import { useViewer } from "./ViewerContext.tsx";

export function TenantSwitcher() {
  const { user, tenant } = useViewer();
  const resetClient = useResetClient();
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [{ fetching }, switchTenant] = useMutation(SwitchTenantMutation);
  const memberships = [...user.memberships.nodes]
    .filter((m) => m.tenant)
    .sort((a, b) => a.tenant!.name.localeCompare(b.tenant!.name));

  async function choose(tenantId: string) {
    setAnchor(null);
    if (tenantId === tenant?.rowId) return;
    const result = await switchTenant({ tenantId });
    if (result.error) setError(errorMessage(result.error));
    else resetClient();
  }

  return (
    <>
      <Button
        color="inherit"
        onClick={(e) => setAnchor(e.currentTarget)}
        endIcon={<ExpandIcon />}
        disabled={fetching}
        aria-label="Switch business"
        aria-haspopup="menu"
        aria-controls={anchor ? "tenant-menu" : undefined}
        sx={{ fontSize: "1rem", px: 1.5, maxWidth: { xs: 200, sm: 360 } }}
      >
        <span data-testid="current-business" style={{ overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }}>
          {tenant?.name ?? "Choose a business"}
        </span>
      </Button>
      <Menu id="tenant-menu" anchorEl={anchor} open={Boolean(anchor)} onClose={() => setAnchor(null)}>
        {memberships.map((m) => {
          const current = m.tenant!.rowId === tenant?.rowId;
          return (
            <MenuItem key={m.id} selected={current} onClick={() => choose(m.tenant!.rowId)} sx={{ minWidth: 280 }}>
              <ListItemIcon>{current && <CheckIcon fontSize="small" />}</ListItemIcon>
              <ListItemText primary={m.tenant!.name} secondary={m.tenant!.status === "active" ? undefined : m.tenant!.status} />
            </MenuItem>
          );
        })}
        <Divider />
        <MenuItem
          onClick={() => {
            setAnchor(null);
            setCreating(true);
          }}
        >
          <ListItemIcon>
            <AddIcon fontSize="small" />
          </ListItemIcon>
          <ListItemText primary="Create another business" />
        </MenuItem>
      </Menu>
      <CreateBusinessDialog open={creating} onClose={() => setCreating(false)} />
      <Snackbar open={Boolean(error)} autoHideDuration={8000} onClose={() => setError(null)}>
        <Alert severity="error" onClose={() => setError(null)} variant="filled">
          {error}
        </Alert>
      </Snackbar>
    </>
  );
}
