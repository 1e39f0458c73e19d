// Idempotency keys, as Stripe implements them for POST requests: the first response
// (status and body) is stored under the key and replayed for later requests with the
// same key and parameters, marked `Idempotent-Replayed: true`. Reusing a key for another
// endpoint or other parameters is a 400 `idempotency_error`. Keys expire after 24 hours.
import { errors, type ApiError } from './errors.js';
import type { ParamHash } from './form.js';

export interface StoredResponse {
  method: string;
  path: string;
  fingerprint: string;
  status: number;
  body: string;
  requestId: string;
  storedAt: number;
}

const KEY_TTL_SECONDS = 24 * 3600;

function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.keys(value as object)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

export function fingerprint(params: ParamHash): string {
  return canonical(params);
}

export type Lookup = { kind: 'new' } | { kind: 'replay'; stored: StoredResponse } | { kind: 'conflict'; error: ApiError };

export class IdempotencyStore {
  private entries = new Map<string, StoredResponse>();

  lookup(key: string, method: string, path: string, params: ParamHash, now: number): Lookup {
    if (key.length > 255) {
      return { kind: 'conflict', error: errors.invalidRequest('Invalid idempotency key: keys must be at most 255 characters long.') };
    }
    const stored = this.entries.get(key);
    if (!stored || now - stored.storedAt > KEY_TTL_SECONDS) return { kind: 'new' };
    if (stored.method !== method || stored.path !== path) {
      return {
        kind: 'conflict',
        error: errors.idempotency(
          `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${stored.method} ${stored.path}' vs '${method} ${path}'). Try using a key other than '${key}' if you meant to execute a different request.`,
        ),
      };
    }
    if (stored.fingerprint !== fingerprint(params)) {
      return {
        kind: 'conflict',
        error: errors.idempotency(
          `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
        ),
      };
    }
    return { kind: 'replay', stored };
  }

  save(key: string, response: StoredResponse): void {
    this.entries.set(key, response);
  }

  clear(): void {
    this.entries.clear();
  }
}
