// Drawer: the cash drawers of the period (by the business date they were opened), one row each —
// float, cash payments, cash refunds, cash in and out, what should have been there, what was
// counted and the difference — so the shop checks its cash every evening. A drawer still open
// shows what it should hold now.
import { Alert, Card, Stack, Typography } from "@mui/material";
import { useMemo } from "react";
import { useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { differenceText } from "../pos/drawer.ts";
import { DataTable } from "../ui/DataTable.tsx";
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
        <Card>
          <DataTable
            label="Cash drawers"
            rows={rows}
            rowKey={(d) => d.id}
            hover={false}
            empty="No cash drawer was opened in this period."
            columns={[
              { header: "Date", cell: (d) => d.businessDate },
              { header: "Location", cell: (d) => d.location?.name },
              {
                header: "Open",
                cell: (d) => {
                  const tz = d.location?.timezone ?? "UTC";
                  return (
                    <>
                      {timeAt(d.openedAt, tz)}–{d.closedAt === null ? "now" : timeAt(d.closedAt, tz)}
                      <Typography variant="caption" color="text.secondary" sx={{ display: "block" }}>
                        {[d.openedBy?.name, d.closedBy && d.closedBy.name !== d.openedBy?.name ? d.closedBy.name : null].filter(Boolean).join(" → ")}
                      </Typography>
                    </>
                  );
                },
              },
              { header: "Float", align: "right", cell: (d) => money.format(d.openingFloat) },
              { header: "Cash payments", align: "right", cell: (d) => money.format(d.cashPayments) },
              { header: "Cash refunds", align: "right", cell: (d) => money.format(-d.cashRefunds || 0) },
              { header: "Cash in", align: "right", hideBelow: "sm", cell: (d) => money.format(d.cashIn) },
              { header: "Cash out", align: "right", hideBelow: "sm", cell: (d) => money.format(-d.cashOut || 0) },
              { header: "Expected", align: "right", cell: (d) => money.format(d.closedAt === null ? d.expectedNow : d.expected) },
              { header: "Counted", align: "right", cell: (d) => (d.closedAt === null ? "—" : money.format(d.counted)) },
              {
                header: "Difference",
                cell: (d) => (
                  <>
                    {d.closedAt === null ? (
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
                  </>
                ),
              },
            ]}
          />
        </Card>
      )}
    </Stack>
  );
}
