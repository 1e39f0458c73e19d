// The sale being rung up: lines with quantity +/−, an optional discount per line and on the
// whole order, and the totals exactly as the database computes them (quoteOrder). "Charge"
// places the order; the page then takes the payment.
import {
  Alert,
  Box,
  Button,
  Card,
  CardContent,
  Divider,
  IconButton,
  Stack,
  Tooltip,
  Typography,
} from "@mui/material";
import { useState, type Dispatch } from "react";
import { errorMessage } from "../lib/errors.ts";
import type { Cart, CartAction, CartLine } from "./cart.ts";
import { MAX_QUANTITY } from "./cart.ts";
import { CartCustomer } from "./CartCustomer.tsx";
import { CloseIcon, DiscountIcon, MinusIcon, PlusIcon } from "../ui/icons.tsx";
import { MoneyField } from "./MoneyField.tsx";
import { taxLabel } from "./tax.ts";
import type { QuotedLine } from "./queries.ts";
import type { QuoteState } from "./useQuote.ts";
import { useMoney } from "../ui/useMoney.ts";
import { bpsToPercent } from "../ui/percent.ts";

interface Props {
  cart: Cart;
  dispatch: Dispatch<CartAction>;
  quote: QuoteState;
  customerId: string | null;
  onCustomerChange(customerId: string | null): void;
  canCharge: boolean;
  charging: boolean;
  chargeError: string | null;
  onCharge(): void;
}

export function CartPanel({ cart, dispatch, quote, customerId, onCustomerChange, canCharge, charging, chargeError, onCharge }: Props) {
  const money = useMoney();
  const q = quote.quote;
  const quoted = new Map<string, QuotedLine>((q?.lines ?? []).map((l) => [l.catalog_item_id, l]));
  // Totals not (yet) for the cart as it is: dimmed until the database has priced it.
  const stale = cart.lines.length > 0 && !quote.current;
  const ready = canCharge && quote.current && !charging && cart.lines.length > 0;

  return (
    <Card sx={{ position: { md: "sticky" }, top: { md: 88 } }}>
      <CardContent>
        <Stack direction="row" spacing={1} sx={{ alignItems: "center", justifyContent: "space-between", mb: 1.5 }}>
          <Typography variant="h6" component="h2">
            Current sale
          </Typography>
          <CartCustomer customerId={customerId} onChange={onCustomerChange} disabled={charging} />
        </Stack>
        <Divider />

        {cart.lines.length === 0 ? (
          <Typography color="text.secondary" sx={{ py: 5, textAlign: "center" }}>
            Tap an item to add it to the sale.
          </Typography>
        ) : (
          <Box component="ul" aria-label="Cart" sx={{ listStyle: "none", p: 0, m: 0 }}>
            {cart.lines.map((line) => (
              <CartLineRow
                key={line.itemId}
                line={line}
                quoted={quoted.get(line.itemId)}
                taxIncluded={Boolean(q?.taxInclusive)}
                dispatch={dispatch}
                disabled={charging}
              />
            ))}
          </Box>
        )}

        {cart.lines.length > 0 && (
          <>
            <Divider />
            <Stack direction="row" spacing={2} sx={{ alignItems: "center", justifyContent: "space-between", py: 1.5 }}>
              <Typography variant="body2" color="text.secondary">
                Discount on the whole sale
              </Typography>
              <MoneyField
                label="Order discount"
                size="small"
                cents={cart.discount}
                onCents={(cents) => dispatch({ type: "orderDiscount", cents })}
                disabled={charging}
                sx={{ width: 140 }}
                fullWidth={false}
              />
            </Stack>
            <Divider />
            <Box
              aria-label="Totals"
              aria-busy={stale && !quote.error}
              role="group"
              sx={{ py: 1.5, opacity: stale ? 0.45 : 1, transition: "opacity 120ms" }}
            >
              {/* Prices that include the tax: the lines show what is paid, and the total the tax it holds (below). */}
              {!q?.taxInclusive && (
                <>
                  <TotalRow label="Subtotal" value={money.format(q?.subtotal)} testId="cart-subtotal" />
                  {(q?.discountTotal ?? 0) - (q?.tierDiscount ?? 0) > 0 && (
                    <TotalRow label="Discount" value={`−${money.format((q?.discountTotal ?? 0) - (q?.tierDiscount ?? 0))}`} testId="cart-discount" />
                  )}
                  {q?.tierName && <TierDiscountRow quote={q} />}
                  <TotalRow label={q ? taxLabel(q) : "Tax"} value={money.format(q?.taxTotal)} testId="cart-tax" />
                </>
              )}
              <Stack direction="row" sx={{ justifyContent: "space-between", alignItems: "baseline", mt: 1 }}>
                <Typography variant="h6" component="p">
                  Total
                </Typography>
                <Typography variant="h5" component="p" data-testid="cart-total">
                  {money.format(q?.total)}
                </Typography>
              </Stack>
              {q?.taxInclusive && q.tierName && <TierDiscountRow quote={q} />}
              {q?.taxInclusive && <TotalRow label={taxLabel(q)} value={money.format(q.taxTotal)} testId="cart-tax" />}
            </Box>
          </>
        )}

        {quote.error && (
          <Alert severity="warning" sx={{ mb: 1.5 }}>
            {errorMessage(quote.error)}
          </Alert>
        )}
        {chargeError && (
          <Alert severity="error" sx={{ mb: 1.5 }}>
            {chargeError}
          </Alert>
        )}

        <Stack spacing={1} sx={{ mt: cart.lines.length ? 0 : 1 }}>
          <Button variant="contained" size="large" disabled={!ready} loading={charging} onClick={onCharge} fullWidth>
            {q && cart.lines.length && !quote.error ? `Charge ${money.format(q.total)}` : "Charge"}
          </Button>
          {cart.lines.length > 0 && (
            <Button color="inherit" onClick={() => dispatch({ type: "clear" })} disabled={charging}>
              Clear sale
            </Button>
          )}
        </Stack>
      </CardContent>
    </Card>
  );
}

/** The customer's tier discount, its own line (named with the tier), as the database took it off. */
function TierDiscountRow({ quote }: { quote: { tierName: string | null; tierDiscountBps: number | null; tierDiscount: number | null } }) {
  const money = useMoney();
  return (
    <TotalRow
      label={`${quote.tierName} discount (${bpsToPercent(quote.tierDiscountBps ?? 0)}%)`}
      value={`−${money.format(quote.tierDiscount)}`}
      testId="cart-tier-discount"
    />
  );
}

function TotalRow({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <Stack direction="row" sx={{ justifyContent: "space-between", py: 0.25 }}>
      <Typography color="text.secondary">{label}</Typography>
      <Typography data-testid={testId}>{value}</Typography>
    </Stack>
  );
}

function CartLineRow({
  line,
  quoted,
  taxIncluded,
  dispatch,
  disabled,
}: {
  line: CartLine;
  quoted: QuotedLine | undefined;
  /** The prices include the tax: the line shows what is paid for it (discounts off, tax in). */
  taxIncluded: boolean;
  dispatch: Dispatch<CartAction>;
  disabled: boolean;
}) {
  const money = useMoney();
  const [discountOpen, setDiscountOpen] = useState(line.discount > 0);
  const id = line.itemId;
  return (
    <Box component="li" aria-label={line.name} sx={{ py: 1.25, borderBottom: 1, borderColor: "divider", "&:last-of-type": { borderBottom: 0 } }}>
      <Stack direction="row" spacing={1} sx={{ alignItems: "flex-start", justifyContent: "space-between" }}>
        <Box sx={{ minWidth: 0 }}>
          <Typography sx={{ fontWeight: 600 }} noWrap>
            {line.name}
          </Typography>
          <Typography variant="caption" color="text.secondary">
            {line.sku} · {money.format(line.price)} each
          </Typography>
        </Box>
        <Box sx={{ textAlign: "right", flexShrink: 0 }}>
          <Typography data-testid="line-amount">{quoted ? money.format(taxIncluded ? quoted.total : quoted.subtotal) : "…"}</Typography>
          {quoted && !taxIncluded && quoted.line_discount > 0 && (
            <Typography variant="caption" color="success.main">
              −{money.format(quoted.line_discount)}
            </Typography>
          )}
        </Box>
      </Stack>
      <Stack direction="row" spacing={0.5} sx={{ alignItems: "center", mt: 0.5 }}>
        <IconButton
          size="small"
          aria-label={`One less ${line.name}`}
          onClick={() => dispatch({ type: "decrement", itemId: id })}
          disabled={disabled || line.quantity <= 1}
        >
          <MinusIcon fontSize="small" />
        </IconButton>
        <Typography aria-label={`Quantity of ${line.name}`} sx={{ minWidth: 28, textAlign: "center", fontWeight: 600 }}>
          {line.quantity}
        </Typography>
        <IconButton
          size="small"
          aria-label={`One more ${line.name}`}
          onClick={() => dispatch({ type: "increment", itemId: id })}
          disabled={disabled || line.quantity >= MAX_QUANTITY}
        >
          <PlusIcon fontSize="small" />
        </IconButton>
        <Box sx={{ flexGrow: 1 }} />
        <Tooltip title="Discount on this line">
          <IconButton
            size="small"
            aria-label={`Discount on ${line.name}`}
            aria-pressed={discountOpen}
            color={discountOpen ? "primary" : "default"}
            onClick={() => {
              if (discountOpen) dispatch({ type: "lineDiscount", itemId: id, cents: 0 });
              setDiscountOpen(!discountOpen);
            }}
            disabled={disabled}
          >
            <DiscountIcon fontSize="small" />
          </IconButton>
        </Tooltip>
        <Tooltip title="Remove from the sale">
          <IconButton
            size="small"
            aria-label={`Remove ${line.name}`}
            onClick={() => dispatch({ type: "remove", itemId: id })}
            disabled={disabled}
          >
            <CloseIcon fontSize="small" />
          </IconButton>
        </Tooltip>
      </Stack>
      {discountOpen && (
        <MoneyField
          label={`Line discount for ${line.name}`}
          size="small"
          cents={line.discount}
          onCents={(cents) => dispatch({ type: "lineDiscount", itemId: id, cents })}
          disabled={disabled}
          autoFocus
          helperText="Amount off this line."
          sx={{ mt: 1 }}
        />
      )}
    </Box>
  );
}
