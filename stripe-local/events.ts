// Event records: every state change stores an `evt_` object holding a snapshot of
// the object as it was at that moment, then hands it to webhook delivery.
import { newId } from './ids.js';
import type { Clock } from './clock.js';
import type { RequestInfo, State, StripeEvent } from './state.js';

export function snapshot<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Top-level fields that changed, with their previous values (Stripe's `previous_attributes`). */
export function previousAttributes(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, unknown> {
  const previous: Record<string, unknown> = {};
  for (const key of Object.keys(after)) {
    if (!sameJson(before[key], after[key])) previous[key] = before[key] === undefined ? null : snapshot(before[key]);
  }
  return previous;
}

export interface EventSink {
  /** Number of endpoints that will receive the event (the event's `pending_webhooks`). */
  endpointCount(): number;
  enqueue(event: StripeEvent): void;
}

export function createEmitter(state: State, clock: Clock, apiVersion: string, currentRequest: () => RequestInfo, sink: EventSink) {
  return function emit(type: string, object: object, previous?: Record<string, unknown>): StripeEvent {
    const event: StripeEvent = {
      id: newId('evt'),
      object: 'event',
      api_version: apiVersion,
      created: clock.now(),
      data: {
        object: snapshot(object) as Record<string, unknown>,
        ...(previous && Object.keys(previous).length ? { previous_attributes: snapshot(previous) } : {}),
      },
      livemode: false,
      pending_webhooks: sink.endpointCount(),
      request: { ...currentRequest() },
      type,
    };
    state.events.set(event.id, event);
    state.eventOrder.push(event.id);
    sink.enqueue(event);
    return event;
  };
}
