// POS: ring up a sale at a location. Items on the left, the sale on the right with totals the
// database computes. "Charge" opens the order and takes the payment (cash with change, or card);
// the payment that covers the total makes it a sale, then the receipt shows. An order left
// before that stays open — not a sale — in "Open orders", to resume or cancel. The cash drawer
// of the location (open with a float, cash in/out, close with a count) and today's sales at the
// location sit below, with voids and refunds for managers. Needs sales.sell; voids and refunds
// need sales.void; adding items needs catalog.manage.
import { Alert, Grid, Stack } from "@mui/material";
import { useCallback, useEffect, useState } from "react";
import { useMutation, useQuery } from "urql";
import { errorMessage } from "../lib/errors.ts";
import { useCan, useViewer } from "../shell/ViewerContext.tsx";
import { Loading } from "../ui/Loading.tsx";
import { NotAllowed } from "../ui/NotAllowed.tsx";
import { PageHeader } from "../ui/PageHeader.tsx";
import { cartLines, useCart } from "./cart.ts";
import { CartLoyaltyPoints } from "./CartLoyaltyPoints.tsx";
import { CartPanel } from "./CartPanel.tsx";
import { CashDrawerCard } from "./CashDrawerCard.tsx";
import { ItemsPanel } from "./ItemsPanel.tsx";
import { LocationPicker, useStoredLocation } from "./LocationPicker.tsx";
import { OpenOrders } from "./OpenOrders.tsx";
import { PaymentDialog } from "./PaymentDialog.tsx";
import { PlaceOrderMutation, PosLocationsQuery, type CatalogItem, type OrderSummary } from "./queries.ts";
import { ReceiptDialog } from "./ReceiptDialog.tsx";
import { RecentOrders } from "./RecentOrders.tsx";
import { useQuote } from "./useQuote.ts";

const TITLE = "Point of sale";

export function PosPage() {
  const canSell = useCan("sales.sell");
  if (!canSell) {
    return (
      <>
        <PageHeader title={TITLE} />
        <NotAllowed what="selling at the point of sale" />
      </>
    );
  }
  return <Till />;
}

function Till() {
  const { tenant } = useViewer();
  const canVoid = useCan("sales.void");
  const canManageCatalog = useCan("catalog.manage");

  const [{ data, error, fetching }] = useQuery({ query: PosLocationsQuery });
  const locations = data?.locations?.nodes;
  const [location, chooseLocation] = useStoredLocation(tenant?.rowId ?? "none", locations);

  const [cart, dispatch] = useCart();
  // Filled by the customers module through <CartCustomer> (see CartCustomer.tsx).
  const [customerId, setCustomerId] = useState<string | null>(null);
  // The loyalty reward the attached customer redeems on this sale (CartLoyaltyPoints.tsx).
  const [rewardId, setRewardId] = useState<string | null>(null);
  useEffect(() => setRewardId(null), [customerId]);
  const quote = useQuote(cart, location?.rowId ?? "", customerId, rewardId);

  const [{ fetching: placing }, placeOrder] = useMutation(PlaceOrderMutation);
  const [chargeError, setChargeError] = useState<string | null>(null);
  const [paying, setPaying] = useState<{ order: OrderSummary; newSale: boolean } | null>(null);
  const [receiptOf, setReceiptOf] = useState<string | null>(null);

  const add = useCallback(
    (item: CatalogItem) => {
      setChargeError(null);
      dispatch({ type: "add", item });
    },
    [dispatch],
  );

  async function charge() {
    if (!location) return;
    setChargeError(null);
    const result = await placeOrder({ locationId: location.rowId, lines: cartLines(cart), discount: cart.discount, customerId, loyaltyRewardId: rewardId });
    const order = result.data?.placeOrder?.order;
    if (result.error || !order) return setChargeError(result.error ? errorMessage(result.error) : "The sale was not recorded.");
    // The order exists now (open until paid): the cart is done with, whatever happens to the payment.
    dispatch({ type: "clear" });
    setCustomerId(null);
    setPaying({ order, newSale: true });
  }

  const header = (
    <PageHeader
      title={TITLE}
      subtitle={location ? `Selling at ${location.name}.` : "Ring up sales and take payments."}
      action={
        locations && locations.length > 0 ? (
          <LocationPicker locations={locations} value={location} onChange={chooseLocation} disabled={placing} />
        ) : undefined
      }
    />
  );

  if (!data && fetching) return (<>{header}<Loading /></>);
  if (error) return (<>{header}<Alert severity="error">{errorMessage(error)}</Alert></>);
  if (!location) {
    return (
      <>
        {header}
        <Alert severity="info">This business has no location yet. Add one in Settings to start selling.</Alert>
      </>
    );
  }

  return (
    <>
      {header}
      <Stack spacing={3}>
        <Grid container spacing={3} sx={{ alignItems: "flex-start" }}>
          <Grid size={{ xs: 12, md: 7 }}>
            <ItemsPanel canManageCatalog={canManageCatalog} onAdd={add} />
          </Grid>
          <Grid size={{ xs: 12, md: 5 }}>
            <CartPanel
              cart={cart}
              dispatch={dispatch}
              quote={quote}
              customerId={customerId}
              onCustomerChange={setCustomerId}
              canCharge={Boolean(location)}
              charging={placing}
              chargeError={chargeError}
              onCharge={() => void charge()}
            />
            <CartLoyaltyPoints customerId={customerId} rewardId={rewardId} onRewardChange={setRewardId} />
          </Grid>
        </Grid>
        <CashDrawerCard location={location} />
        <OpenOrders location={location} onResume={(order) => setPaying({ order, newSale: false })} />
        <RecentOrders
          location={location}
          canVoid={canVoid}
          onReceipt={(order) => setReceiptOf(order.id)}
          onTakePayment={(order) => setPaying({ order, newSale: false })}
        />
      </Stack>
      {paying && (
        <PaymentDialog
          key={paying.order.id}
          order={paying.order}
          doneLabel={paying.newSale ? "New sale" : "Close"}
          onDone={() => setPaying(null)}
          onLeave={() => setPaying(null)}
        />
      )}
      {receiptOf && <ReceiptDialog orderId={receiptOf} onClose={() => setReceiptOf(null)} />}
    </>
  );
}
