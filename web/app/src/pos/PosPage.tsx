// POS: orders, tenders and devices. Not built yet.
import { ComingSoon } from "../ui/ComingSoon.tsx";
import { PageHeader } from "../ui/PageHeader.tsx";

export function PosPage() {
  return (
    <>
      <PageHeader title="POS" subtitle="Orders, payments and registers." />
      <ComingSoon
        summary="This is where you will follow what your registers do:"
        items={["Orders and their payments, by location and business date", "Voids and refunds with who did them", "Registers (devices) and their status"]}
      />
    </>
  );
}
