// Every library the admin imports is pre-bundled up front (web/app/vite.config.ts,
// optimizeDeps.include). One found only when a page imports it makes Vite bundle again and
// invalidate the bundles pages already use: a page loaded meanwhile breaks (browser tests time
// out). So a new import of a library must be listed there; this test says which is missing.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import config from "../../web/app/vite.config.ts";

const src = path.resolve(import.meta.dirname, "../../web/app/src");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(path.join(dir, e.name)) : /\.tsx?$/.test(e.name) && !e.name.endsWith(".d.ts") ? [path.join(dir, e.name)] : [],
  );
}

it("pre-bundles every library the admin imports", () => {
  const imported = new Set<string>();
  for (const file of sources(src)) {
    for (const m of readFileSync(file, "utf8").matchAll(/^\s*import\s+(?!type\b)[^;]*?from\s+"([^".][^"]*)"/gm)) imported.add(m[1]);
  }
  const include = new Set((config as { optimizeDeps?: { include?: string[] } }).optimizeDeps?.include ?? []);
  expect([...imported].filter((m) => !include.has(m)).sort()).toEqual([]);
  expect(imported.size).toBeGreaterThan(5);
});
