// Every route of the admin. Signed-out pages sit behind <GuestOnly>, the rest behind
// <RequireAuth> inside the shell; an invitation link opens whether signed in or not (someone
// signed in may be joining another business, or be someone else on this browser). Pages that
// need a permission check it themselves.
import { Navigate, Route, Routes } from "react-router-dom";
import { BackgroundJobsPage } from "./activity/BackgroundJobsPage.tsx";
import { GuestOnly } from "./auth/GuestOnly.tsx";
import { InvitationPage } from "./auth/InvitationPage.tsx";
import { LoginPage } from "./auth/LoginPage.tsx";
import { OnboardPage } from "./auth/OnboardPage.tsx";
import { RequireAuth } from "./auth/RequireAuth.tsx";
import { BillingPage } from "./billing/BillingPage.tsx";
import { CustomerDetailPage } from "./customers/CustomerDetailPage.tsx";
import { CustomersPage } from "./customers/CustomersPage.tsx";
import { DashboardPage } from "./dashboard/DashboardPage.tsx";
import { PosPage } from "./pos/PosPage.tsx";
import { ReportsPage } from "./reporting/ReportsPage.tsx";
import { AuditLogPage } from "./settings/AuditLogPage.tsx";
import { SettingsPage } from "./settings/SettingsPage.tsx";
import { AppShell } from "./shell/AppShell.tsx";

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<GuestOnly><LoginPage /></GuestOnly>} />
      <Route path="/onboard" element={<GuestOnly><OnboardPage /></GuestOnly>} />
      <Route path="/invitations/:token" element={<InvitationPage />} />
      <Route element={<RequireAuth><AppShell /></RequireAuth>}>
        <Route index element={<DashboardPage />} />
        <Route path="pos" element={<PosPage />} />
        <Route path="customers" element={<CustomersPage />} />
        <Route path="customers/:id" element={<CustomerDetailPage />} />
        <Route path="reports" element={<ReportsPage />} />
        <Route path="activity" element={<Navigate to="/activity/jobs" replace />} />
        <Route path="activity/jobs" element={<BackgroundJobsPage />} />
        <Route path="settings" element={<SettingsPage />} />
        <Route path="settings/billing" element={<BillingPage />} />
        <Route path="settings/audit" element={<AuditLogPage />} />
      </Route>
      <Route path="*" element={<Navigate to="/" replace />} />
    </Routes>
  );
}
