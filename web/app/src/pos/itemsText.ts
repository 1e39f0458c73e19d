// An order's lines in one line of text, for the till's lists: "2 × Latte, Croissant".

export function itemsText(order: { lines: { nodes: { name: string; quantity: number }[] } }): string {
  return order.lines.nodes.map((l) => (l.quantity > 1 ? `${l.quantity} × ${l.name}` : l.name)).join(", ");
}
