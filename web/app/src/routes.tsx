// Every route of the admin. Signed-out pages sit behind <GuestOnly>, the rest behind
// <RequireAuth> inside the shell; an invitation link opens whether signed in or not (someone
// signed in may be joining another business, or be someone else on this browser). Pages that
// need a permission check it themselves.
import { lazy, Suspense, type ReactNode } from "react";
import { Navigate, Route, Routes } from "react-router-dom";
import { GuestOnly } from "./auth/GuestOnly.tsx";
import { InvitationPage } from "./auth/InvitationPage.tsx";
import { LoginPage } from "./auth/LoginPage.tsx";
import { OnboardPage } from "./auth/OnboardPage.tsx";
import { RequireAuth } from "./auth/RequireAuth.tsx";
import { AppShell } from "./shell/AppShell.tsx";
import { Loading } from "./ui/Loading.tsx";

// The pages behind sign-in load when first opened: the sign-in page then needs none of them (nor
// the charts' library), which halves what a first visit downloads. (In development Vite has
// compiled them all before /healthz answers, web/server/admin.ts, so opening one is quick.)
const DashboardPage = lazy(() => import("./dashboard/DashboardPage.tsx").then((m) => ({ default: m.DashboardPage })));
const PosPage = lazy(() => import("./pos/PosPage.tsx").then((m) => ({ default: m.PosPage })));
const CustomersPage = lazy(() => import("./customers/CustomersPage.tsx").then((m) => ({ default: m.CustomersPage })));
const ImportCustomersPage = lazy(() => import("./customers/ImportCustomersPage.tsx").then((m) => ({ default: m.ImportCustomersPage })));
const CustomerImportPage = lazy(() => import("./customers/CustomerImportPage.tsx").then((m) => ({ default: m.CustomerImportPage })));
const PossibleDuplicatesPage = lazy(() => import("./customers/PossibleDuplicatesPage.tsx").then((m) => ({ default: m.PossibleDuplicatesPage })));
const CustomerDetailPage = lazy(() => import("./customers/CustomerDetailPage.tsx").then((m) => ({ default: m.CustomerDetailPage })));
const MessagesSentPage = lazy(() => import("./customers/MessagesSentPage.tsx").then((m) => ({ default: m.MessagesSentPage })));
const InvoicesPage = lazy(() => import("./accounts/InvoicesPage.tsx").then((m) => ({ default: m.InvoicesPage })));
const ReportsPage = lazy(() => import("./reporting/ReportsPage.tsx").then((m) => ({ default: m.ReportsPage })));
const BackgroundJobsPage = lazy(() => import("./activity/BackgroundJobsPage.tsx").then((m) => ({ default: m.BackgroundJobsPage })));
const SettingsPage = lazy(() => import("./settings/SettingsPage.tsx").then((m) => ({ default: m.SettingsPage })));
const BillingPage = lazy(() => import("./billing/BillingPage.tsx").then((m) => ({ default: m.BillingPage })));
const AuditLogPage = lazy(() => import("./settings/AuditLogPage.tsx").then((m) => ({ default: m.AuditLogPage })));

/** A page that loads when first opened, with a spinner in the shell meanwhile. */
const Page = ({ children }: { children: ReactNode }) => <Suspense fallback={<Loading />}>{children}</Suspense>;

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<GuestOnly><LoginPage /></GuestOnly>} />
      <Route path="/onboard" element={<GuestOnly><OnboardPage /></GuestOnly>} />
      <Route path="/invitations/:token" element={<InvitationPage />} />
      <Route element={<RequireAuth><AppShell /></RequireAuth>}>
        <Route index element={<Page><DashboardPage /></Page>} />
        <Route path="pos" element={<Page><PosPage /></Page>} />
        <Route path="customers" element={<Page><CustomersPage /></Page>} />
        <Route path="customers/imports" element={<Page><ImportCustomersPage /></Page>} />
        <Route path="customers/imports/:id" element={<Page><CustomerImportPage /></Page>} />
        <Route path="customers/duplicates" element={<Page><PossibleDuplicatesPage /></Page>} />
        <Route path="customers/:id" element={<Page><CustomerDetailPage /></Page>} />
        <Route path="dev/messages" element={<Page><MessagesSentPage /></Page>} />
        <Route path="invoices" element={<Page><InvoicesPage /></Page>} />
        <Route path="reports" element={<Page><ReportsPage /></Page>} />
        <Route path="activity" element={<Navigate to="/activity/jobs" replace />} />
        <Route path="activity/jobs" element={<Page><BackgroundJobsPage /></Page>} />
        <Route path="settings" element={<Page><SettingsPage /></Page>} />
        <Route path="settings/billing" element={<Page><BillingPage /></Page>} />
        <Route path="settings/audit" element={<Page><AuditLogPage /></Page>} />
      </Route>
      <Route path="*" element={<Navigate to="/" replace />} />
    </Routes>
  );
}
