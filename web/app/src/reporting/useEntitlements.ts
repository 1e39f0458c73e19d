// Whether the business's plan includes the modules a screen needs, by the rule the database
// applies (app_hidden.has_module: the module is in the modules of the tenant's plan), and if
// not, the cheapest plan that does: a screen shows itself, offers that plan, or hides when no
// plan has it. No plan is named here; the plans' modules say everything.
import { useQuery } from "urql";
import { sortPlans } from "../billing/format.ts";
import { PlanModulesQuery, type PlanModules } from "./queries.ts";

export type Entitlement =
  | { kind: "included" }
  | { kind: "upgrade"; plan: PlanModules }
  | { kind: "unavailable" };

export interface Entitlements {
  /** False while the plan is being read: show neither the screen nor an offer yet. */
  ready: boolean;
  check(modules: readonly string[]): Entitlement;
}

const hasAll = (planModules: readonly (string | null)[], modules: readonly string[]) => modules.every((m) => planModules.includes(m));

export function useEntitlements(): Entitlements {
  // Plans change rarely but a plan change must show at once: read the cache, then the server.
  const [{ data, fetching, error }] = useQuery({ query: PlanModulesQuery, requestPolicy: "cache-and-network" });
  const current = data?.currentPlanModules ?? null;
  const plans = sortPlans(data?.plans?.nodes ?? []);
  return {
    ready: Boolean(data) || (!fetching && Boolean(error)),
    check(modules) {
      // If the plan could not be read, the screen is shown and the server's own check (NOMOD) answers.
      if (!current || hasAll(current, modules)) return { kind: "included" };
      const plan = plans.find((p) => hasAll(p.modules, modules));
      return plan ? { kind: "upgrade", plan } : { kind: "unavailable" };
    },
  };
}
