// Row 4 — placeholder until the benchmark is written (it fails loudly rather than print a figure).
import type { BenchCase } from "../context.ts";

export const rebuild: BenchCase = {
  name: "rebuild",
  async run() {
    throw new Error("rebuild benchmark not built yet");
  },
};
