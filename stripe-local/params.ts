// Typed readers for decoded form parameters. Every value arrives as a string; these
// coerce and validate like Stripe does, throwing errors in Stripe's shape.
import { errors } from './errors.js';
import type { Param, ParamHash } from './form.js';

export type Metadata = Record<string, string>;

/** Rejects parameters the endpoint does not know (Stripe: `parameter_unknown`). */
export function allowOnly(params: ParamHash, allowed: readonly string[], prefix = ''): void {
  for (const key of Object.keys(params)) {
    if (key === 'expand' && !prefix) continue;
    if (!allowed.includes(key)) throw errors.unknownParam(prefix ? `${prefix}[${key}]` : key);
  }
}

function name(key: string, prefix: string): string {
  return prefix ? `${prefix}[${key}]` : key;
}

export function optString(params: ParamHash, key: string, prefix = ''): string | undefined {
  const value = params[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw errors.invalidString(name(key, prefix));
  return value;
}

export function reqString(params: ParamHash, key: string, prefix = ''): string {
  const value = optString(params, key, prefix);
  if (value === undefined || value === '') throw errors.missingParam(name(key, prefix));
  return value;
}

/** `''` means "unset" for Emptyable parameters; returns null in that case. */
export function optNullableString(params: ParamHash, key: string, prefix = ''): string | null | undefined {
  const value = optString(params, key, prefix);
  return value === '' ? null : value;
}

export function optInt(params: ParamHash, key: string, prefix = ''): number | undefined {
  const value = optString(params, key, prefix);
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw errors.invalidInteger(name(key, prefix), value);
  return Number(value);
}

export function optBool(params: ParamHash, key: string, prefix = ''): boolean | undefined {
  const value = optString(params, key, prefix);
  if (value === undefined) return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw errors.invalidBoolean(name(key, prefix), value);
}

export function optHash(params: ParamHash, key: string, prefix = ''): ParamHash | undefined {
  const value = params[key];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw errors.invalidHash(name(key, prefix));
  return value;
}

export function optArray(params: ParamHash, key: string, prefix = ''): Param[] | undefined {
  const value = params[key];
  if (value === undefined) return undefined;
  if (value === '') return [];
  if (!Array.isArray(value)) throw errors.invalidArray(name(key, prefix));
  return value;
}

export function optStringArray(params: ParamHash, key: string, prefix = ''): string[] | undefined {
  const list = optArray(params, key, prefix);
  if (!list) return undefined;
  return list.map((item, i) => {
    if (typeof item !== 'string') throw errors.invalidString(`${name(key, prefix)}[${i}]`);
    return item;
  });
}

/** Array of hashes such as `items[0][price]`; each element is checked to be a hash. */
export function optHashArray(params: ParamHash, key: string): ParamHash[] | undefined {
  const list = optArray(params, key);
  if (!list) return undefined;
  return list.map((item, i) => {
    if (typeof item !== 'object' || Array.isArray(item)) throw errors.invalidHash(`${key}[${i}]`);
    return item;
  });
}

export function expandList(params: ParamHash): string[] {
  return optStringArray(params, 'expand') ?? [];
}

/**
 * Applies a `metadata` parameter to existing metadata the way Stripe does: keys are merged,
 * a key set to '' is removed, and `metadata=''` clears everything.
 */
export function applyMetadata(current: Metadata, params: ParamHash, key = 'metadata', prefix = ''): Metadata {
  const value = params[key];
  if (value === undefined) return current;
  if (value === '') return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw errors.invalidHash(name(key, prefix));
  const next: Metadata = { ...current };
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw errors.invalidString(`${name(key, prefix)}[${k}]`);
    if (k.length > 40) throw errors.invalidValue(`${name(key, prefix)}[${k}]`, 'Metadata keys can have a maximum length of 40 characters.');
    if (v.length > 500) throw errors.invalidValue(`${name(key, prefix)}[${k}]`, 'Metadata values can have a maximum length of 500 characters.');
    if (v === '') delete next[k];
    else next[k] = v;
  }
  if (Object.keys(next).length > 50) throw errors.invalidValue(name(key, prefix), 'Metadata can have a maximum of 50 keys.');
  return next;
}
