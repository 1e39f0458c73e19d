// Customers: the directory, profiles and merging duplicates. Not built yet.
import { ComingSoon } from "../ui/ComingSoon.tsx";
import { PageHeader } from "../ui/PageHeader.tsx";

export function CustomersPage() {
  return (
    <>
      <PageHeader title="Customers" subtitle="The people who buy from you." />
      <ComingSoon
        summary="Your customer directory is on its way:"
        items={["Search by name, email or phone", "Profiles with visits, lifetime spend and history of changes", "Merging duplicate customers", "CSV import and export"]}
      />
    </>
  );
}
