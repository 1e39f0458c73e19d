// The person's avatar at the right of the top bar: who is signed in, and Sign out.
import { Avatar, Box, Divider, IconButton, ListItemIcon, Menu, MenuItem, Typography } from "@mui/material";
import { useState } from "react";
import { useNavigate } from "react-router-dom";
import { signOut } from "../auth/api.ts";
import { useResetClient } from "../lib/ClientProvider.tsx";
import { LogoutIcon } from "../ui/icons.tsx";
import { useViewer } from "./ViewerContext.tsx";

const initials = (name: string) =>
  name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((part) => part[0]!.toUpperCase())
    .join("");

export function UserMenu() {
  const { user, tenant } = useViewer();
  const navigate = useNavigate();
  const resetClient = useResetClient();
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  const role = user.memberships.nodes.find((m) => m.tenant?.rowId === tenant?.rowId)?.role?.name;

  async function leave() {
    setAnchor(null);
    try {
      await signOut();
    } finally {
      // Even if the server could not be reached, forget everything this tab knows.
      navigate("/login", { replace: true });
      resetClient();
    }
  }

  return (
    <>
      <IconButton onClick={(e) => setAnchor(e.currentTarget)} aria-label="Account" aria-haspopup="menu">
        <Avatar sx={{ width: 34, height: 34, bgcolor: "primary.main", fontSize: 15 }}>{initials(user.name) || "?"}</Avatar>
      </IconButton>
      <Menu
        anchorEl={anchor}
        open={Boolean(anchor)}
        onClose={() => setAnchor(null)}
        anchorOrigin={{ vertical: "bottom", horizontal: "right" }}
        transformOrigin={{ vertical: "top", horizontal: "right" }}
      >
        <Box sx={{ px: 2, py: 1, minWidth: 240 }}>
          <Typography sx={{ fontWeight: 600 }}>{user.name}</Typography>
          <Typography variant="body2" color="text.secondary">
            {user.email}
          </Typography>
          {role && (
            <Typography variant="body2" color="text.secondary">
              {role} at {tenant?.name}
            </Typography>
          )}
        </Box>
        <Divider />
        <MenuItem onClick={leave}>
          <ListItemIcon>
            <LogoutIcon fontSize="small" />
          </ListItemIcon>
          Sign out
        </MenuItem>
      </Menu>
    </>
  );
}
