// Reports: sales by day, items, stock levels, each with a CSV export (db/REPORTING.md),
// customers (new vs returning per day, loyalty classes), and the cash drawers (counted vs expected).
// The date range and location are shared by the tabs, so switching tabs keeps them.
import { Box, Tab, Tabs } from "@mui/material";
import { useState } from "react";
import { useCan } from "../shell/ViewerContext.tsx";
import { NotAllowed } from "../ui/NotAllowed.tsx";
import { PageHeader } from "../ui/PageHeader.tsx";
import { CustomersTab } from "./CustomersTab.tsx";
import { DrawerTab } from "./DrawerTab.tsx";
import { lastSevenDays } from "./dates.ts";
import { ALL, type Range } from "./Filters.tsx";
import { InventoryTab } from "./InventoryTab.tsx";
import { ItemsTab } from "./ItemsTab.tsx";
import { SalesTab } from "./SalesTab.tsx";

type TabKey = "sales" | "items" | "inventory" | "customers" | "drawers";

export function ReportsPage() {
  const canView = useCan("reports.view");
  const [tab, setTab] = useState<TabKey>("sales");
  const [range, setRange] = useState<Range>(lastSevenDays);
  const [location, setLocation] = useState<string>(ALL);

  return (
    <>
      <PageHeader title="Reports" subtitle="Sales, items, stock, customers and cash drawers, by business date in each location's time zone." />
      {!canView ? (
        <NotAllowed what="reports" />
      ) : (
        <>
          <Box sx={{ borderBottom: 1, borderColor: "divider", mb: 3 }}>
            <Tabs value={tab} onChange={(_e, next: TabKey) => setTab(next)} aria-label="Reports">
              <Tab value="sales" label="Sales" />
              <Tab value="items" label="Items" />
              <Tab value="inventory" label="Inventory" />
              <Tab value="customers" label="Customers" />
              <Tab value="drawers" label="Drawer" />
            </Tabs>
          </Box>
          {tab === "sales" && <SalesTab range={range} onRange={setRange} location={location} onLocation={setLocation} />}
          {tab === "items" && <ItemsTab range={range} onRange={setRange} location={location} onLocation={setLocation} />}
          {tab === "inventory" && <InventoryTab location={location} onLocation={setLocation} />}
          {tab === "customers" && <CustomersTab range={range} onRange={setRange} location={location} onLocation={setLocation} />}
          {tab === "drawers" && <DrawerTab range={range} onRange={setRange} location={location} onLocation={setLocation} />}
        </>
      )}
    </>
  );
}
