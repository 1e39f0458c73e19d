// The worker's tasks: one file each, registered here with their payload types.
import type { TaskList } from "graphile-worker";
import { defaultStripeSettings, type StripeSettings } from "../stripe.ts";
import { cleanupSessions } from "./cleanup-sessions.ts";
import { exportCleanup } from "./export-cleanup.ts";
import { exportCsv } from "./export-csv.ts";
import { reportingFold } from "./reporting-fold.ts";
import { applyStripeEvent } from "./stripe-apply-event.ts";
import { makeBillingPortal } from "./stripe-billing-portal.ts";
import { makeChangePlan } from "./stripe-change-plan.ts";
import { makeCreateCustomer } from "./stripe-create-customer.ts";
import { makeCreateSubscription } from "./stripe-create-subscription.ts";
import { makeSyncPlans } from "./stripe-sync-plans.ts";

declare global {
  namespace GraphileWorker {
    interface Tasks {
      cleanup_sessions: Record<string, never>;
      export_cleanup: Record<string, never>;
      export_csv: { tenantId: string; exportId: string };
      reporting_fold: Record<string, never>;
      stripe_create_customer: { tenantId: string };
      stripe_create_subscription: { tenantId: string };
      stripe_apply_event: { eventId: string };
      stripe_billing_portal: { tenantId: string; requestId: string };
      stripe_change_plan: { tenantId: string; requestId: string };
      stripe_sync_plans: Record<string, never>;
    }
  }
}

export interface TaskDeps {
  /** The Stripe client and settings (default: from the environment, on first use). */
  stripe?: () => StripeSettings;
}

export function makeTaskList(deps: TaskDeps = {}): TaskList {
  const stripe = deps.stripe ?? defaultStripeSettings;
  return {
    cleanup_sessions: cleanupSessions as TaskList[string],
    export_cleanup: exportCleanup as TaskList[string],
    export_csv: exportCsv as TaskList[string],
    reporting_fold: reportingFold as TaskList[string],
    stripe_create_customer: makeCreateCustomer(stripe) as TaskList[string],
    stripe_create_subscription: makeCreateSubscription(stripe) as TaskList[string],
    stripe_apply_event: applyStripeEvent as TaskList[string],
    stripe_billing_portal: makeBillingPortal(stripe) as TaskList[string],
    stripe_change_plan: makeChangePlan(stripe) as TaskList[string],
    stripe_sync_plans: makeSyncPlans(stripe) as TaskList[string],
  };
}

export const taskList: TaskList = makeTaskList();
