// Guards the signed-in part of the app: no session → /login (remembering where the person was
// going); otherwise provides the viewer to everything below.
import { Alert, Box, Button } from "@mui/material";
import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router-dom";
import { errorMessage } from "../lib/errors.ts";
import { ViewerProvider } from "../shell/ViewerContext.tsx";
import { useViewerQuery } from "../shell/viewer.ts";
import { Loading } from "../ui/Loading.tsx";

export function RequireAuth({ children }: { children: ReactNode }) {
  const location = useLocation();
  const [{ data, error, fetching }, refetch] = useViewerQuery();
  if (!data && fetching) return <Loading fullPage />;
  if (!data) {
    return (
      <Box sx={{ maxWidth: 520, mx: "auto", mt: 10, px: 2 }}>
        <Alert
          severity="error"
          action={
            <Button color="inherit" size="small" onClick={() => refetch({ requestPolicy: "network-only" })}>
              Try again
            </Button>
          }
        >
          {errorMessage(error)}
        </Alert>
      </Box>
    );
  }
  if (!data.currentUser) return <Navigate to="/login" replace state={{ from: location.pathname }} />;
  return <ViewerProvider data={data}>{children}</ViewerProvider>;
}
