// The location's cash drawer on the till: open it with a float; while open, what it should hold
// now (float + cash payments − cash refunds + cash in − cash out, as the database counts it),
// cash in or out with a reason, and closing it with the amount counted — then how it came out.
import { Alert, Box, Button, Card, CardContent, Stack, Typography } from "@mui/material";
import { useMemo, useState } from "react";
import { useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { useMoney } from "../ui/useMoney.ts";
import { CloseDrawerDialog } from "./CloseDrawerDialog.tsx";
import { differenceText } from "./drawer.ts";
import { DrawerEntryDialog } from "./DrawerEntryDialog.tsx";
import { OpenDrawerDialog } from "./OpenDrawerDialog.tsx";
import { OpenCashDrawerQuery, type CashDrawer, type PosLocation } from "./queries.ts";
import { timeAt } from "./time.ts";

type Dialog = "open" | "entry" | "close" | null;

export function CashDrawerCard({ location }: { location: PosLocation }) {
  const money = useMoney();
  const variables = useMemo(() => ({ locationId: location.rowId }), [location.rowId]);
  // Refetched after a payment, a void or a cancel (they move cash), and after the drawer's own changes.
  const context = useMemo(() => ({ additionalTypenames: ["CashDrawer", "Tender", "Order"] }), []);
  const [{ data, error }] = useQuery({ query: OpenCashDrawerQuery, variables, context });
  const [dialog, setDialog] = useState<Dialog>(null);
  const [closed, setClosed] = useState<CashDrawer | null>(null);
  const drawer = data?.openCashDrawerAt ?? null;

  const figure = (label: string, amount: number, testId?: string) => (
    <Box>
      <Typography variant="caption" color="text.secondary" component="p">
        {label}
      </Typography>
      <Typography variant="body1" data-testid={testId}>
        {money.format(amount)}
      </Typography>
    </Box>
  );

  return (
    <Card>
      <CardContent>
        <Stack direction={{ xs: "column", sm: "row" }} spacing={2} sx={{ alignItems: { sm: "center" }, justifyContent: "space-between" }}>
          <Box>
            <Typography variant="h6" component="h2">
              Cash drawer
            </Typography>
            <Typography variant="body2" color="text.secondary">
              {drawer
                ? `Open since ${timeAt(drawer.openedAt, location.timezone)}${drawer.openedBy ? ` · opened by ${drawer.openedBy.name}` : ""}`
                : `No drawer is open at ${location.name}: cash taken now goes into no drawer.`}
            </Typography>
          </Box>
          <Stack direction="row" spacing={1}>
            {drawer ? (
              <>
                <Button variant="outlined" onClick={() => setDialog("entry")}>
                  Cash in / out
                </Button>
                <Button variant="contained" onClick={() => setDialog("close")}>
                  Close drawer
                </Button>
              </>
            ) : (
              <Button variant="contained" onClick={() => (setClosed(null), setDialog("open"))}>
                Open drawer
              </Button>
            )}
          </Stack>
        </Stack>
        {error && (
          <Alert severity="error" sx={{ mt: 2 }}>
            {errorMessage(error)}
          </Alert>
        )}
        {drawer && (
          <Stack direction="row" spacing={3} useFlexGap sx={{ mt: 2, flexWrap: "wrap" }} aria-label="Cash in the drawer">
            {figure("Float", drawer.openingFloat)}
            {figure("Cash payments", drawer.cashPayments)}
            {figure("Cash refunds", -drawer.cashRefunds || 0)}
            {figure("Cash in", drawer.cashIn)}
            {figure("Cash out", -drawer.cashOut || 0)}
            <Box>
              <Typography variant="caption" color="text.secondary" component="p">
                Should hold now
              </Typography>
              <Typography variant="body1" sx={{ fontWeight: 700 }} data-testid="drawer-expected">
                {money.format(drawer.expectedNow)}
              </Typography>
            </Box>
          </Stack>
        )}
        {!drawer && closed && (
          <Alert severity={closed.difference === 0 ? "success" : "warning"} sx={{ mt: 2 }} data-testid="drawer-closed" onClose={() => setClosed(null)}>
            Drawer closed: expected {money.format(closed.expected ?? 0)}, counted {money.format(closed.counted ?? 0)} —{" "}
            {differenceText(closed.difference ?? 0, money.format)}.
          </Alert>
        )}
      </CardContent>
      {dialog === "open" && <OpenDrawerDialog location={location} onClose={() => setDialog(null)} />}
      {dialog === "entry" && drawer && <DrawerEntryDialog drawer={drawer} onClose={() => setDialog(null)} />}
      {dialog === "close" && drawer && (
        <CloseDrawerDialog drawer={drawer} onClose={() => setDialog(null)} onClosed={(d) => (setClosed(d), setDialog(null))} />
      )}
    </Card>
  );
}
