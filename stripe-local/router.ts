// Route table: `METHOD /v1/path/:param` patterns mapped to synchronous handlers. Handlers
// run to completion without awaiting, so each API request is atomic with respect to others.
import type { ParamHash } from './form.js';
import type { Ctx } from './state.js';

export interface ApiRequest {
  method: string;
  path: string;
  params: ParamHash;
  pathParams: Record<string, string>;
  ctx: Ctx;
}

export type Handler = (req: ApiRequest) => object;

export interface Route {
  method: string;
  pattern: string;
  handler: Handler;
}

export const route = (method: string, pattern: string, handler: Handler): Route => ({ method, pattern, handler });

interface Compiled extends Route {
  regex: RegExp;
  names: string[];
}

export class Router {
  private routes: Compiled[] = [];

  add(routes: Route[]): this {
    for (const r of routes) {
      const names: string[] = [];
      const source = r.pattern
        .split('/')
        .map((part) => {
          if (!part.startsWith(':')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          names.push(part.slice(1));
          return '([^/]+)';
        })
        .join('/');
      this.routes.push({ ...r, regex: new RegExp(`^${source}/?$`), names });
    }
    return this;
  }

  match(method: string, path: string): { handler: Handler; pathParams: Record<string, string> } | null {
    for (const r of this.routes) {
      if (r.method !== method) continue;
      const m = r.regex.exec(path);
      if (!m) continue;
      const pathParams: Record<string, string> = {};
      r.names.forEach((n, i) => (pathParams[n] = decodeURIComponent(m[i + 1]!)));
      return { handler: r.handler, pathParams };
    }
    return null;
  }
}
