// Usage against a plan's limits, as the billing page draws it in bars. Whether usage allows a
// move to another plan is the server's to say (Plan.changeProblem, the DOWNG rule), not this.
import type { Plan, Subscription } from "./queries.ts";

export interface UsageItem {
  key: "seats" | "locations" | "devices";
  label: string;
  used: number;
  limit: number;
}

export function usageOf(sub: Pick<Subscription, "seatsUsed" | "locationsUsed" | "devicesUsed">, plan: Plan): UsageItem[] {
  return [
    { key: "seats", label: "Seats", used: sub.seatsUsed ?? 0, limit: plan.maxSeats },
    { key: "locations", label: "Locations", used: sub.locationsUsed ?? 0, limit: plan.maxLocations },
    { key: "devices", label: "POS devices", used: sub.devicesUsed ?? 0, limit: plan.maxDevices },
  ];
}
