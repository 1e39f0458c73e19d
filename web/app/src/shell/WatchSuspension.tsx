// Notices when the business gets suspended while someone is working: any GraphQL answer of the
// pages below carrying the code TSUSP (db/ERRORS.md) calls `onSuspended`, and the shell then
// re-reads the viewer (whose `currentTenant.status` decides whether the suspended screen shows).
//
// The pages keep using the app's urql client (same cache, same exchanges, same operations): this
// only hands them a view of it (Object.create, so everything else is the client's own) whose
// operations carry a `fetch` (urql's per-operation `context.fetch`) that reads each JSON answer
// before urql does. A one-line `onError` for TSUSP in lib/client.ts would do the same from the
// client itself, and this file could go.
import { useMemo, useRef, type ReactNode } from "react";
import { createRequest, Provider, useClient, type Client } from "urql";

/** Whether a GraphQL response body reports TSUSP. */
function reportsSuspension(body: unknown): boolean {
  const errors = (body as { errors?: unknown } | null)?.errors;
  return Array.isArray(errors) && errors.some((e) => (e as { extensions?: { code?: unknown } })?.extensions?.code === "TSUSP");
}

export function WatchSuspension({ onSuspended, children }: { onSuspended(): void; children: ReactNode }) {
  const parent = useClient();
  const callback = useRef(onSuspended);
  callback.current = onSuspended;
  const client = useMemo(() => {
    let last = 0;
    const watchedFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!(response.headers.get("content-type") ?? "").includes("json")) return response;
      // Read here (urql aborts the request once it has its result, which would cut a clone off)
      // and hand urql the same answer.
      const text = await response.text();
      try {
        // Several queries of one page fail together: re-read the viewer once.
        if (reportsSuspension(JSON.parse(text)) && Date.now() - last > 2000) {
          last = Date.now();
          callback.current();
        }
      } catch {
        // Not JSON after all: urql reports it.
      }
      return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
    };
    // Everything else (cache, reexecution, teardown) is the app client's own.
    const view: Client = Object.create(parent);
    view.executeQuery = (query, opts) => parent.executeQuery(query, { ...opts, fetch: watchedFetch });
    view.executeMutation = (query, opts) => parent.executeMutation(query, { ...opts, fetch: watchedFetch });
    view.executeSubscription = (query, opts) => parent.executeSubscription(query, { ...opts, fetch: watchedFetch });
    view.query = (query, variables, context) => view.executeQuery(createRequest(query, variables), context);
    view.mutation = (query, variables, context) => view.executeMutation(createRequest(query, variables), context);
    return view;
  }, [parent]);
  return <Provider value={client}>{children}</Provider>;
}
