// What serves the admin: Vite's dev server (middleware mode, hot reload) in development, the
// built files in production.
import fs from "node:fs";
import path from "node:path";
import type { Fallback } from "./app.ts";
import { staticFiles } from "./static.ts";

const appRoot = path.resolve(import.meta.dirname, "../app");
export const distRoot = path.resolve(import.meta.dirname, "../../dist/app");

export async function adminHandler(development: boolean): Promise<{ fallback: Fallback; close(): Promise<void> }> {
  if (!development) {
    if (!fs.existsSync(path.join(distRoot, "index.html"))) {
      throw new Error("dist/app is missing: run `npm run build` before starting in production.");
    }
    return { fallback: staticFiles(distRoot), close: async () => {} };
  }
  const { createServer } = await import("vite");
  const noHotReload = process.env.NODE_ENV === "test" || !!process.env.CI;
  const vite = await createServer({
    configFile: path.join(appRoot, "vite.config.ts"),
    // Tests and CI need no hot reload (and several servers would fight over its port).
    server: noHotReload ? { middlewareMode: true, hmr: false, ws: false } : { middlewareMode: true },
    appType: "spa",
    logLevel: "warn",
  });
  return {
    fallback: (req, res) => vite.middlewares(req, res),
    close: () => vite.close(),
  };
}
