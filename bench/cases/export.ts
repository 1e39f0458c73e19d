// Row 5 — placeholder until the benchmark is written (it fails loudly rather than print a figure).
import type { BenchCase } from "../context.ts";

export const exportCsv: BenchCase = {
  name: "export",
  async run() {
    throw new Error("export benchmark not built yet");
  },
};
