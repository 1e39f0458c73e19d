// Today's five best sellers by net revenue (net of today's refunds), as the Items report ranks them.
import { Alert, Table, TableBody, TableCell, TableHead, TableRow, Typography } from "@mui/material";
import { useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { cents } from "../reporting/queries.ts";
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
        <Table size="small" aria-label="Top items today">
          <TableHead>
            <TableRow>
              <TableCell>Item</TableCell>
              <TableCell align="right">Units</TableCell>
              <TableCell align="right">Net sales</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {rows.map((r) => (
              <TableRow key={r.catalogItemId}>
                <TableCell sx={{ overflowWrap: "anywhere" }}>{r.catalogItemName}</TableCell>
                <TableCell align="right">{cents(r.quantitySold)}</TableCell>
                <TableCell align="right" sx={{ whiteSpace: "nowrap" }}>
                  {money.format(r.netRevenue)}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Panel>
  );
}
