// Row 6 — placeholder until the benchmark is written (it fails loudly rather than print a figure).
import type { BenchCase } from "../context.ts";

export const api: BenchCase = {
  name: "api",
  async run() {
    throw new Error("api benchmark not built yet");
  },
};
