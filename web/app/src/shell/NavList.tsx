// The module links of the left drawer, filtered by what the person's role allows.
import { List, ListItemButton, ListItemIcon, ListItemText } from "@mui/material";
import { NavLink, useLocation } from "react-router-dom";
import { navItems } from "./navItems.ts";
import { useViewer } from "./ViewerContext.tsx";

export function NavList({ onNavigate }: { onNavigate?: () => void }) {
  const { permissions } = useViewer();
  const { pathname } = useLocation();
  const visible = navItems.filter((item) => !item.permission || permissions.has(item.permission));
  return (
    <List component="nav" aria-label="Main" sx={{ px: 1.5, py: 2 }}>
      {visible.map(({ label, path, icon: Icon }) => {
        const selected = path === "/" ? pathname === "/" : pathname.startsWith(path);
        return (
          <ListItemButton
            key={path}
            component={NavLink}
            to={path}
            selected={selected}
            onClick={onNavigate}
            sx={{ borderRadius: 2, mb: 0.5, "&.Mui-selected": { color: "primary.main" } }}
          >
            <ListItemIcon sx={{ minWidth: 40, color: selected ? "primary.main" : "text.secondary" }}>
              <Icon />
            </ListItemIcon>
            <ListItemText primary={label} />
          </ListItemButton>
        );
      })}
    </List>
  );
}
