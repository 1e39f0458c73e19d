// Prices the cart in the database (quoteOrder, with the tax rate of the location selling it and
// the tier discount of the customer attached, and the loyalty reward they redeem)
// whenever it changes, a moment after the last change so that a run of taps makes one request. `current` says whether the quote shown is for
// the cart as it is now; until it is, the page shows the previous totals dimmed and does not
// charge.
import { useEffect, useMemo, useRef, useState } from "react";
import { useQuery, type CombinedError } from "urql";
import { cartLines, type Cart } from "./cart.ts";
import { QuoteOrderQuery, type LineInput, type OrderQuote } from "./queries.ts";

const DEBOUNCE_MS = 150;

export interface QuoteState {
  quote: OrderQuote | null;
  error: CombinedError | null;
  current: boolean;
}

export function useQuote(cart: Cart, locationId: string, customerId: string | null = null, loyaltyRewardId: string | null = null): QuoteState {
  const key = useMemo(
    () => JSON.stringify({ lines: cartLines(cart), discount: cart.discount, locationId, customerId, loyaltyRewardId }),
    [cart, locationId, customerId, loyaltyRewardId],
  );
  const [asked, setAsked] = useState(key);
  useEffect(() => {
    if (key === asked) return;
    const timer = setTimeout(() => setAsked(key), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [key, asked]);

  const variables = useMemo(() => JSON.parse(asked) as { lines: LineInput[]; discount: number; locationId: string; customerId: string | null; loyaltyRewardId: string | null }, [asked]);
  const empty = variables.lines.length === 0 || !variables.locationId;
  const [{ data, error, fetching, operation }] = useQuery({
    query: QuoteOrderQuery,
    variables,
    pause: empty,
    // Prices and the tax rate can change between two sales: always ask.
    requestPolicy: "network-only",
  });

  const answeredKey = operation
    ? JSON.stringify({
        lines: operation.variables.lines,
        discount: operation.variables.discount,
        locationId: operation.variables.locationId,
        customerId: operation.variables.customerId ?? null,
        loyaltyRewardId: operation.variables.loyaltyRewardId ?? null,
      })
    : null;
  const answered = !fetching && answeredKey === asked && !empty;

  // The last quote the database gave, shown (dimmed) while the next one is on its way.
  const last = useRef<OrderQuote | null>(null);
  if (answered && data?.quoteOrder) last.current = data.quoteOrder as OrderQuote; // its lines: the JSON the database built
  if (cart.lines.length === 0) last.current = null;

  return {
    quote: last.current,
    error: answered && error ? error : null,
    current: answered && key === asked && !error && Boolean(data?.quoteOrder),
  };
}
