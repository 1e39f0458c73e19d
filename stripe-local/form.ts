// Decoding of `application/x-www-form-urlencoded` bodies and query strings in the
// bracket notation the Stripe SDK produces: `metadata[tenant_id]=t1`,
// `items[0][price]=price_x`, `expand[0]=customer` (and `expand[]=customer` from curl).

export type Param = string | Param[] | ParamHash;
export interface ParamHash {
  [key: string]: Param;
}

const PUSH = '\u0000push';

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** `a[b][0][]` → ['a', 'b', '0', ''] */
function splitKey(key: string): string[] {
  const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
  if (!match) return [key];
  const parts = [match[1]!];
  for (const m of match[2]!.matchAll(/\[([^[\]]*)\]/g)) parts.push(m[1]!);
  return parts;
}

export function parseForm(text: string): ParamHash {
  const root: ParamHash = {};
  let pushCounter = 0;
  for (const pair of text.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const key = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1));
    const parts = splitKey(key);
    let node: ParamHash = root;
    for (let i = 0; i < parts.length; i++) {
      // `[]` appends: give it a unique key that sorts after numeric indexes.
      const part = parts[i] === '' ? `${PUSH}${String(pushCounter++).padStart(8, '0')}` : parts[i]!;
      if (i === parts.length - 1) {
        node[part] = value;
      } else {
        const next = node[part];
        if (typeof next !== 'object' || next === null || Array.isArray(next)) node[part] = {};
        node = node[part] as ParamHash;
      }
    }
  }
  return normalize(root) as ParamHash;
}

/** Hashes whose keys are all indexes become arrays, ordered by index. */
function normalize(value: Param): Param {
  if (typeof value === 'string' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  for (const k of keys) value[k] = normalize(value[k]!);
  const isList = keys.length > 0 && keys.every((k) => /^\d+$/.test(k) || k.startsWith(PUSH));
  if (!isList) return value;
  const numeric = keys.filter((k) => /^\d+$/.test(k)).sort((a, b) => Number(a) - Number(b));
  const pushed = keys.filter((k) => k.startsWith(PUSH)).sort();
  return [...numeric, ...pushed].map((k) => value[k]!);
}

/** Control API bodies may be JSON or form encoded; JSON values are kept as they are. */
export function parseLooseBody(text: string, contentType: string | undefined): Record<string, unknown> {
  if (!text.trim()) return {};
  if ((contentType ?? '').includes('json') || /^\s*[{[]/.test(text)) {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  }
  return parseForm(text);
}
