// The signed-in frame: top bar, left navigation (permanent on wide screens, a drawer on phones)
// and the current page. While the business is suspended (or closed) the navigation goes and
// every page but Settings → Billing is replaced by the suspended screen; the top bar stays, so
// switching business and signing out still work. A TSUSP answer to any page's query (the business
// was suspended while someone worked) re-reads the viewer, which brings that screen up.
import { Box, Drawer, Toolbar } from "@mui/material";
import { useCallback, useEffect, useRef, useState, type ReactNode } from "react";
import { Outlet, useLocation } from "react-router-dom";
import { SuspendedPage } from "../billing/SuspendedPage.tsx";
import { useOnSuspended, useResetClient } from "../lib/ClientProvider.tsx";
import { NavList } from "./NavList.tsx";
import { TopBar } from "./TopBar.tsx";
import { useViewer } from "./ViewerContext.tsx";
import { useViewerQuery } from "./viewer.ts";

export const DRAWER_WIDTH = 240;

/** Pages a suspended business can still open. */
const OPEN_WHILE_SUSPENDED = ["/settings/billing"];

function Main({ children }: { children: ReactNode }) {
  return (
    <Box component="main" sx={{ flexGrow: 1, minWidth: 0, p: { xs: 2, md: 4 } }}>
      <Toolbar />
      <Box sx={{ maxWidth: 1100, mx: "auto" }}>{children}</Box>
    </Box>
  );
}

export function AppShell() {
  const [mobileOpen, setMobileOpen] = useState(false);
  const { tenant } = useViewer();
  const { pathname } = useLocation();
  const [, refetchViewer] = useViewerQuery();
  const recheck = useCallback(() => refetchViewer({ requestPolicy: "network-only" }), [refetchViewer]);
  useOnSuspended(recheck);
  const resetClient = useResetClient();
  const suspended = Boolean(tenant && tenant.status !== "active");
  // Reactivated (paid, or a plan chosen): drop what was cached while suspended (refusals).
  const wasSuspended = useRef(suspended);
  useEffect(() => {
    if (wasSuspended.current && !suspended) resetClient();
    wasSuspended.current = suspended;
  }, [suspended, resetClient]);

  if (suspended) {
    const open = OPEN_WHILE_SUSPENDED.includes(pathname.replace(/\/+$/, ""));
    return (
      <Box sx={{ display: "flex", minHeight: "100vh" }}>
        <TopBar />
        <Main>
          {open ? <Outlet /> : <SuspendedPage />}
        </Main>
      </Box>
    );
  }

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
      <Main>
        <Outlet />
      </Main>
    </Box>
  );
}
