// The cases, in the order they run and print. The ceiling goes first so the others can read
// their figures against it (ctx.shared: select_tps, insert_tps).
import type { BenchCase } from "../context.ts";
import { ceiling } from "./ceiling.ts";

export const cases: BenchCase[] = [ceiling];
