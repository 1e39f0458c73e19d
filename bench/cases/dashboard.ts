// Row 3 — placeholder until the benchmark is written (it fails loudly rather than print a figure).
import type { BenchCase } from "../context.ts";

export const dashboard: BenchCase = {
  name: "dashboard",
  async run() {
    throw new Error("dashboard benchmark not built yet");
  },
};
