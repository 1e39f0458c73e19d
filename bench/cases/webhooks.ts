// Row 7 — placeholder until the benchmark is written (it fails loudly rather than print a figure).
import type { BenchCase } from "../context.ts";

export const webhooks: BenchCase = {
  name: "webhooks",
  async run() {
    throw new Error("webhooks benchmark not built yet");
  },
};
