// Today's five best sellers by net revenue (net of today's refunds), as the Items report ranks them.
import { Alert, Typography } from "@mui/material";
import { useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { cents } from "../reporting/queries.ts";
import { DataTable } from "../ui/DataTable.tsx";
import { Loading } from "../ui/Loading.tsx";
import { useMoney } from "../ui/useMoney.ts";
import { reportLink } from "./links.ts";
import { Panel } from "./Panel.tsx";
import { TopItemsQuery } from "./queries.ts";

export function TopItemsCard({ today }: { today: string }) {
  const money = useMoney();
  const [{ data, error }] = useQuery({ query: TopItemsQuery, variables: { date: today }, requestPolicy: "cache-and-network" });
  const rows = data?.itemSales;

  return (
    <Panel title="Top items today" link={{ label: "All items", to: reportLink("items") }}>
      {error ? (
        <Alert severity="error">{errorMessage(error)}</Alert>
      ) : !rows ? (
        <Loading />
      ) : rows.length === 0 ? (
        <Typography color="text.secondary">Nothing sold yet today.</Typography>
      ) : (
        <DataTable
          label="Top items today"
          rows={rows}
          rowKey={(r) => r.catalogItemId}
          hover={false}
          columns={[
            { header: "Item", sx: { overflowWrap: "anywhere" }, cell: (r) => r.catalogItemName },
            { header: "Units", align: "right", nowrap: true, cell: (r) => cents(r.quantitySold) },
            { header: "Net sales", align: "right", nowrap: true, cell: (r) => money.format(r.netRevenue) },
          ]}
        />
      )}
    </Panel>
  );
}
