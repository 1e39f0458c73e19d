// Drawer: the cash drawers of the period (by the business date they were opened), one row each —
// float, cash payments, cash refunds, cash in and out, what should have been there, what was
// counted and the difference — so the shop checks its cash every evening. A drawer still open
// shows what it should hold now.
import { Alert, Card, Stack, Table, TableBody, TableCell, TableContainer, TableHead, TableRow, Typography } from "@mui/material";
import { useMemo } from "react";
import { useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { differenceText } from "../pos/drawer.ts";
import { Loading } from "../ui/Loading.tsx";
import { useMoney } from "../ui/useMoney.ts";
import { DateRange, LocationFilter, type Range } from "./Filters.tsx";
import { DrawerReportQuery, drawerFilter } from "./queries.ts";

interface Props {
  range: Range;
  onRange(range: Range): void;
  location: string;
  onLocation(id: string): void;
}

const timeAt = (iso: string | null, timeZone: string) =>
  iso ? new Intl.DateTimeFormat(undefined, { timeZone, hour: "2-digit", minute: "2-digit" }).format(new Date(iso)) : "";

export function DrawerTab({ range, onRange, location, onLocation }: Props) {
  const money = useMoney();
  const variables = useMemo(() => ({ filter: drawerFilter(range.from, range.to, location || null) }), [range.from, range.to, location]);
  const [{ data, fetching, error }] = useQuery({ query: DrawerReportQuery, variables, requestPolicy: "cache-and-network" });
  const rows = data?.cashDrawers?.nodes ?? [];

  return (
    <Stack spacing={3}>
      <Stack direction={{ xs: "column", md: "row" }} spacing={2} sx={{ alignItems: { md: "flex-start" } }}>
        <DateRange value={range} onChange={onRange} />
        <LocationFilter value={location} onChange={onLocation} />
      </Stack>
      {error && <Alert severity="error">{errorMessage(error)}</Alert>}
      {!data && fetching ? (
        <Loading />
      ) : (
        <TableContainer component={Card}>
          <Table size="small" aria-label="Cash drawers">
            <TableHead>
              <TableRow>
                <TableCell>Date</TableCell>
                <TableCell>Location</TableCell>
                <TableCell>Open</TableCell>
                <TableCell align="right">Float</TableCell>
                <TableCell align="right">Cash payments</TableCell>
                <TableCell align="right">Cash refunds</TableCell>
                <TableCell align="right">Cash in</TableCell>
                <TableCell align="right">Cash out</TableCell>
                <TableCell align="right">Expected</TableCell>
                <TableCell align="right">Counted</TableCell>
                <TableCell>Difference</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {rows.map((d) => {
                const tz = d.location?.timezone ?? "UTC";
                const open = d.closedAt === null;
                return (
                  <TableRow key={d.id}>
                    <TableCell>{d.businessDate}</TableCell>
                    <TableCell>{d.location?.name}</TableCell>
                    <TableCell>
                      {timeAt(d.openedAt, tz)}–{open ? "now" : timeAt(d.closedAt, tz)}
                      <Typography variant="caption" color="text.secondary" sx={{ display: "block" }}>
                        {[d.openedBy?.name, d.closedBy && d.closedBy.name !== d.openedBy?.name ? d.closedBy.name : null].filter(Boolean).join(" → ")}
                      </Typography>
                    </TableCell>
                    <TableCell align="right">{money.format(d.openingFloat)}</TableCell>
                    <TableCell align="right">{money.format(d.cashPayments)}</TableCell>
                    <TableCell align="right">{money.format(-d.cashRefunds || 0)}</TableCell>
                    <TableCell align="right">{money.format(d.cashIn)}</TableCell>
                    <TableCell align="right">{money.format(-d.cashOut || 0)}</TableCell>
                    <TableCell align="right">{money.format(open ? d.expectedNow : d.expected)}</TableCell>
                    <TableCell align="right">{open ? "—" : money.format(d.counted)}</TableCell>
                    <TableCell>
                      {open ? (
                        <Typography variant="body2" color="text.secondary">
                          Still open
                        </Typography>
                      ) : (
                        <Typography variant="body2" sx={{ color: d.difference === 0 ? "success.main" : "error.main", fontWeight: 600 }}>
                          {differenceText(d.difference ?? 0, money.format)}
                        </Typography>
                      )}
                      {d.note && (
                        <Typography variant="caption" color="text.secondary" sx={{ display: "block" }}>
                          {d.note}
                        </Typography>
                      )}
                    </TableCell>
                  </TableRow>
                );
              })}
              {rows.length === 0 && (
                <TableRow>
                  <TableCell colSpan={11}>
                    <Typography color="text.secondary">No cash drawer was opened in this period.</Typography>
                  </TableCell>
                </TableRow>
              )}
            </TableBody>
          </Table>
        </TableContainer>
      )}
    </Stack>
  );
}
