// What serves the admin: Vite's dev server (middleware mode, hot reload) in development, the
// built files in production.
import fs from "node:fs";
import path from "node:path";
import type { ViteDevServer } from "vite";
import type { Fallback } from "./app.ts";
import { logger } from "./logger.ts";
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
  // A module that does not compile is reported by the page that loads it, as without warming.
  await warm(vite).catch((err) => logger.warn({ err }, "the admin could not be compiled ahead"));
  return {
    fallback: (req, res) => vite.middlewares(req, res),
    close: () => vite.close(),
  };
}

/**
 * Transforms the admin's own modules (from src/main.tsx, following its imports) before the
 * server listens, so that /healthz answering means the first page loads at once rather than
 * after seconds of compiling. Libraries are pre-bundled by optimizeDeps (vite.config.ts).
 */
async function warm(vite: ViteDevServer): Promise<void> {
  const seen = new Set<string>();
  const visit = async (url: string): Promise<void> => {
    if (seen.has(url)) return;
    seen.add(url);
    await vite.transformRequest(url);
    const mod = await vite.moduleGraph.getModuleByUrl(url);
    const own = [...(mod?.importedModules ?? [])].filter((m) => m.file?.startsWith(appRoot) && !m.file.includes("node_modules"));
    await Promise.all(own.map((m) => visit(m.url)));
  };
  await visit("/src/main.tsx");
}
