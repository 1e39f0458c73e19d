import path from "node:path";
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  // Pre-bundle every dependency up front, so the first page load never triggers a
  // "new dependencies found, reloading" round trip (which also keeps browser tests steady).
  optimizeDeps: {
    include: [
      "react",
      "react/jsx-runtime",
      "react/jsx-dev-runtime",
      "react-dom",
      "react-dom/client",
      "react-router-dom",
      "urql",
      "graphql-ws",
      "gql.tada",
      "@mui/material",
      "@emotion/react",
      "@emotion/styled",
      "@mui/material/styles",
      "@mui/x-charts/BarChart",
      "libphonenumber-js",
    ],
  },

  build: {
    outDir: path.resolve(import.meta.dirname, "../../dist/app"),
    emptyOutDir: true,
    rolldownOptions: {
      output: {
        // Libraries change less often than the admin: separate, long-cached chunks.
        codeSplitting: {
          groups: [
            { name: "mui", test: /node_modules[\\/](@mui|@emotion)[\\/]/, priority: 2 },
            { name: "vendor", test: /node_modules[\\/]/, priority: 1 },
          ],
        },
      },
    },
  },
});
