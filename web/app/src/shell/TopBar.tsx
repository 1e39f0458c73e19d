// The bar across the top: product mark, the business switcher and the user menu.
import { AppBar, Box, IconButton, Stack, Toolbar, Typography } from "@mui/material";
import { MenuIcon, StoreIcon } from "../ui/icons.tsx";
import { TenantSwitcher } from "./TenantSwitcher.tsx";
import { UserMenu } from "./UserMenu.tsx";

/** Without `onMenu` (a suspended business has no navigation) the menu button is not shown. */
export function TopBar({ onMenu }: { onMenu?: () => void }) {
  return (
    <AppBar position="fixed" sx={{ zIndex: (theme) => theme.zIndex.drawer + 1 }}>
      <Toolbar sx={{ gap: 1 }}>
        {onMenu && (
          <IconButton edge="start" aria-label="Open navigation" onClick={onMenu} sx={{ display: { md: "none" } }}>
            <MenuIcon />
          </IconButton>
        )}
        <Stack direction="row" spacing={1} sx={{ alignItems: "center", color: "primary.main", width: { md: 200 } }}>
          <StoreIcon />
          <Typography variant="h6" component="div" sx={{ display: { xs: "none", sm: "block" } }}>
            Backoffice
          </Typography>
        </Stack>
        <TenantSwitcher />
        <Box sx={{ flexGrow: 1 }} />
        <UserMenu />
      </Toolbar>
    </AppBar>
  );
}
