// Asking Stripe for something from the admin: the mutation records a request and queues a worker
// job; this polls the request until the job has finished (done, with the portal URL, or failed,
// with a message for the person). The portal is then opened in this tab. A refusal is what the
// server said (ServerError: its code, and the input it is about, such as the reason of a plan
// change), so a form can place it.
import { useCallback, useEffect, useRef, useState } from "react";
import { useClient } from "urql";
import { serverError, type ServerError } from "../lib/errors.ts";
import { BillingRequestQuery, ChangePlanMutation, RequestBillingPortalMutation, type BillingRequest } from "./queries.ts";

/** How long to wait for the worker before saying so (its retries back off beyond this). */
const GIVE_UP_MS = 90_000;
const SLOW = "Stripe is taking longer than usual to answer. Please try again in a minute.";
const FAILED = "Stripe could not complete the request. Please try again.";

export type RequestState =
  | { phase: "idle" }
  | { phase: "working"; kind: "portal" | "change_plan"; planKey?: string }
  | { phase: "redirecting"; url: string }
  | { phase: "done"; request: BillingRequest }
  | { phase: "failed"; error: ServerError };

/** How a request ended: done (the request as the worker left it) or refused / failed. */
export type RequestOutcome = { request: BillingRequest } | { error: ServerError };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function useBillingRequest() {
  const client = useClient();
  const [state, setState] = useState<RequestState>({ phase: "idle" });
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  const run = useCallback(
    async (kind: "portal" | "change_plan", planKey?: string, reason?: string): Promise<RequestOutcome | null> => {
      setState({ phase: "working", kind, planKey });
      const fail = (failure: unknown): RequestOutcome => {
        const error = typeof failure === "string" ? { code: null, message: failure, field: null, ref: null } : serverError(failure);
        if (mounted.current) setState({ phase: "failed", error });
        return { error };
      };

      const started =
        kind === "portal"
          ? await client.mutation(RequestBillingPortalMutation, {}).toPromise()
          : await client.mutation(ChangePlanMutation, { planKey: planKey!, reason: reason ?? null }).toPromise();
      if (started.error) return fail(started.error);
      const data = started.data as
        | { requestBillingPortal?: { billingRequest: BillingRequest | null } | null; changePlan?: { billingRequest: BillingRequest | null } | null }
        | undefined;
      const request = (kind === "portal" ? data?.requestBillingPortal : data?.changePlan)?.billingRequest;
      if (!request) return fail(FAILED);

      let finished: BillingRequest | null = request.status === "pending" ? null : request;
      const deadline = Date.now() + GIVE_UP_MS;
      let delay = 300;
      while (!finished && mounted.current && Date.now() < deadline) {
        await sleep(delay);
        delay = Math.min(Math.round(delay * 1.5), 2000);
        const res = await client.query(BillingRequestQuery, { id: request.id }, { requestPolicy: "network-only" }).toPromise();
        if (res.error) return fail(res.error);
        const r = res.data?.billingRequestById;
        if (r && r.status !== "pending") finished = r;
      }
      if (!mounted.current) return null;
      if (!finished) return fail(SLOW);
      if (finished.status === "failed") return fail(finished.errorMessage || FAILED);
      if (kind === "portal") {
        if (!finished.url) return fail(FAILED);
        setState({ phase: "redirecting", url: finished.url });
        window.location.assign(finished.url);
        return { request: finished };
      }
      setState({ phase: "done", request: finished });
      return { request: finished };
    },
    [client],
  );

  const openPortal = useCallback(() => run("portal"), [run]);
  const changePlan = useCallback((planKey: string, reason?: string) => run("change_plan", planKey, reason), [run]);
  const reset = useCallback(() => setState({ phase: "idle" }), []);
  const busy = state.phase === "working" || state.phase === "redirecting";
  return { state, busy, openPortal, changePlan, reset };
}
