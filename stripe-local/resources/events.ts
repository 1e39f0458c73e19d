// Events: retrieve and list (filters `type` with `*` wildcards, `types[]`, `created`).
import { errors } from '../errors.js';
import { snapshot } from '../events.js';
import { LIST_PARAMS, paginate } from '../list.js';
import { allowOnly, optString, optStringArray } from '../params.js';
import { route, type Route } from '../router.js';
import type { Ctx, StripeEvent } from '../state.js';

function typeMatcher(pattern: string): (type: string) => boolean {
  const regex = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^.]*')}$`);
  return (type) => regex.test(type);
}

export function getEvent(ctx: Ctx, id: string): StripeEvent {
  const event = ctx.state.events.get(id);
  if (!event) throw errors.noSuch('event', id);
  return event;
}

export const eventRoutes: Route[] = [
  route('GET', '/v1/events/:id', ({ ctx, pathParams }) => snapshot(getEvent(ctx, pathParams.id!))),
  route('GET', '/v1/events', ({ ctx, params }) => {
    allowOnly(params, [...LIST_PARAMS, 'type', 'types', 'delivery_success']);
    const type = optString(params, 'type');
    const types = optStringArray(params, 'types');
    if (type && types) throw errors.invalidRequest('You may only specify one of these parameters: type, types.', { param: 'type' });
    const matchers = (types ?? (type ? [type] : [])).map(typeMatcher);
    const records = ctx.state.eventOrder
      .map((id, index) => ({ id, seq: index, event: ctx.state.events.get(id)! }))
      .map((r) => ({ ...r, created: r.event.created }))
      .filter((r) => matchers.length === 0 || matchers.some((m) => m(r.event.type)));
    return paginate(records, params, '/v1/events', (r) => snapshot(r.event), 'event');
  }),
];
