// Stripe list pagination: newest first, `limit` 1..100 (default 10), cursors
// `starting_after` / `ending_before`, and `created` filters (exact or gt/gte/lt/lte).
import { errors } from './errors.js';
import type { ParamHash } from './form.js';
import { optHash, optInt, optString } from './params.js';

export interface Listed {
  id: string;
  seq: number;
  created: number;
}

export interface ApiList<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

export const LIST_PARAMS = ['limit', 'starting_after', 'ending_before', 'created'];

export function newestFirst<T extends Listed>(records: Iterable<T>): T[] {
  return [...records].sort((a, b) => b.created - a.created || b.seq - a.seq);
}

export function matchesCreated(params: ParamHash, created: number, key = 'created'): boolean {
  const exact = params[key];
  if (exact === undefined) return true;
  if (typeof exact === 'string') {
    const value = optInt(params, key);
    return created === value;
  }
  const range = optHash(params, key) ?? {};
  const bound = (op: string) => optInt(range, op, key);
  const gt = bound('gt'), gte = bound('gte'), lt = bound('lt'), lte = bound('lte');
  return (
    (gt === undefined || created > gt) &&
    (gte === undefined || created >= gte) &&
    (lt === undefined || created < lt) &&
    (lte === undefined || created <= lte)
  );
}

export function paginate<T extends Listed, R>(
  records: T[],
  params: ParamHash,
  url: string,
  render: (record: T) => R,
  kind = 'object',
): ApiList<R> {
  const limit = optInt(params, 'limit') ?? 10;
  if (limit < 1 || limit > 100) throw errors.invalidValue('limit', 'This value must be greater than or equal to 1 and less than or equal to 100.');
  const filtered = newestFirst(records.filter((r) => matchesCreated(params, r.created)));
  const startingAfter = optString(params, 'starting_after');
  const endingBefore = optString(params, 'ending_before');
  let page: T[];
  let hasMore: boolean;
  if (startingAfter) {
    const index = filtered.findIndex((r) => r.id === startingAfter);
    if (index < 0) throw errors.noSuch(kind, startingAfter, 'starting_after');
    const rest = filtered.slice(index + 1);
    page = rest.slice(0, limit);
    hasMore = rest.length > limit;
  } else if (endingBefore) {
    const index = filtered.findIndex((r) => r.id === endingBefore);
    if (index < 0) throw errors.noSuch(kind, endingBefore, 'ending_before');
    const before = filtered.slice(0, index);
    page = before.slice(Math.max(0, before.length - limit));
    hasMore = before.length > limit;
  } else {
    page = filtered.slice(0, limit);
    hasMore = filtered.length > limit;
  }
  return { object: 'list', data: page.map(render), has_more: hasMore, url };
}

/** A list embedded in another object (subscription items, invoice lines). */
export function embeddedList<T>(data: T[], url: string, total = data.length): ApiList<T> & { total_count: number } {
  return { object: 'list', data, has_more: total > data.length, total_count: total, url };
}
