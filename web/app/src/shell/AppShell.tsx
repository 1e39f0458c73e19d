// The signed-in frame: top bar, left navigation (permanent on wide screens, a drawer on phones)
// and the current page.
import { Box, Drawer, Toolbar } from "@mui/material";
import { useState } from "react";
import { Outlet } from "react-router-dom";
import { NavList } from "./NavList.tsx";
import { TopBar } from "./TopBar.tsx";

export const DRAWER_WIDTH = 240;

export function AppShell() {
  const [mobileOpen, setMobileOpen] = useState(false);
  const paper = { width: DRAWER_WIDTH, boxSizing: "border-box" as const, borderRight: 1, borderColor: "divider" };
  return (
    <Box sx={{ display: "flex", minHeight: "100vh" }}>
      <TopBar onMenu={() => setMobileOpen(true)} />
      <Drawer
        variant="temporary"
        open={mobileOpen}
        onClose={() => setMobileOpen(false)}
        sx={{ display: { xs: "block", md: "none" }, "& .MuiDrawer-paper": paper }}
      >
        <Toolbar />
        <NavList onNavigate={() => setMobileOpen(false)} />
      </Drawer>
      <Drawer
        variant="permanent"
        sx={{ display: { xs: "none", md: "block" }, width: DRAWER_WIDTH, flexShrink: 0, "& .MuiDrawer-paper": paper }}
      >
        <Toolbar />
        <NavList />
      </Drawer>
      <Box component="main" sx={{ flexGrow: 1, minWidth: 0, p: { xs: 2, md: 4 } }}>
        <Toolbar />
        <Box sx={{ maxWidth: 1100, mx: "auto" }}>
          <Outlet />
        </Box>
      </Box>
    </Box>
  );
}
