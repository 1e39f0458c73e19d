// The cases, in the order they run and print. The ceiling goes first so the others can read
// their figures against it (ctx.shared: select_tps, insert_tps).
import type { BenchCase } from "../context.ts";
import { api } from "./api.ts";
import { capacity } from "./capacity.ts";
import { ceiling } from "./ceiling.ts";
import { dashboard } from "./dashboard.ts";
import { exportCsv } from "./export.ts";
import { firstPage } from "./first-page.ts";
import { customerImport } from "./import.ts";
import { ingestion } from "./ingestion.ts";
import { rebuild } from "./rebuild.ts";
import { search } from "./search.ts";
import { sms } from "./sms.ts";
import { webhooks } from "./webhooks.ts";

export const cases: BenchCase[] = [ceiling, search, dashboard, rebuild, api, ingestion, exportCsv, webhooks, firstPage, customerImport, sms, capacity];
