// The signed-in person, available to everything inside the shell without another query.
import { createContext, useContext, type ReactNode } from "react";
import type { ViewerData } from "./viewer.ts";

export interface Viewer {
  user: NonNullable<ViewerData["currentUser"]>;
  tenant: ViewerData["currentTenant"];
  permissions: Set<string>;
}

const ViewerContext = createContext<Viewer | null>(null);

export function ViewerProvider({ data, children }: { data: ViewerData; children: ReactNode }) {
  const viewer: Viewer = {
    user: data.currentUser!,
    tenant: data.currentTenant,
    permissions: new Set((data.currentPermissions ?? []).filter((p): p is string => Boolean(p))),
  };
  return <ViewerContext.Provider value={viewer}>{children}</ViewerContext.Provider>;
}

export function useViewer(): Viewer {
  const viewer = useContext(ViewerContext);
  if (!viewer) throw new Error("useViewer() is only available inside <RequireAuth>.");
  return viewer;
}

/** Whether the signed-in person holds this permission in the current business. */
export function useCan(permission: string): boolean {
  return useViewer().permissions.has(permission);
}
