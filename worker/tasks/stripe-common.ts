// What the Stripe tasks share: payload assertions and the ending of a billing request.
import type { JobHelpers } from "graphile-worker";
import { isPermanentStripeError } from "../stripe.ts";
import { assertIdFields } from "./payload.ts";


export function assertTenantPayload(payload: unknown, task: string): asserts payload is { tenantId: string } {
  assertIdFields(payload, task, "tenantId");
}

export function assertEventPayload(payload: unknown, task: string): asserts payload is { eventId: string } {
  assertIdFields(payload, task, "eventId");
}

export function assertRequestPayload(payload: unknown, task: string): asserts payload is { tenantId: string; requestId: string } {
  assertIdFields(payload, task, "tenantId", "requestId");
}

export interface BillingRequestParams {
  id: string;
  tenantId: string;
  kind: "portal" | "change_plan";
  status: "pending" | "done" | "failed";
  planKey: string | null;
  priceId: string | null;
  customerId: string | null;
  subscriptionId: string | null;
  subscriptionStatus: string | null;
  problem: string | null;
}

export async function readBillingRequest(helpers: JobHelpers, tenantId: string, requestId: string): Promise<BillingRequestParams | null> {
  const { rows } = await helpers.query<{ p: BillingRequestParams | null }>(
    "select app_private.billing_request_params($1, $2) as p",
    [tenantId, requestId],
  );
  return rows[0]?.p ?? null;
}

export async function finishRequest(
  helpers: JobHelpers,
  r: BillingRequestParams,
  outcome: { status: "done"; url?: string | null } | { status: "failed"; error: string },
): Promise<void> {
  await helpers.query("select app_private.finish_billing_request($1, $2, $3, $4, $5)", [
    r.tenantId,
    r.id,
    outcome.status,
    outcome.status === "done" ? (outcome.url ?? null) : null,
    outcome.status === "failed" ? outcome.error : null,
  ]);
}

/**
 * A Stripe call of a billing request failed: errors Stripe will repeat end the request as failed;
 * others are thrown so that graphile-worker retries, and the last attempt ends it as failed.
 */
export async function failOrRetry(helpers: JobHelpers, r: BillingRequestParams, err: unknown): Promise<void> {
  if (isPermanentStripeError(err)) {
    await finishRequest(helpers, r, { status: "failed", error: `Stripe refused the request: ${err.message}` });
    return;
  }
  if (helpers.job.attempts >= helpers.job.max_attempts) {
    await finishRequest(helpers, r, { status: "failed", error: "Stripe could not be reached. Please try again later." });
  }
  throw err;
}
