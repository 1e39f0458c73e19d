// Reports: sales by day and location, exports. Not built yet.
import { ComingSoon } from "../ui/ComingSoon.tsx";
import { PageHeader } from "../ui/PageHeader.tsx";

export function ReportsPage() {
  return (
    <>
      <PageHeader title="Reports" subtitle="Sales and customers over time." />
      <ComingSoon
        summary="Reports will be computed from your orders, by business date in each location's time zone:"
        items={["Sales by day, location and payment method", "Customer activity and retention", "CSV exports you can download when they are ready"]}
      />
    </>
  );
}
