// Row 1 — placeholder until the benchmark is written (it fails loudly rather than print a figure).
import type { BenchCase } from "../context.ts";

export const search: BenchCase = {
  name: "search",
  async run() {
    throw new Error("search benchmark not built yet");
  },
};
