// Reports: sales by day, items, stock levels, each with a CSV export (db/REPORTING.md),
// customers (new vs returning per day, loyalty classes), the cash drawers (counted vs expected)
// and, for members who may read accounts (accounts.view), what customer accounts owe by age.
// The period and location are shared by the tabs, so switching tabs keeps them. A tab whose
// modules the plan lacks is marked with the plan that has them and offers the upgrade; one that
// no plan has is not shown, nor one the member's role may not read.
import { Box, Chip, Tab, Tabs } from "@mui/material";
import { useState, type ReactNode } from "react";
import { useSearchParams } from "react-router-dom";
import { useCan, useViewer } from "../shell/ViewerContext.tsx";
import { Loading } from "../ui/Loading.tsx";
import { NotAllowed } from "../ui/NotAllowed.tsx";
import { PageHeader } from "../ui/PageHeader.tsx";
import { CustomersTab } from "./CustomersTab.tsx";
import { DrawerTab } from "./DrawerTab.tsx";
import { ALL, rangeOf, type Range } from "./Filters.tsx";
import { InventoryTab } from "./InventoryTab.tsx";
import { ItemsTab } from "./ItemsTab.tsx";
import { ReceivablesTab } from "./ReceivablesTab.tsx";
import { SalesTab } from "./SalesTab.tsx";
import { UpgradeCard } from "./UpgradeCard.tsx";
import { useEntitlements } from "./useEntitlements.ts";

type TabKey = "sales" | "items" | "inventory" | "customers" | "drawers" | "receivables";

/**
 * Each tab, the plan modules it needs (the reporting queries check `reporting` in SQL) and the
 * permission it needs beside reports.view, if any.
 */
const TABS: { key: TabKey; label: string; modules: string[]; permission?: string }[] = [
  { key: "sales", label: "Sales", modules: ["reporting"] },
  { key: "items", label: "Items", modules: ["reporting"] },
  { key: "inventory", label: "Inventory", modules: ["reporting", "inventory"] },
  { key: "customers", label: "Customers", modules: ["reporting", "customers"] },
  { key: "drawers", label: "Drawer", modules: ["pos_retail"] },
  { key: "receivables", label: "Accounts receivable", modules: ["customers"], permission: "accounts.view" },
];

export function ReportsPage() {
  const canView = useCan("reports.view");
  const canViewAccounts = useCan("accounts.view");
  const entitlements = useEntitlements();
  // The tab is in the address (/reports?tab=items), so the dashboard and a bookmark open it.
  const [params, setParams] = useSearchParams();
  const tab = (params.get("tab") ?? "sales") as TabKey;
  const setTab = (next: TabKey) => setParams(next === "sales" ? {} : { tab: next }, { replace: true });
  const [range, setRange] = useState<Range>(() => rangeOf("last7"));
  const [location, setLocation] = useState<string>(ALL);

  const { permissions } = useViewer();
  const tabs = TABS.filter((t) => !t.permission || permissions.has(t.permission))
    .map((t) => ({ ...t, entitlement: entitlements.check(t.modules) }))
    .filter((t) => t.entitlement.kind !== "unavailable");
  const active = tabs.find((t) => t.key === tab) ?? tabs[0];
  const dates = { range, onRange: setRange, location, onLocation: setLocation };
  const screens: Record<TabKey, () => ReactNode> = {
    sales: () => <SalesTab {...dates} />,
    items: () => <ItemsTab {...dates} />,
    inventory: () => <InventoryTab location={location} onLocation={setLocation} />,
    customers: () => <CustomersTab {...dates} />,
    drawers: () => <DrawerTab {...dates} />,
    receivables: () => <ReceivablesTab />,
  };

  return (
    <>
      <PageHeader title="Reports" subtitle={`Sales, items, stock, customers and cash drawers, by business date in each location's time zone${canViewAccounts ? "; what customer accounts owe" : ""}.`} />
      {!canView ? (
        <NotAllowed what="reports" />
      ) : !entitlements.ready ? (
        <Loading />
      ) : (
        <>
          <Box sx={{ borderBottom: 1, borderColor: "divider", mb: 3 }}>
            {/* Scrollable: five tabs are wider than a phone, and the page itself must not scroll sideways. */}
            <Tabs value={active?.key ?? false} onChange={(_e, next: TabKey) => setTab(next)} aria-label="Reports" variant="scrollable" scrollButtons="auto" allowScrollButtonsMobile>
              {tabs.map((t) => (
                <Tab
                  key={t.key}
                  value={t.key}
                  label={
                    t.entitlement.kind === "upgrade" ? (
                      <Box component="span" sx={{ display: "inline-flex", alignItems: "center", gap: 1 }}>
                        {t.label}{" "}
                        <Chip component="span" size="small" variant="outlined" label={`on ${t.entitlement.plan.name}`} />
                      </Box>
                    ) : (
                      t.label
                    )
                  }
                />
              ))}
            </Tabs>
          </Box>
          {active &&
            (active.entitlement.kind === "upgrade" ? (
              <UpgradeCard what={active.label} plan={active.entitlement.plan.name} />
            ) : (
              screens[active.key]()
            ))}
        </>
      )}
    </>
  );
}
