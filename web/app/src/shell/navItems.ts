// The left navigation: one entry per module, with the permission it needs (if any).
import type { ComponentType } from "react";
import { CartIcon, ChartIcon, DashboardIcon, HistoryIcon, PeopleIcon, ReceiptIcon, TuneIcon } from "../ui/icons.tsx";

export interface NavItem {
  label: string;
  path: string;
  icon: ComponentType;
  permission?: string;
}

export const navItems: NavItem[] = [
  { label: "Dashboard", path: "/", icon: DashboardIcon },
  { label: "POS", path: "/pos", icon: CartIcon, permission: "sales.sell" },
  { label: "Customers", path: "/customers", icon: PeopleIcon, permission: "customers.view" },
  { label: "Invoices", path: "/invoices", icon: ReceiptIcon, permission: "accounts.view" },
  { label: "Reports", path: "/reports", icon: ChartIcon, permission: "reports.view" },
  { label: "Activity", path: "/activity", icon: HistoryIcon, permission: "settings.view" },
  { label: "Settings", path: "/settings", icon: TuneIcon, permission: "settings.view" },
];
