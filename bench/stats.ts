// Percentiles and a fixed-width table for the benchmark report.
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * A ratio measured in rounds, as the table prints it: the figure (the given overall one, else the
 * median of the rounds) and its spread, "0.720 (rounds 0.670–0.760)".
 */
export function overRounds(perRound: number[], opts: { digits?: number; suffix?: string; overall?: number } = {}): string {
  const { digits = 3, suffix = "" } = opts;
  const f = (x: number) => `${x.toFixed(digits)}${suffix}`;
  const figure = f(opts.overall ?? median(perRound));
  if (perRound.length < 2) return figure;
  return `${figure} (rounds ${Math.min(...perRound).toFixed(digits)}–${f(Math.max(...perRound))})`;
}

export interface Row {
  figure: string;
  value: string;
  target: string;
  reference: string;
  ratio: string;
}

export function printTable(rows: Row[]): void {
  const head: Row = { figure: "figure", value: "measured", target: "target", reference: "reference (same run)", ratio: "ratio" };
  const all = [head, ...rows];
  const keys = Object.keys(head) as (keyof Row)[];
  const width = Object.fromEntries(keys.map((k) => [k, Math.max(...all.map((r) => r[k].length))])) as Record<keyof Row, number>;
  const line = (r: Row) => "| " + keys.map((k) => r[k].padEnd(width[k])).join(" | ") + " |";
  console.log(line(head));
  console.log("|" + keys.map((k) => "-".repeat(width[k] + 2)).join("|") + "|");
  for (const r of rows) console.log(line(r));
}

/** Runs fn repeatedly from `clients` concurrent loops for `ms`; returns each call's latency in ms. */
export async function load(clients: number, ms: number, fn: (client: number) => Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  const end = Date.now() + ms;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      while (Date.now() < end) {
        const t = performance.now();
        await fn(c);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return latencies.sort((a, b) => a - b);
}
