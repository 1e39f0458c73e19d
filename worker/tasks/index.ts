// The worker's tasks: one file each, registered here with their payload types, each run recorded
// in the run log (run-log.ts).
import type { TaskList } from "graphile-worker";
import { defaultSmsProvider, type SmsProvider } from "../sms/provider.ts";
import { defaultStripeSettings, type StripeSettings } from "../stripe.ts";
import { cleanupJobRuns } from "./cleanup-job-runs.ts";
import { cleanupSessions } from "./cleanup-sessions.ts";
import { customerImportCommit } from "./customer-import-commit.ts";
import { customerImportParse } from "./customer-import-parse.ts";
import { customerDataExport } from "./customer-data-export.ts";
import { deleteExpiredPhoneCodes } from "./delete-expired-phone-codes.ts";
import { exportCleanup } from "./export-cleanup.ts";
import { exportCsv } from "./export-csv.ts";
import { invoiceAccounts } from "./invoice-accounts.ts";
import { renderAccountDocument } from "./render-account-document.ts";
import { reportingFold } from "./reporting-fold.ts";
import { makeSendSms } from "./send-sms.ts";
import { withRunLog, type LoggedTask } from "./run-log.ts";
import { applyStripeEvent } from "./stripe-apply-event.ts";
import { makeBillingPortal } from "./stripe-billing-portal.ts";
import { makeChangePlan } from "./stripe-change-plan.ts";
import { makeCreateCustomer } from "./stripe-create-customer.ts";
import { makeCreateSubscription } from "./stripe-create-subscription.ts";
import { makeSyncPlans } from "./stripe-sync-plans.ts";
import { suspendOverdueAccounts } from "./suspend-overdue-accounts.ts";
import { suspendOverdueTenants } from "./suspend-overdue-tenants.ts";

declare global {
  namespace GraphileWorker {
    interface Tasks {
      cleanup_job_runs: Record<string, never>;
      cleanup_sessions: Record<string, never>;
      customer_import_commit: { tenantId: string; importId: string };
      customer_import_parse: { tenantId: string; importId: string };
      customer_data_export: { tenantId: string; exportId: string };
      delete_expired_phone_codes: Record<string, never>;
      export_cleanup: Record<string, never>;
      export_csv: { tenantId: string; exportId: string };
      invoice_accounts: Record<string, never>;
      render_account_document: { tenantId: string; documentId: string };
      reporting_fold: Record<string, never>;
      send_sms: { tenantId: string; messageId: string };
      stripe_create_customer: { tenantId: string };
      stripe_create_subscription: { tenantId: string };
      stripe_apply_event: { eventId: string };
      stripe_billing_portal: { tenantId: string; requestId: string };
      stripe_change_plan: { tenantId: string; requestId: string };
      stripe_sync_plans: Record<string, never>;
      suspend_overdue_accounts: Record<string, never>;
      suspend_overdue_tenants: Record<string, never>;
    }
  }
}

export interface TaskDeps {
  /** The Stripe client and settings (default: from the environment, on first use). */
  stripe?: () => StripeSettings;
  /** The SMS provider (default: from the environment, on first use). */
  sms?: () => SmsProvider;
}

export function makeTaskList(deps: TaskDeps = {}): TaskList {
  const stripe = deps.stripe ?? defaultStripeSettings;
  const sms = deps.sms ?? defaultSmsProvider;
  const tasks: Record<keyof GraphileWorker.Tasks, unknown> = {
    cleanup_job_runs: cleanupJobRuns,
    cleanup_sessions: cleanupSessions,
    customer_import_commit: customerImportCommit,
    customer_import_parse: customerImportParse,
    customer_data_export: customerDataExport,
    delete_expired_phone_codes: deleteExpiredPhoneCodes,
    export_cleanup: exportCleanup,
    export_csv: exportCsv,
    invoice_accounts: invoiceAccounts,
    render_account_document: renderAccountDocument,
    reporting_fold: reportingFold,
    send_sms: makeSendSms(sms),
    stripe_create_customer: makeCreateCustomer(stripe),
    stripe_create_subscription: makeCreateSubscription(stripe),
    stripe_apply_event: applyStripeEvent,
    stripe_billing_portal: makeBillingPortal(stripe),
    stripe_change_plan: makeChangePlan(stripe),
    stripe_sync_plans: makeSyncPlans(stripe),
    suspend_overdue_accounts: suspendOverdueAccounts,
    suspend_overdue_tenants: suspendOverdueTenants,
  };
  return Object.fromEntries(Object.entries(tasks).map(([name, task]) => [name, withRunLog(name, task as LoggedTask<any>)]));
}

export const taskList: TaskList = makeTaskList();
