// Failure injection for API requests. A rule applies to the next `count` requests that
// match its method and path prefix:
//   error_500          answer 500 api_error before doing anything
//   rate_limit         answer 429 rate_limit before doing anything
//   drop               read the request, then destroy the socket without answering
//   drop_after_commit  perform the request (and store its idempotent result), then destroy
//                      the socket: the client cannot know the write happened
// Injected failures happen before the endpoint runs, so (like Stripe) no idempotent result
// is saved for them and a retry with the same key executes normally.

export type FaultKind = 'error_500' | 'rate_limit' | 'drop' | 'drop_after_commit';
export const FAULT_KINDS: readonly FaultKind[] = ['error_500', 'rate_limit', 'drop', 'drop_after_commit'];

export interface FaultRule {
  id: number;
  kind: FaultKind;
  /** Requests left to affect. */
  remaining: number;
  method: string | null;
  pathPrefix: string | null;
}

export interface FaultSpec {
  kind: FaultKind;
  count?: number | undefined;
  method?: string | undefined;
  path?: string | undefined;
}

export class Faults {
  private rules: FaultRule[] = [];
  private nextId = 0;

  add(spec: FaultSpec): FaultRule {
    if (!FAULT_KINDS.includes(spec.kind)) throw new Error(`Unknown fault kind '${String(spec.kind)}'; use one of ${FAULT_KINDS.join(', ')}`);
    const rule: FaultRule = {
      id: ++this.nextId,
      kind: spec.kind,
      remaining: spec.count ?? 1,
      method: spec.method ? spec.method.toUpperCase() : null,
      pathPrefix: spec.path ?? null,
    };
    this.rules.push(rule);
    return { ...rule };
  }

  /** The fault for this request, if any; consumes one use of the first matching rule. */
  take(method: string, path: string): FaultKind | null {
    const rule = this.rules.find(
      (r) => r.remaining > 0 && (!r.method || r.method === method) && (!r.pathPrefix || path.startsWith(r.pathPrefix)),
    );
    if (!rule) return null;
    rule.remaining--;
    if (rule.remaining <= 0) this.rules = this.rules.filter((r) => r !== rule);
    return rule.kind;
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  clear(): void {
    this.rules = [];
  }
}
