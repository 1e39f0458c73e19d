// Guards the signed-out pages: someone already signed in goes straight to the app.
import type { ReactNode } from "react";
import { Navigate } from "react-router-dom";
import { useViewerQuery } from "../shell/viewer.ts";
import { Loading } from "../ui/Loading.tsx";

export function GuestOnly({ children }: { children: ReactNode }) {
  const [{ data, fetching }] = useViewerQuery();
  if (!data && fetching) return <Loading fullPage />;
  if (data?.currentUser) return <Navigate to="/" replace />;
  return children;
}
