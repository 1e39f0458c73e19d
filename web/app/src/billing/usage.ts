// Usage against a plan's limits: what the billing page draws as bars, and what a smaller plan
// would not allow (the server refuses such a downgrade with DOWNG; this only warns ahead).
import type { Plan, Subscription } from "./queries.ts";

export interface UsageItem {
  key: "seats" | "locations" | "devices";
  label: string;
  /** "5 seats", "1 location" */
  noun: (n: number) => string;
  used: number;
  limit: number;
}

const plural = (one: string, many: string) => (n: number) => `${n} ${n === 1 ? one : many}`;

export function usageOf(sub: Pick<Subscription, "seatsUsed" | "locationsUsed" | "devicesUsed">, plan: Plan): UsageItem[] {
  return [
    { key: "seats", label: "Seats", noun: plural("seat", "seats"), used: sub.seatsUsed ?? 0, limit: plan.maxSeats },
    { key: "locations", label: "Locations", noun: plural("location", "locations"), used: sub.locationsUsed ?? 0, limit: plan.maxLocations },
    { key: "devices", label: "POS devices", noun: plural("POS device", "POS devices"), used: sub.devicesUsed ?? 0, limit: plan.maxDevices },
  ];
}

/** "3 locations (Starter allows 2)" for each limit of `plan` that current usage exceeds. */
export function excessFor(sub: Pick<Subscription, "seatsUsed" | "locationsUsed" | "devicesUsed">, plan: Plan): string[] {
  return usageOf(sub, plan)
    .filter((u) => u.used > u.limit)
    .map((u) => `${u.noun(u.used)} (${plan.name} allows ${u.limit})`);
}
