// The cart being rung up: which items, how many, and the discounts asked for, in cents. It holds
// no totals: those come from quoteOrder. Quantities stay within what the database accepts
// (1 to 10000 per line); discounts are checked by the database (BADDS) and shown in words.
import { useReducer } from "react";
import type { CatalogItem, LineInput } from "./queries.ts";

export const MAX_QUANTITY = 10000;

export interface CartLine {
  /** The catalog item's row id (what placeOrder takes). */
  itemId: string;
  name: string;
  sku: string;
  /** Catalog price when added, shown next to the name; the quote prices the line. */
  price: number;
  quantity: number;
  /** Cents off this line. */
  discount: number;
}

export interface Cart {
  lines: CartLine[];
  /** Cents off the whole order. */
  discount: number;
}

export type CartAction =
  | { type: "add"; item: CatalogItem }
  | { type: "increment"; itemId: string }
  | { type: "decrement"; itemId: string }
  | { type: "remove"; itemId: string }
  | { type: "lineDiscount"; itemId: string; cents: number }
  | { type: "orderDiscount"; cents: number }
  | { type: "clear" };

export const emptyCart: Cart = { lines: [], discount: 0 };

function changeLine(cart: Cart, itemId: string, change: (line: CartLine) => CartLine | null): Cart {
  const lines = cart.lines.flatMap((line) => {
    if (line.itemId !== itemId) return [line];
    const next = change(line);
    return next ? [next] : [];
  });
  return { lines, discount: lines.length ? cart.discount : 0 };
}

export function cartReducer(cart: Cart, action: CartAction): Cart {
  switch (action.type) {
    case "add": {
      const { item } = action;
      if (cart.lines.some((l) => l.itemId === item.rowId)) {
        return changeLine(cart, item.rowId, (l) => ({ ...l, quantity: Math.min(l.quantity + 1, MAX_QUANTITY) }));
      }
      const line: CartLine = { itemId: item.rowId, name: item.name, sku: item.sku, price: item.price, quantity: 1, discount: 0 };
      return { ...cart, lines: [...cart.lines, line] };
    }
    case "increment":
      return changeLine(cart, action.itemId, (l) => ({ ...l, quantity: Math.min(l.quantity + 1, MAX_QUANTITY) }));
    case "decrement":
      return changeLine(cart, action.itemId, (l) => (l.quantity > 1 ? { ...l, quantity: l.quantity - 1 } : l));
    case "remove":
      return changeLine(cart, action.itemId, () => null);
    case "lineDiscount":
      return changeLine(cart, action.itemId, (l) => ({ ...l, discount: action.cents }));
    case "orderDiscount":
      return { ...cart, discount: action.cents };
    case "clear":
      return emptyCart;
  }
}

export function useCart() {
  return useReducer(cartReducer, emptyCart);
}

/** The cart as the database takes it (quoteOrder and placeOrder). */
export function cartLines(cart: Cart): LineInput[] {
  return cart.lines.map((l) =>
    l.discount ? { catalog_item_id: l.itemId, quantity: l.quantity, discount: l.discount } : { catalog_item_id: l.itemId, quantity: l.quantity },
  );
}
