// The last five sales, whoever may see them: orders are readable by every member of the
// business (the till lists today's to cashiers), so this is the part of the page a cashier gets.
import { Alert, Chip, Table, TableBody, TableCell, TableHead, TableRow, Typography } from "@mui/material";
import { useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { useCan } from "../shell/ViewerContext.tsx";
import { Loading } from "../ui/Loading.tsx";
import { TimeAgo } from "../ui/TimeAgo.tsx";
import { useMoney } from "../ui/useMoney.ts";
import { Panel } from "./Panel.tsx";
import { RecentSalesQuery, type RecentSale } from "./queries.ts";

export function RecentSalesCard({ manyLocations }: { manyLocations: boolean }) {
  const money = useMoney();
  const canSell = useCan("sales.sell");
  const [{ data, error }] = useQuery({ query: RecentSalesQuery, requestPolicy: "cache-and-network" });
  const rows = data?.orders?.nodes;

  return (
    <Panel title="Recent sales" link={canSell ? { label: "Open the till", to: "/pos" } : null}>
      {error ? (
        <Alert severity="error">{errorMessage(error)}</Alert>
      ) : !rows ? (
        <Loading />
      ) : rows.length === 0 ? (
        <Typography color="text.secondary">No sales yet.</Typography>
      ) : (
        <Table size="small" aria-label="Recent sales">
          <TableHead>
            <TableRow>
              <TableCell>When</TableCell>
              <TableCell align="right">Total</TableCell>
              <TableCell>Status</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {rows.map((o) => (
              <TableRow key={o.id}>
                <TableCell>
                  <TimeAgo iso={o.placedAt} />
                  {manyLocations && o.location && (
                    <Typography variant="caption" color="text.secondary" sx={{ display: "block" }}>
                      {o.location.name}
                    </Typography>
                  )}
                </TableCell>
                <TableCell align="right" sx={{ whiteSpace: "nowrap" }}>
                  {money.format(o.total)}
                </TableCell>
                <TableCell>
                  <Status sale={o} />
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Panel>
  );
}

/** A sale, a voided one, or one with some lines refunded (it stays a sale: db/REPORTING.md). */
function Status({ sale }: { sale: RecentSale }) {
  if (sale.status === "voided") return <Chip size="small" color="error" variant="outlined" label="Voided" />;
  if (sale.refundedTotal > 0) return <Chip size="small" color="warning" variant="outlined" label="Partly refunded" />;
  return <Chip size="small" color="success" variant="outlined" label="Paid" />;
}
