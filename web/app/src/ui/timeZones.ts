// IANA time zones for select boxes, from the browser, and the browser's own zone as a default.

let cached: string[] | null = null;

export function timeZones(): string[] {
  if (cached) return cached;
  const zones = new Set<string>(Intl.supportedValuesOf("timeZone"));
  zones.add("UTC"); // some browsers leave the canonical UTC out of the list
  const own = browserTimeZone();
  if (own) zones.add(own);
  cached = [...zones].sort();
  return cached;
}

export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}
