// Row 2 — placeholder until the benchmark is written (it fails loudly rather than print a figure).
import type { BenchCase } from "../context.ts";

export const ingestion: BenchCase = {
  name: "ingestion",
  async run() {
    throw new Error("ingestion benchmark not built yet");
  },
};
