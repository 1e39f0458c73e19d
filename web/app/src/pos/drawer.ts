// How a drawer's count reads, on the till and in the Drawer report: "$0.50 short", "$1.00 over",
// "Balanced".

type Format = (amount: number) => string;

export function differenceText(difference: number, format: Format): string {
  if (difference === 0) return "Balanced";
  return difference < 0 ? `${format(-difference)} short` : `${format(difference)} over`;
}
