// Every queued task checks its payload before it touches the database: each id a task reads
// from it is a short string of letters, digits and underscores (a ULID, a tenant id, a Stripe
// event id), so a malformed job fails loudly instead of doing something with a wrong value.

/** Throws unless each of `fields` of the payload is such an id. */
export function assertIdFields<F extends string>(payload: unknown, task: string, ...fields: F[]): asserts payload is Record<F, string> {
  const p = payload as Record<string, unknown> | null;
  for (const field of fields) {
    if (!p || typeof p !== "object" || Array.isArray(p) || typeof p[field] !== "string" || !/^[0-9A-Za-z_]{1,64}$/.test(p[field] as string)) {
      throw new Error(`${task}: the payload needs a string ${field}, got ${JSON.stringify(payload)}`);
    }
  }
}
