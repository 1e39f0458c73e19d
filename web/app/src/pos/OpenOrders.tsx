// The orders of the location rung up but not paid in full (a charge left, a bill part paid):
// they are not sales yet. Each can be resumed (its payment taken) or cancelled with a reason.
// Shown only when there are some, above today's sales, so none is forgotten at closing time.
import { Alert, Box, Button, Card, CardContent, Stack, Table, TableBody, TableCell, TableContainer, TableHead, TableRow, Typography } from "@mui/material";
import { useMemo, useState } from "react";
import { useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { HiddenHeaderCell } from "../ui/HiddenHeaderCell.tsx";
import { useMoney } from "../ui/useMoney.ts";
import { CancelOrderDialog } from "./CancelOrderDialog.tsx";
import { itemsText } from "./itemsText.ts";
import { OpenOrdersQuery, type OpenOrder, type PosLocation } from "./queries.ts";
import { orderNumber, timeAt } from "./time.ts";

interface Props {
  location: PosLocation;
  onResume(order: OpenOrder): void;
}

export function OpenOrders({ location, onResume }: Props) {
  const money = useMoney();
  const variables = useMemo(() => ({ locationId: location.rowId }), [location.rowId]);
  // Refetched after any mutation that returns an Order (a charge, a payment, a cancel), even while empty.
  const context = useMemo(() => ({ additionalTypenames: ["Order"] }), []);
  const [{ data, error }] = useQuery({ query: OpenOrdersQuery, variables, context });
  const [cancelling, setCancelling] = useState<OpenOrder | null>(null);
  const orders = data?.openOrdersList ?? [];

  if (error) return <Alert severity="error">{errorMessage(error)}</Alert>;
  if (!orders.length) return null;
  return (
    <Card sx={{ borderColor: "warning.main" }} variant="outlined">
      <CardContent>
        <Box sx={{ mb: 2 }}>
          <Typography variant="h6" component="h2">
            Open orders
          </Typography>
          <Typography variant="body2" color="text.secondary">
            Rung up but not paid in full: not sales yet. Take their payment, or cancel them.
          </Typography>
        </Box>
        <TableContainer>
          <Table size="small" aria-label="Open orders">
            <TableHead>
              <TableRow>
                <TableCell>Opened</TableCell>
                <TableCell>Order</TableCell>
                <TableCell>Items</TableCell>
                <TableCell align="right">Total</TableCell>
                <TableCell align="right">Due</TableCell>
                <HiddenHeaderCell>Actions</HiddenHeaderCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {orders.map((order) => (
                <TableRow key={order.id}>
                  <TableCell>{timeAt(order.createdAt, location.timezone)}</TableCell>
                  <TableCell>{orderNumber(order.rowId)}</TableCell>
                  <TableCell sx={{ maxWidth: 280 }}>
                    <Typography variant="body2" noWrap title={itemsText(order)}>
                      {itemsText(order)}
                    </Typography>
                  </TableCell>
                  <TableCell align="right">{money.format(order.total)}</TableCell>
                  <TableCell align="right">{money.format(order.amountDue)}</TableCell>
                  <TableCell align="right">
                    <Stack direction="row" spacing={0.5} sx={{ justifyContent: "flex-end" }}>
                      <Button size="small" variant="contained" onClick={() => onResume(order)} aria-label={`Take payment for order ${orderNumber(order.rowId)}`}>
                        Take payment
                      </Button>
                      <Button size="small" color="error" onClick={() => setCancelling(order)} aria-label={`Cancel order ${orderNumber(order.rowId)}`}>
                        Cancel
                      </Button>
                    </Stack>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </TableContainer>
      </CardContent>
      {cancelling && <CancelOrderDialog order={cancelling} onClose={() => setCancelling(null)} />}
    </Card>
  );
}
