// Providers, outermost first: theme, router, urql client (replaceable), then the routes.
import { CssBaseline, ThemeProvider } from "@mui/material";
import { BrowserRouter } from "react-router-dom";
import { ClientProvider } from "./lib/ClientProvider.tsx";
import { AppRoutes } from "./routes.tsx";
import { theme } from "./theme.ts";

export function App() {
  return (
    <ThemeProvider theme={theme}>
      <CssBaseline />
      <BrowserRouter>
        <ClientProvider>
          <AppRoutes />
        </ClientProvider>
      </BrowserRouter>
    </ThemeProvider>
  );
}
